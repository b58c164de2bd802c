/*
 * The conserved probe: follows each hidden layer's conserved quantity (sym_conserved_measure,
 * src/sym/conserved.c) over the curve points: gradient descent keeps it up to O(lr) per step.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.conserved ---- */

typedef struct cons_opts {
    int layers, points; /* largest over the grid */
    size_t drift_at, norm_at, total_at, step_at; /* where layout's datasets put the values */
} cons_opts;

static int cons_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    cons_opts *o = opts;
    long long lp[2];

    for (int c = 0; c < n; c++) {
        int npts = sym_train_n_points(&cfgs[c].train), h = cfgs[c].model.n_layers - 1;

        o->points = npts > o->points ? npts : o->points;
        o->layers = h > o->layers ? h : o->layers;
    }
    lp[0] = o->layers;
    lp[1] = o->points;
    o->drift_at = sym_schema_at(sym_schema_measure(
        s, "/probes/conserved/drift", 2, lp,
        "||Q_h(t) - Q_h(0)||_F at each curve point [run, hidden layer, point]: "
        "Q_h = W_{h+1}^T W_{h+1} - W_h W_h^T - b_h b_h^T for a linear hidden "
        "layer, per neuron ||incoming||^2 + b^2 - ||outgoing||^2 for relu and "
        "leaky_relu (conserved by gradient flow); NaN for other activations"));
    o->norm_at = sym_schema_at(sym_schema_measure(
        s, "/probes/conserved/norm", 2, lp,
        "||Q_h(t)||_F at each curve point [run, hidden layer, point] (weight "
        "decay lambda makes it decay as exp(-4 lambda lr steps) under gd)"));
    o->total_at = sym_schema_at(sym_schema_measure(
        s, "/runs/metrics/conserved_drift", 0, NULL,
        "max over hidden layers of ||Q_h(end) - Q_h(0)||_F / (||W_h||^2 + "
        "||b_h||^2 + ||W_{h+1}||^2 at the start): the total drift, relative "
        "(0 under exact gradient flow; O(lr) for gd)"));
    o->step_at = sym_schema_at(sym_schema_measure(
        s, "/runs/metrics/conserved_drift_per_step", 0, NULL,
        "max over hidden layers and curve intervals of the drift between "
        "consecutive curve points per optimizer step, relative as "
        "conserved_drift"));
    return 0;
}

/*
 * Per hidden layer h: ||Q_h(t) - Q_h(0)|| and ||Q_h(t)|| at each point; the
 * largest drift between consecutive points per optimizer step, relative to
 * the size of the two terms at the start, ||W_h||^2 + ||b_h||^2 + ||W_{h+1}||^2.
 */
typedef struct cons_state {
    const sym_model *m;
    int layers, points, steps; /* steps: optimizer steps between curve points */
    double *q0, *qprev, *qcur, *drift, *norm, *scale, per_step;
    size_t total_at, step_at; /* the headlines' places in the run's values */
    size_t off[SYM_MAX_LAYERS], size;
    int last;
} cons_state;

