/*
 * The learned-group layer (seed 003): its materialized filters against sym_lgroup_filters, the
 * gradient in A, b (and Ã) against central finite differences of the objective for every
 * activation, biases on and off, both losses, an MLP and an autoencoder's decoder layer,
 * normalized or not, every penalty alone and together; Hessian-vector products against finite
 * differences of the gradient and their symmetry; the dense Hessian; and the closed forms of
 * a cyclic shift.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"
#include "symsweep/sym.h"

enum { NS = 6, H = 2, WD = 2, D = H * WD, K = 2, P = 3 };

/* penalty sets: none, each alone, all together */
enum { PEN_NONE = 0, PEN_PAIR, PEN_SVD, PEN_LOGDET, PEN_CLOSURE, PEN_ALL, PEN_COUNT };

static void set_penalties(sym_model_opts *o, int pen)
{
    o->group_pair = pen == PEN_PAIR || pen == PEN_ALL ? 0.3 : 0.0;
    o->group_svd = pen == PEN_SVD || pen == PEN_ALL ? 0.2 : 0.0;
    o->group_logdet = pen == PEN_LOGDET || pen == PEN_ALL ? 0.25 : 0.0;
    o->group_closure = pen == PEN_CLOSURE || pen == PEN_ALL ? 0.15 : 0.0;
}

/* ae 0: an MLP D -> K P -> 3 with the group layer first; 1: an autoencoder D -> 3 -> K P -> D
 * whose decoder's last layer K P -> D is the group layer; 2: a tied autoencoder D -> K P -> D
 * whose encoder is the group layer */
static sym_model_opts model(int ae, sym_act a, int bias, int norm, int pen, sym_loss_kind loss)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;

    if (!ae) {
        int w[] = {D, K * P, 3};

        o.kind = SYM_MODEL_MLP;
        o.n_layers = o.n_encoder = 2;
        memcpy(o.widths, w, sizeof(w));
        o.group_layer = 0;
    } else if (ae == 2) { /* tied: the group layer is the encoder, its mirror the transpose */
        int w[] = {D, K * P, D};

        o.kind = SYM_MODEL_AUTOENCODER;
        o.n_layers = 2;
        o.n_encoder = 1;
        o.tied = 1;
        memcpy(o.widths, w, sizeof(w));
        o.group_layer = 0;
    } else {
        int w[] = {D, 3, K * P, D};

        o.kind = SYM_MODEL_AUTOENCODER;
        o.n_layers = 3;
        o.n_encoder = 1;
        memcpy(o.widths, w, sizeof(w));
        o.group_layer = 2;
    }
    o.act[0] = o.act[1] = a;
    o.act[o.n_layers - 1] = ae ? a : SYM_ACT_LINEAR;
    o.bias = bias;
    o.leaky_slope = 0.1;
    o.loss = loss;
    o.group_k = K;
    o.group_p = P;
    o.group_h = H;
    o.group_w = WD;
    o.group_normalize = norm;
    set_penalties(&o, pen);
    return o;
}

/* theta from init (A near I), then perturbed; data X, Y (one-hot with cross-entropy) */
static void draw(const sym_model *m, double *p, double *X, double *Y, uint64_t seed)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int din = o->widths[0], dout = o->widths[o->n_layers];
    sym_rng r;

    sym_rng_init(&r, seed, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    for (size_t i = 0; i < sym_model_n_params(m); i++)
        p[i] += 0.1 * sym_rng_normal(&r);
    for (int i = 0; i < NS * din; i++)
        X[i] = sym_rng_normal(&r);
    for (int i = 0; i < NS; i++)
        for (int k = 0; k < dout; k++)
            Y[i * dout + k] = o->loss == SYM_LOSS_CROSS_ENTROPY ? (k == i % dout) : sym_rng_normal(&r);
}

static double objective(sym_eval *e, const double *p, const double *X, const double *Y)
{
    sym_loss_parts lp;

    check_ok(sym_eval_loss(e, &lp, NULL, p, X, Y, NS));
    return lp.total;
}

