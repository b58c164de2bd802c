/*
 * The objective along the straight line theta + s v through the trained
 * point, v = A . theta an orbit tangent, against the curved orbit exp(sA):
 * the line leaves the orbit at second order, so the objective rises at a
 * known low order in s.  With K = I + sA (in the group for gl and the
 * diagonal algebra) the line is K . theta + delta, delta_l = s^2 (A_l W_l
 * A_{l-1} - W_l A_{l-1}^2) + O(s^3) at weight l (A_0 = A_L = 0; biases none):
 * away from a critical point the change is s^2 g.u (g.v = 0 by invariance),
 * at a minimum s^4 u^T H u / 2, where u = delta / s^2.  The probe records the
 * change at s = s_max 2^-k on both sides, fits the order from the smallest
 * resolved s, and the coefficient at that order.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ts_opts {
    int directions, points, algebra;
    double s_max;
    double *s; /* the axis (owned) */
    /* where layout's datasets put the values (the host places them) */
    size_t change_at, order_at, coef_at, first_at, min_at, max_at;
} ts_opts;

static const sym_setting ts_settings[] = {
    {.name = "directions", .type = SYM_SETTING_INT, .offset = offsetof(ts_opts, directions),
     .lo = 1, .hi = 10000, .doc = "random directions A of the algebra per run"},
    {.name = "points", .type = SYM_SETTING_INT, .offset = offsetof(ts_opts, points), .lo = 3,
     .hi = 40, .doc = "steps s = s_max 2^-k, k = 0 .. points - 1, on both sides"},
    {.name = "s_max", .type = SYM_SETTING_DOUBLE, .offset = offsetof(ts_opts, s_max), .lo = 0.0,
     .lo_open = 1, .hi = 1e3, .doc = "the largest step"},
    {.name = "algebra", .type = SYM_SETTING_ENUM, .offset = offsetof(ts_opts, algebra),
     .names = sym_algebra_names, .n_names = SYM_ALGEBRA_COUNT,
     .doc = "the algebra the directions are drawn from (auto: the objective's symmetry)"},
};

static void ts_init(void *opts)
{
    ts_opts *o = opts;

    o->directions = 4;
    o->points = 12;
    o->s_max = 0.5;
    o->algebra = SYM_ALGEBRA_AUTO;
}

static int ts_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    return sym_algebra_check((sym_algebra)((const ts_opts *)opts)->algebra, cfg, msg);
}

static void ts_dispose(void *opts) { free(((ts_opts *)opts)->s); }

/* the change at +s and -s of every direction [directions x 2 x points]; then per direction the
 * order, the coefficient and the first order slope, each [directions]; then the smallest and
 * largest order over directions */
static int ts_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    ts_opts *o = opts;
    static const char *const sides[2] = {"+s", "-s"};
    const char *ax = "/probes/tangent_slice/s", *side = "/probes/tangent_slice/side";
    long long d[3] = {o->directions, 2, o->points};
    sym_schema_dataset *ds;

    (void)cfgs;
    (void)n;
    free(o->s);
    o->s = NULL;
    if (sym_alloc_doubles(&o->s, (size_t)o->points) != 0)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for the tangent_slice axis");
    for (int k = 0; k < o->points; k++)
        o->s[k] = ldexp(o->s_max, -k);
    sym_schema_axis(s, ax, SYM_SCHEMA_F64, o->points, o->s, "step s of each point: s_max 2^-k (dimension scale)");
    sym_schema_labels(s, side, 2, sides, "the side of each change: +s or -s (dimension scale)");
    ds = sym_schema_measure(s, "/probes/tangent_slice/change", 3, d,
                            "L(theta + s v) - L(theta) [run, direction, side (+s, -s), k], v = A . "
                            "theta for a random unit A of the %s algebra", sym_algebra_name((sym_algebra)o->algebra));
    o->change_at = sym_schema_at(ds);
    sym_schema_scale(ds, 2, side, "side");
    sym_schema_scale(ds, 3, ax, "s");
    o->order_at = sym_schema_at(sym_schema_measure(
        s, "/probes/tangent_slice/order", 1, d,
        "order of the change in s: the slope of log |(change(s) + change(-s)) / 2| "
        "against log s over the smallest resolved steps [run, direction]; 2 away "
        "from a critical point, 4 at a minimum (NaN: flat to rounding)"));
    o->coef_at = sym_schema_at(sym_schema_measure(
        s, "/probes/tangent_slice/coefficient", 1, d,
        "m(s) / s^p with m(s) = (change(s) + change(-s)) / 2 and p the order "
        "rounded, Richardson-extrapolated from the smallest s with m above 1e-9 of "
        "the objective and twice that s [run, direction]"));
    o->first_at = sym_schema_at(sym_schema_measure(
        s, "/probes/tangent_slice/first_order", 1, d,
        "(change(s) - change(-s)) / 2s at the smallest s: the slope g.v, 0 (to "
        "rounding) along a symmetry [run, direction]"));
    o->min_at = sym_schema_at(sym_schema_measure(
        s, "/runs/metrics/tangent_slice_order_min", 0, NULL,
        "smallest fitted order over directions (tangent_slice probe)"));
    o->max_at = sym_schema_at(sym_schema_measure(
        s, "/runs/metrics/tangent_slice_order_max", 0, NULL,
        "largest fitted order over directions (tangent_slice probe)"));
    return 0;
}

