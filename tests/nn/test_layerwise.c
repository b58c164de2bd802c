/*
 * train.layerwise (src/nn/layerwise.c): a stacked autoencoder trained stage by stage.
 *  - one stage (8 -> 5 -> 8) is sym_train bit for bit: parameters, curve, final objective,
 *    status and the hook's calls, with minibatches and Adam;
 *  - two stages (8 -> 5 -> 3 -> 5 -> 8): stage 2 is the autoencoder 5 -> 3 -> 5 trained on the
 *    codes sigmoid(X W1' + b1) of the trained first layer, computed here directly (to rounding);
 *    the negative control, the same stage on the pre-activations, ends elsewhere;
 *  - frozen layers do not move: at every curve point of stage 1 the inner layers are still their
 *    initial values, at every point of stage 2 the outer layers are already their final values;
 *    the curve has epochs / loss_every + 1 points, and out->final is the whole network's;
 *  - refused: an MLP, an unmirrored decoder, epochs not a multiple of stages x loss_every.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { N = 30, D = 8, H1 = 5, H2 = 3, MAXP = 200, MAXPTS = 64 };

static void make_data(sym_data *d, double *X)
{
    sym_rng r;

    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * D; i++)
        X[i] = sym_rng_uniform(&r);
    memset(d, 0, sizeof(*d));
    d->n = N;
    d->d_in = d->d_out = D;
    d->X = d->Y = X;
}

static sym_model *make_model(int stages)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_model *m = NULL;
    int w2[] = {D, H1, D}, w4[] = {D, H1, H2, H1, D};

    o.kind = SYM_MODEL_AUTOENCODER;
    o.n_layers = 2 * stages;
    o.n_encoder = stages;
    memcpy(o.widths, stages == 1 ? w2 : w4, sizeof(int) * (size_t)(o.n_layers + 1));
    for (int l = 0; l < o.n_layers; l++)
        o.act[l] = SYM_ACT_SIGMOID;
    o.bias = 1;
    check_ok(sym_model_create(&m, &o));
    return m;
}

/* what the hook saw: every call's point, loss and parameters */
typedef struct seen {
    int n, point[MAXPTS];
    double loss[MAXPTS], params[MAXPTS][MAXP];
    size_t np;
} seen;

static int watch(void *ctx, int k, double *params, const double *grad, double loss)
{
    seen *s = ctx;

    (void)grad;
    assert_true(s->n < MAXPTS);
    s->point[s->n] = k;
    s->loss[s->n] = loss;
    memcpy(s->params[s->n], params, sizeof(double) * s->np);
    s->n++;
    return 0;
}

static sym_train_opts opts(int epochs, seen *s)
{
    sym_train_opts o = SYM_TRAIN_OPTS_INIT;

    o.optimizer = SYM_OPT_ADAM;
    o.lr = 0.05;
    o.epochs = epochs;
    o.batch_size = 7;
    o.loss_every = 2;
    o.layerwise = 1;
    if (s) {
        o.hook = watch;
        o.hook_ctx = s;
    }
    return o;
}

