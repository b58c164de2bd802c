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
 * Row (i, k) of J is the gradient of output k at sample i: the gradient of
 * the one-sample squared error against the target y_i - (d_out / 2) e_k,
 * through the model's own backward pass.  Dense: rows x P doubles.
 *
 * Matrix-free (method gram, or auto when J would not fit): J is never stored.  Column c of
 * the Gram matrix K = J J^T is J (J^T e_c): row c of J (one backward pass of one sample), then
 * its Jacobian-vector product over all samples (the forward tangent of the exact
 * Hessian-vector product, sym_hvp_jvp); with more rows than parameters, K = J^T J instead
 * (column j = J^T (J e_j)).  K has min(rows, P)^2 entries; its eigenvalues are the squared
 * singular values, counted when above SYM_GRAM_RANK_TOL times the largest (the square of 1e-6:
 * below that the Gram matrix's rounding, rows x eps x the largest, takes over).  The orbit
 * dimension needs the dense tangent map of the symmetry algebra (dim g x P); beyond
 * MAX_ORBIT_ENTRIES it is NaN, and so is the excess.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a Jacobian (dense) or a Gram matrix (gram) of at most this many entries (8 bytes each) */
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
    const fd_opts *o = opts;
    sym_model *m = NULL;
    double P;
    int rc = sym_model_create(&m, &cfg->model);

    if (rc)
        return rc;
    P = (double)sym_model_n_params(m);
    sym_model_free(m);
    if (!use_gram(o, rows_of(o, cfg), P) && (double)rows_of(o, cfg) * P > MAX_ENTRIES)
        return SYM_PROBE_MSG(msg, "method",
                             "the Jacobian of %d outputs x %.0f parameters has more than %.0e "
                             "entries; use method: gram (or auto), or samples of at most %.0f",
                             rows_of(o, cfg), P, MAX_ENTRIES,
                             floor(MAX_ENTRIES / P / cfg->model.widths[cfg->model.n_layers]));
    if (use_gram(o, rows_of(o, cfg), P) && fmin(rows_of(o, cfg), P) * fmin(rows_of(o, cfg), P) > MAX_ENTRIES)
        return SYM_PROBE_MSG(msg, o->samples ? "samples" : "",
                             "the Gram matrix of %d outputs and %.0f parameters (the smaller squared) "
                             "has more than %.0e entries; set samples to at most %.0f", rows_of(o, cfg),
                             P, MAX_ENTRIES, floor(sqrt(MAX_ENTRIES) / cfg->model.widths[cfg->model.n_layers]));
    return 0;
}

static size_t fd_layout(void *opts, const sym_config *cfgs, int n)
{
    fd_opts *o = opts;

    for (int c = 0; c < n; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &cfgs[c].model) == 0) {
            int P = (int)sym_model_n_params(m), r = rows_of(o, &cfgs[c]), k = r < P ? r : P;

            o->k = k > o->k ? k : o->k;
            o->any_gram |= use_gram(o, r, P);
        }
        sym_model_free(m);
    }
    /* rank, null, orbit, excess, gap, parameters, rows; then the singular values */
    return 7 + (size_t)o->k;
}

static int fd_schema(const void *opts, int team_size, sym_schema *s)
{
    const fd_opts *o = opts;
    long long k[1] = {o->k};

    (void)team_size;
    sym_schema_measure(s, "/runs/metrics/functional_dimension", 0, NULL, 0, 1,
                       "rank of the Jacobian of the network's outputs on the data with respect to "
                       "its parameters: the dimension of the functions near the trained point, as "
                       "the data see them (functional_dimension probe)");
    sym_schema_measure(s, "/runs/metrics/functional_null_dimension", 0, NULL, 1, 1,
                       "parameters minus functional_dimension: directions that do not change the "
                       "outputs on the data (functional_dimension probe)");
    sym_schema_measure(s, "/runs/metrics/functional_orbit_dimension", 0, NULL, 2, 1,
                       "dimension of the orbit of the architecture's continuous symmetry (its "
                       "activations', with the translations of linear hidden layers between "
                       "biased layers; no penalty) through the trained point; NaN for tied models "
                       "(functional_dimension probe)");
    sym_schema_measure(s, "/runs/metrics/functional_excess_null", 0, NULL, 3, 1,
                       "functional_null_dimension minus functional_orbit_dimension: the part of "
                       "the null space the data add (dead or saturated units, too few samples); "
                       "0 at a generic point on rich data (functional_dimension probe)");
    sym_schema_measure(s, "/probes/functional_dimension/gap", 0, NULL, 4, 1,
                       "smallest counted over largest uncounted singular value of the Jacobian "
                       "(inf: full rank)");
    sym_schema_measure(s, "/probes/functional_dimension/n_params", 0, NULL, 5, 1,
                       "parameters P of the run");
    sym_schema_measure(s, "/probes/functional_dimension/n_outputs", 0, NULL, 6, 1,
                       "rows of the Jacobian: samples used x output width");
    if (o->any_gram)
        sym_schema_measure(s, "/probes/functional_dimension/singular_values", 1, k, 7, 1,
                           "singular values of the Jacobian, descending [run, k] (NaN past "
                           "min(rows, P)); counted when above 1e-9 times the largest from the "
                           "Jacobian's SVD, or 1e-6 matrix-free (method gram: the square roots of "
                           "the eigenvalues of J J^T)");
    else
        sym_schema_measure(s, "/probes/functional_dimension/singular_values", 1, k, 7, 1,
                           "singular values of the Jacobian, descending [run, k] (NaN past "
                           "min(rows, P)); counted when above 1e-9 times the largest");
    return 0;
}

