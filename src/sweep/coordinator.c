/* The coordinator (rank 0): tasks out, results in, checkpoints, stops and hung workers. */
#include "sweep_impl.h"
#include "symsweep/plan.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/*
 * Guided self-scheduling: a chunk is a share of what is left, so early
 * chunks amortize messages over many short runs and late ones stay small
 * enough that no worker is left holding the tail.
 */
static int chunk_size(int remaining, int workers)
{
    int c = (remaining + 2 * workers - 1) / (2 * workers);

    return c < 1 ? 1 : c > MAX_CHUNK ? MAX_CHUNK : c;
}

/*
 * A blocking MPI_Probe busy-polls and would take a whole core from the
 * workers sharing rank 0's node.  Poll instead, sleeping between polls with
 * an exponential backoff from 20 us to 1 ms: idle, the coordinator costs
 * ~nothing; busy, it answers within microseconds.  Returns 0 without a
 * message after one sleep, so the caller can look at the clock and signals.
 */
static int poll_message(MPI_Comm comm, MPI_Status *ms, long *ns)
{
    int flag = 0;
    struct timespec ts;

    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, ms);
    if (flag) {
        *ns = 20000;
        return 1;
    }
    ts.tv_sec = 0;
    ts.tv_nsec = *ns;
    nanosleep(&ts, NULL);
    *ns = *ns < 500000 ? 2 * *ns : 1000000;
    return 0;
}

/*
 * Rank 0 receives, buffers and writes every result: blocks of megabytes (a run's recorded
 * weights, a chunk through HDF5's checksum filter) allocated and freed again for each run.
 * glibc maps blocks that large afresh each time and unmaps them on free, so every byte of every
 * result paid a page fault and a zeroing by the kernel, about a third of rank 0's time
 * (bench/jobs/ingest.yaml, perf).  Kept in the heap instead, freed blocks are reused as they
 * are; the heap then stays as large as the most ever buffered at once (a checkpoint's worth).
 */