static void test_one_stage_is_sym_train(void **st)
{
    static seen s1, s2;
    sym_model *m = make_model(1);
    size_t np = sym_model_n_params(m);
    double X[N * D], p1[MAXP], p2[MAXP], c1[MAXPTS], c2[MAXPTS];
    sym_data d;
    sym_rng init, sh1, sh2;
    sym_reg reg = SYM_REG_INIT;
    sym_train_out o1 = {0}, o2 = {0};
    sym_train_opts t1 = opts(12, &s1), t2 = opts(12, &s2);

    (void)st;
    make_data(&d, X);
    s1.np = s2.np = np;
    sym_rng_init(&init, 1, SYM_RNG_INIT, 0);
    sym_model_init_params(m, p1, &init);
    memcpy(p2, p1, sizeof(double) * np);
    sym_rng_init(&sh1, 1, SYM_RNG_SHUFFLE, 0);
    sym_rng_init(&sh2, 1, SYM_RNG_SHUFFLE, 0);
    reg.kind = SYM_REG_FROBENIUS;
    reg.lambda_encoder = 1e-3;
    reg.lambda_decoder = 2e-3;
    check_ok(sym_train_layerwise(&o1, c1, p1, m, &reg, &t1, &d, &sh1));
    t2.layerwise = 0;
    check_ok(sym_train(&o2, c2, p2, m, &reg, &t2, &d, &sh2));
    assert_memory_equal(p1, p2, sizeof(double) * np);
    assert_memory_equal(c1, c2, sizeof(double) * (size_t)sym_train_n_points(&t2));
    assert_memory_equal(&o1.final, &o2.final, sizeof o1.final);
    assert_int_equal(o1.status, o2.status);
    assert_int_equal(o1.epochs_done, o2.epochs_done);
    assert_int_equal(s1.n, s2.n);
    assert_memory_equal(s1.point, s2.point, sizeof(int) * (size_t)s1.n);
    assert_memory_equal(s1.loss, s2.loss, sizeof(double) * (size_t)s1.n);
    for (int i = 0; i < s1.n; i++)
        assert_memory_equal(s1.params[i], s2.params[i], sizeof(double) * np);
    sym_model_free(m);
}

/* the layer l of params: weight then bias, into out (rows x cols + rows) */
static void layer(double *out, const sym_model *m, double *p, int l)
{
    const sym_model_opts *o = sym_model_get_opts(m);

    sym_model_get_weight(m, p, l, out);
    memcpy(out + o->widths[l + 1] * o->widths[l], sym_model_bias(m, p, l), sizeof(double) * o->widths[l + 1]);
}

static int layer_len(const sym_model *m, int l)
{
    const sym_model_opts *o = sym_model_get_opts(m);

    return o->widths[l + 1] * (o->widths[l] + 1);
}

/* the stage 5 -> 3 -> 5 trained from the whole network's initial inner layers on codes C */
static void stage_two(double *out1, double *out2, const sym_model *m, const double *init, const double *C,
                      int sigmoid)
{
    sym_model_opts so = *sym_model_get_opts(m);
    sym_model *sub = NULL;
    sym_data sd;
    double sp[MAXP], codes[N * H1], W[MAXP], curve[MAXPTS];
    sym_rng sh;
    sym_reg reg = SYM_REG_INIT;
    sym_train_out o = {0};
    sym_train_opts t = opts(6, NULL);

    so.n_layers = 2;
    so.n_encoder = 1;
    so.widths[0] = so.widths[2] = H1;
    so.widths[1] = H2;
    check_ok(sym_model_create(&sub, &so));
    for (int k = 0; k < 2; k++) {
        int l = k == 0 ? 1 : 2;

        sym_model_get_weight(m, init, l, W);
        sym_model_set_weight(sub, sp, k, W);
        memcpy(sym_model_bias(sub, sp, k), sym_model_bias(m, (double *)init, l), sizeof(double) * so.widths[k + 1]);
    }
    for (int i = 0; i < N * H1; i++)
        codes[i] = sigmoid ? 1.0 / (1.0 + exp(-C[i])) : C[i];
    memset(&sd, 0, sizeof(sd));
    sd.n = N;
    sd.d_in = sd.d_out = H1;
    sd.X = sd.Y = codes;
    t.layerwise = 0;
    t.batch_size = 0; /* full batch: the stage draws no minibatch order */
    sym_rng_init(&sh, 1, SYM_RNG_SHUFFLE, 0);
    check_ok(sym_train(&o, curve, sp, sub, &reg, &t, &sd, &sh));
    layer(out1, sub, sp, 0);
    layer(out2, sub, sp, 1);
    sym_model_free(sub);
}

