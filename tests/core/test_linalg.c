#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/core.h"

#define EPS 2.220446049250313e-16

static double *expm_of(const double *A, int n)
{
    double *out = calloc((size_t)n * n, sizeof(double));
    double *work = calloc(sym_expm_work_size(n), sizeof(double));
    int *ipiv = calloc((size_t)n, sizeof(int));

    check_ok(sym_expm(out, A, n, work, ipiv));
    free(work);
    free(ipiv);
    return out;
}

static void test_core_expm_diagonal(void **state)
{
    double A[9] = {1, 0, 0, 0, -2.5, 0, 0, 0, 7}, want[9] = {0};
    double *E;

    (void)state;
    want[0] = exp(1);
    want[4] = exp(-2.5);
    want[8] = exp(7); /* norm > theta_13: exercises scaling and squaring */
    E = expm_of(A, 3);
    check_close(E, want, 9, 1e-300, 1e-14);
    free(E);
}

static void test_core_expm_rotation(void **state)
{
    /* exp([[0,-t],[t,0]]) = [[cos t, -sin t],[sin t, cos t]] */
    (void)state;
    for (double t = -9.0; t <= 9.0; t += 1.5) {
        double A[4] = {0, -t, t, 0}, want[4] = {cos(t), -sin(t), sin(t), cos(t)};
        double *E = expm_of(A, 2);

        check_close(E, want, 4, 1e-14, 0);
        free(E);
    }
}

static void test_core_expm_nilpotent_and_jordan(void **state)
{
    /* strictly upper triangular N: exp(N) = I + N + N^2/2 exactly */
    double N[9] = {0, 2, 3, 0, 0, 5, 0, 0, 0};
    double want[9] = {1, 2, 3 + 5.0, 0, 1, 5, 0, 0, 1}; /* N^2/2 has (0,2) = 2*5/2 */
    /* Jordan block lambda I + N: exp = e^lambda (I + N) */
    double J[4] = {0.7, 1.0, 0.0, 0.7}, wj[4] = {exp(0.7), exp(0.7), 0, exp(0.7)};
    double *E;

    (void)state;
    E = expm_of(N, 3);
    check_close(E, want, 9, 1e-14, 1e-14);
    free(E);
    E = expm_of(J, 2);
    check_close(E, wj, 4, 1e-15, 1e-14);
    free(E);
}

static void test_core_expm_inverse_and_2x2_closed_form(void **state)
{
    /* 2x2 closed form: A = [[a,b],[c,d]], s = (a+d)/2, q = sqrt(((a-d)/2)^2 + bc)
     * exp(A) = e^s [(cosh q - s sinh q / q) I + sinh q / q A] */
    double A[4] = {1, 2, 3, 4}, s = 2.5, q = sqrt(2.25 + 6.0);
    double c = cosh(q) - s * sinh(q) / q, k = sinh(q) / q, e = exp(s);
    double want[4] = {e * (c + k * 1), e * k * 2, e * k * 3, e * (c + k * 4)};
    sym_rng r;
    double M[36], Mneg[36], P[36], I[36];
    double *E, *F;

    (void)state;
    E = expm_of(A, 2);
    check_close(E, want, 4, 0, 1e-14);
    free(E);
    /* exp(M) exp(-M) = I for a random 6x6 of norm ~ 10 */
    sym_rng_init(&r, 1, SYM_RNG_TEST, 0);
    for (int i = 0; i < 36; i++) {
        M[i] = 1.5 * sym_rng_normal(&r);
        Mneg[i] = -M[i];
    }
    E = expm_of(M, 6);
    F = expm_of(Mneg, 6);
    sym_gemm(0, 0, 6, 6, 6, 1.0, E, F, 0.0, P);
    sym_eye(I, 6);
    check_close(P, I, 36, 1e-11, 0); /* cond(exp(M)) amplifies rounding */
    /* the pair: exp(M) and exp(-M) at once, bitwise the two separate calls, with squarings
     * (norm ~ 10 > theta_13) and without (M / 100) */
    for (int pass = 0; pass < 2; pass++) {
        double K[36], Ki[36], *work = calloc(sym_expm_work_size(6), sizeof(double));
        int ipiv[6];

        check_ok(sym_expm_pair(K, Ki, M, 6, work, ipiv));
        assert_memory_equal(K, E, sizeof(K));
        assert_memory_equal(Ki, F, sizeof(Ki));
        free(work);
        free(E);
        free(F);
        for (int i = 0; i < 36; i++) {
            M[i] /= 100.0;
            Mneg[i] = -M[i];
        }
        E = expm_of(M, 6);
        F = expm_of(Mneg, 6);
    }
    free(E);
    free(F);
}

