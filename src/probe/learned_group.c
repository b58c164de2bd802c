/*
 * The learned_group probe (seed 003, Linear Group Networks): what a learned A looks like,
 * measured by sym_lgroup_measure (src/sym/lgroup.c) in the pixel basis: invertibility, closure
 * ||A^p - I||, the spectrum and its distance to the p-th roots of 1, the distances to the
 * skew-symmetric, Toeplitz and circulant matrices and to the nearest permutation, the distance
 * to a reference transform T (the best power T^r), A applied to the identity pattern (the
 * paper's Fig. 2) and A itself.
 *
 * The matrices come from one function, group_matrix: a square dense layer W_l (the patch
 * experiment's single linear layer yhat = A x has W1 = A), or the learned-group layer's A_k as
 * the filters use it (normalized when model.group.normalize) with its base filter b_k, group k =
 * the probe's `group`; p is then the layer's own order.  With a base filter the directions of A
 * the filters cannot see (d (d - p + 1) generically) and their share of ||A||^2 are written too.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the reference: none, or one of sym_patch_kind (median is refused: not linear) */
static const char *const ref_names[SYM_PATCH_COUNT + 1] = {"none", "rot90", "rotate", "shift", "box", "median"};
_Static_assert(SYM_PATCH_ROT90 == 0 && SYM_PATCH_MEDIAN == 4 && SYM_PATCH_COUNT == 5,
               "ref_names: none, then sym_patch_transform_names in order");

enum { AT_SIGMA = 0, AT_COND, AT_CLOSURE, AT_ROOTS, AT_SKEW, AT_TOEPLITZ, AT_CIRCULANT, AT_PERM, AT_REF,
       AT_REF_POWER, AT_INVIS_DIM, AT_INVIS_SHARE, AT_REF_SEEN, AT_EIG_RE, AT_EIG_IM, AT_IDENTITY, AT_A, AT_COUNT };

typedef struct lg_opts {
    int layer, p, height, width, reference, group;
    double a, b;
    int d;     /* the largest d over the grid points (layout) */
    int idp;   /* the identity pattern is laid out (a square grid at every point) */
    int invis; /* some grid point's layer is a learned-group layer: its invisible directions */
    size_t at[AT_COUNT];
} lg_opts;

static const sym_setting lg_settings[] = {
    {.name = "layer", .type = SYM_SETTING_INT, .offset = offsetof(lg_opts, layer), .lo = 1, .hi = SYM_MAX_LAYERS,
     .doc = "the layer whose A is measured: a square dense layer W_l (yhat = A x has W1 = A) or the "
            "learned-group layer (model.group.layer)"},
    {.name = "group", .type = SYM_SETTING_INT, .offset = offsetof(lg_opts, group), .lo = 1, .hi = 1 << 20,
     .doc = "a learned-group layer's group k whose A_k (and base filter b_k) is measured (1: the first)"},
    {.name = "p", .type = SYM_SETTING_INT, .offset = offsetof(lg_opts, p), .lo = 2, .hi = 1024,
     .doc = "the group's order: ||A^p - I||, the p-th roots of 1, the powers T^r, r < p (rot90: 4); a "
            "learned-group layer's is its filters setting"},
    {.name = "height", .type = SYM_SETTING_INT, .offset = offsetof(lg_opts, height), .lo = 0, .hi = 4096,
     .doc = "grid rows of the pixels A acts on (0: a square grid, side the square root of d)"},
    {.name = "width", .type = SYM_SETTING_INT, .offset = offsetof(lg_opts, width), .lo = 0, .hi = 4096,
     .doc = "grid columns (0: d over height)"},
    {.name = "reference", .type = SYM_SETTING_ENUM, .offset = offsetof(lg_opts, reference), .names = ref_names,
     .n_names = SYM_PATCH_COUNT + 1,
     .doc = "the transform T that A is compared with, as data.pairs spells it (median refused: not linear)"},
    {.name = "a", .type = SYM_SETTING_DOUBLE, .offset = offsetof(lg_opts, a), .lo = -4096, .hi = 4096,
     .doc = "the reference's first parameter: rotate's degrees, shift's rows, box's radius"},
    {.name = "b", .type = SYM_SETTING_DOUBLE, .offset = offsetof(lg_opts, b), .lo = -4096, .hi = 4096,
     .doc = "the reference's second parameter: shift's columns"},
};

