/*
 * Probe speed on the article's Ex5 network (deep linear 4 -> 6 -> 6 -> 3, no bias, 200
 * teacher_linear samples, trained 2000 epochs of gd lr 0.001), issue 17's goal 5:
 *   - the gradient decomposition at one training step (the gradient_decomposition probe's
 *     point callback, given the step's gradient as training hands it over: the split into
 *     orbit and cross-orbit parts by least squares, and the objective change of the three
 *     steps), per second;
 *   - the (t, s) landscape (sym_orbit_perpendicular with landscape G = 21: exp(tA) once per
 *     row, G x G objective values), points per second.
 * usage: bench_probe_speed [REPEATS]   -> "key value" lines (CPU time of this process, the
 * median of REPEATS), for bench/run_probe_bench.sh; ex5_numpy.py is the reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/probe.h"
#include "symsweep/probe_api.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof(double), cmp);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5, rc = 1;
    const sym_probe_def *gd = NULL;
    sym_config cfg;
    sym_data d = {0};
    sym_model *m = NULL;
    sym_rng r;
    sym_eval *e = NULL;
    sym_train_out tout;
    sym_loss_parts lp;
    double *p = NULL, *curve = NULL, *g = NULL, *A = NULL, *land = NULL, *out = NULL, *t = NULL;
    void *opts = NULL, *state = NULL;
    const int G = 21, gd_calls = 20000, land_calls = 40;

    if (reps < 1) {
        fprintf(stderr, "bench: REPEATS must be >= 1\n");
        return 2;
    }
    sym_blas_single_thread();
    memset(&cfg, 0, sizeof(cfg));
    cfg.data.kind = SYM_DATA_TEACHER_LINEAR;
    cfg.data.samples = 200;
    cfg.data.input = 4;
    cfg.data.output = 3;
    cfg.data.noise = 0.05;
    cfg.model = (sym_model_opts)SYM_MODEL_OPTS_INIT;
    cfg.model.n_layers = 3;
    cfg.model.widths[0] = 4;
    cfg.model.widths[1] = 6;
    cfg.model.widths[2] = 6;
    cfg.model.widths[3] = 3;
    cfg.model.n_encoder = 3;
    cfg.reg = (sym_reg)SYM_REG_INIT;
    cfg.train = (sym_train_opts)SYM_TRAIN_OPTS_INIT;
    cfg.train.optimizer = SYM_OPT_GD;
    cfg.train.lr = 0.001;
    cfg.train.epochs = 2000;
    cfg.train.loss_every = 50;
    gd = sym_probe_find("gradient_decomposition");
    sym_rng_init(&r, 0, SYM_RNG_DATA, 0);
    if (!gd || sym_data_generate(&d, &cfg.data, &r) < 0 || sym_model_create(&m, &cfg.model) < 0 ||
        sym_eval_create(&e, m, &cfg.reg, d.n) < 0)
        goto fail;
    p = calloc(sym_model_n_params(m), sizeof(double));
    g = calloc(sym_model_n_params(m), sizeof(double));
    curve = calloc((size_t)sym_train_n_points(&cfg.train), sizeof(double));
    A = calloc(sym_orbit_direction_size(m), sizeof(double));
    land = calloc((size_t)G * G, sizeof(double));
    t = calloc((size_t)reps, sizeof(double));
    opts = calloc(1, gd->opts_size);
    if (!p || !g || !curve || !A || !land || !t || !opts)
        goto fail;
    sym_rng_init(&r, 0, SYM_RNG_INIT, 0);
    sym_model_init_params(m, p, &r);
    if (sym_train(&tout, curve, p, m, &cfg.reg, &cfg.train, &d, &r) < 0)
        goto fail;

    /* the gradient decomposition: the probe's callback, as training calls it */
    {
        size_t len;
        sym_probe_run run = {.cfg = &cfg, .model = m, .data = &d, .params = p, .status = SYM_RUN_DONE};

        sym_schema decl = {0};

        if (gd->init)
            gd->init(opts);
        /* the probe declares its values; their count is its slice of a run's measures */
        if (gd->layout(opts, &cfg, 1, &decl) < 0 || sym_schema_check(&decl) < 0)
            goto fail;
        len = decl.len;
        sym_schema_dispose(&decl);
        out = calloc(len ? len : 1, sizeof(double));
        if (!out || gd->start(opts, &run, out, &state) < 0 ||
            sym_eval_loss(e, &lp, g, p, d.X, d.Y, d.n) < 0)
            goto fail;
        /* untimed warm-up of 0.3 s: OpenBLAS's idle threads spin for about 0.1 s after
         * sym_blas_single_thread wakes them, and that CPU time is this process's */
        for (double w0 = sym_now(); sym_now() - w0 < 0.3;)
            if (gd->point(state, 1, p, g, lp.total) < 0)
                goto fail;
        for (int k = 0; k < reps; k++) {
            double t0 = sym_cpu_now();

            for (int i = 0; i < gd_calls; i++)
                if (gd->point(state, 1, p, g, lp.total) < 0)
                    goto fail;
            t[k] = sym_cpu_now() - t0;
        }
        printf("gd_steps_per_second %.1f\n", gd_calls / median(t, reps));
    }

    /* the landscape of one direction: G x G points */
    {
        sym_orbit_opts o = SYM_ORBIT_OPTS_INIT;

        o.points = 21;
        o.t_max = 2.0;
        o.s_max = 0.5;
        o.algebra = SYM_ALGEBRA_GL;
        o.perpendicular = SYM_PERP_RANDOM;
        o.landscape = G;
        sym_rng_init(&r, 0, SYM_RNG_PROBE, 0);
        if (sym_orbit_direction(A, m, SYM_ALGEBRA_GL, &r) < 0)
            goto fail;
        for (int k = 0; k < reps; k++) {
            double t0 = sym_cpu_now();

            for (int i = 0; i < land_calls; i++)
                if (sym_orbit_perpendicular(NULL, land, m, &cfg.reg, p, &d, A, &o, &r) < 0)
                    goto fail;
            t[k] = sym_cpu_now() - t0;
        }
        printf("landscape_points_per_second %.1f\n", (double)land_calls * G * G / median(t, reps));
        printf("landscape_center %.17g\n", land[(G / 2) * G + G / 2]);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench: %s\n", sym_err_message());
done:
    if (state && gd->stop)
        gd->stop(state);
    free(opts);
    free(out);
    free(p);
    free(g);
    free(curve);
    free(A);
    free(land);
    free(t);
    sym_eval_free(e);
    sym_data_dispose(&d);
    sym_model_free(m);
    return rc;
}
