/*
 * The kernels' bodies (see kernels.c), included once per variant, each in its own file:
 * kernels.c for AVX-512 (GCC's 8-double vector type), kernels_avx2.c for AVX2 (SYM_V8_PARTS 2:
 * two 4-double halves), kernels_base.c for the baseline (SYM_V8_PARTS 4: four 2-double
 * quarters).  SYM_KLINK: the variants' linkage.  SYM_KFMA: whether the variant fuses the
 * multiply-adds written SFMA (its CPU has FMA).
 */
#ifndef SYMSWEEP_KERNELS_BODY_H
#define SYMSWEEP_KERNELS_BODY_H
#include "kernels_impl.h"

#include <stddef.h>
#include <string.h>

#ifndef SYM_V8_PARTS
#define SYM_V8_PARTS 1
#endif
/* SYM_KFMA: the variant's CPU fuses multiply-adds (the written ones below, SFMA, are fused there) */
#ifndef SYM_KFMA
#define SYM_KFMA 1
#endif

#define INL static inline __attribute__((always_inline))
/* a x b + c: fused where the variant's CPU fuses (written out, not left to the compiler's
 * contraction, which GCC applies to a scalar tail in one variant and not in another) */
#if SYM_KFMA
#define SFMA(a, b, c) __builtin_fma((a), (b), (c))
#else
#define SFMA(a, b, c) ((a) * (b) + (c))
#endif

/* ---- bodies ---- */

/* 8 doubles as one value.  AVX-512 holds GCC's 8-double vector type in one register.  Without
 * AVX-512 GCC keeps that type in memory and moves it through general registers (the AVX2 and
 * baseline variants ran 25-30 times slower than AVX-512's), so there the value is
 * SYM_V8_PARTS parts, each one register: two 4-double halves for AVX2, four 2-double quarters
 * for the baseline (SSE2, and the 128-bit vectors of other CPUs).  Every operation below acts on
 * each part: per lane the same operations in the same order, so the results are bitwise those
 * of the 8-wide type.  The bodies use the V8_ operations only, never the operators, on v8d. */
#pragma GCC diagnostic ignored "-Wpsabi"
#if SYM_V8_PARTS > 1
typedef double vpart __attribute__((vector_size(64 / SYM_V8_PARTS)));
#if SYM_V8_PARTS == 2
typedef struct {
    vpart q0, q1;
} v8d;
#define V8_EACH(E) {E(q0), E(q1)}
#elif SYM_V8_PARTS == 4
typedef struct {
    vpart q0, q1, q2, q3;
} v8d;
#define V8_EACH(E) {E(q0), E(q1), E(q2), E(q3)}
#else
#error "SYM_V8_PARTS: 1, 2 or 4"
#endif

/* part by part: a copy of the whole struct would go through the stack */
#define V8_PART(q) (offsetof(v8d, q) / sizeof(double))
INL vpart ldpart(const double *p)
{
    vpart v;

    memcpy(&v, p, sizeof(v));
    return v;
}

INL v8d ld8(const double *p)
{
#define E(q) ldpart(p + V8_PART(q))
    v8d v = V8_EACH(E);
#undef E
    return v;
}

INL void st8(double *p, v8d v)
{
#define E(q) memcpy(p + V8_PART(q), &v.q, sizeof(v.q))
    E(q0);
    E(q1);
#if SYM_V8_PARTS == 4
    E(q2);
    E(q3);
#endif
#undef E
}

/* each defined by its per-part expression E(q) */
#define V8_OP2(NAME, X, Y, EXPR)                                                              \
    INL v8d NAME(X, Y)                                                                        \
    {                                                                                         \
        v8d r = V8_EACH(EXPR);                                                                \
        return r;                                                                             \
    }
