/*
 * The feature_orbit probe (seed 004): every learned feature viewed as an image on a declared
 * grid, and its orbit and stabilizer under a finite group permuting the pixels and a Lie
 * group acting on the plane (src/sym/image_orbit.c).  A feature is a first-layer unit's
 * incoming weights (features: first, h w = the input width) or a column of the output
 * layer (features: decoder, h w = the output width: an autoencoder's reconstruction basis).
 * Values per run and unit; units a run does not have (a narrower grid point) stay NaN.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { FEAT_FIRST = 0, FEAT_DECODER, FEAT_COUNT };
static const char *const feat_names[FEAT_COUNT] = {"first", "decoder"};
static const char *const finite_names[SYM_IMG_FINITE_COUNT + 1] = {"d4", "translations", "d4_translations", "none"};
static const char *const lie_names[SYM_IMG_LIE_COUNT + 1] = {"so2", "gl2", "aff2", "none"};

typedef struct fo_opts {
    int height, width, features, finite, lie;
    double tol, lie_tol;
    int units; /* the largest feature count over the grid points (layout) */
    size_t at[10];
} fo_opts;

static const sym_setting fo_settings[] = {
    {.name = "height", .type = SYM_SETTING_INT, .offset = offsetof(fo_opts, height), .lo = 0, .hi = 4096,
     .doc = "grid rows (0: a square grid, side the square root of the feature's length)"},
    {.name = "width", .type = SYM_SETTING_INT, .offset = offsetof(fo_opts, width), .lo = 0, .hi = 4096,
     .doc = "grid columns (0: the feature's length over height)"},
    {.name = "features", .type = SYM_SETTING_ENUM, .offset = offsetof(fo_opts, features), .names = feat_names,
     .n_names = FEAT_COUNT, .doc = "first: first-layer units' incoming weights; decoder: output-layer columns"},
    {.name = "finite", .type = SYM_SETTING_ENUM, .offset = offsetof(fo_opts, finite), .names = finite_names,
     .n_names = SYM_IMG_FINITE_COUNT + 1, .doc = "the finite group permuting the pixels"},
    {.name = "lie", .type = SYM_SETTING_ENUM, .offset = offsetof(fo_opts, lie), .names = lie_names,
     .n_names = SYM_IMG_LIE_COUNT + 1, .doc = "the Lie group acting on the image plane"},
    {.name = "tol", .type = SYM_SETTING_DOUBLE, .offset = offsetof(fo_opts, tol), .lo = 0.0, .hi = NAN,
     .doc = "g fixes a feature f when ||g f - f|| <= tol ||f||"},
    {.name = "lie_tol", .type = SYM_SETTING_DOUBLE, .offset = offsetof(fo_opts, lie_tol), .lo = 0.0, .hi = NAN,
     .doc = "singular values of the invariance conditions at or below this count toward the stabilizer"},
};

static void fo_init(void *opts)
{
    fo_opts *o = opts;

    o->finite = SYM_IMG_D4;
    o->lie = SYM_IMG_AFF2;
    o->tol = 0.05;
    o->lie_tol = 0.05;
}

/* the feature count and length of a configuration */
static void feature_shape(int *count, int *len, const fo_opts *o, const sym_config *cfg)
{
    const sym_model_opts *m = &cfg->model;

    if (o->features == FEAT_FIRST) {
        *count = m->widths[1];
        *len = m->widths[0];
    } else {
        *count = m->widths[m->n_layers - 1];
        *len = m->widths[m->n_layers];
    }
}

static int grid_of(int *h, int *w, const fo_opts *o, int len)
{
    *h = o->height;
    *w = o->width;
    if (*h == 0) {
        int s = (int)lround(sqrt((double)len));

        *h = *w == 0 ? s : len / *w;
    }
    if (*w == 0)
        *w = *h > 0 ? len / *h : 0;
    return *h > 0 && *w > 0 && *h * *w == len;
}

static int fo_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const fo_opts *o = opts;
    int count, len, h, w;

    feature_shape(&count, &len, o, cfg);
    if (!grid_of(&h, &w, o, len)) {
        if (o->height == 0 && o->width == 0)
            return SYM_PROBE_MSG(msg, "height", "features of length %d are not a square grid: give "
                                 "height and width with height x width = %d", len, len);
        return SYM_PROBE_MSG(msg, o->height ? "height" : "width", "features of length %d are not a "
                             "%d x %d grid: give height and width with height x width = %d", len, h, w, len);
    }
    if (o->lie != SYM_IMG_LIE_COUNT && (h < 3 || w < 3))
        return SYM_PROBE_MSG(msg, "lie", "a %d x %d grid: the image gradient needs at least 3 x 3", h, w);
    if (o->finite == SYM_IMG_D4 && h != w)
        return SYM_PROBE_MSG(msg, "finite", "d4 rotates a square grid, found %d x %d", h, w);
    if (o->features == FEAT_DECODER && cfg->model.tied)
        return SYM_PROBE_MSG(msg, "features", "a tied decoder's columns are the encoder's rows: use first");
    return 0;
}

