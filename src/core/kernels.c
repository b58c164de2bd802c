/*
 * Products with one long contiguous dimension and tiny others: the shapes a
 * training step of a small network is made of once activations are stored
 * feature-major ([units x batch]).  OpenBLAS spends most of its time packing
 * for these; register-blocked loops over the long dimension do not.
 *
 * Each kernel is written once as an always-inlined body and compiled three
 * times (baseline x86-64, AVX2+FMA, AVX-512) by thin wrappers; one variant is
 * chosen per process from the CPU's features (the way OpenBLAS picks its
 * kernels), so results are bitwise reproducible on a given CPU type.
 * SYMSWEEP_KERNELS=baseline|avx2 caps the choice.
 */
#include "kernels_impl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <cblas.h>

#define INL static inline __attribute__((always_inline))

/* ---- bodies ---- */

/* 8 doubles as one value: AVX-512 holds it in one register, AVX2 in two,
 * SSE2 in four; unaligned loads and stores go through memcpy */
typedef double v8d __attribute__((vector_size(64)));
/* v8d never crosses a call boundary (every helper using it is always
 * inlined), so the ABI note GCC gives for it does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"

INL v8d ld8(const double *p)
{
    v8d v;

    memcpy(&v, p, sizeof(v));
    return v;
}

INL void st8(double *p, v8d v) { memcpy(p, &v, sizeof(v)); }

/* Keep a loaded vector in its register: without this GCC treats a vector loaded from memory
 * the loop never writes as equivalent to that memory and reloads it into every FMA that uses
 * it (a memory operand per FMA: the loops then wait on loads, not on arithmetic).  Only where
 * one v8d is one register (PIN: the AVX-512 variant); the arithmetic is unchanged. */
#define KEEP(PIN, v)                                                                          \
    do {                                                                                      \
        if (PIN)                                                                              \
            __asm__("" : "+v"(v));                                                            \
    } while (0)


/* One block of 8 V columns (V = 1 or 2) at column s0 of rows p..p+R-1 of
 * C = beta C + alpha op(A) B (+ bias); with Y, C - Y is squared into q0..q3
 * (one chain per row) and scale (C - Y) is stored.  a: alpha op(A)'s rows. */
INL void axpy_step(const int PIN, const int R, const int V, int k, const double (*a)[SYM_KERNEL_MAX_K],
                   const double *B, int ldb, double beta, double *C, int ldc, int p, int s0,
                   const double *bias, const double *Y, int ldy, double scale, v8d *q0,
                   v8d *q1, v8d *q2, v8d *q3)
{
    v8d x0 = {0}, x1 = {0}, x2 = {0}, x3 = {0}, x4 = {0}, x5 = {0}, x6 = {0}, x7 = {0};
    double *c0 = C + (size_t)p * ldc + s0, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;

    if (beta != 0.0) {
        x0 = beta * ld8(c0); if (V > 1) x1 = beta * ld8(c0 + 8);
        if (R > 1) { x2 = beta * ld8(c1); if (V > 1) x3 = beta * ld8(c1 + 8); }
        if (R > 2) { x4 = beta * ld8(c2); if (V > 1) x5 = beta * ld8(c2 + 8); }
        if (R > 3) { x6 = beta * ld8(c3); if (V > 1) x7 = beta * ld8(c3 + 8); }
    }
    for (int q = 0; q < k; q++) {
        const double *b = B + (size_t)q * ldb + s0;
        v8d b0 = ld8(b), b1 = {0};

        if (V > 1) b1 = ld8(b + 8);
        KEEP(PIN, b0);
        if (V > 1) KEEP(PIN, b1);
        x0 += a[0][q] * b0; if (V > 1) x1 += a[0][q] * b1;
        if (R > 1) { x2 += a[1][q] * b0; if (V > 1) x3 += a[1][q] * b1; }
        if (R > 2) { x4 += a[2][q] * b0; if (V > 1) x5 += a[2][q] * b1; }
        if (R > 3) { x6 += a[3][q] * b0; if (V > 1) x7 += a[3][q] * b1; }
    }
    if (bias) {
        x0 += bias[p]; if (V > 1) x1 += bias[p];
        if (R > 1) { x2 += bias[p + 1]; if (V > 1) x3 += bias[p + 1]; }
        if (R > 2) { x4 += bias[p + 2]; if (V > 1) x5 += bias[p + 2]; }
        if (R > 3) { x6 += bias[p + 3]; if (V > 1) x7 += bias[p + 3]; }
    }
    if (Y) { /* C = scale (C - Y), and its sum of squares */
        const double *y0 = Y + (size_t)p * ldy + s0, *y1 = y0 + ldy, *y2 = y1 + ldy,
                     *y3 = y2 + ldy;

        x0 -= ld8(y0); *q0 += x0 * x0; x0 *= scale;
        if (V > 1) { x1 -= ld8(y0 + 8); *q0 += x1 * x1; x1 *= scale; }
        if (R > 1) {
            x2 -= ld8(y1); *q1 += x2 * x2; x2 *= scale;
            if (V > 1) { x3 -= ld8(y1 + 8); *q1 += x3 * x3; x3 *= scale; }
        }
        if (R > 2) {
            x4 -= ld8(y2); *q2 += x4 * x4; x4 *= scale;
            if (V > 1) { x5 -= ld8(y2 + 8); *q2 += x5 * x5; x5 *= scale; }
        }
        if (R > 3) {
            x6 -= ld8(y3); *q3 += x6 * x6; x6 *= scale;
            if (V > 1) { x7 -= ld8(y3 + 8); *q3 += x7 * x7; x7 *= scale; }
        }
    }
    st8(c0, x0); if (V > 1) st8(c0 + 8, x1);
    if (R > 1) { st8(c1, x2); if (V > 1) st8(c1 + 8, x3); }
    if (R > 2) { st8(c2, x4); if (V > 1) st8(c2 + 8, x5); }
    if (R > 3) { st8(c3, x6); if (V > 1) st8(c3 + 8, x7); }
}

