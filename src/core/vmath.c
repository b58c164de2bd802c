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

static void tanh_base(const double *z, double *a, size_t n) { tanh_body(z, a, n); }
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void tanh_avx2(const double *z, double *a, size_t n)
{
    tanh_body(z, a, n);
}
__attribute__((target("avx512f,avx512dq,avx2,fma"))) static void tanh_avx512(const double *z, double *a,
                                                                             size_t n)
{
    tanh_body(z, a, n);
}
#endif

static void (*tanh_impl)(const double *, double *, size_t);

void sym_vtanh(const double *z, double *a, size_t n)
{
    if (!tanh_impl) {
        const char *v = sym_kernel_variant(); /* the same choice as the other kernels */

        tanh_impl = tanh_base;
#if defined(__x86_64__)
        if (strcmp(v, "avx2+fma") == 0)
            tanh_impl = tanh_avx2;
        else if (strcmp(v, "avx512") == 0 && __builtin_cpu_supports("avx512dq"))
            tanh_impl = tanh_avx512;
        else if (strcmp(v, "avx512") == 0)
            tanh_impl = tanh_avx2;
#endif
    }
    tanh_impl(z, a, n);
}

double sym_tanh(double x) { return tanh1(x); }
