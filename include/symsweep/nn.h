/**
 * @file nn.h
 * @brief Models (MLP, autoencoder, unfolded ISTA), activations, regularizers, optimizers,
 *        synthetic data and the training loop.
 *
 * A model's parameters live in one flat vector: for every layer that owns its
 * weight, W_l [n_l x n_{l-1}] row-major, then (if biases are on) b_l [n_l].
 * Gradients use the same layout.  A tied autoencoder's decoder layer owns no
 * weight: it uses the transpose of its mirror encoder layer.
 *
 * Loss (the model's `loss`): mean squared error over all entries,
 * (1 / (n * d_out)) sum (yhat - y)^2, the normalization of torch.nn.MSELoss; or
 * cross-entropy of the softmax of the outputs (the logits z) against one-hot
 * targets Y, (1 / n) sum_i [logsumexp(z_i) - sum_k Y_ik z_ik], torch.nn.CrossEntropyLoss
 * with mean reduction.  Regularizer penalties are added to it unscaled (weight
 * penalties) or averaged over samples (Jacobian penalties).
 */
#ifndef SYMSWEEP_NN_H
#define SYMSWEEP_NN_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_NN)
#error "symsweep/nn.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include "symsweep/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYM_MAX_LAYERS 32
/** Tensor names a union over a sweep can hold (sym_tensor_union): W and b of every layer, and A, B,
 * At of a learned-group layer at any layer a sweep moves it to, and lambda1. */
#define SYM_MAX_TENSORS (5 * SYM_MAX_LAYERS + 2)
#define SYM_MAX_DECAYS 8 /**< train.decay_at: at most this many fractions */

/* ------------------------------------------------------------------ */
/* Activations                                                        */
/* ------------------------------------------------------------------ */

typedef enum sym_act {
    SYM_ACT_LINEAR = 0,
    SYM_ACT_RELU,
    SYM_ACT_LEAKY_RELU,
    SYM_ACT_SIGMOID,
    SYM_ACT_TANH,
    SYM_ACT_SOFTPLUS,
    SYM_ACT_COUNT
} sym_act;

const char *sym_act_name(sym_act a);
/** The job-file names of activations. */
extern const char *const sym_act_names[SYM_ACT_COUNT];
/** -1 if unknown */
int sym_act_from_name(const char *name);
/** a = sigma(z), n entries (a may equal z) */
void sym_act_apply(sym_act act, double slope, const double *z, double *a, size_t n);
/** d = sigma'(z); @p a is sigma(z) (used by sigmoid/tanh) */
void sym_act_deriv(sym_act act, double slope, const double *z, const double *a, double *d,
                   size_t n);
/** d = sigma''(z) */
void sym_act_deriv2(sym_act act, double slope, const double *z, const double *a, double *d,
                    size_t n);

/* ------------------------------------------------------------------ */
/* Models                                                             */
/* ------------------------------------------------------------------ */

/** The data term of the objective. */
typedef enum sym_loss_kind {
    SYM_LOSS_MSE = 0,       /**< (1 / (n d_out)) sum (yhat - y)^2 */
    SYM_LOSS_CROSS_ENTROPY, /**< (1 / n) sum_i [logsumexp(z_i) - y_i . z_i], Y one-hot */
    SYM_LOSS_COUNT
} sym_loss_kind;
/** The job-file names of losses: "mse", "cross_entropy". */
extern const char *const sym_loss_names[SYM_LOSS_COUNT];

typedef enum sym_model_kind { SYM_MODEL_MLP = 0, SYM_MODEL_AUTOENCODER, SYM_MODEL_ISTA, SYM_MODEL_COUNT } sym_model_kind;
typedef enum sym_init_kind { SYM_INIT_NORMAL = 0, SYM_INIT_UNIFORM, SYM_INIT_COUNT } sym_init_kind;
/** The job-file names of model kinds and initializations ("mlp", "normal", ...). */
extern const char *const sym_model_kind_names[SYM_MODEL_COUNT];
extern const char *const sym_init_kind_names[SYM_INIT_COUNT];

/**
 * The network as a chain of dense layers.  An MLP is the chain itself; an
 * autoencoder is an encoder (layers 0..n_encoder-1, ending at the latent
 * width) followed by a decoder.  An unfolded ISTA sparse autoencoder (kind ista, seed 003
 * eq. 3-4; src/nn/ista.c) has widths [d, m, d], n_layers 2, n_encoder 1: layer 0 is the
 * dictionary W [m x d] (tensor "W1", its rows the m filters), layer 1 its transpose, and the
 * thresholds lambda [m] (tensor "lambda1") follow W in the flat vector.  With z_0 = 0,
 * z_{t+1} = S(z_t + alpha W (x - W^T z_t); lambda) for t < ista_steps, the output is W^T z_L,
 * S(u; lambda) = sign(u) max(|u| - lambda, 0), or max(u - lambda, 0) one-sided.  No biases; the
 * loss is mse.
 */

