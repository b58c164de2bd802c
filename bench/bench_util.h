/* Helpers the benchmark drivers share (header only: each driver is one file). */
#ifndef SYMSWEEP_BENCH_UTIL_H
#define SYMSWEEP_BENCH_UTIL_H
#include <stdlib.h>

#include "symsweep/core.h"

/* one core's DGEMM rate (flop/s) on n x n matrices through sym_gemm, the best of 3 */
static inline double bench_dgemm_rate(int n)
{
    double *A = malloc(sizeof(double) * n * n), *B = malloc(sizeof(double) * n * n),
           *C = calloc((size_t)n * n, sizeof(double)), best = 0.0;

    for (int i = 0; i < n * n; i++) {
        A[i] = 1.0 / (1 + i % 7);
        B[i] = 1.0 / (1 + i % 5);
    }
    for (int r = 0; r < 3; r++) {
        double t0 = sym_cpu_now(), dt;

        sym_gemm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
        dt = sym_cpu_now() - t0;
        best = 2.0 * n * n * n / dt > best ? 2.0 * n * n * n / dt : best;
    }
    free(A);
    free(B);
    free(C);
    return best;
}

/* qsort's comparison of doubles, ascending */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}
#endif
