/*
 * Scores beside training (issue 25): accuracy and the objective on held-out data, on networks
 * whose outputs are known in closed form:
 *  - the identity network (one linear layer, W = I): its outputs are its inputs, so its
 *    accuracy and its mean squared error are what the data were built to give;
 *  - a network that predicts one class whatever its input (W = 0, bias e_c): its accuracy is
 *    that class's share of the targets (the negative control); with no bias every output ties
 *    at 0 and the prediction is class 0 (ties to the lowest index, as torch.argmax);
 *  - more samples than one block (SYM_EVAL_BLOCK): the scorer works block by block.
 */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { Q = 3, BIG = 2 * SYM_EVAL_BLOCK + 3 };

static sym_model *linear(int din, int dout, int bias)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_model *m = NULL;

    o.n_layers = 1;
    o.n_encoder = 1;
    o.widths[0] = din;
    o.widths[1] = dout;
    o.bias = bias;
    check_ok(sym_model_create(&m, &o));
    return m;
}

static void onehot(double *y, int c)
{
    for (int j = 0; j < Q; j++)
        y[j] = j == c;
}

static void test_nn_argmax_ties_and_nan(void **state)
{
    const double a[] = {1.0, 3.0, 3.0, 2.0}, b[] = {0.0, 0.0, 0.0}, c[] = {5.0};
    const double d[] = {1.0, NAN, 7.0, NAN}, e[] = {-2.0, -1.0, -1.5};

    (void)state;
    assert_int_equal(sym_argmax(a, 4), 1); /* equal maxima: the first */
    assert_int_equal(sym_argmax(b, 3), 0);
    assert_int_equal(sym_argmax(c, 1), 0);
    assert_int_equal(sym_argmax(d, 4), 1); /* a NaN is the largest, the first NaN wins */
    assert_int_equal(sym_argmax(e, 3), 1);
}

/* sample i: x = 2 e_{i mod 3} + 0.5 e_{(i+1) mod 3}; its target class is i mod 3, except every
 * fourth sample's, which is (i + 1) mod 3: the identity network is right on the others */
static void identity_data(double *X, double *Y, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < Q; j++)
            X[(size_t)i * Q + j] = 0.0;
        X[(size_t)i * Q + i % Q] = 2.0;
        X[(size_t)i * Q + (i + 1) % Q] = 0.5;
        onehot(Y + (size_t)i * Q, i % 4 == 0 ? (i + 1) % Q : i % Q);
    }
}

static void test_nn_score_identity_network(void **state)
{
    sym_model *m = linear(Q, Q, 0);
    sym_reg reg = SYM_REG_INIT;
    sym_scorer *s = NULL;
    double *X = malloc(sizeof(double) * BIG * Q), *Y = malloc(sizeof(double) * BIG * Q);
    double p[Q * Q] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, acc = 0.0;
    sym_loss_parts lp;
    int sizes[] = {1, 4, 7, BIG};

    (void)state;
    identity_data(X, Y, BIG);
    check_ok(sym_scorer_create(&s, m, &reg, BIG));
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int n = sizes[k], wrong = (n + 3) / 4; /* samples 0, 4, 8, ... */
        /* right: (2 - 1)^2 + 0.5^2 = 1.25 per sample; wrong: 2^2 + (0.5 - 1)^2 = 4.25; mean over
         * the n * Q entries */
        double mse = ((n - wrong) * 1.25 + wrong * 4.25) / ((double)n * Q);

        check_ok(sym_scorer_accuracy(s, &acc, p, X, Y, n));
        check_close1(acc, (double)(n - wrong) / n, 0.0, 0.0);
        check_ok(sym_scorer_loss(s, &lp, p, X, Y, n));
        check_close1(lp.data, mse, 0.0, 1e-13);
        check_close1(lp.total, mse, 0.0, 1e-13);
    }
    /* sample SYM_EVAL_BLOCK, the second block's first (a multiple of 4: wrong so far), made
     * right: the count of the second block moves by one */
    onehot(Y + (size_t)SYM_EVAL_BLOCK * Q, SYM_EVAL_BLOCK % Q);
    check_ok(sym_scorer_accuracy(s, &acc, p, X, Y, BIG));
    check_close1(acc, (double)(BIG - (BIG + 3) / 4 + 1) / BIG, 0.0, 0.0);
    /* a count outside the scorer */
    assert_int_equal(sym_scorer_accuracy(s, &acc, p, X, Y, BIG + 1), SYM_EINVAL);
    assert_true(isnan(acc));
    assert_int_equal(sym_scorer_loss(s, &lp, p, X, Y, 0), SYM_EINVAL);
    sym_scorer_free(s);
    sym_model_free(m);
    free(X);
    free(Y);
}

/* the negative control: a network that predicts class c whatever its input is right on exactly
 * the samples of class c */
static void test_nn_score_fixed_class_is_its_share(void **state)
{
    enum { N = 1003, D = 4 };
    sym_model *mb = linear(D, Q, 1), *m0 = linear(D, Q, 0);
    sym_reg reg = SYM_REG_INIT;
    sym_scorer *sb = NULL, *s0 = NULL;
    double *X = malloc(sizeof(double) * N * D), *Y = malloc(sizeof(double) * N * Q);
    double pb[D * Q + Q], p0[D * Q], acc;
    int count[Q] = {0};
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 25, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * D; i++)
        X[i] = sym_rng_normal(&r);
    for (int i = 0; i < N; i++) { /* classes in shares 1/2, 1/3, 1/6 (i mod 6) */
        int c = i % 6 < 3 ? 0 : i % 6 < 5 ? 1 : 2;

        onehot(Y + (size_t)i * Q, c);
        count[c]++;
    }
    check_ok(sym_scorer_create(&sb, mb, &reg, N));
    check_ok(sym_scorer_create(&s0, m0, &reg, N));
    for (int c = 0; c < Q; c++) {
        memset(pb, 0, sizeof(pb));
        onehot(sym_model_bias(mb, pb, 0), c);
        check_ok(sym_scorer_accuracy(sb, &acc, pb, X, Y, N));
        check_close1(acc, (double)count[c] / N, 0.0, 0.0);
    }
    /* all outputs 0: every sample ties, and the tie goes to class 0 */
    memset(p0, 0, sizeof(p0));
    check_ok(sym_scorer_accuracy(s0, &acc, p0, X, Y, N));
    check_close1(acc, (double)count[0] / N, 0.0, 0.0);
    sym_scorer_free(sb);
    sym_scorer_free(s0);
    sym_model_free(mb);
    sym_model_free(m0);
    free(X);
    free(Y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_argmax_ties_and_nan),
        cmocka_unit_test(test_nn_score_identity_network),
        cmocka_unit_test(test_nn_score_fixed_class_is_its_share),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
