/*
 * The vectorized tanh (src/core/vmath.c) against the exact value (long double tanhl, 64-bit
 * significand: its own error is 2^-11 of a double's ulp), at a million points from 1e-300 to 30
 * in magnitude and at the special values; the vector path equals the scalar one bit for bit, the
 * function is odd bit for bit, and monotone.  `test_core_vmath --digest` prints the SHA-256 of
 * its values at a fixed set of points: unit.core.vmath_variants compares it across the kernel
 * variants (SYMSWEEP_KERNELS=baseline, avx2, the CPU's own), which must agree bit for bit.
 * Negative control: libm's own tanh is not bitwise sym_tanh (they differ in the last bit at some
 * points), so a digest or an equality test could tell them apart.
 * The elementwise steps of a backward pass (sym_vmul, sym_vmuladd, sym_vdact, sym_vrelu,
 * sym_vleaky_relu) equal their scalar formulas bit for bit, special values included (the digest
 * covers them too); negative control: the multiply-add fused differs at some points.
 */
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
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

/* inputs for the elementwise steps: normal values of both signs, with zeros of both signs,
 * infinities, NaN, subnormals and huge values among them; a length that leaves a remainder
 * after any vector width */
enum { E = 1003 };
static void elementwise_inputs(double *x, int seed) /* the specials sit elsewhere for each seed */
{
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 4.9e-324, -DBL_MIN, 1e300, -1e-300};
    sym_rng r;

    sym_rng_init(&r, (uint64_t)seed, SYM_RNG_TEST, 0);
    for (int i = 0; i < E; i++)
        x[i] = (i + 7 * seed) % 37 == 5 ? special[(i / 37 + seed) % 9] : 3.0 * sym_rng_normal(&r);
}

/* every elementwise step against its scalar formula, bit for bit (NaN's bits too): the project
 * compiles with -ffp-contract=off, so the formulas below round each operation as written */
static void test_elementwise(void **s)
{
    double a[E], b[E], c[E], d[E], out[E], ref[E], mul[E], muladd[E], relu[E];
    int fused_differs = 0;

    (void)s;
    elementwise_inputs(a, 1);
    elementwise_inputs(b, 2);
    elementwise_inputs(c, 3);
    elementwise_inputs(d, 4);
    for (int i = 0; i < E; i++) {
        mul[i] = a[i] * b[i];
        muladd[i] = a[i] * b[i] + c[i] * d[i];
        relu[i] = a[i] > 0.0 ? a[i] : 0.0;
    }
    sym_vmul(a, b, out, E);
    assert_memory_equal(out, mul, sizeof(mul));
    sym_vmuladd(a, b, c, d, out, E);
    for (int i = 0; i < E; i++)
        fused_differs += memcmp(&out[i], &(double){fma(a[i], b[i], c[i] * d[i])}, sizeof(double)) != 0;
    assert_memory_equal(out, muladd, sizeof(muladd));
    assert_true(fused_differs > 0); /* negative control: a fused multiply-add would be told apart */
    for (int kind = SYM_VACT_TANH; kind <= SYM_VACT_STEP; kind++)
        for (int k = 0; k < 2; k++) {
            double slope = k ? 0.01 : 0.0;

            sym_vdact(kind, slope, b, a, out, E);
            for (int i = 0; i < E; i++)
                ref[i] = kind == SYM_VACT_TANH      ? 1.0 - a[i] * a[i]
                         : kind == SYM_VACT_SIGMOID ? a[i] * (1.0 - a[i])
                                                    : (b[i] > 0.0 ? 1.0 : slope);
            assert_memory_equal(out, ref, sizeof(ref));
        }
    sym_vrelu(a, out, E);
    assert_memory_equal(out, relu, sizeof(relu));
    sym_vleaky_relu(a, 0.01, out, E);
    for (int i = 0; i < E; i++)
        ref[i] = a[i] > 0.0 ? a[i] : 0.01 * a[i];
    assert_memory_equal(out, ref, sizeof(ref));
    /* in place, as the backward pass calls them */
    memcpy(out, a, sizeof(a));
    sym_vmul(out, b, out, E);
    assert_memory_equal(out, mul, sizeof(mul));
    memcpy(out, a, sizeof(a));
    sym_vmuladd(out, b, c, d, out, E); /* as hvp's RdZ = RdA D1 + S RZ, RdZ in RdA's place */
    assert_memory_equal(out, muladd, sizeof(muladd));
    memcpy(out, a, sizeof(a));
    sym_vrelu(out, out, E);
    assert_memory_equal(out, relu, sizeof(relu));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_special),
        cmocka_unit_test(test_odd_monotone),
        cmocka_unit_test(test_elementwise),
    };

    if (argc > 1 && strcmp(argv[1], "--digest") == 0) {
        double *x = malloc(N * sizeof(double)), *a = malloc(N * sizeof(double));
        char hex[65];

        points(x, N);
        sym_vtanh(x, a, N - 3); /* a length that leaves a remainder after any vector width */
        for (int i = N - 3; i < N; i++)
            a[i] = sym_tanh(x[i]);
        /* and the elementwise steps on inputs with special values, after the tanh values */
        {
            double *e = malloc(4 * E * sizeof(double)), *o;

            a = realloc(a, (N + 7 * (size_t)E) * sizeof(double));
            o = a + N;
            for (int k = 0; k < 4; k++)
                elementwise_inputs(e + k * E, k + 1);
            sym_vmul(e, e + E, o, E);
            sym_vmuladd(e, e + E, e + 2 * E, e + 3 * E, o + E, E);
            sym_vdact(SYM_VACT_TANH, 0.0, e + E, e, o + 2 * E, E);
            sym_vdact(SYM_VACT_SIGMOID, 0.0, e + E, e, o + 3 * E, E);
            sym_vdact(SYM_VACT_STEP, 0.01, e + E, e, o + 4 * E, E);
            sym_vrelu(e, o + 5 * E, E);
            sym_vleaky_relu(e, 0.01, o + 6 * E, E);
            free(e);
        }
        sym_sha256_hex(hex, a, (N + 7 * (size_t)E) * sizeof(double));
        printf("%s %s\n", hex, sym_kernel_variant());
        free(x);
        free(a);
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
