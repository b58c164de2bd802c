/*
 * Cases whose answer is known in closed form:
 *  - the Frobenius-regularized linear autoencoder reaches the optimum of
 *    Kunin et al. (2019): W' = W^T and decoder singular values
 *    s_i^2 = max(0, 1 - lambda / c_i), c_i the eigenvalues of X^T X / (n D)
 *    (the normalization of our loss: mean over all n*D entries);
 *  - the GL(n) layer action leaves a deep linear net's function unchanged;
 *    ReLU keeps only positive monomials, and a general K visibly breaks it;
 *  - for a one-layer linear encoder/decoder the Jacobian penalty equals the
 *    weight penalty (value and gradient).
 */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

static sym_model_opts lae(int D, int d, int tied)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;

    o.kind = SYM_MODEL_AUTOENCODER;
    o.n_layers = 2;
    o.n_encoder = 1;
    o.widths[0] = D;
    o.widths[1] = d;
    o.widths[2] = D;
    o.tied = tied;
    return o;
}

static void test_nn_frobenius_lae_reaches_known_optimum(void **state)
{
    enum { D = 5, d = 2, N = 40 };
    const double c[D] = {4.0, 3.0, 1.0, 0.5, 0.25}, lambda = 0.5;
    double Q[N * D], V[D * D], X[N * D], gw[3 * D * D + D], W[d * D], Wd[D * d], WdT[d * D];
    double s[d], want[d];
    double *sw = calloc(sym_svd_work_size(D, d), sizeof(double));
    double *curve;
    sym_group_opts go = SYM_GROUP_OPTS_INIT;
    sym_model_opts mo = lae(D, d, 0);
    sym_model *m;
    sym_reg reg = SYM_REG_INIT;
    sym_train_opts to = SYM_TRAIN_OPTS_INIT;
    sym_train_out tout;
    sym_data data;
    sym_rng r, sh;
    double *p;

    (void)state;
    /* X = sqrt(N D) Q diag(sqrt c) V^T with Q^T Q = I: X^T X / (N D) = V diag(c) V^T */
    sym_rng_init(&r, 9, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * D; i++)
        Q[i] = sym_rng_normal(&r);
    for (int j = 0; j < D; j++) { /* Gram-Schmidt, twice */
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (int i = 0; i < N; i++)
                    dot += Q[i * D + k] * Q[i * D + j];
                for (int i = 0; i < N; i++)
                    Q[i * D + j] -= dot * Q[i * D + k];
            }
        double nrm = 0;
        for (int i = 0; i < N; i++)
            nrm += Q[i * D + j] * Q[i * D + j];
        for (int i = 0; i < N; i++)
            Q[i * D + j] /= sqrt(nrm);
    }
    check_ok(sym_group_sample(V, SYM_GROUP_ORTHOGONAL, D, &go, &r, gw));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) {
            double acc = 0;
            for (int k = 0; k < D; k++)
                acc += Q[i * D + k] * sqrt(c[k]) * V[j * D + k];
            X[i * D + j] = sqrt((double)N * D) * acc;
        }
    data.n = N;
    data.d_in = data.d_out = D;
    data.X = data.Y = X;

    check_ok(sym_model_create(&m, &mo));
    p = calloc(sym_model_n_params(m), sizeof(double));
    sym_rng_init(&r, 10, SYM_RNG_INIT, 0);
    sym_model_init_params(m, p, &r);
    reg.kind = SYM_REG_FROBENIUS;
    reg.lambda_encoder = reg.lambda_decoder = lambda;
    to.optimizer = SYM_OPT_GD;
    to.lr = 0.1;
    to.epochs = 20000;
    to.loss_every = 1000;
    curve = calloc((size_t)sym_train_n_points(&to), sizeof(double));
    sym_rng_init(&sh, 1, SYM_RNG_SHUFFLE, 0);
    check_ok(sym_train(&tout, curve, p, m, &reg, &to, &data, &sh));
    assert_int_equal(tout.status, SYM_RUN_DONE);

    sym_model_get_weight(m, p, 0, W);  /* encoder [d x D] */
    sym_model_get_weight(m, p, 1, Wd); /* decoder [D x d] */
    for (int i = 0; i < D; i++)
        for (int j = 0; j < d; j++)
            WdT[j * D + i] = Wd[i * d + j];
    check_close(WdT, W, d * D, 1e-8, 0); /* the Transpose Theorem */
    check_ok(sym_svd(s, NULL, NULL, Wd, D, d, sw));
    for (int i = 0; i < d; i++) {
        want[i] = fmax(0.0, 1.0 - lambda / c[i]);
        s[i] *= s[i];
    }
    check_close(s, want, d, 1e-8, 0);
    free(sw);
    free(curve);
    free(p);
    sym_model_free(m);
}