static void test_core_inverse_svd_syev_residuals(void **state)
{
    enum { N = 7, M = 5 };
    sym_rng r;
    double A[N * N], Ai[N * N], P[N * N], I[N * N], work[N * N];
    int ipiv[N];
    double B[M * N], s[M], U[M * M], Vt[M * N], R[M * N], US[M * M];
    double S[N * N], w[N], V[N * N], AV[N * N];
    double *sw = calloc(sym_svd_work_size(M, N) + sym_syev_work_size(N), sizeof(double));

    (void)state;
    sym_rng_init(&r, 2, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * N; i++)
        A[i] = sym_rng_normal(&r);
    check_ok(sym_mat_inverse(Ai, A, N, work, ipiv));
    sym_gemm(0, 0, N, N, N, 1.0, A, Ai, 0.0, P);
    sym_eye(I, N);
    check_close(P, I, N * N, 1e3 * N * EPS, 0);

    /* singular matrix: an error, not a crash */
    memset(P, 0, sizeof(P));
    assert_int_equal(sym_mat_inverse(Ai, P, N, work, ipiv), SYM_ENUMERIC);

    /* thin SVD reconstructs B [M x N] */
    for (int i = 0; i < M * N; i++)
        B[i] = sym_rng_normal(&r);
    check_ok(sym_svd(s, U, Vt, B, M, N, sw));
    for (int i = 0; i + 1 < M; i++)
        assert_true(s[i] >= s[i + 1]);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            US[i * M + j] = U[i * M + j] * s[j];
    sym_gemm(0, 0, M, N, M, 1.0, US, Vt, 0.0, R);
    check_close(R, B, M * N, 1e2 * N * EPS * s[0], 0);

    /* symmetric eigenproblem: S V = V diag(w) */
    sym_gemm(0, 1, N, N, N, 1.0, A, A, 0.0, S);
    check_ok(sym_syev(w, V, S, N, sw));
    sym_gemm(0, 0, N, N, N, 1.0, S, V, 0.0, AV);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            P[i * N + j] = V[i * N + j] * w[j];
    check_close(AV, P, N * N, 1e2 * N * EPS * w[N - 1], 0);
    free(sw);
}

/* the best of all n! permutations, by Heap's algorithm */
static double brute_best(const double *C, int n)
{
    int a[8], c[8] = {0}, i = 1;
    double best = -INFINITY;

    for (int k = 0; k < n; k++)
        a[k] = k;
    for (;;) {
        double t = 0.0;

        for (int k = 0; k < n; k++)
            t += C[k * n + a[k]];
        best = fmax(best, t);
        while (i < n && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i >= n)
            break;
        {
            int j = i % 2 ? c[i] : 0, x = a[j];

            a[j] = a[i];
            a[i] = x;
        }
        c[i]++;
        i = 1;
    }
    return best;
}

/* the Hungarian method against brute force on random, integer-tied and hidden-permutation scores */
static void test_core_assignment_brute_force(void **state)
{
    sym_rng r;
    double C[64], total;
    int perm[8], seen[8];

    (void)state;
    sym_rng_init(&r, 7, SYM_RNG_TEST, 0);
    for (int n = 1; n <= 7; n++)
        for (int trial = 0; trial < 40; trial++) {
            for (int k = 0; k < n * n; k++) /* ties from small integers every other trial */
                C[k] = trial % 2 ? (double)(int)(4.0 * sym_rng_uniform(&r)) - 2.0 : sym_rng_normal(&r);
            assert_int_equal(sym_assign_max(perm, &total, C, n), 0);
            memset(seen, 0, sizeof(seen));
            for (int k = 0; k < n; k++) {
                assert_true(perm[k] >= 0 && perm[k] < n);
                assert_int_equal(seen[perm[k]]++, 0);
            }
            assert_true(fabs(total - brute_best(C, n)) <= 1e-12 * (1.0 + fabs(total)));
        }
    /* a hidden permutation: the scores of x_i . x_sigma(j), found exactly */
    {
        int n = 6, sigma[6] = {3, 0, 5, 1, 4, 2};
        double x[6][4];

        for (int i = 0; i < n; i++)
            for (int k = 0; k < 4; k++)
                x[i][k] = sym_rng_normal(&r);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double d = 0.0;

                for (int k = 0; k < 4; k++)
                    d -= (x[i][k] - x[sigma[j]][k]) * (x[i][k] - x[sigma[j]][k]);
                C[i * n + j] = d; /* minus squared distance: 0 at the match */
            }
        assert_int_equal(sym_assign_max(perm, &total, C, n), 0);
        for (int i = 0; i < n; i++)
            assert_int_equal(sigma[perm[i]], i);
        assert_true(total == 0.0);
    }
    /* refusals: no rows, a NaN */
    assert_true(sym_assign_max(perm, NULL, C, 0) < 0);
    C[1] = NAN;
    assert_true(sym_assign_max(perm, NULL, C, 3) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_expm_diagonal),
        cmocka_unit_test(test_core_expm_rotation),
        cmocka_unit_test(test_core_expm_nilpotent_and_jordan),
        cmocka_unit_test(test_core_expm_inverse_and_2x2_closed_form),
        cmocka_unit_test(test_core_inverse_svd_syev_residuals),
        cmocka_unit_test(test_core_assignment_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
