/*
 * The Hessian beyond dense sizes: everything from exact Hessian-vector
 * products, never the P x P matrix.  Lanczos with full reorthogonalization
 * gives the extreme eigenvalues with their residuals; the same on the
 * orbit-normal space (the operator P H P, P projecting off the orbit's
 * tangent space) gives the bottom of the spectrum where the true small
 * curvatures live, instead of the orbit's zeros; random orbit tangents t
 * check H t = 0 (exactly zero at a critical point, O(||g||) elsewhere); and
 * stochastic Lanczos quadrature (SLQ) samples, fanned out to any rank, give
 * the spectral density and Hutchinson's trace estimate, as PyHessian does.
 * Memory per rank: steps x P doubles.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* H x: this rank's product, and with a team's share the sum of the weighted products */
typedef struct hess_op {
    sym_hvp *h;
    const sym_hvp_share *share;
    size_t P;
} hess_op;

/* a rank's share of a product or gradient into the team's: weighted, summed (NULL: as is) */
static int team_total(const sym_hvp_share *share, double *x, size_t n)
{
    if (!share)
        return 0;
    for (size_t i = 0; i < n; i++)
        x[i] *= share->weight;
    return share->sum(share->ctx, x, n);
}

static int hvp_op(void *ctx, double *y, const double *x)
{
    hess_op *o = ctx;
    int rc = sym_hvp_apply(o->h, y, x);

    return rc < 0 ? rc : team_total(o->share, y, o->P);
}

typedef struct quot_op {
    hess_op *H;
    const sym_model *m;
    const double *params;
    sym_orbit_ws *ws; /* the projection's scratch: made once, used at every product */
    double *t1, *t2;
} quot_op;

/* y = P H P x, P the projection off the orbit's tangent space */
static int quot_apply(void *ctx, double *y, const double *x)
{
    quot_op *q = ctx;
    int rc = 0;

    SYM_TRY(sym_orbit_project_ws(q->ws, NULL, q->t1, NULL, q->params, x));
    SYM_TRY(hvp_op(q->H, q->t2, q->t1));
    SYM_TRY(sym_orbit_project_ws(q->ws, NULL, y, NULL, q->params, q->t2));
cleanup:
    return rc < 0 ? rc : 0;
}

static void fill_nan(double *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = NAN;
}

/* 1 when Ritz vector @p c (coefficients on the n Lanczos vectors Q) lies mostly in the orbit's
 * tangent space: a pair the projection's tolerance let in once the orbit-normal space ran out */
static int mostly_tangent(int *out, const double *Q, const double *c, int n, size_t P, quot_op *q)
{
    double *y = q->t2, *t = q->t1;
    int rc;

    memset(y, 0, sizeof(double) * P);
    for (int j = 0; j < n; j++)
        for (size_t i = 0; i < P; i++)
            y[i] += c[j] * Q[(size_t)j * P + i];
    rc = sym_orbit_project_ws(q->ws, t, NULL, NULL, q->params, y);
    *out = rc >= 0 && sym_norm2(t, P) > 0.5 * sym_norm2(y, P);
    return rc < 0 ? rc : 0;
}

/*
 * Lanczos from a random start: the k largest and smallest Ritz values.  With
 * @p q the operator is P H P, the start is projected and the bottom skips
 * Ritz vectors that lie mostly in the tangent space (the projection is exact
 * only to its CG tolerance, ~1e-7 relative where the tangent map is ill
 * conditioned, and Lanczos finds what leaks once the normal space runs out).
 */
