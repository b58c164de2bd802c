/*
 * Products with one long contiguous dimension and tiny others: the shapes a
 * training step of a small network is made of once activations are stored
 * feature-major ([units x batch]).  OpenBLAS spends most of its time packing
 * for these; plain loops over the long dimension vectorize fully.
 *
 * Variants for AVX-512, AVX2+FMA and baseline x86-64 are selected once per
 * process from the CPU's features (the way OpenBLAS picks its kernels), so
 * results are bitwise reproducible on a given CPU type.
 */
#include "kernels_impl.h"

#include <stdlib.h>
#include <string.h>

/* one body, compiled three times: baseline x86-64, AVX2+FMA, AVX-512 */
/*
 * Register-blocked pieces.  They are always inlined with constant R (and RB),
 * so every loop over them unrolls, and they take the instruction set of the
 * variant they are inlined into.
 */
#define INL static inline __attribute__((always_inline))

/* rows p..p+R-1 of C[m x N] = beta C + alpha op(A) B, 16 columns per step:
 * each load of B feeds R FMAs and each output is stored once */
INL void axpy_rows(const int R, int transa, int m, int N, int k, double alpha, const double *A,
                   const double *B, double beta, double *C, int p)
{
    double a[4][64];
    int s0 = 0;

    for (int r = 0; r < R; r++)
        for (int q = 0; q < k; q++)
            a[r][q] = alpha * (transa ? A[(size_t)q * m + p + r] : A[(size_t)(p + r) * k + q]);
    for (; s0 + 16 <= N; s0 += 16) {
        double x[4][16];

        for (int r = 0; r < R; r++) {
            const double *c = C + (size_t)(p + r) * N + s0;
#pragma omp simd
            for (int s = 0; s < 16; s++)
                x[r][s] = beta == 0.0 ? 0.0 : beta * c[s];
        }
        for (int q = 0; q < k; q++) {
            const double *restrict b = B + (size_t)q * N + s0;

            for (int r = 0; r < R; r++) {
                const double e = a[r][q];
#pragma omp simd
                for (int s = 0; s < 16; s++)
                    x[r][s] += e * b[s];
            }
        }
        for (int r = 0; r < R; r++) {
            double *c = C + (size_t)(p + r) * N + s0;
#pragma omp simd
            for (int s = 0; s < 16; s++)
                c[s] = x[r][s];
        }
    }
    for (int s = s0; s < N; s++)
        for (int r = 0; r < R; r++) {
            double *c = C + (size_t)(p + r) * N + s;
            double acc = beta == 0.0 ? 0.0 : beta * *c;

            for (int q = 0; q < k; q++)
                acc += a[r][q] * B[(size_t)q * N + s];
            *c = acc;
        }
}

/* C[i..i+RA-1, j..j+RB-1] of C[m x n] = beta C + alpha A[m x K] B[n x K]^T:
 * RA x RB independent accumulator vectors of 8 lanes */
INL void dot_block(const int RA, const int RB, int n, int K, double alpha, const double *A,
                   const double *B, double beta, double *C, int i, int j)
{
    double acc[3][4][8];
    int t0 = 0;

    for (int x = 0; x < RA; x++)
        for (int y = 0; y < RB; y++)
            for (int l = 0; l < 8; l++)
                acc[x][y][l] = 0.0;
    for (; t0 + 8 <= K; t0 += 8)
        for (int x = 0; x < RA; x++) {
            const double *restrict a = A + (size_t)(i + x) * K + t0;

            for (int y = 0; y < RB; y++) {
                const double *restrict b = B + (size_t)(j + y) * K + t0;
#pragma omp simd
                for (int l = 0; l < 8; l++)
                    acc[x][y][l] += a[l] * b[l];
            }
        }
    for (int x = 0; x < RA; x++)
        for (int y = 0; y < RB; y++) {
            double s = 0.0;
            double *c = C + (size_t)(i + x) * n + j + y;

            for (int l = 0; l < 8; l++)
                s += acc[x][y][l];
            for (int t = t0; t < K; t++)
                s += A[(size_t)(i + x) * K + t] * B[(size_t)(j + y) * K + t];
            *c = beta == 0.0 ? alpha * s : beta * *c + alpha * s;
        }
}

#define AXPY_FORM_BODY                                                                        \
    int p = 0;                                                                                \
    for (; p + 4 <= m; p += 4)                                                                \
        axpy_rows(4, transa, m, N, k, alpha, A, B, beta, C, p);                               \
    switch (m - p) {                                                                          \
    case 3: axpy_rows(3, transa, m, N, k, alpha, A, B, beta, C, p); break;                    \
    case 2: axpy_rows(2, transa, m, N, k, alpha, A, B, beta, C, p); break;                    \
    case 1: axpy_rows(1, transa, m, N, k, alpha, A, B, beta, C, p); break;                    \
    }

