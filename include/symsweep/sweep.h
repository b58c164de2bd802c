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
#include <stdio.h>

#include "symsweep/probe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sym_record_weights {
    SYM_RECORD_WEIGHTS_NONE = 0,
    SYM_RECORD_WEIGHTS_FINAL,
    SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL,
    SYM_RECORD_WEIGHTS_COUNT
} sym_record_weights;

/** The job-file names of record.weights ("none", "final", "initial_and_final"). */
extern const char *const sym_record_weights_names[SYM_RECORD_WEIGHTS_COUNT];

/** One point of the sweep grid: the settings a run trains with. */
typedef struct sym_job_config {
    sym_data_opts data;
    sym_model_opts model;
    sym_reg reg;
    sym_train_opts train;
} sym_job_config;

#define SYM_MAX_AXES 16

/**
 * A column of /grid: the value of one swept setting for each value index of
 * its axis.  A structured axis (a whole section, or a list value) gets a
 * text column with a compact YAML label, and, for mapping values, one extra
 * column per scalar key ("regularizer.kind", "regularizer.lambda").
 */
typedef struct sym_grid_column {
    char name[128];
    int axis;      /**< the axis it belongs to */
    int numeric;   /**< 1: num holds the values; 0: str does */
    double *num;   /**< [axis length], NaN where a mapping lacks the key (owned) */
    char **str;    /**< [axis length] (owned) */
} sym_grid_column;

/**
 * Offsets (in doubles) of the end-of-run probe values in a result's
 * measures array; d and k are the largest latent width and min(d, D) over
 * the sweep's configurations (smaller ones are NaN-padded).
 */
/** gradient_decomposition per curve point: ||J^T g||, ||g_orbit||, ||g_perp||, and the
 * objective change of the steps -lr g_orbit, -lr g_perp, -lr g */
enum { SYM_GD_QUANTITIES = 6 };

/** hessian scalars: zeros, gap, top, orbit_dim, orbit_gap, hvp_error, n_params, team size */
enum { SYM_HESS_SCALARS = 8 };

typedef struct sym_measure_layout {
    int d, k;
    size_t scalars, balance_l2, balance_l1, sv_enc, sv_dec, sv_prod, pen_mean, pen_max;
    size_t reparam; /**< [families x 5]: mean/max abs, mean/max rel, end-to-end */
    size_t cent_comm, cent_dim, cent_gap, cent_basis; /**< centralizer: [families x 2], 1, 1, n^4 */
    int cent_n;     /**< largest hidden width probed by the centralizer */
    size_t lp_change, lp_sparse, lp_zeros; /**< lp_ball: [n_p x families], [n_p], [n_p] */
    size_t gd;      /**< gradient_decomposition: [SYM_GD_QUANTITIES x gd_points] quantity-major, then the headline */
    int gd_points;  /**< largest number of curve points over configurations */
    /* conserved: [layers x points] drift and norm, then total relative drift and drift per step */
    size_t cons_drift, cons_norm, cons_scalars;
    int cons_layers, cons_points;
    /* the team probes, contiguous from team for team_len doubles */
    size_t team, team_len;
    size_t hess_eig, hess_scalars, hess_vec, gauge; /**< [P], SYM_HESS_SCALARS, [P x P], [3 x gauge points] */
    int hess_p;     /**< largest parameter count */
    size_t disc_scalars, disc_sv, disc_basis;        /**< 2, [U], [U x U] */
    int disc_u;     /**< largest number of unknowns */
    size_t total;
} sym_measure_layout;

