/*
 * Training as the anchors do it (issue 25): learning-rate schedules against their formulas
 * (at the boundaries too) and inside training, gradient clipping by global norm
 * (torch.nn.utils.clip_grad_norm_), decoupled weight decay (torch.optim.AdamW), the
 * minibatches' order (a new permutation every epoch, from the run's shuffle stream), and
 * training with no epoch (the probe-only mode).
 */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

/* a tanh MLP 4 -> 6 -> 3 on 64 samples of a noisy linear teacher */
typedef struct fixture {
    sym_model *m;
    sym_data d;
    size_t np;
    double *p0;
} fixture;

static void fixture_make(fixture *f)
{
    sym_model_opts mo = SYM_MODEL_OPTS_INIT;
    sym_data_opts o;
    sym_rng r;
    int w[] = {4, 6, 3};

    mo.n_layers = mo.n_encoder = 2;
    memcpy(mo.widths, w, sizeof(w));
    mo.act[0] = SYM_ACT_TANH;
    check_ok(sym_model_create(&f->m, &mo));
    memset(&o, 0, sizeof(o));
    o.kind = SYM_DATA_TEACHER_LINEAR;
    o.samples = 64;
    o.input = 4;
    o.output = 3;
    o.noise = 0.01;
    sym_rng_init(&r, 5, SYM_RNG_DATA, 0);
    check_ok(sym_data_generate(&f->d, &o, &r));
    f->np = sym_model_n_params(f->m);
    f->p0 = calloc(f->np, sizeof(double));
    sym_rng_init(&r, 5, SYM_RNG_INIT, 0);
    sym_model_init_params(f->m, f->p0, &r);
}

static void fixture_free(fixture *f)
{
    sym_data_dispose(&f->d);
    sym_model_free(f->m);
    free(f->p0);
}

/* train a copy of the fixture's parameters (seed 5's shuffle stream) */
static double *train(const fixture *f, const sym_train_opts *t, sym_train_out *out)
{
    sym_reg none = SYM_REG_INIT;
    double *p = malloc(f->np * sizeof(double));
    double *curve = calloc((size_t)sym_train_n_points(t), sizeof(double));
    sym_rng sh;

    memcpy(p, f->p0, f->np * sizeof(double));
    sym_rng_init(&sh, 5, SYM_RNG_SHUFFLE, 0);
    check_ok(sym_train(out, curve, p, f->m, &none, t, &f->d, &sh));
    free(curve);
    return p;
}

/* the full-data mean squared error's gradient at p (row-major data) */
static void gradient(const fixture *f, const double *p, double *g, const int *rows, int n)
{
    sym_reg none = SYM_REG_INIT;
    sym_eval *e;
    sym_loss_parts lp;
    double *X = malloc(sizeof(double) * (size_t)n * f->d.d_in);
    double *Y = malloc(sizeof(double) * (size_t)n * f->d.d_out);

    for (int i = 0; i < n; i++) {
        int s = rows ? rows[i] : i;

        memcpy(X + (size_t)i * f->d.d_in, f->d.X + (size_t)s * f->d.d_in, sizeof(double) * f->d.d_in);
        memcpy(Y + (size_t)i * f->d.d_out, f->d.Y + (size_t)s * f->d.d_out, sizeof(double) * f->d.d_out);
    }
    check_ok(sym_eval_create(&e, f->m, &none, n));
    check_ok(sym_eval_loss(e, &lp, g, p, X, Y, n));
    sym_eval_free(e);
    free(X);
    free(Y);
}

