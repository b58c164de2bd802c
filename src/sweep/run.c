/* One run: data, initialization, training, all from the run's seed. */
#include "symsweep/io.h"
#include "symsweep/run.h"
#include "symsweep/team.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_data(sym_data *d, const sym_data_opts *o, uint64_t seed)
{
    int rc = 0, r = 0, c = 0;

    memset(d, 0, sizeof(*d));
    if (o->kind != SYM_DATA_HDF5) {
        sym_rng rng;

        /* the data stream depends on the seed only, so runs that share a seed
         * (different regularizers, say) see the same data: paired comparisons */
        sym_rng_init(&rng, seed, SYM_RNG_DATA, 0);
        return sym_data_generate(d, o, &rng);
    }
    SYM_TRY(sym_h5_read_matrix(&d->X, &r, &c, o->file, o->x_path));
    d->n = r;
    d->d_in = c;
    if (o->y_path[0]) {
        int r2 = 0;

        SYM_TRY(sym_h5_read_matrix(&d->Y, &r2, &d->d_out, o->file, o->y_path));
        if (r2 != r)
            SYM_FAIL(SYM_EIO, "%s: '%s' has %d rows but '%s' has %d", o->file, o->x_path, r,
                     o->y_path, r2);
    } else {
        d->Y = d->X;
        d->d_out = c;
    }
cleanup:
    if (rc)
        sym_data_dispose(d);
    return rc;
}

/* test hook: SYMSWEEP_TEST_FAIL_RUNS=3,7 makes those runs fail, to exercise
 * the failure path of a sweep (recorded, reported, redone by --resume) */
static int injected_failure(int index)
{
    const char *e = getenv("SYMSWEEP_TEST_FAIL_RUNS");

    while (e && *e) {
        char *end;
        long v = strtol(e, &end, 10);

        if (end == e)
            break;
        if (v == index)
            return 1;
        e = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* Ex3 structure and penalty invariance of the trained encoder W [d x D] and
 * decoder W' [D x d], into r->measures (NaN where a smaller shape leaves room) */
static int end_of_run_probes(sym_run_result *r, const sym_job *job, const sym_model *m,
                             uint64_t seed)
{
    const sym_measure_layout *L = &job->measure;
    const sym_model_opts *o = sym_model_get_opts(m);
    int d = o->widths[1], D = o->widths[0], rc = 0;
    double *W = NULL, *Wd = NULL, *x;

    x = r->measures; /* allocated NaN-filled before training */
    if (job->probe_reparam) {
        /* held-out inputs: the data generator on its own stream; user data: its own X */
        const sym_job_config *cfg = sym_job_run_config(job, r->index, NULL);
        sym_data_opts dopt = cfg->data;
        sym_data held = {0};
        sym_rng rng;

        if (dopt.kind == SYM_DATA_HDF5) {
            SYM_TRY(load_data(&held, &dopt, seed));
        } else {
            dopt.samples = job->reparam_samples;
            sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_REPARAM_DATA);
            SYM_TRY(sym_data_generate(&held, &dopt, &rng));
        }
        sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_REPARAM);
        for (int f = 0; f < job->n_families && rc == 0; f++) {
            double *slot = x + L->reparam + 5 * (size_t)f;

            rc = sym_reparam_probe(slot, slot + 4, m, r->params, held.X, held.n, job->families[f],
                                   job->reparam_trials, &rng);
        }
        sym_data_dispose(&held);
        if (rc)
            goto cleanup;
    }
    if (job->probe_lp) {
        /* geometry only: independent of the network; its own stream */
        sym_rng rng;

        sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_LPBALL);
        for (int k = 0; k < job->n_lp_p; k++) {
            double pv = job->lp_p[k];

            for (int f = 0; f < job->n_lp_families; f++)
                SYM_TRY(sym_lp_norm_change(x + L->lp_change + (size_t)k * job->n_lp_families + f,
                                           job->lp_dim, pv, job->lp_families[f], job->lp_trials,
                                           job->lp_points, &rng));
            if (pv >= 1.0) { /* convex balls only */
                double sp[2];

                SYM_TRY(sym_lp_sparsity(sp, job->lp_dim, pv, job->lp_radius, job->lp_quadratics, &rng));
                x[L->lp_sparse + k] = sp[0];
                x[L->lp_zeros + k] = sp[1];
            }
        }
    }
    if (job->probe_centralizer) {
        /* the first hidden layer's activation at its width; its own stream */
        sym_act act = o->act[0];
        int n = o->widths[1], dim = 0, N = L->cent_n;
        double gap = 0, *basis = NULL;
        sym_rng rng;

        sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_CENTRALIZER);
        for (int f = 0; f < job->n_cent_families; f++)
            SYM_TRY(sym_centralizer_commutation(x + L->cent_comm + 2 * (size_t)f, act, o->leaky_slope, n,
                                                job->cent_families[f], job->cent_trials, 10, &rng));
        if (job->cent_basis)
            SYM_TRY(sym_alloc_doubles(&basis, (size_t)n * n * n * n));
        rc = sym_centralizer_dimension(&dim, &gap, basis, act, o->leaky_slope, n, job->cent_samples, &rng);
        if (rc == 0 && basis) /* [n^2 x n x n] into the [N^2 x N x N] slot */
            for (int b = 0; b < n * n; b++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        x[L->cent_basis + ((size_t)b * N + i) * N + j] = basis[((size_t)b * n + i) * n + j];
        free(basis);
        if (rc)
            goto cleanup;
        x[L->cent_dim] = dim;
        x[L->cent_gap] = gap;
    }
    if (!job->probe_structure && !job->probe_penalty)
        goto cleanup;
    SYM_TRY(sym_alloc_doubles(&W, (size_t)d * D));
    SYM_TRY(sym_alloc_doubles(&Wd, (size_t)d * D));
    sym_model_get_weight(m, r->params, 0, W);
    sym_model_get_weight(m, r->params, 1, Wd);
    if (job->probe_structure) {
        sym_structure st;

        SYM_TRY(sym_structure_measure(&st, x + L->balance_l2, x + L->balance_l1, x + L->sv_enc,
                                      x + L->sv_dec, x + L->sv_prod, W, Wd, d, D));
        x[L->scalars + 0] = st.orthogonality_error;
        x[L->scalars + 1] = st.transpose_error;
        x[L->scalars + 2] = st.sparsity_encoder;
        x[L->scalars + 3] = st.sparsity_decoder;
        x[L->scalars + 4] = st.norm_ratio;
    }
    if (job->probe_penalty) {
        sym_rng rng;

        /* its own stream, apart from the orbit directions */
        sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_PENALTY_INVARIANCE);
        SYM_TRY(sym_penalty_invariance(x + L->pen_mean, x + L->pen_max, W, Wd, d, D,
                                       job->penalty_trials, &rng));
    }
