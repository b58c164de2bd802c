#include "check.h"

#include <math.h>
#include <string.h>

#include "symsweep/sweep.h"

static void test_sweep_job_ex3_l1_fields(void **state)
{
    sym_job j;

    (void)state;
    check_ok(sym_job_load(&j, SYM_SOURCE_DIR "/jobs/ex3-l1.yaml"));
    assert_string_equal(j.name, "ex3-l1");
    assert_int_equal(sym_job_n_runs(&j), 1);
    assert_int_equal(j.seeds[0], 0);
    assert_int_equal(j.data.kind, SYM_DATA_SUBSPACE);
    assert_int_equal(j.data.dim, 8);
    assert_int_equal(j.data.rank, 3);
    assert_int_equal(j.data.samples, 500);
    check_close1(j.data.noise, 0.05, 0, 0);
    assert_int_equal(j.model.kind, SYM_MODEL_AUTOENCODER);
    assert_int_equal(j.model.n_layers, 2);
    assert_int_equal(j.model.n_encoder, 1);
    assert_int_equal(j.model.widths[0], 8);
    assert_int_equal(j.model.widths[1], 3);
    assert_int_equal(j.model.widths[2], 8);
    assert_int_equal(j.model.act[0], SYM_ACT_LINEAR);
    assert_int_equal(j.model.act[1], SYM_ACT_LINEAR);
    assert_int_equal(j.reg.kind, SYM_REG_L1);
    check_close1(j.reg.lambda_encoder, 0.005, 0, 0);
    check_close1(j.reg.lambda_decoder, 0.005, 0, 0);
    assert_int_equal(j.train.optimizer, SYM_OPT_ADAM);
    check_close1(j.train.lr, 0.005, 0, 0);
    assert_int_equal(j.train.epochs, 2000);
    assert_int_equal(j.train.loss_every, 10);
    assert_int_equal(strlen(j.sha256), 64);
    sym_job_dispose(&j);
}

static void test_sweep_job_structured_settings(void **state)
{
    static const char text[] =
        "seeds: {count: 3, base: 10}\n"
        "data: {kind: subspace, dim: 6, rank: 2, samples: 30}\n"
        "model:\n"
        "  kind: autoencoder\n"
        "  input: 6\n"
        "  latent: 2\n"
        "  hidden: [4]\n"
        "  activation: [tanh, relu]\n"
        "  latent_activation: sigmoid\n"
        "  bias: true\n"
        "regularizer: {kind: schatten, p: inf, lambda_encoder: 0.1, lambda_decoder: 0.2}\n"
        "train: {optimizer: sgd, lr: 0.01, epochs: 5, batch_size: 10, momentum: 0.5}\n";
    sym_job j;

    (void)state;
    check_ok(sym_job_parse(&j, text, sizeof(text) - 1, "mem.yaml"));
    assert_string_equal(j.name, "mem");
    assert_int_equal(j.n_seeds, 3);
    assert_int_equal(j.seeds[2], 12);
    assert_int_equal(j.model.n_layers, 4);
    assert_int_equal(j.model.n_encoder, 2);
    assert_int_equal(j.model.widths[1], 4);
    assert_int_equal(j.model.widths[3], 4);
    assert_int_equal(j.model.act[0], SYM_ACT_TANH);
    assert_int_equal(j.model.act[1], SYM_ACT_SIGMOID);
    assert_int_equal(j.model.act[2], SYM_ACT_RELU);
    assert_int_equal(j.model.act[3], SYM_ACT_LINEAR);
    assert_true(isinf(j.reg.p));
    check_close1(j.reg.lambda_decoder, 0.2, 0, 0);
    assert_int_equal(j.train.batch_size, 10);
    check_close1(j.train.momentum, 0.5, 0, 0);
    sym_job_dispose(&j);
}

static void test_sweep_job_error_names_position(void **state)
{
    static const char text[] =
        "data: {kind: subspace, dim: 6, rank: 2, samples: 30}\n"
        "model: {kind: autoencoder, input: 6, latent: 2}\n"
        "regularizer:\n"
        "  kind: frobenius\n"
        "  lambda: -0.1\n"
        "train: {optimizer: adam, lr: 0.01, epochs: 5}\n";
    sym_job j;

    (void)state;
    assert_int_equal(sym_job_parse(&j, text, sizeof(text) - 1, "jobs/x.yaml"), SYM_EJOB);
    assert_string_equal(sym_err_message(),
                        "jobs/x.yaml:5:11: regularizer.lambda: expected a number >= 0, found \"-0.1\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_job_ex3_l1_fields),
        cmocka_unit_test(test_sweep_job_structured_settings),
        cmocka_unit_test(test_sweep_job_error_names_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
