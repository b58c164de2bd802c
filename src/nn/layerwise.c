/*
 * Layer-wise training of a stacked autoencoder (train.layerwise; seed 004's setting, after
 * Hinton and Salakhutdinov): a mirrored chain d -> h1 -> ... -> hS -> ... -> h1 -> d is S
 * two-layer autoencoders.  Stage s (from 0) trains encoder layer s and its mirror, decoder layer
 * L-1-s, as the autoencoder w_s -> w_{s+1} -> w_s on the codes of the frozen layers before it
 * (stage 0: on X), with the job's optimizer, regularizer (lambda_encoder on the stage's encoder
 * layer, lambda_decoder on its decoder layer) and loss; then the next stage starts from the
 * codes of the trained encoder layer.  Layers outside the stage do not move.
 *
 * Epochs: the job's epochs are shared evenly, E / S per stage (the caller checks that E is a
 * multiple of S loss_every), so the curve keeps its E / loss_every + 1 points and every probe's
 * epoch axis stays the run's: curve point s P + k (P = E / (S loss_every)) is stage s's objective
 * at its own point k, the stage's autoencoder on its own input; a stage's last point is the next
 * stage's first (the next stage's objective there), the run's last point the last stage's end.
 * The hook sees the whole network's parameters at the same global points (gradient NULL unless
 * S = 1: a stage's gradient is its own).  out->final is the whole network's objective.  Minibatch
 * order draws from @p shuffle, stage after stage.  With S = 1 this is sym_train bit for bit.
 */
#include "symsweep/nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stage_hook {
    const sym_train_opts *o; /* the caller's hook */
    const sym_model *full, *sub;
    double *params;          /* the whole network's */
    int s, S, P;
} stage_hook;

/* the stage's two layers between the whole network (layers s, L-1-s) and the stage's model */
static void stage_copy(const sym_model *full, double *fp, const sym_model *sub, double *sp, int s,
                       int to_sub, double *W)
{
    const sym_model_opts *fo = sym_model_get_opts(full);
    int L = fo->n_layers;

    for (int k = 0; k < 2; k++) {
        int fl = k == 0 ? s : L - 1 - s, n = fo->widths[fl + 1];
        double *fb = sym_model_bias(full, fp, fl), *sb = sym_model_bias(sub, sp, k);

        if (k == 0 || !fo->tied) { /* a tied decoder is its encoder's transpose */
            if (to_sub) {
                sym_model_get_weight(full, fp, fl, W);
                sym_model_set_weight(sub, sp, k, W);
            } else {
                sym_model_get_weight(sub, sp, k, W);
                sym_model_set_weight(full, fp, fl, W);
            }
        }
        if (fb)
            memcpy(to_sub ? sb : fb, to_sub ? fb : sb, sizeof(double) * (size_t)n);
    }
}

typedef struct stage_ctx {
    stage_hook h;
    double *W; /* a weight's copy */
} stage_ctx;

static int stage_point(void *ctx, int k, double *sp, const double *grad, double loss)
{
    stage_ctx *c = ctx;
    stage_hook *h = &c->h;
    int rc;

    stage_copy(h->full, h->params, h->sub, sp, h->s, 0, c->W);
    rc = h->o->hook(h->o->hook_ctx, h->s * h->P + k, h->params, h->S == 1 ? grad : NULL, loss);
    if (rc == 1) { /* moved: only the stage's own layers may (the codes below it are fixed) */
        if (h->S > 1)
            return sym_err_set(SYM_EINVAL, __FILE__, __LINE__, "train.layerwise: a probe moved the "
                               "parameters at curve point %d (teleport), which layer-wise training "
                               "of %d stages does not support", h->s * h->P + k, h->S);
        stage_copy(h->full, h->params, h->sub, sp, h->s, 1, c->W);
    }
    return rc;
}

int sym_layerwise_check(const sym_model_opts *mo, const sym_train_opts *o, char *why, size_t cap)
{
    int L = mo->n_layers, S = mo->n_encoder;

    if (mo->kind != SYM_MODEL_AUTOENCODER)
        return snprintf(why, cap, "layer-wise training stacks autoencoders: use model.kind autoencoder"), 1;
    if (L != 2 * S)
        return snprintf(why, cap, "layer-wise training needs a decoder that mirrors the encoder (%d "
                        "encoder layers, %d decoder layers)", S, L - S), 1;
    for (int i = 0; i <= L; i++)
        if (mo->widths[i] != mo->widths[L - i])
            return snprintf(why, cap, "layer-wise training needs mirrored widths: width %d is %d but "
                            "width %d is %d", i, mo->widths[i], L - i, mo->widths[L - i]), 1;
    if (mo->loss != SYM_LOSS_MSE)
        return snprintf(why, cap, "layer-wise training reconstructs each stage's input: use loss mse"), 1;
    if (mo->group_layer >= 0 && mo->group_k > 0)
        return snprintf(why, cap, "layer-wise training copies free weights stage by stage: a learned-group "
                        "layer (model.group) is not one; train it end to end"), 1;
    if (o->epochs % (S * o->loss_every) != 0)
        return snprintf(why, cap, "expected epochs (%d) to be a multiple of the %d stages times "
                        "record.loss_every (%d): the stages share the epochs evenly", o->epochs, S,
                        o->loss_every), 1;
    if (o->project_orbit)
        return snprintf(why, cap, "train.project_orbit projects the whole network's gradient; "
                        "layer-wise training steps one stage at a time"), 1;
    return 0;
}

/* the stage's model: the autoencoder w_s -> w_{s+1} -> w_s with the layers' activations */
static void stage_opts(sym_model_opts *so, const sym_model_opts *fo, int s)
{
    *so = *fo;
    so->n_layers = 2;
    so->n_encoder = 1;
    so->widths[0] = so->widths[2] = fo->widths[s];
    so->widths[1] = fo->widths[s + 1];
    so->act[0] = fo->act[s];
    so->act[1] = fo->act[fo->n_layers - 1 - s];
}