typedef struct sym_model_opts {
    sym_model_kind kind;
    int n_layers;                   /**< number of dense layers, >= 1 */
    int widths[SYM_MAX_LAYERS + 1]; /**< widths[0] input ... widths[n_layers] output */
    sym_act act[SYM_MAX_LAYERS];    /**< activation applied after layer l */
    int n_encoder;                  /**< encoder layers (MLP: n_layers) */
    int bias;                       /**< every layer has a bias */
    int tied;                       /**< AE: decoder layer j = (encoder layer n_encoder-1-j)^T */
    double leaky_slope;             /**< slope of leaky_relu for z < 0 */
    sym_init_kind init_kind;        /**< weights ~ N(0, s^2/fan_in) or U(-s/sqrt(fan_in), ..) */
    double init_scale;              /**< s above */
    int bias_init;                  /**< 0: biases start at 0; else 1 + sym_init_kind */
    double bias_scale;              /**< biases ~ N(0, scale^2) or U(-scale, scale) */
    sym_loss_kind loss;             /**< the data term (the job's train.loss): every evaluator,
                                         Hessian and probe built from the model uses it */
    /* the learned-group layer (seed 003; version 5 of the plug-in interface) */
    int group_layer;        /**< -1: none; else the layer whose filters are b_k, A_k b_k, ... */
    int group_k, group_p;   /**< K groups of p filters */
    int group_h, group_w;   /**< the filters' grid (h w = the filter's length d) */
    int group_normalize;    /**< 1: A_k used as sqrt(d) A_k / ||A_k||_F */
    double group_pair;      /**< mu of mu ||A Ã - I||_F^2 (> 0: the Ã are parameters) */
    double group_svd;       /**< weight of - (sum of A's singular values) */
    double group_logdet;    /**< weight of - log |det A| */
    double group_closure;   /**< weight of ||A^p - I||_F^2 */
    /* unfolded ISTA (kind ista) */
    int ista_steps;         /**< L unrolled steps */
    double ista_alpha;      /**< the step alpha */
    double ista_lambda;     /**< the thresholds' initial value */
    int ista_one_sided;     /**< 1: S(u; lambda) = max(u - lambda, 0) (seed 003's one-sided form) */
} sym_model_opts;

#define SYM_MODEL_OPTS_INIT                                                                   \
    { SYM_MODEL_MLP, 0, {0}, {SYM_ACT_LINEAR}, 0, 0, 0, 0.01, SYM_INIT_NORMAL, 1.0, 0, 0.1,  \
      SYM_LOSS_MSE, -1, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0.0, 0 }

typedef struct sym_model sym_model;

/** Validate @p o and build the parameter layout. */
int sym_model_create(sym_model **out, const sym_model_opts *o);
void sym_model_free(sym_model *m);
const sym_model_opts *sym_model_get_opts(const sym_model *m);
size_t sym_model_n_params(const sym_model *m);

/** A named tensor of the flat vector (what /runs/weights/<name> stores). */
typedef struct sym_tensor {
    char name[32];  /**< "W1", "b1" (MLP); "enc_W1", "dec_b2" (autoencoder) */
    size_t offset;  /**< into the flat vector */
    int rows, cols; /**< bias: rows = n, cols = 1 */
} sym_tensor;

int sym_model_n_tensors(const sym_model *m);
const sym_tensor *sym_model_tensor(const sym_model *m, int i);
/**
 * Merge @p m's tensors into the union @p u (*n of them, at most @p cap): a new
 * name is appended, a known one grows to the larger rows and cols (offset is
 * not used).  The shapes of a sweep whose grid points differ, for datasets
 * that hold every run's tensor NaN-padded.
 */
void sym_tensor_union(sym_tensor *u, int *n, int cap, const sym_model *m);

/** Copy the effective weight W_l [n_l x n_{l-1}] of layer l (transposing a tied one). */
void sym_model_get_weight(const sym_model *m, const double *params, int l, double *out);
/** Write W_l into the parameter vector (into the owner, transposed, for a tied layer). */
void sym_model_set_weight(const sym_model *m, double *params, int l, const double *W);
/** Pointer to b_l in @p params, or NULL without biases. */
double *sym_model_bias(const sym_model *m, double *params, int l);

/** The group layer's generator A_k [d x d] (as stored, before normalization) and base filter b_k
 * [d] inside @p params; NULL without a group layer or with k outside 0..K-1. */
const double *sym_model_group_A(const sym_model *m, const double *params, int k);
const double *sym_model_group_b(const sym_model *m, const double *params, int k);
/** A_k as the filters use it (normalized when group_normalize), into out [d x d]. */
void sym_model_group_A_used(const sym_model *m, const double *params, int k, double *out);

/**
 * Initialize weights from @p r as the options say, layer by layer; then,
 * with bias_init, the biases from the same stream (so the weights are those
 * of zero biases); without it the biases are 0.
 */
void sym_model_init_params(const sym_model *m, double *params, sym_rng *r);