static void keep_freed_blocks(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

/* a trained run waiting for its probe pieces */
typedef struct pending_run {
    sym_run_result r; /* deep copy, probe buffer allocated */
    int remaining;
    int handed_back; /* a piece came back uncomputed (stop): do not record */
} pending_run;

/*
 * What the coordinator knows of one worker: when it last heard from it and
 * which runs it holds (a worker holds at most its current task and the one
 * it asked for in advance: two chunks).  A worker holding runs that stays
 * silent longer than the task timeout is taken for hung.
 */
typedef struct worker_state {
    double last_heard;
    double frac; /* the fraction done of its run in flight (TAG_PROGRESS), 0 between runs */
    int n_held;
    int32_t held[2 * MAX_CHUNK + 2];
} worker_state;

typedef struct coord {
    MPI_Comm comm;
    const sym_job *job;
    sym_output *out;
    progress *p;
    const int *to_run;
    int n_to_run, next, size, outstanding, stopping, n_pending;
    pending_run **pending;       /* [n_runs] */
    int32_t *queue;              /* probe pieces to hand out: (run, piece) pairs */
    int q_head, q_tail, q_cap;
    int *waiting, n_waiting;     /* workers whose request found no work yet */
    int *teamq, t_head, t_tail;  /* runs whose team task waits to be handed out */
    int *forming, n_forming;     /* workers held for the next team */
    char *wbuf;
    size_t wcap;
    worker_state *ws;            /* [size] */
    double longest_silence;      /* the longest wait for an answer from a busy worker */
    double task_bound;           /* the plan's bound on one task's seconds */
    const char *stop_reason;     /* why the sweep stops, for the message; NULL: running */
} coord;

static void hold(coord *c, int rank, int32_t run)
{
    worker_state *w = &c->ws[rank];

    SYM_ASSERT(w->n_held < (int)(sizeof(w->held) / sizeof(*w->held)));
    if (w->n_held == 0)
        w->last_heard = sym_now(); /* its silence counts from now */
    w->held[w->n_held++] = run;
}

/* a message from @p rank: it is alive; @p run (or -1) is no longer held */
static void heard(coord *c, int rank, int32_t run)
{
    worker_state *w = &c->ws[rank];
    double now = sym_now();

    if (w->n_held > 0 && now - w->last_heard > c->longest_silence)
        c->longest_silence = now - w->last_heard;
    w->last_heard = now;
    for (int k = 0; run >= 0 && k < w->n_held; k++)
        if (w->held[k] == run) {
            memmove(w->held + k, w->held + k + 1, sizeof(*w->held) * (size_t)(w->n_held - k - 1));
            w->n_held--;
            break;
        }
}

/*
 * The task timeout in force: the user's, or the largest of 600 s, 10x the
 * longest silence seen so far and 20x the plan's bound on one task (so that
 * a job whose first runs take an hour is not taken for hung before any of
 * them has come back).
 */
static double task_timeout(const coord *c, const sym_sweep_opts *o)
{
    if (o->task_timeout >= 0)
        return o->task_timeout;
    return fmax(fmax(600.0, 10 * c->longest_silence), 20 * c->task_bound);
}

/* the first worker holding runs that has been silent for longer than @p limit, or 0 */
static int silent_worker(const coord *c, double limit)
{
    double now = sym_now();

    for (int k = 1; limit > 0 && k < c->size; k++)
        if (c->ws[k].n_held > 0 && now - c->ws[k].last_heard > limit)
            return k;
    return 0;
}

static int finished(const coord *c)
{
    return c->next >= c->n_to_run && c->q_head == c->q_tail && c->t_head == c->t_tail &&
           c->outstanding == 0;
}

/* the same team message to every member of the next team */
static void dispatch_team(coord *c)
{
    work_header h;
    int run = c->teamq[c->t_head++], T = c->job->team_size;
    const pending_run *pr = c->pending[run];
    size_t mb = sym_wire_team_bytes(T), len;

    memset(&h, 0, sizeof(h));
    h.kind = WORK_TEAM;
    h.count = T;
    h.run = run;
    h.piece = TEAM_PIECE;
    h.n_params = (int32_t)pr->r.n_params;
    memcpy(c->wbuf, &h, sizeof(h));
    memset(c->wbuf + sizeof(h), 0, mb);
    for (int k = 0; k < T; k++) {
        int32_t r = c->forming[k];

        memcpy(c->wbuf + sizeof(h) + sizeof(int32_t) * (size_t)k, &r, sizeof(r));
    }
    memcpy(c->wbuf + sizeof(h) + mb, pr->r.params, sizeof(double) * pr->r.n_params);
    len = sizeof(h) + mb + sizeof(double) * pr->r.n_params;
    for (int k = 0; k < T; k++)
        MPI_Send(c->wbuf, (int)len, MPI_BYTE, c->forming[k], TAG_WORK, c->comm);
    hold(c, c->forming[0], run); /* members[0] is the team's rank 0, which answers */
    c->n_forming = 0;
    c->outstanding++; /* one result: from the team's rank 0 */
}

/* answer worker @p dest: a probe piece first (frees memory soonest), else a
 * chunk of runs, else stop if nothing can come any more, else wait */
static int assign(coord *c, int dest, int *active, int rc)
{
    work_header h;

    memset(&h, 0, sizeof(h));
    if (rc < 0 || c->stopping) {
        h.kind = WORK_STOP;
    } else if (c->t_head < c->t_tail) {
        /* hold the worker for the next team; send when the team is complete */
        c->forming[c->n_forming++] = dest;
        if (c->n_forming == c->job->team_size)
            dispatch_team(c);
        return 0;
    } else if (c->q_head < c->q_tail) {
        int run = c->queue[2 * c->q_head], piece = c->queue[2 * c->q_head + 1];
        const pending_run *pr = c->pending[run];

        c->q_head++;
        h.kind = WORK_PROBE;
        h.run = run;
        h.piece = piece;
        h.n_params = (int32_t)pr->r.n_params;
        memcpy(c->wbuf + sizeof(h), pr->r.params, sizeof(double) * pr->r.n_params);
    } else if (c->next < c->n_to_run) {
        h.kind = WORK_TRAIN;
        h.count = chunk_size(c->n_to_run - c->next, c->size - 1);
        for (int k = 0; k < h.count; k++) {
            int32_t idx = c->to_run[c->next++];

            memcpy(c->wbuf + sizeof(h) + sizeof(int32_t) * (size_t)k, &idx, sizeof(idx));
        }
    } else if (finished(c)) {
        h.kind = WORK_STOP;
    } else {
        c->waiting[c->n_waiting++] = dest;
        return 0;
    }
    memcpy(c->wbuf, &h, sizeof(h));
    MPI_Send(c->wbuf, (int)(sizeof(h) + (h.kind == WORK_TRAIN ? sizeof(int32_t) * (size_t)h.count
                                         : h.kind == WORK_PROBE ? sizeof(double) * (size_t)h.n_params
                                                                : 0)),
             MPI_BYTE, dest, TAG_WORK, c->comm);
    if (h.kind == WORK_STOP)
        (*active)--;
    else
        c->outstanding += h.kind == WORK_TRAIN ? h.count : 1;
    if (h.kind == WORK_PROBE)
        hold(c, dest, h.run);
    for (int k = 0; h.kind == WORK_TRAIN && k < h.count; k++)
        hold(c, dest, c->to_run[c->next - h.count + k]);
    return 0;
}

static void serve_waiting(coord *c, int *active, int rc)
{
    if (rc < 0 || c->stopping) {
        /* workers held for a team that will not form now */
        while (c->n_forming > 0)
            assign(c, c->forming[--c->n_forming], active, rc);
    }
    while (c->n_waiting > 0 &&
           (rc < 0 || c->stopping || c->t_head < c->t_tail || c->q_head < c->q_tail ||
            c->next < c->n_to_run || finished(c)))
        assign(c, c->waiting[--c->n_waiting], active, rc);
}

/* a trained run: record it (taking over r->block, the message), or hold it and queue its probe
 * pieces (a copy) */
static int on_train_result(coord *c, sym_run_result *r)
{
    int D = sym_job_n_pieces(c->job), team = sym_job_has_team(c->job), rc = 0;
    pending_run *pr = NULL;

    if (D + team == 0 || !r->params || r->status == SYM_RUN_FAILED)
        return sym_progress_record(c->out, c->p, r);
    SYM_TRY(sym_alloc(&pr, sizeof(*pr)));
    pr->r = *r;
    pr->r.params = pr->r.initial = pr->r.curve = pr->r.probe = pr->r.measures = NULL;
    pr->r.block = NULL;
    if (r->measures) {
        SYM_TRY(sym_alloc_doubles(&pr->r.measures, c->job->measure.total));
        memcpy(pr->r.measures, r->measures, sizeof(double) * c->job->measure.total);
    }
    SYM_TRY(sym_alloc_doubles(&pr->r.params, r->n_params));
    SYM_TRY(sym_alloc_doubles(&pr->r.initial, r->n_params));
    SYM_TRY(sym_alloc_doubles(&pr->r.curve, (size_t)r->n_curve + 1));
    SYM_TRY(sym_alloc_doubles(&pr->r.probe, sym_job_probe_size(c->job)));
    memcpy(pr->r.params, r->params, sizeof(double) * r->n_params);
    memcpy(pr->r.initial, r->initial, sizeof(double) * r->n_params);
    memcpy(pr->r.curve, r->curve, sizeof(double) * (size_t)r->n_curve);
    pr->remaining = D + team;
    if (team)
        c->teamq[c->t_tail++] = r->index; /* each run once: [n_runs] never overflows */
    if (c->q_tail + D > c->q_cap) {
        /* compact, then grow */
        int live = c->q_tail - c->q_head, cap = c->q_cap;
        int32_t *nq;

        if (live > 0) /* the queue is NULL before its first growth */
            memmove(c->queue, c->queue + 2 * c->q_head, sizeof(int32_t) * 2 * (size_t)live);
        c->q_head = 0;
        c->q_tail = live;
        while (live + D > cap)
            cap = cap ? 2 * cap : 256;
        if (cap != c->q_cap) {
            nq = realloc(c->queue, sizeof(int32_t) * 2 * (size_t)cap);
            if (!nq)
                SYM_FAIL(SYM_ENOMEM, "out of memory queueing probe tasks");
            c->queue = nq;
            c->q_cap = cap;
        }
    }
    for (int d = 0; d < D; d++) {
        c->queue[2 * c->q_tail] = r->index;
        c->queue[2 * c->q_tail + 1] = d;
        c->q_tail++;
    }
    c->pending[r->index] = pr;
    c->n_pending++;
    pr = NULL;
cleanup:
    if (pr) {
        sym_run_result_dispose(&pr->r);
        free(pr);
    }
    return rc;
}

static int on_probe_result(coord *c, const char *buf)
{
    probe_header h;
    pending_run *pr;
    int rc = 0;
    size_t S = sym_job_piece_size(c->job);

    memcpy(&h, buf, sizeof(h));
    pr = c->pending[h.run];
    SYM_ASSERT(pr != NULL);
    if (h.status == SYM_RUN_PENDING) {
        /* a worker stopped by a signal handed its piece back: the run stays
         * pending, and the sweep stops (it is not complete) */
        pr->handed_back = 1;
        if (!c->stop_reason)
            c->stop_reason = "a worker was stopped by a signal and handed its task back";
    } else if (h.status == SYM_RUN_FAILED) {
        /* the run is not complete: record it failed, so --resume redoes it */
        pr->r.status = SYM_RUN_FAILED;
        snprintf(pr->r.error, sizeof(pr->r.error), "%s", h.error);
    } else if (h.piece == TEAM_PIECE) {
        memcpy(pr->r.measures + c->job->measure.team, buf + sizeof(h),
               sizeof(double) * c->job->measure.team_len);
    } else {
        memcpy(pr->r.probe + (size_t)h.piece * S, buf + sizeof(h), sizeof(double) * S);
    }
    if (--pr->remaining == 0) {
        if (!pr->handed_back)
            rc = sym_progress_record(c->out, c->p, &pr->r);
        sym_run_result_dispose(&pr->r);
        free(pr);
        c->pending[h.run] = NULL;
        c->n_pending--;
    }
    return rc;
}

/* rank 0 with workers: hand out tasks, buffer results, checkpoint */
/* the silent worker's runs, named, before the sweep stops */
static void report_hung(coord *c, const sym_sweep_opts *o, const progress *p, int hung)
{
    const worker_state *w = &c->ws[hung];

    fprintf(stderr, "%ssymsweep: rank %d has held %d run%s for %.0f s without a word "
            "(--task-timeout %.0f s); runs:", p->tty ? "\r\n" : "", hung, w->n_held,
            w->n_held == 1 ? "" : "s", sym_now() - w->last_heard, task_timeout(c, o));
    for (int k = 0; k < w->n_held && k < 20; k++)
        fprintf(stderr, " %d", w->held[k]);
    fprintf(stderr, "%s; they stay pending\n", w->n_held > 20 ? " ..." : "");
}

/* a result message into *buf (grown as needed); its sender is heard from */
static int recv_result(coord *c, const MPI_Status *ms, char **buf, size_t *cap)
{
    int count = 0;
    int32_t run;

    MPI_Get_count(ms, MPI_BYTE, &count);
    if ((size_t)count > *cap) {
        char *nb = realloc(*buf, (size_t)count);

        if (!nb)
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__,
                               "out of memory receiving a result of %d bytes", count);
        *buf = nb;
        *cap = (size_t)count;
    }
    MPI_Recv(*buf, count, MPI_BYTE, ms->MPI_SOURCE, ms->MPI_TAG, c->comm, MPI_STATUS_IGNORE);
    c->outstanding--;
    if (c->ws[ms->MPI_SOURCE].frac > 0) {
        c->p->inflight -= c->ws[ms->MPI_SOURCE].frac;
        c->ws[ms->MPI_SOURCE].frac = 0;
    }
    memcpy(&run, *buf, sizeof(run)); /* both headers start with the run index */
    heard(c, ms->MPI_SOURCE, run);
    return 0;
}