/* the rate of each epoch, written out from the definitions in nn.h */
static void test_nn_schedule_formulas(void **state)
{
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    const double pi = 3.14159265358979323846;

    (void)state;
    t.lr = 0.8;
    t.epochs = 8;
    for (int e = 0; e < 8; e++) /* constant: lr */
        check_close1(sym_train_lr(&t, e), 0.8, 0, 0);
    /* seed 003's: halved at 50%, 75%, 87.5% of 8 epochs: from epochs 4, 6 and 7 */
    t.schedule = SYM_SCHED_STEP;
    t.n_decay_at = 3;
    t.decay_at[0] = 0.5;
    t.decay_at[1] = 0.75;
    t.decay_at[2] = 0.875;
    t.decay_factor = 0.5;
    {
        const double want[8] = {0.8, 0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.1};

        for (int e = 0; e < 8; e++)
            check_close1(sym_train_lr(&t, e), want[e], 0, 0);
    }
    /* 10 epochs: 0.75 * 10 = 7.5, so epoch 7 is before it and epoch 8 after; 0.5 * 10 = 5
     * exactly: epoch 5 is decayed, epoch 4 is not */
    t.epochs = 10;
    check_close1(sym_train_lr(&t, 4), 0.8, 0, 0);
    check_close1(sym_train_lr(&t, 5), 0.4, 0, 0);
    check_close1(sym_train_lr(&t, 7), 0.4, 0, 0);
    check_close1(sym_train_lr(&t, 8), 0.2, 0, 0);
    check_close1(sym_train_lr(&t, 9), 0.1, 0, 0);
    /* cosine to 10% over 10 epochs: lr at epoch 0, halfway at epoch 5, eta_min + ... after */
    t.schedule = SYM_SCHED_COSINE;
    t.lr_final = 0.1;
    check_close1(sym_train_lr(&t, 0), 0.8, 0, 0);
    check_close1(sym_train_lr(&t, 5), 0.8 * (0.1 + 0.9 * 0.5), 0, 1e-15);
    for (int e = 0; e < 10; e++)
        check_close1(sym_train_lr(&t, e), 0.08 + (0.8 - 0.08) * (1 + cos(pi * e / 10)) / 2, 0, 1e-15);
    /* warm-up of 3 epochs on cosine: 1/4, 2/4, 3/4 of the scheduled rate, then all of it */
    t.warmup = 3;
    for (int e = 0; e < 10; e++) {
        double cosr = 0.08 + (0.8 - 0.08) * (1 + cos(pi * e / 10)) / 2;

        check_close1(sym_train_lr(&t, e), e < 3 ? cosr * (e + 1) / 4.0 : cosr, 0, 1e-15);
    }
    /* warm-up alone (constant schedule) */
    t.schedule = SYM_SCHED_CONSTANT;
    check_close1(sym_train_lr(&t, 0), 0.2, 0, 0);
    check_close1(sym_train_lr(&t, 2), 0.6, 0, 1e-15);
    check_close1(sym_train_lr(&t, 3), 0.8, 0, 0);
}

/*
 * Inside training: gd with the step schedule over 8 epochs equals 8 one-epoch trainings at
 * the rates written out (gd has no state), bit for bit; and differs from constant training.
 */
static void test_nn_schedule_in_training(void **state)
{
    const double rates[8] = {0.8, 0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.1};
    fixture f;
    sym_train_opts t = SYM_TRAIN_OPTS_INIT, one = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    double *p, *q, *c;

    (void)state;
    fixture_make(&f);
    t.optimizer = SYM_OPT_GD;
    t.lr = 0.8;
    t.epochs = 8;
    t.loss_every = 1;
    t.schedule = SYM_SCHED_STEP;
    t.n_decay_at = 3;
    t.decay_at[0] = 0.5;
    t.decay_at[1] = 0.75;
    t.decay_at[2] = 0.875;
    t.decay_factor = 0.5;
    p = train(&f, &t, &out);
    one.optimizer = SYM_OPT_GD;
    one.epochs = 1;
    one.loss_every = 1;
    q = malloc(f.np * sizeof(double));
    memcpy(q, f.p0, f.np * sizeof(double));
    for (int e = 0; e < 8; e++) {
        double *r;

        one.lr = rates[e];
        memcpy(f.p0, q, f.np * sizeof(double));
        r = train(&f, &one, &out);
        memcpy(q, r, f.np * sizeof(double));
        free(r);
    }
    check_close(p, q, f.np, 0, 0);
    fixture_free(&f);
    fixture_make(&f);
    t.schedule = SYM_SCHED_CONSTANT;
    c = train(&f, &t, &out);
    {
        double d = 0.0;

        for (size_t i = 0; i < f.np; i++)
            d = fmax(d, fabs(c[i] - p[i]));
        assert_true(d > 1e-6);
    }
    free(p);
    free(q);
    free(c);
    fixture_free(&f);
}

/*
 * Clipping: one gd step moves by lr * g * c / (||g|| + 1e-6) when that factor is below 1,
 * by lr * g when it is not (bit for bit the unclipped step).
 */
