/**
 * @file sym.h
 * @brief The symmetry mathematics the probes measure with: group actions on
 *        networks, orbits and their tangents, the loss's symmetry algebra,
 *        Hessian spectra (dense and Lanczos), centralizers, conserved
 *        quantities, teleportation, symmetry discovery, canonical forms.  No
 *        probe plumbing: the probes (src/probe, probe_api.h) call these functions.
 *
 * The layer group action of seed 001 (Definition 3.4): K in GL(n_h) acts on
 * hidden layer h by (W_h, b_h, W_{h+1}) -> (K W_h, K b_h, W_{h+1} K^{-1}).
 * Random draws come from streams the caller passes (a sym_rng, or a seed and
 * sub-stream): which stream a probe uses is the probe registry's business.
 */
#ifndef SYMSWEEP_SYM_H
#define SYMSWEEP_SYM_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SYM)
#error "symsweep/sym.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

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

/**
 * sigma(-u) = kappa - sigma(u): the constant a next bias absorbs when a unit's sign flips
 * (sigmoid 1; the odd activations 0; the others have no such identity: 0, and the flip is
 * measured as no symmetry).
 */
static inline double sym_flip_offset(sym_act a) { return a == SYM_ACT_SIGMOID ? 1.0 : 0.0; }

/* ------------------------------------------------------------------ */
/* Ex1: reparametrization by group elements at every hidden layer      */
/* ------------------------------------------------------------------ */

/**
 * Over @p trials draws of K_h from family @p g at every hidden layer h
 * (applied as (K W_h, K b_h, W_{h+1} K^{-1})), the network's outputs on X
 * [n x d_in] against the unchanged network's: out[0] mean and out[1] max of
 * max_i |y'_i - y_i|, out[2] mean and out[3] max of ||Y' - Y||_F / ||Y||_F.
 * @p e2e (if not NULL): for an all-linear network, the max over trials of the
 * end-to-end map's relative change ||P' - P||_F / ||P||_F (P = W_L ... W_1),
 * NaN otherwise.  Refuses models without hidden layers and tied ones.
 */
int sym_reparam_probe(double out[4], double *e2e, const sym_model *m, const double *params,
                      const double *X, int n, sym_group g, int trials, sym_rng *r);
/**
 * sym_reparam_probe, and with @p bias_compensation the sign flips of a monomial K are
 * compensated by the next layer's bias: sigmoid(-u) = 1 - sigmoid(u), so a flipped unit j adds
 * W_{h+1}[:, j] to b_{h+1}, which makes the signed permutations a symmetry of sigmoid nets
 * (tanh and linear are odd: nothing to add).
 */
int sym_reparam_probe_ex(double out[4], double *e2e, const sym_model *m, const double *params,
                         const double *X, int n, sym_group g, int trials, sym_rng *r,
                         int bias_compensation);

/* ------------------------------------------------------------------ */
/* Ex2: centralizers of activations                                    */
/* ------------------------------------------------------------------ */

/**
 * Commutation error of sigma with group elements M of family @p g in
 * dimension n: over @p trials draws of M and @p samples z ~ N(0, I) each,
 * out[0] the mean and out[1] the max of the symmetric relative difference
 * ||sigma(M z) - M sigma(z)|| / (||sigma(M z)|| + ||M sigma(z)||), in [0, 1]
 * (0 when both sides vanish).
 */
int sym_centralizer_commutation(double out[2], sym_act act, double slope, int n, sym_group g,
                                int trials, int samples, sym_rng *r);
/**
 * With @p affine: sigma(M z) against M sigma(z) + c, c_i = 1 where a monomial M has -1 in row i
 * and sigma is the sigmoid (sigmoid(-u) = 1 - sigmoid(u)): the sign flips a next bias absorbs.
 */
int sym_centralizer_commutation_ex(double out[2], sym_act act, double slope, int n, sym_group g,
                                   int trials, int samples, sym_rng *r, int affine);

/**
 * The infinitesimal centralizer {A in gl(n) : sigma'(z) * (A z) = A sigma(z)
 * for the sampled z}: the conditions on row i of A are M_i a = 0 with
 * M_i[s, j] = sigma'(z_si) z_sj - sigma(z_sj), so its dimension is the sum of
 * the rows' nullities (singular values below 1e-10 of the largest of all).
 * @param dim  the dimension
 * @param gap  smallest singular value counted as non-null over the largest
 *             counted as null (inf when nothing is null or all is)
 * @param basis if not NULL, [n*n x n x n]: the first dim matrices span the
 *             centralizer (orthonormal as vectors), the rest NaN.
 */
int sym_centralizer_dimension(int *dim, double *gap, double *basis, sym_act act, double slope,
                              int n, int samples, sym_rng *r);

/* ------------------------------------------------------------------ */
/* Ex4: geometry of l_p balls                                          */
/* ------------------------------------------------------------------ */

/** ||x||_p for p > 0 (a quasi-norm below 1), INFINITY for the max norm. */
double sym_lp_norm(const double *x, int n, double p);

/**
 * Max over @p trials draws of K from family @p g and @p points x on the unit
 * l_p sphere (Gaussian directions normalized) of | ||K x||_p - 1 |.
 */
int sym_lp_norm_change(double *out, int n, double p, sym_group g, int trials, int points,
                       sym_rng *r);

/** Euclidean projection of y onto the l_p ball of radius rad (p >= 1 or inf). */
void sym_lp_project(double *x, const double *y, int n, double p, double rad, double *work);

