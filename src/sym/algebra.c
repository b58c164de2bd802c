/*
 * The loss's continuous symmetry, layer by layer: the Lie algebra of each
 * hidden layer's action (the activation's, cut by the penalty), the orbit
 * dimension as the rank of the orbit-tangent map (translations of linear
 * layers included), and random directions in the algebra; and the so(d) of a
 * tied autoencoder (its decoder is the encoder's transpose: only orthogonal K
 * keep the function) with its tangent map.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the algebra an activation commutes with (infinitesimally) */
static int act_algebra(sym_act a)
{
    if (a == SYM_ACT_LINEAR)
        return SYM_ALGEBRA_GL;
    if (a == SYM_ACT_RELU || a == SYM_ACT_LEAKY_RELU)
        return SYM_ALGEBRA_DIAGONAL;
    return SYM_SYMMETRY_NONE;
}

/* the part of @p alg a penalty leaves: orthogonally invariant penalties keep so, others nothing */
static int restrict_by(int alg, int orthogonal_ok)
{
    if (alg == SYM_SYMMETRY_NONE)
        return alg;
    if (!orthogonal_ok)
        return SYM_SYMMETRY_NONE;
    return alg == SYM_ALGEBRA_GL || alg == SYM_ALGEBRA_SO ? SYM_ALGEBRA_SO : SYM_SYMMETRY_NONE;
}

int sym_symmetry_algebras(int *alg, const sym_model *m, const sym_reg *reg)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0;

    if (o->tied)
        SYM_FAIL(SYM_EINVAL, "the layer action unties a tied autoencoder: no orbit tangent map");
    if (o->kind == SYM_MODEL_ISTA) { /* its symmetry is discrete: W -> P W, P signed permutations */
        for (int h = 0; h + 1 < o->n_layers; h++)
            alg[h] = SYM_SYMMETRY_NONE;
        return 0;
    }
    for (int h = 0; h + 1 < o->n_layers; h++) {
        /* hidden layer h sits between dense layers h and h + 1 */
        double lam_in = h < o->n_encoder ? reg->lambda_encoder : reg->lambda_decoder;
        double lam_out = h + 1 < o->n_encoder ? reg->lambda_encoder : reg->lambda_decoder;
        int a = act_algebra(o->act[h]), touched = lam_in != 0.0 || lam_out != 0.0;

        switch (reg->kind) {
        case SYM_REG_NONE:
            break;
        case SYM_REG_FROBENIUS:
        case SYM_REG_SCHATTEN:
            if (touched)
                a = restrict_by(a, 1);
            break;
        case SYM_REG_L1:
            if (touched)
                a = restrict_by(a, 0);
            break;
        case SYM_REG_LP:
            if (touched)
                a = restrict_by(a, reg->p == 2.0);
            break;
        case SYM_REG_JACOBIAN:
            /* K cancels inside a chain's Jacobian; at the latent layer the
             * encoder's Jacobian becomes K J and the decoder's J K^{-1} */
            if (o->kind == SYM_MODEL_AUTOENCODER && h == o->n_encoder - 1 && touched)
                a = restrict_by(a, reg->norm == SYM_NORM_FROBENIUS);
            break;
        default:
            SYM_FAIL(SYM_EINVAL, "unknown regularizer kind %d", (int)reg->kind);
        }
        alg[h] = a;
    }
cleanup:
    return rc;
}

/* dimension of one layer's algebra at width n */
static int layer_dim(int a, int n)
{
    return a == SYM_ALGEBRA_GL ? n * n : a == SYM_ALGEBRA_DIAGONAL ? n : a == SYM_ALGEBRA_SO ? n * (n - 1) / 2 : 0;
}

int sym_symmetry_dim(const sym_model *m, const int *alg)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int d = 0;

    for (int h = 0; h + 1 < o->n_layers; h++)
        d += layer_dim(alg[h], o->widths[h + 1]);
    return d;
}

/* basis element r of the algebra, laid out like sym_orbit_direction (one n_h^2 block per layer) */
static void basis_element(double *A, const sym_model *m, const int *alg, int r)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t off = 0;

    memset(A, 0, sizeof(double) * sym_orbit_direction_size(m));
    for (int h = 0; h + 1 < o->n_layers; h++) {
        int n = o->widths[h + 1], d = layer_dim(alg[h], n);

        if (r < d) {
            double *B = A + off;

            if (alg[h] == SYM_ALGEBRA_GL) {
                B[r] = 1.0;
            } else if (alg[h] == SYM_ALGEBRA_DIAGONAL) {
                B[(size_t)r * n + r] = 1.0;
            } else { /* so: (E_ij - E_ji) / sqrt 2, i < j, in row order */
                int i = 0, k = r;

                while (k >= n - 1 - i) {
                    k -= n - 1 - i;
                    i++;
                }
                B[(size_t)i * n + i + 1 + k] = M_SQRT1_2;
                B[(size_t)(i + 1 + k) * n + i] = -M_SQRT1_2;
            }
            return;
        }
        r -= d;
        off += (size_t)n * n;
    }
}

