/*
 * The teleport probe: at chosen curve points, moves the parameters by sym_teleport
 * (src/sym/teleport.c, symmetry teleportation) and records what each teleport gained.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.teleport ---- */

enum { TP_COUNT, TP_GAIN, TP_GAIN_MIN, TP_GAIN_MAX, TP_DRIFT, TP_N };

static const char *const objective_names[] = {"max", "min"};

typedef struct tp_opts {
    int every, steps, objective;
    double step;
    size_t at[TP_N]; /* where layout's datasets put the values (the host places them) */
} tp_opts;

static const sym_setting tp_settings[] = {
    {.name = "every", .type = SYM_SETTING_INT, .offset = offsetof(tp_opts, every), .lo = 1,
     .hi = 1000000000, .doc = "teleport at the curve points whose epoch is a multiple of this "
                              "(a multiple of record.loss_every; not at epoch 0)"},
    {.name = "steps", .type = SYM_SETTING_INT, .offset = offsetof(tp_opts, steps), .lo = 1,
     .hi = 10000, .doc = "steps along the orbit per teleport"},
    {.name = "step", .type = SYM_SETTING_DOUBLE, .offset = offsetof(tp_opts, step), .lo = 0.0,
     .lo_open = 1, .hi = 10.0, .doc = "Frobenius norm of each step's algebra element A (exp(A))"},
    {.name = "objective", .type = SYM_SETTING_ENUM, .offset = offsetof(tp_opts, objective),
     .names = objective_names, .n_names = 2,
     .doc = "max: to larger gradient norm (faster descent next), min: to smaller"},
};

static void tp_init(void *opts)
{
    tp_opts *o = opts;

    o->every = 100;
    o->steps = 10;
    o->step = 0.05;
    o->objective = 0;
}

static int tp_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const tp_opts *o = opts;
    sym_model *m = NULL;
    int alg[SYM_MAX_LAYERS], dim = 0, rc;

    if (sym_hvp_check(cfg, msg) || sym_chain_check(cfg, msg))
        return SYM_EJOB; /* the complaint is in msg */
    if (o->every % cfg->train.loss_every != 0)
        return SYM_PROBE_MSG(msg, "every", "teleports happen at curve points: expected a multiple "
                             "of record.loss_every (%d), found %d", cfg->train.loss_every, o->every);
    if (cfg->model.tied)
        return SYM_PROBE_MSG(msg, "", "a tied autoencoder's orbit is not the layer action "
                             "teleportation moves along; use tied: false");
    if (cfg->train.layerwise && cfg->model.n_encoder > 1)
        return SYM_PROBE_MSG(msg, "", "train.layerwise trains one stage at a time: teleporting the "
                             "whole network between its stages is not defined; train end to end");
    rc = sym_model_create(&m, &cfg->model);
    if (rc == 0 && sym_symmetry_algebras(alg, m, &cfg->reg) == 0)
        dim = sym_symmetry_dim(m, alg);
    sym_model_free(m);
    if (rc == 0 && dim == 0)
        return SYM_PROBE_MSG(msg, "", "the objective has no continuous symmetry for this model "
                             "(activation %s, regularizer %s): nothing to teleport along",
                             sym_act_names[cfg->model.act[0]], sym_reg_name(cfg->reg.kind));
    return 0;
}

static int tp_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    static const char *const m[TP_N][2] = {
        {"teleport_count", "teleports during training"},
        {"teleport_grad_gain", "geometric mean over teleports of ||grad|| after / before (> 1 "
                               "with objective max)"},
        {"teleport_grad_gain_min", "smallest ||grad|| after / before of one teleport"},
        {"teleport_grad_gain_max", "largest ||grad|| after / before of one teleport"},
        {"teleport_loss_drift", "largest relative change of the objective over one teleport "
                                "(rounding: the orbit keeps it)"}};
    char path[SYM_SCHEMA_PATH];
    tp_opts *o = opts;

    (void)cfgs;
    (void)n;
    for (int k = 0; k < TP_N; k++) {
        snprintf(path, sizeof(path), "/runs/metrics/%s", m[k][0]);
        sym_schema_dataset *d = sym_schema_measure(s, path, 0, NULL, "%s", m[k][1]);

        o->at[k] = sym_schema_at(k == TP_COUNT ? sym_schema_int(d) : d);
    }
    return 0;
}

typedef struct tp_state {
    const tp_opts *o;
    const sym_model *m;
    const sym_reg *reg;
    const sym_data *d;
    const sym_train_opts *train;
    double *x[TP_N]; /* the values in the run's measures */
    double log_gain;
} tp_state;

static int tp_start(const void *opts, const sym_probe_run *run, double *out, void **state)
{
    tp_state *t = NULL;
    int rc = 0;

    SYM_TRY(sym_alloc(&t, sizeof(*t)));
    memset(t, 0, sizeof(*t));
    t->o = opts;
    t->m = run->model;
    t->reg = &run->cfg->reg;
    t->d = run->data;
    t->train = &run->cfg->train;
    for (int q = 0; q < TP_N; q++)
        t->x[q] = out + t->o->at[q];
    *t->x[TP_COUNT] = 0;
    *t->x[TP_GAIN] = *t->x[TP_GAIN_MIN] = *t->x[TP_GAIN_MAX] = *t->x[TP_DRIFT] = NAN;
cleanup:
    *state = t;
    return rc;
}

static int tp_move(void *state, int k, double *params)
{
    tp_state *t = state;
    int epoch = sym_train_point_epoch(t->train, k), rc = 0;
    double *const *x = t->x, gain;
    sym_teleport_stats st;

    if (epoch == 0 || epoch % t->o->every != 0 || epoch >= t->train->epochs)
        return 0;
    SYM_TRY(sym_teleport(&st, params, t->m, t->reg, t->d, t->o->steps, t->o->step,
                         t->o->objective == 0));
    gain = st.grad_after / fmax(st.grad_before, 1e-300);
    *x[TP_COUNT] += 1;
    t->log_gain += log(gain);
    *x[TP_GAIN] = exp(t->log_gain / *x[TP_COUNT]);
    *x[TP_GAIN_MIN] = *x[TP_COUNT] == 1 ? gain : fmin(*x[TP_GAIN_MIN], gain);
    *x[TP_GAIN_MAX] = *x[TP_COUNT] == 1 ? gain : fmax(*x[TP_GAIN_MAX], gain);
    *x[TP_DRIFT] = *x[TP_COUNT] == 1 ? st.loss_change : fmax(*x[TP_DRIFT], st.loss_change);
    rc = 1;
cleanup:
    return rc;
}

static void tp_stop(void *state) { free(state); }

const sym_probe_def sym_probe_teleport = {
    SYM_PROBE_DEF_INIT,
    .name = "teleport",
    .doc = "symmetry teleportation: at chosen epochs, move along the orbit to larger (or smaller) "
           "gradient norm at the same objective, and train on from there",
    .opts_size = sizeof(tp_opts),
    .settings = tp_settings,
    .n_settings = sizeof tp_settings / sizeof *tp_settings,
    .init = tp_init,
    .check = tp_check,
    .layout = tp_layout,
    .start = tp_start,
    .stop = tp_stop,
    .move = tp_move,
};