typedef struct sym_job {
    char path[1024];    /**< as given on the command line */
    char name[128];
    char *yaml;         /**< the job file verbatim (owned) */
    size_t yaml_len;
    char sha256[65];    /**< of the verbatim text */
    int n_seeds;
    uint64_t *seeds;    /**< owned */
    /* the grid: n_configs = product of axis lengths (1 without sweep:) */
    int n_axes;
    int axis_len[SYM_MAX_AXES];
    char axis_name[SYM_MAX_AXES][256]; /**< "train.lr", or "zip(train.lr, train.epochs)" */
    int n_columns;
    sym_grid_column *columns; /**< owned */
    int n_configs;
    sym_job_config *configs;  /**< owned */
    int loss_every;
    sym_record_weights record_weights;
    /* probes: dependent tasks fanned out from each trained run */
    int probe_orbit;            /**< probes.orbit_loss present */
    sym_orbit_opts orbit;       /**< its settings (one task per direction) */
    /* probes computed at the end of each run: Ex3 structure, penalty invariance */
    int probe_structure, probe_penalty, penalty_trials;
    int probe_reparam, reparam_trials, reparam_samples, n_families;
    sym_group families[SYM_GROUP_COUNT]; /**< reparam: the families, in the job's order */
    int probe_centralizer, cent_trials, cent_samples, cent_basis, n_cent_families;
    sym_group cent_families[SYM_GROUP_COUNT];
    int probe_lp, lp_dim, lp_trials, lp_points, lp_quadratics, n_lp_p, n_lp_families;
    double lp_radius, lp_p[16];
    int probe_gd;               /**< probes.gradient_decomposition present */
    sym_algebra gd_algebra;
    sym_group lp_families[SYM_GROUP_COUNT];
    int probe_hessian, hessian_team, hessian_team_mb; /**< team 0: auto */
    sym_hessian_opts hessian;
    int probe_discovery, discovery_team, discovery_team_mb;
    sym_discovery_opts discovery;
    int probe_conserved;
    int team_size;              /**< ranks of each run's team task (1 without team probes) */
    sym_measure_layout measure; /**< where their values sit in sym_run_result.measures */
} sym_job;

/* ------------------------------------------------------------------ */
/* Teams: ranks that solve one dense problem together on ScaLAPACK     */
/* ------------------------------------------------------------------ */

/** A communicator's ranks as BLACS grids: pr x pc (as square as the size allows), 1 x T, T x 1. */
typedef struct sym_team {
    MPI_Comm comm; /**< borrowed */
    int rank, size, pr, pc, myrow, mycol;
    int sys, ctxt, ctxt_col, ctxt_row, ctxt_root, open;
} sym_team;

/** The grid shape of a team of @p size: pr the largest divisor <= sqrt(size), pc = size / pr. */
void sym_team_grid_shape(int size, int *pr, int *pc);
/** The block size used for an n-long dimension over @p procs processes: ceil(n/procs), 1..32. */
int sym_team_block(int n, int procs);
/** Collective over @p comm.  A communicator of one rank is a 1 x 1 grid. */
int sym_team_open(sym_team *t, MPI_Comm comm);
void sym_team_close(sym_team *t);


/**
 * Eigen-decomposition of the symmetric n x n matrix whose columns @p fn
 * gives (collective).  Each rank computes the columns it owns in a 1 x T
 * block-cyclic layout; the matrix is moved to the pr x pc grid (pdgemr2d),
 * symmetrized as (A + A^T)/2 (pdtran) and solved by pdsyevd.
 * @param w   n eigenvalues, ascending, on every rank
 * @param Z   on team rank 0 with @p want_vectors [n x n]: row k is the unit
 *            eigenvector of w[k] (other ranks: unused, may be NULL)
 * @param want_vectors the same on every rank of the team: the gather is collective
 */
int sym_team_syev(double *w, double *Z, int want_vectors, sym_team *t, int n, sym_column_fn fn,
                  void *ctx);
/** Bytes per rank sym_team_syev needs for an n x n matrix on a team of @p size (an estimate). */
size_t sym_team_syev_bytes(int n, int size);
/**
 * Singular values (descending, n of them, every rank) of the m x n matrix
 * (m >= n) whose rows @p fn gives, by pdgesvd; rows computed by their owners
 * in a T x 1 layout.  @p Vt NULL, or on team rank 0 [n x n] row-major: row i
 * is right singular vector i.
 */
