/*
 * The symmetry_discovery probe (seed 002): its settings, checks, layout and datasets, and the
 * team task that calls sym_symmetry_discovery (src/sym/discovery.c) with the team's SVD.
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.symmetry_discovery ---- */

typedef struct discovery_opts {
    sym_discovery_opts d;
    int family, data; /* the enum settings, copied into d by settle */
    int u;            /* largest number of unknowns over the grid */
    size_t dim_at, gap_at, sv_at, basis_at; /* where layout's datasets put the values */
} discovery_opts;

static const char *const data_names[2] = {"sampled", "fixed"};

static const sym_setting discovery_settings[] = {
    {.name = "family", .type = SYM_SETTING_ENUM, .offset = offsetof(discovery_opts, family),
     .names = sym_discovery_family_names, .n_names = SYM_DISCOVERY_COUNT,
     .doc = "the maps searched: per hidden layer (layer) or all of gl(P) (full)"},
    {.name = "conditions", .type = SYM_SETTING_INT, .offset = offsetof(discovery_opts, d.conditions),
     .lo = 0, .hi = 100000000, .doc = "stacked conditions (0: 2 x unknowns + 16)"},
    {.name = "batch", .type = SYM_SETTING_INT, .offset = offsetof(discovery_opts, d.batch), .lo = 1,
     .hi = 1000000, .doc = "rows of sampled data per condition"},
    {.name = "data", .type = SYM_SETTING_ENUM, .offset = offsetof(discovery_opts, data),
     .names = data_names, .n_names = 2,
     .doc = "each condition on a sampled batch, or on the run's own data (fixed)"},
    {.name = "scale", .type = SYM_SETTING_DOUBLE, .offset = offsetof(discovery_opts, d.point_scale),
     .lo = 0.0, .lo_open = 1, .hi = NAN, .doc = "the points theta_i: this times a draw of the initialization"},
    {.name = "threshold", .type = SYM_SETTING_DOUBLE, .offset = offsetof(discovery_opts, d.threshold),
     .lo = 0.0, .lo_open = 1, .hi = 1.0, .hi_open = 1,
     .doc = "a singular value is null when <= threshold x sqrt(conditions)"},
    {.name = "basis", .type = SYM_SETTING_BOOL, .offset = offsetof(discovery_opts, d.basis),
     .doc = "record the discovered algebra's basis"},
};

static void discovery_init(void *opts)
{
    discovery_opts *o = opts;
    sym_discovery_opts def = SYM_DISCOVERY_OPTS_INIT;

    o->d = def;
    o->family = def.family;
    o->data = def.fixed_data;
}

static int discovery_settle(void *opts, const int *given, sym_probe_msg *msg)
{
    discovery_opts *o = opts;

    (void)given;
    (void)msg;
    o->d.family = (sym_discovery_family)o->family;
    o->d.fixed_data = o->data;
    return 0;
}

static int discovery_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    const sym_discovery_opts *o = &((const discovery_opts *)opts)->d;
    sym_model *m = NULL;
    int rc = sym_model_create(&m, &cfg->model), U, M;

    if (rc)
        return rc;
    U = sym_discovery_unknowns(m, o->family);
    M = sym_discovery_conditions(m, o);
    if (o->family == SYM_DISCOVERY_LAYER && cfg->model.kind == SYM_MODEL_ISTA)
        rc = SYM_PROBE_MSG(msg, "family", "layer acts on the hidden units of a chain of dense "
                           "layers, which an ista model is not; use full");
    else if (o->family == SYM_DISCOVERY_LAYER && (cfg->model.n_layers < 2 || cfg->model.tied))
        rc = SYM_PROBE_MSG(msg, "family", "layer needs a model with a hidden layer and untied "
                           "weights; use full");
    else if (o->conditions > 0 && o->conditions < U)
        rc = SYM_PROBE_MSG(msg, "conditions", "expected at least the number of unknowns (%d), "
                           "found %d", U, o->conditions);
    else if ((double)M * U > 2e9)
        rc = SYM_PROBE_MSG(msg, "", "%d conditions x %d unknowns is more than 2e9 entries "
                           "(ScaLAPACK's 32-bit index limit); use family layer or a smaller model",
                           M, U);
    sym_model_free(m);
    return rc;
}

