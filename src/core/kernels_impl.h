#ifndef SYMSWEEP_KERNELS_IMPL_H
#define SYMSWEEP_KERNELS_IMPL_H
#include "symsweep/core.h"

void sym_kernel_axpy_form(int transa, int m, int N, int k, double alpha, const double *A,
                          const double *B, double beta, double *C);
void sym_kernel_dot_form(int m, int n, int K, double alpha, const double *A, const double *B,
                         double beta, double *C);
#endif