static int extremes(int *steps_done, double *top, double *top_res, double *bot, double *bot_res,
                    sym_linop_fn op, void *ctx, quot_op *q, size_t P, int k, int steps, sym_rng *r)
{
    double *Q = NULL, *alpha = NULL, *beta = NULL, *theta = NULL, *res = NULL, *v = NULL, *S = NULL;
    int rc = 0, m = steps < (int)P ? steps : (int)P, n, found = 0;

    SYM_TRY(sym_alloc_doubles(&Q, (size_t)m * P));
    SYM_TRY(sym_alloc_doubles(&alpha, (size_t)m));
    SYM_TRY(sym_alloc_doubles(&beta, (size_t)m));
    SYM_TRY(sym_alloc_doubles(&theta, (size_t)m));
    SYM_TRY(sym_alloc_doubles(&res, (size_t)m));
    SYM_TRY(sym_alloc_doubles(&S, (size_t)m * m));
    SYM_TRY(sym_alloc_doubles(&v, P));
    for (size_t i = 0; i < P; i++)
        v[i] = sym_rng_normal(r);
    if (q && (rc = sym_orbit_project_ws(q->ws, NULL, v, NULL, q->params, v)) < 0)
        goto cleanup; /* start in the orbit-normal space: the Krylov space stays there */
    rc = 0;
    SYM_TRY(sym_lanczos(&n, alpha, beta, Q, op, ctx, P, m, v));
    SYM_TRY(sym_lanczos_ritz(theta, NULL, res, q ? S : NULL, alpha, beta, n));
    fill_nan(bot, k);
    fill_nan(bot_res, k);
    if (top) { /* (the quotient's top is not kept) */
        fill_nan(top, k);
        fill_nan(top_res, k);
        for (int i = 0; i < k && i < n; i++) {
            top[i] = theta[n - 1 - i];
            top_res[i] = res[n - 1 - i];
        }
    }
    for (int i = 0; i < n && found < k; i++) {
        int spurious = 0;

        if (q) /* column i of the column-major S: Ritz vector i's coefficients */
            SYM_TRY(mostly_tangent(&spurious, Q, S + (size_t)i * n, n, P, q));
        if (spurious)
            continue;
        bot[found] = theta[i];
        bot_res[found++] = res[i];
    }
    *steps_done = n;
cleanup:
    free(Q);
    free(alpha);
    free(beta);
    free(theta);
    free(res);
    free(S);
    free(v);
    return rc;
}

/* max over random orbit tangents t of ||H t|| / ||t|| (NaN: no continuous symmetry) */
static int orbit_check(double *worst, hess_op *h, const sym_model *m, const int *alg,
                       const double *params, int checks, sym_rng *r)
{
    size_t P = sym_model_n_params(m);
    double *A = NULL, *t = NULL, *Ht = NULL;
    int rc = 0;

    *worst = NAN;
    if (checks < 1 || sym_symmetry_dim(m, alg) == 0)
        return 0;
    SYM_TRY(sym_alloc_doubles(&A, sym_orbit_direction_size(m)));
    SYM_TRY(sym_alloc_doubles(&t, P));
    SYM_TRY(sym_alloc_doubles(&Ht, P));
    *worst = 0.0;
    for (int c = 0; c < checks; c++) {
        SYM_TRY(sym_symmetry_direction(A, m, alg, r));
        sym_orbit_tangent(t, m, params, A, SYM_ALGEBRA_GL);
        SYM_TRY(hvp_op(h, Ht, t));
        *worst = fmax(*worst, sym_norm2(Ht, P) / fmax(sym_norm2(t, P), 1e-300));
    }
cleanup:
    free(A);
    free(t);
    free(Ht);
    return rc;
}

static int grad_norm(double *out, const sym_model *m, const sym_reg *reg, const double *params,
                     const sym_data *d, const sym_hvp_share *share)
{
    size_t P = sym_model_n_params(m);
    sym_eval *e = NULL;
    sym_loss_parts lp;
    double *g = NULL;
    int rc = 0;

    SYM_TRY(sym_eval_create(&e, m, reg, d->n));
    SYM_TRY(sym_alloc_doubles(&g, P));
    SYM_TRY(sym_eval_loss(e, &lp, g, params, d->X, d->Y, d->n));
    SYM_TRY(team_total(share, g, P)); /* the team's gradient */
    *out = sym_norm2(g, P);
cleanup:
    sym_eval_free(e);
    free(g);
    return rc;
}