/* axpy_step for R <= 3 rows and 32 columns, without bias or Y: 4R independent accumulators.  The
 * rows of a layer's 3 inputs (Ex3's first layer and its gradient passed down) give 6 chains
 * at 16 columns, too few to hide the FMA latency over the k terms of each sum; each entry's
 * arithmetic is the same as at 16 columns. */
INL void axpy_wide(const int PIN, const int R, int k, const double (*a)[SYM_KERNEL_MAX_K],
                   const double *B, int ldb, double beta, double *C, int ldc, int p, int s0)
{
    v8d x00 = {0}, x01 = {0}, x02 = {0}, x03 = {0}, x10 = {0}, x11 = {0}, x12 = {0}, x13 = {0};
    v8d x20 = {0}, x21 = {0}, x22 = {0}, x23 = {0};
    double *c0 = C + (size_t)p * ldc + s0, *c1 = c0 + ldc, *c2 = c1 + ldc;

    if (beta != 0.0) {
        x00 = beta * ld8(c0); x01 = beta * ld8(c0 + 8);
        x02 = beta * ld8(c0 + 16); x03 = beta * ld8(c0 + 24);
        if (R > 1) {
            x10 = beta * ld8(c1); x11 = beta * ld8(c1 + 8);
            x12 = beta * ld8(c1 + 16); x13 = beta * ld8(c1 + 24);
        }
        if (R > 2) {
            x20 = beta * ld8(c2); x21 = beta * ld8(c2 + 8);
            x22 = beta * ld8(c2 + 16); x23 = beta * ld8(c2 + 24);
        }
    }
    for (int q = 0; q < k; q++) {
        const double *b = B + (size_t)q * ldb + s0;
        v8d b0 = ld8(b), b1 = ld8(b + 8), b2 = ld8(b + 16), b3 = ld8(b + 24);

        KEEP(PIN, b0); KEEP(PIN, b1); KEEP(PIN, b2); KEEP(PIN, b3);
        x00 += a[0][q] * b0; x01 += a[0][q] * b1; x02 += a[0][q] * b2; x03 += a[0][q] * b3;
        if (R > 1) {
            x10 += a[1][q] * b0; x11 += a[1][q] * b1; x12 += a[1][q] * b2; x13 += a[1][q] * b3;
        }
        if (R > 2) {
            x20 += a[2][q] * b0; x21 += a[2][q] * b1; x22 += a[2][q] * b2; x23 += a[2][q] * b3;
        }
    }
    st8(c0, x00); st8(c0 + 8, x01); st8(c0 + 16, x02); st8(c0 + 24, x03);
    if (R > 1) { st8(c1, x10); st8(c1 + 8, x11); st8(c1 + 16, x12); st8(c1 + 24, x13); }
    if (R > 2) { st8(c2, x20); st8(c2 + 8, x21); st8(c2 + 16, x22); st8(c2 + 24, x23); }
}

