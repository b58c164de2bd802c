/*
 * The training loop composed of parts (src/nn/train.c, train_parts.c) against the loop it
 * replaced, kept below verbatim as reference_train (the one-function sym_train of 94def6c):
 * every combination of full batch and minibatches, optimizer, proximal step, FISTA, gradient
 * filter, curve-point hook (watching, moving, failing) and divergence must give bitwise the
 * same curve, parameters, final objective, status, epochs and hook calls.
 */
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/* ---------------- the reference: sym_train as it was, renamed ---------------- */

/*
 * A minibatch straight into feature-major out [dim x nb] (rows ldb apart):
 * the samples idx[0..nb) from the transposed data T (rows ld apart), or from
 * the row-major data when it is not transposed (T NULL).  Copies only: the
 * same values either way.
 */
static void gather(double *out, int ldb, const double *T, int ld, const double *rows, int dim,
                   const int *idx, int nb)
{
    if (T) {
        for (int f = 0; f < dim; f++)
            for (int i = 0; i < nb; i++)
                out[(size_t)f * ldb + i] = T[(size_t)f * ld + idx[i]];
    } else {
        for (int i = 0; i < nb; i++)
            for (int f = 0; f < dim; f++)
                out[(size_t)f * ldb + i] = rows[(size_t)idx[i] * dim + f];
    }
}

/* the penalty weight of every parameter: lambda of each layer on its (owner's) weights, 0 on biases */
static void penalty_weights(double *lam, const sym_model *m, const sym_reg *reg)
{
    const sym_model_opts *o = &m->o;

    memset(lam, 0, sizeof(double) * m->n_params);
    for (int l = 0; l < o->n_layers; l++) {
        double w = l < o->n_encoder ? reg->lambda_encoder : reg->lambda_decoder;
        size_t n = (size_t)o->widths[l] * o->widths[l + 1];

        for (size_t i = 0; i < n; i++) /* a tied layer adds to its owner's, as the penalty does */
            lam[m->w_off[l] + i] += w;
    }
}