/* ------------------------------------------------------------------ */
/* Regularizers                                                       */
/* ------------------------------------------------------------------ */

typedef enum sym_reg_kind {
    SYM_REG_NONE = 0,
    SYM_REG_FROBENIUS, /**< sum_l ||W_l||_F^2 */
    SYM_REG_L1,        /**< sum_l sum |w| */
    SYM_REG_LP,        /**< sum_l ||vec W_l||_p, p >= 1 */
    SYM_REG_SCHATTEN,  /**< sum_l ||sigma(W_l)||_p, p >= 1 or inf (nuclear, ..., spectral) */
    SYM_REG_JACOBIAN,  /**< (1/n) sum_x ||J_f(x)||_E (+ decoder), eq. 3.5 of seed 001 */
    SYM_REG_COUNT
} sym_reg_kind;

typedef enum sym_norm_kind {
    SYM_NORM_FROBENIUS = 0, /**< squared Frobenius norm */
    SYM_NORM_LP,            /**< entry-wise l_p norm, p >= 1 */
    SYM_NORM_COUNT
} sym_norm_kind;

typedef struct sym_reg {
    sym_reg_kind kind;
    double lambda_encoder; /**< weight on encoder layers (MLP: on every layer) */
    double lambda_decoder; /**< weight on decoder layers */
    double p;              /**< LP, SCHATTEN, JACOBIAN+LP; INFINITY for spectral */
    sym_norm_kind norm;    /**< JACOBIAN: which norm of the Jacobian */
} sym_reg;

#define SYM_REG_INIT { SYM_REG_NONE, 0.0, 0.0, 2.0, SYM_NORM_FROBENIUS }

const char *sym_reg_name(sym_reg_kind k);
int sym_reg_from_name(const char *name);
/** The job-file names of regularizers and of the Jacobian penalty's norms. */
extern const char *const sym_reg_names[SYM_REG_COUNT];
extern const char *const sym_norm_names[SYM_NORM_COUNT];

/** Value of a weight penalty R(W) for one matrix and, if g != NULL, g += scale * dR/dW. */
int sym_reg_matrix(double *value, double *g, double scale, const sym_reg *reg, const double *W,
                   int rows, int cols, double *work);
/** Workspace doubles sym_reg_matrix needs for a rows x cols matrix. */
size_t sym_reg_matrix_work_size(const sym_reg *reg, int rows, int cols);

/* ------------------------------------------------------------------ */
/* Evaluation: loss, penalty, gradient                                */
/* ------------------------------------------------------------------ */

typedef struct sym_loss_parts {
    double data;    /**< the data term: mean squared error or cross-entropy (the model's loss) */
    double penalty; /**< regularizer total */
    double total;   /**< data + penalty: the objective */
} sym_loss_parts;

/** Forward/backward buffers for batches of up to max_batch rows; one block of memory. */
typedef struct sym_eval sym_eval;

/**
 * Samples one pass of the evaluator holds: more (full-data objectives on
 * large data) are evaluated a block at a time, so the evaluator's memory is
 * that of one block whatever the data's size.
 */
#define SYM_EVAL_BLOCK 4096
/**
 * The block of an evaluation of more than SYM_EVAL_BLOCK samples (sym_eval_create): data that
 * large stream from memory at every step, and blocks this small keep a block's activations in
 * the first caches between the passes of a step (at 50,000 samples: 8-3-8 trains 1.2x, 64-64-64
 * and 256-64-256 about 2x as fast as in blocks of SYM_EVAL_BLOCK).  Up to SYM_EVAL_BLOCK
 * samples an evaluation stays one pass.
 */
#define SYM_EVAL_STREAM_BLOCK 256

/**
 * Training keeps its data feature-major (block by block beyond one block:
 * sym_eval_blocks), so that no step copies or transposes them, while that copy takes at most
 * this many bytes (32 MiB: 50,000 samples of 8 + 8 features take 6 MiB); larger data are
 * transposed a block at a time at every step instead, so that they are held once in memory.
 */
#define SYM_TRAIN_COPY_MAX (32.0 * 1024 * 1024)

/**
 * An evaluator for up to @p max_batch samples: one pass up to SYM_EVAL_BLOCK samples, more in
 * blocks of SYM_EVAL_STREAM_BLOCK.
 */
int sym_eval_create(sym_eval **out, const sym_model *m, const sym_reg *reg, int max_batch);
/**
 * An evaluator for up to @p max_n samples whose buffers hold @p block of them:
 * an evaluation of n <= block samples is one pass; n > block is summed block
 * by block (deterministic; rounding differs from one pass by the sums' order).
 */
int sym_eval_create_blocked(sym_eval **out, const sym_model *m, const sym_reg *reg, int max_n,
                            int block);
void sym_eval_free(sym_eval *e);
/**
 * Objective on rows X [n x d_in], targets Y [n x d_out] (n <= max_batch) and,
 * if @p grad is not NULL, its gradient (overwritten, flat layout).
 * Allocates nothing.
 */