/**
 * Minimize @p quadratics random strictly convex f(x) = (x - c)^T Q (x - c) / 2
 * over the l_p ball of radius rad (c outside it) by accelerated projected
 * gradient; out[0] the fraction of solutions with a coordinate |x_i| <=
 * 1e-9 rad (on a vertex or a face of the l1 ball), out[1] the mean number of
 * such coordinates.  p >= 1 or inf.
 */
int sym_lp_sparsity(double out[2], int n, double p, double rad, int quadratics, sym_rng *r);

/* ------------------------------------------------------------------ */
/* Ex3: structure of a one-layer encoder W [d x D] and decoder W' [D x d] */
/* ------------------------------------------------------------------ */

typedef struct sym_structure {
    double orthogonality_error; /**< ||W W^T - I||_F / ||I||_F */
    double transpose_error;     /**< ||W' - W^T||_F / ||W^T||_F */
    double sparsity_encoder;    /**< fraction of |w| < 1% of max |w| in W */
    double sparsity_decoder;    /**< the same for W' */
    double norm_ratio;          /**< ||W||_F / ||W'||_F: the scaling loophole of untied weights */
} sym_structure;

/**
 * Ex3 structure metrics, and per latent unit i the balance of its encoder row
 * against its decoder column: balance_l2[i] = ||W_i:||_2 / ||W'_:i||_2 and
 * balance_l1 likewise (both may be NULL), and the singular values (descending,
 * min(d, D) each) of W, W' and W'W (NULL to skip).
 */
int sym_structure_measure(sym_structure *out, double *balance_l2, double *balance_l1,
                          double *sv_enc, double *sv_dec, double *sv_prod, const double *W,
                          const double *Wd, int d, int D);

/** Transform families of the penalty-invariance probe, in this order. */
#define SYM_PENALTY_FAMILIES 3 /* orthogonal, signed_permutation, general */
/** Penalties measured, in this order: squared Frobenius, l1. */
#define SYM_PENALTY_KINDS 2

/**
 * Relative change of the penalties R(W) + R(W') under latent transforms
 * W -> K W, W' -> W' K^{-1}: for each family (orthogonal, signed permutation,
 * general with cond <= 10) and penalty (Frobenius^2, l1), the mean and max
 * over @p trials of |R(K W) + R(W' K^-1) - R(W) - R(W')| / (R(W) + R(W')).
 * @param mean, max  [SYM_PENALTY_FAMILIES x SYM_PENALTY_KINDS]
 */
int sym_penalty_invariance(double *mean, double *max, const double *W, const double *Wd, int d,
                           int D, int trials, sym_rng *r);

/* ------------------------------------------------------------------ */
/* Orbits: the loss along K(t) = exp(t A) at every hidden layer        */
/* ------------------------------------------------------------------ */

typedef enum sym_algebra {
    SYM_ALGEBRA_AUTO = 0, /**< the activation's: gl(n) for linear, diagonal for (leaky) relu */
    SYM_ALGEBRA_GL,       /**< all n x n matrices */
    SYM_ALGEBRA_DIAGONAL, /**< diagonal matrices (positive scalings) */
    SYM_ALGEBRA_SO,       /**< antisymmetric matrices (rotations) */
    SYM_ALGEBRA_COUNT
} sym_algebra;

const char *sym_algebra_name(sym_algebra a);
/** The job-file names of Lie algebras. */
extern const char *const sym_algebra_names[SYM_ALGEBRA_COUNT];

/** The direction off the orbit of the perpendicular probe. */
typedef enum sym_perp_kind {
    SYM_PERP_OFF = 0,
    SYM_PERP_RANDOM,     /**< xi ~ N(0, I) minus its orbit-tangent part, unit norm */
    SYM_PERP_LAST_LAYER, /**< function-space shift: xi ~ N(0, I) in the last weight W_L only */
    SYM_PERP_COUNT
} sym_perp_kind;

const char *sym_perp_name(sym_perp_kind k);
/** The job-file names of perpendicular-direction kinds. */
extern const char *const sym_perp_names[SYM_PERP_COUNT];

typedef struct sym_orbit_opts {
    int directions;  /**< random directions per run (one task each) */
    int points;      /**< t grid points, odd, symmetric around 0 */
    double t_max;    /**< t in [-t_max, t_max] */
    sym_algebra algebra;
    int perpendicular; /**< sym_perp_kind: also the loss along a direction off the orbit */
    int landscape;     /**< > 0: the loss on a landscape x landscape grid of (t, s) */
    double s_max;      /**< s in [-s_max, s_max] for the perpendicular direction */
} sym_orbit_opts;

#define SYM_ORBIT_OPTS_INIT { 4, 9, 1.0, SYM_ALGEBRA_AUTO, 0, 0, 1.0 }

/** Point k of the n-point grid on [-x, x] (n >= 2): the t and s grids of the orbit probes. */
double sym_orbit_grid(int k, int n, double x);

/**
 * The perpendicular probe of one direction: with SYM_PERP_RANDOM, xi ~ N(0, I)
 * in parameter space (stream r), its orbit-tangent part removed
 * (sym_orbit_project), scaled to unit norm; with SYM_PERP_LAST_LAYER, xi ~
 * N(0, I) in the entries of the last weight W_L only (for a tied decoder, the
 * encoder weight it mirrors), unit norm, not projected.  @p perp (o->points
 * values, or NULL): the objective at theta + s xi for s on the grid of
 * [-s_max, s_max].  @p land (landscape^2
 * values, row = t, column = s, or NULL): the objective at exp(tA) . (theta + s xi).
 */
int sym_orbit_perpendicular(double *perp, double *land, const sym_model *m, const sym_reg *reg,
                            const double *params, const sym_data *d, const double *A,
                            const sym_orbit_opts *o, sym_rng *r);

