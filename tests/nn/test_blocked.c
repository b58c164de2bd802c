/*
 * Blocked evaluation: an objective over more samples than the evaluator's
 * block is summed block by block, so a large data set costs one block of
 * memory.  Against one pass over all samples (an evaluator whose block holds
 * them all), for every model kind, activation and penalty:
 *   - the objective and gradient agree to rounding (the sums' order differs),
 *     with blocks that do not divide n and a last block of one sample;
 *   - row-major and feature-major inputs give bitwise the same blocked result, and so do
 *     data laid out once for the blocks (sym_eval_blocks, sym_eval_data; autoencoding data
 *     share one copy);
 *   - forward outputs are bitwise those of one pass (no sum runs across samples);
 *   - sym_eval_create's evaluator: one pass up to SYM_EVAL_BLOCK samples, then blocks of
 *     SYM_EVAL_STREAM_BLOCK (bitwise an evaluator with that block, rows or laid-out data);
 *   - negative control: weighting a block's terms by its own size instead of
 *     all samples' (the mistake blocking invites) is caught.
 */
#include "check.h"
#include "models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

enum { N = 1001 };

static sym_model_opts ae(sym_act a, int tied, int bias)
{
    static const int w[] = {6, 4, 3, 4, 6};

    return sym_test_autoencoder(w, a, SYM_ACT_LINEAR, tied, bias);
}

static sym_model_opts mlp(sym_act a, sym_act out)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {5, 7, 2};

    o.kind = SYM_MODEL_MLP;
    o.n_layers = o.n_encoder = 2;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = a;
    o.act[1] = out;
    o.bias = 1;
    o.leaky_slope = 0.1;
    return o;
}

static sym_reg reg_of(int k)
{
    sym_reg r = SYM_REG_INIT;

    r.lambda_encoder = 0.01;
    r.lambda_decoder = 0.02;
    switch (k) {
    case 0: r.kind = SYM_REG_NONE; break;
    case 1: r.kind = SYM_REG_FROBENIUS; break;
    case 2: r.kind = SYM_REG_L1; break;
    case 3: r.kind = SYM_REG_JACOBIAN; r.norm = SYM_NORM_FROBENIUS; break;
    }
    return r;
}

typedef struct problem {
    sym_model *m;
    double *p, *X, *Y, *XT, *YT;
    size_t np;
    int din, dout;
} problem;

static void make(problem *q, const sym_model_opts *o)
{
    sym_rng r;
    int ld = sym_batch_ld(N);

    check_ok(sym_model_create(&q->m, o));
    q->np = sym_model_n_params(q->m);
    q->din = o->widths[0];
    q->dout = o->widths[o->n_layers];
    q->p = calloc(q->np, sizeof(double));
    q->X = calloc((size_t)N * q->din, sizeof(double));
    q->Y = calloc((size_t)N * q->dout, sizeof(double));
    q->XT = calloc((size_t)ld * q->din, sizeof(double));
    q->YT = calloc((size_t)ld * q->dout, sizeof(double));
    sym_rng_init(&r, 11, SYM_RNG_TEST, 3);
    for (size_t i = 0; i < q->np; i++)
        q->p[i] = 0.5 * sym_rng_normal(&r);
    for (size_t i = 0; i < (size_t)N * q->din; i++)
        q->X[i] = sym_rng_normal(&r);
    for (size_t i = 0; i < (size_t)N * q->dout; i++)
        q->Y[i] = sym_rng_normal(&r);
    sym_transpose_ld(q->XT, ld, q->X, q->din, N, q->din);
    sym_transpose_ld(q->YT, ld, q->Y, q->dout, N, q->dout);
}

static void dispose(problem *q)
{
    sym_model_free(q->m);
    free(q->p);
    free(q->X);
    free(q->Y);
    free(q->XT);
    free(q->YT);
}

