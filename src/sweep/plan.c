/*
 * symsweep plan: what a job will cost before it runs.  Sizes are computed
 * from the layout; time comes from a short calibration: the first run of a
 * configuration trained for a few epochs, timed, and scaled by each
 * configuration's work (epochs x samples x multiply-adds per sample).
 */
#include "symsweep/io.h"
#include "symsweep/plan.h"
#include "symsweep/run.h"
#include "symsweep/team.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* multiply-adds of one forward pass per sample */
static double macs(const sym_model_opts *m)
{
    double s = 0.0;

    for (int l = 0; l < m->n_layers; l++)
        s += (double)m->widths[l] * m->widths[l + 1];
    return s;
}

static double work(const sym_job_config *c)
{
    return (double)c->train.epochs * c->data.samples * macs(&c->model);
}

static size_t params_of(const sym_model_opts *m)
{
    size_t n = 0;

    for (int l = 0; l < m->n_layers; l++) {
        int owned = !(m->tied && l >= m->n_encoder);

        n += owned ? (size_t)m->widths[l] * m->widths[l + 1] : 0;
        n += m->bias ? (size_t)m->widths[l + 1] : 0;
    }
    return n;
}

/* bytes of the data of one run: X and, unless an autoencoder reconstructs X, Y, of both
 * splits (a worker's cache holds one such set: src/sweep/data_load.c) */
static double data_bytes(const sym_job_config *c)
{
    int din = c->model.widths[0], dout = c->model.widths[c->model.n_layers];
    int own_y = !(c->data.kind == SYM_DATA_HDF5 && !c->data.y_path[0]);

    return 8.0 * ((double)c->data.samples + c->data.n_test) * (din + (own_y ? dout : 0));
}

/* bytes one training run holds: the data (plus a feature-major copy up to
 * SYM_TRAIN_COPY_MAX; beyond, it is transposed a block at a time), activations
 * and their gradients for one block, parameters with gradient and optimizer
 * state */
static double run_bytes(const sym_job_config *c)
{
    double wsum = 0, wmax = 0, n = c->data.samples, blk = n < SYM_EVAL_BLOCK ? n : SYM_EVAL_BLOCK;
    int din = c->model.widths[0], dout = c->model.widths[c->model.n_layers];

    for (int l = 0; l <= c->model.n_layers; l++) {
        wsum += c->model.widths[l];
        wmax = c->model.widths[l] > wmax ? c->model.widths[l] : wmax;
    }
    return data_bytes(c) + (8.0 * n * (din + dout) <= SYM_TRAIN_COPY_MAX ? 8.0 * n * (din + dout) : 0) +
           8.0 * blk * (2 * wsum + 5 * wmax + din + dout) + 6.0 * 8.0 * (double)params_of(&c->model);
}

static double probe_task_bytes(const sym_job *job, int cfg, int team);

void sym_plan_sizes_of(sym_plan_sizes *out, const sym_job *job)
{
    int n = sym_job_n_runs(job);
    size_t max_params = 0, max_points = 0, row;
    double per_run, team = 0;

    memset(out, 0, sizeof(*out));
    for (int c = 0; c < job->n_configs; c++) {
        const sym_job_config *cf = &job->configs[c];
        size_t p = params_of(&cf->model), pts = (size_t)sym_train_n_points(&cf->train);
        /* the run's arrays, its loss curve and per-point measures, its result */
        double b = run_bytes(cf) + 8.0 * (double)pts * 2 + 8.0 * (3.0 * p + (double)job->measure.total);

        b += probe_task_bytes(job, c, 0); /* the largest extra of a probe after training */

        max_params = p > max_params ? p : max_params;
        max_points = pts > max_points ? pts : max_points;
        out->worker_bytes = b > out->worker_bytes ? b : out->worker_bytes;
        if (sym_data_from_file(cf->data.kind))
            out->data_bytes = data_bytes(cf) > out->data_bytes ? data_bytes(cf) : out->data_bytes;
    }
    per_run = 1.0 + 8 * 5 + 512 + 8 * 3 + 8.0 * max_points +
              8.0 * max_params * (job->record_weights == SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL ? 2
                                  : job->record_weights == SYM_RECORD_WEIGHTS_FINAL         ? 1
                                                                                            : 0) +
              8.0 * job->n_columns + 16 + 8.0 * (double)sym_job_probe_size(job) +
              8.0 * (double)job->measure.total;
    out->output_bytes = n * per_run;
    out->result_bytes = 8.0 * (2.0 * max_params + max_points + (double)job->measure.total +
                               (double)sym_job_probe_size(job)) + 600;
    /* rank 0: results buffered between checkpoints (flushed at 256 MiB), the
     * runs waiting for their probe pieces, one padded row per dataset */
    out->rank0_bytes = fmin(256.0 * (1 << 20), out->result_bytes * n) + 2 * out->result_bytes + 16.0 * n;
    /* the largest row of one run in one dataset: HDF5 chunks hold whole rows */
    row = max_points > max_params ? max_points : max_params;
    row = (size_t)job->measure.total > row ? (size_t)job->measure.total : row;
    row = sym_job_probe_size(job) > row ? sym_job_probe_size(job) : row;
    out->row_bytes = 8.0 * (double)row;
    for (int k = 0; k < job->n_configs && sym_job_has_team(job); k++)
        team = fmax(team, sym_plan_team_bytes(job, k, job->team_size));
    out->team_bytes = team;
}

