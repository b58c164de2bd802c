/*
 * The sweep's HDF5 file: what goes where (docs/hdf5-layout.md).  Rank 0
 * creates every dataset up front with its fill value (NaN, -1, "pending"),
 * so a reader of a partial file sees exactly which runs are missing.
 *
 * Configurations of one sweep may differ in shape (a swept width or depth):
 * weight datasets hold the union of tensor names at the largest shape, and
 * curves the largest number of points; what a run does not have stays NaN.
 */
#include "symsweep/io.h"
#include "symsweep/output.h"
#include "symsweep/version.h"

#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const sym_record_weights_names[] = {"none", "final", "initial_and_final"};
_Static_assert(sizeof sym_record_weights_names / sizeof *sym_record_weights_names ==
                   SYM_RECORD_WEIGHTS_COUNT,
               "one name per record.weights value");

struct sym_output {
    sym_h5 *h5;
    sym_outlock *lock; /* held from before the file is made or opened until it is closed */
    const sym_job *job;
    int n_tensors, n_points;
    sym_tensor tensors[SYM_MAX_TENSORS]; /* the union over configurations, largest shapes */
    double *pad; /* rows x cols / n_points scratch, NaN-filled per use */
    size_t pad_len;
    /* results received since the last checkpoint (deep copies) */
    sym_run_result *buf;
    int n_buf, cap_buf;
    size_t buf_bytes;
    int n_checkpoints;
    double write_time; /* seconds spent in checkpoints */
    sym_schema schema; /* the probes' datasets */
};

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* union of the configurations' tensors, and the longest curve */
static int layout(sym_output *o)
{
    const sym_job *job = o->job;
    sym_model *m = NULL;
    int rc = 0;

    o->n_points = 0;
    for (int c = 0; c < job->n_configs; c++) {
        const sym_job_config *cfg = &job->configs[c];
        int np = sym_train_n_points(&cfg->train);

        o->n_points = np > o->n_points ? np : o->n_points;
        if (c > 0 && memcmp(&cfg->model, &job->configs[c - 1].model, sizeof(cfg->model)) == 0)
            continue;
        SYM_TRY(sym_model_create(&m, &cfg->model));
        sym_tensor_union(o->tensors, &o->n_tensors, SYM_MAX_TENSORS, m);
        sym_model_free(m);
        m = NULL;
    }
    o->pad_len = (size_t)o->n_points;
    for (int k = 0; k < o->n_tensors; k++) {
        size_t n = (size_t)o->tensors[k].rows * o->tensors[k].cols;

        o->pad_len = n > o->pad_len ? n : o->pad_len;
    }
    SYM_TRY(sym_alloc_doubles(&o->pad, o->pad_len));
cleanup:
    sym_model_free(m);
    return rc;
}

static int weights_group(sym_output *o, const char *group, const char *what)
{
    int rc = 0, n_runs = sym_job_n_runs(o->job);

    for (int i = 0; i < o->n_tensors; i++) {
        const sym_tensor *t = &o->tensors[i];
        char path[128], desc[320];
        long long dims[3] = {n_runs, t->rows, t->cols};

        snprintf(path, sizeof(path), "%s/%s", group, t->name);
        snprintf(desc, sizeof(desc),
                 "%s %s of each run: %s [%d x %d], row-major (out x in); NaN where a run's "
                 "configuration has no such tensor or a smaller one",
                 what, t->cols == 1 ? "bias" : "weight", t->name, t->rows, t->cols);
        SYM_TRY(sym_h5_dataset(o->h5, path, SYM_H5_DOUBLE, t->cols == 1 ? 2 : 3, dims, desc,
                               NULL));
    }
cleanup:
    return rc;
}

/* the /grid values of run i: its seed, its configuration, or column k's value */
static void grid_values(const sym_job *job, int i, int64_t *seed, int64_t *config)
{
    uint64_t s;

    sym_job_run_config(job, i, &s);
    *seed = (int64_t)s;
    *config = i / job->n_seeds;
}

/*
 * --resume: the file's /grid must be this job's, value for value (the job's
 * hash matching is not enough once bytes of the file may have changed, and
 * variable-length strings carry no checksum).
 */