cleanup:
    free(W);
    free(Wd);
    return rc;
}

/*
 * The gradient decomposition at a curve point: g = g_orbit + g_perp with
 * g_orbit the least-squares projection of the full-data gradient onto the
 * orbit tangent space (sym_orbit_project), and the objective change of a
 * plain gradient step -lr v for v = g_orbit, g_perp and g.
 */
typedef struct gd_ctx {
    const sym_model *m;
    const sym_data *d;
    sym_eval *e;
    sym_algebra alg;
    double lr, *g, *tan, *perp, *th, *adj, *out; /* out: [SYM_GD_QUANTITIES x n_points] */
    double best;     /* the largest ||J^T g|| / ||g|| so far over points above the floor (NaN: none) */
    double best_abs; /* the largest ||J^T g|| so far */
    double g_floor;  /* ||g|| at the rounding floor: 1000 eps ||g|| of the first point */
    int n_points;
} gd_ctx;

static int gd_hook(void *ctx, int k, const double *params, const double *grad, double L0)
{
    gd_ctx *c = ctx;
    size_t np = sym_model_n_params(c->m);
    const double *v[3] = {c->tan, c->perp, c->g};
    sym_loss_parts lp;
    double gn;
    int rc = 0;

    /* minibatch training has no full-data gradient at hand: compute it */
    if (grad)
        memcpy(c->g, grad, np * sizeof(double));
    else
        SYM_TRY(sym_eval_loss(c->e, &lp, c->g, params, c->d->X, c->d->Y, c->d->n));
    /* the loss's derivative along unit algebra directions, before any projection */
    sym_orbit_tangent_adjoint(c->adj, c->m, params, c->g, c->alg);
    c->out[k] = sym_norm2(c->adj, sym_orbit_direction_size(c->m));
    gn = sym_norm2(c->g, np);
    /* once training has converged ||g|| is rounding noise, and so is the ratio:
     * only points above the floor count for the relative headline */
    if (k == 0)
        c->g_floor = 1000 * DBL_EPSILON * gn;
    if (gn > c->g_floor && gn > 0)
        c->best = fmax(c->best, c->out[k] / gn);
    c->best_abs = fmax(c->best_abs, c->out[k]);
    SYM_TRY(sym_orbit_project(c->tan, c->perp, NULL, c->m, params, c->g, c->alg));
    c->out[c->n_points + k] = sym_norm2(c->tan, np);
    c->out[2 * (size_t)c->n_points + k] = sym_norm2(c->perp, np);
    for (int q = 0; q < 3; q++) {
        for (size_t i = 0; i < np; i++)
            c->th[i] = params[i] - c->lr * v[q][i];
        SYM_TRY(sym_eval_loss(c->e, &lp, NULL, c->th, c->d->X, c->d->Y, c->d->n));
        c->out[(size_t)(3 + q) * c->n_points + k] = lp.total - L0;
    }
cleanup:
    return rc;
}

