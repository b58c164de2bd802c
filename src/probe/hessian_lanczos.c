/*
 * The hessian_lanczos probe: its settings, layout and datasets; the team task that calls
 * sym_hessian_lanczos (src/sym/hessian_lanczos.c) with the team's share of the data, and the
 * SLQ samples (sym_hessian_slq) as pieces any rank computes.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill_nan(double *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = NAN;
}

/* ---- the probe: probes.hessian_lanczos ---- */

enum { LZ_SCALARS = 7 }; /* n_params, steps, quotient_steps, orbit_hvp, grad_norm, trace, stderr */

typedef struct lz_opts {
    int k, steps, quotient, orbit_checks, slq_samples, slq_steps, memory_mb;
    double *sample; /* the SLQ sample axis (owned) */
    /* where layout's datasets put the values (the host places them): the measures, and in
     * each SLQ piece its nodes, weights and z^T H z */
    size_t end[6], sc[7], n_values, nodes, weights, zhz, piece_len;
} lz_opts;

static const sym_setting lz_settings[] = {
    {.name = "k", .type = SYM_SETTING_INT, .offset = offsetof(lz_opts, k), .lo = 1, .hi = 1000,
     .doc = "eigenvalues recorded at each end of the spectrum (and of the quotient's)"},
    {.name = "steps", .type = SYM_SETTING_INT, .offset = offsetof(lz_opts, steps), .lo = 2,
     .hi = 100000, .doc = "Lanczos steps (Hessian-vector products) for the extremes, at most P; "
                          "memory steps x P doubles"},
    {.name = "quotient", .type = SYM_SETTING_BOOL, .offset = offsetof(lz_opts, quotient),
     .doc = "also the bottom of the spectrum on the orbit-normal space (P H P)"},
    {.name = "orbit_checks", .type = SYM_SETTING_INT, .offset = offsetof(lz_opts, orbit_checks),
     .lo = 0, .hi = 10000, .doc = "random orbit tangents t whose ||H t|| is measured"},
    {.name = "slq_samples", .type = SYM_SETTING_INT, .offset = offsetof(lz_opts, slq_samples),
     .lo = 0, .hi = 10000, .doc = "stochastic Lanczos quadrature samples (fanned out to any rank)"},
    {.name = "slq_steps", .type = SYM_SETTING_INT, .offset = offsetof(lz_opts, slq_steps),
     .lo = 2, .hi = 10000, .doc = "Lanczos steps per SLQ sample (quadrature nodes), at most P"},
    {.name = "memory_mb", .type = SYM_SETTING_INT, .offset = offsetof(lz_opts, memory_mb), .lo = 1,
     .hi = 1 << 24, .doc = "a grid point whose Lanczos vectors (steps x P doubles) need more MiB "
                           "than this is refused before anything runs"},
};

static void lz_init(void *opts)
{
    lz_opts *o = opts;

    o->k = 5;
    o->steps = 80;
    o->quotient = 1;
    o->orbit_checks = 4;
    o->slq_samples = 8;
    o->slq_steps = 40;
    o->memory_mb = 4096;
}

static int lz_settle(void *opts, const int *given, sym_probe_msg *msg)
{
    lz_opts *o = opts;

    (void)given;
    if (o->k > o->steps)
        return SYM_PROBE_MSG(msg, "k", "at most steps (%d) eigenvalues per end, found %d", o->steps,
                             o->k);
    return 0;
}

static int lz_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const lz_opts *o = opts;
    sym_model *m = NULL;
    double P, mib;

    if (sym_hvp_check(cfg, msg))
        return SYM_EJOB; /* the complaint is in msg */
    if (sym_model_create(&m, &cfg->model) != 0) {
        sym_model_free(m);
        return 0; /* the model's own check reports it */
    }
    P = (double)sym_model_n_params(m);
    sym_model_free(m);
    mib = 8.0 * fmin(fmax(o->steps, o->slq_steps), P) * P / 1048576.0;
    if (mib > o->memory_mb)
        return SYM_PROBE_MSG(msg, "steps", "the Lanczos vectors need %.0f MiB at P = %.0f (steps x P "
                             "doubles), more than memory_mb = %d: lower steps or raise memory_mb",
                             mib, P, o->memory_mb);
    return 0;
}

static void lz_dispose(void *opts) { free(((lz_opts *)opts)->sample); }