static void lg_init(void *opts)
{
    lg_opts *o = opts;

    o->layer = 1;
    o->group = 1;
    o->p = 4;
}

/* 1 when the probe's layer is the model's learned-group layer */
static int on_group(const lg_opts *o, const sym_model_opts *m)
{
    return m->group_layer >= 0 && m->group_k > 0 && m->group_layer == o->layer - 1;
}

/* the side of the matrix measured: the grid's size for a group layer, else the layer's width */
static int side_of(const lg_opts *o, const sym_model_opts *m)
{
    return on_group(o, m) ? m->group_h * m->group_w : m->widths[o->layer - 1];
}

/* the group's order: a learned-group layer's own, else the probe's */
static int order_of(const lg_opts *o, const sym_model_opts *m) { return on_group(o, m) ? m->group_p : o->p; }

static int on_group(const lg_opts *o, const sym_model_opts *m);

/* the grid of the d pixels A acts on: a learned-group layer's own, else height x width (0: a
 * square grid, or d over the other) */
static int grid_of(int *h, int *w, const lg_opts *o, int d, const sym_model_opts *m)
{
    *h = o->height;
    *w = o->width;
    if (on_group(o, m) && *h == 0 && *w == 0) {
        *h = m->group_h;
        *w = m->group_w;
    }
    if (*h == 0) {
        int s = (int)lround(sqrt((double)d));

        *h = *w == 0 ? s : d / *w;
    }
    if (*w == 0)
        *w = *h > 0 ? d / *h : 0;
    return *h > 0 && *w > 0 && *h * *w == d;
}

static int lg_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const lg_opts *o = opts;
    const sym_model_opts *m = &cfg->model;
    int h, w, d;

    if (o->layer > m->n_layers)
        return SYM_PROBE_MSG(msg, "layer", "expected a layer of the model (1 to %d), found %d", m->n_layers, o->layer);
    d = side_of(o, m);
    if (on_group(o, m) && o->group > m->group_k)
        return SYM_PROBE_MSG(msg, "group", "expected a group of the layer (1 to %d), found %d", m->group_k, o->group);
    if (!on_group(o, m) && m->widths[o->layer] != d)
        return SYM_PROBE_MSG(msg, "layer", "expected a square layer (A is d x d) or the learned-group layer, found "
                             "W%d of %d x %d", o->layer, m->widths[o->layer], d);
    if (!grid_of(&h, &w, o, d, m)) {
        if (o->height == 0 && o->width == 0)
            return SYM_PROBE_MSG(msg, "height", "A of %d x %d is not on a square grid: give height and width with "
                                 "height x width = %d", d, d, d);
        return SYM_PROBE_MSG(msg, o->height ? "height" : "width", "expected height x width = %d (the layer's "
                             "width), found %d x %d", d, h, w);
    }
    if (on_group(o, m) && (o->height || o->width) && (h != m->group_h || w != m->group_w))
        return SYM_PROBE_MSG(msg, o->height ? "height" : "width", "expected the learned-group layer's grid "
                             "%d x %d (model.group.grid), found %d x %d", m->group_h, m->group_w, h, w);
    if (o->reference == 1 + SYM_PATCH_MEDIAN)
        return SYM_PROBE_MSG(msg, "reference", "expected a linear transform, found median (not a matrix)");
    if ((o->reference == 1 + SYM_PATCH_BOX || o->reference == 1 + SYM_PATCH_SHIFT) &&
        (o->a != floor(o->a) || o->b != floor(o->b) || (o->reference == 1 + SYM_PATCH_BOX && o->a < 0)))
        return SYM_PROBE_MSG(msg, "a", "expected whole numbers for %s (box: a radius >= 0), found a %g, b %g",
                             o->reference == 1 + SYM_PATCH_BOX ? "box" : "shift", o->a, o->b);
    if (o->reference == 1 + SYM_PATCH_ROT90 && h != w)
        return SYM_PROBE_MSG(msg, "reference", "rot90 turns a square grid, found %d x %d", h, w);
    return 0;
}

