/*
 * The unfolded ISTA sparse autoencoder (seed 003, eq. 3-4; Gregor and LeCun 2010): a dictionary
 * W [m x d] whose rows are the filters, thresholds lambda [m], and L steps
 *
 *   r_t = x - W^T z_t,   u_t = z_t + alpha W r_t,   z_{t+1} = S(u_t; lambda),   z_0 = 0,
 *   xhat = W^T z_L,      S(u; lambda) = sign(u) max(|u| - lambda, 0)
 *
 * on feature-major blocks (samples along the rows, ld apart); one-sided (ista_one_sided),
 * S(u; lambda) = max(u - lambda, 0) and s_t = -D_t below.  Gradient (e = dl/dxhat,
 * g_t = dl/dz_t, D_t = dS/du = [|u_t| > lambda], s_t = dS/dlambda = -sign(u_t) D_t):
 *
 *   gW = z_L e^T + alpha sum_t (gu_t r_t^T - z_t v_t^T),   g_L = W e,
 *   gu_t = D_t g_{t+1},  v_t = W^T gu_t,  g_t = gu_t - alpha W v_t,  glambda = sum_t s_t g_{t+1}.
 *
 * S is piecewise linear, so D and s are constant almost everywhere and the Hessian-vector
 * product (forward over reverse) differentiates everything else: with the direction (W', l'),
 *
 *   r'_t = -W'^T z_t - W^T z'_t,  u'_t = z'_t + alpha (W' r_t + W r'_t),
 *   z'_{t+1} = D_t u'_t + s_t l',  xhat' = W'^T z_L + W^T z'_L,  e' = scale xhat',
 *   gW' = z'_L e^T + z_L e'^T + alpha sum_t (gu'_t r_t^T + gu_t r'_t^T - z'_t v_t^T - z_t v'_t^T),
 *   g'_L = W' e + W e',  gu'_t = D_t g'_{t+1},  v'_t = W'^T gu_t + W^T gu'_t,
 *   g'_t = gu'_t - alpha (W' v_t + W v'_t),  glambda' = sum_t s_t g'_{t+1}.
 *
 * The parameters are the dense vector (W, then lambda) whoever made it.
 */
#include "model_impl.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

size_t sym_ista_ws_doubles(const sym_model_opts *o, int max_batch, int tangents)
{
    size_t L = (size_t)o->ista_steps, ld = (size_t)sym_batch_ld(max_batch);
    size_t zs = (size_t)o->widths[1] * ld, ds = (size_t)o->widths[0] * ld;
    size_t n = (L + 1) * zs + L * zs + L * ds + ds + L * zs + L * ds + zs;

    if (tangents)
        n += (L + 1) * zs + L * ds + zs + ds + zs;
    return n;
}

void sym_ista_ws_carve(sym_ista_ws *w, const sym_model_opts *o, int max_batch, double *mem,
                       int tangents)
{
    size_t L = (size_t)o->ista_steps, ld = (size_t)sym_batch_ld(max_batch);

    memset(w, 0, sizeof(*w));
    w->steps = o->ista_steps;
    w->m = o->widths[1];
    w->d = o->widths[0];
    w->zs = (size_t)w->m * ld;
    w->ds = (size_t)w->d * ld;
    w->Z = mem;
    w->U = w->Z + (L + 1) * w->zs;
    w->R = w->U + L * w->zs;
    w->E = w->R + L * w->ds;
    w->GU = w->E + w->ds;
    w->V = w->GU + L * w->zs;
    w->g = w->V + L * w->ds;
    if (!tangents)
        return;
    w->Zd = w->g + w->zs;
    w->Rd = w->Zd + (L + 1) * w->zs;
    w->tm = w->Rd + L * w->ds;
    w->td = w->tm + w->zs;
    w->gd = w->td + w->ds;
}