static double norm(const double *x, size_t n)
{
    double s = 0.0;

    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s);
}

/* the layer's filters are sym_lgroup_filters of (A as used, b): rows of an MLP's W, columns of a
 * decoder's */
static void test_nn_group_filters(void **state)
{
    (void)state;
    for (int ae = 0; ae < 2; ae++)
        for (int nz = 0; nz < 2; nz++) {
            sym_model_opts o = model(ae, SYM_ACT_TANH, 1, nz, PEN_PAIR, SYM_LOSS_MSE);
            sym_model *m = NULL;
            double X[NS * D], Y[NS * D], W[K * P * D], F[P * D], Au[D * D], *p;
            int gl = o.group_layer;

            check_ok(sym_model_create(&m, &o));
            p = calloc(sym_model_n_params(m), sizeof(double));
            draw(m, p, X, Y, 11 + ae);
            sym_model_get_weight(m, p, gl, W);
            for (int k = 0; k < K; k++) {
                sym_model_group_A_used(m, p, k, Au);
                check_ok(sym_lgroup_filters(F, Au, sym_model_group_b(m, p, k), D, P));
                for (int j = 0; j < P; j++)
                    for (int i = 0; i < D; i++) {
                        double got = ae ? W[i * K * P + k * P + j] : W[(k * P + j) * D + i];

                        check_close1(got, F[j * D + i], 1e-13, 1e-12);
                    }
            }
            if (ae) { /* a tied autoencoder's decoder: the filters as columns */
                sym_model_opts ot = model(2, SYM_ACT_TANH, 1, nz, PEN_PAIR, SYM_LOSS_MSE);
                sym_model *mt = NULL;
                double *pt, Wd[D * K * P];

                check_ok(sym_model_create(&mt, &ot));
                pt = calloc(sym_model_n_params(mt), sizeof(double));
                draw(mt, pt, X, Y, 13);
                sym_model_get_weight(mt, pt, 0, W);
                sym_model_get_weight(mt, pt, 1, Wd);
                for (int f = 0; f < K * P; f++)
                    for (int i = 0; i < D; i++)
                        check_close1(Wd[i * K * P + f], W[f * D + i], 0.0, 0.0);
                free(pt);
                sym_model_free(mt);
            }
            assert_null(sym_model_group_A(m, p, K));
            assert_null(sym_model_group_b(m, p, -1));
            free(p);
            sym_model_free(m);
        }
}

/* the objective of the group model is the dense model's at the materialized weights, plus the
 * group penalties (here none) */
static void test_nn_group_dense_equivalent(void **state)
{
    sym_model_opts o = model(0, SYM_ACT_SIGMOID, 1, 0, PEN_NONE, SYM_LOSS_MSE), od = o;
    sym_model *m = NULL, *md = NULL;
    sym_eval *e = NULL, *ed = NULL;
    sym_reg reg = SYM_REG_INIT;
    double X[NS * D], Y[NS * 3], W[K * P * D], *p, *w;

    (void)state;
    od.group_layer = -1;
    check_ok(sym_model_create(&m, &o));
    check_ok(sym_model_create(&md, &od));
    assert_int_equal(sym_model_n_params(m), K * D * D + K * D + K * P + 3 * K * P + 3);
    assert_int_equal(sym_model_n_params(md), K * P * D + K * P + 3 * K * P + 3);
    p = calloc(sym_model_n_params(m), sizeof(double));
    w = calloc(sym_model_n_params(md), sizeof(double));
    draw(m, p, X, Y, 5);
    for (int l = 0; l < 2; l++) {
        sym_model_get_weight(m, p, l, W);
        sym_model_set_weight(md, w, l, W);
        memcpy(sym_model_bias(md, w, l), sym_model_bias(m, p, l), sizeof(double) * o.widths[l + 1]);
    }
    check_ok(sym_eval_create(&e, m, &reg, NS));
    check_ok(sym_eval_create(&ed, md, &reg, NS));
    check_close1(objective(e, p, X, Y), objective(ed, w, X, Y), 0.0, 1e-14);
    sym_eval_free(e);
    sym_eval_free(ed);
    free(p);
    free(w);
    sym_model_free(m);
    sym_model_free(md);
}

