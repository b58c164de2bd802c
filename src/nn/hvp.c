/*
 * Exact Hessian-vector products of the objective (forward-over-reverse, the
 * R-operator of Pearlmutter 1994).  With feature-major activations
 * Z_l = W_l A_{l-1} + b_l 1^T, A_l = sigma(Z_l), A_{-1} = X^T, and a
 * direction v = (V_l, c_l):
 *
 *   forward tangent   RZ_l = V_l A_{l-1} + W_l RA_{l-1} + c_l 1^T,
 *                     RA_l = sigma'(Z_l) * RZ_l,               RA_{-1} = 0
 *   loss              dA_{L-1} = s (A_{L-1} - Y^T),  R dA_{L-1} = s RA_{L-1}
 *   backward          dZ_l = dA_l * sigma'(Z_l)
 *                     R dZ_l = R dA_l * sigma'(Z_l) + dA_l * sigma''(Z_l) * RZ_l
 *                     R gW_l = R dZ_l A_{l-1}^T + dZ_l RA_{l-1}^T
 *                     R gb_l = R dZ_l 1
 *                     R dA_{l-1} = V_l^T dZ_l + W_l^T R dZ_l
 *
 * with s = 2 / (n d_out).  Cross-entropy (the model's loss) has, per sample i with
 * p_i = softmax(z_i) of the logits z_i = A_{L-1} e_i,
 *
 *   dA_{L-1} e_i = (p_i - y_i) / n,   R dA_{L-1} e_i = (diag p_i - p_i p_i^T) RA_{L-1} e_i / n,
 *
 * the softmax's Hessian (the output's, the Gauss-Newton part's middle factor); the rest of the
 * backward tangent, the second-order terms through sigma'' and the weights, is the same.
 * Everything that does not depend on v (Z, A,
 * sigma', sigma'' and the backward pass) is computed once per point by
 * sym_hvp_set_point, so the P products that assemble a Hessian cost one
 * tangent pass each.  A tied layer uses the transpose of its owner's storage;
 * its products land in the owner, transposed, as in the gradient.
 */
#include "model_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sym_hvp {
    const sym_model *m;
    sym_reg reg;
    int max_batch, n;
    const double *params;
    sym_arena arena;
    double *XT;
    double *Z[SYM_MAX_LAYERS], *A[SYM_MAX_LAYERS];   /* [n_{l+1} x n] */
    double *D1[SYM_MAX_LAYERS], *S[SYM_MAX_LAYERS];  /* sigma'(Z), dA * sigma''(Z) */
    double *dZ[SYM_MAX_LAYERS];
    double *RZ[SYM_MAX_LAYERS], *RA[SYM_MAX_LAYERS];
    double *buf0, *buf1, *dA0, *dA1; /* [max_w x n] */
    double *P;                       /* cross-entropy: softmax of the logits [d_out x n] */
    double *unit;                    /* [P]: e_j for sym_hvp_column, zero between calls */
    /* a model with a group layer (group_layer.c): products of the dense twin's Hessian at
     * w = phi(theta) (inner), the dense gradient g_w (ev), and the chain rule's terms */
    sym_hvp *inner;
    sym_eval *ev;
    double *w, *gw, *u, *Hu, *gwork;
    sym_ista_ws ista;                /* kind ista: its steps and their tangents (ista.c) */
};

/*
 * With a group layer, theta -> w = phi(theta) -> objective:
 *   H_theta v = J^T H_w (J v) + (D_v J^T) g_w + (the group penalties' Hessian) v,
 * J = D phi(theta); the second term is the curvature of phi contracted with the dense gradient
 * g_w (group_layer.c computes it with the pullback's tangent).
 */
static int group_create(sym_hvp **out, const sym_model *m, const sym_reg *reg, int max_batch)
{
    sym_hvp *h = NULL;
    size_t nd = m->dense->n_params;
    int rc = 0;

    SYM_TRY(sym_alloc(&h, sizeof(*h)));
    memset(h, 0, sizeof(*h));
    h->m = m;
    h->reg = *reg;
    h->max_batch = max_batch;
    SYM_TRY(sym_hvp_create(&h->inner, m->dense, reg, max_batch));
    SYM_TRY(sym_eval_create(&h->ev, m->dense, reg, max_batch));
    SYM_TRY(sym_alloc_doubles(&h->w, nd));
    SYM_TRY(sym_alloc_doubles(&h->gw, nd));
    SYM_TRY(sym_alloc_doubles(&h->u, nd));
    SYM_TRY(sym_alloc_doubles(&h->Hu, nd));
    SYM_TRY(sym_alloc_doubles(&h->gwork, sym_groupi_work_size(m)));
    SYM_TRY(sym_alloc_doubles(&h->unit, m->n_params));
    memset(h->unit, 0, sizeof(double) * m->n_params);
    *out = h;
    h = NULL;
cleanup:
    sym_hvp_free(h);
    return rc;
}