int sym_symmetry_tangent_rows(double *J, const sym_model *m, const int *alg, const double *params)
{
    size_t P = sym_model_n_params(m);
    int d = sym_symmetry_dim(m, alg), rc = 0;
    double *A = NULL;

    SYM_TRY(sym_alloc_doubles(&A, sym_orbit_direction_size(m)));
    for (int r = 0; r < d; r++) {
        basis_element(A, m, alg, r);
        sym_orbit_tangent(J + (size_t)r * P, m, params, A, SYM_ALGEBRA_GL);
    }
cleanup:
    free(A);
    return rc;
}

int sym_translation_dim(const sym_model *m)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int t = 0;

    for (int h = 0; !o->tied && o->bias && h + 1 < o->n_layers; h++)
        if (o->act[h] == SYM_ACT_LINEAR)
            t += o->widths[h + 1];
    return t;
}

int sym_translation_rows(double *J, const sym_model *m, const double *params)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t P = sym_model_n_params(m);
    int r = 0, rc = 0;
    double *W = NULL;

    for (int h = 0; !o->tied && o->bias && h + 1 < o->n_layers; h++) {
        int n = o->widths[h + 1], no = o->widths[h + 2];

        if (o->act[h] != SYM_ACT_LINEAR)
            continue;
        free(W);
        W = NULL;
        SYM_TRY(sym_alloc_doubles(&W, (size_t)no * n));
        sym_model_get_weight(m, params, h + 1, W); /* [no x n] */
        for (int j = 0; j < n; j++, r++) {
            double *row = J + (size_t)r * P;

            memset(row, 0, sizeof(double) * P);
            sym_model_bias(m, row, h)[j] = 1.0;
            for (int i = 0; i < no; i++)
                sym_model_bias(m, row, h + 1)[i] = -W[(size_t)i * n + j];
        }
    }
cleanup:
    free(W);
    return rc;
}

/* 1 when the penalty leaves the output weights' shifts W_L + 1 v^T alone */
static int shift_weights_kept(const sym_model_opts *o, const sym_reg *reg)
{
    int L = o->n_layers;
    double lam = L - 1 < o->n_encoder ? reg->lambda_encoder : reg->lambda_decoder;

    /* a weight penalty on W_L sees them; so does a Jacobian penalty on the chain that ends
     * at the output (the whole MLP's, an autoencoder's decoder's): both weigh lam */
    return reg->kind == SYM_REG_NONE || lam == 0.0;
}

int sym_shift_dim(const sym_model *m, const sym_reg *reg)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int L = o->n_layers;

    if (o->loss != SYM_LOSS_CROSS_ENTROPY || o->tied || o->act[L - 1] != SYM_ACT_LINEAR)
        return 0;
    return (shift_weights_kept(o, reg) ? o->widths[L - 1] : 0) + (o->bias ? 1 : 0);
}

int sym_shift_rows(double *J, const sym_model *m, const sym_reg *reg)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t P = sym_model_n_params(m);
    int L = o->n_layers, no = o->widths[L], ni = o->widths[L - 1], r = 0, rc = 0;
    double u = 1.0 / sqrt((double)no), *W = NULL;

    if (sym_shift_dim(m, reg) == 0)
        return 0;
    if (shift_weights_kept(o, reg)) {
        SYM_TRY(sym_alloc_doubles(&W, (size_t)no * ni));
        for (int j = 0; j < ni; j++, r++) { /* W_L + 1 e_j^T: column j */
            memset(W, 0, sizeof(double) * (size_t)no * ni);
            for (int i = 0; i < no; i++)
                W[(size_t)i * ni + j] = u;
            memset(J + (size_t)r * P, 0, sizeof(double) * P);
            sym_model_set_weight(m, J + (size_t)r * P, L - 1, W);
        }
    }
    if (o->bias) {
        double *row = J + (size_t)r * P;

        memset(row, 0, sizeof(double) * P);
        for (int i = 0; i < no; i++)
            sym_model_bias(m, row, L - 1)[i] = u;
    }
cleanup:
    free(W);
    return rc;
}

int sym_symmetry_orbit(int *alg_dim, int *dim, double *gap, const sym_model *m, const sym_reg *reg,
                       const double *params)
{
    int alg[SYM_MAX_LAYERS], d, t, sh, rc = 0;
    size_t P = sym_model_n_params(m);
    double *J = NULL;

    SYM_TRY(sym_symmetry_algebras(alg, m, reg));
    d = sym_symmetry_dim(m, alg);
    t = sym_translation_dim(m);
    sh = sym_shift_dim(m, reg);
    *alg_dim = d + t + sh;
    *dim = 0;
    if (gap)
        *gap = INFINITY;
    if (d + t + sh == 0)
        goto cleanup;
    SYM_TRY(sym_alloc_doubles(&J, (size_t)(d + t + sh) * P));
    SYM_TRY(sym_symmetry_tangent_rows(J, m, alg, params));
    SYM_TRY(sym_translation_rows(J + (size_t)d * P, m, params));
    SYM_TRY(sym_shift_rows(J + (size_t)(d + t) * P, m, reg));
    SYM_TRY(sym_row_rank(dim, gap, NULL, J, d + t + sh, (int)P));
cleanup:
    free(J);
    return rc;
}

