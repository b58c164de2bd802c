/*
 * The learning_order probe (seed 004: "small orbits first"): during training, at every curve
 * point, whether each clean prototype of the run's data (data.kind prototypes) is matched by
 * some learned feature up to its orbit:
 *
 *     s_p(t) = max over units u and group elements g of  cos(f_u(t), g . proto_p)
 *
 * where f_u is a first-layer unit's incoming weights (features: first) or an output column
 * (decoder) viewed as an image on the data's grid, g runs over the data's group (data.group:
 * every element, so the whole orbit), and cos is the cosine of the two images, centred by
 * default (centered: each image minus its mean: a correlation, blind to the constant a sigmoid
 * unit's bias can absorb).  Signed by default: a unit tuned to the prototype's complement
 * (cos near -1) responds to its absence, which is not learning it; absolute: true counts it.
 * Prototype p is learned at the first curve point with s_p >= tol (its epoch; -1: never).
 *
 * Per run and prototype: that epoch, s_p at the end and at every curve point, and the clean
 * prototype's orbit size and stabilizer order under the data's group (sym_img_finite_measure,
 * tol 1e-9), and a control: the best cosine of the data's mean image with the orbit (a unit
 * that learns the mean image "matches" a prototype the mean resembles, as a D4-symmetric cross
 * or blob resembles the D4-average of the data, without telling the prototypes apart): the analysis correlates orbit size with time to learn over seeds
 * (symsweep_analysis.stats.orbit_order).  The clean prototypes themselves are recorded too.
 * The probe follows training through the curve-point hook; with other such probes (trajectory,
 * teleport, ...) every probe's point hook sees the same parameters in the job's order, and a
 * probe that moves them does so after all have seen them (src/sweep/run.c).
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { LO_FIRST = 0, LO_DECODER, LO_FEAT_COUNT };
static const char *const lo_feat_names[LO_FEAT_COUNT] = {"first", "decoder"};
enum { LO_EPOCH = 0, LO_FINAL, LO_ORBIT, LO_STAB, LO_CURVE, LO_PROTO, LO_MEAN, LO_BASE, LO_N_AT };

typedef struct lo_opts {
    double tol;
    int absolute, centered, features;
    int protos, pixels, points; /* the largest over the grid points (layout) */
    size_t at[LO_N_AT];
} lo_opts;

static const sym_setting lo_settings[] = {
    {.name = "tol", .type = SYM_SETTING_DOUBLE, .offset = offsetof(lo_opts, tol), .lo = -1.0, .hi = 1.0,
     .doc = "a prototype is matched when some unit's cosine with an image of it in its orbit is at least this"},
    {.name = "absolute", .type = SYM_SETTING_BOOL, .offset = offsetof(lo_opts, absolute),
     .doc = "the cosine's absolute value (a unit tuned to the prototype's complement counts too)"},
    {.name = "centered", .type = SYM_SETTING_BOOL, .offset = offsetof(lo_opts, centered),
     .doc = "each image minus its mean before the cosine (a correlation)"},
    {.name = "features", .type = SYM_SETTING_ENUM, .offset = offsetof(lo_opts, features), .names = lo_feat_names,
     .n_names = LO_FEAT_COUNT, .doc = "first: first-layer units' incoming weights; decoder: output-layer columns"},
};

static void lo_init(void *opts)
{
    lo_opts *o = opts;

    o->tol = 0.8;
    o->centered = 1;
}

static void lo_shape(int *count, int *len, const lo_opts *o, const sym_model_opts *m)
{
    int first = o->features == LO_FIRST;

    *count = first ? m->widths[1] : m->widths[m->n_layers - 1];
    *len = first ? m->widths[0] : m->widths[m->n_layers];
}

static int lo_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const lo_opts *o = opts;
    const sym_data_opts *d = &cfg->data;
    int count, len;

    if (d->kind != SYM_DATA_PROTOTYPES)
        return SYM_PROBE_MSG(msg, "", "expected data kind prototypes (the prototypes to match), found %s",
                             sym_data_kind_names[d->kind]);
    lo_shape(&count, &len, o, &cfg->model);
    if (len != d->image_h * d->image_w)
        return SYM_PROBE_MSG(msg, "features", "features of length %d are not images of the data's "
                             "%d x %d grid", len, d->image_h, d->image_w);
    if (o->features == LO_DECODER && cfg->model.tied)
        return SYM_PROBE_MSG(msg, "features", "a tied decoder's columns are the encoder's rows: use first");
    return 0;
}

