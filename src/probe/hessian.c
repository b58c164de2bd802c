/*
 * What the Hessian probes measure besides the spectrum itself: the loss's
 * symmetry algebra layer by layer, the orbit dimension as the rank of the
 * orbit-tangent map, statistics of a spectrum, and the quantities a
 * symmetry conserves under gradient flow.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

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

int sym_symmetry_orbit(int *alg_dim, int *dim, double *gap, const sym_model *m, const sym_reg *reg,
                       const double *params)
{
    int alg[SYM_MAX_LAYERS], d, t, rc = 0;
    size_t P = sym_model_n_params(m);
    double *J = NULL;

    SYM_TRY(sym_symmetry_algebras(alg, m, reg));
    d = sym_symmetry_dim(m, alg);
    t = sym_translation_dim(m);
    *alg_dim = d + t;
    *dim = 0;
    if (gap)
        *gap = INFINITY;
    if (d + t == 0)
        goto cleanup;
    SYM_TRY(sym_alloc_doubles(&J, (size_t)(d + t) * P));
    SYM_TRY(sym_symmetry_tangent_rows(J, m, alg, params));
    SYM_TRY(sym_translation_rows(J + (size_t)d * P, m, params));
    SYM_TRY(sym_row_rank(dim, gap, NULL, J, d + t, (int)P));
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
    rows = sym_symmetry_dim(m, alg) + sym_translation_dim(m);
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
    if (!tied) { /* the whole continuous symmetry: the layers' algebras and the translations */
        int alg_dim;

        SYM_TRY(sym_symmetry_orbit(&alg_dim, &out->orbit_dim, &out->orbit_gap, m, reg, params));
    }
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

/* ---- the probe: probes.hessian ---- */

/* zeros, gap, top, orbit_dim, orbit_gap, hvp_error, n_params, team size, hvp_at_kink,
 * cut_below, cut_above */
enum { HESS_SCALARS = 11 };

typedef struct hessian_opts {
    sym_hessian_opts h;
    int zero_cut; /* the enum setting, copied into h by settle */
    int p;        /* largest parameter count over the grid */
    size_t sc, vec, gauge; /* offsets: eigenvalues [p] first */
    double *gauge_t; /* the gauge axis (owned) */
} hessian_opts;

static const sym_setting hessian_settings[] = {
    {.name = "zero_cut", .type = SYM_SETTING_ENUM, .offset = offsetof(hessian_opts, zero_cut),
     .names = sym_zero_cut_names, .n_names = SYM_ZERO_CUT_COUNT,
     .doc = "how zero eigenvalues are told: the largest gap, or a threshold (default: gap, or "
            "threshold when one is given)"},
    {.name = "threshold", .type = SYM_SETTING_DOUBLE, .offset = offsetof(hessian_opts, h.threshold),
     .lo = 0.0, .lo_open = 1, .hi = 1.0, .hi_open = 1,
     .doc = "zero_cut threshold: |w| <= threshold max |w| is zero"},
    {.name = "eigenvectors", .type = SYM_SETTING_BOOL, .offset = offsetof(hessian_opts, h.eigenvectors),
     .doc = "record the eigenvectors (P x P per run)"},
    {.name = "hvp_checks", .type = SYM_SETTING_INT, .offset = offsetof(hessian_opts, h.hvp_checks),
     .lo = 0, .hi = 1000, .doc = "random directions whose H v is checked against finite differences"},
    {.name = "gauge_points", .type = SYM_SETTING_INT, .offset = offsetof(hessian_opts, h.gauge_points),
     .lo = 0, .hi = 1001, .doc = "points t along exp(t A) . theta where the spectrum is measured again"},
    {.name = "gauge_t_max", .type = SYM_SETTING_DOUBLE, .offset = offsetof(hessian_opts, h.gauge_t_max),
     .lo = 0.0, .lo_open = 1, .hi = 100.0, .doc = "t runs over [-gauge_t_max, gauge_t_max]"},
};

static void hessian_init(void *opts)
{
    hessian_opts *o = opts;
    sym_hessian_opts def = SYM_HESSIAN_OPTS_INIT;

    o->h = def;
    o->zero_cut = def.zero_cut;
}

static int hessian_settle(void *opts, const int *given, sym_probe_msg *msg)
{
    hessian_opts *o = opts;

    (void)msg;
    /* zeros end at the largest gap, unless a threshold is asked for */
    if (!given[0])
        o->zero_cut = given[1] ? SYM_ZERO_CUT_THRESHOLD : SYM_ZERO_CUT_GAP;
    o->h.zero_cut = (sym_zero_cut)o->zero_cut;
    return 0;
}

static int hessian_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    return sym_hvp_check(cfg, msg);
}

