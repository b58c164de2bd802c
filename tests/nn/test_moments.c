/*
 * The second-moment path (train.moments, src/nn/moments.c) against the per-sample path.  For
 * linear networks of every form (an MLP with and without biases, a deep MLP, untied and tied
 * autoencoders) under the penalties the path keeps (none, frobenius, l1):
 *   - the objective and its gradient agree with sym_eval_data_loss on the samples to rounding
 *     (relative 1e-11), at a random point and at a trained one, where the loss is small and a
 *     formula sum x x^T - 2 ... + y y^T would lose its digits to cancellation;
 *   - training with moments: on ends where training per sample ends, to rounding;
 *   - auto takes the path only when it costs less (sym_moments_cheaper's closed form);
 *   - refusals name the reason (a relu layer, cross-entropy, a Jacobian penalty, minibatches).
 * Negative control: moments of data one entry of which then moves by 1e-6 disagree with the
 * per-sample objective far beyond the tolerance (the comparison sees a stale moment).
 */
#include "check.h"
#include "models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { N = 300 };

static sym_model_opts mlp(const int *w, int layers, int bias)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;

    o.kind = SYM_MODEL_MLP;
    o.n_layers = o.n_encoder = layers;
    memcpy(o.widths, w, sizeof(int) * (size_t)(layers + 1));
    o.bias = bias;
    return o;
}

/* the article's Ex3 shape: an autoencoder 8 -> 3 -> 8 (tied: the decoder is W^T) */
static sym_model_opts ae838(int tied, int bias)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    static const int w[] = {8, 3, 8};

    o.kind = SYM_MODEL_AUTOENCODER;
    o.n_layers = 2;
    o.n_encoder = 1;
    memcpy(o.widths, w, sizeof(w));
    o.tied = tied;
    o.bias = bias;
    return o;
}

static sym_reg reg_of(int k)
{
    sym_reg r = SYM_REG_INIT;

    r.lambda_encoder = 0.01;
    r.lambda_decoder = 0.02;
    r.kind = k == 0 ? SYM_REG_NONE : k == 1 ? SYM_REG_FROBENIUS : SYM_REG_L1;
    return r;
}

/* data of the model's shape: a noisy linear teacher, or autoencoding data (Y == X) */
static void make_data(sym_data *d, const sym_model_opts *o, int autoenc, uint64_t seed)
{
    sym_rng r;
    int din = o->widths[0], dout = o->widths[o->n_layers];

    sym_rng_init(&r, seed, SYM_RNG_DATA, 0);
    memset(d, 0, sizeof(*d));
    d->n = N;
    d->d_in = din;
    d->d_out = dout;
    d->X = calloc((size_t)N * din, sizeof(double));
    for (int i = 0; i < N * din; i++)
        d->X[i] = 1.5 + sym_rng_normal(&r); /* off-centre: the bias column matters */
    if (autoenc) {
        d->Y = d->X;
        return;
    }
    d->Y = calloc((size_t)N * dout, sizeof(double));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < dout; j++) {
            double s = 0.3 * sym_rng_normal(&r);

            for (int k = 0; k < din; k++)
                s += d->X[(size_t)i * din + k] * (double)((j + 2 * k) % 5 - 2) / din;
            d->Y[(size_t)i * dout + j] = s;
        }
}

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-300); }

/* the objective and gradient both ways at params; returns the worst relative error */
static double compare(const sym_model *m, const sym_reg *reg, const sym_data *d, const double *p)
{
    size_t P = sym_model_n_params(m);
    double *g0 = calloc(P, sizeof(double)), *g1 = calloc(P, sizeof(double)), gn = 0, ge = 0, xmax = 0;
    sym_eval *e = NULL;
    sym_eval_data b0, b1;
    sym_loss_parts l0, l1;

    check_ok(sym_eval_create(&e, m, reg, d->n));
    check_ok(sym_eval_data_init(&b0, e, d));
    check_ok(sym_eval_data_init(&b1, e, d));
    check_ok(sym_eval_data_moments(&b1, e));
    check_ok(sym_eval_data_loss(e, &l0, g0, p, &b0));
    check_ok(sym_eval_data_loss(e, &l1, g1, p, &b1));
    for (size_t i = 0; i < P; i++) {
        gn = fmax(gn, fabs(g0[i]));
        ge = fmax(ge, fabs(g1[i] - g0[i]));
    }
    assert_true(l1.penalty == l0.penalty);
    sym_eval_data_dispose(&b0);
    sym_eval_data_dispose(&b1);
    sym_eval_free(e);
    free(g0);
    free(g1);
    /* near a minimum the gradient is a sum of terms r_i x_i (residual times input) that
     * cancel: its rounding is relative to their size, 2 sqrt(loss) max|x|, not to the sum */
    for (int i = 0; i < d->n * d->d_in; i++)
        xmax = fmax(xmax, fabs(d->X[i]));
    return fmax(rel(l1.data, l0.data), ge / fmax(gn, 2.0 * sqrt(l0.data) * xmax));
}

