/*
 * The baseline variant of the kernels (kernels.c chooses it on CPUs without AVX2 and FMA, on
 * CPUs other than x86-64, or under SYMSWEEP_KERNELS=baseline).  Its own file, because the
 * vector layout differs: the bodies run on four 2-double quarters (SYM_V8_PARTS 4), each one
 * SSE2 register (meant as one 128-bit register of other CPUs too; only x86-64 is built and
 * tested here), where GCC would keep the 8-double type in memory.  No multiply-add is fused (SSE2 has none, and the file is compiled with
 * -ffp-contract=off for CPUs that have one): the results differ from the AVX2 and AVX-512
 * variants' by the roundings fusing saves.
 */
#define SYM_V8_PARTS 4
#define SYM_KFMA 0
#define SYM_KLINK
#include "kernels_body.h"

VARIANT(base, , 0)
