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
    size_t norm, max, piece; /* where symsweep placed the values (layout) */
} norms_opts;

static const sym_setting settings[] = {
    {.name = "p", .type = SYM_SETTING_DOUBLE, .offset = offsetof(norms_opts, p), .lo = 1.0,
     .hi = NAN, .doc = "the exponent of the entry-wise norm, at least 1 (inf: the largest |w|)"},
};

static void init(void *opts) { ((norms_opts *)opts)->p = 2.0; }

/*
 * The datasets, declared for the largest grid point: symsweep places them in the run's values
 * and says where (sym_schema_at); each piece keeps one value that no dataset writes (the
 * layer's norm, folded by reduce).  symsweep writes the setting p itself, as the attribute p
 * of /probes/layer_norms.
 */
static int layout(void *opts, const sym_config *cfgs, int n_cfgs, sym_schema *s)
{
    norms_opts *o = opts;
    long long dims[1];

    for (int c = 0; c < n_cfgs; c++)
        if (cfgs[c].model.n_layers > o->layers)
            o->layers = cfgs[c].model.n_layers;
    dims[0] = o->layers;
    o->norm = sym_schema_at(sym_schema_measure(
        s, "/probes/layer_norms/norm", 1, dims,
        "entry-wise l_p norm of weight matrix l [run, l] (NaN past the run's layers)"));
    o->max = sym_schema_at(sym_schema_measure(
        s, "/runs/metrics/layer_norm_max", 0, NULL,
        "the largest entry-wise l_p norm of a weight matrix (layer_norms probe)"));
    o->piece = sym_schema_reserve(s, 1, 1);
    return 0;
}

static int n_pieces(const void *opts) { return ((const norms_opts *)opts)->layers; }

/* piece l: the norm of weight matrix l */
static int piece(const void *opts, const sym_probe_run *run, int l, double *out)
{
    const norms_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    size_t n;
    double *W, acc = 0.0;

    out += o->piece;
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

    double *norm = out + o->norm, *max = out + o->max;

    *max = pieces ? 0.0 : NAN;
    for (int l = 0; l < o->layers; l++) {
        norm[l] = pieces ? pieces[(size_t)l * stride + o->piece] : NAN;
        if (norm[l] > *max)
            *max = norm[l];
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
    .n_pieces = n_pieces,
    .piece = piece,
    .reduce = reduce,
    .task_work = task_work,
};

const sym_probe_def *sym_probe_plugin(void) { return &layer_norms; }
