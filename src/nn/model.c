/* Parameter layout of the layer chain, and the forward/backward pass (the objective along a
 * line of parameters: eval_line.c). */
#include "model_impl.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_model_kind_names[] = {"mlp", "autoencoder", "ista"};
_Static_assert(sizeof sym_model_kind_names / sizeof *sym_model_kind_names == SYM_MODEL_COUNT,
               "one name per model kind");
const char *const sym_loss_names[] = {"mse", "cross_entropy"};
_Static_assert(sizeof sym_loss_names / sizeof *sym_loss_names == SYM_LOSS_COUNT, "one name per loss");
const char *const sym_init_kind_names[] = {"normal", "uniform"};
_Static_assert(sizeof sym_init_kind_names / sizeof *sym_init_kind_names == SYM_INIT_COUNT,
               "one name per initialization");

/* the options of a chain of dense layers (mlp, autoencoder), beyond the checks of every kind */
static int check_chain(const sym_model_opts *o)
{
    int rc = 0, L = o->n_layers, ne = o->n_encoder;

    if (o->kind == SYM_MODEL_AUTOENCODER) {
        if (ne < 1 || ne >= L)
            SYM_FAIL(SYM_EINVAL, "autoencoder with %d layers needs 1 <= encoder layers < %d, found %d",
                     L, L, ne);
        if (o->widths[0] != o->widths[L])
            SYM_FAIL(SYM_EINVAL, "autoencoder input width %d differs from output width %d",
                     o->widths[0], o->widths[L]);
    } else if (ne != L) {
        SYM_FAIL(SYM_EINVAL, "an MLP's layers are all 'encoder' layers: n_encoder %d != %d", ne, L);
    }
    if (o->loss < 0 || o->loss >= SYM_LOSS_COUNT)
        SYM_FAIL(SYM_EINVAL, "unknown loss %d", (int)o->loss);
    if (o->tied) {
        if (o->kind != SYM_MODEL_AUTOENCODER || L != 2 * ne)
            SYM_FAIL(SYM_EINVAL, "tied weights need an autoencoder whose decoder mirrors its encoder");
        for (int i = 0; i <= L; i++)
            if (o->widths[i] != o->widths[L - i])
                SYM_FAIL(SYM_EINVAL, "tied weights need mirrored widths: width %d is %d but width %d is %d",
                         i, o->widths[i], L - i, o->widths[L - i]);
    }
    if (sym_groupi_on(o) && o->group_layer >= L)
        SYM_FAIL(SYM_EINVAL, "group layer %d: the model has layers 1..%d", o->group_layer + 1, L);
    if (sym_groupi_on(o) && o->tied && o->group_layer >= ne)
        SYM_FAIL(SYM_EINVAL, "group layer %d is a tied decoder layer: make its encoder mirror the "
                             "group layer", o->group_layer + 1);
cleanup:
    return rc;
}

int sym_model_create(sym_model **out, const sym_model_opts *o)
{
    sym_model *m = NULL;
    int rc = 0, L = o->n_layers, ne = o->n_encoder;
    size_t off = 0;

    if (L < 1 || L > SYM_MAX_LAYERS)
        SYM_FAIL(SYM_EINVAL, "model has %d layers: must be between 1 and %d", L, SYM_MAX_LAYERS);
    for (int i = 0; i <= L; i++)
        if (o->widths[i] < 1)
            SYM_FAIL(SYM_EINVAL, "model width %d is %d: widths must be >= 1", i, o->widths[i]);
    for (int l = 0; l < L; l++)
        if (o->act[l] < 0 || o->act[l] >= SYM_ACT_COUNT)
            SYM_FAIL(SYM_EINVAL, "layer %d: unknown activation %d", l + 1, (int)o->act[l]);
    if (o->kind < 0 || o->kind >= SYM_MODEL_COUNT)
        SYM_FAIL(SYM_EINVAL, "unknown model kind %d", (int)o->kind);
    if (o->kind == SYM_MODEL_ISTA) {
        SYM_TRY(sym_alloc(&m, sizeof(*m)));
        memset(m, 0, sizeof(*m));
        m->o = *o;
        m->gl = -1;
        SYM_TRY(sym_istai_layout(m, o));
        *out = m;
        m = NULL;
        goto cleanup;
    }
    SYM_TRY(check_chain(o));
    SYM_TRY(sym_alloc(&m, sizeof(*m)));
    m->o = *o;
    m->gl = sym_groupi_on(o) ? o->group_layer : -1;
    m->lam_off = SIZE_MAX;
    for (int l = 0; l < L; l++) {
        int rows = o->widths[l + 1], cols = o->widths[l];
        int is_ae = o->kind == SYM_MODEL_AUTOENCODER, dec = is_ae && l >= ne;
        int idx = dec ? l - ne + 1 : l + 1;
        const char *pre = !is_ae ? "" : dec ? "dec_" : "enc_";

        if (o->tied && dec) {
            int owner = 2 * ne - 1 - l;

            m->tied[l] = 1;
            m->w_off[l] = m->w_off[owner];
        } else if (l == m->gl) {
            SYM_TRY(sym_groupi_layout(m, &off, pre, idx));
            m->w_off[l] = m->ga_off;
        } else {
            sym_tensor *t = &m->tensors[m->n_tensors++];

            m->w_off[l] = off;
            snprintf(t->name, sizeof(t->name), "%sW%d", pre, idx);
            t->offset = off;
            t->rows = rows;
            t->cols = cols;
            off += (size_t)rows * cols;
        }
        m->b_off[l] = SIZE_MAX;
        if (o->bias) {
            sym_tensor *t = &m->tensors[m->n_tensors++];

            m->b_off[l] = off;
            snprintf(t->name, sizeof(t->name), "%sb%d", pre, idx);
            t->offset = off;
            t->rows = rows;
            t->cols = 1;
            off += (size_t)rows;
        }
    }
    m->n_params = off;
    if (m->gl >= 0) { /* the same network with a free layer: the layout of w = phi(theta) */
        sym_model_opts dense = *o;

        dense.group_layer = -1;
        SYM_TRY(sym_model_create(&m->dense, &dense));
    }
    *out = m;
    m = NULL;
cleanup:
    sym_model_free(m);
    return rc;
}