int sym_eval_loss(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                  const double *X, const double *Y, int n);
/**
 * sym_eval_loss on feature-major data: XT [d_in x n], YT [d_out x n], rows
 * sym_batch_ld(n) apart (the padding columns are read but never summed: any
 * values).  The training loop keeps its data this way, so it transposes
 * nothing per step.
 */
int sym_eval_loss_t(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                    const double *XT, const double *YT, int n);
/**
 * Data laid out for the evaluator's blocks: block b (samples b*B .. b*B+nb, B the evaluator's
 * block for n samples: all n up to its one-pass size, else its streaming block) feature-major [d x nb] with rows sym_batch_ld(nb) apart, at out + b*d*sym_batch_ld(B).
 * sym_eval_blocks_size gives the doubles, sym_eval_blocks fills them from rows X [n x d].
 * sym_eval_loss_blocks then evaluates n samples with no copy per call: the same values, block
 * by block, as sym_eval_loss on the rows (bitwise).
 */
size_t sym_eval_blocks_size(const sym_eval *e, int n, int d);
void sym_eval_blocks(const sym_eval *e, double *out, const double *X, int n, int d);
int sym_eval_loss_blocks(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                         const double *XB, const double *YB, int n);
/**
 * Data an evaluator reads many times (a probe's points): laid out for it once
 * (sym_eval_blocks) when the copy takes at most SYM_TRAIN_COPY_MAX bytes, or
 * read from the rows at each call beyond.  sym_eval_data_loss is then bitwise
 * sym_eval_loss on the rows, without the transposition per call.
 */
struct sym_data;
typedef struct sym_moments sym_moments;
typedef struct sym_eval_data {
    const struct sym_data *d;
    double *XB, *YB; /**< the blocks (YB == XB for autoencoding data), or NULL */
    sym_moments *mom; /**< sym_eval_data_moments: evaluated by the data's second moments */
} sym_eval_data;

int sym_eval_data_init(sym_eval_data *b, const sym_eval *e, const struct sym_data *d);
int sym_eval_data_loss(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                       const sym_eval_data *b);
void sym_eval_data_dispose(sym_eval_data *b);

/**
 * The second-moment path (train.moments, src/nn/moments.c): a network linear up to a squared
 * loss sees its data only through X~^T X~, X~^T Y and Y^T Y (X~: X with a column of ones
 * with biases), so a full-data step costs O(width^2 x layers x d_in) instead of
 * O(samples x width^2 x layers).  sym_moments_apply: 1 if the objective has that form (every
 * layer linear, squared error, no Jacobian penalty), else 0 with the reason in @p why.
 * sym_moments_cheaper: 1 if a step by moments takes fewer multiply-adds than one over n
 * samples.  sym_eval_data_moments: from then on sym_eval_data_loss on @p b evaluates by
 * moments (computed here, once): equal to the per-sample values to rounding, not bitwise.
 */
typedef enum sym_moments_mode { SYM_MOMENTS_OFF = 0, SYM_MOMENTS_ON, SYM_MOMENTS_AUTO, SYM_MOMENTS_COUNT } sym_moments_mode;
extern const char *const sym_moments_names[SYM_MOMENTS_COUNT];
int sym_moments_apply(const sym_model *m, const sym_reg *reg, char *why, size_t n);
int sym_moments_cheaper(const sym_model *m, int n);
int sym_eval_data_moments(sym_eval_data *b, const sym_eval *e);
int sym_moments_loss(sym_eval *e, sym_loss_parts *out, double *grad, const double *params,
                     const sym_moments *mo);
void sym_moments_free(sym_moments *mo);
/**
 * The objective along a line of parameters, theta(s) = B + s C (C NULL: zero), at the ns
 * values s[j]: total[j], and data[j] (the data term) unless NULL.
 *
 * When the layers from the first one C moves to the output are followed by no nonlinearity
 * (a deep linear network along any line; any network whose output layer is linear along a
 * line that moves only that layer), the output is a polynomial in s: its coefficients are
 * computed once, with one forward pass of the unmoved layers before them, and each point then
 * costs a few operations per residual entry instead of a forward pass.  Those values agree
 * with sym_eval_data_loss at B + s C to rounding (not bitwise).  Otherwise, or when that
 * would cost more (sym_eval_line_fast() is 0), each point is sym_eval_data_loss at B + s C.
 * The polynomial is the squared error's: with cross-entropy every point is evaluated.
 * The path depends on the model, C, ns and n; on either, each value depends only on its own s.
 */
int sym_eval_line(sym_eval *e, double *total, double *data, const double *B, const double *C,
                  const double *s, int ns, const sym_eval_data *bd);
/** 1 if sym_eval_line takes the polynomial path for this C, ns points and n samples. */
int sym_eval_line_fast(const sym_eval *e, const double *C, int ns, int n);
/** Network output Yhat [n x d_out] (n <= max_batch). */
int sym_eval_forward(sym_eval *e, double *yhat, const double *params, const double *X, int n);

