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
#include "symsweep/sweep.h"
#include "symsweep/version.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct out_tensor {
    char name[32];
    int rows, cols; /* largest over configurations */
} out_tensor;

struct sym_output {
    sym_h5 *h5;
    const sym_job *job;
    int n_tensors, n_points;
    out_tensor tensors[2 * SYM_MAX_LAYERS];
    double *pad; /* rows x cols / n_points scratch, NaN-filled per use */
    size_t pad_len;
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
        for (int i = 0; i < sym_model_n_tensors(m); i++) {
            const sym_tensor *t = sym_model_tensor(m, i);
            int k = 0;

            while (k < o->n_tensors && strcmp(o->tensors[k].name, t->name) != 0)
                k++;
            if (k == o->n_tensors) {
                SYM_ASSERT(k < 2 * SYM_MAX_LAYERS);
                snprintf(o->tensors[k].name, sizeof(o->tensors[k].name), "%s", t->name);
                o->n_tensors++;
            }
            o->tensors[k].rows = t->rows > o->tensors[k].rows ? t->rows : o->tensors[k].rows;
            o->tensors[k].cols = t->cols > o->tensors[k].cols ? t->cols : o->tensors[k].cols;
        }
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
        const out_tensor *t = &o->tensors[i];
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
    SYM_TRY(sym_h5_dataset(o->h5, "/grid/seed", SYM_H5_INT64, 1, n1,
                           "seed of each run: its data, initialization and minibatch streams", NULL));
    for (int i = 0; i < n; i++) {
        uint64_t seed;

        sym_job_run_config(job, i, &seed);
        iv[i] = (int64_t)seed;
    }
    SYM_TRY(sym_h5_write_rows(o->h5, "/grid/seed", 0, n, iv));
    SYM_TRY(sym_h5_dataset(o->h5, "/grid/config", SYM_H5_INT64, 1, n1,
                           "configuration (grid point without the seed) of each run: run i is "
                           "configuration i / n_seeds with seed i % n_seeds",
                           NULL));
    for (int i = 0; i < n; i++)
        iv[i] = i / job->n_seeds;
    SYM_TRY(sym_h5_write_rows(o->h5, "/grid/config", 0, n, iv));
    for (int k = 0; k < job->n_columns; k++) {
        const sym_grid_column *g = &job->columns[k];
        char path[160], desc[512];

        snprintf(path, sizeof(path), "/grid/%s", g->name);
        snprintf(desc, sizeof(desc), "swept setting %s of each run (axis %d, %s)%s", g->name,
                 g->axis, job->axis_name[g->axis],
                 g->numeric ? "; NaN where the value has no such key" : "");
        SYM_TRY(sym_h5_dataset(o->h5, path, g->numeric ? SYM_H5_DOUBLE : SYM_H5_STRING, 1, n1,
                               desc, NULL));
        for (int i = 0; i < n; i++) {
            int v = sym_job_axis_index(job, i, g->axis);

            dv[i] = g->num[v];
            sv[i] = g->str[v];
        }
        SYM_TRY(sym_h5_write_rows(o->h5, path, 0, n, g->numeric ? (const void *)dv : (const void *)sv));
    }
cleanup:
    free(iv);
    free(dv);
    free(sv);
    return rc;
}

int sym_output_create(sym_output **out, const char *path, const sym_job *job, int force,
                      const sym_output_info *info)
{
    sym_output *o = NULL;
    int rc = 0, n_runs = sym_job_n_runs(job);
    long long n1[1] = {n_runs}, n2[2], p1[1];
    char buf[256];
    int64_t *tmp = NULL;

    SYM_TRY(sym_alloc(&o, sizeof(*o)));
    o->job = job;
    SYM_TRY(layout(o));
    n2[0] = n_runs;
    n2[1] = o->n_points;
    p1[0] = o->n_points;
    SYM_TRY(sym_h5_create(&o->h5, path, force));

    /* provenance */
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "format_version", SYM_FORMAT_VERSION));
    snprintf(buf, sizeof(buf), "%s (git %s)", SYM_VERSION_STRING, SYM_GIT_REVISION);
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "symsweep_version", buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_yaml", job->yaml));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_sha256", job->sha256));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_path", job->path));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_name", job->name));
    iso_now(buf, sizeof(buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "created", buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "finished", ""));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "mpi_size", info->mpi_size));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "hosts", info->hosts ? info->hosts : ""));
    snprintf(buf, sizeof(buf), "OpenBLAS %s; kernels %s", openblas_get_config(), sym_kernel_variant());
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "blas", buf));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_runs", n_runs));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_seeds", job->n_seeds));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_configs", job->n_configs));
    {
        char axes[4096] = "";

        for (int a = 0; a < job->n_axes; a++) {
            size_t u = strlen(axes);

            snprintf(axes + u, sizeof(axes) - u, "%s%s", a ? "; " : "", job->axis_name[a]);
        }
        SYM_TRY(sym_h5_attr_string(o->h5, "/", "axes", axes));
    }

    SYM_TRY(grid(o));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/status", SYM_H5_STATUS, 1, n1,
                           "pending | done | diverged (objective became NaN/Inf; last finite state kept) | failed (see /runs/error)",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/rank", SYM_H5_INT64, 1, n1,
                           "MPI rank that computed the run (-1: not computed)", NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/wall_time", SYM_H5_DOUBLE, 1, n1,
                           "wall-clock time of the run on its rank", "s"));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/error", SYM_H5_STRING, 1, n1,
                           "error message of a failed run, empty otherwise", NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/epochs_done", SYM_H5_INT64, 1, n1,
                           "epochs completed (less than train.epochs when diverged)", NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/final_loss", SYM_H5_DOUBLE, 1, n1,
                           "objective (mean squared error + penalty) on the full data at the final parameters",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/final_data_loss", SYM_H5_DOUBLE, 1, n1,
                           "mean squared error over all entries, (1/(n d_out)) sum (yhat - y)^2, at the final parameters",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/final_penalty", SYM_H5_DOUBLE, 1, n1,
                           "regularizer penalty (lambda-weighted) at the final parameters", NULL));
    if (job->record_weights != SYM_RECORD_WEIGHTS_NONE)
        SYM_TRY(weights_group(o, "/runs/weights", "final"));
    if (job->record_weights == SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL)
        SYM_TRY(weights_group(o, "/runs/initial_weights", "initial"));

    SYM_TRY(sym_h5_dataset(o->h5, "/runs/curves/loss", SYM_H5_DOUBLE, 2, n2,
                           "objective on the full data after the number of epochs in /runs/curves/epoch; "
                           "NaN past a run's last epoch or divergence",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/curves/epoch", SYM_H5_INT64, 1, p1,
                           "epochs completed at each point of the curves: 0, k, 2k, ... with k = record.loss_every (dimension scale)",
                           NULL));
    SYM_TRY(sym_alloc(&tmp, sizeof(int64_t) * (size_t)o->n_points));
    for (int i = 0; i < o->n_points; i++)
        tmp[i] = (int64_t)i * job->loss_every;
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/curves/epoch", 0, o->n_points, tmp));
    SYM_TRY(sym_h5_attach_scale(o->h5, "/runs/curves/loss", 1, "/runs/curves/epoch", "epoch"));
    SYM_TRY(sym_h5_flush(o->h5));
    *out = o;
    o = NULL;
