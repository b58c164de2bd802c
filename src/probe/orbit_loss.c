/*
 * Ex5 of the article: the objective along orbits K(t) = exp(t A) of random
 * directions A of the symmetry algebra is flat (the directions fan out as
 * pieces, one task each), and along a direction off the orbit it is not.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct orbit_opts {
    sym_orbit_opts o;
    int algebra, perpendicular;     /* the enum settings, copied into o by settle */
    /* where layout's datasets put the values (the host places them; (size_t)-1: absent): in
     * each piece, and in the measures */
    size_t loss, data, perp, land;
    size_t change_at, max_at, perp_max_at;
    double *t, *s, *dir, *lt, *ls;  /* the axes (owned) */
} orbit_opts;

static const char *const perp_names[SYM_PERP_COUNT] = {"false", "random", "last_layer"};
static const char *const perp_aliases[] = {"true", "random", "yes", "random", "no", "false", NULL};

static const sym_setting orbit_settings[] = {
    {.name = "directions", .type = SYM_SETTING_INT, .offset = offsetof(orbit_opts, o.directions),
     .lo = 1, .hi = 10000, .doc = "random directions of the algebra per run (one task each)"},
    {.name = "points", .type = SYM_SETTING_INT, .offset = offsetof(orbit_opts, o.points), .lo = 3,
     .hi = 10001, .doc = "points of the t grid, odd (symmetric around t = 0)"},
    {.name = "t_max", .type = SYM_SETTING_DOUBLE, .offset = offsetof(orbit_opts, o.t_max), .lo = 0.0,
     .lo_open = 1, .hi = 1e3, .doc = "t runs over [-t_max, t_max]"},
    {.name = "algebra", .type = SYM_SETTING_ENUM, .offset = offsetof(orbit_opts, algebra),
     .names = sym_algebra_names, .n_names = SYM_ALGEBRA_COUNT,
     .doc = "the algebra the directions are drawn from (auto: the objective's symmetry)"},
    {.name = "perpendicular", .type = SYM_SETTING_ENUM, .offset = offsetof(orbit_opts, perpendicular),
     .names = perp_names, .n_names = SYM_PERP_COUNT, .aliases = perp_aliases,
     .expected = "true (= random), false, random or last_layer",
     .doc = "also the objective along a direction off the orbit (true means random)"},
    {.name = "landscape", .type = SYM_SETTING_INT, .offset = offsetof(orbit_opts, o.landscape),
     .lo = 0, .hi = 201, .doc = "0, or the size of a (t, s) grid of the objective"},
    {.name = "s_max", .type = SYM_SETTING_DOUBLE, .offset = offsetof(orbit_opts, o.s_max), .lo = 0.0,
     .lo_open = 1, .hi = 1e3, .doc = "s runs over [-s_max, s_max] off the orbit"},
};

static void orbit_init(void *opts)
{
    orbit_opts *x = opts;
    sym_orbit_opts def = SYM_ORBIT_OPTS_INIT;

    x->o = def;
    x->algebra = def.algebra;
    x->perpendicular = def.perpendicular;
}

static int orbit_settle(void *opts, const int *given, sym_probe_msg *msg)
{
    orbit_opts *x = opts;

    (void)given;
    if (x->o.points % 2 == 0)
        return SYM_PROBE_MSG(msg, "points", "expected an odd number (the grid is symmetric around "
                             "t = 0), found %d", x->o.points);
    if (x->o.landscape == 1)
        return SYM_PROBE_MSG(msg, "landscape", "expected 0 (off) or a grid size from 2 to 201, found 1");
    x->o.algebra = (sym_algebra)x->algebra;
    x->o.perpendicular = x->perpendicular;
    return 0;
}

static int orbit_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    return sym_algebra_check(((const orbit_opts *)opts)->o.algebra, cfg, msg);
}

static void orbit_dispose(void *opts)
{
    orbit_opts *x = opts;

    free(x->t);
    free(x->s);
    free(x->dir);
    free(x->lt);
    free(x->ls);
}

/* the n-point grid on [-x, x], as the probes compute it */
static int grid(double **v, int n, double x)
{
    int rc = 0;

    SYM_TRY(sym_alloc_doubles(v, (size_t)n));
    for (int k = 0; k < n; k++)
        (*v)[k] = sym_orbit_grid(k, n, x);
cleanup:
    return rc;
}

