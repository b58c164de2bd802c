/*
 * The functional dimension of the trained network on its data: the rank of
 * the Jacobian J = d(outputs)/d(parameters) [n d_out x P] over the run's
 * samples (Grigsby, Lindsey et al.).  Its null space holds every direction
 * that does not change the function on the data: the orbit of the
 * architecture's symmetry (scalings, GL), and whatever the data add (dead or
 * always-on ReLU units, too few samples).  The excess, null dimension minus
 * orbit dimension, is that data-dependent part: 0 for a generic point on
 * rich data.
 *
 * Closed forms (tests): a linear net f(x) = M x whose narrowest layer r is at
 * least min(d_in, d_out) reaches every M, so on samples X the rank is d_out
 * rank(X); a bottleneck r below both reaches the rank-r matrices, of
 * dimension r (d_in + d_out - r).  The orbit counts the translations of
 * linear hidden layers between biased layers (b_h + t, b_{h+1} - W_{h+1} t)
 * beside gl: without them a linear [4, 6, 3] net with biases showed an excess
 * of 3 on any data (found while building this probe; the Hessian probe's
 * orbit dimension had the same gap).  A ReLU unit dead on all the data leaves
 * its d_in + 1 + d_out parameters in the null space, one of them its
 * scaling: the excess grows by d_in + d_out.
 *
 * A team task (team: N ranks, or auto from team_memory_mb), dense or matrix-free.  Row (i, k)
 * of J is the gradient of output k at sample i: the gradient of the one-sample squared error
 * against the target y_i - (d_out / 2) e_k, through the model's own backward pass; column j is
 * the Jacobian-vector product J e_j over all samples (the forward tangent of the exact
 * Hessian-vector product, sym_hvp_jvp).  Dense: the team's SVD of J, or of J^T when it has
 * fewer rows than parameters, each rank computing its own rows.  With train.loss cross_entropy J
 * is the Jacobian of the centred logits z - mean(z) 1, sample by sample (C J with
 * C = I - 1 1^T / d_out on each sample's block): softmax sees the logits only modulo their
 * common shift, so the directions that shift every logit of a sample alike (the softmax's
 * symmetry, sym_shift_dim) change no prediction and belong to the null space, as the orbit
 * counts them.  The rows and products come from a twin of the model with the squared error
 * (same layout, same outputs), whatever the loss it was trained with; the centring is in the
 * target of each row (y - (d_out / 2)(e_k - 1 / d_out)) and on the outputs of each product.
 *
 * Matrix-free (method gram, or auto when J has more than MAX_ENTRIES entries): J is never
 * stored.  Column c of
 * the Gram matrix K = J J^T is J (J^T e_c): row c of J (one backward pass of one sample), then
 * its Jacobian-vector product over all samples (the forward tangent of the exact
 * Hessian-vector product, sym_hvp_jvp); with more rows than parameters, K = J^T J instead
 * (column j = J^T (J e_j)).  K has min(rows, P)^2 entries; its eigenvalues are the squared
 * singular values, counted when above SYM_GRAM_RANK_TOL times the largest (the square of 1e-6:
 * below that the Gram matrix's rounding, rows x eps x the largest, takes over).  The orbit
 * dimension needs the dense tangent map of the symmetry algebra (dim g x P); beyond
 * MAX_ORBIT_ENTRIES it is NaN, and so is the excess (stored as -1, the int64 fill value).
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* method auto: dense up to this many Jacobian entries (8 bytes each), else gram */
#define MAX_ENTRIES 50000000.0
/* the orbit's dense tangent map: at most this many entries (2 GB) */
#define MAX_ORBIT_ENTRIES 250000000.0
#define SYM_GRAM_RANK_TOL 1e-12

enum { FD_AUTO = 0, FD_DENSE, FD_GRAM, FD_METHODS };
static const char *const fd_methods[FD_METHODS] = {"auto", "dense", "gram"};

typedef struct fd_opts {
    int samples; /* 0: all the run's samples */
    int method;
    int k;       /* the most singular values of any grid point */
    int any_gram; /* a grid point goes matrix-free */
    int rows_max; /* the most Jacobian rows of any grid point (team sizes: team_need sees no data) */
    size_t at[7], sv_at; /* where layout's datasets put the values (the host places them) */
} fd_opts;

