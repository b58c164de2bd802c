/*
 * The reparam probe (Ex1): its settings, checks, layout and datasets, and the hook that calls
 * sym_reparam_probe_ex (src/sym/reparam.c) on held-out inputs.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <stdio.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.reparam ---- */

typedef struct reparam_opts {
    int trials, samples, n_families, bias_compensation;
    sym_group families[SYM_GROUP_COUNT];
    size_t at[5], order_at; /* where layout's datasets put the values (the host places them) */
    const char *fam_names[SYM_GROUP_COUNT]; /* the family axis's labels */
} reparam_opts;

static const sym_setting reparam_settings[] = {
    SYM_FAMILIES_SETTING(reparam_opts, families, n_families, "the group families, in this order"),
    {.name = "trials", .type = SYM_SETTING_INT, .offset = offsetof(reparam_opts, trials), .lo = 1,
     .hi = 1000000, .doc = "group elements drawn per family"},
    {.name = "samples", .type = SYM_SETTING_INT, .offset = offsetof(reparam_opts, samples), .lo = 1,
     .hi = 1000000, .doc = "held-out inputs the outputs are compared on (generated data)"},
    {.name = "bias_compensation", .type = SYM_SETTING_BOOL,
     .offset = offsetof(reparam_opts, bias_compensation),
     .doc = "a sign flip of a sigmoid unit is compensated by the next bias (b += W[:, j]): the "
            "signed permutations become sigmoid's symmetry"},
};

static void reparam_init(void *opts)
{
    reparam_opts *o = opts;

    o->trials = 100;
    o->samples = 200;
    sym_all_families(o->families, &o->n_families);
}

static int reparam_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    if (sym_chain_check(cfg, msg))
        return SYM_EJOB;
    if (cfg->model.n_layers < 2 || cfg->model.tied)
        return SYM_PROBE_MSG(msg, "", "needs a model with a hidden layer and untied weights (the layer "
                                      "action unties a tied autoencoder)");
    return 0;
}

/* log10 of the order of the family's group acting on every hidden layer: the sum over the
 * hidden widths (inf for the Lie groups) */
static double log10_order(sym_group g, const sym_model_opts *m)
{
    double t = 0.0;

    for (int l = 1; l < m->n_layers; l++)
        t += sym_group_log10_order(g, m->widths[l]);
    return t;
}

static int reparam_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    static const char *what[5] = {"mean_abs", "max_abs", "mean_rel", "max_rel", "end_to_end"};
    static const char *desc[5] = {
        "mean over trials of max_i |y'_i - y_i| on held-out inputs [run x family]",
        "max over trials of max_i |y'_i - y_i| [run x family]",
        "mean over trials of ||Y' - Y||_F / ||Y||_F [run x family]",
        "max over trials of ||Y' - Y||_F / ||Y||_F [run x family]",
        "all-linear networks: max over trials of ||P' - P||_F / ||P||_F, P = W_L ... W_1; NaN otherwise"};
    reparam_opts *o = opts;
    long long nf[1] = {o->n_families};
    char path[SYM_SCHEMA_PATH];
    sym_schema_dataset *d;

    (void)cfgs;
    (void)n;
    for (int f = 0; f < o->n_families; f++)
        o->fam_names[f] = sym_group_name(o->families[f]);
    sym_schema_labels(s, "/probes/reparam/family", o->n_families, o->fam_names,
                      "the group family of each column: the setting families (dimension scale)");
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof(path), "/probes/reparam/%s", what[k]);
        d = sym_schema_measure(s, path, 1, nf, "%s", desc[k]);
        o->at[k] = sym_schema_at(d);
        sym_schema_scale(d, 1, "/probes/reparam/family", "family");
    }
    for (int f = 0; f < o->n_families; f++) {
        snprintf(path, sizeof(path), "/runs/metrics/reparam_max_rel_%s", sym_group_name(o->families[f]));
        sym_schema_metric(s, path, "/probes/reparam/max_rel", (size_t)f,
                          "max relative output change under group elements of the family "
                          "at every hidden layer (reparam probe)");
    }
    d = sym_schema_measure(s, "/probes/reparam/group_order_log10", 1, nf,
                           "log10 of the order of the family's group acting on every hidden layer of the "
                           "run's model: sum over hidden widths n of log10 n! (permutation), and n log10 2 "
                           "more (signed_permutation); inf for the Lie groups [run x family]");
    o->order_at = sym_schema_at(d);
    sym_schema_scale(d, 1, "/probes/reparam/family", "family");
    return 0;
}

static int reparam_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const reparam_opts *o = opts;
    sym_data held = {0};
    const sym_data *in = run->data;
    sym_rng rng;
    int rc = 0;

    /* held-out inputs: the data generator on its own stream; user data: its own X */
    if (!sym_data_from_file(run->cfg->data.kind)) {
        sym_data_opts dopt = run->cfg->data;

        dopt.samples = o->samples;
        sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
        SYM_TRY(sym_data_generate(&held, &dopt, &rng));
        in = &held;
    }
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream + 0x10000);
    for (int f = 0; f < o->n_families; f++) {
        double v[5];

        SYM_TRY(sym_reparam_probe_ex(v, v + 4, run->model, run->params, in->X, in->n, o->families[f],
                                     o->trials, &rng, o->bias_compensation));
        for (int k = 0; k < 5; k++)
            x[o->at[k] + (size_t)f] = v[k];
    }
    for (int f = 0; f < o->n_families; f++)
        x[o->order_at + (size_t)f] = log10_order(o->families[f], &run->cfg->model);
cleanup:
    sym_data_dispose(&held);
    return rc;
}

const sym_probe_def sym_probe_reparam = {
    SYM_PROBE_DEF_INIT,
    .name = "reparam",
    .doc = "Ex1: how much the network's outputs change when random group elements of each family "
           "act on every hidden layer (zero for the symmetry group of the architecture)",
    .opts_size = sizeof(reparam_opts),
    .settings = reparam_settings,
    .n_settings = sizeof reparam_settings / sizeof *reparam_settings,
    .init = reparam_init,
    .check = reparam_check,
    .layout = reparam_layout,
    .at_end = reparam_at_end,
};