/* J [rows x P]: row (i, k) = d yhat_ik / d params */
static int jacobian(double *J, const sym_probe_run *run, int n)
{
    const sym_model *m = run->model;
    int dout = sym_model_get_opts(m)->widths[sym_model_get_opts(m)->n_layers], rc = 0;
    size_t P = sym_model_n_params(m);
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    double *y = NULL, *t = NULL;

    SYM_TRY(sym_eval_create(&e, m, &none, 1));
    SYM_TRY(sym_alloc_doubles(&y, (size_t)dout));
    SYM_TRY(sym_alloc_doubles(&t, (size_t)dout));
    for (int i = 0; i < n; i++) {
        const double *x = run->data->X + (size_t)i * run->data->d_in;

        SYM_TRY(sym_eval_forward(e, y, run->params, x, 1));
        for (int k = 0; k < dout; k++) {
            /* loss (1/dout) sum_j (y_j - t_j)^2, t = y - (dout/2) e_k: its gradient is dy_k */
            memcpy(t, y, sizeof(double) * (size_t)dout);
            t[k] -= 0.5 * dout;
            SYM_TRY(sym_eval_loss(e, &lp, J + ((size_t)i * dout + k) * P, run->params, x, t, 1));
        }
    }
cleanup:
    sym_eval_free(e);
    free(y);
    free(t);
    return rc;
}

/* matrix-free, more rows than parameters: the eigenvalues of K = J^T J [P x P], column j =
 * J^T (J e_j): a Jacobian-vector product over all samples, then a vector-Jacobian product (the
 * gradient of the squared error against the target yhat - (n d_out / 2) u is J^T u) */
static int gram_params(double *K, const sym_probe_run *run, int n)
{
    const sym_model *m = run->model;
    int dout = sym_model_get_opts(m)->widths[sym_model_get_opts(m)->n_layers], rc = 0;
    size_t P = sym_model_n_params(m), no = (size_t)n * dout;
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_hvp *h = NULL;
    sym_loss_parts lp;
    double *u = NULL, *yhat = NULL, *t = NULL, *ej = NULL;

    SYM_TRY(sym_eval_create(&e, m, &none, n));
    SYM_TRY(sym_hvp_create(&h, m, &none, n));
    SYM_TRY(sym_hvp_set_point(h, run->params, run->data->X, run->data->Y, n));
    SYM_TRY(sym_alloc_doubles(&u, no));
    SYM_TRY(sym_alloc_doubles(&yhat, no));
    SYM_TRY(sym_alloc_doubles(&t, no));
    SYM_TRY(sym_alloc_doubles(&ej, P));
    memset(ej, 0, sizeof(double) * P);
    SYM_TRY(sym_eval_forward(e, yhat, run->params, run->data->X, n));
    for (size_t j = 0; j < P; j++) {
        ej[j] = 1.0;
        SYM_TRY(sym_hvp_jvp(h, u, ej));
        ej[j] = 0.0;
        for (size_t q = 0; q < no; q++)
            t[q] = yhat[q] - 0.5 * (double)no * u[q];
        SYM_TRY(sym_eval_loss(e, &lp, K + j * P, run->params, run->data->X, t, n));
    }
cleanup:
    sym_eval_free(e);
    sym_hvp_free(h);
    free(u);
    free(yhat);
    free(t);
    free(ej);
    return rc;
}

/* matrix-free: the eigenvalues of the smaller Gram matrix, J J^T [rows x rows] (column c = J
 * (row c of J)) or J^T J [P x P] */