/* blocked against one pass, row- against feature-major, forward bitwise */
static void compare(const sym_model_opts *o, const sym_reg *reg, int block)
{
    problem q;
    sym_eval *one = NULL, *blk = NULL;
    sym_loss_parts a, b, c;
    double *ga, *gb, *gc, *ya, *yb;

    make(&q, o);
    ga = calloc(q.np, sizeof(double));
    gb = calloc(q.np, sizeof(double));
    gc = calloc(q.np, sizeof(double));
    ya = calloc((size_t)N * q.dout, sizeof(double));
    yb = calloc((size_t)N * q.dout, sizeof(double));
    check_ok(sym_eval_create_blocked(&one, q.m, reg, N, N));
    check_ok(sym_eval_create_blocked(&blk, q.m, reg, N, block));
    check_ok(sym_eval_loss(one, &a, ga, q.p, q.X, q.Y, N));
    check_ok(sym_eval_loss(blk, &b, gb, q.p, q.X, q.Y, N));
    check_ok(sym_eval_loss_t(blk, &c, gc, q.p, q.XT, q.YT, N));
    check_close1(b.data, a.data, 0, 1e-13);
    check_close1(b.penalty, a.penalty, 1e-300, 1e-13);
    check_close1(b.total, a.total, 0, 1e-13);
    check_close(gb, ga, q.np, 1e-15, 1e-11);
    /* the same blocks from rows or from feature-major columns: bitwise */
    assert_memory_equal(&b, &c, sizeof(b));
    assert_memory_equal(gb, gc, sizeof(double) * q.np);
    /* the objective alone (no gradient) is the same number */
    check_ok(sym_eval_loss(blk, &c, NULL, q.p, q.X, q.Y, N));
    assert_memory_equal(&b, &c, sizeof(b));
    /* data laid out once for the blocks (sym_eval_blocks, sym_eval_data): bitwise the same */
    {
        sym_data d = {N, q.din, q.dout, q.X, q.Y, 0, NULL, NULL}, self = {N, q.din, q.din, q.X, q.X, 0, NULL, NULL};
        sym_eval_data bd, sd;
        double *XB = calloc(sym_eval_blocks_size(blk, N, q.din), sizeof(double));
        double *YB = calloc(sym_eval_blocks_size(blk, N, q.dout), sizeof(double));

        sym_eval_blocks(blk, XB, q.X, N, q.din);
        sym_eval_blocks(blk, YB, q.Y, N, q.dout);
        check_ok(sym_eval_loss_blocks(blk, &c, gc, q.p, XB, YB, N));
        assert_memory_equal(&b, &c, sizeof(b));
        assert_memory_equal(gb, gc, sizeof(double) * q.np);
        check_ok(sym_eval_data_init(&bd, blk, &d));
        assert_non_null(bd.XB);
        assert_true(bd.YB != bd.XB);
        check_ok(sym_eval_data_loss(blk, &c, gc, q.p, &bd));
        assert_memory_equal(&b, &c, sizeof(b));
        assert_memory_equal(gb, gc, sizeof(double) * q.np);
        sym_eval_data_dispose(&bd);
        /* autoencoding data (Y is X): one copy serves both */
        if (q.din == q.dout) {
            check_ok(sym_eval_loss(blk, &a, ga, q.p, q.X, q.X, N));
            check_ok(sym_eval_data_init(&sd, blk, &self));
            assert_true(sd.YB == sd.XB);
            check_ok(sym_eval_data_loss(blk, &c, gc, q.p, &sd));
            assert_memory_equal(&a, &c, sizeof(a));
            assert_memory_equal(ga, gc, sizeof(double) * q.np);
            sym_eval_data_dispose(&sd);
        }
        free(XB);
        free(YB);
    }
    check_ok(sym_eval_forward(one, ya, q.p, q.X, N));
    check_ok(sym_eval_forward(blk, yb, q.p, q.X, N));
    assert_memory_equal(ya, yb, sizeof(double) * (size_t)N * q.dout);
    sym_eval_free(one);
    sym_eval_free(blk);
    free(ga);
    free(gb);
    free(gc);
    free(ya);
    free(yb);
    dispose(&q);
}

