#include "symsweep/core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double sym_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double sym_cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define ALIGN 64

static size_t round_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

/* zeroed and cache-line aligned: a vector kernel's row that starts a block
 * then never straddles two lines (calloc gives 16 bytes) */
int sym_alloc(void *out, size_t bytes)
{
    size_t n = round_up(bytes ? bytes : 1);
    void *p = n >= bytes ? aligned_alloc(ALIGN, n) : NULL; /* n < bytes: it wrapped */

    if (!p)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory allocating %zu bytes",
                           bytes);
    memset(p, 0, n);
    memcpy(out, &p, sizeof(p));
    return 0;
}

int sym_alloc_doubles(double **out, size_t n) { return sym_alloc(out, n * sizeof(double)); }

int sym_alloc_doubles_raw(double **out, size_t n)
{
    size_t bytes = n * sizeof(double), r = round_up(bytes ? bytes : 1);
    void *p = n <= SIZE_MAX / sizeof(double) && r >= bytes ? aligned_alloc(ALIGN, r) : NULL;

    if (!p)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory allocating %zu doubles",
                           n);
    *out = p;
    return 0;
}

int sym_strdup(char **out, const char *s)
{
    size_t n = strlen(s) + 1;
    int rc = sym_alloc(out, n);

    if (rc == 0)
        memcpy(*out, s, n);
    return rc;
}

size_t sym_arena_bytes_doubles(size_t n) { return round_up(n * sizeof(double)); }

int sym_arena_init(sym_arena *a, size_t bytes)
{
    a->used = 0;
    a->size = round_up(bytes);
    a->base = aligned_alloc(ALIGN, a->size ? a->size : ALIGN);
    if (!a->base)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory allocating an arena of %zu bytes",
                           bytes);
    memset(a->base, 0, a->size);
    return 0;
}

static void *take(sym_arena *a, size_t bytes)
{
    size_t n = round_up(bytes);
    void *p;

    SYM_ASSERT(a->used + n <= a->size);
    p = a->base + a->used;
    a->used += n;
    return p;
}

double *sym_arena_doubles(sym_arena *a, size_t n) { return take(a, n * sizeof(double)); }

int *sym_arena_ints(sym_arena *a, size_t n) { return take(a, n * sizeof(int)); }

void sym_arena_dispose(sym_arena *a)
{
    free(a->base);
    a->base = NULL;
    a->size = a->used = 0;
}
