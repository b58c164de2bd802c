/*
 * The lp_ball probe (Ex4): its settings, layout and datasets, and the hook that measures
 * sym_lp_norm_change and sym_lp_sparsity (src/sym/lp.c) on the geometry alone.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <stdio.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.lp_ball ---- */

typedef struct lp_opts {
    int dim, trials, points, quadratics, n_p, n_families;
    double radius, p[16];
    sym_group families[SYM_GROUP_COUNT];
    size_t change_at, sparse_at, zeros_at; /* where layout's datasets put the values */
    const char *fam_names[SYM_GROUP_COUNT]; /* the family axis's labels */
} lp_opts;

static const sym_setting lp_settings[] = {
    {.name = "dim", .type = SYM_SETTING_INT, .offset = offsetof(lp_opts, dim), .lo = 1, .hi = 1000,
     .doc = "dimension of the balls"},
    {.name = "p", .type = SYM_SETTING_EXPONENTS, .offset = offsetof(lp_opts, p),
     .count_offset = offsetof(lp_opts, n_p), .lo = 0.1, .hi = 1000, .max_len = 16,
     .expected = "a list of 1 to 16 exponents (numbers >= 0.1, or inf)",
     .doc = "the exponents p of the l_p balls"},
    SYM_FAMILIES_SETTING(lp_opts, families, n_families, "the group families, in this order"),
    {.name = "trials", .type = SYM_SETTING_INT, .offset = offsetof(lp_opts, trials), .lo = 1,
     .hi = 1000000, .doc = "group elements drawn per family and p"},
    {.name = "points", .type = SYM_SETTING_INT, .offset = offsetof(lp_opts, points), .lo = 1,
     .hi = 10000000, .doc = "points of the unit sphere each element is tried on"},
    {.name = "quadratics", .type = SYM_SETTING_INT, .offset = offsetof(lp_opts, quadratics), .lo = 1,
     .hi = 1000000, .doc = "random convex quadratics minimized over each ball"},
    {.name = "radius", .type = SYM_SETTING_DOUBLE, .offset = offsetof(lp_opts, radius), .lo = 0.0,
     .lo_open = 1, .hi = NAN, .doc = "radius of the constraint ball"},
};

static void lp_init(void *opts)
{
    static const double def_p[7] = {0.5, 1, 1.5, 2, 3, 4, INFINITY};
    lp_opts *o = opts;

    o->dim = 2;
    o->trials = 20;
    o->points = 500;
    o->quadratics = 200;
    o->radius = 1.0;
    o->n_p = 7;
    memcpy(o->p, def_p, sizeof(def_p));
    sym_all_families(o->families, &o->n_families);
}

static int lp_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    lp_opts *o = opts;
    const char *sf = "/probes/lp_ball/sparse_fraction", *pa = "/probes/lp_ball/p";
    const char *fa = "/probes/lp_ball/family";
    sym_schema_dataset *d;
    long long pf[2] = {o->n_p, o->n_families}, np[1] = {o->n_p};
    char path[SYM_SCHEMA_PATH];

    (void)cfgs;
    (void)n;
    for (int f = 0; f < o->n_families; f++)
        o->fam_names[f] = sym_group_name(o->families[f]);
    sym_schema_axis(s, pa, SYM_SCHEMA_F64, o->n_p, o->p,
                    "the exponent p of each row: the setting p (dimension scale)");
    sym_schema_labels(s, fa, o->n_families, o->fam_names,
                      "the group family of each column: the setting families (dimension scale)");
    d = sym_schema_measure(s, "/probes/lp_ball/norm_change", 2, pf,
                           "max over group elements K and points x of the unit l_p sphere of "
                           "| ||K x||_p - 1 | [run x p x family]");
    o->change_at = sym_schema_at(d);
    sym_schema_scale(d, 1, pa, "p");
    sym_schema_scale(d, 2, fa, "family");
    d = sym_schema_measure(s, sf, 1, np,
                           "fraction of random convex quadratics whose minimum over the l_p ball "
                           "has a zero coordinate (on a vertex or face) [run x p]; NaN for p < 1");
    o->sparse_at = sym_schema_at(d);
    sym_schema_scale(d, 1, pa, "p");
    d = sym_schema_measure(s, "/probes/lp_ball/mean_zeros", 1, np,
                           "mean number of zero coordinates of those minima [run x p]");
    o->zeros_at = sym_schema_at(d);
    sym_schema_scale(d, 1, pa, "p");
    for (int k = 0; k < o->n_p; k++) {
        if (isinf(o->p[k]))
            snprintf(path, sizeof(path), "/runs/metrics/lp_sparse_fraction_pinf");
        else
            snprintf(path, sizeof(path), "/runs/metrics/lp_sparse_fraction_p%g", o->p[k]);
        sym_schema_metric(s, path, sf, (size_t)k,
                          "fraction of constrained minima with a zero coordinate (lp_ball probe)");
    }
    return 0;
}

static int lp_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const lp_opts *o = opts;
    sym_rng rng;
    int rc = 0;

    /* geometry only: independent of the network; its own stream */
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
    for (int k = 0; k < o->n_p; k++) {
        for (int f = 0; f < o->n_families; f++)
            SYM_TRY(sym_lp_norm_change(x + o->change_at + (size_t)k * o->n_families + f, o->dim, o->p[k],
                                       o->families[f], o->trials, o->points, &rng));
        if (o->p[k] >= 1.0) { /* convex balls only */
            double sp[2];

            SYM_TRY(sym_lp_sparsity(sp, o->dim, o->p[k], o->radius, o->quadratics, &rng));
            x[o->sparse_at + (size_t)k] = sp[0];
            x[o->zeros_at + (size_t)k] = sp[1];
        }
    }
cleanup:
    return rc;
}

const sym_probe_def sym_probe_lp_ball = {
    SYM_PROBE_DEF_INIT,
    .name = "lp_ball",
    .doc = "Ex4: which group elements keep each l_p ball, and how often constrained minima over "
           "it are sparse",
    .opts_size = sizeof(lp_opts),
    .settings = lp_settings,
    .n_settings = sizeof lp_settings / sizeof *lp_settings,
    .init = lp_init,
    .layout = lp_layout,
    .at_end = lp_at_end,
};
