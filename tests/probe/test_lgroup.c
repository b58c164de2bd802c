/*
 * Learned linear groups (seed 003): the measurements of a learned A and the patch transforms,
 * against closed forms.
 *   - The quarter turn of 6 x 6 patches is a permutation with T^4 = I exactly and T^2 != I; a
 *     rotation by 90 degrees through bilinear interpolation is the same matrix to rounding.
 *   - A least-squares fit of A on 200 random patches x and y = T x recovers T to rounding.
 *   - For A = T, p = 4: closure 0, every eigenvalue a 4th root of unity, distance 0 to the
 *     nearest permutation and to T (power 1), and to T^3 = T^-1 (power 3) for A = T^3.
 *   - The directions of A the filters cannot see: d (d - p + 1) for a generic b (1,188 of
 *     1,296 at d = 36, p = 4, as the issue states); d (d - 1) when b is an eigenvector of A
 *     (every filter is a multiple of b: the negative control).  Their share of ||A||^2 for
 *     a random A is about (d - p + 1) / d.
 *   - Structure classes: a random skew-symmetric matrix has skew distance 0; a random
 *     circulant has circulant and Toeplitz distance 0; a random Toeplitz matrix has Toeplitz
 *     distance 0 and a circulant distance well above 0; a random matrix none of them.
 *   - A box average's rows sum to 1; a cyclic shift composed h times is I.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

enum { H = 6, D = 36 };

static double maxdiff(const double *a, const double *b, size_t n)
{
    double m = 0.0;

    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void matpow(double *out, const double *A, int d, int k)
{
    double *w = calloc((size_t)d * d, sizeof(double));

    memset(out, 0, sizeof(double) * (size_t)d * d);
    for (int i = 0; i < d; i++)
        out[i * d + i] = 1.0;
    for (int t = 0; t < k; t++) {
        sym_gemm(0, 0, d, d, d, 1.0, A, out, 0.0, w);
        memcpy(out, w, sizeof(double) * (size_t)d * d);
    }
    free(w);
}

static int is_identity(const double *A, int d)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            if (A[i * d + j] != (i == j ? 1.0 : 0.0))
                return 0;
    return 1;
}

static void test_rot90(void **s)
{
    double T[D * D], R[D * D], P[D * D];

    (void)s;
    check_ok(sym_patch_transform(T, H, H, SYM_PATCH_ROT90, 0, 0));
    matpow(P, T, D, 4);
    assert_true(is_identity(P, D)); /* exactly: a permutation */
    matpow(P, T, D, 2);
    assert_false(is_identity(P, D));
    /* pixel (0, 0) goes where a quarter turn sends it: y(i, j) = x(j, 5 - i) */
    assert_true(T[(0 * H + 5) * D + 5 * H + 5] == 1.0);
    check_ok(sym_patch_transform(R, H, H, SYM_PATCH_ROTATE, 90.0, 0));
    printf("bilinear rotation by 90 vs the quarter turn: %.2e\n", maxdiff(R, T, D * D));
    assert_true(maxdiff(R, T, D * D) < 1e-12);
    check_ok(sym_patch_transform(R, H, H, SYM_PATCH_ROTATE, 30.0, 0));
    assert_true(maxdiff(R, T, D * D) > 0.1); /* not a quarter turn */
    assert_int_equal(sym_patch_transform(R, 6, 5, SYM_PATCH_ROT90, 0, 0), SYM_EINVAL);
}

static void test_fit_recovers_rotation(void **s)
{
    enum { N = 200 };
    double *X = malloc(sizeof(double) * N * D), *Y = malloc(sizeof(double) * N * D), T[D * D], A[D * D];
    sym_rng r;

    (void)s;
    sym_rng_init(&r, 1, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * D; i++)
        X[i] = sym_rng_normal(&r);
    check_ok(sym_patch_transform(T, H, H, SYM_PATCH_ROT90, 0, 0));
    sym_gemm(0, 1, N, D, D, 1.0, X, T, 0.0, Y); /* rows y_i = T x_i */
    check_ok(sym_lgroup_fit(A, X, Y, N, D));
    printf("least-squares A vs T: %.2e\n", maxdiff(A, T, D * D));
    assert_true(maxdiff(A, T, D * D) < 1e-12);
    free(X);
    free(Y);
}

