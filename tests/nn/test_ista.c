/*
 * The unfolded ISTA model (kind ista, src/nn/ista.c): its objective and outputs against a direct
 * loop written here, its gradient (W and lambda) against central finite differences of the loss,
 * its Hessian-vector products against central differences of the gradient (and symmetric), the
 * output's J v against differences of the outputs, evaluation in blocks, two closed forms, and
 * the refusals, for the two-sided threshold and the one-sided one.  Kinks of the soft threshold (|u| = lambda) are kept away by drawing until every
 * |u| - lambda of every step is at least MARGIN from 0.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

#define MAXW 32
#define MARGIN 1e-3

static sym_model_opts ista(int d, int m, int steps, double alpha, double lam)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;

    o.kind = SYM_MODEL_ISTA;
    o.n_layers = 2;
    o.n_encoder = 1;
    o.widths[0] = o.widths[2] = d;
    o.widths[1] = m;
    o.ista_steps = steps;
    o.ista_alpha = alpha;
    o.ista_lambda = lam;
    return o;
}

/* the mean squared reconstruction error, a direct loop; xhat [n x d] if not NULL; *margin the
 * smallest | |u| - lambda | of every step and sample */
static double ref_loss(const double *p, const sym_model_opts *o, const double *X, int n,
                       double *xhat, double *margin)
{
    int d = o->widths[0], m = o->widths[1];
    const double *W = p, *lam = p + (size_t)m * d;
    double sse = 0.0, mg = INFINITY;

    for (int s = 0; s < n; s++) {
        const double *x = X + (size_t)s * d;
        double z[MAXW] = {0}, r[MAXW], u[MAXW];

        for (int t = 0; t < o->ista_steps; t++) {
            for (int j = 0; j < d; j++) {
                r[j] = x[j];
                for (int i = 0; i < m; i++)
                    r[j] -= W[i * d + j] * z[i];
            }
            for (int i = 0; i < m; i++) {
                u[i] = z[i];
                for (int j = 0; j < d; j++)
                    u[i] += o->ista_alpha * W[i * d + j] * r[j];
            }
            for (int i = 0; i < m; i++) {
                double a = (o->ista_one_sided ? u[i] : fabs(u[i])) - lam[i];

                mg = fabs(a) < mg ? fabs(a) : mg;
                z[i] = a > 0.0 ? (o->ista_one_sided || u[i] >= 0.0 ? a : -a) : 0.0;
            }
        }
        for (int j = 0; j < d; j++) {
            double y = 0.0;

            for (int i = 0; i < m; i++)
                y += W[i * d + j] * z[i];
            if (xhat)
                xhat[(size_t)s * d + j] = y;
            sse += (y - x[j]) * (y - x[j]);
        }
    }
    if (margin)
        *margin = mg;
    return sse / ((double)n * d);
}

typedef struct fixture {
    sym_model_opts o;
    sym_model *m;
    size_t np;
    double *p, *X;
    int n;
} fixture;

/* a point away from the kinks: W ~ N(0, 1/d), lambda ~ U(0.05, 0.3), X ~ N(0, 1) */
static void draw(fixture *f, const sym_model_opts *o, int n, uint64_t seed)
{
    int d = o->widths[0], m = o->widths[1];
    double mg = 0.0;
    sym_rng r;

    memset(f, 0, sizeof(*f));
    f->o = *o;
    f->n = n;
    check_ok(sym_model_create(&f->m, o));
    f->np = sym_model_n_params(f->m);
    assert_int_equal(f->np, (size_t)m * d + m);
    f->p = calloc(f->np, sizeof(double));
    f->X = calloc((size_t)n * d, sizeof(double));
    for (int tries = 0; mg < MARGIN; tries++) {
        assert_true(tries < 1000);
        sym_rng_init(&r, seed + (uint64_t)tries, SYM_RNG_TEST, 0);
        for (size_t i = 0; i < (size_t)m * d; i++)
            f->p[i] = sym_rng_normal(&r) / sqrt((double)d);
        for (int i = 0; i < m; i++)
            f->p[(size_t)m * d + i] = 0.05 + 0.25 * sym_rng_uniform(&r);
        for (size_t i = 0; i < (size_t)n * d; i++)
            f->X[i] = sym_rng_normal(&r);
        ref_loss(f->p, o, f->X, n, NULL, &mg);
    }
}

