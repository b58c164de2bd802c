/*
 * The training loop: epochs of steps, the loss curve, divergence.  What a step does is the
 * composition of the parts (train_impl.h, train_parts.c) the options choose: full batch or
 * minibatches, proximal, FISTA, the gradient filter, the optimizer, the curve-point hook.
 */
#include "train_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sym_train_n_points(const sym_train_opts *o)
{
    /* epochs 0, k, 2k, ... up to the last multiple of k: one epoch scale for
     * every run of a sweep, whatever its number of epochs (the objective at
     * the last epoch is in sym_train_out.final in any case) */
    return o->epochs / o->loss_every + 1;
}

int sym_train_point_epoch(const sym_train_opts *o, int i) { return i * o->loss_every; }

#define TRAIN_MAX_PARTS 16

/* the parts the options chose, in the table's order, with their states */
typedef struct train_chain {
    int n;
    const train_part *part[TRAIN_MAX_PARTS];
    void *state[TRAIN_MAX_PARTS];
} train_chain;

typedef enum hook_kind {
    HOOK_EPOCH, HOOK_MOVED, HOOK_BEFORE_GRADIENT, HOOK_GRADIENT, HOOK_AFTER_GRADIENT, HOOK_STEP,
    HOOK_AFTER_STEP
} hook_kind;

/* one kind of hook over the chain, in order; the first non-zero result stops the rest (an
 * error passes through as the hook made it: a callback's error is the caller's to frame) */
static int run_hooks(const train_chain *c, train_loop *t, hook_kind h, int arg)
{
    int rc = 0;

    for (int i = 0; i < c->n && rc == 0; i++) {
        const train_part *p = c->part[i];
        void *st = c->state[i];

        switch (h) {
        case HOOK_EPOCH: rc = p->epoch ? p->epoch(t, st, arg) : 0; break;
        case HOOK_MOVED: rc = p->moved ? p->moved(t, st) : 0; break;
        case HOOK_BEFORE_GRADIENT: rc = p->before_gradient ? p->before_gradient(t, st) : 0; break;
        case HOOK_GRADIENT: rc = p->gradient ? p->gradient(t, st, arg) : 0; break;
        case HOOK_AFTER_GRADIENT: rc = p->after_gradient ? p->after_gradient(t, st) : 0; break;
        case HOOK_STEP: rc = p->step ? p->step(t, st) : 0; break;
        case HOOK_AFTER_STEP: rc = p->after_step ? p->after_step(t, st) : 0; break;
        }
    }
    return rc;
}

/* a curve point: every point hook sees it (in order), then the moved hooks if one moved */
static int curve_point(const train_chain *c, train_loop *t, int k)
{
    int rc = 0, moved = 0;

    for (int i = 0; i < c->n; i++)
        if (c->part[i]->point) {
            if ((rc = c->part[i]->point(t, c->state[i], k)) < 0)
                return rc;
            moved |= rc == TRAIN_MOVED;
        }
    return moved ? run_hooks(c, t, HOOK_MOVED, 0) : 0;
}

/* one epoch: its start, its curve point (every loss_every epochs), its steps (none: the
 * probe-only run of epochs 0, whose one curve point the hooks see all the same) */
static int epoch(const train_chain *c, train_loop *t, int ep, double *curve, int steps)
{
    int rc = 0, every = t->o->loss_every;

    t->objective_done = t->grad_at_params = 0;
    if ((rc = run_hooks(c, t, HOOK_EPOCH, ep)) != 0)
        return rc;
    if (ep % every == 0) {
        if (!t->objective_done) {
            SYM_TRY(sym_eval_data_loss(t->ev, &t->lp, NULL, t->params, &t->bd));
            if (!isfinite(t->lp.total))
                return TRAIN_DIVERGED;
        }
        curve[ep / every] = t->lp.total;
        if ((rc = curve_point(c, t, ep / every)) < 0)
            return rc;
    }
    for (int first = 0; steps && first < t->n; first += t->bs) {
        static const hook_kind step[] = {HOOK_BEFORE_GRADIENT, HOOK_GRADIENT,
                                         HOOK_AFTER_GRADIENT, HOOK_STEP, HOOK_AFTER_STEP};

        for (size_t h = 0; h < sizeof step / sizeof *step; h++)
            if ((rc = run_hooks(c, t, step[h], first)) != 0)
                return rc;
    }
cleanup:
    return rc;
}

