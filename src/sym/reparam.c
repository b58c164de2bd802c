/* Ex1 of the article: the network computes the same function after K_h acts on every hidden layer. */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
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

/* P = W_L ... W_1 [d_out x d_in] of the effective weights */
static void end_to_end(double *P, double *T, double *W, const sym_model *m, const double *params)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int din = o->widths[0];

    sym_eye(P, din);
    for (int l = 0; l < o->n_layers; l++) {
        int ni = o->widths[l], no = o->widths[l + 1];

        sym_model_get_weight(m, params, l, W);
        sym_gemm(0, 0, no, din, ni, 1.0, W, P, 0.0, T); /* [no x din] */
        memcpy(P, T, sizeof(double) * (size_t)no * din);
    }
}

/* The bias compensation of a sign flip (sym_flip_offset): a flipped unit j of hidden layer h
 * feeds kappa - a_j, which the next bias absorbs: b_{h+1} += kappa W_{h+1}[:, j] (the weights
 * before the layer's transform). */
/* b_{h+1} of @p out += kappa W_{h+1} c, c_j = 1 where column j of the monomial K has a -1 */
static int compensate(double *out, const sym_model *m, const double *before, int h, const double *K,
                      double *W)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int n = o->widths[h + 1], nnext = o->widths[h + 2];
    double kappa = sym_flip_offset(o->act[h]), *b = sym_model_bias(m, out, h + 1);

    if (kappa == 0.0 || !b)
        return 0;
    sym_model_get_weight(m, before, h + 1, W); /* [nnext x n] */
    for (int j = 0; j < n; j++) {
        int neg = 0, nz = 0;

        for (int i = 0; i < n; i++)
            if (K[(size_t)i * n + j] != 0.0) {
                nz++;
                neg = K[(size_t)i * n + j] < 0.0;
            }
        if (nz != 1) /* not monomial: no sign flip to compensate */
            return 0;
        if (neg)
            for (int i = 0; i < nnext; i++)
                b[i] += kappa * W[(size_t)i * n + j];
    }
    return 0;
}

int sym_reparam_probe(double out[4], double *e2e, const sym_model *m, const double *params,
                      const double *X, int n, sym_group g, int trials, sym_rng *r)
{
    return sym_reparam_probe_ex(out, e2e, m, params, X, n, g, trials, r, 0);
}

int sym_reparam_probe_ex(double out[4], double *e2e, const sym_model *m, const double *params,
                         const double *X, int n, sym_group g, int trials, sym_rng *r,
                         int bias_compensation)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t np = sym_model_n_params(m);
    int rc = 0, wmax = 0, L = o->n_layers, dout = o->widths[L], linear = 1;
    double *th = NULL, *tmp = NULL, *K = NULL, *Ki = NULL, *gw = NULL, *inv = NULL, *rw = NULL;
    double *Y0 = NULL, *Y1 = NULL, *P0 = NULL, *P1 = NULL, *PT = NULL, *PW = NULL;
    int *ipiv = NULL;
    sym_group_opts go = SYM_GROUP_OPTS_INIT;
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    double ny = 0.0;

    if (L < 2)
        SYM_FAIL(SYM_EINVAL, "reparam probe: the model has no hidden layer to act on");
    if (o->tied)
        SYM_FAIL(SYM_EINVAL, "reparam probe: the layer action unties a tied autoencoder; use tied: false");
    if (trials < 1)
        SYM_FAIL(SYM_EINVAL, "reparam probe: %d trials: need at least 1", trials);
    for (int i = 0; i <= L; i++)
        wmax = o->widths[i] > wmax ? o->widths[i] : wmax;
    for (int l = 0; l < L; l++)
        linear &= o->act[l] == SYM_ACT_LINEAR;
    SYM_TRY(sym_alloc_doubles(&th, np));
    SYM_TRY(sym_alloc_doubles(&tmp, np));
    SYM_TRY(sym_alloc_doubles(&K, (size_t)wmax * wmax));
    SYM_TRY(sym_alloc_doubles(&Ki, (size_t)wmax * wmax));
    SYM_TRY(sym_alloc_doubles(&gw, sym_group_work_size(wmax)));
    SYM_TRY(sym_alloc_doubles(&inv, (size_t)wmax * wmax));
    SYM_TRY(sym_alloc_doubles(&rw, 2 * (size_t)wmax * wmax));
    SYM_TRY(sym_alloc_doubles(&Y0, (size_t)n * dout));
    SYM_TRY(sym_alloc_doubles(&Y1, (size_t)n * dout));
    SYM_TRY(sym_alloc(&ipiv, sizeof(int) * (size_t)wmax));
    SYM_TRY(sym_eval_create(&e, m, &none, n));
    SYM_TRY(sym_eval_forward(e, Y0, params, X, n));
    ny = sym_norm2(Y0, (size_t)n * dout);
    if (linear && e2e) {
        SYM_TRY(sym_alloc_doubles(&P0, (size_t)wmax * wmax));
        SYM_TRY(sym_alloc_doubles(&P1, (size_t)wmax * wmax));
        SYM_TRY(sym_alloc_doubles(&PT, (size_t)wmax * wmax));
        SYM_TRY(sym_alloc_doubles(&PW, (size_t)wmax * wmax));
        end_to_end(P0, PT, PW, m, params);
        *e2e = 0.0;
    } else if (e2e) {
        *e2e = NAN;
    }
    out[0] = out[1] = out[2] = out[3] = 0.0;
    for (int t = 0; t < trials; t++) {
        double dmax = 0.0, dsum = 0.0, rel;

        memcpy(th, params, np * sizeof(double));
        for (int h = 0; h < L - 1; h++) {
            int nh = o->widths[h + 1];

            SYM_TRY(sym_group_sample(K, g, nh, &go, r, gw));
            SYM_TRY(sym_mat_inverse(Ki, K, nh, inv, ipiv));
            SYM_TRY(sym_reparam_apply(tmp, m, th, h, K, Ki, rw));
            if (bias_compensation)
                SYM_TRY(compensate(tmp, m, th, h, K, rw));
            memcpy(th, tmp, np * sizeof(double));
        }
        SYM_TRY(sym_eval_forward(e, Y1, th, X, n));
        for (size_t i = 0; i < (size_t)n * dout; i++) {
            double dd = Y1[i] - Y0[i];

            dmax = fmax(dmax, fabs(dd));
            dsum += dd * dd;
        }
        rel = sqrt(dsum) / fmax(ny, 1e-300);
        out[0] += dmax; /* sums here, means after the loop: one rounding */
        out[1] = fmax(out[1], dmax);
        out[2] += rel;
        out[3] = fmax(out[3], rel);
        if (P0) {
            size_t pn = (size_t)dout * o->widths[0];

            end_to_end(P1, PT, PW, m, th);
            for (size_t i = 0; i < pn; i++)
                P1[i] -= P0[i];
            *e2e = fmax(*e2e, sym_norm2(P1, pn) / sym_norm2(P0, pn));
        }
    }
    out[0] /= trials;
    out[2] /= trials;
cleanup:
    sym_eval_free(e);
    free(th);
    free(tmp);
    free(K);
    free(Ki);
    free(gw);
    free(inv);
    free(rw);
    free(Y0);
    free(Y1);
    free(P0);
    free(P1);
    free(PT);
    free(PW);
    free(ipiv);
    return rc;
}
