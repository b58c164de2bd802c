/*
 * Seed 003's data with known answers: the settings of data.pairs (file data: each sample x, a
 * patch or an image, with the target T x) and of the planted_group kind, and the planted
 * group's samples x = sum_j c_j g^(k_j) b_(m_j) + noise (targets y = x).  The transforms are
 * sym_patch_spec compositions (src/sym/patch.c), read from the rows transforms, a, b
 * (sections.c, transform_rows) that data.pairs and data.generator share.
 */
#include "job_impl.h"
#include "symsweep/run.h"
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRY(x)                                                                                    \
    do {                                                                                          \
        int rc_ = (x);                                                                            \
        if (rc_ != 0)                                                                             \
            return rc_;                                                                           \
    } while (0)

/* section @p path at node @p sec into @p out, checked against the grid h x w (linear: no median) */
static int read_spec(ctx *c, const node *sec, const char *path, const sym_job_bases *b, sym_patch_spec *out,
                     int h, int w, int linear)
{
    sym_job_values *val = b->base[JROW_VALUES];
    node *tn, *an, *bn;
    char key[64];
    int kind = -1, n;
    uint64_t given;

    TRY(sym_job_read_section(c, sec, sym_job_section_find(path), b, 0, &kind, &given));
    tn = sym_yaml_lookup(c, sec, "transforms");
    an = sym_yaml_lookup(c, sec, "a");
    bn = sym_yaml_lookup(c, sec, "b");
    n = val->pair_n < 0 ? 1 : val->pair_n;
    snprintf(key, sizeof key, "%s.transforms", path);
    if (!tn)
        return sym_yaml_missing(c, sec, key, "one transform, or a list of up to 4");
    if (n < 1 || n > SYM_PATCH_MAX_STEPS)
        return sym_yaml_err(c, tn, key, "expected 1 to %d transforms, found %d", SYM_PATCH_MAX_STEPS, n);
    if (an && val->pair_a_n != n) {
        snprintf(key, sizeof key, "%s.a", path);
        return sym_yaml_err(c, an, key, "expected one value per transform (%d), found %d", n, val->pair_a_n);
    }
    if (bn && val->pair_b_n != n) {
        snprintf(key, sizeof key, "%s.b", path);
        return sym_yaml_err(c, bn, key, "expected one value per transform (%d), found %d", n, val->pair_b_n);
    }
    for (int k = 0; k < n; k++) { /* a, b not given: 0 each, as /config shows them */
        val->pair_a[k] = an ? val->pair_a[k] : 0;
        val->pair_b[k] = bn ? val->pair_b[k] : 0;
    }
    val->pair_a_n = val->pair_b_n = n;
    memset(out, 0, sizeof(*out));
    out->n = n;
    for (int k = 0; k < n; k++) {
        out->kind[k] = (sym_patch_kind)val->pair_kind[k];
        out->a[k] = val->pair_a[k];
        out->b[k] = val->pair_b[k];
        snprintf(key, sizeof key, "%s.transforms", path);
        if (out->kind[k] == SYM_PATCH_ROT90 && h != w)
            return sym_yaml_err(c, tn, key, "expected a square grid for rot90, found %d x %d", h, w);
        if (out->kind[k] == SYM_PATCH_MEDIAN && linear)
            return sym_yaml_err(c, tn, key, "expected linear transforms (g is a matrix), found median");
        if ((out->kind[k] == SYM_PATCH_BOX || out->kind[k] == SYM_PATCH_MEDIAN) && out->a[k] < 0) {
            snprintf(key, sizeof key, "%s.a", path);
            return sym_yaml_err(c, an, key, "expected a radius >= 0 for %s, found %g",
                                sym_patch_transform_names[out->kind[k]], out->a[k]);
        }
    }
    return 0;
}