void sym_model_free(sym_model *m)
{
    if (!m)
        return;
    sym_model_free(m->dense);
    free(m);
}
const sym_model_opts *sym_model_get_opts(const sym_model *m) { return &m->o; }
size_t sym_model_n_params(const sym_model *m) { return m->n_params; }
int sym_model_n_tensors(const sym_model *m) { return m->n_tensors; }

const sym_tensor *sym_model_tensor(const sym_model *m, int i)
{
    SYM_ASSERT(i >= 0 && i < m->n_tensors);
    return &m->tensors[i];
}

/* 1 if layer l's weight is the group layer's (itself, or its tied mirror) */
static int group_weight(const sym_model *m, int l)
{
    return m->gl >= 0 && (l == m->gl || (m->tied[l] && 2 * m->o.n_encoder - 1 - l == m->gl));
}

void sym_model_get_weight(const sym_model *m, const double *params, int l, double *out)
{
    int rows = m->o.widths[l + 1], cols = m->o.widths[l];
    const double *W = params + m->w_off[l];

    if (group_weight(m, l)) { /* the filters: W's rows in an encoder layer, else its columns */
        int enc = l < m->o.n_encoder;

        sym_groupi_filters(m, params, out, enc ? (size_t)cols : 1, enc ? 1 : (size_t)cols);
        return;
    }
    if (!m->tied[l]) {
        memcpy(out, W, sizeof(double) * (size_t)rows * cols);
        return;
    }
    for (int i = 0; i < rows; i++) /* owner storage is [cols x rows] */
        for (int j = 0; j < cols; j++)
            out[(size_t)i * cols + j] = W[(size_t)j * rows + i];
}

void sym_model_set_weight(const sym_model *m, double *params, int l, const double *W)
{
    int rows = m->o.widths[l + 1], cols = m->o.widths[l];
    double *dst = params + m->w_off[l];

    SYM_ASSERT(!group_weight(m, l)); /* the filters are no free parameters */
    if (!m->tied[l]) {
        memcpy(dst, W, sizeof(double) * (size_t)rows * cols);
        return;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            dst[(size_t)j * rows + i] = W[(size_t)i * cols + j];
}

double *sym_model_bias(const sym_model *m, double *params, int l)
{
    return m->b_off[l] == SIZE_MAX ? NULL : params + m->b_off[l];
}

void sym_tensor_union(sym_tensor *u, int *n, int cap, const sym_model *m)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const sym_tensor *t = &m->tensors[i];
        int k = 0;

        while (k < *n && strcmp(u[k].name, t->name) != 0)
            k++;
        if (k == *n) {
            SYM_ASSERT(k < cap);
            memset(&u[k], 0, sizeof(u[k]));
            snprintf(u[k].name, sizeof(u[k].name), "%s", t->name);
            (*n)++;
        }
        u[k].rows = t->rows > u[k].rows ? t->rows : u[k].rows;
        u[k].cols = t->cols > u[k].cols ? t->cols : u[k].cols;
    }
}

void sym_model_init_params(const sym_model *m, double *params, sym_rng *r)
{
    memset(params, 0, m->n_params * sizeof(double));
    for (int l = 0; l < m->o.n_layers; l++) {
        int rows = m->o.widths[l + 1], cols = m->o.widths[l];
        double s = m->o.init_scale / sqrt((double)cols);
        double *W = params + m->w_off[l];

        if (m->tied[l])
            continue;
        if (l == m->gl) {
            sym_groupi_init(m, params, r);
            continue;
        }
        for (size_t i = 0; i < (size_t)rows * cols; i++)
            W[i] = m->o.init_kind == SYM_INIT_UNIFORM ? s * (2.0 * sym_rng_uniform(r) - 1.0)
                                                      : s * sym_rng_normal(r);
    }
    if (m->lam_off != SIZE_MAX) /* ista's thresholds start at their setting */
        for (int i = 0; i < m->o.widths[1]; i++)
            params[m->lam_off + i] = m->o.ista_lambda;
    /* after every weight: a job that turns bias_init on keeps its weights */
    for (int l = 0; m->o.bias && m->o.bias_init && l < m->o.n_layers; l++) {
        double *b = params + m->b_off[l], s = m->o.bias_scale;

        for (int i = 0; i < m->o.widths[l + 1]; i++)
            b[i] = m->o.bias_init - 1 == SYM_INIT_UNIFORM ? s * (2.0 * sym_rng_uniform(r) - 1.0)
                                                          : s * sym_rng_normal(r);
    }
}

