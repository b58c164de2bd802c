/*
 * What the data section's table cannot say about file data (hdf5, idx): paths against the
 * job file's folder, the files' shapes, finite values, the test split's keys, and the number
 * of samples the classes, subset and test split leave, so that the model's widths, the batch
 * size and the memory plan are checked before any run (a bad file is a problem of the job,
 * at the setting that names it, never a failure of every run).
 */
#include "job_impl.h"
#include "symsweep/io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRY(x)                                                                                    \
    do {                                                                                          \
        int rc_ = (x);                                                                            \
        if (rc_ != 0)                                                                             \
            return rc_;                                                                           \
    } while (0)

/* a path of the job relative to the job file's folder, in place (cap bytes) */
static int resolve(ctx *c, const node *at, const char *key, char *path, size_t cap)
{
    char file[1024];
    size_t nd = strlen(c->dir), nf = strlen(path);

    if (path[0] == '/' || !c->dir[0])
        return 0;
    if (nd + nf + 2 > cap || nf + 1 > sizeof file)
        return sym_yaml_err(c, at, key, "path too long (%zu characters)", nd + nf + 1);
    memcpy(file, path, nf + 1);
    memcpy(path, c->dir, nd);
    path[nd] = '/';
    memcpy(path + nd + 1, file, nf + 1);
    return 0;
}

/* an IDX images (ndim 3) or labels (1) file: path, then its header, errors at @p key */
static int idx_header(ctx *c, const node *at, const char *key, char *path, size_t cap, int ndim,
                      sym_idx *h)
{
    TRY(resolve(c, at, key, path, cap));
    TRY(sym_job_input_file(c, at, key, path));
    if (sym_idx_read_header(h, path, ndim) < 0)
        return sym_yaml_err(c, at, key, "%s", sym_err_message());
    return 0;
}

/* the labels of a file's samples, as doubles (NULL where nothing needs them) */
static int read_labels(ctx *c, const node *at, const char *key, double **out, int *n, const sym_data_opts *d,
                       const char *file_or_labels, const char *y)
{
    int rows = 0, cols = 0;

    *out = NULL;
    if (d->kind == SYM_DATA_IDX) {
        sym_idx lb;

        if (sym_idx_read(&lb, file_or_labels, 1) < 0)
            return sym_yaml_err(c, at, key, "%s", sym_err_message());
        if (sym_alloc_doubles(out, (size_t)lb.count) < 0) {
            sym_idx_dispose(&lb);
            return SYM_ENOMEM;
        }
        for (long long i = 0; i < lb.count; i++)
            (*out)[i] = lb.data[i];
        *n = (int)lb.count;
        sym_idx_dispose(&lb);
        return 0;
    }
    if (!y[0])
        return sym_yaml_err(c, at, key, "expected labels: needs data.y, the targets [n x 1]");
    if (sym_h5_read_matrix(out, &rows, &cols, file_or_labels, y) < 0)
        return sym_yaml_err(c, at, key, "%s", sym_err_message());
    *n = rows;
    if (cols != 1) {
        free(*out);
        *out = NULL;
        return sym_yaml_err(c, at, key, "expected labels: targets %s [n x 1], found [%d x %d]", y, rows, cols);
    }
    for (int i = 0; i < rows; i++)
        if ((*out)[i] != floor((*out)[i]) || (*out)[i] < 0) {
            double v = (*out)[i];

            free(*out);
            *out = NULL;
            return sym_yaml_err(c, at, key, "expected labels (integers >= 0) in %s, found %g (row %d)", y, v, i);
        }
    return 0;
}

/* samples of L[0..n) that data.classes keeps (all without it); per-class counts into cnt */
static int kept(const sym_data_opts *d, const double *L, int n, int *cnt, int ncnt)
{
    int k = 0;

    memset(cnt, 0, sizeof(int) * (size_t)ncnt);
    for (int i = 0; i < n; i++) {
        int cls = -1;

        if (d->n_classes <= 0)
            cls = (int)L[i];
        for (int j = 0; j < d->n_classes; j++)
            if (L[i] == (double)d->classes[j])
                cls = j;
        if (cls < 0)
            continue;
        k++;
        if (cls < ncnt)
            cnt[cls]++;
    }
    return k;
}

/*
 * The samples classes and subset/per_class leave of the training file (into d->samples,
 * before the test split); what the draws need is checked here (enough samples of each class)
 */
