/* The sweep driver: every run of a job into one output file. */
#include "sweep_impl.h"
#include "symsweep/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

/* ---- stop requests (SIGTERM / SIGUSR1) ---- */

static volatile sig_atomic_t stop_requested;

int sym_sweep_stop_requested(void) { return stop_requested != 0; }

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

/* stderr is not a terminal but the MPI launcher's is: the ranks' output goes through it */
static int launcher_on_terminal(void)
{
    pid_t pid = getppid();

    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_RANK") && !getenv("PMIX_RANK") &&
        !getenv("PMI_SIZE"))
        return 0;
    /* up through the processes that forward output by pipes (mpirun, or hydra_pmi_proxy then
     * mpiexec) to the first whose stderr is not a pipe: the launcher's own */
    for (int k = 0; k < 4 && pid > 1; k++) {
        char path[64], target[256], stat[512];
        ssize_t n;
        FILE *f;
        int ppid = 0;

        snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)pid);
        n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
            return 0;
        target[n] = '\0';
        if (strncmp(target, "pipe:", 5) != 0)
            return strncmp(target, "/dev/pts/", 9) == 0 || strncmp(target, "/dev/tty", 8) == 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "r");
        if (!f)
            return 0;
        /* "pid (comm) state ppid ...": comm may hold spaces, so after the last ')' */
        if (fgets(stat, sizeof(stat), f)) {
            char *q = strrchr(stat, ')');

            if (q)
                sscanf(q + 1, " %*c %d", &ppid);
        }
        fclose(f);
        pid = (pid_t)ppid;
    }
    return 0;
}

void sym_progress_open(progress *p)
{
    p->fp = stderr;
    p->show = !p->o->quiet && p->o->progress != SYM_PROGRESS_NONE;
    p->tty = isatty(STDERR_FILENO);
    if (p->o->progress == SYM_PROGRESS_BAR) {
        p->tty = 1;
    } else if (p->o->progress == SYM_PROGRESS_LINES) {
        p->tty = 0;
    } else if (p->o->progress == SYM_PROGRESS_AUTO && !p->tty && p->show && launcher_on_terminal()) {
        /* the terminal itself when the launcher shares it (Open MPI), else through stderr */
        FILE *t = fopen("/dev/tty", "w");

        if (t)
            p->fp = t;
        p->tty = 1;
    }
}

void sym_progress_close(progress *p)
{
    if (p->fp && p->fp != stderr)
        fclose(p->fp);
    p->fp = stderr;
}