static void undraw(fixture *f)
{
    free(f->p);
    free(f->X);
    sym_model_free(f->m);
}

static const struct { int d, m, steps, n; double alpha; } cases[] = {
    {4, 6, 1, 5, 0.3}, {5, 3, 2, 1, 0.5}, {6, 8, 3, 9, 0.2}, {3, 4, 5, 4, 0.8}, {6, 5, 4, 13, 0.1},
};
enum { NCASES = sizeof cases / sizeof *cases };

/* case k % NCASES, with the one-sided threshold for k >= NCASES */
static sym_model_opts case_opts(int k)
{
    sym_model_opts o = ista(cases[k % NCASES].d, cases[k % NCASES].m, cases[k % NCASES].steps,
                            cases[k % NCASES].alpha, 0.1);

    o.ista_one_sided = k >= NCASES;
    return o;
}

static void test_nn_ista_forward_matches_loop(void **s)
{
    (void)s;
    for (int k = 0; k < 2 * NCASES; k++) {
        sym_model_opts o = case_opts(k);
        sym_reg reg = SYM_REG_INIT;
        sym_eval *e = NULL;
        sym_loss_parts lp;
        fixture f;
        double want, *yhat, *yref;

        draw(&f, &o, cases[k % NCASES].n, 100 + k);
        yhat = calloc((size_t)f.n * cases[k % NCASES].d, sizeof(double));
        yref = calloc((size_t)f.n * cases[k % NCASES].d, sizeof(double));
        check_ok(sym_eval_create(&e, f.m, &reg, f.n));
        check_ok(sym_eval_loss(e, &lp, NULL, f.p, f.X, f.X, f.n));
        want = ref_loss(f.p, &o, f.X, f.n, yref, NULL);
        check_close1(lp.data, want, 1e-14, 1e-12);
        check_close1(lp.total, want, 1e-14, 1e-12);
        check_ok(sym_eval_forward(e, yhat, f.p, f.X, f.n));
        check_close(yhat, yref, (size_t)f.n * cases[k % NCASES].d, 1e-13, 1e-12);
        sym_eval_free(e);
        free(yhat);
        free(yref);
        undraw(&f);
    }
}

/* the analytic gradient against (l(p + h e_i) - l(p - h e_i)) / 2h, every coordinate, with an
 * optional frobenius penalty (counted once: W is one tensor however many layers use it) */
static void gradient_case(int k, double pen)
{
    sym_model_opts o = case_opts(k);
    sym_reg reg = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_loss_parts lp, a, b;
    fixture f;
    double *g, h = 1e-6, wn = 0.0;

    if (pen > 0.0) {
        reg.kind = SYM_REG_FROBENIUS;
        reg.lambda_encoder = reg.lambda_decoder = pen;
    }
    draw(&f, &o, cases[k % NCASES].n, 200 + k);
    g = calloc(f.np, sizeof(double));
    check_ok(sym_eval_create(&e, f.m, &reg, f.n));
    check_ok(sym_eval_loss(e, &lp, g, f.p, f.X, f.X, f.n));
    for (size_t i = 0; i < (size_t)cases[k % NCASES].m * cases[k % NCASES].d; i++)
        wn += f.p[i] * f.p[i];
    check_close1(lp.penalty, pen * wn, 1e-15, 1e-13);
    for (size_t i = 0; i < f.np; i++) {
        double keep = f.p[i], fd;

        f.p[i] = keep + h;
        check_ok(sym_eval_loss(e, &a, NULL, f.p, f.X, f.X, f.n));
        f.p[i] = keep - h;
        check_ok(sym_eval_loss(e, &b, NULL, f.p, f.X, f.X, f.n));
        f.p[i] = keep;
        fd = (a.total - b.total) / (2.0 * h);
        check_close1(g[i], fd, 1e-8, 1e-6);
    }
    sym_eval_free(e);
    free(g);
    undraw(&f);
}

