/*
 * The AVX2+FMA variant of the kernels (kernels.c chooses it on CPUs with AVX2 and FMA but not
 * AVX-512, or under SYMSWEEP_KERNELS=avx2).  Its own file, because the vector layout differs:
 * the bodies run on two 4-double halves (SYM_V8_PARTS 2), each an AVX2 register, where GCC
 * would keep the 8-double type in memory; per lane the arithmetic is the AVX-512 variant's, so
 * the results are bitwise the same.
 */
#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif
#define SYM_V8_PARTS 2
#define SYM_KFMA 1
#define SYM_KLINK
#include "kernels_body.h"

VARIANT(avx2, , 0)
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
typedef int sym_kernels_avx2_unused; /* ISO C: a file declares something */
#endif
