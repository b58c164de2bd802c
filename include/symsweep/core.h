/**
 * @file core.h
 * @brief Errors, allocation, arenas, counter-based random streams, SHA-256,
 *        small dense linear algebra, matrix exponential and group samplers.
 *
 * Everything here is rank-agnostic: no MPI, no I/O.  Matrices are row-major
 * `double` arrays; a matrix of shape rows x cols has leading dimension cols
 * unless a function says otherwise.
 */
#ifndef SYMSWEEP_CORE_H
#define SYMSWEEP_CORE_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_CORE)
#error "symsweep/core.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

/** Return codes: 0 is success, negative is failure. */
enum {
    SYM_OK = 0,
    SYM_EINVAL = -1,  /**< invalid argument (a caller's or a user's) */
    SYM_ENOMEM = -2,  /**< allocation failed */
    SYM_EIO = -3,     /**< file system or HDF5 I/O */
    SYM_ENUMERIC = -4,/**< numerical failure (singular matrix, no convergence) */
    SYM_EMPI = -5,    /**< MPI call failed */
    SYM_EJOB = -6,    /**< job file invalid: message is file:line:col: key: ... */
    SYM_EEXIST = -7,  /**< output exists and neither --force nor --resume */
    SYM_EUSAGE = -8,  /**< bad command line */
    SYM_EINTR_ABANDON = -9, /**< stopped by a signal with work still in flight */
    SYM_ECORRUPT = -10 /**< a file's checksum failed: its bytes changed after they were written */
};

/**
 * Record an error: the message becomes the innermost (user-facing) text and
 * the frame list restarts with (file, line).  Returns @p code so it can be
 * used as `rc = sym_err_set(...)`.
 */