/* the order and coefficient of the symmetric change m_k = (c+ + c-) / 2 from its smallest resolved steps */
static void fit(double *order, double *coef, const double *cp, const double *cm, const double *s,
                int n, double floor_abs)
{
    double lx[4], ly[4];
    int used = 0;

    *order = *coef = NAN;
    for (int k = n - 1; k >= 0 && used < 4; k--) { /* from the smallest s up */
        double m = 0.5 * (cp[k] + cm[k]);

        if (!(fabs(m) > floor_abs))
            continue;
        lx[used] = log(s[k]);
        ly[used] = log(fabs(m));
        used++;
    }
    if (used >= 2) {
        double mx = 0, my = 0, sxx = 0, sxy = 0;

        for (int i = 0; i < used; i++) {
            mx += lx[i] / used;
            my += ly[i] / used;
        }
        for (int i = 0; i < used; i++) {
            sxx += (lx[i] - mx) * (lx[i] - mx);
            sxy += (lx[i] - mx) * (ly[i] - my);
        }
        *order = sxy / sxx;
    }
    if (!isfinite(*order))
        return;
    /* the coefficient: m(s) / s^p = c + d s^2 + ...; from the smallest s well above rounding
     * and 2s, (4 r(s) - r(2s)) / 3 removes the s^2 term */
    for (int k = n - 1; k >= 1; k--) {
        double m = 0.5 * (cp[k] + cm[k]), m2 = 0.5 * (cp[k - 1] + cm[k - 1]), p = round(*order);

        if (fabs(m) > 1e3 * floor_abs) {
            *coef = (4.0 * m / pow(s[k], p) - m2 / pow(s[k - 1], p)) / 3.0;
            break;
        }
    }
}

static int ts_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const ts_opts *o = opts;
    size_t P = sym_model_n_params(run->model);
    const sym_data *d = run->data;
    double *A = NULL, *v = NULL, *th = NULL, L0, lo = INFINITY, hi = -INFINITY;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    sym_algebra alg;
    sym_rng rng;
    int rc = 0;

    SYM_TRY(sym_orbit_algebra(&alg, run->model, (sym_algebra)o->algebra));
    SYM_TRY(sym_alloc_doubles(&A, sym_orbit_direction_size(run->model)));
    SYM_TRY(sym_alloc_doubles(&v, P));
    SYM_TRY(sym_alloc_doubles(&th, P));
    SYM_TRY(sym_eval_create(&e, run->model, &run->cfg->reg, d->n));
    SYM_TRY(sym_eval_loss(e, &lp, NULL, run->params, d->X, d->Y, d->n));
    L0 = lp.total;
    for (int q = 0; q < o->directions; q++) {
        double *c = x + o->change_at + (size_t)q * 2 * o->points, f[3];

        sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream + (uint32_t)q);
        SYM_TRY(sym_orbit_direction(A, run->model, alg, &rng));
        sym_orbit_tangent(v, run->model, run->params, A, alg);
        for (int side = 0; side < 2; side++)
            for (int k = 0; k < o->points; k++) {
                double step = side ? -o->s[k] : o->s[k];

                for (size_t i = 0; i < P; i++)
                    th[i] = run->params[i] + step * v[i];
                SYM_TRY(sym_eval_loss(e, &lp, NULL, th, d->X, d->Y, d->n));
                c[(size_t)side * o->points + k] = lp.total - L0;
            }
        /* resolved: above the rounding of the objective (1e-12 of it) */
        fit(&f[0], &f[1], c, c + o->points, o->s, o->points, 1e-12 * fabs(L0));
        f[2] = (c[o->points - 1] - c[2 * o->points - 1]) / (2.0 * o->s[o->points - 1]);
        x[o->order_at + (size_t)q] = f[0];
        x[o->coef_at + (size_t)q] = f[1];
        x[o->first_at + (size_t)q] = f[2];
        lo = fmin(lo, f[0]);
        hi = fmax(hi, f[0]);
    }
    x[o->min_at] = isinf(lo) ? NAN : lo;
    x[o->max_at] = isinf(hi) ? NAN : hi;
cleanup:
    sym_eval_free(e);
    free(A);
    free(v);
    free(th);
    return rc;
}

static double ts_task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    const ts_opts *o = opts;

    (void)cfg;
    (void)n_params;
    return (double)o->directions * (2.0 * o->points + 1) * pass;
}

const sym_probe_def sym_probe_tangent_slice = {
    SYM_PROBE_DEF_INIT,
    .name = "tangent_slice",
    .doc = "the objective along the straight tangent line theta + s A.theta (not the curved orbit): "
           "its order in s (2 away from a critical point, 4 at a minimum) and coefficient",
    .opts_size = sizeof(ts_opts),
    .settings = ts_settings,
    .n_settings = sizeof ts_settings / sizeof *ts_settings,
    .init = ts_init,
    .check = ts_check,
    .layout = ts_layout,
    .dispose = ts_dispose,
    .at_end = ts_at_end,
    .task_work = ts_task_work,
};