/*
 * Conserved quantities at each curve point: per hidden layer h the quantity
 * Q_h its symmetry conserves under gradient flow (sym_conserved_measure),
 * ||Q_h(t) - Q_h(0)|| and ||Q_h(t)||; the largest drift between
 * consecutive points per optimizer step, relative to the size of the two
 * terms at the start, ||W_h||^2 + ||b_h||^2 + ||W_{h+1}||^2.
 */
typedef struct cons_ctx {
    const sym_model *m;
    int layers, points, steps; /* steps: optimizer steps between curve points */
    double *q0, *qprev, *qcur, *drift, *norm, *scale, per_step;
    size_t off[SYM_MAX_LAYERS], size;
    int last;
} cons_ctx;

static double diff_norm(const double *a, const double *b, size_t n)
{
    double s = 0.0;

    for (size_t i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

static int cons_init(cons_ctx *c, const sym_model *m, const sym_train_opts *t, int n, double *x,
                     const sym_measure_layout *L, const double *params)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0, bs = (t->optimizer == SYM_OPT_GD || t->batch_size <= 0 || t->batch_size >= n) ? n : t->batch_size;

    memset(c, 0, sizeof(*c));
    c->m = m;
    c->layers = L->cons_layers;
    c->points = L->cons_points;
    c->steps = t->loss_every * ((n + bs - 1) / bs);
    c->drift = x + L->cons_drift;
    c->norm = x + L->cons_norm;
    c->per_step = 0.0;
    c->last = -1;
    for (int h = 0; h + 1 < o->n_layers; h++) {
        c->off[h] = c->size;
        c->size += sym_conserved_size(m, h);
    }
    SYM_TRY(sym_alloc_doubles(&c->q0, c->size + 1));
    SYM_TRY(sym_alloc_doubles(&c->qprev, c->size + 1));
    SYM_TRY(sym_alloc_doubles(&c->qcur, c->size + 1));
    SYM_TRY(sym_alloc_doubles(&c->scale, SYM_MAX_LAYERS));
    for (int h = 0; h + 1 < o->n_layers; h++) {
        double s2 = 0.0, *b = sym_model_bias(m, (double *)params, h);

        SYM_TRY(sym_conserved_measure(c->q0 + c->off[h], m, params, h));
        {
            int ni = o->widths[h], nh = o->widths[h + 1], no = o->widths[h + 2];
            double *W = NULL;

            SYM_TRY(sym_alloc_doubles(&W, (size_t)nh * (ni > no ? ni : no)));
            sym_model_get_weight(m, params, h, W);
            for (int i = 0; i < nh * ni; i++)
                s2 += W[i] * W[i];
            sym_model_get_weight(m, params, h + 1, W);
            for (int i = 0; i < no * nh; i++)
                s2 += W[i] * W[i];
            free(W);
        }
        for (int i = 0; b && i < o->widths[h + 1]; i++)
            s2 += b[i] * b[i];
        c->scale[h] = s2;
    }
cleanup:
    return rc;
}

static void cons_dispose(cons_ctx *c)
{
    free(c->q0);
    free(c->qprev);
    free(c->qcur);
    free(c->scale);
}

static int cons_point(cons_ctx *c, int k, const double *params)
{
    const sym_model_opts *o = sym_model_get_opts(c->m);
    int rc = 0;

    for (int h = 0; h + 1 < o->n_layers; h++) {
        size_t n = sym_conserved_size(c->m, h), at = (size_t)h * c->points + k;

        if (n == 0)
            continue;
        SYM_TRY(sym_conserved_measure(c->qcur + c->off[h], c->m, params, h));
        c->drift[at] = diff_norm(c->qcur + c->off[h], c->q0 + c->off[h], n);
        c->norm[at] = sym_norm2(c->qcur + c->off[h], n);
        if (c->last >= 0 && c->scale[h] > 0.0)
            c->per_step = fmax(c->per_step, diff_norm(c->qcur + c->off[h], c->qprev + c->off[h], n) /
                                                (c->scale[h] * (double)c->steps * (k - c->last)));
    }
    memcpy(c->qprev, c->qcur, sizeof(double) * c->size);
    c->last = k;
cleanup:
    return rc;
}

/* the headline numbers at the final parameters: total relative drift, the largest per step;
 * @p fresh: cons_point has just measured them (qcur holds Q at params) */
static int cons_finish(cons_ctx *c, double *out, const double *params, int fresh)
{
    const sym_model_opts *o = sym_model_get_opts(c->m);
    double worst = 0.0;
    int rc = 0, any = 0;

    for (int h = 0; h + 1 < o->n_layers; h++) {
        size_t n = sym_conserved_size(c->m, h);

        if (n == 0 || !(c->scale[h] > 0.0))
            continue;
        if (!fresh)
            SYM_TRY(sym_conserved_measure(c->qcur + c->off[h], c->m, params, h));
        worst = fmax(worst, diff_norm(c->qcur + c->off[h], c->q0 + c->off[h], n) / c->scale[h]);
        any = 1;
    }
    out[0] = any ? worst : NAN;
    out[1] = any && c->last > 0 ? c->per_step : NAN;
cleanup:
    return rc;
}

typedef struct hooks {
    gd_ctx *gd;
    cons_ctx *cons;
} hooks;

static int run_hooks(void *ctx, int k, const double *params, const double *grad, double L0)
{
    hooks *h = ctx;
    int rc = 0;

    if (h->gd)
        SYM_TRY(gd_hook(h->gd, k, params, grad, L0));
    if (h->cons)
        SYM_TRY(cons_point(h->cons, k, params));
cleanup:
    return rc;
}

int sym_run_execute(sym_run_result *r, const sym_job *job, int index)
{
    sym_model *m = NULL;
    sym_data d = {0};
    sym_rng init, shuffle;
    sym_train_out tout = {0};
    uint64_t seed;
    const sym_job_config *cfg = sym_job_run_config(job, index, &seed);
    double t0 = sym_now();
    size_t np;
    int rc = 0, step = 0;
    gd_ctx gd;
    cons_ctx cons;
    hooks hk = {NULL, NULL};
    sym_train_opts topt = cfg->train;

    memset(&gd, 0, sizeof(gd));
    memset(&cons, 0, sizeof(cons));

    memset(r, 0, sizeof(*r));
    r->index = index;
    r->status = SYM_RUN_FAILED;
    r->n_curve = sym_train_n_points(&cfg->train);
    SYM_TRY(sym_model_create(&m, &cfg->model));
    np = sym_model_n_params(m);
    r->n_params = np;
    SYM_TRY(sym_alloc_doubles(&r->params, np));
    SYM_TRY(sym_alloc_doubles(&r->initial, np));
    SYM_TRY(sym_alloc_doubles(&r->curve, (size_t)r->n_curve));
    step = 1;
    if (injected_failure(index))
        SYM_FAIL(SYM_EIO, "injected failure of run %d (SYMSWEEP_TEST_FAIL_RUNS)", index);
    SYM_TRY(load_data(&d, &cfg->data, seed));
    sym_rng_init(&init, seed, SYM_RNG_INIT, 0);
    sym_rng_init(&shuffle, seed, SYM_RNG_SHUFFLE, 0);
    sym_model_init_params(m, r->params, &init);
    memcpy(r->initial, r->params, np * sizeof(double));
    if (job->measure.total) {
        SYM_TRY(sym_alloc_doubles(&r->measures, job->measure.total));
        for (size_t i = 0; i < job->measure.total; i++)
            r->measures[i] = NAN;
    }
    if (job->probe_gd) {
        gd.m = m;
        gd.d = &d;
        gd.lr = cfg->train.lr;
        gd.out = r->measures + job->measure.gd;
        gd.n_points = job->measure.gd_points;
        gd.best = gd.best_abs = NAN;
        SYM_TRY(sym_orbit_algebra(&gd.alg, m, job->gd_algebra));
        SYM_TRY(sym_eval_create(&gd.e, m, &cfg->reg, d.n));
        SYM_TRY(sym_alloc_doubles(&gd.g, np));
        SYM_TRY(sym_alloc_doubles(&gd.tan, np));
        SYM_TRY(sym_alloc_doubles(&gd.perp, np));
        SYM_TRY(sym_alloc_doubles(&gd.th, np));
        SYM_TRY(sym_alloc_doubles(&gd.adj, sym_orbit_direction_size(m)));
        hk.gd = &gd;
    }
    if (job->probe_conserved) {
        SYM_TRY(cons_init(&cons, m, &cfg->train, d.n, r->measures, &job->measure, r->params));
        hk.cons = &cons;
    }
    if (hk.gd || hk.cons) {
        topt.hook = run_hooks;
        topt.hook_ctx = &hk;
    }
    SYM_TRY(sym_train(&tout, r->curve, r->params, m, &cfg->reg, &topt, &d, &shuffle));
    if (job->probe_gd) {
        gd.out[SYM_GD_QUANTITIES * (size_t)gd.n_points] = gd.best;
        gd.out[SYM_GD_QUANTITIES * (size_t)gd.n_points + 1] = gd.best_abs;
    }
    if (job->probe_conserved) {
        /* the last curve point follows the last epoch: the trainer's hook does not see it */
        int last = sym_train_n_points(&cfg->train) - 1, fresh = 0;

        if (tout.status == SYM_RUN_DONE && cfg->train.epochs % cfg->train.loss_every == 0 && last > cons.last) {
            SYM_TRY(cons_point(&cons, last, r->params));
            fresh = 1;
        }
        SYM_TRY(cons_finish(&cons, r->measures + job->measure.cons_scalars, r->params, fresh));
    }
    r->status = tout.status;
    r->epochs_done = tout.epochs_done;
    r->final = tout.final;
    if (job->measure.total)
        SYM_TRY(end_of_run_probes(r, job, m, seed));
cleanup:
    if (rc < 0 && step == 1) {
        /* a failure of this run (data, numerics), not of the process: record it */
        snprintf(r->error, sizeof(r->error), "%s", sym_err_message());
        r->status = SYM_RUN_FAILED;
        rc = 0;
    }
    r->wall_time = sym_now() - t0;
    cons_dispose(&cons);
    sym_eval_free(gd.e);
    free(gd.g);
    free(gd.tan);
    free(gd.perp);
    free(gd.th);
    free(gd.adj);
    sym_data_dispose(&d);
    sym_model_free(m);
    return rc;
}

int sym_probe_piece(double *out, const sym_job *job, int index, int piece, const double *params)
{
    sym_model *m = NULL;
    sym_data d = {0};
    sym_rng rng;
    sym_algebra alg;
    double *A = NULL;
    uint64_t seed;
    const sym_job_config *cfg = sym_job_run_config(job, index, &seed);
    sym_piece_layout lay = sym_job_piece_layout(job);
    int rc = 0;

    SYM_TRY(sym_model_create(&m, &cfg->model));
    SYM_TRY(sym_orbit_algebra(&alg, m, job->orbit.algebra));
    SYM_TRY(sym_alloc_doubles(&A, sym_orbit_direction_size(m)));
    sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_ORBIT_DIRECTION + (uint32_t)piece);
    SYM_TRY(sym_orbit_direction(A, m, alg, &rng));
    SYM_TRY(load_data(&d, &cfg->data, seed));
    SYM_TRY(sym_orbit_loss(out + lay.loss, out + lay.data, m, &cfg->reg, params, &d, A, &job->orbit));
    if (lay.perp != (size_t)-1 || lay.land != (size_t)-1) {
        double *perp = lay.perp != (size_t)-1 ? out + lay.perp : NULL;
        double *land = lay.land != (size_t)-1 ? out + lay.land : NULL;

        sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_ORBIT_PERPENDICULAR + (uint32_t)piece);
        SYM_TRY(sym_orbit_perpendicular(perp, land, m, &cfg->reg, params, &d, A, &job->orbit,
                                        &rng));
    }
