/*
 * Products with one long contiguous dimension and tiny others: the shapes a
 * training step of a small network is made of once activations are stored
 * feature-major ([units x batch]).  OpenBLAS spends most of its time packing
 * for these; register-blocked loops over the long dimension do not.
 *
 * Each kernel is written once as an always-inlined body (kernels_body.h) and compiled three
 * times by thin wrappers: AVX-512 here (one 8-double vector), AVX2+FMA in kernels_avx2.c (two
 * 4-double halves) and the baseline in kernels_base.c (four 2-double quarters); one variant is
 * chosen per process from the CPU's features (the way OpenBLAS picks its kernels).  The
 * AVX-512 and AVX2 variants give bitwise the same results, built with GCC or clang: every
 * multiply-add is written out as the CPU's FMA (V8_FMA, V8_FMAS, SFMA) and nothing else is
 * contracted (mpi.output_checksums_avx2; mpi.output_checksums_gcc for a clang build); the
 * baseline, without FMA, rounds differently.
 * SYMSWEEP_KERNELS=baseline|avx2 caps the choice.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <cblas.h>

/* the AVX-512 variant: the bodies compiled for AVX-512 (their multiply-adds are its builtins) */
#define SYM_KLINK static
#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif
#endif
#include "kernels_body.h"

#if defined(__x86_64__)
VARIANT(avx512, , 1)
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
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
    impl.axpy = symk_axpy_base;
    impl.dot = symk_dot_base;
    impl.resid = symk_resid_base;
    impl.output = symk_output_base;
    impl.adam = symk_adam_base;
    impl.poly = symk_poly_base;
#if defined(__x86_64__)
    /* SYMSWEEP_KERNELS=baseline|avx2 caps the variant, for example so that a
     * heterogeneous cluster computes bitwise-identical runs everywhere */
    const char *cap = getenv("SYMSWEEP_KERNELS");

    __builtin_cpu_init();
    if (cap && strcmp(cap, "baseline") == 0)
        return;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        impl.name = "avx2+fma";
        impl.axpy = symk_axpy_avx2;
        impl.dot = symk_dot_avx2;
        impl.resid = symk_resid_avx2;
        impl.output = symk_output_avx2;
        impl.adam = symk_adam_avx2;
        impl.poly = symk_poly_avx2;
    }
    if (cap && strcmp(cap, "avx2") == 0)
        return;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) {
        impl.name = "avx512";
        impl.axpy = symk_axpy_avx512;
        impl.dot = symk_dot_avx512;
        impl.resid = symk_resid_avx512;
        impl.output = symk_output_avx512;
        impl.adam = symk_adam_avx512;
        impl.poly = symk_poly_avx512;
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
#if defined(SYM_HAVE_OPENBLAS) && defined(__x86_64__)
    return sym_blas_warning_for(openblas_get_corename(), __builtin_cpu_supports("avx2"),
                                __builtin_cpu_supports("avx512f"));
#else
    return NULL;
#endif
}
