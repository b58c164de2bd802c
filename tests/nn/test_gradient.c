/*
 * Every model x activation x regularizer: the analytic gradient against
 * central finite differences.  Kinks (ReLU at 0, |w| at 0) are avoided by
 * construction: a draw is used only if no pre-activation of a piecewise
 * linear layer and no weight lies within 1e-3 of zero.
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

typedef struct model_case {
    const char *name;
    sym_model_opts o;
} model_case;

static sym_model_opts mlp(sym_act a)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {4, 5, 3, 2};

    o.kind = SYM_MODEL_MLP;
    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = a;
    o.act[2] = SYM_ACT_LINEAR;
    o.bias = 1;
    o.leaky_slope = 0.1;
    return o;
}

/* autoencoder 5 -> 4 -> 3 -> 4 -> 5, activation on every layer but the output */
static sym_model_opts ae(sym_act a, int tied, int bias)
{
    static const int w[] = {5, 4, 3, 4, 5};

    return sym_test_autoencoder(w, a, SYM_ACT_LINEAR, tied, bias);
}

/* smallest |entry| of the per-sample Jacobians of the chains [l0, l1), built
 * here independently as prod_l diag(sigma'(z_l)) W_l */
static double min_jacobian_entry(const sym_model *m, const sym_eval *e, const double *p, int l0,
                                 int l1)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    double best = INFINITY;

    for (int s = 0; s < NS; s++) {
        double J[64], T[64], W[64], d[8], a[8];

        SYM_ASSERT(o->widths[l0] * 8 <= 64); /* sized for the small test models */
        int rows = o->widths[l0];

        sym_eye(J, rows);
        for (int l = l0; l < l1; l++) {
            int ni = o->widths[l], no = o->widths[l + 1];
            const double *Z = sym_eval_preactivation(e, l); /* [no x NS] */
            double z[8];

            for (int i = 0; i < no; i++)
                z[i] = Z[i * sym_batch_ld(NS) + s];
            sym_model_get_weight(m, p, l, W);
            sym_gemm(0, 0, no, o->widths[l0], ni, 1.0, W, J, 0.0, T);
            sym_act_apply(o->act[l], o->leaky_slope, z, a, (size_t)no);
            sym_act_deriv(o->act[l], o->leaky_slope, z, a, d, (size_t)no);
            for (int i = 0; i < no; i++)
                for (int j = 0; j < o->widths[l0]; j++)
                    J[i * o->widths[l0] + j] = d[i] * T[i * o->widths[l0] + j];
            rows = no;
        }
        for (int i = 0; i < rows * o->widths[l0]; i++)
            if (J[i] != 0.0) /* exact zeros (dead ReLU) stay zero under perturbation */
                best = fmin(best, fabs(J[i]));
    }
    return best;
}

/* l1 Jacobian penalties have kinks where a Jacobian entry is 0 */
static int jacobian_smooth(const sym_model *m, const sym_eval *e, const double *p,
                           const void *ctx)
{
    const sym_model_opts *mo = sym_model_get_opts(m);
    const sym_reg *reg = ctx;

    if (reg->kind != SYM_REG_JACOBIAN || reg->norm != SYM_NORM_LP || reg->p != 1.0)
        return 1;
    return min_jacobian_entry(m, e, p, 0, mo->n_encoder) > 1e-3 &&
           (mo->n_encoder == mo->n_layers ||
            min_jacobian_entry(m, e, p, mo->n_encoder, mo->n_layers) > 1e-3);
}

/* Returns the relative error ||g - g_fd|| / max(||g||, ||g_fd||). */
static double fd_error2(const sym_model_opts *mo, const sym_reg *reg, const sym_reg *reg_fd,
                        uint64_t seed, int *skipped)
{
    sym_model *m = NULL;
    sym_eval *e = NULL, *efd = NULL;
    sym_rng r;
    size_t np;
    double *p, *g, *gfd, *X, *Y;
    double num = 0, den_a = 0, den_b = 0;
    int din = mo->widths[0], dout = mo->widths[mo->n_layers];

    check_ok(sym_model_create(&m, mo));
    check_ok(sym_eval_create(&e, m, reg, NS));
    check_ok(sym_eval_create(&efd, m, reg_fd, NS));
    np = sym_model_n_params(m);
    p = calloc(np, sizeof(double));
    g = calloc(np, sizeof(double));
    gfd = calloc(np, sizeof(double));
    X = calloc((size_t)NS * din, sizeof(double));
    Y = calloc((size_t)NS * dout, sizeof(double));
    *skipped = sym_test_smooth_draw(&r, e, m, reg, p, g, X, Y, NS, seed, 11, 50, jacobian_smooth,
                                    reg);
    for (size_t i = 0; i < np; i++) {
        const double h = 1e-5 * (1.0 + fabs(p[i]));
        double keep = p[i];
        sym_loss_parts plus, minus;

        p[i] = keep + h;
        check_ok(sym_eval_loss(efd, &plus, NULL, p, X, Y, NS));
        p[i] = keep - h;
        check_ok(sym_eval_loss(efd, &minus, NULL, p, X, Y, NS));
        p[i] = keep;
        gfd[i] = (plus.total - minus.total) / (2 * h);
    }
    for (size_t i = 0; i < np; i++) {
        num += (g[i] - gfd[i]) * (g[i] - gfd[i]);
        den_a += g[i] * g[i];
        den_b += gfd[i] * gfd[i];
    }
    free(p);
    free(g);
    free(gfd);
    free(X);
    free(Y);
    sym_eval_free(e);
    sym_eval_free(efd);
    sym_model_free(m);
    return sqrt(num) / fmax(sqrt(fmax(den_a, den_b)), 1e-300);
}