/* the parts the options want, each with its zeroed state, begun in order */
static int chain_begin(train_chain *c, train_loop *t)
{
    int rc = 0;

    for (int i = 0; i < sym_train_n_parts; i++) {
        const train_part *p = sym_train_parts[i];

        if (p->wanted && !p->wanted(t))
            continue;
        SYM_ASSERT(c->n < TRAIN_MAX_PARTS);
        c->part[c->n] = p;
        c->state[c->n] = NULL;
        if (p->size) /* zeroed */
            SYM_TRY(sym_alloc(&c->state[c->n], p->size));
        c->n++;
        if (p->begin)
            SYM_TRY(p->begin(t, c->state[c->n - 1]));
    }
cleanup:
    return rc;
}

static void chain_end(train_chain *c, train_loop *t)
{
    for (int i = c->n - 1; i >= 0; i--) {
        if (c->part[i]->end)
            c->part[i]->end(t, c->state[i]);
        free(c->state[i]);
    }
    c->n = 0;
}

int sym_train(sym_train_out *out, double *curve, double *params, const sym_model *m,
              const sym_reg *reg, const sym_train_opts *o, const sym_data *d, sym_rng *shuffle)
{
    train_loop t = {0};
    train_chain c = {0};
    const sym_model_opts *mo = sym_model_get_opts(m);
    int rc = 0, n = d->n, E = o->epochs, every = o->loss_every, npts = sym_train_n_points(o);

    /* epochs 0: no step; the curve's one point and the final objective are those of params */
    if (E < 0 || every < 1)
        SYM_FAIL(SYM_EINVAL, "epochs %d must be >= 0 and loss_every %d >= 1", E, every);
    if (d->d_in != mo->widths[0] || d->d_out != mo->widths[mo->n_layers])
        SYM_FAIL(SYM_EINVAL, "data is %d -> %d but the model is %d -> %d", d->d_in, d->d_out,
                 mo->widths[0], mo->widths[mo->n_layers]);
    t.m = m;
    t.reg = reg;
    t.o = o;
    t.d = d;
    t.shuffle = shuffle;
    t.np = sym_model_n_params(m);
    t.n = n;
    t.bs = (o->optimizer == SYM_OPT_GD || o->batch_size <= 0 || o->batch_size >= n)
               ? n : o->batch_size;
    t.params = params;
    /* everything the loop touches is allocated here, once (the parts in their begin) */
    SYM_TRY(sym_eval_create(&t.ev, m, reg, n));
    t.gev = t.ev;
    SYM_TRY(sym_alloc_doubles(&t.grad, t.np));
    SYM_TRY(sym_alloc_doubles(&t.prev, t.np));
    /* the data laid out once for the evaluator (sym_eval_data: feature-major, rows
     * sym_batch_ld apart, block by block; an autoencoder's targets share its inputs'
     * copy), so that no step transposes them; beyond SYM_TRAIN_COPY_MAX bytes the
     * evaluator transposes a block at a time from the rows, and the data are held once */
    SYM_TRY(sym_eval_data_init(&t.bd, t.ev, d));
    if (o->moments == SYM_MOMENTS_ON && t.bs < n)
        SYM_FAIL(SYM_EINVAL, "train.moments: on evaluates full-batch steps; this run takes "
                 "minibatches of %d", t.bs);
    if (o->moments == SYM_MOMENTS_ON ||
        (o->moments == SYM_MOMENTS_AUTO && t.bs == n && sym_moments_apply(m, reg, NULL, 0) &&
         sym_moments_cheaper(m, n)))
        SYM_TRY(sym_eval_data_moments(&t.bd, t.ev));
    SYM_TRY(chain_begin(&c, &t));
    for (int i = 0; i < npts; i++)
        curve[i] = NAN;
    memcpy(t.prev, params, t.np * sizeof(double));
    out->status = SYM_RUN_DONE;
    out->epochs_done = 0;

    for (int ep = 0; ep < (E > 0 ? E : 1); ep++) {
        if ((rc = epoch(&c, &t, ep, curve, E > 0)) < 0)
            goto cleanup;
        if (rc == TRAIN_DIVERGED)
            goto diverged;
        out->epochs_done = E > 0 ? ep + 1 : 0;
    }
    SYM_TRY(sym_eval_data_loss(t.ev, &t.lp, NULL, params, &t.bd));
    if (!isfinite(t.lp.total))
        goto diverged;
    if (E % every == 0)
        curve[npts - 1] = t.lp.total;
    out->final = t.lp;
    goto cleanup;

diverged:
    /* keep the last parameters whose objective was finite */
    rc = 0;
    out->status = SYM_RUN_DIVERGED;
    memcpy(params, t.prev, t.np * sizeof(double));
    SYM_TRY(sym_eval_data_loss(t.ev, &t.lp, NULL, params, &t.bd));
    out->final = t.lp;
cleanup:
    chain_end(&c, &t);
    sym_eval_free(t.ev);
    free(t.grad);
    free(t.prev);
    sym_eval_data_dispose(&t.bd);
    return rc;
}
