/* A random evaluation point away from every kink, shared by the derivative
 * tests (finite differences are only valid there). */
#ifndef SYM_TEST_SMOOTH_DRAW_H
#define SYM_TEST_SMOOTH_DRAW_H

#include <stdint.h>

#include "symsweep/nn.h"

/** Extra acceptance test on a drawn point (e's last pass is at p); 1 accepts. */
typedef int (*sym_test_accept_fn)(const sym_model *m, const sym_eval *e, const double *p,
                                  const void *ctx);

/**
 * Draws params p (biases 0.3 N(0,1)), X [ns x d_in] and Y [ns x d_out] from
 * the stream (seed + k, SYM_RNG_TEST, stream) for k = 0, 1, ... and keeps
 * the first draw where no pre-activation of a relu/leaky_relu layer and (for
 * l1 and lp penalties) no parameter lies within 1e-3 of zero, and @p accept
 * (if not NULL) agrees.  At return, g holds the gradient there and r is the
 * accepted draw's stream, positioned after it.  Fails the test after
 * max_skip rejected draws; returns the number rejected.
 */
int sym_test_smooth_draw(sym_rng *r, sym_eval *e, const sym_model *m, const sym_reg *reg,
                         double *p, double *g, double *X, double *Y, int ns, uint64_t seed,
                         uint32_t stream, int max_skip, sym_test_accept_fn accept, const void *ctx);

#endif
