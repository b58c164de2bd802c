/*
 * Matrix exponential by scaling and squaring with the [13/13] Pade
 * approximant (N. J. Higham, SIAM J. Matrix Anal. Appl. 26(4), 2005).
 * Degree 13 is used for every norm: it costs a few more products than the
 * lower degrees for small ||A|| but keeps one code path; the backward error
 * bound theta_13 is what fixes the number of squarings.
 */
#include "symsweep/core.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

static const double pade13[14] = {
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0,   10559470521600.0,    670442572800.0,     33522128640.0,
    1323241920.0,        40840800.0,          960960.0,           16380.0,
    182.0,               1.0};
static const double theta13 = 5.371920351148152;

size_t sym_expm_work_size(int n) { return 7 * (size_t)n * n; }

static double norm1(const double *A, int n)
{
    double best = 0.0;

    for (int j = 0; j < n; j++) {
        double s = 0.0;

        for (int i = 0; i < n; i++)
            s += fabs(A[(size_t)i * n + j]);
        if (s > best)
            best = s;
    }
    return best;
}

/* squarings of the Pade approximant: out = out^(2^s), T as scratch */
static void square(double *out, double *T, int n, int s)
{
    for (int k = 0; k < s; k++) {
        sym_gemm(0, 0, n, n, n, 1.0, out, out, 0.0, T);
        memcpy(out, T, (size_t)n * n * sizeof(double));
    }
}

/*
 * exp(A) into out and, unless inv is NULL, exp(-A) into inv.  The approximant of -A is
 * (V + U)^{-1} (V - U) with the same U and V (V is even in A, U odd): its products are the
 * negations of A's, exactly, so exp(-A) here is bitwise what sym_expm(-A) gives, at the cost
 * of one more solve and its squarings instead of every product again.
 */
static int expm_impl(double *out, double *inv, const double *A, int n, double *work, int *ipiv)
{
    size_t nn = (size_t)n * n;
    double *As = work, *A2 = As + nn, *A4 = A2 + nn, *A6 = A4 + nn, *T = A6 + nn, *U = T + nn,
           *V = U + nn;
    const double *b = pade13;
    double nrm = norm1(A, n), scale = 1.0;
    int s = 0;
    lapack_int info;

    if (!isfinite(nrm))
        return sym_err_set(SYM_ENUMERIC, __FILE__, __LINE__,
                           "matrix exponential of a matrix with non-finite entries");
    if (nrm > theta13) {
        s = (int)ceil(log2(nrm / theta13));
        scale = ldexp(1.0, -s);
    }
    for (size_t i = 0; i < nn; i++)
        As[i] = A[i] * scale;
    sym_gemm(0, 0, n, n, n, 1.0, As, As, 0.0, A2);
    sym_gemm(0, 0, n, n, n, 1.0, A2, A2, 0.0, A4);
    sym_gemm(0, 0, n, n, n, 1.0, A4, A2, 0.0, A6);

    /* U = A [A6 (b13 A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I] */
    for (size_t i = 0; i < nn; i++)
        T[i] = b[13] * A6[i] + b[11] * A4[i] + b[9] * A2[i];
    sym_gemm(0, 0, n, n, n, 1.0, A6, T, 0.0, V); /* V used as scratch */
    for (size_t i = 0; i < nn; i++)
        V[i] += b[7] * A6[i] + b[5] * A4[i] + b[3] * A2[i];
    for (int i = 0; i < n; i++)
        V[(size_t)i * n + i] += b[1];
    sym_gemm(0, 0, n, n, n, 1.0, As, V, 0.0, U);

    /* V = A6 (b12 A6 + b10 A4 + b8 A2) + b6 A6 + b4 A4 + b2 A2 + b0 I */
    for (size_t i = 0; i < nn; i++)
        T[i] = b[12] * A6[i] + b[10] * A4[i] + b[8] * A2[i];
    sym_gemm(0, 0, n, n, n, 1.0, A6, T, 0.0, V);
    for (size_t i = 0; i < nn; i++)
        V[i] += b[6] * A6[i] + b[4] * A4[i] + b[2] * A2[i];
    for (int i = 0; i < n; i++)
        V[(size_t)i * n + i] += b[0];

    /* R = (V - U)^{-1} (V + U).  P = V - U and Q = V + U are polynomials in A,
     * so they commute and the column-major solve on the transposed arrays
     * returns R^T in column-major, i.e. R in row-major. */
    for (size_t i = 0; i < nn; i++) {
        double u = U[i], v = V[i];

        T[i] = v - u;
        out[i] = v + u;
    }
    if (inv) { /* -A's: the matrix V + U and the right side V - U (As and A2 are free) */
        memcpy(As, out, nn * sizeof(double));
        memcpy(inv, T, nn * sizeof(double));
    }
    info = LAPACKE_dgesv_work(LAPACK_COL_MAJOR, n, n, T, n, ipiv, out, n);
    SYM_ASSERT(info >= 0);
    if (info == 0 && inv)
        info = LAPACKE_dgesv_work(LAPACK_COL_MAJOR, n, n, As, n, ipiv, inv, n);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        return sym_err_set(SYM_ENUMERIC, __FILE__, __LINE__,
                           "matrix exponential: Pade denominator is singular (norm %g)", nrm);
    square(out, T, n, s);
    if (inv)
        square(inv, T, n, s);
    return 0;
}

int sym_expm(double *out, const double *A, int n, double *work, int *ipiv)
{
    return expm_impl(out, NULL, A, n, work, ipiv);
}

int sym_expm_pair(double *out, double *inv, const double *A, int n, double *work, int *ipiv)
{
    return expm_impl(out, inv, A, n, work, ipiv);
}
