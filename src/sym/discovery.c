/*
 * Symmetry discovery (seed 002): the Lie algebra of linear parameter maps H
 * that leave the objective infinitesimally invariant, as the null space of
 * stacked conditions grad L(theta_i; X_i)^T H theta_i = 0 (a team task: an
 * SVD on a ScaLAPACK grid).
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
