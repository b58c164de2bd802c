/*
 * File data (issue 25): data kind idx, the preprocessing of file data (classes relabelled,
 * subset, per_class, scale, standardize with the training split's statistics), the test split
 * (a fraction, or test files), the problems a job's data section is refused for, the
 * per-process data cache and the memory plan.  Fixtures: IDX files the tests write, with
 * known pixels: sample i, pixel p holds 10 i + p.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "symsweep/io.h"
#include "symsweep/job.h"
#include "symsweep/plan.h"
#include "symsweep/run.h"

#define N 6 /* samples of the training fixture: 2 x 2 images, labels i % 3 */

static char images[128], labels[128], timages[128], tlabels[128], h5path[128];

static void put_be32(unsigned char *b, unsigned v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* IDX images [n, 2, 2], pixel p of sample i = base + 10 i + p, gzip-compressed with gz */
static void write_images(const char *path, int n, int base, int gz)
{
    unsigned char b[16 + 4 * 16];
    gzFile g;

    memset(b, 0, 16);
    b[2] = 8;
    b[3] = 3;
    put_be32(b + 4, (unsigned)n);
    put_be32(b + 8, 2);
    put_be32(b + 12, 2);
    for (int i = 0; i < n; i++)
        for (int p = 0; p < 4; p++)
            b[16 + 4 * i + p] = (unsigned char)(base + 10 * i + p);
    g = gzopen(path, gz ? "wb" : "wbT"); /* T: plain, no compression */
    assert_non_null(g);
    assert_int_equal(gzwrite(g, b, (unsigned)(16 + 4 * n)), 16 + 4 * n);
    assert_int_equal(gzclose(g), Z_OK);
}

/* IDX labels [n]: i % 3 */
static void write_labels(const char *path, int n)
{
    unsigned char b[8 + 16];
    FILE *f = fopen(path, "wb");

    memset(b, 0, 8);
    b[2] = 8;
    b[3] = 1;
    put_be32(b + 4, (unsigned)n);
    for (int i = 0; i < n; i++)
        b[8 + i] = (unsigned char)(i % 3);
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, (size_t)(8 + n), f), (size_t)(8 + n));
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    int pid = (int)getpid();

    (void)state;
    snprintf(images, sizeof images, "/tmp/symsweep-test-df-images-%d.gz", pid);
    snprintf(labels, sizeof labels, "/tmp/symsweep-test-df-labels-%d", pid);
    snprintf(timages, sizeof timages, "/tmp/symsweep-test-df-timages-%d", pid);
    snprintf(tlabels, sizeof tlabels, "/tmp/symsweep-test-df-tlabels-%d", pid);
    snprintf(h5path, sizeof h5path, "/tmp/symsweep-test-df-%d.h5", pid);
    write_images(images, N, 0, 1);
    write_labels(labels, N);
    write_images(timages, 3, 200, 0);
    write_labels(tlabels, 3);
    sym_run_data_cache_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(images);
    unlink(labels);
    unlink(timages);
    unlink(tlabels);
    unlink(h5path);
    sym_run_data_cache_clear();
    return 0;
}

/* a job of idx data with the extra data settings @p extra, a model din-1 */
static int parse_idx_in(sym_job *j, const char *extra, const char *train, int din)
{
    char text[2048];

    snprintf(text, sizeof text,
             "data: {kind: idx, images: %s, labels: %s%s}\n"
             "model: {kind: mlp, widths: [%d, 1]}\n"
             "train: {%s}\n"
             "seeds: {count: 2}\n",
             images, labels, extra, din, train ? train : "optimizer: gd, lr: 0.1, epochs: 2");
    return sym_job_parse(j, text, strlen(text), "j.yaml");
}

static int parse_idx(sym_job *j, const char *extra, const char *train)
{
    return parse_idx_in(j, extra, train, 4);
}

/* the fixture's sample a row of X holds (pixels scaled by 1/255) */
static int row_sample(const double *X, int r)
{
    int i = (int)lround(X[4 * r] * 255.0) / 10;

    for (int p = 0; p < 4; p++)
        assert_true(X[4 * r + p] == (10.0 * i + p) / 255.0);
    return i;
}

