/*
 * What the Hessian probes measure besides the spectrum itself: the loss's
 * symmetry algebra layer by layer, the orbit dimension as the rank of the
 * orbit-tangent map, statistics of a spectrum, and the quantities a
 * symmetry conserves under gradient flow.
 */
#include "symsweep/probe.h"

#include <float.h>
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

int sym_orbit_dimension(int *dim, double *gap, const sym_model *m, const sym_reg *reg,
                        const double *params)
{
    int alg[SYM_MAX_LAYERS], d, rc = 0, k;
    size_t P = sym_model_n_params(m);
    double *J = NULL, *s = NULL, *work = NULL;

    SYM_TRY(sym_symmetry_algebras(alg, m, reg));
    d = sym_symmetry_dim(m, alg);
    *dim = 0;
    if (gap)
        *gap = INFINITY;
    if (d == 0)
        goto cleanup;
    k = d < (int)P ? d : (int)P;
    SYM_TRY(sym_alloc_doubles(&J, (size_t)d * P));
    SYM_TRY(sym_alloc_doubles(&s, (size_t)k));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(d, (int)P)));
    SYM_TRY(sym_symmetry_tangent_rows(J, m, alg, params));
    SYM_TRY(sym_svd(s, NULL, NULL, J, d, (int)P, work));
    for (int i = 0; i < k; i++)
        *dim += s[i] > SYM_ORBIT_RANK_TOL * s[0];
    if (gap && *dim < k)
        *gap = *dim == 0 ? NAN : s[*dim - 1] / fmax(s[*dim], 1e-300);
cleanup:
    free(J);
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

const char *const sym_zero_cut_names[] = {"gap", "threshold"};
_Static_assert(sizeof sym_zero_cut_names / sizeof *sym_zero_cut_names == SYM_ZERO_CUT_COUNT,
               "one name per zero cut");

static int by_abs(const void *a, const void *b)
{
    double x = fabs(*(const double *)a), y = fabs(*(const double *)b);

    return (x > y) - (x < y);
}

void sym_spectrum_stats(sym_spectrum *out, const double *w, int n, sym_zero_cut cut, double thr)
{
    double big = 0.0, *a = NULL;
    int z = 0;

    out->top = n > 0 ? w[n - 1] : NAN;
    for (int i = 0; i < n; i++)
        big = fmax(big, fabs(w[i]));
    if (cut == SYM_ZERO_CUT_GAP && n > 1 && (a = malloc(sizeof(double) * (size_t)n)) != NULL) {
        /* |w| ascending; a zero's logarithm is taken at a floor far below rounding */
        double floor = big * DBL_EPSILON * 1e-3, best = 0.0;
        int k_best = -1;

        memcpy(a, w, sizeof(double) * (size_t)n);
        qsort(a, (size_t)n, sizeof(double), by_abs);
        for (int k = 0; k + 1 < n && fabs(a[k]) <= SYM_ZERO_CUT_MAX_BELOW * big; k++) {
            double r = fmax(fabs(a[k + 1]), floor) / fmax(fabs(a[k]), floor);

            if (r > best) {
                best = r;
                k_best = k;
            }
        }
        z = k_best >= 0 && best >= SYM_ZERO_CUT_MIN_GAP ? k_best + 1 : 0;
        out->below = z ? fabs(a[z - 1]) : NAN;
        out->above = z < n ? fabs(a[z]) : NAN;
        free(a);
    } else {
        double below = 0.0, above = INFINITY;

        if (cut == SYM_ZERO_CUT_GAP)
            thr = n == 1 ? 0.0 : thr; /* one eigenvalue has no gap; out of memory: the threshold */
        for (int i = 0; i < n; i++) {
            double v = fabs(w[i]);

            if (v <= thr * big) {
                z++;
                below = fmax(below, v);
            } else {
                above = fmin(above, v);
            }
        }
        out->below = z ? below : NAN;
        out->above = z < n ? above : NAN;
    }
    out->zeros = z;
    out->gap = z == 0 ? INFINITY : z == n ? NAN : out->above / fmax(out->below, 1e-300);
}

/* ---- conserved quantities ---- */

int sym_conserved_kind(const sym_model *m, int h)
{
    const sym_model_opts *o = sym_model_get_opts(m);

    SYM_ASSERT(h >= 0 && h + 1 < o->n_layers);
    return act_algebra(o->act[h]);
}

size_t sym_conserved_size(const sym_model *m, int h)
{
    int n = sym_model_get_opts(m)->widths[h + 1], k = sym_conserved_kind(m, h);

    return k == SYM_ALGEBRA_GL ? (size_t)n * n : k == SYM_ALGEBRA_DIAGONAL ? (size_t)n : 0;
}

