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

/*
 * What the barriers are measured in: the data loss on the training data (every grid point),
 * on the held-out test data (a test split), and the classification error, 1 - accuracy, on
 * both (a classifier, train.loss: cross_entropy).  Each is the barrier of the linear mode
 * connectivity literature (Entezari et al. 2022, Ainsworth et al. 2023): the largest rise of
 * the path above the straight line between its ends, max_t f((1-t) a + t b) - ((1-t) f(a) +
 * t f(b)).
 */
enum { BAR_LOSS = 0, BAR_TEST_LOSS, BAR_ERROR, BAR_TEST_ERROR, BAR_KINDS };

static const struct {
    const char *barrier, *path, *what;
} bar_kind[BAR_KINDS] = {
    {"barrier", "path_loss", "data loss"},
    {"barrier_test", "path_test_loss", "data loss on the held-out test data"},
    {"barrier_error", "path_error", "classification error (1 - accuracy: argmax of the outputs "
                                    "against the target's class) on the training data"},
    {"barrier_test_error", "path_test_error", "classification error (1 - accuracy) on the "
                                              "held-out test data"},
};

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

    for (int k = 0; k <= K; k++) {
        double t = (double)k / K;

        for (size_t i = 0; i < P; i++)
            tmp[i] = (1.0 - t) * a[i] + t * b[i];
        SYM_TRY(sym_eval_loss(e, &lp, NULL, tmp, d->X, d->Y, d->n));
        loss[k] = lp.data;
    }
    *barrier = sym_align_barrier(loss, K);
cleanup:
    return rc;
}

double sym_align_barrier(const double *f, int K)
{
    double barrier = -INFINITY;

    for (int k = 0; k <= K; k++) {
        double t = (double)k / K;

        barrier = fmax(barrier, f[k] - ((1.0 - t) * f[0] + t * f[K]));
    }
    return barrier;
}

int sym_align_path(double *f, double *barrier, sym_scorer *sc, int error, const double *X,
                   const double *Y, int n, const double *a, const double *b, size_t P, int K,
                   double *tmp)
{
    int rc = 0;

    for (int k = 0; k <= K; k++) {
        double t = (double)k / K, acc;
        sym_loss_parts lp;

        for (size_t i = 0; i < P; i++)
            tmp[i] = (1.0 - t) * a[i] + t * b[i];
        if (error) {
            SYM_TRY(sym_scorer_accuracy(sc, &acc, tmp, X, Y, n));
            f[k] = 1.0 - acc;
        } else {
            SYM_TRY(sym_scorer_loss(sc, &lp, tmp, X, Y, n));
            f[k] = lp.data;
        }
    }
    *barrier = sym_align_barrier(f, K);
cleanup:
    return rc;
}

/* f along (1 - t) a + t b at K + 1 points, of kind BAR_TEST_LOSS, BAR_ERROR or BAR_TEST_ERROR
 * (sc: the data's scorer), and its barrier above the chord */
static int path_score(double *f, double *barrier, sym_scorer *sc, int kind, const sym_data *d,
                      const double *a, const double *b, size_t P, int K, double *tmp)
{
    int test = kind == BAR_TEST_LOSS || kind == BAR_TEST_ERROR;

    return sym_align_path(f, barrier, sc, kind != BAR_TEST_LOSS, test ? d->Xt : d->X,
                          test ? d->Yt : d->Y, test ? d->n_test : d->n, a, b, P, K, tmp);
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
    double *orbit, *raw, *func;                          /* [configs x S x S] */
    double *bar_raw[BAR_KINDS], *bar_al[BAR_KINDS];      /* [configs x S x S] */
    double *path_raw[BAR_KINDS], *path_al[BAR_KINDS];    /* [configs x pairs x (K + 1)] */
    long long *same_orbit, *same_function, *different, *pairs; /* [configs] */
    double *med_raw[BAR_KINDS], *med_al[BAR_KINDS];      /* [configs] */
    int has[BAR_KINDS]; /* some grid point measured it (BAR_LOSS: always) */
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
            "one function on other orbits, %lld different; median barrier %.3g raw, %.3g aligned",
            c, label[0] ? " " : "", label, n_ok, S, A->pairs[c], A->same_orbit[c],
            A->same_function[c], A->different[c], A->med_raw[BAR_LOSS][c], A->med_al[BAR_LOSS][c]);
    /* the other barriers this grid point measured (median NaN: none, or no pair) */
    {
        static const char *const name[BAR_KINDS] = {"", "test loss", "train error", "test error"};

        for (int q = 1; q < BAR_KINDS; q++)
            if (A->has[q] && !(isnan(A->med_raw[q][c]) && isnan(A->med_al[q][c])))
                fprintf(report, "; %s %.3g raw, %.3g aligned", name[q], A->med_raw[q][c],
                        A->med_al[q][c]);
    }
    fputc('\n', report);
}

