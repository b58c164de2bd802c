/*
 * Elementwise math over long arrays, vectorized: the activations a training step applies to
 * every unit of every sample.  libm's tanh costs about 20 ns a value (a call, expm1's branches),
 * two thirds of a step of a tanh autoencoder 8-16-8 at 50,000 samples; this one is branch-free
 * over a block, so the compiler vectorizes it.
 *
 * tanh(x) = sign(x) t / (t + 2) with t = expm1(2|x|) (no cancellation for small |x|), and
 * expm1(y) = 2^k (expm1(r) + 1) - 1 = 2^k expm1(r) + (2^k - 1) with y = k ln2 + r,
 * |r| <= ln2 / 2 (Cody and Waite's two-part ln2, so r is exact to about 2^-60 for k < 64),
 * expm1(r) by its Taylor series to r^13 (remainder < 1.3e-17 relative), and 1 for |x| >= 20
 * (tanh(20) is 1 - 8.5e-18: 1 in double).  Error: at most 2 ulp against the exact value
 * (unit.core.vmath measures it against libm at a million points and at every special value).
 *
 * The elementwise steps of a training step's passes are here too (products, the piecewise-linear
 * activations, the activations' derivatives from their values): the library's own code is built
 * for the CPU family's baseline, where these loops ran one value at a time.
 *
 * The file is compiled with -ffp-contract=off: no multiply-add is fused, so the baseline, AVX2
 * and AVX-512 variants do the same roundings in the same order and give bitwise the same
 * values (only their vector width differs), on every CPU.  And with -fno-trapping-math, which
 * changes no value: with traps GCC kept the final select (|x| >= 20) as a branch, which only
 * AVX-512's masks could vectorize, and the AVX2 variant ran one value at a time (4x slower).
 */
#include "symsweep/core.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define INL static inline __attribute__((always_inline))

INL double tanh1(double x)
{
    const double inv_ln2 = 0x1.71547652b82fep0, shift = 0x1.8p52;
    const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    double ax = fabs(x), y = 2.0 * ax, kd, r, p, s, t, th, d, bb, e, rd;
    uint64_t kb, sb;

    /* k = round(y / ln2): y / ln2 + 1.5 2^52 rounds to an integer held in the low bits */
    kd = y * inv_ln2 + shift;
    memcpy(&kb, &kd, sizeof(kb));
    kd -= shift;
    r = (y - kd * ln2_hi) - kd * ln2_lo;
    p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = (p * r) * r + r; /* expm1(r) */
    /* 2^k from k's bits (k in 0..58 where the result is used; anything for |x| >= 20 or NaN) */
    sb = ((kb - 0x4338000000000000ULL) + 1023u) << 52;
    memcpy(&s, &sb, sizeof(s));
    t = fma(s, p, s - 1.0); /* expm1(y); s - 1 is exact for k <= 52 */
    /* t / (t + 2) with the sum's and the quotient's rounding errors corrected (TwoSum, and the
     * remainder t - q d exact by a fused multiply-add, one Newton step): about half an ulp */
    d = t + 2.0;
    bb = d - t;
    e = (t - (d - bb)) + (2.0 - bb);
    rd = 1.0 / d;
    th = t * rd;
    th = th + (fma(-th, d, t) - th * e) * rd; /* one division: the correction needs no more */
    th = ax >= 20.0 ? 1.0 : th; /* NaN stays NaN: the comparison is false */
    return copysign(th, x);
}

INL void tanh_body(const double *z, double *a, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        a[i] = tanh1(z[i]);
}

/* the elementwise products of a backward pass: each value one rounding (or two, in the order
 * written), as the scalar loops they replace round them (nothing fused: -ffp-contract=off) */
INL void mul_body(const double *x, const double *y, double *out, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = x[i] * y[i];
}

INL void muladd_body(const double *a, const double *b, const double *c, const double *d, double *out,
                     size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] * b[i] + c[i] * d[i];
}