double sym_symmetry_orbit_bytes(const sym_model *m, const sym_reg *reg)
{
    int alg[SYM_MAX_LAYERS];
    double rows, P = (double)sym_model_n_params(m);

    if (sym_symmetry_algebras(alg, m, reg) < 0)
        return 0.0;
    rows = sym_symmetry_dim(m, alg) + sym_translation_dim(m) + sym_shift_dim(m, reg);
    if (rows < 1) /* no continuous symmetry: nothing is built */
        return 0.0;
    /* the rows, and the SVD's work (which holds its copy of them) */
    return 8.0 * (rows * P + (double)sym_svd_work_size((int)rows, (int)P));
}

int sym_row_rank(int *rank, double *gap, double *sv, const double *J, int rows, int cols)
{
    int k = rows < cols ? rows : cols, rc = 0;
    double *s = NULL, *work = NULL;

    *rank = 0;
    if (gap)
        *gap = INFINITY;
    if (k == 0)
        return 0;
    SYM_TRY(sym_alloc_doubles(&s, (size_t)k));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(rows, cols)));
    SYM_TRY(sym_svd(s, NULL, NULL, J, rows, cols, work));
    for (int i = 0; i < k; i++)
        *rank += s[i] > SYM_ORBIT_RANK_TOL * s[0];
    if (gap && *rank < k)
        *gap = *rank == 0 ? NAN : s[*rank - 1] / fmax(s[*rank], 1e-300);
    if (sv)
        memcpy(sv, s, sizeof(double) * (size_t)k);
cleanup:
    free(s);
    free(work);
    return rc;
}

int sym_symmetry_direction(double *A, const sym_model *m, const int *alg, sym_rng *r)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t off = 0, na = sym_orbit_direction_size(m);
    double nrm;
    int rc = 0;

    for (int h = 0; h + 1 < o->n_layers; h++) {
        int n = o->widths[h + 1];
        double *B = A + off;

        for (int i = 0; i < n * n; i++)
            B[i] = sym_rng_normal(r);
        sym_algebra_project(B, n, alg[h]);
        off += (size_t)n * n;
    }
    nrm = sym_norm2(A, na);
    if (!(nrm > 0.0))
        SYM_FAIL(SYM_EINVAL, "the loss has no continuous symmetry here: no orbit direction to draw");
    for (size_t i = 0; i < na; i++)
        A[i] /= nrm;
cleanup:
    return rc;
}

int sym_symmetry_tied_so(const sym_model_opts *o, const sym_reg *r)
{
    if (o->act[0] != SYM_ACT_LINEAR)
        return 0; /* O(d) meets relu's and tanh's centralizers only in permutations: discrete */
    switch (r->kind) {
    case SYM_REG_NONE:
    case SYM_REG_FROBENIUS:
    case SYM_REG_SCHATTEN:
        return 1;
    case SYM_REG_LP:
        return r->p == 2.0;
    case SYM_REG_JACOBIAN:
        return r->norm == SYM_NORM_FROBENIUS;
    default:
        return r->lambda_encoder == 0.0 && r->lambda_decoder == 0.0;
    }
}

/* A = (E_ij - E_ji) / sqrt 2, i < j, in that order: W -> A W, b -> A b */
int sym_symmetry_tied_rows(double **J, int *rows, const sym_model *m, const double *params)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int d = o->widths[1], D = o->widths[0], r = 0, rc = 0;
    size_t P = sym_model_n_params(m);
    double *W = NULL, *AW = NULL;
    const double *b = sym_model_bias(m, (double *)params, 0);

    *rows = d * (d - 1) / 2;
    SYM_TRY(sym_alloc_doubles(J, (size_t)(*rows > 0 ? *rows : 1) * P));
    memset(*J, 0, sizeof(double) * (size_t)(*rows > 0 ? *rows : 1) * P);
    SYM_TRY(sym_alloc_doubles(&W, (size_t)d * D));
    SYM_TRY(sym_alloc_doubles(&AW, (size_t)d * D));
    sym_model_get_weight(m, params, 0, W);
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++, r++) {
            double *row = *J + (size_t)r * P, *db = sym_model_bias(m, row, 0);

            memset(AW, 0, sizeof(double) * (size_t)d * D);
            for (int c = 0; c < D; c++) { /* (A W)_i = W_j / sqrt 2, (A W)_j = -W_i / sqrt 2 */
                AW[(size_t)i * D + c] = W[(size_t)j * D + c] / sqrt(2.0);
                AW[(size_t)j * D + c] = -W[(size_t)i * D + c] / sqrt(2.0);
            }
            sym_model_set_weight(m, row, 0, AW);
            if (b && db) {
                db[i] = b[j] / sqrt(2.0);
                db[j] = -b[i] / sqrt(2.0);
            }
        }
cleanup:
    free(W);
    free(AW);
    return rc;
}
