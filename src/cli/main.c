/* The symsweep command.  Only this file initializes MPI and exits. */
#include "symsweep/io.h"
#include "symsweep/job.h"
#include "symsweep/plan.h"
#include "symsweep/sweep.h"
#include "symsweep/version.h"

#include <cblas.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 75 = EX_TEMPFAIL: stopped by a signal after a checkpoint; resume to finish */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_INPUT = 2, EXIT_REQUEUE = 75 };

static const char usage[] =
    "usage: symsweep <command> [options]\n"
    "\n"
    "Runs neural-network symmetry experiments described by a YAML job file and\n"
    "gathers every result into one HDF5 file.\n"
    "\n"
    "commands:\n"
    "  run JOB.yaml [-o OUT.h5] [--force | --resume] [options]\n"
    "                     train every run of the job and write OUT.h5\n"
    "                     (default: NAME.h5, NAME being the job's name);\n"
    "                     over MPI: mpirun -np N symsweep run ...\n"
    "      -o, --output FILE        output file\n"
    "      --force                  replace an existing output file\n"
    "      --resume                 continue FILE: run only what is not done (the\n"
    "                               file must come from the same job file)\n"
    "      --checkpoint-every SEC   write results to the file this often (60)\n"
    "      --grace SEC              after SIGTERM/SIGUSR1/SIGINT, wait this long for\n"
    "                               runs in flight before the final checkpoint (60)\n"
    "      --task-timeout SEC       a worker holding runs and silent this long is\n"
    "                               taken for hung: checkpoint, exit 75 (default:\n"
    "                               600 or 10x the longest wait seen; 0: never)\n"
    "      --progress-every SEC     progress line interval when stderr is not a\n"
    "                               terminal (30)\n"
    "      -q, --quiet              no progress, no summary\n"
    "      --stats                  rank 0's time in HDF5 and in coordinating\n"
    "      --shard I/N              compute only runs i with i % N == I (I from 0);\n"
    "                               the file has every run's row: combine the\n"
    "                               shards with symsweep merge\n"
    "      --no-space-check         skip the check of free disk space and memory\n"
    "  validate JOB.yaml [-o OUT.h5] [--no-space-check]\n"
    "                     check a job file completely without running it, and\n"
    "                     that its output fits on OUT's file system (default\n"
    "                     NAME.h5) and a run fits in this machine's memory\n"
    "  plan JOB.yaml [--no-calibrate]\n"
    "                     runs, tasks, runs per axis value, output size, memory per\n"
    "                     rank, and core-hours from a short timed calibration run\n"
    "  merge OUT.h5 SHARD.h5... [--force]\n"
    "                     combine the shards of one sweep (run --shard) into one file\n"
    "  status OUT.h5      progress of a sweep, also while it runs: done/total, rate,\n"
    "                     ETA, failures (reads without disturbing the writer)\n"
    "  summary OUT.h5 [--by SETTING,...] [--csv]\n"
    "                     status counts, and per metric the mean, std and 95% CI over\n"
    "                     seeds, grouped by the sweep axes (or by the /grid columns given)\n"
    "  help, --help, -h   this text\n"
    "  --version          version, git revision and HDF5 layout version\n"
    "\n"
    "exit status: 0 success; 1 a runtime failure (I/O, MPI) or failed runs; 2 invalid\n"
    "job file or command line (nothing is run and no output is written); 75 stopped\n"
    "by SIGTERM/SIGUSR1/SIGINT (or a hung worker) after a checkpoint: run again\n"
    "with --resume.\n"
    "Job format, HDF5 layout and examples: README.md and docs/.\n";

/* the exit status of the last error: 2 for bad input, 1 for a runtime failure */
static int error_status(void)
{
    int code = sym_err_code();

    return code == SYM_EJOB || code == SYM_EUSAGE || code == SYM_EEXIST ? EXIT_INPUT
                                                                        : EXIT_RUNTIME;
}