/**
 * Pre-activations Z_l of the last forward pass, feature-major [n_{l+1} x n]
 * with rows sym_batch_ld(n) apart (borrowed).  Only after a pass of at most
 * one block (asserted).
 */
const double *sym_eval_preactivation(const sym_eval *e, int l);

/* ------------------------------------------------------------------ */
/* Scores: the objective on held-out data, classification accuracy    */
/* ------------------------------------------------------------------ */

/** The index of the largest of x[0..n-1] (n >= 1): the first of equal maxima, and the first NaN
 *  if there is one, as torch.argmax. */
int sym_argmax(const double *x, int n);

/** A network's scores on data sets of up to max_n samples: one block of memory, made once. */
typedef struct sym_scorer sym_scorer;

/**
 * A scorer of model @p m (borrowed, and @p reg, for its lifetime) for up to @p max_n samples:
 * its memory is that of one evaluator block and the outputs of one block (SYM_EVAL_BLOCK
 * samples at most), whatever max_n.  SYM_EINVAL for max_n < 1, SYM_ENOMEM.
 */
int sym_scorer_create(sym_scorer **out, const sym_model *m, const sym_reg *reg, int max_n);
void sym_scorer_free(sym_scorer *s);
/**
 * The objective at @p params on rows X [n x d_in], targets Y [n x d_out], 1 <= n <= max_n:
 * the model's data loss, the penalty and their sum (sym_eval_loss: beyond SYM_EVAL_BLOCK
 * samples summed block by block).  Allocates nothing.
 */
int sym_scorer_loss(sym_scorer *s, sym_loss_parts *out, const double *params, const double *X,
                    const double *Y, int n);
/**
 * The fraction of the n rows whose output's argmax is the argmax of their one-hot target row
 * (sym_argmax: ties to the lowest index), the outputs computed a block at a time.  Allocates
 * nothing.  *out is NaN on an error.
 */
int sym_scorer_accuracy(sym_scorer *s, double *out, const double *params, const double *X,
                        const double *Y, int n);

/* ------------------------------------------------------------------ */
/* Exact Hessian-vector products                                      */
/* ------------------------------------------------------------------ */

/** Forward-over-reverse products H v of the objective's Hessian (one block of memory). */
typedef struct sym_hvp sym_hvp;

/** 1 if sym_hvp handles the regularizer exactly: none, frobenius, l1, lp (0: schatten, jacobian). */
int sym_hvp_supported(const sym_reg *reg);
int sym_hvp_create(sym_hvp **out, const sym_model *m, const sym_reg *reg, int max_batch);
void sym_hvp_free(sym_hvp *h);
/**
 * Fix the point: parameters (borrowed until the next call) and data X [n x d_in],
 * Y [n x d_out], n <= max_batch.  Runs the forward and backward pass once.
 */
int sym_hvp_set_point(sym_hvp *h, const double *params, const double *X, const double *Y, int n);
/** Hv = (Hessian of the objective at the point) v, flat parameter layout.  Allocates nothing. */
int sym_hvp_apply(sym_hvp *h, double *Hv, const double *v);
/** The outputs' directional derivative J v at the point's samples (the forward tangent of
 * sym_hvp_apply), row-major [n x d_out] like the outputs. */
int sym_hvp_jvp(sym_hvp *h, double *Jv, const double *v);
/**
 * Column j of the Hessian at the point, H e_j, into col [P]: @p h is the
 * sym_hvp (the shape of a column callback, so a solver can call it directly).
 */
int sym_hvp_column(void *h, size_t j, double *col);
/**
 * The full Hessian H [P x P] (row-major, symmetrized (H + H^T)/2) from P
 * products with unit vectors: the single-rank reference of the hessian probe.
 */
int sym_hessian_dense(double *H, const sym_model *m, const sym_reg *reg, const double *params,
                      const double *X, const double *Y, int n);

/* ------------------------------------------------------------------ */
/* Data                                                               */
/* ------------------------------------------------------------------ */

typedef enum sym_data_kind {
    SYM_DATA_TEACHER_LINEAR = 0, /**< y = T x + noise (article Ex5) */
    SYM_DATA_SUBSPACE,           /**< x near a random rank-k subspace, y = x (Ex3) */
    SYM_DATA_TEACHER_MLP,        /**< y = teacher_mlp(x) + noise */
    SYM_DATA_HDF5,               /**< user file (read by the io module) */
    SYM_DATA_IDX,                /**< MNIST-format IDX images and labels (read by the io module) */
    SYM_DATA_PLANTED_GROUP,      /**< x = sum of s terms c g^k b_m + noise on an h x w grid, y = x (seed 003) */
    SYM_DATA_PROTOTYPES,         /**< images of prototypes under random group elements, plus noise
                                      (seed 004; generated by sym_proto_generate, src/sym/prototypes.c) */
    SYM_DATA_COUNT
} sym_data_kind;