/* ------------------------------------------------------------------ */


static int max_width(const sym_model_opts *o)
{
    int w = 0;

    for (int i = 0; i <= o->n_layers; i++)
        w = o->widths[i] > w ? o->widths[i] : w;
    return w;
}

static int eval_create(sym_eval **out, const sym_model *m, const sym_reg *reg, int max_n,
                       int block, int stream);

/* a model with a group layer: the evaluator of its dense twin, with theta's buffers */
static int eval_group(sym_eval **out, const sym_model *m, const sym_reg *reg, int max_n, int block,
                      int stream)
{
    sym_eval *e = NULL;
    int rc = 0;

    if (!m->dense)
        return eval_create(out, m, reg, max_n, block, stream);
    SYM_TRY(eval_create(&e, m->dense, reg, max_n, block, stream));
    e->group = m;
    SYM_TRY(sym_alloc_doubles(&e->gw, m->dense->n_params));
    SYM_TRY(sym_alloc_doubles(&e->gg, m->dense->n_params));
    SYM_TRY(sym_alloc_doubles(&e->gwork, sym_groupi_work_size(m)));
    *out = e;
    e = NULL;
cleanup:
    sym_eval_free(e);
    return rc;
}

int sym_eval_create(sym_eval **out, const sym_model *m, const sym_reg *reg, int max_batch)
{
    return eval_group(out, m, reg, max_batch, SYM_EVAL_BLOCK, SYM_EVAL_STREAM_BLOCK);
}

int sym_eval_create_blocked(sym_eval **out, const sym_model *m, const sym_reg *reg, int max_n,
                            int block)
{
    return eval_group(out, m, reg, max_n, block, block);
}

static int eval_create(sym_eval **out, const sym_model *m, const sym_reg *reg, int max_n,
                       int block, int stream)
{
    sym_eval *e = NULL;
    const sym_model_opts *o = &m->o;
    int rc = 0, L = o->n_layers, W = max_width(o), jac = reg->kind == SYM_REG_JACOBIAN;
    int max_batch = max_n < block ? max_n : block;
    size_t bytes = 0, regw = 0, ww = (size_t)W * W, bw;

    if (max_n < 1 || max_n > INT_MAX - 8)
        SYM_FAIL(SYM_EINVAL, "batch size %d: must be in 1..%d", max_n, INT_MAX - 8);
    if (block < 1)
        SYM_FAIL(SYM_EINVAL, "block of %d samples: must be >= 1", block);
    /* every batch array is feature-major with rows sym_batch_ld(n) apart */
    bw = (size_t)sym_batch_ld(max_batch) * W;
    if (reg->kind == SYM_REG_JACOBIAN && reg->norm == SYM_NORM_LP && !(reg->p >= 1.0))
        SYM_FAIL(SYM_EINVAL, "jacobian regularizer: p must be >= 1, found %g", reg->p);
    SYM_TRY(sym_alloc(&e, sizeof(*e)));
    e->m = m;
    e->reg = *reg;
    e->max_batch = max_batch;
    e->max_n = max_n;
    e->stream = stream < max_batch ? stream : max_batch;
    e->max_w = W;
    for (int l = 0; l < L; l++) {
        size_t zl = (size_t)sym_batch_ld(max_batch) * o->widths[l + 1];
        size_t r = sym_reg_matrix_work_size(reg, o->widths[l + 1], o->widths[l]);

        bytes += sym_arena_bytes_doubles(zl) * (o->act[l] == SYM_ACT_LINEAR ? 1 : 2);
        if (jac)
            bytes += sym_arena_bytes_doubles(zl) + 2 * sym_arena_bytes_doubles(ww);
        regw = r > regw ? r : regw;
    }
    bytes += 5 * sym_arena_bytes_doubles(bw) + sym_arena_bytes_doubles(regw) +
             sym_arena_bytes_doubles(sym_kernel_output_tile_size(o->widths[L]));
    if (jac)
        bytes += 4 * sym_arena_bytes_doubles(ww) + 4 * sym_arena_bytes_doubles((size_t)W);
    if (o->kind == SYM_MODEL_ISTA) {
        if (jac)
            SYM_FAIL(SYM_EINVAL, "the jacobian regularizer takes a chain of dense layers, not an ista model");
        bytes += sym_arena_bytes_doubles(sym_ista_ws_doubles(o, max_batch, 0));
    }
    SYM_TRY(sym_arena_init(&e->arena, bytes));
    if (o->kind == SYM_MODEL_ISTA)
        sym_ista_ws_carve(&e->ista, o, max_batch,
                          sym_arena_doubles(&e->arena, sym_ista_ws_doubles(o, max_batch, 0)), 0);
    for (int l = 0; l < L; l++) {
        size_t zl = (size_t)sym_batch_ld(max_batch) * o->widths[l + 1];

        e->Z[l] = sym_arena_doubles(&e->arena, zl);
        e->A[l] = o->act[l] == SYM_ACT_LINEAR ? e->Z[l] : sym_arena_doubles(&e->arena, zl);
        if (jac) {
            e->extra[l] = sym_arena_doubles(&e->arena, zl);
            e->J[l] = sym_arena_doubles(&e->arena, ww);
            e->M[l] = sym_arena_doubles(&e->arena, ww);
        }
    }
    e->buf0 = sym_arena_doubles(&e->arena, bw);
    e->buf1 = sym_arena_doubles(&e->arena, bw);
    e->D = sym_arena_doubles(&e->arena, bw);
    e->XT = sym_arena_doubles(&e->arena, bw);
    e->YT = sym_arena_doubles(&e->arena, bw);
    e->regwork = sym_arena_doubles(&e->arena, regw);
    e->tile = sym_arena_doubles(&e->arena, sym_kernel_output_tile_size(o->widths[L]));
    if (jac) {
        e->G0 = sym_arena_doubles(&e->arena, ww);
        e->G1 = sym_arena_doubles(&e->arena, ww);
        e->eye = sym_arena_doubles(&e->arena, ww);
        e->gJ = sym_arena_doubles(&e->arena, ww);
        e->zc = sym_arena_doubles(&e->arena, (size_t)W);
        e->ac = sym_arena_doubles(&e->arena, (size_t)W);
        e->d1 = sym_arena_doubles(&e->arena, (size_t)W);
        e->d2 = sym_arena_doubles(&e->arena, (size_t)W);
    }
    *out = e;
    e = NULL;
cleanup:
    sym_eval_free(e);
    return rc;
}