/* central differences of the objective along every coordinate against the gradient */
static void check_gradient(const char *name, const sym_model_opts *o)
{
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_loss_parts lp;
    double X[NS * D], Y[NS * D], *p, *g, *fd, h = 1e-6;
    size_t np;

    check_ok(sym_model_create(&m, o));
    np = sym_model_n_params(m);
    p = calloc(np, sizeof(double));
    g = calloc(np, sizeof(double));
    fd = calloc(np, sizeof(double));
    draw(m, p, X, Y, 21);
    check_ok(sym_eval_create(&e, m, &reg, NS));
    check_ok(sym_eval_loss(e, &lp, g, p, X, Y, NS));
    for (size_t i = 0; i < np; i++) {
        double keep = p[i], up, dn;

        p[i] = keep + h;
        up = objective(e, p, X, Y);
        p[i] = keep - h;
        dn = objective(e, p, X, Y);
        p[i] = keep;
        fd[i] = (up - dn) / (2 * h);
    }
    for (size_t i = 0; i < np; i++)
        fd[i] -= g[i];
    if (!(norm(fd, np) <= 1e-7 * norm(g, np) + 1e-8))
        fail_msg("%s: |g - fd| = %g, |g| = %g", name, norm(fd, np), norm(g, np));
    sym_eval_free(e);
    free(p);
    free(g);
    free(fd);
    sym_model_free(m);
}

static void test_nn_group_gradient(void **state)
{
    (void)state;
    for (int ae = 0; ae < 3; ae++)
        for (int a = 0; a < SYM_ACT_COUNT; a++)
            for (int bias = 0; bias < 2; bias++)
                for (int ce = 0; ce <= !ae; ce++)
                    for (int nz = 0; nz < 2; nz++)
                        for (int pen = 0; pen < PEN_COUNT; pen++) {
                            char name[96];
                            sym_model_opts o = model(ae, (sym_act)a, bias, nz, pen,
                                                     ce ? SYM_LOSS_CROSS_ENTROPY : SYM_LOSS_MSE);

                            snprintf(name, sizeof(name), "%s %s bias %d %s norm %d pen %d",
                                     ae == 2 ? "tied ae" : ae ? "ae" : "mlp",
                                     sym_act_name((sym_act)a), bias, ce ? "ce" : "mse", nz, pen);
                            check_gradient(name, &o);
                        }
}

