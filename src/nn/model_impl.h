#ifndef SYMSWEEP_MODEL_IMPL_H
#define SYMSWEEP_MODEL_IMPL_H
#include "symsweep/nn.h"

struct sym_model {
    sym_model_opts o;
    size_t n_params;
    size_t w_off[SYM_MAX_LAYERS]; /* offset of the owner's weight */
    size_t b_off[SYM_MAX_LAYERS]; /* SIZE_MAX without biases */
    int tied[SYM_MAX_LAYERS];     /* 1: W_l is the transpose of the owner's storage */
    int n_tensors;
    sym_tensor tensors[2 * SYM_MAX_LAYERS];
};
#endif
