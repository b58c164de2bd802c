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
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a Jacobian of at most this many entries (8 bytes each) */
#define MAX_ENTRIES 50000000.0

typedef struct fd_opts {
    int samples; /* 0: all the run's samples */
    int k;       /* the most singular values of any grid point */
} fd_opts;

static const sym_setting fd_settings[] = {
    {.name = "samples", .type = SYM_SETTING_INT, .offset = offsetof(fd_opts, samples), .lo = 0,
     .hi = 100000000, .doc = "the first this many samples of the run's data (0: all)"},
};

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
    if ((double)rows_of(o, cfg) * P > MAX_ENTRIES)
        return SYM_PROBE_MSG(msg, o->samples ? "samples" : "",
                             "the Jacobian of %d outputs x %.0f parameters has more than %.0e "
                             "entries; set samples to at most %.0f",
                             rows_of(o, cfg), P, MAX_ENTRIES,
                             floor(MAX_ENTRIES / P / cfg->model.widths[cfg->model.n_layers]));
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

static int fd_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const fd_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    int P = (int)sym_model_n_params(run->model), rows = rows_of(o, run->cfg);
    int n = rows / mo->widths[mo->n_layers], rank = 0, rc = 0;
    double *J = NULL;

    if (n > run->data->n) /* user data shorter than the grid point says: the data decide */
        n = run->data->n, rows = n * mo->widths[mo->n_layers];
    SYM_TRY(sym_alloc_doubles(&J, (size_t)rows * P));
    SYM_TRY(jacobian(J, run, n));
    /* the singular values straight into their slot (min(rows, P) of them) */
    SYM_TRY(sym_row_rank(&rank, &x[4], x + 7, J, rows, P));
    x[0] = rank;
    x[1] = P - rank;
    x[5] = P;
    x[6] = rows;
    if (!mo->tied) { /* the architecture's own symmetry (no penalty), translations included */
        sym_reg none = SYM_REG_INIT;
        int orbit = 0, alg = 0;

        SYM_TRY(sym_symmetry_orbit(&alg, &orbit, NULL, run->model, &none, run->params));
        x[2] = orbit;
        x[3] = P - rank - orbit;
    }
cleanup:
    free(J);
    return rc;
}

static double fd_task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    double rows = rows_of(opts, cfg);

    (void)pass;
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
