/*
 * Thin wrappers over CBLAS/LAPACKE for row-major matrices.
 *
 * LAPACKE's row-major entry points transpose into freshly allocated buffers,
 * so everything here calls the column-major `_work` routines on the transpose
 * instead (a row-major m x n array is the column-major n x m transpose) and
 * takes caller workspace: nothing allocates.
 */
#include "kernels_impl.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* below these sizes of the small dimensions, our loops beat OpenBLAS's packing */
#define SMALL_MK 1024 /* also bounds k <= 64 for the axpy form's row buffer */
#define LONG_DIM 32

int sym_batch_ld(int n) { return (n + 7) / 8 * 8; }

void sym_gemm_ld(int transa, int transb, int m, int n, int k, double alpha, const double *A,
                 int lda, const double *B, int ldb, double beta, double *C, int ldc)
{
    /* the register-blocked kernels take the small operand tight */
    if (!transb && (long)m * k <= SMALL_MK && k <= SYM_KERNEL_MAX_K && n >= LONG_DIM &&
        lda == (transa ? m : k)) {
        sym_kernel_axpy_form(transa, m, n, k, alpha, A, B, ldb, beta, C, ldc);
        return;
    }
    if (!transa && transb && (long)m * n <= SMALL_MK && k >= LONG_DIM && ldc == n) {
        sym_kernel_dot_form(m, n, k, alpha, A, lda, B, ldb, beta, C);
        return;
    }
    cblas_dgemm(CblasRowMajor, transa ? CblasTrans : CblasNoTrans,
                transb ? CblasTrans : CblasNoTrans, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void sym_gemm(int transa, int transb, int m, int n, int k, double alpha, const double *A,
              const double *B, double beta, double *C)
{
    sym_gemm_ld(transa, transb, m, n, k, alpha, A, transa ? m : k, B, transb ? k : n, beta, C,
                n);
}

void sym_transpose_ld(double *out, int ldo, const double *in, int ldi, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            out[(size_t)j * ldo + i] = in[(size_t)i * ldi + j];
}

void sym_transpose(double *out, const double *in, int rows, int cols)
{
    sym_transpose_ld(out, rows, in, cols, rows, cols);
}

void sym_eye(double *out, int n)
{
    memset(out, 0, sizeof(double) * (size_t)n * (size_t)n);
    for (int i = 0; i < n; i++)
        out[(size_t)i * n + i] = 1.0;
}

double sym_norm2(const double *x, size_t n)
{
    /* scaled sum of squares: no overflow for large entries */
    double scale = 0.0, ssq = 1.0;

    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);

        if (a == 0.0)
            continue;
        if (scale < a) {
            ssq = 1.0 + ssq * (scale / a) * (scale / a);
            scale = a;
        } else {
            ssq += (a / scale) * (a / scale);
        }
    }
    return scale * sqrt(ssq);
}

double sym_max_rel_diff(const double *a, const double *b, size_t n)
{
    double dmax = 0.0, bmax = 0.0;

    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);

        if (d > dmax || isnan(d))
            dmax = isnan(d) ? INFINITY : d;
        if (fabs(b[i]) > bmax)
            bmax = fabs(b[i]);
    }
    return dmax / (bmax > 1e-300 ? bmax : 1e-300);
}

int sym_mat_inverse(double *out, const double *A, int n, double *work, int *ipiv)
{
    lapack_int info;

    /* Column-major view: the array holds A^T.  Solving A^T X = I gives
     * X = A^{-T}, whose column-major array is the row-major A^{-1}. */
    memcpy(work, A, sizeof(double) * (size_t)n * n);
    sym_eye(out, n);
    info = LAPACKE_dgesv_work(LAPACK_COL_MAJOR, n, n, work, n, ipiv, out, n);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        return sym_err_set(SYM_ENUMERIC, __FILE__, __LINE__,
                           "matrix is singular: U(%d,%d) is exactly zero", (int)info, (int)info);
    return 0;
}

static lapack_int svd_lwork(int m, int n)
{
    /* the transposed problem is n x m in column-major */
    double q = 0.0, dummy = 0.0;
    int k = m < n ? m : n;
    lapack_int info;

    (void)k;
    info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', n, m, &dummy, n, &dummy, &dummy, n,
                               &dummy, k, &q, -1);
    SYM_ASSERT(info == 0);
    return (lapack_int)q;
}

size_t sym_svd_work_size(int m, int n)
{
    return (size_t)m * n + (size_t)svd_lwork(m, n) + 8;
}

int sym_svd(double *s, double *U, double *Vt, const double *A, int m, int n, double *work)
{
    int k = m < n ? m : n;
    lapack_int lwork = svd_lwork(m, n), info;
    double *a = work, *w = work + (size_t)m * n;
    double dummy = 0.0;
    char job = (U && Vt) ? 'S' : 'N';

    /* Column-major A^T (n x m) = U' S V'^T, so A = V' S U'^T:
     * row-major U (m x k) is the column-major V'^T buffer (ld k), and
     * row-major Vt (k x n) is the column-major U' buffer (ld n). */
    memcpy(a, A, sizeof(double) * (size_t)m * n);
    info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, job, job, n, m, a, n, s, job == 'S' ? Vt : &dummy,
                               n, job == 'S' ? U : &dummy, k, w, lwork);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        return sym_err_set(SYM_ENUMERIC, __FILE__, __LINE__,
                           "SVD of a %d x %d matrix did not converge (%d superdiagonals)", m, n,
                           (int)info);
    return 0;
}

static lapack_int syev_lwork(int n)
{
    double q = 0.0, dummy = 0.0;
    lapack_int info = LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'V', 'U', n, &dummy, n, &dummy, &q, -1);

    SYM_ASSERT(info == 0);
    return (lapack_int)q;
}

size_t sym_syev_work_size(int n) { return (size_t)n * n + (size_t)syev_lwork(n) + 8; }

int sym_syev(double *w, double *V, const double *A, int n, double *work)
{
    double *a = work, *wk = work + (size_t)n * n;
    lapack_int info;

    memcpy(a, A, sizeof(double) * (size_t)n * n);
    info = LAPACKE_dsyev_work(LAPACK_COL_MAJOR, V ? 'V' : 'N', 'U', n, a, n, w, wk, syev_lwork(n));
    SYM_ASSERT(info >= 0);
    if (info > 0)
        return sym_err_set(SYM_ENUMERIC, __FILE__, __LINE__,
                           "symmetric eigensolver did not converge (%d off-diagonals)", (int)info);
    if (V) {
        /* column-major eigenvector columns -> row-major with eigenvectors as columns */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                V[(size_t)i * n + j] = a[(size_t)j * n + i];
    }
    return 0;
}

void sym_symmetrize(double *A, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double a = 0.5 * (A[(size_t)i * n + j] + A[(size_t)j * n + i]);

            A[(size_t)i * n + j] = A[(size_t)j * n + i] = a;
        }
}
