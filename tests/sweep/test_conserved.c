/*
 * The conserved probe through a real run (job text -> sym_run_execute):
 * under gradient descent the quantities a symmetry conserves drift by O(lr)
 * at a fixed lr x steps (gradient flow conserves them exactly), and weight
 * decay lambda ||W||^2 makes ||Q|| decay as exp(-4 lambda lr steps), the
 * rate gradient flow predicts: dQ/dt = -4 lambda Q.
 */
#include "check.h"
#include "jobs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "symsweep/job.h"
#include "symsweep/run.h"
#include "symsweep/team.h"

static void run_with(sym_run_result *r, sym_job *job, const char *act, int bias, double lr, int epochs,
                     double lambda, const char *train_extra)
{
    char text[1024], reg[96] = "regularizer: {kind: none}";

    if (lambda > 0)
        snprintf(reg, sizeof(reg), "regularizer: {kind: frobenius, lambda: %g}", lambda);
    snprintf(text, sizeof(text),
             "name: cons\nseeds: [3]\n"
             "data: {kind: teacher_linear, input: 3, output: 2, samples: 40, noise: 0.1}\n"
             "model: {kind: mlp, widths: [3, 4, 2], activation: %s, bias: %s}\n"
             "%s\n"
             "train: {optimizer: gd, lr: %g, epochs: %d%s}\n"
             "record: {loss_every: %d}\nprobes: {conserved: {}}\n",
             act, bias ? "true" : "false", reg, lr, epochs, train_extra,
             epochs / 10);
    sym_test_run0(job, r, text, "cons.yaml");
}

static void run(sym_run_result *r, sym_job *job, const char *act, int bias, double lr, int epochs,
                double lambda)
{
    run_with(r, job, act, bias, lr, epochs, lambda, "");
}

/* where a dataset's values sit in a run's measures, from the job's schema; *points: its last dimension */
static size_t at(const sym_job *job, const char *path, int *points)
{
    sym_schema s;
    const sym_schema_dataset *d;
    size_t off;

    check_ok(sym_job_schema(job, &s));
    d = sym_schema_find(&s, path);
    assert_non_null(d);
    off = d->off;
    if (points)
        *points = d->rank > 0 ? (int)d->dims[d->rank - 1] : 1;
    sym_schema_dispose(&s);
    return off;
}

static void drift_shrinks(const char *act, int bias)
{
    double prev = NAN;

    for (int k = 0; k < 3; k++) {
        double lr = 0.02 / pow(10.0, k);
        int epochs = 50 * (int)pow(10.0, k); /* lr x steps = 1 */
        sym_job job;
        sym_run_result r;
        double d;

        run(&r, &job, act, bias, lr, epochs, 0.0);
        d = r.measures[at(&job, "/runs/metrics/conserved_drift", NULL)];
        printf("%-6s bias=%d lr %.0e x %5d steps: total relative drift %.3e, per step %.3e\n", act,
               bias, lr, epochs, d, r.measures[at(&job, "/runs/metrics/conserved_drift_per_step", NULL)]);
        assert_true(d > 0 && d < 0.05);
        if (k > 0) /* O(lr): a tenth of the step, a tenth of the drift (at least 1/5) */
            assert_true(d < prev / 5);
        prev = d;
        sym_run_result_dispose(&r);
        sym_job_dispose(&job);
    }
}

static void test_drift_linear(void **s)
{
    (void)s;
    drift_shrinks("linear", 0);
    drift_shrinks("linear", 1);
}

static void test_drift_relu(void **s)
{
    (void)s;
    drift_shrinks("relu", 1);
}

static void test_weight_decay_rate(void **s)
{
    const char *acts[2] = {"linear", "relu"};

    (void)s;
    for (int a = 0; a < 2; a++) {
        sym_job job;
        sym_run_result r;
        double lambda = 0.1, lr = 1e-3, T = 2000, got, want = exp(-4 * lambda * lr * T);
        const double *nrm;
        int P;

        run(&r, &job, acts[a], 0, lr, (int)T, lambda);
        nrm = r.measures + at(&job, "/probes/conserved/norm", &P); /* [layer 0: points] */
        got = nrm[P - 1] / nrm[0];
        printf("%-6s weight decay %.1f, lr %.0e x %.0f steps: ||Q(T)|| / ||Q(0)|| = %.6f, "
               "predicted exp(-4 lambda lr T) = %.6f\n",
               acts[a], lambda, lr, T, got, want);
        check_close1(got, want, 0, 1e-2);
        /* and at every curve point in between */
        for (int k = 1; k < P; k++)
            check_close1(nrm[k] / nrm[0], exp(-4 * lambda * lr * (T / (P - 1)) * k), 0, 1e-2);
        sym_run_result_dispose(&r);
        sym_job_dispose(&job);
    }
}

/*
 * train.project_orbit: every step's gradient loses its component along the orbit of the
 * hidden layers' algebra.  The quantity Q a layer conserves pairs with that algebra (dQ/dt
 * . S = <theta', S . theta> for S in the algebra), so the projected flow conserves Q even under
 * weight decay, which otherwise shrinks it as exp(-4 lambda lr T): with the projection
 * ||Q(T)|| / ||Q(0)|| stays at 1 up to the O(lr) drift of plain gd.  Negative control: for the
 * linear net, projecting out only the rotations (so) leaves the symmetric part of Q to decay at
 * the full rate.
 */
static void test_projected_training(void **s)
{
    const char *acts[2] = {"linear", "relu"};
    double lambda = 0.1, lr = 1e-3, T = 2000, decay = exp(-4 * lambda * lr * T);

    (void)s;
    for (int a = 0; a < 3; a++) {
        sym_job job;
        sym_run_result r;
        const double *nrm;
        double got;
        int P;

        run_with(&r, &job, acts[a % 2], 0, lr, (int)T, lambda,
                 a == 2 ? ", project_orbit: so" : ", project_orbit: auto");
        assert_int_equal(r.status, SYM_RUN_DONE);
        nrm = r.measures + at(&job, "/probes/conserved/norm", &P);
        got = nrm[P - 1] / nrm[0];
        printf("%-6s weight decay %.1f, projected (%s): ||Q(T)|| / ||Q(0)|| = %.6f (unprojected: %.6f)\n",
               acts[a % 2], lambda, a == 2 ? "so" : "auto", got, decay);
        if (a < 2)
            assert_true(fabs(got - 1.0) < 2e-3);
        else /* the rotations alone: Q's symmetric part decays as before */
            check_close1(got, decay, 0, 1e-2);
        sym_run_result_dispose(&r);
        sym_job_dispose(&job);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drift_linear),
        cmocka_unit_test(test_drift_relu),
        cmocka_unit_test(test_weight_decay_rate),
        cmocka_unit_test(test_projected_training),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
