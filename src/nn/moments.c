/*
 * The second-moment path (train.moments).  A network that is linear up to a squared loss
 * computes G x~ with x~ = [x; 1] (biases) or x, and G = [M beta] the product of its layers;
 * its data term is
 *     sum_i ||G x~_i - y_i||^2 = tr(D S D^T) - 2 tr(D C) + r*,   D = G - G*,
 * with S = sum x~ x~^T, G* a least-squares fit of Y on X~ (from S's pseudo-inverse), and the
 * data's residual at G*, R* = Y - X~ G*^T, entering as C = X~^T R* and r* = ||R*||^2.  The
 * identity holds for any G*: C is what makes it exact when G* is not the exact fit (C is 0
 * when it is), and with G* the fit no term is large when the loss is small, so there is no
 * cancellation.  S, C and r* are computed once per run; a step then costs products of
 * [n_l x D] prefix maps, O(width^2 x layers x D), not O(samples x width^2 x layers).  Values
 * equal the per-sample path's to rounding, not bitwise (unit.nn.moments).
 */
#include "model_impl.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_moments_names[SYM_MOMENTS_COUNT] = {"off", "on", "auto"};

struct sym_moments {
    int D, n;
    double rstar;                   /* ||R*||^2 */
    double *S;                      /* [D x D] */
    double *Gs;                     /* [dout x D] */
    double *C;                      /* [D x dout] */
    double *P[SYM_MAX_LAYERS + 1];  /* prefix maps: P_l [n_l x D], P_0 = [I 0] */
    double *dP0, *dP1;              /* [max_w x D] */
    double *Dl, *DS;                /* [dout x D] */
};

int sym_moments_apply(const sym_model *m, const sym_reg *reg, char *why, size_t n)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    char none[1];

    if (!why) {
        why = none;
        n = sizeof(none);
    }
    if (sym_groupi_on(o)) {
        snprintf(why, n, "the learned-group layer's weights are no free parameters");
        return 0;
    }
    if (o->kind == SYM_MODEL_ISTA) {
        snprintf(why, n, "an ista model soft-thresholds its codes: the second moments need a linear network");
        return 0;
    }
    for (int l = 0; l < o->n_layers; l++)
        if (o->act[l] != SYM_ACT_LINEAR) {
            snprintf(why, n, "layer %d has activation %s: the second moments need every layer linear",
                     l + 1, sym_act_name(o->act[l]));
            return 0;
        }
    if (o->loss != SYM_LOSS_MSE) {
        snprintf(why, n, "the loss is %s: the second moments need squared error",
                 o->loss == SYM_LOSS_CROSS_ENTROPY ? "cross_entropy" : "not squared error");
        return 0;
    }
    if (reg->kind == SYM_REG_JACOBIAN) {
        snprintf(why, n, "the jacobian penalty is evaluated per sample");
        return 0;
    }
    return 1;
}

/* multiply-adds of one full-data step each way (forward, backward) */
int sym_moments_cheaper(const sym_model *m, int n)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    double D = o->widths[0] + (o->bias ? 1 : 0), dout = o->widths[o->n_layers], chain = 0.0;

    for (int l = 0; l < o->n_layers; l++)
        chain += (double)o->widths[l] * o->widths[l + 1];
    /* moments: the prefix maps forward and back (3 chain x D) and D S (dout D^2); per
     * sample: the forward and backward passes (3 chain per sample) */
    return 3.0 * chain * D + dout * D * D < 3.0 * chain * n;
}

void sym_moments_free(sym_moments *mo)
{
    if (!mo)
        return;
    free(mo->S);
    free(mo->Gs);
    free(mo->C);
    for (int l = 0; l <= SYM_MAX_LAYERS; l++)
        free(mo->P[l]);
    free(mo->dP0);
    free(mo->dP1);
    free(mo->Dl);
    free(mo->DS);
    free(mo);
}

