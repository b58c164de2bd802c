/**
 * @file probe.h
 * @brief Measurements on networks.  The layer group action of seed 001
 *        (Definition 3.4): K in GL(n_h) acts on hidden layer h by
 *        (W_h, b_h, W_{h+1}) -> (K W_h, K b_h, W_{h+1} K^{-1}).
 */
#ifndef SYMSWEEP_PROBE_H
#define SYMSWEEP_PROBE_H

#include "symsweep/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * out = the parameters @p params with K acting on hidden layer @p h (the
 * output of dense layer h, 0-based, h < n_layers - 1).  @p Kinv must be K^{-1}.
 * Tied models are refused (the action unties them unless K is orthogonal).
 * @param work 2 * max_width^2 doubles.  @p out may not alias @p params.
 */
int sym_reparam_apply(double *out, const sym_model *m, const double *params, int h,
                      const double *K, const double *Kinv, double *work);

#ifdef __cplusplus
}
#endif
#endif
