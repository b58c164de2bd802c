/*
 * symsweep align: the runs of each grid point compared modulo their symmetries, after the
 * sweep.  For every pair of seeds of a grid point (trained on the same data): the distance
 * between their canonical forms once the hidden units are matched (sym_align_match), the
 * plain distance between their weights, the distance between their outputs on the data, and
 * the loss barrier on the straight line between them before and after alignment (linear mode
 * connectivity).  Reads the sweep's file (the canonical probe's forms, /runs/weights) and
 * writes a new file beside it; the sweep's file is not touched.
 */
#include "symsweep/io.h"
#include "symsweep/output.h"
#include "symsweep/sym.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* one run's parameters from per-run tensor datasets <group>/<name> [run, rows, cols] (padded) */
static int read_params(double *p, sym_h5 *f, const char *group, const sym_model *m, int run)
{
    double *buf = NULL;
    int rc = 0;

    for (int i = 0; i < sym_model_n_tensors(m); i++) {
        const sym_tensor *t = sym_model_tensor(m, i);
        char path[512];
        long long dims[4] = {0};
        int rank = 0, R, C;
        size_t elem;

        snprintf(path, sizeof(path), "%s/%s", group, t->name);
        if (!sym_h5_exists(f, path))
            SYM_FAIL(SYM_EJOB, "%s is missing: align needs %s", path,
                     strcmp(group, SYM_PATH_WEIGHTS) == 0 ? "the trained weights (record.weights: final)"
                                                          : "the canonical probe (probes: {canonical: {}})");
        SYM_TRY(sym_h5_dataset_shape(&rank, dims, &elem, f, path));
        R = rank > 1 ? (int)dims[1] : 1;
        C = rank > 2 ? (int)dims[2] : 1;
        if (R < t->rows || C < t->cols)
            SYM_FAIL(SYM_EJOB, "%s is %d x %d per run, smaller than the model's %d x %d", path, R, C,
                     t->rows, t->cols);
        free(buf);
        buf = NULL;
        SYM_TRY(sym_alloc_doubles(&buf, (size_t)R * C));
        SYM_TRY(sym_h5_read_block(buf, f, path, run, 1));
        for (int r = 0; r < t->rows; r++)
            memcpy(p + t->offset + (size_t)r * t->cols, buf + (size_t)r * C, sizeof(double) * (size_t)t->cols);
    }
cleanup:
    free(buf);
    return rc;
}

