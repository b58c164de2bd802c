/* Samplers for the group families the probes act with. */
#include "symsweep/core.h"

#include <math.h>
#include <string.h>

const char *const sym_group_names[] = {
    "general", "orthogonal", "positive_diagonal", "permutation",
    "signed_permutation", "positive_monomial", "negative_scaling"};
_Static_assert(sizeof sym_group_names / sizeof *sym_group_names == SYM_GROUP_COUNT, "one name per group");

const char *sym_group_name(sym_group g)
{
    SYM_ASSERT(g >= 0 && g < SYM_GROUP_COUNT);
    return sym_group_names[g];
}

int sym_group_from_name(const char *name)
{
    for (int g = 0; g < SYM_GROUP_COUNT; g++)
        if (strcmp(name, sym_group_names[g]) == 0)
            return g;
    return -1;
}

size_t sym_group_work_size(int n) { return 3 * (size_t)n * n + (size_t)n; }

/*
 * Haar orthogonal: Gram-Schmidt (twice, for stability) on the columns of a
 * Gaussian matrix.  Gram-Schmidt yields the QR factor whose R has a positive
 * diagonal, which is exactly the Haar-distributed Q (Mezzadri 2007).
 */
static void haar(double *Q, int n, sym_rng *r)
{
    for (size_t i = 0; i < (size_t)n * n; i++)
        Q[i] = sym_rng_normal(r);
    for (int j = 0; j < n; j++) {
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < j; k++) {
                double d = 0.0;

                for (int i = 0; i < n; i++)
                    d += Q[(size_t)i * n + k] * Q[(size_t)i * n + j];
                for (int i = 0; i < n; i++)
                    Q[(size_t)i * n + j] -= d * Q[(size_t)i * n + k];
            }
        }
        double nrm = 0.0;

        for (int i = 0; i < n; i++)
            nrm += Q[(size_t)i * n + j] * Q[(size_t)i * n + j];
        nrm = sqrt(nrm);
        for (int i = 0; i < n; i++)
            Q[(size_t)i * n + j] /= nrm;
    }
}

static void permutation(int *perm, int n, sym_rng *r)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)sym_rng_below(r, (uint32_t)i + 1);
        int t = perm[i];

        perm[i] = perm[j];
        perm[j] = t;
    }
}

static double log_uniform(sym_rng *r, double half_width)
{
    return exp((2.0 * sym_rng_uniform(r) - 1.0) * half_width);
}

int sym_group_sample(double *K, sym_group g, int n, const sym_group_opts *o, sym_rng *r,
                     double *work)
{
    size_t nn = (size_t)n * n;
    int rc = 0;

    if (n < 1)
        SYM_FAIL(SYM_EINVAL, "group element size %d: must be at least 1", n);
    memset(K, 0, nn * sizeof(double));
    switch (g) {
    case SYM_GROUP_GENERAL: {
        /* K = U diag(s) V^T, U and V Haar, log s uniform in [-log(c)/2, log(c)/2]:
         * cond(K) <= cond_max by construction, and the signs of det vary. */
        double *Uh = work, *Vh = work + nn, *T = work + 2 * nn;
        double half = 0.5 * log(o->cond_max);

        if (!(o->cond_max > 1.0))
            SYM_FAIL(SYM_EINVAL, "general group: cond_max must be > 1, found %g", o->cond_max);
        haar(Uh, n, r);
        haar(Vh, n, r);
        for (int i = 0; i < n; i++) {
            double s = exp((2.0 * sym_rng_uniform(r) - 1.0) * half);

            for (int j = 0; j < n; j++)
                T[(size_t)i * n + j] = s * Vh[(size_t)j * n + i]; /* diag(s) V^T */
        }
        sym_gemm(0, 0, n, n, n, 1.0, Uh, T, 0.0, K);
        break;
    }
    case SYM_GROUP_ORTHOGONAL:
        haar(K, n, r);
        break;
    case SYM_GROUP_POSITIVE_DIAGONAL:
        for (int i = 0; i < n; i++)
            K[(size_t)i * n + i] = log_uniform(r, o->log_scale);
        break;
    case SYM_GROUP_NEGATIVE_SCALING:
        for (int i = 0; i < n; i++)
            K[(size_t)i * n + i] = -log_uniform(r, o->log_scale);
        break;
    case SYM_GROUP_PERMUTATION:
    case SYM_GROUP_SIGNED_PERMUTATION:
    case SYM_GROUP_POSITIVE_MONOMIAL: {
        int *perm = (int *)work; /* n ints fit in n doubles */

        permutation(perm, n, r);
        for (int i = 0; i < n; i++) {
            double v = 1.0;

            if (g == SYM_GROUP_SIGNED_PERMUTATION)
                v = (sym_rng_u32(r) & 1u) ? -1.0 : 1.0;
            else if (g == SYM_GROUP_POSITIVE_MONOMIAL)
                v = log_uniform(r, o->log_scale);
            K[(size_t)i * n + perm[i]] = v;
        }
        break;
    }
    default:
        SYM_FAIL(SYM_EINVAL, "unknown group family %d", (int)g);
    }
cleanup:
    return rc;
}

double sym_group_log10_order(sym_group g, int n)
{
    if (g != SYM_GROUP_PERMUTATION && g != SYM_GROUP_SIGNED_PERMUTATION)
        return INFINITY;
    return lgamma(n + 1.0) / log(10.0) + (g == SYM_GROUP_SIGNED_PERMUTATION ? n * log10(2.0) : 0.0);
}