static int check_grid(sym_output *o, const char *path)
{
    const sym_job *job = o->job;
    int rc = 0, n = sym_job_n_runs(job);
    int64_t *seed = NULL, *cfg = NULL;
    double *num = NULL;
    char **str = NULL;

    SYM_TRY(sym_alloc(&seed, sizeof(int64_t) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&cfg, sizeof(int64_t) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&num, sizeof(double) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&str, sizeof(char *) * (size_t)(n + 1)));
    SYM_TRY(sym_h5_read_int64(seed, o->h5, SYM_PATH_GRID_SEED, n));
    SYM_TRY(sym_h5_read_int64(cfg, o->h5, SYM_PATH_GRID_CONFIG, n));
    for (int i = 0; i < n; i++) {
        int64_t s, c;

        grid_values(job, i, &s, &c);
        if (s != seed[i] || c != cfg[i])
            SYM_FAIL(SYM_ECORRUPT,
                     "%s: cannot resume: /grid of run %d is seed %lld, configuration %lld; the job "
                     "says seed %lld, configuration %lld (the file was changed)",
                     path, i, (long long)seed[i], (long long)cfg[i], (long long)s, (long long)c);
    }
    for (int k = 0; k < job->n_columns; k++) {
        const sym_grid_column *g = &job->columns[k];
        char gp[160];

        snprintf(gp, sizeof(gp), SYM_PATH_GRID "/%s", g->name);
        if (g->numeric)
            SYM_TRY(sym_h5_read_doubles(num, o->h5, gp, n));
        else
            SYM_TRY(sym_h5_read_strings(str, o->h5, gp, n));
        for (int i = 0; i < n; i++) {
            int v = sym_job_axis_index(job, i, g->axis);
            int same = g->numeric ? (num[i] == g->num[v] || (isnan(num[i]) && isnan(g->num[v])))
                                  : str[i] && strcmp(str[i], g->str[v]) == 0;

            if (!same)
                SYM_FAIL(SYM_ECORRUPT,
                         "%s: cannot resume: %s of run %d differs from the job's value %s (the "
                         "file was changed)",
                         path, gp, i, g->str[v]);
        }
        for (int i = 0; !g->numeric && i < n; i++) {
            free(str[i]);
            str[i] = NULL;
        }
    }
cleanup:
    for (int i = 0; str && i < n; i++)
        free(str[i]);
    free(str);
    free(num);
    free(cfg);
    free(seed);
    return rc;
}

static int grid(sym_output *o)
{
    const sym_job *job = o->job;
    int rc = 0, n = sym_job_n_runs(job);
    long long n1[1] = {n};
    int64_t *iv = NULL;
    double *dv = NULL;
    const char **sv = NULL;

    SYM_TRY(sym_alloc(&iv, sizeof(int64_t) * (size_t)n));
    SYM_TRY(sym_alloc(&dv, sizeof(double) * (size_t)n));
    SYM_TRY(sym_alloc(&sv, sizeof(char *) * (size_t)n));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_GRID_SEED, SYM_H5_INT64, 1, n1,
                           "seed of each run: its data, initialization and minibatch streams", ""));
    for (int i = 0; i < n; i++) {
        int64_t cfg;

        grid_values(job, i, &iv[i], &cfg);
    }
    SYM_TRY(sym_h5_write_rows(o->h5, SYM_PATH_GRID_SEED, 0, n, iv));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_GRID_CONFIG, SYM_H5_INT64, 1, n1,
                           "configuration (grid point without the seed) of each run: run i is "
                           "configuration i / n_seeds with seed i % n_seeds",
                           ""));
    for (int i = 0; i < n; i++)
        iv[i] = i / job->n_seeds;
    SYM_TRY(sym_h5_write_rows(o->h5, SYM_PATH_GRID_CONFIG, 0, n, iv));
    for (int k = 0; k < job->n_columns; k++) {
        const sym_grid_column *g = &job->columns[k];
        char path[160], desc[512];

        snprintf(path, sizeof(path), SYM_PATH_GRID "/%s", g->name);
        snprintf(desc, sizeof(desc), "swept setting %s of each run (axis %d, %s)%s", g->name,
                 g->axis, job->axis_name[g->axis],
                 g->numeric && !g->integer ? "; NaN where the value has no such key" : "");
        SYM_TRY(sym_h5_dataset(o->h5, path,
                               g->integer ? SYM_H5_INT64 : g->numeric ? SYM_H5_DOUBLE : SYM_H5_STRING,
                               1, n1, desc, NULL));
        for (int i = 0; i < n; i++) {
            int v = sym_job_axis_index(job, i, g->axis);

            dv[i] = g->num[v];
            iv[i] = g->integer ? (int64_t)g->num[v] : 0; /* (NaN has no integer) */
            sv[i] = g->str[v];
        }
        SYM_TRY(sym_h5_write_rows(o->h5, path, 0, n,
                                  g->integer   ? (const void *)iv
                                  : g->numeric ? (const void *)dv
                                               : (const void *)sv));
    }