int sym_err_set(int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Add a frame (file, line, expression) as an error passes up a level. */
void sym_err_frame(const char *file, int line, const char *what);
/** The innermost error message, "" when none. Borrowed. */
const char *sym_err_message(void);
/** The message followed by one "  at file:line: expr" line per frame. Borrowed. */
const char *sym_err_trace(void);
/** The code passed to the last sym_err_set (0 after sym_err_clear). */
int sym_err_code(void);
void sym_err_clear(void);

/** Fail with a message and jump to `cleanup` (needs `int rc` in scope). */
#define SYM_FAIL(code, ...)                                              \
    do {                                                                 \
        rc = sym_err_set((code), __FILE__, __LINE__, __VA_ARGS__);       \
        goto cleanup;                                                    \
    } while (0)

/** Evaluate a call returning int; on failure add a frame and jump to cleanup. */
#define SYM_TRY(call)                                                    \
    do {                                                                 \
        rc = (call);                                                     \
        if (rc < 0) {                                                    \
            sym_err_frame(__FILE__, __LINE__, #call);                    \
            goto cleanup;                                                \
        }                                                                \
    } while (0)

/** Always-on assertion for programmer errors: prints and aborts. */
#define SYM_ASSERT(cond)                                                 \
    do {                                                                 \
        if (!(cond))                                                     \
            sym_assert_fail(#cond, __FILE__, __LINE__);                  \
    } while (0)
void sym_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

/** Monotonic wall clock in seconds. */
double sym_now(void);
/** CPU time of this process in seconds (benchmarks: a busy neighbour does not count). */
double sym_cpu_now(void);

/* ------------------------------------------------------------------ */
/* Allocation                                                         */
/* ------------------------------------------------------------------ */

/** Allocate @p bytes zeroed into *out (a `T **` cast to `void *`). */
int sym_alloc(void *out, size_t bytes);
/** Allocate @p n doubles, zeroed. */
int sym_alloc_doubles(double **out, size_t n);
/** Allocate @p n doubles, aligned like sym_alloc but NOT zeroed: only for a buffer the caller
 *  overwrites whole before it is read (zeroing a large fresh block costs a page fault and a
 *  store per page on top of the copy that follows). */
int sym_alloc_doubles_raw(double **out, size_t n);
/** Duplicate a string. */
int sym_strdup(char **out, const char *s);

/**
 * A bump allocator: one block sized up front, handed out in 64-byte aligned
 * pieces, released in one call.  Training tasks size it by a workspace query
 * so that the inner loop never allocates.
 */
typedef struct sym_arena {
    char *base;
    size_t size, used;
} sym_arena;

int sym_arena_init(sym_arena *a, size_t bytes);
/** Take @p n doubles (zeroed); SYM_ASSERTs the arena is large enough. */
double *sym_arena_doubles(sym_arena *a, size_t n);
/** Take @p n ints (zeroed). */
int *sym_arena_ints(sym_arena *a, size_t n);
/** Bytes @p n doubles take in an arena, including alignment padding. */
size_t sym_arena_bytes_doubles(size_t n);
void sym_arena_dispose(sym_arena *a);

/* ------------------------------------------------------------------ */
/* Random streams                                                     */
/* ------------------------------------------------------------------ */

/** Philox4x32-10 block function (Salmon et al., SC'11). */
void sym_philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]);

/** Purposes: each draws from its own stream. */
enum {
    SYM_RNG_DATA = 1,    /**< synthetic data, teacher weights */
    SYM_RNG_INIT = 2,    /**< parameter initialization */
    SYM_RNG_SHUFFLE = 3, /**< minibatch order */
    SYM_RNG_PROBE = 4,   /**< probe randomness (group elements, directions): each built-in
                              probe's sub-streams are assigned in src/probe/registry.c */
    SYM_RNG_TEST = 99    /**< tests and benchmarks */
};

/**
 * A counter-based stream: key = 64-bit seed, counter = (block, purpose, sub).
 * Two streams with different (seed, purpose, sub) never share a block, and a
 * stream's output depends on nothing else, so any run can be recomputed alone
 * on any rank.
 */
typedef struct sym_rng {
    uint32_t key[2];
    uint32_t purpose, sub;
    uint64_t block;
    uint32_t buf[4];
    int pos; /* next unused word of buf; 4 = empty */
} sym_rng;

void sym_rng_init(sym_rng *r, uint64_t seed, uint32_t purpose, uint32_t sub);
uint32_t sym_rng_u32(sym_rng *r);
/** Uniform double in the open interval (0, 1), 53 random bits. */
double sym_rng_uniform(sym_rng *r);
/** Standard normal (Box-Muller, both values used in turn is avoided: one per call pair of words). */
double sym_rng_normal(sym_rng *r);
/** Uniform integer in [0, n), unbiased (rejection). */
uint32_t sym_rng_below(sym_rng *r, uint32_t n);

/* ------------------------------------------------------------------ */
/* Statistics                                                         */
/* ------------------------------------------------------------------ */

/** Regularized incomplete beta function I_x(a, b). */
double sym_beta_inc(double a, double b, double x);
/** CDF and quantile of Student's t with df degrees of freedom. */
double sym_student_t_cdf(double t, double df);
double sym_student_t_quantile(double p, double df);
/**
 * Mean, sample standard deviation and the half-width of the two-sided 95%
 * t confidence interval of the mean (std and half NaN for n < 2).
 */
void sym_mean_ci(double *mean, double *std, double *half, const double *x, size_t n);

/* ------------------------------------------------------------------ */
/* SHA-256                                                            */
/* ------------------------------------------------------------------ */

void sym_sha256(uint8_t out[32], const void *data, size_t len);

/** A SHA-256 computed piece by piece (a file read in blocks): init, update..., final. */
typedef struct sym_sha256_ctx {
    uint32_t h[8];
    uint8_t buf[64]; /**< a block not yet full */
    size_t n;        /**< bytes in buf */
    uint64_t len;    /**< bytes so far */
} sym_sha256_ctx;
void sym_sha256_init(sym_sha256_ctx *c);
void sym_sha256_update(sym_sha256_ctx *c, const void *data, size_t len);
/** The digest of everything given to update; the context is spent. */
void sym_sha256_final(sym_sha256_ctx *c, uint8_t out[32]);
/** Lower-case hex digest, NUL-terminated (65 bytes). */
void sym_sha256_hex(char out[65], const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* Dense linear algebra (row-major)                                   */
/* ------------------------------------------------------------------ */

/** C[m x n] = alpha * op(A) * op(B) + beta * C, all row-major, tight ld. */
void sym_gemm(int transa, int transb, int m, int n, int k, double alpha,
              const double *A, const double *B, double beta, double *C);
/** sym_gemm with row strides: A, B, C rows are lda, ldb, ldc doubles apart. */
void sym_gemm_ld(int transa, int transb, int m, int n, int k, double alpha, const double *A,
                 int lda, const double *B, int ldb, double beta, double *C, int ldc);
/**
 * Row stride of a feature-major batch [features x n]: n rounded up to a
 * multiple of 8 doubles, so that an aligned array's rows all start on a
 * cache line.  The columns n..ld-1 are padding that nothing sums over.
 */
int sym_batch_ld(int n);
/** out [cols x rows] = in^T for in [rows x cols]. */
void sym_transpose(double *out, const double *in, int rows, int cols);
/** sym_transpose with row strides ldo (of out) and ldi (of in). */
void sym_transpose_ld(double *out, int ldo, const double *in, int ldi, int rows, int cols);
/**
 * d = scale * (yhat - y) on rows x n entries (row stride ld of all three);
 * returns sum (yhat - y)^2.  (The squared-error residual, vectorized: a hot
 * loop of every training step.)
 */
double sym_kernel_residual(const double *yhat, const double *y, int rows, int n, int ld,
                           double scale, double *d);
/**
 * The linear output layer of a network in one pass over the batch (all
 * matrices feature-major, N columns, row stride ld >= sym_batch_ld(N); dAin's
 * padding columns are written):
 *   Z = op(W) Ain + b,  R = Z - Y,  returns sum R^2;  with D = scale R,
 *   gW += D Ain^T (in the owner's layout), gb += rowsum D, dAin = op(W)^T D.
 * op(W) is W [no x ni], or for a tied layer the transpose of the owner
 * storage [ni x no].  b, gb, dAin may be NULL; gW NULL computes only the sum.
 * Requires no, ni <= SYM_KERNEL_MAX_K.
 * @param tile sym_kernel_output_tile_size(no) doubles.
 */
/** Largest inner dimension (k of op(A) [m x k]) the register-blocked kernels take. */
#define SYM_KERNEL_MAX_K 64
double sym_kernel_output_layer(int no, int ni, int N, int ld, const double *W, int tied,
                               const double *b, const double *Ain, const double *Y, double scale,
                               double *gW, double *gb, double *dAin, double *tile);
size_t sym_kernel_output_tile_size(int no);
/** One Adam update of n parameters (see sym_opt_step), vectorized. */
void sym_kernel_adam(size_t n, double *p, const double *g, double *m, double *v, double b1,
                     double b2, double c1, double c2, double eps);
/**
 * Sums of squares of a polynomial in s with matrix coefficients, at ns values s[j]:
 *   sse[j] += sum over r < rows, i < n of (sum_{k <= deg} s[j]^k R_k[r][i])^2,
 * R_k at R + k kstride with rows ld apart (evaluated by Horner's rule from R_deg).  The
 * residuals of a network whose output is a polynomial along a line of parameters
 * (sym_eval_line); the sums are in a fixed order, whatever ns.
 */
void sym_kernel_poly_sse(int deg, int rows, int n, int ld, const double *R, size_t kstride,
                         const double *s, int ns, double *sse);
/**
 * a[i] = tanh(z[i]) for n values (a may equal z), vectorized (src/core/vmath.c): within 2 ulp of
 * the exact value, and bitwise the same on every CPU and kernel variant.  The activation tanh.
 */
void sym_vtanh(const double *z, double *a, size_t n);
/** sym_vtanh of one value (the same bits). */
double sym_tanh(double x);
/** out[i] = x[i] y[i], vectorized: bitwise the scalar loop's values on every variant (out may alias). */
void sym_vmul(const double *x, const double *y, double *out, size_t n);
/** out[i] = a[i] b[i] + c[i] d[i], the two products rounded, then the sum: no multiply-add fused
 * (out may be one of the inputs). */
void sym_vmuladd(const double *a, const double *b, const double *c, const double *d, double *out,
                 size_t n);
/** a[i] = z[i] > 0 ? z[i] : 0 (ReLU), vectorized, bitwise the scalar formula (a may equal z). */
void sym_vrelu(const double *z, double *a, size_t n);
/** a[i] = z[i] > 0 ? z[i] : slope z[i] (leaky ReLU), the same. */
void sym_vleaky_relu(const double *z, double slope, double *a, size_t n);
/** sym_vdact's kinds: the derivative from the activation's value a or its input z */
enum { SYM_VACT_TANH, SYM_VACT_SIGMOID, SYM_VACT_STEP };
/**
 * Activation derivatives, vectorized and bitwise the scalar formulas on every variant:
 * SYM_VACT_TANH d = 1 - a a; SYM_VACT_SIGMOID d = a (1 - a); SYM_VACT_STEP d = z > 0 ? 1 : slope
 * (ReLU: slope 0, leaky ReLU: its slope).
 */
void sym_vdact(int kind, double slope, const double *z, const double *a, double *d, size_t n);
/** Kernel variant this process uses: "avx512", "avx2+fma" or "baseline". */
const char *sym_kernel_variant(void);
/**
 * The BLAS in use: "<OpenBLAS config>; core <core>; kernels <variant>" (its
 * build, the core type it selected at run time, and symsweep's own kernels);
 * with MKL its version string, with any other BLAS the libraries it was built with.
 */
const char *sym_blas_description(void);
/** One BLAS thread per process (OpenBLAS, MKL; another BLAS keeps its own setting). */
void sym_blas_single_thread(void);
/**
 * A warning when OpenBLAS runs generic kernels on a CPU that has AVX2 or
 * AVX-512 (every BLAS call then runs at about half speed), else NULL.
 */
const char *sym_blas_warning(void);
/** The same for a given OpenBLAS core name and CPU features (testable anywhere). */
const char *sym_blas_warning_for(const char *core, int avx2, int avx512);
/** Identity n x n into out. */
void sym_eye(double *out, int n);
/** A [n x n] <- (A + A^T) / 2 in place. */
void sym_symmetrize(double *A, int n);

/** y = A x for a symmetric operator known only by its products (0 or < 0 with the error set). */
typedef int (*sym_linop_fn)(void *ctx, double *y, const double *x);
/**
 * Up to @p m Lanczos steps on @p op (size n) from @p q0 (any nonzero vector),
 * with full reorthogonalization: alpha[0..steps-1] the diagonal of the
 * tridiagonal T, beta[k] the norm of the residual after step k (beta[0..steps-2]
 * its off-diagonal; beta[steps-1] bounds the Ritz residuals), Q [m x n] the
 * orthonormal Lanczos vectors.  Stops early (*steps < m) on an invariant
 * subspace (beta below 1e-9 times the largest |alpha| or beta so far), where
 * T's eigenvalues are A's to within beta.  Costs m products and O(m^2 n).
 */
int sym_lanczos(int *steps, double *alpha, double *beta, double *Q, sym_linop_fn op, void *ctx,
                size_t n, int m, const double *q0);
/**
 * Ritz values of the k-step tridiagonal (ascending, into theta[k]); first2[i]
 * the squared first component of eigenvector i (the Gauss quadrature weights of
 * SLQ, summing to 1), resid[i] = |beta[k-1] s_{k,i}| = ||A y_i - theta_i y_i||
 * for the Ritz vector y_i (exact arithmetic); vectors [k x k] row i: the
 * coefficients of y_i on the Lanczos vectors (y_i = sum_j vectors[i k + j] Q_j).
 * first2, resid and vectors may be NULL.
 */
int sym_lanczos_ritz(double *theta, double *first2, double *resid, double *vectors,
                     const double *alpha, const double *beta, int k);
/** Frobenius norm of n entries. */
double sym_norm2(const double *x, size_t n);
/** max |a_i - b_i| / max(max |b_i|, tiny) */
double sym_max_rel_diff(const double *a, const double *b, size_t n);

/**
 * Inverse of an n x n matrix by LU (LAPACK dgesv).
 * @param work n*n doubles; @param ipiv n ints.
 * @return SYM_ENUMERIC if singular.
 */
int sym_mat_inverse(double *out, const double *A, int n, double *work, int *ipiv);

/**
 * Singular values (descending) of an m x n matrix, and optionally U [m x k],
 * Vt [k x n] with k = min(m, n) (thin SVD, LAPACK dgesvd).
 * @param work at least sym_svd_work_size(m, n) doubles; A is not modified.
 */
int sym_svd(double *s, double *U, double *Vt, const double *A, int m, int n, double *work);

/**
 * The linear assignment problem: @p perm (n entries) the permutation that maximizes
 * sum_i C[i * n + perm[i]] (Hungarian method, O(n^3)); @p total (or NULL) that sum.
 * Every entry of @p C must be finite.
 */
int sym_assign_max(int *perm, double *total, const double *C, int n);
size_t sym_svd_work_size(int m, int n);

/**
 * Eigenvalues (ascending) and optionally eigenvectors (columns of V, row-major
 * n x n) of a symmetric matrix, LAPACK dsyev.
 */
int sym_syev(double *w, double *V, const double *A, int n, double *work);
size_t sym_syev_work_size(int n);

/* ------------------------------------------------------------------ */
/* Matrix exponential                                                 */
/* ------------------------------------------------------------------ */

/** Doubles of workspace sym_expm needs for an n x n matrix. */
size_t sym_expm_work_size(int n);
/**
 * out = exp(A) for an n x n matrix: scaling and squaring with the degree-13
 * Pade approximant (Higham 2005), backward error ~ unit roundoff.
 * @param work sym_expm_work_size(n) doubles; @param ipiv n ints.
 */
int sym_expm(double *out, const double *A, int n, double *work, int *ipiv);
/**
 * out = exp(A) and inv = exp(-A), each bitwise what sym_expm gives for A and -A, at little
 * more than the cost of one: the approximants of A and -A share every product.
 * @param work sym_expm_work_size(n) doubles; @param ipiv n ints.
 */
int sym_expm_pair(double *out, double *inv, const double *A, int n, double *work, int *ipiv);

/* ------------------------------------------------------------------ */
/* Group element samplers                                             */
/* ------------------------------------------------------------------ */

typedef enum sym_group {
    SYM_GROUP_GENERAL = 0,         /**< GL(n), condition number <= cond_max */
    SYM_GROUP_ORTHOGONAL,          /**< O(n), Haar */
    SYM_GROUP_POSITIVE_DIAGONAL,   /**< D+ */
    SYM_GROUP_PERMUTATION,         /**< S_n */
    SYM_GROUP_SIGNED_PERMUTATION,  /**< B_n = Z_2^n x| S_n */
    SYM_GROUP_POSITIVE_MONOMIAL,   /**< D+ x| S_n */
    SYM_GROUP_NEGATIVE_SCALING,    /**< diag(-a_i), a_i > 0 */
    SYM_GROUP_COUNT
} sym_group;

/** Name used in job files and HDF5 ("general", "orthogonal", ...). */
const char *sym_group_name(sym_group g);
/** The job-file names of group families. */
extern const char *const sym_group_names[SYM_GROUP_COUNT];

/** log10 of the order of the family's group on n coordinates: log10 n! (permutation),
 * log10 (2^n n!) (signed_permutation); inf for the Lie groups (the other families). */
double sym_group_log10_order(sym_group g, int n);
/** Parse a name; returns -1 if unknown. */
int sym_group_from_name(const char *name);

typedef struct sym_group_opts {
    double cond_max;   /**< GENERAL: bound on the 2-norm condition number (> 1) */
    double log_scale;  /**< diagonal magnitudes are exp(U(-log_scale, log_scale)) */
} sym_group_opts;
#define SYM_GROUP_OPTS_INIT { 10.0, 1.0 }

/** Doubles of workspace sym_group_sample needs for size n. */
size_t sym_group_work_size(int n);
/**
 * Draw one element K [n x n] of the family @p g from stream @p r.
 * @param work sym_group_work_size(n) doubles.
 */
int sym_group_sample(double *K, sym_group g, int n, const sym_group_opts *o,
                     sym_rng *r, double *work);

#ifdef __cplusplus
}
#endif
#endif
