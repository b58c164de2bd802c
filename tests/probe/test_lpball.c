/*
 * Ex4: l_p balls.  Rotations preserve only the l2 norm; signed permutations
 * preserve every l_p (quasi-)norm; projections land where the KKT conditions
 * say; l1-constrained optima are sparse, l2 ones are not.
 */
#include "check.h"

#include <math.h>

#include "symsweep/sym.h"

static void test_probe_lp_isometries(void **state)
{
    const double ps[] = {0.5, 1, 1.5, 2, 3, 4, INFINITY};
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 1, SYM_RNG_TEST, 0);
    for (int k = 0; k < 7; k++) {
        double rot, sp, gen;

        check_ok(sym_lp_norm_change(&rot, 3, ps[k], SYM_GROUP_ORTHOGONAL, 10, 100, &r));
        check_ok(sym_lp_norm_change(&sp, 3, ps[k], SYM_GROUP_SIGNED_PERMUTATION, 10, 100, &r));
        check_ok(sym_lp_norm_change(&gen, 3, ps[k], SYM_GROUP_GENERAL, 10, 100, &r));
        if (ps[k] == 2.0)
            assert_true(rot < 1e-14);
        else if (!(rot > 1e-3))
            fail_msg("orthogonal maps keep the l_%g ball? max change %.3g", ps[k], rot);
        assert_true(sp < 1e-14);
        assert_true(gen > 1e-3);
    }
}

static void test_probe_lp_projection_kkt(void **state)
{
    const double ps[] = {1, 1.5, 2, 3, INFINITY};
    double y[4] = {1.3, -0.2, 0.05, -2.0}, x[4], w[4];

    (void)state;
    for (int k = 0; k < 5; k++) {
        double step = 1e-6, f0 = 0, best = INFINITY;
        sym_rng r;

        sym_lp_project(x, y, 4, ps[k], 1.0, w);
        check_close1(sym_lp_norm(x, 4, ps[k]), 1.0, 1e-10, 0); /* on the boundary */
        for (int i = 0; i < 4; i++)
            f0 += (x[i] - y[i]) * (x[i] - y[i]);
        /* no feasible point nearby is closer to y */
        sym_rng_init(&r, 2, SYM_RNG_TEST, (uint32_t)k);
        for (int t = 0; t < 2000; t++) {
            double z[4], f = 0, nz;

            for (int i = 0; i < 4; i++)
                z[i] = x[i] + step * 100 * sym_rng_normal(&r);
            nz = sym_lp_norm(z, 4, ps[k]);
            if (nz > 1.0)
                for (int i = 0; i < 4; i++)
                    z[i] /= nz;
            for (int i = 0; i < 4; i++)
                f += (z[i] - y[i]) * (z[i] - y[i]);
            best = fmin(best, f);
        }
        assert_true(f0 <= best * (1 + 1e-9));
    }
    /* l1 with these numbers: (2.0 - t) + (1.3 - t) = 1 gives the soft threshold
     * t = 1.15, which keeps two coordinates */
    sym_lp_project(x, y, 4, 1.0, 1.0, w);
    check_close1(x[0], 1.3 - 1.15, 1e-15, 0);
    check_close1(x[1], 0.0, 0, 0);
    check_close1(x[3], -2.0 + 1.15, 1e-15, 0);
}

static void test_probe_lp_sparsity(void **state)
{
    double l1[2], l2[2];
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    check_ok(sym_lp_sparsity(l1, 3, 1.0, 1.0, 200, &r));
    check_ok(sym_lp_sparsity(l2, 3, 2.0, 1.0, 200, &r));
    print_message("sparse solutions: l1 %.2f (%.2f zeros), l2 %.2f\n", l1[0], l1[1], l2[0]);
    assert_true(l1[0] > 0.5);
    assert_true(l2[0] < 0.05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_lp_isometries),
        cmocka_unit_test(test_probe_lp_projection_kkt),
        cmocka_unit_test(test_probe_lp_sparsity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
