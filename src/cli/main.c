/* The symsweep command.  Only this file initializes MPI and exits. */
#include "symsweep/io.h"
#include "symsweep/job.h"
#include "symsweep/output.h"
#include "symsweep/plan.h"
#include "symsweep/sweep.h"
#include "symsweep/version.h"

#include <getopt.h>
#ifndef SYM_SCALAPACK_TEXT
#define SYM_SCALAPACK_TEXT "unknown"
#endif
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 75 = EX_TEMPFAIL: stopped by a signal after a checkpoint; resume to finish */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_INPUT = 2, EXIT_REQUEUE = 75 };

static const char usage[] =
    "usage: symsweep <command> [options] [--] [arguments]\n"
    "\n"
    "Runs neural-network symmetry experiments described by a YAML job file and\n"
    "gathers every result into one HDF5 file.\n"
    "\n"
    "commands:\n"
    "  run JOB.yaml        train every run of the job and write OUT.h5 (over MPI:\n"
    "                      mpirun -np N symsweep run ...)\n"
    "  validate JOB.yaml   check a job file completely without running it\n"
    "  plan JOB.yaml       runs, tasks, output size, memory and core-hours\n"
    "  merge OUT SHARD...  combine the shards of one sweep into one file\n"
    "  status OUT.h5       progress of a sweep, also while it runs\n"
    "  summary OUT.h5      status counts and per-metric means with 95% CIs\n"
    "  align OUT.h5        compare the seeds of each grid point modulo their\n"
    "                      symmetries (needs the canonical probe)\n"
    "  help [COMMAND], --help, -h   this text, or a command's options\n"
    "  help probes [NAME]  the probes, or one probe's settings and defaults\n"
    "  help job [SECTION]  a job file's sections, or one section's settings; with\n"
    "                      --markdown or --schema the whole reference (Markdown, or\n"
    "                      a JSON Schema), probes included\n"
    "  --version [--verbose]  version, git revision and HDF5 layout version; with\n"
    "                      --verbose the BLAS (and the core it selected), HDF5, MPI\n"
    "                      and ScaLAPACK\n"
    "\n"
    "symsweep COMMAND --help lists a command's options.  Options take their value\n"
    "as the next argument or after '=' (--output=OUT.h5, -oOUT.h5); '--' ends them.\n"
    "\n"
    "exit status: 0 success; 1 a runtime failure (I/O, MPI) or failed runs; 2 invalid\n"
    "job file or command line (nothing is run and no output is written); 75 stopped\n"
    "by SIGTERM/SIGUSR1/SIGINT (or a hung worker) after a checkpoint: run again\n"
    "with --resume.\n"
    "Job format, HDF5 layout and examples: docs/ in the source (README.md lists them).\n";

static const char help_run[] =
    "usage: symsweep run JOB.yaml [KEY.PATH=VALUE...] [-o OUT.h5] [--force | --resume]\n"
    "                    [options]\n"
    "       mpirun -np N symsweep run JOB.yaml ...\n"
    "\n"
    "Train every run of the job and write OUT.h5 (default: NAME.h5, NAME being the\n"
    "job's name).  Over MPI, rank 0 coordinates and writes, the other ranks compute.\n"
    "KEY.PATH=VALUE sets or replaces one setting of the job file (VALUE is YAML:\n"
    "train.lr=0.01, 'sweep.model.activation=[relu, tanh]', probes.hessian.team=2);\n"
    "the file records the job with them applied and lists them (attribute\n"
    "overrides), and --resume needs the same ones.\n"
    "\n"
    "  -o, --output FILE        output file\n"
    "      --force              replace an existing output file (not one another\n"
    "                           process has open for writing)\n"
    "      --resume             continue FILE: run only what is not done (the file\n"
    "                           must come from the same job file)\n"
    "      --checkpoint-every SEC  write results to the file this often (60)\n"
    "      --grace SEC          after SIGTERM/SIGUSR1/SIGINT, wait this long for runs\n"
    "                           in flight before the final checkpoint (60)\n"
    "      --task-timeout SEC   a worker holding runs and silent this long is taken\n"
    "                           for hung: checkpoint, exit 75 (default: the largest\n"
    "                           of 600, 10x the longest wait seen and 20x plan's\n"
    "                           bound on one task; 0: never)\n"
    "      --progress MODE      auto (default): a bar updated in place when stderr is a\n"
    "                           terminal, or when it is not but mpirun's is (the bar\n"
    "                           then goes to /dev/tty when the rank shares it); a\n"
    "                           line every --progress-every seconds otherwise (Slurm\n"
    "                           logs); bar, lines or none to choose.  Runs in flight\n"
    "                           count with the share of their epochs done.\n"
    "      --progress-every SEC progress line interval when stderr is not a terminal (30)\n"
    "  -q, --quiet              no progress, no summary\n"
    "      --stats              rank 0's time in HDF5 and in coordinating\n"
    "      --shard I/N          compute only runs i with i % N == I (I from 0); the\n"
    "                           file has every run's row: combine with symsweep merge\n"
    "      --no-space-check     skip the check of free disk space and memory\n"
    "  -h, --help               this text\n";

