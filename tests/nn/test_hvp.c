/*
 * Exact Hessian-vector products: every model x activation x supported
 * regularizer against central finite differences of the analytic gradient
 * (itself checked against finite differences of the loss in test_gradient),
 * symmetry <w, H v> = <v, H w>, and the closed form of a linear layer.
 * Kinks (ReLU at 0, |w| at 0) are avoided by construction as in test_gradient.
 */
#include "check.h"
#include "models.h"
#include "smooth_draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { NS = 7 };

static sym_model_opts mlp(sym_act a, int tied, int bias)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {4, 5, 3, 2};

    (void)tied;
    o.kind = SYM_MODEL_MLP;
    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = a;
    o.act[2] = SYM_ACT_LINEAR;
    o.bias = bias;
    o.leaky_slope = 0.1;
    return o;
}

static sym_model_opts ae(sym_act a, int tied, int bias)
{
    static const int w[] = {5, 4, 3, 4, 5};

    /* a nonlinear output layer too: its sigma'' term is exercised */
    return sym_test_autoencoder(w, a, a, tied, bias);
}

/* ||Hv - (g(p + h v) - g(p - h v)) / 2h|| / ||Hv|| for a random unit v; also the
 * symmetry defect |<w, Hv> - <v, Hw>| / (||Hv|| + ||Hw||) */
static void check_case(const char *name, const sym_model_opts *mo, const sym_reg *reg,
                       uint64_t seed)
{
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_hvp *h = NULL;
    sym_rng r;
    size_t np;
    double *p, *g1, *g2, *v, *w, *Hv, *Hw, *q, *X, *Y;
    int din = mo->widths[0], dout = mo->widths[mo->n_layers];
    sym_loss_parts lp;

    check_ok(sym_model_create(&m, mo));
    check_ok(sym_eval_create(&e, m, reg, NS));
    check_ok(sym_hvp_create(&h, m, reg, NS));
    np = sym_model_n_params(m);
    p = calloc(np, sizeof(double));
    g1 = calloc(np, sizeof(double));
    g2 = calloc(np, sizeof(double));
    v = calloc(np, sizeof(double));
    w = calloc(np, sizeof(double));
    Hv = calloc(np, sizeof(double));
    Hw = calloc(np, sizeof(double));
    q = calloc(np, sizeof(double));
    X = calloc((size_t)NS * din, sizeof(double));
    Y = calloc((size_t)NS * dout, sizeof(double));
    sym_test_smooth_draw(&r, e, m, reg, p, g1, X, Y, NS, seed, 21, 100, NULL, NULL);
    for (size_t i = 0; i < np; i++) {
        v[i] = sym_rng_normal(&r);
        w[i] = sym_rng_normal(&r);
    }
    {
        double nv = sym_norm2(v, np);
        for (size_t i = 0; i < np; i++)
            v[i] /= nv;
    }
    check_ok(sym_hvp_set_point(h, p, X, Y, NS));
    check_ok(sym_hvp_apply(h, Hv, v));
    check_ok(sym_hvp_apply(h, Hw, w));
    {
        const double step = 1e-5;
        double num = 0, den = 0, a = 0, b = 0;

        for (size_t i = 0; i < np; i++)
            q[i] = p[i] + step * v[i];
        check_ok(sym_eval_loss(e, &lp, g1, q, X, Y, NS));
        for (size_t i = 0; i < np; i++)
            q[i] = p[i] - step * v[i];
        check_ok(sym_eval_loss(e, &lp, g2, q, X, Y, NS));
        for (size_t i = 0; i < np; i++) {
            double fd = (g1[i] - g2[i]) / (2 * step);

            num += (Hv[i] - fd) * (Hv[i] - fd);
            den += Hv[i] * Hv[i];
            a += w[i] * Hv[i];
            b += v[i] * Hw[i];
        }
        double err = sqrt(num / den), sym = fabs(a - b) / (sym_norm2(Hv, np) + sym_norm2(Hw, np));

        if (!(err < 1e-7) || !(sym < 1e-13))
            fail_msg("%s, %s: |Hv - fd| / |Hv| = %.3g (want < 1e-7), symmetry defect %.3g", name,
                     sym_reg_name(reg->kind), err, sym);
    }
    free(p);
    free(g1);
    free(g2);
    free(v);
    free(w);
    free(Hv);
    free(Hw);
    free(q);
    free(X);
    free(Y);
    sym_hvp_free(h);
    sym_eval_free(e);
    sym_model_free(m);
}