void sym_eval_free(sym_eval *e)
{
    if (!e)
        return;
    sym_arena_dispose(&e->arena);
    free(e->line);
    free(e->gw);
    free(e->gg);
    free(e->gwork);
    free(e);
}

const double *sym_eval_preactivation(const sym_eval *e, int l)
{
    SYM_ASSERT(l >= 0 && l < e->m->o.n_layers);
    SYM_ASSERT(!e->last_blocked); /* only the last block would be there */
    return e->Z[l];
}

/* Z_l [no x n] = W_l [no x ni] in [ni x n] + b_l ; A_l = sigma(Z_l), l < upto */
void sym_evali_forward(sym_eval *e, const double *params, const double *XT, int n, int upto)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    const double *in = XT;
    int ld = sym_batch_ld(n);

    for (int l = 0; l < upto; l++) {
        int ni = o->widths[l], no = o->widths[l + 1];
        const double *W = params + m->w_off[l];
        double *Z = e->Z[l];

        /* tied: the owner's storage is [ni x no] and W_l is its transpose;
         * the padding columns are computed too (whole vectors, summed by
         * nothing) */
        sym_gemm_ld(m->tied[l], 0, no, ld, ni, 1.0, W, m->tied[l] ? no : ni, in, ld, 0.0, Z, ld);
        if (m->b_off[l] != SIZE_MAX) {
            const double *b = params + m->b_off[l];

            for (int j = 0; j < no; j++)
                for (int i = 0; i < ld; i++)
                    Z[(size_t)j * ld + i] += b[j];
        }
        if (o->act[l] != SYM_ACT_LINEAR)
            sym_act_apply(o->act[l], o->leaky_slope, Z, e->A[l], (size_t)ld * no);
        in = e->A[l];
    }
}

int sym_eval_forward(sym_eval *e, double *yhat, const double *params, const double *X, int n)
{
    const sym_model_opts *o = &e->m->o;
    int rc = 0, din = o->widths[0], dout = o->widths[o->n_layers];

    if (n < 1 || n > e->max_n)
        SYM_FAIL(SYM_EINVAL, "batch of %d rows: workspace holds 1..%d", n, e->max_n);
    if (e->group) { /* the dense network at w = phi(theta) */
        sym_groupi_materialize(e->group, params, e->gw);
        params = e->gw;
    }
    /* a block of rows at a time: every output row depends on its input row only */
    for (int s = 0; s < n; s += e->max_batch) {
        int nb = n - s < e->max_batch ? n - s : e->max_batch;

        sym_transpose_ld(e->XT, sym_batch_ld(nb), X + (size_t)s * din, din, nb, din);
        if (o->kind == SYM_MODEL_ISTA) {
            sym_ista_forward(&e->ista, e->m, params, e->XT, nb, sym_batch_ld(nb));
            sym_transpose_ld(yhat + (size_t)s * dout, dout, e->ista.E, sym_batch_ld(nb), dout, nb);
            continue;
        }
        sym_evali_forward(e, params, e->XT, nb, o->n_layers);
        sym_transpose_ld(yhat + (size_t)s * dout, dout, e->A[o->n_layers - 1], sym_batch_ld(nb),
                         dout, nb);
    }
    e->last_blocked = n > e->max_batch;
cleanup:
    return rc;
}