/**
 * The algebra @p a resolves to for a model: AUTO picks gl(n) when every
 * hidden activation is linear and the diagonal when every one is relu or
 * leaky_relu; otherwise (sigmoid, tanh, softplus: no continuous symmetry)
 * it is an error, as is a model without hidden layers or with tied weights.
 */
int sym_orbit_algebra(sym_algebra *out, const sym_model *m, sym_algebra a);

/** Doubles of one direction: sum over hidden layers of n_h^2. */
size_t sym_orbit_direction_size(const sym_model *m);

/**
 * Draw a direction A = (A_1, ..., A_{L-1}) in the algebra from @p r:
 * Gaussian entries scaled to unit Frobenius norm per layer (projected to the
 * diagonal or antisymmetric part as the algebra says).
 */
int sym_orbit_direction(double *A, const sym_model *m, sym_algebra alg, sym_rng *r);

/**
 * Objective and data loss on (X, Y) at theta(t) = (exp(t A_h) acting on every
 * hidden layer h) for the @p points values t_k = -t_max + 2 t_max k/(points-1).
 * @param total, data  @p points values each.
 */
int sym_orbit_loss(double *total, double *data, const sym_model *m, const sym_reg *reg,
                   const double *params, const sym_data *d, const double *A,
                   const sym_orbit_opts *o);

/**
 * The orbit tangent map at params: J(A) = sum over hidden layers h of
 * (A_h W_h, A_h b_h, -W_{h+1} A_h), A_h in the algebra (A: layers' n_h^2
 * blocks, as sym_orbit_direction lays them out).  out: a parameter vector.
 */
void sym_orbit_tangent(double *out, const sym_model *m, const double *params, const double *A,
                       sym_algebra alg);
/** Its adjoint J^T, projected onto the algebra: out has the layout of A. */
void sym_orbit_tangent_adjoint(double *out, const sym_model *m, const double *params,
                               const double *g, sym_algebra alg);
/** The same with an algebra per hidden layer (alg[h]: a sym_algebra or SYM_SYMMETRY_NONE). */
void sym_orbit_tangent_adjoint_layers(double *out, const sym_model *m, const double *params,
                                      const double *g, const int *alg);

/**
 * Split v (a parameter vector) into its orbit-tangent part J A* and the rest:
 * A* = argmin ||v - J A|| by conjugate gradients on J^T J A = J^T v (matrix
 * free: it never forms J).  @p tangent and @p perp may be NULL; @p coef
 * (the layout of A) may be NULL.  Returns the CG iterations used (>= 0).
 */
int sym_orbit_project(double *tangent, double *perp, double *coef, const sym_model *m,
                      const double *params, const double *v, sym_algebra alg);
/** The same with an algebra per hidden layer (alg[h]: a sym_algebra or SYM_SYMMETRY_NONE). */
int sym_orbit_project_layers(double *tangent, double *perp, double *coef, const sym_model *m,
                             const double *params, const double *v, const int *alg);

/**
 * The scratch of sym_orbit_project for one model and algebra (one per hidden layer with
 * _layers), made once for a caller that projects at every step: sym_orbit_project_ws is then
 * sym_orbit_project without its allocations (bitwise the same result).
 */
typedef struct sym_orbit_ws sym_orbit_ws;
int sym_orbit_ws_create(sym_orbit_ws **out, const sym_model *m, sym_algebra alg);
int sym_orbit_ws_create_layers(sym_orbit_ws **out, const sym_model *m, const int *alg);
int sym_orbit_project_ws(sym_orbit_ws *ws, double *tangent, double *perp, double *coef,
                         const double *params, const double *v);
void sym_orbit_ws_free(sym_orbit_ws *ws);
/**
 * Make the projections of @p ws count the softmax's shifts too (sym_shift_dim's directions,
 * none for squared error): the tangent space becomes their span plus the algebra's, and @p coef
 * keeps only the algebra's coordinates (of the part of v the shifts do not explain).
 */
int sym_orbit_ws_add_shifts(sym_orbit_ws *ws, const sym_reg *reg);
/** ||S^T v||: v's component along the unit shift directions (0 without them). */
double sym_orbit_ws_shift_norm(const sym_orbit_ws *ws, const double *v);

/** out = exp(t A) acting on every hidden layer of params (A laid out as sym_orbit_direction's). */
int sym_orbit_move(double *out, const sym_model *m, const double *params, const double *A, double t);

/* ------------------------------------------------------------------ */
/* The loss's symmetry algebra, orbit dimension, Hessian spectra       */
/* ------------------------------------------------------------------ */

/** A hidden layer without a continuous symmetry (beside the sym_algebra values). */
#define SYM_SYMMETRY_NONE (-1)
/** Singular values of the orbit-tangent map above this times the largest count toward its rank. */
#define SYM_ORBIT_RANK_TOL 1e-9

/**
 * Per hidden layer h (alg[h], n_layers - 1 entries) the Lie algebra of the
 * objective's continuous symmetry acting there as (K W_h, K b_h, W_{h+1} K^-1):
 * the activation's (linear: gl, relu/leaky_relu: diagonal, others: none),
 * cut by a penalty on W_h or W_{h+1}: orthogonally invariant ones (frobenius,
 * schatten, lp with p = 2) leave its so part (gl -> so, diagonal -> none),
 * l1 and other lp leave none (their symmetries are discrete); a Jacobian
 * penalty cuts only the latent layer of an autoencoder (Frobenius: so).
 * Tied models are refused.
 */
