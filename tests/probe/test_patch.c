/*
 * Compositions of patch transforms (src/sym/patch.c, seed 003's pairs), against closed forms,
 * each with a negative control:
 *   - a composition's matrix is the product of its steps' matrices, the first step rightmost
 *     (box then rotate is not rotate then box); applying it to rows of X is X T^T;
 *   - a rotation by 90 degrees is the quarter turn; four quarter turns are I exactly;
 *   - a cyclic shift by 1, to the r-th power, is the shift by r (and not the shift by r + 1);
 *   - a median filter leaves a constant patch as it is, removes a single spike (so it is not
 *     the identity), and has no matrix;
 *   - pairs (x, T x) of random 6 x 6 patches made by sym_patch_spec_apply give T back by least
 *     squares to rounding for rot90 and for box-then-rotate; for a median the best linear fit
 *     leaves a residual (the control).
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

enum { H = 6, D = 36, N = 400 };

static double maxdiff(const double *a, const double *b, size_t n)
{
    double m = 0.0;

    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static sym_patch_spec spec2(sym_patch_kind k0, double a0, sym_patch_kind k1, double a1)
{
    sym_patch_spec s = {.n = 2, .kind = {k0, k1}, .a = {a0, a1}};

    return s;
}

static void test_sym_patch_composition_is_product(void **st)
{
    double T[D * D], B[D * D], R[D * D], P[D * D], Q[D * D], X[3 * D], Y[3 * D], Z[3 * D];
    sym_patch_spec s = spec2(SYM_PATCH_BOX, 1, SYM_PATCH_ROTATE, 60), rev = spec2(SYM_PATCH_ROTATE, 60, SYM_PATCH_BOX, 1);
    sym_rng r;

    (void)st;
    check_ok(sym_patch_spec_matrix(T, &s, H, H));
    check_ok(sym_patch_transform(B, H, H, SYM_PATCH_BOX, 1, 0));
    check_ok(sym_patch_transform(R, H, H, SYM_PATCH_ROTATE, 60, 0));
    sym_gemm(0, 0, D, D, D, 1.0, R, B, 0.0, P); /* box first: R B */
    assert_true(maxdiff(T, P, D * D) < 1e-15);
    sym_gemm(0, 0, D, D, D, 1.0, B, R, 0.0, Q);
    printf("box-then-rotate vs rotate-then-box: %.3f\n", maxdiff(P, Q, D * D));
    assert_true(maxdiff(P, Q, D * D) > 1e-2); /* the order matters */
    check_ok(sym_patch_spec_matrix(Q, &rev, H, H));
    assert_true(maxdiff(T, Q, D * D) > 1e-2);
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    for (int i = 0; i < 3 * D; i++)
        X[i] = sym_rng_normal(&r);
    check_ok(sym_patch_spec_apply(Y, X, 3, &s, H, H));
    sym_gemm(0, 1, 3, D, D, 1.0, X, T, 0.0, Z);
    assert_true(maxdiff(Y, Z, 3 * D) < 1e-12);
    memcpy(Z, X, sizeof Z); /* in place */
    check_ok(sym_patch_spec_apply(Z, Z, 3, &s, H, H));
    assert_true(maxdiff(Y, Z, 3 * D) == 0.0);
    s.n = 5;
    assert_int_equal(sym_patch_spec_matrix(T, &s, H, H), SYM_EINVAL);
    s.n = 0;
    assert_int_equal(sym_patch_spec_apply(Y, X, 3, &s, H, H), SYM_EINVAL);
}

static void test_sym_patch_rot90_and_rotate(void **st)
{
    sym_patch_spec q = {.n = 4, .kind = {SYM_PATCH_ROT90, SYM_PATCH_ROT90, SYM_PATCH_ROT90, SYM_PATCH_ROT90}};
    sym_patch_spec one = {.n = 1, .kind = {SYM_PATCH_ROTATE}, .a = {90}}, t = {.n = 1, .kind = {SYM_PATCH_ROT90}};
    double P[D * D], A[D * D], B[D * D];

    (void)st;
    check_ok(sym_patch_spec_matrix(P, &q, H, H));
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++)
            assert_true(P[i * D + j] == (i == j ? 1.0 : 0.0)); /* T^4 = I exactly */
    q.n = 2;
    check_ok(sym_patch_spec_matrix(P, &q, H, H));
    assert_true(P[0] == 0.0); /* T^2 moves pixel 0 */
    check_ok(sym_patch_spec_matrix(A, &one, H, H));
    check_ok(sym_patch_spec_matrix(B, &t, H, H));
    assert_true(maxdiff(A, B, D * D) < 1e-12);
    one.a[0] = 60;
    check_ok(sym_patch_spec_matrix(A, &one, H, H));
    assert_true(maxdiff(A, B, D * D) > 0.1);
    assert_int_equal(sym_patch_spec_matrix(A, &t, 6, 5), SYM_EINVAL); /* not square */
}