static int lo_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    lo_opts *o = opts;
    long long p[1], pp[2], kp[2];

    o->protos = o->pixels = o->points = 0;
    for (int i = 0; i < n; i++) {
        const sym_data_opts *d = &cfgs[i].data;
        int pts = sym_train_n_points(&cfgs[i].train);

        o->protos = d->n_protos > o->protos ? d->n_protos : o->protos;
        o->pixels = d->image_h * d->image_w > o->pixels ? d->image_h * d->image_w : o->pixels;
        o->points = pts > o->points ? pts : o->points;
    }
    p[0] = pp[0] = kp[1] = o->protos;
    pp[1] = o->pixels;
    kp[0] = o->points;
    o->at[LO_EPOCH] = sym_schema_at(sym_schema_measure(s, "/probes/learning_order/epoch", 1, p,
        "first epoch (a curve point) at which some unit matches the prototype up to its orbit, "
        "-1: never [run x prototype, in data.prototypes' order]"));
    o->at[LO_FINAL] = sym_schema_at(sym_schema_measure(s, "/probes/learning_order/similarity", 1, p,
        "best cosine over units and the prototype's orbit at the end of training [run x prototype]"));
    o->at[LO_ORBIT] = sym_schema_at(sym_schema_measure(s, "/probes/learning_order/orbit", 1, p,
        "the clean prototype's orbit size under data.group [run x prototype]"));
    o->at[LO_STAB] = sym_schema_at(sym_schema_measure(s, "/probes/learning_order/stabilizer", 1, p,
        "the clean prototype's stabilizer order under data.group [run x prototype]"));
    o->at[LO_CURVE] = sym_schema_at(sym_schema_measure(s, "/probes/learning_order/similarity_curve", 2, kp,
        "best cosine at every curve point (epoch k record.loss_every) [run x point x prototype]"));
    o->at[LO_PROTO] = sym_schema_at(sym_schema_measure(s, "/probes/learning_order/prototype", 2, pp,
        "the clean prototypes, row by row on the data's grid [run x prototype x pixel]"));
    o->at[LO_BASE] = sym_schema_at(sym_schema_measure(s, "/probes/learning_order/mean_similarity", 1, p,
        "control: the same best cosine for the data's mean image, a feature any unit can learn "
        "without telling the prototypes apart [run x prototype]"));
    o->at[LO_MEAN] = sym_schema_at(sym_schema_measure(s, "/runs/metrics/learning_order_matched", 0, NULL,
        "fraction of the prototypes matched by the end of training (learning_order probe)"));
    return 0;
}

typedef struct lo_state {
    const lo_opts *o;
    const sym_config *cfg;
    const sym_model *m;
    double *out;
    int P, D, G, U, layer;
    double *orbit; /* [P x G x D]: every image of every prototype, centred if asked, unit norm */
    double *W, *f; /* the layer's weight; the features [U x D], unit norm */
} lo_state;

/* x to unit norm, centred first if asked (a constant image stays 0).  Features of huge or tiny
 * weights (a run near divergence) are first scaled by a power of two, exactly, so that their
 * squares neither overflow (1e300 weights read as a zero feature, cosine 0) nor underflow */
static void normalize(double *x, int n, int centered)
{
    double mean = 0.0, s = 0.0, amax = 0.0;
    int e;

    for (int i = 0; i < n; i++)
        amax = fabs(x[i]) > amax ? fabs(x[i]) : amax;
    if (isfinite(amax) && amax > 0.0 && (amax > 0x1p400 || amax < 0x1p-400)) {
        (void)frexp(amax, &e);
        for (int i = 0; i < n; i++)
            x[i] = ldexp(x[i], -e);
    }
    for (int i = 0; centered && i < n; i++)
        mean += x[i] / n;
    for (int i = 0; i < n; i++) {
        x[i] -= mean;
        s += x[i] * x[i];
    }
    s = s > 0.0 ? 1.0 / sqrt(s) : 0.0;
    for (int i = 0; i < n; i++)
        x[i] *= s;
}

static void lo_stop(void *state)
{
    lo_state *st = state;

    if (!st)
        return;
    free(st->orbit);
    free(st->W);
    free(st->f);
    free(st);
}

/* the best cosine of a normalized image f [D] with prototype p's orbit */
static double best_cosine(const lo_state *st, const double *f, int p)
{
    double best = -INFINITY;

    for (int g = 0; g < st->G; g++) {
        const double *x = st->orbit + ((size_t)p * st->G + g) * st->D;
        double c = 0.0;

        for (int i = 0; i < st->D; i++)
            c += f[i] * x[i];
        c = st->o->absolute ? fabs(c) : c;
        if (isnan(c))
            return NAN; /* diverged parameters: no similarity, not -inf */
        best = c > best ? c : best;
    }
    return best;
}

/* the control: the data's mean image (a match by it says nothing about the prototype) */
static void mean_control(lo_state *st, const sym_data *d, double *out)
{
    double *mean = st->f; /* free until the first point */

    memset(mean, 0, sizeof(double) * (size_t)st->D);
    for (int i = 0; i < d->n; i++)
        for (int k = 0; k < st->D; k++)
            mean[k] += d->X[(size_t)i * d->d_in + k] / d->n;
    normalize(mean, st->D, st->o->centered);
    for (int p = 0; p < st->P; p++)
        out[st->o->at[LO_BASE] + p] = best_cosine(st, mean, p);
}