static double fd_error(const sym_model_opts *mo, const sym_reg *reg, uint64_t seed, int *skipped)
{
    return fd_error2(mo, reg, reg, seed, skipped);
}

static sym_reg reg_make(sym_reg_kind k, double p, sym_norm_kind norm)
{
    sym_reg r = SYM_REG_INIT;

    r.kind = k;
    r.lambda_encoder = 0.07;
    r.lambda_decoder = 0.03; /* different, so that a mix-up shows */
    r.p = p;
    r.norm = norm;
    return r;
}

static void run_matrix(const char *family, sym_model_opts (*make)(sym_act, int, int), int tied,
                       int bias)
{
    const sym_reg regs[] = {
        reg_make(SYM_REG_NONE, 2, 0),          reg_make(SYM_REG_FROBENIUS, 2, 0),
        reg_make(SYM_REG_L1, 1, 0),            reg_make(SYM_REG_LP, 1.5, 0),
        reg_make(SYM_REG_LP, 3, 0),            reg_make(SYM_REG_SCHATTEN, 1, 0),
        reg_make(SYM_REG_SCHATTEN, 2, 0),      reg_make(SYM_REG_SCHATTEN, 3, 0),
        reg_make(SYM_REG_SCHATTEN, INFINITY, 0),
        reg_make(SYM_REG_JACOBIAN, 2, SYM_NORM_FROBENIUS),
        reg_make(SYM_REG_JACOBIAN, 1.5, SYM_NORM_LP),
        reg_make(SYM_REG_JACOBIAN, 1, SYM_NORM_LP),
    };
    int nreg = (int)(sizeof(regs) / sizeof(regs[0]));
    double worst = 0;

    for (int a = 0; a < SYM_ACT_COUNT; a++) {
        for (int k = 0; k < nreg; k++) {
            sym_model_opts o = make((sym_act)a, tied, bias);
            int skipped;
            double err = fd_error(&o, &regs[k], 100 + 7 * (uint64_t)k, &skipped);

            worst = err > worst ? err : worst;
            if (!(err < 1e-6))
                fail_msg("%s/%s/%s p=%g: gradient relative error %.3g (skipped %d draws)", family,
                         sym_act_name((sym_act)a), sym_reg_name(regs[k].kind), regs[k].p, err,
                         skipped);
        }
    }
    print_message("%s: %d activations x %d regularizers, worst relative error %.2e\n", family,
                  SYM_ACT_COUNT, nreg, worst);
}

static sym_model_opts mlp3(sym_act a, int tied, int bias)
{
    (void)tied;
    (void)bias;
    return mlp(a);
}

static void test_nn_gradient_mlp(void **state)
{
    (void)state;
    run_matrix("mlp", mlp3, 0, 1);
}

static void test_nn_gradient_autoencoder_untied(void **state)
{
    (void)state;
    run_matrix("autoencoder untied+bias", ae, 0, 1);
}

static void test_nn_gradient_autoencoder_tied(void **state)
{
    (void)state;
    run_matrix("autoencoder tied+bias", ae, 1, 1);
    run_matrix("autoencoder tied, no bias", ae, 1, 0);
}

/* Feature-major batches have rows sym_batch_ld(n) apart; the padding
 * columns are read (whole vectors) but must never reach a sum.  With NaN in
 * the padding of XT and YT, the objective and gradient are bitwise those of
 * zero padding, and those of the row-major entry point. */
