/*
 * Ex2: centralizers of activations.  Dimensions of the infinitesimal
 * centralizer follow from the activations: linear commutes with gl(n)
 * (n^2), relu and leaky_relu with the diagonal (n: positive scalings), and
 * sigmoid, tanh, softplus with nothing continuous (0).
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "symsweep/sym.h"

enum { N = 5 };

static void test_probe_centralizer_dimensions(void **state)
{
    const int want[SYM_ACT_COUNT] = {N * N, N, N, 0, 0, 0};
    double *basis = calloc((size_t)N * N * N * N, sizeof(double));

    (void)state;
    for (int a = 0; a < SYM_ACT_COUNT; a++) {
        int dim;
        double gap;
        sym_rng r;

        sym_rng_init(&r, 3, SYM_RNG_TEST, (uint32_t)a);
        check_ok(sym_centralizer_dimension(&dim, &gap, basis, (sym_act)a, 0.1, N, 200, &r));
        if (dim != want[a])
            fail_msg("%s: dimension %d, want %d (gap %.3g)", sym_act_name((sym_act)a), dim, want[a], gap);
        if (a == SYM_ACT_RELU) {
            /* the basis spans the diagonal: each element is +-e_i e_i^T */
            for (int b = 0; b < N; b++) {
                int nz = 0;

                for (int q = 0; q < N * N; q++)
                    if (fabs(basis[b * N * N + q]) > 1e-8) {
                        nz++;
                        assert_int_equal(q / N, q % N);
                        check_close1(fabs(basis[b * N * N + q]), 1.0, 1e-10, 0);
                    }
                assert_int_equal(nz, 1);
            }
            assert_true(gap > 1e6); /* a clear separation */
        }
    }
    free(basis);
}

static void test_probe_centralizer_commutation(void **state)
{
    const struct { sym_act a; sym_group g; int exact; } cases[] = {
        {SYM_ACT_RELU, SYM_GROUP_POSITIVE_MONOMIAL, 1}, {SYM_ACT_RELU, SYM_GROUP_NEGATIVE_SCALING, 0},
        {SYM_ACT_RELU, SYM_GROUP_GENERAL, 0},           {SYM_ACT_SIGMOID, SYM_GROUP_PERMUTATION, 1},
        {SYM_ACT_SIGMOID, SYM_GROUP_POSITIVE_DIAGONAL, 0}, {SYM_ACT_TANH, SYM_GROUP_SIGNED_PERMUTATION, 1},
        {SYM_ACT_TANH, SYM_GROUP_NEGATIVE_SCALING, 0},  {SYM_ACT_LINEAR, SYM_GROUP_GENERAL, 1}};

    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        double out[2];
        sym_rng r;

        sym_rng_init(&r, 4, SYM_RNG_TEST, (uint32_t)k);
        check_ok(sym_centralizer_commutation(out, cases[k].a, 0.1, N, cases[k].g, 10, 50, &r));
        if (cases[k].exact ? !(out[1] < 1e-14) : !(out[0] > 1e-2))
            fail_msg("%s x %s: mean %.3g max %.3g", sym_act_name(cases[k].a),
                     sym_group_name(cases[k].g), out[0], out[1]);
    }
}

/* sigmoid's sign flips commute once the constant a next bias absorbs is added (the control: not without) */
static void test_probe_centralizer_sigmoid_flips(void **state)
{
    double with[2], without[2];
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 4, SYM_RNG_TEST, 0);
    check_ok(sym_centralizer_commutation_ex(with, SYM_ACT_SIGMOID, 0.0, N, SYM_GROUP_SIGNED_PERMUTATION,
                                            10, 10, &r, 1));
    check_ok(sym_centralizer_commutation_ex(without, SYM_ACT_SIGMOID, 0.0, N,
                                            SYM_GROUP_SIGNED_PERMUTATION, 10, 10, &r, 0));
    printf("sigmoid, signed permutations: commutation max %.2e affine, %.2e linear\n", with[1], without[1]);
    assert_true(with[1] < 1e-14);
    assert_true(without[1] > 1e-2);
    /* relu has no such identity: flips stay non-commuting */
    check_ok(sym_centralizer_commutation_ex(with, SYM_ACT_RELU, 0.0, N, SYM_GROUP_SIGNED_PERMUTATION,
                                            10, 10, &r, 1));
    assert_true(with[1] > 1e-2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_centralizer_dimensions),
        cmocka_unit_test(test_probe_centralizer_commutation),
        cmocka_unit_test(test_probe_centralizer_sigmoid_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