static int widest(const sym_model_opts *o)
{
    int w = 0;

    for (int i = 0; i <= o->n_layers; i++)
        w = o->widths[i] > w ? o->widths[i] : w;
    return w;
}

int sym_hvp_supported(const sym_reg *reg)
{
    return reg->kind == SYM_REG_NONE || reg->kind == SYM_REG_FROBENIUS ||
           reg->kind == SYM_REG_L1 || reg->kind == SYM_REG_LP;
}

int sym_hvp_create(sym_hvp **out, const sym_model *m, const sym_reg *reg, int max_batch)
{
    sym_hvp *h = NULL;
    const sym_model_opts *o = &m->o;
    int rc = 0, L = o->n_layers;
    size_t bw = (size_t)max_batch * widest(o), bytes = 5 * sym_arena_bytes_doubles(bw);

    if (max_batch < 1)
        SYM_FAIL(SYM_EINVAL, "batch size %d: must be >= 1", max_batch);
    if (!sym_hvp_supported(reg))
        SYM_FAIL(SYM_EINVAL,
                 "exact Hessian-vector products support the regularizers none, frobenius, l1 "
                 "and lp; found %s",
                 sym_reg_name(reg->kind));
    if (m->dense)
        return group_create(out, m, reg, max_batch);
    SYM_TRY(sym_alloc(&h, sizeof(*h)));
    h->m = m;
    h->reg = *reg;
    h->max_batch = max_batch;
    for (int l = 0; l < L; l++)
        bytes += 7 * sym_arena_bytes_doubles((size_t)max_batch * o->widths[l + 1]);
    bytes += sym_arena_bytes_doubles(m->n_params) +
             sym_arena_bytes_doubles((size_t)max_batch * o->widths[L]);
    if (o->kind == SYM_MODEL_ISTA)
        bytes += sym_arena_bytes_doubles(sym_ista_ws_doubles(o, max_batch, 1));
    SYM_TRY(sym_arena_init(&h->arena, bytes));
    if (o->kind == SYM_MODEL_ISTA)
        sym_ista_ws_carve(&h->ista, o, max_batch,
                          sym_arena_doubles(&h->arena, sym_ista_ws_doubles(o, max_batch, 1)), 1);
    for (int l = 0; l < L; l++) {
        size_t zl = (size_t)max_batch * o->widths[l + 1];

        h->Z[l] = sym_arena_doubles(&h->arena, zl);
        h->A[l] = sym_arena_doubles(&h->arena, zl);
        h->D1[l] = sym_arena_doubles(&h->arena, zl);
        h->S[l] = sym_arena_doubles(&h->arena, zl);
        h->dZ[l] = sym_arena_doubles(&h->arena, zl);
        h->RZ[l] = sym_arena_doubles(&h->arena, zl);
        h->RA[l] = sym_arena_doubles(&h->arena, zl);
    }
    h->XT = sym_arena_doubles(&h->arena, bw);
    h->buf0 = sym_arena_doubles(&h->arena, bw);
    h->buf1 = sym_arena_doubles(&h->arena, bw);
    h->dA0 = sym_arena_doubles(&h->arena, bw);
    h->dA1 = sym_arena_doubles(&h->arena, bw);
    h->unit = sym_arena_doubles(&h->arena, m->n_params);
    h->P = sym_arena_doubles(&h->arena, (size_t)max_batch * o->widths[L]);
    memset(h->unit, 0, sizeof(double) * m->n_params);
    *out = h;
    h = NULL;
cleanup:
    sym_hvp_free(h);
    return rc;
}

void sym_hvp_free(sym_hvp *h)
{
    if (!h)
        return;
    if (h->inner) { /* a group layer's: its own buffers */
        sym_hvp_free(h->inner);
        sym_eval_free(h->ev);
        free(h->w);
        free(h->gw);
        free(h->u);
        free(h->Hu);
        free(h->gwork);
        free(h->unit);
        free(h);
        return;
    }
    sym_arena_dispose(&h->arena);
    free(h);
}

