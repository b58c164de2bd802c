/*
 * The hessian probe: its settings, layout and datasets, and the team task that
 * calls sym_hessian_probe (src/sym/hessian.c) on the trained point.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.hessian ---- */

/* zeros, gap, top, orbit_dim, orbit_gap, hvp_error, n_params, team size, hvp_at_kink,
 * cut_below, cut_above */
enum { HESS_SCALARS = 11 };

typedef struct hessian_opts {
    sym_hessian_opts h;
    int zero_cut; /* the enum setting, copied into h by settle */
    int p;        /* largest parameter count over the grid */
    /* where layout's datasets put the values (the host places them) */
    size_t eig, sc[HESS_SCALARS], vec, gauge_loss, gauge_zeros, gauge_top;
    double *gauge_t; /* the gauge axis (owned) */
} hessian_opts;

static const sym_setting hessian_settings[] = {
    {.name = "zero_cut", .type = SYM_SETTING_ENUM, .offset = offsetof(hessian_opts, zero_cut),
     .names = sym_zero_cut_names, .n_names = SYM_ZERO_CUT_COUNT,
     .doc = "how zero eigenvalues are told: the largest gap, or a threshold (default: gap, or "
            "threshold when one is given)"},
    {.name = "threshold", .type = SYM_SETTING_DOUBLE, .offset = offsetof(hessian_opts, h.threshold),
     .lo = 0.0, .lo_open = 1, .hi = 1.0, .hi_open = 1,
     .doc = "zero_cut threshold: |w| <= threshold max |w| is zero"},
    {.name = "eigenvectors", .type = SYM_SETTING_BOOL, .offset = offsetof(hessian_opts, h.eigenvectors),
     .doc = "record the eigenvectors (P x P per run)"},
    {.name = "hvp_checks", .type = SYM_SETTING_INT, .offset = offsetof(hessian_opts, h.hvp_checks),
     .lo = 0, .hi = 1000, .doc = "random directions whose H v is checked against finite differences"},
    {.name = "gauge_points", .type = SYM_SETTING_INT, .offset = offsetof(hessian_opts, h.gauge_points),
     .lo = 0, .hi = 1001, .doc = "points t along exp(t A) . theta where the spectrum is measured again"},
    {.name = "gauge_t_max", .type = SYM_SETTING_DOUBLE, .offset = offsetof(hessian_opts, h.gauge_t_max),
     .lo = 0.0, .lo_open = 1, .hi = 100.0, .doc = "t runs over [-gauge_t_max, gauge_t_max]"},
};

static void hessian_init(void *opts)
{
    hessian_opts *o = opts;
    sym_hessian_opts def = SYM_HESSIAN_OPTS_INIT;

    o->h = def;
    o->zero_cut = def.zero_cut;
}

static int hessian_settle(void *opts, const int *given, sym_probe_msg *msg)
{
    hessian_opts *o = opts;

    (void)msg;
    /* zeros end at the largest gap, unless a threshold is asked for */
    if (!given[0])
        o->zero_cut = given[1] ? SYM_ZERO_CUT_THRESHOLD : SYM_ZERO_CUT_GAP;
    o->h.zero_cut = (sym_zero_cut)o->zero_cut;
    return 0;
}

static int hessian_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    return sym_hvp_check(cfg, msg);
}

static void hessian_dispose(void *opts) { free(((hessian_opts *)opts)->gauge_t); }

