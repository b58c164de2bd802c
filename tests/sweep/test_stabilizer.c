/*
 * The stabilizer probe against closed forms.  For one hidden layer of width
 * n between widths a and c, a generic point (W1, W2) is fixed by the A in
 * gl(n) with A W1 = 0 and W2 A = 0: A maps R^n / im W1 into ker W2, a space
 * of dimension (n - min(n, a)) (n - min(n, c)).  With biases the algebra
 * also has the translations (b1 + t, b2 - W2 t), and the stabilizer is the
 * same (t = -A b1).
 * ReLU keeps positive scalings: a unit is fixed only when its incoming
 * weights, bias and outgoing weights all vanish.  A tied linear autoencoder
 * keeps so(d): W -> K W fixes W of rank r exactly on so(d - r).  The
 * negative controls build the points where the dimension must change.
 */
#include "check.h"
#include "jobs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/job.h"
#include "symsweep/run.h"

/* a trained run of a one-probe job: its stabilizer values [algebra, orbit, stabilizer, gap] */
static void trained(sym_job *job, sym_run_result *r, const char *data, const char *model,
                    const char *reg)
{
    char text[1024];

    snprintf(text, sizeof(text),
             "name: stab\nseeds: [5]\ndata: %s\nmodel: %s\nregularizer: %s\n"
             "train: {optimizer: gd, lr: 0.02, epochs: 30}\nprobes: {stabilizer: {}}\n",
             data, model, reg);
    sym_test_run0(job, r, text, "stab.yaml");
}

/* the probe again on other parameters of the same run */
static void probe_at(double out[4], const sym_job *job, const double *params)
{
    const sym_job_probe *p = sym_job_find_probe(job, "stabilizer");
    sym_probe_run pr;
    sym_model *m = NULL;

    assert_non_null(p);
    memset(&pr, 0, sizeof(pr));
    pr.cfg = sym_job_run_config(job, 0, &pr.seed);
    check_ok(sym_model_create(&m, &pr.cfg->model));
    pr.model = m;
    pr.params = params;
    pr.stream = p->stream;
    check_ok(p->def->at_end(p->opts, &pr, out));
    sym_model_free(m);
}

static void expect(const double *x, int alg, int orbit, const char *what)
{
    printf("%-44s algebra %2.0f, orbit %2.0f, stabilizer %2.0f, gap %.3g\n", what, x[0], x[1], x[2], x[3]);
    if (x[0] != alg || x[1] != orbit || x[2] != alg - orbit)
        fail_msg("%s: algebra %g orbit %g stabilizer %g, want %d %d %d", what, x[0], x[1], x[2], alg,
                 orbit, alg - orbit);
    assert_true(x[3] > 1e3 || isinf(x[3])); /* the rank is clear-cut */
}

static void test_linear_one_hidden_layer(void **s)
{
    const char *data = "{kind: teacher_linear, input: 4, output: 3, samples: 30, noise: 0.1}";
    sym_job job;
    sym_run_result r;

    (void)s;
    /* no bias: (6 - 4)(6 - 3) = 6 of gl(6)'s 36 fix the point */
    trained(&job, &r, data, "{kind: mlp, widths: [4, 6, 3], activation: linear, bias: false}",
            "{kind: none}");
    expect(r.measures, 36, 30, "linear [4, 6, 3], no bias");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
    /* with biases the algebra gains the 6 translations (b1 + t, b2 - W2 t): the stabilizer is
     * {(A, t): A W1 = 0, W2 A = 0, t = -A b1}, again (6 - 4)(6 - 3) = 6, of 42 */
    trained(&job, &r, data, "{kind: mlp, widths: [4, 6, 3], activation: linear, bias: true}",
            "{kind: none}");
    expect(r.measures, 42, 36, "linear [4, 6, 3], bias");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
    /* Frobenius keeps so(6), 15: a skew A with A W1 = 0 vanishes on im W1 (4 dims), so it
     * maps into (im W1)^perp (2 dims); W2 A = 0 puts that image in ker W2 (3 dims), and
     * generic 2- and 3-dimensional subspaces of R^6 meet only in 0: A = 0 */
    trained(&job, &r, data, "{kind: mlp, widths: [4, 6, 3], activation: linear, bias: false}",
            "{kind: frobenius, lambda: 0.001}");
    expect(r.measures, 15, 15, "linear [4, 6, 3], frobenius");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
}

static void test_deep_linear(void **s)
{
    sym_job job;
    sym_run_result r;

    (void)s;
    /* the Hessian job's net: 72 - 6 (docs/team-probes.md) */
    trained(&job, &r, "{kind: teacher_linear, input: 4, output: 3, samples: 60, noise: 0.1}",
            "{kind: mlp, widths: [4, 6, 6, 3], activation: linear, bias: false}", "{kind: none}");
    expect(r.measures, 72, 66, "linear [4, 6, 6, 3], no bias");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
}