/* Gs = B^T S^+ (S symmetric [D x D], B [D x dout]): S's eigenvalues above 1e-12 of the largest */
static int pseudo_solve(double *Gs, const double *S, const double *B, int D, int dout)
{
    double *V = NULL, *w = NULL, *T = NULL;
    int rc = 0, info;

    SYM_TRY(sym_alloc_doubles(&V, (size_t)D * D));
    SYM_TRY(sym_alloc_doubles(&w, (size_t)D));
    SYM_TRY(sym_alloc_doubles(&T, (size_t)D * dout));
    memcpy(V, S, sizeof(double) * (size_t)D * D);
    info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', D, V, D, w);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "second moments: the eigensolver did not converge (info %d)", info);
    /* T = diag(1/w) V^T B on the kept eigenvalues, then Gs^T = V T */
    sym_gemm(1, 0, D, dout, D, 1.0, V, B, 0.0, T);
    for (int k = 0; k < D; k++) {
        double s = w[k] > 1e-12 * w[D - 1] ? 1.0 / w[k] : 0.0;

        for (int j = 0; j < dout; j++)
            T[(size_t)k * dout + j] *= s;
    }
    sym_gemm(1, 1, dout, D, D, 1.0, T, V, 0.0, Gs); /* Gs [dout x D] = T^T V^T */
cleanup:
    free(V);
    free(w);
    free(T);
    return rc;
}

/* S, B = X~^T Y, then Gs, and R*'s C and r*, from the rows of the data */
static int gather(sym_moments *mo, const sym_data *d, int bias)
{
    int din = d->d_in, dout = d->d_out, D = mo->D, n = d->n, rc = 0;
    double *B = NULL, *R = NULL;
    enum { BLK = 256 };

    SYM_TRY(sym_alloc_doubles(&B, (size_t)D * dout));
    SYM_TRY(sym_alloc_doubles(&R, (size_t)BLK * dout));
    sym_gemm_ld(1, 0, din, din, n, 1.0, d->X, din, d->X, din, 0.0, mo->S, D);
    sym_gemm_ld(1, 0, din, dout, n, 1.0, d->X, din, d->Y, dout, 0.0, B, dout);
    if (bias) {
        for (int j = 0; j < din; j++) {
            double s = 0.0;

            for (int i = 0; i < n; i++)
                s += d->X[(size_t)i * din + j];
            mo->S[(size_t)j * D + din] = mo->S[(size_t)din * D + j] = s;
        }
        mo->S[(size_t)din * D + din] = n;
        for (int j = 0; j < dout; j++) {
            double s = 0.0;

            for (int i = 0; i < n; i++)
                s += d->Y[(size_t)i * dout + j];
            B[(size_t)din * dout + j] = s;
        }
    }
    SYM_TRY(pseudo_solve(mo->Gs, mo->S, B, D, dout));
    /* R* = Y - X~ Gs^T block by block: C += X~^T R*, r* += ||R*||^2 */
    mo->rstar = 0.0;
    memset(mo->C, 0, sizeof(double) * (size_t)D * dout);
    for (int s = 0; s < n; s += BLK) {
        int nb = n - s < BLK ? n - s : BLK;
        const double *X = d->X + (size_t)s * din;

        memcpy(R, d->Y + (size_t)s * dout, sizeof(double) * (size_t)nb * dout);
        sym_gemm_ld(0, 1, nb, dout, din, -1.0, X, din, mo->Gs, D, 1.0, R, dout);
        for (int i = 0; bias && i < nb; i++)
            for (int j = 0; j < dout; j++)
                R[(size_t)i * dout + j] -= mo->Gs[(size_t)j * D + din];
        sym_gemm_ld(1, 0, din, dout, nb, 1.0, X, din, R, dout, 1.0, mo->C, dout);
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < dout; j++) {
                double r = R[(size_t)i * dout + j];

                mo->rstar += r * r;
                if (bias)
                    mo->C[(size_t)din * dout + j] += r;
            }
    }
cleanup:
    free(B);
    free(R);
    return rc;
}

