/*
 * The gradient is orthogonal to the orbits (the article's Ex5 claim): at
 * every curve point the full-data gradient g splits into g_orbit, its
 * least-squares projection onto the orbit tangent space (sym_orbit_project),
 * and g_perp; the objective changes of a plain step -lr v for v = g_orbit,
 * g_perp and g show which part moves the loss.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* per curve point: ||J^T g||, ||g_orbit||, ||g_perp||, and the objective change of the
 * steps -lr g_orbit, -lr g_perp, -lr g; then the two headline maxima */
enum { GD_QUANTITIES = 6 };

typedef struct gd_opts {
    int algebra;
    int points; /* largest number of curve points over the grid */
    size_t at[GD_QUANTITIES], best_at, abs_at; /* where layout's datasets put the values */
} gd_opts;

static const sym_setting gd_settings[] = {
    {.name = "algebra", .type = SYM_SETTING_ENUM, .offset = offsetof(gd_opts, algebra),
     .names = sym_algebra_names, .n_names = SYM_ALGEBRA_COUNT,
     .doc = "the orbit algebra (auto: the objective's symmetry)"},
};

static void gd_init(void *opts) { ((gd_opts *)opts)->algebra = SYM_ALGEBRA_AUTO; }

static int gd_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    return sym_algebra_check((sym_algebra)((const gd_opts *)opts)->algebra, cfg, msg);
}

static int gd_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    static const char *const q[GD_QUANTITIES][2] = {
        {"orbit_derivative", "||J^T g||: the largest rate of change of the objective along a "
                             "unit direction of the orbit algebra, from the full-data gradient g "
                             "at each curve point [run x point]; NaN where no step follows"},
        {"orbit_norm", "||g_orbit||: g's least-squares projection onto the orbit tangent space "
                       "(0 when J^T g is below the rounding floor 1e-13 ||J|| ||g||) [run x point]"},
        {"perp_norm", "||g_perp|| = ||g - g_orbit|| [run x point]"},
        {"orbit_step_change", "objective change of the step -lr g_orbit alone [run x point]"},
        {"perp_step_change", "objective change of the step -lr g_perp alone [run x point]"},
        {"step_change", "objective change of the full gradient step -lr g (for gd, the actual "
                        "step) [run x point]"}};
    gd_opts *o = opts;
    long long np[1];

    for (int c = 0; c < n; c++) {
        int npts = sym_train_n_points(&cfgs[c].train);

        o->points = npts > o->points ? npts : o->points;
    }
    np[0] = o->points;
    for (int k = 0; k < GD_QUANTITIES; k++) {
        char path[SYM_SCHEMA_PATH];

        snprintf(path, sizeof(path), "/probes/gradient_decomposition/%s", q[k][0]);
        /* the per-curve-point measures share the curves' epoch scale */
        sym_schema_dataset *d = sym_schema_measure(s, path, 1, np, "%s", q[k][1]);

        o->at[k] = sym_schema_at(d);
        sym_schema_scale(d, 1, "/runs/curves/epoch", "epoch");
    }
    o->best_at = sym_schema_at(sym_schema_measure(s, "/runs/metrics/gd_orbit_derivative_max", 0, NULL,
                       "max of ||J^T g|| / ||g|| over the curve points where ||g|| is above "
                       "its rounding floor (1000 eps times ||g|| at the first point; once "
                       "training has converged both norms are rounding noise); NaN when no "
                       "point is (gradient_decomposition probe; rounding level when the "
                       "objective is invariant)"));
    o->abs_at = sym_schema_at(sym_schema_measure(s, "/runs/metrics/gd_orbit_derivative_abs_max", 0, NULL,
                       "max over all curve points of ||J^T g||, the objective's largest rate of "
                       "change along a unit orbit direction (gradient_decomposition probe)"));
    return 0;
}

typedef struct gd_state {
    const sym_model *m;
    const sym_data *d;
    sym_eval *e;
    sym_eval_data bd; /* the data laid out once for the evaluator (every point reads them) */
    sym_algebra alg;
    sym_orbit_ws *ws; /* the projection's scratch, made once */
    const sym_train_opts *train; /* the rate of each point's step: train.lr, or its schedule's */
    double *g, *tan, *perp, *th, *adj;
    double *q[GD_QUANTITIES]; /* each quantity's [n_points] in the run's values */
    double best;     /* the largest ||J^T g|| / ||g|| so far over points above the floor (NaN: none) */
    double best_abs; /* the largest ||J^T g|| so far */
    double g_floor;  /* ||g|| at the rounding floor: 1000 eps ||g|| of the first point */
    int n_points;
    size_t best_at, abs_at;
} gd_state;

static void gd_stop(void *state)
{
    gd_state *c = state;

    if (!c)
        return;
    sym_eval_data_dispose(&c->bd);
    sym_orbit_ws_free(c->ws);
    sym_eval_free(c->e);
    free(c->g);
    free(c->tan);
    free(c->perp);
    free(c->th);
    free(c->adj);
    free(c);
}