/* the coordinator's state for a sweep of the runs to_run[0..n_to_run) over size ranks */
static int coord_init(coord *c, MPI_Comm comm, const sym_job *job, sym_output *out, progress *p,
                      const int *to_run, int n_to_run, int size)
{
    int rc = 0, n = sym_job_n_runs(job);

    memset(c, 0, sizeof(*c));
    c->comm = comm;
    c->job = job;
    c->out = out;
    c->p = p;
    c->to_run = to_run;
    c->n_to_run = n_to_run;
    c->size = size;
    c->wcap = sym_wire_work_capacity(job);
    SYM_TRY(sym_alloc(&c->wbuf, c->wcap));
    SYM_TRY(sym_alloc(&c->pending, sizeof(pending_run *) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&c->waiting, sizeof(int) * (size_t)size));
    SYM_TRY(sym_alloc(&c->forming, sizeof(int) * (size_t)size));
    SYM_TRY(sym_alloc(&c->teamq, sizeof(int) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&c->ws, sizeof(worker_state) * (size_t)size));
    c->task_bound = sym_plan_task_seconds_bound(job);
cleanup:
    return rc;
}

/*
 * A training or probe result from a worker: received, then (unless an earlier error *rc stopped
 * the handling) recorded; the waiting workers are served.  -1 when it could not be received.
 */
