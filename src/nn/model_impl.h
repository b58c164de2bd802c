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

/* an evaluator (sym_eval_create): its buffers, model.c; the line functions, eval_line.c */
struct sym_eval {
    const sym_model *m;
    sym_reg reg;
    int max_batch, max_w; /* max_batch: the block, the columns every buffer holds */
    int max_n;            /* the largest n accepted: more than a block is evaluated in blocks */
    int stream;           /* the block of an evaluation of more than max_batch samples */
    int last_blocked;     /* the last pass went in blocks: Z holds only its last block */
    sym_arena arena;
    /* Activations are feature-major, [units x n] with row stride n (the batch
     * size of the call): every product then runs along the contiguous batch
     * dimension, which is what makes tiny layers fast (see core/kernels.c). */
    double *Z[SYM_MAX_LAYERS], *A[SYM_MAX_LAYERS]; /* [n_{l+1} x n]; A == Z when linear */
    double *buf0, *buf1, *D;                        /* [max_w x n] */
    double *XT, *YT;                                /* row-major inputs, transposed */
    double *tile;                                   /* fused output layer workspace */
    double *regwork;
    /* Jacobian penalty (seed 001, eq. 3.5) */
    double *extra[SYM_MAX_LAYERS]; /* d penalty / d z_l, [n_{l+1} x n] */
    double *J[SYM_MAX_LAYERS], *M[SYM_MAX_LAYERS]; /* [n_{l+1} x n_in(chain)] */
    double *G0, *G1, *eye, *gJ;                     /* [max_w x max_w] */
    double *zc, *ac, *d1, *d2;                      /* one sample's column, [max_w] */
    double *line;                                   /* sym_eval_line's scratch, grown */
    size_t line_cap;
};

/* the block of an evaluation of n samples: all of them up to max_batch, else e->stream */
static inline int sym_evali_block_of(const sym_eval *e, int n)
{
    return n <= e->max_batch ? e->max_batch : e->stream;
}

/* how evaluate's X and Y are laid out: feature-major, row-major, or in blocks (sym_eval_blocks) */
enum { LAYOUT_FEATURE = 0, LAYOUT_ROWS, LAYOUT_BLOCKS };

/* Z_l = W_l in + b_l, A_l = sigma(Z_l) for the layers l < upto, on n samples XT (feature-major) */
void sym_evali_forward(sym_eval *e, const double *params, const double *XT, int n, int upto);
/* the weight penalties into *pen (and their gradient added to grad, if not NULL) */
int sym_evali_weight_penalty(sym_eval *e, double *pen, double *grad, const double *params);
/* samples s..s+nb of X and Y (as layout says) feature-major, in place or in e->XT, e->YT */
void sym_evali_block_at(sym_eval *e, const double **XT, const double **YT, const double *X,
                        const double *Y, int layout, int n, int s, int nb);
#endif