/* per end [k], the scalars; then per SLQ piece its nodes, weights and z^T H z */
static int lz_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    static const char *const ends[6][2] = {
        {"top", "the k largest eigenvalues of the Hessian, descending (Lanczos Ritz values) [run, i]"},
        {"top_residual", "||H y - theta y|| of each top Ritz pair: its eigenvalue is within this "
                         "of a true one [run, i]"},
        {"bottom", "the k smallest eigenvalues, ascending (negative: a saddle) [run, i]"},
        {"bottom_residual", "||H y - theta y|| of each bottom Ritz pair [run, i]"},
        {"quotient_bottom", "the k smallest eigenvalues of P H P on the orbit-normal space (P "
                            "projects off the orbit's tangent space): the small curvatures that "
                            "are not symmetry; NaN when quotient is false, for tied models, or "
                            "past the steps [run, i]"},
        {"quotient_residual", "||P H P y - theta y|| of each quotient Ritz pair [run, i]"}};
    static const char *const sc[LZ_SCALARS][2] = {
        {"/probes/hessian_lanczos/n_params", "parameters P"},
        {"/probes/hessian_lanczos/steps", "Lanczos steps taken for the extremes (fewer than asked: "
                                          "the Krylov space closed and the values are exact)"},
        {"/probes/hessian_lanczos/quotient_steps", "Lanczos steps taken on the orbit-normal space"},
        {"/runs/metrics/lanczos_orbit_hvp", "max over random orbit tangents t of ||H t|| / (||t|| "
                                            "max |lambda|): 0 at a critical point (H annihilates "
                                            "the orbit's tangent space), O(||gradient||) elsewhere; "
                                            "NaN without a continuous symmetry"},
        {"/runs/metrics/lanczos_grad_norm", "||gradient of the objective|| at the trained point"},
        {"/runs/metrics/lanczos_trace", "Hutchinson's estimate of tr H: the mean of z^T H z over "
                                        "the SLQ samples' Rademacher vectors z"},
        {"/runs/metrics/lanczos_trace_stderr", "standard error of lanczos_trace (NaN below 2 "
                                               "samples)"}};
    lz_opts *o = opts;
    long long K[1] = {o->k}, SM[2] = {o->slq_samples, o->slq_steps};
    sym_schema_dataset *d;
    char path[SYM_SCHEMA_PATH];

    (void)cfgs;
    (void)n;
    free(o->sample);
    o->sample = NULL;
    if (o->slq_samples > 0 && sym_alloc_doubles(&o->sample, (size_t)o->slq_samples) != 0)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for the sample axis");
    for (int q = 0; q < o->slq_samples; q++)
        o->sample[q] = q;

    for (int e = 0; e < 6; e++) {
        snprintf(path, sizeof(path), "/probes/hessian_lanczos/%s", ends[e][0]);
        o->end[e] = sym_schema_at(sym_schema_measure(s, path, 1, K, "%s", ends[e][1]));
    }
    sym_schema_metric(s, "/runs/metrics/lanczos_top_eigenvalue", "/probes/hessian_lanczos/top", 0,
                      "largest eigenvalue of the Hessian (Lanczos)");
    for (int q = 0; q < LZ_SCALARS; q++) {
        d = sym_schema_measure(s, sc[q][0], 0, NULL, "%s", sc[q][1]);
        o->sc[q] = sym_schema_at(q < 3 ? sym_schema_int(d) : d); /* n_params, steps, quotient_steps: counts */
    }
    o->n_values = s->len;
    if (o->slq_samples < 1)
        return 0;
    sym_schema_axis(s, "/probes/hessian_lanczos/sample", SYM_SCHEMA_I64, o->slq_samples, o->sample,
                    "SLQ sample number: its Rademacher vector is stream (seed, probe, 0x90010 + "
                    "sample) (dimension scale)");
    d = sym_schema_pieces(s, "/probes/hessian_lanczos/slq_nodes", 2, SM,
                          "SLQ quadrature nodes (Ritz values of slq_steps Lanczos steps from a "
                          "Rademacher vector), ascending [run, sample, j]; the spectral density is "
                          "sum_j w_j g(x - node_j) averaged over samples, g a narrow Gaussian; NaN "
                          "past an early stop");
    o->nodes = sym_schema_at(d);
    sym_schema_scale(d, 1, "/probes/hessian_lanczos/sample", "sample");
    d = sym_schema_pieces(s, "/probes/hessian_lanczos/slq_weights", 2, SM,
                          "SLQ quadrature weights (squared first components of the tridiagonal's "
                          "eigenvectors; they sum to 1) [run, sample, j]");
    o->weights = sym_schema_at(d);
    sym_schema_scale(d, 1, "/probes/hessian_lanczos/sample", "sample");
    o->zhz = sym_schema_reserve(s, 1, 1); /* z^T H z, for the trace (reduce) */
    o->piece_len = s->piece_len;
    return 0;
}

/* the ranks whose data slices made each product (the sweep's team size) */
static int lz_schema(const void *opts, int team_size, sym_schema *s)
{
    (void)opts;
    sym_schema_attr_int(s, "/probes/hessian_lanczos/top", "team_size", team_size);
    return 0;
}

static int finite_params(const sym_probe_run *run)
{
    size_t P = sym_model_n_params(run->model);

    for (size_t i = 0; i < P; i++)
        if (!isfinite(run->params[i]))
            return 0;
    return 1;
}

/* team sums over the team's ranks, for sym_hvp_share */
static int team_sum(void *ctx, double *x, size_t n)
{
    const sym_team_ops *t = ctx;

    return t->sum(t->solver, x, n);
}

/*
 * A team task (of one rank unless probes.hessian_lanczos.team says more): each rank takes a
 * contiguous slice of the samples, the products are the team's sums, and the Lanczos vectors
 * are replicated, so every rank computes the same values.
 */
