/* Test helpers shared by every cmocka test. */
#ifndef SYM_TEST_CHECK_H
#define SYM_TEST_CHECK_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/**
 * Fail unless |got_i - want_i| <= atol + rtol * |want_i| for every i; NaN
 * always fails.  Reports the first bad index and the caller's line.
 */
void sym_check_close_at(const double *got, const double *want, size_t n, double atol,
                        double rtol, const char *file, int line);
#define check_close(got, want, n, atol, rtol)                                                \
    sym_check_close_at((got), (want), (n), (atol), (rtol), __FILE__, __LINE__)
#define check_close1(got, want, atol, rtol)                                                  \
    do {                                                                                     \
        double g_ = (got), w_ = (want);                                                      \
        sym_check_close_at(&g_, &w_, 1, (atol), (rtol), __FILE__, __LINE__);                 \
    } while (0)

/** Fail on a symsweep error code, printing the error message. */
#define check_ok(call)                                                                       \
    do {                                                                                     \
        int rc_ = (call);                                                                    \
        if (rc_ < 0)                                                                         \
            fail_msg("%s returned %d: %s", #call, rc_, sym_err_message());                  \
    } while (0)

#endif