static int gd_start(const void *opts, const sym_probe_run *run, double *out, void **state)
{
    const gd_opts *o = opts;
    size_t np = sym_model_n_params(run->model);
    gd_state *c = NULL;
    int rc = 0;

    SYM_TRY(sym_alloc(&c, sizeof(*c)));
    memset(c, 0, sizeof(*c));
    c->m = run->model;
    c->d = run->data;
    c->train = &run->cfg->train;
    for (int q = 0; q < GD_QUANTITIES; q++)
        c->q[q] = out + o->at[q];
    c->n_points = o->points;
    c->best_at = o->best_at;
    c->abs_at = o->abs_at;
    c->best = c->best_abs = NAN;
    SYM_TRY(sym_orbit_algebra(&c->alg, run->model, (sym_algebra)o->algebra));
    SYM_TRY(sym_orbit_ws_create(&c->ws, run->model, c->alg));
    SYM_TRY(sym_orbit_ws_add_shifts(c->ws, &run->cfg->reg));
    SYM_TRY(sym_eval_create(&c->e, run->model, &run->cfg->reg, run->data->n));
    SYM_TRY(sym_eval_data_init(&c->bd, c->e, run->data));
    SYM_TRY(sym_alloc_doubles(&c->g, np));
    SYM_TRY(sym_alloc_doubles(&c->tan, np));
    SYM_TRY(sym_alloc_doubles(&c->perp, np));
    SYM_TRY(sym_alloc_doubles(&c->th, np));
    SYM_TRY(sym_alloc_doubles(&c->adj, sym_orbit_direction_size(run->model)));
cleanup:
    if (rc) {
        gd_stop(c);
        c = NULL;
    }
    *state = c;
    return rc;
}

static int gd_point(void *state, int k, const double *params, const double *grad, double L0)
{
    gd_state *c = state;
    size_t np = sym_model_n_params(c->m);
    const double *v[3] = {c->tan, c->perp, c->g};
    sym_loss_parts lp;
    double gn, lr;
    int rc = 0;

    /* minibatch training has no full-data gradient at hand: compute it */
    if (grad)
        memcpy(c->g, grad, np * sizeof(double));
    else
        SYM_TRY(sym_eval_data_loss(c->e, &lp, c->g, params, &c->bd));
    /* the loss's derivative along unit algebra directions, before any projection */
    sym_orbit_tangent_adjoint(c->adj, c->m, params, c->g, c->alg);
    c->q[0][k] = hypot(sym_norm2(c->adj, sym_orbit_direction_size(c->m)),
                       sym_orbit_ws_shift_norm(c->ws, c->g));
    gn = sym_norm2(c->g, np);
    /* once training has converged ||g|| is rounding noise, and so is the ratio:
     * only points above the floor count for the relative headline */
    if (k == 0)
        c->g_floor = 1000 * DBL_EPSILON * gn;
    if (gn > c->g_floor && gn > 0)
        c->best = fmax(c->best, c->q[0][k] / gn);
    c->best_abs = fmax(c->best_abs, c->q[0][k]);
    SYM_TRY(sym_orbit_project_ws(c->ws, c->tan, c->perp, NULL, params, c->g));
    c->q[1][k] = sym_norm2(c->tan, np);
    c->q[2][k] = sym_norm2(c->perp, np);
    /* the rate of the epoch that follows the point: train.schedule's (lr itself when constant) */
    lr = sym_train_lr(c->train, sym_train_point_epoch(c->train, k));
    for (int q = 0; q < 3; q++) {
        for (size_t i = 0; i < np; i++)
            c->th[i] = params[i] - lr * v[q][i];
        SYM_TRY(sym_eval_data_loss(c->e, &lp, NULL, c->th, &c->bd));
        c->q[3 + q][k] = lp.total - L0;
    }
cleanup:
    return rc;
}

static int gd_finish(void *state, const sym_probe_run *run, double *out)
{
    gd_state *c = state;

    (void)run;
    out[c->best_at] = c->best;
    out[c->abs_at] = c->best_abs;
    return 0;
}

const sym_probe_def sym_probe_gradient_decomposition = {
    SYM_PROBE_DEF_INIT,
    .name = "gradient_decomposition",
    .doc = "Ex5: at every curve point, the gradient's parts along and across the orbit, and what "
           "a step along each does to the objective",
    .opts_size = sizeof(gd_opts),
    .settings = gd_settings,
    .n_settings = sizeof gd_settings / sizeof *gd_settings,
    .init = gd_init,
    .check = gd_check,
    .layout = gd_layout,
    .start = gd_start,
    .point = gd_point,
    .finish = gd_finish,
    .stop = gd_stop,
};
