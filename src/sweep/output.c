/*
 * The sweep's HDF5 file: what goes where (docs/hdf5-layout.md).  Rank 0
 * creates every dataset up front with its fill value (NaN, -1, "pending"),
 * so a reader of a partial file sees exactly which runs are missing.
 *
 * Configurations of one sweep may differ in shape (a swept width or depth):
 * weight datasets hold the union of tensor names at the largest shape, and
 * curves the largest number of points; what a run does not have stays NaN.
 */
#include "symsweep/io.h"
#include "symsweep/output.h"
#include "symsweep/version.h"

#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const sym_record_weights_names[] = {"none", "final", "initial_and_final"};
_Static_assert(sizeof sym_record_weights_names / sizeof *sym_record_weights_names ==
                   SYM_RECORD_WEIGHTS_COUNT,
               "one name per record.weights value");

typedef struct out_tensor {
    char name[32];
    int rows, cols; /* largest over configurations */
} out_tensor;

struct sym_output {
    sym_h5 *h5;
    const sym_job *job;
    int n_tensors, n_points;
    out_tensor tensors[2 * SYM_MAX_LAYERS];
    double *pad; /* rows x cols / n_points scratch, NaN-filled per use */
    size_t pad_len;
    /* results received since the last checkpoint (deep copies) */
    sym_run_result *buf;
    int n_buf, cap_buf;
    size_t buf_bytes;
    int n_checkpoints;
    double write_time; /* seconds spent in checkpoints */
};

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* union of the configurations' tensors, and the longest curve */
static int layout(sym_output *o)
{
    const sym_job *job = o->job;
    sym_model *m = NULL;
    int rc = 0;

    o->n_points = 0;
    for (int c = 0; c < job->n_configs; c++) {
        const sym_job_config *cfg = &job->configs[c];
        int np = sym_train_n_points(&cfg->train);

        o->n_points = np > o->n_points ? np : o->n_points;
        if (c > 0 && memcmp(&cfg->model, &job->configs[c - 1].model, sizeof(cfg->model)) == 0)
            continue;
        SYM_TRY(sym_model_create(&m, &cfg->model));
        for (int i = 0; i < sym_model_n_tensors(m); i++) {
            const sym_tensor *t = sym_model_tensor(m, i);
            int k = 0;

            while (k < o->n_tensors && strcmp(o->tensors[k].name, t->name) != 0)
                k++;
            if (k == o->n_tensors) {
                SYM_ASSERT(k < 2 * SYM_MAX_LAYERS);
                snprintf(o->tensors[k].name, sizeof(o->tensors[k].name), "%s", t->name);
                o->n_tensors++;
            }
            o->tensors[k].rows = t->rows > o->tensors[k].rows ? t->rows : o->tensors[k].rows;
            o->tensors[k].cols = t->cols > o->tensors[k].cols ? t->cols : o->tensors[k].cols;
        }
        sym_model_free(m);
        m = NULL;
    }
    o->pad_len = (size_t)o->n_points;
    for (int k = 0; k < o->n_tensors; k++) {
        size_t n = (size_t)o->tensors[k].rows * o->tensors[k].cols;

        o->pad_len = n > o->pad_len ? n : o->pad_len;
    }
    SYM_TRY(sym_alloc_doubles(&o->pad, o->pad_len));
cleanup:
    sym_model_free(m);
    return rc;
}

static int weights_group(sym_output *o, const char *group, const char *what)
{
    int rc = 0, n_runs = sym_job_n_runs(o->job);

    for (int i = 0; i < o->n_tensors; i++) {
        const out_tensor *t = &o->tensors[i];
        char path[128], desc[320];
        long long dims[3] = {n_runs, t->rows, t->cols};

        snprintf(path, sizeof(path), "%s/%s", group, t->name);
        snprintf(desc, sizeof(desc),
                 "%s %s of each run: %s [%d x %d], row-major (out x in); NaN where a run's "
                 "configuration has no such tensor or a smaller one",
                 what, t->cols == 1 ? "bias" : "weight", t->name, t->rows, t->cols);
        SYM_TRY(sym_h5_dataset(o->h5, path, SYM_H5_DOUBLE, t->cols == 1 ? 2 : 3, dims, desc,
                               NULL));
    }
cleanup:
    return rc;
}

/* the /grid values of run i: its seed, its configuration, or column k's value */
static void grid_values(const sym_job *job, int i, int64_t *seed, int64_t *config)
{
    uint64_t s;

    sym_job_run_config(job, i, &s);
    *seed = (int64_t)s;
    *config = i / job->n_seeds;
}

/*
 * --resume: the file's /grid must be this job's, value for value (the job's
 * hash matching is not enough once bytes of the file may have changed, and
 * variable-length strings carry no checksum).
 */
static int check_grid(sym_output *o, const char *path)
{
    const sym_job *job = o->job;
    int rc = 0, n = sym_job_n_runs(job);
    int64_t *seed = NULL, *cfg = NULL;
    double *num = NULL;
    char **str = NULL;

    SYM_TRY(sym_alloc(&seed, sizeof(int64_t) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&cfg, sizeof(int64_t) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&num, sizeof(double) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&str, sizeof(char *) * (size_t)(n + 1)));
    SYM_TRY(sym_h5_read_int64(seed, o->h5, "/grid/seed", n));
    SYM_TRY(sym_h5_read_int64(cfg, o->h5, "/grid/config", n));
    for (int i = 0; i < n; i++) {
        int64_t s, c;

        grid_values(job, i, &s, &c);
        if (s != seed[i] || c != cfg[i])
            SYM_FAIL(SYM_ECORRUPT,
                     "%s: cannot resume: /grid of run %d is seed %lld, configuration %lld; the job "
                     "says seed %lld, configuration %lld (the file was changed)",
                     path, i, (long long)seed[i], (long long)cfg[i], (long long)s, (long long)c);
    }
    for (int k = 0; k < job->n_columns; k++) {
        const sym_grid_column *g = &job->columns[k];
        char gp[160];

        snprintf(gp, sizeof(gp), "/grid/%s", g->name);
        if (g->numeric)
            SYM_TRY(sym_h5_read_doubles(num, o->h5, gp, n));
        else
            SYM_TRY(sym_h5_read_strings(str, o->h5, gp, n));
        for (int i = 0; i < n; i++) {
            int v = sym_job_axis_index(job, i, g->axis);
            int same = g->numeric ? (num[i] == g->num[v] || (isnan(num[i]) && isnan(g->num[v])))
                                  : str[i] && strcmp(str[i], g->str[v]) == 0;

            if (!same)
                SYM_FAIL(SYM_ECORRUPT,
                         "%s: cannot resume: %s of run %d differs from the job's value %s (the "
                         "file was changed)",
                         path, gp, i, g->str[v]);
        }
        for (int i = 0; !g->numeric && i < n; i++) {
            free(str[i]);
            str[i] = NULL;
        }
    }
cleanup:
    for (int i = 0; str && i < n; i++)
        free(str[i]);
    free(str);
    free(num);
    free(cfg);
    free(seed);
    return rc;
}

