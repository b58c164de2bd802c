/* One run: data, initialization, training, all from the run's seed. */
#include "symsweep/io.h"
#include "symsweep/run.h"
#include "symsweep/team.h"

#include "heldout_impl.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sym_run_load_data(sym_data *d, const sym_job *job, int index)
{
    uint64_t seed;
    const sym_job_config *cfg = sym_job_run_config(job, index, &seed);

    return sym_run_data_load(d, &cfg->data, seed, sym_run_classes(cfg));
}

/* one tensor [rows x cols] from <group>/<name>: exact shape, or row @p run of a padded per-run dataset */
static int read_tensor(double *out, sym_h5 *f, const sym_init_from *in, const sym_tensor *t)
{
    char path[512];
    int rank = 0, rc = 0;
    long long dims[8] = {0}, R, C;
    size_t elem;
    double *buf = NULL;

    snprintf(path, sizeof(path), "%s%s%s", in->group,
             in->group[0] && in->group[strlen(in->group) - 1] == '/' ? "" : "/", t->name);
    if (!sym_h5_exists(f, path))
        SYM_FAIL(SYM_EJOB, "%s: no dataset %s for the model's tensor %s [%d x %d]%s", in->file, path,
                 t->name, t->rows, t->cols,
                 in->run < 0 && sym_h5_exists(f, SYM_PATH_WEIGHTS)
                     ? " (a symsweep output? give model.init.run, the run to start from)"
                     : "");
    SYM_TRY(sym_h5_dataset_shape(&rank, dims, &elem, f, path));
    if (in->run >= 0) { /* [runs, R, C] or [runs, R] */
        if (rank < 2 || rank > 3)
            SYM_FAIL(SYM_EJOB, "%s: %s: expected a per-run dataset [runs, %d, %d], found %d dimensions",
                     in->file, path, t->rows, t->cols, rank);
        if (in->run >= dims[0])
            SYM_FAIL(SYM_EJOB, "%s: %s: run %lld, but the file has %lld runs", in->file, path, in->run,
                     dims[0]);
        R = dims[1];
        C = rank == 3 ? dims[2] : 1;
    } else {
        if (rank < 1 || rank > 2)
            SYM_FAIL(SYM_EJOB, "%s: %s: expected [%d, %d], found %d dimensions (a per-run dataset? "
                     "give model.init.run)", in->file, path, t->rows, t->cols, rank);
        R = dims[0];
        C = rank == 2 ? dims[1] : 1;
        if (R != t->rows || C != t->cols)
            SYM_FAIL(SYM_EJOB, "%s: %s: expected [%d x %d] (tensor %s of the model), found [%lld x %lld]",
                     in->file, path, t->rows, t->cols, t->name, R, C);
    }
    if (R < t->rows || C < t->cols)
        SYM_FAIL(SYM_EJOB, "%s: %s: expected [%d x %d] (tensor %s of the model), found [%lld x %lld]",
                 in->file, path, t->rows, t->cols, t->name, R, C);
    if (in->run >= 0) { /* a symsweep output: float64 */
        if (elem != sizeof(double))
            SYM_FAIL(SYM_EJOB, "%s: %s: expected float64 values (a symsweep output), found %zu-byte "
                     "elements", in->file, path, elem);
        SYM_TRY(sym_alloc_doubles(&buf, (size_t)(R * C)));
        SYM_TRY(sym_h5_read_block(buf, f, path, in->run, 1));
    } else { /* any numeric type, converted */
        int r2 = 0, c2 = 0;

        SYM_TRY(sym_h5_read_matrix(&buf, &r2, &c2, in->file, path));
    }
    for (long long i = 0; i < R; i++)
        for (long long j = 0; j < C; j++) {
            double x = buf[i * C + j];
            int inside = i < t->rows && j < t->cols;

            if (inside && !isfinite(x))
                SYM_FAIL(SYM_EJOB, "%s: %s%s: element [%lld, %lld] is %g: expected [%d x %d] finite "
                         "values (tensor %s of the model)%s", in->file, path,
                         in->run >= 0 ? " (this run)" : "", i, j, x, t->rows, t->cols, t->name,
                         in->run >= 0 ? "; a run that failed, or of a smaller shape?" : "");
            if (!inside && !isnan(x)) /* the padding of a symsweep output is NaN */
                SYM_FAIL(SYM_EJOB, "%s: %s: the run's tensor is larger than [%d x %d] (tensor %s of "
                         "the model): element [%lld, %lld] is %g", in->file, path, t->rows, t->cols,
                         t->name, i, j, x);
            if (inside)
                out[t->offset + (size_t)i * t->cols + (size_t)j] = x;
        }
cleanup:
    free(buf);
    return rc;
}