static int result_message(coord *c, MPI_Status *ms, char **buf, size_t *cap, int *active, int *rc)
{
    if (recv_result(c, ms, buf, cap) < 0)
        return -1;
    if (*rc == 0 && ms->MPI_TAG == TAG_RESULT) {
        sym_run_result r;

        sym_wire_unpack(&r, *buf);
        /* recorded, the message is kept whole as the buffered result (no copy of the weights
         * it may carry): the next one is received into a new buffer */
        r.block = *buf;
        if (r.status != SYM_RUN_PENDING)
            *rc = on_train_result(c, &r);
        else if (!c->stop_reason) /* a worker stopped by a signal hands its runs back */
            c->stop_reason = "a worker was stopped by a signal and handed its runs back";
        if (!r.block) {
            *buf = NULL;
            *cap = 0;
        }
    } else if (*rc == 0) {
        *rc = on_probe_result(c, *buf);
    }
    if (*rc < 0)
        sym_err_frame(__FILE__, __LINE__, "handling a result");
    c->p->st->messages++;
    serve_waiting(c, active, *rc);
    return 0;
}

int sym_coordinator_loop(MPI_Comm comm, const sym_job *job, sym_output *out, const sym_sweep_opts *o,
                       progress *p, const int *to_run, int n_to_run, int size, int *abandoned)
{
    coord c;
    int active = size - 1, rc = 0;
    double last_ckpt = sym_now(), stop_time = 0, last_watch = sym_now();
    char *buf = NULL;
    size_t cap = 0;
    long ns = 20000;
    int n = sym_job_n_runs(job);

    keep_freed_blocks();
    SYM_TRY(coord_init(&c, comm, job, out, p, to_run, n_to_run, size));
    /* a worker told to stop may still be sending its current task's results */
    while (active > 0 || c.outstanding > 0) {
        MPI_Status ms;
        int hung;
        double tb;

        if (sym_sweep_stop_requested() && !c.stop_reason)
            c.stop_reason = "stop requested";
        if (c.stop_reason && !c.stopping) {
            c.stopping = 1;
            stop_time = sym_now();
            if (!o->quiet)
                fprintf(stderr, "%ssymsweep: %s: no new runs; waiting up to %.0f s for %d tasks in flight\n",
                        p->tty ? "\r\n" : "", c.stop_reason, o->grace, c.outstanding);
            serve_waiting(&c, &active, rc);
        }
        if (c.stopping && c.outstanding > 0 && sym_now() - stop_time > o->grace) {
            *abandoned = c.outstanding;
            break;
        }
        /* the workers' silence is looked at once a second, not per message:
         * the scan is O(ranks) and a timeout is counted in seconds */
        hung = 0;
        if (sym_now() - last_watch >= 1.0) {
            last_watch = sym_now();
            hung = silent_worker(&c, task_timeout(&c, o));
        }
        if (hung > 0) {
            /* a hung worker never answers: checkpoint what came back, then stop */
            report_hung(&c, o, p, hung);
            *abandoned = c.outstanding;
            c.stopping = 1;
            break;
        }
        if (rc == 0)
            rc = sym_progress_checkpoint(out, o, &last_ckpt, p); /* counted in write_time */
        sym_progress_line(p, 0);
        if (!poll_message(comm, &ms, &ns))
            continue;
        tb = sym_now();
        if (ms.MPI_TAG == TAG_REQUEST) {
            MPI_Recv(NULL, 0, MPI_INT, ms.MPI_SOURCE, TAG_REQUEST, comm, MPI_STATUS_IGNORE);
            heard(&c, ms.MPI_SOURCE, -1);
            assign(&c, ms.MPI_SOURCE, &active, rc);
        } else if (ms.MPI_TAG == TAG_PROGRESS) { /* epochs of a run in flight: the line only */
            int32_t m[3];
            worker_state *w = &c.ws[ms.MPI_SOURCE];

            MPI_Recv(m, 3, MPI_INT32_T, ms.MPI_SOURCE, TAG_PROGRESS, comm, MPI_STATUS_IGNORE);
            heard(&c, ms.MPI_SOURCE, -1);
            p->inflight -= w->frac;
            w->frac = m[2] > 0 && m[1] >= 0 && m[1] <= m[2] ? (double)m[1] / m[2] : 0.0;
            p->inflight += w->frac;
        } else if (ms.MPI_TAG == TAG_RESULT || ms.MPI_TAG == TAG_PROBE_RESULT) {
            if (result_message(&c, &ms, &buf, &cap, &active, &rc) < 0) {
                rc = SYM_ENOMEM;
                break;
            }
        } else {
            rc = sym_err_set(SYM_EMPI, __FILE__, __LINE__,
                             "unexpected message tag %d from rank %d", ms.MPI_TAG, ms.MPI_SOURCE);
            break;
        }
        p->st->busy_time += sym_now() - tb;
    }
    p->st->interrupted = c.stopping;
cleanup:
    free(c.ws);
    /* runs still waiting for probe pieces (a stop) are not recorded: they stay pending */
    for (int i = 0; c.pending && i < n; i++)
        if (c.pending[i]) {
            sym_run_result_dispose(&c.pending[i]->r);
            free(c.pending[i]);
        }
    free(c.pending);
    free(c.queue);
    free(c.waiting);
    free(c.forming);
    free(c.teamq);
    free(c.wbuf);
    free(buf);
    return rc;
}