/* deep linear (or ReLU) MLP 4 -> 6 -> 6 -> 3 with biases */
static sym_model_opts deep(sym_act a)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {4, 6, 6, 3};

    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = a;
    o.act[2] = SYM_ACT_LINEAR;
    o.bias = 1;
    return o;
}

/* max relative output change when K from family g acts on every hidden layer */
static double reparam_change(sym_act act, sym_group g, uint64_t seed)
{
    enum { NX = 50 };
    sym_model_opts mo = deep(act);
    sym_model *m;
    sym_eval *e;
    sym_reg none = SYM_REG_INIT;
    sym_group_opts go = SYM_GROUP_OPTS_INIT;
    sym_rng r;
    double X[NX * 4], Y0[NX * 3], Y1[NX * 3], K[36], Ki[36], gw[3 * 36 + 6], w2[2 * 36];
    int ipiv[6];
    double *p, *q, *t, worst = 0;

    check_ok(sym_model_create(&m, &mo));
    check_ok(sym_eval_create(&e, m, &none, NX));
    p = calloc(sym_model_n_params(m), sizeof(double));
    q = calloc(sym_model_n_params(m), sizeof(double));
    t = calloc(sym_model_n_params(m), sizeof(double));
    sym_rng_init(&r, seed, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    for (int l = 0; l < 3; l++) {
        double *b = sym_model_bias(m, p, l);
        for (int i = 0; i < mo.widths[l + 1]; i++)
            b[i] = 0.2 * sym_rng_normal(&r);
    }
    for (int i = 0; i < NX * 4; i++)
        X[i] = sym_rng_normal(&r);
    check_ok(sym_eval_forward(e, Y0, p, X, NX));
    for (int trial = 0; trial < 20; trial++) {
        memcpy(q, p, sym_model_n_params(m) * sizeof(double));
        for (int h = 0; h < 2; h++) {
            double work[36];
            check_ok(sym_group_sample(K, g, 6, &go, &r, gw));
            check_ok(sym_mat_inverse(Ki, K, 6, work, ipiv));
            check_ok(sym_reparam_apply(t, m, q, h, K, Ki, w2));
            memcpy(q, t, sym_model_n_params(m) * sizeof(double));
        }
        check_ok(sym_eval_forward(e, Y1, q, X, NX));
        double d = sym_max_rel_diff(Y1, Y0, NX * 3);
        worst = d > worst ? d : worst;
        /* and the parameters did move: the probe is not the identity */
        assert_true(sym_max_rel_diff(q, p, sym_model_n_params(m)) > 1e-3 ||
                    g == SYM_GROUP_PERMUTATION);
    }
    free(p);
    free(q);
    free(t);
    sym_eval_free(e);
    sym_model_free(m);
    return worst;
}

static void test_nn_reparam_linear_gl_exact(void **state)
{
    (void)state;
    for (int g = 0; g < SYM_GROUP_COUNT; g++)
        assert_true(reparam_change(SYM_ACT_LINEAR, (sym_group)g, 20 + g) < 1e-12);
}

static void test_nn_reparam_relu_centralizer(void **state)
{
    (void)state;
    /* inside Cent(ReLU) = D+ x| S_n: exact */
    assert_true(reparam_change(SYM_ACT_RELU, SYM_GROUP_POSITIVE_MONOMIAL, 31) < 1e-12);
    assert_true(reparam_change(SYM_ACT_RELU, SYM_GROUP_PERMUTATION, 32) < 1e-12);
    assert_true(reparam_change(SYM_ACT_RELU, SYM_GROUP_POSITIVE_DIAGONAL, 33) < 1e-12);
    /* outside: visibly broken */
    assert_true(reparam_change(SYM_ACT_RELU, SYM_GROUP_GENERAL, 34) > 1e-3);
    assert_true(reparam_change(SYM_ACT_RELU, SYM_GROUP_NEGATIVE_SCALING, 35) > 1e-3);
    /* sigmoid: only permutations */
    assert_true(reparam_change(SYM_ACT_SIGMOID, SYM_GROUP_PERMUTATION, 36) < 1e-12);
    assert_true(reparam_change(SYM_ACT_SIGMOID, SYM_GROUP_POSITIVE_DIAGONAL, 37) > 1e-3);
}

/* one-layer linear encoder and decoder: (1/n) sum_x ||J||  ==  ||W||  */
static void test_nn_jacobian_reduces_to_weight_norm_for_linear(void **state)
{
    enum { D = 6, d = 3, N = 9 };
    sym_model_opts mo = lae(D, d, 0);
    sym_model *m;
    sym_rng r;
    double X[N * D], *p, *g1, *g2;
    const struct { sym_reg_kind wk; sym_norm_kind jn; double p; } pairs[] = {
        {SYM_REG_FROBENIUS, SYM_NORM_FROBENIUS, 2},
        {SYM_REG_LP, SYM_NORM_LP, 1.5},
        {SYM_REG_L1, SYM_NORM_LP, 1},
        {SYM_REG_LP, SYM_NORM_LP, 4}};

    (void)state;
    mo.bias = 1; /* biases do not enter the Jacobian */
    check_ok(sym_model_create(&m, &mo));
    p = calloc(sym_model_n_params(m), sizeof(double));
    g1 = calloc(sym_model_n_params(m), sizeof(double));
    g2 = calloc(sym_model_n_params(m), sizeof(double));
    sym_rng_init(&r, 5, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    for (int i = 0; i < N * D; i++)
        X[i] = sym_rng_normal(&r);
    for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
        sym_reg wr = SYM_REG_INIT, jr = SYM_REG_INIT;
        sym_eval *ew, *ej;
        sym_loss_parts a, b;

        wr.kind = pairs[k].wk;
        wr.p = pairs[k].p;
        wr.lambda_encoder = 0.3;
        wr.lambda_decoder = 0.2;
        jr = wr;
        jr.kind = SYM_REG_JACOBIAN;
        jr.norm = pairs[k].jn;
        check_ok(sym_eval_create(&ew, m, &wr, N));
        check_ok(sym_eval_create(&ej, m, &jr, N));
        check_ok(sym_eval_loss(ew, &a, g1, p, X, X, N));
        check_ok(sym_eval_loss(ej, &b, g2, p, X, X, N));
        assert_true(a.penalty > 0.1);
        check_close1(b.penalty, a.penalty, 0, 1e-13);
        check_close(g2, g1, sym_model_n_params(m), 1e-14, 1e-12);
        sym_eval_free(ew);
        sym_eval_free(ej);
    }
    free(p);
    free(g1);
    free(g2);
    sym_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_frobenius_lae_reaches_known_optimum),
        cmocka_unit_test(test_nn_reparam_linear_gl_exact),
        cmocka_unit_test(test_nn_reparam_relu_centralizer),
        cmocka_unit_test(test_nn_jacobian_reduces_to_weight_norm_for_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