/*
 * Jacobian penalty of one chain of layers [l0, l1) for every sample, with
 * weight lambda / n each.  For sample x with J_l = D_l M_l, M_l = W_l J_{l-1},
 * D_l = diag(sigma'(z_l)), J_{l0-1} = I and G_l = dR/dJ_l:
 *   dR/dW_l += (D_l G_l) J_{l-1}^T,   G_{l-1} = W_l^T (D_l G_l),
 *   dR/dz_l  = diag(G_l M_l^T) * sigma''(z_l)   (-> e->extra, added to dZ_l
 *                                                 by the ordinary backward pass)
 */
static int jacobian_chain(sym_eval *e, double *value, double *grad, const double *params,
                          int l0, int l1, double lambda, int n, int n_total)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int nin = o->widths[l0], ld = sym_batch_ld(n), rc = 0;
    sym_reg nr = SYM_REG_INIT;
    double total = 0.0, scale = lambda / n_total; /* each sample weighs lambda / (all samples) */

    nr.kind = e->reg.norm == SYM_NORM_FROBENIUS ? SYM_REG_FROBENIUS : SYM_REG_LP;
    nr.p = e->reg.p;
    sym_eye(e->eye, nin);
    for (int s = 0; s < n; s++) {
        const double *Jprev = e->eye;
        int nl = o->widths[l1];
        double v = 0.0, *G = e->G0, *Gn = e->G1;

        for (int l = l0; l < l1; l++) {
            int ni = o->widths[l], no = o->widths[l + 1];
            const double *W = params + m->w_off[l];

            /* M_l [no x nin] = W_l [no x ni] J_{l-1} [ni x nin] */
            sym_gemm(m->tied[l], 0, no, nin, ni, 1.0, W, Jprev, 0.0, e->M[l]);
            for (int i = 0; i < no; i++) { /* sample s's column of Z_l, A_l */
                e->zc[i] = e->Z[l][(size_t)i * ld + s];
                e->ac[i] = e->A[l][(size_t)i * ld + s];
            }
            sym_act_deriv(o->act[l], o->leaky_slope, e->zc, e->ac, e->d1, (size_t)no);
            for (int i = 0; i < no; i++)
                for (int j = 0; j < nin; j++)
                    e->J[l][(size_t)i * nin + j] = e->d1[i] * e->M[l][(size_t)i * nin + j];
            Jprev = e->J[l];
        }
        if (grad)
            memset(G, 0, sizeof(double) * (size_t)nl * nin);
        SYM_TRY(sym_reg_matrix(&v, grad ? G : NULL, scale, &nr, e->J[l1 - 1], nl, nin, NULL));
        total += v;
        if (!grad)
            continue;
        for (int l = l1 - 1; l >= l0; l--) {
            int ni = o->widths[l], no = o->widths[l + 1];
            const double *W = params + m->w_off[l];
            double *gW = grad + m->w_off[l];

            Jprev = l == l0 ? e->eye : e->J[l - 1];
            for (int i = 0; i < no; i++) {
                e->zc[i] = e->Z[l][(size_t)i * ld + s];
                e->ac[i] = e->A[l][(size_t)i * ld + s];
            }
            sym_act_deriv(o->act[l], o->leaky_slope, e->zc, e->ac, e->d1, (size_t)no);
            sym_act_deriv2(o->act[l], o->leaky_slope, e->zc, e->ac, e->d2, (size_t)no);
            for (int i = 0; i < no; i++) {
                double dD = 0.0;

                for (int j = 0; j < nin; j++)
                    dD += G[(size_t)i * nin + j] * e->M[l][(size_t)i * nin + j];
                e->extra[l][(size_t)i * ld + s] += dD * e->d2[i];
                for (int j = 0; j < nin; j++)
                    G[(size_t)i * nin + j] *= e->d1[i]; /* G <- dR/dM_l */
            }
            if (m->tied[l]) /* owner [ni x no] += J_{l-1} dM^T */
                sym_gemm(0, 1, ni, no, nin, 1.0, Jprev, G, 1.0, gW);
            else            /* W_l [no x ni] += dM J_{l-1}^T */
                sym_gemm(0, 1, no, ni, nin, 1.0, G, Jprev, 1.0, gW);
            if (l > l0) {
                /* G_{l-1} [ni x nin] = W_l^T [ni x no] dM [no x nin] */
                sym_gemm(!m->tied[l], 0, ni, nin, no, 1.0, W, G, 0.0, Gn);
                double *t = G;
                G = Gn;
                Gn = t;
            }
        }
    }
    *value = scale * total;
cleanup:
    return rc;
}

