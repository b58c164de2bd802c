/* The sweep driver: every run of a job into one output file. */
#include "symsweep/sweep.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *status_name(int s)
{
    static const char *n[] = {"pending", "done", "diverged", "failed"};

    return s >= 0 && s <= 3 ? n[s] : "?";
}

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

enum { TAG_REQUEST = 101, TAG_WORK = 102, TAG_RESULT = 103 };
#define MAX_CHUNK 64

/* A packed result: this header, then params[n_params], initial[n_params],
 * curve[n_curve].  Every rank runs the same binary, so raw bytes suffice. */
typedef struct wire_header {
    int32_t index, status, rank, epochs_done, n_curve, has_params;
    int64_t n_params;
    double wall_time, data, penalty, total;
    char error[512];
} wire_header;

static size_t wire_size(int64_t np, int n_curve, int has_params)
{
    return sizeof(wire_header) + sizeof(double) * ((has_params ? 2 * (size_t)np : 0) + (size_t)n_curve);
}

static int pack(char **buf, size_t *cap, size_t *len, const sym_run_result *r)
{
    int64_t np = (int64_t)r->n_params;
    wire_header h;
    int has = r->params != NULL, rc = 0;
    size_t need = wire_size(np, has ? r->n_curve : 0, has);
    char *p;

    memset(&h, 0, sizeof(h));
    h.index = r->index;
    h.status = r->status;
    h.rank = r->rank;
    h.epochs_done = r->epochs_done;
    h.n_curve = has ? r->n_curve : 0;
    h.has_params = has;
    h.n_params = np;
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
    }
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
    }
}

static void report(const sym_job *job, const sym_run_result *r, int k, int n, int quiet)
{
    int i = r->index;
    uint64_t seed;

    if (quiet)
        return;
    sym_job_run_config(job, i, &seed);
    if (r->status == SYM_RUN_FAILED)
        fprintf(stderr, "[%d/%d] run %d (seed %llu, rank %d): failed: %s\n", k, n, i,
                (unsigned long long)seed, r->rank, r->error);
    else
        fprintf(stderr, "[%d/%d] run %d (seed %llu, rank %d): %s, loss %.6g after %d epochs, %.3f s\n",
                k, n, i, (unsigned long long)seed, r->rank, status_name(r->status),
                r->final.total, r->epochs_done, r->wall_time);
}

