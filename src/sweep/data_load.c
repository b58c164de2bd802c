/*
 * A run's data: generated (from the data stream), or read from files (HDF5 datasets, IDX
 * images and labels) and prepared: classes kept and relabelled, a subset drawn, a test split
 * held out, pixels scaled, inputs standardized with the training split's statistics.  A
 * per-process cache keeps the last data loaded, so that the runs of a worker that share it
 * (every run of a grid point, for file data) read the file once.
 *
 * The order of the steps, each on what the one before left:
 *   1. read the training file (and the test file, if one is named); IDX pixels / 255 (scale);
 *   2. classes: keep the samples of these labels, relabelled 0..k-1 in the order given;
 *   3. subset (n samples) or per_class (n of each class), drawn from the data seed;
 *   4. patches: that many random patches of the images are the samples, drawn from the seed;
 *   5. test fraction: that fraction of what is left, drawn from the data seed, held out;
 *   5b. pairs: each sample x of both splits gets the target T x (data.pairs, seed 003);
 *   6. standardize: each input column by the training split's mean and variance (1/n), on
 *      both splits.
 * The draws come from the stream (seed, SYM_RNG_DATA, 1) (subset), (..., 2) (test split) and
 * (..., 3) (patches);
 * generated data use sub-stream 0.  Kept indices stay in file order.
 */