cleanup:
    free(iv);
    free(dv);
    free(sv);
    return rc;
}

/* the root attributes: where the file comes from (job, version, machine) and its grid's size */
static int provenance(sym_output *o, const sym_output_info *info)
{
    const sym_job *job = o->job;
    char buf[256], *inputs = NULL;
    int rc = 0;

    SYM_TRY(sym_h5_attr_int(o->h5, "/", "format_version", SYM_FORMAT_VERSION));
    snprintf(buf, sizeof(buf), "%s (git %s)", SYM_VERSION_STRING, SYM_GIT_REVISION);
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "symsweep_version", buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_yaml", job->yaml));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_sha256", job->sha256));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_path", job->path));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_name", job->name));
    if (job->overrides) /* settings from the command line (job_yaml has them applied) */
        SYM_TRY(sym_h5_attr_string(o->h5, "/", "overrides", job->overrides));
    /* the bytes of every file the runs read (--resume refuses if one changed); only when
     * there are some, so that files of jobs without input files stay as they were */
    SYM_TRY(sym_job_input_digests(&inputs, job));
    if (inputs)
        SYM_TRY(sym_h5_attr_string(o->h5, "/", "input_sha256", inputs));
    iso_now(buf, sizeof(buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "created", buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "finished", ""));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "mpi_size", info->mpi_size));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "hosts", info->hosts ? info->hosts : ""));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "blas", sym_blas_description()));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_runs", sym_job_n_runs(job)));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_seeds", job->n_seeds));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_configs", job->n_configs));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "shard", info->shard ? info->shard : ""));
    {
        char axes[4096] = "";

        for (int a = 0; a < job->n_axes; a++) {
            size_t u = strlen(axes);

            snprintf(axes + u, sizeof(axes) - u, "%s%s", a ? "; " : "", job->axis_name[a]);
        }
        SYM_TRY(sym_h5_attr_string(o->h5, "/", "axes", axes));
    }

cleanup:
    free(inputs);
    return rc;
}

int sym_output_create(sym_output **out, const char *path, const sym_job *job, int force,
                      const sym_output_info *info)
{
    sym_output *o = NULL;
    int rc = 0, n_runs = sym_job_n_runs(job);
    long long n1[1] = {n_runs}, n2[2], p1[1];
    int64_t *tmp = NULL;

    SYM_TRY(sym_alloc(&o, sizeof(*o)));
    o->job = job;
    SYM_TRY(layout(o));
    SYM_TRY(sym_job_schema(job, &o->schema));
    n2[0] = n_runs;
    n2[1] = o->n_points;
    p1[0] = o->n_points;
    SYM_TRY(sym_outlock_acquire(&o->lock, path));
    SYM_TRY(sym_h5_create(&o->h5, path, force));

    SYM_TRY(provenance(o, info));

    SYM_TRY(grid(o));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_STATUS, SYM_H5_STATUS, 1, n1,
                           "pending | done | diverged (objective became NaN/Inf; last finite state kept) | failed (see /runs/error)",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_RANK, SYM_H5_INT64, 1, n1,
                           "MPI rank that computed the run (-1: not computed)", ""));
    SYM_TRY(sym_h5_fill_attr(o->h5, SYM_PATH_RANK));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_WALL_TIME, SYM_H5_DOUBLE, 1, n1,
                           "wall-clock time of the run on its rank", "s"));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_ERROR, SYM_H5_TEXT, 1, n1,
                           "error message of a failed run (at most 511 bytes), empty otherwise", NULL));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_EPOCHS_DONE, SYM_H5_INT64, 1, n1,
                           "epochs completed (less than train.epochs when diverged)", NULL));
    SYM_TRY(sym_h5_fill_attr(o->h5, SYM_PATH_EPOCHS_DONE));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_FINAL_LOSS, SYM_H5_DOUBLE, 1, n1,
                           "objective (data loss + penalty) on the full data at the final parameters",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_FINAL_DATA_LOSS, SYM_H5_DOUBLE, 1, n1,
                           "data loss at the final parameters: train.loss mse, (1/(n d_out)) sum (yhat - y)^2, or "
                           "cross_entropy, (1/n) sum (logsumexp(z) - z[label])",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_FINAL_PENALTY, SYM_H5_DOUBLE, 1, n1,
                           "regularizer penalty (lambda-weighted) at the final parameters", NULL));
    if (job->record_weights != SYM_RECORD_WEIGHTS_NONE)
        SYM_TRY(weights_group(o, SYM_PATH_WEIGHTS, "final"));
    if (job->record_weights == SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL)
        SYM_TRY(weights_group(o, SYM_PATH_INITIAL_WEIGHTS, "initial"));

    SYM_TRY(sym_h5_schema_create(o->h5, &o->schema, n_runs));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_CURVE_LOSS, SYM_H5_DOUBLE, 2, n2,
                           "objective on the full data after the number of epochs in /runs/curves/epoch; "
                           "NaN past a run's last epoch or divergence",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, SYM_PATH_CURVE_EPOCH, SYM_H5_INT64, 1, p1,
                           "epochs completed at each point of the curves: 0, k, 2k, ... with k = record.loss_every (dimension scale)",
                           NULL));
    SYM_TRY(sym_alloc(&tmp, sizeof(int64_t) * (size_t)o->n_points));
    for (int i = 0; i < o->n_points; i++)
        tmp[i] = (int64_t)i * job->loss_every;
    SYM_TRY(sym_h5_write_rows(o->h5, SYM_PATH_CURVE_EPOCH, 0, o->n_points, tmp));
    SYM_TRY(sym_h5_attach_scale(o->h5, SYM_PATH_CURVE_LOSS, 1, SYM_PATH_CURVE_EPOCH, "epoch"));
    SYM_TRY(sym_h5_schema_scales(o->h5, &o->schema));
    SYM_TRY(sym_h5_run_scale(o->h5, n_runs));
    /* after the run scale: /config's rows are grid points, not runs */
    SYM_TRY(sym_output_config(o->h5, job));
    /* the whole layout on disk now: from here on only raw data change */
    SYM_TRY(sym_h5_sync(o->h5));
    SYM_TRY(sym_h5_commit(o->h5)); /* only now is an old file at this path replaced */
    *out = o;
    o = NULL;