static void check_model(sym_model_opts o, int autoenc, const char *what)
{
    for (int k = 0; k < 3; k++) {
        sym_reg reg = reg_of(k);
        sym_model *m = NULL;
        sym_data d;
        sym_rng r;
        sym_train_opts t = SYM_TRAIN_OPTS_INIT;
        sym_train_out out;
        double *p, *q, *curve, err0, err1, werr = 0, wn = 0;
        size_t P;

        check_ok(sym_model_create(&m, &o));
        P = sym_model_n_params(m);
        make_data(&d, &o, autoenc, 3);
        p = calloc(P, sizeof(double));
        q = calloc(P, sizeof(double));
        sym_rng_init(&r, 5, SYM_RNG_INIT, 0);
        sym_model_init_params(m, p, &r);
        for (int l = 0; o.bias && l < o.n_layers; l++)
            for (int i = 0; i < o.widths[l + 1]; i++)
                sym_model_bias(m, p, l)[i] = 0.2 * sym_rng_normal(&r);
        err0 = compare(m, &reg, &d, p);
        /* train per sample, then compare at the trained point (small loss) */
        t.optimizer = SYM_OPT_ADAM;
        t.lr = 0.01;
        t.epochs = 300;
        t.loss_every = 300;
        curve = calloc((size_t)sym_train_n_points(&t), sizeof(double));
        memcpy(q, p, P * sizeof(double));
        check_ok(sym_train(&out, curve, p, m, &reg, &t, &d, NULL));
        err1 = compare(m, &reg, &d, p);
        /* the same training by moments ends at the same point, to rounding */
        t.moments = SYM_MOMENTS_ON;
        check_ok(sym_train(&out, curve, q, m, &reg, &t, &d, NULL));
        for (size_t i = 0; i < P; i++) {
            wn = fmax(wn, fabs(p[i]));
            werr = fmax(werr, fabs(q[i] - p[i]));
        }
        printf("%-34s %-9s random %.1e trained %.1e (loss %.3g) weights %.1e\n", what,
               sym_reg_names[reg.kind], err0, err1, out.final.data, werr / wn);
        assert_true(err0 < 1e-11);
        assert_true(err1 < 1e-11);
        /* l1's kinks can amplify a rounding difference for a few steps */
        assert_true(werr / wn < (reg.kind == SYM_REG_L1 ? 1e-6 : 1e-9));
        free(curve);
        free(p);
        free(q);
        if (d.Y != d.X)
            free(d.Y);
        free(d.X);
        sym_model_free(m);
    }
}

static void test_moments_match_per_sample(void **s)
{
    static const int w2[] = {5, 4, 3}, w4[] = {4, 6, 6, 3}, w5[] = {6, 4, 3, 4, 6};

    (void)s;
    check_model(mlp(w2, 2, 1), 0, "mlp [5, 4, 3] bias");
    check_model(mlp(w2, 2, 0), 0, "mlp [5, 4, 3]");
    check_model(mlp(w4, 3, 1), 0, "mlp [4, 6, 6, 3] bias");
    check_model(ae838(0, 0), 1, "autoencoder 8-3-8");
    check_model(ae838(0, 1), 1, "autoencoder 8-3-8 bias");
    check_model(ae838(1, 0), 1, "tied autoencoder 8-3-8");
    check_model(sym_test_autoencoder(w5, SYM_ACT_LINEAR, SYM_ACT_LINEAR, 1, 1), 1, "tied autoencoder 6-4-3-4-6 bias");
}

