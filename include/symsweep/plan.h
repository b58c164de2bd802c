/**
 * @file plan.h
 * @brief What a job will cost before it runs: sizes, memory, time, and the check against this machine.
 *
 * No MPI.
 */
#ifndef SYMSWEEP_PLAN_H
#define SYMSWEEP_PLAN_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SWEEP)
#error "symsweep/plan.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <stdio.h>

#include "symsweep/job.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/**
 * Refuse (SYM_EUSAGE) an output @p out_path that is one of the files the job
 * reads: the job file, a data or model.init file, a plug-in.  Compared by
 * device and inode, so another name, a symbolic or a hard link is the same
 * file; an output that does not exist yet is no input.
 */
int sym_plan_check_output(const sym_job *job, const char *out_path);

/**
 * Ranks of each run's team task: per team probe its `team` setting, or with
 * `team: auto` the smallest team whose ranks each fit its team_memory_mb;
 * the largest over probes and grid points (1 without team probes).
 */
int sym_plan_team_size(const sym_job *job);
/** Bytes per rank of the team probes' dense problems at grid point @p cfg on teams of @p size. */
double sym_plan_team_bytes(const sym_job *job, int cfg, int size);

/**
 * An upper estimate of the seconds one task of @p job takes on a slow core
 * (a training run, an orbit piece or a team task, whichever is largest): the
 * default task timeout is at least 20 times this, so that long runs are not
 * taken for hung.
 */
double sym_plan_task_seconds_bound(const sym_job *job);

#ifdef __cplusplus
}
#endif
#endif
