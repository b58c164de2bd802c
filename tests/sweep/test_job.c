#include "check.h"

#include <math.h>
#include <string.h>

#include "symsweep/job.h"
#include "symsweep/plan.h"
#include "symsweep/run.h"

static void test_sweep_job_ex3_l1_fields(void **state)
{
    sym_job j;

    (void)state;
    check_ok(sym_job_load(&j, SYM_SOURCE_DIR "/jobs/ex3-l1.yaml"));
    assert_string_equal(j.name, "ex3-l1");
    assert_int_equal(sym_job_n_runs(&j), 1);
    assert_int_equal(j.seeds[0], 0);
    assert_int_equal(j.configs[0].data.kind, SYM_DATA_SUBSPACE);
    assert_int_equal(j.configs[0].data.dim, 8);
    assert_int_equal(j.configs[0].data.rank, 3);
    assert_int_equal(j.configs[0].data.samples, 500);
    check_close1(j.configs[0].data.noise, 0.05, 0, 0);
    assert_int_equal(j.configs[0].model.kind, SYM_MODEL_AUTOENCODER);
    assert_int_equal(j.configs[0].model.n_layers, 2);
    assert_int_equal(j.configs[0].model.n_encoder, 1);
    assert_int_equal(j.configs[0].model.widths[0], 8);
    assert_int_equal(j.configs[0].model.widths[1], 3);
    assert_int_equal(j.configs[0].model.widths[2], 8);
    assert_int_equal(j.configs[0].model.act[0], SYM_ACT_LINEAR);
    assert_int_equal(j.configs[0].model.act[1], SYM_ACT_LINEAR);
    assert_int_equal(j.configs[0].reg.kind, SYM_REG_L1);
    check_close1(j.configs[0].reg.lambda_encoder, 0.005, 0, 0);
    check_close1(j.configs[0].reg.lambda_decoder, 0.005, 0, 0);
    assert_int_equal(j.configs[0].train.optimizer, SYM_OPT_ADAM);
    check_close1(j.configs[0].train.lr, 0.005, 0, 0);
    assert_int_equal(j.configs[0].train.epochs, 2000);
    assert_int_equal(j.configs[0].train.loss_every, 10);
    assert_int_equal(j.n_configs, 1);
    assert_int_equal(j.n_axes, 0);
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
    assert_int_equal(j.configs[0].model.n_layers, 4);
    assert_int_equal(j.configs[0].model.n_encoder, 2);
    assert_int_equal(j.configs[0].model.widths[1], 4);
    assert_int_equal(j.configs[0].model.widths[3], 4);
    assert_int_equal(j.configs[0].model.act[0], SYM_ACT_TANH);
    assert_int_equal(j.configs[0].model.act[1], SYM_ACT_SIGMOID);
    assert_int_equal(j.configs[0].model.act[2], SYM_ACT_RELU);
    assert_int_equal(j.configs[0].model.act[3], SYM_ACT_LINEAR);
    assert_true(isinf(j.configs[0].reg.p));
    check_close1(j.configs[0].reg.lambda_decoder, 0.2, 0, 0);
    assert_int_equal(j.configs[0].train.batch_size, 10);
    check_close1(j.configs[0].train.momentum, 0.5, 0, 0);
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

/* grid order: cartesian product in written order, last axis fastest, seeds
 * innermost; a zip group is one axis; mapping values flatten into columns */
static void test_sweep_job_grid_order_and_columns(void **state)
{
    static const char text[] =
        "seeds: [7, 8]\n"
        "data: {kind: subspace, dim: 6, rank: 2, samples: 30}\n"
        "model: {kind: autoencoder, input: 6, latent: 2}\n"
        "train: {optimizer: adam, lr: 0.01, epochs: 20}\n"
        "sweep:\n"
        "  regularizer:\n"
        "    - {kind: none}\n"
        "    - {kind: l1, lambda: 0.01}\n"
        "    - {kind: frobenius, lambda: 0.1}\n"
        "  train.lr: [0.001, 0.01]\n"
        "  zip: {train.epochs: [10, 40], data.noise: [0.0, 0.2]}\n";
    sym_job j;
    uint64_t seed;
    const sym_job_config *c;

    (void)state;
    check_ok(sym_job_parse(&j, text, sizeof(text) - 1, "grid.yaml"));
    assert_int_equal(j.n_axes, 3);
    assert_int_equal(j.n_configs, 3 * 2 * 2);
    assert_int_equal(sym_job_n_runs(&j), 24);
    assert_string_equal(j.axis_name[2], "zip(train.epochs, data.noise)");
    /* run 0: first of everything, seed 7; run 1: same config, seed 8 */
    c = sym_job_run_config(&j, 1, &seed);
    assert_int_equal(seed, 8);
    assert_int_equal(c->reg.kind, SYM_REG_NONE);
    check_close1(c->train.lr, 0.001, 0, 0);
    assert_int_equal(c->train.epochs, 10);
    /* config 1 = zip advanced (last axis fastest) */
    c = sym_job_run_config(&j, 2, &seed);
    assert_int_equal(seed, 7);
    assert_int_equal(c->train.epochs, 40);
    check_close1(c->data.noise, 0.2, 0, 0);
    check_close1(c->train.lr, 0.001, 0, 0);
    /* config 2 = lr advanced */
    c = sym_job_run_config(&j, 4, NULL);
    check_close1(c->train.lr, 0.01, 0, 0);
    assert_int_equal(c->train.epochs, 10);
    /* config 4 = regularizer l1; config 11 = frobenius, lr 0.01, zip 1 */
    c = sym_job_run_config(&j, 8, NULL);
    assert_int_equal(c->reg.kind, SYM_REG_L1);
    check_close1(c->reg.lambda_encoder, 0.01, 0, 0);
    c = sym_job_run_config(&j, 23, &seed);
    assert_int_equal(seed, 8);
    assert_int_equal(c->reg.kind, SYM_REG_FROBENIUS);
    check_close1(c->train.lr, 0.01, 0, 0);
    assert_int_equal(c->train.epochs, 40);
    assert_int_equal(sym_job_axis_index(&j, 23, 0), 2);
    /* the base job's values stay where no axis touches them */
    assert_int_equal(c->data.samples, 30);
    /* columns: regularizer (label), regularizer.kind, regularizer.lambda, train.lr,
     * train.epochs, data.noise */
    assert_int_equal(j.n_columns, 6);
    assert_string_equal(j.columns[0].name, "regularizer");
    assert_false(j.columns[0].numeric);
    assert_string_equal(j.columns[0].str[1], "{kind: l1, lambda: 0.01}");
    assert_string_equal(j.columns[1].name, "regularizer.kind");
    assert_false(j.columns[1].numeric);
    assert_string_equal(j.columns[1].str[2], "frobenius");
    assert_string_equal(j.columns[2].name, "regularizer.lambda");
    assert_true(j.columns[2].numeric);
    assert_true(isnan(j.columns[2].num[0]));
    check_close1(j.columns[2].num[2], 0.1, 0, 0);
    assert_string_equal(j.columns[3].name, "train.lr");
    assert_true(j.columns[3].numeric);
    assert_int_equal(j.columns[4].axis, 2);
    assert_int_equal(j.columns[5].axis, 2);
    sym_job_dispose(&j);
}

/* every grid point is validated, and the message names the point */
/* the default task timeout follows the job's size: 20x the bound on one task */
static void test_sweep_job_task_bound(void **state)
{
    static const char small[] = "seeds: [1]\n"
                                "data: {kind: subspace, dim: 8, rank: 3, samples: 500}\n"
                                "model: {kind: autoencoder, input: 8, latent: 3}\n"
                                "train: {optimizer: adam, lr: 0.005, epochs: 2000}\n";
    static const char big[] = "seeds: [1]\n"
                               "data: {kind: teacher_linear, input: 100, output: 100, samples: 100000}\n"
                               "model: {kind: mlp, widths: [100, 400, 100], activation: tanh}\n"
                               "train: {optimizer: gd, lr: 0.001, epochs: 100000}\n";
    sym_job a, b;
    double ta, tb;

    (void)state;
    check_ok(sym_job_parse(&a, small, sizeof(small) - 1, "small.yaml"));
    check_ok(sym_job_parse(&b, big, sizeof(big) - 1, "big.yaml"));
    ta = sym_plan_task_seconds_bound(&a);
    tb = sym_plan_task_seconds_bound(&b);
    /* 3 x 2000 epochs x 500 samples x 48 multiply-adds at 1e8/s */
    check_close1(ta, 3.0 * 2000 * 500 * 48 / 1e8, 0, 1e-12);
    /* 3 x 1e5 x 1e5 x 8e4 / 1e8 = 2.4e7 s: its runs are not hung at 600 s */
    assert_true(20 * tb > 1e8);
    sym_job_dispose(&a);
    sym_job_dispose(&b);
}


/* the settings a visitor sees for one grid point: key -> value, in visiting order */
typedef struct seen {
    int n;
    char keys[256][96];
    sym_setting_value v[256];
    double d[256];
    char s[256][96];
    long long il[256][4];
} seen;

static int collect(void *ctx, const sym_setting_value *v)
{
    seen *w = ctx;

    assert_true(w->n < 256);
    snprintf(w->keys[w->n], sizeof w->keys[0], "%s", v->key);
    w->v[w->n] = *v;
    w->d[w->n] = v->d;
    snprintf(w->s[w->n], sizeof w->s[0], "%s", v->type == SYM_VALUE_STRING ? v->s : "");
    for (int i = 0; v->type == SYM_VALUE_INT_LIST && i < v->len && i < 4; i++)
        w->il[w->n][i] = v->ilist[i];
    w->n++;
    return 0;
}

static int find(const seen *w, const char *key)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->keys[i], key) == 0)
            return i;
    fail_msg("setting %s not visited", key);
    return -1;
}