int sym_team_svd(double *s, double *Vt, sym_team *t, int m, int n, sym_row_fn fn, void *ctx);
size_t sym_team_svd_bytes(int m, int n, int size);

/**
 * The team task of run @p index (hessian, symmetry_discovery) on the ranks
 * of @p comm, all of which call: the measures slice [measure.team,
 * + measure.team_len) into @p out (eigenvectors and bases on rank 0 only).
 */
int sym_team_task(double *out, const sym_job *job, int index, const double *params, MPI_Comm comm);
/** 1 if the job's runs have a team task. */
int sym_job_has_team(const sym_job *job);

/** Probe pieces (dependent tasks) per run: 0 without probes. */
int sym_job_n_pieces(const sym_job *job);
/**
 * Where each result sits in one probe piece (one orbit direction): the
 * objective and data loss along the orbit (points each), then with
 * perpendicular the objective along the perpendicular direction (points),
 * then with landscape the landscape x landscape grid (row = t, column = s).
 * Offsets in doubles; perp and land are (size_t)-1 when not recorded.
 */
typedef struct sym_piece_layout {
    size_t loss, data, perp, land, size;
} sym_piece_layout;

sym_piece_layout sym_job_piece_layout(const sym_job *job);
/** Doubles one probe piece takes (sym_job_piece_layout(job).size). */
size_t sym_job_piece_size(const sym_job *job);
/** Doubles a run's probe results take: pieces x sym_job_piece_size. */
size_t sym_job_probe_size(const sym_job *job);

/**
 * Read, parse and validate a job file.  Relative data paths are resolved
 * against the job file's directory.  A problem is SYM_EJOB with a message
 * "FILE:LINE:COL: KEY: expected ..., found ..."; an unreadable file SYM_EIO.
 */
int sym_job_load(sym_job *job, const char *path);

/** Deepest nesting a job file may have (flow brackets, indentation, "- " entries). */
#define SYM_JOB_MAX_DEPTH 64

/**
 * Refuse (SYM_EJOB, "PATH:LINE:COL: (file): ...") a YAML text nested more than
 * @p max_depth levels deep, before any parser sees it (libyaml takes minutes
 * on pathological nesting).  Linear in @p len.
 */
int sym_yaml_check_depth(const char *text, size_t len, const char *path, int max_depth);
/** Parse and validate YAML text; @p path names it in messages and anchors relative paths. */
int sym_job_parse(sym_job *job, const char *text, size_t len, const char *path);
void sym_job_dispose(sym_job *job);
/**
 * Number of runs: n_configs x n_seeds.  Run i is configuration i / n_seeds
 * with seed seeds[i % n_seeds]; configuration c enumerates the axes as a
 * cartesian product in the order they are written, the last axis fastest.
 */
int sym_job_n_runs(const sym_job *job);
/** The configuration of run @p i and, if @p seed is not NULL, its seed. */
const sym_job_config *sym_job_run_config(const sym_job *job, int i, uint64_t *seed);
/** Value index of run @p i on axis @p a. */
int sym_job_axis_index(const sym_job *job, int i, int a);

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

/**
 * Probe piece @p piece of run @p index from the run's trained parameters:
 * for orbit_loss, direction number @p piece drawn from the stream
 * (seed, SYM_RNG_PROBE, piece), and the objective and data loss along it into
 * @p out (sym_job_piece_size doubles: total, data, then the perpendicular
 * line and landscape when asked for, their xi drawn from the stream
 * (seed, SYM_RNG_PROBE, 0x50000 + piece)).  The run's data are regenerated
 * from its seed, so any rank computes the same numbers.
 */
int sym_probe_piece(double *out, const sym_job *job, int index, int piece, const double *params);

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

