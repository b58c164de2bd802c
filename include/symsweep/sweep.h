/**
 * @file sweep.h
 * @brief Job files, runs, the output file and the sweep driver.
 *
 * The job file is parsed once, validated completely and turned into option
 * structs (sym_job); everything after that works on the structs.
 */
#ifndef SYMSWEEP_SWEEP_H
#define SYMSWEEP_SWEEP_H

#include <mpi.h>
#include <stdint.h>

#include "symsweep/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sym_record_weights {
    SYM_RECORD_WEIGHTS_NONE = 0,
    SYM_RECORD_WEIGHTS_FINAL,
    SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL
} sym_record_weights;

typedef struct sym_job {
    char path[1024];    /**< as given on the command line */
    char name[128];
    char *yaml;         /**< the job file verbatim (owned) */
    size_t yaml_len;
    char sha256[65];    /**< of the verbatim text */
    int n_seeds;
    uint64_t *seeds;    /**< owned; seed of run i is seeds[i] */
    sym_data_opts data;
    sym_model_opts model;
    sym_reg reg;
    sym_train_opts train;
    sym_record_weights record_weights;
} sym_job;

/**
 * Read, parse and validate a job file.  Relative data paths are resolved
 * against the job file's directory.  A problem is SYM_EJOB with a message
 * "FILE:LINE:COL: KEY: expected ..., found ..."; an unreadable file SYM_EIO.
 */
int sym_job_load(sym_job *job, const char *path);
/** Parse and validate YAML text; @p path names it in messages and anchors relative paths. */
int sym_job_parse(sym_job *job, const char *text, size_t len, const char *path);
void sym_job_dispose(sym_job *job);
/** Number of runs the job describes (one per seed). */
int sym_job_n_runs(const sym_job *job);

/** Everything one run produces. */
typedef struct sym_run_result {
    int index;
    int status;          /**< SYM_RUN_DONE, DIVERGED or FAILED */
    int rank;            /**< rank that computed it */
    double wall_time;    /**< seconds */
    int epochs_done;
    sym_loss_parts final;
    double *params;      /**< final parameters (owned) */
    double *initial;     /**< initial parameters (owned) */
    double *curve;       /**< objective every loss_every epochs (owned) */
    int n_curve;
    char error[512];     /**< FAILED: why */
} sym_run_result;

/**
 * Compute run @p index of @p job from scratch: data, initialization and
 * training all come from the streams of seed job->seeds[index], so the
 * result depends on nothing else.  A numerical failure returns 0 with
 * status FAILED and the message in r->error; only allocation or programmer
 * errors return < 0.
 */
int sym_run_execute(sym_run_result *r, const sym_job *job, int index);
void sym_run_result_dispose(sym_run_result *r);

/** The output file of a sweep (written by rank 0 only). */
typedef struct sym_output sym_output;

typedef struct sym_output_info {
    int mpi_size;
    const char *hosts; /**< comma-separated, deduplicated */
} sym_output_info;

/** Create the file and every dataset of the layout (docs/hdf5-layout.md). */
int sym_output_create(sym_output **out, const char *path, const sym_job *job, int force,
                      const sym_output_info *info);
int sym_output_write_run(sym_output *o, const sym_run_result *r);
/** Write end-of-sweep attributes, flush and close; NULL-safe. */
int sym_output_close(sym_output *o, int ok);

typedef struct sym_sweep_opts {
    const char *out_path;
    int force;
    int quiet;
} sym_sweep_opts;

typedef struct sym_sweep_stats {
    int n_runs, done, diverged, failed;
    double wall_time;
} sym_sweep_stats;

/**
 * Run every run of @p job and write @p o->out_path.  Collective over
 * @p comm.  With one rank, that rank computes and writes every run.  With
 * more, rank 0 only coordinates and writes: workers ask for work, get chunks
 * of run indices (guided self-scheduling, at most 64 per chunk) and send each
 * result back as it completes.  Results do not depend on the number of
 * ranks or the order of completion.
 */
int sym_sweep_run(sym_sweep_stats *out, MPI_Comm comm, const sym_job *job,
                  const sym_sweep_opts *o);

#ifdef __cplusplus
}
#endif
#endif
