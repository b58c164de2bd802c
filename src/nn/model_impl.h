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
    size_t lam_off;               /* kind ista: the thresholds lambda [m] (SIZE_MAX otherwise) */
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

/* kind ista's checks and its layout: W1 [m x d] (layer 1 its transpose), then lambda1 [m] (ista.c) */
int sym_istai_layout(sym_model *m, const sym_model_opts *o);

/* 0 for a layer the weight penalties skip: ista's layer 1 is layer 0's W, transposed */
static inline int sym_model_penalized(const sym_model *m, int l)
{
    return !(m->o.kind == SYM_MODEL_ISTA && l > 0);
}

/*
 * Unfolded ISTA (ista.c), on feature-major blocks of n samples with rows ld apart.  What the
 * backward pass and the Hessian-vector products need is kept per step t: z_t, u_t, r_t and the
 * backward pass's dl/du_t and W^T dl/du_t.
 */
typedef struct sym_ista_ws {
    int steps, m, d;
    size_t zs, ds;  /* one [m x ld] and one [d x ld] slot, for the largest ld */
    double *Z;      /* z_t, t = 0..L */
    double *U;      /* u_t = z_t + alpha W r_t, t < L */
    double *R;      /* r_t = x - W^T z_t, t < L */
    double *E;      /* the output W^T z_L, then dl/dxhat */
    double *GU, *V; /* dl/du_t and W^T dl/du_t, t < L */
    double *g;      /* dl/dz_t */
    double *Zd, *Rd, *tm, *td, *gd; /* tangents (Hessian-vector products only) */
} sym_ista_ws;

/* doubles of a workspace for blocks of up to max_batch samples (with tangents: for the HVP) */
size_t sym_ista_ws_doubles(const sym_model_opts *o, int max_batch, int tangents);
void sym_ista_ws_carve(sym_ista_ws *w, const sym_model_opts *o, int max_batch, double *mem,
                       int tangents);
/* the output W^T z_L into w->E [d x ld] */
void sym_ista_forward(sym_ista_ws *w, const sym_model *m, const double *params, const double *XT,
                      int n, int ld);
/*
 * Forward pass and sum of squared residuals against YT; with backward, dl/dxhat = scale
 * (xhat - y) and the backward pass (kept for the HVP), its gradient added to grad (if not NULL).
 */
double sym_ista_block(sym_ista_ws *w, const sym_model *m, double *grad, const double *params,
                      const double *XT, const double *YT, int n, int ld, double scale, int backward);
/* after sym_ista_block with backward: Hv += (the data term's Hessian) v; w->td the output's
 * tangent J v [d x ld] */
void sym_ista_hvp(sym_ista_ws *w, const sym_model *m, double *Hv, const double *params,
                  const double *v, int n, int ld, double scale);
/* after sym_ista_block: the output's tangent J v into w->td [d x ld] */
void sym_ista_jvp(sym_ista_ws *w, const sym_model *m, const double *params, const double *v,
                  int n, int ld);

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
    struct sym_ista_ws ista;                        /* kind ista: its steps (ista.c) */
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