static void test_sweep_data_idx_pixels_and_labels(void **state)
{
    sym_job j;
    sym_data d;

    (void)state;
    for (int scale = 0; scale < 2; scale++) {
        check_ok(parse_idx(&j, scale ? "" : ", scale: false", NULL));
        assert_int_equal(j.configs[0].data.image_h, 2);
        assert_int_equal(j.configs[0].data.image_w, 2);
        assert_int_equal(j.configs[0].data.input, 4);
        assert_int_equal(j.configs[0].data.output, 1);
        assert_int_equal(j.configs[0].data.samples, N);
        check_ok(sym_run_load_data(&d, &j, 0));
        assert_int_equal(d.n, N);
        assert_int_equal(d.d_in, 4);
        assert_int_equal(d.d_out, 1);
        assert_int_equal(d.n_test, 0);
        assert_null(d.Xt);
        for (int i = 0; i < N; i++) {
            for (int p = 0; p < 4; p++) /* exactly the pixel, or the pixel / 255 */
                assert_true(d.X[4 * i + p] == (scale ? (10.0 * i + p) / 255.0 : 10.0 * i + p));
            assert_true(d.Y[i] == i % 3);
        }
        sym_data_dispose(&d);
        sym_job_dispose(&j);
    }
}

/* classes [2, 0]: samples 0, 2, 3, 5 in file order, label 2 -> 0 and 0 -> 1 */
static void test_sweep_data_classes_relabelled(void **state)
{
    static const int want[] = {0, 2, 3, 5};
    sym_job j;
    sym_data d;

    (void)state;
    check_ok(parse_idx(&j, ", classes: [2, 0]", NULL));
    assert_int_equal(j.configs[0].data.n_classes, 2);
    assert_int_equal(j.configs[0].data.samples, 4);
    check_ok(sym_run_load_data(&d, &j, 0));
    assert_int_equal(d.n, 4);
    for (int r = 0; r < 4; r++) {
        assert_int_equal(row_sample(d.X, r), want[r]);
        assert_true(d.Y[r] == (want[r] % 3 == 2 ? 0.0 : 1.0));
    }
    sym_data_dispose(&d);
    sym_job_dispose(&j);
}

/* subset: n distinct samples in file order, the same draw every time, another with another seed;
 * per_class: that many of each class */
static void test_sweep_data_subset_and_per_class(void **state)
{
    sym_job j;
    sym_data d, e;
    int s0[3], s1[3], counts[3] = {0, 0, 0}, differ = 0;

    (void)state;
    for (int seeded = 0; seeded < 2; seeded++) {
        check_ok(parse_idx(&j, seeded ? ", subset: 3, seed: 7" : ", subset: 3", NULL));
        assert_int_equal(j.configs[0].data.samples, 3);
        check_ok(sym_run_load_data(&d, &j, 0));
        check_ok(sym_run_load_data(&e, &j, 1)); /* another run: the same draw */
        assert_int_equal(d.n, 3);
        assert_memory_equal(d.X, e.X, sizeof(double) * 12);
        for (int r = 0; r < 3; r++) {
            (seeded ? s1 : s0)[r] = row_sample(d.X, r);
            assert_true(d.Y[r] == (seeded ? s1 : s0)[r] % 3);
            if (r > 0)
                assert_true((seeded ? s1 : s0)[r] > (seeded ? s1 : s0)[r - 1]);
        }
        sym_data_dispose(&d);
        sym_data_dispose(&e);
        sym_job_dispose(&j);
    }
    for (int r = 0; r < 3; r++)
        differ |= s0[r] != s1[r];
    assert_true(differ);
    check_ok(parse_idx(&j, ", per_class: 1", NULL));
    assert_int_equal(j.configs[0].data.samples, 3);
    check_ok(sym_run_load_data(&d, &j, 0));
    assert_int_equal(d.n, 3);
    for (int r = 0; r < 3; r++)
        counts[row_sample(d.X, r) % 3]++;
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[2], 1);
    sym_data_dispose(&d);
    sym_job_dispose(&j);
}

/* test fraction 0.5: 3 of the 6 samples held out, the splits a partition; standardize maps both
 * with the training split's mean and variance (1/n), in closed form from the pixels */