int sym_eval_data_moments(sym_eval_data *b, const sym_eval *e)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int L = o->n_layers, din = o->widths[0], dout = o->widths[L], D = din + (o->bias ? 1 : 0);
    int rc = 0;
    char why[160];
    sym_moments *mo = NULL;

    if (!sym_moments_apply(e->group ? e->group : m, &e->reg, why, sizeof(why)))
        SYM_FAIL(SYM_EINVAL, "train.moments: %s", why);
    SYM_TRY(sym_alloc(&mo, sizeof(*mo)));
    memset(mo, 0, sizeof(*mo));
    mo->D = D;
    mo->n = b->d->n;
    SYM_TRY(sym_alloc_doubles(&mo->S, (size_t)D * D));
    SYM_TRY(sym_alloc_doubles(&mo->Gs, (size_t)dout * D));
    SYM_TRY(sym_alloc_doubles(&mo->C, (size_t)D * dout));
    for (int l = 0; l <= L; l++)
        SYM_TRY(sym_alloc_doubles(&mo->P[l], (size_t)o->widths[l] * D));
    SYM_TRY(sym_alloc_doubles(&mo->dP0, (size_t)e->max_w * D));
    SYM_TRY(sym_alloc_doubles(&mo->dP1, (size_t)e->max_w * D));
    SYM_TRY(sym_alloc_doubles(&mo->Dl, (size_t)dout * D));
    SYM_TRY(sym_alloc_doubles(&mo->DS, (size_t)dout * D));
    for (int j = 0; j < din; j++) /* P_0 = [I 0] */
        mo->P[0][(size_t)j * D + j] = 1.0;
    SYM_TRY(gather(mo, b->d, o->bias));
    sym_moments_free(b->mom);
    b->mom = mo;
    mo = NULL;
cleanup:
    sym_moments_free(mo);
    return rc;
}

int sym_moments_loss(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                     const sym_moments *mo)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int L = o->n_layers, D = mo->D, dout = o->widths[L], rc = 0;
    double pen = 0.0, sum = 0.0, inv = 1.0 / ((double)mo->n * dout), *dP, *spare;

    if (grad)
        memset(grad, 0, sizeof(double) * m->n_params);
    SYM_TRY(sym_evali_weight_penalty(e, &pen, grad, params));
    for (int l = 0; l < L; l++) { /* P_{l+1} = W_l P_l (+ b_l in the last column) */
        int ni = o->widths[l], no = o->widths[l + 1];

        sym_gemm_ld(m->tied[l], 0, no, D, ni, 1.0, params + m->w_off[l], m->tied[l] ? no : ni,
                    mo->P[l], D, 0.0, mo->P[l + 1], D);
        if (m->b_off[l] != SIZE_MAX)
            for (int i = 0; i < no; i++)
                mo->P[l + 1][(size_t)i * D + D - 1] += params[m->b_off[l] + i];
    }
    for (size_t k = 0; k < (size_t)dout * D; k++)
        mo->Dl[k] = mo->P[L][k] - mo->Gs[k];
    /* DS = D S; the sum is tr(D S D^T) - 2 tr(D C) + r* */
    sym_gemm(0, 0, dout, D, D, 1.0, mo->Dl, mo->S, 0.0, mo->DS);
    for (int i = 0; i < dout; i++)
        for (int k = 0; k < D; k++)
            sum += mo->Dl[(size_t)i * D + k] * (mo->DS[(size_t)i * D + k] - 2.0 * mo->C[(size_t)k * dout + i]);
    sum += mo->rstar;
    out->data = sum * inv;
    out->penalty = pen;
    out->total = out->data + out->penalty;
    e->last_blocked = 0;
    if (!grad)
        goto cleanup;
    /* dG = 2 inv (D S - C^T), then back through the prefix maps */
    dP = mo->dP0;
    spare = mo->dP1;
    for (int i = 0; i < dout; i++)
        for (int k = 0; k < D; k++)
            dP[(size_t)i * D + k] = 2.0 * inv * (mo->DS[(size_t)i * D + k] - mo->C[(size_t)k * dout + i]);
    for (int l = L - 1; l >= 0; l--) {
        int ni = o->widths[l], no = o->widths[l + 1];
        const double *W = params + m->w_off[l];
        double *gW = grad + m->w_off[l], *tmp;

        if (m->tied[l]) /* owner [ni x no] += P_l dP^T */
            sym_gemm_ld(0, 1, ni, no, D, 1.0, mo->P[l], D, dP, D, 1.0, gW, no);
        else            /* dW [no x ni] += dP P_l^T */
            sym_gemm_ld(0, 1, no, ni, D, 1.0, dP, D, mo->P[l], D, 1.0, gW, ni);
        if (m->b_off[l] != SIZE_MAX)
            for (int i = 0; i < no; i++)
                grad[m->b_off[l] + i] += dP[(size_t)i * D + D - 1];
        if (l > 0) { /* dP_l [ni x D] = W_l^T dP_{l+1} */
            sym_gemm_ld(!m->tied[l], 0, ni, D, no, 1.0, W, m->tied[l] ? no : ni, dP, D, 0.0, spare, D);
            tmp = dP;
            dP = spare;
            spare = tmp;
        }
    }
cleanup:
    return rc;
}