/* Hv against central differences of the gradient along v, and u.Hv = v.Hu */
static void check_hvp(const char *name, const sym_model_opts *o, int dense)
{
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_hvp *hv = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_loss_parts lp;
    sym_rng r;
    double X[NS * D], Y[NS * D], *p, *q, *v, *u, *Hv, *Hu, *g1, *g2, h = 1e-5;
    size_t np;

    check_ok(sym_model_create(&m, o));
    np = sym_model_n_params(m);
    p = calloc(np, sizeof(double));
    q = calloc(np, sizeof(double));
    v = calloc(np, sizeof(double));
    u = calloc(np, sizeof(double));
    Hv = calloc(np, sizeof(double));
    Hu = calloc(np, sizeof(double));
    g1 = calloc(np, sizeof(double));
    g2 = calloc(np, sizeof(double));
    draw(m, p, X, Y, 31);
    sym_rng_init(&r, 77, SYM_RNG_TEST, 1);
    for (size_t i = 0; i < np; i++) {
        v[i] = sym_rng_normal(&r);
        u[i] = sym_rng_normal(&r);
    }
    check_ok(sym_eval_create(&e, m, &reg, NS));
    check_ok(sym_hvp_create(&hv, m, &reg, NS));
    check_ok(sym_hvp_set_point(hv, p, X, Y, NS));
    check_ok(sym_hvp_apply(hv, Hv, v));
    check_ok(sym_hvp_apply(hv, Hu, u));
    for (size_t i = 0; i < np; i++)
        q[i] = p[i] + h * v[i];
    check_ok(sym_eval_loss(e, &lp, g1, q, X, Y, NS));
    for (size_t i = 0; i < np; i++)
        q[i] = p[i] - h * v[i];
    check_ok(sym_eval_loss(e, &lp, g2, q, X, Y, NS));
    for (size_t i = 0; i < np; i++)
        g1[i] = (g1[i] - g2[i]) / (2 * h) - Hv[i];
    if (!(norm(g1, np) <= 1e-6 * norm(Hv, np)))
        fail_msg("%s: |Hv - fd| = %g, |Hv| = %g", name, norm(g1, np), norm(Hv, np));
    {
        double uHv = 0.0, vHu = 0.0;

        for (size_t i = 0; i < np; i++) {
            uHv += u[i] * Hv[i];
            vHu += v[i] * Hu[i];
        }
        if (!(fabs(uHv - vHu) <= 1e-10 * (fabs(uHv) + fabs(vHu))))
            fail_msg("%s: u.Hv = %.17g, v.Hu = %.17g", name, uHv, vHu);
    }
    if (dense) { /* the dense Hessian's columns are the products with unit vectors */
        double *Hd = calloc(np * np, sizeof(double)), *col = calloc(np, sizeof(double));

        check_ok(sym_hessian_dense(Hd, m, &reg, p, X, Y, NS));
        for (size_t j = 0; j < np; j += 7) {
            memset(v, 0, sizeof(double) * np);
            v[j] = 1.0;
            for (size_t i = 0; i < np; i++)
                q[i] = p[i] + h * v[i];
            check_ok(sym_eval_loss(e, &lp, g1, q, X, Y, NS));
            for (size_t i = 0; i < np; i++)
                q[i] = p[i] - h * v[i];
            check_ok(sym_eval_loss(e, &lp, g2, q, X, Y, NS));
            for (size_t i = 0; i < np; i++)
                col[i] = (g1[i] - g2[i]) / (2 * h);
            check_close(Hd + j * np, col, np, 1e-6 * norm(col, np) + 1e-9, 1e-5);
        }
        free(Hd);
        free(col);
    }
    sym_hvp_free(hv);
    sym_eval_free(e);
    free(p);
    free(q);
    free(v);
    free(u);
    free(Hv);
    free(Hu);
    free(g1);
    free(g2);
    sym_model_free(m);
}

static void test_nn_group_hvp(void **state)
{
    static const sym_act acts[] = {SYM_ACT_LINEAR, SYM_ACT_TANH, SYM_ACT_SIGMOID, SYM_ACT_SOFTPLUS};

    (void)state;
    for (int ae = 0; ae < 3; ae++)
        for (size_t a = 0; a < sizeof acts / sizeof *acts; a++)
            for (int nz = 0; nz < 2; nz++)
                for (int pen = 0; pen < PEN_COUNT; pen++)
                    for (int ce = 0; ce <= !ae; ce++) {
                        char name[96];
                        sym_model_opts o = model(ae, acts[a], 1, nz, pen,
                                                 ce ? SYM_LOSS_CROSS_ENTROPY : SYM_LOSS_MSE);

                        snprintf(name, sizeof(name), "%s %s norm %d pen %d ce %d",
                                 ae == 2 ? "tied ae" : ae ? "ae" : "mlp",
                                 sym_act_name(acts[a]), nz, pen, ce);
                        check_hvp(name, &o, ae == 0 && a == 1 && pen == PEN_ALL && nz == 1);
                    }
}

/*
 * A = the cyclic shift of the d pixels (order d) with p = d: the filters are the d shifts of b;
 * at this orthogonal A with A^d = I the closure penalty is 0, the pair penalty 0 at Ã = A^T,
 * - log |det A| = 0 and - sum sigma = - d.  Negative control: 1.01 A moves each of them.
 */