static const char help_validate[] =
    "usage: symsweep validate JOB.yaml [KEY.PATH=VALUE...] [-o OUT.h5] [--no-space-check]\n"
    "                         [--plugins]\n"
    "\n"
    "Check a job file completely without running it: every setting at every point\n"
    "of its sweep, its data files, that its output fits on OUT's file system\n"
    "(default NAME.h5) and that a run fits in this machine's memory.  KEY.PATH=VALUE\n"
    "settings apply as in run.  Lists every problem it finds in one pass (up to 20).\n"
    "\n"
    "  -o, --output FILE        the output file the job would write\n"
    "      --no-space-check     skip the check of free disk space and memory\n"
    "      --plugins            load the job's plug-ins (their code runs) to check\n"
    "                           them; without it a job that names one is refused\n"
    "  -h, --help               this text\n";

static const char help_plan[] =
    "usage: symsweep plan JOB.yaml [KEY.PATH=VALUE...] [--no-calibrate] [--plugins]\n"
    "\n"
    "Runs, tasks, runs per axis value, output size, memory per rank, and core-hours\n"
    "from a short timed calibration run on this machine.  KEY.PATH=VALUE settings\n"
    "apply as in run.\n"
    "\n"
    "      --no-calibrate       sizes only, no timing\n"
    "      --plugins            load the job's plug-ins (their code runs); without\n"
    "                           it a job that names one is refused\n"
    "  -h, --help               this text\n";

static const char help_merge[] =
    "usage: symsweep merge OUT.h5 SHARD.h5... [--force]\n"
    "\n"
    "Combine the shards of one sweep (run --shard I/N) into one file.  OUT is built\n"
    "under a temporary name and renamed when complete; it may not be a shard.\n"
    "\n"
    "      --force              replace an existing OUT\n"
    "  -h, --help               this text\n";

static const char help_status[] =
    "usage: symsweep status OUT.h5\n"
    "\n"
    "Progress of a sweep, also while it runs: done/total, rate, ETA, failures, and\n"
    "whether the writer is still alive.  Checks every chunk's checksum unless a\n"
    "sweep is writing the file.\n"
    "\n"
    "  -h, --help               this text\n";

static const char help_summary[] =
    "usage: symsweep summary OUT.h5 [--by SETTING,...] [--csv]\n"
    "\n"
    "Status counts, and per metric the mean, std and 95% CI over seeds, grouped by\n"
    "the sweep axes (or by the /grid columns given).\n"
    "\n"
    "      --by COL,COL         group by these /grid columns\n"
    "      --csv                one CSV row per group and metric\n"
    "  -h, --help               this text\n";

static const char help_align[] =
    "usage: symsweep align OUT.h5 [-o FILE] [--points N] [--tolerance X] [--force]\n"
    "\n"
    "Compare the seeds of every grid point of a finished sweep modulo the symmetries\n"
    "of their networks: for every pair, the distance between their canonical forms\n"
    "once hidden units are matched (weight matching), between their weights and\n"
    "between their outputs on the data, and the loss barrier on the straight line\n"
    "between them before and after alignment (linear mode connectivity).  The job\n"
    "needs probes: {canonical: {}}, record.weights: final, and one data set for all\n"
    "seeds (data.seed, or a data file).  Writes a new file; OUT.h5 is not changed.\n"
    "\n"
    "  -o, --output FILE        the new file (default: OUT-align.h5)\n"
    "      --points N           points on each straight line, ends included (21)\n"
    "      --tolerance X        relative distance under which two runs count as one\n"
    "                           orbit or one function (1e-4)\n"
    "      --force              replace an existing output file\n"
    "  -h, --help               this text\n";