static int grid(sym_output *o)
{
    const sym_job *job = o->job;
    int rc = 0, n = sym_job_n_runs(job);
    long long n1[1] = {n};
    int64_t *iv = NULL;
    double *dv = NULL;
    const char **sv = NULL;

    SYM_TRY(sym_alloc(&iv, sizeof(int64_t) * (size_t)n));
    SYM_TRY(sym_alloc(&dv, sizeof(double) * (size_t)n));
    SYM_TRY(sym_alloc(&sv, sizeof(char *) * (size_t)n));
    SYM_TRY(sym_h5_dataset(o->h5, "/grid/seed", SYM_H5_INT64, 1, n1,
                           "seed of each run: its data, initialization and minibatch streams", NULL));
    for (int i = 0; i < n; i++) {
        int64_t cfg;

        grid_values(job, i, &iv[i], &cfg);
    }
    SYM_TRY(sym_h5_write_rows(o->h5, "/grid/seed", 0, n, iv));
    SYM_TRY(sym_h5_dataset(o->h5, "/grid/config", SYM_H5_INT64, 1, n1,
                           "configuration (grid point without the seed) of each run: run i is "
                           "configuration i / n_seeds with seed i % n_seeds",
                           NULL));
    for (int i = 0; i < n; i++)
        iv[i] = i / job->n_seeds;
    SYM_TRY(sym_h5_write_rows(o->h5, "/grid/config", 0, n, iv));
    for (int k = 0; k < job->n_columns; k++) {
        const sym_grid_column *g = &job->columns[k];
        char path[160], desc[512];

        snprintf(path, sizeof(path), "/grid/%s", g->name);
        snprintf(desc, sizeof(desc), "swept setting %s of each run (axis %d, %s)%s", g->name,
                 g->axis, job->axis_name[g->axis],
                 g->numeric ? "; NaN where the value has no such key" : "");
        SYM_TRY(sym_h5_dataset(o->h5, path, g->numeric ? SYM_H5_DOUBLE : SYM_H5_STRING, 1, n1,
                               desc, NULL));
        for (int i = 0; i < n; i++) {
            int v = sym_job_axis_index(job, i, g->axis);

            dv[i] = g->num[v];
            sv[i] = g->str[v];
        }
        SYM_TRY(sym_h5_write_rows(o->h5, path, 0, n, g->numeric ? (const void *)dv : (const void *)sv));
    }
cleanup:
    free(iv);
    free(dv);
    free(sv);
    return rc;
}

/* the end-of-run probes: names, where their values sit, what they mean */
typedef struct measure_ds {
    const char *path;
    size_t off, width; /* width 1: [n_runs]; else [n_runs, width] (or 3 x 2 for penalties) */
    const char *desc;
} measure_ds;