static void human(char *buf, size_t cap, double bytes)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int k = 0;

    while (bytes >= 1024 && k < 5) {
        bytes /= 1024;
        k++;
    }
    snprintf(buf, cap, "%.3g %s", bytes, u[k]);
}

/* best of 3 wall times of run 0 trained for @p epochs (a noisy machine only adds) */
static int calibration_time(double *best, const sym_job *job, int epochs)
{
    sym_job cal = *job;
    sym_job_config one = job->configs[0];
    int rc = 0;

    one.train.epochs = epochs;
    one.train.loss_every = epochs;
    cal.configs = &one;
    cal.n_configs = 1;
    cal.n_seeds = 1;
    *best = INFINITY;
    for (int rep = 0; rep < 3; rep++) {
        sym_run_result r;

        SYM_TRY(sym_run_execute(&r, &cal, 0));
        *best = r.wall_time < *best ? r.wall_time : *best;
        sym_run_result_dispose(&r);
    }
cleanup:
    return rc;
}

/* the largest task_bytes of the job's team probes (team) or other probes at grid point cfg */
static double probe_task_bytes(const sym_job *job, int cfg, int team)
{
    double b = 0.0;

    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];

        if ((p->def->team != NULL) == (team != 0) && p->def->size > offsetof(sym_probe_def, task_bytes) &&
            p->def->task_bytes)
            b = fmax(b, p->def->task_bytes(sym_job_probe_opts(job, p, cfg), &job->configs[cfg]));
    }
    return b;
}

double sym_plan_team_bytes(const sym_job *job, int cfg, int size)
{
    sym_model *m = NULL;
    double b = 0;

    if (sym_model_create(&m, &job->configs[cfg].model) == 0)
        for (int i = 0; i < job->n_probes; i++) {
            sym_team_need need = {SYM_TEAM_NONE, 0, 0};

            if (!job->probes[i].def->team_need)
                continue;
            job->probes[i].def->team_need(sym_job_probe_opts(job, &job->probes[i], cfg), m, &need);
            if (need.kind == SYM_TEAM_SYEV)
                b = fmax(b, (double)sym_team_syev_bytes((int)need.n, size));
            else if (need.kind == SYM_TEAM_SVD)
                b = fmax(b, (double)sym_team_svd_bytes((int)need.m, (int)need.n, size));
        }
    sym_model_free(m);
    return b + probe_task_bytes(job, cfg, 1);
}