static void test_measure_rotation(void **s)
{
    double T[D * D], T3[D * D], b[D], re[D], im[D];
    sym_lgroup_stats st;
    sym_rng r;

    (void)s;
    sym_rng_init(&r, 2, SYM_RNG_TEST, 0);
    for (int i = 0; i < D; i++)
        b[i] = sym_rng_normal(&r);
    check_ok(sym_patch_transform(T, H, H, SYM_PATCH_ROT90, 0, 0));
    check_ok(sym_lgroup_measure(&st, re, im, T, b, D, 4, T));
    printf("A = T: closure %.1e roots %.1e perm %.1e ref %.1e (r %d) cond %.3g invisible %d share %.3f\n",
           st.closure, st.root_distance, st.permutation, st.reference, st.reference_power, st.cond,
           st.invisible_dim, st.invisible_share);
    assert_true(st.closure == 0.0);
    assert_true(st.root_distance < 1e-12);
    assert_true(st.permutation < 1e-12);
    assert_true(st.reference == 0.0 && st.reference_power == 1);
    assert_true(fabs(st.cond - 1.0) < 1e-12 && fabs(st.sigma_min - 1.0) < 1e-12);
    assert_int_equal(st.invisible_dim, D * (D - 3));
    /* T^3 = T^-1: recovered at power 3; p = 3 would not close it */
    matpow(T3, T, D, 3);
    check_ok(sym_lgroup_measure(&st, NULL, NULL, T3, b, D, 4, T));
    assert_true(st.reference == 0.0 && st.reference_power == 3);
    check_ok(sym_lgroup_measure(&st, NULL, NULL, T, b, D, 3, NULL));
    assert_true(st.closure > 0.5 && st.root_distance > 0.5);
    assert_true(isnan(st.reference) && st.reference_power == -1);
}

static void test_invisible_directions(void **s)
{
    double A[D * D], b[D], C[D * D];
    sym_lgroup_stats st;
    sym_rng r;

    (void)s;
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    for (int i = 0; i < D * D; i++)
        A[i] = sym_rng_normal(&r) / 6.0;
    for (int i = 0; i < D; i++)
        b[i] = sym_rng_normal(&r);
    check_ok(sym_lgroup_measure(&st, NULL, NULL, A, b, D, 4, NULL));
    printf("random A, d 36, p 4: invisible %d of %d, share %.3f (about %.3f)\n", st.invisible_dim,
           D * D, st.invisible_share, (D - 3.0) / D);
    assert_int_equal(st.invisible_dim, 1188);
    assert_true(fabs(st.invisible_share - (D - 3.0) / D) < 0.05);
    /* moving A along an invisible direction leaves the filters unchanged exactly (to
     * rounding), along a visible one it changes them at first order */
    {
        double F0[4 * D], F1[4 * D], A1[D * D], dA[D * D], V[D * 3], n1, n2;

        check_ok(sym_lgroup_filters(F0, A, b, D, 3));
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < D; i++)
                V[i * 3 + k] = F0[k * D + i];
        /* dA = u w^T with w orthogonal to V's columns: dA V = 0 */
        for (int i = 0; i < D; i++)
            C[i] = sym_rng_normal(&r);
        {   /* project C off span(V) by least squares: C - V (V^T V)^-1 V^T C */
            double G[9] = {0}, g[3] = {0}, Gi[9], work[9];
            int ipiv[3];

            for (int a = 0; a < 3; a++) {
                for (int c = 0; c < 3; c++)
                    for (int i = 0; i < D; i++)
                        G[a * 3 + c] += V[i * 3 + a] * V[i * 3 + c];
                for (int i = 0; i < D; i++)
                    g[a] += V[i * 3 + a] * C[i];
            }
            check_ok(sym_mat_inverse(Gi, G, 3, work, ipiv));
            for (int i = 0; i < D; i++)
                for (int a = 0; a < 3; a++)
                    for (int c = 0; c < 3; c++)
                        C[i] -= V[i * 3 + a] * Gi[a * 3 + c] * g[c];
        }
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++)
                dA[i * D + j] = (i == 5) * C[j];
        for (int i = 0; i < D * D; i++)
            A1[i] = A[i] + 1e-4 * dA[i];
        check_ok(sym_lgroup_filters(F0, A, b, D, 4));
        check_ok(sym_lgroup_filters(F1, A1, b, D, 4));
        n1 = maxdiff(F0, F1, 4 * D);
        for (int j = 0; j < D; j++)
            dA[5 * D + j] = b[j]; /* visible: dA b != 0 */
        for (int i = 0; i < D * D; i++)
            A1[i] = A[i] + 1e-4 * dA[i];
        check_ok(sym_lgroup_filters(F1, A1, b, D, 4));
        n2 = maxdiff(F0, F1, 4 * D);
        printf("filters moved by an invisible step %.2e, a visible one %.2e\n", n1, n2);
        assert_true(n1 < 1e-10 && n2 > 1e-5);
    }
    /* negative control: b an eigenvector (A = diag, b = e_1): every filter is a multiple of b */
    memset(A, 0, sizeof(A));
    for (int i = 0; i < D; i++)
        A[i * D + i] = 1.0 + 0.1 * i;
    memset(b, 0, sizeof(b));
    b[0] = 1.0;
    check_ok(sym_lgroup_measure(&st, NULL, NULL, A, b, D, 4, NULL));
    assert_int_equal(st.invisible_dim, D * (D - 1));
}