/* long options without a short form */
enum {
    OPT_FORCE = 256, OPT_RESUME, OPT_CHECKPOINT, OPT_GRACE, OPT_PROGRESS, OPT_TIMEOUT, OPT_STATS,
    OPT_SHARD, OPT_NO_SPACE, OPT_NO_CALIBRATE, OPT_BY, OPT_CSV, OPT_PROGRESS_MODE, OPT_POINTS,
    OPT_TOLERANCE, OPT_PLUGINS
};

/* the exit status of the last error: 2 for bad input, 1 for a runtime failure */
static int error_status(void)
{
    int code = sym_err_code();

    return code == SYM_EJOB || code == SYM_EUSAGE || code == SYM_EEXIST ? EXIT_INPUT
                                                                        : EXIT_RUNTIME;
}

static int print_error(void)
{
    /* one line per problem (validate gathers several), whatever a quoted value holds */
    fputs("symsweep: error: ", stderr);
    for (const unsigned char *c = (const unsigned char *)sym_err_message(); *c; c++) {
        if (*c == (unsigned char)SYM_JOB_ERR_SEP)
            fputs("\nsymsweep: error: ", stderr);
        else if (*c == '\n')
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

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "symsweep: error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrun 'symsweep --help' for usage\n");
    return EXIT_INPUT;
}

/* what an option's missing value should have been, for the message */
static const char *value_of(int opt)
{
    switch (opt) {
    case 'o': return "a file name";
    case OPT_CHECKPOINT: case OPT_GRACE: case OPT_PROGRESS: case OPT_TIMEOUT:
        return "a number of seconds >= 0";
    case OPT_SHARD: return "I/N, for example 0/4";
    case OPT_BY: return "a comma-separated list of grid columns";
    case OPT_POINTS: return "a whole number from 2 to 100000";
    case OPT_TOLERANCE: return "a number >= 0";
    default: return "a value";
    }
}

/* "--name" of the long option whose value is @p val, for messages */
static const char *option_name(const struct option *longs, int val)
{
    static char buf[64];

    for (; longs->name; longs++)
        if (longs->val == val) {
            snprintf(buf, sizeof(buf), "--%s", longs->name);
            return buf;
        }
    return "the option";
}

/*
 * getopt_long over a command's arguments (argv[0] is the command: GNU
 * conventions, options anywhere, --opt=value, -oVALUE, '--' ends them).
 * Returns the next option, 0 at the end, or -1 after printing a bad option's
 * message (*status set); -h/--help prints @p help to stdout (*status 0).
 */
static int next_option(int argc, char **argv, const struct option *longs, const char *shorts,
                       const char *help, int *status)
{
    int c;

    opterr = 0; /* our own one-line messages */
    c = getopt_long(argc, argv, shorts, longs, NULL);
    if (c == -1)
        return 0;
    if (c == 'h') {
        fputs(help, stdout);
        *status = EXIT_OK;
        return -1;
    }
    if (c == '?') {
        *status = optopt && optopt < 256
                      ? usage_error("unknown option '-%c' for %s", optopt, argv[0])
                      : usage_error("unknown option '%s' for %s", argv[optind - 1], argv[0]);
        return -1;
    }
    if (c == ':') {
        *status = usage_error("%s needs %s", argv[optind - 1], value_of(optopt));
        return -1;
    }
    return c;
}