static void test_nn_group_cyclic_shift(void **state)
{
    enum { h = 2, w = 3, d = h * w };
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_loss_parts lp;
    double X[d], Y[1], W[d * d], *p, want[4];

    (void)state;
    o.kind = SYM_MODEL_MLP;
    o.n_layers = o.n_encoder = 2;
    o.widths[0] = d;
    o.widths[1] = d;
    o.widths[2] = 1;
    o.group_layer = 0;
    o.group_k = 1;
    o.group_p = d;
    o.group_h = h;
    o.group_w = w;
    check_ok(sym_model_create(&m, &o));
    p = calloc(sym_model_n_params(m), sizeof(double));
    for (int i = 0; i < d; i++) {
        p[i * d + (i + d - 1) % d] = 1.0; /* (A x)_i = x_{i-1} */
        p[d * d + i] = i * i + 1.0;       /* b */
    }
    sym_model_get_weight(m, p, 0, W);
    for (int j = 0; j < d; j++)
        for (int i = 0; i < d; i++)
            check_close1(W[j * d + i], p[d * d + (i - j + d) % d], 0.0, 0.0);
    sym_model_free(m);
    free(p);

    memset(X, 0, sizeof(X));
    Y[0] = 0.0;
    for (int scaled = 0; scaled < 2; scaled++)
        for (int pen = PEN_PAIR; pen <= PEN_CLOSURE; pen++) {
            double c = scaled ? 1.01 : 1.0;

            set_penalties(&o, pen);
            check_ok(sym_model_create(&m, &o));
            p = calloc(sym_model_n_params(m), sizeof(double));
            for (int i = 0; i < d; i++) {
                p[i * d + (i + d - 1) % d] = c;
                if (pen == PEN_PAIR) /* Ã = A^T: (i-1, i) */
                    p[d * d + d + ((i + d - 1) % d) * d + i] = 1.0;
            }
            check_ok(sym_eval_create(&e, m, &reg, 1));
            check_ok(sym_eval_loss(e, &lp, NULL, p, X, Y, 1));
            /* pair: mu ||(c - 1) I||^2; svd: - w d c; logdet: - w d log c;
             * closure: w ||(c^d - 1) I||^2 */
            want[0] = 0.3 * d * (c - 1) * (c - 1);
            want[1] = -0.2 * d * c;
            want[2] = -0.25 * d * log(c);
            want[3] = 0.15 * d * (pow(c, d) - 1) * (pow(c, d) - 1);
            check_close1(lp.penalty, want[pen - PEN_PAIR], 1e-13, 1e-12);
            if (scaled && pen != PEN_SVD)
                assert_true(fabs(lp.penalty) > 1e-4);
            sym_eval_free(e);
            free(p);
            sym_model_free(m);
        }
}

/* a singular A with the logdet penalty: objective +inf and a NaN gradient (training diverges) */
static void test_nn_group_logdet_singular(void **state)
{
    sym_model_opts o = model(0, SYM_ACT_LINEAR, 0, 0, PEN_LOGDET, SYM_LOSS_MSE);
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_loss_parts lp;
    double X[NS * D], Y[NS * 3], *p, *g;

    (void)state;
    check_ok(sym_model_create(&m, &o));
    p = calloc(sym_model_n_params(m), sizeof(double));
    g = calloc(sym_model_n_params(m), sizeof(double));
    draw(m, p, X, Y, 3);
    memset(p, 0, sizeof(double) * D * D); /* A_1 = 0 */
    check_ok(sym_eval_create(&e, m, &reg, NS));
    check_ok(sym_eval_loss(e, &lp, g, p, X, Y, NS));
    assert_true(isinf(lp.total) && lp.total > 0);
    assert_true(isnan(g[0]));
    sym_eval_free(e);
    free(p);
    free(g);
    sym_model_free(m);
}

/* the objective along a line of theta: point by point (the filters are not linear in theta,
 * so no polynomial path even for a linear network), each value the objective at B + s C */