static int count_samples(ctx *c, const node *v, sym_data_opts *d, int n)
{
    const char *lkey = d->kind == SYM_DATA_IDX ? "data.labels" : "data.y";
    node *ln = sym_yaml_lookup(c, v, d->kind == SYM_DATA_IDX ? "labels" : "y");
    double *L = NULL;
    int nl = 0, cnt[256], k, rc = 0;

    if (d->n_classes <= 0 && d->per_class <= 0) {
        if (d->subset > n)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "subset"), "data.subset",
                                "expected at most %d (the samples of the file), found %d", n, d->subset);
        d->samples = d->subset > 0 ? d->subset : n;
        return 0;
    }
    if (d->subset > 0 && d->per_class > 0)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "per_class"), "data.per_class",
                            "expected data.subset or data.per_class, found both");
    TRY(read_labels(c, ln ? ln : v, lkey, &L, &nl, d, d->kind == SYM_DATA_IDX ? d->labels : d->file,
                    d->y_path));
    k = kept(d, L, nl, cnt, 256);
    if (k == 0)
        rc = sym_yaml_err(c, sym_yaml_lookup(c, v, "classes"), "data.classes",
                          "expected labels the file has, found none of its samples in them");
    else if (d->subset > k)
        rc = sym_yaml_err(c, sym_yaml_lookup(c, v, "subset"), "data.subset",
                          "expected at most %d (the samples of the classes kept), found %d", k, d->subset);
    d->samples = d->subset > 0 ? d->subset : k;
    if (!rc && d->per_class > 0) {
        int top = 0, m = 0;

        for (int i = 0; i < nl; i++) /* the largest class id kept */
            top = d->n_classes > 0 ? d->n_classes - 1 : (L[i] > top ? (int)L[i] : top);
        if (top >= 256)
            rc = sym_yaml_err(c, sym_yaml_lookup(c, v, "per_class"), "data.per_class",
                              "expected labels below 256, found %d", top);
        for (int j = 0; !rc && j <= top; j++) {
            if (cnt[j] > 0 && cnt[j] < d->per_class)
                rc = sym_yaml_err(c, sym_yaml_lookup(c, v, "per_class"), "data.per_class",
                                  "expected at most %d (the samples of class %d), found %d", cnt[j], j,
                                  d->per_class);
            m += cnt[j] > 0;
        }
        d->samples = m * d->per_class;
    }
    free(L);
    return rc;
}

