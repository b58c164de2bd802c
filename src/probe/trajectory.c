/*
 * Weight trajectories: the parameters every K epochs of training (epoch 0,
 * K, 2K, ... up to the last), tensor by tensor, so that how a run moves
 * along and across orbits can be studied after the fact.  Snapshots are
 * taken at the curve points (record.loss_every), so K is a multiple of it;
 * the last epoch is kept when it is one of them.  A sweep whose grid points
 * differ in shape stores each tensor at its largest shape, NaN-padded, as
 * /runs/weights does.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct traj_opts {
    int every;
    int snaps;      /* most snapshots of any grid point */
    int n_tensors;
    sym_tensor t[SYM_MAX_TENSORS]; /* the union over the grid; offset: [snapshots x rows x cols] in the slice */
    double *epoch;  /* the snapshot axis (owned) */
} traj_opts;

static const sym_setting traj_settings[] = {
    {.name = "every", .type = SYM_SETTING_INT, .offset = offsetof(traj_opts, every), .lo = 1,
     .hi = 1000000000, .doc = "epochs between snapshots (a multiple of record.loss_every)"},
};

static void traj_init(void *opts) { ((traj_opts *)opts)->every = 100; }

static int traj_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const traj_opts *o = opts;

    if (o->every % cfg->train.loss_every != 0)
        return SYM_PROBE_MSG(msg, "every", "expected a multiple of record.loss_every (%d): snapshots "
                             "are taken at the curve points, found %d", cfg->train.loss_every, o->every);
    return 0;
}

static int snaps_of(const traj_opts *o, const sym_train_opts *t) { return t->epochs / o->every + 1; }

static void traj_dispose(void *opts) { free(((traj_opts *)opts)->epoch); }

/* one dataset per tensor of the union over the grid: [snapshots x rows x cols]; its offset
 * (t[k].offset) is where the host placed it in the slice */
static int traj_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    traj_opts *o = opts;
    const char *ax = "/probes/trajectory/epoch";

    o->n_tensors = 0;
    for (int c = 0; c < n; c++) {
        sym_model *m = NULL;

        o->snaps = snaps_of(o, &cfgs[c].train) > o->snaps ? snaps_of(o, &cfgs[c].train) : o->snaps;
        if (sym_model_create(&m, &cfgs[c].model) == 0)
            sym_tensor_union(o->t, &o->n_tensors, SYM_MAX_TENSORS, m);
        sym_model_free(m);
    }
    free(o->epoch);
    o->epoch = NULL;
    if (sym_alloc_doubles(&o->epoch, (size_t)o->snaps) != 0)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for the trajectory axis");
    for (int k = 0; k < o->snaps; k++)
        o->epoch[k] = (double)k * o->every;
    sym_schema_axis(s, ax, SYM_SCHEMA_I64, o->snaps, o->epoch,
                    "epoch of each snapshot: 0, every, 2 every, ... (dimension scale)");
    for (int k = 0; k < o->n_tensors; k++) {
        sym_tensor *t = &o->t[k];
        long long d3[3] = {o->snaps, t->rows, t->cols};
        char path[SYM_SCHEMA_PATH];
        sym_schema_dataset *d;

        snprintf(path, sizeof(path), "/probes/trajectory/%s", t->name);
        d = sym_schema_measure(s, path, t->cols == 1 ? 2 : 3, d3,
                               "%s %s every %d epochs [run, snapshot, %d x %d], "
                               "row-major; NaN past a run's last epoch or shape",
                               t->cols == 1 ? "bias" : "weight", t->name, o->every, t->rows, t->cols);
        t->offset = sym_schema_at(d);
        sym_schema_scale(d, 1, ax, "epoch");
    }
    return 0;
}

typedef struct traj_state {
    const traj_opts *o;
    const sym_model *m;
    double *out;
    int per_snap; /* curve points between snapshots */
    int last;     /* the last snapshot taken */
} traj_state;

/* parameters @p params as snapshot @p s */
static void snap(traj_state *st, int s, const double *params)
{
    for (int i = 0; i < sym_model_n_tensors(st->m); i++) {
        const sym_tensor *t = sym_model_tensor(st->m, i);
        const sym_tensor *slot = NULL;

        for (int k = 0; k < st->o->n_tensors && !slot; k++)
            if (strcmp(st->o->t[k].name, t->name) == 0)
                slot = &st->o->t[k];
        if (!slot || s >= st->o->snaps)
            continue;
        for (int r = 0; r < t->rows; r++)
            memcpy(st->out + slot->offset + ((size_t)s * slot->rows + r) * slot->cols,
                   params + t->offset + (size_t)r * t->cols, sizeof(double) * (size_t)t->cols);
    }
    st->last = s;
}

static int traj_start(const void *opts, const sym_probe_run *run, double *out, void **state)
{
    const traj_opts *o = opts;
    traj_state *st = NULL;
    int rc = 0;

    SYM_TRY(sym_alloc(&st, sizeof(*st)));
    st->o = o;
    st->m = run->model;
    st->out = out;
    st->per_snap = o->every / run->cfg->train.loss_every;
    st->last = -1;
cleanup:
    *state = st;
    return rc;
}

static int traj_point(void *state, int k, const double *params, const double *grad, double loss)
{
    traj_state *st = state;

    (void)grad;
    (void)loss;
    if (k % st->per_snap == 0)
        snap(st, k / st->per_snap, params);
    return 0;
}

static int traj_finish(void *state, const sym_probe_run *run, double *out)
{
    traj_state *st = state;
    const sym_train_opts *t = &run->cfg->train;

    (void)out;
    /* the last epoch follows the trainer's last hook: keep it when it is a snapshot epoch */
    if (run->status == SYM_RUN_DONE && t->epochs % st->o->every == 0 && t->epochs / st->o->every > st->last)
        snap(st, t->epochs / st->o->every, run->params);
    return 0;
}

static void traj_stop(void *state) { free(state); }

const sym_probe_def sym_probe_trajectory = {
    SYM_PROBE_DEF_INIT,
    .name = "trajectory",
    .doc = "the parameters every K epochs of training, tensor by tensor (weight trajectories)",
    .opts_size = sizeof(traj_opts),
    .settings = traj_settings,
    .n_settings = sizeof traj_settings / sizeof *traj_settings,
    .init = traj_init,
    .check = traj_check,
    .layout = traj_layout,
    .dispose = traj_dispose,
    .start = traj_start,
    .point = traj_point,
    .finish = traj_finish,
    .stop = traj_stop,
};