/* cross-entropy: P = softmax of each sample's logits (max-shifted), dA = (P - Y^T) / n */
static void softmax_residual(sym_hvp *h, const double *Y, double *dA)
{
    const sym_model_opts *o = &h->m->o;
    int L = o->n_layers, dout = o->widths[L], n = h->n;
    const double *Z = h->A[L - 1];

    for (int i = 0; i < n; i++) {
        double mx = Z[i], sum = 0.0;

        for (int k = 1; k < dout; k++)
            mx = Z[(size_t)k * n + i] > mx ? Z[(size_t)k * n + i] : mx;
        for (int k = 0; k < dout; k++) {
            h->P[(size_t)k * n + i] = exp(Z[(size_t)k * n + i] - mx);
            sum += h->P[(size_t)k * n + i];
        }
        for (int k = 0; k < dout; k++) {
            size_t at = (size_t)k * n + i;

            h->P[at] /= sum;
            dA[at] = (h->P[at] - Y[(size_t)i * dout + k]) / n;
        }
    }
}

int sym_hvp_set_point(sym_hvp *h, const double *params, const double *X, const double *Y, int n)
{
    const sym_model *m = h->m;
    const sym_model_opts *o = &m->o;
    int L = o->n_layers, dout = o->widths[L], rc = 0;
    const double *in;
    double s = 2.0 / ((double)n * dout), *dA = h->dA0, *nx = h->dA1;

    if (n < 1 || n > h->max_batch)
        SYM_FAIL(SYM_EINVAL, "batch of %d rows: workspace holds 1..%d", n, h->max_batch);
    if (h->inner) { /* at w = phi(theta): the dense point and its gradient g_w */
        sym_loss_parts lp;

        sym_groupi_materialize(m, params, h->w);
        SYM_TRY(sym_hvp_set_point(h->inner, h->w, X, Y, n));
        SYM_TRY(sym_eval_loss(h->ev, &lp, h->gw, h->w, X, Y, n));
        h->params = params;
        h->n = n;
        goto cleanup;
    }
    h->params = params;
    h->n = n;
    sym_transpose(h->XT, X, n, o->widths[0]);
    if (o->kind == SYM_MODEL_ISTA) { /* its steps and backward pass, kept (buf0: Y^T) */
        sym_transpose(h->buf0, Y, n, dout);
        sym_ista_block(&h->ista, m, NULL, params, h->XT, h->buf0, n, n, s, 1);
        goto cleanup;
    }
    in = h->XT;
    for (int l = 0; l < L; l++) {
        int ni = o->widths[l], no = o->widths[l + 1];
        size_t cnt = (size_t)n * no;

        sym_gemm(m->tied[l], 0, no, n, ni, 1.0, params + m->w_off[l], in, 0.0, h->Z[l]);
        if (m->b_off[l] != SIZE_MAX)
            for (int j = 0; j < no; j++)
                for (int i = 0; i < n; i++)
                    h->Z[l][(size_t)j * n + i] += params[m->b_off[l] + j];
        sym_act_apply(o->act[l], o->leaky_slope, h->Z[l], h->A[l], cnt);
        sym_act_deriv(o->act[l], o->leaky_slope, h->Z[l], h->A[l], h->D1[l], cnt);
        sym_act_deriv2(o->act[l], o->leaky_slope, h->Z[l], h->A[l], h->S[l], cnt);
        in = h->A[l];
    }
    if (o->loss == SYM_LOSS_CROSS_ENTROPY)
        softmax_residual(h, Y, dA);
    else /* dA_{L-1} = s (yhat - y), Y row-major [n x dout] */
        for (int j = 0; j < dout; j++)
            for (int i = 0; i < n; i++)
                dA[(size_t)j * n + i] = s * (h->A[L - 1][(size_t)j * n + i] - Y[(size_t)i * dout + j]);
    for (int l = L - 1; l >= 0; l--) {
        int ni = o->widths[l], no = o->widths[l + 1];
        size_t cnt = (size_t)n * no;

        for (size_t i = 0; i < cnt; i++) {
            h->dZ[l][i] = dA[i] * h->D1[l][i];
            h->S[l][i] *= dA[i]; /* dA * sigma''(Z) */
        }
        if (l > 0) {
            sym_gemm(!m->tied[l], 0, ni, n, no, 1.0, params + m->w_off[l], h->dZ[l], 0.0, nx);
            double *t = dA;
            dA = nx;
            nx = t;
        }
    }
cleanup:
    return rc;
}

