/*
 * The parts of the training loop (train_impl.h): where the gradient comes from (the full data
 * or minibatches), the proximal step, FISTA's extrapolation, the gradient filter (the orbit
 * projection), the optimizer's step and the curve-point hook (the probes, teleportation).
 */
#include "train_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- full batch: one step per epoch on all the data ---- */

static int full_batch_wanted(const train_loop *t) { return t->bs == t->n; }

/* the objective's gradient is the step's (not proximal): one evaluation gives the epoch's
 * objective, the point hook's gradient and the step's */
static int full_batch_shared(const train_loop *t) { return t->gev == t->ev; }

static int full_batch_epoch(train_loop *t, void *st, int ep)
{
    int rc = 0;

    (void)st;
    (void)ep;
    if (!full_batch_shared(t))
        return 0; /* proximal: the objective at the curve points only */
    SYM_TRY(sym_eval_data_loss(t->ev, &t->lp, t->grad, t->params, &t->bd));
    if (!isfinite(t->lp.total))
        return TRAIN_DIVERGED;
    t->objective_done = t->grad_at_params = 1;
cleanup:
    return rc;
}

/* moved along a symmetry: the step starts from there */
static int full_batch_moved(train_loop *t, void *st)
{
    int rc = 0;

    (void)st;
    if (full_batch_shared(t))
        SYM_TRY(sym_eval_data_loss(t->ev, &t->lp, t->grad, t->params, &t->bd));
cleanup:
    return rc;
}

/* the checkpoint: the parameters the step starts from, before any part moves them */
static int full_batch_checkpoint(train_loop *t, void *st)
{
    (void)st;
    memcpy(t->prev, t->params, t->np * sizeof(double));
    return 0;
}

static int full_batch_gradient(train_loop *t, void *st, int first)
{
    sym_loss_parts dl;
    int rc = 0;

    (void)st;
    (void)first;
    if (full_batch_shared(t))
        return 0; /* taken at the epoch's start */
    SYM_TRY(sym_eval_data_loss(t->gev, &dl, t->grad, t->params, &t->bd));
    if (!isfinite(dl.total))
        return TRAIN_DIVERGED;
cleanup:
    return rc;
}

static const train_part full_batch = {
    .name = "full_batch",
    .wanted = full_batch_wanted,
    .epoch = full_batch_epoch,
    .moved = full_batch_moved,
    .before_gradient = full_batch_checkpoint,
    .gradient = full_batch_gradient,
};

/* ---- minibatches: a permutation of the samples per epoch, bs samples per step ---- */

typedef struct minibatch {
    double *Xb, *Yb;        /* the batch, feature-major, rows sym_batch_ld(nb) apart */
    const double *XT, *YT;  /* the transposed data batches gather from (NULL: from the rows) */
    int *perm;
} minibatch;

static int minibatch_wanted(const train_loop *t) { return t->bs < t->n; }

static int minibatch_begin(train_loop *t, void *st)
{
    minibatch *b = st;
    int rc = 0;

    /* one block of the evaluator's data (n <= SYM_EVAL_BLOCK) is the transposed data */
    b->XT = t->n <= SYM_EVAL_BLOCK ? t->bd.XB : NULL;
    b->YT = t->n <= SYM_EVAL_BLOCK ? t->bd.YB : NULL;
    SYM_TRY(sym_alloc_doubles(&b->Xb, (size_t)sym_batch_ld(t->bs) * t->d->d_in));
    SYM_TRY(sym_alloc_doubles(&b->Yb, (size_t)sym_batch_ld(t->bs) * t->d->d_out));
    SYM_TRY(sym_alloc(&b->perm, sizeof(int) * (size_t)t->n));
    for (int i = 0; i < t->n; i++)
        b->perm[i] = i;
cleanup:
    return rc;
}