/* data.test: a fraction, or idx images and labels, or hdf5 x (and y); d->n_test */
static int settle_test(ctx *c, const node *v, const sym_job_bases *b, sym_data_opts *d)
{
    sym_job_values *val = b->base[JROW_VALUES];
    node *t = sym_yaml_lookup(c, v, "test"), *fr, *im, *lb, *x, *y;
    int kind = -1, idx = d->kind == SYM_DATA_IDX, files;
    uint64_t given;

    if (!t)
        return 0;
    TRY(sym_job_read_section(c, t, sym_job_section_find("data.test"), b, 0, &kind, &given));
    TRY(sym_job_read_section(c, t, sym_job_section_find("data.test"), b, 1, &kind, &given));
    fr = sym_yaml_lookup(c, t, "fraction");
    im = sym_yaml_lookup(c, t, "images");
    lb = sym_yaml_lookup(c, t, "labels");
    x = sym_yaml_lookup(c, t, "x");
    y = sym_yaml_lookup(c, t, "y");
    if (idx && (x || y))
        return sym_yaml_err(c, x ? x : y, x ? "data.test.x" : "data.test.y",
                            "not used by data kind idx; expected one of: fraction, images, labels");
    if (!idx && (im || lb))
        return sym_yaml_err(c, im ? im : lb, im ? "data.test.images" : "data.test.labels",
                            "not used by data kind hdf5; expected one of: fraction, x, y");
    files = im || lb || x || y;
    if (fr && files)
        return sym_yaml_err(c, fr, "data.test.fraction", "expected a fraction or a test file, found both");
    if (!fr && !files)
        return sym_yaml_err(c, t, "data.test", "expected fraction, or %s", idx ? "images and labels" : "x (and y)");
    if (fr) {
        long long nt = llround(d->test_fraction * d->samples);

        if (nt < 1 || nt >= d->samples)
            return sym_yaml_err(c, fr, "data.test.fraction", "expected a fraction that holds out at least "
                                "one of the %d samples and leaves one, found %g (%lld)", d->samples,
                                d->test_fraction, nt);
        d->n_test = (int)nt;
        d->samples -= d->n_test;
        return 0;
    }
    if (idx) {
        sym_idx hi, hl;

        if (!im || !lb)
            return sym_yaml_err(c, t, im ? "data.test.labels" : "data.test.images",
                                "missing: the test split from files needs images and labels");
        memcpy(d->test_x, val->test_images, sizeof d->test_x);
        memcpy(d->test_y, val->test_labels, sizeof d->test_y);
        TRY(idx_header(c, im, "data.test.images", d->test_x, sizeof d->test_x, 3, &hi));
        TRY(idx_header(c, lb, "data.test.labels", d->test_y, sizeof d->test_y, 1, &hl));
        if (hi.dims[1] != d->image_h || hi.dims[2] != d->image_w)
            return sym_yaml_err(c, im, "data.test.images", "%s: expected images of %d x %d (as data.images), "
                                "found %lld x %lld", d->test_x, d->image_h, d->image_w, hi.dims[1], hi.dims[2]);
        if (hl.dims[0] != hi.dims[0])
            return sym_yaml_err(c, lb, "data.test.labels", "%s: expected %lld labels (as many as the "
                                "test images), found %lld", d->test_y, hi.dims[0], hl.dims[0]);
        d->n_test = (int)hi.dims[0];
    } else {
        int r = 0, cols = 0;

        if (!x)
            return sym_yaml_err(c, t, "data.test.x", "missing: the test split from datasets needs x");
        if ((y != NULL) != (d->y_path[0] != 0))
            return sym_yaml_err(c, y ? y : t, "data.test.y", y ? "not used without data.y (autoencoding: "
                                "the targets are the inputs)" : "missing: data.y names targets, so the "
                                "test split needs its own");
        snprintf(d->test_x, sizeof d->test_x, "%s", val->test_x_ds);
        snprintf(d->test_y, sizeof d->test_y, "%s", val->test_y_ds);
        if (sym_h5_matrix_shape(&r, &cols, d->file, d->test_x) < 0 || sym_h5_check_finite(d->file, d->test_x) < 0)
            return sym_yaml_err(c, x, "data.test.x", "%s", sym_err_message());
        if (cols != d->input)
            return sym_yaml_err(c, x, "data.test.x", "expected %d columns (as data.x), found %d", d->input, cols);
        d->n_test = r;
        if (y) {
            int ry = 0, cy = 0;

            if (sym_h5_matrix_shape(&ry, &cy, d->file, d->test_y) < 0 || sym_h5_check_finite(d->file, d->test_y) < 0)
                return sym_yaml_err(c, y, "data.test.y", "%s", sym_err_message());
            if (ry != r || cy != d->output)
                return sym_yaml_err(c, y, "data.test.y", "expected [%d x %d] (the test inputs' rows, data.y's "
                                    "columns), found [%d x %d]", r, d->output, ry, cy);
        }
    }
    if (d->n_classes > 0) { /* the test samples the classes keep */
        double *L = NULL;
        int nl = 0, cnt[1];

        TRY(read_labels(c, idx ? lb : y, idx ? "data.test.labels" : "data.test.y", &L, &nl, d,
                        idx ? d->test_y : d->file, d->test_y));
        d->n_test = kept(d, L, nl, cnt, 0);
        free(L);
        if (d->n_test == 0)
            return sym_yaml_err(c, t, "data.test", "expected test samples of data.classes, found none");
    }
    return 0;
}

/*
 * data.patches: the images' shape (idx: the header; hdf5: data.image), the patches inside it;
 * the patches are the samples (each with its image's label, or itself for autoencoding data)
 */
static int settle_patches(ctx *c, const node *v, const sym_job_bases *b, sym_data_opts *d)
{
    node *pn = sym_yaml_lookup(c, v, "patches"), *sz;
    int kind = -1;
    uint64_t given;

    if (!pn)
        return 0;
    TRY(sym_job_read_section(c, pn, sym_job_section_find("data.patches"), b, 0, &kind, &given));
    sz = sym_yaml_lookup(c, pn, "size");
    if (d->image_h <= 0)
        return sym_yaml_err(c, pn, "data.patches", "expected images of a known shape: give data.image "
                            "[h, w] (each row of x an image, row by row)");
    if (d->patch_h > d->image_h || d->patch_w > d->image_w)
        return sym_yaml_err(c, sz, "data.patches.size", "expected at most the images' %d x %d, found %d x %d",
                            d->image_h, d->image_w, d->patch_h, d->patch_w);
    if (sym_yaml_lookup(c, v, "test") && !sym_yaml_lookup(c, sym_yaml_lookup(c, v, "test"), "fraction"))
        return sym_yaml_err(c, pn, "data.patches", "expected data.test.fraction with patches (the held-out "
                            "patches are drawn with the others), found a test file");
    d->input = d->patch_h * d->patch_w;
    if (d->y_path[0] == 0 && d->kind == SYM_DATA_HDF5)
        d->output = d->input; /* autoencoding: a patch is its own target */
    d->samples = d->patches;
    return 0;
}

