/*
 * The sweep's HDF5 file: what goes where (docs/hdf5-layout.md).  Rank 0
 * creates every dataset up front with its fill value (NaN, -1, "pending"),
 * so a reader of a partial file sees exactly which runs are missing.
 */
#include "symsweep/io.h"
#include "symsweep/sweep.h"
#include "symsweep/version.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sym_output {
    sym_h5 *h5;
    const sym_job *job;
    sym_model *model;
};

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int weights_group(sym_output *o, const char *group, const char *what)
{
    int rc = 0, n_runs = sym_job_n_runs(o->job);

    for (int i = 0; i < sym_model_n_tensors(o->model); i++) {
        const sym_tensor *t = sym_model_tensor(o->model, i);
        char path[128], desc[256];
        long long dims[3] = {n_runs, t->rows, t->cols};

        snprintf(path, sizeof(path), "%s/%s", group, t->name);
        snprintf(desc, sizeof(desc), "%s %s of each run: %s [%d x %d], row-major (out x in)",
                 what, t->cols == 1 ? "bias" : "weight", t->name, t->rows, t->cols);
        SYM_TRY(sym_h5_dataset(o->h5, path, SYM_H5_DOUBLE, t->cols == 1 ? 2 : 3, dims, desc,
                               NULL));
    }
cleanup:
    return rc;
}

int sym_output_create(sym_output **out, const char *path, const sym_job *job, int force,
                      const sym_output_info *info)
{
    sym_output *o = NULL;
    int rc = 0, n_runs = sym_job_n_runs(job), npts = sym_train_n_points(&job->train);
    long long n1[1] = {n_runs}, n2[2] = {n_runs, npts}, p1[1] = {npts};
    char buf[256];
    int64_t *tmp = NULL;

    SYM_TRY(sym_alloc(&o, sizeof(*o)));
    o->job = job;
    SYM_TRY(sym_model_create(&o->model, &job->model));
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
    snprintf(buf, sizeof(buf), "OpenBLAS %s", openblas_get_config());
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "blas", buf));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_runs", n_runs));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_params", (long long)sym_model_n_params(o->model)));

    /* the grid: one axis (seed) in this version */
    SYM_TRY(sym_h5_dataset(o->h5, "/grid/seed", SYM_H5_INT64, 1, n1,
                           "seed of each run: its data, initialization and minibatch streams", NULL));
    SYM_TRY(sym_alloc(&tmp, sizeof(int64_t) * (size_t)n_runs));
    for (int i = 0; i < n_runs; i++)
        tmp[i] = (int64_t)job->seeds[i];
    SYM_TRY(sym_h5_write_rows(o->h5, "/grid/seed", 0, n_runs, tmp));

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
                           "objective on the full data after the number of epochs in /runs/curves/epoch",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/curves/epoch", SYM_H5_INT64, 1, p1,
                           "epochs completed at each point of the curves (dimension scale)", NULL));
    free(tmp);
    tmp = NULL;
    SYM_TRY(sym_alloc(&tmp, sizeof(int64_t) * (size_t)npts));
    for (int i = 0; i < npts; i++)
        tmp[i] = sym_train_point_epoch(&job->train, i);
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/curves/epoch", 0, npts, tmp));
    SYM_TRY(sym_h5_attach_scale(o->h5, "/runs/curves/loss", 1, "/runs/curves/epoch", "epoch"));
    SYM_TRY(sym_h5_flush(o->h5));
    *out = o;
    o = NULL;
cleanup:
    free(tmp);
    if (o) {
        sym_h5_close(o->h5);
        sym_model_free(o->model);
        free(o);
        if (rc != SYM_EEXIST)
            remove(path); /* do not leave a half-made file behind */
    }
    return rc;
}

static int write_weights(sym_output *o, const char *group, int index, const double *params)
{
    int rc = 0;

    for (int i = 0; i < sym_model_n_tensors(o->model); i++) {
        const sym_tensor *t = sym_model_tensor(o->model, i);
        char path[128];

        snprintf(path, sizeof(path), "%s/%s", group, t->name);
        SYM_TRY(sym_h5_write_rows(o->h5, path, index, 1, params + t->offset));
    }
cleanup:
    return rc;
}

int sym_output_write_run(sym_output *o, const sym_run_result *r)
{
    int rc = 0, i = r->index;
    int8_t status = (int8_t)r->status;
    int64_t rank = r->rank, ep = r->epochs_done;
    const char *err = r->error;
    int computed = r->status != SYM_RUN_FAILED || r->params;

    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/status", i, 1, &status));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/rank", i, 1, &rank));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/wall_time", i, 1, &r->wall_time));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/error", i, 1, &err));
    if (r->status == SYM_RUN_FAILED || !computed)
        goto cleanup; /* metrics and weights keep their NaN fill */
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/epochs_done", i, 1, &ep));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/final_loss", i, 1, &r->final.total));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/final_data_loss", i, 1, &r->final.data));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/final_penalty", i, 1, &r->final.penalty));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/curves/loss", i, 1, r->curve));
    if (o->job->record_weights != SYM_RECORD_WEIGHTS_NONE)
        SYM_TRY(write_weights(o, "/runs/weights", i, r->params));
    if (o->job->record_weights == SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL)
        SYM_TRY(write_weights(o, "/runs/initial_weights", i, r->initial));
cleanup:
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
    sym_model_free(o->model);
    free(o);
    return rc ? rc : rc2;
}