#include "symsweep/sym.h"
#include "symsweep/io.h"
#include "symsweep/run.h"
#include "symsweep/sym.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* column j of X [n x d] to (x - mean_j) / std_j, std with 1/n, the statistics from X; the
 * same map on Xt [nt x d] (the test split: the training split's statistics).  A constant
 * column is only centered.  Y of autoencoding data is X itself: the targets follow. */
static void standardize(double *X, int n, double *Xt, int nt, int d)
{
    for (int j = 0; j < d; j++) {
        double mean = 0.0, var = 0.0;

        for (int i = 0; i < n; i++)
            mean += X[(size_t)i * d + j];
        mean /= n;
        for (int i = 0; i < n; i++)
            var += (X[(size_t)i * d + j] - mean) * (X[(size_t)i * d + j] - mean);
        var /= n;
        for (int i = 0; i < n; i++)
            X[(size_t)i * d + j] = var > 0.0 ? (X[(size_t)i * d + j] - mean) / sqrt(var)
                                             : X[(size_t)i * d + j] - mean;
        for (int i = 0; i < nt; i++)
            Xt[(size_t)i * d + j] = var > 0.0 ? (Xt[(size_t)i * d + j] - mean) / sqrt(var)
                                              : Xt[(size_t)i * d + j] - mean;
    }
}

/* one split's arrays while they are prepared */
typedef struct split {
    int n, d_in, d_out;
    double *X, *Y; /* Y == X: autoencoding */
} split;

static void split_free(split *s)
{
    if (s->Y != s->X)
        free(s->Y);
    free(s->X);
    memset(s, 0, sizeof(*s));
}

/* keep rows keep[0..k) of s (ascending), in place */
static void split_keep(split *s, const int *keep, int k)
{
    for (int r = 0; r < k; r++) {
        memmove(s->X + (size_t)r * s->d_in, s->X + (size_t)keep[r] * s->d_in, sizeof(double) * s->d_in);
        if (s->Y != s->X)
            memmove(s->Y + (size_t)r * s->d_out, s->Y + (size_t)keep[r] * s->d_out,
                    sizeof(double) * s->d_out);
    }
    s->n = k;
}

/* IDX images [n, h, w] and labels [n]: X [n x h*w] pixels (/ 255 with scale), Y [n x 1] */
static int read_idx(split *s, const char *images, const char *labels, int scale)
{
    sym_idx im, lb;
    int rc = 0;

    memset(&im, 0, sizeof(im));
    memset(&lb, 0, sizeof(lb));
    SYM_TRY(sym_idx_read(&im, images, 3));
    SYM_TRY(sym_idx_read(&lb, labels, 1));
    if (lb.dims[0] != im.dims[0])
        SYM_FAIL(SYM_EIO, "%s: %lld labels, but the images (%s) are %lld", labels, lb.dims[0], images,
                 im.dims[0]);
    s->n = (int)im.dims[0];
    s->d_in = (int)(im.dims[1] * im.dims[2]);
    s->d_out = 1;
    SYM_TRY(sym_alloc_doubles(&s->X, (size_t)im.count));
    SYM_TRY(sym_alloc_doubles(&s->Y, (size_t)s->n));
    for (long long i = 0; i < im.count; i++)
        s->X[i] = scale ? im.data[i] / 255.0 : (double)im.data[i];
    for (int i = 0; i < s->n; i++)
        s->Y[i] = lb.data[i];
cleanup:
    sym_idx_dispose(&im);
    sym_idx_dispose(&lb);
    return rc;
}

/* HDF5 datasets x (and y, or none: autoencoding) of file */
static int read_h5(split *s, const char *file, const char *x, const char *y)
{
    int rc = 0, r2 = 0;

    SYM_TRY(sym_h5_read_matrix(&s->X, &s->n, &s->d_in, file, x));
    if (!y[0]) {
        s->Y = s->X;
        s->d_out = s->d_in;
        return 0;
    }
    SYM_TRY(sym_h5_read_matrix(&s->Y, &r2, &s->d_out, file, y));
    if (r2 != s->n)
        SYM_FAIL(SYM_EIO, "%s: '%s' has %d rows but '%s' has %d", file, x, s->n, y, r2);
cleanup:
    return rc;
}

/* data.classes: the samples whose label is one of the classes, relabelled by its position */
static int keep_classes(split *s, const sym_data_opts *o, const char *what)
{
    int *keep = NULL, k = 0, rc = 0;

    if (o->n_classes <= 0)
        return 0;
    if (s->Y == s->X || s->d_out != 1)
        SYM_FAIL(SYM_EINVAL, "%s: data.classes needs one label per sample (targets [n x 1]), found "
                 "[%d x %d] targets", what, s->n, s->Y == s->X ? s->d_in : s->d_out);
    SYM_TRY(sym_alloc(&keep, sizeof(int) * (size_t)(s->n + 1)));
    for (int i = 0; i < s->n; i++)
        for (int c = 0; c < o->n_classes; c++)
            if (s->Y[i] == (double)o->classes[c]) {
                s->Y[i] = c;
                keep[k++] = i;
                break;
            }
    if (k == 0)
        SYM_FAIL(SYM_EINVAL, "%s: no sample has one of the %d labels of data.classes", what, o->n_classes);
    split_keep(s, keep, k);
cleanup:
    free(keep);
    return rc;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* the first k of a random permutation of idx[0..n) (Fisher-Yates, partial), into idx[0..k) */
static void draw(int *idx, int n, int k, sym_rng *r)
{
    for (int i = 0; i < k; i++) {
        int j = i + (int)sym_rng_below(r, (uint32_t)(n - i));
        int t = idx[i];

        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* data.subset (n samples) or data.per_class (n of each label 0..max), drawn; in file order */
static int draw_subset(split *s, const sym_data_opts *o, uint64_t seed, const char *what)
{
    int *idx = NULL, *cls = NULL, k = 0, rc = 0;
    sym_rng r;

    if (o->subset <= 0 && o->per_class <= 0)
        return 0;
    sym_rng_init(&r, seed, SYM_RNG_DATA, 1);
    SYM_TRY(sym_alloc(&idx, sizeof(int) * (size_t)s->n));
    if (o->subset > 0) {
        if (o->subset > s->n)
            SYM_FAIL(SYM_EINVAL, "%s: data.subset is %d but there are %d samples", what, o->subset, s->n);
        for (int i = 0; i < s->n; i++)
            idx[i] = i;
        draw(idx, s->n, o->subset, &r);
        k = o->subset;
    } else {
        int top = -1;

        if (s->Y == s->X || s->d_out != 1)
            SYM_FAIL(SYM_EINVAL, "%s: data.per_class needs one label per sample (targets [n x 1])", what);
        for (int i = 0; i < s->n; i++)
            top = s->Y[i] > top ? (int)s->Y[i] : top;
        SYM_TRY(sym_alloc(&cls, sizeof(int) * (size_t)s->n));
        for (int c = 0; c <= top; c++) { /* each class in turn, from one stream */
            int m = 0;

            for (int i = 0; i < s->n; i++)
                if (s->Y[i] == (double)c)
                    cls[m++] = i;
            if (m == 0)
                continue;
            if (m < o->per_class)
                SYM_FAIL(SYM_EINVAL, "%s: data.per_class is %d but class %d has %d samples", what,
                         o->per_class, c, m);
            draw(cls, m, o->per_class, &r);
            memcpy(idx + k, cls, sizeof(int) * (size_t)o->per_class);
            k += o->per_class;
        }
    }
    qsort(idx, (size_t)k, sizeof(int), cmp_int);
    split_keep(s, idx, k);
cleanup:
    free(idx);
    free(cls);
    return rc;
}

/* data.patches: count patches [patch_h x patch_w] of the images [image_h x image_w] (rows of
 * s->X), each from an image, a row and a column drawn in turn; its target is its image's, or
 * the patch itself for autoencoding data */
static int make_patches(split *s, const sym_data_opts *o, uint64_t seed)
{
    split p = {0};
    int rc = 0, h = o->patch_h, w = o->patch_w, W = o->image_w;
    sym_rng r;

    sym_rng_init(&r, seed, SYM_RNG_DATA, 3);
    p.n = o->patches;
    p.d_in = h * w;
    p.d_out = s->Y == s->X ? p.d_in : s->d_out;
    SYM_TRY(sym_alloc_doubles(&p.X, (size_t)p.n * p.d_in));
    if (s->Y == s->X)
        p.Y = p.X;
    else
        SYM_TRY(sym_alloc_doubles(&p.Y, (size_t)p.n * p.d_out));
    for (int k = 0; k < p.n; k++) {
        int i = (int)sym_rng_below(&r, (uint32_t)s->n);
        int r0 = (int)sym_rng_below(&r, (uint32_t)(o->image_h - h + 1));
        int c0 = (int)sym_rng_below(&r, (uint32_t)(W - w + 1));

        for (int a = 0; a < h; a++)
            memcpy(p.X + (size_t)k * p.d_in + (size_t)a * w, s->X + (size_t)i * s->d_in + (size_t)(r0 + a) * W + c0,
                   sizeof(double) * (size_t)w);
        if (p.Y != p.X)
            memcpy(p.Y + (size_t)k * p.d_out, s->Y + (size_t)i * s->d_out, sizeof(double) * (size_t)p.d_out);
    }
    split_free(s);
    *s = p;
    memset(&p, 0, sizeof(p));
cleanup:
    split_free(&p);
    return rc;
}

/* data.test.fraction: round(F n) samples drawn into the test split t, the rest stay in s */
static int hold_out(split *s, split *t, const sym_data_opts *o, uint64_t seed)
{
    int *idx = NULL, nt = (int)llround(o->test_fraction * s->n), rc = 0;
    sym_rng r;

    if (nt < 1 || nt >= s->n)
        SYM_FAIL(SYM_EINVAL, "data.test.fraction %g of %d samples holds out %d: expected at least 1 "
                 "and fewer than all", o->test_fraction, s->n, nt);
    sym_rng_init(&r, seed, SYM_RNG_DATA, 2);
    SYM_TRY(sym_alloc(&idx, sizeof(int) * (size_t)s->n));
    for (int i = 0; i < s->n; i++)
        idx[i] = i;
    draw(idx, s->n, nt, &r);
    qsort(idx, (size_t)nt, sizeof(int), cmp_int);
    qsort(idx + nt, (size_t)(s->n - nt), sizeof(int), cmp_int);
    t->n = nt;
    t->d_in = s->d_in;
    t->d_out = s->d_out;
    SYM_TRY(sym_alloc_doubles(&t->X, (size_t)nt * s->d_in));
    if (s->Y == s->X)
        t->Y = t->X;
    else
        SYM_TRY(sym_alloc_doubles(&t->Y, (size_t)nt * s->d_out));
    for (int i = 0; i < nt; i++) {
        memcpy(t->X + (size_t)i * s->d_in, s->X + (size_t)idx[i] * s->d_in, sizeof(double) * s->d_in);
        if (t->Y != t->X)
            memcpy(t->Y + (size_t)i * s->d_out, s->Y + (size_t)idx[i] * s->d_out, sizeof(double) * s->d_out);
    }
    split_keep(s, idx + nt, s->n - nt);
cleanup:
    free(idx);
    return rc;
}

/* data.pairs: each sample x (a patch, or an image) gets the target T x; labels are dropped */
static int make_pairs(split *s, const sym_data_opts *o)
{
    int h = o->patch_h > 0 ? o->patch_h : o->image_h, w = o->patch_h > 0 ? o->patch_w : o->image_w, rc = 0;
    double *Y = NULL;

    SYM_TRY(sym_alloc_doubles(&Y, (size_t)s->n * s->d_in));
    SYM_TRY(sym_patch_spec_apply(Y, s->X, s->n, &o->pairs, h, w));
    if (s->Y != s->X)
        free(s->Y);
    s->Y = Y;
    Y = NULL;
    s->d_out = s->d_in;
cleanup:
    free(Y);
    return rc;
}

static int load_files(sym_data *d, const sym_data_opts *o)
{
    split s = {0}, t = {0};
    int rc = 0, idx = o->kind == SYM_DATA_IDX;
    uint64_t seed = o->fixed_seed ? o->seed : 0;

    if (idx)
        SYM_TRY(read_idx(&s, o->file, o->labels, o->scale));
    else
        SYM_TRY(read_h5(&s, o->file, o->x_path, o->y_path));
    if (o->test_x[0]) {
        if (idx)
            SYM_TRY(read_idx(&t, o->test_x, o->test_y, o->scale));
        else
            SYM_TRY(read_h5(&t, o->file, o->test_x, o->test_y));
        if (t.d_in != s.d_in || t.d_out != s.d_out)
            SYM_FAIL(SYM_EIO, "%s: the test split's inputs and targets are [%d] and [%d] wide, the "
                     "training split's [%d] and [%d]", idx ? o->test_x : o->file, t.d_in, t.d_out,
                     s.d_in, s.d_out);
        SYM_TRY(keep_classes(&t, o, idx ? o->test_x : o->file));
    }
    SYM_TRY(keep_classes(&s, o, o->file));
    SYM_TRY(draw_subset(&s, o, seed, o->file));
    if (o->patches > 0)
        SYM_TRY(make_patches(&s, o, seed));
    if (o->test_fraction > 0.0)
        SYM_TRY(hold_out(&s, &t, o, seed));
    if (o->pairs.n > 0) {
        SYM_TRY(make_pairs(&s, o));
        if (t.n > 0)
            SYM_TRY(make_pairs(&t, o));
    }
    if (o->standardize)
        standardize(s.X, s.n, t.X, t.n, s.d_in);
    d->n = s.n;
    d->d_in = s.d_in;
    d->d_out = s.d_out;
    d->X = s.X;
    d->Y = s.Y;
    d->n_test = t.n;
    d->Xt = t.X;
    d->Yt = t.Y;
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
cleanup:
    split_free(&s);
    split_free(&t);
    return rc;
}

int sym_run_classes(const sym_config *cfg)
{
    return cfg->model.loss == SYM_LOSS_CROSS_ENTROPY ? cfg->model.widths[cfg->model.n_layers] : 0;
}

/* class ids to one-hot rows, on both splits (cross-entropy) */
static int onehot(sym_data *d, const sym_data_opts *o, int classes)
{
    char what[sizeof o->file + sizeof o->y_path + 4];
    int rc = 0;

    if (o->kind == SYM_DATA_IDX)
        snprintf(what, sizeof what, "%s", o->labels);
    else
        snprintf(what, sizeof what, "%s: %s", o->file, o->y_path);
    if (d->Yt && d->Yt != d->Xt)
        SYM_TRY(sym_onehot(&d->Yt, d->n_test, classes, what));
    SYM_TRY(sym_data_onehot(d, classes, what));
cleanup:
    return rc;
}

int sym_run_data_load(sym_data *d, const sym_data_opts *o, uint64_t seed, int classes)
{
    int rc = 0;

    memset(d, 0, sizeof(*d));
    if (o->kind != SYM_DATA_HDF5 && o->kind != SYM_DATA_IDX) {
        sym_rng rng;

        if (o->kind == SYM_DATA_PROTOTYPES) { /* the sym layer's: the prototypes are its images */
            sym_rng_init(&rng, o->fixed_seed ? o->seed : seed, SYM_RNG_DATA, 0);
            return sym_proto_generate(d, o, &rng);
        }
        /* the data stream depends on the seed only, so runs that share a seed
         * (different regularizers, say) see the same data: paired comparisons; with
         * data.seed every run of the grid point sees the same data */
        sym_rng_init(&rng, o->fixed_seed ? o->seed : seed, SYM_RNG_DATA, 0);
        if (o->kind == SYM_DATA_PLANTED_GROUP)
            return sym_run_planted_group(d, o, &rng); /* data_pairs.c: it needs src/sym */
        return sym_data_generate(d, o, &rng);
    }
    SYM_TRY(load_files(d, o));
    if (classes > 0)
        SYM_TRY(onehot(d, o, classes));
cleanup:
    if (rc)
        sym_data_dispose(d);
    return rc;
}

/* ---- the per-process cache: the last data loaded, and what determined it ---- */

static struct {
    int valid;
    sym_data_opts o; /* the settings it was loaded with (compared byte for byte) */
    int classes;     /* one-hot targets of that many classes (0: as read) */
    uint64_t seed;   /* the seed it was drawn from (0 for file data and data.seed) */
    sym_data d;
    sym_data_cache_stats stats;
} cache;

/* the seed a data set depends on beyond its settings: a generated set's per-run seed */
static uint64_t key_seed(const sym_data_opts *o, uint64_t seed)
{
    return o->kind == SYM_DATA_HDF5 || o->kind == SYM_DATA_IDX || o->fixed_seed ? 0 : seed;
}

int sym_run_data_acquire(sym_data *d, const sym_data_opts *o, uint64_t seed, int classes)
{
    int rc = 0;

    if (cache.valid && cache.seed == key_seed(o, seed) && cache.classes == classes &&
        memcmp(&cache.o, o, sizeof(*o)) == 0) {
        cache.stats.hits++;
        *d = cache.d;
        return 0;
    }
    sym_run_data_cache_clear(); /* one data set at a time: the memory plan counts one */
    SYM_TRY(sym_run_data_load(&cache.d, o, seed, classes));
    cache.stats.loads++;
    memcpy(&cache.o, o, sizeof(*o));
    cache.classes = classes;
    cache.seed = key_seed(o, seed);
    cache.valid = 1;
    *d = cache.d;
cleanup:
    return rc;
}

void sym_run_data_release(sym_data *d)
{
    if (!(cache.valid && d->X == cache.d.X))
        sym_data_dispose(d);
    memset(d, 0, sizeof(*d));
}

void sym_run_data_cache_clear(void)
{
    if (cache.valid)
        sym_data_dispose(&cache.d);
    cache.valid = 0;
}

sym_data_cache_stats sym_run_data_cache_stats(void)
{
    return cache.stats;
}
