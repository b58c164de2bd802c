/* The sweep driver: every run of a job into one output file. */
#include "symsweep/sweep.h"
#include "symsweep/output.h"
#include "symsweep/plan.h"
#include "symsweep/run.h"
#include "symsweep/team.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* comma-separated distinct processor names of all ranks, on rank 0 */
static int gather_hosts(char **out, MPI_Comm comm)
{
    char name[MPI_MAX_PROCESSOR_NAME] = "";
    char *all = NULL, *list = NULL;
    int rc = 0, rank, size, len = 0;
    size_t used = 0;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Get_processor_name(name, &len);
    if (rank == 0)
        SYM_TRY(sym_alloc(&all, (size_t)size * MPI_MAX_PROCESSOR_NAME));
    if (MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0,
                   comm) != MPI_SUCCESS)
        SYM_FAIL(SYM_EMPI, "MPI_Gather of host names failed");
    if (rank == 0) {
        SYM_TRY(sym_alloc(&list, (size_t)size * (MPI_MAX_PROCESSOR_NAME + 1) + 1));
        for (int i = 0; i < size; i++) {
            const char *h = all + (size_t)i * MPI_MAX_PROCESSOR_NAME;
            int seen = 0;

            for (int j = 0; j < i && !seen; j++)
                seen = strcmp(h, all + (size_t)j * MPI_MAX_PROCESSOR_NAME) == 0;
            if (!seen)
                used += (size_t)sprintf(list + used, "%s%s", used ? "," : "", h);
        }
        *out = list;
        list = NULL;
    }
cleanup:
    free(all);
    free(list);
    return rc;
}

/* ---- messages between the coordinator (rank 0) and the workers ---- */

enum { TAG_REQUEST = 101, TAG_WORK = 102, TAG_RESULT = 103, TAG_PROBE_RESULT = 104, TAG_TEAM = 105 };

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

static size_t wire_size(int64_t np, int n_curve, int has_params, int64_t nm)
{
    return sizeof(wire_header) +
           sizeof(double) * ((has_params ? 2 * (size_t)np : 0) + (size_t)n_curve + (size_t)nm);
}

static int pack(char **buf, size_t *cap, size_t *len, const sym_run_result *r, size_t n_measures)
{
    int64_t np = (int64_t)r->n_params, nm = r->measures ? (int64_t)n_measures : 0;
    wire_header h;
    int has = r->params != NULL, rc = 0;
    size_t need = wire_size(np, has ? r->n_curve : 0, has, nm);
    char *p;

    memset(&h, 0, sizeof(h));
    h.index = r->index;
    h.status = r->status;
    h.rank = r->rank;
    h.epochs_done = r->epochs_done;
    h.n_curve = has ? r->n_curve : 0;
    h.has_params = has;
    h.n_params = np;
    h.n_measures = nm;
    h.wall_time = r->wall_time;
    h.data = r->final.data;
    h.penalty = r->final.penalty;
    h.total = r->final.total;
    memcpy(h.error, r->error, sizeof(h.error));
    if (need > *cap) {
        char *nb = realloc(*buf, need);

        if (!nb)
            SYM_FAIL(SYM_ENOMEM, "out of memory packing a result of %zu bytes", need);
        *buf = nb;
        *cap = need;
    }
    p = *buf;
    memcpy(p, &h, sizeof(h));
    p += sizeof(h);
    if (has) {
        memcpy(p, r->params, sizeof(double) * (size_t)np);
        p += sizeof(double) * (size_t)np;
        memcpy(p, r->initial, sizeof(double) * (size_t)np);
        p += sizeof(double) * (size_t)np;
        memcpy(p, r->curve, sizeof(double) * (size_t)r->n_curve);
        p += sizeof(double) * (size_t)r->n_curve;
    }
    if (nm)
        memcpy(p, r->measures, sizeof(double) * (size_t)nm);
    *len = need;
cleanup:
    return rc;
}

