/*
 * train.loss cross_entropy (issue 25): the objective's value against its definition computed
 * here from the network's outputs, (1/n) sum_i [logsumexp(z_i) - z_i[label_i]] (torch's
 * CrossEntropyLoss, mean reduction); its gradient against central finite differences of the
 * value; the exact Hessian-vector products against finite differences of the gradient; the
 * dense Hessian against finite-difference columns; blocked evaluation; logits of 1000 (the
 * max shift); the line evaluator; and sym_data_onehot's labels and errors.
 * Kinks (ReLU at 0) are avoided by construction (sym_test_smooth_draw).
 */
#include "check.h"
#include "smooth_draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { NS = 9, CLASSES = 4 };

static sym_model_opts mlp(sym_act a, int bias)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {3, 5, 4, CLASSES};

    o.kind = SYM_MODEL_MLP;
    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = a;
    o.act[2] = SYM_ACT_LINEAR;
    o.bias = bias;
    o.leaky_slope = 0.1;
    o.loss = SYM_LOSS_CROSS_ENTROPY;
    return o;
}

/* one-hot rows of labels drawn from r, Y [n x classes] */
static void labels(double *Y, int *lab, int n, int classes, sym_rng *r)
{
    memset(Y, 0, sizeof(double) * (size_t)n * classes);
    for (int i = 0; i < n; i++) {
        lab[i] = (int)(sym_rng_uniform(r) * classes) % classes;
        Y[(size_t)i * classes + lab[i]] = 1.0;
    }
}

/* the definition, from the outputs alone: (1/n) sum_i log sum_k exp(z_ik) - z_i[label_i] */
static double ce_reference(const double *Z, const int *lab, int n, int classes)
{
    long double total = 0.0L;

    for (int i = 0; i < n; i++) {
        long double s = 0.0L;

        for (int k = 0; k < classes; k++)
            s += expl((long double)Z[(size_t)i * classes + k]);
        total += logl(s) - Z[(size_t)i * classes + lab[i]];
    }
    return (double)(total / n);
}

typedef struct point {
    sym_model *m;
    sym_eval *e;
    size_t np;
    double *p, *g, *X, *Y, *q, *g1, *g2;
    int lab[NS];
} point;

static void point_make(point *t, const sym_model_opts *mo, const sym_reg *reg, uint64_t seed)
{
    sym_rng r;
    sym_loss_parts lp;

    memset(t, 0, sizeof(*t));
    check_ok(sym_model_create(&t->m, mo));
    check_ok(sym_eval_create(&t->e, t->m, reg, NS));
    t->np = sym_model_n_params(t->m);
    t->p = calloc(t->np, sizeof(double));
    t->g = calloc(t->np, sizeof(double));
    t->q = calloc(t->np, sizeof(double));
    t->g1 = calloc(t->np, sizeof(double));
    t->g2 = calloc(t->np, sizeof(double));
    t->X = calloc((size_t)NS * mo->widths[0], sizeof(double));
    t->Y = calloc((size_t)NS * CLASSES, sizeof(double));
    sym_test_smooth_draw(&r, t->e, t->m, reg, t->p, t->g, t->X, t->Y, NS, seed, 31, 100, NULL, NULL);
    /* larger logits, the softmax far from uniform: the output layer (linear, no kink after it) */
    for (int k = 0; k < sym_model_n_tensors(t->m); k++) {
        const sym_tensor *ts = sym_model_tensor(t->m, k);

        if (strcmp(ts->name, "W3") == 0 || strcmp(ts->name, "b3") == 0)
            for (size_t i = 0; i < (size_t)ts->rows * ts->cols; i++)
                t->p[ts->offset + i] *= 3.0;
    }
    labels(t->Y, t->lab, NS, CLASSES, &r);
    check_ok(sym_eval_loss(t->e, &lp, t->g, t->p, t->X, t->Y, NS));
}

static void point_free(point *t)
{
    free(t->p);
    free(t->g);
    free(t->q);
    free(t->g1);
    free(t->g2);
    free(t->X);
    free(t->Y);
    sym_eval_free(t->e);
    sym_model_free(t->m);
}