static double norm_diff(const double *a, const double *b, size_t n)
{
    double s = 0.0;

    for (size_t i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

/* ||a - b|| over the root mean square of ||a||, ||b|| */
static double rel_dist(const double *a, const double *b, size_t n)
{
    double na = sym_norm2(a, n), nb = sym_norm2(b, n), ref = sqrt(0.5 * (na * na + nb * nb));

    return ref > 0.0 ? norm_diff(a, b, n) / ref : 0.0;
}

/* the data loss along (1 - t) a + t b at K + 1 points, and its barrier above the chord */
static int path_loss(double *loss, double *barrier, sym_eval *e, const sym_data *d, const double *a,
                     const double *b, size_t P, int K, double *tmp)
{
    sym_loss_parts lp;
    int rc = 0;

    *barrier = -INFINITY;
    for (int k = 0; k <= K; k++) {
        double t = (double)k / K;

        for (size_t i = 0; i < P; i++)
            tmp[i] = (1.0 - t) * a[i] + t * b[i];
        SYM_TRY(sym_eval_loss(e, &lp, NULL, tmp, d->X, d->Y, d->n));
        loss[k] = lp.data;
    }
    for (int k = 0; k <= K; k++) {
        double t = (double)k / K;

        *barrier = fmax(*barrier, loss[k] - ((1.0 - t) * loss[0] + t * loss[K]));
    }
cleanup:
    return rc;
}

static double output_dist(sym_eval *e, const sym_data *d, const double *a, const double *b, double *fa,
                          double *fb, int no)
{
    if (sym_eval_forward(e, fa, a, d->X, d->n) < 0 || sym_eval_forward(e, fb, b, d->X, d->n) < 0)
        return NAN;
    return rel_dist(fa, fb, (size_t)d->n * no);
}

/* the data of every run of grid point c must be the same draw (data.seed, or a file) */
static int check_shared_data(const sym_job *job, int c)
{
    const sym_data_opts *o = &job->configs[c].data;
    int rc = 0;

    if (job->n_seeds > 1 && !sym_data_from_file(o->kind) && !o->fixed_seed)
        SYM_FAIL(SYM_EJOB, "%s: align compares the seeds of a grid point on their common data, but "
                 "each seed drew its own (data kind %s); set data.seed to draw one data set for "
                 "every run", job->path, sym_data_kind_names[o->kind]);
cleanup:
    return rc;
}

typedef struct align_out {
    int S, K, n_pairs;
    double *orbit, *raw, *func, *bar_raw, *bar_al; /* [configs x S x S] */
    double *path_raw, *path_al;                    /* [configs x pairs x (K + 1)] */
    long long *same_orbit, *same_function, *different, *pairs; /* [configs] */
    double *med_raw, *med_al;                      /* [configs] */
} align_out;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    if (n == 0)
        return NAN;
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* one line of the report: grid point c by its axis values (not mapping keys), and its pairs */
static void report_config(FILE *report, const align_out *A, const sym_job *job, int c, int n_ok)
{
    int S = job->n_seeds;
    char label[1024] = "";

    for (int k = 0; k < job->n_columns; k++) { /* the point's axis values (not mapping keys) */
        const sym_grid_column *g = &job->columns[k];
        int sub = 0;

        for (int j = 0; j < job->n_columns; j++)
            sub |= j != k && strncmp(g->name, job->columns[j].name, strlen(job->columns[j].name)) == 0 &&
                   g->name[strlen(job->columns[j].name)] == '.';
        if (!sub)
            snprintf(label + strlen(label), sizeof(label) - strlen(label), "%s%s=%s",
                     label[0] ? ", " : "", g->name, g->str[sym_job_axis_index(job, c * S, g->axis)]);
    }
    fprintf(report, "grid point %d%s%s: %d of %d runs done, %lld pairs: %lld on one orbit, %lld "
            "one function on other orbits, %lld different; median barrier %.3g raw, %.3g aligned\n",
            c, label[0] ? " " : "", label, n_ok, S, A->pairs[c], A->same_orbit[c],
            A->same_function[c], A->different[c], A->med_raw[c], A->med_al[c]);
}

/* grid point c: every pair of its finished runs */
static int align_config(align_out *A, sym_h5 *f, const sym_job *job, const int64_t *status, int c,
                        const sym_align_opts *o, FILE *report)
{
    const sym_job_config *cfg = &job->configs[c];
    int S = job->n_seeds, K = o->points - 1, rc = 0, no, pair = 0, n_ok = 0;
    size_t P, base = (size_t)c * S * S;
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_data d = {0};
    double *raw = NULL, *can = NULL, *al = NULL, *tmp = NULL, *fa = NULL, *fb = NULL, *br = NULL, *ba = NULL;
    int have_data = 0;

    SYM_TRY(sym_model_create(&m, &cfg->model));
    P = sym_model_n_params(m);
    no = cfg->model.widths[cfg->model.n_layers];
    SYM_TRY(sym_alloc_doubles(&raw, P * (size_t)S));
    SYM_TRY(sym_alloc_doubles(&can, P * (size_t)S));
    SYM_TRY(sym_alloc_doubles(&al, P));
    SYM_TRY(sym_alloc_doubles(&tmp, P));
    SYM_TRY(sym_alloc_doubles(&br, (size_t)S * S));
    SYM_TRY(sym_alloc_doubles(&ba, (size_t)S * S));
    for (int s = 0; s < S; s++) {
        int run = c * S + s;

        if (status[run] != SYM_RUN_DONE)
            continue;
        SYM_TRY(read_params(raw + (size_t)s * P, f, SYM_PATH_WEIGHTS, m, run));
        SYM_TRY(read_params(can + (size_t)s * P, f, "/probes/canonical", m, run));
        if (!have_data) {
            SYM_TRY(sym_run_load_data(&d, job, run));
            have_data = 1;
        }
        A->orbit[base + (size_t)s * S + s] = A->raw[base + (size_t)s * S + s] = 0.0;
        A->func[base + (size_t)s * S + s] = 0.0;
        A->bar_raw[base + (size_t)s * S + s] = A->bar_al[base + (size_t)s * S + s] = 0.0;
        n_ok++;
    }
    if (have_data) {
        SYM_TRY(sym_eval_create(&e, m, &cfg->reg, d.n));
        SYM_TRY(sym_alloc_doubles(&fa, (size_t)d.n * no));
        SYM_TRY(sym_alloc_doubles(&fb, (size_t)d.n * no));
    }
    for (int a = 0; a < S; a++)
        for (int b = a + 1; b < S; b++, pair++) {
            const double *ra = raw + (size_t)a * P, *rb = raw + (size_t)b * P;
            const double *ca = can + (size_t)a * P, *cb = can + (size_t)b * P;
            size_t ab = base + (size_t)a * S + b, ba_ = base + (size_t)b * S + a;
            double *pr = A->path_raw + ((size_t)c * A->n_pairs + pair) * (K + 1);
            double *pa = A->path_al + ((size_t)c * A->n_pairs + pair) * (K + 1);
            double orb, fun;

            if (status[c * S + a] != SYM_RUN_DONE || status[c * S + b] != SYM_RUN_DONE)
                continue;
            SYM_TRY(sym_align_match(al, NULL, m, ca, cb));
            orb = rel_dist(ca, al, P);
            fun = output_dist(e, &d, ra, rb, fa, fb, no);
            A->orbit[ab] = A->orbit[ba_] = orb;
            A->raw[ab] = A->raw[ba_] = rel_dist(ra, rb, P);
            A->func[ab] = A->func[ba_] = fun;
            SYM_TRY(path_loss(pr, &A->bar_raw[ab], e, &d, ra, rb, P, K, tmp));
            SYM_TRY(path_loss(pa, &A->bar_al[ab], e, &d, ca, al, P, K, tmp));
            A->bar_raw[ba_] = A->bar_raw[ab];
            A->bar_al[ba_] = A->bar_al[ab];
            br[A->pairs[c]] = A->bar_raw[ab];
            ba[A->pairs[c]] = A->bar_al[ab];
            A->pairs[c]++;
            if (orb <= o->tolerance)
                A->same_orbit[c]++;
            else if (fun <= o->tolerance)
                A->same_function[c]++;
            else
                A->different[c]++;
        }
    A->med_raw[c] = median(br, (int)A->pairs[c]);
    A->med_al[c] = median(ba, (int)A->pairs[c]);
    if (report)
        report_config(report, A, job, c, n_ok);
cleanup:
    sym_model_free(m);
    sym_eval_free(e);
    sym_data_dispose(&d);
    free(raw);
    free(can);
    free(al);
    free(tmp);
    free(fa);
    free(fb);
    free(br);
    free(ba);
    return rc;
}

static void align_free(align_out *A)
{
    free(A->orbit);
    free(A->raw);
    free(A->func);
    free(A->bar_raw);
    free(A->bar_al);
    free(A->path_raw);
    free(A->path_al);
    free(A->same_orbit);
    free(A->same_function);
    free(A->different);
    free(A->pairs);
    free(A->med_raw);
    free(A->med_al);
}

static int nan_fill(double **x, size_t n)
{
    int rc = sym_alloc_doubles(x, n ? n : 1);

    for (size_t i = 0; rc == 0 && i < n; i++)
        (*x)[i] = NAN;
    return rc;
}

/* one dataset, created and written whole */
static int put(sym_h5 *h, const char *path, sym_h5_type type, int rank, const long long *dims,
               const void *x, const char *what)
{
    int rc = sym_h5_dataset(h, path, type, rank, dims, what, NULL);

    return rc < 0 ? rc : sym_h5_write_rows(h, path, 0, dims[0], x);
}

static int write_out(const align_out *A, const sym_job *job, const char *src, const char *path,
                     const sym_align_opts *o)
{
    sym_h5 *h = NULL;
    int C = job->n_configs, S = A->S, K = A->K, rc = 0;
    long long d3[3] = {C, S, S}, dp[3] = {C, A->n_pairs > 0 ? A->n_pairs : 1, K + 1}, d1[1] = {C};
    long long dpairs[1] = {A->n_pairs > 0 ? A->n_pairs : 1}, dk[1] = {K + 1};
    double *alpha = NULL;
    long long *pa = NULL, *pb = NULL;
    struct {
        const char *name;
        const double *x;
        const char *what;
    } mats[] = {
        {"orbit_distance", A->orbit, "distance between the two runs' canonical forms after matching their "
         "hidden units (weight matching), over the root mean square of their norms: 0 on one orbit "
         "[config, seed, seed]"},
        {"raw_distance", A->raw, "distance between the two runs' trained weights, over the root mean "
         "square of their norms [config, seed, seed]"},
        {"function_distance", A->func, "distance between the two runs' outputs on the data, over the "
         "root mean square of their norms [config, seed, seed]"},
        {"barrier_raw", A->bar_raw, "largest data loss on the straight line between the two runs' "
         "weights above the chord between its ends [config, seed, seed]"},
        {"barrier_aligned", A->bar_al, "the same between the first run's canonical form and the "
         "second's, its units matched to the first's [config, seed, seed]"},
    };

    SYM_TRY(sym_h5_create(&h, path, o->force));
    SYM_TRY(sym_h5_attr_string(h, "/", "source", src));
    SYM_TRY(sym_h5_attr_string(h, "/", "job_yaml", job->yaml));
    SYM_TRY(sym_h5_attr_string(h, "/", "job_name", job->name));
    SYM_TRY(sym_h5_attr_int(h, "/", "n_configs", C));
    SYM_TRY(sym_h5_attr_int(h, "/", "n_seeds", S));
    SYM_TRY(sym_h5_attr_double(h, "/", "tolerance", o->tolerance));
    for (size_t k = 0; k < sizeof mats / sizeof *mats; k++) {
        char p[128];

        snprintf(p, sizeof(p), "/align/%s", mats[k].name);
        SYM_TRY(put(h, p, SYM_H5_DOUBLE, 3, d3, mats[k].x, mats[k].what));
    }
    SYM_TRY(sym_alloc_doubles(&alpha, (size_t)K + 1));
    for (int k = 0; k <= K; k++)
        alpha[k] = (double)k / K;
    SYM_TRY(put(h, "/align/alpha", SYM_H5_DOUBLE, 1, dk, alpha,
                "position on the line between two runs (0: the first, 1: the second)"));
    SYM_TRY(sym_alloc(&pa, sizeof(long long) * (size_t)dpairs[0]));
    SYM_TRY(sym_alloc(&pb, sizeof(long long) * (size_t)dpairs[0]));
    pa[0] = pb[0] = -1;
    for (int a = 0, q = 0; a < S; a++)
        for (int b = a + 1; b < S; b++, q++) {
            pa[q] = a;
            pb[q] = b;
        }
    SYM_TRY(put(h, "/align/pair_first", SYM_H5_INT64, 1, dpairs, pa, "seed index of each pair's first run"));
    SYM_TRY(put(h, "/align/pair_second", SYM_H5_INT64, 1, dpairs, pb, "seed index of each pair's second run"));
    SYM_TRY(put(h, "/align/path_loss_raw", SYM_H5_DOUBLE, 3, dp, A->path_raw,
                "data loss along the straight line between the pair's weights [config, pair, alpha]"));
    SYM_TRY(put(h, "/align/path_loss_aligned", SYM_H5_DOUBLE, 3, dp, A->path_al,
                "data loss along the straight line after alignment [config, pair, alpha]"));
    SYM_TRY(sym_h5_attach_scale(h, "/align/path_loss_raw", 2, "/align/alpha", "alpha"));
    SYM_TRY(sym_h5_attach_scale(h, "/align/path_loss_aligned", 2, "/align/alpha", "alpha"));
    SYM_TRY(put(h, "/align/pairs", SYM_H5_INT64, 1, d1, A->pairs, "pairs of finished runs compared [config]"));
    SYM_TRY(put(h, "/align/same_orbit", SYM_H5_INT64, 1, d1, A->same_orbit,
                "pairs whose orbit distance is at most the tolerance [config]"));
    SYM_TRY(put(h, "/align/same_function", SYM_H5_INT64, 1, d1, A->same_function,
                "pairs on different orbits whose outputs agree within the tolerance [config]"));
    SYM_TRY(put(h, "/align/different", SYM_H5_INT64, 1, d1, A->different,
                "pairs whose outputs differ by more than the tolerance [config]"));
    SYM_TRY(put(h, "/align/median_barrier_raw", SYM_H5_DOUBLE, 1, d1, A->med_raw,
                "median raw barrier over pairs [config]"));
    SYM_TRY(put(h, "/align/median_barrier_aligned", SYM_H5_DOUBLE, 1, d1, A->med_al,
                "median barrier after alignment over pairs [config]"));
    SYM_TRY(sym_h5_commit(h));
cleanup:
    if (h && sym_h5_close(h) < 0 && rc == 0)
        rc = sym_err_code();
    free(alpha);
    free(pa);
    free(pb);
    return rc;
}

int sym_align_file(FILE *report, const char *path, const char *out, const sym_align_opts *o)
{
    sym_h5 *f = NULL;
    sym_job job;
    char *yaml = NULL, *jpath = NULL, *finished = NULL;
    int64_t *status = NULL;
    long long n_runs = 0;
    align_out A;
    int rc = 0, have_job = 0, S, C;

    memset(&A, 0, sizeof(A));
    if (o->points < 2 || o->points > 100000)
        SYM_FAIL(SYM_EUSAGE, "--points=%d: expected 2 to 100000 points on each line", o->points);
    if (!(o->tolerance >= 0.0))
        SYM_FAIL(SYM_EUSAGE, "--tolerance=%g: expected a number >= 0", o->tolerance);
    SYM_TRY(sym_h5_open_read(&f, path));
    if (sym_h5_attr_read_string(&finished, f, "/", "finished") < 0 || !finished[0])
        SYM_FAIL(SYM_EJOB, "%s: the sweep has not finished (no 'finished' stamp); finish it with "
                 "symsweep run --resume, then align", path);
    SYM_TRY(sym_h5_attr_read_string(&yaml, f, "/", "job_yaml"));
    SYM_TRY(sym_h5_attr_read_string(&jpath, f, "/", "job_path"));
    {
        /* the job stored in the file: a reader never loads code the file names */
        sym_job_read_opts ro = SYM_JOB_READ_OPTS_INIT;

        ro.plugins = SYM_PLUGINS_SKIP;
        SYM_TRY(sym_job_parse_opts(&job, yaml, strlen(yaml), jpath, &ro));
    }
    have_job = 1;
    if (!sym_job_find_probe(&job, "canonical"))
        SYM_FAIL(SYM_EJOB, "%s: the job has no canonical probe; align needs probes: {canonical: {}} "
                 "(and record.weights: final)", path);
    S = job.n_seeds;
    C = job.n_configs;
    n_runs = (long long)S * C;
    SYM_TRY(sym_alloc(&status, sizeof(int64_t) * (size_t)n_runs));
    SYM_TRY(sym_h5_read_status(status, f, n_runs));
    for (int c = 0; c < C; c++)
        SYM_TRY(check_shared_data(&job, c));
    A.S = S;
    A.K = o->points - 1;
    A.n_pairs = S * (S - 1) / 2;
    SYM_TRY(nan_fill(&A.orbit, (size_t)C * S * S));
    SYM_TRY(nan_fill(&A.raw, (size_t)C * S * S));
    SYM_TRY(nan_fill(&A.func, (size_t)C * S * S));
    SYM_TRY(nan_fill(&A.bar_raw, (size_t)C * S * S));
    SYM_TRY(nan_fill(&A.bar_al, (size_t)C * S * S));
    SYM_TRY(nan_fill(&A.path_raw, (size_t)C * (A.n_pairs > 0 ? A.n_pairs : 1) * o->points));
    SYM_TRY(nan_fill(&A.path_al, (size_t)C * (A.n_pairs > 0 ? A.n_pairs : 1) * o->points));
    SYM_TRY(nan_fill(&A.med_raw, (size_t)C));
    SYM_TRY(nan_fill(&A.med_al, (size_t)C));
    SYM_TRY(sym_alloc(&A.same_orbit, sizeof(long long) * (size_t)C));
    SYM_TRY(sym_alloc(&A.same_function, sizeof(long long) * (size_t)C));
    SYM_TRY(sym_alloc(&A.different, sizeof(long long) * (size_t)C));
    SYM_TRY(sym_alloc(&A.pairs, sizeof(long long) * (size_t)C));
    memset(A.same_orbit, 0, sizeof(long long) * (size_t)C);
    memset(A.same_function, 0, sizeof(long long) * (size_t)C);
    memset(A.different, 0, sizeof(long long) * (size_t)C);
    memset(A.pairs, 0, sizeof(long long) * (size_t)C);
    for (int c = 0; c < C; c++)
        SYM_TRY(align_config(&A, f, &job, status, c, o, report));
    SYM_TRY(write_out(&A, &job, path, out, o));
    if (report)
        fprintf(report, "aligned: %s\n", out);
cleanup:
    if (f)
        sym_h5_close(f);
    if (have_job)
        sym_job_dispose(&job);
    free(yaml);
    free(jpath);
    free(finished);
    free(status);
    align_free(&A);
    return rc;
}
