/*
 * The built-in probes: one line each.  The order is the order of their
 * values in a run's measures and of their work after training; the team
 * probes come last, so that a team task returns one contiguous slice.
 */
#include "probe_impl.h"

#include <stdio.h>
#include <string.h>

const sym_probe_def *const sym_probe_builtins[] = {
    &sym_probe_orbit_loss,
    &sym_probe_structure,
    &sym_probe_penalty_invariance,
    &sym_probe_reparam,
    &sym_probe_lp_ball,
    &sym_probe_gradient_decomposition,
    &sym_probe_centralizer,
    &sym_probe_conserved,
    &sym_probe_stabilizer,
    &sym_probe_tangent_slice,
    &sym_probe_trajectory,
    &sym_probe_canonical,
    &sym_probe_teleport,
    &sym_probe_functional_dimension,
    &sym_probe_hessian_lanczos,
    &sym_probe_hessian,
    &sym_probe_symmetry_discovery,
};
const int sym_probe_n_builtins = sizeof sym_probe_builtins / sizeof *sym_probe_builtins;

const sym_probe_def *sym_probe_find(const char *name)
{
    for (int i = 0; i < sym_probe_n_builtins; i++)
        if (strcmp(sym_probe_builtins[i]->name, name) == 0)
            return sym_probe_builtins[i];
    return NULL;
}

int sym_hvp_check(const sym_config *cfg, sym_probe_msg *msg)
{
    if (!sym_hvp_supported(&cfg->reg))
        return SYM_PROBE_MSG(msg, "", "exact Hessian-vector products support the regularizers "
                             "none, frobenius, l1 and lp; found %s", sym_reg_name(cfg->reg.kind));
    return 0;
}

int sym_algebra_check(sym_algebra a, const sym_config *cfg, sym_probe_msg *msg)
{
    sym_model *m = NULL;
    sym_algebra alg;
    int rc = sym_model_create(&m, &cfg->model);

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
