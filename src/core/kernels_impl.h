#ifndef SYMSWEEP_KERNELS_IMPL_H
#define SYMSWEEP_KERNELS_IMPL_H
#include "symsweep/core.h"

/* C [m x N] (row stride ldc) = beta C + alpha op(A) B, op(A) [m x k] tight,
 * B [k x N] (row stride ldb) */
void sym_kernel_axpy_form(int transa, int m, int N, int k, double alpha, const double *A,
                          const double *B, int ldb, double beta, double *C, int ldc);
/* C [m x n] tight = beta C + alpha A [m x K] B [n x K]^T (row strides lda, ldb) */
void sym_kernel_dot_form(int m, int n, int K, double alpha, const double *A, int lda,
                         const double *B, int ldb, double beta, double *C);
#endif
