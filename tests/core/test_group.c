#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/core.h"

enum { N = 6 };

static void sample(double *K, sym_group g, sym_rng *r)
{
    sym_group_opts o = SYM_GROUP_OPTS_INIT;
    double work[3 * N * N + N];

    assert_true(sym_group_work_size(N) <= sizeof(work) / sizeof(double));
    check_ok(sym_group_sample(K, g, N, &o, r, work));
}

static void test_core_group_orthogonal_is_orthogonal(void **state)
{
    double K[N * N], P[N * N], I[N * N];
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    sym_eye(I, N);
    for (int t = 0; t < 50; t++) {
        sample(K, SYM_GROUP_ORTHOGONAL, &r);
        sym_gemm(1, 0, N, N, N, 1.0, K, K, 0.0, P);
        check_close(P, I, N * N, 1e-14, 0);
    }
}

static void test_core_group_general_condition_bound(void **state)
{
    double K[N * N], s[N];
    double *work = calloc(sym_svd_work_size(N, N), sizeof(double));
    sym_rng r;
    double worst = 1.0;

    (void)state;
    sym_rng_init(&r, 4, SYM_RNG_TEST, 0);
    for (int t = 0; t < 200; t++) {
        sample(K, SYM_GROUP_GENERAL, &r);
        check_ok(sym_svd(s, NULL, NULL, K, N, N, work));
        assert_true(s[0] / s[N - 1] <= 10.0 * (1 + 1e-12));
        worst = s[0] / s[N - 1] > worst ? s[0] / s[N - 1] : worst;
    }
    /* and the bound is approached: a sampler returning orthogonal matrices would fail */
    assert_true(worst > 5.0);
    free(work);
}

/* monomial families: one non-zero per row and column, with the sign/magnitude rule */
static void check_monomial(const double *K, int need_pos, int need_unit, int need_diag)
{
    int col_seen[N] = {0};

    for (int i = 0; i < N; i++) {
        int nz = 0;

        for (int j = 0; j < N; j++) {
            double v = K[i * N + j];

            if (v == 0.0)
                continue;
            nz++;
            col_seen[j]++;
            if (need_pos)
                assert_true(v > 0.0);
            if (need_unit)
                assert_true(fabs(v) == 1.0);
            if (need_diag)
                assert_int_equal(i, j);
        }
        assert_int_equal(nz, 1);
    }
    for (int j = 0; j < N; j++)
        assert_int_equal(col_seen[j], 1);
}

static void test_core_group_discrete_families(void **state)
{
    double K[N * N];
    sym_rng r;
    int saw_neg = 0, saw_offdiag = 0, saw_nonunit = 0;

    (void)state;
    sym_rng_init(&r, 5, SYM_RNG_TEST, 0);
    for (int t = 0; t < 30; t++) {
        sample(K, SYM_GROUP_PERMUTATION, &r);
        check_monomial(K, 1, 1, 0);
        for (int i = 0; i < N; i++)
            saw_offdiag |= K[i * N + i] == 0.0;
        sample(K, SYM_GROUP_SIGNED_PERMUTATION, &r);
        check_monomial(K, 0, 1, 0);
        for (int i = 0; i < N * N; i++)
            saw_neg |= K[i] < 0.0;
        sample(K, SYM_GROUP_POSITIVE_MONOMIAL, &r);
        check_monomial(K, 1, 0, 0);
        for (int i = 0; i < N * N; i++)
            saw_nonunit |= K[i] != 0.0 && K[i] != 1.0;
        sample(K, SYM_GROUP_POSITIVE_DIAGONAL, &r);
        check_monomial(K, 1, 0, 1);
        sample(K, SYM_GROUP_NEGATIVE_SCALING, &r);
        check_monomial(K, 0, 0, 1);
        for (int i = 0; i < N; i++)
            assert_true(K[i * N + i] < 0.0);
    }
    assert_true(saw_neg && saw_offdiag && saw_nonunit);
}

static void test_core_group_names_round_trip(void **state)
{
    (void)state;
    for (int g = 0; g < SYM_GROUP_COUNT; g++)
        assert_int_equal(sym_group_from_name(sym_group_name(g)), g);
    assert_int_equal(sym_group_from_name("lorentz"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_group_orthogonal_is_orthogonal),
        cmocka_unit_test(test_core_group_general_condition_bound),
        cmocka_unit_test(test_core_group_discrete_families),
        cmocka_unit_test(test_core_group_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