cleanup:
    free(tmp);
    if (o) {
        sym_h5_close(o->h5); /* an uncommitted file is removed: nothing half-made is left */
        sym_outlock_release(o->lock);
        sym_schema_dispose(&o->schema);
        free(o->pad);
        free(o);
    }
    return rc;
}

/* a run's probe pieces, when it has them */
/* the run has values to write: it did not fail and its parameters came back */
static int computed(const sym_run_result *r) { return r->status != SYM_RUN_FAILED && r->params != NULL; }

static const double *run_probe(const sym_run_result *r) { return computed(r) ? r->probe : NULL; }

/* rows [i0, i0 + m) of the weight datasets (final, and initial when recorded), each tensor at
 * the file's largest shape, NaN where a run's own tensor is smaller, absent or not computed;
 * dv holds m times the largest tensor */
/* run @p index's tensor named @p name in its configuration's model (*mod, kept while the
 * configuration stays the same), or *t = NULL when it has none */
static int run_tensor(const sym_tensor **t, sym_model **mod, const sym_job_config **mod_cfg,
                      const sym_job *job, int index, const char *name)
{
    const sym_job_config *cfg = sym_job_run_config(job, index, NULL);
    int rc = 0;

    *t = NULL;
    if (cfg != *mod_cfg) { /* the run's own layout: its configuration's model */
        sym_model_free(*mod);
        *mod = NULL;
        SYM_TRY(sym_model_create(mod, &cfg->model));
        *mod_cfg = cfg;
    }
    for (int q = 0; q < sym_model_n_tensors(*mod) && !*t; q++)
        if (strcmp(sym_model_tensor(*mod, q)->name, name) == 0)
            *t = sym_model_tensor(*mod, q);
cleanup:
    return rc;
}