static void test_sweep_data_test_fraction_standardized(void **state)
{
    sym_job j;
    sym_data d;
    int tr[3], te[3], seen[N] = {0};

    (void)state;
    check_ok(parse_idx(&j, ", test: {fraction: 0.5}", NULL));
    assert_int_equal(j.configs[0].data.samples, 3);
    assert_int_equal(j.configs[0].data.n_test, 3);
    check_ok(sym_run_load_data(&d, &j, 0));
    assert_int_equal(d.n, 3);
    assert_int_equal(d.n_test, 3);
    for (int r = 0; r < 3; r++) {
        tr[r] = row_sample(d.X, r);
        te[r] = row_sample(d.Xt, r);
        seen[tr[r]]++;
        seen[te[r]]++;
        assert_true(d.Yt[r] == te[r] % 3);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    sym_data_dispose(&d);
    sym_job_dispose(&j);

    check_ok(parse_idx(&j, ", test: {fraction: 0.5}, standardize: true", NULL));
    check_ok(sym_run_load_data(&d, &j, 0));
    for (int p = 0; p < 4; p++) {
        double mean = 0.0, var = 0.0;

        for (int r = 0; r < 3; r++)
            mean += (10.0 * tr[r] + p) / 255.0 / 3.0;
        for (int r = 0; r < 3; r++)
            var += ((10.0 * tr[r] + p) / 255.0 - mean) * ((10.0 * tr[r] + p) / 255.0 - mean) / 3.0;
        for (int r = 0; r < 3; r++) {
            check_close1(d.X[4 * r + p], ((10.0 * tr[r] + p) / 255.0 - mean) / sqrt(var), 1e-12, 1e-12);
            check_close1(d.Xt[4 * r + p], ((10.0 * te[r] + p) / 255.0 - mean) / sqrt(var), 1e-12, 1e-12);
        }
    }
    sym_data_dispose(&d);
    sym_job_dispose(&j);
}

/* a test file: its samples, classes applied to it too */
static void test_sweep_data_test_files(void **state)
{
    char extra[512];
    sym_job j;
    sym_data d;

    (void)state;
    snprintf(extra, sizeof extra, ", classes: [1, 0], test: {images: %s, labels: %s}", timages, tlabels);
    check_ok(parse_idx(&j, extra, NULL));
    assert_int_equal(j.configs[0].data.n_test, 2);
    check_ok(sym_run_load_data(&d, &j, 0));
    assert_int_equal(d.n, 4); /* samples 0, 1, 3, 4 */
    assert_int_equal(d.n_test, 2);
    for (int r = 0; r < 2; r++) { /* test samples 0 (label 0 -> 1) and 1 (label 1 -> 0) */
        for (int p = 0; p < 4; p++)
            assert_true(d.Xt[4 * r + p] == (200.0 + 10 * r + p) / 255.0);
        assert_true(d.Yt[r] == (r == 0 ? 1.0 : 0.0));
    }
    sym_data_dispose(&d);
    sym_job_dispose(&j);
}

/* hdf5: test datasets of the file; autoencoding data keep Yt == Xt */
static void test_sweep_data_hdf5_test_split(void **state)
{
    static const double X[] = {1, 2, 3, 4, 5, 6}, Y[] = {7, 8, 9}, XT[] = {10, 11}, YT[] = {12};
    const long long dx[2] = {3, 2}, dy[2] = {3, 1}, dxt[2] = {1, 2}, dyt[2] = {1, 1};
    char text[1024];
    sym_h5 *f = NULL;
    sym_job j;
    sym_data d;

    (void)state;
    check_ok(sym_h5_create(&f, h5path, 1));
    check_ok(sym_h5_dataset(f, "/X", SYM_H5_DOUBLE, 2, dx, "inputs", NULL));
    check_ok(sym_h5_dataset(f, "/Y", SYM_H5_DOUBLE, 2, dy, "targets", NULL));
    check_ok(sym_h5_dataset(f, "/XT", SYM_H5_DOUBLE, 2, dxt, "test inputs", NULL));
    check_ok(sym_h5_dataset(f, "/YT", SYM_H5_DOUBLE, 2, dyt, "test targets", NULL));
    check_ok(sym_h5_write_rows(f, "/X", 0, 3, X));
    check_ok(sym_h5_write_rows(f, "/Y", 0, 3, Y));
    check_ok(sym_h5_write_rows(f, "/XT", 0, 1, XT));
    check_ok(sym_h5_write_rows(f, "/YT", 0, 1, YT));
    check_ok(sym_h5_commit(f));
    check_ok(sym_h5_close(f));
    snprintf(text, sizeof text,
             "data: {kind: hdf5, file: %s, x: X, y: Y, test: {x: XT, y: YT}}\n"
             "model: {kind: mlp, widths: [2, 1]}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n", h5path);
    check_ok(sym_job_parse(&j, text, strlen(text), "h.yaml"));
    check_ok(sym_run_load_data(&d, &j, 0));
    assert_int_equal(d.n_test, 1);
    assert_memory_equal(d.X, X, sizeof X);
    assert_memory_equal(d.Xt, XT, sizeof XT);
    assert_memory_equal(d.Yt, YT, sizeof YT);
    sym_data_dispose(&d);
    sym_job_dispose(&j);
    snprintf(text, sizeof text,
             "data: {kind: hdf5, file: %s, x: X, test: {x: XT}}\n"
             "model: {kind: autoencoder, input: 2, latent: 1}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n",
             h5path);
    check_ok(sym_job_parse(&j, text, strlen(text), "h.yaml"));
    check_ok(sym_run_load_data(&d, &j, 0));
    assert_int_equal(d.n_test, 1);
    assert_ptr_equal(d.Yt, d.Xt);
    sym_data_dispose(&d);
    sym_job_dispose(&j);
}

/* patches [1 x 2] and [2 x 1] of the 2 x 2 images: windows of one image, its label, drawn once */
static void test_sweep_data_idx_patches(void **state)
{
    sym_job j;
    sym_data d, e;

    (void)state;
    for (int tall = 0; tall < 2; tall++) {
        check_ok(parse_idx_in(&j, tall ? ", patches: {size: [2, 1], count: 20}, test: {fraction: 0.25}"
                                    : ", patches: {size: [1, 2], count: 20}, test: {fraction: 0.25}",
                           "optimizer: gd, lr: 0.1, epochs: 1", 2));
        assert_int_equal(j.configs[0].data.input, 2);
        assert_int_equal(j.configs[0].data.samples, 15);
        assert_int_equal(j.configs[0].data.n_test, 5);
        check_ok(sym_run_load_data(&d, &j, 0));
        check_ok(sym_run_load_data(&e, &j, 1));
        assert_int_equal(d.n, 15);
        assert_int_equal(d.d_in, 2);
        assert_int_equal(d.n_test, 5);
        assert_memory_equal(d.X, e.X, sizeof(double) * 30);
        for (int k = 0; k < 20; k++) {
            const double *x = k < 15 ? d.X + 2 * k : d.Xt + 2 * (k - 15);
            long v0 = lround(x[0] * 255.0), v1 = lround(x[1] * 255.0);

            assert_true(x[0] == v0 / 255.0 && x[1] == v1 / 255.0);
            assert_int_equal(v1 - v0, tall ? 2 : 1);              /* pixels (r, c), (r+1, c) or (r, c+1) */
            assert_true(tall ? v0 % 10 <= 1 : v0 % 10 % 2 == 0); /* a window inside the image */
            assert_true((k < 15 ? d.Y[k] : d.Yt[k - 15]) == (v0 / 10) % 3);
        }
        sym_data_dispose(&d);
        sym_data_dispose(&e);
        sym_job_dispose(&j);
    }
}

/* hdf5 images (data.image) to 2 x 2 patches, autoencoding: image k's pixel (a, b) is 100 k + 10 a + b */
static void test_sweep_data_hdf5_patches(void **state)
{
    double X[12];
    const long long dx[2] = {2, 6};
    char text[1024];
    sym_h5 *f = NULL;
    sym_job j;
    sym_data d;

    (void)state;
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                X[6 * k + 3 * a + b] = 100 * k + 10 * a + b;
    check_ok(sym_h5_create(&f, h5path, 1));
    check_ok(sym_h5_dataset(f, "/X", SYM_H5_DOUBLE, 2, dx, "images", NULL));
    check_ok(sym_h5_write_rows(f, "/X", 0, 2, X));
    check_ok(sym_h5_commit(f));
    check_ok(sym_h5_close(f));
    snprintf(text, sizeof text,
             "data: {kind: hdf5, file: %s, image: [2, 3], patches: {size: [2, 2], count: 8}}\n"
             "model: {kind: autoencoder, input: 4, latent: 1}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n",
             h5path);
    check_ok(sym_job_parse(&j, text, strlen(text), "h.yaml"));
    assert_int_equal(j.configs[0].data.image_h, 2);
    assert_int_equal(j.configs[0].data.image_w, 3);
    check_ok(sym_run_load_data(&d, &j, 0));
    assert_int_equal(d.n, 8);
    assert_int_equal(d.d_in, 4);
    assert_ptr_equal(d.Y, d.X);
    for (int k = 0; k < 8; k++) {
        double p0 = d.X[4 * k];

        assert_true(fmod(p0, 100.0) == 0.0 || fmod(p0, 100.0) == 1.0); /* row 0, column 0 or 1 */
        assert_true(d.X[4 * k + 1] == p0 + 1 && d.X[4 * k + 2] == p0 + 10 && d.X[4 * k + 3] == p0 + 11);
    }
    sym_data_dispose(&d);
    sym_job_dispose(&j);
    snprintf(text, sizeof text, "data: {kind: hdf5, file: %s, image: [2, 2]}\nmodel: {kind: autoencoder, "
             "input: 6, latent: 1}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n", h5path);
    assert_int_equal(sym_job_parse(&j, text, strlen(text), "h.yaml"), SYM_EJOB);
    assert_non_null(strstr(sym_err_message(), "data.image: expected h x w = 6 (the columns of data.x), found 2 x 2"));
    snprintf(text, sizeof text, "data: {kind: hdf5, file: %s, patches: {size: [1, 1], count: 2}}\nmodel: "
             "{kind: autoencoder, input: 1, latent: 1}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n", h5path);
    assert_int_equal(sym_job_parse(&j, text, strlen(text), "h.yaml"), SYM_EJOB);
    assert_non_null(strstr(sym_err_message(), "data.patches: expected images of a known shape"));
}

/* the job is refused with @p want after "j.yaml:LINE:COL: " */
static void refused(const char *extra, const char *want)
{
    sym_job j;
    const char *m, *tail;

    assert_int_equal(parse_idx(&j, extra, NULL), SYM_EJOB);
    m = sym_err_message();
    tail = strstr(m, ": data.");
    if (!tail || strncmp(m, "j.yaml:", 7) != 0 || strcmp(tail + 2, want) != 0)
        fail_msg("got \"%s\", expected j.yaml:L:C: %s", m, want);
}

static void test_sweep_data_refused(void **state)
{
    char extra[512], want[512];

    (void)state;
    refused(", subset: 7", "data.subset: expected at most 6 (the samples of the file), found 7");
    refused(", classes: [2], subset: 3", "data.subset: expected at most 2 (the samples of the classes kept), found 3");
    refused(", per_class: 3", "data.per_class: expected at most 2 (the samples of class 0), found 3");
    refused(", per_class: 1, subset: 2", "data.per_class: expected data.subset or data.per_class, found both");
    refused(", classes: [2, 0, 2]", "data.classes: expected each class once, found 2 twice");
    refused(", classes: [9]", "data.classes: expected labels the file has, found none of its samples in them");
    refused(", test: {fraction: 0.05}", "data.test.fraction: expected a fraction that holds out at least one "
            "of the 6 samples and leaves one, found 0.05 (0)");
    snprintf(extra, sizeof extra, ", test: {fraction: 0.5, images: %s, labels: %s}", timages, tlabels);
    refused(extra, "data.test.fraction: expected a fraction or a test file, found both");
    refused(", test: {x: X}", "data.test.x: not used by data kind idx; expected one of: fraction, images, labels");
    snprintf(extra, sizeof extra, ", test: {images: %s}", timages);
    refused(extra, "data.test.labels: missing: the test split from files needs images and labels");
    refused(", test: {}", "data.test: expected fraction, or images and labels");
    refused(", patches: {size: [3, 1], count: 2}", "data.patches.size: expected at most the images' 2 x 2, found 3 x 1");
    snprintf(extra, sizeof extra, ", patches: {size: [1, 1], count: 2}, test: {images: %s, labels: %s}", timages,
             tlabels);
    refused(extra, "data.patches: expected data.test.fraction with patches (the held-out patches are drawn "
            "with the others), found a test file");
    write_labels(labels, N - 1);
    snprintf(want, sizeof want, "data.labels: %s: expected 6 labels (as many as the images), found 5", labels);
    refused("", want);
    write_labels(labels, N);
    write_labels(tlabels, 2);
    snprintf(extra, sizeof extra, ", test: {images: %s, labels: %s}", timages, tlabels);
    snprintf(want, sizeof want, "data.test.labels: %s: expected 3 labels (as many as the test images), found 2",
             tlabels);
    refused(extra, want);
    write_labels(tlabels, 3);
    write_labels(labels, N);
    {
        /* labels given as images: one dimension, not three */
        char text[1024];
        sym_job j;

        snprintf(text, sizeof text, "data: {kind: idx, images: %s, labels: %s}\nmodel: {kind: mlp, widths: "
                 "[4, 1]}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n", labels, labels);
        assert_int_equal(sym_job_parse(&j, text, strlen(text), "j.yaml"), SYM_EJOB);
        snprintf(want, sizeof want, "data.images: %s: expected 3 dimensions (images [n, rows, columns]), found 1",
                 labels);
        assert_non_null(strstr(sym_err_message(), want));
    }
}

/* the second run of a worker takes the data from the cache (no second read), with the same
 * result as a fresh read; generated data without data.seed are each run's own */
static void test_sweep_data_cache(void **state)
{
    sym_job j;
    sym_run_result a, b;
    sym_data_cache_stats s0, s1;
    size_t np;

    (void)state;
    check_ok(parse_idx(&j, ", test: {fraction: 0.5}", NULL));
    sym_run_data_cache_clear();
    s0 = sym_run_data_cache_stats();
    check_ok(sym_run_execute(&a, &j, 0));
    check_ok(sym_run_execute(&b, &j, 1));
    s1 = sym_run_data_cache_stats();
    assert_int_equal(a.status, SYM_RUN_DONE);
    assert_int_equal(s1.loads - s0.loads, 1);
    assert_int_equal(s1.hits - s0.hits, 1);
    np = a.n_params;
    sym_run_result_dispose(&a);
    sym_run_data_cache_clear(); /* run 1 again from a fresh read: the same bits */
    check_ok(sym_run_execute(&a, &j, 1));
    assert_int_equal(sym_run_data_cache_stats().loads - s1.loads, 1);
    assert_memory_equal(a.params, b.params, np * sizeof(double));
    sym_run_result_dispose(&a);
    sym_run_result_dispose(&b);
    sym_job_dispose(&j);

    {
        static const char text[] = "data: {kind: subspace, dim: 3, rank: 1, samples: 10}\n"
                                   "model: {kind: autoencoder, input: 3, latent: 1}\n"
                                   "train: {optimizer: gd, lr: 0.1, epochs: 1}\nseeds: {count: 2}\n";

        check_ok(sym_job_parse(&j, text, sizeof text - 1, "g.yaml"));
        s0 = sym_run_data_cache_stats();
        check_ok(sym_run_execute(&a, &j, 0));
        check_ok(sym_run_execute(&b, &j, 1));
        assert_int_equal(sym_run_data_cache_stats().loads - s0.loads, 2);
        assert_int_equal(sym_run_data_cache_stats().hits - s0.hits, 0);
        sym_run_result_dispose(&a);
        sym_run_result_dispose(&b);
        sym_job_dispose(&j);
    }
}

/* validate/plan count the data of both splits: 8 bytes x 6 samples x (4 + 1) */
static void test_sweep_data_plan_counts(void **state)
{
    sym_job j;
    sym_plan_sizes z;

    (void)state;
    check_ok(parse_idx(&j, ", test: {fraction: 0.5}", NULL));
    sym_plan_sizes_of(&z, &j);
    check_close1(z.data_bytes, 8.0 * N * 5, 0, 0);
    sym_job_dispose(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_data_idx_pixels_and_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_classes_relabelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_subset_and_per_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_test_fraction_standardized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_test_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_hdf5_test_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_idx_patches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_hdf5_patches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_data_plan_counts, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
