/*
 * The run's own scores beside training (issue 25): the objective on the held-out test data
 * (data term and total, the penalty being the parameters') and the classification accuracy on
 * the training and test data (the argmax of the outputs against the argmax of the one-hot
 * target, ties to the lowest index as torch.argmax), at the end of training and at every curve
 * point.  The host lays them out before the probes' values in the run's measures, so that
 * the wire, the coordinator and the writer carry them like any probe's; a job with no test
 * split and no classifier lays out nothing and its output is what it was.
 */
#include "heldout_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Whether grid point @p cfg holds out test data, from its settings alone (layout comes before
 * any data are read: validate and plan lay out too): data.test's fraction or files, settled
 * at parse time into the held-out count.
 */
static int holds_out(const sym_job_config *cfg) { return cfg->data.n_test > 0; }

static int classifier(const sym_job_config *cfg) { return cfg->model.loss == SYM_LOSS_CROSS_ENTROPY; }

static size_t declare(sym_schema *s, const char *path, int rank, long long points, const char *what)
{
    long long dims[1] = {points};
    sym_schema_dataset *d = sym_schema_measure(s, path, rank, rank ? dims : NULL, "%s", what);

    if (d && rank)
        sym_schema_scale(d, 1, "/runs/curves/epoch", "epoch");
    return d ? sym_schema_at(d) : SIZE_MAX;
}

/* the accuracy's description on the @p set samples, @p when */
static size_t declare_acc(sym_schema *s, const char *path, int rank, long long points,
                          const char *set, const char *when, const char *none)
{
    char what[SYM_SCHEMA_TEXT];

    snprintf(what, sizeof(what), "the fraction of the %s samples whose largest output is their "
             "one-hot target's class (argmax, ties to the lowest index, as torch.argmax), %s; NaN "
             "for a run %s", set, when, none);
    return declare(s, path, rank, points, what);
}

int sym_heldout_declare(sym_heldout_layout *H, int test, int accuracy, int points)
{
    static const char *const not_clf = "that is not a classifier (train.loss: mse)";
    static const char *const not_test = "without a test split or that is not a classifier";
    sym_schema *s = &H->decl;

    H->test = test;
    H->accuracy = accuracy;
    H->points = points;
    H->final_test = H->final_test_data = H->final_train_acc = H->final_test_acc = SIZE_MAX;
    H->curve_test = H->curve_train_acc = H->curve_test_acc = SIZE_MAX;
    if (test) {
        H->final_test = declare(s, "/runs/metrics/final_test_loss", 0, 0,
                                "objective = data loss on the held-out test samples + penalty, at "
                                "the final parameters; NaN for a run without a test split");
        H->final_test_data = declare(s, "/runs/metrics/final_test_data_loss", 0, 0,
                                     "the data loss on the held-out test samples at the final "
                                     "parameters; NaN for a run without a test split");
    }
    if (accuracy)
        H->final_train_acc = declare_acc(s, "/runs/metrics/final_train_accuracy", 0, 0, "training",
                                         "at the final parameters", not_clf);
    if (accuracy && test)
        H->final_test_acc = declare_acc(s, "/runs/metrics/final_test_accuracy", 0, 0,
                                        "held-out test", "at the final parameters", not_test);
    if (test)
        H->curve_test = declare(s, "/runs/curves/test_loss", 1, points,
                                "objective on the held-out test samples (data loss + penalty) "
                                "after epoch[j] epochs, beside /runs/curves/loss on the training "
                                "samples [run x point]; NaN after a divergence, past the run's "
                                "last epoch, or for a run without a test split");
    if (accuracy)
        H->curve_train_acc = declare_acc(s, "/runs/curves/train_accuracy", 1, points, "training",
                                         "after epoch[j] epochs [run x point], NaN after a "
                                         "divergence or past the run's last epoch", not_clf);
    if (accuracy && test)
        H->curve_test_acc = declare_acc(s, "/runs/curves/test_accuracy", 1, points, "held-out test",
                                        "after epoch[j] epochs [run x point], NaN after a "
                                        "divergence or past the run's last epoch", not_test);
    H->len = s->len;
    return sym_schema_check(s);
}