/* the eigenvalues [p], the scalars, the eigenvectors [p x p], the gauge curves [G] */
static int hessian_declare(hessian_opts *o, sym_schema *s)
{
    /* the name, the description, and 1 for integers (counts, dimensions, the team size, a flag) */
    static const struct { const char *name, *desc; int integer; } hs[HESS_SCALARS] = {
        {"hessian_zero_count", "eigenvalues of the Hessian counted zero: below the largest gap "
                               "of |w| on a log scale whose lower side is at most 1e-4 max |w| "
                               "and which spans at least a factor 1e3 (zero_cut gap), or with "
                               "|w| <= threshold max |w| (zero_cut threshold); attributes "
                               "zero_cut and threshold of /probes/hessian", 1},
        {"hessian_gap", "smallest |w| counted non-zero over the largest counted zero (inf: no "
                        "zero; a large gap makes the count trustworthy)", 0},
        {"hessian_top_eigenvalue", "largest eigenvalue of the Hessian", 0},
        {"hessian_orbit_dim", "rank of the orbit-tangent map of the objective's symmetry "
                              "algebra at the trained point (computed independently of the "
                              "Hessian; equals hessian_zero_count at a minimum whose only flat "
                              "directions are the orbit's); -1 for tied models", 1},
        {"hessian_orbit_gap", "smallest counted over largest uncounted singular value of the "
                              "orbit-tangent map (inf: full rank)", 0},
        {"hessian_hvp_error", "max over random unit v of ||H v - (g(p + h v) - g(p - h v)) / 2h|| "
                              "/ ||H v||, h = 1e-5: the exact products checked against finite "
                              "differences of the gradient; NaN where hessian_hvp_at_kink is 1", 0},
        {"hessian_n_params", "parameters P: the first P entries of /probes/hessian/eigenvalues", 1},
        {"hessian_team_size", "ranks of the team that computed the spectrum (ScaLAPACK grid "
                              "as square as the size allows)", 1},
        {"hessian_hvp_at_kink", "1 when a penalized weight lies within the check's step (1e-5) "
                                "of a kink of an l1 or l_p (p < 2) penalty: the gradient jumps "
                                "there, so the finite-difference check says nothing and "
                                "hessian_hvp_error is NaN; 0 otherwise", 1},
        {"hessian_cut_below", "the largest |w| counted zero: the lower neighbour of the cut "
                              "(NaN: none is zero)", 0},
        {"hessian_cut_above", "the smallest |w| counted non-zero: the upper neighbour of the "
                              "cut (NaN: all are zero)", 0}};
    const char *ev = "/probes/hessian/eigenvalues";
    long long P[1] = {o->p}, PP[2] = {o->p, o->p}, G[1] = {o->h.gauge_points};

    o->eig = sym_schema_at(sym_schema_measure(s, ev, 1, P,
                       "eigenvalues of the Hessian of the objective at the trained "
                       "parameters, ascending [run, k] (NaN past the run's P); exact "
                       "Hessian-vector products, ScaLAPACK pdsyevd"));
    for (int q = 0; q < HESS_SCALARS; q++) {
        char path[SYM_SCHEMA_PATH];

        snprintf(path, sizeof(path), "/runs/metrics/%s", hs[q].name);
        sym_schema_dataset *d = sym_schema_measure(s, path, 0, NULL, "%s", hs[q].desc);

        o->sc[q] = sym_schema_at(hs[q].integer ? sym_schema_int(d) : d);
    }
    if (o->h.eigenvectors)
        o->vec = sym_schema_at(sym_schema_measure(s, "/probes/hessian/eigenvectors", 2, PP,
                           "[run, k, i]: component i of the unit eigenvector of eigenvalue k "
                           "(NaN past the run's P)"));
    if (G[0] > 0) {
        const char *gt = "/probes/hessian/gauge_t";

        sym_schema_axis(s, gt, SYM_SCHEMA_F64, (int)G[0], o->gauge_t,
                        "orbit parameter t of each gauge point (dimension scale)");
        sym_schema_dataset *d;

        o->gauge_loss = sym_schema_at(sym_schema_measure(s, "/probes/hessian/gauge_loss", 1, G,
                           "objective at exp(t A) . theta for t in /probes/hessian/gauge_t, A a "
                           "random unit direction of the objective's symmetry algebra (NaN: "
                           "no continuous symmetry) [run, t]"));
        d = sym_schema_measure(s, "/probes/hessian/gauge_zero_count", 1, G,
                               "Hessian zero count at exp(t A) . theta [run, t]: fixed along the "
                               "orbit (Sylvester's law of inertia)");
        o->gauge_zeros = sym_schema_at(sym_schema_int(d));
        d = sym_schema_measure(s, "/probes/hessian/gauge_top_eigenvalue", 1, G,
                               "top Hessian eigenvalue at exp(t A) . theta [run, t]: flatness "
                               "changes along the orbit while the function does not (a gauge "
                               "artifact, Dinh et al. 2017)");
        o->gauge_top = sym_schema_at(d);
        sym_schema_scale(d, 1, gt, "t");
    }
    return 0;
}

