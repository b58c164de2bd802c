/* Small models shared by the nn tests. */
#ifndef SYM_TEST_MODELS_H
#define SYM_TEST_MODELS_H

#include "symsweep/nn.h"

/**
 * Options of the autoencoder w[0] -> w[1] -> w[2] -> w[3] -> w[4] (encoder
 * and decoder of two layers each): activation @p a on the three inner
 * layers, @p out on the output layer, leaky slope 0.1.
 */
sym_model_opts sym_test_autoencoder(const int w[5], sym_act a, sym_act out, int tied, int bias);

#endif