static void test_nn_ista_gradient_fd(void **s)
{
    (void)s;
    for (int k = 0; k < 2 * NCASES; k++) {
        gradient_case(k, 0.0);
        gradient_case(k, 0.05);
    }
}

/* H v against (g(p + h v) - g(p - h v)) / 2h, <w, H v> = <v, H w>, J v against the outputs'
 * central differences */
static void hvp_case(int k, double pen)
{
    sym_model_opts o = case_opts(k);
    sym_reg reg = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_hvp *hv = NULL;
    sym_loss_parts lp;
    fixture f;
    sym_rng r;
    int d = cases[k % NCASES].d;
    size_t ny = (size_t)cases[k % NCASES].n * d;
    double h = 1e-6, wHv = 0.0, vHw = 0.0, nv = 0.0;
    double *v, *w, *Hv, *Hw, *g1, *g2, *q, *fd, *Jv, *y1, *y2, *jfd;

    if (pen > 0.0) {
        reg.kind = SYM_REG_FROBENIUS;
        reg.lambda_encoder = reg.lambda_decoder = pen;
    }
    draw(&f, &o, cases[k % NCASES].n, 300 + k);
    v = calloc(f.np, sizeof(double));
    w = calloc(f.np, sizeof(double));
    Hv = calloc(f.np, sizeof(double));
    Hw = calloc(f.np, sizeof(double));
    g1 = calloc(f.np, sizeof(double));
    g2 = calloc(f.np, sizeof(double));
    q = calloc(f.np, sizeof(double));
    fd = calloc(f.np, sizeof(double));
    Jv = calloc(ny, sizeof(double));
    y1 = calloc(ny, sizeof(double));
    y2 = calloc(ny, sizeof(double));
    jfd = calloc(ny, sizeof(double));
    sym_rng_init(&r, 400 + k, SYM_RNG_TEST, 0);
    for (size_t i = 0; i < f.np; i++) {
        v[i] = sym_rng_normal(&r);
        w[i] = sym_rng_normal(&r);
        nv += v[i] * v[i];
    }
    for (size_t i = 0; i < f.np; i++)
        v[i] /= sqrt(nv);
    check_ok(sym_eval_create(&e, f.m, &reg, f.n));
    check_ok(sym_hvp_create(&hv, f.m, &reg, f.n));
    check_ok(sym_hvp_set_point(hv, f.p, f.X, f.X, f.n));
    check_ok(sym_hvp_apply(hv, Hv, v));
    check_ok(sym_hvp_apply(hv, Hw, w));
    check_ok(sym_hvp_jvp(hv, Jv, v));
    for (size_t i = 0; i < f.np; i++)
        q[i] = f.p[i] + h * v[i];
    check_ok(sym_eval_loss(e, &lp, g1, q, f.X, f.X, f.n));
    check_ok(sym_eval_forward(e, y1, q, f.X, f.n));
    for (size_t i = 0; i < f.np; i++)
        q[i] = f.p[i] - h * v[i];
    check_ok(sym_eval_loss(e, &lp, g2, q, f.X, f.X, f.n));
    check_ok(sym_eval_forward(e, y2, q, f.X, f.n));
    for (size_t i = 0; i < f.np; i++)
        fd[i] = (g1[i] - g2[i]) / (2.0 * h);
    for (size_t i = 0; i < ny; i++)
        jfd[i] = (y1[i] - y2[i]) / (2.0 * h);
    check_close(Hv, fd, f.np, 1e-7, 1e-5);
    check_close(Jv, jfd, ny, 1e-8, 1e-6);
    for (size_t i = 0; i < f.np; i++) {
        wHv += w[i] * Hv[i];
        vHw += v[i] * Hw[i];
    }
    check_close1(wHv, vHw, 1e-12, 1e-10);
    sym_hvp_free(hv);
    sym_eval_free(e);
    free(v), free(w), free(Hv), free(Hw), free(g1), free(g2), free(q), free(fd);
    free(Jv), free(y1), free(y2), free(jfd);
    undraw(&f);
}