/* what grid point c's runs are compared in (their data loaded in d) */
static void kinds_on(int on[BAR_KINDS], const sym_job_config *cfg, const sym_data *d)
{
    int clf = cfg->model.loss == SYM_LOSS_CROSS_ENTROPY, test = d->n_test > 0;

    on[BAR_LOSS] = 1;
    on[BAR_TEST_LOSS] = test;
    on[BAR_ERROR] = clf;
    on[BAR_TEST_ERROR] = clf && test;
}

/* one pair's barriers, raw (ra, rb) and aligned (ca, al), of every kind @p on: into the
 * [config, seed, seed] entries ab and ba, the paths' row @p row, and the pair's slot @p slot
 * of the medians' values med [BAR_KINDS x 2 x S^2] */
static int pair_barriers(align_out *A, sym_eval *e, sym_scorer *sc, const int on[BAR_KINDS],
                         const sym_data *d, const double *const ends[4], size_t P, size_t ab,
                         size_t ba, size_t row, double *med, size_t slot, size_t S2, double *tmp)
{
    int K = A->K, rc = 0;

    for (int q = 0; q < BAR_KINDS; q++) {
        double *pr = A->path_raw[q] + row * (K + 1), *pa = A->path_al[q] + row * (K + 1);

        if (!on[q])
            continue;
        if (q == BAR_LOSS) {
            SYM_TRY(path_loss(pr, &A->bar_raw[q][ab], e, d, ends[0], ends[1], P, K, tmp));
            SYM_TRY(path_loss(pa, &A->bar_al[q][ab], e, d, ends[2], ends[3], P, K, tmp));
        } else {
            SYM_TRY(path_score(pr, &A->bar_raw[q][ab], sc, q, d, ends[0], ends[1], P, K, tmp));
            SYM_TRY(path_score(pa, &A->bar_al[q][ab], sc, q, d, ends[2], ends[3], P, K, tmp));
        }
        A->bar_raw[q][ba] = A->bar_raw[q][ab];
        A->bar_al[q][ba] = A->bar_al[q][ab];
        med[(2 * (size_t)q) * S2 + slot] = A->bar_raw[q][ab];
        med[(2 * (size_t)q + 1) * S2 + slot] = A->bar_al[q][ab];
    }
cleanup:
    return rc;
}

/* grid point c's runs that finished: their weights and canonical forms, the data once, and
 * the diagonal of the [seed, seed] matrices */
static int read_runs(align_out *A, int *n_ok, int *have_data, sym_data *d, double *raw, double *can,
                     sym_h5 *f, const sym_job *job, const int64_t *status, int c, const sym_model *m)
{
    int S = job->n_seeds, rc = 0;
    size_t P = sym_model_n_params(m), base = (size_t)c * S * S;

    for (int s = 0; s < S; s++) {
        int run = c * S + s;
        size_t ss = base + (size_t)s * S + s;

        if (status[run] != SYM_RUN_DONE)
            continue;
        SYM_TRY(read_params(raw + (size_t)s * P, f, SYM_PATH_WEIGHTS, m, run));
        SYM_TRY(read_params(can + (size_t)s * P, f, "/probes/canonical", m, run));
        if (!*have_data) {
            SYM_TRY(sym_run_load_data(d, job, run));
            *have_data = 1;
        }
        A->orbit[ss] = A->raw[ss] = A->func[ss] = 0.0;
        A->bar_raw[BAR_LOSS][ss] = A->bar_al[BAR_LOSS][ss] = 0.0;
        (*n_ok)++;
    }
cleanup:
    return rc;
}