int sym_run_read_init(double *params, const sym_model *m, const sym_init_from *in)
{
    sym_h5 *f = NULL;
    int rc = 0;

    SYM_TRY(sym_h5_open_read(&f, in->file));
    for (int k = 0; k < sym_model_n_tensors(m); k++)
        SYM_TRY(read_tensor(params, f, in, sym_model_tensor(m, k)));
cleanup:
    sym_h5_close(f);
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

/* the probes' hooks at every curve point during training */
typedef struct hooks {
    const sym_job *job;
    void *state[SYM_MAX_PROBES];
    const sym_train_opts *train;
    int index;
    sym_heldout_run *scores; /* the run's scores beside training */
} hooks;

static sym_run_progress_fn progress_fn;
static void *progress_ctx;

void sym_run_set_progress(sym_run_progress_fn fn, void *ctx)
{
    progress_fn = fn;
    progress_ctx = ctx;
}

static int run_hooks(void *ctx, int k, double *params, const double *grad, double L0)
{
    hooks *h = ctx;
    int rc = 0, moved = 0;

    /* the run's scores at the point's parameters, before a probe moves them */
    SYM_TRY(sym_heldout_point(h->scores, k, params));
    for (int i = 0; i < h->job->n_probes; i++)
        if (h->state[i] && h->job->probes[i].def->point)
            SYM_TRY(h->job->probes[i].def->point(h->state[i], k, params, grad, L0));
    /* then the probes that move the parameters along a symmetry (after every probe saw the
     * point), in the job's order */
    for (int i = 0; i < h->job->n_probes; i++)
        if (h->state[i] && h->job->probes[i].def->move) {
            SYM_TRY(h->job->probes[i].def->move(h->state[i], k, params));
            moved |= rc == 1;
        }
    if (progress_fn)
        progress_fn(progress_ctx, h->index, sym_train_point_epoch(h->train, k), h->train->epochs);
    rc = moved;
cleanup:
    return rc;
}

static void stop_hooks(hooks *h)
{
    for (int i = 0; h->job && i < h->job->n_probes; i++)
        if (h->state[i])
            h->job->probes[i].def->stop(h->state[i]);
    memset(h->state, 0, sizeof(h->state));
}

/* a run as a probe sees it */
static sym_probe_run probe_run(const sym_job *job, int index, const sym_job_probe *p, const sym_model *m,
                               const sym_data *d, const double *params)
{
    sym_probe_run pr;

    memset(&pr, 0, sizeof(pr));
    pr.index = index;
    pr.cfg = sym_job_run_config(job, index, &pr.seed);
    pr.stream = p->stream;
    pr.purpose = p->purpose;
    pr.model = m;
    pr.data = d;
    pr.params = params;
    pr.status = SYM_RUN_DONE;
    return pr;
}

/* train.project_orbit: every step's gradient loses its orbit-tangent component */
typedef struct projection {
    const sym_model *m;
    sym_orbit_ws *ws; /* made once: the projection runs at every step */
    double *perp;
} projection;

static int project_gradient(void *ctx, const double *params, double *grad)
{
    projection *p = ctx;
    int rc = sym_orbit_project_ws(p->ws, NULL, p->perp, NULL, params, grad);

    if (rc >= 0)
        memcpy(grad, p->perp, sizeof(double) * sym_model_n_params(p->m));
    return rc < 0 ? rc : 0;
}

/* the projection of train.project_orbit (the algebra's tangent space and, for cross-entropy, the
 * softmax's shifts), installed as the trainer's gradient filter */
static int projection_start(projection *p, sym_train_opts *topt, const sym_model *m,
                            const sym_job_config *cfg)
{
    sym_algebra alg;
    int rc = 0;

    SYM_TRY(sym_orbit_algebra(&alg, m, (sym_algebra)(cfg->train.project_orbit - 1)));
    SYM_TRY(sym_orbit_ws_create(&p->ws, m, alg));
    SYM_TRY(sym_orbit_ws_add_shifts(p->ws, &cfg->reg));
    SYM_TRY(sym_alloc_doubles(&p->perp, sym_model_n_params(m)));
    p->m = m;
    topt->grad_filter = project_gradient;
    topt->filter_ctx = p;
cleanup:
    return rc;
}

/* after training (status in r): the probes that followed it finish, then the probes of the
 * trained network */
static int probes_after_training(sym_run_result *r, const sym_job *job, int index,
                                 const sym_model *m, const sym_data *d, const hooks *hk)
{
    int rc = 0;

    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];
        sym_probe_run pr = probe_run(job, index, p, m, d, r->params);

        pr.status = r->status;
        if (hk->state[i] && p->def->finish)
            SYM_TRY(p->def->finish(hk->state[i], &pr, r->measures + p->off));
    }
    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];
        sym_probe_run pr = probe_run(job, index, p, m, d, r->params);

        pr.status = r->status;
        if (p->def->at_end)
            SYM_TRY(p->def->at_end(sym_job_probe_opts(job, p, index / job->n_seeds), &pr,
                                   r->measures + p->off));
    }
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
    int rc = 0, step = 0, any_hook = 0;
    hooks hk;
    sym_train_opts topt = cfg->train;
    projection proj = {NULL, NULL, NULL};
    sym_heldout_run scores;

    memset(&scores, 0, sizeof(scores));
    memset(&hk, 0, sizeof(hk));
    hk.scores = &scores;
    hk.job = job;
    hk.train = &cfg->train;
    hk.index = index;
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
    SYM_TRY(sym_run_data_acquire(&d, &cfg->data, seed, sym_run_classes(cfg)));
    sym_rng_init(&init, seed, SYM_RNG_INIT, 0);
    sym_rng_init(&shuffle, seed, SYM_RNG_SHUFFLE, 0);
    if (cfg->init.on)
        SYM_TRY(sym_run_read_init(r->params, m, &cfg->init));
    else
        sym_model_init_params(m, r->params, &init);
    memcpy(r->initial, r->params, np * sizeof(double));
    if (job->measure.total) {
        SYM_TRY(sym_alloc_doubles(&r->measures, job->measure.total));
        for (size_t i = 0; i < job->measure.total; i++)
            r->measures[i] = NAN;
    }
    SYM_TRY(sym_heldout_start(&scores, &job->heldout, m, &cfg->reg, &d,
                              cfg->model.loss == SYM_LOSS_CROSS_ENTROPY, r->measures));
    /* the probes that follow training point by point: from the initial parameters */
    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];
        sym_probe_run pr = probe_run(job, index, p, m, &d, r->params);

        if (!p->def->start)
            continue;
        SYM_TRY(p->def->start(sym_job_probe_opts(job, p, index / job->n_seeds), &pr, r->measures + p->off, &hk.state[i]));
        any_hook = 1;
    }
    if (cfg->train.project_orbit)
        SYM_TRY(projection_start(&proj, &topt, m, cfg));
    /* the hook sees values training computes anyway (the scores compute their own, at the
     * curve points, and change nothing in training) */
    if (any_hook || progress_fn || scores.sc) {
        topt.hook = run_hooks;
        topt.hook_ctx = &hk;
    }
    SYM_TRY((cfg->train.layerwise ? sym_train_layerwise : sym_train)(&tout, r->curve, r->params, m, &cfg->reg, &topt, &d, &shuffle));
    r->status = tout.status;
    r->epochs_done = tout.epochs_done;
    r->final = tout.final;
    SYM_TRY(sym_heldout_final(&scores, r->params,
                              tout.status == SYM_RUN_DONE && cfg->train.epochs % cfg->train.loss_every == 0
                                  ? r->n_curve - 1 : -1));
    SYM_TRY(probes_after_training(r, job, index, m, &d, &hk));