static void test_nn_clip_norm(void **state)
{
    fixture f;
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    double *g, *want, *p, *q, norm = 0.0;

    (void)state;
    fixture_make(&f);
    g = malloc(f.np * sizeof(double));
    want = malloc(f.np * sizeof(double));
    gradient(&f, f.p0, g, NULL, f.d.n);
    for (size_t i = 0; i < f.np; i++)
        norm += g[i] * g[i];
    norm = sqrt(norm);
    t.optimizer = SYM_OPT_GD;
    t.lr = 0.1;
    t.epochs = 1;
    t.loss_every = 1;
    t.clip_norm = 0.25 * norm; /* clips: the step is a quarter (less 1e-6 / ||g||) of gd's */
    p = train(&f, &t, &out);
    for (size_t i = 0; i < f.np; i++)
        want[i] = f.p0[i] - 0.1 * g[i] * (t.clip_norm / (norm + 1e-6));
    check_close(p, want, f.np, 1e-15, 1e-12);
    t.clip_norm = 2.0 * norm; /* does not clip */
    q = train(&f, &t, &out);
    free(p);
    t.clip_norm = 0.0;
    p = train(&f, &t, &out);
    check_close(q, p, f.np, 0, 0);
    free(p);
    free(q);
    free(g);
    free(want);
    fixture_free(&f);
}

/*
 * AdamW: two full-batch steps, each theta *= 1 - lr wd, then Adam's step with the gradient at
 * the point before the decay (torch.optim.AdamW's order).
 */
static void test_nn_weight_decay_adamw(void **state)
{
    fixture f;
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    sym_opt o;
    double *g, *want, *p;

    (void)state;
    fixture_make(&f);
    t.optimizer = SYM_OPT_ADAM;
    t.lr = 0.01;
    t.epochs = 2;
    t.loss_every = 1;
    t.weight_decay = 0.5;
    p = train(&f, &t, &out);
    g = malloc(f.np * sizeof(double));
    want = malloc(f.np * sizeof(double));
    memcpy(want, f.p0, f.np * sizeof(double));
    check_ok(sym_opt_init(&o, &t, f.np));
    for (int s = 0; s < 2; s++) {
        gradient(&f, want, g, NULL, f.d.n);
        for (size_t i = 0; i < f.np; i++)
            want[i] *= 1.0 - 0.01 * 0.5;
        sym_opt_step(&o, want, g);
    }
    sym_opt_dispose(&o);
    check_close(p, want, f.np, 1e-15, 1e-12);
    /* and the decay is there: without it the point differs by about lr wd |theta| */
    t.weight_decay = 0.0;
    free(p);
    p = train(&f, &t, &out);
    {
        double d = 0.0;

        for (size_t i = 0; i < f.np; i++)
            d = fmax(d, fabs(p[i] - want[i]));
        assert_true(d > 1e-4);
    }
    free(p);
    free(g);
    free(want);
    fixture_free(&f);
}

/* the minibatch order: each step's gradient, recorded by the gradient filter */
typedef struct steps {
    int n;
    size_t np;
    double g[16][128];
    double p[16][128];
} steps;

static int record_step(void *ctx, const double *params, double *grad)
{
    steps *s = ctx;

    memcpy(s->g[s->n], grad, s->np * sizeof(double));
    memcpy(s->p[s->n], params, s->np * sizeof(double));
    s->n++;
    return 0;
}

/* Fisher-Yates over perm, carried from epoch to epoch, from the shuffle stream */
static void shuffle(int *perm, int n, sym_rng *r)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)sym_rng_below(r, (uint32_t)i + 1), s = perm[i];

        perm[i] = perm[j];
        perm[j] = s;
    }
}

/*
 * Minibatches are reshuffled every epoch: with 64 samples in batches of 32, step s of epoch e
 * follows the gradient of the batch perm_e[32 s ..] where perm_e is perm_{e-1} shuffled again
 * by the run's shuffle stream (seed, SYM_RNG_SHUFFLE); epoch 1's batches are not epoch 0's.
 */