static void test_nn_group_line(void **state)
{
    sym_model_opts o = model(0, SYM_ACT_LINEAR, 1, 1, PEN_ALL, SYM_LOSS_MSE);
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_data d = {0};
    sym_eval_data bd;
    sym_rng r;
    enum { NL = 64 };
    sym_model_opts od = o;
    sym_model *md = NULL;
    sym_eval *ed = NULL;
    double X[NS * D], Y[NS * 3], s[NL], tot[NL], dat[NL], *B, *C, *th;
    size_t np;

    (void)state;
    check_ok(sym_model_create(&m, &o));
    np = sym_model_n_params(m);
    B = calloc(np, sizeof(double));
    C = calloc(np, sizeof(double));
    th = calloc(np, sizeof(double));
    draw(m, B, X, Y, 9);
    sym_rng_init(&r, 5, SYM_RNG_TEST, 2);
    for (size_t i = 0; i < np; i++)
        C[i] = 0.05 * sym_rng_normal(&r);
    d.n = NS;
    d.d_in = D;
    d.d_out = 3;
    d.X = X;
    d.Y = Y;
    check_ok(sym_eval_create(&e, m, &reg, NS));
    check_ok(sym_eval_data_init(&bd, e, &d));
    /* the dense twin would take the polynomial path here (the negative control of the test) */
    od.group_layer = -1;
    check_ok(sym_model_create(&md, &od));
    check_ok(sym_eval_create(&ed, md, &reg, NS));
    assert_int_equal(sym_eval_line_fast(ed, C, NL, NS), 1);
    assert_int_equal(sym_eval_line_fast(e, C, NL, NS), 0);
    for (int j = 0; j < NL; j++)
        s[j] = -0.5 + j / (double)NL;
    check_ok(sym_eval_line(e, tot, dat, B, C, s, NL, &bd));
    for (int j = 0; j < NL; j++) {
        sym_loss_parts lp;

        for (size_t i = 0; i < np; i++)
            th[i] = B[i] + s[j] * C[i];
        check_ok(sym_eval_loss(e, &lp, NULL, th, X, Y, NS));
        check_close1(tot[j], lp.total, 0.0, 1e-14);
        check_close1(dat[j], lp.data, 0.0, 1e-14);
        assert_true(lp.penalty != 0.0);
    }
    sym_eval_data_dispose(&bd);
    sym_eval_free(e);
    sym_eval_free(ed);
    free(B);
    free(C);
    free(th);
    sym_model_free(m);
    sym_model_free(md);
}

/* the model's own checks: widths, p >= 2, the layer's range, a tied decoder layer */
static void test_nn_group_refusals(void **state)
{
    sym_model *m = NULL;
    sym_model_opts o;

    (void)state;
    o = model(0, SYM_ACT_TANH, 1, 0, PEN_NONE, SYM_LOSS_MSE);
    o.widths[1] = K * P + 1;
    assert_int_equal(sym_model_create(&m, &o), SYM_EINVAL);
    o = model(0, SYM_ACT_TANH, 1, 0, PEN_NONE, SYM_LOSS_MSE);
    o.group_p = 1;
    o.widths[1] = K;
    assert_int_equal(sym_model_create(&m, &o), SYM_EINVAL);
    o = model(0, SYM_ACT_TANH, 1, 0, PEN_NONE, SYM_LOSS_MSE);
    o.group_layer = 2;
    assert_int_equal(sym_model_create(&m, &o), SYM_EINVAL);
    o = model(1, SYM_ACT_TANH, 1, 0, PEN_NONE, SYM_LOSS_MSE);
    o.group_h = 3; /* d = 6 != the output width 4 */
    assert_int_equal(sym_model_create(&m, &o), SYM_EINVAL);
    o = model(0, SYM_ACT_TANH, 1, 0, PEN_NONE, SYM_LOSS_MSE);
    check_ok(sym_model_create(&m, &o));
    sym_model_free(m);
}

/* the ista model with a group dictionary is the plain ista model whose W1 rows are the filters
 * and whose thresholds are theta's: the same objective; and the thresholds matter (their
 * gradient is not 0) */