/* Hv of one weight penalty R (lam R(W)), added to out; W and v in the owner's storage */
static void penalty_hvp(double *out, const sym_reg *reg, double lam, const double *W,
                        const double *v, size_t cnt)
{
    if (reg->kind == SYM_REG_FROBENIUS) {
        for (size_t i = 0; i < cnt; i++)
            out[i] += 2.0 * lam * v[i];
    } else if (reg->kind == SYM_REG_LP && reg->p != 1.0) {
        /* ||x||_p = N: H v = (p-1) [ |x|^{p-2} v / N^{p-1} - u (u.v) / N^{2p-1} ],
         * u_i = sign(x_i) |x_i|^{p-1}  (entries at 0 skipped: a measure-zero kink for p < 2) */
        double p = reg->p, sum = 0.0, N, uv = 0.0;

        for (size_t i = 0; i < cnt; i++)
            sum += pow(fabs(W[i]), p);
        N = pow(sum, 1.0 / p);
        if (!(N > 0.0))
            return;
        for (size_t i = 0; i < cnt; i++)
            uv += copysign(pow(fabs(W[i]), p - 1.0), W[i]) * v[i];
        for (size_t i = 0; i < cnt; i++) {
            double a = fabs(W[i]);

            if (a == 0.0)
                continue;
            out[i] += lam * (p - 1.0) *
                      (pow(a, p - 2.0) * v[i] / pow(N, p - 1.0) -
                       copysign(pow(a, p - 1.0), W[i]) * uv / pow(N, 2.0 * p - 1.0));
        }
    }
    /* l1 (and lp with p = 1): piecewise linear, Hessian 0 away from w = 0 */
}

/* the forward tangent RZ_l, RA_l of direction v at the point */
static void forward_tangent(sym_hvp *h, const double *v)
{
    const sym_model *m = h->m;
    const sym_model_opts *o = &m->o;
    const double *params = h->params, *in = h->XT, *rin = NULL;
    int L = o->n_layers, n = h->n;

    for (int l = 0; l < L; l++) {
        int ni = o->widths[l], no = o->widths[l + 1];
        size_t cnt = (size_t)n * no;
        double *RZ = h->RZ[l];

        sym_gemm(m->tied[l], 0, no, n, ni, 1.0, v + m->w_off[l], in, 0.0, RZ);
        if (rin)
            sym_gemm(m->tied[l], 0, no, n, ni, 1.0, params + m->w_off[l], rin, 1.0, RZ);
        if (m->b_off[l] != SIZE_MAX)
            for (int j = 0; j < no; j++)
                for (int i = 0; i < n; i++)
                    RZ[(size_t)j * n + i] += v[m->b_off[l] + j];
        sym_vmul(h->D1[l], RZ, h->RA[l], cnt); /* RA = D1 * RZ */
        in = h->A[l];
        rin = h->RA[l];
    }
}

int sym_hvp_jvp(sym_hvp *h, double *Jv, const double *v)
{
    const sym_model_opts *o = &h->m->o;
    int L = o->n_layers, n = h->n, dout = o->widths[L], rc = 0;

    if (!h->params)
        SYM_FAIL(SYM_EINVAL, "Jacobian-vector product before sym_hvp_set_point");
    if (h->inner) {
        sym_groupi_jvp(h->m, h->u, h->params, v, h->gwork);
        return sym_hvp_jvp(h->inner, Jv, h->u);
    }
    if (o->kind == SYM_MODEL_ISTA) {
        sym_ista_jvp(&h->ista, h->m, h->params, v, n, n);
        sym_transpose(Jv, h->ista.td, dout, n);
        goto cleanup;
    }
    forward_tangent(h, v);
    for (int i = 0; i < n; i++) /* RA is feature-major [dout x n] */
        for (int k = 0; k < dout; k++)
            Jv[(size_t)i * dout + k] = h->RA[L - 1][(size_t)k * n + i];
cleanup:
    return rc;
}