static void test_nn_blocked_matches_one_pass(void **state)
{
    const sym_act acts[] = {SYM_ACT_LINEAR, SYM_ACT_RELU, SYM_ACT_TANH, SYM_ACT_SIGMOID,
                            SYM_ACT_SOFTPLUS, SYM_ACT_LEAKY_RELU};
    const int blocks[] = {1000, 64, 7}; /* last block of 1, of 41, of 0 + 1 */

    (void)state;
    for (size_t a = 0; a < sizeof(acts) / sizeof(*acts); a++)
        for (int k = 0; k < 4; k++) {
            sym_reg r = reg_of(k);

            for (size_t b = 0; b < sizeof(blocks) / sizeof(*blocks); b++) {
                sym_model_opts o1 = ae(acts[a], 0, 1), o2 = ae(acts[a], 1, 0);
                sym_model_opts o3 = mlp(acts[a], SYM_ACT_LINEAR), o4 = mlp(acts[a], SYM_ACT_TANH);

                compare(&o1, &r, blocks[b]);
                compare(&o2, &r, blocks[b]);
                compare(&o3, &r, blocks[b]);
                compare(&o4, &r, blocks[b]);
            }
        }
}

/* n up to a block: one pass, bitwise what an evaluator sized to n gives */
static void test_nn_blocked_small_n_unchanged(void **state)
{
    sym_model_opts o = ae(SYM_ACT_TANH, 0, 1);
    sym_reg r = reg_of(3);
    problem q;
    sym_eval *exact = NULL, *big = NULL;
    sym_loss_parts a, b;
    double *ga, *gb;

    (void)state;
    make(&q, &o);
    ga = calloc(q.np, sizeof(double));
    gb = calloc(q.np, sizeof(double));
    check_ok(sym_eval_create(&exact, q.m, &r, 500));
    check_ok(sym_eval_create(&big, q.m, &r, 100000)); /* holds SYM_EVAL_BLOCK */
    check_ok(sym_eval_loss(exact, &a, ga, q.p, q.X, q.Y, 500));
    check_ok(sym_eval_loss(big, &b, gb, q.p, q.X, q.Y, 500));
    assert_memory_equal(&a, &b, sizeof(a));
    assert_memory_equal(ga, gb, sizeof(double) * q.np);
    /* more than the evaluator was made for is refused */
    assert_int_equal(sym_eval_loss(exact, &a, NULL, q.p, q.X, q.Y, 501), SYM_EINVAL);
    sym_eval_free(exact);
    sym_eval_free(big);
    free(ga);
    free(gb);
    dispose(&q);
}

/*
 * Negative control: the blocks weighted by their own size (the mistake
 * blocking invites) are far from the one-pass objective, so the tolerance
 * above would catch it.  Built from the public API: the mean over blocks of
 * per-block objectives, which differs from the one-pass mean when the last
 * block is short.
 */
/*
 * sym_eval_create's evaluator: up to SYM_EVAL_BLOCK samples one pass, whatever the samples it
 * was made for; beyond, blocks of SYM_EVAL_STREAM_BLOCK: bitwise an evaluator whose block is
 * that size, from rows or from data laid out once, and the one-pass values to rounding.
 */
