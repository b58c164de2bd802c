/**
 * @file run.h
 * @brief One run of a job, and one probe piece of a run.
 *
 * Everything here depends on the job and the run's index only.  No MPI.
 */
#ifndef SYMSWEEP_RUN_H
#define SYMSWEEP_RUN_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SWEEP)
#error "symsweep/run.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include "symsweep/job.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    size_t n_params;     /**< length of params and initial */
    double *probe;       /**< probe results, sym_job_probe_size doubles (owned), or NULL */
    double *measures;    /**< end-of-run probe values, job->measure.total doubles (owned), or NULL */
    char error[512];     /**< FAILED: why */
    void *block;         /**< NULL, or the one allocation params..measures point into (rank 0
                              keeps a received message whole): then only it is owned */
} sym_run_result;

/**
 * Compute run @p index of @p job from scratch: data, initialization and
 * training all come from the streams of seed job->seeds[index], so the
 * result depends on nothing else.  A numerical failure returns 0 with
 * status FAILED and the message in r->error; only allocation or programmer
 * errors return < 0.
 */
int sym_run_execute(sym_run_result *r, const sym_job *job, int index);
/** Told during training, at every recorded curve point: run, epoch, the run's epochs. */
typedef void (*sym_run_progress_fn)(void *ctx, int index, int epoch, int epochs);
/**
 * Where sym_run_execute reports progress within a run (NULL: nowhere).  For the
 * progress line only: it sees the counts, never the numbers, and changes no result.
 * One per process (symsweep runs one run at a time per rank).
 */
void sym_run_set_progress(sym_run_progress_fn fn, void *ctx);
void sym_run_result_dispose(sym_run_result *r);

/**
 * The initial parameters of model.init {kind: file}: tensor t of @p m from
 * the dataset <group>/<t's name> of the file.  With a run number the
 * dataset is per run ([runs, rows, cols], a symsweep output, padded with NaN
 * to the sweep's largest shape): the run's block must hold exactly t's
 * shape.  Without, it is t's shape itself ([rows, cols], or [rows] for a
 * bias).  Every value must be finite.  Errors (SYM_EJOB, SYM_EIO) name the
 * file, the dataset, the expected and the found shape.
 */
int sym_run_read_init(double *params, const sym_model *m, const sym_init_from *in);

/** Run @p index's data, as its training saw it (generated from its seed or data.seed, or read). */
int sym_run_load_data(sym_data *d, const sym_job *job, int index);

/**
 * The data of settings @p o (src/sweep/data_load.c): generated from @p seed (or data.seed), or
 * read from files and prepared (classes, subset, test split, scale, standardize; the draws from
 * data.seed, 0 when not given: the same for every run).  @p d is the caller's (sym_data_dispose).
 * Errors name the file: SYM_EIO (a malformed file), SYM_EINVAL (settings the data cannot meet).
 */
int sym_run_data_load(sym_data *d, const sym_data_opts *o, uint64_t seed, int classes);
/**
 * Planted-group data (src/sweep/data_pairs.c, seed 003): M unit-norm base filters b_m, then per
 * sample x = sum over s terms of c_j g^(k_j) b_(m_j) + noise, m_j uniform in 0..M-1, k_j in
 * 0..p-1, c_j ~ N(0, 1), g the matrix of o->group on the image_h x image_w grid; y = x.  All
 * draws from @p r, in that order.
 */
int sym_run_planted_group(sym_data *d, const sym_data_opts *o, sym_rng *r);
/** The classes of a configuration's targets: its output width for train.loss cross_entropy (the
 * labels become one-hot rows, sym_data_onehot), else 0 (the targets as they are). */
int sym_run_classes(const sym_config *cfg);

/**
 * The same data from the per-process cache: loaded when the cache holds other data (which is
 * then freed: one data set at a time), else the cached one, borrowed until
 * sym_run_data_release.  The key is @p o, byte for byte, and the seed where the data depend on
 * it (generated data without data.seed), so runs that share their data read the file once.
 * Not thread-safe (a process runs one run at a time).
 */
int sym_run_data_acquire(sym_data *d, const sym_data_opts *o, uint64_t seed, int classes);
/** Give back data of sym_run_data_acquire (frees it only if it is not the cache's). */
void sym_run_data_release(sym_data *d);
/** Free the cached data. */
void sym_run_data_cache_clear(void);

/** The cache's counts: loads (from files or generated) and hits (reused). */
typedef struct sym_data_cache_stats {
    long loads, hits;
} sym_data_cache_stats;
sym_data_cache_stats sym_run_data_cache_stats(void);

/**
 * Probe piece @p piece of run @p index from the run's trained parameters,
 * into @p out (sym_job_piece_size doubles): the piece of the probe it
 * belongs to (sym_job_piece_probe), computed by that probe's `piece`.  The
 * run's data are regenerated from its seed, so any rank computes the same
 * numbers.
 */
int sym_probe_piece(double *out, const sym_job *job, int index, int piece, const double *params);

#ifdef __cplusplus
}
#endif
#endif
