/*
 * Learned linear groups (seed 003, Linear Group Networks): a layer's filters are a base
 * filter b and its images A b, ..., A^(p-1) b under a learned matrix A on weight space.  What
 * a researcher asks of a learned A, measured in the pixel basis (conjugacy alone says little:
 * any invertible filter set makes A conjugate to a cyclic shift, so recovery is measured
 * against a reference T as a matrix on the same pixels):
 *   - invertibility: smallest singular value and condition number;
 *   - closure: ||A^p - I||_F / sqrt(d), and the eigenvalues' distance to the p-th roots of 1;
 *   - structure: relative distances to the skew-symmetric, Toeplitz and circulant matrices
 *     (orthogonal projections: the antisymmetric part, diagonal means, cyclic-diagonal means)
 *     and to the nearest permutation (an assignment problem);
 *   - recovery: min over r = 1..p-1 of ||A - T^r||_F / ||T^r||_F, and that r;
 *   - what the data cannot see: the filters b, A b, ..., A^(p-1) b depend on A only through
 *     A V with V = [b, A b, ..., A^(p-2) b] (by induction: A^k b = A (A^(k-1) b)), so every
 *     A + dA with dA V = 0 has the same filters, exactly (V itself is unchanged): d (d - rank V)
 *     of them, d (d - p + 1) for a generic b (1,188 of 1,296 at d = 36, p = 4); the share of
 *     ||A||^2 in them is ||A (I - V V^+)||^2 / ||A||^2: set by the penalty and the
 *     initialization, not by the data.
 * The transforms of the paper's patch experiments are in patch.c.
 */
#include "symsweep/sym.h"

#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int sym_lgroup_filters(double *F, const double *A, const double *b, int d, int p)
{
    if (d < 1 || p < 1)
        return SYM_EINVAL;
    memcpy(F, b, sizeof(double) * (size_t)d);
    for (int k = 1; k < p; k++)
        sym_gemm(0, 0, d, 1, d, 1.0, A, F + (size_t)(k - 1) * d, 0.0, F + (size_t)k * d);
    return 0;
}

int sym_lgroup_fit(double *A, const double *X, const double *Y, int n, int d)
{
    double *Xc = NULL, *Yc = NULL, *s = NULL;
    int rc = 0, rank = 0, info, ld = n > d ? n : d;

    if (n < 1 || d < 1)
        SYM_FAIL(SYM_EINVAL, "least-squares fit of A: %d samples of dimension %d", n, d);
    SYM_TRY(sym_alloc_doubles(&Xc, (size_t)n * d));
    SYM_TRY(sym_alloc_doubles(&Yc, (size_t)ld * d));
    SYM_TRY(sym_alloc_doubles(&s, (size_t)d));
    memcpy(Xc, X, sizeof(double) * (size_t)n * d);
    memcpy(Yc, Y, sizeof(double) * (size_t)n * d);
    /* X A^T = Y, rows of X the samples: minimal-norm least squares (SVD) */
    info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, n, d, d, Xc, d, Yc, d, s, -1.0, &rank);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "least-squares fit of A: the SVD did not converge (info %d)", info);
    sym_transpose(A, Yc, d, d); /* Yc's first d rows hold A^T */
cleanup:
    free(Xc);
    free(Yc);
    free(s);
    return rc;
}

/* ||A - proj(A)|| / ||A|| for the projections onto Toeplitz (cyclic 0) or circulant (1) */
static double diagonal_distance(const double *A, int d, int cyclic)
{
    double num = 0.0, den = sym_norm2(A, (size_t)d * d);
    int nd = cyclic ? d : 2 * d - 1;
    double *mean = calloc((size_t)nd, sizeof(double));
    int *cnt = calloc((size_t)nd, sizeof(int));

    if (!mean || !cnt) {
        free(mean);
        free(cnt);
        return NAN;
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            int k = cyclic ? ((j - i) % d + d) % d : j - i + d - 1;

            mean[k] += A[(size_t)i * d + j];
            cnt[k]++;
        }
    for (int k = 0; k < nd; k++)
        mean[k] /= cnt[k];
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            int k = cyclic ? ((j - i) % d + d) % d : j - i + d - 1;
            double r = A[(size_t)i * d + j] - mean[k];

            num += r * r;
        }
    free(mean);
    free(cnt);
    return den > 0.0 ? sqrt(num) / den : NAN;
}