/* rows p..p+R-1 of C = beta C + alpha op(A) B, op(A) [m x k] (A[q*m+p] if
 * transa), B [k x N] with row stride ldb, C row stride ldc.  16 columns per
 * step in 2R vector registers (each load of B feeds R FMAs, each output is
 * stored once; 32 columns in 4R for up to 3 rows with AVX-512), then 8, then one at a time. */
INL double axpy_rows(const int PIN, const int R, int transa, int m, int N, int k, double alpha,
                     const double *A, const double *B, int ldb, double beta, double *C, int ldc,
                     int p, const double *bias, const double *Y, int ldy, double scale)
{
    double a[4][SYM_KERNEL_MAX_K], sse = 0.0;
    v8d q0 = {0}, q1 = {0}, q2 = {0}, q3 = {0}; /* one sum-of-squares chain per row */
    int s0 = 0;

    for (int r = 0; r < R; r++)
        for (int q = 0; q < k; q++)
            a[r][q] = alpha * (transa ? A[(size_t)q * m + p + r] : A[(size_t)(p + r) * k + q]);
    /* AVX-512 has the registers for 32 columns of up to 3 rows (R < 4 ? R : 3 keeps the R = 4
     * instantiation, which never enters this loop, from naming a 4-row axpy_wide) */
    for (; PIN && R <= 3 && !Y && !bias && s0 + 32 <= N; s0 += 32)
        axpy_wide(PIN, R < 4 ? R : 3, k, (const double (*)[SYM_KERNEL_MAX_K])a, B, ldb, beta, C,
                  ldc, p, s0);
    for (; s0 + 16 <= N; s0 += 16)
        axpy_step(PIN, R, 2, k, (const double (*)[SYM_KERNEL_MAX_K])a, B, ldb, beta, C, ldc, p, s0,
                  bias, Y, ldy, scale, &q0, &q1, &q2, &q3);
    if (s0 + 8 <= N) {
        axpy_step(PIN, R, 1, k, (const double (*)[SYM_KERNEL_MAX_K])a, B, ldb, beta, C, ldc, p, s0,
                  bias, Y, ldy, scale, &q0, &q1, &q2, &q3);
        s0 += 8;
    }
    if (Y) {
        q0 += q1 + q2 + q3;
        for (int l = 0; l < 8; l++)
            sse += q0[l];
    }
    for (int s = s0; s < N; s++)
        for (int r = 0; r < R; r++) {
            double *c = C + (size_t)(p + r) * ldc + s;
            double acc = beta == 0.0 ? 0.0 : beta * *c;

            for (int q = 0; q < k; q++)
                acc += a[r][q] * B[(size_t)q * ldb + s];
            if (bias)
                acc += bias[p + r];
            if (Y) {
                acc -= Y[(size_t)(p + r) * ldy + s];
                sse += acc * acc;
                acc *= scale;
            }
            *c = acc;
        }
    return sse;
}

/* C = beta C + alpha op(A) B (+ bias per row); with Y, C is then replaced by
 * scale (C - Y) and the sum of squares of C - Y is returned */
INL double axpy_body(const int PIN, int transa, int m, int N, int k, double alpha, const double *A,
                     const double *B, int ldb, double beta, double *C, int ldc,
                     const double *bias, const double *Y, int ldy, double scale)
{
    double sse = 0.0;
    int p = 0;

    SYM_ASSERT(k <= SYM_KERNEL_MAX_K); /* axpy_rows keeps a row of op(A) on the stack */

#define ROWS(R) axpy_rows(PIN, R, transa, m, N, k, alpha, A, B, ldb, beta, C, ldc, p, bias, Y, ldy, scale)
    for (; p + 4 <= m; p += 4)
        sse += ROWS(4);
    switch (m - p) {
    case 3: sse += ROWS(3); break;
    case 2: sse += ROWS(2); break;
    case 1: sse += ROWS(1); break;
    }
#undef ROWS
    return sse;
}