/* grid point c: every pair of its finished runs */
static int align_config(align_out *A, sym_h5 *f, const sym_job *job, const int64_t *status, int c,
                        const sym_align_opts *o, FILE *report)
{
    const sym_job_config *cfg = &job->configs[c];
    int S = job->n_seeds, rc = 0, no, pair = 0, n_ok = 0, on[BAR_KINDS] = {1, 0, 0, 0};
    size_t P, base = (size_t)c * S * S, S2 = (size_t)S * S;
    sym_model *m = NULL;
    sym_eval *e = NULL;
    sym_scorer *sc = NULL;
    sym_data d = {0};
    double *raw = NULL, *can = NULL, *al = NULL, *tmp = NULL, *fa = NULL, *fb = NULL, *med = NULL;
    int have_data = 0;

    if (cfg->model.group_layer >= 0 && cfg->model.group_k > 0)
        SYM_FAIL(SYM_EJOB, "grid point %d has a learned-group layer (model.group): weight matching "
                           "permutes free dense layers' units, which its filters are not", c);
    SYM_TRY(sym_model_create(&m, &cfg->model));
    P = sym_model_n_params(m);
    no = cfg->model.widths[cfg->model.n_layers];
    SYM_TRY(sym_alloc_doubles(&raw, P * (size_t)S));
    SYM_TRY(sym_alloc_doubles(&can, P * (size_t)S));
    SYM_TRY(sym_alloc_doubles(&al, P));
    SYM_TRY(sym_alloc_doubles(&tmp, P));
    SYM_TRY(sym_alloc_doubles(&med, 2 * BAR_KINDS * S2));
    SYM_TRY(read_runs(A, &n_ok, &have_data, &d, raw, can, f, job, status, c, m));
    if (have_data) {
        SYM_TRY(sym_eval_create(&e, m, &cfg->reg, d.n));
        SYM_TRY(sym_alloc_doubles(&fa, (size_t)d.n * no));
        SYM_TRY(sym_alloc_doubles(&fb, (size_t)d.n * no));
        kinds_on(on, cfg, &d);
        if (on[BAR_TEST_LOSS] || on[BAR_ERROR])
            SYM_TRY(sym_scorer_create(&sc, m, &cfg->reg, d.n > d.n_test ? d.n : d.n_test));
        for (int q = 1; q < BAR_KINDS; q++) /* a run against itself: no barrier */
            for (int s = 0; on[q] && s < S; s++)
                if (status[c * S + s] == SYM_RUN_DONE)
                    A->bar_raw[q][base + (size_t)s * S + s] = A->bar_al[q][base + (size_t)s * S + s] = 0.0;
        for (int q = 0; q < BAR_KINDS; q++)
            A->has[q] |= on[q];
    }
    for (int a = 0; a < S; a++)
        for (int b = a + 1; b < S; b++, pair++) {
            const double *ra = raw + (size_t)a * P, *rb = raw + (size_t)b * P;
            const double *ca = can + (size_t)a * P, *cb = can + (size_t)b * P;
            const double *ends[4] = {ra, rb, ca, al};
            size_t ab = base + (size_t)a * S + b, ba_ = base + (size_t)b * S + a;
            double orb, fun;

            if (status[c * S + a] != SYM_RUN_DONE || status[c * S + b] != SYM_RUN_DONE)
                continue;
            SYM_TRY(sym_align_match(al, NULL, m, ca, cb));
            orb = rel_dist(ca, al, P);
            fun = output_dist(e, &d, ra, rb, fa, fb, no);
            A->orbit[ab] = A->orbit[ba_] = orb;
            A->raw[ab] = A->raw[ba_] = rel_dist(ra, rb, P);
            A->func[ab] = A->func[ba_] = fun;
            SYM_TRY(pair_barriers(A, e, sc, on, &d, ends, P, ab, ba_, (size_t)c * A->n_pairs + pair,
                                  med, (size_t)A->pairs[c], S2, tmp));
            A->pairs[c]++;
            if (orb <= o->tolerance)
                A->same_orbit[c]++;
            else if (fun <= o->tolerance)
                A->same_function[c]++;
            else
                A->different[c]++;
        }
    for (int q = 0; q < BAR_KINDS; q++)
        if (on[q]) {
            A->med_raw[q][c] = median(med + 2 * (size_t)q * S2, (int)A->pairs[c]);
            A->med_al[q][c] = median(med + (2 * (size_t)q + 1) * S2, (int)A->pairs[c]);
        }
    if (report)
        report_config(report, A, job, c, n_ok);
cleanup:
    sym_model_free(m);
    sym_eval_free(e);
    sym_scorer_free(sc);
    sym_data_dispose(&d);
    free(raw);
    free(can);
    free(al);
    free(tmp);
    free(fa);
    free(fb);
    free(med);
    return rc;
}