static int write_weights(sym_output *o, const sym_run_result *rs, int m, double *dv)
{
    const sym_job *job = o->job;
    int rc = 0, i0 = rs[0].index;
    sym_model *mod = NULL;
    const sym_job_config *mod_cfg = NULL;

    for (int pass = 0; pass < 2; pass++) {
        const char *group = pass ? SYM_PATH_INITIAL_WEIGHTS : SYM_PATH_WEIGHTS;

        if (pass && job->record_weights != SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL)
            break;
        for (int k = 0; k < o->n_tensors; k++) {
            const sym_tensor *ot = &o->tensors[k];
            size_t sz = (size_t)ot->rows * ot->cols;
            /* a tensor of 64 KiB or more is a chunk per run (sym_h5_dataset): a run whose tensor
             * has the dataset's shape is written from its parameters, not gathered first */
            int direct = sz * sizeof(double) >= 65536;
            char path[128];

            snprintf(path, sizeof(path), "%s/%s", group, ot->name);
            for (size_t x = 0; x < (size_t)m * sz && !direct; x++)
                dv[x] = NAN; /* direct: each run's row is set and written on its own below */
            for (int j = 0; j < m; j++) {
                const double *src = pass ? rs[j].initial : rs[j].params;
                const sym_tensor *t = NULL;

                if (computed(&rs[j]))
                    SYM_TRY(run_tensor(&t, &mod, &mod_cfg, job, rs[j].index, ot->name));
                if (direct && t && t->rows == ot->rows && t->cols == ot->cols) {
                    SYM_TRY(sym_h5_write_rows(o->h5, path, rs[j].index, 1, src + t->offset));
                    continue;
                }
                for (size_t x = 0; x < sz && direct; x++)
                    dv[(size_t)j * sz + x] = NAN;
                for (int r = 0; t && r < t->rows; r++)
                    memcpy(dv + (size_t)j * sz + (size_t)r * ot->cols,
                           src + t->offset + (size_t)r * t->cols, sizeof(double) * (size_t)t->cols);
                if (direct) /* not computed, or a smaller tensor of another configuration */
                    SYM_TRY(sym_h5_write_rows(o->h5, path, rs[j].index, 1, dv + (size_t)j * sz));
            }
            if (!direct)
                SYM_TRY(sym_h5_write_rows(o->h5, path, i0, m, dv));
        }
    }
cleanup:
    sym_model_free(mod);
    return rc;
}

/*
 * Rows [i0, i0 + m) of every /runs dataset from m consecutive buffered
 * results, one write per dataset.  A failed run's rows get the fill values
 * (NaN, -1), which is what its rows hold on disk already.
 */
static int write_range(sym_output *o, const sym_run_result *rs, int m)
{
    const sym_job *job = o->job;
    int rc = 0, i0 = rs[0].index;
    size_t cap = (size_t)o->n_points;
    int64_t *iv = NULL;
    double *dv = NULL;
    const char **sv = NULL;
    sym_schema_row *rows = NULL;

    for (int k = 0; k < o->n_tensors; k++) {
        size_t t = (size_t)o->tensors[k].rows * o->tensors[k].cols;

        cap = t > cap ? t : cap;
    }
    cap = job->measure.total > cap ? job->measure.total : cap;
    SYM_TRY(sym_alloc(&iv, sizeof(int64_t) * (size_t)m));
    SYM_TRY(sym_alloc(&dv, sizeof(double) * (size_t)m * cap));
    SYM_TRY(sym_alloc(&sv, sizeof(char *) * (size_t)m));

#define HAS(j) computed(&rs[j])
#define COLUMN_I(path, expr)                                                                  \
    do {                                                                                      \
        for (int j = 0; j < m; j++)                                                           \
            iv[j] = (expr);                                                                   \
        SYM_TRY(sym_h5_write_rows(o->h5, path, i0, m, iv));                                   \
    } while (0)
#define COLUMN_D(path, expr)                                                                  \
    do {                                                                                      \
        for (int j = 0; j < m; j++)                                                           \
            dv[j] = (expr);                                                                   \
        SYM_TRY(sym_h5_write_rows(o->h5, path, i0, m, dv));                                   \
    } while (0)

    COLUMN_I(SYM_PATH_RANK, rs[j].rank);
    COLUMN_D(SYM_PATH_WALL_TIME, rs[j].wall_time);
    for (int j = 0; j < m; j++)
        sv[j] = rs[j].error;
    SYM_TRY(sym_h5_write_rows(o->h5, SYM_PATH_ERROR, i0, m, sv));
    COLUMN_I(SYM_PATH_EPOCHS_DONE, HAS(j) ? rs[j].epochs_done : -1);
    COLUMN_D(SYM_PATH_FINAL_LOSS, HAS(j) ? rs[j].final.total : NAN);
    COLUMN_D(SYM_PATH_FINAL_DATA_LOSS, HAS(j) ? rs[j].final.data : NAN);
    COLUMN_D(SYM_PATH_FINAL_PENALTY, HAS(j) ? rs[j].final.penalty : NAN);
    for (int j = 0; j < m; j++)
        for (int k = 0; k < o->n_points; k++)
            dv[(size_t)j * o->n_points + k] = HAS(j) && k < rs[j].n_curve ? rs[j].curve[k] : NAN;
    SYM_TRY(sym_h5_write_rows(o->h5, SYM_PATH_CURVE_LOSS, i0, m, dv));

    /* the probes' datasets */
    SYM_TRY(sym_alloc(&rows, sizeof(*rows) * (size_t)m));
    for (int j = 0; j < m; j++) {
        rows[j].measures = HAS(j) ? rs[j].measures : NULL;
        rows[j].pieces = run_probe(&rs[j]);
    }
    SYM_TRY(sym_h5_schema_rows(o->h5, &o->schema, i0, m, rows, sym_job_piece_size(job)));

    if (job->record_weights != SYM_RECORD_WEIGHTS_NONE)
        SYM_TRY(write_weights(o, rs, m, dv));
#undef COLUMN_I
#undef COLUMN_D
#undef HAS
cleanup:
    free(rows);
    free(iv);
    free(dv);
    free(sv);
    return rc;
}

