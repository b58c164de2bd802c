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
    if (cfg->model.n_layers < 2 || cfg->model.tied)
        return SYM_PROBE_MSG(msg, "", "needs a model with a hidden layer and untied weights (the layer "
                                      "action unties a tied autoencoder)");
    return 0;
}

static size_t reparam_layout(void *opts, const sym_config *cfgs, int n)
{
    (void)cfgs;
    (void)n;
    return 6 * (size_t)((reparam_opts *)opts)->n_families; /* 5 per family, then the orders */
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

static int reparam_schema(const void *opts, int team_size, sym_schema *s)
{
    static const char *what[5] = {"mean_abs", "max_abs", "mean_rel", "max_rel", "end_to_end"};
    static const char *desc[5] = {
        "mean over trials of max_i |y'_i - y_i| on held-out inputs [run x family]",
        "max over trials of max_i |y'_i - y_i| [run x family]",
        "mean over trials of ||Y' - Y||_F / ||Y||_F [run x family]",
        "max over trials of ||Y' - Y||_F / ||Y||_F [run x family]",
        "all-linear networks: max over trials of ||P' - P||_F / ||P||_F, P = W_L ... W_1; NaN otherwise"};
    const reparam_opts *o = opts;
    long long nf[1] = {o->n_families};
    char path[SYM_SCHEMA_PATH], fams[512];

    (void)team_size;
    /* [family x 5] in the measures: each dataset takes every 5th value */
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof(path), "/probes/reparam/%s", what[k]);
        sym_schema_measure(s, path, 1, nf, (size_t)k, 5, "%s", desc[k]);
    }
    for (int f = 0; f < o->n_families; f++) {
        snprintf(path, sizeof(path), "/runs/metrics/reparam_max_rel_%s", sym_group_name(o->families[f]));
        sym_schema_measure(s, path, 0, NULL, 5 * (size_t)f + 3, 1,
                           "max relative output change under group elements of the family "
                           "at every hidden layer (reparam probe)");
    }
    sym_schema_measure(s, "/probes/reparam/group_order_log10", 1, nf, 5 * (size_t)o->n_families, 1,
                       "log10 of the order of the family's group acting on every hidden layer of the "
                       "run's model: sum over hidden widths n of log10 n! (permutation), and n log10 2 "
                       "more (signed_permutation); inf for the Lie groups [run x family]");
    sym_families_text(fams, sizeof(fams), o->families, o->n_families);
    sym_schema_attr_string(s, "/probes/reparam/max_rel", "families", fams);
    sym_schema_attr_int(s, "/probes/reparam/max_rel", "trials", o->trials);
    if (o->bias_compensation) /* only then: jobs without it keep their files */
        sym_schema_attr_int(s, "/probes/reparam/max_rel", "bias_compensation", 1);
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
    if (run->cfg->data.kind != SYM_DATA_HDF5) {
        sym_data_opts dopt = run->cfg->data;

        dopt.samples = o->samples;
        sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
        SYM_TRY(sym_data_generate(&held, &dopt, &rng));
        in = &held;
    }
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream + 0x10000);
    for (int f = 0; f < o->n_families; f++)
        SYM_TRY(sym_reparam_probe_ex(x + 5 * (size_t)f, x + 5 * (size_t)f + 4, run->model, run->params,
                                     in->X, in->n, o->families[f], o->trials, &rng,
                                     o->bias_compensation));
    for (int f = 0; f < o->n_families; f++)
        x[5 * (size_t)o->n_families + f] = log10_order(o->families[f], &run->cfg->model);
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
    .schema = reparam_schema,
    .at_end = reparam_at_end,
};