/* a swept (train.lr), a defaulted (train.beta1, probes.hessian.threshold) and an overridden
 * (train.beta2) setting: the values each grid point ran with, keys in the same order */
static void test_sweep_job_visit_settings(void **state)
{
    static const char text[] =
        "data: {kind: teacher_linear, input: 3, output: 2, samples: 20}\n"
        "model: {kind: mlp, widths: [3, 4, 2], activation: tanh}\n"
        "train: {optimizer: adam, lr: 0.1, epochs: 5, beta2: 0.99}\n"
        "probes: {hessian: {}}\n"
        "sweep: {train.lr: [0.1, 0.25]}\n";
    static seen a, b;
    sym_job j;
    int k;

    (void)state;
    check_ok(sym_job_parse(&j, text, strlen(text), "visit.yaml"));
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    check_ok(sym_job_visit_settings(&j, 0, collect, &a));
    check_ok(sym_job_visit_settings(&j, 1, collect, &b));
    assert_int_equal(a.n, b.n);
    for (int i = 0; i < a.n; i++) { /* one dataset per key: the same keys and types */
        assert_string_equal(a.keys[i], b.keys[i]);
        assert_int_equal(a.v[i].type, b.v[i].type);
    }
    k = find(&b, "train.lr"); /* swept */
    assert_int_equal(b.v[k].type, SYM_VALUE_DOUBLE);
    check_close1(a.d[k], 0.1, 0, 0);
    check_close1(b.d[k], 0.25, 0, 0);
    k = find(&b, "train.beta1"); /* defaulted */
    check_close1(b.d[k], 0.9, 0, 0);
    assert_int_equal(b.v[k].applies, 1);
    k = find(&b, "train.beta2"); /* overridden */
    check_close1(b.d[k], 0.99, 0, 0);
    k = find(&b, "train.momentum"); /* not adam's */
    assert_int_equal(b.v[k].applies, 0);
    k = find(&b, "data.dim"); /* not teacher_linear's */
    assert_int_equal(b.v[k].applies, 0);
    k = find(&b, "train.optimizer");
    assert_string_equal(b.s[k], "adam");
    k = find(&b, "model.activation");
    assert_string_equal(b.s[k], "tanh");
    k = find(&b, "model.widths");
    assert_int_equal(b.v[k].type, SYM_VALUE_INT_LIST);
    assert_int_equal(b.v[k].len, 3);
    assert_int_equal(b.v[k].max_len, 3);
    assert_int_equal(b.il[k][1], 4);
    k = find(&b, "probes.hessian.threshold"); /* a probe's default */
    check_close1(b.d[k], 1e-6, 0, 0);
    k = find(&b, "data.seed"); /* not set: each run's own */
    assert_int_equal(b.v[k].i, -1);
    assert_int_equal(sym_job_visit_settings(&j, 2, collect, &b), SYM_EINVAL);
    sym_job_dispose(&j);
}

static void test_sweep_job_grid_point_validated(void **state)
{
    static const char text[] =
        "data: {kind: subspace, dim: 6, rank: 2, samples: 30}\n"
        "model: {kind: autoencoder, input: 6, latent: 2}\n"
        "train: {optimizer: sgd, lr: 0.01, epochs: 20, batch_size: 20}\n"
        "sweep:\n"
        "  data.samples: [40, 10]\n";
    sym_job j;

    (void)state;
    assert_int_equal(sym_job_parse(&j, text, sizeof(text) - 1, "g.yaml"), SYM_EJOB);
    assert_string_equal(sym_err_message(),
                        "g.yaml:3:59: train.batch_size: expected at most 10 (data.samples), found 20 "
                        "(sweep point data.samples=10)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_job_grid_order_and_columns),
        cmocka_unit_test(test_sweep_job_visit_settings),
        cmocka_unit_test(test_sweep_job_grid_point_validated),
        cmocka_unit_test(test_sweep_job_task_bound),
        cmocka_unit_test(test_sweep_job_ex3_l1_fields),
        cmocka_unit_test(test_sweep_job_structured_settings),
        cmocka_unit_test(test_sweep_job_error_names_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