static int measure_list(const sym_job *job, measure_ds *m)
{
    const sym_measure_layout *L = &job->measure;
    int n = 0;

    if (job->probe_structure) {
        m[n++] = (measure_ds){"/runs/metrics/orthogonality_error", L->scalars + 0, 1,
                              "||W W^T - I||_F / ||I||_F of the encoder W (structure probe)"};
        m[n++] = (measure_ds){"/runs/metrics/transpose_error", L->scalars + 1, 1,
                              "||W' - W^T||_F / ||W^T||_F: 0 when the decoder is the encoder's transpose (structure probe)"};
        m[n++] = (measure_ds){"/runs/metrics/sparsity_encoder", L->scalars + 2, 1,
                              "fraction of encoder entries |w| < 1% of max |w| (structure probe)"};
        m[n++] = (measure_ds){"/runs/metrics/sparsity_decoder", L->scalars + 3, 1,
                              "fraction of decoder entries |w| < 1% of max |w| (structure probe)"};
        m[n++] = (measure_ds){"/runs/metrics/norm_ratio", L->scalars + 4, 1,
                              "||W||_F / ||W'||_F: how untied weights use the scaling loophole (structure probe)"};
        m[n++] = (measure_ds){"/probes/structure/balance_l2", L->balance_l2, (size_t)L->d,
                              "per latent unit i: ||W_i:||_2 / ||W'_:i||_2 (encoder row vs decoder column)"};
        m[n++] = (measure_ds){"/probes/structure/balance_l1", L->balance_l1, (size_t)L->d,
                              "per latent unit i: ||W_i:||_1 / ||W'_:i||_1"};
        m[n++] = (measure_ds){"/probes/structure/sv_encoder", L->sv_enc, (size_t)L->k,
                              "singular values of W, descending"};
        m[n++] = (measure_ds){"/probes/structure/sv_decoder", L->sv_dec, (size_t)L->k,
                              "singular values of W', descending"};
        m[n++] = (measure_ds){"/probes/structure/sv_product", L->sv_prod, (size_t)L->k,
                              "the largest singular values of W'W (its rank is at most the latent width)"};
    }
    if (job->probe_penalty) {
        static const char *fam[SYM_PENALTY_FAMILIES] = {"orthogonal", "signed_permutation", "general"};
        static const char *pen[SYM_PENALTY_KINDS] = {"frobenius", "l1"};
        static char names[SYM_PENALTY_FAMILIES * SYM_PENALTY_KINDS][96];

        m[n++] = (measure_ds){"/probes/penalty_invariance/mean_rel_change", L->pen_mean,
                              SYM_PENALTY_FAMILIES * SYM_PENALTY_KINDS,
                              "mean over trials of |R(KW) + R(W'K^-1) - R(W) - R(W')| / (R(W) + R(W')) "
                              "[family x penalty]: families orthogonal, signed_permutation, general; "
                              "penalties frobenius (squared), l1"};
        m[n++] = (measure_ds){"/probes/penalty_invariance/max_rel_change", L->pen_max,
                              SYM_PENALTY_FAMILIES * SYM_PENALTY_KINDS,
                              "max over trials of the same [family x penalty]"};
        for (int f = 0; f < SYM_PENALTY_FAMILIES; f++)
            for (int p = 0; p < SYM_PENALTY_KINDS; p++) {
                snprintf(names[f * SYM_PENALTY_KINDS + p], sizeof(names[0]),
                         "/runs/metrics/penalty_change_%s_%s", pen[p], fam[f]);
                m[n++] = (measure_ds){names[f * SYM_PENALTY_KINDS + p],
                                      L->pen_mean + (size_t)(f * SYM_PENALTY_KINDS + p), 1,
                                      "mean relative change of the penalty under latent transforms "
                                      "of the family (penalty_invariance probe)"};
            }
    }
    if (job->probe_reparam) {
        static const char *what[5] = {"mean_abs", "max_abs", "mean_rel", "max_rel", "end_to_end"};
        static const char *desc[5] = {
            "mean over trials of max_i |y'_i - y_i| on held-out inputs [run x family]",
            "max over trials of max_i |y'_i - y_i| [run x family]",
            "mean over trials of ||Y' - Y||_F / ||Y||_F [run x family]",
            "max over trials of ||Y' - Y||_F / ||Y||_F [run x family]",
            "all-linear networks: max over trials of ||P' - P||_F / ||P||_F, P = W_L ... W_1; NaN otherwise"};
        static char paths[5][64], metric[SYM_GROUP_COUNT][96];

        for (int k = 0; k < 5; k++) {
            snprintf(paths[k], sizeof(paths[k]), "/probes/reparam/%s", what[k]);
            /* stride 5 over families: written by a gather in write_range */
            m[n++] = (measure_ds){paths[k], job->measure.reparam + (size_t)k, (size_t)job->n_families, desc[k]};
        }
        for (int f = 0; f < job->n_families; f++) {
            snprintf(metric[f], sizeof(metric[f]), "/runs/metrics/reparam_max_rel_%s",
                     sym_group_name(job->families[f]));
            m[n++] = (measure_ds){metric[f], job->measure.reparam + 5 * (size_t)f + 3, 1,
                                  "max relative output change under group elements of the family "
                                  "at every hidden layer (reparam probe)"};
        }
    }
    if (job->probe_lp) {
        static char mname[16][96];

        m[n++] = (measure_ds){"/probes/lp_ball/norm_change", job->measure.lp_change,
                              (size_t)job->n_lp_p * job->n_lp_families,
                              "max over group elements K and points x of the unit l_p sphere of "
                              "| ||K x||_p - 1 | [run x p x family]"};
        m[n++] = (measure_ds){"/probes/lp_ball/sparse_fraction", job->measure.lp_sparse, (size_t)job->n_lp_p,
                              "fraction of random convex quadratics whose minimum over the l_p ball "
                              "has a zero coordinate (on a vertex or face) [run x p]; NaN for p < 1"};
        m[n++] = (measure_ds){"/probes/lp_ball/mean_zeros", job->measure.lp_zeros, (size_t)job->n_lp_p,
                              "mean number of zero coordinates of those minima [run x p]"};
        for (int k = 0; k < job->n_lp_p; k++) {
            if (isinf(job->lp_p[k]))
                snprintf(mname[k], sizeof(mname[k]), "/runs/metrics/lp_sparse_fraction_pinf");
            else
                snprintf(mname[k], sizeof(mname[k]), "/runs/metrics/lp_sparse_fraction_p%g", job->lp_p[k]);
            m[n++] = (measure_ds){mname[k], job->measure.lp_sparse + (size_t)k, 1,
                                  "fraction of constrained minima with a zero coordinate (lp_ball probe)"};
        }
    }
    if (job->probe_gd) {
        static const char *const gdn[SYM_GD_QUANTITIES][2] = {
            {"orbit_derivative", "||J^T g||: the largest rate of change of the objective along a "
                                 "unit direction of the orbit algebra, from the full-data gradient g "
                                 "at each curve point [run x point]; NaN where no step follows"},
            {"orbit_norm", "||g_orbit||: g's least-squares projection onto the orbit tangent space "
                           "(0 when J^T g is below the rounding floor 1e-13 ||J|| ||g||) [run x point]"},
            {"perp_norm", "||g_perp|| = ||g - g_orbit|| [run x point]"},
            {"orbit_step_change", "objective change of the step -lr g_orbit alone [run x point]"},
            {"perp_step_change", "objective change of the step -lr g_perp alone [run x point]"},
            {"step_change", "objective change of the full gradient step -lr g (for gd, the actual "
                            "step) [run x point]"}};
        static char gpath[SYM_GD_QUANTITIES][96];

        for (int q = 0; q < SYM_GD_QUANTITIES; q++) {
            snprintf(gpath[q], sizeof(gpath[q]), "/probes/gradient_decomposition/%s", gdn[q][0]);
            m[n++] = (measure_ds){gpath[q], L->gd + (size_t)q * L->gd_points, (size_t)L->gd_points,
                                  gdn[q][1]};
        }
        m[n++] = (measure_ds){"/runs/metrics/gd_orbit_derivative_max",
                              L->gd + SYM_GD_QUANTITIES * (size_t)L->gd_points, 1,
                              "max of ||J^T g|| / ||g|| over the curve points where ||g|| is above "
                              "its rounding floor (1000 eps times ||g|| at the first point; once "
                              "training has converged both norms are rounding noise); NaN when no "
                              "point is (gradient_decomposition probe; rounding level when the "
                              "objective is invariant)"};
        m[n++] = (measure_ds){"/runs/metrics/gd_orbit_derivative_abs_max",
                              L->gd + SYM_GD_QUANTITIES * (size_t)L->gd_points + 1, 1,
                              "max over all curve points of ||J^T g||, the objective's largest rate of "
                              "change along a unit orbit direction (gradient_decomposition probe)"};
    }
    if (job->probe_conserved) {
        m[n++] = (measure_ds){"/probes/conserved/drift", L->cons_drift,
                              (size_t)L->cons_layers * L->cons_points,
                              "||Q_h(t) - Q_h(0)||_F at each curve point [run, hidden layer, point]: "
                              "Q_h = W_{h+1}^T W_{h+1} - W_h W_h^T - b_h b_h^T for a linear hidden "
                              "layer, per neuron ||incoming||^2 + b^2 - ||outgoing||^2 for relu and "
                              "leaky_relu (conserved by gradient flow); NaN for other activations"};
        m[n++] = (measure_ds){"/probes/conserved/norm", L->cons_norm,
                              (size_t)L->cons_layers * L->cons_points,
                              "||Q_h(t)||_F at each curve point [run, hidden layer, point] (weight "
                              "decay lambda makes it decay as exp(-4 lambda lr steps) under gd)"};
        m[n++] = (measure_ds){"/runs/metrics/conserved_drift", L->cons_scalars, 1,
                              "max over hidden layers of ||Q_h(end) - Q_h(0)||_F / (||W_h||^2 + "
                              "||b_h||^2 + ||W_{h+1}||^2 at the start): the total drift, relative "
                              "(0 under exact gradient flow; O(lr) for gd)"};
        m[n++] = (measure_ds){"/runs/metrics/conserved_drift_per_step", L->cons_scalars + 1, 1,
                              "max over hidden layers and curve intervals of the drift between "
                              "consecutive curve points per optimizer step, relative as "
                              "conserved_drift"};
    }
    if (job->probe_hessian) {
        static const char *const hs[SYM_HESS_SCALARS][2] = {
            {"hessian_zero_count", "eigenvalues of the Hessian counted zero: below the largest gap "
                                   "of |w| on a log scale whose lower side is at most 1e-4 max |w| "
                                   "and which spans at least a factor 1e3 (zero_cut gap), or with "
                                   "|w| <= threshold max |w| (zero_cut threshold); attributes "
                                   "zero_cut and threshold of /probes/hessian/eigenvalues"},
            {"hessian_gap", "smallest |w| counted non-zero over the largest counted zero (inf: no "
                            "zero; a large gap makes the count trustworthy)"},
            {"hessian_top_eigenvalue", "largest eigenvalue of the Hessian"},
            {"hessian_orbit_dim", "rank of the orbit-tangent map of the objective's symmetry "
                                  "algebra at the trained point (computed independently of the "
                                  "Hessian; equals hessian_zero_count at a minimum whose only flat "
                                  "directions are the orbit's); NaN for tied models"},
            {"hessian_orbit_gap", "smallest counted over largest uncounted singular value of the "
                                  "orbit-tangent map (inf: full rank)"},
            {"hessian_hvp_error", "max over random unit v of ||H v - (g(p + h v) - g(p - h v)) / 2h|| "
                                  "/ ||H v||, h = 1e-5: the exact products checked against finite "
                                  "differences of the gradient; NaN where hessian_hvp_at_kink is 1"},
            {"hessian_n_params", "parameters P: the first P entries of /probes/hessian/eigenvalues"},
            {"hessian_team_size", "ranks of the team that computed the spectrum (ScaLAPACK grid "
                                  "as square as the size allows)"},
            {"hessian_hvp_at_kink", "1 when a penalized weight lies within the check's step (1e-5) "
                                    "of a kink of an l1 or l_p (p < 2) penalty: the gradient jumps "
                                    "there, so the finite-difference check says nothing and "
                                    "hessian_hvp_error is NaN; 0 otherwise"},
            {"hessian_cut_below", "the largest |w| counted zero: the lower neighbour of the cut "
                                  "(NaN: none is zero)"},
            {"hessian_cut_above", "the smallest |w| counted non-zero: the upper neighbour of the "
                                  "cut (NaN: all are zero)"}};
        static char hpath[SYM_HESS_SCALARS][64];

        m[n++] = (measure_ds){"/probes/hessian/eigenvalues", L->hess_eig, (size_t)L->hess_p,
                              "eigenvalues of the Hessian of the objective at the trained "
                              "parameters, ascending [run, k] (NaN past the run's P); exact "
                              "Hessian-vector products, ScaLAPACK pdsyevd"};
        for (int q = 0; q < SYM_HESS_SCALARS; q++) {
            snprintf(hpath[q], sizeof(hpath[q]), "/runs/metrics/%s", hs[q][0]);
            m[n++] = (measure_ds){hpath[q], L->hess_scalars + (size_t)q, 1, hs[q][1]};
        }
        if (job->hessian.eigenvectors)
            m[n++] = (measure_ds){"/probes/hessian/eigenvectors", L->hess_vec,
                                  (size_t)L->hess_p * L->hess_p,
                                  "[run, k, i]: component i of the unit eigenvector of eigenvalue k "
                                  "(NaN past the run's P)"};
        if (job->hessian.gauge_points > 0) {
            size_t G = (size_t)job->hessian.gauge_points;

            m[n++] = (measure_ds){"/probes/hessian/gauge_loss", L->gauge, G,
                                  "objective at exp(t A) . theta for t in /probes/hessian/gauge_t, A a "
                                  "random unit direction of the objective's symmetry algebra (NaN: "
                                  "no continuous symmetry) [run, t]"};
            m[n++] = (measure_ds){"/probes/hessian/gauge_zero_count", L->gauge + G, G,
                                  "Hessian zero count at exp(t A) . theta [run, t]: fixed along the "
                                  "orbit (Sylvester's law of inertia)"};
            m[n++] = (measure_ds){"/probes/hessian/gauge_top_eigenvalue", L->gauge + 2 * G, G,
                                  "top Hessian eigenvalue at exp(t A) . theta [run, t]: flatness "
                                  "changes along the orbit while the function does not (a gauge "
                                  "artifact, Dinh et al. 2017)"};
        }
    }
    if (job->probe_discovery) {
        m[n++] = (measure_ds){"/runs/metrics/discovery_dimension", L->disc_scalars, 1,
                              "dimension of the Lie algebra of linear parameter maps H (family "
                              "attribute of /probes/symmetry_discovery/singular_values) with "
                              "grad L(theta_i; X_i)^T H theta_i = 0 for all sampled conditions"};
        m[n++] = (measure_ds){"/runs/metrics/discovery_gap", L->disc_scalars + 1, 1,
                              "smallest non-null over largest null singular value of the stacked "
                              "conditions (inf: nothing null, NaN: everything null)"};
        m[n++] = (measure_ds){"/probes/symmetry_discovery/singular_values", L->disc_sv, (size_t)L->disc_u,
                              "singular values of the stacked conditions, descending [run, k]; a "
                              "value is null when <= threshold x sqrt(conditions)"};
        if (job->discovery.basis)
            m[n++] = (measure_ds){"/probes/symmetry_discovery/basis", L->disc_basis,
                                  (size_t)L->disc_u * L->disc_u,
                                  "[run, k, j]: the first discovery_dimension rows span the "
                                  "discovered algebra (orthonormal; family layer: the per-layer "
                                  "n_h x n_h blocks, row-major, concatenated; full: H row-major "
                                  "P x P); NaN after"};
    }
    if (job->probe_centralizer) {
        static char metric[SYM_GROUP_COUNT][96];

        m[n++] = (measure_ds){"/probes/centralizer/commutation_mean", job->measure.cent_comm,
                              (size_t)job->n_cent_families,
                              "mean over group elements and inputs z of ||sigma(M z) - M sigma(z)|| / "
                              "(||sigma(M z)|| + ||M sigma(z)||) for the first hidden activation [run x family]"};
        m[n++] = (measure_ds){"/probes/centralizer/commutation_max", job->measure.cent_comm + 1,
                              (size_t)job->n_cent_families, "max of the same [run x family]"};
        m[n++] = (measure_ds){"/runs/metrics/centralizer_dimension", job->measure.cent_dim, 1,
                              "dimension of the infinitesimal centralizer {A : sigma'(z)(A z) = A sigma(z)} "
                              "of the first hidden activation at its width (linear n^2, relu n, sigmoid 0)"};
        m[n++] = (measure_ds){"/probes/centralizer/gap", job->measure.cent_gap, 1,
                              "smallest non-null singular value over the largest null one (inf: nothing null)"};
        if (job->cent_basis)
            m[n++] = (measure_ds){"/probes/centralizer/basis", job->measure.cent_basis,
                                  (size_t)job->measure.cent_n * job->measure.cent_n * job->measure.cent_n *
                                      job->measure.cent_n,
                                  "a basis of the infinitesimal centralizer: [run, element, n, n], the "
                                  "first 'dimension' elements, NaN after"};
        for (int f = 0; f < job->n_cent_families; f++) {
            snprintf(metric[f], sizeof(metric[f]), "/runs/metrics/centralizer_max_%s",
                     sym_group_name(job->cent_families[f]));
            m[n++] = (measure_ds){metric[f], job->measure.cent_comm + 2 * (size_t)f + 1, 1,
                                  "max commutation error of the first hidden activation with group "
                                  "elements of the family (centralizer probe)"};
        }
    }
    return n;
}

