/*
 * The dense Hessian: statistics of a spectrum (where its zeros end), the
 * local eigensolver, and the Hessian of the objective from exact
 * Hessian-vector products, with its zero count against the orbit dimension,
 * a finite-difference check of the products, and the spectrum along the
 * orbit (gauge).
 */
#include "symsweep/sym.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- the Hessian from exact products ---- */

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
    /* the orbits of a learned-group layer's parameters are not those of free layers: like a tied
     * model, no orbit dimension and no gauge direction (NaN) */
    tied |= sym_model_get_opts(m)->group_layer >= 0 && sym_model_get_opts(m)->group_k > 0;

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
