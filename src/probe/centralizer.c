/*
 * The centralizer probe (Ex2): its settings, checks, layout and datasets, and the hook that
 * calls sym_centralizer_commutation_ex and sym_centralizer_dimension (src/sym/centralizer.c)
 * on the first hidden layer's activation.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <stdio.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.centralizer ---- */

typedef struct centralizer_opts {
    int trials, samples, basis, n_families, bias_compensation;
    sym_group families[SYM_GROUP_COUNT];
    int n;          /* largest first hidden width over the grid */
    /* where layout's datasets put the values (the host places them) */
    size_t mean_at, max_at, dim_at, gap_at, basis_at, order_at;
    const char *fam_names[SYM_GROUP_COUNT]; /* the family axis's labels */
} centralizer_opts;

static const sym_setting centralizer_settings[] = {
    SYM_FAMILIES_SETTING(centralizer_opts, families, n_families, "the group families, in this order"),
    {.name = "trials", .type = SYM_SETTING_INT, .offset = offsetof(centralizer_opts, trials),
     .lo = 1, .hi = 1000000, .doc = "group elements drawn per family"},
    {.name = "samples", .type = SYM_SETTING_INT, .offset = offsetof(centralizer_opts, samples),
     .lo = 1, .hi = 1000000, .doc = "points z of the infinitesimal condition (at least the width)"},
    {.name = "basis", .type = SYM_SETTING_BOOL, .offset = offsetof(centralizer_opts, basis),
     .doc = "record a basis of the infinitesimal centralizer"},
    {.name = "bias_compensation", .type = SYM_SETTING_BOOL,
     .offset = offsetof(centralizer_opts, bias_compensation),
     .doc = "compare sigma(M z) with M sigma(z) plus the constant a next bias absorbs (sigmoid: "
            "1 where M has -1): sigmoid's sign flips"},
};

static void centralizer_init(void *opts)
{
    centralizer_opts *o = opts;

    o->trials = 20;
    o->samples = 200;
    sym_all_families(o->families, &o->n_families);
}

static int centralizer_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const centralizer_opts *o = opts;

    if (sym_chain_check(cfg, msg))
        return SYM_EJOB;
    if (cfg->model.n_layers < 2)
        return SYM_PROBE_MSG(msg, "", "probes the first hidden layer's activation and width: the "
                                      "model has no hidden layer");
    if (o->samples < cfg->model.widths[1])
        return SYM_PROBE_MSG(msg, "samples", "expected at least the hidden width (%d) to determine "
                             "the centralizer, found %d", cfg->model.widths[1], o->samples);
    return 0;
}

static int centralizer_layout(void *opts, const sym_config *cfgs, int n_cfgs, sym_schema *s)
{
    centralizer_opts *o = opts;
    const char *mx = "/probes/centralizer/commutation_max", *fa = "/probes/centralizer/family";
    long long nf[1] = {o->n_families}, N, b[3];
    char path[SYM_SCHEMA_PATH];
    sym_schema_dataset *d;

    for (int c = 0; c < n_cfgs; c++)
        o->n = cfgs[c].model.widths[1] > o->n ? cfgs[c].model.widths[1] : o->n;
    N = o->n;
    b[0] = N * N;
    b[1] = b[2] = N;
    for (int f = 0; f < o->n_families; f++)
        o->fam_names[f] = sym_group_name(o->families[f]);
    sym_schema_labels(s, fa, o->n_families, o->fam_names,
                      "the group family of each column: the setting families (dimension scale)");
    d = sym_schema_measure(s, "/probes/centralizer/commutation_mean", 1, nf,
                           "mean over group elements and inputs z of ||sigma(M z) - M sigma(z)|| / "
                           "(||sigma(M z)|| + ||M sigma(z)||) for the first hidden activation [run x family]");
    o->mean_at = sym_schema_at(d);
    sym_schema_scale(d, 1, fa, "family");
    d = sym_schema_measure(s, mx, 1, nf, "max of the same [run x family]");
    o->max_at = sym_schema_at(d);
    sym_schema_scale(d, 1, fa, "family");
    o->dim_at = sym_schema_at(sym_schema_int(sym_schema_measure(
        s, "/runs/metrics/centralizer_dimension", 0, NULL,
        "dimension of the infinitesimal centralizer {A : sigma'(z)(A z) = A sigma(z)} "
        "of the first hidden activation at its width (linear n^2, relu n, sigmoid 0)")));
    o->gap_at = sym_schema_at(sym_schema_measure(
        s, "/probes/centralizer/gap", 0, NULL,
        "smallest non-null singular value over the largest null one (inf: nothing null)"));
    if (o->basis)
        o->basis_at = sym_schema_at(sym_schema_measure(
            s, "/probes/centralizer/basis", 3, b,
            "a basis of the infinitesimal centralizer: [run, element, n, n], the "
            "first 'dimension' elements, NaN after"));
    d = sym_schema_measure(s, "/probes/centralizer/group_order_log10", 1, nf,
                           "log10 of the order of the family's group on the first hidden layer's n "
                           "units: log10 n! (permutation), log10 2^n n! (signed_permutation); inf for "
                           "the Lie groups [run x family]");
    o->order_at = sym_schema_at(d);
    sym_schema_scale(d, 1, fa, "family");
    for (int f = 0; f < o->n_families; f++) {
        snprintf(path, sizeof(path), "/runs/metrics/centralizer_max_%s", sym_group_name(o->families[f]));
        sym_schema_metric(s, path, mx, (size_t)f,
                          "max commutation error of the first hidden activation with group "
                          "elements of the family (centralizer probe)");
    }
    return 0;
}

static int centralizer_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const centralizer_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    /* the first hidden layer's activation at its width; its own stream */
    sym_act act = mo->act[0];
    int n = mo->widths[1], dim = 0, N = o->n, rc = 0;
    double gap = 0, *basis = NULL, *slot = x + o->basis_at;
    sym_rng rng;

    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
    for (int f = 0; f < o->n_families; f++) {
        double v[2];

        SYM_TRY(sym_centralizer_commutation_ex(v, act, mo->leaky_slope, n, o->families[f], o->trials,
                                               10, &rng, o->bias_compensation));
        x[o->mean_at + (size_t)f] = v[0];
        x[o->max_at + (size_t)f] = v[1];
    }
    if (o->basis)
        SYM_TRY(sym_alloc_doubles(&basis, (size_t)n * n * n * n));
    SYM_TRY(sym_centralizer_dimension(&dim, &gap, basis, act, mo->leaky_slope, n, o->samples, &rng));
    if (basis) /* [n^2 x n x n] into the [N^2 x N x N] slot */
        for (int e = 0; e < n * n; e++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    slot[((size_t)e * N + i) * N + j] = basis[((size_t)e * n + i) * n + j];
    x[o->dim_at] = dim;
    x[o->gap_at] = gap;
    for (int f = 0; f < o->n_families; f++)
        x[o->order_at + f] = sym_group_log10_order(o->families[f], n);
cleanup:
    free(basis);
    return rc;
}

const sym_probe_def sym_probe_centralizer = {
    SYM_PROBE_DEF_INIT,
    .name = "centralizer",
    .doc = "Ex2: which linear maps commute with the first hidden layer's activation: commutation "
           "errors of group elements, and the dimension of the infinitesimal centralizer",
    .opts_size = sizeof(centralizer_opts),
    .settings = centralizer_settings,
    .n_settings = sizeof centralizer_settings / sizeof *centralizer_settings,
    .init = centralizer_init,
    .check = centralizer_check,
    .layout = centralizer_layout,
    .at_end = centralizer_at_end,
};