void sym_progress_line(progress *p, int final)
{
    double now = sym_now(), el = now - p->t0, rate = el > 0 ? p->received / el : 0.0;
    double eta = rate > 0 ? (p->total - p->received) / rate : 0.0;
    /* runs in flight count with the fraction of their epochs done */
    double got = fmin(p->received + (final ? 0.0 : p->inflight), (double)p->total);
    int pct10 = p->total ? (int)(1000.0 * got / p->total) : 1000;

    if (!p->show)
        return;
    if (!final && now - p->last < (p->tty ? 0.2 : p->o->progress_every))
        return;
    p->last = now;
    if (got > 0 && el > 0) /* the runs in flight count: long runs get an ETA before any is back */
        eta = (p->total - got) / (got / el);
    fprintf(p->fp, "%s[%d/%d] %d.%d%%  %.1f runs/s  ETA %d:%02d:%02d  diverged %d  failed %d%s",
            p->tty ? "\r" : "", p->received, p->total, pct10 / 10, pct10 % 10, rate,
            (int)(eta / 3600), (int)(eta / 60) % 60, (int)eta % 60, p->st->diverged,
            p->st->failed, p->tty && !final ? "   " : "\n");
    fflush(p->fp);
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

/* one process: the run in flight moves the line itself */
static void local_progress(void *ctx, int index, int epoch, int epochs)
{
    progress *p = ctx;

    (void)index;
    p->inflight = epochs > 0 ? (double)epoch / epochs : 0.0;
    sym_progress_line(p, 0);
}

int sym_progress_record(sym_output *out, progress *p, sym_run_result *r)
{
    int status = r->status, rc = 0;

    if (status == SYM_RUN_FAILED)
        progress_failed(p, r);
    rc = r->block ? sym_output_add_moved(out, r) : sym_output_add(out, r);
    p->received++;
    p->st->done += status == SYM_RUN_DONE;
    p->st->diverged += status == SYM_RUN_DIVERGED;
    p->st->failed += status == SYM_RUN_FAILED;
    sym_progress_line(p, 0);
    return rc;
}

/*
 * OUT.h5.progress: a few "key=value" lines for `symsweep status`, rewritten
 * (write, then rename) after every checkpoint.  Counts live in the HDF5 file;
 * this adds what the file cannot say: how fast, and how long still.
 *
 * Every record is padded to PROGRESS_BYTES, so that when the disk is full (a new file cannot
 * be written) the record is rewritten in place, in blocks the file already has: the final
 * state (interrupted, finished) still reaches `status` and the sbatch script, which requeues
 * on state=interrupted.  A record that cannot be written either way is said on stderr once.
 */
#define PROGRESS_BYTES 1024

/* The launcher (mpirun, its daemon, mpiexec's proxy, slurmstepd) that started rank 0, when
 * the sweep has several ranks: when it is gone, rank 0 is being torn down (a worker was killed
 * and mpirun ended the job), even if it still lives for a moment, and `status` says so instead
 * of "running" with an ETA.  One process (alone, or a singleton MPI process) may have a shell
 * for a parent, which may go away while the sweep goes on: then 0 (none recorded). */
static long launcher_pid(int size)
{
    return size > 1 ? (long)getppid() : 0;
}

void sym_progress_write(const progress *p, const char *state)
{
    static int warned;
    char path[1200], tmp[1210], host[256] = "", buf[PROGRESS_BYTES];
    double now = sym_now(), el = now - p->t0, rate = el > 0 ? p->received / el : 0.0;
    int len, fd, ok = 0, err = 0;

    gethostname(host, sizeof(host) - 1);
    snprintf(path, sizeof(path), "%s.progress", p->o->out_path);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    /* who writes (pid, host), so that `status` can tell a live sweep from a dead one */
    len = snprintf(buf, sizeof(buf), "state=%s\nupdated=%lld\nsession_runs=%d\nsession_done=%d\n"
                   "rate=%.6g\neta_s=%.0f\npid=%ld\nlauncher=%ld\nhost=%s\ncheckpoint_every=%.6g\n#",
                   state, (long long)time(NULL), p->total, p->received, rate,
                   rate > 0 ? (p->total - p->received) / rate : -1.0, (long)getpid(),
                   p->launcher, host, p->o->checkpoint_every);
    if (len < 0 || len >= PROGRESS_BYTES - 1)
        len = PROGRESS_BYTES - 2;
    memset(buf + len, ' ', (size_t)(PROGRESS_BYTES - 1 - len));
    buf[PROGRESS_BYTES - 1] = '\n';
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ok = write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
        err = ok ? 0 : errno;
        ok = (close(fd) == 0) && ok && rename(tmp, path) == 0;
        if (!ok && !err)
            err = errno;
        if (!ok)
            remove(tmp); /* leave no debris */
    } else {
        err = errno;
    }
    if (!ok) {
        /* a full disk: overwrite the record in place (an earlier record of this size holds
         * the blocks) */
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ok = pwrite(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf);
            ok = (close(fd) == 0) && ok;
        }
    }
    if (!ok && !warned) {
        warned = 1; /* progress is a courtesy: never fail a sweep for it, but say so */
        fprintf(stderr, "symsweep: %s: cannot update the progress record (%s): symsweep status "
                "and the sbatch script's requeue may see the sweep's state wrong\n", path,
                strerror(err ? err : errno));
    }
}

/* checkpoint when the interval has passed or the buffer holds a lot */
int sym_progress_checkpoint(sym_output *out, const sym_sweep_opts *o, double *last, const progress *p)
{
    int rc = 0;

    if (sym_now() - *last >= o->checkpoint_every ||
        sym_output_buffered_bytes(out) > ((size_t)256 << 20)) {
        rc = sym_output_checkpoint(out);
        *last = sym_now();
        sym_progress_write(p, "running");
    }
    return rc;
}

/* a team larger than the workers cannot form: refused with the settings to change */
static int check_team_fits(const sym_job *job, int size)
{
    char which[512] = "";
    int rc = 0;

    if (job->team_size <= (size == 1 ? 1 : size - 1))
        return 0;
    for (int i = 0; i < job->n_probes; i++)
        if (job->probes[i].def->team)
            snprintf(which + strlen(which), sizeof(which) - strlen(which), "%sprobes.%s.team",
                     which[0] ? " / " : "", job->probes[i].def->name);
    SYM_FAIL(SYM_EJOB,
             "%s: the team probes need teams of %d ranks but the sweep has %d worker%s%s: "
             "run with mpirun -np %d or more, or set %s to at most %d",
             job->path, job->team_size, size == 1 ? 1 : size - 1, size <= 2 ? "" : "s",
             size == 1 ? " (one process computes alone)" : "", job->team_size + 1, which,
             size == 1 ? 1 : size - 1);
cleanup:
    return rc;
}