static double total_at(point *t, const double *q, double *grad)
{
    sym_loss_parts lp;

    check_ok(sym_eval_loss(t->e, &lp, grad, q, t->X, t->Y, NS));
    return lp.total;
}

/* value against the definition; gradient against central differences of the value */
static void check_gradient(const char *name, const sym_model_opts *mo, const sym_reg *reg, uint64_t seed)
{
    point t;
    sym_loss_parts lp;
    double Z[NS * CLASSES], pen, num = 0.0, den = 0.0;

    point_make(&t, mo, reg, seed);
    check_ok(sym_eval_loss(t.e, &lp, NULL, t.p, t.X, t.Y, NS));
    check_ok(sym_eval_forward(t.e, Z, t.p, t.X, NS));
    pen = lp.total - lp.data;
    check_close1(lp.data, ce_reference(Z, t.lab, NS, CLASSES), 1e-14, 1e-12);
    if (reg->kind == SYM_REG_NONE && pen != 0.0)
        fail_msg("%s: a penalty of %g without a regularizer", name, pen);
    if (reg->kind != SYM_REG_NONE && !(pen > 0.0))
        fail_msg("%s: penalty %g with a regularizer", name, pen);
    for (size_t i = 0; i < t.np; i++) {
        const double h = 1e-5 * (1.0 + fabs(t.p[i]));
        double fp, fm, fd;

        memcpy(t.q, t.p, sizeof(double) * t.np);
        t.q[i] = t.p[i] + h;
        fp = total_at(&t, t.q, NULL);
        t.q[i] = t.p[i] - h;
        fm = total_at(&t, t.q, NULL);
        fd = (fp - fm) / (2 * h);
        num += (fd - t.g[i]) * (fd - t.g[i]);
        den += t.g[i] * t.g[i];
    }
    if (!(sqrt(num / den) < 1e-6))
        fail_msg("%s, %s: |g - fd| / |g| = %.3g (want < 1e-6)", name, sym_reg_name(reg->kind),
                 sqrt(num / den));
    point_free(&t);
}

static sym_reg reg_make(sym_reg_kind k, double p)
{
    sym_reg r = SYM_REG_INIT;

    r.kind = k;
    r.lambda_encoder = r.lambda_decoder = 0.05;
    r.p = p;
    return r;
}

static void test_nn_ce_gradient(void **s)
{
    const sym_reg regs[] = {reg_make(SYM_REG_NONE, 2), reg_make(SYM_REG_FROBENIUS, 2),
                            reg_make(SYM_REG_LP, 3)};

    (void)s;
    for (int bias = 0; bias <= 1; bias++)
        for (int a = 0; a < SYM_ACT_COUNT; a++)
            for (size_t k = 0; k < sizeof regs / sizeof *regs; k++) {
                sym_model_opts o = mlp((sym_act)a, bias);
                char name[96];

                snprintf(name, sizeof(name), "mlp %s bias=%d", sym_act_name((sym_act)a), bias);
                check_gradient(name, &o, &regs[k], 500 + 31 * (uint64_t)a + 7 * k + bias);
            }
}

/* a nonlinear output layer: the logits are sigma(z), and the loss of those */
static void test_nn_ce_gradient_nonlinear_output(void **s)
{
    sym_model_opts o = mlp(SYM_ACT_TANH, 1);
    sym_reg none = SYM_REG_INIT;

    (void)s;
    o.act[2] = SYM_ACT_SOFTPLUS;
    check_gradient("mlp tanh, softplus output", &o, &none, 77);
}