static void test_nn_ista_hvp_fd(void **s)
{
    (void)s;
    for (int k = 0; k < 2 * NCASES; k++) {
        hvp_case(k, 0.0);
        hvp_case(k, 0.05);
    }
}

/* 13 samples in blocks of 4 (the evaluator's streaming): the one-pass values to rounding */
static void test_nn_ista_blocks(void **s)
{
    sym_model_opts o = case_opts(4);
    sym_reg reg = SYM_REG_INIT;
    sym_eval *one = NULL, *blk = NULL;
    sym_loss_parts a, b;
    fixture f;
    double *ga, *gb;

    (void)s;
    draw(&f, &o, 13, 500);
    ga = calloc(f.np, sizeof(double));
    gb = calloc(f.np, sizeof(double));
    check_ok(sym_eval_create(&one, f.m, &reg, 13));
    check_ok(sym_eval_create_blocked(&blk, f.m, &reg, 13, 4));
    check_ok(sym_eval_loss(one, &a, ga, f.p, f.X, f.X, 13));
    check_ok(sym_eval_loss(blk, &b, gb, f.p, f.X, f.X, 13));
    check_close1(b.total, a.total, 1e-15, 1e-12);
    check_close(gb, ga, f.np, 1e-15, 1e-11);
    sym_eval_free(one);
    sym_eval_free(blk);
    free(ga);
    free(gb);
    undraw(&f);
}

/* W with orthonormal rows (m = d), alpha 1, lambda 0: z_1 = W x is a fixed point, xhat = x */
static void test_nn_ista_orthonormal_reconstructs(void **s)
{
    enum { D = 6, N = 5 };
    sym_reg reg = SYM_REG_INIT;
    sym_rng r;
    double p[D * D + D] = {0}, X[N * D], yhat[N * D];

    (void)s;
    sym_rng_init(&r, 7, SYM_RNG_TEST, 0);
    /* Gram-Schmidt on random rows */
    for (int i = 0; i < D; i++) {
        double *w = p + i * D, nn = 0.0;

        for (int j = 0; j < D; j++)
            w[j] = sym_rng_normal(&r);
        for (int k = 0; k < i; k++) {
            double dot = 0.0;

            for (int j = 0; j < D; j++)
                dot += w[j] * p[k * D + j];
            for (int j = 0; j < D; j++)
                w[j] -= dot * p[k * D + j];
        }
        for (int j = 0; j < D; j++)
            nn += w[j] * w[j];
        for (int j = 0; j < D; j++)
            w[j] /= sqrt(nn);
    }
    for (int i = 0; i < N * D; i++)
        X[i] = sym_rng_normal(&r);
    for (int steps = 1; steps <= 3; steps++) {
        sym_model_opts o = ista(D, D, steps, 1.0, 0.0);
        sym_model *m = NULL;
        sym_eval *e = NULL;
        sym_loss_parts lp;
        double want_z0;

        check_ok(sym_model_create(&m, &o));
        check_ok(sym_eval_create(&e, m, &reg, N));
        check_ok(sym_eval_loss(e, &lp, NULL, p, X, X, N));
        assert_true(lp.data < 1e-28);
        check_ok(sym_eval_forward(e, yhat, p, X, N));
        check_close(yhat, X, N * D, 1e-14, 0.0);
        /* negative control: alpha 0.5 stops halfway at one step (xhat = x / 2) */
        o.ista_alpha = 0.5;
        sym_eval_free(e);
        sym_model_free(m);
        check_ok(sym_model_create(&m, &o));
        check_ok(sym_eval_create(&e, m, &reg, N));
        check_ok(sym_eval_loss(e, &lp, NULL, p, X, X, N));
        want_z0 = 0.0;
        for (int i = 0; i < N * D; i++)
            want_z0 += X[i] * X[i];
        /* after t steps xhat = (1 - 2^-t) x: the error is 4^-t of the mean square */
        check_close1(lp.data, want_z0 / (N * D) * pow(0.25, steps), 1e-15, 1e-12);
        sym_eval_free(e);
        sym_model_free(m);
    }
    /* one-sided, alpha 1, lambda 0, one step: z_1 = relu(W x), xhat = W^T relu(W x), whose
     * error is the part W^T min(W x, 0): mean ||min(W x, 0)||^2 / D (W orthogonal) */
    {
        sym_model_opts o = ista(D, D, 1, 1.0, 0.0);
        sym_model *m = NULL;
        sym_eval *e = NULL;
        sym_loss_parts lp;
        double want = 0.0;

        o.ista_one_sided = 1;
        for (int q = 0; q < N; q++)
            for (int i = 0; i < D; i++) {
                double u = 0.0;

                for (int j = 0; j < D; j++)
                    u += p[i * D + j] * X[q * D + j];
                want += u < 0.0 ? u * u : 0.0;
            }
        want /= N * D;
        assert_true(want > 0.01);
        check_ok(sym_model_create(&m, &o));
        check_ok(sym_eval_create(&e, m, &reg, N));
        check_ok(sym_eval_loss(e, &lp, NULL, p, X, X, N));
        check_close1(lp.data, want, 1e-15, 1e-12);
        sym_eval_free(e);
        sym_model_free(m);
    }
}