/* the weight penalties: once per evaluation, whatever the blocks */
int sym_evali_weight_penalty(sym_eval *e, double *pen, double *grad, const double *params)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int rc = 0, L = o->n_layers;

    *pen = 0.0;
    if (e->reg.kind == SYM_REG_NONE || e->reg.kind == SYM_REG_JACOBIAN)
        return 0;
    for (int l = 0; l < L; l++) {
        double lam = l < o->n_encoder ? e->reg.lambda_encoder : e->reg.lambda_decoder, v = 0.0;
        int rows = m->tied[l] ? o->widths[l] : o->widths[l + 1];
        int cols = m->tied[l] ? o->widths[l + 1] : o->widths[l];

        if (lam == 0.0 || !sym_model_penalized(m, l))
            continue;
        /* a tied layer penalizes its owner's storage: R(W^T) = R(W) for
         * every entry-wise and unitarily invariant norm here */
        SYM_TRY(sym_reg_matrix(&v, grad ? grad + m->w_off[l] : NULL, lam, &e->reg,
                               params + m->w_off[l], rows, cols, e->regwork));
        *pen += lam * v;
    }
cleanup:
    return rc;
}

/*
 * Cross-entropy of one block of logits Z [rows x n] (feature-major, rows ld apart) against
 * targets Y (the same layout): returns sum_i [logsumexp(z_i) - y_i . z_i], the log-sum-exp
 * shifted by the sample's largest logit so that no exp overflows, and writes
 * d = scale (softmax(z_i) - y_i), the gradient wrt the logits (padding columns 0).
 */
static double ce_residual(const double *Z, const double *Y, int rows, int n, int ld, double scale,
                          double *d)
{
    double total = 0.0;

    for (int i = 0; i < n; i++) {
        double mx = Z[i], sum = 0.0, yz = 0.0, lse;

        for (int k = 1; k < rows; k++)
            mx = Z[(size_t)k * ld + i] > mx ? Z[(size_t)k * ld + i] : mx;
        for (int k = 0; k < rows; k++) {
            size_t at = (size_t)k * ld + i;

            d[at] = exp(Z[at] - mx);
            sum += d[at];
            yz += Y[at] * Z[at];
        }
        lse = mx + log(sum);
        total += lse - yz;
        for (int k = 0; k < rows; k++) {
            size_t at = (size_t)k * ld + i;

            d[at] = scale * (d[at] / sum - Y[at]);
        }
    }
    for (int k = 0; k < rows; k++)
        for (int i = n; i < ld; i++)
            d[(size_t)k * ld + i] = 0.0;
    return total;
}

/*
 * The data term (its sum of squares in *sse, or of cross-entropies with the model's loss) and the Jacobian penalty (*jpen)
 * of one block of n samples, feature-major XT, YT with rows sym_batch_ld(n)
 * apart, weighted for n_total samples in all; the gradient accumulates into
 * @p grad.  With n == n_total this is the whole objective's data part.
 */