cleanup:
    if (rc < 0 && step == 1) {
        /* a failure of this run (data, numerics), not of the process: record it */
        snprintf(r->error, sizeof(r->error), "%s", sym_err_message());
        r->status = SYM_RUN_FAILED;
        rc = 0;
    }
    r->wall_time = sym_now() - t0;
    stop_hooks(&hk);
    sym_heldout_stop(&scores);
    free(proj.perp);
    sym_orbit_ws_free(proj.ws);
    sym_run_data_release(&d);
    sym_model_free(m);
    return rc;
}

int sym_probe_piece(double *out, const sym_job *job, int index, int piece, const double *params)
{
    sym_model *m = NULL;
    sym_data d = {0};
    uint64_t seed;
    const sym_job_config *cfg = sym_job_run_config(job, index, &seed);
    int rc = 0, local = 0;
    const sym_job_probe *p = sym_job_piece_probe(job, piece, &local);
    sym_probe_run pr;

    SYM_ASSERT(p != NULL);
    SYM_TRY(sym_model_create(&m, &cfg->model));
    SYM_TRY(sym_run_data_acquire(&d, &cfg->data, seed, sym_run_classes(cfg)));
    pr = probe_run(job, index, p, m, &d, params);
    SYM_TRY(p->def->piece(sym_job_probe_opts(job, p, index / job->n_seeds), &pr, local, out));
cleanup:
    sym_run_data_release(&d);
    sym_model_free(m);
    return rc;
}