typedef struct sym_sweep_opts {
    const char *out_path;
    int force;
    int resume;
    int quiet;
    double checkpoint_every; /**< seconds between checkpoints (default 60) */
    double grace;            /**< after SIGTERM/SIGUSR1: wait this long for runs in flight */
    double progress_every;   /**< seconds between progress lines when not on a terminal */
    int shard_index, shard_count; /**< compute only runs i with i % count == index (0/1: all) */
    /** seconds a worker with tasks in flight may stay silent before the sweep
     * checkpoints and stops (exit 75); < 0: automatic (the larger of 600 s and
     * 10x the longest silence seen so far); 0: never */
    double task_timeout;
    int no_space_check; /**< skip sym_plan_check (the user knows better) */
} sym_sweep_opts;

#define SYM_SWEEP_OPTS_INIT { NULL, 0, 0, 0, 60.0, 60.0, 30.0, 0, 1, -1.0, 0 }

typedef struct sym_sweep_stats {
    int n_runs, n_to_run, done, diverged, failed;
    int interrupted; /**< stopped (a signal to any rank, a silent worker, runs handed
                          back uncomputed): the file is checkpointed, resume to finish */
    double wall_time;  /**< of the whole sweep, file creation and final checkpoint included */
    double busy_time;  /**< rank 0 with workers: handling messages (not checkpoints) */
    double write_time; /**< rank 0: in checkpoints (HDF5) */
    long messages;     /**< rank 0: results received */
    int shared_error;  /**< the error is rank 0's (or every rank's alike): only rank 0 reports it */
} sym_sweep_stats;

/**
 * Install handlers for SIGTERM, SIGUSR1 (Slurm's warning before walltime)
 * and SIGINT (Ctrl-C) that ask sym_sweep_run to stop after a checkpoint.
 * Call once per process.
 */
void sym_sweep_install_signal_handlers(void);

/**
 * Run every run of @p job (or, with o->resume, every run not yet done) and
 * write @p o->out_path.  Collective over @p comm.  With one rank, that rank
 * computes and writes every run.  With more, rank 0 only coordinates and
 * writes: workers ask for work, get chunks of run indices (guided
 * self-scheduling, at most 64 per chunk) and send each result back as it
 * completes.  Results do not depend on the number of ranks or the order of
 * completion.  Rank 0 checkpoints every o->checkpoint_every seconds.  After
 * SIGTERM/SIGUSR1 it hands out no more work, waits up to o->grace seconds
 * for runs in flight, checkpoints, and returns with st->interrupted set.
 */
int sym_sweep_run(sym_sweep_stats *out, MPI_Comm comm, const sym_job *job,
                  const sym_sweep_opts *o);

/**
 * Print the plan of a job: runs and tasks, runs per axis value, expected
 * output size, memory per rank and (with @p calibrate) core-hours estimated
 * from a timed 20-epoch training of run 0, scaled by each configuration's
 * work (epochs x samples x multiply-adds per sample).
 */
int sym_plan_print(FILE *out, const sym_job *job, int calibrate);

/** What a job will need, in bytes (upper estimates, from the layout). */
typedef struct sym_plan_sizes {
    double output_bytes; /**< the output file, allocated in full when it is created */
    double worker_bytes; /**< one worker rank for its largest run */
    double rank0_bytes;  /**< rank 0: results buffered between checkpoints */
    double team_bytes;   /**< one team rank (0 without team probes) */
    double data_bytes;   /**< user data read from HDF5 for one run (0: generated data) */
    double result_bytes; /**< the largest result of one run */
    double row_bytes;    /**< the largest row of one run in one dataset */
} sym_plan_sizes;

void sym_plan_sizes_of(sym_plan_sizes *out, const sym_job *job);

/**
 * Refuse (SYM_EJOB) a job this machine cannot hold: a run's dataset row of 4
 * GiB or more, more memory per rank than a process may use here (physical
 * memory, cgroup limit, RLIMIT_AS), and with @p new_file an output larger
 * than the free space of @p out_path's file system.  The message gives both
 * numbers.
 */
int sym_plan_check(const sym_job *job, const char *out_path, int new_file);

#ifdef __cplusplus
}
#endif
#endif
