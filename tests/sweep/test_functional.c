/*
 * The functional_dimension probe against closed forms.  A linear net
 * f(x) = M x reaches every M when its narrowest layer is at least
 * min(d_in, d_out), so on samples X its Jacobian has rank d_out rank(X); a
 * bottleneck of width r < min(d_in, d_out) reaches the rank-r matrices, a
 * manifold of dimension r (d_in + d_out - r); biases add d_out.  On rich data the null space is
 * the orbit (excess 0); two samples leave more (the negative control).  A ReLU
 * net on rich data has rank P minus one scaling per unit; a unit dead on all
 * the data adds d_in + d_out to the excess.
 */
#include "check.h"
#include "jobs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/job.h"
#include "symsweep/sym.h"
#include "symsweep/run.h"

/* the probe's team task on a team of one (LAPACK), as a worker runs it after training, at
 * r->params (perhaps changed); [rank, null, orbit, excess, gap, P, rows, singular values...] */
static double *fd_values(const sym_job *job, const sym_run_result *r)
{
    const sym_job_probe *p = sym_job_find_probe(job, "functional_dimension");
    sym_team_ops ops = {NULL, sym_syev_local, sym_svd_local, 1, 0, NULL};
    sym_probe_run pr;
    sym_model *m = NULL;
    sym_data d = {0};
    double *x;

    assert_non_null(p);
    memset(&pr, 0, sizeof(pr));
    pr.cfg = sym_job_run_config(job, 0, &pr.seed);
    check_ok(sym_model_create(&m, &pr.cfg->model));
    check_ok(sym_run_load_data(&d, job, 0));
    pr.model = m;
    pr.data = &d;
    pr.params = r->params;
    pr.status = SYM_RUN_DONE;
    x = calloc(p->len, sizeof(double));
    check_ok(p->def->team(p->opts, &pr, &ops, x));
    sym_data_dispose(&d);
    sym_model_free(m);
    return x;
}

/* a trained run, and its probe values (owned: free) */
static double *trained(sym_job *job, sym_run_result *r, const char *data, const char *model,
                       const char *probe)
{
    char text[1024];

    snprintf(text, sizeof(text),
             "name: fd\nseeds: [7]\ndata: %s\nmodel: %s\n"
             "train: {optimizer: gd, lr: 0.02, epochs: 40}\nprobes: {functional_dimension: %s}\n",
             data, model, probe);
    sym_test_run0(job, r, text, "fd.yaml");
    return fd_values(job, r);
}

static void expect(const double *x, int rank, int orbit, const char *what)
{
    printf("%-40s P %3.0f rows %3.0f: rank %3.0f null %3.0f orbit %3.0f excess %3.0f gap %.3g\n", what,
           x[5], x[6], x[0], x[1], x[2], x[3], x[4]);
    if (x[0] != rank || x[2] != orbit || x[1] != x[5] - rank || x[3] != x[1] - orbit)
        fail_msg("%s: rank %g orbit %g, want %d %d", what, x[0], x[2], rank, orbit);
    assert_true(x[4] > 1e3 || isinf(x[4])); /* a clear-cut rank */
}

/* ||J||_F^2 of run 0 by central differences of the outputs (a smooth net) */
static double fd_frobenius2(const sym_job *job, const double *params)
{
    const sym_job_config *cfg = sym_job_run_config(job, 0, NULL);
    sym_model *m = NULL;
    sym_data d = {0};
    sym_eval *e = NULL;
    sym_rng rng;
    uint64_t seed;
    size_t P;
    double *th, *yp, *ym, h = 1e-6, sum = 0.0;
    int dout = cfg->model.widths[cfg->model.n_layers];

    sym_job_run_config(job, 0, &seed);
    check_ok(sym_model_create(&m, &cfg->model));
    sym_rng_init(&rng, seed, SYM_RNG_DATA, 0);
    check_ok(sym_data_generate(&d, &cfg->data, &rng));
    check_ok(sym_eval_create(&e, m, &cfg->reg, d.n));
    P = sym_model_n_params(m);
    th = malloc(sizeof(double) * P);
    yp = malloc(sizeof(double) * (size_t)d.n * dout);
    ym = malloc(sizeof(double) * (size_t)d.n * dout);
    for (size_t j = 0; j < P; j++) {
        memcpy(th, params, sizeof(double) * P);
        th[j] += h;
        check_ok(sym_eval_forward(e, yp, th, d.X, d.n));
        th[j] -= 2 * h;
        check_ok(sym_eval_forward(e, ym, th, d.X, d.n));
        for (int q = 0; q < d.n * dout; q++)
            sum += pow((yp[q] - ym[q]) / (2 * h), 2);
    }
    free(th);
    free(yp);
    free(ym);
    sym_eval_free(e);
    sym_data_dispose(&d);
    sym_model_free(m);
    return sum;
}