/* C[i..i+RA-1, j..j+RB-1] (row stride n) = beta C + alpha A B^T over K, with
 * A, B row strides lda, ldb: RA x RB (<= 3 x 4) accumulators held in named
 * vector registers (an array of them would live on the stack) */
INL void dot_block(const int PIN, const int RA, const int RB, int n, int K, double alpha, const double *A,
                   int lda, const double *B, int ldb, double beta, double *C, int i, int j)
{
    v8d c00 = {0}, c01 = {0}, c02 = {0}, c03 = {0}, c10 = {0}, c11 = {0}, c12 = {0}, c13 = {0};
    v8d c20 = {0}, c21 = {0}, c22 = {0}, c23 = {0};
    const double *a0 = A + (size_t)i * lda, *a1 = a0 + lda, *a2 = a1 + lda;
    const double *b0 = B + (size_t)j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    double sums[3][4];
    int t0 = 0;

    for (; t0 + 8 <= K; t0 += 8) {
        v8d y0 = ld8(b0 + t0), y1 = {0}, y2 = {0}, y3 = {0}, x;

        if (RB > 1) y1 = ld8(b1 + t0);
        if (RB > 2) y2 = ld8(b2 + t0);
        if (RB > 3) y3 = ld8(b3 + t0);
        KEEP(PIN, y0);
        if (RB > 1) KEEP(PIN, y1);
        if (RB > 2) KEEP(PIN, y2);
        if (RB > 3) KEEP(PIN, y3);
        x = ld8(a0 + t0);
        KEEP(PIN, x);
        c00 += x * y0;
        if (RB > 1) c01 += x * y1;
        if (RB > 2) c02 += x * y2;
        if (RB > 3) c03 += x * y3;
        if (RA > 1) {
            x = ld8(a1 + t0);
            KEEP(PIN, x);
            c10 += x * y0;
            if (RB > 1) c11 += x * y1;
            if (RB > 2) c12 += x * y2;
            if (RB > 3) c13 += x * y3;
        }
        if (RA > 2) {
            x = ld8(a2 + t0);
            KEEP(PIN, x);
            c20 += x * y0;
            if (RB > 1) c21 += x * y1;
            if (RB > 2) c22 += x * y2;
            if (RB > 3) c23 += x * y3;
        }
    }
#define HSUM(v) ((v)[0] + (v)[1] + (v)[2] + (v)[3] + (v)[4] + (v)[5] + (v)[6] + (v)[7])
    sums[0][0] = HSUM(c00); sums[0][1] = HSUM(c01); sums[0][2] = HSUM(c02); sums[0][3] = HSUM(c03);
    sums[1][0] = HSUM(c10); sums[1][1] = HSUM(c11); sums[1][2] = HSUM(c12); sums[1][3] = HSUM(c13);
    sums[2][0] = HSUM(c20); sums[2][1] = HSUM(c21); sums[2][2] = HSUM(c22); sums[2][3] = HSUM(c23);
#undef HSUM
    for (int x = 0; x < RA; x++)
        for (int y = 0; y < RB; y++) {
            double s = sums[x][y];
            double *c = C + (size_t)(i + x) * n + j + y;

            for (int t = t0; t < K; t++)
                s += A[(size_t)(i + x) * lda + t] * B[(size_t)(j + y) * ldb + t];
            *c = beta == 0.0 ? alpha * s : beta * *c + alpha * s;
        }
}

