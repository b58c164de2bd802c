/*
 * The run's own scores beside training (issue 25), private to src/sweep: the objective on the
 * held-out test data and the classification accuracy, at the end of training and at every
 * curve point, laid out before the probes' values in the run's measures (job.h:
 * sym_heldout_layout) and written as /runs/metrics/final_test_*, /runs/curves/test_loss, ...
 */
#ifndef SYMSWEEP_HELDOUT_IMPL_H
#define SYMSWEEP_HELDOUT_IMPL_H

#include "symsweep/job.h"

/** Lay out job->heldout from the job's grid points (a test split, a classifier); 0 or
 *  SYM_ENOMEM.  Nothing for a job with neither. */
int sym_job_layout_heldout(sym_job *job);
/**
 * Declare the datasets into @p H (whose decl must be empty): the test objective with @p test,
 * the accuracy with @p accuracy (the test accuracy with both), the curves over @p points.
 */
int sym_heldout_declare(sym_heldout_layout *H, int test, int accuracy, int points);
void sym_heldout_dispose(sym_heldout_layout *H);

/** A run's scoring: made once before training, so that no curve point allocates. */
typedef struct sym_heldout_run {
    const sym_heldout_layout *H;
    const sym_data *d;  /**< the run's data (borrowed) */
    double *out;        /**< the run's measures (borrowed) */
    sym_scorer *sc;     /**< NULL: this run records nothing */
    int test, accuracy; /**< this run's: held-out data, a classifier */
} sym_heldout_run;

/**
 * Start scoring a run of model @p m with the penalty @p reg on data @p d (test data: d->n_test
 * > 0) into @p measures: the test objective when the layout has it and the data hold some
 * out, the accuracy when the layout has it and @p classifier.  h->sc is NULL when the run
 * records nothing.  Everything borrowed is kept until sym_heldout_stop.
 */
int sym_heldout_start(sym_heldout_run *h, const sym_heldout_layout *H, const sym_model *m,
                      const sym_reg *reg, const sym_data *d, int classifier, double *measures);
/** The scores at curve point @p k (the curve's parameters there). Allocates nothing. */
int sym_heldout_point(sym_heldout_run *h, int k, const double *params);
/** The scores at the run's final parameters; and at curve point @p last_point (-1: none), the
 *  point training records from its final objective (sym_train) rather than at its hook. */
int sym_heldout_final(sym_heldout_run *h, const double *params, int last_point);
void sym_heldout_stop(sym_heldout_run *h);

#endif