/* lambda >= max |alpha W x|: every code stays 0, the loss is the mean square of x; just
 * below, some code opens and the loss drops */
static void test_nn_ista_large_threshold_is_zero(void **s)
{
    sym_model_opts o = ista(5, 7, 3, 0.5, 0.0);
    sym_reg reg = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    fixture f;
    double mx = 0.0, msq = 0.0;

    (void)s;
    draw(&f, &o, 6, 600);
    for (int q = 0; q < f.n; q++)
        for (int i = 0; i < 7; i++) {
            double u = 0.0;

            for (int j = 0; j < 5; j++)
                u += 0.5 * f.p[i * 5 + j] * f.X[q * 5 + j];
            mx = fabs(u) > mx ? fabs(u) : mx;
        }
    for (int i = 0; i < f.n * 5; i++)
        msq += f.X[i] * f.X[i] / (f.n * 5);
    for (int i = 0; i < 7; i++)
        f.p[35 + i] = mx;
    check_ok(sym_eval_create(&e, f.m, &reg, f.n));
    check_ok(sym_eval_loss(e, &lp, NULL, f.p, f.X, f.X, f.n));
    assert_true(lp.data == msq || fabs(lp.data - msq) <= 1e-15 * msq);
    for (int i = 0; i < 7; i++)
        f.p[35 + i] = 0.9 * mx;
    check_ok(sym_eval_loss(e, &lp, NULL, f.p, f.X, f.X, f.n));
    assert_true(lp.data < msq - 1e-6);
    sym_eval_free(e);
    undraw(&f);
}

/* the tensors, and the initialization: W fan-in scaled from the stream, lambda its setting */
static void test_nn_ista_layout_and_init(void **s)
{
    sym_model_opts o = ista(4, 3, 2, 0.1, 0.25);
    sym_model *m = NULL;
    sym_rng r;
    double p[15], var = 0.0;

    (void)s;
    check_ok(sym_model_create(&m, &o));
    assert_int_equal(sym_model_n_tensors(m), 2);
    assert_string_equal(sym_model_tensor(m, 0)->name, "W1");
    assert_int_equal(sym_model_tensor(m, 0)->rows, 3);
    assert_int_equal(sym_model_tensor(m, 0)->cols, 4);
    assert_string_equal(sym_model_tensor(m, 1)->name, "lambda1");
    assert_int_equal(sym_model_tensor(m, 1)->offset, 12);
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    for (int i = 0; i < 3; i++)
        assert_true(p[12 + i] == 0.25);
    for (int i = 0; i < 12; i++) {
        assert_true(p[i] != 0.0);
        var += p[i] * p[i] / 12;
    }
    assert_true(var > 0.01 && var < 1.0); /* N(0, 1/4) */
    sym_model_free(m);
}