int sym_conserved_measure(double *q, const sym_model *m, const double *params, int h)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int n = o->widths[h + 1], ni = o->widths[h], no = o->widths[h + 2], k = sym_conserved_kind(m, h);
    int rc = 0;
    double *Win = NULL, *Wout = NULL;
    const double *b = sym_model_bias(m, (double *)params, h);

    if (k == SYM_SYMMETRY_NONE)
        return 0;
    SYM_TRY(sym_alloc_doubles(&Win, (size_t)n * ni));
    SYM_TRY(sym_alloc_doubles(&Wout, (size_t)no * n));
    sym_model_get_weight(m, params, h, Win);      /* [n x ni] */
    sym_model_get_weight(m, params, h + 1, Wout); /* [no x n] */
    if (k == SYM_ALGEBRA_GL) {
        /* W_{h+1}^T W_{h+1} - W_h W_h^T - b_h b_h^T */
        sym_gemm(1, 0, n, n, no, 1.0, Wout, Wout, 0.0, q);
        sym_gemm(0, 1, n, n, ni, -1.0, Win, Win, 1.0, q);
        if (b)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    q[(size_t)i * n + j] -= b[i] * b[j];
    } else {
        /* per neuron: ||incoming||^2 (weights and bias) - ||outgoing||^2 */
        for (int i = 0; i < n; i++) {
            double in = b ? b[i] * b[i] : 0.0, out = 0.0;

            for (int j = 0; j < ni; j++)
                in += Win[(size_t)i * ni + j] * Win[(size_t)i * ni + j];
            for (int j = 0; j < no; j++)
                out += Wout[(size_t)j * n + i] * Wout[(size_t)j * n + i];
            q[i] = in - out;
        }
    }
cleanup:
    free(Win);
    free(Wout);
    return rc;
}

/* ---- the hessian probe ---- */

int sym_syev_local(void *solver, double *w, double *Z, int want_vectors, int n, sym_column_fn fn,
                   void *ctx)
{
    double *H = NULL, *work = NULL;
    int rc = 0;

    (void)solver;
    SYM_TRY(sym_alloc_doubles(&H, (size_t)n * n));
    SYM_TRY(sym_alloc_doubles(&work, sym_syev_work_size(n)));
    for (int j = 0; j < n; j++)
        SYM_TRY(fn(ctx, (size_t)j, H + (size_t)j * n)); /* column j as row j: symmetric */
    sym_symmetrize(H, n);
    if (want_vectors) {
        /* sym_syev's V holds eigenvectors as columns: transpose to rows */
        double *V = NULL;

        SYM_TRY(sym_alloc_doubles(&V, (size_t)n * n));
        rc = sym_syev(w, V, H, n, work);
        if (rc == 0)
            sym_transpose(Z, V, n, n);
        free(V);
        SYM_TRY(rc);
    } else {
        SYM_TRY(sym_syev(w, NULL, H, n, work));
    }
cleanup:
    free(H);
    free(work);
    return rc;
}

/* the finite-difference step of the HVP check */
#define HVP_CHECK_STEP 1e-5

/*
 * 1 if a weight lies within the check's step of a kink of the penalty: |w| at
 * 0 for l1, and for l_p with p < 2, whose second derivative is unbounded
 * there.  The gradient jumps across the kink, so its finite differences say
 * nothing about H (an l1 run gave an "error" of 126 where smooth points give
 * 3e-11).  Activation kinks (relu at 0) are not looked for.
 */
static int penalty_kink(const sym_model *m, const sym_reg *reg, const double *params, double s)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t most = 0;
    double *w;
    int kink = 0;

    if (reg->kind != SYM_REG_L1 && !(reg->kind == SYM_REG_LP && reg->p < 2.0))
        return 0;
    for (int l = 0; l < o->n_layers; l++)
        most = (size_t)o->widths[l] * o->widths[l + 1] > most ? (size_t)o->widths[l] * o->widths[l + 1]
                                                             : most;
    if (!(w = malloc(sizeof(double) * most)))
        return 1; /* cannot tell: do not vouch for the check */
    for (int l = 0; l < o->n_layers && !kink; l++) {
        size_t cnt = (size_t)o->widths[l] * o->widths[l + 1];

        if ((l < o->n_encoder ? reg->lambda_encoder : reg->lambda_decoder) == 0.0)
            continue;
        sym_model_get_weight(m, params, l, w);
        for (size_t i = 0; i < cnt && !kink; i++)
            kink = fabs(w[i]) <= s;
    }
    free(w);
    return kink;
}

