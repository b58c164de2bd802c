/*
 * The run's scores beside training (issue 25): the objective on held-out test data and the
 * accuracy, at the end and at every curve point.
 *  - the scoring of one run on hand-made data (a train and a test set, set by hand) whose
 *    values are known in closed form: the identity network's outputs are its inputs;
 *  - a run without test data, or that is not a classifier, records NaN (the fill);
 *  - a job lays out nothing new unless a grid point trains a classifier (or holds data out),
 *    and then the scores come first and the probes' values after them;
 *  - a run of such a job records the accuracy a scorer gives at its final and initial
 *    parameters.
 */
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heldout_impl.h"
#include "job_impl.h"
#include "symsweep/output.h"
#include "symsweep/run.h"

enum { Q = 3, NTR = 5, NTE = 7, POINTS = 3 };

static void onehot(double *y, int c)
{
    for (int j = 0; j < Q; j++)
        y[j] = j == c;
}

/* sample i: x = 2 e_{i mod 3} + 0.5 e_{(i+1) mod 3}, class i mod 3 except for every
 * @p every-th sample's, (i + 1) mod 3: the identity network errs on those */
static void make(double *X, double *Y, int n, int every)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < Q; j++)
            X[i * Q + j] = 0.0;
        X[i * Q + i % Q] = 2.0;
        X[i * Q + (i + 1) % Q] = 0.5;
        onehot(Y + i * Q, i % every == 0 ? (i + 1) % Q : i % Q);
    }
}

static void test_sweep_heldout_scores_closed_form(void **state)
{
    sym_model_opts mo = SYM_MODEL_OPTS_INIT;
    sym_model *m;
    sym_reg reg = SYM_REG_INIT;
    sym_heldout_layout H;
    sym_heldout_run h;
    double X[NTR * Q], Y[NTR * Q], Xt[NTE * Q], Yt[NTE * Q], *out;
    double eye[Q * Q] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, zero[Q * Q] = {0};
    sym_data d = {NTR, Q, Q, X, Y, NTE, Xt, Yt};
    /* identity: train wrong on 0 (of 5; every 5th), test on 0, 2, 4, 6 (of 7; every 2nd); the
     * squared error of a right sample is 1^2 + 0.5^2, of a wrong one 2^2 + 0.5^2 */
    const double test_mse = (3 * 1.25 + 4 * 4.25) / (NTE * Q);
    /* zero network: every output ties at 0: class 0 predicted; test targets: classes 1, 1, 0, 0,
     * 2, 2, 1 (samples 0..6): two right; its error is the targets' 1 per sample */
    const double zero_mse = 1.0 / Q;
    size_t len;

    (void)state;
    mo.n_layers = 1;
    mo.n_encoder = 1;
    mo.widths[0] = mo.widths[1] = Q;
    reg.kind = SYM_REG_FROBENIUS;
    reg.lambda_encoder = 0.01;
    check_ok(sym_model_create(&m, &mo));
    make(X, Y, NTR, 5);
    make(Xt, Yt, NTE, 2);
    memset(&H, 0, sizeof(H));
    check_ok(sym_heldout_declare(&H, 1, 1, POINTS));
    len = H.len;
    assert_int_equal(len, 4 + 3 * POINTS);
    out = malloc(sizeof(double) * len);
    for (size_t i = 0; i < len; i++)
        out[i] = NAN;
    check_ok(sym_heldout_start(&h, &H, m, &reg, &d, 1, out));
    check_ok(sym_heldout_point(&h, 0, zero));
    check_ok(sym_heldout_point(&h, 1, eye));
    check_ok(sym_heldout_point(&h, POINTS, eye)); /* past the curve: nothing */
    check_ok(sym_heldout_final(&h, eye, -1));
    sym_heldout_stop(&h);
    /* the penalty of W = I: 0.01 * ||I||^2 = 0.03, whatever the data */
    check_close1(out[H.final_test_data], test_mse, 0.0, 1e-14);
    check_close1(out[H.final_test], test_mse + 0.03, 0.0, 1e-14);
    check_close1(out[H.final_train_acc], 4.0 / 5.0, 0.0, 0.0);
    check_close1(out[H.final_test_acc], 3.0 / 7.0, 0.0, 0.0);
    check_close1(out[H.curve_test + 0], zero_mse, 0.0, 1e-14);
    check_close1(out[H.curve_test + 1], test_mse + 0.03, 0.0, 1e-14);
    check_close1(out[H.curve_train_acc + 0], 1.0 / 5.0, 0.0, 0.0); /* classes 1, 1, 2, 0, 1 */
    check_close1(out[H.curve_train_acc + 1], 4.0 / 5.0, 0.0, 0.0);
    check_close1(out[H.curve_test_acc + 0], 2.0 / 7.0, 0.0, 0.0);
    check_close1(out[H.curve_test_acc + 1], 3.0 / 7.0, 0.0, 0.0);
    assert_true(isnan(out[H.curve_test + 2]) && isnan(out[H.curve_train_acc + 2]) &&
                isnan(out[H.curve_test_acc + 2]));

    /* not a classifier: no accuracy, the test objective still */
    for (size_t i = 0; i < len; i++)
        out[i] = NAN;
    check_ok(sym_heldout_start(&h, &H, m, &reg, &d, 0, out));
    check_ok(sym_heldout_point(&h, 0, eye));
    check_ok(sym_heldout_final(&h, eye, -1));
    sym_heldout_stop(&h);
    check_close1(out[H.final_test], test_mse + 0.03, 0.0, 1e-14);
    assert_true(isnan(out[H.final_train_acc]) && isnan(out[H.final_test_acc]) &&
                isnan(out[H.curve_train_acc]) && isnan(out[H.curve_test_acc]));

    /* no test data: the training accuracy only; the last curve point (training records it from
     * the final objective) from the final scores */
    d.n_test = 0;
    for (size_t i = 0; i < len; i++)
        out[i] = NAN;
    check_ok(sym_heldout_start(&h, &H, m, &reg, &d, 1, out));
    check_ok(sym_heldout_final(&h, eye, POINTS - 1));
    sym_heldout_stop(&h);
    check_close1(out[H.final_train_acc], 4.0 / 5.0, 0.0, 0.0);
    check_close1(out[H.curve_train_acc + POINTS - 1], 4.0 / 5.0, 0.0, 0.0);
    assert_true(isnan(out[H.curve_train_acc]) && isnan(out[H.curve_test + POINTS - 1]));
    assert_true(isnan(out[H.final_test]) && isnan(out[H.final_test_data]) && isnan(out[H.final_test_acc]));

    /* neither: nothing to score, no scorer made */
    check_ok(sym_heldout_start(&h, &H, m, &reg, &d, 0, out));
    assert_null(h.sc);
    sym_heldout_stop(&h);
    sym_heldout_dispose(&H);
    free(out);
    sym_model_free(m);
}