#define E_ADD(q) a.q + b.q
#define E_SUB(q) a.q - b.q
#define E_MUL(q) a.q * b.q
#define E_SMUL(q) s * v.q
#define E_MULS(q) v.q * s
#define E_ADDS(q) v.q + s
V8_OP2(V8_ADD, v8d a, v8d b, E_ADD)
V8_OP2(V8_SUB, v8d a, v8d b, E_SUB)
V8_OP2(V8_MUL, v8d a, v8d b, E_MUL)
/* s v and v s are the same product; v + s adds s to every lane */
V8_OP2(V8_SMUL, double s, v8d v, E_SMUL)
V8_OP2(V8_MULS, v8d v, double s, E_MULS)
V8_OP2(V8_ADDS, v8d v, double s, E_ADDS)
#undef E_ADD
#undef E_SUB
#undef E_MUL
#undef E_SMUL
#undef E_MULS
#undef E_ADDS
#undef V8_OP2
/* acc + s v and acc + a b, part by part (XFMA: a b + c on one part): one fused multiply-add
 * where the variant fuses (AVX2's halves), written out as the scalar ones are: contraction is
 * off in every kernel file, so no compiler pairs a product with a sum on its own (GCC and clang
 * paired x = beta c; x += a b differently) */
#if SYM_KFMA && SYM_V8_PARTS == 2 && defined(__x86_64__)
#define XFMA(a, b, c) __builtin_ia32_vfmaddpd256((a), (b), (c))
#else
#define XFMA(a, b, c) ((a) * (b) + (c))
#endif
INL v8d V8_FMAS(v8d acc, double s, v8d v)
{
#if SYM_V8_PARTS == 2
    const vpart sp = {s, s, s, s}; /* s in every lane */
#else
    const vpart sp = {s, s};
#endif
#define E(q) XFMA(sp, v.q, acc.q)
    v8d r = V8_EACH(E);
#undef E
    return r;
}
INL v8d V8_FMA(v8d acc, v8d a, v8d b)
{
#define E(q) XFMA(a.q, b.q, acc.q)
    v8d r = V8_EACH(E);
#undef E
    return r;
}
INL double V8_LANE(v8d v, int l)
{
    double t[8];

    memcpy(t, &v, sizeof(t));
    return t[l];
}
/* V8_HSUM8 (the 8-double type's below): on parts, each row's lanes summed one after another */
INL v8d V8_HSUM8(v8d r0, v8d r1, v8d r2, v8d r3, v8d r4, v8d r5, v8d r6, v8d r7)
{
    const v8d r[8] = {r0, r1, r2, r3, r4, r5, r6, r7};
    double t[8];

    for (int e = 0; e < 8; e++)
        t[e] = V8_LANE(r[e], 0) + V8_LANE(r[e], 1) + V8_LANE(r[e], 2) + V8_LANE(r[e], 3) +
               V8_LANE(r[e], 4) + V8_LANE(r[e], 5) + V8_LANE(r[e], 6) + V8_LANE(r[e], 7);
    return ld8(t);
}
#define KEEP(PIN, v) ((void)(PIN))
#else
typedef double v8d __attribute__((vector_size(64)));
/* v8d never crosses a call boundary (every helper using it is always
 * inlined), so the ABI note GCC gives for it does not apply */

INL v8d ld8(const double *p)
{
    v8d v;

    memcpy(&v, p, sizeof(v));
    return v;
}

INL void st8(double *p, v8d v) { memcpy(p, &v, sizeof(v)); }
#define V8_ADD(a, b) ((a) + (b))
#define V8_SUB(a, b) ((a) - (b))
#define V8_MUL(a, b) ((a) * (b))
#define V8_SMUL(s, v) ((s) * (v))
#define V8_MULS(v, s) ((v) * (s))
#define V8_ADDS(v, s) ((v) + (s))
/* acc + s v and acc + a b: one fused multiply-add each (AVX-512's vfmadd, all lanes, the current
 * rounding), written out: contraction is off in the kernel files (see XFMA) */
#if SYM_KFMA && defined(__x86_64__)
#define V8_FMA(acc, a, b) __builtin_ia32_vfmaddpd512_mask((a), (b), (acc), (unsigned char)-1, 4)
#else
#define V8_FMA(acc, a, b) ((acc) + (a) * (b))
#endif
#define V8_FMAS(acc, s, v) V8_FMA((acc), ((v8d){(s), (s), (s), (s), (s), (s), (s), (s)}), (v))
#define V8_LANE(v, l) ((v)[l])
typedef long long v8i __attribute__((vector_size(64)));
#if defined(__clang__)
#define V8_SHUF(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
#define V8_SHUF(a, b, ...) __builtin_shuffle((a), (b), (v8i){__VA_ARGS__})
#endif
/* Eight horizontal sums at once: lane e of the result is r_e's lanes 0 + 1 + ... + 7, added
 * one after another in that order, as a lane-by-lane sum adds them (the same roundings), but
 * as 7 vector additions after an 8 x 8 transpose (three rounds of 8 two-source shuffles, each
 * one AVX-512 instruction) instead of 56 scalar additions and about as many extractions. */
