/*
 * An example probe, built outside symsweep as a plug-in (docs/adding-a-probe.md):
 * the entry-wise l_p norm of every weight matrix of the trained network.
 *
 * One piece per layer, fanned out to any rank like the orbit directions; the
 * pieces are folded into the run's values (the norms and their largest) when
 * all are back.  Build it against the installed headers:
 *
 *   cc -O2 -fPIC -shared $(pkg-config --cflags symsweep) layer_norms.c -o layer_norms.so
 *
 * and name it in a job:
 *
 *   probes:
 *     layer_norms: {plugin: layer_norms.so, p: 2}
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "symsweep/probe_api.h"

typedef struct norms_opts {
    double p;   /* the setting */
    int layers; /* the most weight matrices of any grid point */
} norms_opts;

static const sym_setting settings[] = {
    {.name = "p", .type = SYM_SETTING_DOUBLE, .offset = offsetof(norms_opts, p), .lo = 1.0,
     .hi = NAN, .doc = "the exponent of the entry-wise norm, at least 1 (inf: the largest |w|)"},
};

static void init(void *opts) { ((norms_opts *)opts)->p = 2.0; }

/* values per run: the norm of each layer, then the largest */
static size_t layout(void *opts, const sym_config *cfgs, int n_cfgs)
{
    norms_opts *o = opts;

    for (int c = 0; c < n_cfgs; c++)
        if (cfgs[c].model.n_layers > o->layers)
            o->layers = cfgs[c].model.n_layers;
    return (size_t)o->layers + 1;
}

static int schema(const void *opts, int team_size, sym_schema *s)
{
    const norms_opts *o = opts;
    long long dims[1] = {o->layers};

    (void)team_size;
    sym_schema_measure(s, "/probes/layer_norms/norm", 1, dims, 0, 1,
                       "entry-wise l_p norm of weight matrix l [run, l] (NaN past the run's layers)");
    sym_schema_measure(s, "/runs/metrics/layer_norm_max", 0, NULL, (size_t)o->layers, 1,
                       "the largest entry-wise l_p norm of a weight matrix (layer_norms probe)");
    sym_schema_attr_double(s, "/probes/layer_norms/norm", "p", o->p);
    return 0;
}

static int n_pieces(const void *opts) { return ((const norms_opts *)opts)->layers; }

static size_t piece_size(const void *opts)
{
    (void)opts;
    return 1;
}

/* piece l: the norm of weight matrix l */
static int piece(const void *opts, const sym_probe_run *run, int l, double *out)
{
    const norms_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    size_t n;
    double *W, acc = 0.0;

    out[0] = NAN;
    if (l >= mo->n_layers)
        return 0;
    n = (size_t)mo->widths[l + 1] * mo->widths[l];
    W = malloc(sizeof(double) * n);
    if (!W)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "layer_norms: out of memory");
    sym_model_get_weight(run->model, run->params, l, W);
    for (size_t i = 0; i < n; i++)
        acc = isinf(o->p) ? fmax(acc, fabs(W[i])) : acc + pow(fabs(W[i]), o->p);
    out[0] = isinf(o->p) ? acc : pow(acc, 1.0 / o->p);
    free(W);
    return 0;
}

static void reduce(const void *opts, const double *pieces, size_t stride, double *out)
{
    const norms_opts *o = opts;

    out[o->layers] = pieces ? 0.0 : NAN;
    for (int l = 0; l < o->layers; l++) {
        out[l] = pieces ? pieces[(size_t)l * stride] : NAN;
        if (out[l] > out[o->layers])
            out[o->layers] = out[l];
    }
}

static double task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    (void)opts;
    (void)cfg;
    (void)pass;
    return n_params;
}

static const sym_probe_def layer_norms = {
    SYM_PROBE_DEF_INIT,
    .name = "layer_norms",
    .doc = "entry-wise l_p norms of the trained weight matrices (an example plug-in)",
    .opts_size = sizeof(norms_opts),
    .settings = settings,
    .n_settings = sizeof settings / sizeof *settings,
    .piece_noun = "layer",
    .init = init,
    .layout = layout,
    .schema = schema,
    .n_pieces = n_pieces,
    .piece_size = piece_size,
    .piece = piece,
    .reduce = reduce,
    .task_work = task_work,
};

const sym_probe_def *sym_probe_plugin(void) { return &layer_norms; }