/* a borrowed view of a packed result (pointers into buf) */
static void unpack(sym_run_result *r, const char *buf)
{
    wire_header h;
    const double *d = (const double *)(buf + sizeof(h));

    memcpy(&h, buf, sizeof(h));
    memset(r, 0, sizeof(*r));
    r->index = h.index;
    r->status = h.status;
    r->rank = h.rank;
    r->epochs_done = h.epochs_done;
    r->wall_time = h.wall_time;
    r->final.data = h.data;
    r->final.penalty = h.penalty;
    r->final.total = h.total;
    memcpy(r->error, h.error, sizeof(r->error));
    r->error[sizeof(r->error) - 1] = '\0';
    if (h.has_params) {
        r->params = (double *)d;
        r->initial = (double *)d + h.n_params;
        r->curve = (double *)d + 2 * h.n_params;
        r->n_curve = h.n_curve;
        r->n_params = (size_t)h.n_params;
        d += 2 * h.n_params + h.n_curve;
    }
    if (h.n_measures)
        r->measures = (double *)d;
}

/* ---- stop requests (SIGTERM / SIGUSR1) ---- */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void sym_sweep_install_signal_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL); /* Ctrl-C: checkpoint like SIGTERM, lose nothing */
}

/* ---- progress ---- */

typedef struct progress {
    const sym_job *job;
    const sym_sweep_opts *o;
    sym_sweep_stats *st;
    int total, received, tty;
    double t0, last;
} progress;

static void progress_line(progress *p, int final)
{
    double now = sym_now(), el = now - p->t0, rate = el > 0 ? p->received / el : 0.0;
    double eta = rate > 0 ? (p->total - p->received) / rate : 0.0;
    int pct10 = p->total ? (int)(1000.0 * p->received / p->total) : 1000;

    if (p->o->quiet)
        return;
    if (!final && now - p->last < (p->tty ? 0.2 : p->o->progress_every))
        return;
    p->last = now;
    fprintf(stderr, "%s[%d/%d] %d.%d%%  %.1f runs/s  ETA %d:%02d:%02d  diverged %d  failed %d%s",
            p->tty ? "\r" : "", p->received, p->total, pct10 / 10, pct10 % 10, rate,
            (int)(eta / 3600), (int)(eta / 60) % 60, (int)eta % 60, p->st->diverged,
            p->st->failed, p->tty && !final ? "   " : "\n");
    fflush(stderr);
}

static void progress_failed(progress *p, const sym_run_result *r)
{
    uint64_t seed;

    if (p->o->quiet)
        return;
    sym_job_run_config(p->job, r->index, &seed);
    fprintf(stderr, "%srun %d (seed %llu, rank %d) failed: %s\n", p->tty ? "\r\n" : "", r->index,
            (unsigned long long)seed, r->rank, r->error);
}

static int record(sym_output *out, progress *p, const sym_run_result *r)
{
    int rc = sym_output_add(out, r);

    p->received++;
    p->st->done += r->status == SYM_RUN_DONE;
    p->st->diverged += r->status == SYM_RUN_DIVERGED;
    p->st->failed += r->status == SYM_RUN_FAILED;
    if (r->status == SYM_RUN_FAILED)
        progress_failed(p, r);
    progress_line(p, 0);
    return rc;
}

/*
 * OUT.h5.progress: a few "key=value" lines for `symsweep status`, rewritten
 * (write, then rename) after every checkpoint.  Counts live in the HDF5 file;
 * this adds what the file cannot say: how fast, and how long still.
 */
static void write_progress_file(const progress *p, const char *state)
{
    char path[1200], tmp[1210], host[256] = "";
    double now = sym_now(), el = now - p->t0, rate = el > 0 ? p->received / el : 0.0;
    FILE *f;

    gethostname(host, sizeof(host) - 1);
    snprintf(path, sizeof(path), "%s.progress", p->o->out_path);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f)
        return; /* progress is a courtesy: never fail a sweep for it */
    fprintf(f, "state=%s\nupdated=%lld\nsession_runs=%d\nsession_done=%d\nrate=%.6g\neta_s=%.0f\n",
            state, (long long)time(NULL), p->total, p->received, rate,
            rate > 0 ? (p->total - p->received) / rate : -1.0);
    /* who writes, so that `status` can tell a live sweep from a dead one */
    fprintf(f, "pid=%ld\nhost=%s\ncheckpoint_every=%.6g\n", (long)getpid(), host,
            p->o->checkpoint_every);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        remove(tmp); /* a full disk: keep the last good record, leave no debris */
}

/* checkpoint when the interval has passed or the buffer holds a lot */
static int maybe_checkpoint(sym_output *out, const sym_sweep_opts *o, double *last, const progress *p)
{
    int rc = 0;

    if (sym_now() - *last >= o->checkpoint_every ||
        sym_output_buffered_bytes(out) > ((size_t)256 << 20)) {
        rc = sym_output_checkpoint(out);
        *last = sym_now();
        write_progress_file(p, "running");
    }
    return rc;
}

