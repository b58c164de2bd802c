/* The sweep driver: every run of a job into one output file. */
#include "symsweep/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (rank == 0) {
        for (int i = 0; i < n; i++) {
            SYM_TRY(sym_run_execute(&r, job, i));
            r.rank = rank;
            SYM_TRY(sym_output_write_run(out, &r));
            st->done += r.status == SYM_RUN_DONE;
            st->diverged += r.status == SYM_RUN_DIVERGED;
            st->failed += r.status == SYM_RUN_FAILED;
            if (!o->quiet) {
                if (r.status == SYM_RUN_FAILED)
                    fprintf(stderr, "[%d/%d] run %d (seed %llu): failed: %s\n", i + 1, n, i,
                            (unsigned long long)job->seeds[i], r.error);
                else
                    fprintf(stderr, "[%d/%d] run %d (seed %llu): %s, loss %.6g after %d epochs, %.3f s\n",
                            i + 1, n, i, (unsigned long long)job->seeds[i], status_name(r.status),
                            r.final.total, r.epochs_done, r.wall_time);
            }
            sym_run_result_dispose(&r);
        }
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