/* out = A^k (k >= 0), d x d; work d x d */
static void power(double *out, const double *A, int d, int k, double *work)
{
    memset(out, 0, sizeof(double) * (size_t)d * d);
    for (int i = 0; i < d; i++)
        out[(size_t)i * d + i] = 1.0;
    for (int t = 0; t < k; t++) {
        sym_gemm(0, 0, d, d, d, 1.0, A, out, 0.0, work);
        memcpy(out, work, sizeof(double) * (size_t)d * d);
    }
}

static int invertibility(sym_lgroup_stats *o, const double *A, int d)
{
    double *s = NULL, *work = NULL;
    int rc = 0;

    SYM_TRY(sym_alloc_doubles(&s, (size_t)d));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(d, d)));
    SYM_TRY(sym_svd(s, NULL, NULL, A, d, d, work));
    o->sigma_min = s[d - 1];
    o->cond = s[d - 1] > 0.0 ? s[0] / s[d - 1] : INFINITY;
cleanup:
    free(s);
    free(work);
    return rc;
}

static int spectrum(sym_lgroup_stats *o, double *eig_re, double *eig_im, const double *A, int d, int p)
{
    double *M = NULL, *wr = NULL, *wi = NULL;
    int rc = 0, info;

    SYM_TRY(sym_alloc_doubles(&M, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&wr, (size_t)d));
    SYM_TRY(sym_alloc_doubles(&wi, (size_t)d));
    memcpy(M, A, sizeof(double) * (size_t)d * d);
    info = LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', d, M, d, wr, wi, NULL, 1, NULL, 1);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "eigenvalues of A: QR did not converge (info %d)", info);
    o->root_distance = 0.0;
    for (int i = 0; i < d; i++) {
        double best = INFINITY;

        for (int k = 0; k < p; k++) {
            double complex z = wr[i] + I * wi[i] - cexp(2.0 * M_PI * I * k / p);

            best = fmin(best, cabs(z));
        }
        o->root_distance = fmax(o->root_distance, best);
        if (eig_re)
            eig_re[i] = wr[i];
        if (eig_im)
            eig_im[i] = wi[i];
    }
cleanup:
    free(M);
    free(wr);
    free(wi);
    return rc;
}

/* the directions V = [b, A b, ..., A^(p-2) b] leaves unseen, and A's share in them; *Ur (owned
 * by the caller) an orthonormal basis [d x *rank] of V's column space, what the filters see */
static int invisible(sym_lgroup_stats *o, const double *A, const double *b, int d, int p, double **Ur,
                     int *rank_out)
{
    int q = p - 1, rc = 0, rank = 0;
    double *F = NULL, *V = NULL, *U = NULL, *Vt = NULL, *s = NULL, *work = NULL, *AU = NULL, seen = 0.0;
    double nA = sym_norm2(A, (size_t)d * d);

    o->invisible_dim = d * d;
    o->invisible_share = 1.0;
    if (q < 1)
        return 0; /* p = 1: the one filter b does not involve A */
    SYM_TRY(sym_alloc_doubles(&F, (size_t)q * d));
    SYM_TRY(sym_alloc_doubles(&V, (size_t)d * q));
    SYM_TRY(sym_alloc_doubles(&U, (size_t)d * (d < q ? d : q)));
    SYM_TRY(sym_alloc_doubles(&Vt, (size_t)q * q));
    SYM_TRY(sym_alloc_doubles(&s, (size_t)q));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(d, q)));
    SYM_TRY(sym_lgroup_filters(F, A, b, d, q));
    sym_transpose(V, F, q, d); /* V [d x q]: the filters as columns */
    SYM_TRY(sym_svd(s, U, Vt, V, d, q, work));
    for (int k = 0; k < (d < q ? d : q); k++)
        rank += s[k] > 1e-12 * s[0];
    o->invisible_dim = d * (d - rank);
    /* ||A U_r||^2: the part of A the filters see (U_r: V's column space, orthonormal) */
    SYM_TRY(sym_alloc_doubles(&AU, (size_t)d * (d < q ? d : q)));
    sym_gemm_ld(0, 0, d, rank, d, 1.0, A, d, U, d < q ? d : q, 0.0, AU, d < q ? d : q);
    for (int i = 0; i < d; i++)
        for (int k = 0; k < rank; k++)
            seen += AU[(size_t)i * (d < q ? d : q) + k] * AU[(size_t)i * (d < q ? d : q) + k];
    o->invisible_share = nA > 0.0 ? fmax(0.0, 1.0 - seen / (nA * nA)) : NAN;
    SYM_TRY(sym_alloc_doubles(Ur, (size_t)d * (rank > 0 ? rank : 1)));
    for (int i = 0; i < d; i++)
        for (int k = 0; k < rank; k++)
            (*Ur)[(size_t)i * rank + k] = U[(size_t)i * (d < q ? d : q) + k];
    *rank_out = rank;