/* H v against (g(p + h v) - g(p - h v)) / 2h; <w, Hv> = <v, Hw> */
static void check_hvp(const char *name, const sym_model_opts *mo, const sym_reg *reg, uint64_t seed)
{
    point t;
    sym_hvp *h = NULL;
    sym_rng r;
    double *v, *w, *Hv, *Hw, num = 0, den = 0, a = 0, b = 0, step = 1e-5;

    point_make(&t, mo, reg, seed);
    v = calloc(t.np, sizeof(double));
    w = calloc(t.np, sizeof(double));
    Hv = calloc(t.np, sizeof(double));
    Hw = calloc(t.np, sizeof(double));
    sym_rng_init(&r, seed, SYM_RNG_TEST, 32);
    for (size_t i = 0; i < t.np; i++) {
        v[i] = sym_rng_normal(&r);
        w[i] = sym_rng_normal(&r);
    }
    check_ok(sym_hvp_create(&h, t.m, reg, NS));
    check_ok(sym_hvp_set_point(h, t.p, t.X, t.Y, NS));
    check_ok(sym_hvp_apply(h, Hv, v));
    check_ok(sym_hvp_apply(h, Hw, w));
    for (size_t i = 0; i < t.np; i++)
        t.q[i] = t.p[i] + step * v[i];
    total_at(&t, t.q, t.g1);
    for (size_t i = 0; i < t.np; i++)
        t.q[i] = t.p[i] - step * v[i];
    total_at(&t, t.q, t.g2);
    for (size_t i = 0; i < t.np; i++) {
        double fd = (t.g1[i] - t.g2[i]) / (2 * step);

        num += (Hv[i] - fd) * (Hv[i] - fd);
        den += Hv[i] * Hv[i];
        a += w[i] * Hv[i];
        b += v[i] * Hw[i];
    }
    {
        double err = sqrt(num / den), sym = fabs(a - b) / (sym_norm2(Hv, t.np) + sym_norm2(Hw, t.np));

        if (!(err < 1e-7) || !(sym < 1e-13))
            fail_msg("%s, %s: |Hv - fd| / |Hv| = %.3g (want < 1e-7), symmetry defect %.3g", name,
                     sym_reg_name(reg->kind), err, sym);
    }
    free(v);
    free(w);
    free(Hv);
    free(Hw);
    sym_hvp_free(h);
    point_free(&t);
}

static void test_nn_ce_hvp(void **s)
{
    const sym_reg regs[] = {reg_make(SYM_REG_NONE, 2), reg_make(SYM_REG_FROBENIUS, 2)};

    (void)s;
    for (int bias = 0; bias <= 1; bias++)
        for (int a = 0; a < SYM_ACT_COUNT; a++)
            for (size_t k = 0; k < sizeof regs / sizeof *regs; k++) {
                sym_model_opts o = mlp((sym_act)a, bias);
                char name[96];

                snprintf(name, sizeof(name), "mlp %s bias=%d", sym_act_name((sym_act)a), bias);
                check_hvp(name, &o, &regs[k], 900 + 31 * (uint64_t)a + 7 * k + bias);
            }
}

/* the dense Hessian (sym_hessian_dense) against finite-difference columns of the gradient */
static void test_nn_ce_dense_hessian(void **s)
{
    sym_model_opts o = mlp(SYM_ACT_TANH, 1);
    sym_reg none = SYM_REG_INIT;
    point t;
    double *H, *fd, step = 1e-5;

    (void)s;
    point_make(&t, &o, &none, 4242);
    H = calloc(t.np * t.np, sizeof(double));
    fd = calloc(t.np * t.np, sizeof(double));
    check_ok(sym_hessian_dense(H, t.m, &none, t.p, t.X, t.Y, NS));
    for (size_t j = 0; j < t.np; j++) {
        memcpy(t.q, t.p, sizeof(double) * t.np);
        t.q[j] = t.p[j] + step;
        total_at(&t, t.q, t.g1);
        t.q[j] = t.p[j] - step;
        total_at(&t, t.q, t.g2);
        for (size_t i = 0; i < t.np; i++)
            fd[i * t.np + j] = (t.g1[i] - t.g2[i]) / (2 * step);
    }
    check_close(H, fd, t.np * t.np, 1e-8, 1e-6);
    free(H);
    free(fd);
    point_free(&t);
}

/*
 * More samples than one block: the sum of the blocks' cross-entropies over n (not over each
 * block's own size) equals the one-pass value; the gradient too.
 */