static void test_nn_blocked_streaming(void **state)
{
    enum { NS = SYM_EVAL_BLOCK + 905 };
    sym_model_opts os[2] = {ae(SYM_ACT_LINEAR, 0, 1), mlp(SYM_ACT_RELU, SYM_ACT_LINEAR)};
    sym_reg r = reg_of(1);

    (void)state;
    for (int t = 0; t < 2; t++) {
        sym_model *m;
        sym_eval *e = NULL, *one = NULL, *s256 = NULL, *exact = NULL;
        sym_eval_data bd;
        sym_data d;
        sym_loss_parts a, b, c;
        sym_rng g;
        size_t np;
        double *p, *ga, *gb, *gc;

        check_ok(sym_model_create(&m, &os[t]));
        np = sym_model_n_params(m);
        d.n = NS;
        d.d_in = os[t].widths[0];
        d.d_out = os[t].widths[os[t].n_layers];
        d.X = malloc(sizeof(double) * NS * d.d_in);
        d.Y = malloc(sizeof(double) * NS * d.d_out);
        p = malloc(sizeof(double) * np);
        ga = malloc(sizeof(double) * np);
        gb = malloc(sizeof(double) * np);
        gc = malloc(sizeof(double) * np);
        sym_rng_init(&g, 21, SYM_RNG_TEST, (uint64_t)t);
        for (size_t i = 0; i < np; i++)
            p[i] = 0.5 * sym_rng_normal(&g);
        for (size_t i = 0; i < (size_t)NS * d.d_in; i++)
            d.X[i] = sym_rng_normal(&g);
        for (size_t i = 0; i < (size_t)NS * d.d_out; i++)
            d.Y[i] = sym_rng_normal(&g);
        check_ok(sym_eval_create(&e, m, &r, NS));
        check_ok(sym_eval_create_blocked(&one, m, &r, NS, NS));
        check_ok(sym_eval_create_blocked(&s256, m, &r, NS, SYM_EVAL_STREAM_BLOCK));
        check_ok(sym_eval_loss(e, &a, ga, p, d.X, d.Y, NS));
        check_ok(sym_eval_loss(s256, &b, gb, p, d.X, d.Y, NS));
        assert_memory_equal(&a, &b, sizeof(a));
        assert_memory_equal(ga, gb, sizeof(double) * np);
        check_ok(sym_eval_data_init(&bd, e, &d));
        assert_non_null(bd.XB);
        check_ok(sym_eval_data_loss(e, &c, gc, p, &bd));
        assert_memory_equal(&a, &c, sizeof(a));
        assert_memory_equal(ga, gc, sizeof(double) * np);
        sym_eval_data_dispose(&bd);
        check_ok(sym_eval_loss(one, &b, gb, p, d.X, d.Y, NS));
        check_close1(a.total, b.total, 0, 1e-13);
        check_close(ga, gb, np, 1e-15, 1e-11);
        /* SYM_EVAL_BLOCK samples: one pass, as an evaluator made for exactly that many */
        check_ok(sym_eval_create(&exact, m, &r, SYM_EVAL_BLOCK));
        check_ok(sym_eval_loss(e, &a, ga, p, d.X, d.Y, SYM_EVAL_BLOCK));
        check_ok(sym_eval_loss(exact, &b, gb, p, d.X, d.Y, SYM_EVAL_BLOCK));
        assert_memory_equal(&a, &b, sizeof(a));
        assert_memory_equal(ga, gb, sizeof(double) * np);
        sym_eval_free(e);
        sym_eval_free(one);
        sym_eval_free(s256);
        sym_eval_free(exact);
        sym_model_free(m);
        free(d.X), free(d.Y), free(p), free(ga), free(gb), free(gc);
    }
}

static void test_nn_blocked_wrong_weighting_detected(void **state)
{
    sym_model_opts o = ae(SYM_ACT_TANH, 0, 1);
    sym_reg r = reg_of(0);
    problem q;
    sym_eval *one = NULL;
    sym_loss_parts a, part;
    double wrong = 0.0;
    int block = 300, nblocks = 0;

    (void)state;
    make(&q, &o);
    check_ok(sym_eval_create_blocked(&one, q.m, &r, N, N));
    check_ok(sym_eval_loss(one, &a, NULL, q.p, q.X, q.Y, N));
    for (int s = 0; s < N; s += block, nblocks++) {
        int nb = N - s < block ? N - s : block;

        check_ok(sym_eval_loss(one, &part, NULL, q.p, q.X + (size_t)s * q.din,
                               q.Y + (size_t)s * q.dout, nb));
        wrong += part.data;
    }
    wrong /= nblocks;
    assert_true(fabs(wrong - a.data) > 1e-6 * fabs(a.data));
    sym_eval_free(one);
    dispose(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_blocked_matches_one_pass),
        cmocka_unit_test(test_nn_blocked_small_n_unchanged),
        cmocka_unit_test(test_nn_blocked_streaming),
        cmocka_unit_test(test_nn_blocked_wrong_weighting_detected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