static int lg_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    lg_opts *o = opts;
    long long dd[2];
    static const char *const metric[][2] = {
        {"sigma_min", "smallest singular value of the learned A"},
        {"cond", "condition number of the learned A: largest over smallest singular value"},
        {"closure", "||A^p - I||_F / sqrt(d): how far A is from generating a group of order p"},
        {"root_distance", "largest distance of an eigenvalue of A to the nearest p-th root of 1"},
        {"skew", "||A - nearest skew-symmetric||_F / ||A||_F (the symmetric part's share)"},
        {"toeplitz", "||A - nearest Toeplitz||_F / ||A||_F (diagonal means)"},
        {"circulant", "||A - nearest circulant||_F / ||A||_F (cyclic diagonal means)"},
        {"permutation", "||A - nearest permutation||_F / ||A||_F (an assignment problem)"},
        {"reference", "min over r = 1..p-1 of ||A - T^r||_F / ||T^r||_F, T the probe's reference"},
        {"reference_power", "the r of that minimum"},
        {"invisible_dim", "learned-group layer: dim of the directions dA with dA [b, A b, ..., A^(p-2) b] = 0, "
                          "which leave every filter unchanged (d (d - p + 1) for a generic b)"},
        {"invisible_share", "learned-group layer: the share of ||A||_F^2 in those directions (set by the "
                            "penalties and the initialization, not the data)"},
        {"reference_seen", "learned-group layer: min over r of ||(A - T^r) U||_F / ||T^r U||_F, U an orthonormal "
                           "basis of the filters' span [b, A b, ..., A^(p-2) b]: A against T where the data "
                           "can tell them apart"},
    };
    char path[128];

    o->d = 0;
    o->idp = 1;
    o->invis = 0;
    for (int i = 0; i < n; i++) {
        int d = side_of(o, &cfgs[i].model), h, w;

        o->d = d > o->d ? d : o->d;
        o->idp = o->idp && grid_of(&h, &w, o, d, &cfgs[i].model) && h == w;
        o->invis = o->invis || on_group(o, &cfgs[i].model);
    }
    for (int k = AT_SIGMA; k <= AT_REF_SEEN; k++) {
        sym_schema_dataset *ds;

        if ((k == AT_REF || k == AT_REF_POWER) && o->reference == 0)
            continue;
        if ((k == AT_INVIS_DIM || k == AT_INVIS_SHARE || k == AT_REF_SEEN) && !o->invis)
            continue;
        if (k == AT_REF_SEEN && o->reference == 0)
            continue;
        snprintf(path, sizeof path, "/runs/metrics/learned_group_%s", metric[k][0]);
        ds = sym_schema_measure(s, path, 0, NULL, "%s", metric[k][1]);
        o->at[k] = sym_schema_at(ds);
    }
    dd[0] = o->d;
    dd[1] = o->d;
    o->at[AT_EIG_RE] = sym_schema_at(sym_schema_measure(s, "/probes/learned_group/eigenvalues_re", 1, dd,
        "real parts of the eigenvalues of the learned A, in LAPACK's order [run x d] (NaN: a smaller d)"));
    o->at[AT_EIG_IM] = sym_schema_at(sym_schema_measure(s, "/probes/learned_group/eigenvalues_im", 1, dd,
        "imaginary parts of the eigenvalues of the learned A [run x d]"));
    if (o->idp)
        o->at[AT_IDENTITY] = sym_schema_at(sym_schema_measure(s, "/probes/learned_group/identity_pattern", 1, dd,
            "A vec(I_h): the learned A applied to the identity pattern of the h x h grid (seed 003, Fig. 2) [run x d]"));
    o->at[AT_A] = sym_schema_at(sym_schema_measure(s, "/probes/learned_group/A", 2, dd,
        "the learned A [run x d x d] (rows: outputs; NaN beyond a smaller d)"));
    return 0;
}

