/*
 * What the probe files share, private to src/probe: the built-in
 * definitions (for the registry) and small helpers.
 */
#ifndef SYMSWEEP_PROBE_IMPL_H
#define SYMSWEEP_PROBE_IMPL_H

#include "symsweep/probe_api.h"

#include <stdio.h>

extern const sym_probe_def sym_probe_orbit_loss, sym_probe_structure, sym_probe_penalty_invariance,
    sym_probe_reparam, sym_probe_centralizer, sym_probe_lp_ball, sym_probe_gradient_decomposition,
    sym_probe_conserved, sym_probe_stabilizer, sym_probe_feature_orbit, sym_probe_learned_group,
    sym_probe_learning_order, sym_probe_functional_dimension,
    sym_probe_tangent_slice, sym_probe_trajectory, sym_probe_canonical, sym_probe_teleport, sym_probe_hessian_lanczos,
    sym_probe_hessian,
    sym_probe_symmetry_discovery;

/**
 * orbit_loss draws the perpendicular direction of direction d from its base + this + d: the
 * numbers lp_ball draws from (src/probe/registry.c keeps that overlap).
 */
#define SYM_ORBIT_PERPENDICULAR_STREAMS 0x50000u

/** A two-layer autoencoder (encoder W, decoder W'), or a complaint. */
int sym_autoencoder_check(const sym_config *cfg, sym_probe_msg *msg);
/** Its trained W [d x D] and W' [D x d] (allocated). */
int sym_autoencoder_weights(double **W, double **Wd, const sym_probe_run *run);

/** The "families" setting of a probe: a list of group families into @p field, its length at @p count. */
#define SYM_FAMILIES_SETTING(opts_t, field, count, what)                                     \
    {.name = "families", .type = SYM_SETTING_FAMILIES, .offset = offsetof(opts_t, field),    \
     .count_offset = offsetof(opts_t, count), .doc = what}

/** The orbit algebra @p a resolves on the grid point's model (sym_orbit_algebra), or a complaint. */
int sym_algebra_check(sym_algebra a, const sym_config *cfg, sym_probe_msg *msg);
/* 0, or the complaint that the model is not a chain of dense layers (kind ista): for the probes
 * whose mathematics is that of the chain's continuous symmetry */
int sym_chain_check(const sym_config *cfg, sym_probe_msg *msg);
/* 0, or the complaint that the regularizer has no exact Hessian-vector products */
int sym_hvp_check(const sym_config *cfg, sym_probe_msg *msg);

/** Every family, in sym_group order. */
void sym_all_families(sym_group *fams, int *n);
/** "general, orthogonal, ..." of @p n families. */
void sym_families_text(char *buf, size_t cap, const sym_group *fams, int n);

/** Multiply-adds of a team task of the Hessian kind: P Hessian-vector products, then O(P^3). */
double sym_team_task_work(const void *opts, const sym_config *cfg, double n_params, double pass);

#endif