/* the n-point grid on [-x, x], as the probes compute it */
static void linspace(double *v, int n, double x)
{
    for (int k = 0; k < n; k++)
        v[k] = sym_orbit_grid(k, n, x);
}

/* the perpendicular line and the (t, s) landscape of the orbit_loss probe */
static int perp_datasets(sym_output *o, const sym_job *job, int n_runs)
{
    int rc = 0, D = job->orbit.directions, P = job->orbit.points, G = job->orbit.landscape;
    long long d3[3] = {n_runs, D, P}, d4[4] = {n_runs, D, G, G}, dP[1] = {P}, dG[1] = {G},
              n1[1] = {n_runs};
    double *v = NULL;

    SYM_TRY(sym_alloc_doubles(&v, (size_t)(P > G ? P : G)));
    if (job->orbit.perpendicular) {
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/perp_loss", SYM_H5_DOUBLE, 3, d3,
                               job->orbit.perpendicular == SYM_PERP_LAST_LAYER
                                   ? "objective at theta + s xi, xi a unit direction in the last "
                                     "weight W_L only (a function-space shift; the random draw of "
                                     "stream (seed, probe, 0x50000 + direction)), for s in "
                                     "/probes/orbit_loss/s"
                                   : "objective at theta + s xi, xi a unit direction with no "
                                     "orbit-tangent part (the random draw of stream (seed, probe, "
                                     "0x50000 + direction) projected off the tangent space), for s "
                                     "in /probes/orbit_loss/s",
                               NULL));
        SYM_TRY(sym_h5_attr_string(o->h5, "/probes/orbit_loss/perp_loss", "perpendicular",
                                   sym_perp_name((sym_perp_kind)job->orbit.perpendicular)));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/s", SYM_H5_DOUBLE, 1, dP,
                               "perpendicular step s of each point (dimension scale)", NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/orbit_perp_max_rel_change", SYM_H5_DOUBLE, 1,
                               n1,
                               "max over directions and s of the objective's relative change "
                               "along the perpendicular direction (compare orbit_max_rel_change)",
                               NULL));
        linspace(v, P, job->orbit.s_max);
        SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/s", 0, P, v));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/perp_loss", 1,
                                    "/probes/orbit_loss/direction", "direction"));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/perp_loss", 2, "/probes/orbit_loss/s",
                                    "s"));
    }
    if (G > 1) {
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/landscape", SYM_H5_DOUBLE, 4, d4,
                               "objective at exp(t A) . (theta + s xi): row t in "
                               "/probes/orbit_loss/landscape_t, column s in "
                               "/probes/orbit_loss/landscape_s (A, xi as in loss, perp_loss)",
                               NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/landscape_t", SYM_H5_DOUBLE, 1, dG,
                               "orbit parameter t of each landscape row (dimension scale)", NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/landscape_s", SYM_H5_DOUBLE, 1, dG,
                               "perpendicular step s of each landscape column (dimension scale)",
                               NULL));
        linspace(v, G, job->orbit.t_max);
        SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/landscape_t", 0, G, v));
        linspace(v, G, job->orbit.s_max);
        SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/landscape_s", 0, G, v));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/landscape", 1,
                                    "/probes/orbit_loss/direction", "direction"));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/landscape", 2,
                                    "/probes/orbit_loss/landscape_t", "t"));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/landscape", 3,
                                    "/probes/orbit_loss/landscape_s", "s"));
    }
cleanup:
    free(v);
    return rc;
}