int sym_symmetry_algebras(int *alg, const sym_model *m, const sym_reg *reg);
/** Sum over hidden layers of their algebra's dimension (n^2, n, n(n-1)/2 or 0). */
int sym_symmetry_dim(const sym_model *m, const int *alg);
/**
 * Rows r = 0..dim-1 of J [dim x P]: the orbit tangent J(E_r) at params of an
 * orthonormal basis E_r of the algebra (gl: E_ij; diagonal: E_ii; so: (E_ij - E_ji)/sqrt 2).
 */
int sym_symmetry_tangent_rows(double *J, const sym_model *m, const int *alg, const double *params);
/**
 * The translations of a linear hidden layer h between biased layers:
 * (b_h + t, b_{h+1} - W_{h+1} t) computes the same function for every t in
 * R^{n_h}, and no weight penalty sees it.  sym_translation_dim is their
 * number over the hidden layers (0 without biases or for tied models);
 * sym_translation_rows writes their tangent rows (unit t = e_j) into J
 * [dim x P].
 */
int sym_translation_dim(const sym_model *m);
int sym_translation_rows(double *J, const sym_model *m, const double *params);
/**
 * The softmax's shifts.  Cross-entropy sees the logits z only through softmax(z), which
 * ignores z + s 1 for any scalar s, sample by sample.  With a linear output layer L, the
 * parameter translations W_L + 1 v^T (v in R^{n_{L-1}}) and b_L + c 1 shift every sample's
 * logits by v^T a_{L-1}(x) + c: the objective is the same for every (v, c), at every point
 * (an exact symmetry acting by translation, so the gradient is orthogonal to it and the
 * Hessian vanishes on it everywhere, not only at critical points).  A weight penalty on W_L
 * or a Jacobian penalty sees v (||W_L + 1 v^T|| moves), none sees c (biases are never
 * penalized).  sym_shift_dim: n_{L-1} (v, unless penalized) + 1 (c, with biases); 0 for
 * squared error, tied models or a nonlinear output layer.  sym_shift_rows writes their unit
 * tangent rows into J [dim x P] (v = e_j, then c = 1, each over sqrt(n_L)).
 */
int sym_shift_dim(const sym_model *m, const sym_reg *reg);
int sym_shift_rows(double *J, const sym_model *m, const sym_reg *reg);
/**
 * The orbit of the objective's whole continuous symmetry: the per-layer
 * algebras (sym_symmetry_algebras), the translations of linear hidden
 * layers and, for cross-entropy, the softmax's shifts (sym_shift_dim).  *alg_dim: their dimension; *dim: the orbit's, the rank of the
 * stacked tangent rows (singular values above SYM_ORBIT_RANK_TOL times the
 * largest); @p gap (or NULL): smallest counted singular value over the
 * largest uncounted one (inf when full rank, NaN when rank 0).
 */
int sym_symmetry_orbit(int *alg_dim, int *dim, double *gap, const sym_model *m, const sym_reg *reg,
                       const double *params);
/**
 * Rank of J [rows x cols] (row-major): singular values above
 * SYM_ORBIT_RANK_TOL times the largest; @p gap (or NULL) as for
 * sym_symmetry_orbit; @p sv (or NULL): the min(rows, cols) singular values,
 * descending.  J is not modified.
 */
int sym_row_rank(int *rank, double *gap, double *sv, const double *J, int rows, int cols);
/** Bytes sym_symmetry_orbit takes at model @p m (its dense tangent rows, their SVD). */
double sym_symmetry_orbit_bytes(const sym_model *m, const sym_reg *reg);
/**
 * Tied autoencoders (one latent layer): their decoder is the encoder's transpose, so only
 * orthogonal K keep the function (W -> K W, b -> K b).  1 when the objective keeps so(d) (a
 * linear latent layer under an orthogonally invariant penalty, or none), else 0.
 */
int sym_symmetry_tied_so(const sym_model_opts *o, const sym_reg *r);
/**
 * The d(d-1)/2 rows (*rows) of the tangent map of so(d) at a tied autoencoder's params, one
 * per basis element (E_ij - E_ji)/sqrt 2, i < j: *J [rows x P] is allocated (the caller's).
 */
int sym_symmetry_tied_rows(double **J, int *rows, const sym_model *m, const double *params);
/** Project an n x n block onto algebra @p alg (a sym_algebra or SYM_SYMMETRY_NONE: zero) in place. */
void sym_algebra_project(double *A, int n, int alg);
/** A random unit direction (Frobenius over all layers) in the per-layer algebras @p alg. */
int sym_symmetry_direction(double *A, const sym_model *m, const int *alg, sym_rng *r);
/** Where the zero eigenvalues of a spectrum end. */
typedef enum sym_zero_cut {
    SYM_ZERO_CUT_GAP = 0,   /**< at the largest gap of |w| on a log scale (default) */
    SYM_ZERO_CUT_THRESHOLD, /**< |w| <= threshold max |w| */
    SYM_ZERO_CUT_COUNT
} sym_zero_cut;

/** The job-file names of the zero cuts ("gap", "threshold"). */
extern const char *const sym_zero_cut_names[SYM_ZERO_CUT_COUNT];

/** What sym_spectrum_stats finds. */
typedef struct sym_spectrum {
    int zeros;    /**< eigenvalues counted zero */
    double gap;   /**< above / below: inf when none is zero, NaN when all are */
    double below; /**< the largest |w| counted zero (NaN: none) */
    double above; /**< the smallest |w| not counted (NaN: none) */
    double top;   /**< the largest eigenvalue */
} sym_spectrum;