static void hessian_dispose(void *opts) { free(((hessian_opts *)opts)->gauge_t); }

static size_t hessian_layout(void *opts, const sym_config *cfgs, int n)
{
    hessian_opts *o = opts;
    int G = o->h.gauge_points;

    for (int c = 0; c < n; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &cfgs[c].model) == 0) {
            int P = (int)sym_model_n_params(m);

            o->p = P > o->p ? P : o->p;
        }
        sym_model_free(m);
    }
    o->sc = (size_t)o->p;
    o->vec = o->sc + HESS_SCALARS;
    o->gauge = o->vec + (o->h.eigenvectors ? (size_t)o->p * o->p : 0);
    free(o->gauge_t);
    o->gauge_t = NULL;
    if (G > 0 && sym_alloc_doubles(&o->gauge_t, (size_t)G) == 0)
        for (int k = 0; k < G; k++)
            o->gauge_t[k] = G == 1 ? o->h.gauge_t_max : sym_orbit_grid(k, G, o->h.gauge_t_max);
    return o->gauge + 3 * (size_t)G;
}

static int hessian_schema(const void *opts, int team_size, sym_schema *s)
{
    /* the name, the description, and 1 for integers (counts, dimensions, the team size, a flag) */
    static const struct { const char *name, *desc; int integer; } hs[HESS_SCALARS] = {
        {"hessian_zero_count", "eigenvalues of the Hessian counted zero: below the largest gap "
                               "of |w| on a log scale whose lower side is at most 1e-4 max |w| "
                               "and which spans at least a factor 1e3 (zero_cut gap), or with "
                               "|w| <= threshold max |w| (zero_cut threshold); attributes "
                               "zero_cut and threshold of /probes/hessian/eigenvalues", 1},
        {"hessian_gap", "smallest |w| counted non-zero over the largest counted zero (inf: no "
                        "zero; a large gap makes the count trustworthy)", 0},
        {"hessian_top_eigenvalue", "largest eigenvalue of the Hessian", 0},
        {"hessian_orbit_dim", "rank of the orbit-tangent map of the objective's symmetry "
                              "algebra at the trained point (computed independently of the "
                              "Hessian; equals hessian_zero_count at a minimum whose only flat "
                              "directions are the orbit's); -1 for tied models", 1},
        {"hessian_orbit_gap", "smallest counted over largest uncounted singular value of the "
                              "orbit-tangent map (inf: full rank)", 0},
        {"hessian_hvp_error", "max over random unit v of ||H v - (g(p + h v) - g(p - h v)) / 2h|| "
                              "/ ||H v||, h = 1e-5: the exact products checked against finite "
                              "differences of the gradient; NaN where hessian_hvp_at_kink is 1", 0},
        {"hessian_n_params", "parameters P: the first P entries of /probes/hessian/eigenvalues", 1},
        {"hessian_team_size", "ranks of the team that computed the spectrum (ScaLAPACK grid "
                              "as square as the size allows)", 1},
        {"hessian_hvp_at_kink", "1 when a penalized weight lies within the check's step (1e-5) "
                                "of a kink of an l1 or l_p (p < 2) penalty: the gradient jumps "
                                "there, so the finite-difference check says nothing and "
                                "hessian_hvp_error is NaN; 0 otherwise", 1},
        {"hessian_cut_below", "the largest |w| counted zero: the lower neighbour of the cut "
                              "(NaN: none is zero)", 0},
        {"hessian_cut_above", "the smallest |w| counted non-zero: the upper neighbour of the "
                              "cut (NaN: all are zero)", 0}};
    const hessian_opts *o = opts;
    const char *ev = "/probes/hessian/eigenvalues";
    long long P[1] = {o->p}, PP[2] = {o->p, o->p}, G[1] = {o->h.gauge_points};

    sym_schema_measure(s, ev, 1, P, 0, 1,
                       "eigenvalues of the Hessian of the objective at the trained "
                       "parameters, ascending [run, k] (NaN past the run's P); exact "
                       "Hessian-vector products, ScaLAPACK pdsyevd");
    for (int q = 0; q < HESS_SCALARS; q++) {
        char path[SYM_SCHEMA_PATH];

        snprintf(path, sizeof(path), "/runs/metrics/%s", hs[q].name);
        sym_schema_dataset *d = sym_schema_measure(s, path, 0, NULL, o->sc + (size_t)q, 1, "%s", hs[q].desc);

        if (hs[q].integer)
            sym_schema_int(d);
    }
    if (o->h.eigenvectors)
        sym_schema_measure(s, "/probes/hessian/eigenvectors", 2, PP, o->vec, 1,
                           "[run, k, i]: component i of the unit eigenvector of eigenvalue k "
                           "(NaN past the run's P)");
    if (G[0] > 0) {
        const char *gt = "/probes/hessian/gauge_t";

        if (!o->gauge_t)
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for the gauge axis");
        sym_schema_axis(s, gt, SYM_SCHEMA_F64, (int)G[0], o->gauge_t,
                        "orbit parameter t of each gauge point (dimension scale)");
        sym_schema_measure(s, "/probes/hessian/gauge_loss", 1, G, o->gauge, 1,
                           "objective at exp(t A) . theta for t in /probes/hessian/gauge_t, A a "
                           "random unit direction of the objective's symmetry algebra (NaN: "
                           "no continuous symmetry) [run, t]");
        sym_schema_int(sym_schema_measure(s, "/probes/hessian/gauge_zero_count", 1, G, o->gauge + (size_t)G[0], 1,
                           "Hessian zero count at exp(t A) . theta [run, t]: fixed along the "
                           "orbit (Sylvester's law of inertia)"));
        sym_schema_scale(sym_schema_measure(s, "/probes/hessian/gauge_top_eigenvalue", 1, G,
                                            o->gauge + 2 * (size_t)G[0], 1,
                                            "top Hessian eigenvalue at exp(t A) . theta [run, t]: flatness "
                                            "changes along the orbit while the function does not (a gauge "
                                            "artifact, Dinh et al. 2017)"),
                         1, gt, "t");
    }
    sym_schema_attr_double(s, ev, "threshold", o->h.threshold);
    sym_schema_attr_string(s, ev, "zero_cut", sym_zero_cut_names[o->h.zero_cut]);
    sym_schema_attr_int(s, ev, "team_size", team_size);
    return 0;
}