/* max over @p k random unit v of ||Hv - (g(p + s v) - g(p - s v)) / 2s|| / ||Hv|| */
static int hvp_check(double *out, sym_hvp *h, const sym_model *m, const sym_reg *reg,
                     const double *params, const sym_data *d, int k, sym_rng *r)
{
    size_t P = sym_model_n_params(m);
    double *v = NULL, *Hv = NULL, *g1 = NULL, *g2 = NULL, *q = NULL, s = HVP_CHECK_STEP, worst = 0.0;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    int rc = 0;

    SYM_TRY(sym_eval_create(&e, m, reg, d->n));
    SYM_TRY(sym_alloc_doubles(&v, P));
    SYM_TRY(sym_alloc_doubles(&Hv, P));
    SYM_TRY(sym_alloc_doubles(&g1, P));
    SYM_TRY(sym_alloc_doubles(&g2, P));
    SYM_TRY(sym_alloc_doubles(&q, P));
    for (int t = 0; t < k; t++) {
        double nv, num = 0.0;

        for (size_t i = 0; i < P; i++)
            v[i] = sym_rng_normal(r);
        nv = sym_norm2(v, P);
        for (size_t i = 0; i < P; i++)
            v[i] /= nv;
        SYM_TRY(sym_hvp_apply(h, Hv, v));
        for (size_t i = 0; i < P; i++)
            q[i] = params[i] + s * v[i];
        SYM_TRY(sym_eval_loss(e, &lp, g1, q, d->X, d->Y, d->n));
        for (size_t i = 0; i < P; i++)
            q[i] = params[i] - s * v[i];
        SYM_TRY(sym_eval_loss(e, &lp, g2, q, d->X, d->Y, d->n));
        for (size_t i = 0; i < P; i++) {
            double fd = (g1[i] - g2[i]) / (2.0 * s);

            num += (Hv[i] - fd) * (Hv[i] - fd);
        }
        worst = fmax(worst, sqrt(num) / fmax(sym_norm2(Hv, P), 1e-300));
    }
    *out = worst;
cleanup:
    sym_eval_free(e);
    free(v);
    free(Hv);
    free(g1);
    free(g2);
    free(q);
    return rc;
}

/* the spectrum of the Hessian at params through @p solve (every rank of a team calls alike) */
static int spectrum(double *w, double *Z, int want_vectors, sym_hvp *h, const double *params,
                    const sym_data *d, size_t P, sym_syev_fn solve, void *solver)
{
    int rc = 0;

    SYM_TRY(sym_hvp_set_point(h, params, d->X, d->Y, d->n));
    rc = solve(solver, w, Z, want_vectors, (int)P, sym_hvp_column, h);
cleanup:
    return rc;
}

int sym_hessian_probe(sym_hessian_out *out, const sym_model *m, const sym_reg *reg,
                      const double *params, const sym_data *d, const sym_hessian_opts *o,
                      sym_rng *r, sym_syev_fn solve, void *solver)
{
    size_t P = sym_model_n_params(m);
    sym_hvp *h = NULL;
    double *th = NULL, *w = NULL, *A = NULL;
    sym_eval *e = NULL;
    int rc = 0, alg[SYM_MAX_LAYERS], tied = sym_model_get_opts(m)->tied;

    SYM_TRY(sym_hvp_create(&h, m, reg, d->n));
    SYM_TRY(spectrum(out->eig, out->vec, o->eigenvectors, h, params, d, P, solve, solver));
    {
        sym_spectrum sp;

        sym_spectrum_stats(&sp, out->eig, (int)P, o->zero_cut, o->threshold);
        out->zeros = sp.zeros;
        out->gap = sp.gap;
        out->top = sp.top;
        out->cut_below = sp.below;
        out->cut_above = sp.above;
    }
    out->hvp_error = NAN;
    out->hvp_at_kink = penalty_kink(m, reg, params, HVP_CHECK_STEP);
    if (o->hvp_checks > 0)
        SYM_TRY(hvp_check(&out->hvp_error, h, m, reg, params, d, o->hvp_checks, r));
    /* checked all the same, so that the random stream (and the gauge
     * direction drawn after it) does not depend on the kink */
    if (out->hvp_at_kink)
        out->hvp_error = NAN;
    out->orbit_dim = -1;
    out->orbit_gap = NAN;
    if (!tied)
        SYM_TRY(sym_orbit_dimension(&out->orbit_dim, &out->orbit_gap, m, reg, params));
    if (o->gauge_points < 1 || !out->gauge_loss)
        goto cleanup;
    for (int k = 0; k < o->gauge_points; k++)
        out->gauge_loss[k] = out->gauge_zeros[k] = out->gauge_top[k] = NAN;
    if (tied)
        goto cleanup;
    SYM_TRY(sym_symmetry_algebras(alg, m, reg));
    if (sym_symmetry_dim(m, alg) == 0)
        goto cleanup; /* no orbit to move along: NaN */
    SYM_TRY(sym_alloc_doubles(&A, sym_orbit_direction_size(m)));
    SYM_TRY(sym_alloc_doubles(&th, P));
    SYM_TRY(sym_alloc_doubles(&w, P));
    SYM_TRY(sym_eval_create(&e, m, reg, d->n));
    SYM_TRY(sym_symmetry_direction(A, m, alg, r));
    for (int k = 0; k < o->gauge_points; k++) {
        double t = o->gauge_points == 1 ? o->gauge_t_max : sym_orbit_grid(k, o->gauge_points, o->gauge_t_max);
        sym_loss_parts lp;
        sym_spectrum sp;

        SYM_TRY(sym_orbit_move(th, m, params, A, t));
        SYM_TRY(sym_eval_loss(e, &lp, NULL, th, d->X, d->Y, d->n));
        SYM_TRY(spectrum(w, NULL, 0, h, th, d, P, solve, solver));
        sym_spectrum_stats(&sp, w, (int)P, o->zero_cut, o->threshold);
        out->gauge_top[k] = sp.top;
        out->gauge_loss[k] = lp.total;
        out->gauge_zeros[k] = sp.zeros;
    }
cleanup:
    sym_hvp_free(h);
    sym_eval_free(e);
    free(th);
    free(w);
    free(A);
    return rc;
}