int sym_hessian_lanczos(sym_lanczos_out *out, const sym_model *m, const sym_reg *reg,
                        const double *params, const sym_data *d, int k, int steps, int quot,
                        int orbit_checks, sym_rng *r, const sym_hvp_share *share)
{
    size_t P = sym_model_n_params(m);
    int alg[SYM_MAX_LAYERS], rc = 0, symmetric = !sym_model_get_opts(m)->tied;
    const sym_model_opts *mo = sym_model_get_opts(m);

    /* a learned-group layer: no orbit of free layers to check or quotient by (NaN) */
    symmetric &= !(mo->group_layer >= 0 && mo->group_k > 0);
    quot_op q = {0};
    hess_op H = {NULL, share, P};

    out->steps = out->quot_steps = 0;
    out->orbit_hvp = NAN;
    SYM_TRY(sym_hvp_create(&H.h, m, reg, d->n > 0 ? d->n : 1));
    SYM_TRY(sym_hvp_set_point(H.h, params, d->X, d->Y, d->n));
    SYM_TRY(extremes(&out->steps, out->top, out->top_resid, out->bottom, out->bottom_resid, hvp_op,
                     &H, NULL, P, k, steps, r));
    SYM_TRY(grad_norm(&out->grad_norm, m, reg, params, d, share));
    if (symmetric) {
        double scale = fmax(fabs(out->top[0]), fabs(out->bottom[0]));

        SYM_TRY(sym_symmetry_algebras(alg, m, reg));
        SYM_TRY(orbit_check(&out->orbit_hvp, &H, m, alg, params, orbit_checks, r));
        out->orbit_hvp /= scale > 0.0 ? scale : 1.0;
    }
    if (!out->quot)
        goto cleanup;
    fill_nan(out->quot, k);
    fill_nan(out->quot_resid, k);
    if (!quot || !symmetric)
        goto cleanup;
    q.H = &H;
    q.m = m;
    q.params = params;
    SYM_TRY(sym_orbit_ws_create_layers(&q.ws, m, alg));
    SYM_TRY(sym_alloc_doubles(&q.t1, P));
    SYM_TRY(sym_alloc_doubles(&q.t2, P));
    SYM_TRY(extremes(&out->quot_steps, NULL, NULL, out->quot, out->quot_resid, quot_apply, &q,
                     &q, P, k, steps, r));
cleanup:
    sym_hvp_free(H.h);
    sym_orbit_ws_free(q.ws);
    free(q.t1);
    free(q.t2);
    return rc;
}

int sym_hessian_slq(double *nodes, double *weights, double *quad, const sym_model *m,
                    const sym_reg *reg, const double *params, const sym_data *d, int steps,
                    sym_rng *r)
{
    size_t P = sym_model_n_params(m);
    int m_ = steps < (int)P ? steps : (int)P, n = 0, rc = 0;
    double *Q = NULL, *alpha = NULL, *beta = NULL, *z = NULL;
    sym_hvp *h = NULL;

    SYM_TRY(sym_hvp_create(&h, m, reg, d->n));
    SYM_TRY(sym_hvp_set_point(h, params, d->X, d->Y, d->n));
    SYM_TRY(sym_alloc_doubles(&Q, (size_t)m_ * P));
    SYM_TRY(sym_alloc_doubles(&alpha, (size_t)m_));
    SYM_TRY(sym_alloc_doubles(&beta, (size_t)m_));
    SYM_TRY(sym_alloc_doubles(&z, P));
    for (size_t i = 0; i < P; i++) /* Rademacher: the lowest-variance Hutchinson probe */
        z[i] = sym_rng_uniform(r) < 0.5 ? -1.0 : 1.0;
    {
        hess_op H = {h, NULL, P};

        SYM_TRY(sym_lanczos(&n, alpha, beta, Q, hvp_op, &H, P, m_, z));
    }
    fill_nan(nodes, steps);
    fill_nan(weights, steps);
    SYM_TRY(sym_lanczos_ritz(nodes, weights, NULL, NULL, alpha, beta, n));
    *quad = (double)P * alpha[0]; /* z^T H z = ||z||^2 q1^T H q1 */
cleanup:
    sym_hvp_free(h);
    free(Q);
    free(alpha);
    free(beta);
    free(z);
    return rc;
}