static sym_reg reg_make(sym_reg_kind k, double p)
{
    sym_reg r = SYM_REG_INIT;

    r.kind = k;
    r.lambda_encoder = 0.07;
    r.lambda_decoder = 0.03;
    r.p = p;
    return r;
}

static void matrix(const char *fam, sym_model_opts (*make)(sym_act, int, int), int tied, int bias)
{
    const sym_reg regs[] = {reg_make(SYM_REG_NONE, 2), reg_make(SYM_REG_FROBENIUS, 2),
                            reg_make(SYM_REG_L1, 1), reg_make(SYM_REG_LP, 1.5),
                            reg_make(SYM_REG_LP, 3)};

    for (int a = 0; a < SYM_ACT_COUNT; a++)
        for (size_t k = 0; k < sizeof(regs) / sizeof(regs[0]); k++) {
            sym_model_opts o = make((sym_act)a, tied, bias);
            char name[96];

            snprintf(name, sizeof(name), "%s %s tied=%d bias=%d", fam, sym_act_name((sym_act)a),
                     tied, bias);
            check_case(name, &o, &regs[k], 100 + 17 * (uint64_t)a + k);
        }
}

static void test_mlp(void **s)
{
    (void)s;
    matrix("mlp", mlp, 0, 1);
    matrix("mlp", mlp, 0, 0);
}

static void test_autoencoder(void **s)
{
    (void)s;
    matrix("ae", ae, 0, 1);
    matrix("ae", ae, 1, 1);
    matrix("ae", ae, 1, 0);
}

/* one linear layer y = W x, L = (1/(n d)) sum (Wx - y)^2: H = (2/(n d)) I_d (x) X^T X */
static void test_linear_closed_form(void **s)
{
    enum { N = 9, DI = 4, DO = 3, P = DI * DO };
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_model *m = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_rng r;
    double X[N * DI], Y[N * DO], p[P], H[P * P], want[P * P];

    (void)s;
    o.n_layers = o.n_encoder = 1;
    o.widths[0] = DI;
    o.widths[1] = DO;
    check_ok(sym_model_create(&m, &o));
    sym_rng_init(&r, 5, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * DI; i++)
        X[i] = sym_rng_normal(&r);
    for (int i = 0; i < N * DO; i++)
        Y[i] = sym_rng_normal(&r);
    for (int i = 0; i < P; i++)
        p[i] = sym_rng_normal(&r);
    check_ok(sym_hessian_dense(H, m, &reg, p, X, Y, N));
    memset(want, 0, sizeof(want));
    for (int a = 0; a < DO; a++)
        for (int i = 0; i < DI; i++)
            for (int j = 0; j < DI; j++) {
                double xx = 0;

                for (int k = 0; k < N; k++)
                    xx += X[k * DI + i] * X[k * DI + j];
                want[(a * DI + i) * P + a * DI + j] = 2.0 / (N * DO) * xx;
            }
    check_close(H, want, P * P, 1e-14, 1e-12);
    sym_model_free(m);
}

static void test_refuses(void **s)
{
    sym_model_opts o = mlp(SYM_ACT_TANH, 0, 1);
    sym_model *m = NULL;
    sym_hvp *h = NULL;
    sym_reg reg = reg_make(SYM_REG_SCHATTEN, 1);

    (void)s;
    check_ok(sym_model_create(&m, &o));
    assert_int_equal(sym_hvp_create(&h, m, &reg, 4), SYM_EINVAL);
    assert_non_null(strstr(sym_err_message(), "found schatten"));
    reg.kind = SYM_REG_JACOBIAN;
    assert_int_equal(sym_hvp_create(&h, m, &reg, 4), SYM_EINVAL);
    assert_null(h);
    sym_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp),
        cmocka_unit_test(test_autoencoder),
        cmocka_unit_test(test_linear_closed_form),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