int sym_job_layout_heldout(sym_job *job)
{
    sym_heldout_layout *H = &job->heldout;
    int test = 0, accuracy = 0, points = 0;

    sym_heldout_dispose(H);
    for (int c = 0; c < job->n_configs; c++) {
        int np = sym_train_n_points(&job->configs[c].train);

        test |= holds_out(&job->configs[c]);
        accuracy |= classifier(&job->configs[c]);
        points = np > points ? np : points;
    }
    return sym_heldout_declare(H, test, accuracy, points);
}

void sym_heldout_dispose(sym_heldout_layout *H)
{
    sym_schema_dispose(&H->decl);
    memset(H, 0, sizeof(*H));
}

int sym_heldout_start(sym_heldout_run *h, const sym_heldout_layout *H, const sym_model *m,
                      const sym_reg *reg, const sym_data *d, int classifier, double *measures)
{
    int rc = 0, n;

    memset(h, 0, sizeof(*h));
    h->H = H;
    h->d = d;
    h->out = measures;
    h->test = H->test && d->n_test > 0;
    h->accuracy = H->accuracy && classifier;
    if (!h->test && !h->accuracy)
        return 0;
    n = h->accuracy ? d->n : 0;
    n = h->test && d->n_test > n ? d->n_test : n;
    SYM_TRY(sym_scorer_create(&h->sc, m, reg, n));
cleanup:
    return rc;
}

/* the scores at params into the slots at[0..3] (test objective, its data term, training and
 * test accuracy), each at its offset + k (SIZE_MAX: not recorded) */
static int score(sym_heldout_run *h, const size_t at[4], size_t k, const double *params)
{
    const sym_data *d = h->d;
    sym_loss_parts lp;
    int rc = 0;

    if (h->test && (at[0] != SIZE_MAX || at[1] != SIZE_MAX)) {
        SYM_TRY(sym_scorer_loss(h->sc, &lp, params, d->Xt, d->Yt, d->n_test));
        if (at[0] != SIZE_MAX)
            h->out[at[0] + k] = lp.total;
        if (at[1] != SIZE_MAX)
            h->out[at[1] + k] = lp.data;
    }
    if (h->accuracy && at[2] != SIZE_MAX)
        SYM_TRY(sym_scorer_accuracy(h->sc, &h->out[at[2] + k], params, d->X, d->Y, d->n));
    if (h->accuracy && h->test && at[3] != SIZE_MAX)
        SYM_TRY(sym_scorer_accuracy(h->sc, &h->out[at[3] + k], params, d->Xt, d->Yt, d->n_test));
cleanup:
    return rc;
}

int sym_heldout_point(sym_heldout_run *h, int k, const double *params)
{
    const sym_heldout_layout *H = h->H;

    if (!h->sc || k < 0 || k >= H->points)
        return 0;
    return score(h, (size_t[4]){H->curve_test, SIZE_MAX, H->curve_train_acc, H->curve_test_acc},
                 (size_t)k, params);
}

int sym_heldout_final(sym_heldout_run *h, const double *params, int last_point)
{
    const sym_heldout_layout *H = h->H;
    int rc = 0;

    if (!h->sc)
        return 0;
    size_t at[4] = {H->final_test, H->final_test_data, H->final_train_acc, H->final_test_acc};
    size_t curve[4] = {H->curve_test, SIZE_MAX, H->curve_train_acc, H->curve_test_acc};

    SYM_TRY(score(h, at, 0, params));
    /* training fills its last curve point from the final objective, not at a hook: so here */
    for (int q = 0; q < 4 && last_point >= 0 && last_point < H->points; q++)
        if (curve[q] != SIZE_MAX && at[q] != SIZE_MAX)
            h->out[curve[q] + (size_t)last_point] = h->out[at[q]];
cleanup:
    return rc;
}

void sym_heldout_stop(sym_heldout_run *h)
{
    sym_scorer_free(h->sc);
    h->sc = NULL;
}