static void test_nn_gradient_padding_is_never_summed(void **state)
{
    const int ns[] = {37, 300};
    const sym_reg regs[] = {reg_make(SYM_REG_NONE, 2, 0), reg_make(SYM_REG_FROBENIUS, 2, 0),
                            reg_make(SYM_REG_JACOBIAN, 2, SYM_NORM_FROBENIUS)};

    (void)state;
    for (int a = 0; a < SYM_ACT_COUNT; a++)
        for (int fam = 0; fam < 2; fam++)
            for (size_t k = 0; k < sizeof(regs) / sizeof(*regs); k++)
                for (size_t c = 0; c < sizeof(ns) / sizeof(*ns); c++) {
                    sym_model_opts mo = fam ? ae((sym_act)a, 1, 1) : mlp((sym_act)a);
                    int n = ns[c], ld = sym_batch_ld(n), din = mo.widths[0];
                    int dout = mo.widths[mo.n_layers];
                    sym_model *m;
                    sym_eval *e;
                    sym_rng r;
                    sym_loss_parts l0, l1, l2;
                    size_t np;
                    double *p, *g0, *g1, *g2, *X, *Y, *XT, *YT;

                    check_ok(sym_model_create(&m, &mo));
                    check_ok(sym_eval_create(&e, m, &regs[k], n));
                    np = sym_model_n_params(m);
                    p = calloc(np, sizeof(double));
                    g0 = calloc(np, sizeof(double));
                    g1 = calloc(np, sizeof(double));
                    g2 = calloc(np, sizeof(double));
                    X = calloc((size_t)n * din, sizeof(double));
                    Y = calloc((size_t)n * dout, sizeof(double));
                    XT = calloc((size_t)ld * din, sizeof(double));
                    YT = calloc((size_t)ld * dout, sizeof(double));
                    sym_rng_init(&r, 5, SYM_RNG_TEST, (uint64_t)(a * 100 + fam * 10 + k));
                    sym_model_init_params(m, p, &r);
                    for (int i = 0; i < n * din; i++)
                        X[i] = sym_rng_normal(&r);
                    for (int i = 0; i < n * dout; i++)
                        Y[i] = sym_rng_normal(&r);
                    sym_transpose_ld(XT, ld, X, din, n, din);
                    sym_transpose_ld(YT, ld, Y, dout, n, dout);
                    check_ok(sym_eval_loss_t(e, &l0, g0, p, XT, YT, n));
                    for (int f = 0; f < din; f++)
                        for (int i = n; i < ld; i++)
                            XT[(size_t)f * ld + i] = NAN;
                    for (int f = 0; f < dout; f++)
                        for (int i = n; i < ld; i++)
                            YT[(size_t)f * ld + i] = NAN;
                    check_ok(sym_eval_loss_t(e, &l1, g1, p, XT, YT, n));
                    check_ok(sym_eval_loss(e, &l2, g2, p, X, Y, n));
                    assert_true(isfinite(l0.total));
                    for (size_t i = 0; i < np; i++)
                        assert_true(isfinite(g0[i]));
                    assert_memory_equal(&l0, &l1, sizeof(l0));
                    assert_memory_equal(&l0, &l2, sizeof(l0));
                    assert_memory_equal(g0, g1, np * sizeof(double));
                    assert_memory_equal(g0, g2, np * sizeof(double));
                    free(p), free(g0), free(g1), free(g2), free(X), free(Y), free(XT), free(YT);
                    sym_eval_free(e);
                    sym_model_free(m);
                }
}

/* Wide layers take the other code paths: OpenBLAS products (small
 * dimensions above the kernels' limits) and the unfused output layer. */
static void test_nn_gradient_wide_layers(void **state)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {5, 80, 70, 3};
    sym_reg none = SYM_REG_INIT, frob = reg_make(SYM_REG_FROBENIUS, 2, 0);
    int skipped;
    double e1, e2;

    (void)state;
    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = SYM_ACT_TANH;
    o.act[1] = SYM_ACT_SIGMOID;
    o.act[2] = SYM_ACT_LINEAR;
    o.bias = 1;
    e1 = fd_error(&o, &none, 5, &skipped);
    e2 = fd_error(&o, &frob, 6, &skipped);
    if (!(e1 < 1e-6 && e2 < 1e-6))
        fail_msg("wide MLP: gradient relative errors %.3g, %.3g", e1, e2);
    /* output wider than the kernels take: 5 -> 3 -> 70 */
    w[1] = 3;
    w[2] = 70;
    o.n_layers = o.n_encoder = 2;
    o.widths[0] = 5;
    o.widths[1] = 3;
    o.widths[2] = 70;
    o.act[1] = SYM_ACT_LINEAR;
    e1 = fd_error(&o, &none, 7, &skipped);
    if (!(e1 < 1e-6))
        fail_msg("wide output: gradient relative error %.3g", e1);
}

/* The check is not vacuous: an analytic gradient that misses the penalty
 * (computed without it, compared with finite differences of the penalized
 * objective) is caught. */
static void test_nn_gradient_check_detects_errors(void **state)
{
    sym_model_opts o = mlp(SYM_ACT_TANH);
    sym_reg none = SYM_REG_INIT;
    sym_reg frob = reg_make(SYM_REG_FROBENIUS, 2, 0);
    int skipped;

    (void)state;
    assert_true(fd_error2(&o, &none, &frob, 1, &skipped) > 1e-3);
    assert_true(fd_error2(&o, &frob, &frob, 1, &skipped) < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_gradient_mlp),
        cmocka_unit_test(test_nn_gradient_autoencoder_untied),
        cmocka_unit_test(test_nn_gradient_autoencoder_tied),
        cmocka_unit_test(test_nn_gradient_wide_layers),
        cmocka_unit_test(test_nn_gradient_padding_is_never_summed),
        cmocka_unit_test(test_nn_gradient_check_detects_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