/* the cut by gap: the lower side at most this fraction of max |w|, and the gap at least this */
#define SYM_ZERO_CUT_MAX_BELOW 1e-4
#define SYM_ZERO_CUT_MIN_GAP 1e3

/**
 * Of an ascending spectrum w[n]: how many eigenvalues are zero, and the gap
 * that separates them.  SYM_ZERO_CUT_GAP: sorted by |w|, the cut between
 * neighbours with the largest ratio, among cuts whose lower side is at most
 * SYM_ZERO_CUT_MAX_BELOW max |w|, if that ratio is at least SYM_ZERO_CUT_MIN_GAP
 * (else none is zero).  SYM_ZERO_CUT_THRESHOLD: |w| <= thr max |w|.
 */
void sym_spectrum_stats(sym_spectrum *out, const double *w, int n, sym_zero_cut cut, double thr);

/* ------------------------------------------------------------------ */
/* Conserved quantities of gradient flow                              */
/* ------------------------------------------------------------------ */

/**
 * What hidden layer h conserves: SYM_ALGEBRA_GL (linear: the matrix
 * W_{h+1}^T W_{h+1} - W_h W_h^T - b_h b_h^T), SYM_ALGEBRA_DIAGONAL
 * (relu/leaky_relu: per neuron ||incoming||^2 + b_i^2 - ||outgoing||^2) or
 * SYM_SYMMETRY_NONE.
 */
int sym_conserved_kind(const sym_model *m, int h);
/** Doubles of layer h's quantity: n_h^2, n_h or 0. */
size_t sym_conserved_size(const sym_model *m, int h);
/** The quantity of hidden layer h at params into q (sym_conserved_size doubles). */
int sym_conserved_measure(double *q, const sym_model *m, const double *params, int h);

/* ------------------------------------------------------------------ */
/* Hessian probe                                                      */
/* ------------------------------------------------------------------ */

/** Fill column j (0-based) of a matrix. */
typedef int (*sym_column_fn)(void *ctx, size_t j, double *col);
/** Fill row i (0-based) of a matrix. */
typedef int (*sym_row_fn)(void *ctx, int i, double *row);
/**
 * An eigensolver for the symmetric n x n matrix given by columns: w ascending;
 * with @p want_vectors, Z row k = eigenvector k (a team fills Z on its rank 0
 * only, but every rank must pass the same want_vectors).  sym_syev_local is
 * LAPACK on this process; a team's (sweep.h) runs ScaLAPACK on its ranks.
 */
typedef int (*sym_syev_fn)(void *solver, double *w, double *Z, int want_vectors, int n,
                           sym_column_fn fn, void *ctx);
int sym_syev_local(void *solver, double *w, double *Z, int want_vectors, int n, sym_column_fn fn,
                   void *ctx);
/** An SVD solver for the m x n matrix (m >= n) given by rows: s descending; Vt row i = vector i. */
typedef int (*sym_svd_fn)(void *solver, double *s, double *Vt, int m, int n, sym_row_fn fn, void *ctx);
int sym_svd_local(void *solver, double *s, double *Vt, int m, int n, sym_row_fn fn, void *ctx);

typedef struct sym_hessian_opts {
    double threshold;  /**< with zero_cut threshold: an eigenvalue is "zero" when |w| <= threshold max |w| */
    int eigenvectors;  /**< record them */
    int hvp_checks;    /**< random directions checked against finite differences (0: none) */
    int gauge_points;  /**< points t along exp(t A) (0: none) */
    double gauge_t_max;
    sym_zero_cut zero_cut; /**< how zero eigenvalues are told (default: the largest gap) */
} sym_hessian_opts;

#define SYM_HESSIAN_OPTS_INIT { 1e-6, 0, 3, 0, 1.0, SYM_ZERO_CUT_GAP }

typedef struct sym_hessian_out {
    double *eig;        /**< [P] ascending (caller's) */
    double *vec;        /**< with o->eigenvectors: [P x P] row k = eigenvector k (caller's; team rank 0 only) */
    int zeros;          /**< eigenvalues counted zero (see sym_spectrum_stats) */
    double gap;         /**< see sym_spectrum_stats */
    double cut_below, cut_above; /**< the neighbours of the cut: largest zero, smallest non-zero |w| */
    double top;         /**< largest eigenvalue */
    int orbit_dim;      /**< sym_symmetry_orbit; -1 for tied models */
    double orbit_gap;
    double hvp_error;   /**< max relative error of H v against finite differences of the gradient;
                             NaN at a kink of the penalty (hvp_at_kink) */
    int hvp_at_kink;    /**< 1 when a penalized weight lies within the check's step of an l1/lp kink */
    double *gauge_loss, *gauge_zeros, *gauge_top; /**< [gauge_points] each, or NULL (caller's) */
} sym_hessian_out;

/** One teleport's outcome (sym_teleport). */
typedef struct sym_teleport_stats {
    int steps;                     /**< steps taken (fewer: the direction vanished) */
    double grad_before, grad_after; /**< ||gradient of the objective|| */
    double loss_change;            /**< |L after - L before| / |L before|: rounding */
} sym_teleport_stats;

/**
 * The direction of steepest ascent of ||grad L||^2 / 2 along the orbit at params, in the
 * layout of sym_orbit_direction (one n_h^2 block per hidden layer, in the objective's algebra
 * of each layer): J^T H g, with an exact Hessian-vector product.  *grad_norm: ||g||.
 */
int sym_teleport_direction(double *G, double *grad_norm, const sym_model *m, const sym_reg *reg,
                           const double *params, const sym_data *d);