static void align_free(align_out *A)
{
    free(A->orbit);
    free(A->raw);
    free(A->func);
    for (int q = 0; q < BAR_KINDS; q++) {
        free(A->bar_raw[q]);
        free(A->bar_al[q]);
        free(A->path_raw[q]);
        free(A->path_al[q]);
        free(A->med_raw[q]);
        free(A->med_al[q]);
    }
    free(A->same_orbit);
    free(A->same_function);
    free(A->different);
    free(A->pairs);
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

/* the barriers, paths and medians of kind q (not BAR_LOSS, written as before) */
static int write_kind(sym_h5 *h, const align_out *A, int q, const long long *d3, const long long *dp,
                      const long long *d1)
{
    const char *what = bar_kind[q].what;
    char p[128], text[512];
    int rc = 0;

    for (int al = 0; al < 2; al++) {
        const char *side = al ? "aligned" : "raw";

        snprintf(p, sizeof(p), "/align/%s_%s", bar_kind[q].barrier, side);
        snprintf(text, sizeof(text), "largest %s on the straight line between the two runs' %s "
                 "above the chord between its ends [config, seed, seed]; NaN where not measured "
                 "(no test split, not a classifier)", what,
                 al ? "canonical forms, the second's units matched to the first's" : "weights");
        SYM_TRY(put(h, p, SYM_H5_DOUBLE, 3, d3, al ? A->bar_al[q] : A->bar_raw[q], text));
        snprintf(p, sizeof(p), "/align/%s_%s", bar_kind[q].path, side);
        snprintf(text, sizeof(text), "%s along the straight line between the pair's %s [config, "
                 "pair, alpha]", what, al ? "aligned weights" : "weights");
        SYM_TRY(put(h, p, SYM_H5_DOUBLE, 3, dp, al ? A->path_al[q] : A->path_raw[q], text));
        SYM_TRY(sym_h5_attach_scale(h, p, 2, "/align/alpha", "alpha"));
        snprintf(p, sizeof(p), "/align/median_%s_%s", bar_kind[q].barrier, side);
        snprintf(text, sizeof(text), "median %s barrier over pairs, %s [config]", what,
                 al ? "after alignment" : "raw");
        SYM_TRY(put(h, p, SYM_H5_DOUBLE, 1, d1, al ? A->med_al[q] : A->med_raw[q], text));
    }
cleanup:
    return rc;
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
        {"barrier_raw", A->bar_raw[BAR_LOSS], "largest data loss on the straight line between the "
         "two runs' weights above the chord between its ends [config, seed, seed]"},
        {"barrier_aligned", A->bar_al[BAR_LOSS], "the same between the first run's canonical form "
         "and the second's, its units matched to the first's [config, seed, seed]"},
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
    SYM_TRY(put(h, "/align/path_loss_raw", SYM_H5_DOUBLE, 3, dp, A->path_raw[BAR_LOSS],
                "data loss along the straight line between the pair's weights [config, pair, alpha]"));
    SYM_TRY(put(h, "/align/path_loss_aligned", SYM_H5_DOUBLE, 3, dp, A->path_al[BAR_LOSS],
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
    SYM_TRY(put(h, "/align/median_barrier_raw", SYM_H5_DOUBLE, 1, d1, A->med_raw[BAR_LOSS],
                "median raw barrier over pairs [config]"));
    SYM_TRY(put(h, "/align/median_barrier_aligned", SYM_H5_DOUBLE, 1, d1, A->med_al[BAR_LOSS],
                "median barrier after alignment over pairs [config]"));
    for (int q = 1; q < BAR_KINDS; q++)
        if (A->has[q])
            SYM_TRY(write_kind(h, A, q, d3, dp, d1));
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
    for (int q = 0; q < BAR_KINDS; q++) {
        SYM_TRY(nan_fill(&A.bar_raw[q], (size_t)C * S * S));
        SYM_TRY(nan_fill(&A.bar_al[q], (size_t)C * S * S));
        SYM_TRY(nan_fill(&A.path_raw[q], (size_t)C * (A.n_pairs > 0 ? A.n_pairs : 1) * o->points));
        SYM_TRY(nan_fill(&A.path_al[q], (size_t)C * (A.n_pairs > 0 ? A.n_pairs : 1) * o->points));
        SYM_TRY(nan_fill(&A.med_raw[q], (size_t)C));
        SYM_TRY(nan_fill(&A.med_al[q], (size_t)C));
    }
    A.has[BAR_LOSS] = 1;
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
