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
    sym_tensor tensors[2 * SYM_MAX_LAYERS + 2];
    /* the learned-group layer (group_layer.c): the parameters theta hold A, B (and At) in place
     * of the layer's weight; `dense` is the same network with that layer free, whose parameter
     * layout is w = phi(theta), the vector every evaluator runs on.  NULL without a group layer. */
    sym_model *dense;
    int gl;                       /* the group layer, -1: none */
    size_t ga_off, gb_off, gt_off; /* A [K d x d], B [K x d], At [K d x d] (SIZE_MAX: no At) */
};

/* ---- the learned-group layer (group_layer.c) ---- */
/* 1 if @p o asks for a group layer (group_layer >= 0 with groups) */
int sym_groupi_on(const sym_model_opts *o);
/* the layer's checks and its theta layout (A, B, At) at *off, advanced; called by
 * sym_model_create in the layer's place */
int sym_groupi_layout(sym_model *m, size_t *off, const char *pre, int idx);
/* the group layer's A, b (and At) drawn from r (after the layers before it) */
void sym_groupi_init(const sym_model *m, double *params, sym_rng *r);
/* the group layer's filters into out: filter f's entry i at out[f * sf + i * si] */
void sym_groupi_filters(const sym_model *m, const double *theta, double *out, size_t sf, size_t si);
/* doubles of the workspace of sym_groupi_pullback / _penalty / _jvp / _hvp */
size_t sym_groupi_work_size(const sym_model *m);
/* w = phi(theta), the dense parameters (m->dense's layout) */
void sym_groupi_materialize(const sym_model *m, const double *theta, double *w);
/* gtheta = J^T gw + the gradient of the group penalties (whose value goes to *pen) */
int sym_groupi_pullback(const sym_model *m, double *pen, double *gtheta, const double *theta,
                        const double *gw, double *work);
/* the penalties' value alone */
int sym_groupi_penalty(const sym_model *m, double *pen, const double *theta, double *work);
/* u = J v, the dense tangent of theta's direction v */
void sym_groupi_jvp(const sym_model *m, double *u, const double *theta, const double *v,
                    double *work);
/* Hv = J^T Hu + (D J^T[v]) gw + (the penalties' Hessian) v, Hu = H_w J v */
int sym_groupi_hvp(const sym_model *m, double *Hv, const double *theta, const double *v,
                   const double *gw, const double *Hu, double *work);

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
    /* a model with a group layer (group_layer.c): m is its dense twin, `group` the model the
     * caller gave; gw = phi(theta), gg the dense gradient, gwork the pullback's workspace */
    const sym_model *group;
    double *gw, *gg, *gwork;
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