/**
 * Symmetry teleportation: @p steps steps of Frobenius size @p step along (maximize) or against
 * sym_teleport_direction, each params <- exp(A) . params, in place.  The objective is kept
 * (to rounding); the gradient norm grows (or shrinks).  SYM_EINVAL without a continuous
 * symmetry (sym_symmetry_algebras).
 */
int sym_teleport(sym_teleport_stats *st, double *params, const sym_model *m, const sym_reg *reg,
                 const sym_data *d, int steps, double step, int maximize);

/** What sym_hessian_lanczos finds: k values at each end, each with its residual norm. */
typedef struct sym_lanczos_out {
    double *top, *top_resid;       /**< [k] the largest eigenvalues, descending (caller's) */
    double *bottom, *bottom_resid; /**< [k] the smallest, ascending (caller's) */
    double *quot, *quot_resid;     /**< [k] or NULL: the smallest of H on the orbit-normal space */
    int steps, quot_steps;         /**< Lanczos steps taken (fewer than asked: an exact subspace) */
    double orbit_hvp;   /**< max over random orbit tangents t of ||H t|| / (||t|| max |lambda|); NaN: no symmetry */
    double grad_norm;   /**< ||gradient of the objective|| at params (H t = O(||g||) off a critical point) */
} sym_lanczos_out;

/**
 * A team's share of the products (Hessian-vector products, gradients): each rank computes them
 * on its slice of the data, weighted by the slice's share of the samples, and @p sum adds them
 * over the team (the objective is a mean over samples plus a penalty, so the weighted sum is the
 * whole data's).  NULL: one rank and all the data.
 */
typedef struct sym_hvp_share {
    int (*sum)(void *ctx, double *x, size_t n);
    void *ctx;
    double weight; /**< this rank's samples / all samples */
} sym_hvp_share;

/**
 * The extreme eigenvalues of the Hessian at params without forming it:
 * @p steps Lanczos steps with full reorthogonalization on exact
 * Hessian-vector products from a random start (stream @p r), Ritz values and
 * their residuals ||H y - theta y|| at both ends (k each; NaN past the
 * steps).  With @p quot: the same on the orbit-normal space, the operator
 * P H P with P the projection off the orbit's tangent space (matrix free, by
 * conjugate gradients on the tangent map): the bottom there is the true small
 * curvature, not the orbit's zeros.  @p orbit_checks random orbit tangents t
 * (a random element of the objective's symmetry algebra) give orbit_hvp.
 * Memory: steps x P doubles.  Translations of linear hidden layers with biases
 * are not projected out (their zeros stay in the quotient's bottom).  With @p share, @p d is
 * this rank's slice of the data and every rank of the team calls alike (the Lanczos vectors
 * are replicated; the products are the team's).
 */
int sym_hessian_lanczos(sym_lanczos_out *out, const sym_model *m, const sym_reg *reg,
                        const double *params, const sym_data *d, int k, int steps, int quot,
                        int orbit_checks, sym_rng *r, const sym_hvp_share *share);
/**
 * One sample of stochastic Lanczos quadrature (Ubaru, Chen and Saad 2017): @p
 * steps Lanczos steps from a Rademacher vector z (stream @p r); nodes and
 * weights (steps each, ascending nodes; NaN past an early stop) of the
 * quadrature sum_i w_i f(theta_i) ~ z^T f(H) z / P, and quad = z^T H z (the
 * Hutchinson trace sample: its mean over samples estimates tr H).
 */
int sym_hessian_slq(double *nodes, double *weights, double *quad, const sym_model *m,
                    const sym_reg *reg, const double *params, const sym_data *d, int steps,
                    sym_rng *r);

/**
 * The Hessian of the objective on the data at params, from exact
 * Hessian-vector products (one per column) and @p solve: its spectrum, zero
 * count and gap, top eigenvalue; the orbit dimension of the objective's
 * symmetry (sym_symmetry_orbit); a check of H v against finite differences
 * (directions from @p r); and along exp(t A) . params for a random A of the
 * symmetry algebra (from @p r, after the checks) at gauge_points t in
 * [-t_max, t_max]: the objective, zero count and top eigenvalue (NaN when
 * the objective has no continuous symmetry).  With a team solver every rank
 * of the team calls; vec is filled on team rank 0 only.
 */
int sym_hessian_probe(sym_hessian_out *out, const sym_model *m, const sym_reg *reg,
                      const double *params, const sym_data *d, const sym_hessian_opts *o,
                      sym_rng *r, sym_syev_fn solve, void *solver);

/* ------------------------------------------------------------------ */
/* Symmetry discovery (seed 002): infinitesimal invariance conditions  */
/* ------------------------------------------------------------------ */

typedef enum sym_discovery_family {
    SYM_DISCOVERY_LAYER = 0, /**< per hidden layer A_h in gl(n_h), acting as the layer action */
    SYM_DISCOVERY_FULL,      /**< all of gl(P): theta -> H theta */
    SYM_DISCOVERY_COUNT
} sym_discovery_family;

const char *sym_discovery_family_name(sym_discovery_family f);
/** The job-file names of discovery families. */
extern const char *const sym_discovery_family_names[SYM_DISCOVERY_COUNT];

typedef struct sym_discovery_opts {
    sym_discovery_family family;
    int conditions;     /**< stacked conditions (0: 2 x unknowns + 16) */
    int batch;          /**< rows of sampled data per condition */
    int fixed_data;     /**< 1: every condition on the run's own data X, Y */
    double point_scale; /**< theta_i = point_scale x (a draw of the model's initialization, biases N(0,1)) */
    double threshold;   /**< a singular value is null when <= threshold x sqrt(conditions) */
    int basis;          /**< record the null space */
} sym_discovery_opts;