int sym_hvp_apply(sym_hvp *h, double *Hv, const double *v)
{
    const sym_model *m = h->m;
    const sym_model_opts *o = &m->o;
    const double *params = h->params;
    int L = o->n_layers, n = h->n, dout = o->widths[L], rc = 0;
    double s = 2.0 / ((double)n * dout), *RdA = h->buf0, *nx = h->buf1;

    if (!params)
        SYM_FAIL(SYM_EINVAL, "Hessian-vector product before sym_hvp_set_point");
    if (h->inner) { /* J^T H_w J v + (D_v J^T) g_w + H_pen v */
        sym_groupi_jvp(m, h->u, params, v, h->gwork);
        SYM_TRY(sym_hvp_apply(h->inner, h->Hu, h->u));
        return sym_groupi_hvp(m, Hv, params, v, h->gw, h->Hu, h->gwork);
    }
    memset(Hv, 0, sizeof(double) * m->n_params);
    if (o->kind == SYM_MODEL_ISTA) {
        sym_ista_hvp(&h->ista, m, Hv, params, v, n, n, s);
        goto penalty;
    }
    forward_tangent(h, v);
    if (o->loss == SYM_LOSS_CROSS_ENTROPY) /* (diag p - p p^T) r / n, sample by sample */
        for (int i = 0; i < n; i++) {
            double pr = 0.0;

            for (int k = 0; k < dout; k++)
                pr += h->P[(size_t)k * n + i] * h->RA[L - 1][(size_t)k * n + i];
            for (int k = 0; k < dout; k++) {
                size_t at = (size_t)k * n + i;

                RdA[at] = h->P[at] * (h->RA[L - 1][at] - pr) / n;
            }
        }
    else
        for (size_t i = 0; i < (size_t)n * dout; i++)
            RdA[i] = s * h->RA[L - 1][i];
    /* backward tangent */
    for (int l = L - 1; l >= 0; l--) {
        int ni = o->widths[l], no = o->widths[l + 1];
        size_t cnt = (size_t)n * no;
        const double *A_in = l == 0 ? h->XT : h->A[l - 1];
        double *RdZ = RdA; /* in place */
        double *gW = Hv + m->w_off[l];

        sym_vmuladd(RdA, h->D1[l], h->S[l], h->RZ[l], RdZ, cnt); /* RdA D1 + S RZ */
        if (m->tied[l]) { /* owner [ni x no] += A_in RdZ^T + RA_in dZ^T */
            sym_gemm(0, 1, ni, no, n, 1.0, A_in, RdZ, 1.0, gW);
            if (l > 0)
                sym_gemm(0, 1, ni, no, n, 1.0, h->RA[l - 1], h->dZ[l], 1.0, gW);
        } else { /* [no x ni] += RdZ A_in^T + dZ RA_in^T */
            sym_gemm(0, 1, no, ni, n, 1.0, RdZ, A_in, 1.0, gW);
            if (l > 0)
                sym_gemm(0, 1, no, ni, n, 1.0, h->dZ[l], h->RA[l - 1], 1.0, gW);
        }
        if (m->b_off[l] != SIZE_MAX)
            for (int j = 0; j < no; j++) {
                double acc = 0.0;

                for (int i = 0; i < n; i++)
                    acc += RdZ[(size_t)j * n + i];
                Hv[m->b_off[l] + j] += acc;
            }
        if (l > 0) { /* R dA_{l-1} = V_l^T dZ_l + W_l^T R dZ_l */
            sym_gemm(!m->tied[l], 0, ni, n, no, 1.0, v + m->w_off[l], h->dZ[l], 0.0, nx);
            sym_gemm(!m->tied[l], 0, ni, n, no, 1.0, params + m->w_off[l], RdZ, 1.0, nx);
            double *t = RdA;
            RdA = nx;
            nx = t;
        }
    }
penalty: /* weight penalties, on the owners' storage */
    if (h->reg.kind != SYM_REG_NONE)
        for (int l = 0; l < L; l++) {
            double lam = l < o->n_encoder ? h->reg.lambda_encoder : h->reg.lambda_decoder;
            size_t cnt = (size_t)o->widths[l + 1] * o->widths[l];

            if (lam != 0.0 && sym_model_penalized(m, l))
                penalty_hvp(Hv + m->w_off[l], &h->reg, lam, params + m->w_off[l],
                            v + m->w_off[l], cnt);
        }
cleanup:
    return rc;
}

int sym_hvp_column(void *h, size_t j, double *col)
{
    sym_hvp *hv = h;
    int rc;

    hv->unit[j] = 1.0;
    rc = sym_hvp_apply(hv, col, hv->unit);
    hv->unit[j] = 0.0;
    return rc;
}

int sym_hessian_dense(double *H, const sym_model *m, const sym_reg *reg, const double *params,
                      const double *X, const double *Y, int n)
{
    sym_hvp *h = NULL;
    size_t P = sym_model_n_params(m);
    int rc = 0;

    SYM_TRY(sym_hvp_create(&h, m, reg, n));
    SYM_TRY(sym_hvp_set_point(h, params, X, Y, n));
    for (size_t j = 0; j < P; j++)
        SYM_TRY(sym_hvp_column(h, j, H + j * P)); /* column j = row j (symmetric) */
    /* the products agree with their transposes to rounding only */
    sym_symmetrize(H, (int)P);
cleanup:
    sym_hvp_free(h);
    return rc;
}
