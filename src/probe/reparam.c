#include "symsweep/probe.h"

#include <string.h>

int sym_reparam_apply(double *out, const sym_model *m, const double *params, int h,
                      const double *K, const double *Kinv, double *work)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0, n, nprev, nnext;
    double *W = work, *T;

    if (h < 0 || h >= o->n_layers - 1)
        SYM_FAIL(SYM_EINVAL, "hidden layer %d: the model has hidden layers 0..%d", h,
                 o->n_layers - 2);
    if (o->tied)
        SYM_FAIL(SYM_EINVAL, "the layer action on a tied autoencoder unties it: use tied: false");
    n = o->widths[h + 1];
    nprev = o->widths[h];
    nnext = o->widths[h + 2];
    T = W + (size_t)(n > nnext ? n : nnext) * (nprev > n ? nprev : n);
    memcpy(out, params, sizeof(double) * sym_model_n_params(m));

    /* W_h [n x nprev] -> K W_h */
    sym_model_get_weight(m, params, h, W);
    sym_gemm(0, 0, n, nprev, n, 1.0, K, W, 0.0, T);
    sym_model_set_weight(m, out, h, T);
    if (o->bias) {
        const double *b = sym_model_bias(m, (double *)params, h);
        double *bo = sym_model_bias(m, out, h);

        for (int i = 0; i < n; i++) {
            double s = 0.0;

            for (int j = 0; j < n; j++)
                s += K[(size_t)i * n + j] * b[j];
            bo[i] = s;
        }
    }
    /* W_{h+1} [nnext x n] -> W_{h+1} K^{-1} */
    sym_model_get_weight(m, params, h + 1, W);
    sym_gemm(0, 0, nnext, n, n, 1.0, W, Kinv, 0.0, T);
    sym_model_set_weight(m, out, h + 1, T);
cleanup:
    return rc;
}