INL void dot_rows(const int PIN, const int RA, int n, int K, double alpha, const double *A, int lda,
                  const double *B, int ldb, double beta, double *C, int i)
{
    int j = 0;

    for (; j + 4 <= n; j += 4)
        dot_block(PIN, RA, 4, n, K, alpha, A, lda, B, ldb, beta, C, i, j);
    switch (n - j) {
    case 3: dot_block(PIN, RA, 3, n, K, alpha, A, lda, B, ldb, beta, C, i, j); break;
    case 2: dot_block(PIN, RA, 2, n, K, alpha, A, lda, B, ldb, beta, C, i, j); break;
    case 1: dot_block(PIN, RA, 1, n, K, alpha, A, lda, B, ldb, beta, C, i, j); break;
    }
}

/* C[m x n] = beta C + alpha A[m x K] B[n x K]^T: 3 x 4 blocks, then the edges */
INL void dot_body(const int PIN, int m, int n, int K, double alpha, const double *A, int lda, const double *B,
                  int ldb, double beta, double *C)
{
    int i = 0;

    for (; i + 3 <= m; i += 3)
        dot_rows(PIN, 3, n, K, alpha, A, lda, B, ldb, beta, C, i);
    switch (m - i) {
    case 2: dot_rows(PIN, 2, n, K, alpha, A, lda, B, ldb, beta, C, i); break;
    case 1: dot_rows(PIN, 1, n, K, alpha, A, lda, B, ldb, beta, C, i); break;
    }
}

/* d = scale (yhat - y) for rows of length N (strides ldh, ldy, ldd); returns
 * the sum of squares, accumulated in four vector registers (independent
 * FMA chains) */
INL double resid_rows(int rows, int N, const double *yhat, int ldh, const double *y, int ldy,
                      double scale, double *d, int ldd)
{
    v8d s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    double sse = 0.0;

    for (int r = 0; r < rows; r++) {
        const double *h = yhat + (size_t)r * ldh, *t = y + (size_t)r * ldy;
        double *o = d + (size_t)r * ldd;
        int i0 = 0;

        for (; i0 + 32 <= N; i0 += 32) {
            v8d e0 = ld8(h + i0) - ld8(t + i0), e1 = ld8(h + i0 + 8) - ld8(t + i0 + 8);
            v8d e2 = ld8(h + i0 + 16) - ld8(t + i0 + 16), e3 = ld8(h + i0 + 24) - ld8(t + i0 + 24);

            s0 += e0 * e0;
            s1 += e1 * e1;
            s2 += e2 * e2;
            s3 += e3 * e3;
            st8(o + i0, scale * e0);
            st8(o + i0 + 8, scale * e1);
            st8(o + i0 + 16, scale * e2);
            st8(o + i0 + 24, scale * e3);
        }
        for (; i0 + 8 <= N; i0 += 8) {
            v8d e0 = ld8(h + i0) - ld8(t + i0);

            s0 += e0 * e0;
            st8(o + i0, scale * e0);
        }
        for (int i = i0; i < N; i++) {
            double e = h[i] - t[i];

            sse += e * e;
            o[i] = scale * e;
        }
    }
    s0 += s1 + s2 + s3;
    for (int l = 0; l < 8; l++)
        sse += s0[l];
    return sse;
}

#define TILE 256

/*
 * The linear output layer, forward, loss and backward in one pass over the
 * batch, a tile of 256 columns at a time so that each tile stays in L1/L2:
 *   Z = op(W) Ain + b;  R = Z - Y;  sse = sum R^2;  D = scale R
 *   gW += D Ain^T (owner layout);  gb += rowsum D;  dAin = op(W)^T D
 * The tile holds R; scale is applied to the products, not to every entry.
 * op(W) = W [no x ni], or owner^T for a tied layer (owner [ni x no]).
 * Ain, Y, dAin have row stride ld >= N rounded up to 8; sums run over the N
 * columns exactly, and dAin is computed on whole vectors (its padding
 * columns too, from whatever the tile holds there).
 * Without gW, only sse is computed.  tile: no * TILE doubles of workspace.
 */
