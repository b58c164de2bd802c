/*
 * The objective along a line of parameters, theta(s) = B + s C (sym_eval_line), against one
 * evaluation per point (sym_eval_data_loss at B + s C):
 *   - a deep linear network with biases along a line that moves every layer (the output is a
 *     polynomial of degree 3 in s): the same values to rounding, with and without penalties,
 *     in one block and in blocks (data laid out once, and read from the rows);
 *   - a ReLU network along a line that moves only its linear output layer: the hidden
 *     activations are computed once, the loss is exactly a parabola in s;
 *   - a ReLU network along a line that moves a hidden layer: no polynomial, and the values are
 *     bitwise those of one evaluation per point;
 *   - each value is bitwise the same whatever the other points of the line (on one path: which
 *     path a line takes depends on its number of points);
 *   - negative control: a line whose C is perturbed in one entry is caught by the comparison.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { NS = 11 };

typedef struct problem {
    sym_model *m;
    sym_data d;
    double *B, *C, *th;
    size_t np;
} problem;

static void make(problem *q, const int *w, int L, sym_act hidden, int n, int last_only)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_rng r;

    o.kind = SYM_MODEL_MLP;
    o.n_layers = o.n_encoder = L;
    memcpy(o.widths, w, sizeof(int) * (size_t)(L + 1));
    for (int l = 0; l + 1 < L; l++)
        o.act[l] = hidden;
    o.bias = 1;
    check_ok(sym_model_create(&q->m, &o));
    q->np = sym_model_n_params(q->m);
    q->B = calloc(q->np, sizeof(double));
    q->C = calloc(q->np, sizeof(double));
    q->th = calloc(q->np, sizeof(double));
    q->d.n = n;
    q->d.d_in = w[0];
    q->d.d_out = w[L];
    q->d.X = calloc((size_t)n * w[0], sizeof(double));
    q->d.Y = calloc((size_t)n * w[L], sizeof(double));
    sym_rng_init(&r, 5, SYM_RNG_TEST, (uint64_t)n);
    for (size_t i = 0; i < q->np; i++)
        q->B[i] = 0.6 * sym_rng_normal(&r);
    for (size_t i = 0; i < q->np; i++)
        q->C[i] = 0.3 * sym_rng_normal(&r);
    if (last_only) { /* only the output layer's weight and bias move */
        const sym_tensor *tw = NULL, *tb = NULL;

        for (int t = 0; t < sym_model_n_tensors(q->m); t++) {
            const sym_tensor *x = sym_model_tensor(q->m, t);
            char wn[8], bn[8];

            snprintf(wn, sizeof(wn), "W%d", L);
            snprintf(bn, sizeof(bn), "b%d", L);
            if (!strcmp(x->name, wn))
                tw = x;
            if (!strcmp(x->name, bn))
                tb = x;
        }
        assert_non_null(tw);
        assert_non_null(tb);
        for (size_t i = 0; i < q->np; i++)
            if ((i < tw->offset || i >= tw->offset + (size_t)tw->rows * tw->cols) &&
                (i < tb->offset || i >= tb->offset + (size_t)tb->rows))
                q->C[i] = 0.0;
    }
    for (size_t i = 0; i < (size_t)n * w[0]; i++)
        q->d.X[i] = sym_rng_normal(&r);
    for (size_t i = 0; i < (size_t)n * w[L]; i++)
        q->d.Y[i] = 0.5 * sym_rng_normal(&r);
}

static void dispose(problem *q)
{
    sym_model_free(q->m);
    free(q->B);
    free(q->C);
    free(q->th);
    free(q->d.X);
    free(q->d.Y);
}

static void grid(double *s)
{
    for (int j = 0; j < NS; j++)
        s[j] = -1.0 + 2.0 * j / (NS - 1);
}

/* the line against one evaluation per point; returns the largest relative difference */
static double against_points(problem *q, sym_eval *e, const sym_eval_data *bd, const double *s,
                             const double *total, const double *data)
{
    double worst = 0.0;

    for (int j = 0; j < NS; j++) {
        sym_loss_parts lp;

        for (size_t i = 0; i < q->np; i++)
            q->th[i] = q->B[i] + s[j] * q->C[i];
        check_ok(sym_eval_data_loss(e, &lp, NULL, q->th, bd));
        worst = fmax(worst, fabs(total[j] - lp.total) / lp.total);
        worst = fmax(worst, fabs(data[j] - lp.data) / lp.data);
    }
    return worst;
}