/*
 * A minibatch straight into feature-major out [dim x nb] (rows ldb apart):
 * the samples idx[0..nb) from the transposed data T (rows ld apart), or from
 * the row-major data when it is not transposed (T NULL).  Copies only: the
 * same values either way.
 */
static void gather(double *out, int ldb, const double *T, int ld, const double *rows, int dim,
                   const int *idx, int nb)
{
    if (T) {
        for (int f = 0; f < dim; f++)
            for (int i = 0; i < nb; i++)
                out[(size_t)f * ldb + i] = T[(size_t)f * ld + idx[i]];
    } else {
        for (int i = 0; i < nb; i++)
            for (int f = 0; f < dim; f++)
                out[(size_t)f * ldb + i] = rows[(size_t)idx[i] * dim + f];
    }
}

/* the batch's loss and gradient; the checkpoint once that loss is finite (the last
 * parameters whose objective was finite: a minibatch step has no full-data objective) */
static int minibatch_gradient(train_loop *t, void *st, int first)
{
    minibatch *b = st;
    int rc = 0, n = t->n, nb = n - first < t->bs ? n - first : t->bs, ldb = sym_batch_ld(nb);
    int ld = sym_batch_ld(n);

    if (first == 0) /* Fisher-Yates over the sample indices: one permutation per epoch */
        for (int i = n - 1; i > 0; i--) {
            int j = (int)sym_rng_below(t->shuffle, (uint32_t)i + 1), s = b->perm[i];

            b->perm[i] = b->perm[j];
            b->perm[j] = s;
        }
    gather(b->Xb, ldb, b->XT, ld, t->d->X, t->d->d_in, b->perm + first, nb);
    gather(b->Yb, ldb, b->YT, ld, t->d->Y, t->d->d_out, b->perm + first, nb);
    SYM_TRY(sym_eval_loss_t(t->gev, &t->lp, t->grad, t->params, b->Xb, b->Yb, nb));
    if (!isfinite(t->lp.total))
        return TRAIN_DIVERGED;
    memcpy(t->prev, t->params, t->np * sizeof(double));
cleanup:
    return rc;
}

static void minibatch_end(train_loop *t, void *st)
{
    minibatch *b = st;

    (void)t;
    free(b->Xb);
    free(b->Yb);
    free(b->perm);
}

static const train_part minibatches = {
    .name = "minibatch",
    .size = sizeof(minibatch),
    .wanted = minibatch_wanted,
    .begin = minibatch_begin,
    .gradient = minibatch_gradient,
    .end = minibatch_end,
};

/* ---- proximal: the step follows the data loss's gradient, then the penalty's prox ---- */

typedef struct proximal {
    sym_eval *es; /* the data loss alone */
    double *lam;  /* the penalty weight of every parameter */
} proximal;

static int proximal_wanted(const train_loop *t) { return t->o->proximal != SYM_PROX_OFF; }

/* the penalty weight of every parameter: lambda of each layer on its (owner's) weights, 0 on biases */
static void penalty_weights(double *lam, const sym_model *m, const sym_reg *reg)
{
    const sym_model_opts *o = &m->o;

    memset(lam, 0, sizeof(double) * m->n_params);
    for (int l = 0; l < o->n_layers; l++) {
        double w = l < o->n_encoder ? reg->lambda_encoder : reg->lambda_decoder;
        size_t n = (size_t)o->widths[l] * o->widths[l + 1];

        if (!sym_model_penalized(m, l))
            continue; /* ista's layer 1 is layer 0's W: the penalty counts it once */
        for (size_t i = 0; i < n; i++) /* a tied layer adds to its owner's, as the penalty does */
            lam[m->w_off[l] + i] += w;
    }
}