static const char job_text[] =
    "name: held\nseeds: [3]\n"
    "data: {kind: teacher_linear, input: 3, output: 2, samples: 40, noise: 0.1}\n"
    "model: {kind: mlp, widths: [3, 4, 2], activation: tanh, bias: true}\n"
    "train: {optimizer: gd, lr: 0.05, epochs: 20}\n"
    "record: {loss_every: 10}\nprobes: {conserved: {}}\n";

/* ... with no probe that follows training: the scores' own hook must be installed */
static const char plain_text[] =
    "name: held\nseeds: [3]\n"
    "data: {kind: teacher_linear, input: 3, output: 2, samples: 40, noise: 0.1}\n"
    "model: {kind: mlp, widths: [3, 4, 2], activation: tanh, bias: true}\n"
    "train: {optimizer: gd, lr: 0.05, epochs: 20}\n"
    "record: {loss_every: 10}\n";

/* a classifier (train.loss: cross_entropy, set by hand until the job files say it) laid out
 * again: the probes' declarations are made anew */
static void make_classifier(sym_job *job)
{
    for (int c = 0; c < job->n_configs; c++)
        job->configs[c].model.loss = SYM_LOSS_CROSS_ENTROPY;
    for (int i = 0; i < job->n_probes; i++) {
        sym_schema_dispose(&job->probes[i].decl[0]);
        free(job->probes[i].decl);
        job->probes[i].decl = NULL;
    }
    check_ok(sym_job_layout_probes(job));
}

static void test_sweep_heldout_layout(void **state)
{
    sym_job job;
    sym_schema s;
    const sym_schema_dataset *d;
    size_t plain_total;

    (void)state;
    check_ok(sym_job_parse(&job, job_text, strlen(job_text), "held.yaml"));
    assert_int_equal(job.heldout.len, 0);
    assert_int_equal(job.probes[0].off, 0);
    plain_total = job.measure.total;
    check_ok(sym_job_schema(&job, &s));
    assert_null(sym_schema_find(&s, "/runs/metrics/final_train_accuracy"));
    assert_null(sym_schema_find(&s, "/runs/curves/train_accuracy"));
    sym_schema_dispose(&s);

    make_classifier(&job);
    /* no test split in this job: the training accuracy, final and at the 3 curve points */
    assert_int_equal(job.heldout.len, 1 + 3);
    assert_int_equal(job.probes[0].off, job.heldout.len);
    assert_int_equal(job.measure.total, plain_total + job.heldout.len);
    check_ok(sym_job_schema(&job, &s));
    d = sym_schema_find(&s, "/runs/metrics/final_train_accuracy");
    assert_non_null(d);
    assert_int_equal(d->off, job.heldout.final_train_acc);
    d = sym_schema_find(&s, "/runs/curves/train_accuracy");
    assert_non_null(d);
    assert_int_equal(d->rank, 1);
    assert_int_equal(d->dims[0], 3);
    assert_string_equal(d->scale[0], "/runs/curves/epoch");
    assert_null(sym_schema_find(&s, "/runs/metrics/final_test_loss"));
    assert_null(sym_schema_find(&s, "/runs/curves/test_accuracy"));
    sym_schema_dispose(&s);
    sym_job_dispose(&job);
}

