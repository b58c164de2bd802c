/*
 * Ex3 of the article, the other half: a penalty is invariant under the group
 * that keeps it (Frobenius: orthogonal; l1: signed permutations), and the
 * general linear group changes both.  The relative change of R(KW) +
 * R(W'K^-1) over random K of each family, at the trained autoencoder.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void penalties(double *fro, double *l1, const double *A, size_t n)
{
    double f = 0.0, a = 0.0;

    for (size_t i = 0; i < n; i++) {
        f += A[i] * A[i];
        a += fabs(A[i]);
    }
    *fro = f;
    *l1 = a;
}

int sym_penalty_invariance(double *mean, double *max, const double *W, const double *Wd, int d,
                           int D, int trials, sym_rng *r)
{
    static const sym_group fam[SYM_PENALTY_FAMILIES] = {
        SYM_GROUP_ORTHOGONAL, SYM_GROUP_SIGNED_PERMUTATION, SYM_GROUP_GENERAL};
    sym_group_opts go = SYM_GROUP_OPTS_INIT;
    double *K = NULL, *Ki = NULL, *gw = NULL, *inv = NULL, *KW = NULL, *WK = NULL;
    int *ipiv = NULL, rc = 0;
    double f0e, l0e, f0d, l0d, base[SYM_PENALTY_KINDS];

    if (trials < 1)
        SYM_FAIL(SYM_EINVAL, "penalty invariance: %d trials: need at least 1", trials);
    SYM_TRY(sym_alloc_doubles(&K, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&Ki, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&gw, sym_group_work_size(d)));
    SYM_TRY(sym_alloc_doubles(&inv, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&KW, (size_t)d * D));
    SYM_TRY(sym_alloc_doubles(&WK, (size_t)d * D));
    SYM_TRY(sym_alloc(&ipiv, sizeof(int) * (size_t)d));
    penalties(&f0e, &l0e, W, (size_t)d * D);
    penalties(&f0d, &l0d, Wd, (size_t)d * D);
    base[0] = f0e + f0d;
    base[1] = l0e + l0d;
    for (int f = 0; f < SYM_PENALTY_FAMILIES; f++) {
        for (int p = 0; p < SYM_PENALTY_KINDS; p++) {
            mean[f * SYM_PENALTY_KINDS + p] = 0.0;
            max[f * SYM_PENALTY_KINDS + p] = 0.0;
        }
        for (int t = 0; t < trials; t++) {
            double fe, le, fd, ld, now[SYM_PENALTY_KINDS];

            SYM_TRY(sym_group_sample(K, fam[f], d, &go, r, gw));
            SYM_TRY(sym_mat_inverse(Ki, K, d, inv, ipiv));
            sym_gemm(0, 0, d, D, d, 1.0, K, W, 0.0, KW);  /* K W [d x D] */
            sym_gemm(0, 0, D, d, d, 1.0, Wd, Ki, 0.0, WK); /* W' K^{-1} [D x d] */
            penalties(&fe, &le, KW, (size_t)d * D);
            penalties(&fd, &ld, WK, (size_t)d * D);
            now[0] = fe + fd;
            now[1] = le + ld;
            for (int p = 0; p < SYM_PENALTY_KINDS; p++) {
                double rel = fabs(now[p] - base[p]) / base[p];

                mean[f * SYM_PENALTY_KINDS + p] += rel / trials;
                max[f * SYM_PENALTY_KINDS + p] = fmax(max[f * SYM_PENALTY_KINDS + p], rel);
            }
        }
    }
cleanup:
    free(K);
    free(Ki);
    free(gw);
    free(inv);
    free(KW);
    free(WK);
    free(ipiv);
    return rc;
}