static void test_relu_dead_unit(void **s)
{
    sym_job job;
    sym_run_result r;
    sym_model *m = NULL;
    double x[4], *W = NULL;

    (void)s;
    trained(&job, &r, "{kind: teacher_mlp, widths: [4, 5, 3], activation: tanh, samples: 40, noise: 0.05}",
            "{kind: mlp, widths: [4, 6, 3], activation: relu, bias: true}", "{kind: none}");
    expect(r.measures, 6, 6, "relu [4, 6, 3]: generic");
    /* negative control: unit 2 with no incoming, bias or outgoing weight is fixed by its scaling */
    check_ok(sym_model_create(&m, &sym_job_run_config(&job, 0, NULL)->model));
    W = calloc(6 * 4, sizeof(double));
    sym_model_get_weight(m, r.params, 0, W);
    for (int j = 0; j < 4; j++)
        W[2 * 4 + j] = 0.0;
    sym_model_set_weight(m, r.params, 0, W);
    sym_model_bias(m, r.params, 0)[2] = 0.0;
    sym_model_get_weight(m, r.params, 1, W);
    for (int i = 0; i < 3; i++)
        W[i * 6 + 2] = 0.0;
    sym_model_set_weight(m, r.params, 1, W);
    probe_at(x, &job, r.params);
    expect(x, 6, 5, "relu [4, 6, 3]: unit 2 dead");
    free(W);
    sym_model_free(m);
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
}

/* the gradient of the tied objective along A = E_01 - s E_10 acting as W -> A W, b -> A b, relative */
static double tied_slope(const sym_job *job, const double *params, double skew)
{
    const sym_job_config *cfg = sym_job_run_config(job, 0, NULL);
    sym_model *m = NULL;
    sym_data d = {0};
    sym_eval *e = NULL;
    sym_loss_parts lp;
    sym_rng rng;
    size_t P;
    double *g = NULL, *t = NULL, W[3 * 5], T[3 * 5] = {0}, dot = 0, gn = 0, tn = 0;
    uint64_t seed;

    sym_job_run_config(job, 0, &seed);
    check_ok(sym_model_create(&m, &cfg->model));
    sym_rng_init(&rng, seed, SYM_RNG_DATA, 0);
    check_ok(sym_data_generate(&d, &cfg->data, &rng));
    check_ok(sym_eval_create(&e, m, &cfg->reg, d.n));
    P = sym_model_n_params(m);
    g = calloc(P, sizeof(double));
    t = calloc(P, sizeof(double));
    check_ok(sym_eval_loss(e, &lp, g, params, d.X, d.Y, d.n));
    sym_model_get_weight(m, params, 0, W);
    for (int j = 0; j < 5; j++) { /* (A W)_0 = W_1, (A W)_1 = -skew W_0 */
        T[j] = W[5 + j];
        T[5 + j] = -skew * W[j];
    }
    sym_model_set_weight(m, t, 0, T);
    if (sym_model_bias(m, t, 0)) {
        const double *b = sym_model_bias(m, (double *)params, 0);

        sym_model_bias(m, t, 0)[0] = b[1];
        sym_model_bias(m, t, 0)[1] = -skew * b[0];
    }
    for (size_t i = 0; i < P; i++) {
        dot += g[i] * t[i];
        gn += g[i] * g[i];
        tn += t[i] * t[i];
    }
    free(g);
    free(t);
    sym_eval_free(e);
    sym_data_dispose(&d);
    sym_model_free(m);
    return fabs(dot) / sqrt(gn * tn);
}

static void test_tied_autoencoder(void **s)
{
    const char *data = "{kind: subspace, dim: 5, rank: 3, samples: 40}";
    sym_job job;
    sym_run_result r;
    sym_model *m = NULL;
    double x[4], W[3 * 5];

    (void)s;
    trained(&job, &r, data, "{kind: autoencoder, input: 5, latent: 3, activation: linear, tied: true}",
            "{kind: none}");
    expect(r.measures, 3, 3, "tied linear AE 5 -> 3: full rank W");
    /* the so(d) directions are symmetries: the objective does not change along them (to
     * first order); a gl direction, not skew, changes it */
    {
        double sym = tied_slope(&job, r.params, 1.0), gl = tied_slope(&job, r.params, 0.0);

        printf("tied AE: |grad . (A theta)| / (|grad| |A theta|): skew A %.2e, gl A %.2e\n", sym, gl);
        assert_true(sym < 1e-12);
        assert_true(gl > 1e-3);
    }
    /* negative control: W of rank 1 (and b in its span) keeps so(2) */
    check_ok(sym_model_create(&m, &sym_job_run_config(&job, 0, NULL)->model));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++)
            W[i * 5 + j] = (i + 1.0) * (j - 2.0);
    sym_model_set_weight(m, r.params, 0, W);
    if (sym_model_bias(m, r.params, 0))
        for (int i = 0; i < 3; i++)
            sym_model_bias(m, r.params, 0)[i] = 0.5 * (i + 1.0);
    probe_at(x, &job, r.params);
    expect(x, 3, 2, "tied linear AE 5 -> 3: rank-1 W");
    sym_model_free(m);
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
    /* relu and l1 leave no continuous symmetry of a tied autoencoder */
    trained(&job, &r, data,
            "{kind: autoencoder, input: 5, latent: 3, latent_activation: relu, tied: true}",
            "{kind: none}");
    expect(r.measures, 0, 0, "tied AE, relu latent layer");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
    trained(&job, &r, data, "{kind: autoencoder, input: 5, latent: 3, activation: linear, tied: true}",
            "{kind: l1, lambda: 0.001}");
    expect(r.measures, 0, 0, "tied linear AE, l1");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_one_hidden_layer),
        cmocka_unit_test(test_deep_linear),
        cmocka_unit_test(test_relu_dead_unit),
        cmocka_unit_test(test_tied_autoencoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