/* an HDF5 file's datasets: shapes, finite values */
static int settle_hdf5(ctx *c, const node *v, sym_data_opts *d)
{
    node *xn = sym_yaml_lookup(c, v, "x"), *fn = sym_yaml_lookup(c, v, "file");
    node *yn = sym_yaml_lookup(c, v, "y"), *at = xn ? xn : fn;
    const char *xkey = xn ? "data.x" : "data.file";
    int xr = 0, xc = 0, yr = 0, yc = 0;

    TRY(resolve(c, fn, "data.file", d->file, sizeof d->file));
    TRY(sym_job_input_file(c, fn, "data.file", d->file));
    if (sym_h5_matrix_shape(&xr, &xc, d->file, d->x_path) < 0)
        return sym_yaml_err(c, at, xkey, "%s", sym_err_message());
    d->samples = xr;
    d->input = xc;
    d->output = xc;
    if (d->y_path[0]) {
        if (sym_h5_matrix_shape(&yr, &yc, d->file, d->y_path) < 0)
            return sym_yaml_err(c, yn, "data.y", "%s", sym_err_message());
        if (yr != xr)
            return sym_yaml_err(c, yn, "data.y", "expected %d rows (as many as data.x), found %d", xr, yr);
        d->output = yc;
    }
    /* NaN or Inf in the data is bad input, found now rather than at run time */
    if (sym_h5_check_finite(d->file, d->x_path) < 0)
        return sym_yaml_err(c, at, xkey, "%s", sym_err_message());
    if (d->y_path[0] && sym_h5_check_finite(d->file, d->y_path) < 0)
        return sym_yaml_err(c, yn, "data.y", "%s", sym_err_message());
    return 0;
}

/* IDX images and labels: their headers agree; the images' shape, the widths they give */
static int settle_idx(ctx *c, const node *v, sym_data_opts *d)
{
    node *im = sym_yaml_lookup(c, v, "images"), *lb = sym_yaml_lookup(c, v, "labels");
    sym_idx hi, hl;

    TRY(idx_header(c, im, "data.images", d->file, sizeof d->file, 3, &hi));
    TRY(idx_header(c, lb, "data.labels", d->labels, sizeof d->labels, 1, &hl));
    if (hl.dims[0] != hi.dims[0])
        return sym_yaml_err(c, lb, "data.labels", "%s: expected %lld labels (as many as the images), found %lld",
                            d->labels, hi.dims[0], hl.dims[0]);
    if (hi.dims[1] * hi.dims[2] > MAX_WIDTH)
        return sym_yaml_err(c, im, "data.images", "expected images of at most %d pixels, found %lld x %lld",
                            MAX_WIDTH, hi.dims[1], hi.dims[2]);
    d->image_h = (int)hi.dims[1];
    d->image_w = (int)hi.dims[2];
    d->samples = (int)hi.dims[0];
    d->input = d->image_h * d->image_w;
    d->output = 1;
    return 0;
}

int sym_job_settle_file_data(ctx *c, const node *v, const sym_job_bases *b)
{
    sym_config *cfg = b->base[JROW_CFG];
    sym_job_values *val = b->base[JROW_VALUES];
    sym_data_opts *d = &cfg->data;

    if (d->kind == SYM_DATA_IDX)
        TRY(settle_idx(c, v, d));
    else
        TRY(settle_hdf5(c, v, d));
    d->n_classes = val->data_classes_n > 0 ? val->data_classes_n : 0;
    for (int i = 0; i < d->n_classes; i++)
        for (int j = 0; j < i; j++)
            if (d->classes[i] == d->classes[j]) {
                node *cl = sym_yaml_lookup(c, v, "classes");

                return sym_yaml_err(c, sym_yaml_node(c, cl->data.sequence.items.start[i]), "data.classes",
                                    "expected each class once, found %d twice", d->classes[i]);
            }
    if (d->n_classes > 0 || d->subset > 0 || d->per_class > 0)
        TRY(count_samples(c, v, d, d->samples));
    if (d->kind == SYM_DATA_HDF5 && val->image_n == 2) {
        if (val->image[0] * val->image[1] != d->input)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "image"), "data.image", "expected h x w = %d (the "
                                "columns of data.x), found %d x %d", d->input, val->image[0], val->image[1]);
        d->image_h = val->image[0];
        d->image_w = val->image[1];
    }
    TRY(settle_patches(c, v, b, d));
    TRY(sym_job_settle_pairs(c, v, b)); /* data_pairs.c */
    return settle_test(c, v, b, d);
}