#define V8_LO2(a, b) V8_SHUF(a, b, 0, 1, 4, 5, 8, 9, 12, 13)   /* 128-bit chunks a0 a2 b0 b2 */
#define V8_HI2(a, b) V8_SHUF(a, b, 2, 3, 6, 7, 10, 11, 14, 15) /* a1 a3 b1 b3 */
INL v8d V8_HSUM8(v8d r0, v8d r1, v8d r2, v8d r3, v8d r4, v8d r5, v8d r6, v8d r7)
{
    /* a: rows 2p, 2p+1 interleaved (even lanes, odd lanes); b: rows 4q..4q+3 for lanes k and
     * k + 4; t_k: lane k of every row */
    v8d a0 = V8_SHUF(r0, r1, 0, 8, 2, 10, 4, 12, 6, 14), a1 = V8_SHUF(r0, r1, 1, 9, 3, 11, 5, 13, 7, 15);
    v8d a2 = V8_SHUF(r2, r3, 0, 8, 2, 10, 4, 12, 6, 14), a3 = V8_SHUF(r2, r3, 1, 9, 3, 11, 5, 13, 7, 15);
    v8d a4 = V8_SHUF(r4, r5, 0, 8, 2, 10, 4, 12, 6, 14), a5 = V8_SHUF(r4, r5, 1, 9, 3, 11, 5, 13, 7, 15);
    v8d a6 = V8_SHUF(r6, r7, 0, 8, 2, 10, 4, 12, 6, 14), a7 = V8_SHUF(r6, r7, 1, 9, 3, 11, 5, 13, 7, 15);
    v8d b0 = V8_LO2(a0, a2), b2 = V8_HI2(a0, a2), b1 = V8_LO2(a1, a3), b3 = V8_HI2(a1, a3);
    v8d b4 = V8_LO2(a4, a6), b6 = V8_HI2(a4, a6), b5 = V8_LO2(a5, a7), b7 = V8_HI2(a5, a7);
    v8d t0 = V8_LO2(b0, b4), t4 = V8_HI2(b0, b4), t1 = V8_LO2(b1, b5), t5 = V8_HI2(b1, b5);
    v8d t2 = V8_LO2(b2, b6), t6 = V8_HI2(b2, b6), t3 = V8_LO2(b3, b7), t7 = V8_HI2(b3, b7);

    return ((((((t0 + t1) + t2) + t3) + t4) + t5) + t6) + t7;
}
/* Keep a loaded vector in its register: without this GCC treats a vector loaded from memory
 * the loop never writes as equivalent to that memory and reloads it into every FMA that uses
 * it (a memory operand per FMA: the loops then wait on loads, not on arithmetic).  Only where
 * one v8d is one register (PIN: the AVX-512 variant); the arithmetic is unchanged. */
#if defined(__clang__) /* clang checks the constraint against the file's target, not the
                         * variant's, and refuses a 64-byte register: no pin (same arithmetic;
                         * the speed of a clang build is not measured) */
#define KEEP(PIN, v) ((void)(PIN))
#else
#define KEEP(PIN, v)                                                                          \
    do {                                                                                      \
        if (PIN)                                                                              \
            __asm__("" : "+v"(v));                                                            \
    } while (0)
#endif
#endif

/* The register blocks, per variant.  Each entry's arithmetic is the same whatever the block (its
 * own chains over k or K, in the same order; a row's sum of squares over its columns in the same
 * order), so the variants' results stay bitwise equal.  AVX-512 has 32 vector registers, one
 * v8d each: 16 columns of 4 rows in axpy, 3 x 4 blocks in dot.  AVX2 and SSE2 have 16, and a
 * v8d takes 2 or 4 of them: 8 columns and 1 x 4 blocks (measured on the Sapphire Rapids-class
 * Xeon with OpenBLAS's Haswell kernels, 2026-12-07: Ex3 under AVX2 192k -> 227k steps/s,
 * 64-64-64 at 500 samples 55% -> 67-72% of DGEMM; 3 x 4, 2 x 2, 3 x 2, 2 x 3, 2 x 4, 1 x 3
 * and 1 x 2 blocks, and 16 columns, were slower). */