INL double output_body(const int PIN, int no, int ni, int N, int ld, const double *W, int tied,
                       const double *b, const double *Ain, const double *Y, double scale,
                       double *gW, double *gb, double *dAin, double *tile)
{
    double sse = 0.0;

    for (int s0 = 0; s0 < N; s0 += TILE) {
        int T = N - s0 < TILE ? N - s0 : TILE, T8 = (T + 7) / 8 * 8;
        const double *ain = Ain + s0, *y = Y + s0;

        sse += axpy_body(PIN, tied, no, T, ni, 1.0, W, ain, ld, 0.0, tile, TILE, b, y, ld, 1.0);
        if (!gW)
            continue;
        if (tied) /* owner [ni x no] += Ain [ni x T] D^T */
            dot_body(PIN, ni, no, T, scale, ain, ld, tile, TILE, 1.0, gW);
        else      /* W [no x ni] += D [no x T] Ain^T */
            dot_body(PIN, no, ni, T, scale, tile, TILE, ain, ld, 1.0, gW);
        if (gb)
            for (int p = 0; p < no; p++) {
                double acc = 0.0;

                for (int s = 0; s < T; s++)
                    acc += tile[(size_t)p * TILE + s];
                gb[p] += scale * acc;
            }
        if (dAin) /* dAin [ni x T] = op(W)^T D */
            axpy_body(PIN, !tied, ni, T8, no, scale, W, tile, TILE, 0.0, dAin + s0, ld, NULL, NULL, 0,
                      0.0);
    }
    return sse;
}

/* Adam (torch.optim.Adam without weight decay), c1 = lr / (1 - b1^t),
 * c2 = 1 / sqrt(1 - b2^t):  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 * p -= c1 m / (sqrt(v) c2 + eps) */
INL void adam_body(size_t n, double *p, const double *g, double *m, double *v, double b1,
                   double b2, double c1, double c2, double eps)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double mi = b1 * m[i] + (1.0 - b1) * g[i];
        double vi = b2 * v[i] + (1.0 - b2) * g[i] * g[i];

        m[i] = mi;
        v[i] = vi;
        p[i] -= c1 * mi / (__builtin_sqrt(vi) * c2 + eps);
    }
}

/* sse[j] += sum over rows r and columns i < n of (sum_k s_j^k R_k[r][i])^2, Horner from
 * R_deg (R_k at R + k kstride, rows ld apart): up to 8 points share each load of R, each
 * point's sum in one vector chain (the columns past the last whole vector in a scalar one).
 * D is the degree when it is a constant (the loads then stay in registers), else -1. */
INL void poly_sse_group(const int D, int deg, int rows, int n, int ld, const double *R,
                        size_t kstride, const double *s, int nj, double *sse)
{
    v8d acc[8] = {{0}};
    double tail[8] = {0};

    if (D >= 0)
        deg = D;
    for (int r = 0; r < rows; r++) {
        const double *row = R + (size_t)r * ld;
        int i = 0;

        for (; i + 8 <= n; i += 8) {
            v8d c[5];

            if (D >= 0)
                for (int k = 0; k <= D; k++)
                    c[k] = ld8(row + (size_t)k * kstride + i);
            for (int j = 0; j < nj; j++) {
                double x = s[j];
                v8d v = D >= 0 ? c[D] : ld8(row + (size_t)deg * kstride + i);

                for (int k = deg - 1; k >= 0; k--)
                    v = v * x + (D >= 0 ? c[k] : ld8(row + (size_t)k * kstride + i));
                acc[j] += v * v;
            }
        }
        for (; i < n; i++)
            for (int j = 0; j < nj; j++) {
                double x = s[j], v = row[(size_t)deg * kstride + i];

                for (int k = deg - 1; k >= 0; k--)
                    v = v * x + row[(size_t)k * kstride + i];
                tail[j] += v * v;
            }
    }
    for (int j = 0; j < nj; j++) {
        v8d a = acc[j];

        sse[j] += (a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7]) + tail[j];
    }
}

INL void poly_sse_body(int deg, int rows, int n, int ld, const double *R, size_t kstride,
                       const double *s, int ns, double *sse)
{
    for (int j0 = 0; j0 < ns; j0 += 8) {
        int nj = ns - j0 < 8 ? ns - j0 : 8;

#define GROUP(D) poly_sse_group(D, deg, rows, n, ld, R, kstride, s + j0, nj, sse + j0)
        switch (deg) {
        case 0: GROUP(0); break;
        case 1: GROUP(1); break;
        case 2: GROUP(2); break;
        case 3: GROUP(3); break;
        case 4: GROUP(4); break;
        default: GROUP(-1); break;
        }
#undef GROUP
    }
}

