/*
 * The canonical probe: each run's canonical parameters (sym_canonical_form, src/sym/canonical.c,
 * where the forms are described) and how far training left them; the comparison of seeds runs
 * after the sweep (symsweep align, src/sweep/align.c).
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: each run's canonical parameters ---- */

typedef struct canon_opts {
    int n_tensors;
    sym_tensor t[SYM_MAX_TENSORS]; /* the union over the grid; offset: [rows x cols] in the slice */
    size_t change_at, degenerate_at; /* where layout's datasets put the values (the host places them) */
} canon_opts;


static int canon_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    char why[256];

    (void)opts;
    if (sym_canonical_supported(&cfg->model, why, sizeof(why)))
        return SYM_PROBE_MSG(msg, "", "%s", why);
    return 0;
}

/* the two headlines, then one dataset per tensor of the union over the grid, [rows x cols]
 * (t[k].offset: where the host placed it in the slice) */
static int canon_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    canon_opts *o = opts;

    o->n_tensors = 0;
    for (int c = 0; c < n; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &cfgs[c].model) == 0)
            sym_tensor_union(o->t, &o->n_tensors, SYM_MAX_TENSORS, m);
        sym_model_free(m);
    }
    o->change_at = sym_schema_at(sym_schema_measure(
        s, "/runs/metrics/canonical_output_change", 0, NULL,
        "largest change of the outputs on the run's data from the trained to the "
        "canonical parameters, over the largest output (rounding: the form keeps "
        "the function) (canonical probe)"));
    o->degenerate_at = sym_schema_at(sym_schema_int(sym_schema_measure(
        s, "/runs/metrics/canonical_degenerate", 0, NULL,
        "blocks of linear hidden layers whose product has rank below their width "
        "(their balanced form is not determined by the orbit) (canonical probe)")));
    for (int k = 0; k < o->n_tensors; k++) {
        sym_tensor *t = &o->t[k];
        long long d2[2] = {t->rows, t->cols};
        char path[SYM_SCHEMA_PATH];

        snprintf(path, sizeof(path), "/probes/canonical/%s", t->name);
        t->offset = sym_schema_at(sym_schema_measure(
            s, path, t->cols == 1 ? 1 : 2, d2,
            "canonical %s %s [run, %d x %d], row-major: the trained network's orbit "
            "representative (NaN past a grid point's shape)",
            t->cols == 1 ? "bias" : "weight", t->name, t->rows, t->cols));
    }
    return 0;
}

static int canon_at_end(const void *opts, const sym_probe_run *run, double *out)
{
    const canon_opts *o = opts;
    const sym_model *m = run->model;
    size_t P = sym_model_n_params(m);
    int no = sym_model_get_opts(m)->widths[sym_model_get_opts(m)->n_layers], deg = 0, rc = 0;
    double *cp = NULL, *f0 = NULL, *f1 = NULL, big = 0.0, diff = 0.0;
    sym_eval *e = NULL;

    SYM_TRY(sym_alloc_doubles(&cp, P));
    SYM_TRY(sym_canonical_form(cp, &deg, m, run->params));
    SYM_TRY(sym_eval_create(&e, m, &run->cfg->reg, run->data->n));
    SYM_TRY(sym_alloc_doubles(&f0, (size_t)run->data->n * no));
    SYM_TRY(sym_alloc_doubles(&f1, (size_t)run->data->n * no));
    SYM_TRY(sym_eval_forward(e, f0, run->params, run->data->X, run->data->n));
    SYM_TRY(sym_eval_forward(e, f1, cp, run->data->X, run->data->n));
    for (size_t k = 0; k < (size_t)run->data->n * no; k++) {
        big = fmax(big, fabs(f0[k]));
        diff = fmax(diff, fabs(f1[k] - f0[k]));
    }
    out[o->change_at] = big > 0.0 ? diff / big : diff;
    out[o->degenerate_at] = deg;
    for (int i = 0; i < sym_model_n_tensors(m); i++) {
        const sym_tensor *t = sym_model_tensor(m, i);

        for (int k = 0; k < o->n_tensors; k++)
            if (strcmp(o->t[k].name, t->name) == 0)
                for (int r = 0; r < t->rows; r++)
                    memcpy(out + o->t[k].offset + (size_t)r * o->t[k].cols, cp + t->offset + (size_t)r * t->cols,
                           sizeof(double) * (size_t)t->cols);
    }
cleanup:
    sym_eval_free(e);
    free(cp);
    free(f0);
    free(f1);
    return rc;
}

const sym_probe_def sym_probe_canonical = {
    SYM_PROBE_DEF_INIT,
    .name = "canonical",
    .doc = "a canonical representative of the trained network's orbit (relu: unit incoming norms; "
           "tanh, biased sigmoid: signs; units sorted; linear blocks: balanced SVD form), for "
           "comparing runs modulo their symmetries (symsweep align)",
    .opts_size = sizeof(canon_opts),
    .check = canon_check,
    .layout = canon_layout,
    .at_end = canon_at_end,
};