/* the matrix the probe measures: the dense layer W_l [d x d] (b: none), or the learned-group
 * layer's A_k as its filters use it, with its base filter b_k */
static int group_matrix(double *A, const double **b, const lg_opts *o, const sym_probe_run *run)
{
    if (on_group(o, sym_model_get_opts(run->model))) {
        sym_model_group_A_used(run->model, run->params, o->group - 1, A);
        *b = sym_model_group_b(run->model, run->params, o->group - 1);
        return 0;
    }
    sym_model_get_weight(run->model, run->params, o->layer - 1, A);
    *b = NULL;
    return 0;
}

static int lg_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const lg_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    int d = side_of(o, mo), p = order_of(o, mo), h, w, rc = 0;
    double *A = NULL, *T = NULL, *re = NULL, *im = NULL;
    const double *b = NULL;
    sym_lgroup_stats st;

    if (!grid_of(&h, &w, o, d, mo))
        SYM_FAIL(SYM_EINVAL, "learned_group: a layer of width %d is not a grid", d);
    SYM_TRY(sym_alloc_doubles(&A, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&re, (size_t)d));
    SYM_TRY(sym_alloc_doubles(&im, (size_t)d));
    SYM_TRY(group_matrix(A, &b, o, run));
    if (o->reference > 0) {
        sym_patch_spec ref = {.n = 1, .kind = {(sym_patch_kind)(o->reference - 1)}, .a = {o->a}, .b = {o->b}};

        SYM_TRY(sym_alloc_doubles(&T, (size_t)d * d));
        SYM_TRY(sym_patch_spec_matrix(T, &ref, h, w));
    }
    SYM_TRY(sym_lgroup_measure(&st, re, im, A, b, d, p, T));
    x[o->at[AT_SIGMA]] = st.sigma_min;
    x[o->at[AT_COND]] = st.cond;
    x[o->at[AT_CLOSURE]] = st.closure;
    x[o->at[AT_ROOTS]] = st.root_distance;
    x[o->at[AT_SKEW]] = st.skew;
    x[o->at[AT_TOEPLITZ]] = st.toeplitz;
    x[o->at[AT_CIRCULANT]] = st.circulant;
    x[o->at[AT_PERM]] = st.permutation;
    if (o->reference > 0) {
        x[o->at[AT_REF]] = st.reference;
        x[o->at[AT_REF_POWER]] = st.reference_power;
    }
    if (o->invis && b) {
        x[o->at[AT_INVIS_DIM]] = st.invisible_dim;
        x[o->at[AT_INVIS_SHARE]] = st.invisible_share;
        if (o->reference > 0)
            x[o->at[AT_REF_SEEN]] = st.reference_seen;
    }
    memcpy(x + o->at[AT_EIG_RE], re, sizeof(double) * (size_t)d);
    memcpy(x + o->at[AT_EIG_IM], im, sizeof(double) * (size_t)d);
    if (o->idp)
        sym_lgroup_identity_pattern(x + o->at[AT_IDENTITY], A, h);
    for (int i = 0; i < d; i++) /* row i of A into row i of the [o->d x o->d] slot */
        memcpy(x + o->at[AT_A] + (size_t)i * o->d, A + (size_t)i * d, sizeof(double) * (size_t)d);
cleanup:
    free(A);
    free(T);
    free(re);
    free(im);
    return rc;
}

const sym_probe_def sym_probe_learned_group = {
    SYM_PROBE_DEF_INIT,
    .name = "learned_group",
    .doc = "seed 003: a learned A (a square dense layer, or a learned-group layer's A_k): invertibility, closure ||A^p - I||, its spectrum "
           "against the p-th roots of 1, distances to skew-symmetric, Toeplitz, circulant, the nearest "
           "permutation and a reference transform's best power, A on the identity pattern, and A",
    .opts_size = sizeof(lg_opts),
    .settings = lg_settings,
    .n_settings = sizeof lg_settings / sizeof *lg_settings,
    .init = lg_init,
    .check = lg_check,
    .layout = lg_layout,
    .at_end = lg_at_end,
};