static const sym_setting fd_settings[] = {
    {.name = "samples", .type = SYM_SETTING_INT, .offset = offsetof(fd_opts, samples), .lo = 0,
     .hi = 100000000, .doc = "the first this many samples of the run's data (0: all)"},
    {.name = "method", .type = SYM_SETTING_ENUM, .offset = offsetof(fd_opts, method),
     .names = fd_methods, .n_names = FD_METHODS,
     .doc = "dense: the Jacobian's SVD (rows x P doubles); gram: matrix-free, the eigenvalues of "
            "J J^T from Jacobian-vector products (rows^2 doubles; ranks to 1e-6 of the largest "
            "singular value); auto: dense when the Jacobian fits, else gram"},
};

static int use_gram(const fd_opts *o, double rows, double P)
{
    return o->method == FD_GRAM || (o->method == FD_AUTO && rows * P > MAX_ENTRIES);
}

static int rows_of(const fd_opts *o, const sym_config *cfg)
{
    int n = o->samples > 0 && o->samples < cfg->data.samples ? o->samples : cfg->data.samples;

    return n * cfg->model.widths[cfg->model.n_layers];
}

static int fd_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    /* its orbit count is the chain's continuous symmetry */
    if (sym_chain_check(cfg, msg))
        return SYM_EJOB;
    /* sizes: the team task's dense problem (team_need) goes through the memory checks of
     * validate and plan like every team probe's (team: auto sizes the team) */
    return 0;
}

/* one value per run, an integer or not; where it went */
static size_t one(sym_schema *s, const char *path, int integer, const char *desc)
{
    sym_schema_dataset *d = sym_schema_measure(s, path, 0, NULL, "%s", desc);

    return sym_schema_at(integer ? sym_schema_int(d) : d);
}

/* rank, null, orbit, excess, gap, parameters, rows; then the singular values */
static int fd_declare(fd_opts *o, sym_schema *s)
{
    const char *sv = "/probes/functional_dimension/singular_values";
    long long k[1] = {o->k};

    o->at[0] = one(s, "/runs/metrics/functional_dimension", 1,
                   "rank of the Jacobian of the network's outputs on the data with respect to "
                   "its parameters: the dimension of the functions near the trained point, as "
                   "the data see them (functional_dimension probe)");
    o->at[1] = one(s, "/runs/metrics/functional_null_dimension", 1,
                   "parameters minus functional_dimension: directions that do not change the "
                   "outputs on the data (functional_dimension probe)");
    o->at[2] = one(s, "/runs/metrics/functional_orbit_dimension", 1,
                   "dimension of the orbit of the architecture's continuous symmetry (its "
                   "activations', with the translations of linear hidden layers between "
                   "biased layers; no penalty) through the trained point; -1 (no value) for "
                   "tied models, and where the tangent map would exceed 2.5e8 entries "
                   "(functional_dimension probe)");
    o->at[3] = one(s, "/runs/metrics/functional_excess_null", 1,
                   "functional_null_dimension minus functional_orbit_dimension: the part of "
                   "the null space the data add (dead or saturated units, too few samples); "
                   "0 at a generic point on rich data; -1 (no value) where "
                   "functional_orbit_dimension has none (functional_dimension probe)");
    o->at[4] = one(s, "/probes/functional_dimension/gap", 0,
                   "smallest counted over largest uncounted singular value of the Jacobian "
                   "(inf: full rank)");
    o->at[5] = one(s, "/probes/functional_dimension/n_params", 1,
                   "parameters P of the run");
    o->at[6] = one(s, "/probes/functional_dimension/n_outputs", 1,
                   "rows of the Jacobian: samples used x output width");
    if (o->any_gram || o->method != FD_AUTO)
        o->sv_at = sym_schema_at(sym_schema_measure(s, sv, 1, k,
                           "singular values of the Jacobian, descending [run, k] (NaN past "
                           "min(rows, P)); counted when above 1e-9 times the largest from the "
                           "Jacobian's SVD, or 1e-6 matrix-free (method gram: the square roots of "
                           "the eigenvalues of J J^T)"));
    else
        o->sv_at = sym_schema_at(sym_schema_measure(s, sv, 1, k,
                           "singular values of the Jacobian, descending [run, k] (NaN past "
                           "min(rows, P)); counted when above 1e-9 times the largest"));
    return 0;
}