static int measure_datasets(sym_output *o, int n_runs)
{
    measure_ds m[128];
    int n = measure_list(o->job, m), rc = 0;

    for (int i = 0; i < n; i++) {
        long long dims[3] = {n_runs, (long long)m[i].width, 0};
        int rank = m[i].width == 1 ? 1 : 2;

        long long d4[4];

        if (strstr(m[i].path, "penalty_invariance/")) {
            dims[1] = SYM_PENALTY_FAMILIES;
            dims[2] = SYM_PENALTY_KINDS;
            rank = 3;
        }
        if (strstr(m[i].path, "lp_ball/norm_change")) {
            dims[1] = o->job->n_lp_p;
            dims[2] = o->job->n_lp_families;
            rank = 3;
        }
        if (strstr(m[i].path, "/probes/conserved/")) {
            dims[1] = o->job->measure.cons_layers;
            dims[2] = o->job->measure.cons_points;
            rank = 3;
        }
        if (strstr(m[i].path, "hessian/eigenvectors")) {
            dims[1] = dims[2] = o->job->measure.hess_p;
            rank = 3;
        }
        if (strstr(m[i].path, "symmetry_discovery/basis")) {
            dims[1] = dims[2] = o->job->measure.disc_u;
            rank = 3;
        }
        if (strstr(m[i].path, "centralizer/basis")) {
            long long N = o->job->measure.cent_n;

            d4[0] = n_runs;
            d4[1] = N * N;
            d4[2] = N;
            d4[3] = N;
            SYM_TRY(sym_h5_dataset(o->h5, m[i].path, SYM_H5_DOUBLE, 4, d4, m[i].desc, NULL));
            continue;
        }
        SYM_TRY(sym_h5_dataset(o->h5, m[i].path, SYM_H5_DOUBLE, rank, dims, m[i].desc, NULL));
    }
    if (o->job->probe_lp) {
        char fams[512] = "", ps[256] = "";

        for (int f = 0; f < o->job->n_lp_families; f++)
            snprintf(fams + strlen(fams), sizeof(fams) - strlen(fams), "%s%s", f ? ", " : "",
                     sym_group_name(o->job->lp_families[f]));
        for (int k = 0; k < o->job->n_lp_p; k++)
            snprintf(ps + strlen(ps), sizeof(ps) - strlen(ps), "%s%g", k ? ", " : "", o->job->lp_p[k]);
        SYM_TRY(sym_h5_attr_string(o->h5, "/probes/lp_ball/norm_change", "families", fams));
        SYM_TRY(sym_h5_attr_string(o->h5, "/probes/lp_ball/norm_change", "p", ps));
        SYM_TRY(sym_h5_attr_int(o->h5, "/probes/lp_ball/norm_change", "dim", o->job->lp_dim));
    }
    if (o->job->probe_hessian) {
        const char *ev = "/probes/hessian/eigenvalues";

        SYM_TRY(sym_h5_attr_double(o->h5, ev, "threshold", o->job->hessian.threshold));
        SYM_TRY(sym_h5_attr_string(o->h5, ev, "zero_cut", sym_zero_cut_names[o->job->hessian.zero_cut]));
        SYM_TRY(sym_h5_attr_int(o->h5, ev, "team_size", o->job->team_size));
        if (o->job->hessian.gauge_points > 0) {
            int G = o->job->hessian.gauge_points;
            long long dG[1] = {G};
            double *t = NULL;

            SYM_TRY(sym_h5_dataset(o->h5, "/probes/hessian/gauge_t", SYM_H5_DOUBLE, 1, dG,
                                   "orbit parameter t of each gauge point (dimension scale)", NULL));
            SYM_TRY(sym_alloc_doubles(&t, (size_t)G));
            for (int k = 0; k < G; k++)
                t[k] = G == 1 ? o->job->hessian.gauge_t_max : sym_orbit_grid(k, G, o->job->hessian.gauge_t_max);
            rc = sym_h5_write_rows(o->h5, "/probes/hessian/gauge_t", 0, G, t);
            free(t);
            SYM_TRY(rc);
            SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/hessian/gauge_top_eigenvalue", 1,
                                        "/probes/hessian/gauge_t", "t"));
        }
    }
    if (o->job->probe_discovery) {
        const char *sv = "/probes/symmetry_discovery/singular_values";

        SYM_TRY(sym_h5_attr_string(o->h5, sv, "family", sym_discovery_family_name(o->job->discovery.family)));
        SYM_TRY(sym_h5_attr_string(o->h5, sv, "data", o->job->discovery.fixed_data ? "fixed" : "sampled"));
        SYM_TRY(sym_h5_attr_double(o->h5, sv, "threshold", o->job->discovery.threshold));
        SYM_TRY(sym_h5_attr_int(o->h5, sv, "team_size", o->job->team_size));
    }
    if (o->job->probe_centralizer) {
        char fams[512] = "";

        for (int f = 0; f < o->job->n_cent_families; f++)
            snprintf(fams + strlen(fams), sizeof(fams) - strlen(fams), "%s%s", f ? ", " : "",
                     sym_group_name(o->job->cent_families[f]));
        SYM_TRY(sym_h5_attr_string(o->h5, "/probes/centralizer/commutation_max", "families", fams));
    }
    if (o->job->probe_reparam) {
        char fams[512] = "";

        for (int f = 0; f < o->job->n_families; f++)
            snprintf(fams + strlen(fams), sizeof(fams) - strlen(fams), "%s%s", f ? ", " : "",
                     sym_group_name(o->job->families[f]));
        SYM_TRY(sym_h5_attr_string(o->h5, "/probes/reparam/max_rel", "families", fams));
        SYM_TRY(sym_h5_attr_int(o->h5, "/probes/reparam/max_rel", "trials", o->job->reparam_trials));
    }
    if (o->job->probe_penalty) {
        SYM_TRY(sym_h5_attr_string(o->h5, "/probes/penalty_invariance/mean_rel_change", "families",
                                   "orthogonal, signed_permutation, general"));
        SYM_TRY(sym_h5_attr_string(o->h5, "/probes/penalty_invariance/mean_rel_change", "penalties",
                                   "frobenius, l1"));
        SYM_TRY(sym_h5_attr_int(o->h5, "/probes/penalty_invariance/mean_rel_change", "trials",
                                o->job->penalty_trials));
    }
cleanup:
    return rc;
}