static int print_error(void)
{
    /* one line, whatever a value quoted in the message holds */
    fputs("symsweep: error: ", stderr);
    for (const unsigned char *c = (const unsigned char *)sym_err_message(); *c; c++) {
        if (*c == '\n')
            fputs("\\n", stderr);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(stderr, "\\x%02x", *c);
        else
            fputc(*c, stderr);
    }
    fputc('\n', stderr);
    if (getenv("SYMSWEEP_DEBUG"))
        fprintf(stderr, "%s", sym_err_trace());
    return error_status();
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "symsweep: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nrun 'symsweep --help' for usage\n");
    return EXIT_INPUT;
}

static int cmd_validate(int argc, char **argv)
{
    sym_job job;
    const char *path = NULL, *out = NULL;
    char def_out[300];
    int check = 1, rc = EXIT_OK;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--no-space-check"))
            check = 0;
        else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a file name", argv[i]);
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("unknown option '%s' for validate", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return usage_error("validate takes one job file; '%s' is a second one", argv[i]);
    }
    if (!path)
        return usage_error("validate takes one job file%s", ", found none");
    if (sym_job_load(&job, path) < 0) {
        print_error();
        return EXIT_INPUT; /* a missing or unreadable job file is bad input too */
    }
    if (!out) {
        snprintf(def_out, sizeof(def_out), "%s.h5", job.name);
        out = def_out;
    }
    /* what the machine must hold: the output on its file system, a run in memory */
    if (check && sym_plan_check(&job, out, 1) < 0) {
        print_error();
        sym_job_dispose(&job);
        return EXIT_INPUT;
    }
    printf("%s: valid job '%s': %d run%s (%d configuration%s x %d seed%s)\n", path, job.name,
           sym_job_n_runs(&job), sym_job_n_runs(&job) == 1 ? "" : "s", job.n_configs,
           job.n_configs == 1 ? "" : "s", job.n_seeds, job.n_seeds == 1 ? "" : "s");
    for (int a = 0; a < job.n_axes; a++)
        printf("  axis %d: %s, %d value%s\n", a, job.axis_name[a], job.axis_len[a],
               job.axis_len[a] == 1 ? "" : "s");
    {
        sym_plan_sizes z;
        char line[256];

        sym_plan_sizes_of(&z, &job);
        snprintf(line, sizeof(line), "  needs: output %.3g MiB, memory %.3g MiB per worker rank",
                 z.output_bytes / 1048576.0, z.worker_bytes / 1048576.0);
        if (z.data_bytes > 0)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), ", user data %.3g MiB per run",
                     z.data_bytes / 1048576.0);
        printf("%s\n", line);
    }
    sym_job_dispose(&job);
    return rc;
}

static int cmd_plan(int argc, char **argv)
{
    sym_job job;
    const char *path = NULL;
    int calibrate = 1, rc = EXIT_OK;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--no-calibrate"))
            calibrate = 0;
        else if (argv[i][0] == '-')
            return usage_error("unknown option '%s' for plan", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return usage_error("plan takes one job file; '%s' is a second one", argv[i]);
    }
    if (!path)
        return usage_error("plan needs a job file%s", "");
    if (sym_job_load(&job, path) < 0) {
        print_error();
        return EXIT_INPUT;
    }
    if (sym_plan_print(stdout, &job, calibrate) < 0)
        rc = print_error();
    sym_job_dispose(&job);
    return rc;
}

static int cmd_merge(int argc, char **argv)
{
    const char *out = NULL, **shards = NULL;
    int n = 0, force = 0, rc;

    shards = calloc((size_t)argc, sizeof(char *));
    if (!shards)
        return EXIT_RUNTIME;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--force"))
            force = 1;
        else if (argv[i][0] == '-') {
            free(shards);
            return usage_error("unknown option '%s' for merge", argv[i]);
        } else if (!out)
            out = argv[i];
        else
            shards[n++] = argv[i];
    }
    if (!out || n == 0) {
        free(shards);
        return usage_error("merge needs an output file and at least one shard%s", "");
    }
    rc = sym_merge(stdout, out, shards, n, force);
    free(shards);
    if (rc < 0) {
        print_error();
        return sym_err_code() == SYM_ENOMEM || sym_err_code() == SYM_EIO ? EXIT_RUNTIME : EXIT_INPUT;
    }
    return rc > 0 ? EXIT_RUNTIME : EXIT_OK;
}