static void linear_case(const sym_reg *reg, int n, int block, int from_rows)
{
    static const int w[] = {4, 6, 5, 3};
    problem q;
    sym_eval *e = NULL;
    sym_eval_data bd;
    double s[NS], total[NS], data[NS], worst;

    make(&q, w, 3, SYM_ACT_LINEAR, n, 0);
    if (block) /* 0: sym_eval_create's evaluator (beyond SYM_EVAL_BLOCK: streaming blocks) */
        check_ok(sym_eval_create_blocked(&e, q.m, reg, n, block));
    else
        check_ok(sym_eval_create(&e, q.m, reg, n));
    check_ok(sym_eval_data_init(&bd, e, &q.d));
    if (from_rows) { /* data too large to lay out: read from the rows block by block */
        sym_eval_data_dispose(&bd);
        bd.d = &q.d;
    }
    grid(s);
    assert_int_equal(sym_eval_line_fast(e, q.C, NS, n), 1);
    check_ok(sym_eval_line(e, total, data, q.B, q.C, s, NS, &bd));
    worst = against_points(&q, e, &bd, s, total, data);
    print_message("linear 4-6-5-3, reg %d, n %d, block %d%s: max rel difference %.3g\n",
                  (int)reg->kind, n, block, from_rows ? " (rows)" : "", worst);
    assert_true(worst < 1e-13);
    /* a point's value is its own: bitwise the same with the points in reverse order (other
     * groups of the kernel's 8), and alone when one point takes the same path */
    {
        double rs[NS], rt[NS], rd[NS];

        for (int j = 0; j < NS; j++)
            rs[j] = s[NS - 1 - j];
        check_ok(sym_eval_line(e, rt, rd, q.B, q.C, rs, NS, &bd));
        for (int j = 0; j < NS; j++) {
            assert_memory_equal(&rt[NS - 1 - j], &total[j], sizeof(double));
            assert_memory_equal(&rd[NS - 1 - j], &data[j], sizeof(double));
        }
    }
    for (int j = 0; j < NS && sym_eval_line_fast(e, q.C, 1, n); j++) {
        double t1, d1;

        check_ok(sym_eval_line(e, &t1, &d1, q.B, q.C, s + j, 1, &bd));
        assert_memory_equal(&t1, &total[j], sizeof(double));
        assert_memory_equal(&d1, &data[j], sizeof(double));
    }
    /* negative control: another line is told apart */
    q.C[q.np / 2] += 1e-3;
    worst = against_points(&q, e, &bd, s, total, data);
    assert_true(worst > 1e-7);
    sym_eval_data_dispose(&bd);
    sym_eval_free(e);
    dispose(&q);
}

static void test_nn_line_deep_linear(void **state)
{
    sym_reg none = SYM_REG_INIT, fro = SYM_REG_INIT, l1 = SYM_REG_INIT;

    (void)state;
    fro.kind = SYM_REG_FROBENIUS;
    fro.lambda_encoder = 0.01;
    l1.kind = SYM_REG_L1;
    l1.lambda_encoder = 0.005;
    linear_case(&none, 200, SYM_EVAL_BLOCK, 0);
    linear_case(&fro, 200, SYM_EVAL_BLOCK, 0);
    linear_case(&l1, 200, SYM_EVAL_BLOCK, 0);
    linear_case(&none, 1001, 300, 0); /* blocks of 300 and a last one of 101 */
    linear_case(&fro, 1001, 300, 1);
    linear_case(&none, SYM_EVAL_BLOCK + 905, 0, 0);
    linear_case(&none, SYM_EVAL_BLOCK + 905, 0, 1);
    linear_case(&none, 3, SYM_EVAL_BLOCK, 0); /* one partial vector of columns */
}

/* ReLU network, the output layer alone moves: a parabola in s (closed form: the output is
 * affine in the output layer's parameters), and the line's values are the points' */
static void test_nn_line_relu_output_layer(void **state)
{
    static const int w[] = {5, 8, 7, 2};
    problem q;
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_eval_data bd;
    double s[NS], total[NS], data[NS], worst, a, b, c, fit = 0.0;

    (void)state;
    make(&q, w, 3, SYM_ACT_RELU, 300, 1);
    check_ok(sym_eval_create(&e, q.m, &none, q.d.n));
    check_ok(sym_eval_data_init(&bd, e, &q.d));
    grid(s);
    assert_int_equal(sym_eval_line_fast(e, q.C, NS, q.d.n), 1);
    check_ok(sym_eval_line(e, total, data, q.B, q.C, s, NS, &bd));
    worst = against_points(&q, e, &bd, s, total, data);
    /* the parabola through s = -1, 0, 1 predicts every other point */
    a = total[NS / 2];
    b = (total[NS - 1] - total[0]) / 2.0;
    c = (total[NS - 1] + total[0] - 2.0 * a) / 2.0;
    for (int j = 0; j < NS; j++)
        fit = fmax(fit, fabs(total[j] - (a + b * s[j] + c * s[j] * s[j])) / total[j]);
    print_message("relu 5-8-7-2, output layer: max rel difference %.3g, parabola residual %.3g\n",
                  worst, fit);
    assert_true(worst < 1e-13);
    assert_true(fit < 1e-12);
    assert_true(c > 0.0);
    sym_eval_data_dispose(&bd);
    sym_eval_free(e);
    dispose(&q);
}

/* ReLU network, every layer moves: one evaluation per point, bitwise */
static void test_nn_line_relu_fallback(void **state)
{
    static const int w[] = {5, 8, 7, 2};
    problem q;
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_eval_data bd;
    double s[NS], total[NS], data[NS];

    (void)state;
    make(&q, w, 3, SYM_ACT_RELU, 300, 0);
    check_ok(sym_eval_create(&e, q.m, &none, q.d.n));
    check_ok(sym_eval_data_init(&bd, e, &q.d));
    grid(s);
    assert_int_equal(sym_eval_line_fast(e, q.C, NS, q.d.n), 0);
    check_ok(sym_eval_line(e, total, data, q.B, q.C, s, NS, &bd));
    for (int j = 0; j < NS; j++) {
        sym_loss_parts lp;

        for (size_t i = 0; i < q.np; i++)
            q.th[i] = q.B[i] + s[j] * q.C[i];
        check_ok(sym_eval_data_loss(e, &lp, NULL, q.th, &bd));
        assert_memory_equal(&lp.total, &total[j], sizeof(double));
        assert_memory_equal(&lp.data, &data[j], sizeof(double));
    }
    sym_eval_data_dispose(&bd);
    sym_eval_free(e);
    dispose(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_line_deep_linear),
        cmocka_unit_test(test_nn_line_relu_output_layer),
        cmocka_unit_test(test_nn_line_relu_fallback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
