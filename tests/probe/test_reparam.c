/*
 * Ex1: group elements at every hidden layer.  The expected pattern follows
 * from the centralizers of the activations: linear keeps GL(n), relu the
 * positive monomials, tanh (odd) the signed permutations, sigmoid only the
 * permutations.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

static double change_ex(sym_act act, sym_group g, double *e2e, int comp)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {4, 6, 5, 3};
    sym_model *m;
    sym_rng r;
    double X[40 * 4], out[4], *p;

    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = act;
    o.act[2] = SYM_ACT_LINEAR;
    o.bias = 1;
    check_ok(sym_model_create(&m, &o));
    p = calloc(sym_model_n_params(m), sizeof(double));
    sym_rng_init(&r, 8, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    for (int l = 0; l < 3; l++) {
        double *b = sym_model_bias(m, p, l);
        for (int i = 0; i < w[l + 1]; i++)
            b[i] = 0.3 * sym_rng_normal(&r);
    }
    for (int i = 0; i < 40 * 4; i++)
        X[i] = sym_rng_normal(&r);
    check_ok(sym_reparam_probe_ex(out, e2e, m, p, X, 40, g, 25, &r, comp));
    free(p);
    sym_model_free(m);
    /* a mean cannot exceed the max, except by the rounding of the sum */
    assert_true(out[0] <= out[1] * (1 + 1e-13) && out[2] <= out[3] * (1 + 1e-13));
    return out[3];
}

static double change(sym_act act, sym_group g, double *e2e) { return change_ex(act, g, e2e, 0); }

static void test_probe_reparam_centralizers(void **state)
{
    double e2e;

    (void)state;
    for (int g = 0; g < SYM_GROUP_COUNT; g++) {
        assert_true(change(SYM_ACT_LINEAR, (sym_group)g, &e2e) < 1e-12);
        assert_true(e2e < 1e-12);
    }
    assert_true(change(SYM_ACT_RELU, SYM_GROUP_POSITIVE_MONOMIAL, &e2e) < 1e-12);
    assert_true(isnan(e2e)); /* no end-to-end matrix for a nonlinear net */
    assert_true(change(SYM_ACT_RELU, SYM_GROUP_GENERAL, NULL) > 1e-3);
    assert_true(change(SYM_ACT_RELU, SYM_GROUP_SIGNED_PERMUTATION, NULL) > 1e-3);
    assert_true(change(SYM_ACT_SIGMOID, SYM_GROUP_PERMUTATION, NULL) < 1e-12);
    assert_true(change(SYM_ACT_SIGMOID, SYM_GROUP_POSITIVE_DIAGONAL, NULL) > 1e-3);
    assert_true(change(SYM_ACT_SIGMOID, SYM_GROUP_SIGNED_PERMUTATION, NULL) > 1e-3);
    assert_true(change(SYM_ACT_TANH, SYM_GROUP_SIGNED_PERMUTATION, NULL) < 1e-12);
    assert_true(change(SYM_ACT_TANH, SYM_GROUP_POSITIVE_MONOMIAL, NULL) > 1e-3);
}

/*
 * sigmoid(-u) = 1 - sigmoid(u): a sign flip of unit j is a symmetry once the next bias takes
 * W_{h+1}[:, j].  With that compensation the signed permutations (order 2^n n! per layer) and
 * the negative scalings' signs are sigmoid's symmetry; without it (the control) they are not;
 * general elements stay none; the odd tanh is unchanged by the compensation (nothing to add).
 */
static void test_probe_reparam_sigmoid_sign_flips(void **state)
{
    double with, without;

    (void)state;
    with = change_ex(SYM_ACT_SIGMOID, SYM_GROUP_SIGNED_PERMUTATION, NULL, 1);
    without = change_ex(SYM_ACT_SIGMOID, SYM_GROUP_SIGNED_PERMUTATION, NULL, 0);
    printf("sigmoid, signed permutations: max relative output change %.2e with the bias "
           "compensation, %.2e without\n", with, without);
    assert_true(with < 1e-12);
    assert_true(without > 1e-3);
    assert_true(change_ex(SYM_ACT_SIGMOID, SYM_GROUP_PERMUTATION, NULL, 1) < 1e-12);
    assert_true(change_ex(SYM_ACT_SIGMOID, SYM_GROUP_GENERAL, NULL, 1) > 1e-3);
    assert_true(change_ex(SYM_ACT_TANH, SYM_GROUP_SIGNED_PERMUTATION, NULL, 1) < 1e-12);
    /* relu is not odd up to a constant: flips stay no symmetry */
    assert_true(change_ex(SYM_ACT_RELU, SYM_GROUP_SIGNED_PERMUTATION, NULL, 1) > 1e-3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_probe_reparam_centralizers),
                                       cmocka_unit_test(test_probe_reparam_sigmoid_sign_flips)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