static int fd_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    fd_opts *o = opts;

    for (int c = 0; c < n; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &cfgs[c].model) == 0) {
            int P = (int)sym_model_n_params(m), r = rows_of(o, &cfgs[c]), k = r < P ? r : P;

            o->k = k > o->k ? k : o->k;
            o->any_gram |= use_gram(o, r, P);
            o->rows_max = r > o->rows_max ? r : o->rows_max;
        }
        sym_model_free(m);
    }
    return fd_declare(o, s);
}


/* what the row and column functions of a team's solver need, made by every rank of the team */
typedef struct fd_ctx {
    const sym_probe_run *run;
    const sym_model *m;
    sym_model *mse;    /* the model with the squared error, when it was trained with another loss */
    int n, dout, rows;
    int last;          /* the sample whose outputs y hold (-1: none) */
    size_t P;
    int center;        /* cross-entropy: the Jacobian of the centred logits */
    sym_eval *e1, *en; /* one sample; all n */
    sym_hvp *h;        /* the point over all n samples: Jacobian-vector products */
    double *y, *t, *row, *ej, *u, *yhat, *tn;
} fd_ctx;

static void ctx_free(fd_ctx *c)
{
    sym_model_free(c->mse);
    sym_eval_free(c->e1);
    sym_eval_free(c->en);
    sym_hvp_free(c->h);
    free(c->y);
    free(c->t);
    free(c->row);
    free(c->ej);
    free(c->u);
    free(c->yhat);
    free(c->tn);
}

/* jvp: columns of J (Jacobian-vector products over all samples); vjp: J^T J's columns too */
static int ctx_init(fd_ctx *c, const sym_probe_run *run, int n, int rows, int jvp, int vjp)
{
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    sym_reg none = SYM_REG_INIT;
    int rc = 0;

    memset(c, 0, sizeof(*c));
    c->run = run;
    c->m = run->model;
    if (mo->loss != SYM_LOSS_MSE) { /* the rows are gradients of a squared error */
        sym_model_opts twin = *mo;

        twin.loss = SYM_LOSS_MSE;
        SYM_TRY(sym_model_create(&c->mse, &twin));
        c->m = c->mse;
        c->center = mo->loss == SYM_LOSS_CROSS_ENTROPY;
    }
    c->n = n;
    c->rows = rows;
    c->dout = mo->widths[mo->n_layers];
    c->P = sym_model_n_params(run->model);
    c->last = -1;
    SYM_TRY(sym_eval_create(&c->e1, c->m, &none, 1));
    SYM_TRY(sym_alloc_doubles(&c->y, (size_t)c->dout));
    SYM_TRY(sym_alloc_doubles(&c->t, (size_t)c->dout));
    SYM_TRY(sym_alloc_doubles(&c->row, c->P));
    if (jvp || vjp) {
        SYM_TRY(sym_hvp_create(&c->h, c->m, &none, n));
        SYM_TRY(sym_hvp_set_point(c->h, run->params, run->data->X, run->data->Y, n));
        SYM_TRY(sym_alloc_doubles(&c->ej, c->P));
        memset(c->ej, 0, sizeof(double) * c->P);
    }
    if (vjp) {
        SYM_TRY(sym_eval_create(&c->en, c->m, &none, n));
        SYM_TRY(sym_alloc_doubles(&c->u, (size_t)rows));
        SYM_TRY(sym_alloc_doubles(&c->yhat, (size_t)rows));
        SYM_TRY(sym_alloc_doubles(&c->tn, (size_t)rows));
        SYM_TRY(sym_eval_forward(c->en, c->yhat, run->params, run->data->X, n));
    }
cleanup:
    if (rc < 0)
        ctx_free(c);
    return rc;
}

/* row r = (i, k) of J: the gradient of output k at sample i, the gradient of the one-sample
 * squared error (1/d_out) sum_j (y_j - t_j)^2 against t = y - (d_out / 2) e_k */
static int j_row(void *ctx, int r, double *out)
{
    fd_ctx *c = ctx;
    int i = r / c->dout, k = r % c->dout, rc = 0;
    const double *x = c->run->data->X + (size_t)i * c->run->data->d_in;
    sym_loss_parts lp;

    if (i != c->last) { /* one forward pass per sample, not per output */
        SYM_TRY(sym_eval_forward(c->e1, c->y, c->run->params, x, 1));
        c->last = i;
    }
    memcpy(c->t, c->y, sizeof(double) * (size_t)c->dout);
    c->t[k] -= 0.5 * c->dout;
    if (c->center) /* the gradient of (e_k - 1 / d_out) . y: row k of C J */
        for (int j = 0; j < c->dout; j++)
            c->t[j] += 0.5;
    SYM_TRY(sym_eval_loss(c->e1, &lp, out, c->run->params, x, c->t, 1));
cleanup:
    return rc;
}

