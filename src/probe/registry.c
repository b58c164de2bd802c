/*
 * The built-in probes: one line each, with the first of the random sub-streams the probe
 * draws from, (seed, SYM_RNG_PROBE, stream + k).  The order is the order of their values in a
 * run's measures and of their work after training; the team probes come last, so that a team
 * task returns one contiguous slice.
 *
 * The stream numbers are part of every result: changing one changes the output files.  Two
 * overlaps are kept, because outputs must not change silently:
 *  - orbit_loss draws its perpendicular direction d from 0x50000 + d
 *    (SYM_ORBIT_PERPENDICULAR_STREAMS past its base), and 0x50000 is lp_ball's one stream: a
 *    run with both probes draws direction 0's perpendicular and lp_ball's from the same numbers;
 *  - the probes that draw nothing keep stream 0, orbit_loss's direction 0 (harmless: they
 *    never open it).
 */
#include "probe_impl.h"

#include <stdio.h>
#include <string.h>

const sym_probe_builtin sym_probe_builtins[] = {
    {&sym_probe_orbit_loss, 0x00000},             /* + direction (< 0x10000); + 0x50000 + direction */
    {&sym_probe_structure, 0},                    /* draws nothing */
    {&sym_probe_penalty_invariance, 0x10000},     /* one stream */
    {&sym_probe_reparam, 0x20000},                /* generated held-out data; + 0x10000: group elements */
    {&sym_probe_lp_ball, 0x50000},                /* one stream (the overlap above) */
    {&sym_probe_gradient_decomposition, 0},       /* draws nothing */
    {&sym_probe_centralizer, 0x40000},            /* one stream */
    {&sym_probe_conserved, 0},                    /* draws nothing */
    {&sym_probe_stabilizer, 0},                   /* draws nothing */
    {&sym_probe_tangent_slice, 0x80000},          /* + direction */
    {&sym_probe_trajectory, 0},                   /* draws nothing */
    {&sym_probe_canonical, 0},                    /* draws nothing */
    {&sym_probe_teleport, 0},                     /* draws nothing */
    {&sym_probe_feature_orbit, 0},                /* draws nothing */
    {&sym_probe_learned_group, 0},                /* draws nothing */
    {&sym_probe_learning_order, 0},               /* draws nothing */
    {&sym_probe_functional_dimension, 0},         /* draws nothing */
    {&sym_probe_hessian_lanczos, 0x90000},        /* start vectors, orbit checks; + 16 + SLQ sample */
    {&sym_probe_hessian, 0x70000},                /* HVP checks, then the gauge direction */
    {&sym_probe_symmetry_discovery, 0x100000},    /* + condition batch */
};
const int sym_probe_n_builtins = sizeof sym_probe_builtins / sizeof *sym_probe_builtins;

const sym_probe_def *sym_probe_find(const char *name)
{
    for (int i = 0; i < sym_probe_n_builtins; i++)
        if (strcmp(sym_probe_builtins[i].def->name, name) == 0)
            return sym_probe_builtins[i].def;
    return NULL;
}

uint32_t sym_probe_stream(const sym_probe_def *d)
{
    for (int i = 0; i < sym_probe_n_builtins; i++)
        if (sym_probe_builtins[i].def == d)
            return sym_probe_builtins[i].stream;
    return 0; /* a plug-in, or the placeholder of one not loaded: its purpose tells it apart */
}

int sym_hvp_check(const sym_config *cfg, sym_probe_msg *msg)
{
    if (!sym_hvp_supported(&cfg->reg))
        return SYM_PROBE_MSG(msg, "", "exact Hessian-vector products support the regularizers "
                             "none, frobenius, l1 and lp; found %s", sym_reg_name(cfg->reg.kind));
    return 0;
}

int sym_chain_check(const sym_config *cfg, sym_probe_msg *msg)
{
    if (cfg->model.kind == SYM_MODEL_ISTA)
        return SYM_PROBE_MSG(msg, "", "assumes a chain of dense layers and their continuous "
                             "symmetry; an ista model's symmetry is discrete (W -> P W, lambda -> "
                             "|P| lambda for a signed permutation P)");
    return 0;
}

int sym_algebra_check(sym_algebra a, const sym_config *cfg, sym_probe_msg *msg)
{
    sym_model *m = NULL;
    sym_algebra alg;
    int rc = sym_chain_check(cfg, msg);

    if (rc)
        return rc;
    rc = sym_model_create(&m, &cfg->model);

    if (!rc && sym_orbit_algebra(&alg, m, a) < 0)
        rc = SYM_PROBE_MSG(msg, "", "%s", sym_err_message());
    sym_model_free(m);
    return rc;
}

void sym_all_families(sym_group *fams, int *n)
{
    for (int g = 0; g < SYM_GROUP_COUNT; g++)
        fams[g] = (sym_group)g;
    *n = SYM_GROUP_COUNT;
}

void sym_families_text(char *buf, size_t cap, const sym_group *fams, int n)
{
    buf[0] = '\0';
    for (int f = 0; f < n; f++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", f ? ", " : "", sym_group_name(fams[f]));
}
