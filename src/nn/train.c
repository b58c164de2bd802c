/* The training loop: full batch or minibatch, GD / SGD+momentum / Adam, plain or proximal. */
#include "model_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sym_train_n_points(const sym_train_opts *o)
{
    /* epochs 0, k, 2k, ... up to the last multiple of k: one epoch scale for
     * every run of a sweep, whatever its number of epochs (the objective at
     * the last epoch is in sym_train_out.final in any case) */
    return o->epochs / o->loss_every + 1;
}

int sym_train_point_epoch(const sym_train_opts *o, int i) { return i * o->loss_every; }

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

int sym_train(sym_train_out *out, double *curve, double *params, const sym_model *m,
              const sym_reg *reg, const sym_train_opts *o, const sym_data *d, sym_rng *shuffle)
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