int sym_job_settle_pairs(ctx *c, const node *v, const sym_job_bases *b)
{
    sym_config *cfg = b->base[JROW_CFG];
    sym_data_opts *d = &cfg->data;
    node *pn = sym_yaml_lookup(c, v, "pairs");
    int h = d->patch_h > 0 ? d->patch_h : d->image_h, w = d->patch_h > 0 ? d->patch_w : d->image_w;

    if (!pn)
        return 0;
    if (h <= 0)
        return sym_yaml_err(c, pn, "data.pairs", "expected patches or images of a known shape: give "
                            "data.patches, or data.image [h, w]");
    if (d->standardize)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "standardize"), "data.standardize",
                            "expected false with data.pairs (it would change x after T x is made), found true");
    TRY(read_spec(c, pn, "data.pairs", b, &d->pairs, h, w, 0));
    d->output = d->input; /* the targets are T x: the labels are not used */
    return 0;
}

int sym_job_settle_group(ctx *c, const node *v, const sym_job_bases *b)
{
    sym_config *cfg = b->base[JROW_CFG];
    sym_data_opts *d = &cfg->data;
    node *gn = sym_yaml_lookup(c, v, "generator");

    if ((long long)d->image_h * d->image_w > 4096)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "grid"), "data.grid",
                            "expected at most 4096 pixels (g is a d x d matrix), found %d x %d", d->image_h,
                            d->image_w);
    if (!gn)
        return sym_yaml_missing(c, v, "data.generator", "the planted group's generator: {transforms: rot90}");
    TRY(read_spec(c, gn, "data.generator", b, &d->group, d->image_h, d->image_w, 1));
    d->input = d->output = d->image_h * d->image_w;
    return 0;
}

int sym_run_planted_group(sym_data *out, const sym_data_opts *o, sym_rng *r)
{
    int h = o->image_h, w = o->image_w, dim = h * w, n = o->samples, M = o->group_filters, p = o->group_p;
    double *G = NULL, *F = NULL;
    sym_data d = {0};
    int rc = 0;

    if (n < 1 || M < 1 || p < 1 || o->group_terms < 1)
        SYM_FAIL(SYM_EINVAL, "planted group: %d samples, %d filters, order %d, %d terms: expected all >= 1",
                 n, M, p, o->group_terms);
    SYM_TRY(sym_alloc_doubles(&G, (size_t)dim * dim));
    SYM_TRY(sym_alloc_doubles(&F, (size_t)M * p * dim));
    SYM_TRY(sym_patch_spec_matrix(G, &o->group, h, w));
    /* F[m, k] = g^k b_m: b_m ~ N(0, I) scaled to unit norm, then g applied k times */
    for (int m = 0; m < M; m++) {
        double *fm = F + (size_t)m * p * dim, nb;

        for (int i = 0; i < dim; i++)
            fm[i] = sym_rng_normal(r);
        nb = sym_norm2(fm, (size_t)dim);
        for (int i = 0; i < dim; i++)
            fm[i] /= nb;
        for (int k = 1; k < p; k++)
            sym_gemm(0, 0, dim, 1, dim, 1.0, G, fm + (size_t)(k - 1) * dim, 0.0, fm + (size_t)k * dim);
    }
    d.n = n;
    d.d_in = d.d_out = dim;
    SYM_TRY(sym_alloc_doubles(&d.X, (size_t)n * dim));
    d.Y = d.X;
    for (int s = 0; s < n; s++) {
        double *x = d.X + (size_t)s * dim;

        memset(x, 0, sizeof(double) * (size_t)dim);
        for (int j = 0; j < o->group_terms; j++) {
            int m = (int)sym_rng_below(r, (uint32_t)M), k = (int)sym_rng_below(r, (uint32_t)p);
            double cj = sym_rng_normal(r);
            const double *f = F + ((size_t)m * p + k) * dim;

            for (int i = 0; i < dim; i++)
                x[i] += cj * f[i];
        }
        for (int i = 0; i < dim; i++)
            x[i] += o->noise * sym_rng_normal(r);
    }
    *out = d;
    memset(&d, 0, sizeof(d));
cleanup:
    sym_data_dispose(&d);
    free(G);
    free(F);
    return rc;
}