int sym_plan_team_size(const sym_job *job)
{
    int size = 1;

    for (int k = 0; k < job->n_configs; k++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &job->configs[k].model) != 0) {
            sym_model_free(m);
            continue;
        }
        for (int i = 0; i < job->n_probes; i++) {
            const sym_job_probe *p = &job->probes[i];
            sym_team_need need = {SYM_TEAM_NONE, 0, 0};
            int t = p->team;

            if (!p->def->team || !p->def->team_need)
                continue;
            p->def->team_need(sym_job_probe_opts(job, p, k), m, &need);
            /* auto: the smallest team that fits the memory budget per rank (one rank
             * without ScaLAPACK) */
#ifndef SYM_HAVE_SCALAPACK
            t = 1;
#endif
            for (int q = 1; t == 0; q++) {
                size_t b = need.kind == SYM_TEAM_SVD ? sym_team_svd_bytes((int)need.m, (int)need.n, q)
                                                     : sym_team_syev_bytes((int)need.n, q);

                if (q == 4096 || b <= ((size_t)p->team_mb << 20))
                    t = q;
            }
            size = t > size ? t : size;
        }
        sym_model_free(m);
    }
    return size;
}

double sym_plan_task_seconds_bound(const sym_job *job)
{
    /* a slow core: 1e8 multiply-adds per second (float64 cores do 1e9 and more) */
    const double rate = 1e8;
    double worst = 0.0;

    for (int c = 0; c < job->n_configs; c++) {
        const sym_job_config *cf = &job->configs[c];
        double P = (double)params_of(&cf->model), pass = (double)cf->data.samples * macs(&cf->model);
        /* training: forward and backward, about 3 passes per epoch */
        double t = 3.0 * work(cf);

        /* the probes after training run in the training task */
        for (int i = 0; i < job->n_probes; i++)
            if (job->probes[i].def->at_end && job->probes[i].def->task_work)
                t += job->probes[i].def->task_work(sym_job_probe_opts(job, &job->probes[i], c), cf, P, pass);
        /* a probe piece or team task: as its probe says */
        for (int i = 0; i < job->n_probes; i++)
            if (job->probes[i].def->task_work && (job->probes[i].n_pieces || job->probes[i].def->team))
                t = fmax(t, job->probes[i].def->task_work(sym_job_probe_opts(job, &job->probes[i], c), cf,
                                                          P, pass));
        worst = fmax(worst, t / rate);
    }
    return worst;
}

/* the memory one process may use here: physical memory, a cgroup limit (a
 * Slurm allocation), an address-space rlimit, whichever is smallest */
static double memory_limit(void)
{
    double lim = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    const char *files[] = {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    struct rlimit rl;

    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        double v;

        if (f && fscanf(f, "%lf", &v) == 1 && v > 0 && v < lim)
            lim = v; /* "max" (no limit) does not scan */
        if (f)
            fclose(f);
    }
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (double)rl.rlim_cur < lim)
        lim = (double)rl.rlim_cur;
    return lim;
}

int sym_plan_check_output(const sym_job *job, const char *out_path)
{
    int rc = 0;

    if (sym_same_file(out_path, job->path))
        SYM_FAIL(SYM_EUSAGE, "%s: the output is the job file %s: name another output file",
                 out_path, job->path);
    for (int c = 0; c < job->n_configs; c++) {
        const sym_config *cfg = &job->configs[c];

        if (sym_data_from_file(cfg->data.kind) && sym_same_file(out_path, cfg->data.file))
            SYM_FAIL(SYM_EUSAGE,
                     "%s: the output is the job's data file %s (data.file): name another output "
                     "file; an output never replaces an input",
                     out_path, cfg->data.file);
        if (cfg->init.on && sym_same_file(out_path, cfg->init.file))
            SYM_FAIL(SYM_EUSAGE,
                     "%s: the output is the job's initial-parameter file %s (model.init.file): "
                     "name another output file; an output never replaces an input",
                     out_path, cfg->init.file);
    }
    for (int i = 0; i < job->n_probes; i++)
        if (job->probes[i].plugin_path[0] && sym_same_file(out_path, job->probes[i].plugin_path))
            SYM_FAIL(SYM_EUSAGE, "%s: the output is the plug-in %s of probe %s: name another output file",
                     out_path, job->probes[i].plugin_path, job->probes[i].def->name);
cleanup:
    return rc;
}