/* the arguments after the job file: KEY.PATH=VALUE settings from the command line */
static int settings_args(const char *cmd, int argc, char **argv, const char *const **ov, int *n)
{
    *ov = (const char *const *)(argv + optind);
    *n = argc - optind;
    for (int i = optind; i < argc; i++)
        if (!strchr(argv[i], '=') || argv[i][0] == '=')
            return usage_error("%s takes one job file, then KEY.PATH=VALUE settings; '%s' is a "
                               "second one", cmd, argv[i]);
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    sym_job job;
    sym_job_read_opts ro = SYM_JOB_READ_OPTS_INIT;
    const char *path = NULL, *out = NULL, *const *ov = NULL;
    int n_ov = 0;
    char def_out[300];
    int check = 1, rc = EXIT_OK;

    static const struct option longs[] = {{"output", required_argument, NULL, 'o'},
                                          {"no-space-check", no_argument, NULL, OPT_NO_SPACE},
                                          {"plugins", no_argument, NULL, OPT_PLUGINS},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c, status = EXIT_OK;

    while ((c = next_option(argc, argv, longs, ":ho:", help_validate, &status)) != 0) {
        if (c < 0)
            return status;
        if (c == 'o')
            out = optarg;
        else if (c == OPT_NO_SPACE)
            check = 0;
        else if (c == OPT_PLUGINS)
            ro.plugins = SYM_PLUGINS_LOAD;
    }
    if (optind < argc)
        path = argv[optind++];
    if (settings_args("validate", argc, argv, &ov, &n_ov))
        return EXIT_INPUT;
    if (!path)
        return usage_error("validate takes one job file, found none");
    ro.overrides = ov;
    ro.n_overrides = n_ov;
    ro.collect = 1;
    if (sym_job_load_opts(&job, path, &ro) < 0) {
        print_error();
        return EXIT_INPUT; /* a missing or unreadable job file is bad input too */
    }
    /* an output named with -o that is one of the job's inputs: run would refuse it (the
     * default name is only checked by run, which refuses an existing file anyway) */
    if (out && sym_plan_check_output(&job, out) < 0) {
        print_error();
        sym_job_dispose(&job);
        return EXIT_INPUT;
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
                 z.output_bytes / 1048576.0, fmax(z.worker_bytes, z.team_bytes) / 1048576.0);
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
    sym_job_read_opts ro = SYM_JOB_READ_OPTS_INIT;
    const char *path = NULL, *const *ov = NULL;
    int calibrate = 1, rc = EXIT_OK, n_ov = 0;

    static const struct option longs[] = {{"no-calibrate", no_argument, NULL, OPT_NO_CALIBRATE},
                                          {"plugins", no_argument, NULL, OPT_PLUGINS},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c, status = EXIT_OK;

    while ((c = next_option(argc, argv, longs, ":h", help_plan, &status)) != 0) {
        if (c < 0)
            return status;
        if (c == OPT_NO_CALIBRATE)
            calibrate = 0;
        else if (c == OPT_PLUGINS)
            ro.plugins = SYM_PLUGINS_LOAD;
    }
    if (optind < argc)
        path = argv[optind++];
    if (settings_args("plan", argc, argv, &ov, &n_ov))
        return EXIT_INPUT;
    if (!path)
        return usage_error("plan needs a job file");
    ro.overrides = ov;
    ro.n_overrides = n_ov;
    if (sym_job_load_opts(&job, path, &ro) < 0) {
        print_error();
        return EXIT_INPUT;
    }
    if (sym_plan_print(stdout, &job, calibrate) < 0)
        rc = print_error();
    sym_job_dispose(&job);
    return rc;
}

/* a signal that ends a merge: its partial output and its lock go first */
static void on_merge_signal(int sig)
{
    sym_outfile_remove_debris(); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig); /* the status says which signal ended it */
}

static int cmd_merge(int argc, char **argv)
{
    const char *out = NULL, **shards = NULL;
    int n = 0, force = 0, rc;

    static const struct option longs[] = {{"force", no_argument, NULL, OPT_FORCE},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c, status = EXIT_OK;

    while ((c = next_option(argc, argv, longs, ":h", help_merge, &status)) != 0) {
        if (c < 0)
            return status;
        if (c == OPT_FORCE)
            force = 1;
    }
    if (optind < argc)
        out = argv[optind++];
    if (!out || optind >= argc)
        return usage_error("merge needs an output file and at least one shard");
    shards = calloc((size_t)argc, sizeof(char *));
    if (!shards)
        return EXIT_RUNTIME;
    while (optind < argc)
        shards[n++] = argv[optind++];
    {
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGPIPE};
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_merge_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t k = 0; k < sizeof(sigs) / sizeof(*sigs); k++)
            sigaddset(&sa.sa_mask, sigs[k]); /* one handler at a time */
        for (size_t k = 0; k < sizeof(sigs) / sizeof(*sigs); k++)
            sigaction(sigs[k], &sa, NULL);
    }
    rc = sym_merge(stdout, out, shards, n, force);
    free(shards);
    if (rc < 0)
        return print_error(); /* the one mapping of error codes to exit statuses */
    return rc > 0 ? EXIT_RUNTIME : EXIT_OK;
}

