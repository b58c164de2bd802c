#include "smooth_draw.h"

#include <math.h>

#include "check.h"

static int piecewise(sym_act a) { return a == SYM_ACT_RELU || a == SYM_ACT_LEAKY_RELU; }

int sym_test_smooth_draw(sym_rng *r, sym_eval *e, const sym_model *m, const sym_reg *reg,
                         double *p, double *g, double *X, double *Y, int ns, uint64_t seed,
                         uint32_t stream, int max_skip, sym_test_accept_fn accept, const void *ctx)
{
    const sym_model_opts *mo = sym_model_get_opts(m);
    int din = mo->widths[0], dout = mo->widths[mo->n_layers], skipped = 0;
    size_t np = sym_model_n_params(m);
    sym_loss_parts lp;

    for (uint64_t s = seed;; s++) {
        int ok = 1;

        sym_rng_init(r, s, SYM_RNG_TEST, stream);
        sym_model_init_params(m, p, r);
        for (int l = 0; l < mo->n_layers; l++) {
            double *b = sym_model_bias(m, p, l);
            for (int i = 0; b && i < mo->widths[l + 1]; i++)
                b[i] = 0.3 * sym_rng_normal(r);
        }
        for (int i = 0; i < ns * din; i++)
            X[i] = sym_rng_normal(r);
        for (int i = 0; i < ns * dout; i++)
            Y[i] = sym_rng_normal(r);
        check_ok(sym_eval_loss(e, &lp, g, p, X, Y, ns));
        for (int l = 0; l < mo->n_layers; l++) {
            const double *z = sym_eval_preactivation(e, l);
            if (piecewise(mo->act[l]))
                for (int i = 0; i < mo->widths[l + 1]; i++)
                    for (int t = 0; t < ns; t++) /* rows sym_batch_ld(ns) apart */
                        ok &= fabs(z[i * sym_batch_ld(ns) + t]) > 1e-3;
        }
        if (reg->kind == SYM_REG_L1 || reg->kind == SYM_REG_LP)
            for (size_t i = 0; i < np; i++)
                ok &= fabs(p[i]) > 1e-3;
        if (ok && accept)
            ok = accept(m, e, p, ctx);
        if (ok)
            return skipped;
        assert_true(++skipped < max_skip);
    }
}
