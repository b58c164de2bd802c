/* Per-process error buffer: one innermost message plus a list of frames. */
#include "symsweep/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 8192 /* validate gathers up to 20 problems in one message */
#define TRACE_MAX 8192

static char msg_buf[MSG_MAX];
static char trace_buf[TRACE_MAX];
static size_t trace_len;
static int last_code;

int sym_err_set(int code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg_buf, sizeof(msg_buf), fmt, ap);
    va_end(ap);
    last_code = code;
    trace_len = 0;
    trace_buf[0] = '\0';
    sym_err_frame(file, line, "raised here");
    return code;
}

void sym_err_frame(const char *file, int line, const char *what)
{
    int n;

    if (trace_len >= sizeof(trace_buf) - 1)
        return;
    n = snprintf(trace_buf + trace_len, sizeof(trace_buf) - trace_len, "  at %s:%d: %s\n",
                 file, line, what);
    if (n > 0)
        trace_len += (size_t)n < sizeof(trace_buf) - trace_len ? (size_t)n
                                                               : sizeof(trace_buf) - trace_len - 1;
}

const char *sym_err_message(void) { return msg_buf; }

const char *sym_err_trace(void)
{
    static char both[MSG_MAX + TRACE_MAX + 2];

    snprintf(both, sizeof(both), "%s\n%s", msg_buf, trace_buf);
    return both;
}

int sym_err_code(void) { return last_code; }

void sym_err_clear(void)
{
    msg_buf[0] = '\0';
    trace_buf[0] = '\0';
    trace_len = 0;
    last_code = 0;
}

void sym_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "symsweep: internal error: assertion `%s' failed at %s:%d\n", expr, file,
            line);
    abort();
}
