/**
 * @file output.h
 * @brief The output file of a sweep: layout, buffered results, checkpoints, resume.
 *
 * Written by rank 0 only; see docs/hdf5-layout.md.  No MPI.
 */
#ifndef SYMSWEEP_OUTPUT_H
#define SYMSWEEP_OUTPUT_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SWEEP)
#error "symsweep/output.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include "symsweep/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The output file of a sweep (written by rank 0 only). */
typedef struct sym_output sym_output;

typedef struct sym_output_info {
    int mpi_size;
    const char *hosts; /**< comma-separated, deduplicated */
    const char *shard; /**< "i/N" for a shard file, "" for a whole sweep */
} sym_output_info;

/** Create the file and every dataset of the layout (docs/hdf5-layout.md). */
int sym_output_create(sym_output **out, const char *path, const sym_job *job, int force,
                      const sym_output_info *info);
/**
 * Reopen @p path to resume @p job: refuses a file written by another job
 * (different job_sha256).  *to_run (owned) lists the runs still to compute:
 * pending and failed ones, in index order.
 */
int sym_output_resume(sym_output **out, int **to_run, int *n_to_run, const char *path,
                      const sym_job *job, const char *shard);
/** Buffer a result (deep copy) until the next checkpoint. */
int sym_output_add(sym_output *o, const sym_run_result *r);
/**
 * Buffer a result whose arrays live in one allocation, r->block (a received message), by taking
 * it over, without a copy: on success *r is cleared (nothing left to dispose); on failure *r is
 * unchanged.  r->probe must be NULL (a trained run's result, not a probe piece's).
 */
int sym_output_add_moved(sym_output *o, sym_run_result *r);
size_t sym_output_buffered_bytes(const sym_output *o);
int sym_output_buffered_runs(const sym_output *o);
/**
 * Write the buffered results: data, flush, statuses, flush + fsync, so that a
 * process killed at any moment leaves a file that opens and whose done runs
 * are complete.
 */
int sym_output_checkpoint(sym_output *o);
/** Seconds spent writing checkpoints so far. */
double sym_output_write_time(const sym_output *o);
/** Checkpoint, mark the file finished if @p complete, close; NULL-safe. */
int sym_output_close(sym_output *o, int complete);

struct sym_h5;
/**
 * Write /config into the file being created: one dataset per setting of the job
 * (sym_job_visit_settings), one row per grid point, defaults included; int64 with
 * -1, float64 with NaN, strings empty where a grid point does not use the setting
 * (src/sweep/config_out.c; docs/hdf5-layout.md).  0 or < 0.
 */
int sym_output_config(struct sym_h5 *h5, const sym_job *job);

/** Settings of `symsweep align`. */
typedef struct sym_align_opts {
    int points;       /**< points on each straight line, ends included (>= 2) */
    double tolerance; /**< relative distance under which two runs share an orbit or a function */
    int force;        /**< replace an existing output file */
} sym_align_opts;

#define SYM_ALIGN_OPTS_INIT { 21, 1e-4, 0 }

/**
 * `symsweep align`: the seeds of every grid point of the finished sweep @p path compared
 * modulo their symmetries (canonical forms matched unit by unit), by their outputs on the
 * data, and by the loss barrier on the straight line between them before and after
 * alignment, into the new file @p out (src/sweep/align.c; docs/hdf5-layout.md).  Needs the
 * canonical probe, record.weights: final, and one data set per grid point (data.seed or a
 * file).  One line per grid point to @p report (or NULL).
 */
int sym_align_file(FILE *report, const char *path, const char *out, const sym_align_opts *o);

/**
 * The barrier of f at the K + 1 points t_k = k / K of a path (K >= 1): the largest rise above
 * the straight line between its ends, max_k f_k - ((1 - t_k) f_0 + t_k f_K), as the linear
 * mode connectivity literature defines it (0 at least: the ends are on the line).
 */
double sym_align_barrier(const double *f, int K);
/**
 * A score along the straight line (1 - t) a + t b of parameters (P of them) at K + 1 points:
 * @p error 0, the data loss; 1, the classification error 1 - accuracy (sym_scorer_accuracy),
 * on rows X [n x d_in], one-hot targets Y [n x d_out], into f [K + 1]; its barrier
 * (sym_align_barrier) into *barrier.  @p tmp holds P doubles.  What `symsweep align` measures
 * on the test data and in error.
 */
int sym_align_path(double *f, double *barrier, sym_scorer *sc, int error, const double *X,
                   const double *Y, int n, const double *a, const double *b, size_t P, int K,
                   double *tmp);

#ifdef __cplusplus
}
#endif
#endif