static int lo_start(const void *opts, const sym_probe_run *run, double *out, void **state)
{
    const lo_opts *o = opts;
    const sym_data_opts *d = &run->cfg->data;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    lo_state *st = NULL;
    int rc = 0, len, h = d->image_h, w = d->image_w;
    sym_img_finite grp = (sym_img_finite)d->proto_group;

    SYM_TRY(sym_alloc(&st, sizeof(*st)));
    st->o = o;
    st->cfg = run->cfg;
    st->m = run->model;
    st->out = out;
    st->P = d->n_protos;
    st->D = h * w;
    st->G = sym_img_finite_order(grp, h, w);
    lo_shape(&st->U, &len, o, mo);
    st->layer = o->features == LO_FIRST ? 0 : mo->n_layers - 1;
    SYM_TRY(sym_alloc_doubles(&st->orbit, (size_t)st->P * st->G * st->D));
    SYM_TRY(sym_alloc_doubles(&st->W, (size_t)mo->widths[st->layer + 1] * mo->widths[st->layer]));
    SYM_TRY(sym_alloc_doubles(&st->f, (size_t)st->U * st->D));
    for (int p = 0; p < st->P; p++) {
        double *img = out + o->at[LO_PROTO] + (size_t)p * o->pixels;
        sym_img_finite_stats fs;

        SYM_TRY(sym_proto_image(img, (sym_proto_kind)d->proto[p], h, w));
        SYM_TRY(sym_img_finite_measure(&fs, img, h, w, grp, 1e-9));
        out[o->at[LO_ORBIT] + p] = fs.orbit;
        out[o->at[LO_STAB] + p] = fs.stabilizer;
        out[o->at[LO_EPOCH] + p] = -1.0;
        for (int g = 0; g < st->G; g++) {
            double *x = st->orbit + ((size_t)p * st->G + g) * st->D;

            SYM_TRY(sym_img_finite_apply(x, img, h, w, grp, g));
            normalize(x, st->D, o->centered);
        }
    }
    if (run->data && run->data->d_in == st->D)
        mean_control(st, run->data, out);
cleanup:
    if (rc) {
        lo_stop(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* s_p at params for every prototype into sim [P] */
static void similarities(lo_state *st, const double *params, double *sim)
{
    const sym_model_opts *mo = sym_model_get_opts(st->m);
    int cols = mo->widths[st->layer];

    sym_model_get_weight(st->m, params, st->layer, st->W);
    for (int u = 0; u < st->U; u++) {
        double *f = st->f + (size_t)u * st->D;

        for (int i = 0; i < st->D; i++) /* row u (first) or column u (decoder) */
            f[i] = st->o->features == LO_FIRST ? st->W[(size_t)u * cols + i] : st->W[(size_t)i * cols + u];
        normalize(f, st->D, st->o->centered);
    }
    for (int p = 0; p < st->P; p++) {
        double best = -INFINITY;

        for (int u = 0; u < st->U; u++) {
            double c = best_cosine(st, st->f + (size_t)u * st->D, p);

            best = isnan(c) || isnan(best) ? NAN : c > best ? c : best;
        }
        sim[p] = best;
    }
}

static void record(lo_state *st, int k, const double *params)
{
    const lo_opts *o = st->o;
    double sim[8];

    similarities(st, params, sim);
    for (int p = 0; p < st->P; p++) {
        st->out[o->at[LO_CURVE] + (size_t)k * o->protos + p] = sim[p];
        st->out[o->at[LO_FINAL] + p] = sim[p];
        if (st->out[o->at[LO_EPOCH] + p] < 0 && sim[p] >= o->tol)
            st->out[o->at[LO_EPOCH] + p] = sym_train_point_epoch(&st->cfg->train, k);
    }
}

static int lo_point(void *state, int k, const double *params, const double *grad, double loss)
{
    (void)grad;
    (void)loss;
    record(state, k, params);
    return 0;
}

/* the run's last curve point follows the trainer's last hook; the end's similarity either way */
static int lo_finish(void *state, const sym_probe_run *run, double *out)
{
    lo_state *st = state;
    const sym_train_opts *t = &run->cfg->train;
    double matched = 0.0, sim[8];

    if (run->status == SYM_RUN_DONE && t->epochs % t->loss_every == 0) {
        record(st, sym_train_n_points(t) - 1, run->params);
    } else {
        similarities(st, run->params, sim);
        for (int p = 0; p < st->P; p++)
            out[st->o->at[LO_FINAL] + p] = sim[p];
    }
    for (int p = 0; p < st->P; p++)
        matched += out[st->o->at[LO_EPOCH] + p] >= 0;
    out[st->o->at[LO_MEAN]] = matched / st->P;
    return 0;
}

const sym_probe_def sym_probe_learning_order = {
    SYM_PROBE_DEF_INIT,
    .name = "learning_order",
    .doc = "seed 004: the epoch at which each prototype of the data is first matched by a learned "
           "feature up to its orbit (best cosine >= tol), with the prototype's orbit and stabilizer",
    .opts_size = sizeof(lo_opts),
    .settings = lo_settings,
    .n_settings = sizeof lo_settings / sizeof *lo_settings,
    .init = lo_init,
    .check = lo_check,
    .layout = lo_layout,
    .start = lo_start,
    .point = lo_point,
    .finish = lo_finish,
    .stop = lo_stop,
};