/* unfolded ISTA: widths [d, m, d], W1 [m x d] (layer 1 is its transpose), then lambda1 [m] */
int sym_istai_layout(sym_model *m, const sym_model_opts *o)
{
    int rc = 0, d = o->widths[0], k = o->widths[1];
    sym_tensor *t = m->tensors;

    if (o->n_layers != 2 || o->n_encoder != 1 || o->widths[2] != d)
        SYM_FAIL(SYM_EINVAL, "an ista model has widths [d, m, d] (2 layers, 1 encoder layer)");
    if (o->bias)
        SYM_FAIL(SYM_EINVAL, "an ista model has no biases: its thresholds lambda play their part");
    if (sym_groupi_on(o) && o->group_layer != 0)
        SYM_FAIL(SYM_EINVAL, "an ista model's learned-group layer is its dictionary, layer 1: found layer %d",
                 o->group_layer + 1);
    if (o->tied)
        SYM_FAIL(SYM_EINVAL, "an ista model's decoder is W^T by construction: tied is not a setting of it");
    if (o->loss != SYM_LOSS_MSE)
        SYM_FAIL(SYM_EINVAL, "an ista model reconstructs its input: its loss is mse");
    if (o->act[0] != SYM_ACT_LINEAR || o->act[1] != SYM_ACT_LINEAR)
        SYM_FAIL(SYM_EINVAL, "an ista model's nonlinearity is its soft threshold: activations are linear");
    if (o->ista_one_sided != 0 && o->ista_one_sided != 1)
        SYM_FAIL(SYM_EINVAL, "ista one_sided %d: must be 0 or 1", o->ista_one_sided);
    if (o->ista_steps < 1)
        SYM_FAIL(SYM_EINVAL, "ista steps %d: must be at least 1", o->ista_steps);
    if (!(o->ista_alpha > 0.0) || !isfinite(o->ista_alpha))
        SYM_FAIL(SYM_EINVAL, "ista alpha %g: must be a finite number > 0", o->ista_alpha);
    if (!(o->ista_lambda >= 0.0) || !isfinite(o->ista_lambda))
        SYM_FAIL(SYM_EINVAL, "ista lambda %g: must be a finite number >= 0", o->ista_lambda);
    m->tied[1] = 1;
    m->b_off[0] = m->b_off[1] = SIZE_MAX;
    if (sym_groupi_on(o)) { /* the dictionary's filters b_k, A_k b_k, ... (its rows): theta holds A, B
                             * (and At), then lambda; the dense twin (no group) is what ista.c runs */
        sym_model_opts dense = *o;
        size_t off = 0;

        m->gl = 0;
        SYM_TRY(sym_groupi_layout(m, &off, "", 1));
        m->w_off[0] = m->w_off[1] = m->ga_off;
        t = &m->tensors[m->n_tensors++];
        snprintf(t->name, sizeof(t->name), "lambda1");
        t->offset = off;
        t->rows = k;
        t->cols = 1;
        m->lam_off = off;
        m->n_params = off + (size_t)k;
        dense.group_layer = -1;
        SYM_TRY(sym_model_create(&m->dense, &dense));
        goto cleanup;
    }
    m->w_off[0] = m->w_off[1] = 0;
    snprintf(t[0].name, sizeof(t[0].name), "W1");
    t[0].offset = 0;
    t[0].rows = k;
    t[0].cols = d;
    snprintf(t[1].name, sizeof(t[1].name), "lambda1");
    t[1].offset = (size_t)k * d;
    t[1].rows = k;
    t[1].cols = 1;
    m->n_tensors = 2;
    m->lam_off = (size_t)k * d;
    m->n_params = (size_t)k * d + (size_t)k;
cleanup:
    return rc;
}

/* S(u; lam) and its derivatives in u (0 or 1) and in lam (-sign u or 0); one-sided,
 * max(u - lam, 0) */
static inline double shrink(double u, double lam, int one, double *du, double *dl)
{
    double a = (one ? u : fabs(u)) - lam, s = one || u >= 0.0 ? 1.0 : -1.0;

    if (a > 0.0) {
        *du = 1.0;
        *dl = -s;
        return s * a;
    }
    *du = *dl = 0.0;
    return 0.0;
}

void sym_ista_forward(sym_ista_ws *w, const sym_model *m, const double *params, const double *XT,
                      int n, int ld)
{
    const double *W = params + m->w_off[0], *lam = params + m->lam_off;
    double alpha = m->o.ista_alpha, du, dl;
    int md = w->m, d = w->d;

    (void)n;
    memset(w->Z, 0, sizeof(double) * (size_t)md * ld);
    for (int t = 0; t < w->steps; t++) {
        double *Z = w->Z + t * w->zs, *U = w->U + t * w->zs, *R = w->R + t * w->ds;
        double *Zn = Z + w->zs;

        /* R [d x ld] = X - W^T Z */
        memcpy(R, XT, sizeof(double) * (size_t)d * ld);
        if (t > 0)
            sym_gemm_ld(1, 0, d, ld, md, -1.0, W, d, Z, ld, 1.0, R, ld);
        /* U [m x ld] = Z + alpha W R */
        memcpy(U, Z, sizeof(double) * (size_t)md * ld);
        sym_gemm_ld(0, 0, md, ld, d, alpha, W, d, R, ld, 1.0, U, ld);
        for (int i = 0; i < md; i++)
            for (int j = 0; j < ld; j++)
                Zn[(size_t)i * ld + j] =
                    shrink(U[(size_t)i * ld + j], lam[i], m->o.ista_one_sided, &du, &dl);
    }
    /* xhat [d x ld] = W^T z_L */
    sym_gemm_ld(1, 0, d, ld, md, 1.0, W, d, w->Z + w->steps * w->zs, ld, 0.0, w->E, ld);
}