/** Transforms of h x w patches on their row-major pixels (src/sym/patch.c: matrices, application). */
typedef enum sym_patch_kind {
    SYM_PATCH_ROT90 = 0, /**< a quarter turn: y(i, j) = x(j, h - 1 - i) (square patches) */
    SYM_PATCH_ROTATE,    /**< by a degrees about the centre, bilinear, zero outside (a = 90: ROT90) */
    SYM_PATCH_SHIFT,     /**< cyclic: y(i, j) = x(i - a, j - b) */
    SYM_PATCH_BOX,       /**< box average over the pixels within (square) radius a, inside the patch */
    SYM_PATCH_MEDIAN,    /**< median over the pixels within (square) radius a, inside the patch: not linear */
    SYM_PATCH_COUNT
} sym_patch_kind;

/** At most this many steps in a composition of patch transforms. */
#define SYM_PATCH_MAX_STEPS 4

/** A composition of patch transforms, kind[0] applied first (the paper pools, then rotates). */
typedef struct sym_patch_spec {
    int n; /**< steps (0: none) */
    sym_patch_kind kind[SYM_PATCH_MAX_STEPS];
    double a[SYM_PATCH_MAX_STEPS], b[SYM_PATCH_MAX_STEPS]; /**< each step's parameters */
} sym_patch_spec;

/** 1 for data read from files (hdf5, idx), 0 for generated data. */
static inline int sym_data_from_file(sym_data_kind k) { return k == SYM_DATA_HDF5 || k == SYM_DATA_IDX; }

/** The job-file names of data kinds ("teacher_linear", ...). */
extern const char *const sym_data_kind_names[SYM_DATA_COUNT];

/** At most this many classes in data.classes. */
#define SYM_DATA_MAX_CLASSES 64

typedef struct sym_data_opts {
    sym_data_kind kind;
    int samples;
    int input, output;        /**< TEACHER_LINEAR */
    int dim, rank;            /**< SUBSPACE */
    double noise;             /**< std of additive Gaussian noise */
    sym_model_opts teacher;   /**< TEACHER_MLP: the teacher's architecture */
    char file[1024];          /**< HDF5 */
    char x_path[256], y_path[256]; /**< y_path "" : autoencoding (y = x) */
    int fixed_seed;           /**< 1: drawn from `seed` (data.seed), the same for every run */
    int standardize;          /**< HDF5: each column of X to mean 0, variance 1 (in what was padding) */
    uint64_t seed;            /**< with fixed_seed; otherwise each run's own seed */
    /* files and what is done to them (HDF5, IDX; version 4 of the plug-in interface) */
    char labels[1024];        /**< IDX: the labels file (file: the images) */
    char test_x[1024];        /**< test split from files: IDX test images file, or HDF5 test inputs
                                   dataset (of file); "" : none */
    char test_y[1024];        /**< IDX test labels file, or HDF5 test targets dataset ("" : none) */
    double test_fraction;     /**< > 0: this fraction of the samples held out (drawn from the seed) */
    int scale;                /**< IDX: pixels / 255, to [0, 1] */
    int subset;               /**< > 0: this many samples drawn (before the test split) */
    int per_class;            /**< > 0: this many samples of each class drawn */
    int n_classes;            /**< > 0: only these classes, relabelled 0..n_classes-1 in this order */
    int classes[SYM_DATA_MAX_CLASSES];
    int image_h, image_w;     /**< the images' shape (IDX: its header; HDF5: data.image); 0: unknown */
    int patch_h, patch_w;     /**< > 0: random patch_h x patch_w patches of the images are the samples */
    int patches;              /**< how many patches (drawn from the seed, before the test split) */
    int n_test;               /**< the held-out samples (settled from the file and the settings) */
    /* seed 003's data with known answers (version 5 of the plug-in interface) */
    sym_patch_spec pairs;     /**< n > 0: the samples become pairs (x, T x), T this composition on
                                   the patches (or the images) */
    sym_patch_spec group;     /**< PLANTED_GROUP: the planted transform g (linear steps only) */
    int group_p;              /**< PLANTED_GROUP: powers g^k, k uniform in 0..p-1 */
    int group_filters;        /**< PLANTED_GROUP: M base filters b_m (unit norm) */
    int group_terms;          /**< PLANTED_GROUP: s terms c_j g^(k_j) b_(m_j) per sample */
    /* PROTOTYPES (version 5 of the plug-in interface); the grid is image_h x image_w */
    int n_protos;             /**< how many of proto */
    int proto[8];             /**< the prototypes drawn (sym_proto_kind), in the order given */
    int proto_group;          /**< the group each sample is a random element of (sym_img_finite) */
    int proto_classes;        /**< 1: targets are the prototype's one-hot class; 0: the images */
} sym_data_opts;

typedef struct sym_data {
    int n, d_in, d_out;
    double *X; /**< [n x d_in] */
    double *Y; /**< [n x d_out]; equals X for autoencoding data */
    int n_test;       /**< held-out samples (0: none) */
    double *Xt, *Yt;  /**< [n_test x d_in], [n_test x d_out]; Yt == Xt for autoencoding data */
} sym_data;