/* C v on each sample's block of d_out outputs (cross-entropy), in place */
static void center_outputs(const fd_ctx *c, double *v, int rows)
{
    for (int i = 0; c->center && i < rows / c->dout; i++) {
        double mean = 0.0, *b = v + (size_t)i * c->dout;

        for (int k = 0; k < c->dout; k++)
            mean += b[k];
        mean /= c->dout;
        for (int k = 0; k < c->dout; k++)
            b[k] -= mean;
    }
}

/* column j of J (a row of J^T): J e_j, a Jacobian-vector product over all samples */
static int j_col(void *ctx, int j, double *out)
{
    fd_ctx *c = ctx;
    int rc;

    c->ej[j] = 1.0;
    rc = sym_hvp_jvp(c->h, out, c->ej);
    c->ej[j] = 0.0;
    center_outputs(c, out, c->rows);
    return rc;
}

/* column q of J J^T: J (row q of J) */
static int jjt_col(void *ctx, size_t q, double *out)
{
    fd_ctx *c = ctx;
    int rc = j_row(ctx, (int)q, c->row);

    if (rc < 0 || (rc = sym_hvp_jvp(c->h, out, c->row)) < 0)
        return rc;
    center_outputs(c, out, c->rows);
    return 0;
}

/* column j of J^T J: J^T (J e_j), the gradient of the squared error over all samples against
 * the target yhat - (n d_out / 2) u is J^T u */
static int jtj_col(void *ctx, size_t j, double *out)
{
    fd_ctx *c = ctx;
    sym_loss_parts lp;
    int rc = 0;

    SYM_TRY(j_col(ctx, (int)j, c->u));
    for (int q = 0; q < c->rows; q++)
        c->tn[q] = c->yhat[q] - 0.5 * (double)c->rows * c->u[q];
    SYM_TRY(sym_eval_loss(c->en, &lp, out, c->run->params, c->run->data->X, c->tn, c->n));
cleanup:
    return rc;
}

/* whether the dense tangent map of the architecture's own symmetry (no penalty) is built: up
 * to MAX_ORBIT_ENTRIES entries (beyond, the orbit dimension and the excess have no value) */
static int orbit_fits(int *fits, const sym_model *m)
{
    sym_reg none = SYM_REG_INIT;
    int dims[SYM_MAX_LAYERS], rc = 0;

    SYM_TRY(sym_symmetry_algebras(dims, m, &none));
    *fits = (double)(sym_symmetry_dim(m, dims) + sym_translation_dim(m) + sym_shift_dim(m, &none)) *
                (double)sym_model_n_params(m) <=
            MAX_ORBIT_ENTRIES;
cleanup:
    return rc;
}

static void fd_team_need(const void *opts, const sym_model *m, sym_team_need *need)
{
    const fd_opts *o = opts;
    double P = (double)sym_model_n_params(m), rows = o->rows_max, k = fmin(rows, P);

    if (use_gram(o, rows, P)) {
        need->kind = SYM_TEAM_SYEV;
        need->m = need->n = (long long)k;
    } else {
        need->kind = SYM_TEAM_SVD;
        need->m = (long long)fmax(rows, P);
        need->n = (long long)k;
    }
}

