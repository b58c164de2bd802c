/*
 * Lanczos on a symmetric operator given only by its products: the
 * tridiagonal T_m = Q^T A Q of m steps from a start vector, with full
 * reorthogonalization (classical Gram-Schmidt, twice: "twice is enough"), so
 * that Q stays orthonormal to rounding and no ghost copies of converged
 * eigenvalues appear.  From T_m: Ritz values (eigenvalue estimates, the
 * extremes first to converge), their residual norms |beta_m s_{m,i}|, and
 * the squared first components of T_m's eigenvectors, the weights of the
 * Gauss quadrature that stochastic Lanczos quadrature (SLQ) uses for the
 * spectral density.
 */
#include "symsweep/core.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int sym_lanczos(int *steps, double *alpha, double *beta, double *Q, sym_linop_fn op, void *ctx,
                size_t n, int m, const double *q0)
{
    double *w = NULL, *h = NULL, nrm, scale = 0.0;
    int rc = 0, k;

    *steps = 0;
    if (m < 1 || (size_t)m > n)
        SYM_FAIL(SYM_EINVAL, "Lanczos: %d steps on an operator of size %zu (want 1..n)", m, n);
    SYM_TRY(sym_alloc_doubles(&w, n));
    SYM_TRY(sym_alloc_doubles(&h, (size_t)m));
    nrm = sym_norm2(q0, n);
    if (!(nrm > 0.0) || !isfinite(nrm))
        SYM_FAIL(SYM_EINVAL, "Lanczos: the start vector has norm %g", nrm);
    for (size_t i = 0; i < n; i++)
        Q[i] = q0[i] / nrm;
    for (k = 0; k < m; k++) {
        double *q = Q + (size_t)k * n;

        SYM_TRY(op(ctx, w, q));
        alpha[k] = cblas_ddot((int)n, q, 1, w, 1);
        /* w -= Q_k (Q_k^T w), twice */
        for (int pass = 0; pass < 2; pass++) {
            cblas_dgemv(CblasRowMajor, CblasNoTrans, k + 1, (int)n, 1.0, Q, (int)n, w, 1, 0.0, h, 1);
            cblas_dgemv(CblasRowMajor, CblasTrans, k + 1, (int)n, -1.0, Q, (int)n, h, 1, 1.0, w, 1);
        }
        beta[k] = sym_norm2(w, n);
        if (!isfinite(alpha[k]) || !isfinite(beta[k]))
            SYM_FAIL(SYM_ENUMERIC, "Lanczos: step %d gave a non-finite value (the operator's "
                     "products are not finite)", k);
        *steps = k + 1;
        scale = fmax(scale, fmax(fabs(alpha[k]), k > 0 ? beta[k - 1] : 0.0));
        /* an invariant subspace (to the products' rounding, which a projected operator raises
         * to ~1e-10): T_k's eigenvalues are eigenvalues of A to within beta */
        if (k + 1 == m || beta[k] <= 1e-9 * scale + 1e-300)
            break;
        for (size_t i = 0; i < n; i++)
            Q[(size_t)(k + 1) * n + i] = w[i] / beta[k];
    }
cleanup:
    free(w);
    free(h);
    return rc;
}

int sym_lanczos_ritz(double *theta, double *first2, double *resid, double *vectors,
                     const double *alpha, const double *beta, int k)
{
    double *e = NULL, *S = NULL;
    lapack_int info;
    int rc = 0;

    SYM_TRY(sym_alloc_doubles(&e, (size_t)k));
    SYM_TRY(sym_alloc_doubles(&S, (size_t)k * k));
    memcpy(theta, alpha, sizeof(double) * (size_t)k);
    if (k > 1)
        memcpy(e, beta, sizeof(double) * (size_t)(k - 1));
    /* column-major k x k: column i is the eigenvector of theta[i], ascending */
    info = LAPACKE_dstev(LAPACK_COL_MAJOR, 'V', k, theta, e, S, k);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "dstev: the tridiagonal eigensolver did not converge (info %d)",
                 (int)info);
    for (int i = 0; i < k; i++) {
        if (first2)
            first2[i] = S[(size_t)i * k] * S[(size_t)i * k];
        if (resid)
            resid[i] = fabs(beta[k - 1] * S[(size_t)i * k + k - 1]);
    }
    if (vectors)
        memcpy(vectors, S, sizeof(double) * (size_t)k * k);
cleanup:
    free(e);
    free(S);
    return rc;
}