static void test_nn_ista_refuses(void **s)
{
    static const struct { const char *what; } want[] = {
        {"no biases"}, {"steps 0"}, {"alpha 0"}, {"alpha -1"}, {"lambda -0.1"}, {"widths [d, m, d]"},
        {"loss is mse"}, {"one_sided 2"},
    };
    sym_model *m = NULL;

    (void)s;
    for (int k = 0; k < (int)(sizeof want / sizeof *want); k++) {
        sym_model_opts o = ista(4, 3, 2, 0.1, 0.1);

        switch (k) {
        case 0: o.bias = 1; break;
        case 1: o.ista_steps = 0; break;
        case 2: o.ista_alpha = 0.0; break;
        case 3: o.ista_alpha = -1.0; break;
        case 4: o.ista_lambda = -0.1; break;
        case 5: o.widths[2] = 5; break;
        case 6: o.loss = SYM_LOSS_CROSS_ENTROPY; break;
        case 7: o.ista_one_sided = 2; break;
        }
        assert_int_equal(sym_model_create(&m, &o), SYM_EINVAL);
        if (!strstr(sym_err_message(), want[k].what))
            fail_msg("case %d: \"%s\" lacks \"%s\"", k, sym_err_message(), want[k].what);
        assert_null(m);
    }
}

/* proximal training counts W's penalty once, as the objective does (ista's layer 1 is layer 0's
 * W): on zero data the data loss and its gradient vanish, so one proximal gd step with a Frobenius
 * penalty lam ||W||^2 is exactly the shrinkage W / (1 + 2 lr lam), not W / (1 + 4 lr lam) */
static void test_nn_ista_proximal_once(void **s)
{
    enum { N = 5, DD = 4, M = 6 };
    sym_model_opts o = ista(DD, M, 2, 0.3, 0.1);
    sym_model *m = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    sym_data d = {0};
    double X[N * DD] = {0}, *p, *p0, curve[2];
    size_t np;
    sym_rng r;

    (void)s;
    check_ok(sym_model_create(&m, &o));
    np = sym_model_n_params(m);
    p = calloc(np, sizeof(double));
    p0 = calloc(np, sizeof(double));
    sym_rng_init(&r, 4, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    memcpy(p0, p, np * sizeof(double));
    d.n = N;
    d.d_in = d.d_out = DD;
    d.X = d.Y = X;
    reg.kind = SYM_REG_FROBENIUS;
    reg.lambda_encoder = reg.lambda_decoder = 0.5;
    t.optimizer = SYM_OPT_GD;
    t.lr = 0.1;
    t.epochs = 1;
    t.loss_every = 1;
    t.proximal = SYM_PROX_ON;
    check_ok(sym_train(&out, curve, p, m, &reg, &t, &d, &r));
    for (size_t i = 0; i < (size_t)M * DD; i++)
        assert_true(fabs(p[i] - p0[i] / (1.0 + 2.0 * 0.1 * 0.5)) <= 1e-15 * fabs(p0[i]));
    for (size_t i = (size_t)M * DD; i < np; i++) /* the thresholds: no penalty, no gradient */
        assert_true(p[i] == p0[i]);
    sym_model_free(m);
    free(p);
    free(p0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_ista_forward_matches_loop),
        cmocka_unit_test(test_nn_ista_gradient_fd),
        cmocka_unit_test(test_nn_ista_hvp_fd),
        cmocka_unit_test(test_nn_ista_blocks),
        cmocka_unit_test(test_nn_ista_orthonormal_reconstructs),
        cmocka_unit_test(test_nn_ista_large_threshold_is_zero),
        cmocka_unit_test(test_nn_ista_layout_and_init),
        cmocka_unit_test(test_nn_ista_refuses),
        cmocka_unit_test(test_nn_ista_proximal_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