cleanup:
    free(tmp);
    if (o) {
        int created = o->h5 != NULL;

        sym_h5_close(o->h5);
        free(o->pad);
        free(o);
        if (created)
            remove(path); /* do not leave a half-made file behind */
    }
    return rc;
}

/* one run's tensors, each padded to the dataset's shape */
static int write_weights(sym_output *o, const sym_model *m, const char *group, int index,
                         const double *params)
{
    int rc = 0;

    for (int i = 0; i < sym_model_n_tensors(m); i++) {
        const sym_tensor *t = sym_model_tensor(m, i);
        const out_tensor *ot = NULL;
        char path[128];

        for (int k = 0; k < o->n_tensors && !ot; k++)
            if (strcmp(o->tensors[k].name, t->name) == 0)
                ot = &o->tensors[k];
        SYM_ASSERT(ot);
        snprintf(path, sizeof(path), "%s/%s", group, t->name);
        if (ot->rows == t->rows && ot->cols == t->cols) {
            SYM_TRY(sym_h5_write_rows(o->h5, path, index, 1, params + t->offset));
            continue;
        }
        for (size_t j = 0; j < (size_t)ot->rows * ot->cols; j++)
            o->pad[j] = NAN;
        for (int r = 0; r < t->rows; r++)
            memcpy(o->pad + (size_t)r * ot->cols, params + t->offset + (size_t)r * t->cols,
                   sizeof(double) * (size_t)t->cols);
        SYM_TRY(sym_h5_write_rows(o->h5, path, index, 1, o->pad));
    }
cleanup:
    return rc;
}

int sym_output_write_run(sym_output *o, const sym_run_result *r)
{
    sym_model *m = NULL;
    int rc = 0, i = r->index;
    int8_t status = (int8_t)r->status;
    int64_t rank = r->rank, ep = r->epochs_done;
    const char *err = r->error;

    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/status", i, 1, &status));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/rank", i, 1, &rank));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/wall_time", i, 1, &r->wall_time));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/error", i, 1, &err));
    if (r->status == SYM_RUN_FAILED || !r->params)
        goto cleanup; /* metrics and weights keep their NaN fill */
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/epochs_done", i, 1, &ep));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/final_loss", i, 1, &r->final.total));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/final_data_loss", i, 1, &r->final.data));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/final_penalty", i, 1, &r->final.penalty));
    for (int k = 0; k < o->n_points; k++)
        o->pad[k] = k < r->n_curve ? r->curve[k] : NAN;
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/curves/loss", i, 1, o->pad));
    if (o->job->record_weights != SYM_RECORD_WEIGHTS_NONE) {
        SYM_TRY(sym_model_create(&m, &sym_job_run_config(o->job, i, NULL)->model));
        SYM_TRY(write_weights(o, m, "/runs/weights", i, r->params));
        if (o->job->record_weights == SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL)
            SYM_TRY(write_weights(o, m, "/runs/initial_weights", i, r->initial));
    }
cleanup:
    sym_model_free(m);
    return rc;
}

int sym_output_close(sym_output *o, int ok)
{
    int rc = 0, rc2;
    char buf[64];

    if (!o)
        return 0;
    if (ok) {
        iso_now(buf, sizeof(buf));
        rc = sym_h5_attr_string(o->h5, "/", "finished", buf);
    }
    rc2 = sym_h5_close(o->h5);
    free(o->pad);
    free(o);
    return rc ? rc : rc2;
}
