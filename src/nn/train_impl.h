/*
 * The training loop's parts: train.c composes them, train_parts.c defines them.
 * Private to src/nn.  docs/architecture.md ("Training steps") says how to add one.
 */
#ifndef SYMSWEEP_TRAIN_IMPL_H
#define SYMSWEEP_TRAIN_IMPL_H
#include "model_impl.h"

/* what a hook returns besides 0 (go on) and a negative error */
enum {
    TRAIN_DIVERGED = 1, /* gradient/epoch: the objective is not finite; training stops and keeps
                         * the checkpoint t->prev */
    TRAIN_MOVED = 1     /* point: the part moved the parameters (the moved hooks follow) */
};

/* the state every part sees: the run, and what one step reads and writes */
typedef struct train_loop {
    const sym_model *m;
    const sym_reg *reg;
    const sym_train_opts *o;
    const sym_data *d;
    sym_rng *shuffle; /* the minibatch order */
    size_t np;        /* parameters */
    int n, bs;        /* samples; samples per step (n: full batch) */
    double *params;   /* the caller's array, trained in place */
    double *grad;     /* the step's gradient */
    double *prev;     /* the checkpoint: what a divergence restores */
    sym_eval *ev;     /* the objective: data loss + penalty */
    sym_eval *gev;    /* whose gradient the step follows: ev, or (proximal) the data loss alone */
    sym_eval_data bd; /* the data laid out once for ev and gev */
    sym_opt opt;      /* the optimizer's state (the optimizer part steps it) */
    sym_loss_parts lp;  /* the objective at the epoch's start, when a part or the curve needs it */
    int objective_done; /* this epoch: lp holds the objective at params */
    int grad_at_params; /* this epoch: grad holds the objective's full-data gradient at params */
} train_loop;

/*
 * A part of the training loop: every hook is optional; hooks of one kind run in the order of
 * the parts table (train_parts.c).  st is the part's own state, `size` bytes, zeroed before
 * begin; end frees what begin allocated (also after a failed begin).  A step is
 *     before_gradient, gradient, after_gradient, step, after_step
 * over every part; an epoch is its epoch hooks, then (at a curve point) the objective, the
 * point hooks and, if one of them moved the parameters, the moved hooks, then the steps.
 */
typedef struct train_part {
    const char *name;
    size_t size;
    /* 1 if the part takes part with these options: chosen once, before any begin */
    int (*wanted)(const train_loop *t);
    /* allocate (nothing in the loop allocates) and check the options */
    int (*begin)(train_loop *t, void *st);
    /* the start of epoch ep, before its curve point; TRAIN_DIVERGED stops */
    int (*epoch)(train_loop *t, void *st, int ep);
    /* curve point k, its objective in t->lp; TRAIN_MOVED if the parameters moved */
    int (*point)(train_loop *t, void *st, int k);
    /* the parameters moved at a curve point */
    int (*moved)(train_loop *t, void *st);
    int (*before_gradient)(train_loop *t, void *st);
    /* the step's gradient into t->grad: samples first.. of the epoch (the batching parts) */
    int (*gradient)(train_loop *t, void *st, int first);
    /* the gradient is there: it may change it in place */
    int (*after_gradient)(train_loop *t, void *st);
    /* the parameters' update */
    int (*step)(train_loop *t, void *st);
    int (*after_step)(train_loop *t, void *st);
    void (*end)(train_loop *t, void *st);
} train_part;

/** The parts, in the order their hooks run. */
extern const train_part *const sym_train_parts[];
extern const int sym_train_n_parts;

#endif