static int copy_result(const sym_output *o, sym_run_result *d, const sym_run_result *r,
                       size_t probe_size)
{
    int rc = 0;

    *d = *r;
    d->params = d->initial = d->curve = d->probe = d->measures = NULL;
    d->block = NULL;
    /* rank 0 copies every result it buffers: the large blocks are filled whole by the copy, so
     * they are not zeroed first (a second pass over fresh pages) */
    if (r->measures && o->job->measure.total) {
        SYM_TRY(sym_alloc_doubles_raw(&d->measures, o->job->measure.total));
        memcpy(d->measures, r->measures, sizeof(double) * o->job->measure.total);
    }
    if (r->probe && probe_size) {
        SYM_TRY(sym_alloc_doubles_raw(&d->probe, probe_size));
        memcpy(d->probe, r->probe, sizeof(double) * probe_size);
    }
    if (r->params) {
        SYM_TRY(sym_alloc_doubles_raw(&d->params, r->n_params));
        SYM_TRY(sym_alloc_doubles_raw(&d->initial, r->n_params));
        SYM_TRY(sym_alloc_doubles(&d->curve, (size_t)r->n_curve + 1));
        memcpy(d->params, r->params, sizeof(double) * r->n_params);
        memcpy(d->initial, r->initial, sizeof(double) * r->n_params);
        memcpy(d->curve, r->curve, sizeof(double) * (size_t)r->n_curve);
    }
cleanup:
    if (rc)
        sym_run_result_dispose(d);
    return rc;
}

static int grow_buffer(sym_output *o)
{
    int rc = 0;

    if (o->n_buf == o->cap_buf) {
        int cap = o->cap_buf ? 2 * o->cap_buf : 64;
        sym_run_result *nb = realloc(o->buf, sizeof(*nb) * (size_t)cap);

        if (!nb)
            SYM_FAIL(SYM_ENOMEM, "out of memory buffering results");
        o->buf = nb;
        o->cap_buf = cap;
    }
cleanup:
    return rc;
}

/* the buffered copy o->buf[o->n_buf] of r is complete: its probes' values, then counted */
static void buffered(sym_output *o, const sym_run_result *r)
{
    /* the probes' values from their pieces, now that all are here */
    if (o->buf[o->n_buf].measures)
        for (int i = 0; i < o->job->n_probes; i++) {
            const sym_job_probe *p = &o->job->probes[i];
            const double *pieces = run_probe(&o->buf[o->n_buf]);

            if (p->def->reduce)
                p->def->reduce(sym_job_probe_opts(o->job, p, r->index / o->job->n_seeds), pieces ? pieces + (size_t)p->first_piece * sym_job_piece_size(o->job) : NULL,
                               sym_job_piece_size(o->job), o->buf[o->n_buf].measures + p->off);
        }
    o->n_buf++;
    o->buf_bytes += sizeof(*r) + sizeof(double) * (2 * r->n_params + (size_t)r->n_curve +
                                                    (r->probe ? sym_job_probe_size(o->job) : 0) +
                                                    (r->measures ? o->job->measure.total : 0));
}

int sym_output_add(sym_output *o, const sym_run_result *r)
{
    int rc = 0;

    SYM_TRY(grow_buffer(o));
    SYM_TRY(copy_result(o, &o->buf[o->n_buf], r, sym_job_probe_size(o->job)));
    buffered(o, r);
cleanup:
    return rc;
}

int sym_output_add_moved(sym_output *o, sym_run_result *r)
{
    int rc = 0;

    SYM_ASSERT(r->block && !r->probe);
    SYM_TRY(grow_buffer(o));
    o->buf[o->n_buf] = *r;
    buffered(o, &o->buf[o->n_buf]);
    memset(r, 0, sizeof(*r));
cleanup:
    return rc;
}

size_t sym_output_buffered_bytes(const sym_output *o) { return o->buf_bytes; }
int sym_output_buffered_runs(const sym_output *o) { return o->n_buf; }