/* the team size: a fact of the run, not a setting */
static int hessian_schema(const void *opts, int team_size, sym_schema *s)
{
    (void)opts;
    sym_schema_attr_int(s, "/probes/hessian/eigenvalues", "team_size", team_size);
    return 0;
}

static int hessian_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    hessian_opts *o = opts;
    int G = o->h.gauge_points;

    for (int c = 0; c < n; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &cfgs[c].model) == 0) {
            int P = (int)sym_model_n_params(m);

            o->p = P > o->p ? P : o->p;
        }
        sym_model_free(m);
    }
    free(o->gauge_t);
    o->gauge_t = NULL;
    if (G > 0 && sym_alloc_doubles(&o->gauge_t, (size_t)G) != 0)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for the gauge axis");
    for (int k = 0; k < G; k++)
        o->gauge_t[k] = G == 1 ? o->h.gauge_t_max : sym_orbit_grid(k, G, o->h.gauge_t_max);
    return hessian_declare(o, s);
}


static void hessian_team_need(const void *opts, const sym_model *m, sym_team_need *need)
{
    (void)opts;
    need->kind = SYM_TEAM_SYEV;
    need->m = need->n = (long long)sym_model_n_params(m);
}

static int hessian_team(const void *opts, const sym_probe_run *run, const sym_team_ops *team, double *out)
{
    const hessian_opts *o = opts;
    size_t P = sym_model_n_params(run->model), G = (size_t)o->h.gauge_points;
    double *vec = NULL;
    sym_hessian_out h;
    sym_rng rng;
    int rc = 0;

    memset(&h, 0, sizeof(h));
    h.eig = out + o->eig;
    if (o->h.eigenvectors && team->rank == 0)
        SYM_TRY(sym_alloc_doubles(&vec, P * P));
    h.vec = vec;
    if (G > 0) {
        h.gauge_loss = out + o->gauge_loss;
        h.gauge_zeros = out + o->gauge_zeros;
        h.gauge_top = out + o->gauge_top;
    }
    /* its own stream: the HVP check directions, then the gauge direction */
    sym_rng_init(&rng, run->seed, SYM_RNG_PROBE, run->stream);
    SYM_TRY(sym_hessian_probe(&h, run->model, &run->cfg->reg, run->params, run->data, &o->h, &rng,
                              team->syev, team->solver));
    out[o->sc[0]] = h.zeros;
    out[o->sc[1]] = h.gap;
    out[o->sc[2]] = h.top;
    out[o->sc[3]] = h.orbit_dim >= 0 ? h.orbit_dim : NAN;
    out[o->sc[4]] = h.orbit_gap;
    out[o->sc[5]] = h.hvp_error;
    out[o->sc[6]] = (double)P;
    out[o->sc[7]] = team->size;
    out[o->sc[8]] = h.hvp_at_kink;
    out[o->sc[9]] = h.cut_below;
    out[o->sc[10]] = h.cut_above;
    if (vec) /* [P x P] into the [p x p] slot */
        for (size_t i = 0; i < P; i++)
            memcpy(out + o->vec + i * (size_t)o->p, vec + i * P, sizeof(double) * P);
cleanup:
    free(vec);
    return rc;
}

/* P Hessian-vector products, then an O(P^3) solve */
double sym_team_task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    (void)opts;
    (void)cfg;
    return 6.0 * n_params * pass + 10.0 * n_params * n_params * n_params;
}

const sym_probe_def sym_probe_hessian = {
    SYM_PROBE_DEF_INIT,
    .name = "hessian",
    .doc = "the Hessian's spectrum at the trained point (exact Hessian-vector products, a team "
           "task): its zero count against the orbit dimension, and along the orbit (gauge)",
    .opts_size = sizeof(hessian_opts),
    .settings = hessian_settings,
    .n_settings = sizeof hessian_settings / sizeof *hessian_settings,
    .init = hessian_init,
    .settle = hessian_settle,
    .check = hessian_check,
    .layout = hessian_layout,
    .schema = hessian_schema,
    .dispose = hessian_dispose,
    .team_need = hessian_team_need,
    .team = hessian_team,
    .task_work = sym_team_task_work,
};