static int cmd_status(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c, status = EXIT_OK;

    while ((c = next_option(argc, argv, longs, ":h", help_status, &status)) != 0)
        if (c < 0)
            return status;
    if (argc - optind != 1)
        return usage_error("status takes one output file%s", optind >= argc ? ", found none" : "");
    if (sym_status_print(stdout, argv[optind]) < 0) {
        print_error();
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int cmd_summary(int argc, char **argv)
{
    const char *path = NULL, *by = NULL;
    int csv = 0;

    static const struct option longs[] = {{"by", required_argument, NULL, OPT_BY},
                                          {"csv", no_argument, NULL, OPT_CSV},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c, status = EXIT_OK;

    while ((c = next_option(argc, argv, longs, ":h", help_summary, &status)) != 0) {
        if (c < 0)
            return status;
        if (c == OPT_BY)
            by = optarg;
        else if (c == OPT_CSV)
            csv = 1;
    }
    if (optind < argc)
        path = argv[optind++];
    if (optind < argc)
        return usage_error("summary takes one file; '%s' is a second one", argv[optind]);
    if (!path)
        return usage_error("summary needs an output file");
    if (sym_summary_print(stdout, path, by, csv, 1) < 0) {
        print_error();
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int cmd_align(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    char def[1100];
    sym_align_opts o = SYM_ALIGN_OPTS_INIT;
    static const struct option longs[] = {{"output", required_argument, NULL, 'o'},
                                          {"points", required_argument, NULL, OPT_POINTS},
                                          {"tolerance", required_argument, NULL, OPT_TOLERANCE},
                                          {"force", no_argument, NULL, OPT_FORCE},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c, status = EXIT_OK;

    while ((c = next_option(argc, argv, longs, ":ho:", help_align, &status)) != 0) {
        char *end;

        if (c < 0)
            return status;
        if (c == 'o') {
            out = optarg;
        } else if (c == OPT_FORCE) {
            o.force = 1;
        } else if (c == OPT_POINTS) {
            long v = strtol(optarg, &end, 10);

            if (end == optarg || *end || v < 2 || v > 100000)
                return usage_error("--points needs a whole number from 2 to 100000, found '%s'", optarg);
            o.points = (int)v;
        } else if (c == OPT_TOLERANCE) {
            double v = strtod(optarg, &end);

            if (end == optarg || *end || !(v >= 0) || !isfinite(v))
                return usage_error("--tolerance needs a number >= 0, found '%s'", optarg);
            o.tolerance = v;
        }
    }
    if (optind < argc)
        path = argv[optind++];
    if (optind < argc)
        return usage_error("align takes one file; '%s' is a second one", argv[optind]);
    if (!path)
        return usage_error("align needs the output file of a finished sweep");
    if (!out) {
        size_t n = strlen(path);

        if (n > 3 && strcmp(path + n - 3, ".h5") == 0)
            snprintf(def, sizeof(def), "%.*s-align.h5", (int)(n - 3), path);
        else
            snprintf(def, sizeof(def), "%s-align.h5", path);
        out = def;
    }
    if (sym_align_file(stdout, path, out, &o) < 0)
        return print_error();
    return EXIT_OK;
}

static void print_results(const sym_job *job, const sym_sweep_stats *st, const char *path)
{
    printf("\n%s: %d run%s computed (of %d): %d done, %d diverged, %d failed in %.2f s\n",
           job->name, st->n_to_run, st->n_to_run == 1 ? "" : "s", st->n_runs, st->done, st->diverged,
           st->failed, st->wall_time);
    printf("results: %s\n\n", path);
    fflush(stdout);
    /* the file was written just now: its checksums need no second reading */
    if (sym_summary_print(stdout, path, NULL, 0, 0) < 0)
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

/* run's options into o (and --stats); 1 when cmd_run returns *status at once (--help, a
 * usage error) */
static int run_options(sym_sweep_opts *o, int *stats, int *status, int argc, char **argv)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'},      {"force", no_argument, NULL, OPT_FORCE},
        {"resume", no_argument, NULL, OPT_RESUME},      {"quiet", no_argument, NULL, 'q'},
        {"checkpoint-every", required_argument, NULL, OPT_CHECKPOINT},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"progress-every", required_argument, NULL, OPT_PROGRESS},
        {"task-timeout", required_argument, NULL, OPT_TIMEOUT},
        {"stats", no_argument, NULL, OPT_STATS},        {"shard", required_argument, NULL, OPT_SHARD},
        {"progress", required_argument, NULL, OPT_PROGRESS_MODE},
        {"no-space-check", no_argument, NULL, OPT_NO_SPACE},
        {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0}};
    int c;

    *status = EXIT_OK;
    while ((c = next_option(argc, argv, longs, ":ho:q", help_run, status)) != 0) {
        if (c < 0)
            return 1;
        switch (c) {
        case 'o': o->out_path = optarg; break;
        case 'q': o->quiet = 1; break;
        case OPT_FORCE: o->force = 1; break;
        case OPT_RESUME: o->resume = 1; break;
        case OPT_STATS: *stats = 1; break;
        case OPT_NO_SPACE: o->no_space_check = 1; break;
        case OPT_PROGRESS_MODE: {
            static const char *const modes[] = {"auto", "bar", "lines", "none"};
            int k = 0;

            while (k < 4 && strcmp(optarg, modes[k]) != 0)
                k++;
            if (k == 4) {
                *status = usage_error("--progress: expected auto, bar, lines or none, found '%s'",
                                      optarg);
                return 1;
            }
            o->progress = (sym_progress_mode)k;
            break;
        }
        case OPT_CHECKPOINT: case OPT_GRACE: case OPT_PROGRESS: case OPT_TIMEOUT: {
            double *dst = c == OPT_GRACE ? &o->grace : c == OPT_PROGRESS ? &o->progress_every
                          : c == OPT_TIMEOUT ? &o->task_timeout : &o->checkpoint_every;

            if (parse_seconds(dst, option_name(longs, c), optarg)) {
                *status = EXIT_INPUT;
                return 1;
            }
            break;
        }
        case OPT_SHARD: {
            char *end;
            long a, b;

            a = strtol(optarg, &end, 10);
            b = *end == '/' ? strtol(end + 1, &end, 10) : -1;
            if (end == optarg || *end || a < 0 || b < 1 || a >= b || b > 100000) {
                *status = usage_error("--shard: expected I/N with 0 <= I < N, found '%s'", optarg);
                return 1;
            }
            o->shard_index = (int)a;
            o->shard_count = (int)b;
            break;
        }
        }
    }
    return 0;
}

/* --stats: rank 0's time, in writes and (with workers) in messages */
static void print_stats(const sym_sweep_stats *st)
{
    int size;

    MPI_Comm_size(MPI_COMM_WORLD, &size);
    fprintf(stderr,
            "stats: %d runs in %.3f s (%.1f runs/s); rank 0: HDF5 writes %.3f s (%.2f%% of wall)",
            st->n_to_run, st->wall_time, st->n_to_run / st->wall_time, st->write_time,
            100.0 * st->write_time / st->wall_time);
    /* capacity: results per second of rank 0's own work, messages and writes */
    if (size > 1)
        fprintf(stderr,
                ", handling messages %.3f s for %ld results (capacity %.0f results/s of rank-0 time)",
                st->busy_time, st->messages,
                st->messages / fmax(st->busy_time + st->write_time, 1e-9));
    fprintf(stderr, "\n");
}

static int cmd_run(int argc, char **argv)
{
    sym_job job;
    sym_sweep_opts o = SYM_SWEEP_OPTS_INIT;
    sym_sweep_stats st;
    sym_job_read_opts ro = SYM_JOB_READ_OPTS_INIT;
    const char *job_path = NULL, *const *ov = NULL;
    int n_ov = 0;
    char def_out[256];
    int rank, rc, stats = 0, status;

    if (run_options(&o, &stats, &status, argc, argv))
        return status;
    if (optind < argc)
        job_path = argv[optind++];
    if (settings_args("run", argc, argv, &ov, &n_ov))
        return EXIT_INPUT;
    if (!job_path)
        return usage_error("run needs a job file");
    if (o.force && o.resume)
        return usage_error("--force replaces the file and --resume continues it: choose one");
    /* parse and validate completely before MPI and before any output; running the job is
     * the decision to run its plug-ins */
    ro.overrides = ov;
    ro.n_overrides = n_ov;
    ro.plugins = SYM_PLUGINS_LOAD;
    if (sym_job_load_opts(&job, job_path, &ro) < 0) {
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
    if (rank == 0 && !o.quiet && sym_blas_warning())
        fprintf(stderr, "symsweep: warning: %s\n", sym_blas_warning());
    rc = sym_sweep_run(&st, MPI_COMM_WORLD, &job, &o);
    if (stats && rank == 0 && rc == 0)
        print_stats(&st);
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

/* help job [SECTION | --markdown | --schema]: the reference, from the settings tables */
static int help_job(int argc, char **argv)
{
    int rc;

    if (argc > 2)
        return usage_error("help job takes one section, --markdown or --schema, found '%s' too", argv[2]);
    if (argc == 2 && !strcmp(argv[1], "--markdown"))
        rc = sym_job_reference_markdown(stdout);
    else if (argc == 2 && !strcmp(argv[1], "--schema"))
        rc = sym_job_reference_schema(stdout);
    else
        rc = sym_job_help(stdout, argc == 2 ? argv[1] : NULL);
    if (rc < 0)
        return usage_error("%s", sym_err_message());
    return EXIT_OK;
}

/* the C compiler that built symsweep: results are bitwise reproducible for one compiler, BLAS
 * core and kernel variant (another compiler may round a multiply-add of the kernels otherwise) */
#if defined(__clang__)
#define SYM_COMPILER_TEXT "clang " __clang_version__
#elif defined(__GNUC__)
#define SYM_COMPILER_TEXT "GCC " __VERSION__
#else
#define SYM_COMPILER_TEXT "unknown"
#endif

int main(int argc, char **argv)
{
    /* one BLAS thread per rank: ranks are the parallelism, and results must
     * not depend on a thread count */
    sym_blas_single_thread();
    static const struct {
        const char *name, *help;
        int (*fn)(int, char **);
    } commands[] = {{"run", help_run, cmd_run},           {"validate", help_validate, cmd_validate},
                    {"plan", help_plan, cmd_plan},        {"merge", help_merge, cmd_merge},
                    {"status", help_status, cmd_status}, {"summary", help_summary, cmd_summary},
                    {"align", help_align, cmd_align}};
    const int n_commands = (int)(sizeof(commands) / sizeof(*commands));

    if (argc < 2)
        return usage_error("no command: expected run, validate, plan, merge, status, summary or align");
    if (!strcmp(argv[1], "help") && argc > 2 && !strcmp(argv[2], "probes")) {
        if (argc == 3)
            fputs("the probes (probes: in a job file):\n", stdout);
        if (argc > 4)
            return usage_error("help probes takes one probe name, found '%s' too", argv[4]);
        if (sym_probes_help(stdout, argc == 4 ? argv[3] : NULL) < 0)
            return usage_error("%s", sym_err_message());
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "help") && argc > 2 && !strcmp(argv[2], "job"))
        return help_job(argc - 2, argv + 2);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        for (int k = 0; argc > 2 && k < n_commands; k++)
            if (!strcmp(argv[2], commands[k].name)) {
                fputs(commands[k].help, stdout);
                return EXIT_OK;
            }
        if (argc > 2)
            return usage_error("no command '%s' to explain", argv[2]);
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("symsweep %s (git %s), HDF5 layout version %d\n", SYM_VERSION_STRING,
               SYM_GIT_REVISION, SYM_FORMAT_VERSION);
        if (argc > 2 && (!strcmp(argv[2], "--verbose") || !strcmp(argv[2], "-v"))) {
            char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = "";
            int len = 0;

            MPI_Get_library_version(mpi, &len); /* allowed before MPI_Init */
            mpi[strcspn(mpi, "\n,")] = '\0';
            printf("BLAS: %s\nHDF5: %s\nMPI: %s\nScaLAPACK: %s\nCompiler: %s\n", sym_blas_description(),
                   sym_h5_library_version(), mpi, SYM_SCALAPACK_TEXT, SYM_COMPILER_TEXT);
            if (sym_blas_warning())
                printf("warning: %s\n", sym_blas_warning());
        } else if (argc > 2) {
            return usage_error("--version takes --verbose or nothing, found '%s'", argv[2]);
        }
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "status") || !strcmp(argv[1], "summary"))
        /* read a file a running sweep is writing: its structure is final
         * and only data bytes change, so HDF5's lock is not needed */
        setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
    for (int k = 0; k < n_commands; k++)
        if (!strcmp(argv[1], commands[k].name))
            return commands[k].fn(argc - 1, argv + 1); /* argv[0]: the command, for getopt */
    return usage_error("unknown command '%s'", argv[1]);
}