cleanup:
    free(F);
    free(V);
    free(U);
    free(Vt);
    free(s);
    free(work);
    free(AU);
    return rc;
}

int sym_lgroup_measure(sym_lgroup_stats *o, double *eig_re, double *eig_im, const double *A,
                       const double *b, int d, int p, const double *T)
{
    double *P = NULL, *W = NULL, *C = NULL, *Ur = NULL, *D = NULL, nA = sym_norm2(A, (size_t)d * d);
    double skew = 0.0, total = 0.0;
    int *perm = NULL, rc = 0, rank = 0;

    if (d < 1 || p < 1)
        SYM_FAIL(SYM_EINVAL, "learned group: d = %d, p = %d: expected both >= 1", d, p);
    memset(o, 0, sizeof(*o));
    SYM_TRY(invertibility(o, A, d));
    SYM_TRY(spectrum(o, eig_re, eig_im, A, d, p));
    SYM_TRY(sym_alloc_doubles(&P, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&W, (size_t)d * d));
    power(P, A, d, p, W);
    for (int i = 0; i < d; i++)
        P[(size_t)i * d + i] -= 1.0;
    o->closure = sym_norm2(P, (size_t)d * d) / sqrt((double)d);
    /* distance to the skew-symmetric matrices: the symmetric part */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double sym = 0.5 * (A[(size_t)i * d + j] + A[(size_t)j * d + i]);

            skew += sym * sym;
        }
    o->skew = nA > 0.0 ? sqrt(skew) / nA : NAN;
    o->toeplitz = diagonal_distance(A, d, 0);
    o->circulant = diagonal_distance(A, d, 1);
    /* the nearest permutation: max sum_i A[i, perm(i)] (||A - P||^2 = ||A||^2 - 2 tr(P^T A) + d) */
    SYM_TRY(sym_alloc(&perm, sizeof(int) * (size_t)d));
    SYM_TRY(sym_assign_max(perm, &total, A, d));
    o->permutation = nA > 0.0 ? sqrt(fmax(0.0, nA * nA - 2.0 * total + d)) / nA : NAN;
    o->reference = NAN;
    o->reference_power = -1;
    o->reference_seen = NAN;
    o->invisible_dim = -1;
    o->invisible_share = NAN;
    if (b) /* a dense layer has no base filter: the invisible directions do not apply */
        SYM_TRY(invisible(o, A, b, d, p, &Ur, &rank));
    if (T && rank > 0)
        SYM_TRY(sym_alloc_doubles(&D, (size_t)d * d * 2));
    if (T) {
        SYM_TRY(sym_alloc_doubles(&C, (size_t)d * d));
        memcpy(C, T, sizeof(double) * (size_t)d * d); /* C = T^r, r = 1.. */
        for (int r = 1; r < (p > 1 ? p : 2); r++) {
            double num = 0.0, den = sym_norm2(C, (size_t)d * d);

            for (size_t k = 0; k < (size_t)d * d; k++)
                num += (A[k] - C[k]) * (A[k] - C[k]);
            if (den > 0.0 && (o->reference_power < 0 || sqrt(num) / den < o->reference)) {
                o->reference = sqrt(num) / den;
                o->reference_power = r;
            }
            if (D) { /* on what the filters see: ||(A - T^r) U|| / ||T^r U||, the best r */
                double *E = D + (size_t)d * d, se;

                for (size_t k = 0; k < (size_t)d * d; k++)
                    D[k] = A[k] - C[k];
                sym_gemm(0, 0, d, rank, d, 1.0, D, Ur, 0.0, E);
                se = sym_norm2(E, (size_t)d * rank);
                sym_gemm(0, 0, d, rank, d, 1.0, C, Ur, 0.0, E);
                se /= sym_norm2(E, (size_t)d * rank);
                if (isfinite(se) && !(se >= o->reference_seen))
                    o->reference_seen = se;
            }
            sym_gemm(0, 0, d, d, d, 1.0, T, C, 0.0, W);
            memcpy(C, W, sizeof(double) * (size_t)d * d);
        }
    }
cleanup:
    free(Ur);
    free(D);
    free(P);
    free(W);
    free(C);
    free(perm);
    return rc;
}

void sym_lgroup_identity_pattern(double *out, const double *A, int h)
{
    int d = h * h;

    /* A vec(I_h): the paper's Fig. 2 (row-major vectorization of the h x h identity) */
    for (int i = 0; i < d; i++) {
        double s = 0.0;

        for (int k = 0; k < h; k++)
            s += A[(size_t)i * d + (size_t)k * h + k];
        out[i] = s;
    }
}