static int gram_rank(int *rank, double *gap, double *sv, const sym_probe_run *run, int n, int rows)
{
    const sym_model *m = run->model;
    int dout = sym_model_get_opts(m)->widths[sym_model_get_opts(m)->n_layers], rc = 0;
    int k = rows < (int)sym_model_n_params(m) ? rows : (int)sym_model_n_params(m);
    size_t P = sym_model_n_params(m);
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_hvp *h = NULL;
    sym_loss_parts lp;
    double *K = NULL, *w = NULL, *work = NULL, *row = NULL, *y = NULL, *t = NULL;

    if ((size_t)rows > P) { /* J^T J: P x P */
        rows = (int)P;
        SYM_TRY(sym_alloc_doubles(&K, P * P));
        SYM_TRY(gram_params(K, run, n));
        goto solve;
    }
    SYM_TRY(sym_eval_create(&e, m, &none, 1));
    SYM_TRY(sym_hvp_create(&h, m, &none, n));
    SYM_TRY(sym_hvp_set_point(h, run->params, run->data->X, run->data->Y, n));
    SYM_TRY(sym_alloc_doubles(&K, (size_t)rows * rows));
    SYM_TRY(sym_alloc_doubles(&row, P));
    SYM_TRY(sym_alloc_doubles(&y, (size_t)dout));
    SYM_TRY(sym_alloc_doubles(&t, (size_t)dout));
    for (int i = 0; i < n; i++) {
        const double *x = run->data->X + (size_t)i * run->data->d_in;

        SYM_TRY(sym_eval_forward(e, y, run->params, x, 1));
        for (int q = 0; q < dout; q++) { /* row (i, q) of J, as jacobian() makes it */
            memcpy(t, y, sizeof(double) * (size_t)dout);
            t[q] -= 0.5 * dout;
            SYM_TRY(sym_eval_loss(e, &lp, row, run->params, x, t, 1));
            SYM_TRY(sym_hvp_jvp(h, K + ((size_t)i * dout + q) * rows, row));
        }
    }
solve:
    SYM_TRY(sym_alloc_doubles(&w, (size_t)rows));
    SYM_TRY(sym_alloc_doubles(&work, sym_syev_work_size(rows)));
    for (int a = 0; a < rows; a++) /* symmetric to rounding: its mean */
        for (int b = a + 1; b < rows; b++) {
            double v = 0.5 * (K[(size_t)a * rows + b] + K[(size_t)b * rows + a]);

            K[(size_t)a * rows + b] = K[(size_t)b * rows + a] = v;
        }
    SYM_TRY(sym_syev(w, NULL, K, rows, work)); /* ascending */
    *rank = 0;
    for (int a = 0; a < rows; a++)
        *rank += w[a] > SYM_GRAM_RANK_TOL * w[rows - 1];
    *gap = *rank == k ? INFINITY : *rank == 0 ? NAN
                                  : sqrt(w[rows - *rank] / fmax(w[rows - *rank - 1], 1e-300));
    for (int a = 0; a < k; a++) /* descending, the min(rows, P) largest */
        sv[a] = sqrt(fmax(w[rows - 1 - a], 0.0));
cleanup:
    sym_eval_free(e);
    sym_hvp_free(h);
    free(K);
    free(w);
    free(work);
    free(row);
    free(y);
    free(t);
    return rc;
}

static int fd_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const fd_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    int P = (int)sym_model_n_params(run->model), rows = rows_of(o, run->cfg);
    int n = rows / mo->widths[mo->n_layers], rank = 0, rc = 0;
    double *J = NULL;

    if (n > run->data->n) /* user data shorter than the grid point says: the data decide */
        n = run->data->n, rows = n * mo->widths[mo->n_layers];
    if (use_gram(o, rows, P)) {
        SYM_TRY(gram_rank(&rank, &x[4], x + 7, run, n, rows));
    } else {
        SYM_TRY(sym_alloc_doubles(&J, (size_t)rows * P));
        SYM_TRY(jacobian(J, run, n));
        /* the singular values straight into their slot (min(rows, P) of them) */
        SYM_TRY(sym_row_rank(&rank, &x[4], x + 7, J, rows, P));
    }
    x[0] = rank;
    x[1] = P - rank;
    x[5] = P;
    x[6] = rows;
    if (!mo->tied) { /* the architecture's own symmetry (no penalty), translations included */
        sym_reg none = SYM_REG_INIT;
        int orbit = 0, alg = 0, dims[SYM_MAX_LAYERS];

        SYM_TRY(sym_symmetry_algebras(dims, run->model, &none));
        if ((double)(sym_symmetry_dim(run->model, dims) + sym_translation_dim(run->model)) * P <=
            MAX_ORBIT_ENTRIES) {
            SYM_TRY(sym_symmetry_orbit(&alg, &orbit, NULL, run->model, &none, run->params));
            x[2] = orbit;
            x[3] = P - rank - orbit;
        }
    }
cleanup:
    free(J);
    return rc;
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
    .api_version = SYM_PROBE_API_VERSION,
    .size = sizeof(sym_probe_def),
    .name = "functional_dimension",
    .doc = "the rank of the Jacobian of the outputs on the data with respect to the parameters, "
           "and how much of its null space the symmetry's orbit does not explain",
    .opts_size = sizeof(fd_opts),
    .settings = fd_settings,
    .n_settings = sizeof fd_settings / sizeof *fd_settings,
    .check = fd_check,
    .layout = fd_layout,
    .schema = fd_schema,
    .at_end = fd_at_end,
    .task_work = fd_task_work,
};
