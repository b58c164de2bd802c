/*
 * The linear assignment problem: a permutation maximizing sum_i C[i][perm[i]], by the
 * Hungarian method with potentials (Kuhn, Munkres; the O(n^3) shortest augmenting path form).
 * Weight matching of hidden units (Git Re-Basin) solves one per layer.
 */
#include "symsweep/core.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

int sym_assign_max(int *perm, double *total, const double *C, int n)
{
    /* minimize the cost -C; rows and columns 1..n, 0 is the virtual start */
    double *u = NULL, *v = NULL, *minv = NULL;
    int *p = NULL, *way = NULL, *used = NULL, rc = 0;

    if (n < 1)
        SYM_FAIL(SYM_EINVAL, "assignment of %d rows: expected at least 1", n);
    for (long long k = 0; k < (long long)n * n; k++)
        if (!isfinite(C[k]))
            SYM_FAIL(SYM_EINVAL, "assignment: entry %lld of the %d x %d score matrix is %g", k, n, n, C[k]);
    SYM_TRY(sym_alloc_doubles(&u, (size_t)n + 1));
    SYM_TRY(sym_alloc_doubles(&v, (size_t)n + 1));
    SYM_TRY(sym_alloc_doubles(&minv, (size_t)n + 1));
    SYM_TRY(sym_alloc(&p, sizeof(int) * ((size_t)n + 1)));
    SYM_TRY(sym_alloc(&way, sizeof(int) * ((size_t)n + 1)));
    SYM_TRY(sym_alloc(&used, sizeof(int) * ((size_t)n + 1)));
    for (int j = 0; j <= n; j++) {
        u[j] = v[j] = 0.0;
        p[j] = 0;
        way[j] = 0;
    }
    for (int i = 1; i <= n; i++) {
        int j0 = 0;

        p[0] = i;
        for (int j = 0; j <= n; j++) {
            minv[j] = DBL_MAX;
            used[j] = 0;
        }
        do {
            int i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;

            used[j0] = 1;
            for (int j = 1; j <= n; j++) {
                double cur;

                if (used[j])
                    continue;
                cur = -C[(size_t)(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int j = 0; j <= n; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do { /* augment along the path */
            int j1 = way[j0];

            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int j = 1; j <= n; j++)
        perm[p[j] - 1] = j - 1;
    if (total) {
        double t = 0.0;

        for (int i = 0; i < n; i++)
            t += C[(size_t)i * n + perm[i]];
        *total = t;
    }
cleanup:
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
    return rc;
}