#define SYM_DISCOVERY_OPTS_INIT { SYM_DISCOVERY_LAYER, 0, 4, 0, 1.0, 1e-8, 1 }

/** Unknowns of the family: sum of n_h^2 (layer) or P^2 (full). */
int sym_discovery_unknowns(const sym_model *m, sym_discovery_family f);
/** Conditions the options ask for (resolving 0 to 2 x unknowns + 16). */
int sym_discovery_conditions(const sym_model *m, const sym_discovery_opts *o);

typedef struct sym_discovery_out {
    int dim;       /**< null singular values */
    double gap;    /**< smallest non-null over the largest null singular value */
    double *sv;    /**< [unknowns] descending (caller's) */
    double *basis; /**< [unknowns x unknowns] or NULL: rows 0..dim-1 span the algebra, NaN after (caller's) */
} sym_discovery_out;

/**
 * The Lie algebra of linear parameter transformations H (in the family)
 * that leave the objective infinitesimally invariant: the null space of the
 * stacked conditions grad L(theta_i; X_i)^T (H theta_i) = 0 (each row
 * scaled to unit norm), theta_i and (unless fixed data) X_i, Y_i ~ N(0, 1)
 * drawn from stream (seed, probe, sub + i), by @p solve.  Row i is divided
 * by ||grad|| ||theta_i||, which bounds it by about 1, so sqrt(conditions)
 * bounds the singular values and is the reference of the threshold.  @p fixed: the
 * data every condition uses instead of sampled batches, or NULL.
 */
int sym_symmetry_discovery(sym_discovery_out *out, const sym_model *m, const sym_reg *reg,
                           const sym_data *fixed, const sym_discovery_opts *o, uint64_t seed,
                           uint32_t sub, sym_svd_fn solve, void *solver);

/* ---- canonical forms and alignment (canonical probe, symsweep align) ---- */

/**
 * 0 when the model has a canonical form here, else SYM_EINVAL with the reason in @p why:
 * tied autoencoders, and blocks of linear hidden layers of unequal widths or wider than
 * their neighbours, have none.
 */
int sym_canonical_supported(const sym_model_opts *o, char *why, size_t n);
/**
 * A canonical representative of the orbit of @p params under the symmetries of the
 * network's function (src/sym/canonical.c: unit-norm incoming weights for relu, signs for
 * tanh and biased sigmoid, units sorted by outgoing norm, balanced factorizations of linear
 * blocks).  @p degenerate (or NULL): linear blocks whose product's rank is below their width.
 */
int sym_canonical_form(double *out, int *degenerate, const sym_model *m, const double *params);
/**
 * @p b's hidden units permuted (nonlinear layers; weight matching by coordinate ascent, exact
 * for one hidden layer) to maximize its inner product with @p a: the same function as @p b,
 * into @p aligned.  @p sweeps (or NULL): coordinate-ascent sweeps taken.
 */
int sym_align_match(double *aligned, int *sweeps, const sym_model *m, const double *a, const double *b);

/* ---- learned linear groups (seed 003: src/sym/lgroup.c) ---- */

/** What a learned A [d x d] with p filters b, A b, ..., A^(p-1) b looks like (src/sym/lgroup.c). */
typedef struct sym_lgroup_stats {
    double sigma_min, cond;  /**< A's smallest singular value, largest over smallest */
    double closure;          /**< ||A^p - I||_F / sqrt(d) */
    double root_distance;    /**< max over A's eigenvalues of the distance to the nearest p-th root of 1 */
    double skew, toeplitz, circulant, permutation; /**< ||A - nearest||_F / ||A||_F in each class */
    double reference;        /**< min over r = 1..p-1 of ||A - T^r||_F / ||T^r||_F (NaN without T) */
    int reference_power;     /**< that r (-1 without T) */
    int invisible_dim;       /**< dim {dA : dA [b, A b, ..., A^(p-2) b] = 0}: d (d - p + 1) generically (-1: no b) */
    double invisible_share;  /**< share of ||A||_F^2 in those directions */
    double reference_seen;   /**< with b and T: min over r of ||(A - T^r) U||_F / ||T^r U||_F, U an
                                  orthonormal basis of what the filters see (V's columns): A against
                                  T where the data can tell them apart (NaN otherwise) */
} sym_lgroup_stats;

/** The filters F [p x d]: F_0 = b, F_k = A F_{k-1}. */
int sym_lgroup_filters(double *F, const double *A, const double *b, int d, int p);
/** The minimal-norm least-squares A [d x d] with A x_i = y_i, samples the rows of X, Y [n x d]. */
int sym_lgroup_fit(double *A, const double *X, const double *Y, int n, int d);
/**
 * sym_lgroup_stats of A with base filter b (NULL: a dense layer's A, no filters: invisible_dim -1,
 * invisible_share NaN); eig_re, eig_im (or NULL): A's d eigenvalues; T (or NULL): the reference.
 */
int sym_lgroup_measure(sym_lgroup_stats *out, double *eig_re, double *eig_im, const double *A,
                       const double *b, int d, int p, const double *T);
/** out [h*h] = A vec(I_h): A applied to the identity pattern of an h x h grid (seed 003, Fig. 2). */
void sym_lgroup_identity_pattern(double *out, const double *A, int h);

/* ---- transforms of h x w patches (src/sym/patch.c; sym_patch_kind and sym_patch_spec: nn.h) ---- */