/* ---- symmetry discovery ---- */

int sym_svd_local(void *solver, double *s, double *Vt, int m, int n, sym_row_fn fn, void *ctx)
{
    double *A = NULL, *work = NULL;
    int rc = 0;

    (void)solver;
    if (m < n)
        SYM_FAIL(SYM_EINVAL, "SVD of a %d x %d matrix: needs at least as many rows as columns", m, n);
    SYM_TRY(sym_alloc_doubles(&A, (size_t)m * n));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(m, n)));
    for (int i = 0; i < m; i++)
        SYM_TRY(fn(ctx, i, A + (size_t)i * n));
    SYM_TRY(sym_svd(s, NULL, Vt, A, m, n, work));
cleanup:
    free(A);
    free(work);
    return rc;
}

const char *const sym_discovery_family_names[] = {"layer", "full"};
_Static_assert(sizeof sym_discovery_family_names / sizeof *sym_discovery_family_names == SYM_DISCOVERY_COUNT,
               "one name per discovery family");

const char *sym_discovery_family_name(sym_discovery_family f)
{
    return f >= 0 && f < SYM_DISCOVERY_COUNT ? sym_discovery_family_names[f] : "?";
}

int sym_discovery_unknowns(const sym_model *m, sym_discovery_family f)
{
    size_t P = sym_model_n_params(m);

    if (f == SYM_DISCOVERY_FULL)
        return (int)(P * P);
    return (int)sym_orbit_direction_size(m);
}

int sym_discovery_conditions(const sym_model *m, const sym_discovery_opts *o)
{
    return o->conditions > 0 ? o->conditions : 2 * sym_discovery_unknowns(m, o->family) + 16;
}

typedef struct cond_ctx {
    const sym_model *m;
    const sym_data *fixed;
    const sym_discovery_opts *o;
    uint64_t seed;
    uint32_t sub;
    sym_eval *e;
    double *th, *g, *X, *Y;
} cond_ctx;