static int discovery_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    discovery_opts *o = opts;
    long long U[1], UU[2];

    for (int c = 0; c < n; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &cfgs[c].model) == 0) {
            int u = sym_discovery_unknowns(m, o->d.family);

            o->u = u > o->u ? u : o->u;
        }
        sym_model_free(m);
    }
    U[0] = UU[0] = UU[1] = o->u;
    o->dim_at = sym_schema_at(sym_schema_int(sym_schema_measure(
        s, "/runs/metrics/discovery_dimension", 0, NULL,
        "dimension of the Lie algebra of linear parameter maps H (family "
        "attribute of /probes/symmetry_discovery) with "
        "grad L(theta_i; X_i)^T H theta_i = 0 for all sampled conditions")));
    o->gap_at = sym_schema_at(sym_schema_measure(
        s, "/runs/metrics/discovery_gap", 0, NULL,
        "smallest non-null over largest null singular value of the stacked "
        "conditions (inf: nothing null, NaN: everything null)"));
    o->sv_at = sym_schema_at(sym_schema_measure(
        s, "/probes/symmetry_discovery/singular_values", 1, U,
        "singular values of the stacked conditions, descending [run, k]; a "
        "value is null when <= threshold x sqrt(conditions)"));
    if (o->d.basis)
        o->basis_at = sym_schema_at(sym_schema_measure(
            s, "/probes/symmetry_discovery/basis", 2, UU,
            "[run, k, j]: the first discovery_dimension rows span the "
            "discovered algebra (orthonormal; family layer: the per-layer "
            "n_h x n_h blocks, row-major, concatenated; full: H row-major "
            "P x P); NaN after"));
    return 0;
}

/* the team size: a fact of the run, not a setting */
static int discovery_schema(const void *opts, int team_size, sym_schema *s)
{
    (void)opts;
    sym_schema_attr_int(s, "/probes/symmetry_discovery/singular_values", "team_size", team_size);
    return 0;
}

static void discovery_team_need(const void *opts, const sym_model *m, sym_team_need *need)
{
    const sym_discovery_opts *o = &((const discovery_opts *)opts)->d;

    need->kind = SYM_TEAM_SVD;
    need->m = sym_discovery_conditions(m, o);
    need->n = sym_discovery_unknowns(m, o->family);
}

static int discovery_team(const void *opts, const sym_probe_run *run, const sym_team_ops *team,
                          double *out)
{
    const discovery_opts *o = opts;
    int U = sym_discovery_unknowns(run->model, o->d.family), rc = 0;
    double *basis = NULL;
    sym_discovery_out dz;

    memset(&dz, 0, sizeof(dz));
    dz.sv = out + o->sv_at;
    if (o->d.basis)
        SYM_TRY(sym_alloc_doubles(&basis, (size_t)U * U));
    dz.basis = basis;
    SYM_TRY(sym_symmetry_discovery(&dz, run->model, &run->cfg->reg, o->d.fixed_data ? run->data : NULL,
                                   &o->d, run->seed, run->stream, team->svd, team->solver));
    out[o->dim_at] = dz.dim;
    out[o->gap_at] = dz.gap;
    if (basis && team->rank == 0) /* the first dim rows into the [u x u] slot */
        for (int i = 0; i < dz.dim; i++)
            memcpy(out + o->basis_at + (size_t)i * o->u, basis + (size_t)i * U, sizeof(double) * (size_t)U);
cleanup:
    free(basis);
    return rc;
}

const sym_probe_def sym_probe_symmetry_discovery = {
    SYM_PROBE_DEF_INIT,
    .name = "symmetry_discovery",
    .doc = "the Lie algebra of linear parameter maps that leave the objective invariant, found "
           "from data as a null space (a team task)",
    .opts_size = sizeof(discovery_opts),
    .settings = discovery_settings,
    .n_settings = sizeof discovery_settings / sizeof *discovery_settings,
    .init = discovery_init,
    .settle = discovery_settle,
    .check = discovery_check,
    .layout = discovery_layout,
    .schema = discovery_schema,
    .team_need = discovery_team_need,
    .team = discovery_team,
    .task_work = sym_team_task_work,
};
