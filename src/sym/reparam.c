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

/* the scratch of sym_reparam_probe_ex: parameters, a group element and its inverse, the
 * outputs before and after, and the end-to-end maps of a linear network (P0 NULL: none) */
typedef struct reparam_ws {
    double *th, *tmp, *K, *Ki, *gw, *inv, *rw, *Y0, *Y1, *P0, *P1, *PT, *PW;
    int *ipiv;
    sym_eval *e;
} reparam_ws;

static void ws_free(reparam_ws *w)
{
    double **all[] = {&w->th, &w->tmp, &w->K, &w->Ki, &w->gw, &w->inv, &w->rw, &w->Y0, &w->Y1,
                      &w->P0, &w->P1, &w->PT, &w->PW};

    sym_eval_free(w->e);
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(*all[i]);
    free(w->ipiv);
}

/* for n samples through m; with e2e the end-to-end maps too */
static int ws_init(reparam_ws *w, const sym_model *m, int n, int wmax, int e2e)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t np = sym_model_n_params(m), w2 = (size_t)wmax * wmax, ny = (size_t)n * o->widths[o->n_layers];
    sym_reg none = SYM_REG_INIT;
    int rc = 0;

    SYM_TRY(sym_alloc_doubles(&w->th, np));
    SYM_TRY(sym_alloc_doubles(&w->tmp, np));
    SYM_TRY(sym_alloc_doubles(&w->K, w2));
    SYM_TRY(sym_alloc_doubles(&w->Ki, w2));
    SYM_TRY(sym_alloc_doubles(&w->gw, sym_group_work_size(wmax)));
    SYM_TRY(sym_alloc_doubles(&w->inv, w2));
    SYM_TRY(sym_alloc_doubles(&w->rw, 2 * w2));
    SYM_TRY(sym_alloc_doubles(&w->Y0, ny));
    SYM_TRY(sym_alloc_doubles(&w->Y1, ny));
    SYM_TRY(sym_alloc(&w->ipiv, sizeof(int) * (size_t)wmax));
    SYM_TRY(sym_eval_create(&w->e, m, &none, n));
    if (e2e) {
        SYM_TRY(sym_alloc_doubles(&w->P0, w2));
        SYM_TRY(sym_alloc_doubles(&w->P1, w2));
        SYM_TRY(sym_alloc_doubles(&w->PT, w2));
        SYM_TRY(sym_alloc_doubles(&w->PW, w2));
    }
cleanup:
    return rc;
}

/* w->th = params with a K_h of family g (drawn from r, layer by layer) at every hidden layer */
static int act_every_layer(reparam_ws *w, const sym_model *m, const double *params, sym_group g,
                           sym_rng *r, int bias_compensation)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t np = sym_model_n_params(m);
    sym_group_opts go = SYM_GROUP_OPTS_INIT;
    int rc = 0;

    memcpy(w->th, params, np * sizeof(double));
    for (int h = 0; h < o->n_layers - 1; h++) {
        int nh = o->widths[h + 1];

        SYM_TRY(sym_group_sample(w->K, g, nh, &go, r, w->gw));
        SYM_TRY(sym_mat_inverse(w->Ki, w->K, nh, w->inv, w->ipiv));
        SYM_TRY(sym_reparam_apply(w->tmp, m, w->th, h, w->K, w->Ki, w->rw));
        if (bias_compensation)
            SYM_TRY(compensate(w->tmp, m, w->th, h, w->K, w->rw));
        memcpy(w->th, w->tmp, np * sizeof(double));
    }
cleanup:
    return rc;
}

int sym_reparam_probe_ex(double out[4], double *e2e, const sym_model *m, const double *params,
                         const double *X, int n, sym_group g, int trials, sym_rng *r,
                         int bias_compensation)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0, wmax = 0, L = o->n_layers, dout = o->widths[L], linear = 1;
    size_t ny = (size_t)n * dout, pn = (size_t)dout * o->widths[0];
    reparam_ws w = {0};
    double nrm = 0.0;

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
    SYM_TRY(ws_init(&w, m, n, wmax, linear && e2e));
    SYM_TRY(sym_eval_forward(w.e, w.Y0, params, X, n));
    nrm = sym_norm2(w.Y0, ny);
    if (w.P0)
        end_to_end(w.P0, w.PT, w.PW, m, params);
    if (e2e)
        *e2e = w.P0 ? 0.0 : NAN;
    out[0] = out[1] = out[2] = out[3] = 0.0;
    for (int t = 0; t < trials; t++) {
        double dmax = 0.0, dsum = 0.0, rel;

        SYM_TRY(act_every_layer(&w, m, params, g, r, bias_compensation));
        SYM_TRY(sym_eval_forward(w.e, w.Y1, w.th, X, n));
        for (size_t i = 0; i < ny; i++) {
            double dd = w.Y1[i] - w.Y0[i];

            dmax = fmax(dmax, fabs(dd));
            dsum += dd * dd;
        }
        rel = sqrt(dsum) / fmax(nrm, 1e-300);
        out[0] += dmax; /* sums here, means after the loop: one rounding */
        out[1] = fmax(out[1], dmax);
        out[2] += rel;
        out[3] = fmax(out[3], rel);
        if (w.P0) {
            end_to_end(w.P1, w.PT, w.PW, m, w.th);
            for (size_t i = 0; i < pn; i++)
                w.P1[i] -= w.P0[i];
            *e2e = fmax(*e2e, sym_norm2(w.P1, pn) / sym_norm2(w.P0, pn));
        }
    }
    out[0] /= trials;
    out[2] /= trials;
cleanup:
    ws_free(&w);
    return rc;
}
