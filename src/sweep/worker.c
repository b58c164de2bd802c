/* A worker: ask for tasks, compute runs, probe pieces and team tasks, send results back. */
#include "sweep_impl.h"
#include "symsweep/team.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* compute run i on this rank; an error that is not the run's own becomes a failed run */
void sym_worker_compute(sym_run_result *r, const sym_job *job, int i, int rank)
{
    if (sym_run_execute(r, job, i) < 0) {
        sym_run_result_dispose(r);
        r->index = i;
        r->status = SYM_RUN_FAILED;
        snprintf(r->error, sizeof(r->error), "%s", sym_err_message());
    }
    r->rank = rank;
}

/* a probe piece on this rank: its values, or a failure with the message */
void sym_worker_piece(probe_header *h, double *vals, const sym_job *job, int run, int piece,
                          const double *params)
{
    memset(h, 0, sizeof(*h));
    h->run = run;
    h->piece = piece;
    h->n = (int)sym_job_piece_size(job);
    h->status = SYM_RUN_DONE;
    if (sym_probe_piece(vals, job, run, piece, params) < 0) {
        int local = 0;
        const sym_job_probe *p = sym_job_piece_probe(job, piece, &local);

        h->status = SYM_RUN_FAILED;
        snprintf(h->error, sizeof(h->error), "probe %s, %s %d: %s", p->def->name,
                 p->def->piece_noun ? p->def->piece_noun : "piece", local, sym_err_message());
    }
}

int sym_worker_whole_run(sym_run_result *r, const sym_job *job, int index, int rank)
{
    int rc = 0;

    sym_worker_compute(r, job, index, rank);
    if (sym_job_has_team(job) && r->params && r->status != SYM_RUN_FAILED &&
        sym_team_task(r->measures + job->measure.team, job, r->index, r->params, MPI_COMM_SELF) < 0) {
        r->status = SYM_RUN_FAILED;
        snprintf(r->error, sizeof(r->error), "team probes (1 rank): %s", sym_err_message());
    }
    if (sym_job_n_pieces(job) > 0 && r->params && r->status != SYM_RUN_FAILED) {
        size_t S = sym_job_piece_size(job);

        SYM_TRY(sym_alloc_doubles(&r->probe, sym_job_probe_size(job)));
        for (int d = 0; d < sym_job_n_pieces(job); d++) {
            probe_header ph;

            sym_worker_piece(&ph, r->probe + (size_t)d * S, job, r->index, d, r->params);
            if (ph.status == SYM_RUN_FAILED) {
                r->status = SYM_RUN_FAILED;
                snprintf(r->error, sizeof(r->error), "%s", ph.error);
                break;
            }
        }
    }
cleanup:
    return rc;
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
    int rc = 0, trank = 0, stop = sym_sweep_stop_requested(), any = 0;
    size_t need = sizeof(probe_header) + sizeof(double) * job->measure.team_len;
    probe_header ph;

    memcpy(&h, msg, sizeof(h));
    SYM_ASSERT(h.count >= 1 && h.count <= 4096);
    memcpy(members, msg + sizeof(h), sizeof(int32_t) * (size_t)h.count);
    SYM_TRY(sym_alloc_doubles(&params, (size_t)h.n_params));
    memcpy(params, msg + sizeof(h) + sym_wire_team_bytes(h.count), sizeof(double) * (size_t)h.n_params);
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

/* a worker's runs in flight, told to the coordinator for its progress line: at most once a
 * second, never waiting (a message still in flight skips the report) */
typedef struct progress_sender {
    MPI_Comm comm;
    MPI_Request req;
    int32_t msg[3];
    double last;
} progress_sender;

static void send_progress(void *ctx, int index, int epoch, int epochs)
{
    progress_sender *s = ctx;
    double now = sym_now();
    int done = 1;

    if (now - s->last < 1.0)
        return;
    if (s->req != MPI_REQUEST_NULL)
        MPI_Test(&s->req, &done, MPI_STATUS_IGNORE);
    if (!done)
        return;
    s->last = now;
    s->msg[0] = index;
    s->msg[1] = epoch;
    s->msg[2] = epochs;
    MPI_Isend(s->msg, 3, MPI_INT32_T, 0, TAG_PROGRESS, s->comm, &s->req);
}

/*
 * A worker keeps one task message in reserve: it asks for the next as soon
 * as it starts one, so it never waits for the coordinator between tasks; and
 * it sends results without blocking (two buffers alternate), so a large
 * result never holds it until rank 0 posts the receive.
 */
int sym_worker_loop(MPI_Comm comm, const sym_job *job, int rank)
{
    progress_sender ps = {comm, MPI_REQUEST_NULL, {0, 0, 0}, sym_now()};
    size_t wcap = sym_wire_work_capacity(job);
    char *cur = NULL, *nxt = NULL, *tmp;
    int rc = 0, slot = 0;
    char *buf[2] = {NULL, NULL};
    size_t cap[2] = {0, 0}, len = 0;
    MPI_Request send_req[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL}, work_req = MPI_REQUEST_NULL;
    MPI_Status sent[2];
    sym_run_result r = {0};
    work_header h;

    SYM_TRY(sym_alloc(&cur, wcap));
    SYM_TRY(sym_alloc(&nxt, wcap));
    sym_run_set_progress(send_progress, &ps);
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
                if (sym_sweep_stop_requested()) {
                    /* asked to stop: hand the rest of the chunk back untouched */
                    memset(&r, 0, sizeof(r));
                    r.index = idx;
                    r.status = SYM_RUN_PENDING;
                    r.rank = rank;
                } else {
                    sym_worker_compute(&r, job, idx, rank);
                }
                SYM_TRY(sym_wire_pack(&buf[slot], &cap[slot], &len, &r, job->measure.total));
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
                if (sym_sweep_stop_requested()) {
                    memset(&ph, 0, sizeof(ph));
                    ph.run = h.run;
                    ph.piece = h.piece;
                    ph.status = SYM_RUN_PENDING;
                } else {
                    sym_worker_piece(&ph, (double *)(buf[slot] + sizeof(ph)), job, h.run, h.piece,
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
    sym_run_set_progress(NULL, NULL);
    MPI_Waitall(2, send_req, sent); /* (MPICH's MPI_STATUSES_IGNORE trips gcc's bounds check) */
    MPI_Wait(&ps.req, sent);
    sym_run_result_dispose(&r);
    free(buf[0]);
    free(buf[1]);
    free(cur);
    free(nxt);
    return rc;
}