static int proximal_begin(train_loop *t, void *st)
{
    proximal *p = st;
    sym_reg none = SYM_REG_INIT;
    int rc = 0;

    if (!sym_prox_supported(t->reg))
        SYM_FAIL(SYM_EINVAL, "proximal training handles the regularizers none, l1 and frobenius, "
                 "not %s", sym_reg_name(t->reg->kind));
    SYM_TRY(sym_eval_create(&p->es, t->m, &none, t->n));
    SYM_TRY(sym_alloc_doubles(&p->lam, t->np));
    penalty_weights(p->lam, t->m, t->reg);
    t->gev = p->es;
cleanup:
    return rc;
}

static int proximal_prox(train_loop *t, void *st)
{
    proximal *p = st;

    sym_opt_prox(&t->opt, t->params, p->lam, t->reg->kind);
    return 0;
}

static void proximal_end(train_loop *t, void *st)
{
    proximal *p = st;

    (void)t;
    sym_eval_free(p->es);
    free(p->lam);
}

static const train_part proximal_step = {
    .name = "proximal",
    .size = sizeof(proximal),
    .wanted = proximal_wanted,
    .begin = proximal_begin,
    .after_step = proximal_prox,
    .end = proximal_end,
};

/* ---- FISTA: the step starts from the extrapolated point y (Beck and Teboulle) ---- */

typedef struct fista {
    double *y, *xprev;
    double t; /* t_{k-1} */
} fista;

static int fista_wanted(const train_loop *t) { return t->o->proximal == SYM_PROX_FISTA; }

static int fista_begin(train_loop *t, void *st)
{
    fista *f = st;
    int rc = 0;

    if (t->o->optimizer != SYM_OPT_GD)
        SYM_FAIL(SYM_EINVAL, "FISTA extrapolates full-batch gradient steps: optimizer gd");
    SYM_TRY(sym_alloc_doubles(&f->y, t->np));
    SYM_TRY(sym_alloc_doubles(&f->xprev, t->np));
    memcpy(f->xprev, t->params, t->np * sizeof(double));
    f->t = 1.0;
cleanup:
    return rc;
}

/* moved along a symmetry: the extrapolation restarts there */
static int fista_moved(train_loop *t, void *st)
{
    fista *f = st;

    memcpy(f->xprev, t->params, t->np * sizeof(double));
    f->t = 1.0;
    return 0;
}

/* y = x + (t_{k-1} - 1) / t_k (x - x_prev) */
static int fista_extrapolate(train_loop *t, void *st)
{
    fista *f = st;
    double t_next = 0.5 * (1.0 + sqrt(1.0 + 4.0 * f->t * f->t));

    for (size_t i = 0; i < t->np; i++)
        f->y[i] = t->params[i] + (f->t - 1.0) / t_next * (t->params[i] - f->xprev[i]);
    memcpy(f->xprev, t->params, t->np * sizeof(double));
    memcpy(t->params, f->y, t->np * sizeof(double));
    f->t = t_next;
    return 0;
}

static void fista_end(train_loop *t, void *st)
{
    fista *f = st;

    (void)t;
    free(f->y);
    free(f->xprev);
}

static const train_part fista_extrapolation = {
    .name = "fista",
    .size = sizeof(fista),
    .wanted = fista_wanted,
    .begin = fista_begin,
    .moved = fista_moved,
    .before_gradient = fista_extrapolate,
    .end = fista_end,
};

/* ---- the gradient filter (train.project_orbit: the sweep's orbit projection) ---- */

static int filter_wanted(const train_loop *t) { return t->o->grad_filter != NULL; }

/* with the parameters the gradient was taken at; its error passes through as it is */
static int filter_gradient(train_loop *t, void *st)
{
    int rc = t->o->grad_filter(t->o->filter_ctx, t->params, t->grad);

    (void)st;
    return rc < 0 ? rc : 0;
}

static const train_part gradient_filter = {
    .name = "grad_filter",
    .wanted = filter_wanted,
    .after_gradient = filter_gradient,
};

/* ---- the learning-rate schedule: the rate of each epoch (sym_train_lr) ---- */