static int lz_team(const void *opts, const sym_probe_run *run, const sym_team_ops *team, double *x)
{
    const lz_opts *o = opts;
    const sym_data *d = run->data;
    int k = o->k, rc = 0, T = team->size, r = team->rank;
    sym_lanczos_out out = {x + o->end[0], x + o->end[1], x + o->end[2], x + o->end[3], x + o->end[4],
                           x + o->end[5], 0, 0, NAN, NAN};
    sym_hvp_share share;
    sym_data slice = *d;
    sym_rng rng;

    fill_nan(x, (int)o->n_values);
    x[o->sc[0]] = (double)sym_model_n_params(run->model);
    if (!finite_params(run))
        return 0; /* a diverged run: NaN */
    if (T > 1) {
        long long n0 = (long long)d->n * r / T, n1 = (long long)d->n * (r + 1) / T;

        if (d->n < T)
            SYM_FAIL(SYM_EINVAL, "hessian_lanczos: a team of %d ranks for %d samples: each rank "
                     "needs at least one (set probes.hessian_lanczos.team lower)", T, d->n);
        if (!team->sum)
            SYM_FAIL(SYM_EINVAL, "hessian_lanczos: this team has no sum (an older symsweep)");
        slice.n = (int)(n1 - n0);
        slice.X = d->X + n0 * d->d_in;
        slice.Y = d->Y + n0 * d->d_out;
        share.sum = team_sum;
        share.ctx = (void *)team;
        share.weight = (double)slice.n / d->n;
    }
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
    SYM_TRY(sym_hessian_lanczos(&out, run->model, &run->cfg->reg, run->params, &slice, k, o->steps,
                                o->quotient, o->orbit_checks, &rng, T > 1 ? &share : NULL));
    x[o->sc[1]] = out.steps;
    x[o->sc[2]] = o->quotient ? out.quot_steps : NAN;
    x[o->sc[3]] = out.orbit_hvp;
    x[o->sc[4]] = out.grad_norm;
cleanup:
    return rc;
}

/* the dense sizes say nothing of it: team: auto is one rank */
static void lz_team_need(const void *opts, const sym_model *m, sym_team_need *need)
{
    (void)opts;
    (void)m;
    need->kind = SYM_TEAM_NONE;
    need->m = need->n = 0;
}

static int lz_n_pieces(const void *opts) { return ((const lz_opts *)opts)->slq_samples; }

static int lz_piece(const void *opts, const sym_probe_run *run, int piece, double *out)
{
    const lz_opts *o = opts;
    sym_rng rng;

    fill_nan(out, (int)o->piece_len);
    if (!finite_params(run))
        return 0;
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream + 16 + (uint32_t)piece);
    return sym_hessian_slq(out + o->nodes, out + o->weights, out + o->zhz, run->model,
                           &run->cfg->reg, run->params, run->data, o->slq_steps, &rng);
}

/* the trace and its standard error from the samples' z^T H z */
static void lz_reduce(const void *opts, const double *pieces, size_t stride, double *out)
{
    const lz_opts *o = opts;
    int S = o->slq_samples;
    double mean = 0.0, ss = 0.0;

    if (!pieces) {
        out[o->sc[5]] = out[o->sc[6]] = NAN;
        return;
    }
    for (int s = 0; s < S; s++)
        mean += pieces[(size_t)s * stride + o->zhz] / S;
    for (int s = 0; s < S; s++) {
        double dv = pieces[(size_t)s * stride + o->zhz] - mean;

        ss += dv * dv;
    }
    out[o->sc[5]] = mean;
    out[o->sc[6]] = S > 1 ? sqrt(ss / (S - 1) / S) : NAN;
}

/* steps products and O(steps^2 P) reorthogonalization, twice with the quotient */
static double lz_task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    const lz_opts *o = opts;
    double m = fmin(o->steps, n_params), s = fmin(o->slq_steps, n_params);

    (void)cfg;
    return (1.0 + o->quotient) * (m * 6.0 * pass + 4.0 * m * m * n_params) +
           (s * 6.0 * pass + 4.0 * s * s * n_params);
}

const sym_probe_def sym_probe_hessian_lanczos = {
    SYM_PROBE_DEF_INIT,
    .name = "hessian_lanczos",
    .doc = "the Hessian without forming it (any P): extreme eigenvalues by Lanczos, the bottom on "
           "the orbit-normal space, H on orbit tangents, spectral density (SLQ) and trace",
    .opts_size = sizeof(lz_opts),
    .settings = lz_settings,
    .n_settings = sizeof lz_settings / sizeof *lz_settings,
    .piece_noun = "SLQ sample",
    .init = lz_init,
    .settle = lz_settle,
    .check = lz_check,
    .layout = lz_layout,
    .schema = lz_schema,
    .dispose = lz_dispose,
    .team_need = lz_team_need,
    .team = lz_team,
    .n_pieces = lz_n_pieces,
    .piece = lz_piece,
    .reduce = lz_reduce,
    .task_work = lz_task_work,
};