static void test_linear(void **s)
{
    const char *data = "{kind: teacher_linear, input: 4, output: 3, samples: 30, noise: 0.1}";
    sym_job job;
    sym_run_result r;
    double *x;

    (void)s;
    /* [4, 6, 6, 3]: every 3 x 4 matrix, 12 = 3 x rank(X); null 78 - 12 = 66 = the orbit */
    x = trained(&job, &r, data, "{kind: mlp, widths: [4, 6, 6, 3], activation: linear, bias: false}", "{}");
    expect(x, 12, 66, "linear [4, 6, 6, 3]");
    {
        /* the Jacobian the probe built is the outputs' derivative: sum of s_i^2 = ||J||_F^2 */
        double sv2 = 0.0, fd = fd_frobenius2(&job, r.params);

        for (int i = 0; i < 12; i++)
            sv2 += x[7 + i] * x[7 + i];
        printf("||J||_F^2: singular values %.12g, central differences %.12g\n", sv2, fd);
        check_close1(sv2, fd, 0, 1e-7);
    }
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
    /* bottleneck 2: rank-2 3 x 4 matrices, 2 (4 + 3 - 2) = 10; null 14 - 10 = 4 = gl(2) */
    free(x);
    x = trained(&job, &r, data, "{kind: mlp, widths: [4, 2, 3], activation: linear, bias: false}", "{}");
    expect(x, 10, 4, "linear [4, 2, 3] (bottleneck)");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
    /* with biases every affine map: 3 x 5 = 15; the null space 51 - 15 = 36 is the orbit of
     * gl(6) and the 6 translations (b1 + t, b2 - W2 t), 42 - 6 */
    free(x);
    x = trained(&job, &r, data, "{kind: mlp, widths: [4, 6, 3], activation: linear, bias: true}", "{}");
    expect(x, 15, 36, "linear [4, 6, 3], biases");
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
    /* negative control: two samples see 3 x 2 = 6 directions; the excess 42 - 6 - 30 = 6 */
    free(x);
    x = trained(&job, &r, data, "{kind: mlp, widths: [4, 6, 3], activation: linear, bias: false}",
            "{samples: 2}");
    expect(x, 6, 30, "linear [4, 6, 3] on 2 samples");
    assert_true(x[3] == 6);
    free(x);
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
}

static void test_relu_dead_unit(void **s)
{
    sym_job job;
    sym_run_result r;
    sym_model *m = NULL;
    const sym_job_config *cfg;
    double *x;

    (void)s;
    x = trained(&job, &r, "{kind: teacher_mlp, widths: [4, 5, 3], activation: tanh, samples: 60, noise: 0.05}",
                "{kind: mlp, widths: [4, 6, 3], activation: relu, bias: true}", "{}");
    /* P = 51: one scaling per unit, 6 */
    expect(x, 45, 6, "relu [4, 6, 3]");
    free(x);
    /* negative control: unit 2's bias far below its inputs' reach: dead on every sample */
    cfg = sym_job_run_config(&job, 0, NULL);
    check_ok(sym_model_create(&m, &cfg->model));
    sym_model_bias(m, r.params, 0)[2] = -1e3;
    x = fd_values(&job, &r);
    /* its 4 + 1 + 3 parameters fall in the null space, one of them its scaling: excess 7 */
    expect(x, 38, 6, "relu [4, 6, 3], unit 2 dead");
    assert_true(x[3] == 4 + 3);
    free(x);
    sym_model_free(m);
    sym_run_result_dispose(&r);
    sym_job_dispose(&job);
}

/* method gram (matrix-free: J J^T from Jacobian-vector products) against the dense SVD on the
 * closed-form cases: the same ranks, orbits and excesses, singular values to 1e-7 */
static void test_gram_matches_dense(void **s)
{
    static const char *const cases[][3] = {
        {"{kind: teacher_linear, input: 4, output: 3, samples: 30, noise: 0.1}",
         "{kind: mlp, widths: [4, 6, 6, 3], activation: linear, bias: false}", ""},
        {"{kind: teacher_linear, input: 4, output: 3, samples: 30, noise: 0.1}",
         "{kind: mlp, widths: [4, 2, 3], activation: linear, bias: false}", ""},
        {"{kind: teacher_linear, input: 4, output: 3, samples: 30, noise: 0.1}",
         "{kind: mlp, widths: [4, 6, 3], activation: linear, bias: true}", ""},
        {"{kind: teacher_linear, input: 4, output: 3, samples: 30, noise: 0.1}",
         "{kind: mlp, widths: [4, 6, 3], activation: linear, bias: false}", "samples: 2, "},
        {"{kind: teacher_mlp, widths: [4, 5, 3], activation: tanh, samples: 60, noise: 0.05}",
         "{kind: mlp, widths: [4, 6, 3], activation: relu, bias: true}", ""},
        {"{kind: teacher_mlp, widths: [4, 5, 3], activation: tanh, samples: 20, noise: 0.05}",
         "{kind: mlp, widths: [4, 5, 5, 3], activation: tanh, bias: true}", ""},
    };

    (void)s;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        sym_job jd, jg;
        sym_run_result rd, rg;
        char pd[64], pg[64];
        double worst = 0.0;

        snprintf(pd, sizeof(pd), "{%smethod: dense}", cases[c][2]);
        snprintf(pg, sizeof(pg), "{%smethod: gram}", cases[c][2]);
        double *xd = trained(&jd, &rd, cases[c][0], cases[c][1], pd);
        double *xg = trained(&jg, &rg, cases[c][0], cases[c][1], pg);

        for (int k = 0; k < 4; k++)
            assert_true(xd[k] == xg[k]);
        for (int i = 0; i < (int)xd[0]; i++) /* the counted singular values */
            worst = fmax(worst, fabs(xg[7 + i] - xd[7 + i]) / xd[7]);
        printf("%-60s rank %3.0f orbit %3.0f excess %3.0f both; gram gap %.3g (dense %.3g), "
               "singular values to %.1e\n", cases[c][1], xg[0], xg[2], xg[3], xg[4], xd[4], worst);
        assert_true(worst < 1e-7);
        assert_true(xg[4] > 1e2 || isinf(xg[4]));
        free(xd);
        free(xg);
        sym_run_result_dispose(&rd);
        sym_run_result_dispose(&rg);
        sym_job_dispose(&jd);
        sym_job_dispose(&jg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_relu_dead_unit),
        cmocka_unit_test(test_gram_matches_dense),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