int sym_plan_check(const sym_job *job, const char *out_path, int new_file)
{
    sym_plan_sizes z;
    char a[64], b[64], dir[1024];
    struct statvfs fs;
    double mem = memory_limit(), need;
    int rc = 0;

    sym_plan_sizes_of(&z, job);
    human(a, sizeof(a), z.row_bytes);
    if (z.row_bytes >= 4294967295.0)
        SYM_FAIL(SYM_EJOB,
                 "%s: one run's row of the output would take %s (its loss curve or weights): "
                 "HDF5 stores a row in one chunk of less than 4 GiB; raise record.loss_every or "
                 "shrink the model",
                 job->path, a);
    need = fmax(fmax(z.worker_bytes, z.rank0_bytes), z.team_bytes);
    if (need > mem) {
        human(a, sizeof(a), need);
        human(b, sizeof(b), mem);
        SYM_FAIL(SYM_EJOB,
                 "%s: needs about %s of memory per rank (%s) but a process here may use %s "
                 "(physical memory, cgroup or rlimit); --no-space-check runs it anyway",
                 job->path, a,
                 need == z.worker_bytes ? "a worker's largest run"
                 : need == z.rank0_bytes ? "rank 0's result buffer"
                                         : "a team rank",
                 b);
    }
    if (!new_file)
        return 0;
    sym_path_dir(dir, sizeof(dir), out_path);
    if (statvfs(dir, &fs) != 0)
        SYM_FAIL(SYM_EUSAGE, "%s: the output directory %s does not exist or cannot be read",
                 out_path, dir);
    if ((double)fs.f_bavail * fs.f_frsize < z.output_bytes) {
        human(a, sizeof(a), z.output_bytes);
        human(b, sizeof(b), (double)fs.f_bavail * fs.f_frsize);
        SYM_FAIL(SYM_EJOB,
                 "%s: the output needs about %s (allocated in full when it is created) but %s "
                 "has %s free; --no-space-check runs it anyway",
                 out_path, a, dir, b);
    }
cleanup:
    return rc;
}

/* every sweep axis and the values of its columns */
static void print_axes(FILE *out, const sym_job *job)
{
    int n = sym_job_n_runs(job);

    for (int ax = 0; ax < job->n_axes; ax++) {
        fprintf(out, "  axis %d %s: %d values, %d runs each\n", ax, job->axis_name[ax],
                job->axis_len[ax], n / job->axis_len[ax]);
        for (int k = 0; k < job->n_columns; k++) {
            const sym_grid_column *g = &job->columns[k];

            int sub = 0;

            if (g->axis != ax)
                continue;
            /* skip the per-key columns of mapping values (regularizer.kind, ...) */
            for (int j = 0; j < job->n_columns && !sub; j++)
                sub = j != k && job->columns[j].axis == ax &&
                      strncmp(g->name, job->columns[j].name, strlen(job->columns[j].name)) == 0 &&
                      g->name[strlen(job->columns[j].name)] == '.';
            if (sub)
                continue;
            for (int v = 0; v < job->axis_len[ax]; v++)
                fprintf(out, "      %s = %s\n", g->name, g->str[v]);
        }
    }
}

/*
 * The time estimate, calibrated on this machine: two short trainings of run 0 separate the
 * fixed cost of a run (data, setup) from the cost per epoch; other configurations scale the
 * per-epoch part by samples x multiply-adds.
 */