static void test_two_stages(void **st)
{
    static seen s;
    sym_model *m = make_model(2);
    size_t np = sym_model_n_params(m);
    double X[N * D], p[MAXP], p0[MAXP], curve[MAXPTS], A[N * H1], W1[H1 * D], a[MAXP], b[MAXP], w1[MAXP],
        w2[MAXP], fin[MAXP], now[MAXP];
    sym_data d;
    sym_rng init, sh;
    sym_reg reg = SYM_REG_INIT;
    sym_train_out o = {0};
    sym_train_opts t = opts(12, &s);
    sym_eval *ev = NULL;
    sym_loss_parts lp;
    int P = 12 / (2 * 2), diff = 0;

    (void)st;
    make_data(&d, X);
    s.np = np;
    t.batch_size = 0;
    sym_rng_init(&init, 2, SYM_RNG_INIT, 0);
    sym_model_init_params(m, p, &init);
    memcpy(p0, p, sizeof(double) * np);
    sym_rng_init(&sh, 1, SYM_RNG_SHUFFLE, 0);
    check_ok(sym_train_layerwise(&o, curve, p, m, &reg, &t, &d, &sh));
    assert_int_equal(o.status, SYM_RUN_DONE);
    assert_int_equal(o.epochs_done, 12);
    /* codes of the trained first layer, directly: A = X W1' + b1 */
    sym_model_get_weight(m, p, 0, W1);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < H1; j++) {
            double z = sym_model_bias(m, p, 0)[j];

            for (int k = 0; k < D; k++)
                z += X[i * D + k] * W1[j * D + k];
            A[i * H1 + j] = z;
        }
    stage_two(w1, w2, m, p0, A, 1);
    layer(a, m, p, 1);
    layer(b, m, p, 2);
    check_close(a, w1, (size_t)layer_len(m, 1), 1e-10, 1e-8);
    check_close(b, w2, (size_t)layer_len(m, 2), 1e-10, 1e-8);
    /* negative control: trained on the pre-activations, the stage ends elsewhere */
    stage_two(w1, w2, m, p0, A, 0);
    for (int i = 0; i < layer_len(m, 1); i++)
        diff |= fabs(a[i] - w1[i]) > 1e-3;
    assert_true(diff);
    /* frozen layers: stage 1's points keep the inner layers, stage 2's the outer ones */
    assert_int_equal(s.n, 12 / 2);
    for (int i = 0; i < s.n; i++) {
        int stage = s.point[i] / P;

        assert_int_equal(s.point[i], i);
        for (int l = 0; l < 4; l++) {
            int outer = l == 0 || l == 3;

            if (stage == 0 ? outer : !outer)
                continue; /* the stage's own layers move */
            layer(now, m, s.params[i], l);
            layer(fin, m, stage == 0 ? p0 : p, l);
            assert_memory_equal(now, fin, sizeof(double) * (size_t)layer_len(m, l));
        }
    }
    /* the curve: every point set; the last is stage 2's own objective; final the whole network's */
    for (int i = 0; i < sym_train_n_points(&t); i++)
        assert_true(isfinite(curve[i]));
    check_ok(sym_eval_create(&ev, m, &reg, N));
    check_ok(sym_eval_loss(ev, &lp, NULL, p, X, X, N));
    check_close1(o.final.total, lp.total, 1e-14, 1e-12);
    assert_true(fabs(curve[sym_train_n_points(&t) - 1] - lp.total) > 1e-6);
    sym_eval_free(ev);
    sym_model_free(m);
}

static void test_refusals(void **st)
{
    sym_model *m = make_model(2);
    sym_model_opts o = *sym_model_get_opts(m), mlp = o;
    sym_train_opts t = opts(12, NULL);
    char why[256];

    (void)st;
    sym_model_free(m);
    assert_int_equal(sym_layerwise_check(&o, &t, why, sizeof why), 0);
    mlp.kind = SYM_MODEL_MLP;
    mlp.n_encoder = mlp.n_layers;
    assert_int_equal(sym_layerwise_check(&mlp, &t, why, sizeof why), 1);
    assert_non_null(strstr(why, "autoencoder"));
    o.n_encoder = 1;
    assert_int_equal(sym_layerwise_check(&o, &t, why, sizeof why), 1);
    assert_non_null(strstr(why, "mirrors"));
    o.n_encoder = 2;
    t.epochs = 10;
    assert_int_equal(sym_layerwise_check(&o, &t, why, sizeof why), 1);
    assert_non_null(strstr(why, "multiple"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_stage_is_sym_train),
        cmocka_unit_test(test_two_stages),
        cmocka_unit_test(test_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