cleanup:
    sym_data_dispose(&d);
    sym_model_free(m);
    free(A);
    return rc;
}

void sym_run_result_dispose(sym_run_result *r)
{
    free(r->measures);
    free(r->probe);
    free(r->params);
    free(r->initial);
    free(r->curve);
    memset(r, 0, sizeof(*r));
}

/* ---- the team task of a run: hessian and symmetry_discovery ---- */

static int team_syev(void *solver, double *w, double *Z, int want_vectors, int n, sym_column_fn fn,
                     void *ctx)
{
    return sym_team_syev(w, Z, want_vectors, solver, n, fn, ctx);
}

static int team_svd(void *solver, double *s, double *Vt, int m, int n, sym_row_fn fn, void *ctx)
{
    return sym_team_svd(s, Vt, solver, m, n, fn, ctx);
}

/* [rows x cols] into a slot of row stride ld (NaN-filled beforehand) */
static void put_block(double *slot, size_t ld, const double *a, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        memcpy(slot + (size_t)i * ld, a + (size_t)i * cols, sizeof(double) * (size_t)cols);
}

int sym_team_task(double *out, const sym_job *job, int index, const double *params, MPI_Comm comm)
{
    const sym_measure_layout *L = &job->measure;
    const sym_job_config *cfg;
    sym_model *m = NULL;
    sym_data d = {0};
    sym_team team;
    sym_rng rng;
    uint64_t seed;
    double *vec = NULL, *basis = NULL;
    int rc = 0, opened = 0, rank;
    size_t P;

    cfg = sym_job_run_config(job, index, &seed);
    MPI_Comm_rank(comm, &rank);
    for (size_t i = 0; i < L->team_len; i++)
        out[i] = NAN;
    SYM_TRY(sym_model_create(&m, &cfg->model));
    P = sym_model_n_params(m);
    SYM_TRY(load_data(&d, &cfg->data, seed));
    SYM_TRY(sym_team_open(&team, comm));
    opened = 1;
    if (job->probe_hessian) {
        double *x = out + (L->hess_eig - L->team), *sc = out + (L->hess_scalars - L->team);
        double *g = out + (L->gauge - L->team);
        int G = job->hessian.gauge_points;
        sym_hessian_out h;

        memset(&h, 0, sizeof(h));
        h.eig = x;
        if (job->hessian.eigenvectors && rank == 0)
            SYM_TRY(sym_alloc_doubles(&vec, P * P));
        h.vec = vec;
        if (G > 0) {
            h.gauge_loss = g;
            h.gauge_zeros = g + G;
            h.gauge_top = g + 2 * (size_t)G;
        }
        /* its own stream: the HVP check directions, then the gauge direction */
        sym_rng_init(&rng, seed, SYM_RNG_PROBE, SYM_STREAM_HESSIAN);
        SYM_TRY(sym_hessian_probe(&h, m, &cfg->reg, params, &d, &job->hessian, &rng, team_syev, &team));
        sc[0] = h.zeros;
        sc[1] = h.gap;
        sc[2] = h.top;
        sc[3] = h.orbit_dim >= 0 ? h.orbit_dim : NAN;
        sc[4] = h.orbit_gap;
        sc[5] = h.hvp_error;
        sc[6] = (double)P;
        sc[7] = team.size;
        sc[8] = h.hvp_at_kink;
        sc[9] = h.cut_below;
        sc[10] = h.cut_above;
        if (vec)
            put_block(out + (L->hess_vec - L->team), (size_t)L->hess_p, vec, (int)P, (int)P);
    }
    if (job->probe_discovery) {
        int U = sym_discovery_unknowns(m, job->discovery.family);
        double *sc = out + (L->disc_scalars - L->team);
        sym_discovery_out dz;

        memset(&dz, 0, sizeof(dz));
        dz.sv = out + (L->disc_sv - L->team);
        if (job->discovery.basis)
            SYM_TRY(sym_alloc_doubles(&basis, (size_t)U * U));
        dz.basis = basis;
        SYM_TRY(sym_symmetry_discovery(&dz, m, &cfg->reg, job->discovery.fixed_data ? &d : NULL,
                                       &job->discovery, seed, SYM_STREAM_DISCOVERY, team_svd, &team));
        sc[0] = dz.dim;
        sc[1] = dz.gap;
        if (basis && rank == 0)
            put_block(out + (L->disc_basis - L->team), (size_t)L->disc_u, basis, dz.dim, U);
    }
cleanup:
    if (opened)
        sym_team_close(&team);
    free(vec);
    free(basis);
    sym_data_dispose(&d);
    sym_model_free(m);
    return rc;
}