#define AXPY_V (SYM_V8_PARTS == 1 ? 2 : 1)
#define DOT_RA (SYM_V8_PARTS == 1 ? 3 : 1)
#define DOT_RB 4

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
        x0 = V8_SMUL(beta, ld8(c0)); if (V > 1) x1 = V8_SMUL(beta, ld8(c0 + 8));
        if (R > 1) { x2 = V8_SMUL(beta, ld8(c1)); if (V > 1) x3 = V8_SMUL(beta, ld8(c1 + 8)); }
        if (R > 2) { x4 = V8_SMUL(beta, ld8(c2)); if (V > 1) x5 = V8_SMUL(beta, ld8(c2 + 8)); }
        if (R > 3) { x6 = V8_SMUL(beta, ld8(c3)); if (V > 1) x7 = V8_SMUL(beta, ld8(c3 + 8)); }
    }
    for (int q = 0; q < k; q++) {
        const double *b = B + (size_t)q * ldb + s0;
        v8d b0 = ld8(b), b1 = {0};

        if (V > 1) b1 = ld8(b + 8);
        KEEP(PIN, b0);
        if (V > 1) KEEP(PIN, b1);
        x0 = V8_FMAS(x0, a[0][q], b0); if (V > 1) x1 = V8_FMAS(x1, a[0][q], b1);
        if (R > 1) { x2 = V8_FMAS(x2, a[1][q], b0); if (V > 1) x3 = V8_FMAS(x3, a[1][q], b1); }
        if (R > 2) { x4 = V8_FMAS(x4, a[2][q], b0); if (V > 1) x5 = V8_FMAS(x5, a[2][q], b1); }
        if (R > 3) { x6 = V8_FMAS(x6, a[3][q], b0); if (V > 1) x7 = V8_FMAS(x7, a[3][q], b1); }
    }
    if (bias) {
        x0 = V8_ADDS(x0, bias[p]); if (V > 1) x1 = V8_ADDS(x1, bias[p]);
        if (R > 1) { x2 = V8_ADDS(x2, bias[p + 1]); if (V > 1) x3 = V8_ADDS(x3, bias[p + 1]); }
        if (R > 2) { x4 = V8_ADDS(x4, bias[p + 2]); if (V > 1) x5 = V8_ADDS(x5, bias[p + 2]); }
        if (R > 3) { x6 = V8_ADDS(x6, bias[p + 3]); if (V > 1) x7 = V8_ADDS(x7, bias[p + 3]); }
    }
    if (Y) { /* C = scale (C - Y), and its sum of squares */
        const double *y0 = Y + (size_t)p * ldy + s0, *y1 = y0 + ldy, *y2 = y1 + ldy,
                     *y3 = y2 + ldy;

        x0 = V8_SUB(x0, ld8(y0)); *q0 = V8_FMA(*q0, x0, x0); x0 = V8_MULS(x0, scale);
        if (V > 1) { x1 = V8_SUB(x1, ld8(y0 + 8)); *q0 = V8_FMA(*q0, x1, x1); x1 = V8_MULS(x1, scale); }
        if (R > 1) {
            x2 = V8_SUB(x2, ld8(y1)); *q1 = V8_FMA(*q1, x2, x2); x2 = V8_MULS(x2, scale);
            if (V > 1) { x3 = V8_SUB(x3, ld8(y1 + 8)); *q1 = V8_FMA(*q1, x3, x3); x3 = V8_MULS(x3, scale); }
        }
        if (R > 2) {
            x4 = V8_SUB(x4, ld8(y2)); *q2 = V8_FMA(*q2, x4, x4); x4 = V8_MULS(x4, scale);
            if (V > 1) { x5 = V8_SUB(x5, ld8(y2 + 8)); *q2 = V8_FMA(*q2, x5, x5); x5 = V8_MULS(x5, scale); }
        }
        if (R > 3) {
            x6 = V8_SUB(x6, ld8(y3)); *q3 = V8_FMA(*q3, x6, x6); x6 = V8_MULS(x6, scale);
            if (V > 1) { x7 = V8_SUB(x7, ld8(y3 + 8)); *q3 = V8_FMA(*q3, x7, x7); x7 = V8_MULS(x7, scale); }
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
        x00 = V8_SMUL(beta, ld8(c0)); x01 = V8_SMUL(beta, ld8(c0 + 8));
        x02 = V8_SMUL(beta, ld8(c0 + 16)); x03 = V8_SMUL(beta, ld8(c0 + 24));
        if (R > 1) {
            x10 = V8_SMUL(beta, ld8(c1)); x11 = V8_SMUL(beta, ld8(c1 + 8));
            x12 = V8_SMUL(beta, ld8(c1 + 16)); x13 = V8_SMUL(beta, ld8(c1 + 24));
        }
        if (R > 2) {
            x20 = V8_SMUL(beta, ld8(c2)); x21 = V8_SMUL(beta, ld8(c2 + 8));
            x22 = V8_SMUL(beta, ld8(c2 + 16)); x23 = V8_SMUL(beta, ld8(c2 + 24));
        }
    }
    for (int q = 0; q < k; q++) {
        const double *b = B + (size_t)q * ldb + s0;
        v8d b0 = ld8(b), b1 = ld8(b + 8), b2 = ld8(b + 16), b3 = ld8(b + 24);

        KEEP(PIN, b0); KEEP(PIN, b1); KEEP(PIN, b2); KEEP(PIN, b3);
        x00 = V8_FMAS(x00, a[0][q], b0); x01 = V8_FMAS(x01, a[0][q], b1); x02 = V8_FMAS(x02, a[0][q], b2); x03 = V8_FMAS(x03, a[0][q], b3);
        if (R > 1) {
            x10 = V8_FMAS(x10, a[1][q], b0); x11 = V8_FMAS(x11, a[1][q], b1); x12 = V8_FMAS(x12, a[1][q], b2); x13 = V8_FMAS(x13, a[1][q], b3);
        }
        if (R > 2) {
            x20 = V8_FMAS(x20, a[2][q], b0); x21 = V8_FMAS(x21, a[2][q], b1); x22 = V8_FMAS(x22, a[2][q], b2); x23 = V8_FMAS(x23, a[2][q], b3);
        }
    }
    st8(c0, x00); st8(c0 + 8, x01); st8(c0 + 16, x02); st8(c0 + 24, x03);
    if (R > 1) { st8(c1, x10); st8(c1 + 8, x11); st8(c1 + 16, x12); st8(c1 + 24, x13); }
    if (R > 2) { st8(c2, x20); st8(c2 + 8, x21); st8(c2 + 16, x22); st8(c2 + 24, x23); }
}