static void test_nn_minibatch_reshuffled_every_epoch(void **state)
{
    fixture f;
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    steps *s = calloc(1, sizeof(steps));
    int perm[2][64];
    sym_rng sh;
    double g[128], *p;

    (void)state;
    fixture_make(&f);
    assert_true(f.np <= 128);
    s->np = f.np;
    t.optimizer = SYM_OPT_SGD;
    t.lr = 0.05;
    t.epochs = 3;
    t.loss_every = 1;
    t.batch_size = 32;
    t.grad_filter = record_step;
    t.filter_ctx = s;
    p = train(&f, &t, &out);
    assert_int_equal(s->n, 6);
    sym_rng_init(&sh, 5, SYM_RNG_SHUFFLE, 0);
    for (int i = 0; i < 64; i++)
        perm[0][i] = i;
    for (int e = 0; e < 3; e++) {
        int *pe = perm[e % 2];

        if (e > 0)
            memcpy(pe, perm[(e + 1) % 2], sizeof(perm[0]));
        shuffle(pe, 64, &sh);
        for (int b = 0; b < 2; b++) {
            gradient(&f, s->p[2 * e + b], g, pe + 32 * b, 32);
            check_close(s->g[2 * e + b], g, f.np, 1e-15, 1e-12);
        }
    }
    /* epoch 1's first batch is not epoch 0's: the same batch would give another gradient */
    {
        double d = 0.0;

        /* perm[0] now holds epoch 2's order; rebuild epoch 0's */
        int p0[64];

        sym_rng_init(&sh, 5, SYM_RNG_SHUFFLE, 0);
        for (int i = 0; i < 64; i++)
            p0[i] = i;
        shuffle(p0, 64, &sh);
        gradient(&f, s->p[2], g, p0, 32);
        for (size_t i = 0; i < f.np; i++)
            d = fmax(d, fabs(g[i] - s->g[2][i]));
        assert_true(d > 1e-8);
    }
    free(p);
    free(s);
    fixture_free(&f);
}

/* the curve-point hook's calls: the point, the objective and the gradient it was given */
typedef struct points {
    int n, point;
    size_t np;
    double loss, g[128];
    int had_grad;
} points;

static int count_point(void *ctx, int point, double *params, const double *grad, double loss)
{
    points *p = ctx;

    (void)params;
    p->n++;
    p->point = point;
    p->loss = loss;
    p->had_grad = grad != NULL;
    if (grad)
        memcpy(p->g, grad, sizeof(double) * p->np);
    return 0;
}

/* epochs 0: no step; the parameters are the initial ones, the curve's one point is their loss,
 * and the curve-point hook (the probes that follow training) sees that point once, with the
 * full-data gradient there */
static void test_nn_train_no_epochs(void **state)
{
    fixture f;
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    sym_reg none = SYM_REG_INIT;
    sym_rng sh;
    double *p, curve[1] = {NAN}, g[128];
    sym_eval *e;
    sym_loss_parts lp;
    points pts = {0};

    (void)state;
    fixture_make(&f);
    assert_true(f.np <= 128);
    pts.np = f.np;
    t.optimizer = SYM_OPT_ADAM;
    t.epochs = 0;
    t.loss_every = 10;
    t.hook = count_point;
    t.hook_ctx = &pts;
    assert_int_equal(sym_train_n_points(&t), 1);
    p = malloc(f.np * sizeof(double));
    memcpy(p, f.p0, f.np * sizeof(double));
    sym_rng_init(&sh, 5, SYM_RNG_SHUFFLE, 0);
    check_ok(sym_train(&out, curve, p, f.m, &none, &t, &f.d, &sh));
    assert_int_equal(out.status, SYM_RUN_DONE);
    assert_int_equal(out.epochs_done, 0);
    check_close(p, f.p0, f.np, 0, 0);
    check_ok(sym_eval_create(&e, f.m, &none, f.d.n));
    check_ok(sym_eval_loss(e, &lp, g, f.p0, f.d.X, f.d.Y, f.d.n));
    check_close1(curve[0], lp.total, 0, 1e-14);
    check_close1(out.final.total, lp.total, 0, 1e-14);
    assert_int_equal(pts.n, 1);
    assert_int_equal(pts.point, 0);
    assert_true(pts.had_grad);
    check_close1(pts.loss, lp.total, 0, 1e-14);
    check_close(pts.g, g, f.np, 1e-15, 1e-12);
    sym_eval_free(e);
    free(p);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_schedule_formulas),
        cmocka_unit_test(test_nn_schedule_in_training),
        cmocka_unit_test(test_nn_clip_norm),
        cmocka_unit_test(test_nn_weight_decay_adamw),
        cmocka_unit_test(test_nn_minibatch_reshuffled_every_epoch),
        cmocka_unit_test(test_nn_train_no_epochs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