static void test_moments_refusals_and_cost(void **s)
{
    static const int w2[] = {5, 4, 3}, wb[] = {784, 256, 10};
    sym_model_opts o = mlp(w2, 2, 1);
    sym_reg none = SYM_REG_INIT, jac = SYM_REG_INIT;
    sym_model *m = NULL;
    char why[160];
    sym_eval *e = NULL;
    sym_eval_data b;
    sym_data d;

    (void)s;
    jac.kind = SYM_REG_JACOBIAN;
    jac.lambda_encoder = 0.1;
    o.act[0] = SYM_ACT_RELU;
    check_ok(sym_model_create(&m, &o));
    assert_false(sym_moments_apply(m, &none, why, sizeof(why)));
    assert_non_null(strstr(why, "layer 1 has activation relu"));
    /* sym_eval_data_moments refuses with the reason */
    make_data(&d, &o, 0, 1);
    check_ok(sym_eval_create(&e, m, &none, N));
    check_ok(sym_eval_data_init(&b, e, &d));
    assert_int_equal(sym_eval_data_moments(&b, e), SYM_EINVAL);
    assert_non_null(strstr(sym_err_message(), "train.moments: layer 1 has activation relu"));
    sym_eval_data_dispose(&b);
    sym_eval_free(e);
    sym_model_free(m);
    o.act[0] = SYM_ACT_LINEAR;
    o.loss = SYM_LOSS_CROSS_ENTROPY;
    check_ok(sym_model_create(&m, &o));
    assert_false(sym_moments_apply(m, &none, why, sizeof(why)));
    assert_non_null(strstr(why, "cross_entropy"));
    sym_model_free(m);
    o.loss = SYM_LOSS_MSE;
    check_ok(sym_model_create(&m, &o));
    assert_false(sym_moments_apply(m, &jac, why, sizeof(why)));
    assert_non_null(strstr(why, "jacobian"));
    assert_true(sym_moments_apply(m, &none, NULL, 0));
    /* cost: [5, 4, 3] with biases, D = 6: chain 32, moments 3*32*6 + 3*36 = 684 multiply-adds
     * against 96 per sample: cheaper from 8 samples on */
    assert_false(sym_moments_cheaper(m, 7));
    assert_true(sym_moments_cheaper(m, 8));
    sym_model_free(m);
    {
        sym_model_opts a = ae838(0, 0);
        sym_model_opts big = mlp(wb, 2, 1);

        check_ok(sym_model_create(&m, &a)); /* Ex3: D = 8, chain 48: 1152 + 512 < 144 n from n = 12 */
        assert_false(sym_moments_cheaper(m, 11));
        assert_true(sym_moments_cheaper(m, 12));
        sym_model_free(m);
        check_ok(sym_model_create(&m, &big)); /* 784 inputs: D = 785, never cheaper below 785 samples */
        assert_false(sym_moments_cheaper(m, 700));
        sym_model_free(m);
    }
    free(d.X);
    free(d.Y);
}

/* stale moments (one input entry moved by 1e-6 after they were taken) are caught */
static void test_moments_negative_control(void **s)
{
    static const int w2[] = {5, 4, 3};
    sym_model_opts o = mlp(w2, 2, 1);
    sym_model *m = NULL;
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_eval_data b0, b1;
    sym_loss_parts l0, l1;
    sym_data d;
    sym_rng r;
    double *p;

    (void)s;
    check_ok(sym_model_create(&m, &o));
    make_data(&d, &o, 0, 4);
    p = calloc(sym_model_n_params(m), sizeof(double));
    sym_rng_init(&r, 5, SYM_RNG_INIT, 0);
    sym_model_init_params(m, p, &r);
    check_ok(sym_eval_create(&e, m, &none, N));
    check_ok(sym_eval_data_init(&b1, e, &d));
    check_ok(sym_eval_data_moments(&b1, e));
    d.X[7] += 1e-6;
    check_ok(sym_eval_data_init(&b0, e, &d));
    check_ok(sym_eval_data_loss(e, &l0, NULL, p, &b0));
    check_ok(sym_eval_data_loss(e, &l1, NULL, p, &b1));
    printf("stale moments: relative difference %.2e\n", rel(l1.data, l0.data));
    assert_true(rel(l1.data, l0.data) > 1e-10);
    sym_eval_data_dispose(&b0);
    sym_eval_data_dispose(&b1);
    sym_eval_free(e);
    sym_model_free(m);
    free(p);
    free(d.X);
    free(d.Y);
}

/* a trainer that takes minibatches refuses moments: on */
static void test_moments_minibatch_refused(void **s)
{
    static const int w2[] = {5, 4, 3};
    sym_model_opts o = mlp(w2, 2, 1);
    sym_model *m = NULL;
    sym_reg none = SYM_REG_INIT;
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    sym_data d;
    sym_rng r;
    double *p, curve[2];

    (void)s;
    check_ok(sym_model_create(&m, &o));
    make_data(&d, &o, 0, 2);
    p = calloc(sym_model_n_params(m), sizeof(double));
    t.epochs = 1;
    t.loss_every = 1;
    t.batch_size = 50;
    t.moments = SYM_MOMENTS_ON;
    sym_rng_init(&r, 1, SYM_RNG_SHUFFLE, 0);
    assert_int_equal(sym_train(&out, curve, p, m, &none, &t, &d, &r), SYM_EINVAL);
    assert_non_null(strstr(sym_err_message(), "minibatches of 50"));
    free(p);
    free(d.X);
    free(d.Y);
    sym_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moments_match_per_sample),
        cmocka_unit_test(test_moments_refusals_and_cost),
        cmocka_unit_test(test_moments_minibatch_refused),
        cmocka_unit_test(test_moments_negative_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