static int by_index(const void *a, const void *b)
{
    return ((const sym_run_result *)a)->index - ((const sym_run_result *)b)->index;
}

/* test hook: SYMSWEEP_TEST_KILL=K:PHASE kills this process with SIGKILL in
 * checkpoint K (1-based) at PHASE = data (half the data written), flushed
 * (data on disk, statuses not), or status (half the statuses written) */
static void test_kill(int k, const char *phase)
{
    const char *e = getenv("SYMSWEEP_TEST_KILL");
    char want[64];

    if (!e)
        return;
    snprintf(want, sizeof(want), "%d:%s", k, phase);
    if (strcmp(e, want) == 0)
        raise(SIGKILL);
}

/*
 * Write the buffered results.  Order matters for a kill at any moment: all
 * data first, flushed to the operating system, then the statuses, then a
 * flush and fsync.  A run whose status reads done therefore has all its
 * data on disk; one killed before its status stays pending and is redone.
 */
int sym_output_checkpoint(sym_output *o)
{
    int rc = 0, k = ++o->n_checkpoints, half;
    double t0 = sym_now();
    int8_t *st = NULL;

    if (o->n_buf == 0)
        return 0;
    qsort(o->buf, (size_t)o->n_buf, sizeof(*o->buf), by_index);
    half = o->n_buf / 2;
    /* the data of each range of consecutive indices in one write per dataset */
    for (int j = 0; j < o->n_buf;) {
        int m = 1;

        while (j + m < o->n_buf && o->buf[j + m].index == o->buf[j].index + m)
            m++;
        if (j <= half && half < j + m)
            test_kill(k, "data");
        SYM_TRY(write_range(o, o->buf + j, m));
        j += m;
    }
    SYM_TRY(sym_h5_flush(o->h5));
    test_kill(k, "flushed");
    SYM_TRY(sym_alloc(&st, (size_t)o->n_buf));
    for (int j = 0; j < o->n_buf;) {
        int m = 1, first = 0;

        while (j + m < o->n_buf && o->buf[j + m].index == o->buf[j].index + m)
            m++;
        for (int q = 0; q < m; q++)
            st[q] = (int8_t)o->buf[j + q].status;
        if (j <= half && half < j + m) {
            /* the kill lands with part of this range's statuses written */
            first = half - j;
            if (first > 0)
                SYM_TRY(sym_h5_write_rows(o->h5, SYM_PATH_STATUS, o->buf[j].index, first, st));
            test_kill(k, "status");
        }
        SYM_TRY(sym_h5_write_rows(o->h5, SYM_PATH_STATUS, o->buf[j].index + first, m - first, st + first));
        j += m;
    }
    SYM_TRY(sym_h5_sync(o->h5));
    for (int j = 0; j < o->n_buf; j++)
        sym_run_result_dispose(&o->buf[j]);
    o->n_buf = 0;
    o->buf_bytes = 0;
cleanup:
    free(st);
    o->write_time += sym_now() - t0;
    return rc;
}

double sym_output_write_time(const sym_output *o) { return o->write_time; }

/* --resume: the file's job is this job (the same settings; comments and layout may differ) */
static int check_same_job(sym_output *o, const char *path, const sym_job *job)
{
    char *hash = NULL;
    int rc = 0;

    if (sym_h5_attr_read_string(&hash, o->h5, "/", "job_sha256") < 0)
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: not a symsweep output file (no job_sha256)", path);
    if (strcmp(hash, job->sha256) != 0) {
        /* the same settings written differently (comments, layout) resume */
        char *yaml = NULL, a[65] = "", b[65] = "";

        if (sym_h5_attr_read_string(&yaml, o->h5, "/", "job_yaml") == 0 &&
            sym_job_canonical_sha256(a, yaml, strlen(yaml)) == 0 &&
            sym_job_canonical_sha256(b, job->yaml, job->yaml_len) == 0 && !strcmp(a, b)) {
            free(yaml);
        } else {
            char *ov = NULL, note[1024] = "";
            int had;

            free(yaml);
            /* settings from the command line are part of the job: say which the file had */
            had = sym_h5_attr_read_string(&ov, o->h5, "/", "overrides") == 0;
            for (char *q = ov; had && *q; q++)
                *q = *q == '\n' ? ' ' : *q;
            snprintf(note, sizeof(note), "; the file's job had %s%s%s",
                     had ? "the command-line settings '" : "no command-line settings",
                     had ? ov : "", had ? "'" : "");
            free(ov);
            sym_err_clear();
            SYM_FAIL(SYM_EJOB,
                     "%s: cannot resume: the file was written by a different job (its settings "
                     "differ, not only comments or layout; job_sha256 %.12s..., this job "
                     "%.12s...%s); use the job that made it, another output file, or --force",
                     path, hash, job->sha256, job->overrides || had ? note : "");
        }
    }
cleanup:
    free(hash);
    return rc;
}