static double diff_norm(const double *a, const double *b, size_t n)
{
    double s = 0.0;

    for (size_t i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

static void cons_stop(void *state)
{
    cons_state *c = state;

    if (!c)
        return;
    free(c->q0);
    free(c->qprev);
    free(c->qcur);
    free(c->scale);
    free(c);
}

/* ||W_h||^2 + ||b_h||^2 + ||W_{h+1}||^2 */
static int layer_scale(double *out, const sym_model *m, const double *params, int h)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int ni = o->widths[h], nh = o->widths[h + 1], no = o->widths[h + 2], rc = 0;
    double s2 = 0.0, *W = NULL, *b = sym_model_bias(m, (double *)params, h);

    SYM_TRY(sym_alloc_doubles(&W, (size_t)nh * (ni > no ? ni : no)));
    sym_model_get_weight(m, params, h, W);
    for (int i = 0; i < nh * ni; i++)
        s2 += W[i] * W[i];
    sym_model_get_weight(m, params, h + 1, W);
    for (int i = 0; i < no * nh; i++)
        s2 += W[i] * W[i];
    for (int i = 0; b && i < nh; i++)
        s2 += b[i] * b[i];
    *out = s2;
cleanup:
    free(W);
    return rc;
}

static int cons_start(const void *opts, const sym_probe_run *run, double *out, void **state)
{
    const cons_opts *co = opts;
    const sym_model *m = run->model;
    const sym_model_opts *o = sym_model_get_opts(m);
    const sym_train_opts *t = &run->cfg->train;
    int rc = 0, n = run->data->n;
    int bs = (t->optimizer == SYM_OPT_GD || t->batch_size <= 0 || t->batch_size >= n) ? n : t->batch_size;
    cons_state *c = NULL;

    SYM_TRY(sym_alloc(&c, sizeof(*c)));
    memset(c, 0, sizeof(*c));
    c->m = m;
    c->layers = co->layers;
    c->points = co->points;
    c->steps = t->loss_every * ((n + bs - 1) / bs);
    c->drift = out + co->drift_at;
    c->norm = out + co->norm_at;
    c->total_at = co->total_at;
    c->step_at = co->step_at;
    c->last = -1;
    for (int h = 0; h + 1 < o->n_layers; h++) {
        c->off[h] = c->size;
        c->size += sym_conserved_size(m, h);
    }
    SYM_TRY(sym_alloc_doubles(&c->q0, c->size + 1));
    SYM_TRY(sym_alloc_doubles(&c->qprev, c->size + 1));
    SYM_TRY(sym_alloc_doubles(&c->qcur, c->size + 1));
    SYM_TRY(sym_alloc_doubles(&c->scale, SYM_MAX_LAYERS));
    for (int h = 0; h + 1 < o->n_layers; h++) {
        SYM_TRY(sym_conserved_measure(c->q0 + c->off[h], m, run->params, h));
        SYM_TRY(layer_scale(&c->scale[h], m, run->params, h));
    }
cleanup:
    if (rc) {
        cons_stop(c);
        c = NULL;
    }
    *state = c;
    return rc;
}

static int cons_point(void *state, int k, const double *params, const double *grad, double loss)
{
    cons_state *c = state;
    const sym_model_opts *o = sym_model_get_opts(c->m);
    int rc = 0;

    (void)grad;
    (void)loss;
    for (int h = 0; h + 1 < o->n_layers; h++) {
        size_t n = sym_conserved_size(c->m, h), at = (size_t)h * c->points + k;

        if (n == 0)
            continue;
        SYM_TRY(sym_conserved_measure(c->qcur + c->off[h], c->m, params, h));
        c->drift[at] = diff_norm(c->qcur + c->off[h], c->q0 + c->off[h], n);
        c->norm[at] = sym_norm2(c->qcur + c->off[h], n);
        if (c->last >= 0 && c->scale[h] > 0.0)
            c->per_step = fmax(c->per_step, diff_norm(c->qcur + c->off[h], c->qprev + c->off[h], n) /
                                                (c->scale[h] * (double)c->steps * (k - c->last)));
    }
    memcpy(c->qprev, c->qcur, sizeof(double) * c->size);
    c->last = k;
cleanup:
    return rc;
}

/* the headline numbers at the final parameters: total relative drift, the largest per step */
static int cons_finish(void *state, const sym_probe_run *run, double *out)
{
    cons_state *c = state;
    const sym_model_opts *o = sym_model_get_opts(c->m);
    const sym_train_opts *t = &run->cfg->train;
    /* the last curve point follows the last epoch: the trainer's hook does not see it */
    int last = sym_train_n_points(t) - 1, fresh = 0, rc = 0, any = 0;
    double worst = 0.0;

    if (run->status == SYM_RUN_DONE && t->epochs % t->loss_every == 0 && last > c->last) {
        SYM_TRY(cons_point(c, last, run->params, NULL, 0.0));
        fresh = 1; /* qcur holds Q at the final parameters */
    }
    for (int h = 0; h + 1 < o->n_layers; h++) {
        size_t n = sym_conserved_size(c->m, h);

        if (n == 0 || !(c->scale[h] > 0.0))
            continue;
        if (!fresh)
            SYM_TRY(sym_conserved_measure(c->qcur + c->off[h], c->m, run->params, h));
        worst = fmax(worst, diff_norm(c->qcur + c->off[h], c->q0 + c->off[h], n) / c->scale[h]);
        any = 1;
    }
    out[c->total_at] = any ? worst : NAN;
    out[c->step_at] = any && c->last > 0 ? c->per_step : NAN;
cleanup:
    return rc;
}

static int cons_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    return sym_chain_check(cfg, msg);
}

const sym_probe_def sym_probe_conserved = {
    SYM_PROBE_DEF_INIT,
    .name = "conserved",
    .doc = "the quantity each hidden layer's symmetry conserves under gradient flow, at every "
           "curve point: its drift under the optimizer",
    .opts_size = sizeof(cons_opts),
    .check = cons_check,
    .layout = cons_layout,
    .start = cons_start,
    .point = cons_point,
    .finish = cons_finish,
    .stop = cons_stop,
};