static void check_ista_dense(const sym_model_opts *o)
{
    sym_model_opts od = *o;
    sym_model *m = NULL, *md = NULL;
    sym_eval *e = NULL, *ed = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_loss_parts lp;
    double X[NS * D], Y[NS * D], A[D * D], F[P * D], *p, *wd, *g, glam = 0.0;
    size_t np, lam = 0;

    od.group_layer = -1;
    check_ok(sym_model_create(&m, o));
    check_ok(sym_model_create(&md, &od));
    np = sym_model_n_params(m);
    p = calloc(np, sizeof(double));
    g = calloc(np, sizeof(double));
    wd = calloc(sym_model_n_params(md), sizeof(double));
    draw(m, p, X, Y, 33);
    memcpy(Y, X, sizeof(X)); /* ista reconstructs its input */
    for (int t = 0; t < sym_model_n_tensors(m); t++)
        if (strcmp(sym_model_tensor(m, t)->name, "lambda1") == 0)
            lam = sym_model_tensor(m, t)->offset;
    assert_true(lam > 0);
    for (int k = 0; k < K; k++) {
        sym_model_group_A_used(m, p, k, A);
        check_ok(sym_lgroup_filters(F, A, sym_model_group_b(m, p, k), D, P));
        memcpy(wd + (size_t)k * P * D, F, sizeof(F));
    }
    memcpy(wd + (size_t)K * P * D, p + lam, sizeof(double) * K * P);
    check_ok(sym_eval_create(&e, m, &reg, NS));
    check_ok(sym_eval_create(&ed, md, &reg, NS));
    check_ok(sym_eval_loss(e, &lp, g, p, X, Y, NS));
    check_close1(lp.total, objective(ed, wd, X, Y), 1e-15, 1e-13);
    for (int i = 0; i < K * P; i++)
        glam += g[lam + i] * g[lam + i];
    assert_true(glam > 1e-12);
    sym_eval_free(e);
    sym_eval_free(ed);
    sym_model_free(m);
    sym_model_free(md);
    free(p);
    free(g);
    free(wd);
}

/* the unfolded ISTA model with a learned-group dictionary (seed 003's LGN architecture): its rows
 * are b_k, A_k b_k, ...; gradient and Hessian-vector products against differences, both
 * thresholds, each penalty, normalized or not; W1 rebuilt from A1, B1 equals the filters */
static void test_nn_group_ista(void **state)
{
    (void)state;
    for (int one = 0; one < 2; one++)
        for (int nz = 0; nz < 2; nz++)
            for (int pen = 0; pen < PEN_COUNT; pen++) {
                sym_model_opts o = SYM_MODEL_OPTS_INIT;
                int w[] = {D, K * P, D};
                char name[96];

                o.kind = SYM_MODEL_ISTA;
                o.n_layers = 2;
                o.n_encoder = 1;
                memcpy(o.widths, w, sizeof(w));
                o.ista_steps = 3;
                o.ista_alpha = 0.2;
                o.ista_lambda = 0.05;
                o.ista_one_sided = one;
                o.group_layer = 0;
                o.group_k = K;
                o.group_p = P;
                o.group_h = H;
                o.group_w = WD;
                o.group_normalize = nz;
                set_penalties(&o, pen);
                snprintf(name, sizeof(name), "ista one-sided %d norm %d pen %d", one, nz, pen);
                check_gradient(name, &o);
                check_hvp(name, &o, 0);
                if (pen == PEN_NONE)
                    check_ista_dense(&o);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_group_filters),
        cmocka_unit_test(test_nn_group_dense_equivalent),
        cmocka_unit_test(test_nn_group_gradient),
        cmocka_unit_test(test_nn_group_hvp),
        cmocka_unit_test(test_nn_group_cyclic_shift),
        cmocka_unit_test(test_nn_group_logdet_singular),
        cmocka_unit_test(test_nn_group_line),
        cmocka_unit_test(test_nn_group_refusals),
        cmocka_unit_test(test_nn_group_ista),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