/* rows p..p+R-1 of C = beta C + alpha op(A) B, op(A) [m x k] (A[q*m+p] if
 * transa), B [k x N] with row stride ldb, C row stride ldc.  8 AXPY_V columns per
 * step in R AXPY_V v8d registers (each load of B feeds R FMAs, each output is
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
    for (; AXPY_V == 2 && s0 + 16 <= N; s0 += 16)
        axpy_step(PIN, R, 2, k, (const double (*)[SYM_KERNEL_MAX_K])a, B, ldb, beta, C, ldc, p, s0,
                  bias, Y, ldy, scale, &q0, &q1, &q2, &q3);
    for (; s0 + 8 <= N; s0 += 8)
        axpy_step(PIN, R, 1, k, (const double (*)[SYM_KERNEL_MAX_K])a, B, ldb, beta, C, ldc, p, s0,
                  bias, Y, ldy, scale, &q0, &q1, &q2, &q3);
    if (Y) {
        q0 = V8_ADD(q0, V8_ADD(V8_ADD(q1, q2), q3));
        for (int l = 0; l < 8; l++)
            sse += V8_LANE(q0, l);
    }
    for (int s = s0; s < N; s++)
        for (int r = 0; r < R; r++) {
            double *c = C + (size_t)(p + r) * ldc + s;
            double acc = beta == 0.0 ? 0.0 : beta * *c;

            for (int q = 0; q < k; q++)
                acc = SFMA(a[r][q], B[(size_t)q * ldb + s], acc);
            if (bias)
                acc += bias[p + r];
            if (Y) {
                acc -= Y[(size_t)(p + r) * ldy + s];
                sse = SFMA(acc, acc, sse);
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
 * vector registers (an array of them would live on the stack).  HS: the accumulators' lanes
 * summed by V8_HSUM8 (AVX-512), else one lane at a time; the same sums either way. */