/* --resume: the same files under the job: a data set rewritten since the sweep started would
 * give a file whose runs came from two data sets */
static int check_same_inputs(sym_output *o, const char *path, const sym_job *job)
{
    char *then = NULL, *now = NULL;
    int rc = 0;

    if (sym_h5_attr_exists(o->h5, "/", "input_sha256"))
        SYM_TRY(sym_h5_attr_read_string(&then, o->h5, "/", "input_sha256"));
    SYM_TRY(sym_job_input_digests(&now, job));
    SYM_TRY(sym_job_inputs_unchanged(path, then, now));
cleanup:
    free(then);
    free(now);
    return rc;
}

int sym_output_resume(sym_output **out, int **to_run, int *n_to_run, const char *path,
                      const sym_job *job, const char *shard)
{
    sym_output *o = NULL;
    char *fshard = NULL;
    int64_t *st = NULL;
    int rc = 0, n = sym_job_n_runs(job), *list = NULL, cnt = 0;
    long long len = 0;

    SYM_TRY(sym_alloc(&o, sizeof(*o)));
    o->job = job;
    SYM_TRY(layout(o));
    SYM_TRY(sym_job_schema(job, &o->schema));
    SYM_TRY(sym_outlock_acquire(&o->lock, path));
    SYM_TRY(sym_h5_open_rw(&o->h5, path));
    {
        int checked;

        /* a changed byte anywhere: refuse, rather than keep corrupted runs as done */
        SYM_TRY(sym_h5_check_layout(&len, o->h5, SYM_FORMAT_VERSION));
        SYM_TRY(sym_h5_verify(&checked, o->h5));
    }
    SYM_TRY(check_same_job(o, path, job));
    SYM_TRY(check_same_inputs(o, path, job));
    if (sym_h5_attr_read_string(&fshard, o->h5, "/", "shard") < 0)
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: not a symsweep output file (no shard attribute)", path);
    if (strcmp(fshard, shard ? shard : "") != 0)
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: the file is %s%s, this run is %s%s", path,
                 fshard[0] ? "shard " : "a whole sweep", fshard, shard && shard[0] ? "shard " : "a whole sweep",
                 shard ? shard : "");
    if (len != n) /* the run count of the file, from sym_h5_check_layout above */
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: %lld runs in the file, %d in the job", path, len, n);
    SYM_TRY(check_grid(o, path));
    SYM_TRY(sym_alloc(&st, sizeof(int64_t) * (size_t)(n + 1)));
    SYM_TRY(sym_h5_read_status(st, o->h5, n));
    SYM_TRY(sym_alloc(&list, sizeof(int) * (size_t)(n + 1)));
    /* pending runs were never finished; failed ones may have failed for a
     * reason that is gone (a missing data file); diverged runs would
     * diverge again, identically */
    for (int i = 0; i < n; i++)
        if (st[i] == SYM_RUN_PENDING || st[i] == SYM_RUN_FAILED)
            list[cnt++] = i;
    /* not finished any more until this resumption completes */
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "finished", ""));
    SYM_TRY(sym_h5_sync(o->h5));
    *out = o;
    o = NULL;
    *to_run = list;
    list = NULL;
    *n_to_run = cnt;
cleanup:
    free(fshard);
    free(st);
    free(list);
    if (o) {
        sym_h5_close(o->h5);
        sym_outlock_release(o->lock);
        sym_schema_dispose(&o->schema);
        free(o->pad);
        free(o);
    }
    return rc;
}

int sym_output_close(sym_output *o, int complete)
{
    int rc, rc2;
    char buf[64];

    if (!o)
        return 0;
    /* whatever is buffered is written, complete or not (a checkpoint) */
    rc = sym_output_checkpoint(o);
    if (!rc && complete) {
        iso_now(buf, sizeof(buf));
        rc = sym_h5_attr_string(o->h5, "/", "finished", buf);
    }
    rc2 = sym_h5_close(o->h5);
    sym_outlock_release(o->lock); /* after the file is closed: no write follows */
    for (int j = 0; j < o->n_buf; j++)
        sym_run_result_dispose(&o->buf[j]);
    free(o->buf);
    sym_schema_dispose(&o->schema);
    free(o->pad);
    free(o);
    return rc ? rc : rc2;
}
