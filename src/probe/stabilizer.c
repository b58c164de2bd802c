/*
 * The orbit and stabilizer dimensions of the trained point, on their own
 * and cheap: the objective's continuous symmetry algebra g acts on the
 * parameters; the orbit through theta has the dimension of the tangent map
 * A -> A . theta (its rank), and the stabilizer, the elements that fix
 * theta, has dim g minus that.  A generic point of a deep linear net
 * [n_0, ..., n_L] without biases has a nonzero stabilizer as soon as a hidden
 * width exceeds its neighbours (for one hidden layer of width n: (n - n_0)(n - n_2)
 * when n is above both), a dead ReLU unit adds one, and a rank-deficient tied
 * encoder W (d x D, rank r) has the rotations of so(d - r).
 *
 * A linear hidden layer between biased layers also has its translations
 * (b_h + t, b_{h+1} - W_{h+1} t): n_h more dimensions of the algebra.
 *
 * Tied autoencoders: their decoder is the encoder's transpose, so only
 * orthogonal K keep the function (W -> K W, b -> K b): the algebra is so(d)
 * for a linear latent layer under an orthogonally invariant penalty (or none),
 * and nothing otherwise.  One latent layer only.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* where layout's datasets put the values (the host places them): algebra dimension, orbit
 * dimension, stabilizer dimension, gap */
typedef struct stab_opts {
    size_t at[4];
} stab_opts;

static int stab_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    if (sym_chain_check(cfg, msg))
        return SYM_EJOB;
    if (cfg->model.tied && cfg->model.n_layers != 2)
        return SYM_PROBE_MSG(msg, "", "tied autoencoders with hidden layers besides the latent one "
                             "are not supported (found %d layers); use tied: false, or one latent "
                             "layer", cfg->model.n_layers);
    return 0;
}

static int stab_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    stab_opts *o = opts;

    (void)cfgs;
    (void)n;
    o->at[0] = sym_schema_at(sym_schema_int(sym_schema_measure(
        s, "/runs/metrics/stabilizer_algebra_dimension", 0, NULL,
        "dimension of the objective's continuous symmetry algebra at the hidden "
        "layers (linear: sum n_h^2, plus n_h translations between biased layers; "
        "relu: sum n_h; cut by the penalty; tied: so(d) or 0) (stabilizer probe)")));
    o->at[1] = sym_schema_at(sym_schema_int(sym_schema_measure(
        s, "/runs/metrics/stabilizer_orbit_dimension", 0, NULL,
        "dimension of the orbit through the trained point: the rank of A -> A . theta "
        "(stabilizer probe)")));
    o->at[2] = sym_schema_at(sym_schema_int(sym_schema_measure(
        s, "/runs/metrics/stabilizer_dimension", 0, NULL,
        "dimension of the stabilizer of the trained point: algebra dimension minus "
        "orbit dimension (stabilizer probe)")));
    o->at[3] = sym_schema_at(sym_schema_measure(
        s, "/probes/stabilizer/gap", 0, NULL,
        "smallest counted over largest uncounted singular value of the tangent map "
        "(inf: full rank; a large gap makes the dimensions trustworthy)"));
    return 0;
}

static int stab_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const stab_opts *at = opts;
    const sym_model_opts *o = sym_model_get_opts(run->model);
    int rc = 0, dim = 0, alg_dim, rows = 0;
    double gap = INFINITY, *J = NULL;

    if (o->tied) {
        alg_dim = sym_symmetry_tied_so(o, &run->cfg->reg) ? o->widths[1] * (o->widths[1] - 1) / 2 : 0;
        if (alg_dim > 0) {
            SYM_TRY(sym_symmetry_tied_rows(&J, &rows, run->model, run->params));
            SYM_TRY(sym_row_rank(&dim, &gap, NULL, J, rows, (int)sym_model_n_params(run->model)));
        }
    } else {
        SYM_TRY(sym_symmetry_orbit(&alg_dim, &dim, &gap, run->model, &run->cfg->reg, run->params));
    }
    x[at->at[0]] = alg_dim;
    x[at->at[1]] = dim;
    x[at->at[2]] = alg_dim - dim;
    x[at->at[3]] = gap;
cleanup:
    free(J);
    return rc;
}

/* the dense tangent map of the algebra and its SVD */
static double stab_task_bytes(const void *opts, const sym_config *cfg)
{
    sym_model *m = NULL;
    double b = 0.0;

    (void)opts;
    if (sym_model_create(&m, &cfg->model) == 0) {
        double P = (double)sym_model_n_params(m), d = cfg->model.widths[1];

        b = cfg->model.tied ? 8.0 * (2.0 * d * (d - 1) / 2 * P) : sym_symmetry_orbit_bytes(m, &cfg->reg);
    }
    sym_model_free(m);
    return b;
}

const sym_probe_def sym_probe_stabilizer = {
    SYM_PROBE_DEF_INIT,
    .name = "stabilizer",
    .doc = "the orbit and stabilizer dimensions of the trained point under the objective's "
           "continuous symmetry (cheap; every model kind, tied autoencoders included)",
    .opts_size = sizeof(stab_opts),
    .check = stab_check,
    .layout = stab_layout,
    .at_end = stab_at_end,
    .task_bytes = stab_task_bytes,
};