static void test_sweep_heldout_run_records_accuracy(void **state)
{
    sym_job job;
    sym_run_result r;
    sym_data d;
    sym_model *m;
    sym_scorer *sc;
    double acc;

    (void)state;
    check_ok(sym_job_parse(&job, plain_text, strlen(plain_text), "held.yaml"));
    make_classifier(&job);
    check_ok(sym_run_execute(&r, &job, 0));
    assert_int_equal(r.status, SYM_RUN_DONE);
    check_ok(sym_run_load_data(&d, &job, 0));
    check_ok(sym_model_create(&m, &job.configs[0].model));
    check_ok(sym_scorer_create(&sc, m, &job.configs[0].reg, d.n));
    check_ok(sym_scorer_accuracy(sc, &acc, r.params, d.X, d.Y, d.n));
    assert_memory_equal(&r.measures[job.heldout.final_train_acc], &acc, sizeof(acc));
    check_ok(sym_scorer_accuracy(sc, &acc, r.initial, d.X, d.Y, d.n));
    assert_memory_equal(&r.measures[job.heldout.curve_train_acc], &acc, sizeof(acc));
    /* the last point (epoch 20, the end) is the final parameters'; the middle one a fraction */
    assert_memory_equal(&r.measures[job.heldout.curve_train_acc + 2],
                        &r.measures[job.heldout.final_train_acc], sizeof(acc));
    assert_true(r.measures[job.heldout.curve_train_acc + 1] >= 0.0 &&
                r.measures[job.heldout.curve_train_acc + 1] <= 1.0);
    sym_scorer_free(sc);
    sym_model_free(m);
    sym_data_dispose(&d);
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
}

/*
 * align's barriers in closed form: the net x -> W2 W1 x, 2 -> 1 -> 2, linear, at a = (W1 =
 * [1, -1], W2 = [1; -1]) and at its sign flip b = -a (one function: class 0 iff x1 > x2).  On
 * the line, W1(t) = (1 - 2t) [1, -1], W2(t) = (1 - 2t) [1; -1]: the outputs are s (h, -h) with
 * s = (1 - 2t)^2, h = x1 - x2.  On x = e1 (class 0), e2 (class 1): the error is 0 but at t =
 * 1/2, where every output ties at 0, class 0 is predicted and e2 is wrong: 1/2, the error
 * barrier.  The squared error per sample is (s - 1)^2 + s^2 (mean over 4 entries: half that), a
 * convex function of t below the chord: the loss barrier is 0, at the ends.
 */
static void test_sweep_align_barriers_closed_form(void **state)
{
    enum { K = 4 };
    sym_model_opts mo = SYM_MODEL_OPTS_INIT;
    sym_model *m;
    sym_reg reg = SYM_REG_INIT;
    sym_scorer *sc;
    const double X[4] = {1, 0, 0, 1}, Y[4] = {1, 0, 0, 1};
    const double w1[2] = {1, -1}, w2[2] = {1, -1}, v1[2] = {-1, 1}, v2[2] = {-1, 1};
    const double f_rough[5] = {0.0, 2.0, -1.0, 0.5, 1.0};
    double a[4], b[4], tmp[4], f[K + 1], barrier;

    (void)state;
    mo.n_layers = 2;
    mo.n_encoder = 2;
    mo.widths[0] = 2;
    mo.widths[1] = 1;
    mo.widths[2] = 2;
    check_ok(sym_model_create(&m, &mo));
    assert_int_equal(sym_model_n_params(m), 4);
    sym_model_set_weight(m, a, 0, w1);
    sym_model_set_weight(m, a, 1, w2);
    sym_model_set_weight(m, b, 0, v1);
    sym_model_set_weight(m, b, 1, v2);
    check_ok(sym_scorer_create(&sc, m, &reg, 2));
    check_ok(sym_align_path(f, &barrier, sc, 1, X, Y, 2, a, b, 4, K, tmp));
    for (int k = 0; k <= K; k++)
        check_close1(f[k], k == K / 2 ? 0.5 : 0.0, 0.0, 0.0);
    check_close1(barrier, 0.5, 0.0, 0.0);
    check_ok(sym_align_path(f, &barrier, sc, 0, X, Y, 2, a, b, 4, K, tmp));
    for (int k = 0; k <= K; k++) {
        double t = (double)k / K, s = (1 - 2 * t) * (1 - 2 * t);

        check_close1(f[k], ((s - 1) * (s - 1) + s * s) / 2, 0.0, 1e-15);
    }
    check_close1(barrier, 0.0, 0.0, 0.0);
    /* the definition on a rough path: the largest rise above the chord from 0 to 1, at t = 1/4:
     * 2 - 1/4 */
    check_close1(sym_align_barrier(f_rough, K), 1.75, 0.0, 0.0);
    sym_scorer_free(sc);
    sym_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_heldout_scores_closed_form),
        cmocka_unit_test(test_sweep_heldout_layout),
        cmocka_unit_test(test_sweep_heldout_run_records_accuracy),
        cmocka_unit_test(test_sweep_align_barriers_closed_form),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