static int print_calibrated_time(FILE *out, const sym_job *job)
{
    double t[2], fixed, per_epoch, per_unit, est = 0;
    int rc = 0, n = sym_job_n_runs(job), ep[2] = {10, 40};
    int most = job->configs[0].train.epochs > 40 ? job->configs[0].train.epochs : 40;

    for (int k = 0; k < 2; k++) {
        SYM_TRY(calibration_time(&t[k], job, ep[k]));
        /* a tiny model's 30 extra epochs can hide under the timer's noise
         * and the probes' fixed cost: lengthen the second run (up to the
         * job's own epochs) until the difference is measurable */
        while (k == 1 && t[1] - t[0] < 2e-3 && ep[1] < most) {
            ep[1] = ep[1] * 8 < most ? ep[1] * 8 : most;
            SYM_TRY(calibration_time(&t[1], job, ep[1]));
        }
    }
    per_epoch = fmax(0.0, (t[1] - t[0]) / (ep[1] - ep[0]));
    fixed = fmax(0.0, t[0] - ep[0] * per_epoch);
    per_unit = per_epoch / ((double)job->configs[0].data.samples * macs(&job->configs[0].model));
    for (int c = 0; c < job->n_configs; c++) {
        const sym_job_config *cf = &job->configs[c];

        est += job->n_seeds * (fixed + per_unit * work(cf));
        /* the probe pieces: data again, then their passes over the data */
        for (int i = 0; i < job->n_probes; i++)
            if (job->probes[i].n_pieces && job->probes[i].def->task_work)
                est += (double)job->n_seeds * job->probes[i].n_pieces *
                       (fixed + per_unit * job->probes[i].def->task_work(
                                               sym_job_probe_opts(job, &job->probes[i], c), cf,
                                               (double)params_of(&cf->model),
                                               (double)cf->data.samples * macs(&cf->model)));
    }
    fprintf(out, "time: about %.3g core-hours, %.3g s per run on average (calibrated on this "
                 "machine: %.3g s fixed + %.3g s per epoch for run 0)\n",
            est / 3600.0, est / n, fixed, per_epoch);
    fprintf(out, "      with W worker ranks (mpirun -np W+1), about %.3g / W hours of wall time\n",
            est / 3600.0);
cleanup:
    return rc;
}

int sym_plan_print(FILE *out, const sym_job *job, int calibrate)
{
    int rc = 0, n = sym_job_n_runs(job);
    sym_plan_sizes z;
    char a[64], b[64];

    fprintf(out, "%s: %d runs = %d configuration%s x %d seed%s; %lld tasks (%d per run: training",
            job->path, n, job->n_configs, job->n_configs == 1 ? "" : "s", job->n_seeds,
            job->n_seeds == 1 ? "" : "s",
            (long long)n * (1 + sym_job_n_pieces(job) + sym_job_has_team(job)),
            1 + sym_job_n_pieces(job) + sym_job_has_team(job));
    for (int i = 0; i < job->n_probes; i++)
        if (job->probes[i].n_pieces)
            fprintf(out, ", then %d %s %s%s", job->probes[i].n_pieces, job->probes[i].def->name,
                    job->probes[i].def->piece_noun ? job->probes[i].def->piece_noun : "piece",
                    job->probes[i].n_pieces == 1 ? "" : "s");
    if (sym_job_has_team(job)) {
        int first = 1;

        fprintf(out, ", then a team task of %d rank%s (", job->team_size, job->team_size == 1 ? "" : "s");
        for (int i = 0; i < job->n_probes; i++)
            if (job->probes[i].def->team) {
                fprintf(out, "%s%s", first ? "" : " + ", job->probes[i].def->name);
                first = 0;
            }
        fprintf(out, ")");
    }
    fprintf(out, ")\n");
    sym_plan_sizes_of(&z, job);
    if (sym_job_has_team(job)) {
        double need = z.team_bytes;
        char np[64] = "any number of ranks";

        if (job->team_size > 1)
            snprintf(np, sizeof(np), "mpirun -np %d or more", job->team_size + 1);
        fprintf(out, "team tasks: %d rank%s each (%s), up to %.1f MiB per team rank (an upper "
                     "estimate); their time is not in the estimate below\n",
                job->team_size, job->team_size == 1 ? "" : "s", np, need / 1048576.0);
    }
    print_axes(out, job);

    human(a, sizeof(a), z.output_bytes);
    fprintf(out, "output: about %s (allocated in full when the file is created)\n", a);
    if (z.data_bytes > 0) {
        human(a, sizeof(a), z.data_bytes);
        fprintf(out, "data: %s read from HDF5 by every worker rank for each of its runs\n", a);
    }
    human(a, sizeof(a), z.worker_bytes);
    human(b, sizeof(b), z.rank0_bytes);
    fprintf(out, "memory: up to %s per worker rank for its largest run; rank 0 up to %s (results "
                 "buffered between checkpoints)\n", a, b);
    if (z.team_bytes > 0) {
        human(a, sizeof(a), z.team_bytes);
        fprintf(out, "memory: up to %s per rank of a team task (team probes)\n", a);
    }

    if (calibrate)
        SYM_TRY(print_calibrated_time(out, job));
cleanup:
    return rc;
}
