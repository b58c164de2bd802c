/*
 * The penalty_invariance probe (Ex3, the other half): its settings, layout and datasets, and the
 * hook that calls sym_penalty_invariance (src/sym/penalty.c) at the trained autoencoder.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.penalty_invariance ---- */

typedef struct penalty_opts {
    int trials;
    size_t mean_at, max_at; /* where layout's datasets put them (the host places them) */
} penalty_opts;

static const sym_setting penalty_settings[] = {
    {.name = "trials", .type = SYM_SETTING_INT, .offset = offsetof(penalty_opts, trials), .lo = 1,
     .hi = 1000000, .doc = "group elements drawn per family"},
};

static void penalty_init(void *opts) { ((penalty_opts *)opts)->trials = 100; }

static int penalty_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    return sym_autoencoder_check(cfg, msg);
}

static int penalty_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    static const char *const fam[SYM_PENALTY_FAMILIES] = {"orthogonal", "signed_permutation", "general"};
    static const char *const pen[SYM_PENALTY_KINDS] = {"frobenius", "l1"};
    const char *mean = "/probes/penalty_invariance/mean_rel_change";
    const char *fa = "/probes/penalty_invariance/family", *pa = "/probes/penalty_invariance/penalty";
    long long dims[2] = {SYM_PENALTY_FAMILIES, SYM_PENALTY_KINDS};
    penalty_opts *o = opts;
    sym_schema_dataset *d;

    (void)cfgs;
    (void)n;
    sym_schema_labels(s, fa, SYM_PENALTY_FAMILIES, fam, "the group family of each row (dimension scale)");
    sym_schema_labels(s, pa, SYM_PENALTY_KINDS, pen, "the penalty of each column (dimension scale)");
    d = sym_schema_measure(s, mean, 2, dims,
                           "mean over trials of |R(KW) + R(W'K^-1) - R(W) - R(W')| / (R(W) + R(W')) "
                           "[family x penalty]: families orthogonal, signed_permutation, general; "
                           "penalties frobenius (squared), l1");
    o->mean_at = sym_schema_at(d);
    sym_schema_scale(d, 1, fa, "family");
    sym_schema_scale(d, 2, pa, "penalty");
    d = sym_schema_measure(s, "/probes/penalty_invariance/max_rel_change", 2, dims,
                           "max over trials of the same [family x penalty]");
    o->max_at = sym_schema_at(d);
    sym_schema_scale(d, 1, fa, "family");
    sym_schema_scale(d, 2, pa, "penalty");
    for (int f = 0; f < SYM_PENALTY_FAMILIES; f++)
        for (int p = 0; p < SYM_PENALTY_KINDS; p++) {
            char path[SYM_SCHEMA_PATH];

            snprintf(path, sizeof(path), "/runs/metrics/penalty_change_%s_%s", pen[p], fam[f]);
            sym_schema_metric(s, path, mean, (size_t)(f * SYM_PENALTY_KINDS + p),
                              "mean relative change of the penalty under latent transforms "
                              "of the family (penalty_invariance probe)");
        }
    return 0;
}

/* the axes' labels (facts of the probe, not settings) */
static int penalty_schema(const void *opts, int team_size, sym_schema *s)
{
    const char *mean = "/probes/penalty_invariance/mean_rel_change";

    (void)opts;
    (void)team_size;
    sym_schema_attr_string(s, mean, "families", "orthogonal, signed_permutation, general");
    sym_schema_attr_string(s, mean, "penalties", "frobenius, l1");
    return 0;
}

static int penalty_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const penalty_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    double *W = NULL, *Wd = NULL;
    sym_rng rng;
    int rc = 0;

    SYM_TRY(sym_autoencoder_weights(&W, &Wd, run));
    /* its own stream, apart from the orbit directions */
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
    SYM_TRY(sym_penalty_invariance(x + o->mean_at, x + o->max_at, W, Wd, mo->widths[1], mo->widths[0],
                                   o->trials, &rng));
cleanup:
    free(W);
    free(Wd);
    return rc;
}

const sym_probe_def sym_probe_penalty_invariance = {
    SYM_PROBE_DEF_INIT,
    .name = "penalty_invariance",
    .doc = "Ex3: relative change of the Frobenius and l1 penalties of a linear autoencoder under "
           "latent transforms K of the orthogonal, signed-permutation and general groups",
    .opts_size = sizeof(penalty_opts),
    .settings = penalty_settings,
    .n_settings = sizeof penalty_settings / sizeof *penalty_settings,
    .init = penalty_init,
    .check = penalty_check,
    .layout = penalty_layout,
    .schema = penalty_schema,
    .at_end = penalty_at_end,
};