static int cmd_status(int argc, char **argv)
{
    if (argc != 3)
        return usage_error("status takes one output file%s", argc < 3 ? ", found none" : "");
    if (sym_status_print(stdout, argv[2]) < 0) {
        print_error();
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int cmd_summary(int argc, char **argv)
{
    const char *path = NULL, *by = NULL;
    int csv = 0;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--by")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a comma-separated list of grid columns", argv[i]);
            by = argv[++i];
        } else if (!strcmp(argv[i], "--csv")) {
            csv = 1;
        } else if (argv[i][0] == '-') {
            return usage_error("unknown option '%s' for summary", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return usage_error("summary takes one file; '%s' is a second one", argv[i]);
        }
    }
    if (!path)
        return usage_error("summary needs an output file%s", "");
    if (sym_summary_print(stdout, path, by, csv) < 0) {
        print_error();
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static void print_results(const sym_job *job, const sym_sweep_stats *st, const char *path)
{
    printf("\n%s: %d run%s computed (of %d): %d done, %d diverged, %d failed in %.2f s\n",
           job->name, st->n_to_run, st->n_to_run == 1 ? "" : "s", st->n_runs, st->done, st->diverged,
           st->failed, st->wall_time);
    printf("results: %s\n\n", path);
    fflush(stdout);
    if (sym_summary_print(stdout, path, NULL, 0) < 0)
        fprintf(stderr, "symsweep: could not summarize %s: %s\n", path, sym_err_message());
}

static int parse_seconds(double *out, const char *opt, const char *arg)
{
    char *end;
    double v = arg ? strtod(arg, &end) : 0;

    if (!arg || end == arg || *end || !(v >= 0) || v > 1e7)
        return usage_error("%s needs a number of seconds >= 0", opt);
    *out = v;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    sym_job job;
    sym_sweep_opts o = SYM_SWEEP_OPTS_INIT;
    sym_sweep_stats st;
    const char *job_path = NULL;
    char def_out[256];
    int rank, rc, stats = 0;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a file name", argv[i]);
            o.out_path = argv[++i];
        } else if (!strcmp(argv[i], "--force")) {
            o.force = 1;
        } else if (!strcmp(argv[i], "--resume")) {
            o.resume = 1;
        } else if (!strcmp(argv[i], "--no-space-check")) {
            o.no_space_check = 1;
        } else if (!strcmp(argv[i], "--checkpoint-every") || !strcmp(argv[i], "--grace") ||
                   !strcmp(argv[i], "--progress-every") || !strcmp(argv[i], "--task-timeout")) {
            double *dst = !strcmp(argv[i], "--grace")            ? &o.grace
                          : !strcmp(argv[i], "--progress-every") ? &o.progress_every
                          : !strcmp(argv[i], "--task-timeout")   ? &o.task_timeout
                                                                 : &o.checkpoint_every;

            if (parse_seconds(dst, argv[i], i + 1 < argc ? argv[i + 1] : NULL))
                return EXIT_INPUT;
            i++;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            o.quiet = 1;
        } else if (!strcmp(argv[i], "--stats")) {
            stats = 1;
        } else if (!strcmp(argv[i], "--shard")) {
            char *end;
            long a, b;

            if (i + 1 >= argc)
                return usage_error("%s needs I/N, for example 0/4", argv[i]);
            a = strtol(argv[++i], &end, 10);
            b = *end == '/' ? strtol(end + 1, &end, 10) : -1;
            if (*end || a < 0 || b < 1 || a >= b || b > 100000)
                return usage_error("--shard: expected I/N with 0 <= I < N, found '%s'", argv[i]);
            o.shard_index = (int)a;
            o.shard_count = (int)b;
        } else if (argv[i][0] == '-') {
            return usage_error("unknown option '%s' for run", argv[i]);
        } else if (!job_path) {
            job_path = argv[i];
        } else {
            return usage_error("run takes one job file; '%s' is a second one", argv[i]);
        }
    }
    if (!job_path)
        return usage_error("run needs a job file%s", "");
    if (o.force && o.resume)
        return usage_error("--force replaces the file and --resume continues it: choose one%s", "");
    /* parse and validate completely before MPI and before any output */
    if (sym_job_load(&job, job_path) < 0) {
        print_error();
        return EXIT_INPUT;
    }
    if (!o.out_path) {
        snprintf(def_out, sizeof(def_out), "%s.h5", job.name);
        o.out_path = def_out;
    }
    MPI_Init(&argc, &argv);
    sym_sweep_install_signal_handlers();
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    rc = sym_sweep_run(&st, MPI_COMM_WORLD, &job, &o);
    if (stats && rank == 0 && rc == 0) {
        int size;

        MPI_Comm_size(MPI_COMM_WORLD, &size);
        fprintf(stderr,
                "stats: %d runs in %.3f s (%.1f runs/s); rank 0: HDF5 writes %.3f s (%.2f%% of wall)",
                st.n_to_run, st.wall_time, st.n_to_run / st.wall_time, st.write_time,
                100.0 * st.write_time / st.wall_time);
        /* capacity: results per second of rank 0's own work, messages and writes */
        if (size > 1)
            fprintf(stderr,
                    ", handling messages %.3f s for %ld results (capacity %.0f results/s of rank-0 time)",
                    st.busy_time, st.messages,
                    st.messages / fmax(st.busy_time + st.write_time, 1e-9));
        fprintf(stderr, "\n");
    }
    if (rc == SYM_EINTR_ABANDON) {
        /* the file is checkpointed and closed; workers still busy are stopped */
        fprintf(stderr, "symsweep: %s; resume with --resume\n", sym_err_message());
        MPI_Abort(MPI_COMM_WORLD, EXIT_REQUEUE);
    }
    if (rc < 0 && rank != 0 && st.shared_error) {
        rc = error_status(); /* rank 0 says it once */
    } else if (rc < 0) {
        rc = print_error();
    } else if (st.interrupted) {
        if (rank == 0)
            fprintf(stderr,
                    "symsweep: stopped by a signal after a checkpoint: %d of %d runs written "
                    "this time; continue with: symsweep run %s -o %s --resume\n",
                    st.done + st.diverged + st.failed, st.n_to_run, job_path, o.out_path);
        rc = EXIT_REQUEUE;
    } else {
        if (rank == 0 && !o.quiet)
            print_results(&job, &st, o.out_path);
        rc = st.failed ? EXIT_RUNTIME : EXIT_OK;
    }
    sym_job_dispose(&job);
    MPI_Finalize();
    return rc;
}

int main(int argc, char **argv)
{
    /* one BLAS thread per rank: ranks are the parallelism, and results must
     * not depend on a thread count */
    openblas_set_num_threads(1);
    if (argc < 2)
        return usage_error("no command: expected run, validate, plan, merge, status or summary%s", "");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("symsweep %s (git %s), HDF5 layout version %d\n", SYM_VERSION_STRING,
               SYM_GIT_REVISION, SYM_FORMAT_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc, argv);
    if (!strcmp(argv[1], "validate"))
        return cmd_validate(argc, argv);
    if (!strcmp(argv[1], "plan"))
        return cmd_plan(argc, argv);
    if (!strcmp(argv[1], "merge"))
        return cmd_merge(argc, argv);
    if (!strcmp(argv[1], "status") || !strcmp(argv[1], "summary")) {
        /* read a file a running sweep is writing: its structure is final
         * and only data bytes change, so HDF5's lock is not needed */
        setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
        return !strcmp(argv[1], "status") ? cmd_status(argc, argv) : cmd_summary(argc, argv);
    }
    return usage_error("unknown command '%s'", argv[1]);
}