/* ---- variants ---- */

#define AXPY_ARGS                                                                             \
    int transa, int m, int N, int k, double alpha, const double *A, const double *B, int ldb, \
        double beta, double *C, int ldc
#define DOT_ARGS                                                                              \
    int m, int n, int K, double alpha, const double *A, int lda, const double *B, int ldb,    \
        double beta, double *C
#define RESID_ARGS                                                                            \
    const double *yhat, const double *y, int rows, int n, int ld, double scale, double *d
#define OUTPUT_ARGS                                                                           \
    int no, int ni, int N, int ld, const double *W, int tied, const double *b,                \
        const double *Ain, const double *Y, double scale, double *gW, double *gb,             \
        double *dAin, double *tile

#define POLY_ARGS                                                                             \
    int deg, int rows, int n, int ld, const double *R, size_t kstride, const double *s,       \
        int ns, double *sse

#define ADAM_ARGS                                                                             \
    size_t n, double *p, const double *g, double *m, double *v, double b1, double b2,         \
        double c1, double c2, double eps

#define VARIANT(suffix, attr, PIN)                                                              \
    attr static void adam_##suffix(ADAM_ARGS) { adam_body(n, p, g, m, v, b1, b2, c1, c2, eps); } \
    attr static void poly_##suffix(POLY_ARGS) { poly_sse_body(deg, rows, n, ld, R, kstride, s, ns, sse); } \
    attr static void axpy_##suffix(AXPY_ARGS)                                                 \
    {                                                                                         \
        axpy_body(PIN, transa, m, N, k, alpha, A, B, ldb, beta, C, ldc, NULL, NULL, 0, 0.0);       \
    }                                                                                         \
    attr static void dot_##suffix(DOT_ARGS)                                                   \
    {                                                                                         \
        dot_body(PIN, m, n, K, alpha, A, lda, B, ldb, beta, C);                                    \
    }                                                                                         \
    attr static double resid_##suffix(RESID_ARGS)                                             \
    {                                                                                         \
        return resid_rows(rows, n, yhat, ld, y, ld, scale, d, ld);                            \
    }                                                                                         \
    attr static double output_##suffix(OUTPUT_ARGS)                                           \
    {                                                                                         \
        return output_body(PIN, no, ni, N, ld, W, tied, b, Ain, Y, scale, gW, gb, dAin, tile);     \
    }

VARIANT(base, , 0)
#if defined(__x86_64__)
VARIANT(avx2, __attribute__((target("avx2,fma"))), 0)
VARIANT(avx512, __attribute__((target("avx512f,avx2,fma"))), 1)
#endif

static struct {
    const char *name;
    void (*axpy)(AXPY_ARGS);
    void (*dot)(DOT_ARGS);
    double (*resid)(RESID_ARGS);
    double (*output)(OUTPUT_ARGS);
    void (*adam)(ADAM_ARGS);
    void (*poly)(POLY_ARGS);
} impl;

/* chosen once per process; every run the process computes uses the same */
static void choose(void)
{
    impl.name = "baseline";
    impl.axpy = axpy_base;
    impl.dot = dot_base;
    impl.resid = resid_base;
    impl.output = output_base;
    impl.adam = adam_base;
    impl.poly = poly_base;
#if defined(__x86_64__)
    /* SYMSWEEP_KERNELS=baseline|avx2 caps the variant, for example so that a
     * heterogeneous cluster computes bitwise-identical runs everywhere */
    const char *cap = getenv("SYMSWEEP_KERNELS");

    __builtin_cpu_init();
    if (cap && strcmp(cap, "baseline") == 0)
        return;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        impl.name = "avx2+fma";
        impl.axpy = axpy_avx2;
        impl.dot = dot_avx2;
        impl.resid = resid_avx2;
        impl.output = output_avx2;
        impl.adam = adam_avx2;
        impl.poly = poly_avx2;
    }
    if (cap && strcmp(cap, "avx2") == 0)
        return;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) {
        impl.name = "avx512";
        impl.axpy = axpy_avx512;
        impl.dot = dot_avx512;
        impl.resid = resid_avx512;
        impl.output = output_avx512;
        impl.adam = adam_avx512;
        impl.poly = poly_avx512;
    }
