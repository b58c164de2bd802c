/*
 * The vectorized tanh (src/core/vmath.c) against the exact value (long double tanhl, 64-bit
 * significand: its own error is 2^-11 of a double's ulp), at a million points from 1e-300 to 30
 * in magnitude and at the special values; the vector path equals the scalar one bit for bit, the
 * function is odd bit for bit, and monotone.  `test_core_vmath --digest` prints the SHA-256 of
 * its values at a fixed set of points: unit.core.vmath_variants compares it across the kernel
 * variants (SYMSWEEP_KERNELS=baseline, avx2, the CPU's own), which must agree bit for bit.
 * Negative control: libm's own tanh is not bitwise sym_tanh (they differ in the last bit at some
 * points), so a digest or an equality test could tell them apart.
 */
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/core.h"

#ifndef M_LN2
#define M_LN2 0.69314718055994530942
#endif

enum { N = 1000000 };

/* |a - exact| in units of the last place of the exact value (as a double) */
static double ulps(double a, long double exact)
{
    double e = (double)exact, u = nextafter(fabs(e), INFINITY) - fabs(e);

    if (e == 0.0)
        return a == 0.0 ? 0.0 : INFINITY;
    return (double)(fabsl((long double)a - exact) / u);
}

/* the points: log-uniform magnitudes 1e-300 .. 30, then uniform on [-25, 25], random signs */
static void points(double *x, int n)
{
    sym_rng r;

    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    for (int i = 0; i < n; i++) {
        double u = sym_rng_uniform(&r), v = i < n / 2 ? exp(-690.8 + u * (690.8 + log(30.0)))
                                                       : 25.0 * sym_rng_uniform(&r);

        x[i] = sym_rng_uniform(&r) < 0.5 ? -v : v;
    }
}

static void test_accuracy(void **s)
{
    double *x = malloc(N * sizeof(double)), *a = malloc(N * sizeof(double)), worst = 0.0, at = 0.0;
    int differ = 0;

    (void)s;
    points(x, N);
    sym_vtanh(x, a, N);
    for (int i = 0; i < N; i++) {
        double e = ulps(a[i], tanhl((long double)x[i]));

        if (e > worst) {
            worst = e;
            at = x[i];
        }
        assert_true(memcmp(&a[i], &(double){sym_tanh(x[i])}, sizeof(double)) == 0); /* vector = scalar */
        differ += a[i] != tanh(x[i]);
    }
    printf("max error %.3f ulp (at x = %.17g); differs from libm's tanh at %d of %d points\n", worst,
           at, differ, N);
    assert_true(worst <= 2.0);
    assert_true(differ > 0); /* the negative control: libm's tanh is another function */
    free(x);
    free(a);
}

static void test_special(void **s)
{
    const double x[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 20.0, -20.0, 19.999999, 30.0, 710.0,
                        DBL_MIN, -DBL_MIN, 4.9e-324, 1e-300, 1e-17, 0.5 * M_LN2, M_LN2, 1.0, DBL_MAX};
    const int n = (int)(sizeof(x) / sizeof(*x));
    double a[sizeof(x) / sizeof(*x)];

    (void)s;
    sym_vtanh(x, a, (size_t)n);
    assert_true(a[0] == 0.0 && !signbit(a[0]));
    assert_true(a[1] == 0.0 && signbit(a[1]));
    assert_true(a[2] == 1.0 && a[3] == -1.0);
    assert_true(isnan(a[4]));
    assert_true(a[5] == 1.0 && a[6] == -1.0 && a[8] == 1.0 && a[9] == 1.0 && a[18] == 1.0);
    for (int i = 7; i < n; i++)
        if (i != 8 && i != 9 && i != 18)
            assert_true(ulps(a[i], tanhl((long double)x[i])) <= 2.0);
    /* tiny arguments: tanh(x) = x to rounding (subnormals included) */
    assert_true(a[10] == DBL_MIN && a[11] == -DBL_MIN && a[12] == 4.9e-324 && a[13] == 1e-300);
}

static void test_odd_monotone(void **s)
{
    enum { M = 200001 };
    double *x = malloc(M * sizeof(double)), *a = malloc(M * sizeof(double));
    double *b = malloc(M * sizeof(double));

    (void)s;
    for (int i = 0; i < M; i++)
        x[i] = -22.0 + 44.0 * i / (M - 1);
    sym_vtanh(x, a, M);
    for (int i = 0; i < M; i++)
        x[i] = -x[i];
    sym_vtanh(x, b, M);
    for (int i = 0; i < M; i++) {
        assert_true(a[i] == -b[i]);
        if (i)
            assert_true(a[i] >= a[i - 1]);
    }
    /* in place */
    memcpy(b, x, M * sizeof(double));
    sym_vtanh(b, b, M);
    for (int i = 0; i < M; i++)
        assert_true(b[i] == -a[i]);
    free(x);
    free(a);
    free(b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_special),
        cmocka_unit_test(test_odd_monotone),
    };

    if (argc > 1 && strcmp(argv[1], "--digest") == 0) {
        double *x = malloc(N * sizeof(double)), *a = malloc(N * sizeof(double));
        char hex[65];

        points(x, N);
        sym_vtanh(x, a, N - 3); /* a length that leaves a remainder after any vector width */
        for (int i = N - 3; i < N; i++)
            a[i] = sym_tanh(x[i]);
        sym_sha256_hex(hex, a, N * sizeof(double));
        printf("%s %s\n", hex, sym_kernel_variant());
        free(x);
        free(a);
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
