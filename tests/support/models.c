#include "models.h"

#include <string.h>

sym_model_opts sym_test_autoencoder(const int w[5], sym_act a, sym_act out, int tied, int bias)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;

    o.kind = SYM_MODEL_AUTOENCODER;
    o.n_layers = 4;
    o.n_encoder = 2;
    memcpy(o.widths, w, sizeof(int) * 5);
    for (int l = 0; l < 3; l++)
        o.act[l] = a;
    o.act[3] = out;
    o.tied = tied;
    o.bias = bias;
    o.leaky_slope = 0.1;
    return o;
}
