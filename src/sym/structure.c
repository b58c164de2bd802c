/*
 * Ex3 of the article: what a regularizer does to the weights of a linear
 * autoencoder (encoder W [d x D], decoder W' [D x d]).  Frobenius keeps the
 * orthogonal group: the Transpose Theorem gives W' = W^T.  Entry-wise l1 keeps
 * only signed permutations: sparse, axis-aligned weights.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sparsity(const double *w, size_t n)
{
    double mx = 0.0;
    size_t small = 0;

    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(w[i]));
    for (size_t i = 0; i < n; i++)
        small += fabs(w[i]) < 0.01 * mx;
    return n ? (double)small / n : NAN;
}

int sym_structure_measure(sym_structure *out, double *balance_l2, double *balance_l1,
                          double *sv_enc, double *sv_dec, double *sv_prod, const double *W,
                          const double *Wd, int d, int D)
{
    double *G = NULL, *P = NULL, *work = NULL;
    double num = 0.0, den = 0.0, ne = 0.0, nd = 0.0;
    int rc = 0, k = d < D ? d : D;

    SYM_TRY(sym_alloc_doubles(&G, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&P, (size_t)D * D));
    /* W W^T [d x d] - I */
    sym_gemm(0, 1, d, d, D, 1.0, W, W, 0.0, G);
    for (int i = 0; i < d; i++)
        G[(size_t)i * d + i] -= 1.0;
    out->orthogonality_error = sym_norm2(G, (size_t)d * d) / sqrt((double)d);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < d; j++) {
            double e = Wd[(size_t)i * d + j] - W[(size_t)j * D + i];

            num += e * e;
            den += W[(size_t)j * D + i] * W[(size_t)j * D + i];
        }
    out->transpose_error = sqrt(num) / sqrt(den);
    out->sparsity_encoder = sparsity(W, (size_t)d * D);
    out->sparsity_decoder = sparsity(Wd, (size_t)d * D);
    ne = sym_norm2(W, (size_t)d * D);
    nd = sym_norm2(Wd, (size_t)d * D);
    out->norm_ratio = ne / nd;
    for (int i = 0; i < d; i++) {
        double e2 = 0, e1 = 0, c2 = 0, c1 = 0;

        for (int j = 0; j < D; j++) {
            e2 += W[(size_t)i * D + j] * W[(size_t)i * D + j];
            e1 += fabs(W[(size_t)i * D + j]);
            c2 += Wd[(size_t)j * d + i] * Wd[(size_t)j * d + i];
            c1 += fabs(Wd[(size_t)j * d + i]);
        }
        if (balance_l2)
            balance_l2[i] = sqrt(e2) / sqrt(c2);
        if (balance_l1)
            balance_l1[i] = e1 / c1;
    }
    if (sv_enc || sv_dec || sv_prod) {
        size_t ws = sym_svd_work_size(D, D), w2 = sym_svd_work_size(d, D), w3 = sym_svd_work_size(D, d);

        ws = ws > w2 ? ws : w2;
        ws = ws > w3 ? ws : w3;
        SYM_TRY(sym_alloc_doubles(&work, ws));
        if (sv_enc)
            SYM_TRY(sym_svd(sv_enc, NULL, NULL, W, d, D, work));
        if (sv_dec)
            SYM_TRY(sym_svd(sv_dec, NULL, NULL, Wd, D, d, work));
        if (sv_prod) {
            double *s = NULL;

            /* W'W [D x D] has rank <= k: its k largest singular values */
            sym_gemm(0, 0, D, D, d, 1.0, Wd, W, 0.0, P);
            SYM_TRY(sym_alloc_doubles(&s, (size_t)D));
            rc = sym_svd(s, NULL, NULL, P, D, D, work);
            if (!rc)
                memcpy(sv_prod, s, sizeof(double) * (size_t)k);
            free(s);
            if (rc)
                goto cleanup;
        }
    }
cleanup:
    free(G);
    free(P);
    free(work);
    return rc;
}