static int schedule_wanted(const train_loop *t)
{
    return t->o->schedule != SYM_SCHED_CONSTANT || t->o->warmup > 0;
}

/* the optimizer's state exists (its begin ran): its rate, for the epoch's steps and the
 * proximal map, which reads the same t->opt.lr */
static int schedule_epoch(train_loop *t, void *st, int ep)
{
    (void)st;
    t->opt.lr = sym_train_lr(t->o, ep);
    return 0;
}

static const train_part lr_schedule = {
    .name = "schedule",
    .wanted = schedule_wanted,
    .epoch = schedule_epoch,
};

/* ---- gradient clipping by global norm (torch.nn.utils.clip_grad_norm_) ---- */

static int clip_wanted(const train_loop *t) { return t->o->clip_norm > 0.0; }

/* g *= max / (||g|| + 1e-6) when that factor is below 1, as torch does */
static int clip_gradient(train_loop *t, void *st)
{
    double s = 0.0, coef;

    (void)st;
    for (size_t i = 0; i < t->np; i++)
        s += t->grad[i] * t->grad[i];
    coef = t->o->clip_norm / (sqrt(s) + 1e-6);
    if (coef < 1.0)
        for (size_t i = 0; i < t->np; i++)
            t->grad[i] *= coef;
    return 0;
}

static const train_part clipping = {
    .name = "clip",
    .wanted = clip_wanted,
    .after_gradient = clip_gradient,
};

/* ---- decoupled weight decay (torch.optim.AdamW): theta *= 1 - lr wd, then the step ---- */

static int decay_wanted(const train_loop *t) { return t->o->weight_decay > 0.0; }

static int decay_step(train_loop *t, void *st)
{
    double k = 1.0 - t->opt.lr * t->o->weight_decay;

    (void)st;
    for (size_t i = 0; i < t->np; i++)
        t->params[i] *= k;
    return 0;
}

static const train_part decoupled_decay = {
    .name = "weight_decay",
    .wanted = decay_wanted,
    .step = decay_step,
};

/* ---- the optimizer's step: gd, sgd with momentum, adam ---- */

static int optimizer_begin(train_loop *t, void *st)
{
    (void)st;
    return sym_opt_init(&t->opt, t->o, t->np);
}

static int optimizer_step(train_loop *t, void *st)
{
    (void)st;
    sym_opt_step(&t->opt, t->params, t->grad);
    return 0;
}

static void optimizer_end(train_loop *t, void *st)
{
    (void)st;
    sym_opt_dispose(&t->opt);
}

static const train_part optimizer = {
    .name = "optimizer",
    .begin = optimizer_begin,
    .step = optimizer_step,
    .end = optimizer_end,
};

/* ---- the curve-point hook: the probes that follow training, teleportation's move ---- */

static int point_hook_wanted(const train_loop *t) { return t->o->hook != NULL; }

static int point_hook(train_loop *t, void *st, int k)
{
    int rc = t->o->hook(t->o->hook_ctx, k, t->params, t->grad_at_params ? t->grad : NULL,
                        t->lp.total);

    (void)st;
    return rc < 0 ? rc : rc == 1 ? TRAIN_MOVED : 0;
}

static const train_part curve_hook = {
    .name = "hook",
    .wanted = point_hook_wanted,
    .point = point_hook,
};

/* the order hooks of one kind run in: the checkpoint (full batch) before FISTA moves the
 * parameters; the proximal part before FISTA's check (its message comes first); clipping
 * after the filter (it clips the projected gradient); the decay before the optimizer's step
 * (AdamW decays, then steps) */
const train_part *const sym_train_parts[] = {
    &full_batch, &minibatches, &proximal_step, &fista_extrapolation, &gradient_filter,
    &clipping, &lr_schedule, &decoupled_decay, &optimizer, &curve_hook,
};
const int sym_train_n_parts = (int)(sizeof sym_train_parts / sizeof *sym_train_parts);