static int reference_train(sym_train_out *out, double *curve, double *params, const sym_model *m,
                           const sym_reg *reg, const sym_train_opts *o, const sym_data *d,
                           sym_rng *shuffle)
{
    sym_eval *ev = NULL, *es = NULL; /* es: the step's gradient (the data loss alone when proximal) */
    sym_opt opt = {0};
    sym_reg none = SYM_REG_INIT;
    double *lam = NULL, *y = NULL, *xprev = NULL, fista_t = 1.0; /* FISTA's extrapolation */
    size_t np = sym_model_n_params(m);
    int rc = 0, n = d->n, E = o->epochs, every = o->loss_every, npts = sym_train_n_points(o);
    int bs = (o->optimizer == SYM_OPT_GD || o->batch_size <= 0 || o->batch_size >= n)
                 ? n : o->batch_size;
    int full = bs == n, ipt = 0, ld = sym_batch_ld(n);
    double *grad = NULL, *prev = NULL, *Xb = NULL, *Yb = NULL;
    const double *XT = NULL, *YT = NULL;
    sym_eval_data bd = {0};
    int *perm = NULL;
    sym_loss_parts lp = {0};

    if (E < 1 || every < 1)
        SYM_FAIL(SYM_EINVAL, "epochs %d and loss_every %d must be >= 1", E, every);
    if (d->d_in != sym_model_get_opts(m)->widths[0] ||
        d->d_out != sym_model_get_opts(m)->widths[sym_model_get_opts(m)->n_layers])
        SYM_FAIL(SYM_EINVAL, "data is %d -> %d but the model is %d -> %d", d->d_in, d->d_out,
                 sym_model_get_opts(m)->widths[0],
                 sym_model_get_opts(m)->widths[sym_model_get_opts(m)->n_layers]);
    /* everything the loop touches is allocated here, once */
    SYM_TRY(sym_eval_create(&ev, m, reg, n));
    if (o->proximal) {
        if (!sym_prox_supported(reg))
            SYM_FAIL(SYM_EINVAL, "proximal training handles the regularizers none, l1 and frobenius, "
                     "not %s", sym_reg_name(reg->kind));
        SYM_TRY(sym_eval_create(&es, m, &none, n));
        SYM_TRY(sym_alloc_doubles(&lam, np));
        penalty_weights(lam, m, reg);
        if (o->proximal == SYM_PROX_FISTA) {
            if (o->optimizer != SYM_OPT_GD)
                SYM_FAIL(SYM_EINVAL, "FISTA extrapolates full-batch gradient steps: optimizer gd");
            SYM_TRY(sym_alloc_doubles(&y, np));
            SYM_TRY(sym_alloc_doubles(&xprev, np));
            memcpy(xprev, params, np * sizeof(double));
        }
    }
    SYM_TRY(sym_opt_init(&opt, o, np));
    SYM_TRY(sym_alloc_doubles(&grad, np));
    SYM_TRY(sym_alloc_doubles(&prev, np));
    /* the data laid out once for the evaluator (sym_eval_data: feature-major, rows
     * sym_batch_ld apart, block by block; an autoencoder's targets share its inputs'
     * copy), so that no step transposes them; beyond SYM_TRAIN_COPY_MAX bytes the
     * evaluator transposes a block at a time from the rows, and the data are held once */
    SYM_TRY(sym_eval_data_init(&bd, ev, d));
    /* one block of them (n <= SYM_EVAL_BLOCK) is the transposed data minibatches gather from */
    XT = n <= SYM_EVAL_BLOCK ? bd.XB : NULL;
    YT = n <= SYM_EVAL_BLOCK ? bd.YB : NULL;
    if (!full) {
        SYM_TRY(sym_alloc_doubles(&Xb, (size_t)sym_batch_ld(bs) * d->d_in));
        SYM_TRY(sym_alloc_doubles(&Yb, (size_t)sym_batch_ld(bs) * d->d_out));
        SYM_TRY(sym_alloc(&perm, sizeof(int) * (size_t)n));
        for (int i = 0; i < n; i++)
            perm[i] = i;
    }
    for (int i = 0; i < npts; i++)
        curve[i] = NAN;
    memcpy(prev, params, np * sizeof(double));
    out->status = SYM_RUN_DONE;
    out->epochs_done = 0;

    for (int ep = 0; ep < E; ep++) {
        if (full) {
            /* the objective at the start of epoch ep is the curve point for ep (proximal:
             * evaluated at the curve points only; the step needs the data loss alone) */
            if (!es || ep % every == 0) {
                SYM_TRY(sym_eval_data_loss(ev, &lp, es ? NULL : grad, params, &bd));
                if (!isfinite(lp.total))
                    goto diverged;
            }
            if (ep % every == 0) {
                curve[ipt++] = lp.total;
                if (o->hook && (rc = o->hook(o->hook_ctx, ipt - 1, params, es ? NULL : grad,
                                             lp.total)) < 0)
                    goto cleanup;
                if (rc == 1) { /* moved along a symmetry: the step starts from there */
                    rc = 0;
                    if (!es)
                        SYM_TRY(sym_eval_data_loss(ev, &lp, grad, params, &bd));
                    if (y) {
                        memcpy(xprev, params, np * sizeof(double));
                        fista_t = 1.0;
                    }
                }
            }
            memcpy(prev, params, np * sizeof(double));
            if (y) { /* FISTA: the step starts from the extrapolated point y */
                double t_next = 0.5 * (1.0 + sqrt(1.0 + 4.0 * fista_t * fista_t));

                for (size_t i = 0; i < np; i++)
                    y[i] = params[i] + (fista_t - 1.0) / t_next * (params[i] - xprev[i]);
                memcpy(xprev, params, np * sizeof(double));
                memcpy(params, y, np * sizeof(double));
                fista_t = t_next;
            }
            if (es) { /* proximal: the data loss's gradient, then the penalty's prox */
                sym_loss_parts dl;

                SYM_TRY(sym_eval_data_loss(es, &dl, grad, params, &bd));
                if (!isfinite(dl.total))
                    goto diverged;
            }
            if (o->grad_filter && (rc = o->grad_filter(o->filter_ctx, params, grad)) < 0)
                goto cleanup;
            sym_opt_step(&opt, params, grad);
            if (es)
                sym_opt_prox(&opt, params, lam, reg->kind);
        } else {
            if (ep % every == 0) {
                SYM_TRY(sym_eval_data_loss(ev, &lp, NULL, params, &bd));
                if (!isfinite(lp.total))
                    goto diverged;
                curve[ipt++] = lp.total;
                if (o->hook && (rc = o->hook(o->hook_ctx, ipt - 1, params, NULL, lp.total)) < 0)
                    goto cleanup;
                rc = 0; /* moved (1) or not: the next batches' gradients are taken afresh */
            }
            /* Fisher-Yates over the sample indices: one permutation per epoch */
            for (int i = n - 1; i > 0; i--) {
                int j = (int)sym_rng_below(shuffle, (uint32_t)i + 1), t = perm[i];

                perm[i] = perm[j];
                perm[j] = t;
            }
            for (int s = 0; s < n; s += bs) {
                int nb = n - s < bs ? n - s : bs, ldb = sym_batch_ld(nb);

                gather(Xb, ldb, XT, ld, d->X, d->d_in, perm + s, nb);
                gather(Yb, ldb, YT, ld, d->Y, d->d_out, perm + s, nb);
                SYM_TRY(sym_eval_loss_t(es ? es : ev, &lp, grad, params, Xb, Yb, nb));
                if (!isfinite(lp.total))
                    goto diverged;
                memcpy(prev, params, np * sizeof(double));
                if (o->grad_filter && (rc = o->grad_filter(o->filter_ctx, params, grad)) < 0)
                    goto cleanup;
                sym_opt_step(&opt, params, grad);
                if (es)
                    sym_opt_prox(&opt, params, lam, reg->kind);
            }
        }
        out->epochs_done = ep + 1;
    }
    SYM_TRY(sym_eval_data_loss(ev, &lp, NULL, params, &bd));
    if (!isfinite(lp.total))
        goto diverged;
    if (E % every == 0)
        curve[npts - 1] = lp.total;
    out->final = lp;
    goto cleanup;

diverged:
    /* keep the last parameters whose objective was finite */
    out->status = SYM_RUN_DIVERGED;
    memcpy(params, prev, np * sizeof(double));
    SYM_TRY(sym_eval_data_loss(ev, &lp, NULL, params, &bd));
    out->final = lp;
cleanup:
    sym_eval_free(ev);
    sym_eval_free(es);
    free(lam);
    free(y);
    free(xprev);
    sym_opt_dispose(&opt);
    free(grad);
    free(prev);
    free(Xb);
    free(Yb);
    sym_eval_data_dispose(&bd);
    free(perm);
    return rc;
}