static void tally(sym_sweep_stats *st, const sym_run_result *r)
{
    st->done += r->status == SYM_RUN_DONE;
    st->diverged += r->status == SYM_RUN_DIVERGED;
    st->failed += r->status == SYM_RUN_FAILED;
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

static int worker(MPI_Comm comm, const sym_job *job, int rank)
{
    int work[MAX_CHUNK + 1], rc = 0;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    sym_run_result r = {0};

    for (;;) {
        if (MPI_Send(NULL, 0, MPI_INT, 0, TAG_REQUEST, comm) != MPI_SUCCESS ||
            MPI_Recv(work, MAX_CHUNK + 1, MPI_INT, 0, TAG_WORK, comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            SYM_FAIL(SYM_EMPI, "rank %d: lost contact with the coordinator", rank);
        if (work[0] == 0)
            break;
        for (int k = 1; k <= work[0]; k++) {
            compute(&r, job, work[k], rank);
            SYM_TRY(pack(&buf, &cap, &len, &r));
            sym_run_result_dispose(&r);
            if (MPI_Send(buf, (int)len, MPI_BYTE, 0, TAG_RESULT, comm) != MPI_SUCCESS)
                SYM_FAIL(SYM_EMPI, "rank %d: could not send the result of run %d", rank, work[k]);
        }
    }
cleanup:
    sym_run_result_dispose(&r);
    free(buf);
    return rc;
}

/*
 * A blocking MPI_Probe busy-polls and would take a whole core from the
 * workers sharing rank 0's node.  Poll instead, sleeping between polls with
 * an exponential backoff from 20 us to 1 ms: idle, the coordinator costs
 * ~nothing; busy, it answers within microseconds.
 */
static void wait_message(MPI_Comm comm, MPI_Status *ms)
{
    long ns = 20000;

    for (;;) {
        int flag = 0;
        struct timespec ts;

        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, ms);
        if (flag)
            return;
        ts.tv_sec = 0;
        ts.tv_nsec = ns;
        nanosleep(&ts, NULL);
        ns = ns < 500000 ? 2 * ns : 1000000;
    }
}

/* rank 0 with workers: hand out chunks, write results as they come */
static int coordinator(sym_sweep_stats *st, MPI_Comm comm, const sym_job *job, sym_output *out,
                       const sym_sweep_opts *o, int size)
{
    int n = sym_job_n_runs(job), next = 0, active = size - 1, received = 0, rc = 0;
    char *buf = NULL;
    size_t cap = 0;

    while (active > 0) {
        MPI_Status ms;
        int count = 0;

        wait_message(comm, &ms);
        if (ms.MPI_TAG == TAG_REQUEST) {
            int work[MAX_CHUNK + 1];

            MPI_Recv(NULL, 0, MPI_INT, ms.MPI_SOURCE, TAG_REQUEST, comm, MPI_STATUS_IGNORE);
            /* after a write error, hand out nothing more: everyone stops */
            work[0] = rc < 0 || next >= n ? 0 : chunk_size(n - next, size - 1);
            for (int k = 1; k <= work[0]; k++)
                work[k] = next++;
            MPI_Send(work, work[0] + 1, MPI_INT, ms.MPI_SOURCE, TAG_WORK, comm);
            if (work[0] == 0)
                active--;
        } else if (ms.MPI_TAG == TAG_RESULT) {
            sym_run_result r;

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
            MPI_Recv(buf, count, MPI_BYTE, ms.MPI_SOURCE, TAG_RESULT, comm, MPI_STATUS_IGNORE);
            if (rc < 0)
                continue; /* draining after a write error */
            unpack(&r, buf);
            received++;
            rc = sym_output_write_run(out, &r);
            if (rc < 0) {
                sym_err_frame(__FILE__, __LINE__, "writing a result");
                continue;
            }
            tally(st, &r);
            report(job, &r, received, n, o->quiet);
        } else {
            rc = sym_err_set(SYM_EMPI, __FILE__, __LINE__,
                             "unexpected message tag %d from rank %d", ms.MPI_TAG, ms.MPI_SOURCE);
            break;
        }
    }
    free(buf);
    return rc;
}

int sym_sweep_run(sym_sweep_stats *st, MPI_Comm comm, const sym_job *job, const sym_sweep_opts *o)
{
    sym_output *out = NULL;
    sym_output_info info = {0};
    sym_run_result r = {0};
    char *hosts = NULL;
    int rc = 0, rank, size, n = sym_job_n_runs(job), shared_rc;
    double t0 = sym_now();

    memset(st, 0, sizeof(*st));
    st->n_runs = n;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    SYM_TRY(gather_hosts(&hosts, comm));
    if (rank == 0) {
        info.mpi_size = size;
        info.hosts = hosts;
        rc = sym_output_create(&out, o->out_path, job, o->force, &info);
    }
    /* every rank learns whether the file could be made, so all stop together */
    shared_rc = rc;
    MPI_Bcast(&shared_rc, 1, MPI_INT, 0, comm);
    if (shared_rc < 0) {
        if (rank != 0)
            rc = sym_err_set(shared_rc, __FILE__, __LINE__, "rank 0 could not create the output file");
        goto cleanup;
    }
    if (size == 1) {
        /* one process is coordinator and worker: no messages */
        for (int i = 0; i < n; i++) {
            compute(&r, job, i, rank);
            SYM_TRY(sym_output_write_run(out, &r));
            tally(st, &r);
            report(job, &r, i + 1, n, o->quiet);
            sym_run_result_dispose(&r);
        }
    } else if (rank == 0) {
        SYM_TRY(coordinator(st, comm, job, out, o, size));
    } else {
        SYM_TRY(worker(comm, job, rank));
    }
    st->wall_time = sym_now() - t0;
cleanup:
    sym_run_result_dispose(&r);
    if (out) {
        int rc2 = sym_output_close(out, rc == 0);

        if (rc == 0)
            rc = rc2;
    }
    free(hosts);
    return rc;
}