/* condition i: grad L(theta_i; X_i)^T (H theta_i) = 0 as a row over the unknowns of H */
static int condition_row(void *ctx, int i, double *row)
{
    cond_ctx *c = ctx;
    const sym_model_opts *mo = sym_model_get_opts(c->m);
    size_t P = sym_model_n_params(c->m);
    int U = sym_discovery_unknowns(c->m, c->o->family), rc = 0, n;
    const double *X = c->X, *Y = c->Y;
    sym_loss_parts lp;
    sym_rng r;
    double nrm;

    /* every condition from its own stream: any rank computes any row alike */
    sym_rng_init(&r, c->seed, SYM_RNG_PROBE, c->sub + (uint32_t)i);
    sym_model_init_params(c->m, c->th, &r);
    for (int l = 0; l < mo->n_layers; l++) {
        double *b = sym_model_bias(c->m, c->th, l);

        for (int k = 0; b && k < mo->widths[l + 1]; k++)
            b[k] = sym_rng_normal(&r);
    }
    for (size_t k = 0; k < P; k++)
        c->th[k] *= c->o->point_scale;
    if (c->fixed) {
        X = c->fixed->X;
        Y = c->fixed->Y;
        n = c->fixed->n;
    } else {
        n = c->o->batch;
        for (int k = 0; k < n * mo->widths[0]; k++)
            c->X[k] = sym_rng_normal(&r);
        for (int k = 0; k < n * mo->widths[mo->n_layers]; k++)
            c->Y[k] = sym_rng_normal(&r);
    }
    SYM_TRY(sym_eval_loss(c->e, &lp, c->g, c->th, X, Y, n));
    if (c->o->family == SYM_DISCOVERY_FULL) {
        for (size_t a = 0; a < P; a++)
            for (size_t b = 0; b < P; b++)
                row[a * P + b] = c->g[a] * c->th[b];
    } else {
        sym_orbit_tangent_adjoint(row, c->m, c->th, c->g, SYM_ALGEBRA_GL);
    }
    /* scale does not change the null space: divide by the condition's natural
     * size ||grad|| ||theta|| (|grad^T H theta| <= ||grad|| ||H|| ||theta||), not
     * by the row's own norm, which would blow rounding noise up to unit rows
     * where the condition holds identically */
    nrm = sym_norm2(c->g, P) * sym_norm2(c->th, P);
    if (nrm > 0.0)
        for (int k = 0; k < U; k++)
            row[k] /= nrm;
cleanup:
    return rc;
}

int sym_symmetry_discovery(sym_discovery_out *out, const sym_model *m, const sym_reg *reg,
                           const sym_data *fixed, const sym_discovery_opts *o, uint64_t seed,
                           uint32_t sub, sym_svd_fn solve, void *solver)
{
    const sym_model_opts *mo = sym_model_get_opts(m);
    int U = sym_discovery_unknowns(m, o->family), M = sym_discovery_conditions(m, o), rc = 0;
    int batch = fixed ? fixed->n : o->batch;
    double *Vt = NULL, big, below = 0.0, above = INFINITY;
    cond_ctx c;

    memset(&c, 0, sizeof(c));
    if (mo->tied && o->family == SYM_DISCOVERY_LAYER)
        SYM_FAIL(SYM_EINVAL, "symmetry_discovery family layer: the layer action unties a tied autoencoder (use family full)");
    if (U < 1)
        SYM_FAIL(SYM_EINVAL, "symmetry_discovery family %s: the model has no hidden layer to act on",
                 sym_discovery_family_name(o->family));
    if (M < U)
        SYM_FAIL(SYM_EINVAL, "symmetry_discovery: %d conditions for %d unknowns: need at least as many",
                 M, U);
    c.m = m;
    c.fixed = fixed;
    c.o = o;
    c.seed = seed;
    c.sub = sub;
    SYM_TRY(sym_eval_create(&c.e, m, reg, batch));
    SYM_TRY(sym_alloc_doubles(&c.th, sym_model_n_params(m)));
    SYM_TRY(sym_alloc_doubles(&c.g, sym_model_n_params(m)));
    SYM_TRY(sym_alloc_doubles(&c.X, (size_t)batch * mo->widths[0]));
    SYM_TRY(sym_alloc_doubles(&c.Y, (size_t)batch * mo->widths[mo->n_layers]));
    if (out->basis)
        SYM_TRY(sym_alloc_doubles(&Vt, (size_t)U * U));
    SYM_TRY(solve(solver, out->sv, Vt, M, U, condition_row, &c));
    /* rows are at most about unit size after the scaling, so sqrt(M) bounds
     * the largest singular value: a fixed reference, since when every
     * condition holds identically the largest is itself rounding */
    big = sqrt((double)M);
    out->dim = 0;
    for (int k = 0; k < U; k++) {
        if (out->sv[k] <= o->threshold * big) {
            out->dim++;
            below = fmax(below, out->sv[k]);
        } else {
            above = fmin(above, out->sv[k]);
        }
    }
    out->gap = out->dim == 0 ? INFINITY : out->dim == U ? NAN : above / fmax(below, 1e-300);
    if (out->basis && Vt) {
        /* the null space: the last dim right singular vectors (Vt on rank 0 of a team) */
        for (size_t k = 0; k < (size_t)U * U; k++)
            out->basis[k] = NAN;
        memcpy(out->basis, Vt + (size_t)(U - out->dim) * U, sizeof(double) * (size_t)out->dim * U);
    }
cleanup:
    sym_eval_free(c.e);
    free(c.th);
    free(c.g);
    free(c.X);
    free(c.Y);
    free(Vt);
    return rc;
}