/* compute run i on this rank; an error that is not the run's own becomes a failed run */
static void compute(sym_run_result *r, const sym_job *job, int i, int rank)
{
    if (sym_run_execute(r, job, i) < 0) {
        sym_run_result_dispose(r);
        r->index = i;
        r->status = SYM_RUN_FAILED;
        snprintf(r->error, sizeof(r->error), "%s", sym_err_message());
    }
    r->rank = rank;
}

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

/* bytes of a team message's member list: int32 each, padded so the doubles after it align */
static size_t team_members_bytes(int n) { return 8 * (((size_t)n * sizeof(int32_t) + 7) / 8); }

/* bytes of the largest work message for this job */
static size_t work_capacity(const sym_job *job)
{
    size_t maxp = 0;

    for (int c = 0; c < job->n_configs; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &job->configs[c].model) == 0) {
            size_t np = sym_model_n_params(m);

            maxp = np > maxp ? np : maxp;
        }
        sym_model_free(m);
    }
    return sizeof(work_header) + team_members_bytes(job->team_size) +
           (sizeof(double) * maxp > sizeof(int32_t) * MAX_CHUNK ? sizeof(double) * maxp
                                                                : sizeof(int32_t) * MAX_CHUNK);
}

/* a probe piece on this rank: its values, or a failure with the message */
static void compute_piece(probe_header *h, double *vals, const sym_job *job, int run, int piece,
                          const double *params)
{
    memset(h, 0, sizeof(*h));
    h->run = run;
    h->piece = piece;
    h->n = (int)sym_job_piece_size(job);
    h->status = SYM_RUN_DONE;
    if (sym_probe_piece(vals, job, run, piece, params) < 0) {
        h->status = SYM_RUN_FAILED;
        snprintf(h->error, sizeof(h->error), "probe orbit_loss, direction %d: %s", piece,
                 sym_err_message());
    }
}

/*
 * A team task on this worker: the members named in the message form a
 * communicator (MPI_Comm_create_group: collective over the members only, so
 * the rest of the sweep goes on) and compute together; the team's rank 0
 * returns the result.  Members agree on a stop first, so that none enters
 * the computation the others have left.  Every worker takes its tasks in the
 * order the coordinator assigned them, and teams are assigned one at a time,
 * so the earliest unfinished team always assembles: no deadlock.
 */
static int team_task(MPI_Comm comm, const sym_job *job, const char *msg, char **buf, size_t *cap,
                     size_t *len)
{
    work_header h;
    MPI_Group all = MPI_GROUP_NULL, grp = MPI_GROUP_NULL;
    MPI_Comm tcomm = MPI_COMM_NULL;
    int32_t members[4096];
    double *params = NULL;
    int rc = 0, trank = 0, stop = stop_requested, any = 0;
    size_t need = sizeof(probe_header) + sizeof(double) * job->measure.team_len;
    probe_header ph;

    memcpy(&h, msg, sizeof(h));
    SYM_ASSERT(h.count >= 1 && h.count <= 4096);
    memcpy(members, msg + sizeof(h), sizeof(int32_t) * (size_t)h.count);
    SYM_TRY(sym_alloc_doubles(&params, (size_t)h.n_params));
    memcpy(params, msg + sizeof(h) + team_members_bytes(h.count), sizeof(double) * (size_t)h.n_params);
    if (MPI_Comm_group(comm, &all) != MPI_SUCCESS ||
        MPI_Group_incl(all, h.count, members, &grp) != MPI_SUCCESS ||
        MPI_Comm_create_group(comm, grp, TAG_TEAM, &tcomm) != MPI_SUCCESS)
        SYM_FAIL(SYM_EMPI, "could not form the team of %d ranks for run %d", h.count, h.run);
    MPI_Comm_rank(tcomm, &trank);
    MPI_Allreduce(&stop, &any, 1, MPI_INT, MPI_MAX, tcomm);
    if (need > *cap) {
        char *nb = realloc(*buf, need);

        if (!nb)
            SYM_FAIL(SYM_ENOMEM, "out of memory for a team result");
        *buf = nb;
        *cap = need;
    }
    memset(&ph, 0, sizeof(ph));
    ph.run = h.run;
    ph.piece = TEAM_PIECE;
    ph.n = (int)job->measure.team_len;
    ph.status = SYM_RUN_DONE;
    if (any) {
        ph.status = SYM_RUN_PENDING;
    } else if (sym_team_task((double *)(*buf + sizeof(ph)), job, h.run, params, tcomm) < 0) {
        ph.status = SYM_RUN_FAILED;
        snprintf(ph.error, sizeof(ph.error), "team probes (%d ranks): %s", h.count, sym_err_message());
    }
    memcpy(*buf, &ph, sizeof(ph));
    *len = trank == 0 ? need : 0; /* only the team's rank 0 answers */
cleanup:
    if (tcomm != MPI_COMM_NULL)
        MPI_Comm_free(&tcomm);
    if (grp != MPI_GROUP_NULL)
        MPI_Group_free(&grp);
    if (all != MPI_GROUP_NULL)
        MPI_Group_free(&all);
    free(params);
    return rc;
}