/* codes [n x w_{s+1}] of encoder layer s at its input X [n x w_s] */
static int encode(double *out, const sym_model *full, const double *fp, int s, const double *X, int n,
                  double *W)
{
    const sym_model_opts *fo = sym_model_get_opts(full);
    sym_model_opts eo = *fo;
    sym_model *enc = NULL;
    sym_eval *ev = NULL;
    sym_reg none = SYM_REG_INIT;
    double *ep = NULL, *fb = sym_model_bias(full, (double *)fp, s);
    int rc = 0;

    eo.kind = SYM_MODEL_MLP;
    eo.n_layers = eo.n_encoder = 1;
    eo.tied = 0;
    eo.widths[0] = fo->widths[s];
    eo.widths[1] = fo->widths[s + 1];
    eo.act[0] = fo->act[s];
    SYM_TRY(sym_model_create(&enc, &eo));
    SYM_TRY(sym_alloc_doubles(&ep, sym_model_n_params(enc)));
    sym_model_get_weight(full, fp, s, W);
    sym_model_set_weight(enc, ep, 0, W);
    if (fb)
        memcpy(sym_model_bias(enc, ep, 0), fb, sizeof(double) * (size_t)eo.widths[1]);
    SYM_TRY(sym_eval_create(&ev, enc, &none, n));
    SYM_TRY(sym_eval_forward(ev, out, ep, X, n));
cleanup:
    sym_eval_free(ev);
    sym_model_free(enc);
    free(ep);
    return rc;
}

/* the whole network's objective at params */
static int full_objective(sym_loss_parts *out, const sym_model *m, const sym_reg *reg, const double *p,
                          const sym_data *d)
{
    sym_eval *ev = NULL;
    sym_eval_data bd;
    int rc = 0;

    memset(&bd, 0, sizeof(bd));
    SYM_TRY(sym_eval_create(&ev, m, reg, d->n));
    SYM_TRY(sym_eval_data_init(&bd, ev, d));
    SYM_TRY(sym_eval_data_loss(ev, out, NULL, p, &bd));
cleanup:
    sym_eval_data_dispose(&bd);
    sym_eval_free(ev);
    return rc;
}

int sym_train_layerwise(sym_train_out *out, double *curve, double *params, const sym_model *m,
                        const sym_reg *reg, const sym_train_opts *o, const sym_data *d, sym_rng *shuffle)
{
    const sym_model_opts *fo = sym_model_get_opts(m);
    int rc = 0, S = fo->n_encoder, P, maxw = 0;
    char why[256];
    sym_model *sub = NULL;
    double *sp = NULL, *scurve = NULL, *codes = NULL, *next = NULL;
    stage_ctx c;
    sym_data sd;

    memset(&c, 0, sizeof(c));
    if (sym_layerwise_check(fo, o, why, sizeof why))
        SYM_FAIL(SYM_EINVAL, "train.layerwise: %s", why);
    P = o->epochs / (S * o->loss_every);
    for (int i = 0; i <= fo->n_layers; i++)
        maxw = fo->widths[i] > maxw ? fo->widths[i] : maxw;
    SYM_TRY(sym_alloc_doubles(&c.W, (size_t)maxw * maxw));
    SYM_TRY(sym_alloc_doubles(&scurve, (size_t)P + 1));
    for (int i = 0; i < o->epochs / o->loss_every + 1; i++)
        curve[i] = NAN;
    out->status = SYM_RUN_DONE;
    out->epochs_done = 0;
    sd = *d;
    for (int s = 0; s < S; s++) {
        sym_model_opts so;
        sym_train_opts to = *o;
        sym_train_out tout = {0};

        stage_opts(&so, fo, s);
        sym_model_free(sub);
        sub = NULL;
        free(sp);
        sp = NULL;
        SYM_TRY(sym_model_create(&sub, &so));
        SYM_TRY(sym_alloc_doubles(&sp, sym_model_n_params(sub)));
        stage_copy(m, params, sub, sp, s, 1, c.W);
        to.epochs = o->epochs / S;
        to.layerwise = 0;
        c.h = (stage_hook){o, m, sub, params, s, S, P};
        if (o->hook) {
            to.hook = stage_point;
            to.hook_ctx = &c;
        }
        SYM_TRY(sym_train(&tout, scurve, sp, sub, reg, &to, &sd, shuffle));
        stage_copy(m, params, sub, sp, s, 0, c.W);
        memcpy(curve + (size_t)s * P, scurve, sizeof(double) * ((size_t)P + 1));
        out->epochs_done += tout.epochs_done;
        out->final = tout.final;
        if (tout.status != SYM_RUN_DONE) {
            out->status = tout.status;
            break;
        }
        if (s + 1 < S) { /* the next stage's data: this stage's codes, targets themselves */
            SYM_TRY(sym_alloc_doubles(&next, (size_t)d->n * fo->widths[s + 1]));
            SYM_TRY(encode(next, m, params, s, sd.X, d->n, c.W));
            free(codes);
            codes = next;
            next = NULL;
            memset(&sd, 0, sizeof(sd));
            sd.n = d->n;
            sd.d_in = sd.d_out = fo->widths[s + 1];
            sd.X = sd.Y = codes;
        }
    }
    if (S > 1) /* one stage is the whole network: its final objective is the network's */
        SYM_TRY(full_objective(&out->final, m, reg, params, d));
cleanup:
    sym_model_free(sub);
    free(sp);
    free(scurve);
    free(codes);
    free(next);
    free(c.W);
    return rc;
}
