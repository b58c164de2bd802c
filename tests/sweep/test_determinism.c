/*
 * A run depends only on the job and its index: computed twice it is
 * bitwise identical, and computed alone (from a job listing only its seed)
 * it equals the same run inside a larger job.
 */
#include "check.h"

#include <string.h>

#include "symsweep/job.h"
#include "symsweep/run.h"

static void load(sym_job *j, const char *text)
{
    check_ok(sym_job_parse(j, text, strlen(text), "det.yaml"));
}

static void same_run(const sym_job *a, int ia, const sym_job *b, int ib, int want_equal)
{
    sym_run_result r1, r2;
    size_t np;
    sym_model *m;

    check_ok(sym_model_create(&m, &sym_job_run_config(a, ia, NULL)->model));
    np = sym_model_n_params(m);
    sym_model_free(m);
    check_ok(sym_run_execute(&r1, a, ia));
    check_ok(sym_run_execute(&r2, b, ib));
    assert_int_equal(r1.status, SYM_RUN_DONE);
    assert_int_equal(r2.status, SYM_RUN_DONE);
    if (want_equal) {
        assert_memory_equal(r1.params, r2.params, np * sizeof(double));
        assert_memory_equal(r1.initial, r2.initial, np * sizeof(double));
        assert_memory_equal(r1.curve, r2.curve, (size_t)r1.n_curve * sizeof(double));
    } else {
        assert_memory_not_equal(r1.params, r2.params, np * sizeof(double));
    }
    sym_run_result_dispose(&r1);
    sym_run_result_dispose(&r2);
}

static void test_sweep_run_bitwise_reproducible(void **state)
{
    const char *jobs[] = {
        "seeds: {count: 3, base: 5}\n"
        "data: {kind: subspace, dim: 8, rank: 3, samples: 120, noise: 0.05}\n"
        "model: {kind: autoencoder, input: 8, latent: 3, bias: true}\n"
        "regularizer: {kind: l1, lambda: 0.005}\n"
        "train: {optimizer: adam, lr: 0.005, epochs: 50, batch_size: 32}\n",
        "seeds: [3, 9, 4]\n"
        "data: {kind: teacher_mlp, widths: [3, 5, 2], samples: 80, noise: 0.1}\n"
        "model: {kind: mlp, widths: [3, 7, 2], activation: tanh, bias: true}\n"
        "regularizer: {kind: jacobian, norm: frobenius, lambda: 0.01}\n"
        "train: {optimizer: sgd, lr: 0.05, momentum: 0.9, epochs: 40, batch_size: 16}\n"};

    (void)state;
    for (int k = 0; k < 2; k++) {
        sym_job j;

        load(&j, jobs[k]);
        for (int i = 0; i < 3; i++)
            same_run(&j, i, &j, i, 1);
        same_run(&j, 0, &j, 1, 0); /* different seeds differ */
        sym_job_dispose(&j);
    }
}

static void test_sweep_run_alone_equals_run_in_job(void **state)
{
    sym_job big, alone;

    (void)state;
    load(&big, "seeds: {count: 4, base: 100}\n"
               "data: {kind: teacher_linear, input: 4, output: 3, samples: 50, noise: 0.05}\n"
               "model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear}\n"
               "train: {optimizer: gd, lr: 0.01, epochs: 30}\n");
    load(&alone, "seeds: [102]\n"
                 "data: {kind: teacher_linear, input: 4, output: 3, samples: 50, noise: 0.05}\n"
                 "model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear}\n"
                 "train: {optimizer: gd, lr: 0.01, epochs: 30}\n");
    same_run(&big, 2, &alone, 0, 1);
    sym_job_dispose(&big);
    sym_job_dispose(&alone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_run_bitwise_reproducible),
        cmocka_unit_test(test_sweep_run_alone_equals_run_in_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
