/*
 * symsweep plan: what a job will cost before it runs.  Sizes are computed
 * from the layout; time comes from a short calibration: the first run of a
 * configuration trained for a few epochs, timed, and scaled by each
 * configuration's work (epochs x samples x multiply-adds per sample).
 */
#include "symsweep/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* bytes one training run holds: data (row- and feature-major), activations
 * and their gradients, parameters with gradient and optimizer state */
static double run_bytes(const sym_job_config *c)
{
    double wsum = 0, wmax = 0, n = c->data.samples;
    int din = c->model.widths[0], dout = c->model.widths[c->model.n_layers];

    for (int l = 0; l <= c->model.n_layers; l++) {
        wsum += c->model.widths[l];
        wmax = c->model.widths[l] > wmax ? c->model.widths[l] : wmax;
    }
    return 8.0 * (2 * n * (din + dout) + n * (2 * wsum + 5 * wmax) + 6.0 * (double)params_of(&c->model));
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

int sym_plan_print(FILE *out, const sym_job *job, int calibrate)
{
    int rc = 0, n = sym_job_n_runs(job);
    double out_bytes = 0, max_run = 0, max_result = 0;
    char a[64], b[64];

    fprintf(out, "%s: %d runs = %d configuration%s x %d seed%s; %lld tasks (%d per run: training",
            job->path, n, job->n_configs, job->n_configs == 1 ? "" : "s", job->n_seeds,
            job->n_seeds == 1 ? "" : "s",
            (long long)n * (1 + sym_job_n_pieces(job) + sym_job_has_team(job)),
            1 + sym_job_n_pieces(job) + sym_job_has_team(job));
    if (sym_job_n_pieces(job))
        fprintf(out, ", then %d orbit_loss directions", sym_job_n_pieces(job));
    if (sym_job_has_team(job))
        fprintf(out, ", then a team task of %d rank%s (%s%s%s)", job->team_size,
                job->team_size == 1 ? "" : "s", job->probe_hessian ? "hessian" : "",
                job->probe_hessian && job->probe_discovery ? " + " : "",
                job->probe_discovery ? "symmetry_discovery" : "");
    fprintf(out, ")\n");
    if (sym_job_has_team(job)) {
        size_t need = 0;

        for (int k = 0; k < job->n_configs; k++) {
            sym_model *pm = NULL;

            if (sym_model_create(&pm, &job->configs[k].model) == 0) {
                int P = (int)sym_model_n_params(pm), U = sym_discovery_unknowns(pm, job->discovery.family);
                size_t b = 0;

                if (job->probe_hessian)
                    b = sym_team_syev_bytes(P, job->team_size);
                if (job->probe_discovery) {
                    size_t d = sym_team_svd_bytes(sym_discovery_conditions(pm, &job->discovery), U,
                                                  job->team_size);
                    b = d > b ? d : b;
                }
                need = b > need ? b : need;
            }
            sym_model_free(pm);
        }
        char np[64] = "any number of ranks";

        if (job->team_size > 1)
            snprintf(np, sizeof(np), "mpirun -np %d or more", job->team_size + 1);
        fprintf(out, "team tasks: %d rank%s each (%s), up to %.1f MiB per team rank (an upper "
                     "estimate); their time is not in the estimate below\n",
                job->team_size, job->team_size == 1 ? "" : "s", np, need / 1048576.0);
    }
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

    /* output: per run, the fixed datasets plus curves and weights at their largest shapes */
    {
        size_t max_params = 0, max_points = 0;

        for (int c = 0; c < job->n_configs; c++) {
            const sym_job_config *cf = &job->configs[c];
            size_t p = params_of(&cf->model), pts = (size_t)sym_train_n_points(&cf->train);

            max_params = p > max_params ? p : max_params;
            max_points = pts > max_points ? pts : max_points;
            max_run = run_bytes(cf) > max_run ? run_bytes(cf) : max_run;
        }
        out_bytes = n * (1.0 + 8 * 5 + 512 + 8 * 3 + 8.0 * max_points +
                         8.0 * max_params * (job->record_weights == SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL ? 2
                                             : job->record_weights == SYM_RECORD_WEIGHTS_FINAL         ? 1
                                                                                                       : 0) +
                         8.0 * job->n_columns + 16 + 8.0 * (double)sym_job_probe_size(job) +
                         8.0 * job->orbit.directions * (job->probe_orbit ? 1 : 0));
        max_result = 8.0 * (2 * max_params + max_points) + 600;
    }
    human(a, sizeof(a), out_bytes);
    fprintf(out, "output: about %s (allocated in full when the file is created)\n", a);
    human(a, sizeof(a), max_run);
    human(b, sizeof(b), fmin(256.0 * (1 << 20), max_result * n) + 16.0 * n);
    fprintf(out, "memory: up to %s per worker rank for its largest run; rank 0 buffers up to %s of "
                 "results between checkpoints\n", a, b);

    if (calibrate) {
        /* two short trainings of run 0 separate the fixed cost of a run
         * (data, setup) from the cost per epoch; other configurations scale
         * the per-epoch part by samples x multiply-adds */
        double t[2], fixed, per_epoch, per_unit, est = 0;
        int ep[2] = {10, 40}, most = job->configs[0].train.epochs > 40 ? job->configs[0].train.epochs : 40;

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
            /* a probe piece: data again, then points forward passes over the data */
            if (job->probe_orbit)
                est += (double)job->n_seeds * sym_job_n_pieces(job) *
                       (fixed + per_unit * (double)job->orbit.points * cf->data.samples * macs(&cf->model));
        }
        fprintf(out, "time: about %.3g core-hours, %.3g s per run on average (calibrated on this "
                     "machine: %.3g s fixed + %.3g s per epoch for run 0)\n",
                est / 3600.0, est / n, fixed, per_epoch);
        fprintf(out, "      with W worker ranks (mpirun -np W+1), about %.3g / W hours of wall time\n",
                est / 3600.0);
    }
cleanup:
    return rc;
}
