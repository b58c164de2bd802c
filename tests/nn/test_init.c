/*
 * Initialization: with init.bias the biases are drawn after every weight, from
 * the same stream, so the weights equal those of zero biases; normal biases
 * have mean 0 and variance scale^2, uniform ones lie in [-scale, scale] with
 * variance scale^2 / 3 (checked on 20000 draws to 4 standard errors).
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { WIDE = 20000 };

static void init(double **p, size_t *P, sym_model **m, int bias_init, double scale)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_rng r;

    o.n_layers = 2;
    o.n_encoder = 2;
    o.widths[0] = 3;
    o.widths[1] = WIDE;
    o.widths[2] = 2;
    o.bias = 1;
    o.bias_init = bias_init;
    o.bias_scale = scale;
    check_ok(sym_model_create(m, &o));
    *P = sym_model_n_params(*m);
    *p = calloc(*P, sizeof(double));
    sym_rng_init(&r, 42, SYM_RNG_INIT, 0);
    sym_model_init_params(*m, *p, &r);
}

static void moments(const double *b, int n, double *mean, double *var)
{
    double s = 0, s2 = 0;

    for (int i = 0; i < n; i++)
        s += b[i];
    *mean = s / n;
    for (int i = 0; i < n; i++)
        s2 += (b[i] - *mean) * (b[i] - *mean);
    *var = s2 / (n - 1);
}

static void test_bias_init(void **s)
{
    double *p0, *pn, *pu, mean, var, sc = 0.3;
    size_t P;
    sym_model *m0, *mn, *mu;
    double *W0 = calloc((size_t)WIDE * 3, sizeof(double)), *W1 = calloc((size_t)WIDE * 3, sizeof(double));

    (void)s;
    init(&p0, &P, &m0, 0, 0.0);
    init(&pn, &P, &mn, 1 + SYM_INIT_NORMAL, sc);
    init(&pu, &P, &mu, 1 + SYM_INIT_UNIFORM, sc);
    for (int l = 0; l < 2; l++) {
        sym_model_get_weight(m0, p0, l, W0);
        sym_model_get_weight(mn, pn, l, W1);
        assert_memory_equal(W0, W1, sizeof(double) * (l ? 2 * WIDE : 3 * WIDE));
        for (int i = 0; i < (l ? 2 : WIDE); i++)
            assert_true(sym_model_bias(m0, p0, l)[i] == 0.0);
    }
    moments(sym_model_bias(mn, pn, 0), WIDE, &mean, &var);
    printf("normal biases: mean %.4f, variance %.4f (want 0, %.4f)\n", mean, var, sc * sc);
    assert_true(fabs(mean) < 4 * sc / sqrt(WIDE));
    assert_true(fabs(var - sc * sc) < 4 * sc * sc * sqrt(2.0 / WIDE));
    moments(sym_model_bias(mu, pu, 0), WIDE, &mean, &var);
    printf("uniform biases: mean %.4f, variance %.4f (want 0, %.4f)\n", mean, var, sc * sc / 3);
    assert_true(fabs(mean) < 4 * sc / sqrt(3.0 * WIDE));
    assert_true(fabs(var - sc * sc / 3) < 4 * sc * sc * sqrt(0.8 / 9 / WIDE));
    for (int i = 0; i < WIDE; i++)
        assert_true(fabs(sym_model_bias(mu, pu, 0)[i]) <= sc);
    free(p0);
    free(pn);
    free(pu);
    free(W0);
    free(W1);
    sym_model_free(m0);
    sym_model_free(mn);
    sym_model_free(mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_bias_init)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