int sym_output_create(sym_output **out, const char *path, const sym_job *job, int force,
                      const sym_output_info *info)
{
    sym_output *o = NULL;
    int rc = 0, n_runs = sym_job_n_runs(job);
    long long n1[1] = {n_runs}, n2[2], p1[1];
    char buf[256];
    int64_t *tmp = NULL;

    SYM_TRY(sym_alloc(&o, sizeof(*o)));
    o->job = job;
    SYM_TRY(layout(o));
    n2[0] = n_runs;
    n2[1] = o->n_points;
    p1[0] = o->n_points;
    SYM_TRY(sym_h5_create(&o->h5, path, force));

    /* provenance */
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "format_version", SYM_FORMAT_VERSION));
    snprintf(buf, sizeof(buf), "%s (git %s)", SYM_VERSION_STRING, SYM_GIT_REVISION);
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "symsweep_version", buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_yaml", job->yaml));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_sha256", job->sha256));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_path", job->path));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "job_name", job->name));
    iso_now(buf, sizeof(buf));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "created", buf));
    SYM_TRY(sym_h5_attr_text(o->h5, "/", "finished", ""));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "mpi_size", info->mpi_size));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "hosts", info->hosts ? info->hosts : ""));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "blas", sym_blas_description()));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_runs", n_runs));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_seeds", job->n_seeds));
    SYM_TRY(sym_h5_attr_int(o->h5, "/", "n_configs", job->n_configs));
    SYM_TRY(sym_h5_attr_string(o->h5, "/", "shard", info->shard ? info->shard : ""));
    {
        char axes[4096] = "";

        for (int a = 0; a < job->n_axes; a++) {
            size_t u = strlen(axes);

            snprintf(axes + u, sizeof(axes) - u, "%s%s", a ? "; " : "", job->axis_name[a]);
        }
        SYM_TRY(sym_h5_attr_string(o->h5, "/", "axes", axes));
    }

    SYM_TRY(grid(o));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/status", SYM_H5_STATUS, 1, n1,
                           "pending | done | diverged (objective became NaN/Inf; last finite state kept) | failed (see /runs/error)",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/rank", SYM_H5_INT64, 1, n1,
                           "MPI rank that computed the run (-1: not computed)", NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/wall_time", SYM_H5_DOUBLE, 1, n1,
                           "wall-clock time of the run on its rank", "s"));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/error", SYM_H5_TEXT, 1, n1,
                           "error message of a failed run (at most 511 bytes), empty otherwise", NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/epochs_done", SYM_H5_INT64, 1, n1,
                           "epochs completed (less than train.epochs when diverged)", NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/final_loss", SYM_H5_DOUBLE, 1, n1,
                           "objective (mean squared error + penalty) on the full data at the final parameters",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/final_data_loss", SYM_H5_DOUBLE, 1, n1,
                           "mean squared error over all entries, (1/(n d_out)) sum (yhat - y)^2, at the final parameters",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/final_penalty", SYM_H5_DOUBLE, 1, n1,
                           "regularizer penalty (lambda-weighted) at the final parameters", NULL));
    if (job->record_weights != SYM_RECORD_WEIGHTS_NONE)
        SYM_TRY(weights_group(o, "/runs/weights", "final"));
    if (job->record_weights == SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL)
        SYM_TRY(weights_group(o, "/runs/initial_weights", "initial"));

    if (job->measure.total)
        SYM_TRY(measure_datasets(o, n_runs));
    if (job->probe_orbit) {
        int D = job->orbit.directions, P = job->orbit.points;
        long long d3[3] = {n_runs, D, P}, d2[2] = {n_runs, D}, dD[1] = {D}, dP[1] = {P};
        double *tv = NULL;
        int64_t *dv = NULL;
        char desc[512];

        snprintf(desc, sizeof(desc),
                 "objective along K(t) = exp(t A) acting on every hidden layer, A a random direction "
                 "(unit Frobenius norm per layer) in the %s algebra, for t in /probes/orbit_loss/t",
                 sym_algebra_name(job->orbit.algebra));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/loss", SYM_H5_DOUBLE, 3, d3, desc, NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/data_loss", SYM_H5_DOUBLE, 3, d3,
                               "mean squared error (the data term alone) along the same orbits", NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/max_rel_change", SYM_H5_DOUBLE, 2, d2,
                               "max over t of |loss(t) - loss(0)| / |loss(0)| per direction", NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/t", SYM_H5_DOUBLE, 1, dP,
                               "orbit parameter t of each point (dimension scale)", NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/probes/orbit_loss/direction", SYM_H5_INT64, 1, dD,
                               "direction number: its stream is (seed, probe, direction) (dimension scale)",
                               NULL));
        SYM_TRY(sym_h5_dataset(o->h5, "/runs/metrics/orbit_max_rel_change", SYM_H5_DOUBLE, 1, n1,
                               "max over directions and t of the objective's relative change along "
                               "the orbit (orbit_loss probe)",
                               NULL));
        SYM_TRY(sym_alloc(&tv, sizeof(double) * (size_t)P));
        SYM_TRY(sym_alloc(&dv, sizeof(int64_t) * (size_t)D));
        linspace(tv, P, job->orbit.t_max);
        for (int k = 0; k < D; k++)
            dv[k] = k;
        rc = sym_h5_write_rows(o->h5, "/probes/orbit_loss/t", 0, P, tv);
        if (!rc)
            rc = sym_h5_write_rows(o->h5, "/probes/orbit_loss/direction", 0, D, dv);
        free(tv);
        free(dv);
        if (rc)
            goto cleanup;
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/loss", 1, "/probes/orbit_loss/direction", "direction"));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/loss", 2, "/probes/orbit_loss/t", "t"));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/data_loss", 1, "/probes/orbit_loss/direction", "direction"));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/data_loss", 2, "/probes/orbit_loss/t", "t"));
        SYM_TRY(sym_h5_attach_scale(o->h5, "/probes/orbit_loss/max_rel_change", 1, "/probes/orbit_loss/direction", "direction"));
        SYM_TRY(perp_datasets(o, job, n_runs));
    }
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/curves/loss", SYM_H5_DOUBLE, 2, n2,
                           "objective on the full data after the number of epochs in /runs/curves/epoch; "
                           "NaN past a run's last epoch or divergence",
                           NULL));
    SYM_TRY(sym_h5_dataset(o->h5, "/runs/curves/epoch", SYM_H5_INT64, 1, p1,
                           "epochs completed at each point of the curves: 0, k, 2k, ... with k = record.loss_every (dimension scale)",
                           NULL));
    if (job->probe_gd) {
        /* the per-curve-point measures share the curves' epoch scale */
        measure_ds md[128];
        int nm = measure_list(job, md);

        for (int q = 0; q < nm; q++)
            if (strncmp(md[q].path, "/probes/gradient_decomposition/", 31) == 0)
                SYM_TRY(sym_h5_attach_scale(o->h5, md[q].path, 1, "/runs/curves/epoch", "epoch"));
    }
    SYM_TRY(sym_alloc(&tmp, sizeof(int64_t) * (size_t)o->n_points));
    for (int i = 0; i < o->n_points; i++)
        tmp[i] = (int64_t)i * job->loss_every;
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/curves/epoch", 0, o->n_points, tmp));
    SYM_TRY(sym_h5_attach_scale(o->h5, "/runs/curves/loss", 1, "/runs/curves/epoch", "epoch"));
    /* the whole layout on disk now: from here on only raw data change */
    SYM_TRY(sym_h5_sync(o->h5));
    SYM_TRY(sym_h5_commit(o->h5)); /* only now is an old file at this path replaced */
    *out = o;
    o = NULL;
cleanup:
    free(tmp);
    if (o) {
        sym_h5_close(o->h5); /* an uncommitted file is removed: nothing half-made is left */
        free(o->pad);
        free(o);
    }
    return rc;
}

/* a run's probe values, when it has them */
static const double *run_probe(const sym_run_result *r)
{
    return r->status != SYM_RUN_FAILED && r->params ? r->probe : NULL;
}

/* [m x directions x len] of the values at @p off in every piece, NaN without probes */
static void gather_pieces(double *pv, const sym_job *job, const sym_run_result *rs, int m, size_t off,
                          size_t len)
{
    int D = job->orbit.directions;
    size_t S = sym_job_piece_size(job);

    for (int j = 0; j < m; j++) {
        const double *p = run_probe(&rs[j]);

        for (int d = 0; d < D; d++)
            for (size_t k = 0; k < len; k++)
                pv[((size_t)j * D + d) * len + k] = p ? p[(size_t)d * S + off + k] : NAN;
    }
}

/* max over the grid of |L_k - L_mid| / |L_mid| (the grid is symmetric around 0) */
static double max_rel_change(const double *L, int n)
{
    double r = 0.0;

    for (int k = 0; k < n; k++)
        r = fmax(r, fabs(L[k] - L[n / 2]) / fabs(L[n / 2]));
    return r;
}

/* rows i0.. of the orbit_loss probe: the lines, their relative changes, the landscape */
static int orbit_rows(sym_output *o, const sym_job *job, long long i0, int m, const sym_run_result *rs)
{
    int rc = 0, D = job->orbit.directions, P = job->orbit.points, G = job->orbit.landscape;
    size_t GG = (size_t)G * G, len = (size_t)P > GG ? (size_t)P : GG;
    sym_piece_layout lay = sym_job_piece_layout(job);
    double *pv = NULL, *rel = NULL, *best = NULL, *pbest = NULL;

    SYM_TRY(sym_alloc_doubles(&pv, (size_t)m * D * len));
    SYM_TRY(sym_alloc_doubles(&rel, (size_t)m * D));
    SYM_TRY(sym_alloc_doubles(&best, (size_t)m));
    SYM_TRY(sym_alloc_doubles(&pbest, (size_t)m));
    gather_pieces(pv, job, rs, m, lay.data, P);
    SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/data_loss", i0, m, pv));
    if (lay.perp != (size_t)-1) {
        gather_pieces(pv, job, rs, m, lay.perp, P);
        SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/perp_loss", i0, m, pv));
        for (int j = 0; j < m; j++) {
            pbest[j] = run_probe(&rs[j]) ? 0.0 : NAN;
            for (int d = 0; run_probe(&rs[j]) && d < D; d++)
                pbest[j] = fmax(pbest[j], max_rel_change(pv + ((size_t)j * D + d) * P, P));
        }
        SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/orbit_perp_max_rel_change", i0, m, pbest));
    }
    if (lay.land != (size_t)-1) {
        gather_pieces(pv, job, rs, m, lay.land, GG);
        SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/landscape", i0, m, pv));
    }
    gather_pieces(pv, job, rs, m, lay.loss, P);
    SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/loss", i0, m, pv));
    for (int j = 0; j < m; j++) {
        best[j] = run_probe(&rs[j]) ? 0.0 : NAN;
        for (int d = 0; d < D; d++) {
            rel[(size_t)j * D + d] = run_probe(&rs[j]) ? max_rel_change(pv + ((size_t)j * D + d) * P, P) : NAN;
            best[j] = fmax(best[j], rel[(size_t)j * D + d]);
        }
    }
    SYM_TRY(sym_h5_write_rows(o->h5, "/probes/orbit_loss/max_rel_change", i0, m, rel));
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/metrics/orbit_max_rel_change", i0, m, best));
cleanup:
    free(pv);
    free(rel);
    free(best);
    free(pbest);
    return rc;
}

