/*
 * Symmetry teleportation (Zhao, Ganev, Walters, Yu and Dehmamy 2022): at chosen epochs, move
 * the parameters along the orbit of the objective's continuous symmetry to a point of larger
 * (or smaller) gradient norm, at the same objective, and let training go on from there.
 *
 * On the orbit theta(A) = exp(A) . theta the objective L is constant, and
 *     d/dA (||grad L||^2 / 2) = J^T (H g),
 * g = grad L at theta, H its Hessian (an exact Hessian-vector product), J the orbit's tangent
 * map A -> A . theta and J^T its adjoint, projected onto the algebra layer by layer.  Each
 * teleport takes `steps` steps of Frobenius size `step` along that direction (or against it),
 * each an exact group element exp(A): the objective moves only by rounding.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* what one teleport needs, made once for all its steps */
typedef struct tp_ctx {
    const sym_model *m;
    const sym_data *d;
    int alg[SYM_MAX_LAYERS];
    sym_eval *e;
    sym_hvp *h;
    double *g, *Hg;
} tp_ctx;

static void ctx_free(tp_ctx *c)
{
    sym_eval_free(c->e);
    sym_hvp_free(c->h);
    free(c->g);
    free(c->Hg);
}

static int ctx_init(tp_ctx *c, const sym_model *m, const sym_reg *reg, const sym_data *d)
{
    size_t P = sym_model_n_params(m);
    int rc = 0;

    memset(c, 0, sizeof(*c));
    c->m = m;
    c->d = d;
    SYM_TRY(sym_symmetry_algebras(c->alg, m, reg));
    SYM_TRY(sym_eval_create(&c->e, m, reg, d->n));
    SYM_TRY(sym_hvp_create(&c->h, m, reg, d->n));
    SYM_TRY(sym_alloc_doubles(&c->g, P));
    SYM_TRY(sym_alloc_doubles(&c->Hg, P));
cleanup:
    if (rc < 0)
        ctx_free(c);
    return rc;
}

/* the objective and its gradient norm at params; with G, also J^T H g in the layers' algebras */
static int ctx_eval(tp_ctx *c, double *G, double *loss, double *grad_norm, const double *params)
{
    sym_loss_parts lp;
    int rc = 0;

    SYM_TRY(sym_eval_loss(c->e, &lp, c->g, params, c->d->X, c->d->Y, c->d->n));
    *loss = lp.total;
    *grad_norm = sym_norm2(c->g, sym_model_n_params(c->m));
    if (G) {
        SYM_TRY(sym_hvp_set_point(c->h, params, c->d->X, c->d->Y, c->d->n));
        SYM_TRY(sym_hvp_apply(c->h, c->Hg, c->g));
        sym_orbit_tangent_adjoint_layers(G, c->m, params, c->Hg, c->alg);
    }
cleanup:
    return rc;
}

int sym_teleport_direction(double *G, double *grad_norm, const sym_model *m, const sym_reg *reg,
                           const double *params, const sym_data *d)
{
    tp_ctx c;
    double loss, gn;
    int rc = 0;

    SYM_TRY(ctx_init(&c, m, reg, d));
    rc = ctx_eval(&c, G, &loss, &gn, params);
    if (rc == 0 && grad_norm)
        *grad_norm = gn;
    ctx_free(&c);
cleanup:
    return rc;
}

int sym_teleport(sym_teleport_stats *st, double *params, const sym_model *m, const sym_reg *reg,
                 const sym_data *d, int steps, double step, int maximize)
{
    size_t P = sym_model_n_params(m), na = sym_orbit_direction_size(m);
    double *G = NULL, *th = NULL, L0 = NAN, L1, gn;
    int rc = 0, made = 0;
    tp_ctx c;

    memset(st, 0, sizeof(*st));
    SYM_TRY(ctx_init(&c, m, reg, d));
    made = 1;
    if (sym_symmetry_dim(m, c.alg) == 0)
        SYM_FAIL(SYM_EINVAL, "teleport: the objective has no continuous symmetry here");
    SYM_TRY(sym_alloc_doubles(&G, na));
    SYM_TRY(sym_alloc_doubles(&th, P));
    for (int s = 0; s < steps; s++) {
        double nrm, L;

        SYM_TRY(ctx_eval(&c, G, &L, &gn, params));
        if (s == 0) {
            L0 = L;
            st->grad_before = gn;
        }
        nrm = sym_norm2(G, na);
        if (!(nrm > 0.0) || !isfinite(nrm))
            break; /* a critical point of the gradient norm on the orbit */
        for (size_t i = 0; i < na; i++)
            G[i] *= (maximize ? step : -step) / nrm;
        SYM_TRY(sym_orbit_move(th, m, params, G, 1.0));
        memcpy(params, th, P * sizeof(double));
        st->steps++;
    }
    SYM_TRY(ctx_eval(&c, NULL, &L1, &gn, params)); /* the end point: no direction needed */
    if (steps == 0) {
        L0 = L1;
        st->grad_before = gn;
    }
    st->grad_after = gn;
    st->loss_change = fabs(L1 - L0) / fmax(fabs(L0), 1e-300);
cleanup:
    if (made)
        ctx_free(&c);
    free(G);
    free(th);
    return rc;
}