/** The job-file names of sym_patch_kind ("rot90", "rotate", "shift", "box", "median"). */
extern const char *const sym_patch_transform_names[SYM_PATCH_COUNT];
/** T [hw x hw]: y = T x for the linear transform @p kind with parameters a, b (median: SYM_EINVAL). */
int sym_patch_transform(double *T, int h, int w, sym_patch_kind kind, double a, double b);
/**
 * T [hw x hw] of a composition: T = T_(n-1) ... T_1 T_0 (s->kind[0] applied first).  SYM_EINVAL
 * for a median step (not linear), n outside 1..SYM_PATCH_MAX_STEPS, or rot90 on a non-square patch.
 */
int sym_patch_spec_matrix(double *T, const sym_patch_spec *s, int h, int w);
/**
 * Y [n x hw] = the composition applied to each row of X [n x hw] (Y may be X): each linear step
 * as one matrix product over all rows, a median step pixel by pixel.  Errors as
 * sym_patch_spec_matrix's, except that median is allowed.
 */
int sym_patch_spec_apply(double *Y, const double *X, int n, const sym_patch_spec *s, int h, int w);
/** 1 when no step of @p s is a median (the composition is a matrix). */
int sym_patch_spec_linear(const sym_patch_spec *s);
/** "box 2, rotate 60" into buf (cap bytes): how /config and messages show a composition. */
void sym_patch_spec_text(char *buf, size_t cap, const sym_patch_spec *s);

/* ---- orbits and stabilizers of features on the image plane (seed 004: src/sym/image_orbit.c) ---- */

/** Finite groups acting on an h x w grid by permuting pixels. */
typedef enum sym_img_finite {
    SYM_IMG_D4 = 0,          /**< the square's rotations and reflections about the centre (a rectangle: 4) */
    SYM_IMG_TRANSLATIONS,    /**< cyclic translations of the torus (h w) */
    SYM_IMG_D4_TRANSLATIONS, /**< a translation after an element of D4 (8 h w on a square) */
    SYM_IMG_FINITE_COUNT
} sym_img_finite;
extern const char *const sym_img_finite_names[SYM_IMG_FINITE_COUNT];
typedef struct sym_img_finite_stats {
    int order, stabilizer, orbit; /**< |G|, |{g : ||g f - f|| <= tol ||f||}|, distinct images */
    double counted_max;           /**< the largest relative distance counted as fixed */
    double uncounted_min;         /**< the smallest not counted (inf when every g fixes f) */
} sym_img_finite_stats;
int sym_img_finite_order(sym_img_finite g, int h, int w);
/** out = g f for element g (0 <= g < order) */
int sym_img_finite_apply(double *out, const double *f, int h, int w, sym_img_finite grp, int g);
int sym_img_finite_measure(sym_img_finite_stats *out, const double *f, int h, int w,
                           sym_img_finite grp, double tol);

/** Lie groups acting on the image plane by flows of vector fields. */
typedef enum sym_img_lie { SYM_IMG_SO2 = 0, SYM_IMG_GL2, SYM_IMG_AFF2, SYM_IMG_LIE_COUNT } sym_img_lie;
extern const char *const sym_img_lie_names[SYM_IMG_LIE_COUNT];
typedef struct sym_img_lie_stats {
    int dim, stabilizer, orbit; /**< dim G, the stabilizer's and the orbit's dimensions */
    double sv[6];               /**< singular values of the invariance conditions, descending */
    double gap;                 /**< smallest kept over largest counted (inf: none counted) */
} sym_img_lie_stats;
int sym_img_lie_dim(sym_img_lie g);
int sym_img_lie_measure(sym_img_lie_stats *out, const double *f, int h, int w, sym_img_lie grp,
                        double tol);

/* ---- prototypes with known stabilizers (seed 004's data: src/sym/prototypes.c) ---- */

/** The prototypes on an h x w grid (closed forms of their stabilizers in prototypes.c). */
typedef enum sym_proto_kind {
    SYM_PROTO_CROSS = 0, /**< rows and columns h/2-1, h/2 (w/2-1, w/2), full length: D4 8 / orbit 1 */
    SYM_PROTO_BAR,       /**< rows h/2-1, h/2, columns w/4 .. w-1-w/4: D4 4 / 2 */
    SYM_PROTO_CORNER,    /**< an L: row and column h/4 from h/4 to h-1-h/4: D4 2 / 4 */
    SYM_PROTO_BLOB,      /**< exp(-r^2 / (2 s^2)), s = min(h, w) / 6, about the centre: D4 8 / 1 */
    SYM_PROTO_EDGE,      /**< a step: 1 for columns j >= w/2, else 0: D4 2 / 4 */
    SYM_PROTO_GENERIC,   /**< a fixed random pattern (uniform in [0, 1), stream 0x50524f54): D4 1 / 8 */
    SYM_PROTO_COUNT
} sym_proto_kind;
extern const char *const sym_proto_names[SYM_PROTO_COUNT];
/** out [h w] = the clean prototype @p kind, row by row (h, w >= 4). */
int sym_proto_image(double *out, sym_proto_kind kind, int h, int w);
/**
 * Data of prototypes: each sample draws a prototype of o->proto uniformly, an element of the
 * group o->proto_group uniformly (sym_img_finite_apply), and adds N(0, o->noise^2) per pixel:
 * X [samples x h w]; Y = X (autoencoding) or, with o->proto_classes, one-hot rows [samples x
 * n_protos] of the prototype's place in o->proto.  All draws from @p r, in this order per sample.
 */
int sym_proto_generate(sym_data *out, const sym_data_opts *o, sym_rng *r);

#ifdef __cplusplus
}
#endif
#endif