static void test_nn_ce_blocked(void **s)
{
    sym_model_opts o = mlp(SYM_ACT_RELU, 1);
    sym_reg none = SYM_REG_INIT;
    sym_model *m = NULL;
    sym_eval *one = NULL, *blk = NULL;
    sym_loss_parts a, b;
    sym_rng r;
    enum { N = 50 };
    double X[N * 3], Y[N * CLASSES], *p, *ga, *gb;
    int lab[N];
    size_t np;

    (void)s;
    check_ok(sym_model_create(&m, &o));
    check_ok(sym_eval_create(&one, m, &none, N));
    check_ok(sym_eval_create_blocked(&blk, m, &none, N, 8));
    np = sym_model_n_params(m);
    p = calloc(np, sizeof(double));
    ga = calloc(np, sizeof(double));
    gb = calloc(np, sizeof(double));
    sym_rng_init(&r, 5, SYM_RNG_TEST, 33);
    sym_model_init_params(m, p, &r);
    for (int i = 0; i < N * 3; i++)
        X[i] = sym_rng_normal(&r);
    labels(Y, lab, N, CLASSES, &r);
    check_ok(sym_eval_loss(one, &a, ga, p, X, Y, N));
    check_ok(sym_eval_loss(blk, &b, gb, p, X, Y, N));
    check_close1(b.data, a.data, 0, 1e-13);
    check_close(gb, ga, np, 1e-15, 1e-11);
    free(p);
    free(ga);
    free(gb);
    sym_eval_free(one);
    sym_eval_free(blk);
    sym_model_free(m);
}

/* logits near 1000: exp would overflow without the shift by the largest logit */
static void test_nn_ce_large_logits(void **s)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_reg none = SYM_REG_INIT;
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    /* one linear layer 1 -> 3 with biases: z = w x + b */
    double p[] = {0.0, 0.0, 0.0, 1000.0, 1001.0, 998.0}, X[] = {1.0}, Y[] = {0.0, 0.0, 1.0}, g[6];
    double lse = 1001.0 + log(exp(-1.0) + 1.0 + exp(-3.0));

    (void)s;
    o.n_layers = o.n_encoder = 1;
    o.widths[0] = 1;
    o.widths[1] = 3;
    o.bias = 1;
    o.loss = SYM_LOSS_CROSS_ENTROPY;
    check_ok(sym_model_create(&m, &o));
    check_ok(sym_eval_create(&e, m, &none, 1));
    check_ok(sym_eval_loss(e, &lp, g, p, X, Y, 1));
    check_close1(lp.data, lse - 998.0, 0, 1e-13);
    /* d/db_k = softmax_k - y_k */
    check_close1(g[5], exp(998.0 - lse) - 1.0, 0, 1e-13);
    check_close1(g[4], exp(1001.0 - lse), 0, 1e-13);
    sym_eval_free(e);
    sym_model_free(m);
}

/* sym_eval_line (orbit_loss, landscapes) on a deep linear net: every point is the loss there */
static void test_nn_ce_line(void **s)
{
    sym_model_opts o = mlp(SYM_ACT_LINEAR, 0);
    sym_reg none = SYM_REG_INIT;
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_eval_data bd;
    sym_data d;
    sym_rng r;
    enum { N = 20, S = 40 };
    double X[N * 3], Y[N * CLASSES], *B, *C, *q, sv[S], tot[S], dat[S];
    int lab[N];
    size_t np;

    (void)s;
    check_ok(sym_model_create(&m, &o));
    check_ok(sym_eval_create(&e, m, &none, N));
    np = sym_model_n_params(m);
    B = calloc(np, sizeof(double));
    C = calloc(np, sizeof(double));
    q = calloc(np, sizeof(double));
    sym_rng_init(&r, 6, SYM_RNG_TEST, 34);
    sym_model_init_params(m, B, &r);
    for (size_t i = np - (size_t)CLASSES * 4; i < np; i++) /* the output layer only */
        C[i] = sym_rng_normal(&r);
    for (int i = 0; i < N * 3; i++)
        X[i] = sym_rng_normal(&r);
    labels(Y, lab, N, CLASSES, &r);
    for (int k = 0; k < S; k++)
        sv[k] = -1.0 + 2.0 * k / (S - 1);
    d.n = N;
    d.d_in = 3;
    d.d_out = CLASSES;
    d.X = X;
    d.Y = Y;
    check_ok(sym_eval_data_init(&bd, e, &d));
    check_ok(sym_eval_line(e, tot, dat, B, C, sv, S, &bd));
    for (int k = 0; k < S; k++) {
        sym_loss_parts lp;

        for (size_t i = 0; i < np; i++)
            q[i] = B[i] + sv[k] * C[i];
        check_ok(sym_eval_loss(e, &lp, NULL, q, X, Y, N));
        check_close1(tot[k], lp.total, 0, 1e-12);
        check_close1(dat[k], lp.data, 0, 1e-12);
    }
    sym_eval_data_dispose(&bd);
    free(B);
    free(C);
    free(q);
    sym_eval_free(e);
    sym_model_free(m);
}