INL void dot_block(const int HS, const int PIN, const int RA, const int RB, int n, int K, double alpha, const double *A,
                   int lda, const double *B, int ldb, double beta, double *C, int i, int j)
{
    v8d c00 = {0}, c01 = {0}, c02 = {0}, c03 = {0}, c10 = {0}, c11 = {0}, c12 = {0}, c13 = {0};
    v8d c20 = {0}, c21 = {0}, c22 = {0}, c23 = {0};
    const double *a0 = A + (size_t)i * lda, *a1 = a0 + lda, *a2 = a1 + lda;
    const double *b0 = B + (size_t)j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    double sums[4][4]; /* [3]: room for V8_HSUM8's second 8-lane store */
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
        c00 = V8_FMA(c00, x, y0);
        if (RB > 1) c01 = V8_FMA(c01, x, y1);
        if (RB > 2) c02 = V8_FMA(c02, x, y2);
        if (RB > 3) c03 = V8_FMA(c03, x, y3);
        if (RA > 1) {
            x = ld8(a1 + t0);
            KEEP(PIN, x);
            c10 = V8_FMA(c10, x, y0);
            if (RB > 1) c11 = V8_FMA(c11, x, y1);
            if (RB > 2) c12 = V8_FMA(c12, x, y2);
            if (RB > 3) c13 = V8_FMA(c13, x, y3);
        }
        if (RA > 2) {
            x = ld8(a2 + t0);
            KEEP(PIN, x);
            c20 = V8_FMA(c20, x, y0);
            if (RB > 1) c21 = V8_FMA(c21, x, y1);
            if (RB > 2) c22 = V8_FMA(c22, x, y2);
            if (RB > 3) c23 = V8_FMA(c23, x, y3);
        }
    }
    if (HS) {
        v8d z = {0};

        st8(&sums[0][0], V8_HSUM8(c00, c01, c02, c03, c10, c11, c12, c13)); /* rows 0 and 1 */
        if (RA > 2)
            st8(&sums[2][0], V8_HSUM8(c20, c21, c22, c23, z, z, z, z)); /* row 2 (and 4 unused) */
    } else {
#define HSUM(v)                                                                               \
    (V8_LANE(v, 0) + V8_LANE(v, 1) + V8_LANE(v, 2) + V8_LANE(v, 3) + V8_LANE(v, 4) +          \
     V8_LANE(v, 5) + V8_LANE(v, 6) + V8_LANE(v, 7))
    sums[0][0] = HSUM(c00); sums[0][1] = HSUM(c01); sums[0][2] = HSUM(c02); sums[0][3] = HSUM(c03);
    sums[1][0] = HSUM(c10); sums[1][1] = HSUM(c11); sums[1][2] = HSUM(c12); sums[1][3] = HSUM(c13);
    sums[2][0] = HSUM(c20); sums[2][1] = HSUM(c21); sums[2][2] = HSUM(c22); sums[2][3] = HSUM(c23);
#undef HSUM
    }
    for (int x = 0; x < RA; x++)
        for (int y = 0; y < RB; y++) {
            double s = sums[x][y];
            double *c = C + (size_t)(i + x) * n + j + y;

            for (int t = t0; t < K; t++)
                s = SFMA(A[(size_t)(i + x) * lda + t], B[(size_t)(j + y) * ldb + t], s);
            *c = beta == 0.0 ? alpha * s : SFMA(beta, *c, alpha * s);
        }
}