/*
 * A worker keeps one task message in reserve: it asks for the next as soon
 * as it starts one, so it never waits for the coordinator between tasks; and
 * it sends results without blocking (two buffers alternate), so a large
 * result never holds it until rank 0 posts the receive.
 */
static int worker(MPI_Comm comm, const sym_job *job, int rank)
{
    size_t wcap = work_capacity(job);
    char *cur = NULL, *nxt = NULL, *tmp;
    int rc = 0, slot = 0;
    char *buf[2] = {NULL, NULL};
    size_t cap[2] = {0, 0}, len = 0;
    MPI_Request send_req[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL}, work_req = MPI_REQUEST_NULL;
    sym_run_result r = {0};
    work_header h;

    SYM_TRY(sym_alloc(&cur, wcap));
    SYM_TRY(sym_alloc(&nxt, wcap));
    if (MPI_Send(NULL, 0, MPI_INT, 0, TAG_REQUEST, comm) != MPI_SUCCESS ||
        MPI_Recv(cur, (int)wcap, MPI_BYTE, 0, TAG_WORK, comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        SYM_FAIL(SYM_EMPI, "rank %d: lost contact with the coordinator", rank);
    for (memcpy(&h, cur, sizeof(h)); h.kind != WORK_STOP; memcpy(&h, cur, sizeof(h))) {
        /* ask for the next task now; it arrives while this one computes */
        if (MPI_Send(NULL, 0, MPI_INT, 0, TAG_REQUEST, comm) != MPI_SUCCESS ||
            MPI_Irecv(nxt, (int)wcap, MPI_BYTE, 0, TAG_WORK, comm, &work_req) != MPI_SUCCESS)
            SYM_FAIL(SYM_EMPI, "rank %d: lost contact with the coordinator", rank);
        for (int k = 0; k < (h.kind == WORK_TRAIN ? h.count : 1); k++) {
            int tag = TAG_RESULT;

            MPI_Wait(&send_req[slot], MPI_STATUS_IGNORE); /* this buffer is free again */
            if (h.kind == WORK_TEAM) {
                SYM_TRY(team_task(comm, job, cur, &buf[slot], &cap[slot], &len));
                if (len == 0)
                    continue; /* a member, not the team's rank 0: nothing to send */
                tag = TAG_PROBE_RESULT;
            } else if (h.kind == WORK_TRAIN) {
                int32_t idx;

                memcpy(&idx, cur + sizeof(h) + sizeof(int32_t) * (size_t)k, sizeof(idx));
                if (stop_requested) {
                    /* asked to stop: hand the rest of the chunk back untouched */
                    memset(&r, 0, sizeof(r));
                    r.index = idx;
                    r.status = SYM_RUN_PENDING;
                    r.rank = rank;
                } else {
                    compute(&r, job, idx, rank);
                }
                SYM_TRY(pack(&buf[slot], &cap[slot], &len, &r, job->measure.total));
                sym_run_result_dispose(&r);
            } else {
                size_t need = sizeof(probe_header) + sizeof(double) * sym_job_piece_size(job);
                probe_header ph;

                if (need > cap[slot]) {
                    char *nb = realloc(buf[slot], need);

                    if (!nb)
                        SYM_FAIL(SYM_ENOMEM, "out of memory for a probe result");
                    buf[slot] = nb;
                    cap[slot] = need;
                }
                if (stop_requested) {
                    memset(&ph, 0, sizeof(ph));
                    ph.run = h.run;
                    ph.piece = h.piece;
                    ph.status = SYM_RUN_PENDING;
                } else {
                    compute_piece(&ph, (double *)(buf[slot] + sizeof(ph)), job, h.run, h.piece,
                                  (const double *)(cur + sizeof(h)));
                }
                memcpy(buf[slot], &ph, sizeof(ph));
                len = need;
                tag = TAG_PROBE_RESULT;
            }
            if (MPI_Isend(buf[slot], (int)len, MPI_BYTE, 0, tag, comm, &send_req[slot]) != MPI_SUCCESS)
                SYM_FAIL(SYM_EMPI, "rank %d: could not send a result", rank);
            slot ^= 1;
        }
        MPI_Wait(&work_req, MPI_STATUS_IGNORE);
        tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
cleanup:
    MPI_Waitall(2, send_req, MPI_STATUSES_IGNORE);
    sym_run_result_dispose(&r);
    free(buf[0]);
    free(buf[1]);
    free(cur);
    free(nxt);
    return rc;
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

/* the task timeout in force: the user's, or 10x the longest silence seen, at least 600 s */
static double task_timeout(const coord *c, const sym_sweep_opts *o)
{
    if (o->task_timeout >= 0)
        return o->task_timeout;
    return 10 * c->longest_silence > 600 ? 10 * c->longest_silence : 600;
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
    size_t mb = team_members_bytes(T), len;

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

/* a trained run: record it, or hold it and queue its probe pieces */
static int on_train_result(coord *c, const sym_run_result *r)
{
    int D = sym_job_n_pieces(c->job), team = sym_job_has_team(c->job), rc = 0;
    pending_run *pr = NULL;

    if (D + team == 0 || !r->params || r->status == SYM_RUN_FAILED)
        return record(c->out, c->p, r);
    SYM_TRY(sym_alloc(&pr, sizeof(*pr)));
    pr->r = *r;
    pr->r.params = pr->r.initial = pr->r.curve = pr->r.probe = pr->r.measures = NULL;
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
            rc = record(c->out, c->p, &pr->r);
        sym_run_result_dispose(&pr->r);
        free(pr);
        c->pending[h.run] = NULL;
        c->n_pending--;
    }
    return rc;
}

/* rank 0 with workers: hand out tasks, buffer results, checkpoint */
static int coordinator(MPI_Comm comm, const sym_job *job, sym_output *out, const sym_sweep_opts *o,
                       progress *p, const int *to_run, int n_to_run, int size, int *abandoned)
{
    coord c;
    int active = size - 1, rc = 0;
    double last_ckpt = sym_now(), stop_time = 0;
    char *buf = NULL;
    size_t cap = 0;
    long ns = 20000;
    int n = sym_job_n_runs(job);

    memset(&c, 0, sizeof(c));
    c.comm = comm;
    c.job = job;
    c.out = out;
    c.p = p;
    c.to_run = to_run;
    c.n_to_run = n_to_run;
    c.size = size;
    c.wcap = work_capacity(job);
    SYM_TRY(sym_alloc(&c.wbuf, c.wcap));
    SYM_TRY(sym_alloc(&c.pending, sizeof(pending_run *) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&c.waiting, sizeof(int) * (size_t)size));
    SYM_TRY(sym_alloc(&c.forming, sizeof(int) * (size_t)size));
    SYM_TRY(sym_alloc(&c.teamq, sizeof(int) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&c.ws, sizeof(worker_state) * (size_t)size));
    /* a worker told to stop may still be sending its current task's results */
    while (active > 0 || c.outstanding > 0) {
        MPI_Status ms;
        int count = 0, hung;
        double tb;

        if (stop_requested && !c.stop_reason)
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
        if ((hung = silent_worker(&c, task_timeout(&c, o))) > 0) {
            /* a hung worker never answers: checkpoint what came back, then stop */
            const worker_state *w = &c.ws[hung];

            fprintf(stderr, "%ssymsweep: rank %d has held %d run%s for %.0f s without a word "
                    "(--task-timeout %.0f s); runs:", p->tty ? "\r\n" : "", hung, w->n_held,
                    w->n_held == 1 ? "" : "s", sym_now() - w->last_heard, task_timeout(&c, o));
            for (int k = 0; k < w->n_held && k < 20; k++)
                fprintf(stderr, " %d", w->held[k]);
            fprintf(stderr, "%s; they stay pending\n", w->n_held > 20 ? " ..." : "");
            *abandoned = c.outstanding;
            c.stopping = 1;
            break;
        }
        if (rc == 0)
            rc = maybe_checkpoint(out, o, &last_ckpt, p); /* counted in write_time */
        progress_line(p, 0);
        if (!poll_message(comm, &ms, &ns))
            continue;
        tb = sym_now();
        if (ms.MPI_TAG == TAG_REQUEST) {
            MPI_Recv(NULL, 0, MPI_INT, ms.MPI_SOURCE, TAG_REQUEST, comm, MPI_STATUS_IGNORE);
            heard(&c, ms.MPI_SOURCE, -1);
            assign(&c, ms.MPI_SOURCE, &active, rc);
        } else if (ms.MPI_TAG == TAG_RESULT || ms.MPI_TAG == TAG_PROBE_RESULT) {
            MPI_Get_count(&ms, MPI_BYTE, &count);
            if ((size_t)count > cap) {
                char *nb = realloc(buf, (size_t)count);

                if (!nb) {
                    rc = sym_err_set(SYM_ENOMEM, __FILE__, __LINE__,
                                     "out of memory receiving a result of %d bytes", count);
                    break;
                }
                buf = nb;
                cap = (size_t)count;
            }
            MPI_Recv(buf, count, MPI_BYTE, ms.MPI_SOURCE, ms.MPI_TAG, comm, MPI_STATUS_IGNORE);
            c.outstanding--;
            {
                int32_t run;

                memcpy(&run, buf, sizeof(run)); /* both headers start with the run index */
                heard(&c, ms.MPI_SOURCE, run);
            }
            if (rc == 0 && ms.MPI_TAG == TAG_RESULT) {
                sym_run_result r;

                unpack(&r, buf);
                if (r.status != SYM_RUN_PENDING)
                    rc = on_train_result(&c, &r);
                else if (!c.stop_reason) /* a worker stopped by a signal hands its runs back */
                    c.stop_reason = "a worker was stopped by a signal and handed its runs back";
            } else if (rc == 0) {
                rc = on_probe_result(&c, buf);
            }
            if (rc < 0)
                sym_err_frame(__FILE__, __LINE__, "handling a result");
            p->st->messages++;
            serve_waiting(&c, &active, rc);
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

int sym_sweep_run(sym_sweep_stats *st, MPI_Comm comm, const sym_job *job, const sym_sweep_opts *o)
{
    sym_output *out = NULL;
    sym_output_info info = {0};
    sym_run_result r = {0};
    progress p;
    char *hosts = NULL;
    int *to_run = NULL, n_to_run = 0, abandoned = 0;
    double last_write_time = 0;
    char shard[64] = "";
    int progress_ok = 0;
    int rc = 0, rank, size, n = sym_job_n_runs(job), shared[2];
    double t0 = sym_now();

    memset(st, 0, sizeof(*st));
    st->n_runs = n;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    SYM_TRY(gather_hosts(&hosts, comm));
    st->shared_error = 1; /* until the sweep starts, errors are the same on every rank */
    if (job->team_size > (size == 1 ? 1 : size - 1))
        /* every rank knows the job and the size: all stop here, before the output file */
        SYM_FAIL(SYM_EJOB,
                 "%s: the team probes need teams of %d ranks but the sweep has %d worker%s%s: "
                 "run with mpirun -np %d or more, or set probes.hessian.team / "
                 "probes.symmetry_discovery.team to at most %d",
                 job->path, job->team_size, size == 1 ? 1 : size - 1, size <= 2 ? "" : "s",
                 size == 1 ? " (one process computes alone)" : "", job->team_size + 1,
                 size == 1 ? 1 : size - 1);
    if (o->shard_count > 1)
        snprintf(shard, sizeof(shard), "%d/%d", o->shard_index, o->shard_count);
    if (rank == 0) {
        info.mpi_size = size;
        info.hosts = hosts;
        info.shard = shard;
        if (!o->no_space_check)
            rc = sym_plan_check(job, o->out_path, !o->resume);
        if (rc < 0) {
            /* refused before anything is made */
        } else if (o->resume) {
            rc = sym_output_resume(&out, &to_run, &n_to_run, o->out_path, job, shard);
        } else {
            rc = sym_output_create(&out, o->out_path, job, o->force, &info);
            if (rc == 0 && (rc = sym_alloc(&to_run, sizeof(int) * (size_t)(n + 1))) == 0)
                for (int i = 0; i < n; i++)
                    to_run[n_to_run++] = i;
        }
        /* a shard computes the runs i with i % count == index: round robin,
         * so every shard gets its share of every configuration */
        if (rc == 0 && o->shard_count > 1) {
            int k = 0;

            for (int j = 0; j < n_to_run; j++)
                if (to_run[j] % o->shard_count == o->shard_index)
                    to_run[k++] = to_run[j];
            n_to_run = k;
        }
    }
    /* every rank learns whether the file could be made, so all stop together */
    shared[0] = rc;
    shared[1] = sym_err_code();
    MPI_Bcast(shared, 2, MPI_INT, 0, comm);
    if (shared[0] < 0) {
        if (rank != 0)
            rc = sym_err_set(shared[1], __FILE__, __LINE__, "rank 0 could not open the output file");
        goto cleanup;
    }
    st->shared_error = 0;
    st->n_to_run = n_to_run;
    memset(&p, 0, sizeof(p));
    p.job = job;
    p.o = o;
    p.st = st;
    p.total = n_to_run;
    p.tty = isatty(STDERR_FILENO);
    p.t0 = p.last = sym_now();
    if (size == 1) {
        /* one process is coordinator and worker: no messages */
        double last_ckpt = sym_now();

        for (int k = 0; k < n_to_run; k++) {
            if (stop_requested) {
                st->interrupted = 1;
                break;
            }
            compute(&r, job, to_run[k], rank);
            if (sym_job_has_team(job) && r.params && r.status != SYM_RUN_FAILED &&
                sym_team_task(r.measures + job->measure.team, job, r.index, r.params, MPI_COMM_SELF) < 0) {
                r.status = SYM_RUN_FAILED;
                snprintf(r.error, sizeof(r.error), "team probes (1 rank): %s", sym_err_message());
            }
            if (sym_job_n_pieces(job) > 0 && r.params && r.status != SYM_RUN_FAILED) {
                size_t S = sym_job_piece_size(job);

                SYM_TRY(sym_alloc_doubles(&r.probe, sym_job_probe_size(job)));
                for (int d = 0; d < sym_job_n_pieces(job); d++) {
                    probe_header ph;

                    compute_piece(&ph, r.probe + (size_t)d * S, job, r.index, d, r.params);
                    if (ph.status == SYM_RUN_FAILED) {
                        r.status = SYM_RUN_FAILED;
                        snprintf(r.error, sizeof(r.error), "%s", ph.error);
                        break;
                    }
                }
            }
            SYM_TRY(record(out, &p, &r));
            sym_run_result_dispose(&r);
            SYM_TRY(maybe_checkpoint(out, o, &last_ckpt, &p));
        }
    } else if (rank == 0) {
        SYM_TRY(coordinator(comm, job, out, o, &p, to_run, n_to_run, size, &abandoned));
    } else {
        SYM_TRY(worker(comm, job, rank));
    }
    if (rank == 0) {
        if (!st->interrupted && !abandoned && p.received != n_to_run) {
            /* never call a sweep finished that is not: whatever the cause, the
             * runs not recorded stay pending and a resume computes them */
            st->interrupted = 1;
            fprintf(stderr, "symsweep: %d of %d runs came back uncomputed; they stay pending\n",
                    n_to_run - p.received, n_to_run);
        }
        progress_line(&p, 1);
        last_write_time = sym_output_write_time(out);
    }
    progress_ok = rank == 0;
    st->wall_time = sym_now() - t0;
cleanup:
    sym_run_result_dispose(&r);
    if (out) {
        double tc = sym_now();
        /* 'finished' only when every run came back: never after an abandonment */
        int rc2 = sym_output_close(out, rc == 0 && !st->interrupted && !abandoned);

        /* output_close frees out: read its write time before */
        st->write_time = last_write_time + (sym_now() - tc);
        st->wall_time = sym_now() - t0;
        if (rc == 0)
            rc = rc2;
    }
    if (progress_ok)
        write_progress_file(&p, rc < 0 ? "failed" : (st->interrupted || abandoned) ? "interrupted" : "finished");
    if (abandoned && rc == 0) {
        /* runs still in flight after the grace period: they stay pending */
        st->interrupted = 1;
        rc = sym_err_set(SYM_EINTR_ABANDON, __FILE__, __LINE__,
                         "stopped with %d task%s in flight that did not come back; their runs "
                         "stay pending", abandoned, abandoned == 1 ? "" : "s");
    }
    free(to_run);
    free(hosts);
    return rc;
}