/*
 * Rows [i0, i0 + m) of every /runs dataset from m consecutive buffered
 * results, one write per dataset.  A failed run's rows get the fill values
 * (NaN, -1), which is what its rows hold on disk already.
 */
static int write_range(sym_output *o, const sym_run_result *rs, int m)
{
    const sym_job *job = o->job;
    int rc = 0, i0 = rs[0].index;
    size_t cap = (size_t)o->n_points;
    int64_t *iv = NULL;
    double *dv = NULL;
    const char **sv = NULL;
    sym_model *mod = NULL;
    const sym_job_config *mod_cfg = NULL;

    for (int k = 0; k < o->n_tensors; k++) {
        size_t t = (size_t)o->tensors[k].rows * o->tensors[k].cols;

        cap = t > cap ? t : cap;
    }
    cap = job->measure.total > cap ? job->measure.total : cap;
    SYM_TRY(sym_alloc(&iv, sizeof(int64_t) * (size_t)m));
    SYM_TRY(sym_alloc(&dv, sizeof(double) * (size_t)m * cap));
    SYM_TRY(sym_alloc(&sv, sizeof(char *) * (size_t)m));

#define HAS(j) (rs[j].status != SYM_RUN_FAILED && rs[j].params)
#define COLUMN_I(path, expr)                                                                  \
    do {                                                                                      \
        for (int j = 0; j < m; j++)                                                           \
            iv[j] = (expr);                                                                   \
        SYM_TRY(sym_h5_write_rows(o->h5, path, i0, m, iv));                                   \
    } while (0)
#define COLUMN_D(path, expr)                                                                  \
    do {                                                                                      \
        for (int j = 0; j < m; j++)                                                           \
            dv[j] = (expr);                                                                   \
        SYM_TRY(sym_h5_write_rows(o->h5, path, i0, m, dv));                                   \
    } while (0)

    COLUMN_I("/runs/rank", rs[j].rank);
    COLUMN_D("/runs/wall_time", rs[j].wall_time);
    for (int j = 0; j < m; j++)
        sv[j] = rs[j].error;
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/error", i0, m, sv));
    COLUMN_I("/runs/epochs_done", HAS(j) ? rs[j].epochs_done : -1);
    COLUMN_D("/runs/metrics/final_loss", HAS(j) ? rs[j].final.total : NAN);
    COLUMN_D("/runs/metrics/final_data_loss", HAS(j) ? rs[j].final.data : NAN);
    COLUMN_D("/runs/metrics/final_penalty", HAS(j) ? rs[j].final.penalty : NAN);
    for (int j = 0; j < m; j++)
        for (int k = 0; k < o->n_points; k++)
            dv[(size_t)j * o->n_points + k] = HAS(j) && k < rs[j].n_curve ? rs[j].curve[k] : NAN;
    SYM_TRY(sym_h5_write_rows(o->h5, "/runs/curves/loss", i0, m, dv));

    if (job->measure.total) {
        measure_ds md[128];
        int nd = measure_list(job, md);

        for (int q = 0; q < nd; q++) {
            size_t w = md[q].width;

            /* reparam rows gather every 5th value (one per family), commutation every 2nd */
            size_t stride = strncmp(md[q].path, "/probes/reparam/", 16) == 0            ? 5
                            : strncmp(md[q].path, "/probes/centralizer/commutation", 31) == 0 ? 2
                                                                                          : 1;

            for (int j = 0; j < m; j++)
                for (size_t x = 0; x < w; x++)
                    dv[(size_t)j * w + x] =
                        HAS(j) && rs[j].measures ? rs[j].measures[md[q].off + x * stride] : NAN;
            SYM_TRY(sym_h5_write_rows(o->h5, md[q].path, i0, m, dv));
        }
    }
    if (job->probe_orbit)
        SYM_TRY(orbit_rows(o, job, i0, m, rs));

    for (int pass = 0; pass < 2 && job->record_weights != SYM_RECORD_WEIGHTS_NONE; pass++) {
        const char *group = pass ? "/runs/initial_weights" : "/runs/weights";

        if (pass && job->record_weights != SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL)
            break;
        for (int k = 0; k < o->n_tensors; k++) {
            const out_tensor *ot = &o->tensors[k];
            size_t sz = (size_t)ot->rows * ot->cols;
            char path[128];

            for (size_t x = 0; x < (size_t)m * sz; x++)
                dv[x] = NAN;
            for (int j = 0; j < m; j++) {
                const sym_job_config *cfg = sym_job_run_config(job, rs[j].index, NULL);
                const double *src = pass ? rs[j].initial : rs[j].params;
                const sym_tensor *t = NULL;

                if (!HAS(j))
                    continue;
                if (cfg != mod_cfg) { /* the run's own layout: its configuration's model */
                    sym_model_free(mod);
                    mod = NULL;
                    SYM_TRY(sym_model_create(&mod, &cfg->model));
                    mod_cfg = cfg;
                }
                for (int q = 0; q < sym_model_n_tensors(mod) && !t; q++)
                    if (strcmp(sym_model_tensor(mod, q)->name, ot->name) == 0)
                        t = sym_model_tensor(mod, q);
                if (!t)
                    continue;
                for (int r = 0; r < t->rows; r++)
                    memcpy(dv + (size_t)j * sz + (size_t)r * ot->cols,
                           src + t->offset + (size_t)r * t->cols, sizeof(double) * (size_t)t->cols);
            }
            snprintf(path, sizeof(path), "%s/%s", group, ot->name);
            SYM_TRY(sym_h5_write_rows(o->h5, path, i0, m, dv));
        }
    }
#undef COLUMN_I
#undef COLUMN_D
#undef HAS
cleanup:
    sym_model_free(mod);
    free(iv);
    free(dv);
    free(sv);
    return rc;
}

static int copy_result(const sym_output *o, sym_run_result *d, const sym_run_result *r,
                       size_t probe_size)
{
    int rc = 0;

    *d = *r;
    d->params = d->initial = d->curve = d->probe = d->measures = NULL;
    if (r->measures && o->job->measure.total) {
        SYM_TRY(sym_alloc_doubles(&d->measures, o->job->measure.total));
        memcpy(d->measures, r->measures, sizeof(double) * o->job->measure.total);
    }
    if (r->probe && probe_size) {
        SYM_TRY(sym_alloc_doubles(&d->probe, probe_size));
        memcpy(d->probe, r->probe, sizeof(double) * probe_size);
    }
    if (r->params) {
        SYM_TRY(sym_alloc_doubles(&d->params, r->n_params));
        SYM_TRY(sym_alloc_doubles(&d->initial, r->n_params));
        SYM_TRY(sym_alloc_doubles(&d->curve, (size_t)r->n_curve + 1));
        memcpy(d->params, r->params, sizeof(double) * r->n_params);
        memcpy(d->initial, r->initial, sizeof(double) * r->n_params);
        memcpy(d->curve, r->curve, sizeof(double) * (size_t)r->n_curve);
    }
cleanup:
    if (rc)
        sym_run_result_dispose(d);
    return rc;
}