static int data_block(sym_eval *e, double *sse_out, double *jpen, double *grad,
                      const double *params, const double *XT, const double *YT, int n, int n_total)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int L = o->n_layers, dout = o->widths[L], ld = sym_batch_ld(n), rc = 0;
    double *dA = e->buf0, *spare = e->buf1;
    double sse, inv = 1.0 / ((double)n_total * dout);
    /* the fused output kernel (squared error only) keeps a row of op(W) on the stack: widths <= 64 */
    int first, ce = o->loss == SYM_LOSS_CROSS_ENTROPY;
    int fuse = !ce && o->act[L - 1] == SYM_ACT_LINEAR && e->reg.kind != SYM_REG_JACOBIAN &&
                      o->widths[L - 1] <= SYM_KERNEL_MAX_K && dout <= SYM_KERNEL_MAX_K;

    *jpen = 0.0;
    if (o->kind == SYM_MODEL_ISTA) { /* the dense parameters (W, lambda), whoever made them */
        *sse_out = sym_ista_block(&e->ista, m, grad, params, XT, YT, n, ld, 2.0 * inv, grad != NULL);
        return 0;
    }
    if (fuse) {
        /* a linear output layer: forward, loss and its backward in one pass
         * over the batch (core/kernels.c); Z_{L-1} is not stored */
        int l = L - 1;

        sym_evali_forward(e, params, XT, n, L - 1);
        sse = sym_kernel_output_layer(
            dout, o->widths[l], n, ld, params + m->w_off[l], m->tied[l],
            m->b_off[l] == SIZE_MAX ? NULL : params + m->b_off[l], l == 0 ? XT : e->A[l - 1], YT,
            2.0 * inv, grad ? grad + m->w_off[l] : NULL,
            grad && m->b_off[l] != SIZE_MAX ? grad + m->b_off[l] : NULL,
            grad && l > 0 ? dA : NULL, e->tile);
        first = L - 2;
    } else {
        sym_evali_forward(e, params, XT, n, L);
        /* dA = d mse / d yhat, or d cross-entropy / d logits = (softmax - y) / n */
        sse = ce ? ce_residual(e->A[L - 1], YT, dout, n, ld, 1.0 / n_total, dA)
                 : sym_kernel_residual(e->A[L - 1], YT, dout, n, ld, 2.0 * inv, dA);
        first = L - 1;
    }

    if (e->reg.kind == SYM_REG_JACOBIAN) {
        double v = 0.0;

        if (grad)
            for (int l = 0; l < L; l++)
                memset(e->extra[l], 0, sizeof(double) * (size_t)ld * o->widths[l + 1]);
        if (e->reg.lambda_encoder != 0.0) {
            SYM_TRY(jacobian_chain(e, &v, grad, params, 0, o->n_encoder, e->reg.lambda_encoder, n, n_total));
            *jpen += v;
        }
        if (o->n_encoder < L && e->reg.lambda_decoder != 0.0) {
            SYM_TRY(jacobian_chain(e, &v, grad, params, o->n_encoder, L, e->reg.lambda_decoder, n, n_total));
            *jpen += v;
        }
    }

    if (grad) {
        for (int l = first; l >= 0; l--) {
            int ni = o->widths[l], no = o->widths[l + 1];
            const double *W = params + m->w_off[l];
            const double *in = l == 0 ? XT : e->A[l - 1];
            size_t cnt = (size_t)ld * no; /* elementwise: padding too */
            double *gW = grad + m->w_off[l], *dZ = dA; /* computed in place */

            /* dZ = dA * sigma'(Z) (+ the Jacobian penalty's direct dependence
             * on z); a linear layer passes dA through untouched */
            if (o->act[l] != SYM_ACT_LINEAR) {
                sym_act_deriv(o->act[l], o->leaky_slope, e->Z[l], e->A[l], e->D, cnt);
                sym_vmul(dA, e->D, dZ, cnt); /* dZ[i] = dA[i] * D[i], vectorized */
            }
            if (e->reg.kind == SYM_REG_JACOBIAN)
                for (size_t i = 0; i < cnt; i++)
                    dZ[i] += e->extra[l][i];
            if (m->tied[l]) /* owner [ni x no] += in [ni x n] dZ^T [n x no] */
                sym_gemm_ld(0, 1, ni, no, n, 1.0, in, ld, dZ, ld, 1.0, gW, no);
            else            /* dW [no x ni] += dZ [no x n] in^T [n x ni] */
                sym_gemm_ld(0, 1, no, ni, n, 1.0, dZ, ld, in, ld, 1.0, gW, ni);
            if (m->b_off[l] != SIZE_MAX) {
                double *gb = grad + m->b_off[l];

                for (int j = 0; j < no; j++) {
                    double acc = 0.0;

                    for (int i = 0; i < n; i++)
                        acc += dZ[(size_t)j * ld + i];
                    gb[j] += acc;
                }
            }
            if (l > 0) { /* dA_{l-1} [ni x n] = W_l^T [ni x no] dZ [no x n] */
                sym_gemm_ld(!m->tied[l], 0, ni, ld, no, 1.0, W, m->tied[l] ? no : ni, dZ, ld, 0.0,
                            spare, ld);
                spare = dA; /* dZ lived in dA's buffer: ping-pong */
                dA = dA == e->buf0 ? e->buf1 : e->buf0;
            }
        }
    }
    *sse_out = sse;
cleanup:
    return rc;
}

/*
 * The objective on n samples, X and Y row-major ([n x d]) or feature-major
 * (rows sym_batch_ld(n) apart).  Up to a block (max_batch samples) this is
 * one pass; more is evaluated a block at a time, each block copied or
 * transposed into the evaluator's own feature-major buffers, so memory stays
 * that of one block whatever n (sums then run block by block: deterministic,
 * but not the rounding of one pass).
 */
/*
 * Samples s..s+nb of X and Y (n in all, laid out as `layout` says) feature-major with rows
 * sym_batch_ld(nb) apart: in place where they already are (laid-out blocks, or feature-major
 * data in one block), else copied or transposed into the evaluator's XT, YT.
 */
void sym_evali_block_at(sym_eval *e, const double **XT, const double **YT, const double *X,
                        const double *Y, int layout, int n, int s, int nb)
{
    const sym_model_opts *o = &e->m->o;
    int din = o->widths[0], dout = o->widths[o->n_layers], ld = sym_batch_ld(n);
    int ldb = sym_batch_ld(nb), B = sym_evali_block_of(e, n);

    if (layout == LAYOUT_BLOCKS || (layout == LAYOUT_FEATURE && nb == n)) {
        size_t b = (size_t)(s / B) * sym_batch_ld(B);

        *XT = X + b * din;
        *YT = Y + b * dout;
        return;
    }
    if (layout == LAYOUT_ROWS) {
        sym_transpose_ld(e->XT, ldb, X + (size_t)s * din, din, nb, din);
        sym_transpose_ld(e->YT, ldb, Y + (size_t)s * dout, dout, nb, dout);
    } else {
        for (int f = 0; f < din; f++)
            memcpy(e->XT + (size_t)f * ldb, X + (size_t)f * ld + s, sizeof(double) * (size_t)nb);
        for (int f = 0; f < dout; f++)
            memcpy(e->YT + (size_t)f * ldb, Y + (size_t)f * ld + s, sizeof(double) * (size_t)nb);
    }
    *XT = e->XT;
    *YT = e->YT;
}