static void hessian_team_need(const void *opts, const sym_model *m, sym_team_need *need)
{
    (void)opts;
    need->kind = SYM_TEAM_SYEV;
    need->m = need->n = (long long)sym_model_n_params(m);
}

static int hessian_team(const void *opts, const sym_probe_run *run, const sym_team_ops *team, double *out)
{
    const hessian_opts *o = opts;
    size_t P = sym_model_n_params(run->model), G = (size_t)o->h.gauge_points;
    double *vec = NULL, *sc = out + o->sc;
    sym_hessian_out h;
    sym_rng rng;
    int rc = 0;

    memset(&h, 0, sizeof(h));
    h.eig = out;
    if (o->h.eigenvectors && team->rank == 0)
        SYM_TRY(sym_alloc_doubles(&vec, P * P));
    h.vec = vec;
    if (G > 0) {
        h.gauge_loss = out + o->gauge;
        h.gauge_zeros = out + o->gauge + G;
        h.gauge_top = out + o->gauge + 2 * G;
    }
    /* its own stream: the HVP check directions, then the gauge direction */
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
    SYM_TRY(sym_hessian_probe(&h, run->model, &run->cfg->reg, run->params, run->data, &o->h, &rng,
                              team->syev, team->solver));
    sc[0] = h.zeros;
    sc[1] = h.gap;
    sc[2] = h.top;
    sc[3] = h.orbit_dim >= 0 ? h.orbit_dim : NAN;
    sc[4] = h.orbit_gap;
    sc[5] = h.hvp_error;
    sc[6] = (double)P;
    sc[7] = team->size;
    sc[8] = h.hvp_at_kink;
    sc[9] = h.cut_below;
    sc[10] = h.cut_above;
    if (vec) /* [P x P] into the [p x p] slot */
        for (size_t i = 0; i < P; i++)
            memcpy(out + o->vec + i * (size_t)o->p, vec + i * P, sizeof(double) * P);
cleanup:
    free(vec);
    return rc;
}

/* P Hessian-vector products, then an O(P^3) solve */
double sym_team_task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    (void)opts;
    (void)cfg;
    return 6.0 * n_params * pass + 10.0 * n_params * n_params * n_params;
}

const sym_probe_def sym_probe_hessian = {
    SYM_PROBE_DEF_INIT,
    .name = "hessian",
    .doc = "the Hessian's spectrum at the trained point (exact Hessian-vector products, a team "
           "task): its zero count against the orbit dimension, and along the orbit (gauge)",
    .opts_size = sizeof(hessian_opts),
    .settings = hessian_settings,
    .n_settings = sizeof hessian_settings / sizeof *hessian_settings,
    .init = hessian_init,
    .settle = hessian_settle,
    .check = hessian_check,
    .layout = hessian_layout,
    .schema = hessian_schema,
    .dispose = hessian_dispose,
    .team_need = hessian_team_need,
    .team = hessian_team,
    .task_work = sym_team_task_work,
};