int sym_output_add(sym_output *o, const sym_run_result *r)
{
    int rc = 0;

    if (o->n_buf == o->cap_buf) {
        int cap = o->cap_buf ? 2 * o->cap_buf : 64;
        sym_run_result *nb = realloc(o->buf, sizeof(*nb) * (size_t)cap);

        if (!nb)
            SYM_FAIL(SYM_ENOMEM, "out of memory buffering results");
        o->buf = nb;
        o->cap_buf = cap;
    }
    SYM_TRY(copy_result(o, &o->buf[o->n_buf], r, sym_job_probe_size(o->job)));
    o->n_buf++;
    o->buf_bytes += sizeof(*r) + sizeof(double) * (2 * r->n_params + (size_t)r->n_curve +
                                                    (r->probe ? sym_job_probe_size(o->job) : 0) +
                                                    (r->measures ? o->job->measure.total : 0));
cleanup:
    return rc;
}

size_t sym_output_buffered_bytes(const sym_output *o) { return o->buf_bytes; }
int sym_output_buffered_runs(const sym_output *o) { return o->n_buf; }

static int by_index(const void *a, const void *b)
{
    return ((const sym_run_result *)a)->index - ((const sym_run_result *)b)->index;
}

/* test hook: SYMSWEEP_TEST_KILL=K:PHASE kills this process with SIGKILL in
 * checkpoint K (1-based) at PHASE = data (half the data written), flushed
 * (data on disk, statuses not), or status (half the statuses written) */
static void test_kill(int k, const char *phase)
{
    const char *e = getenv("SYMSWEEP_TEST_KILL");
    char want[64];

    if (!e)
        return;
    snprintf(want, sizeof(want), "%d:%s", k, phase);
    if (strcmp(e, want) == 0)
        raise(SIGKILL);
}

/*
 * Write the buffered results.  Order matters for a kill at any moment: all
 * data first, flushed to the operating system, then the statuses, then a
 * flush and fsync.  A run whose status reads done therefore has all its
 * data on disk; one killed before its status stays pending and is redone.
 */
int sym_output_checkpoint(sym_output *o)
{
    int rc = 0, k = ++o->n_checkpoints, half;
    double t0 = sym_now();
    int8_t *st = NULL;

    if (o->n_buf == 0)
        return 0;
    qsort(o->buf, (size_t)o->n_buf, sizeof(*o->buf), by_index);
    half = o->n_buf / 2;
    /* the data of each range of consecutive indices in one write per dataset */
    for (int j = 0; j < o->n_buf;) {
        int m = 1;

        while (j + m < o->n_buf && o->buf[j + m].index == o->buf[j].index + m)
            m++;
        if (j <= half && half < j + m)
            test_kill(k, "data");
        SYM_TRY(write_range(o, o->buf + j, m));
        j += m;
    }
    SYM_TRY(sym_h5_flush(o->h5));
    test_kill(k, "flushed");
    SYM_TRY(sym_alloc(&st, (size_t)o->n_buf));
    for (int j = 0; j < o->n_buf;) {
        int m = 1, first = 0;

        while (j + m < o->n_buf && o->buf[j + m].index == o->buf[j].index + m)
            m++;
        for (int q = 0; q < m; q++)
            st[q] = (int8_t)o->buf[j + q].status;
        if (j <= half && half < j + m) {
            /* the kill lands with part of this range's statuses written */
            first = half - j;
            if (first > 0)
                SYM_TRY(sym_h5_write_rows(o->h5, "/runs/status", o->buf[j].index, first, st));
            test_kill(k, "status");
        }
        SYM_TRY(sym_h5_write_rows(o->h5, "/runs/status", o->buf[j].index + first, m - first, st + first));
        j += m;
    }
    SYM_TRY(sym_h5_sync(o->h5));
    for (int j = 0; j < o->n_buf; j++)
        sym_run_result_dispose(&o->buf[j]);
    o->n_buf = 0;
    o->buf_bytes = 0;
cleanup:
    free(st);
    o->write_time += sym_now() - t0;
    return rc;
}

double sym_output_write_time(const sym_output *o) { return o->write_time; }

int sym_output_resume(sym_output **out, int **to_run, int *n_to_run, const char *path,
                      const sym_job *job, const char *shard)
{
    sym_output *o = NULL;
    char *hash = NULL, *fshard = NULL;
    int64_t *st = NULL;
    int rc = 0, n = sym_job_n_runs(job), *list = NULL, cnt = 0;
    long long len = 0;

    SYM_TRY(sym_alloc(&o, sizeof(*o)));
    o->job = job;
    SYM_TRY(layout(o));
    SYM_TRY(sym_h5_open_rw(&o->h5, path));
    {
        int checked;

        /* a changed byte anywhere: refuse, rather than keep corrupted runs as done */
        SYM_TRY(sym_h5_check_layout(&len, o->h5, SYM_FORMAT_VERSION));
        SYM_TRY(sym_h5_verify(&checked, o->h5));
    }
    if (sym_h5_attr_read_string(&hash, o->h5, "/", "job_sha256") < 0)
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: not a symsweep output file (no job_sha256)", path);
    if (strcmp(hash, job->sha256) != 0) {
        /* the same settings written differently (comments, layout) resume */
        char *yaml = NULL, a[65] = "", b[65] = "";

        if (sym_h5_attr_read_string(&yaml, o->h5, "/", "job_yaml") == 0 &&
            sym_job_canonical_sha256(a, yaml, strlen(yaml)) == 0 &&
            sym_job_canonical_sha256(b, job->yaml, job->yaml_len) == 0 && !strcmp(a, b)) {
            free(yaml);
        } else {
            free(yaml);
            sym_err_clear();
            SYM_FAIL(SYM_EJOB,
                     "%s: cannot resume: the file was written by a different job (its settings "
                     "differ, not only comments or layout; job_sha256 %.12s..., this job "
                     "%.12s...); use the job that made it, another output file, or --force",
                     path, hash, job->sha256);
        }
    }
    if (sym_h5_attr_read_string(&fshard, o->h5, "/", "shard") < 0)
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: not a symsweep output file (no shard attribute)", path);
    if (strcmp(fshard, shard ? shard : "") != 0)
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: the file is %s%s, this run is %s%s", path,
                 fshard[0] ? "shard " : "a whole sweep", fshard, shard && shard[0] ? "shard " : "a whole sweep",
                 shard ? shard : "");
    if (len != n) /* the run count of the file, from sym_h5_check_layout above */
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: %lld runs in the file, %d in the job", path, len, n);
    SYM_TRY(check_grid(o, path));
    SYM_TRY(sym_alloc(&st, sizeof(int64_t) * (size_t)(n + 1)));
    SYM_TRY(sym_h5_read_status(st, o->h5, n));
    SYM_TRY(sym_alloc(&list, sizeof(int) * (size_t)(n + 1)));
    /* pending runs were never finished; failed ones may have failed for a
     * reason that is gone (a missing data file); diverged runs would
     * diverge again, identically */
    for (int i = 0; i < n; i++)
        if (st[i] == SYM_RUN_PENDING || st[i] == SYM_RUN_FAILED)
            list[cnt++] = i;
    /* not finished any more until this resumption completes */
    SYM_TRY(sym_h5_attr_text(o->h5, "/", "finished", ""));
    SYM_TRY(sym_h5_sync(o->h5));
    *out = o;
    o = NULL;
    *to_run = list;
    list = NULL;
    *n_to_run = cnt;
cleanup:
    free(hash);
    free(fshard);
    free(st);
    free(list);
    if (o) {
        sym_h5_close(o->h5);
        free(o->pad);
        free(o);
    }
    return rc;
}

int sym_output_close(sym_output *o, int complete)
{
    int rc, rc2;
    char buf[64];

    if (!o)
        return 0;
    /* whatever is buffered is written, complete or not (a checkpoint) */
    rc = sym_output_checkpoint(o);
    if (!rc && complete) {
        iso_now(buf, sizeof(buf));
        rc = sym_h5_attr_text(o->h5, "/", "finished", buf);
    }
    rc2 = sym_h5_close(o->h5);
    for (int j = 0; j < o->n_buf; j++)
        sym_run_result_dispose(&o->buf[j]);
    free(o->buf);
    free(o->pad);
    free(o);
    return rc ? rc : rc2;
}
