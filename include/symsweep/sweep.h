/**
 * @file sweep.h
 * @brief The sweep driver: every run of a job over MPI ranks into one output file.
 *
 * Rank 0 coordinates and writes; the other ranks compute.  See run.h, output.h,
 * team.h and plan.h for the pieces it puts together.
 */
#ifndef SYMSWEEP_SWEEP_H
#define SYMSWEEP_SWEEP_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SWEEP)
#error "symsweep/sweep.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <mpi.h>

#include "symsweep/job.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How progress is shown (--progress): auto chooses bar or lines (see sym_sweep_opts). */
typedef enum sym_progress_mode {
    SYM_PROGRESS_AUTO = 0, SYM_PROGRESS_BAR, SYM_PROGRESS_LINES, SYM_PROGRESS_NONE
} sym_progress_mode;

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
     * checkpoints and stops (exit 75); < 0: automatic (the largest of 600 s,
     * 10x the longest silence seen so far and 20x sym_plan_task_seconds_bound);
     * 0: never */
    double task_timeout;
    int no_space_check; /**< skip sym_plan_check (the user knows better) */
    /** bar: one line updated in place; lines: one line every progress_every s; none; auto:
     * bar when stderr is a terminal, or when it is not but the MPI launcher's is (the ranks'
     * output goes through the launcher: the bar then goes to /dev/tty when this process can
     * open it, else through stderr), lines otherwise */
    sym_progress_mode progress;
} sym_sweep_opts;

#define SYM_SWEEP_OPTS_INIT { NULL, 0, 0, 0, 60.0, 60.0, 30.0, 0, 1, -1.0, 0, SYM_PROGRESS_AUTO }

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

#ifdef __cplusplus
}
#endif
#endif