INL void dact_body(int kind, double slope, const double *z, const double *a, double *d, size_t n)
{
    switch (kind) {
    case SYM_VACT_TANH:
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            d[i] = 1.0 - a[i] * a[i];
        break;
    case SYM_VACT_SIGMOID:
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            d[i] = a[i] * (1.0 - a[i]);
        break;
    default: /* SYM_VACT_STEP: 1 where z > 0, else slope (0 for ReLU; NaN: slope) */
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            d[i] = z[i] > 0.0 ? 1.0 : slope;
        break;
    }
}

/* the piecewise-linear activations: z where z > 0, else 0 (ReLU) or slope z (leaky ReLU) */
INL void relu_body(int leaky, double slope, const double *z, double *a, size_t n)
{
    if (leaky) {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            a[i] = z[i] > 0.0 ? z[i] : slope * z[i];
    } else {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            a[i] = z[i] > 0.0 ? z[i] : 0.0;
    }
}

/* each body compiled for every variant: the baseline (x86-64 or any other CPU), AVX2 and AVX-512 */
#define VMATH_VARIANT(suffix, attr)                                                               \
    attr static void tanh_##suffix(const double *z, double *a, size_t n) { tanh_body(z, a, n); } \
    attr static void mul_##suffix(const double *x, const double *y, double *out, size_t n)      \
    {                                                                                          \
        mul_body(x, y, out, n);                                                                \
    }                                                                                          \
    attr static void muladd_##suffix(const double *a, const double *b, const double *c,        \
                                     const double *d, double *out, size_t n)                   \
    {                                                                                          \
        muladd_body(a, b, c, d, out, n);                                                       \
    }                                                                                          \
    attr static void relu_##suffix(int leaky, double slope, const double *z, double *a, size_t n) \
    {                                                                                          \
        relu_body(leaky, slope, z, a, n);                                                      \
    }                                                                                          \
    attr static void dact_##suffix(int kind, double slope, const double *z, const double *a,   \
                                   double *d, size_t n)                                        \
    {                                                                                          \
        dact_body(kind, slope, z, a, d, n);                                                    \
    }
VMATH_VARIANT(base, )
#if defined(__x86_64__)
VMATH_VARIANT(avx2, __attribute__((target("avx2,fma"))))
VMATH_VARIANT(avx512, __attribute__((target("avx512f,avx512dq,avx2,fma"))))
#endif

#if defined(__x86_64__)
/* 0 baseline, 1 AVX2, 2 AVX-512: the same choice as the other kernels' */
static int variant(void)
{
    static int v = -1;

    if (v < 0) {
        const char *k = sym_kernel_variant();
        int w = 0;

        if (strcmp(k, "avx2+fma") == 0)
            w = 1;
        else if (strcmp(k, "avx512") == 0)
            w = __builtin_cpu_supports("avx512dq") ? 2 : 1;
        v = w;
    }
    return v;
}

#define DISPATCH(name, args)                                                                      \
    switch (variant()) {                                                                          \
    case 2: name##_avx512 args; break;                                                            \
    case 1: name##_avx2 args; break;                                                              \
    default: name##_base args; break;                                                             \
    }
#else
#define DISPATCH(name, args) name##_base args;
#endif

void sym_vtanh(const double *z, double *a, size_t n) { DISPATCH(tanh, (z, a, n)) }

void sym_vmul(const double *x, const double *y, double *out, size_t n) { DISPATCH(mul, (x, y, out, n)) }

void sym_vmuladd(const double *a, const double *b, const double *c, const double *d, double *out,
                 size_t n)
{
    DISPATCH(muladd, (a, b, c, d, out, n))
}

void sym_vrelu(const double *z, double *a, size_t n) { DISPATCH(relu, (0, 0.0, z, a, n)) }

void sym_vleaky_relu(const double *z, double slope, double *a, size_t n)
{
    DISPATCH(relu, (1, slope, z, a, n))
}

void sym_vdact(int kind, double slope, const double *z, const double *a, double *d, size_t n)
{
    DISPATCH(dact, (kind, slope, z, a, d, n))
}

double sym_tanh(double x) { return tanh1(x); }