/* the datasets: every piece holds loss, data_loss (perp_loss, landscape) of its direction */
static int orbit_declare(orbit_opts *x, sym_schema *s)
{
    const char *dir = "/probes/orbit_loss/direction", *t = "/probes/orbit_loss/t";
    int D = x->o.directions, P = x->o.points, G = x->o.landscape;
    long long dp[2] = {D, P}, dd[1] = {D}, dgg[3] = {D, G, G};
    sym_schema_dataset *d;

    sym_schema_axis(s, t, SYM_SCHEMA_F64, P, x->t, "orbit parameter t of each point (dimension scale)");
    sym_schema_axis(s, dir, SYM_SCHEMA_I64, D, x->dir,
                    "direction number: its stream is (seed, probe, direction) (dimension scale)");
    d = sym_schema_pieces(s, "/probes/orbit_loss/loss", 2, dp,
                          "objective along K(t) = exp(t A) acting on every hidden layer, A a random "
                          "direction (unit Frobenius norm per layer) in the %s algebra, for t in "
                          "/probes/orbit_loss/t", sym_algebra_name(x->o.algebra));
    x->loss = sym_schema_at(d);
    sym_schema_scale(d, 1, dir, "direction");
    sym_schema_scale(d, 2, t, "t");
    d = sym_schema_pieces(s, "/probes/orbit_loss/data_loss", 2, dp,
                          "the data loss (train.loss, without the penalty) along the same orbits");
    x->data = sym_schema_at(d);
    sym_schema_scale(d, 1, dir, "direction");
    sym_schema_scale(d, 2, t, "t");
    d = sym_schema_measure(s, "/probes/orbit_loss/max_rel_change", 1, dd,
                           "max over t of |loss(t) - loss(0)| / |loss(0)| per direction");
    x->change_at = sym_schema_at(d);
    sym_schema_scale(d, 1, dir, "direction");
    x->max_at = sym_schema_at(sym_schema_measure(s, "/runs/metrics/orbit_max_rel_change", 0, NULL,
                                                 "max over directions and t of the objective's relative "
                                                 "change along the orbit (orbit_loss probe)"));
    if (x->o.perpendicular) {
        const char *sp = "/probes/orbit_loss/s";

        sym_schema_axis(s, sp, SYM_SCHEMA_F64, P, x->s, "perpendicular step s of each point (dimension scale)");
        d = sym_schema_pieces(s, "/probes/orbit_loss/perp_loss", 2, dp, "%s",
                              x->o.perpendicular == SYM_PERP_LAST_LAYER
                                  ? "objective at theta + s xi, xi a unit direction in the last "
                                    "weight W_L only (a function-space shift; the random draw of "
                                    "stream (seed, probe, 0x50000 + direction)), for s in "
                                    "/probes/orbit_loss/s"
                                  : "objective at theta + s xi, xi a unit direction with no "
                                    "orbit-tangent part (the random draw of stream (seed, probe, "
                                    "0x50000 + direction) projected off the tangent space), for s "
                                    "in /probes/orbit_loss/s");
        x->perp = sym_schema_at(d);
        sym_schema_scale(d, 1, dir, "direction");
        sym_schema_scale(d, 2, sp, "s");
        x->perp_max_at = sym_schema_at(sym_schema_measure(
            s, "/runs/metrics/orbit_perp_max_rel_change", 0, NULL,
            "max over directions and s of the objective's relative change "
            "along the perpendicular direction (compare orbit_max_rel_change)"));
    }
    if (G > 1) {
        const char *lt = "/probes/orbit_loss/landscape_t", *ls = "/probes/orbit_loss/landscape_s";

        sym_schema_axis(s, lt, SYM_SCHEMA_F64, G, x->lt, "orbit parameter t of each landscape row (dimension scale)");
        sym_schema_axis(s, ls, SYM_SCHEMA_F64, G, x->ls,
                        "perpendicular step s of each landscape column (dimension scale)");
        d = sym_schema_pieces(s, "/probes/orbit_loss/landscape", 3, dgg,
                              "objective at exp(t A) . (theta + s xi): row t in "
                              "/probes/orbit_loss/landscape_t, column s in "
                              "/probes/orbit_loss/landscape_s (A, xi as in loss, perp_loss)");
        x->land = sym_schema_at(d);
        sym_schema_scale(d, 1, dir, "direction");
        sym_schema_scale(d, 2, lt, "t");
        sym_schema_scale(d, 3, ls, "s");
    }
    return 0;
}