double sym_ista_block(sym_ista_ws *w, const sym_model *m, double *grad, const double *params,
                      const double *XT, const double *YT, int n, int ld, double scale, int backward)
{
    const double *W = params + m->w_off[0], *lam = params + m->lam_off;
    double alpha = m->o.ista_alpha, sse = 0.0, du, dl;
    double *gW = grad ? grad + m->w_off[0] : NULL, *gl = grad ? grad + m->lam_off : NULL;
    int md = w->m, d = w->d;

    sym_ista_forward(w, m, params, XT, n, ld);
    for (int k = 0; k < d; k++)
        for (int j = 0; j < ld; j++) {
            size_t at = (size_t)k * ld + j;
            double r = w->E[at] - YT[at];

            if (j < n) {
                sse += r * r;
                w->E[at] = scale * r;
            } else {
                w->E[at] = 0.0; /* padding: summed by nothing */
            }
        }
    if (!backward)
        return sse;
    if (gW) /* gW [m x d] += z_L e^T */
        sym_gemm_ld(0, 1, md, d, n, 1.0, w->Z + w->steps * w->zs, ld, w->E, ld, 1.0, gW, d);
    /* g_L [m x ld] = W e */
    sym_gemm_ld(0, 0, md, ld, d, 1.0, W, d, w->E, ld, 0.0, w->g, ld);
    for (int t = w->steps - 1; t >= 0; t--) {
        const double *Z = w->Z + t * w->zs, *U = w->U + t * w->zs, *R = w->R + t * w->ds;
        double *GU = w->GU + t * w->zs, *V = w->V + t * w->ds;

        for (int i = 0; i < md; i++) {
            double acc = 0.0;

            for (int j = 0; j < ld; j++) {
                size_t at = (size_t)i * ld + j;

                shrink(U[at], lam[i], m->o.ista_one_sided, &du, &dl);
                GU[at] = du * w->g[at];
                if (j < n)
                    acc += dl * w->g[at];
            }
            if (gl)
                gl[i] += acc;
        }
        /* V [d x ld] = W^T GU */
        sym_gemm_ld(1, 0, d, ld, md, 1.0, W, d, GU, ld, 0.0, V, ld);
        if (gW) { /* gW += alpha (GU R^T - Z V^T); z_0 = 0 */
            sym_gemm_ld(0, 1, md, d, n, alpha, GU, ld, R, ld, 1.0, gW, d);
            if (t > 0)
                sym_gemm_ld(0, 1, md, d, n, -alpha, Z, ld, V, ld, 1.0, gW, d);
        }
        if (t > 0) { /* g_t = GU - alpha W V */
            memcpy(w->g, GU, sizeof(double) * (size_t)md * ld);
            sym_gemm_ld(0, 0, md, ld, d, -alpha, W, d, V, ld, 1.0, w->g, ld);
        }
    }
    return sse;
}

/* the forward tangents z'_t, r'_t and the output's xhat' (into w->td) */
void sym_ista_jvp(sym_ista_ws *w, const sym_model *m, const double *params, const double *v,
                  int n, int ld)
{
    const double *W = params + m->w_off[0], *lam = params + m->lam_off;
    const double *Wd = v + m->w_off[0], *ld_ = v + m->lam_off;
    double alpha = m->o.ista_alpha, du, dl;
    int md = w->m, d = w->d;

    (void)n;
    memset(w->Zd, 0, sizeof(double) * (size_t)md * ld);
    for (int t = 0; t < w->steps; t++) {
        const double *Z = w->Z + t * w->zs, *U = w->U + t * w->zs, *R = w->R + t * w->ds;
        double *Zd = w->Zd + t * w->zs, *Rd = w->Rd + t * w->ds, *Zdn = Zd + w->zs;

        /* r' = -W'^T z - W^T z' (0 at t = 0); u' = z' + alpha (W' r + W r') in Zdn */
        memset(Rd, 0, sizeof(double) * (size_t)d * ld);
        if (t > 0) {
            sym_gemm_ld(1, 0, d, ld, md, -1.0, Wd, d, Z, ld, 0.0, Rd, ld);
            sym_gemm_ld(1, 0, d, ld, md, -1.0, W, d, Zd, ld, 1.0, Rd, ld);
        }
        memcpy(Zdn, Zd, sizeof(double) * (size_t)md * ld);
        sym_gemm_ld(0, 0, md, ld, d, alpha, Wd, d, R, ld, 1.0, Zdn, ld);
        sym_gemm_ld(0, 0, md, ld, d, alpha, W, d, Rd, ld, 1.0, Zdn, ld);
        for (int i = 0; i < md; i++)
            for (int j = 0; j < ld; j++) {
                size_t at = (size_t)i * ld + j;

                shrink(U[at], lam[i], m->o.ista_one_sided, &du, &dl);
                Zdn[at] = du * Zdn[at] + dl * ld_[i];
            }
    }
    /* xhat' = W'^T z_L + W^T z'_L */
    sym_gemm_ld(1, 0, d, ld, md, 1.0, Wd, d, w->Z + w->steps * w->zs, ld, 0.0, w->td, ld);
    sym_gemm_ld(1, 0, d, ld, md, 1.0, W, d, w->Zd + w->steps * w->zs, ld, 1.0, w->td, ld);
}