static int fd_team(const void *opts, const sym_probe_run *run, const sym_team_ops *team, double *x)
{
    const fd_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    int P = (int)sym_model_n_params(run->model), rows = rows_of(o, run->cfg);
    int n = rows / mo->widths[mo->n_layers], rank = 0, rc = 0, k, have = 0;
    double *w = NULL, *J = NULL, *sv = x + o->sv_at;
    fd_ctx c;

    if (n > run->data->n) /* user data shorter than the grid point says: the data decide */
        n = run->data->n, rows = n * mo->widths[mo->n_layers];
    k = rows < P ? rows : P;
    {
        int gram = use_gram(o, rows, P);

        /* Jacobian-vector products: the Gram matrices, and J^T's rows on a team; J^T J's
         * columns also need vector-Jacobian products over all samples */
        SYM_TRY(ctx_init(&c, run, n, rows, gram || (team->size > 1 && rows < P), gram && rows > P));
    }
    have = 1;
    if (use_gram(o, rows, P)) { /* the eigenvalues of the smaller Gram matrix */
        SYM_TRY(sym_alloc_doubles(&w, (size_t)k));
        SYM_TRY(team->syev(team->solver, w, NULL, 0, k, rows <= P ? jjt_col : jtj_col, &c));
        for (int a = 0; a < k; a++) /* ascending -> singular values descending */
            sv[a] = sqrt(fmax(w[k - 1 - a], 0.0));
        for (int a = 0; a < k; a++)
            rank += w[a] > SYM_GRAM_RANK_TOL * w[k - 1];
        x[o->at[4]] = rank == k ? INFINITY : rank == 0 ? NAN : sv[rank - 1] / fmax(sv[rank], 1e-300);
    } else if (team->size == 1) { /* alone: J's rows, then LAPACK's SVD (far faster than a
                                   * grid of one for a wide J) */
        SYM_TRY(sym_alloc_doubles(&J, (size_t)rows * P));
        for (int r = 0; r < rows; r++)
            SYM_TRY(j_row(&c, r, J + (size_t)r * P));
        SYM_TRY(sym_row_rank(&rank, &x[o->at[4]], sv, J, rows, P));
    } else { /* the team's SVD of J (rows >= P) or of J^T */
        if (rows >= P)
            SYM_TRY(team->svd(team->solver, sv, NULL, rows, P, j_row, &c));
        else
            SYM_TRY(team->svd(team->solver, sv, NULL, P, rows, j_col, &c));
        for (int a = 0; a < k; a++)
            rank += sv[a] > SYM_ORBIT_RANK_TOL * sv[0];
        x[o->at[4]] = rank == k ? INFINITY : rank == 0 ? NAN : sv[rank - 1] / fmax(sv[rank], 1e-300);
    }
    x[o->at[0]] = rank;
    x[o->at[1]] = P - rank;
    x[o->at[5]] = P;
    x[o->at[6]] = rows;
    if (!mo->tied && team->rank == 0) { /* the architecture's own symmetry (no penalty) */
        sym_reg none = SYM_REG_INIT;
        int orbit = 0, alg = 0, fits;

        SYM_TRY(orbit_fits(&fits, run->model));
        if (fits) {
            SYM_TRY(sym_symmetry_orbit(&alg, &orbit, NULL, run->model, &none, run->params));
            x[o->at[2]] = orbit;
            x[o->at[3]] = P - rank - orbit;
        }
    }
cleanup:
    if (have)
        ctx_free(&c);
    free(w);
    free(J);
    return rc;
}

/* the orbit's dense tangent map (rank 0 of the team), when it is built */
static double fd_task_bytes(const void *opts, const sym_config *cfg)
{
    sym_model *m = NULL;
    sym_reg none = SYM_REG_INIT;
    double b = 0.0;
    int fits;

    (void)opts;
    if (!cfg->model.tied && sym_model_create(&m, &cfg->model) == 0 && orbit_fits(&fits, m) == 0 && fits)
        b = sym_symmetry_orbit_bytes(m, &none);
    sym_model_free(m);
    return b;
}

static double fd_task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    double rows = rows_of(opts, cfg);

    (void)pass;
    if (use_gram(opts, rows, n_params)) { /* per column of the smaller Gram matrix: a tangent pass
                                           * over all samples, and a backward pass (J^T J: over all) */
        double k = fmin(rows, n_params);

        return k * (rows <= n_params ? 3.0 * n_params : 3.0 * pass) + k * 2.0 * pass + 4.0 * k * k * k;
    }
    /* a backward pass per row, then the SVD */
    return rows * 3.0 * n_params + 4.0 * rows * n_params * fmin(rows, n_params);
}

const sym_probe_def sym_probe_functional_dimension = {
    SYM_PROBE_DEF_INIT,
    .name = "functional_dimension",
    .doc = "the rank of the Jacobian of the outputs on the data with respect to the parameters (a "
           "team task, dense or matrix-free), "
           "and how much of its null space the symmetry's orbit does not explain",
    .opts_size = sizeof(fd_opts),
    .settings = fd_settings,
    .n_settings = sizeof fd_settings / sizeof *fd_settings,
    .check = fd_check,
    .layout = fd_layout,
    .team_need = fd_team_need,
    .team = fd_team,
    .task_work = fd_task_work,
    .task_bytes = fd_task_bytes,
};
