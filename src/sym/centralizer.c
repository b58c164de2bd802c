/*
 * Ex2 of the article: which linear maps commute with an element-wise
 * activation.  The group elements test the centralizer's finite part
 * (permutations, signs, scalings); the infinitesimal condition finds its
 * continuous part as a null space: d/dt sigma(e^{tA} z) = e^{tA} sigma(z) at
 * t = 0 reads sigma'(z) * (A z) = A sigma(z).
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sym_centralizer_commutation(double out[2], sym_act act, double slope, int n, sym_group g,
                                int trials, int samples, sym_rng *r)
{
    return sym_centralizer_commutation_ex(out, act, slope, n, g, trials, samples, r, 0);
}

int sym_centralizer_commutation_ex(double out[2], sym_act act, double slope, int n, sym_group g,
                                   int trials, int samples, sym_rng *r, int affine)
{
    sym_group_opts go = SYM_GROUP_OPTS_INIT;
    double *M = NULL, *gw = NULL, *z = NULL, *s = NULL, *Mz = NULL, *a = NULL, *b = NULL;
    double sum = 0.0, mx = 0.0;
    int rc = 0;

    SYM_TRY(sym_alloc_doubles(&M, (size_t)n * n));
    SYM_TRY(sym_alloc_doubles(&gw, sym_group_work_size(n)));
    SYM_TRY(sym_alloc_doubles(&z, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&s, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&Mz, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&a, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&b, (size_t)n));
    for (int t = 0; t < trials; t++) {
        SYM_TRY(sym_group_sample(M, g, n, &go, r, gw));
        for (int k = 0; k < samples; k++) {
            double num = 0.0, na = 0.0, nb = 0.0, rel;

            for (int i = 0; i < n; i++)
                z[i] = sym_rng_normal(r);
            sym_act_apply(act, slope, z, s, (size_t)n);       /* sigma(z) */
            sym_gemm(0, 0, n, 1, n, 1.0, M, z, 0.0, Mz);      /* M z */
            sym_act_apply(act, slope, Mz, a, (size_t)n);      /* sigma(M z) */
            sym_gemm(0, 0, n, 1, n, 1.0, M, s, 0.0, b);       /* M sigma(z) */
            /* affine: a monomial M = P S gives sigma(M z) = M sigma(z) + kappa on the rows
             * whose entry is -1 (a bias absorbs the constant) */
            for (int i = 0; affine && i < n; i++) {
                int nz = 0, neg = 0;

                for (int j = 0; j < n; j++)
                    if (M[(size_t)i * n + j] != 0.0) {
                        nz++;
                        neg = M[(size_t)i * n + j] < 0.0;
                    }
                if (nz == 1 && neg)
                    b[i] += sym_flip_offset(act);
            }
            for (int i = 0; i < n; i++) {
                num += (a[i] - b[i]) * (a[i] - b[i]);
                na += a[i] * a[i];
                nb += b[i] * b[i];
            }
            /* symmetric relative difference, in [0, 1]: M sigma(z) can be 0
             * exactly (relu of an all-negative z), and then both sides are
             * compared on an equal footing; 0/0 (both 0) counts as commuting */
            rel = num == 0.0 ? 0.0 : sqrt(num) / (sqrt(na) + sqrt(nb));
            sum += rel;
            mx = fmax(mx, rel);
        }
    }
    out[0] = sum / ((double)trials * samples);
    out[1] = mx;
cleanup:
    free(M);
    free(gw);
    free(z);
    free(s);
    free(Mz);
    free(a);
    free(b);
    return rc;
}

int sym_centralizer_dimension(int *dim, double *gap, double *basis, sym_act act, double slope,
                              int n, int samples, sym_rng *r)
{
    double *Z = NULL, *S = NULL, *D = NULL, *Mi = NULL, *sv = NULL, *U = NULL, *Vt = NULL,
           *work = NULL, *allsv = NULL, *V = NULL;
    int rc = 0, k = samples < n ? samples : n, found = 0;
    double smax = 0.0, tol, null_max = 0.0, live_min = INFINITY;

    if (samples < n)
        SYM_FAIL(SYM_EINVAL, "centralizer: %d samples cannot determine %d unknowns per row", samples, n);
    SYM_TRY(sym_alloc_doubles(&Z, (size_t)samples * n));
    SYM_TRY(sym_alloc_doubles(&S, (size_t)samples * n));
    SYM_TRY(sym_alloc_doubles(&D, (size_t)samples * n));
    SYM_TRY(sym_alloc_doubles(&Mi, (size_t)samples * n));
    SYM_TRY(sym_alloc_doubles(&sv, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&U, (size_t)samples * n));
    SYM_TRY(sym_alloc_doubles(&Vt, (size_t)n * n));
    SYM_TRY(sym_alloc_doubles(&allsv, (size_t)n * n));
    SYM_TRY(sym_alloc_doubles(&V, (size_t)n * n * n));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(samples, n)));
    for (size_t i = 0; i < (size_t)samples * n; i++)
        Z[i] = sym_rng_normal(r);
    sym_act_apply(act, slope, Z, S, (size_t)samples * n);
    sym_act_deriv(act, slope, Z, S, D, (size_t)samples * n);
    /* pass 1: singular values of every row's condition matrix */
    for (int i = 0; i < n; i++) {
        for (int s = 0; s < samples; s++)
            for (int j = 0; j < n; j++)
                Mi[(size_t)s * n + j] = D[(size_t)s * n + i] * Z[(size_t)s * n + j] - S[(size_t)s * n + j];
        SYM_TRY(sym_svd(sv, U, Vt, Mi, samples, n, work));
        memcpy(allsv + (size_t)i * n, sv, sizeof(double) * (size_t)k);
        memcpy(V + (size_t)i * n * n, Vt, sizeof(double) * (size_t)n * n);
        smax = fmax(smax, sv[0]);
    }
    /* a scale for "zero": relative to the largest condition, or absolute when
     * every condition vanishes (linear: M_i = 0) */
    tol = smax > 1e-300 ? 1e-10 * smax : 1e-300;
    if (basis)
        for (size_t x = 0; x < (size_t)n * n * n * n; x++)
            basis[x] = NAN;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = allsv[(size_t)i * n + j];

            if (v <= tol || smax <= 1e-300) {
                null_max = fmax(null_max, v);
                /* right singular vector j of row i: A = e_i v^T */
                if (basis) {
                    double *B = basis + (size_t)found * n * n;

                    for (int q = 0; q < n * n; q++)
                        B[q] = 0.0;
                    for (int q = 0; q < n; q++)
                        B[(size_t)i * n + q] = V[(size_t)i * n * n + (size_t)j * n + q];
                }
                found++;
            } else {
                live_min = fmin(live_min, v);
            }
        }
    *dim = found;
    *gap = found == 0 || !isfinite(live_min) ? INFINITY : live_min / fmax(null_max, 1e-300);
cleanup:
    free(Z);
    free(S);
    free(D);
    free(Mi);
    free(sv);
    free(U);
    free(Vt);
    free(allsv);
    free(V);
    free(work);
    return rc;
}