void sym_ista_hvp(sym_ista_ws *w, const sym_model *m, double *Hv, const double *params,
                  const double *v, int n, int ld, double scale)
{
    const double *W = params + m->w_off[0], *lam = params + m->lam_off;
    const double *Wd = v + m->w_off[0];
    double *hW = Hv + m->w_off[0], *hl = Hv + m->lam_off;
    double alpha = m->o.ista_alpha, du, dl;
    int md = w->m, d = w->d;

    sym_ista_jvp(w, m, params, v, n, ld);
    /* e' = scale xhat' (in place in td: it is used before v'_t takes td over) */
    for (size_t i = 0; i < (size_t)d * ld; i++)
        w->td[i] *= scale;
    /* gW' += z'_L e^T + z_L e'^T;  g'_L = W' e + W e' */
    sym_gemm_ld(0, 1, md, d, n, 1.0, w->Zd + w->steps * w->zs, ld, w->E, ld, 1.0, hW, d);
    sym_gemm_ld(0, 1, md, d, n, 1.0, w->Z + w->steps * w->zs, ld, w->td, ld, 1.0, hW, d);
    sym_gemm_ld(0, 0, md, ld, d, 1.0, Wd, d, w->E, ld, 0.0, w->gd, ld);
    sym_gemm_ld(0, 0, md, ld, d, 1.0, W, d, w->td, ld, 1.0, w->gd, ld);
    for (int t = w->steps - 1; t >= 0; t--) {
        const double *Z = w->Z + t * w->zs, *U = w->U + t * w->zs, *R = w->R + t * w->ds;
        const double *GU = w->GU + t * w->zs, *V = w->V + t * w->ds;
        const double *Zd = w->Zd + t * w->zs, *Rd = w->Rd + t * w->ds;

        for (int i = 0; i < md; i++) { /* gu' = D g';  glambda' += s g' */
            double acc = 0.0;

            for (int j = 0; j < ld; j++) {
                size_t at = (size_t)i * ld + j;

                shrink(U[at], lam[i], m->o.ista_one_sided, &du, &dl);
                w->tm[at] = du * w->gd[at];
                if (j < n)
                    acc += dl * w->gd[at];
            }
            hl[i] += acc;
        }
        /* v' [d x ld] = W'^T gu + W^T gu' */
        sym_gemm_ld(1, 0, d, ld, md, 1.0, Wd, d, GU, ld, 0.0, w->td, ld);
        sym_gemm_ld(1, 0, d, ld, md, 1.0, W, d, w->tm, ld, 1.0, w->td, ld);
        /* gW' += alpha (gu' r^T + gu r'^T - z' v^T - z v'^T) (z_0 = z'_0 = r'_0 = 0) */
        sym_gemm_ld(0, 1, md, d, n, alpha, w->tm, ld, R, ld, 1.0, hW, d);
        if (t > 0) {
            sym_gemm_ld(0, 1, md, d, n, alpha, GU, ld, Rd, ld, 1.0, hW, d);
            sym_gemm_ld(0, 1, md, d, n, -alpha, Zd, ld, V, ld, 1.0, hW, d);
            sym_gemm_ld(0, 1, md, d, n, -alpha, Z, ld, w->td, ld, 1.0, hW, d);
            /* g'_t = gu' - alpha (W' v + W v') */
            memcpy(w->gd, w->tm, sizeof(double) * (size_t)md * ld);
            sym_gemm_ld(0, 0, md, ld, d, -alpha, Wd, d, V, ld, 1.0, w->gd, ld);
            sym_gemm_ld(0, 0, md, ld, d, -alpha, W, d, w->td, ld, 1.0, w->gd, ld);
        }
    }
}