/**
 * Targets of one column of class ids, Y [n x 1], to one-hot rows Y [n x classes] (in place:
 * Y is reallocated; autoencoding data, Y == X, are refused).  A label that is not an integer, or
 * is outside 0..classes-1, is a SYM_EINVAL naming @p what (the file and dataset), the row (from 0), the
 * value and the range.  d_out becomes @p classes.  Call it on any (X, Y) part: it reads only
 * d->Y, d->n and d->d_out.
 */
int sym_data_onehot(sym_data *d, int classes, const char *what);
/** sym_data_onehot on bare arrays: *Y [n x 1] (owned, reallocated) to [n x classes]. */
int sym_onehot(double **Y, int n, int classes, const char *what);

/** Generate synthetic data from the data stream @p r (kinds other than HDF5). */
int sym_data_generate(sym_data *out, const sym_data_opts *o, sym_rng *r);
void sym_data_dispose(sym_data *d);

/* ------------------------------------------------------------------ */
/* Optimizers and training                                            */
/* ------------------------------------------------------------------ */

typedef enum sym_opt_kind { SYM_OPT_GD = 0, SYM_OPT_SGD, SYM_OPT_ADAM, SYM_OPT_COUNT } sym_opt_kind;
/** The job-file names of optimizers. */
extern const char *const sym_opt_names[SYM_OPT_COUNT];

const char *sym_opt_name(sym_opt_kind k);
int sym_opt_from_name(const char *name);

typedef struct sym_train_opts {
    sym_opt_kind optimizer;
    double lr;
    int epochs;
    int batch_size;   /**< 0: full batch (GD is always full batch) */
    double momentum;  /**< SGD: v = momentum v + g; theta -= lr v */
    double beta1, beta2, eps; /**< Adam, as torch.optim.Adam */
    int loss_every;   /**< record the objective at epochs 0, k, 2k, ... (k = loss_every) */
    /** Optional: called at each curve point before the epoch's steps, with the
     * point's number, the parameters there (the trainer's own array), and (full
     * batch only, else NULL) the full-data gradient and objective the trainer
     * just computed; a negative return stops training.  It may move the
     * parameters (teleportation along a symmetry) and return 1: the trainer
     * then recomputes its gradient there (and restarts FISTA's extrapolation);
     * the optimizer's moments are kept. */
    int (*hook)(void *ctx, int point, double *params, const double *grad, double loss);
    void *hook_ctx;
    /** 1: proximal steps: the step follows the data loss's gradient, then the penalty's
     * proximal map (l1: soft thresholding; frobenius: shrinkage) with the optimizer's step size
     * (gd: ISTA; sgd: proximal SGD; adam: per coordinate lr / (sqrt(vhat) + eps)).  The hook
     * then gets no gradient (NULL).  SYM_PROX_FISTA (gd only): the gradient at the
     * extrapolated point y = x + (t_{k-1} - 1) / t_k (x - x_prev) of Beck and Teboulle. */
    int proximal;
    /** train.project_orbit: 0 off, else 1 + the orbit algebra (probe.h's sym_algebra) whose
     * tangent component every step's gradient loses (read by the sweep, which installs
     * grad_filter) */
    int project_orbit;
    /** Optional: called on every step's gradient just before the optimizer's step, with the
     * parameters the gradient was taken at; it may change the gradient in place (projection);
     * a negative return stops training with that error. */
    int (*grad_filter)(void *ctx, const double *params, double *grad);
    void *filter_ctx;
    /** The learning rate of epoch e (0 .. epochs-1), held for the epoch's steps (as PyTorch's
     * schedulers step once per epoch): lr * warm(e) * sched(e), where warm(e) = (e+1)/(warmup+1)
     * for e < warmup, else 1, and sched is, by `schedule`: constant 1; step: decay_factor^k, k
     * the number of fractions f of decay_at with e >= f * epochs (torch's MultiStepLR with
     * milestones ceil(f * epochs)); cosine: lr_final + (1 - lr_final) (1 + cos(pi e / epochs)) / 2
     * (torch's CosineAnnealingLR with T_max = epochs, eta_min = lr_final * lr). */
    int schedule;             /**< sym_sched_kind */
    int warmup;               /**< epochs of linear warm-up; 0: none */
    int n_decay_at;           /**< step: how many of decay_at */
    double decay_at[SYM_MAX_DECAYS]; /**< step: fractions of the epochs, in (0, 1], increasing */
    double decay_factor;      /**< step: the rate's factor at each fraction */
    double lr_final;          /**< cosine: the rate at the end, a fraction of lr */
    /** > 0: each step's gradient g is scaled by clip_norm / (||g|| + 1e-6) when that is below 1
     * (torch.nn.utils.clip_grad_norm_), after the gradient filter */
    double clip_norm;
    /** decoupled weight decay: every parameter times (1 - lr_e * weight_decay) before each
     * optimizer step (torch.optim.AdamW; with gd the same as torch.optim.SGD's weight_decay) */
    double weight_decay;
    /** train.moments (sym_moments_mode): full-data steps of a network linear up to a squared
     * loss by the data's second moments (on), where they apply and cost less (auto), or never */
    int moments;
    /** train.layerwise: 1 trains a mirrored autoencoder d -> h1 -> ... -> h1 -> d stage by stage
     * (sym_train_layerwise); sym_train itself ignores it */
    int layerwise;
} sym_train_opts;