/* rank 0: the output file, new or resumed, and the runs it still needs */
static int open_output(sym_output **out, int **to_run, int *n_to_run, const sym_job *job,
                       const sym_sweep_opts *o, const sym_output_info *info)
{
    int rc = 0, n = sym_job_n_runs(job);

    /* an output that is an input (--force or --resume would write it) */
    rc = sym_plan_check_output(job, o->out_path);
    if (rc == 0 && !o->no_space_check)
        rc = sym_plan_check(job, o->out_path, !o->resume);
    if (rc < 0) {
        /* refused before anything is made */
    } else if (o->resume) {
        rc = sym_output_resume(out, to_run, n_to_run, o->out_path, job, info->shard);
    } else {
        rc = sym_output_create(out, o->out_path, job, o->force, info);
        if (rc == 0 && (rc = sym_alloc(to_run, sizeof(int) * (size_t)(n + 1))) == 0)
            for (int i = 0; i < n; i++)
                (*to_run)[(*n_to_run)++] = i;
    }
    /* a shard computes the runs i with i % count == index: round robin,
     * so every shard gets its share of every configuration */
    if (rc == 0 && o->shard_count > 1) {
        int k = 0;

        for (int j = 0; j < *n_to_run; j++)
            if ((*to_run)[j] % o->shard_count == o->shard_index)
                (*to_run)[k++] = (*to_run)[j];
        *n_to_run = k;
    }
    return rc;
}

/* the progress of a sweep of total runs over size ranks, from now */
static void progress_start(progress *p, const sym_job *job, const sym_sweep_opts *o,
                           sym_sweep_stats *st, int size, int total)
{
    memset(p, 0, sizeof(*p));
    p->job = job;
    p->o = o;
    p->st = st;
    p->launcher = launcher_pid(size);
    p->total = total;
    p->t0 = p->last = sym_now();
}

/* one process is coordinator and worker: every run in turn, no messages */
static int run_alone(sym_output *out, const sym_job *job, const sym_sweep_opts *o, progress *p,
                     const int *to_run, int n_to_run)
{
    sym_run_result r = {0};
    double last_ckpt = sym_now();
    int rc = 0;

    sym_run_set_progress(local_progress, p);
    for (int k = 0; k < n_to_run; k++) {
        if (sym_sweep_stop_requested()) {
            p->st->interrupted = 1;
            break;
        }
        SYM_TRY(sym_worker_whole_run(&r, job, to_run[k], 0));
        p->inflight = 0.0;
        SYM_TRY(sym_progress_record(out, p, &r));
        sym_run_result_dispose(&r);
        SYM_TRY(sym_progress_checkpoint(out, o, &last_ckpt, p));
    }
cleanup:
    sym_run_result_dispose(&r);
    return rc;
}

int sym_sweep_run(sym_sweep_stats *st, MPI_Comm comm, const sym_job *job, const sym_sweep_opts *o)
{
    sym_output *out = NULL;
    sym_output_info info = {0};
    progress p = {0};
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
    /* every rank knows the job and the size: all stop here, before the output file */
    SYM_TRY(check_team_fits(job, size));
    if (o->shard_count > 1)
        snprintf(shard, sizeof(shard), "%d/%d", o->shard_index, o->shard_count);
    if (rank == 0) {
        info.mpi_size = size;
        info.hosts = hosts;
        info.shard = shard;
        rc = open_output(&out, &to_run, &n_to_run, job, o, &info);
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
    progress_start(&p, job, o, st, size, n_to_run);
    if (rank == 0)
        sym_progress_open(&p);
    if (size == 1) {
        SYM_TRY(run_alone(out, job, o, &p, to_run, n_to_run));
    } else if (rank == 0) {
        SYM_TRY(sym_coordinator_loop(comm, job, out, o, &p, to_run, n_to_run, size, &abandoned));
    } else {
        SYM_TRY(sym_worker_loop(comm, job, rank));
    }
    if (rank == 0) {
        if (!st->interrupted && !abandoned && p.received != n_to_run) {
            /* never call a sweep finished that is not: whatever the cause, the
             * runs not recorded stay pending and a resume computes them */
            st->interrupted = 1;
            fprintf(stderr, "symsweep: %d of %d runs came back uncomputed; they stay pending\n",
                    n_to_run - p.received, n_to_run);
        }
        sym_progress_line(&p, 1);
        last_write_time = sym_output_write_time(out);
    }
    progress_ok = rank == 0;
    st->wall_time = sym_now() - t0;
cleanup:
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
        sym_progress_write(&p, rc < 0 ? "failed" : (st->interrupted || abandoned) ? "interrupted" : "finished");
    sym_run_set_progress(NULL, NULL);
    sym_progress_close(&p);
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
