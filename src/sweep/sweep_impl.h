/*
 * The sweep driver's parts, private to src/sweep: the wire format between
 * rank 0 and the workers (wire.c), the worker (worker.c), the coordinator
 * (coordinator.c), and progress, signals and sym_sweep_run (sweep.c).
 */
#ifndef SYMSWEEP_SWEEP_IMPL_H
#define SYMSWEEP_SWEEP_IMPL_H

#include "symsweep/output.h"
#include "symsweep/run.h"
#include "symsweep/sweep.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- messages between the coordinator (rank 0) and the workers ---- */

enum { TAG_REQUEST = 101, TAG_WORK = 102, TAG_RESULT = 103, TAG_PROBE_RESULT = 104, TAG_TEAM = 105,
       TAG_PROGRESS = 106 /* a worker's run in flight: int32 {run, epoch, epochs}, at most 1/s */ };

/*
 * A work message: this header, then (TRAIN) count run indices as int32, or
 * (PROBE) the run's trained parameters, n_params doubles: dependent tasks
 * carry what they depend on, so any worker can compute them.  (TEAM) the
 * count member ranks as int32 (padded to 8 bytes), then the parameters:
 * every member gets the same message and they form the team's communicator.
 */
enum { WORK_STOP = 0, WORK_TRAIN = 1, WORK_PROBE = 2, WORK_TEAM = 3 };
/* a team task's piece number in probe results */
enum { TEAM_PIECE = -1 };
typedef struct work_header {
    int32_t kind, count, run, piece, n_params, pad;
} work_header;

/* a probe piece's result: this header, then sym_job_piece_size doubles */
typedef struct probe_header {
    int32_t run, piece, status, n;
    char error[512];
} probe_header;
#define MAX_CHUNK 64

/* A packed result: this header, then params[n_params], initial[n_params],
 * curve[n_curve].  Every rank runs the same binary, so raw bytes suffice. */
typedef struct wire_header {
    int32_t index, status, rank, epochs_done, n_curve, has_params;
    int64_t n_params, n_measures;
    double wall_time, data, penalty, total;
    char error[512];
} wire_header;

/* the coordinator reads the run index of either result before knowing which it is */
_Static_assert(offsetof(wire_header, index) == 0 && offsetof(probe_header, run) == 0,
               "both result headers start with the run index");

/* ---- wire.c ---- */

/** Pack @p r (and its n_measures measures) into *buf (grown as needed); *len its bytes. */
int sym_wire_pack(char **buf, size_t *cap, size_t *len, const sym_run_result *r, size_t n_measures);
/** A borrowed view of a packed result: the pointers of @p r point into @p buf. */
void sym_wire_unpack(sym_run_result *r, const char *buf);
/** Bytes of a team message's member list: int32 each, padded so the doubles after it align. */
size_t sym_wire_team_bytes(int n);
/** Bytes of the largest work message of @p job. */
size_t sym_wire_work_capacity(const sym_job *job);

/* ---- sweep.c: stop requests and progress ---- */

/** 1 once SIGTERM, SIGUSR1 or SIGINT reached this process. */
int sym_sweep_stop_requested(void);

/* ---- progress ---- */

typedef struct progress {
    const sym_job *job;
    const sym_sweep_opts *o;
    sym_sweep_stats *st;
    int total, received, tty; /* tty: the bar, updated in place; else a line per interval */
    int show;                 /* progress lines at all (not --quiet, not --progress=none) */
    FILE *fp;                 /* where the bar or lines go: stderr, or /dev/tty (owned then) */
    double inflight;          /* the fractions done of the runs in flight (their epochs) */
    double t0, last;
    long launcher;            /* the pid of the launcher that started rank 0, or 0 (none known) */
} progress;

/** Set up @p p's output from o->progress (collective-free; rank 0's). */
void sym_progress_open(progress *p);
void sym_progress_close(progress *p);

void sym_progress_line(progress *p, int final);
/** Buffer a result in the output and count it; one whose block is set is taken over (*r is
 *  cleared, see sym_output_add_moved). */
int sym_progress_record(sym_output *out, progress *p, sym_run_result *r);
/** OUT.progress, rewritten (write, then rename) with @p state. */
void sym_progress_write(const progress *p, const char *state);
/** Checkpoint when the interval has passed or the buffer holds a lot. */
int sym_progress_checkpoint(sym_output *out, const sym_sweep_opts *o, double *last, const progress *p);

/* ---- worker.c ---- */

/** Compute run @p i on this rank; an error that is not the run's own becomes a failed run. */
void sym_worker_compute(sym_run_result *r, const sym_job *job, int i, int rank);
/** A probe piece on this rank: its values into @p vals, or a failure with its message in @p h. */
void sym_worker_piece(probe_header *h, double *vals, const sym_job *job, int run, int piece,
                      const double *params);
/**
 * Everything of run @p index on this rank alone: training, its team task on
 * a team of one, and every probe piece, in the order the distributed sweep
 * would put them together (the one-rank sweep).
 */
int sym_worker_whole_run(sym_run_result *r, const sym_job *job, int index, int rank);
/** Ranks 1..N-1: ask for tasks, compute, send results, until told to stop.  Over @p comm. */
int sym_worker_loop(MPI_Comm comm, const sym_job *job, int rank);

/* ---- coordinator.c ---- */

/** Rank 0 with workers: hand out tasks, buffer results, checkpoint, stop. */
int sym_coordinator_loop(MPI_Comm comm, const sym_job *job, sym_output *out, const sym_sweep_opts *o,
                         progress *p, const int *to_run, int n_to_run, int size, int *abandoned);

#endif