static int fo_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    fo_opts *o = opts;
    long long u[1], uk[2];
    int k = o->lie == SYM_IMG_LIE_COUNT ? 0 : sym_img_lie_dim((sym_img_lie)o->lie);

    o->units = 0;
    for (int i = 0; i < n; i++) {
        int count, len;

        feature_shape(&count, &len, o, &cfgs[i]);
        o->units = count > o->units ? count : o->units;
    }
    u[0] = o->units;
    uk[0] = o->units;
    uk[1] = k;
    if (o->finite != SYM_IMG_FINITE_COUNT) {
        o->at[0] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/finite_stabilizer", 1, u,
            "order of each feature's stabilizer in the finite group: the g with ||g f - f|| <= tol ||f|| "
            "[run x unit] (NaN: no such unit)"));
        o->at[1] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/finite_orbit", 1, u,
            "size of each feature's orbit: its distinct images under the finite group [run x unit]"));
        o->at[2] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/finite_counted_max", 1, u,
            "largest relative distance ||g f - f|| / ||f|| counted as fixed [run x unit]"));
        o->at[3] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/finite_uncounted_min", 1, u,
            "smallest relative distance not counted (inf: every element fixes f) [run x unit]"));
        o->at[8] = sym_schema_at(sym_schema_measure(s, "/runs/metrics/feature_orbit_finite_mean", 0, NULL,
            "mean orbit size of the features under the finite group (feature_orbit probe)"));
    }
    if (k > 0) {
        o->at[4] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/lie_stabilizer", 1, u,
            "dimension of each feature's stabilizer in the Lie group: the null space of the "
            "conditions grad f . v = 0 [run x unit]"));
        o->at[5] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/lie_orbit", 1, u,
            "dimension of each feature's orbit: dim G minus the stabilizer's [run x unit]"));
        o->at[6] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/lie_singular_values", 2, uk,
            "singular values of the invariance conditions, each generator's column over its "
            "Cauchy-Schwarz bound, descending [run x unit x generator]"));
        o->at[7] = sym_schema_at(sym_schema_measure(s, "/probes/feature_orbit/lie_gap", 1, u,
            "smallest kept over largest counted singular value [run x unit]"));
        o->at[9] = sym_schema_at(sym_schema_measure(s, "/runs/metrics/feature_orbit_lie_mean", 0, NULL,
            "mean orbit dimension of the features under the Lie group (feature_orbit probe)"));
    }
    return 0;
}

/* feature u into f: row u of the layer's weight W [rows x cols] (first), or its column u */
static void feature(double *f, const fo_opts *o, const double *W, int rows, int cols, int u)
{
    if (o->features == FEAT_FIRST)
        memcpy(f, W + (size_t)u * cols, sizeof(double) * (size_t)cols);
    else
        for (int i = 0; i < rows; i++)
            f[i] = W[(size_t)i * cols + u];
}

static int fo_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const fo_opts *o = opts;
    int count, len, h, w, rc = 0, k = o->lie == SYM_IMG_LIE_COUNT ? 0 : sym_img_lie_dim((sym_img_lie)o->lie);
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    int l = o->features == FEAT_FIRST ? 0 : mo->n_layers - 1, rows = mo->widths[l + 1], cols = mo->widths[l];
    double *f = NULL, *W = NULL, fsum = 0.0, lsum = 0.0;

    feature_shape(&count, &len, o, run->cfg);
    if (!grid_of(&h, &w, o, len))
        SYM_FAIL(SYM_EINVAL, "feature_orbit: features of length %d are not a grid", len);
    SYM_TRY(sym_alloc_doubles(&f, (size_t)len));
    SYM_TRY(sym_alloc_doubles(&W, (size_t)rows * cols));
    sym_model_get_weight(run->model, run->params, l, W); /* once per run, not per unit */
    for (int u = 0; u < count; u++) {
        feature(f, o, W, rows, cols, u);
        if (o->finite != SYM_IMG_FINITE_COUNT) {
            sym_img_finite_stats st;

            SYM_TRY(sym_img_finite_measure(&st, f, h, w, (sym_img_finite)o->finite, o->tol));
            x[o->at[0] + u] = st.stabilizer;
            x[o->at[1] + u] = st.orbit;
            x[o->at[2] + u] = st.counted_max;
            x[o->at[3] + u] = st.uncounted_min;
            fsum += st.orbit;
        }
        if (k > 0) {
            sym_img_lie_stats st;

            SYM_TRY(sym_img_lie_measure(&st, f, h, w, (sym_img_lie)o->lie, o->lie_tol));
            x[o->at[4] + u] = st.stabilizer;
            x[o->at[5] + u] = st.orbit;
            for (int j = 0; j < k; j++)
                x[o->at[6] + (size_t)u * k + j] = st.sv[j];
            x[o->at[7] + u] = st.gap;
            lsum += st.orbit;
        }
    }
    if (o->finite != SYM_IMG_FINITE_COUNT)
        x[o->at[8]] = fsum / count;
    if (k > 0)
        x[o->at[9]] = lsum / count;
cleanup:
    free(f);
    free(W);
    return rc;
}

const sym_probe_def sym_probe_feature_orbit = {
    SYM_PROBE_DEF_INIT,
    .name = "feature_orbit",
    .doc = "seed 004: each learned feature as an image on a grid, its stabilizer and orbit under a "
           "finite group of pixel permutations (D4, translations) and a Lie group on the plane "
           "(so(2), gl(2), aff(2))",
    .opts_size = sizeof(fo_opts),
    .settings = fo_settings,
    .n_settings = sizeof fo_settings / sizeof *fo_settings,
    .init = fo_init,
    .check = fo_check,
    .layout = fo_layout,
    .at_end = fo_at_end,
};