static void test_sym_patch_shift_power(void **st)
{
    double S[D * D], P[D * D], W[D * D], R[D * D];

    (void)st;
    check_ok(sym_patch_transform(S, H, H, SYM_PATCH_SHIFT, 1, 0));
    memcpy(P, S, sizeof P);
    for (int r = 2; r <= H + 1; r++) {
        sym_gemm(0, 0, D, D, D, 1.0, S, P, 0.0, W);
        memcpy(P, W, sizeof P);
        check_ok(sym_patch_transform(R, H, H, SYM_PATCH_SHIFT, r, 0));
        assert_true(maxdiff(P, R, D * D) == 0.0);
        check_ok(sym_patch_transform(R, H, H, SYM_PATCH_SHIFT, r + 1, 0));
        assert_true(maxdiff(P, R, D * D) == 1.0);
    }
}

static void test_sym_patch_median(void **st)
{
    sym_patch_spec m = {.n = 1, .kind = {SYM_PATCH_MEDIAN}, .a = {1}};
    double x[D], y[D], T[D * D];

    (void)st;
    for (int i = 0; i < D; i++)
        x[i] = 0.7;
    check_ok(sym_patch_spec_apply(y, x, 1, &m, H, H));
    assert_true(maxdiff(x, y, D) == 0.0);
    x[2 * H + 3] = 5.0; /* a spike: the window of 9 has one high value */
    check_ok(sym_patch_spec_apply(y, x, 1, &m, H, H));
    assert_true(y[2 * H + 3] == 0.7);
    assert_true(maxdiff(x, y, D) > 4.0);
    /* a corner's window is 2 x 2: the mean of the middle two */
    for (int i = 0; i < D; i++)
        x[i] = i;
    check_ok(sym_patch_spec_apply(y, x, 1, &m, H, H));
    assert_true(y[0] == 0.5 * (1 + 6));
    assert_int_equal(sym_patch_spec_matrix(T, &m, H, H), SYM_EINVAL);
    assert_int_equal(sym_patch_transform(T, H, H, SYM_PATCH_MEDIAN, 1, 0), SYM_EINVAL);
    assert_false(sym_patch_spec_linear(&m));
}

/* A: least squares on pairs (x, T x) of random patches from sym_patch_spec_apply */
static void fit_pairs(const sym_patch_spec *s, double *A)
{
    double *X = malloc(sizeof(double) * N * D), *Y = malloc(sizeof(double) * N * D);
    sym_rng r;

    sym_rng_init(&r, 4, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * D; i++)
        X[i] = sym_rng_normal(&r);
    check_ok(sym_patch_spec_apply(Y, X, N, s, H, H));
    check_ok(sym_lgroup_fit(A, X, Y, N, D));
    free(X);
    free(Y);
}

static void test_sym_patch_pairs_fit(void **st)
{
    sym_patch_spec rot = {.n = 1, .kind = {SYM_PATCH_ROT90}}, comp = spec2(SYM_PATCH_BOX, 2, SYM_PATCH_ROTATE, 60);
    sym_patch_spec med = {.n = 1, .kind = {SYM_PATCH_MEDIAN}, .a = {1}};
    double A[D * D], T[D * D], *X = malloc(sizeof(double) * N * D), *Y = malloc(sizeof(double) * N * D),
           *F = malloc(sizeof(double) * N * D);
    sym_rng r;

    (void)st;
    fit_pairs(&rot, A);
    check_ok(sym_patch_spec_matrix(T, &rot, H, H));
    printf("rot90 pairs: |A - T| %.2e\n", maxdiff(A, T, D * D));
    assert_true(maxdiff(A, T, D * D) < 1e-12);
    fit_pairs(&comp, A);
    check_ok(sym_patch_spec_matrix(T, &comp, H, H));
    printf("box 2, rotate 60 pairs: |A - T| %.2e\n", maxdiff(A, T, D * D));
    assert_true(maxdiff(A, T, D * D) < 1e-12);
    /* control: the median is not linear, so the best A leaves a residual on its pairs */
    sym_rng_init(&r, 4, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * D; i++)
        X[i] = sym_rng_normal(&r);
    check_ok(sym_patch_spec_apply(Y, X, N, &med, H, H));
    check_ok(sym_lgroup_fit(A, X, Y, N, D));
    sym_gemm(0, 1, N, D, D, 1.0, X, A, 0.0, F);
    printf("median pairs: residual of the best linear fit %.3f\n", maxdiff(F, Y, (size_t)N * D));
    assert_true(maxdiff(F, Y, (size_t)N * D) > 0.1);
    free(X);
    free(Y);
    free(F);
}

static void test_sym_patch_text(void **st)
{
    sym_patch_spec s = {.n = 3, .kind = {SYM_PATCH_BOX, SYM_PATCH_ROTATE, SYM_PATCH_SHIFT}, .a = {2, 60, 1}, .b = {0, 0, -1}};
    char buf[64];

    (void)st;
    sym_patch_spec_text(buf, sizeof buf, &s);
    assert_string_equal(buf, "box 2, rotate 60, shift 1 -1");
    sym_patch_spec_text(buf, 8, &s);
    assert_string_equal(buf, "box 2, ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sym_patch_composition_is_product),
        cmocka_unit_test(test_sym_patch_rot90_and_rotate),
        cmocka_unit_test(test_sym_patch_shift_power),
        cmocka_unit_test(test_sym_patch_median),
        cmocka_unit_test(test_sym_patch_pairs_fit),
        cmocka_unit_test(test_sym_patch_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