#endif
}

const char *sym_kernel_variant(void)
{
    if (!impl.name)
        choose();
    return impl.name;
}

void sym_kernel_axpy_form(AXPY_ARGS)
{
    if (!impl.name)
        choose();
    impl.axpy(transa, m, N, k, alpha, A, B, ldb, beta, C, ldc);
}

void sym_kernel_dot_form(DOT_ARGS)
{
    if (!impl.name)
        choose();
    impl.dot(m, n, K, alpha, A, lda, B, ldb, beta, C);
}

double sym_kernel_residual(RESID_ARGS)
{
    if (!impl.name)
        choose();
    return impl.resid(yhat, y, rows, n, ld, scale, d);
}

size_t sym_kernel_output_tile_size(int no) { return (size_t)no * TILE; }

double sym_kernel_output_layer(OUTPUT_ARGS)
{
    if (!impl.name)
        choose();
    return impl.output(no, ni, N, ld, W, tied, b, Ain, Y, scale, gW, gb, dAin, tile);
}

void sym_kernel_adam(ADAM_ARGS)
{
    if (!impl.name)
        choose();
    impl.adam(n, p, g, m, v, b1, b2, c1, c2, eps);
}

void sym_kernel_poly_sse(POLY_ARGS)
{
    if (!impl.name)
        choose();
    impl.poly(deg, rows, n, ld, R, kstride, s, ns, sse);
}

#if defined(SYM_HAVE_MKL)
extern void MKL_Set_Num_Threads(int n);
extern void MKL_Get_Version_String(char *buf, int len);
#endif
#ifndef SYM_BLAS_LIBRARY_TEXT
#define SYM_BLAS_LIBRARY_TEXT "unknown"
#endif

void sym_blas_single_thread(void)
{
#if defined(SYM_HAVE_OPENBLAS)
    openblas_set_num_threads(1);
#elif defined(SYM_HAVE_MKL)
    MKL_Set_Num_Threads(1);
#endif
}

const char *sym_blas_description(void)
{
    static char buf[512];

#if defined(SYM_HAVE_OPENBLAS)
    snprintf(buf, sizeof(buf), "%s; core %s; kernels %s", openblas_get_config(),
             openblas_get_corename(), sym_kernel_variant());
#elif defined(SYM_HAVE_MKL)
    char v[256];

    MKL_Get_Version_String(v, (int)sizeof(v));
    snprintf(buf, sizeof(buf), "%s; kernels %s", v, sym_kernel_variant());
#else
    snprintf(buf, sizeof(buf), "%s (not OpenBLAS or MKL: its threads are its own to set); kernels %s",
             SYM_BLAS_LIBRARY_TEXT, sym_kernel_variant());
#endif
    return buf;
}

const char *sym_blas_warning_for(const char *core, int avx2, int avx512)
{
    /* OpenBLAS's generic x86-64 cores: SSE2/SSE3 kernels, no AVX */
    static const char *const generic[] = {"Prescott", "Core2", "Katmai", "Coppermine", "Northwood",
                                          "Banias", "Atom", "Penryn", "Dunnington", "Nehalem"};
    static char buf[512];

    for (size_t k = 0; (avx2 || avx512) && core && k < sizeof(generic) / sizeof(*generic); k++)
        if (!strcasecmp(core, generic[k])) {
            snprintf(buf, sizeof(buf),
                     "OpenBLAS selected its generic '%s' kernels on a CPU with %s: every BLAS "
                     "call runs at about half speed (OPENBLAS_CORETYPE=Haswell or SkylakeX, or an "
                     "OpenBLAS built for this CPU, fixes it)",
                     core, avx512 ? "AVX-512" : "AVX2");
            return buf;
        }
    return NULL;
}

const char *sym_blas_warning(void)
{
#if defined(SYM_HAVE_OPENBLAS)
    return sym_blas_warning_for(openblas_get_corename(), __builtin_cpu_supports("avx2"),
                                __builtin_cpu_supports("avx512f"));
#else
    return NULL;
#endif
}