void sym_run_result_dispose(sym_run_result *r)
{
    if (r->block) {
        free(r->block);
    } else {
        free(r->measures);
        free(r->probe);
        free(r->params);
        free(r->initial);
        free(r->curve);
    }
    memset(r, 0, sizeof(*r));
}

/* ---- the team task of a run: the team probes in turn ---- */

static int team_syev(void *solver, double *w, double *Z, int want_vectors, int n, sym_column_fn fn,
                     void *ctx)
{
    return sym_team_syev(w, Z, want_vectors, solver, n, fn, ctx);
}

static int team_svd(void *solver, double *s, double *Vt, int m, int n, sym_row_fn fn, void *ctx)
{
    return sym_team_svd(s, Vt, solver, m, n, fn, ctx);
}

static int team_sum(void *solver, double *x, size_t n)
{
    sym_team *t = solver;

    if (n > (size_t)INT_MAX ||
        MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, t->comm) != MPI_SUCCESS)
        return sym_err_set(SYM_EMPI, __FILE__, __LINE__, "a team's sum of %zu values failed", n);
    return 0;
}

int sym_team_task(double *out, const sym_job *job, int index, const double *params, MPI_Comm comm)
{
    const sym_measure_layout *L = &job->measure;
    const sym_job_config *cfg;
    sym_model *m = NULL;
    sym_data d = {0};
    sym_team team;
    sym_team_ops ops;
    uint64_t seed;
    int rc = 0, opened = 0;

    cfg = sym_job_run_config(job, index, &seed);
    for (size_t i = 0; i < L->team_len; i++)
        out[i] = NAN;
    SYM_TRY(sym_model_create(&m, &cfg->model));
    SYM_TRY(sym_run_data_acquire(&d, &cfg->data, seed, sym_run_classes(cfg)));
    SYM_TRY(sym_team_open(&team, comm));
    opened = 1;
    memset(&ops, 0, sizeof(ops));
    ops.solver = &team;
    ops.syev = team_syev;
    ops.svd = team_svd;
    ops.sum = team_sum;
    ops.size = team.size;
    MPI_Comm_rank(comm, &ops.rank);
    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];
        sym_probe_run pr = probe_run(job, index, p, m, &d, params);

        if (p->def->team)
            SYM_TRY(p->def->team(sym_job_probe_opts(job, p, index / job->n_seeds), &pr, &ops, out + (p->off - L->team)));
    }
cleanup:
    if (opened)
        sym_team_close(&team);
    sym_run_data_release(&d);
    sym_model_free(m);
    return rc;
}