/* ---------------- the comparison ---------------- */

/* FNV-1a over the bytes of x: what a hook or filter saw, bit for bit */
static uint64_t fnv(uint64_t h, const void *x, size_t bytes)
{
    const unsigned char *b = x;

    for (size_t i = 0; i < bytes; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

typedef struct watch {
    size_t np;
    int move;     /* the hook moves the parameters at points 1, 4, 7, ... */
    int fail_at;  /* the hook fails at this point (-1: never) */
    int points, moves, filtered, null_grads;
    uint64_t h;   /* every argument every call saw */
} watch;

static int hook(void *ctx, int k, double *params, const double *grad, double loss)
{
    watch *w = ctx;

    w->points++;
    w->h = fnv(w->h, &k, sizeof k);
    w->h = fnv(w->h, &loss, sizeof loss);
    w->h = fnv(w->h, params, w->np * sizeof(double));
    if (grad)
        w->h = fnv(w->h, grad, w->np * sizeof(double));
    else
        w->null_grads++;
    if (k == w->fail_at)
        return -7;
    if (w->move && k % 3 == 1) {
        for (size_t i = 0; i < w->np; i++)
            params[i] *= 0.97;
        w->moves++;
        return 1;
    }
    return 0;
}

/* halves every other coordinate of the gradient */
static int filter(void *ctx, const double *params, double *grad)
{
    watch *w = ctx;

    w->filtered++;
    w->h = fnv(w->h, params, w->np * sizeof(double));
    w->h = fnv(w->h, grad, w->np * sizeof(double));
    for (size_t i = 1; i < w->np; i += 2)
        grad[i] *= 0.5;
    return 0;
}

typedef struct outcome {
    int rc;
    sym_train_out out;
    double curve[64], params[256];
    watch hw, fw;
} outcome;

typedef int (*train_fn)(sym_train_out *, double *, double *, const sym_model *, const sym_reg *,
                        const sym_train_opts *, const sym_data *, sym_rng *);

static void run(outcome *r, train_fn fn, const sym_model *m, const sym_reg *reg,
                sym_train_opts t, const sym_data *d, int use_hook, int move, int fail_at,
                int use_filter)
{
    size_t np = sym_model_n_params(m);
    sym_rng init, sh;

    memset(r, 0, sizeof(*r));
    assert_true(np <= 256 && sym_train_n_points(&t) <= 64);
    sym_rng_init(&init, 5, SYM_RNG_INIT, 0);
    sym_rng_init(&sh, 5, SYM_RNG_SHUFFLE, 0);
    sym_model_init_params(m, r->params, &init);
    r->hw.np = r->fw.np = np;
    r->hw.move = move;
    r->hw.fail_at = fail_at;
    r->fw.fail_at = -1;
    if (use_hook) {
        t.hook = hook;
        t.hook_ctx = &r->hw;
    }
    if (use_filter) {
        t.grad_filter = filter;
        t.filter_ctx = &r->fw;
    }
    r->rc = fn(&r->out, r->curve, r->params, m, reg, &t, d, &sh);
}

static void same(const outcome *a, const outcome *b, size_t np, int npts, const char *what)
{
    if (a->rc != b->rc || memcmp(&a->out, &b->out, sizeof a->out) != 0 ||
        memcmp(a->curve, b->curve, sizeof(double) * (size_t)npts) != 0 ||
        memcmp(a->params, b->params, sizeof(double) * np) != 0 ||
        memcmp(&a->hw, &b->hw, sizeof a->hw) != 0 || memcmp(&a->fw, &b->fw, sizeof a->fw) != 0)
        fail_msg("%s: rc %d/%d, status %d/%d, epochs %d/%d, final %.17g/%.17g, hook calls %d/%d, "
                 "filter calls %d/%d", what, a->rc, b->rc, a->out.status, b->out.status,
                 a->out.epochs_done, b->out.epochs_done, a->out.final.total, b->out.final.total,
                 a->hw.points, b->hw.points, a->fw.filtered, b->fw.filtered);
}

static void test_nn_train_parts_match_the_single_loop(void **state)
{
    static const char *const proxname[] = {"off", "on", "fista"};
    sym_model_opts mo = SYM_MODEL_OPTS_INIT;
    int w[] = {4, 6, 5, 3};
    sym_data_opts dopt;
    sym_data d;
    sym_model *m;
    sym_rng r;
    outcome *a = calloc(2, sizeof(outcome)), *b = a + 1;
    int cases = 0, diverged[2] = {0, 0}, moved = 0, failed = 0, filtered = 0;

    (void)state;
    mo.n_layers = mo.n_encoder = 3;
    memcpy(mo.widths, w, sizeof(w));
    mo.act[0] = SYM_ACT_TANH;
    check_ok(sym_model_create(&m, &mo));
    memset(&dopt, 0, sizeof(dopt));
    dopt.kind = SYM_DATA_TEACHER_LINEAR;
    dopt.samples = 50; /* minibatches of 16: the last one has 2 samples */
    dopt.input = 4;
    dopt.output = 3;
    dopt.noise = 0.01;
    sym_rng_init(&r, 5, SYM_RNG_DATA, 0);
    check_ok(sym_data_generate(&d, &dopt, &r));
    for (int opt = 0; opt < SYM_OPT_COUNT; opt++)
    for (int bs = 0; bs <= 16; bs += 16)
    for (int prox = SYM_PROX_OFF; prox <= SYM_PROX_FISTA; prox++)
    for (int rk = 0; rk < 3; rk++) /* l1, frobenius, jacobian (refused by proximal) */
    for (int hk = 0; hk < 4; hk++) /* none, watching, moving, failing at point 2 */
    for (int flt = 0; flt < 2; flt++)
    for (int big = 0; big < 2; big++) {
        sym_train_opts t = SYM_TRAIN_OPTS_INIT;
        sym_reg reg = SYM_REG_INIT;
        char what[160];
        size_t np = sym_model_n_params(m);

        if (opt == SYM_OPT_GD && bs) /* gd is full batch whatever batch_size says */
            continue;
        reg.kind = rk == 0 ? SYM_REG_L1 : rk == 1 ? SYM_REG_FROBENIUS : SYM_REG_JACOBIAN;
        reg.lambda_encoder = reg.lambda_decoder = 1e-3;
        t.optimizer = (sym_opt_kind)opt;
        t.batch_size = bs;
        t.proximal = prox;
        t.momentum = 0.9;
        t.epochs = 13;
        t.loss_every = 3; /* not a divisor: the last epoch is no curve point */
        t.lr = big ? (opt == SYM_OPT_ADAM ? 1e3 : 50.0) : (opt == SYM_OPT_ADAM ? 0.01 : 0.05);
        run(a, reference_train, m, &reg, t, &d, hk > 0, hk == 2, hk == 3 ? 2 : -1, flt);
        run(b, sym_train, m, &reg, t, &d, hk > 0, hk == 2, hk == 3 ? 2 : -1, flt);
        snprintf(what, sizeof what, "%s batch %d proximal %s reg %s hook %d filter %d lr %g",
                 sym_opt_name(t.optimizer), bs, proxname[prox], sym_reg_name(reg.kind), hk, flt,
                 t.lr);
        same(a, b, np, sym_train_n_points(&t), what);
        cases++;
        if (a->rc == 0 && a->out.status == SYM_RUN_DIVERGED)
            diverged[bs > 0]++;
        moved += a->hw.moves > 0;
        failed += a->rc == -7;
        filtered += a->fw.filtered > 0;
    }
    /* the comparison reached every path it means to: divergence in both batchings, moves,
     * a failing hook, the filter */
    assert_true(cases > 300);
    assert_true(diverged[0] > 0 && diverged[1] > 0);
    assert_true(moved > 0 && failed > 0 && filtered > 0);
    free(a);
    sym_data_dispose(&d);
    sym_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_train_parts_match_the_single_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