static int evaluate_dense(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                          const double *X, const double *Y, int layout, int n)
{
    const sym_model_opts *o = &e->m->o;
    int rc = 0, dout = o->widths[o->n_layers];
    double sse = 0.0, pen = 0.0, jpen = 0.0, inv = 1.0 / ((double)n * dout);

    if (n < 1 || n > e->max_n)
        SYM_FAIL(SYM_EINVAL, "batch of %d rows: workspace holds 1..%d", n, e->max_n);
    if (grad)
        memset(grad, 0, sizeof(double) * e->m->n_params);
    SYM_TRY(sym_evali_weight_penalty(e, &pen, grad, params));
    for (int s = 0, B = sym_evali_block_of(e, n); s < n; s += B) {
        int nb = n - s < B ? n - s : B;
        const double *XT, *YT;
        double sb, jb;

        sym_evali_block_at(e, &XT, &YT, X, Y, layout, n, s, nb);
        SYM_TRY(data_block(e, &sb, &jb, grad, params, XT, YT, nb, n));
        sse += sb;
        jpen += jb;
    }
    e->last_blocked = n > e->max_batch;
    /* the sum of squares over n d_out entries, or of cross-entropies over n samples */
    out->data = o->loss == SYM_LOSS_CROSS_ENTROPY ? sse / n : sse * inv;
    out->penalty = pen + jpen;
    out->total = out->data + out->penalty;
cleanup:
    return rc;
}

/* with a group layer: the dense objective at w = phi(theta), its gradient pulled back to theta,
 * and the group penalties added */
static int evaluate(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                    const double *X, const double *Y, int layout, int n)
{
    int rc = 0;
    double pen = 0.0;

    if (!e->group)
        return evaluate_dense(e, out, grad, params, X, Y, layout, n);
    sym_groupi_materialize(e->group, params, e->gw);
    SYM_TRY(evaluate_dense(e, out, grad ? e->gg : NULL, e->gw, X, Y, layout, n));
    if (grad)
        SYM_TRY(sym_groupi_pullback(e->group, &pen, grad, params, e->gg, e->gwork));
    else
        SYM_TRY(sym_groupi_penalty(e->group, &pen, params, e->gwork));
    out->penalty += pen;
    out->total = out->data + out->penalty;
cleanup:
    return rc;
}

int sym_eval_loss_t(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                    const double *XT, const double *YT, int n)
{
    return evaluate(e, out, grad, params, XT, YT, LAYOUT_FEATURE, n);
}

int sym_eval_loss(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                  const double *X, const double *Y, int n)
{
    return evaluate(e, out, grad, params, X, Y, LAYOUT_ROWS, n);
}

size_t sym_eval_blocks_size(const sym_eval *e, int n, int d)
{
    int B = sym_evali_block_of(e, n), full = n / B, rest = n % B;

    return ((size_t)full * sym_batch_ld(B) + (rest ? sym_batch_ld(rest) : 0)) * d;
}

void sym_eval_blocks(const sym_eval *e, double *out, const double *X, int n, int d)
{
    int B = sym_evali_block_of(e, n);

    for (int s = 0; s < n; s += B) {
        int nb = n - s < B ? n - s : B;
        size_t b = (size_t)(s / B) * sym_batch_ld(B) * d;

        sym_transpose_ld(out + b, sym_batch_ld(nb), X + (size_t)s * d, d, nb, d);
    }
}

int sym_eval_loss_blocks(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                         const double *XB, const double *YB, int n)
{
    return evaluate(e, out, grad, params, XB, YB, LAYOUT_BLOCKS, n);
}

int sym_eval_data_init(sym_eval_data *b, const sym_eval *e, const struct sym_data *d)
{
    int rc = 0;

    memset(b, 0, sizeof(*b));
    b->d = d;
    if (8.0 * d->n * (d->d_in + d->d_out) > SYM_TRAIN_COPY_MAX)
        return 0;
    SYM_TRY(sym_alloc_doubles(&b->XB, sym_eval_blocks_size(e, d->n, d->d_in)));
    sym_eval_blocks(e, b->XB, d->X, d->n, d->d_in);
    if (d->Y == d->X) {
        b->YB = b->XB;
    } else {
        SYM_TRY(sym_alloc_doubles(&b->YB, sym_eval_blocks_size(e, d->n, d->d_out)));
        sym_eval_blocks(e, b->YB, d->Y, d->n, d->d_out);
    }
cleanup:
    if (rc)
        sym_eval_data_dispose(b);
    return rc;
}

int sym_eval_data_loss(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                       const sym_eval_data *b)
{
    if (b->mom)
        return sym_moments_loss(e, out, grad, params, b->mom);
    return b->XB ? sym_eval_loss_blocks(e, out, grad, params, b->XB, b->YB, b->d->n)
                 : sym_eval_loss(e, out, grad, params, b->d->X, b->d->Y, b->d->n);
}

void sym_eval_data_dispose(sym_eval_data *b)
{
    if (b->YB != b->XB)
        free(b->YB);
    free(b->XB);
    b->XB = b->YB = NULL;
    sym_moments_free(b->mom);
    b->mom = NULL;
}