/* ---- sym_data_onehot ---- */

static void data_of(sym_data *d, const double *labels_in, int n)
{
    memset(d, 0, sizeof(*d));
    d->n = n;
    d->d_in = 1;
    d->d_out = 1;
    d->X = calloc((size_t)n, sizeof(double));
    d->Y = malloc(sizeof(double) * (size_t)n);
    memcpy(d->Y, labels_in, sizeof(double) * (size_t)n);
}

static void test_nn_onehot(void **s)
{
    const double lab[] = {2, 0, 1, 2};
    const double want[] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    sym_data d;

    (void)s;
    data_of(&d, lab, 4);
    d.n = 4;
    check_ok(sym_data_onehot(&d, 3, "f.h5: labels"));
    assert_int_equal(d.d_out, 3);
    check_close(d.Y, want, 12, 0, 0);
    sym_data_dispose(&d);
}

static void expect_error(const double *lab, int n, int classes, const char *want)
{
    sym_data d;
    int rc;

    data_of(&d, lab, n);
    rc = sym_data_onehot(&d, classes, "f.h5: labels");
    if (rc != SYM_EINVAL || !strstr(sym_err_message(), want))
        fail_msg("labels to %d classes: rc %d, message \"%s\"; expected one containing \"%s\"", classes,
                 rc, sym_err_message(), want);
    assert_int_equal(d.d_out, 1); /* unchanged */
    sym_data_dispose(&d);
}

static void test_nn_onehot_errors(void **s)
{
    const double frac[] = {0, 1, 2.5}, neg[] = {1, -1}, big[] = {0, 3, 1}, nan_[] = {0, NAN};

    (void)s;
    expect_error(frac, 3, 3, "f.h5: labels: row 2: expected an integer class id in 0..2, found 2.5");
    expect_error(neg, 2, 3, "f.h5: labels: row 1: class id -1 is outside 0..2 (the model's 3 outputs)");
    expect_error(big, 3, 3, "f.h5: labels: row 1: class id 3 is outside 0..2 (the model's 3 outputs)");
    expect_error(nan_, 2, 3, "row 1: expected an integer class id in 0..2, found nan");
}

static void test_nn_onehot_shapes(void **s)
{
    sym_data d;
    double lab[] = {0, 1, 1, 0};

    (void)s;
    data_of(&d, lab, 2);
    d.d_out = 2; /* two columns */
    assert_int_equal(sym_data_onehot(&d, 3, "f.h5: Y"), SYM_EINVAL);
    assert_non_null(strstr(sym_err_message(), "f.h5: Y: expected one column of class ids, found 2 columns"));
    sym_data_dispose(&d);
    data_of(&d, lab, 2);
    free(d.Y);
    d.Y = d.X; /* autoencoding */
    assert_int_equal(sym_data_onehot(&d, 3, "f.h5"), SYM_EINVAL);
    assert_non_null(strstr(sym_err_message(), "the targets are the inputs"));
    sym_data_dispose(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_ce_gradient),
        cmocka_unit_test(test_nn_ce_gradient_nonlinear_output),
        cmocka_unit_test(test_nn_ce_hvp),
        cmocka_unit_test(test_nn_ce_dense_hessian),
        cmocka_unit_test(test_nn_ce_blocked),
        cmocka_unit_test(test_nn_ce_large_logits),
        cmocka_unit_test(test_nn_ce_line),
        cmocka_unit_test(test_nn_onehot),
        cmocka_unit_test(test_nn_onehot_errors),
        cmocka_unit_test(test_nn_onehot_shapes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