/** The learning-rate schedules (sym_train_opts.schedule). */
typedef enum sym_sched_kind { SYM_SCHED_CONSTANT = 0, SYM_SCHED_STEP, SYM_SCHED_COSINE, SYM_SCHED_COUNT } sym_sched_kind;
extern const char *const sym_sched_names[SYM_SCHED_COUNT];
/** The learning rate of epoch @p e of training (sym_train_opts says how: schedule, warm-up). */
double sym_train_lr(const sym_train_opts *o, int e);

enum { SYM_PROX_OFF = 0, SYM_PROX_ON = 1, SYM_PROX_FISTA = 2 };

#define SYM_TRAIN_OPTS_INIT { SYM_OPT_ADAM, 1e-3, 100, 0, 0.0, 0.9, 0.999, 1e-8, 10, NULL, NULL, 0, 0, NULL, NULL, \
                             SYM_SCHED_CONSTANT, 0, 0, {0}, 0.1, 0.0, 0.0, 0.0, SYM_MOMENTS_OFF, 0 }

/** Optimizer state; sized once, stepped without allocation. */
typedef struct sym_opt {
    sym_opt_kind kind;
    double lr, momentum, beta1, beta2, eps;
    double beta1_t, beta2_t; /* beta^t for bias correction */
    size_t n;
    double *m, *v; /* owned */
} sym_opt;

int sym_opt_init(sym_opt *o, const sym_train_opts *t, size_t n_params);
void sym_opt_step(sym_opt *o, double *params, const double *grad);
/**
 * After sym_opt_step: the proximal map of the penalty sum_i lam_i r(w_i) with the step
 * size of the last step (l1: r = |w|, soft thresholding; frobenius: r = w^2, shrinkage).
 */
void sym_opt_prox(sym_opt *o, double *params, const double *lam, sym_reg_kind kind);
/** 1 if proximal training handles the regularizer: none, l1, frobenius. */
int sym_prox_supported(const sym_reg *reg);
void sym_opt_dispose(sym_opt *o);

/** Number of points on the recorded loss curve: epochs / loss_every + 1. */
int sym_train_n_points(const sym_train_opts *o);
/** Epoch of curve point k: k * loss_every. */
int sym_train_point_epoch(const sym_train_opts *o, int k);

enum { SYM_RUN_PENDING = 0, SYM_RUN_DONE = 1, SYM_RUN_DIVERGED = 2, SYM_RUN_FAILED = 3 };

typedef struct sym_train_out {
    int status;             /**< SYM_RUN_DONE or SYM_RUN_DIVERGED */
    int epochs_done;        /**< epochs completed before stopping */
    sym_loss_parts final;   /**< objective at the returned parameters (full data) */
} sym_train_out;

/**
 * Train @p params in place.  @p curve receives sym_train_n_points(o) values
 * of the full-data objective (NaN past a divergence).  On divergence the
 * parameters are the last ones whose objective was finite, except with proximal
 * steps on the full batch: there the objective is evaluated at the curve points
 * only, and the parameters are those the failed step started from, whose
 * objective may be non-finite too (out->final then says so).
 * With o->epochs 0 no step is taken: the curve's one point and out->final are the objective
 * of @p params, and the hook sees that point once (with the full-data gradient, full batch).
 * @param shuffle stream for minibatch order (unused for full batch): a new permutation of
 * the samples every epoch, the previous epoch's shuffled again.
 */
int sym_train(sym_train_out *out, double *curve, double *params, const sym_model *m,
              const sym_reg *reg, const sym_train_opts *o, const sym_data *d, sym_rng *shuffle);

/**
 * train.layerwise (src/nn/layerwise.c): a mirrored autoencoder of S encoder layers trained as S
 * two-layer autoencoders in turn, each on the codes of the trained, frozen layers before it,
 * with E / S epochs each; the arguments and @p curve as sym_train's (the stages' objectives in
 * order: layerwise.c says how), out->final the whole network's objective.  With S = 1 it is
 * sym_train bit for bit.
 */
int sym_train_layerwise(sym_train_out *out, double *curve, double *params, const sym_model *m,
                        const sym_reg *reg, const sym_train_opts *o, const sym_data *d, sym_rng *shuffle);
/** 0 if layer-wise training applies to @p mo and @p o, else 1 with the reason in @p why. */
int sym_layerwise_check(const sym_model_opts *mo, const sym_train_opts *o, char *why, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