INL void dot_rows(const int HS, const int PIN, const int RA, int n, int K, double alpha, const double *A, int lda,
                  const double *B, int ldb, double beta, double *C, int i)
{
    int j = 0;

    for (; j + DOT_RB <= n; j += DOT_RB)
        dot_block(HS, PIN, RA, DOT_RB, n, K, alpha, A, lda, B, ldb, beta, C, i, j);
    switch (n - j) {
    case 3: dot_block(HS, PIN, RA, 3, n, K, alpha, A, lda, B, ldb, beta, C, i, j); break;
    case 2: dot_block(HS, PIN, RA, 2, n, K, alpha, A, lda, B, ldb, beta, C, i, j); break;
    case 1: dot_block(HS, PIN, RA, 1, n, K, alpha, A, lda, B, ldb, beta, C, i, j); break;
    }
}

/* C[m x n] = beta C + alpha A[m x K] B[n x K]^T: DOT_RA x DOT_RB blocks, then the edges */
INL void dot_body(const int HS, const int PIN, int m, int n, int K, double alpha, const double *A, int lda, const double *B,
                  int ldb, double beta, double *C)
{
    int i = 0;

    for (; i + DOT_RA <= m; i += DOT_RA)
        dot_rows(HS, PIN, DOT_RA, n, K, alpha, A, lda, B, ldb, beta, C, i);
    switch (m - i) {
    case 2: dot_rows(HS, PIN, 2, n, K, alpha, A, lda, B, ldb, beta, C, i); break;
    case 1: dot_rows(HS, PIN, 1, n, K, alpha, A, lda, B, ldb, beta, C, i); break;
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
            v8d e0 = V8_SUB(ld8(h + i0), ld8(t + i0)), e1 = V8_SUB(ld8(h + i0 + 8), ld8(t + i0 + 8));
            v8d e2 = V8_SUB(ld8(h + i0 + 16), ld8(t + i0 + 16)), e3 = V8_SUB(ld8(h + i0 + 24), ld8(t + i0 + 24));

            s0 = V8_FMA(s0, e0, e0);
            s1 = V8_FMA(s1, e1, e1);
            s2 = V8_FMA(s2, e2, e2);
            s3 = V8_FMA(s3, e3, e3);
            st8(o + i0, V8_SMUL(scale, e0));
            st8(o + i0 + 8, V8_SMUL(scale, e1));
            st8(o + i0 + 16, V8_SMUL(scale, e2));
            st8(o + i0 + 24, V8_SMUL(scale, e3));
        }
        for (; i0 + 8 <= N; i0 += 8) {
            v8d e0 = V8_SUB(ld8(h + i0), ld8(t + i0));

            s0 = V8_FMA(s0, e0, e0);
            st8(o + i0, V8_SMUL(scale, e0));
        }
        for (int i = i0; i < N; i++) {
            double e = h[i] - t[i];

            sse = SFMA(e, e, sse);
            o[i] = scale * e;
        }
    }
    s0 = V8_ADD(s0, V8_ADD(V8_ADD(s1, s2), s3));
    for (int l = 0; l < 8; l++)
        sse += V8_LANE(s0, l);
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
        /* on AVX-512 the lanes summed 8 entries at a time (V8_HSUM8: Ex3 2%, 64-64-64 4% faster);
         * on parts that would only add zero rows to the same lane-by-lane sums */
        if (tied) /* owner [ni x no] += Ain [ni x T] D^T */
            dot_body(SYM_V8_PARTS == 1, PIN, ni, no, T, scale, ain, ld, tile, TILE, 1.0, gW);
        else      /* W [no x ni] += D [no x T] Ain^T */
            dot_body(SYM_V8_PARTS == 1, PIN, no, ni, T, scale, tile, TILE, ain, ld, 1.0, gW);
        if (gb)
            for (int p = 0; p < no; p++) {
                double acc = 0.0;

                for (int s = 0; s < T; s++)
                    acc += tile[(size_t)p * TILE + s];
                gb[p] = SFMA(scale, acc, gb[p]);
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
        double mi = SFMA(b1, m[i], (1.0 - b1) * g[i]);
        double vi = SFMA(b2, v[i], (1.0 - b2) * g[i] * g[i]);

        m[i] = mi;
        v[i] = vi;
        p[i] -= c1 * mi / SFMA(__builtin_sqrt(vi), c2, eps);
    }
}

/* sse[j] += sum over rows r and columns i < n of (sum_k s_j^k R_k[r][i])^2, Horner from
 * R_deg (R_k at R + k kstride, rows ld apart): up to 8 points share each load of R, each
 * point's sum in one vector chain (the columns past the last whole vector in a scalar one).
 * D is the degree when it is a constant (the loads then stay in registers), else -1. */