static int orbit_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    orbit_opts *x = opts;
    int D = x->o.directions, G = x->o.landscape;

    (void)cfgs;
    (void)n;
    x->perp = x->land = x->perp_max_at = (size_t)-1;
    /* the axes */
    orbit_dispose(x);
    x->t = x->s = x->dir = x->lt = x->ls = NULL;
    if (grid(&x->t, x->o.points, x->o.t_max) || grid(&x->s, x->o.points, x->o.s_max) ||
        sym_alloc_doubles(&x->dir, (size_t)D) || (G > 1 && (grid(&x->lt, G, x->o.t_max) ||
                                                             grid(&x->ls, G, x->o.s_max))))
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for the orbit_loss axes");
    for (int k = 0; k < D; k++)
        x->dir[k] = k;
    return orbit_declare(x, s);
}


static int orbit_n_pieces(const void *opts) { return ((const orbit_opts *)opts)->o.directions; }

static int orbit_piece(const void *opts, const sym_probe_run *run, int piece, double *out)
{
    const orbit_opts *x = opts;
    sym_algebra alg;
    sym_rng rng;
    double *A = NULL;
    int rc = 0;

    SYM_TRY(sym_orbit_algebra(&alg, run->model, x->o.algebra));
    SYM_TRY(sym_alloc_doubles(&A, sym_orbit_direction_size(run->model)));
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream + (uint32_t)piece);
    SYM_TRY(sym_orbit_direction(A, run->model, alg, &rng));
    SYM_TRY(sym_orbit_loss(out + x->loss, out + x->data, run->model, &run->cfg->reg, run->params,
                           run->data, A, &x->o));
    if (x->perp != (size_t)-1 || x->land != (size_t)-1) {
        double *perp = x->perp != (size_t)-1 ? out + x->perp : NULL;
        double *land = x->land != (size_t)-1 ? out + x->land : NULL;

        sym_rng_init(&rng, run->seed, SYM_RNG_PROBE,
                     run->stream + SYM_ORBIT_PERPENDICULAR_STREAMS + (uint32_t)piece);
        SYM_TRY(sym_orbit_perpendicular(perp, land, run->model, &run->cfg->reg, run->params, run->data,
                                        A, &x->o, &rng));
    }
cleanup:
    free(A);
    return rc;
}

/* max over the grid of |L_k - L_mid| / |L_mid| (the grid is symmetric around 0) */
static double max_rel_change(const double *L, int n)
{
    double r = 0.0;

    for (int k = 0; k < n; k++)
        r = fmax(r, fabs(L[k] - L[n / 2]) / fabs(L[n / 2]));
    return r;
}

static void orbit_reduce(const void *opts, const double *pieces, size_t stride, double *out)
{
    const orbit_opts *x = opts;
    int D = x->o.directions, P = x->o.points;
    double most = pieces ? 0.0 : NAN, perp = most;

    for (int d = 0; d < D; d++) {
        double c = pieces ? max_rel_change(pieces + (size_t)d * stride + x->loss, P) : NAN;

        out[x->change_at + (size_t)d] = c;
        most = fmax(most, c);
        if (pieces && x->perp != (size_t)-1)
            perp = fmax(perp, max_rel_change(pieces + (size_t)d * stride + x->perp, P));
    }
    out[x->max_at] = most;
    if (x->perp_max_at != (size_t)-1)
        out[x->perp_max_at] = perp;
}

static double orbit_task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    const orbit_opts *x = opts;

    (void)cfg;
    (void)n_params;
    return (2.0 * x->o.points + (double)x->o.landscape * x->o.landscape) * pass;
}

const sym_probe_def sym_probe_orbit_loss = {
    SYM_PROBE_DEF_INIT,
    .name = "orbit_loss",
    .doc = "Ex5: the objective along orbits exp(t A) of random directions of the symmetry algebra "
           "(flat), and along a direction off the orbit (not)",
    .opts_size = sizeof(orbit_opts),
    .settings = orbit_settings,
    .n_settings = sizeof orbit_settings / sizeof *orbit_settings,
    .piece_noun = "direction",
    .init = orbit_init,
    .settle = orbit_settle,
    .check = orbit_check,
    .layout = orbit_layout,
    .dispose = orbit_dispose,
    .n_pieces = orbit_n_pieces,
    .piece = orbit_piece,
    .reduce = orbit_reduce,
    .task_work = orbit_task_work,
};