/* blocks of 3 rows of A x 4 rows of B (12 accumulators), then the edges */
#define DOT_ROWS(RA, i)                                                                       \
    {                                                                                         \
        int j = 0;                                                                            \
        for (; j + 4 <= n; j += 4)                                                            \
            dot_block(RA, 4, n, K, alpha, A, B, beta, C, i, j);                               \
        switch (n - j) {                                                                      \
        case 3: dot_block(RA, 3, n, K, alpha, A, B, beta, C, i, j); break;                    \
        case 2: dot_block(RA, 2, n, K, alpha, A, B, beta, C, i, j); break;                    \
        case 1: dot_block(RA, 1, n, K, alpha, A, B, beta, C, i, j); break;                    \
        }                                                                                     \
    }

#define DOT_FORM_BODY                                                                         \
    int i = 0;                                                                                \
    for (; i + 3 <= m; i += 3)                                                                \
        DOT_ROWS(3, i)                                                                        \
    switch (m - i) {                                                                          \
    case 2: DOT_ROWS(2, i) break;                                                             \
    case 1: DOT_ROWS(1, i) break;                                                             \
    }

#define RESID_BODY                                                                            \
    /* 32 partial sums: independent FMA chains instead of one long one */      \
    double part[32] = {0}, sse = 0.0;                                                         \
    size_t i0 = 0;                                                                            \
    for (; i0 + 32 <= n; i0 += 32) {                                                          \
        _Pragma("omp simd") for (int t = 0; t < 32; t++) {                                    \
            double r = yhat[i0 + t] - y[i0 + t];                                              \
            part[t] += r * r;                                                                 \
            d[i0 + t] = scale * r;                                                            \
        }                                                                                     \
    }                                                                                         \
    for (size_t i = i0; i < n; i++) {                                                         \
        double r = yhat[i] - y[i];                                                            \
        sse += r * r;                                                                         \
        d[i] = scale * r;                                                                     \
    }                                                                                         \
    for (int t = 0; t < 32; t++)                                                              \
        sse += part[t];                                                                       \
    return sse;

#define AXPY_ARGS                                                                             \
    int transa, int m, int N, int k, double alpha, const double *A, const double *B,          \
        double beta, double *C
#define DOT_ARGS                                                                              \
    int m, int n, int K, double alpha, const double *A, const double *B, double beta,         \
        double *C

#define RESID_ARGS const double *yhat, const double *y, size_t n, double scale, double *d

static void axpy_base(AXPY_ARGS) { AXPY_FORM_BODY }
static void dot_base(DOT_ARGS) { DOT_FORM_BODY }
static double resid_base(RESID_ARGS) { RESID_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void axpy_avx2(AXPY_ARGS) { AXPY_FORM_BODY }
__attribute__((target("avx2,fma"))) static void dot_avx2(DOT_ARGS) { DOT_FORM_BODY }
__attribute__((target("avx2,fma"))) static double resid_avx2(RESID_ARGS) { RESID_BODY }
__attribute__((target("avx512f,avx2,fma"))) static void axpy_avx512(AXPY_ARGS) { AXPY_FORM_BODY }
__attribute__((target("avx512f,avx2,fma"))) static void dot_avx512(DOT_ARGS) { DOT_FORM_BODY }
__attribute__((target("avx512f,avx2,fma"))) static double resid_avx512(RESID_ARGS) { RESID_BODY }
#endif

typedef void (*axpy_fn)(AXPY_ARGS);
typedef void (*dot_fn)(DOT_ARGS);
typedef double (*resid_fn)(RESID_ARGS);
static axpy_fn axpy_impl;
static dot_fn dot_impl;
static resid_fn resid_impl;

/* chosen once per process from the CPU's features; every call of a process
 * (hence every run it computes) uses the same variant */
static void choose(void)
{
    axpy_impl = axpy_base;
    dot_impl = dot_base;
    resid_impl = resid_base;
#if defined(__x86_64__)
    /* SYMSWEEP_KERNELS=baseline|avx2 caps the variant, for example so that a
     * heterogeneous cluster computes bitwise-identical runs everywhere */
    const char *cap = getenv("SYMSWEEP_KERNELS");

    __builtin_cpu_init();
    if (cap && strcmp(cap, "baseline") == 0)
        return;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        axpy_impl = axpy_avx2;
        dot_impl = dot_avx2;
        resid_impl = resid_avx2;
    }
    if (cap && strcmp(cap, "avx2") == 0)
        return;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) {
        axpy_impl = axpy_avx512;
        dot_impl = dot_avx512;
        resid_impl = resid_avx512;
    }
#endif
}

const char *sym_kernel_variant(void)
{
    if (!axpy_impl)
        choose();
#if defined(__x86_64__)
    if (axpy_impl == axpy_avx512)
        return "avx512";
    if (axpy_impl == axpy_avx2)
        return "avx2+fma";
#endif
    return "baseline";
}

void sym_kernel_axpy_form(AXPY_ARGS)
{
    if (!axpy_impl)
        choose();
    axpy_impl(transa, m, N, k, alpha, A, B, beta, C);
}

void sym_kernel_dot_form(DOT_ARGS)
{
    if (!dot_impl)
        choose();
    dot_impl(m, n, K, alpha, A, B, beta, C);
}

double sym_kernel_residual(const double *yhat, const double *y, size_t n, double scale, double *d)
{
    if (!resid_impl)
        choose();
    return resid_impl(yhat, y, n, scale, d);
}