static void test_structure_classes(void **s)
{
    double A[D * D], b[D], c[2 * D];
    sym_lgroup_stats st;
    sym_rng r;

    (void)s;
    sym_rng_init(&r, 4, SYM_RNG_TEST, 0);
    for (int i = 0; i < D; i++)
        b[i] = sym_rng_normal(&r);
    for (int i = 0; i < 2 * D; i++)
        c[i] = sym_rng_normal(&r);
    for (int i = 0; i < D; i++) /* skew-symmetric */
        for (int j = 0; j <= i; j++) {
            A[i * D + j] = i == j ? 0.0 : c[(i + 3 * j) % (2 * D)];
            A[j * D + i] = -A[i * D + j];
        }
    check_ok(sym_lgroup_measure(&st, NULL, NULL, A, b, D, 4, NULL));
    assert_true(st.skew == 0.0 && st.toeplitz > 0.5);
    for (int i = 0; i < D; i++) /* circulant: A[i][j] = c[(j - i) mod d] */
        for (int j = 0; j < D; j++)
            A[i * D + j] = c[((j - i) % D + D) % D];
    check_ok(sym_lgroup_measure(&st, NULL, NULL, A, b, D, 4, NULL));
    assert_true(st.circulant < 1e-15 && st.toeplitz < 1e-15 && st.skew > 0.3);
    for (int i = 0; i < D; i++) /* Toeplitz: A[i][j] = c[j - i + d - 1] */
        for (int j = 0; j < D; j++)
            A[i * D + j] = c[j - i + D - 1];
    check_ok(sym_lgroup_measure(&st, NULL, NULL, A, b, D, 4, NULL));
    printf("toeplitz: toeplitz %.1e circulant %.3f\n", st.toeplitz, st.circulant);
    assert_true(st.toeplitz < 1e-15 && st.circulant > 0.3);
    for (int i = 0; i < D * D; i++)
        A[i] = sym_rng_normal(&r);
    check_ok(sym_lgroup_measure(&st, NULL, NULL, A, b, D, 4, NULL));
    assert_true(st.toeplitz > 0.8 && st.circulant > 0.8 && st.skew > 0.5 && st.permutation > 0.8);
}

static void test_shift_and_box(void **s)
{
    double T[D * D], P[D * D], pat[D];

    (void)s;
    check_ok(sym_patch_transform(T, H, H, SYM_PATCH_SHIFT, 1, 0));
    matpow(P, T, D, H);
    assert_true(is_identity(P, D));
    matpow(P, T, D, H - 1);
    assert_false(is_identity(P, D));
    check_ok(sym_patch_transform(T, H, H, SYM_PATCH_BOX, 1, 0));
    for (int i = 0; i < D; i++) {
        double sum = 0;

        for (int j = 0; j < D; j++)
            sum += T[i * D + j];
        assert_true(fabs(sum - 1.0) < 1e-15);
    }
    assert_true(fabs(T[0] - 0.25) < 1e-15); /* the corner averages its 2 x 2 neighbourhood */
    /* the identity pattern under the quarter turn is the anti-diagonal */
    check_ok(sym_patch_transform(T, H, H, SYM_PATCH_ROT90, 0, 0));
    sym_lgroup_identity_pattern(pat, T, H);
    for (int i = 0; i < H; i++)
        for (int j = 0; j < H; j++)
            assert_true(pat[i * H + j] == (i + j == H - 1 ? 1.0 : 0.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rot90),
        cmocka_unit_test(test_fit_recovers_rotation),
        cmocka_unit_test(test_measure_rotation),
        cmocka_unit_test(test_invisible_directions),
        cmocka_unit_test(test_structure_classes),
        cmocka_unit_test(test_shift_and_box),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