INL void poly_sse_group(const int D, int deg, int rows, int n, int ld, const double *R,
                        size_t kstride, const double *s, int nj, double *sse)
{
    v8d acc[8];
    double tail[8] = {0}, h[8];

    memset(acc, 0, sizeof(acc));

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
            if (D == 0) { /* degree 0: every point's v is R_0's, squared once and added unfused */
                v8d sq = V8_MUL(c[0], c[0]);

                for (int j = 0; j < nj; j++)
                    acc[j] = V8_ADD(acc[j], sq);
                continue;
            }
            for (int j = 0; j < nj; j++) {
                double x = s[j];
                v8d v = D >= 0 ? c[D] : ld8(row + (size_t)deg * kstride + i);

                for (int k = deg - 1; k >= 0; k--)
                    v = V8_FMAS(D >= 0 ? c[k] : ld8(row + (size_t)k * kstride + i), x, v);
                acc[j] = V8_FMA(acc[j], v, v);
            }
        }
        for (; i < n; i++)
            for (int j = 0; j < nj; j++) {
                double x = s[j], v = row[(size_t)deg * kstride + i];

                for (int k = deg - 1; k >= 0; k--)
                    v = SFMA(v, x, row[(size_t)k * kstride + i]);
                tail[j] = SFMA(v, v, tail[j]);
            }
    }
    st8(h, V8_HSUM8(acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]));
    for (int j = 0; j < nj; j++)
        sse[j] += h[j] + tail[j];
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

#define VARIANT(suffix, attr, PIN) /* SYM_KLINK: static, or empty where another file dispatches */                                                              \
    attr SYM_KLINK void symk_adam_##suffix(ADAM_ARGS) { adam_body(n, p, g, m, v, b1, b2, c1, c2, eps); } \
    attr SYM_KLINK void symk_poly_##suffix(POLY_ARGS) { poly_sse_body(deg, rows, n, ld, R, kstride, s, ns, sse); } \
    attr SYM_KLINK void symk_axpy_##suffix(AXPY_ARGS)                                                 \
    {                                                                                         \
        axpy_body(PIN, transa, m, N, k, alpha, A, B, ldb, beta, C, ldc, NULL, NULL, 0, 0.0);       \
    }                                                                                         \
    /* the lanes summed one at a time: with V8_HSUM8 the tanh net 8-16-8 trained 4% slower on the \
     * Sapphire Rapids-class Xeon (2026-12-08, its tanh, not this kernel, took the longer time)  \
     * though Ex3 and 64-64-64 gained 1-2% more; the cause was not found */                      \
    attr SYM_KLINK void symk_dot_##suffix(DOT_ARGS)                                                   \
    {                                                                                         \
        dot_body(0, PIN, m, n, K, alpha, A, lda, B, ldb, beta, C);                                      \
    }                                                                                         \
    attr SYM_KLINK double symk_resid_##suffix(RESID_ARGS)                                             \
    {                                                                                         \
        return resid_rows(rows, n, yhat, ld, y, ld, scale, d, ld);                            \
    }                                                                                         \
    attr SYM_KLINK double symk_output_##suffix(OUTPUT_ARGS)                                           \
    {                                                                                         \
        return output_body(PIN, no, ni, N, ld, W, tied, b, Ain, Y, scale, gW, gb, dAin, tile);     \
    }


/* the baseline variant, defined in kernels_base.c */
void symk_axpy_base(AXPY_ARGS);
void symk_dot_base(DOT_ARGS);
double symk_resid_base(RESID_ARGS);
double symk_output_base(OUTPUT_ARGS);
void symk_adam_base(ADAM_ARGS);
void symk_poly_base(POLY_ARGS);

#if defined(__x86_64__)
/* the AVX2 variant, defined in kernels_avx2.c */
void symk_axpy_avx2(AXPY_ARGS);
void symk_dot_avx2(DOT_ARGS);
double symk_resid_avx2(RESID_ARGS);
double symk_output_avx2(OUTPUT_ARGS);
void symk_adam_avx2(ADAM_ARGS);
void symk_poly_avx2(POLY_ARGS);
#endif

#endif
