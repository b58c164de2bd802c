/*
 * Ex4 of the article: the unit ball of a norm decides its isometries, and
 * its corners decide where constrained optima land.  Rotations keep only the
 * l2 ball; signed permutations keep every l_p ball; the l1 ball's vertices
 * sit on the axes, so solutions there are sparse.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double sym_lp_norm(const double *x, int n, double p)
{
    double s = 0.0;

    if (isinf(p)) {
        for (int i = 0; i < n; i++)
            s = fmax(s, fabs(x[i]));
        return s;
    }
    for (int i = 0; i < n; i++)
        s += pow(fabs(x[i]), p);
    return pow(s, 1.0 / p);
}

int sym_lp_norm_change(double *out, int n, double p, sym_group g, int trials, int points,
                       sym_rng *r)
{
    sym_group_opts go = SYM_GROUP_OPTS_INIT;
    double *K = NULL, *gw = NULL, *x = NULL, *y = NULL, mx = 0.0;
    int rc = 0;

    SYM_TRY(sym_alloc_doubles(&K, (size_t)n * n));
    SYM_TRY(sym_alloc_doubles(&gw, sym_group_work_size(n)));
    SYM_TRY(sym_alloc_doubles(&x, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&y, (size_t)n));
    for (int t = 0; t < trials; t++) {
        SYM_TRY(sym_group_sample(K, g, n, &go, r, gw));
        for (int k = 0; k < points; k++) {
            double nx;

            for (int i = 0; i < n; i++)
                x[i] = sym_rng_normal(r);
            nx = sym_lp_norm(x, n, p);
            for (int i = 0; i < n; i++)
                x[i] /= nx;
            sym_gemm(0, 0, n, 1, n, 1.0, K, x, 0.0, y);
            mx = fmax(mx, fabs(sym_lp_norm(y, n, p) - 1.0));
        }
    }
    *out = mx;
cleanup:
    free(K);
    free(gw);
    free(x);
    free(y);
    return rc;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* u >= 0 with u + lam p u^(p-1) = a (increasing in u for p > 1) */
static double solve_u(double a, double lam, double p)
{
    /* the root of f(u) = u + lam p u^(p-1) - a on [0, a]; f increases (p > 1),
     * f(0) = -a <= 0 <= f(a).  Newton from u = a, kept inside the bracket
     * (bisection where a step would leave it): a few iterations instead of
     * ~60 bisections, each costing a pow() */
    double lo = 0.0, hi = a, u = a;

    if (a == 0.0 || lam == 0.0)
        return a;
    for (int it = 0; it < 200; it++) {
        double um = pow(u, p - 1.0), f = u + lam * p * um - a, next;

        if (f == 0.0)
            return u;
        if (f > 0.0)
            hi = u;
        else
            lo = u;
        next = u - f / (1.0 + lam * p * (p - 1.0) * um / u);
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        if (fabs(next - u) <= 1e-16 * a || hi - lo <= 1e-17 * a)
            return next;
        u = next;
    }
    return u;
}

void sym_lp_project(double *x, const double *y, int n, double p, double rad, double *work)
{
    if (sym_lp_norm(y, n, p) <= rad) {
        memcpy(x, y, sizeof(double) * (size_t)n);
        return;
    }
    if (isinf(p)) {
        for (int i = 0; i < n; i++)
            x[i] = fmax(-rad, fmin(rad, y[i]));
        return;
    }
    if (p == 2.0) {
        double s = rad / sym_lp_norm(y, n, 2.0);

        for (int i = 0; i < n; i++)
            x[i] = s * y[i];
        return;
    }
    if (p == 1.0) {
        /* soft threshold at theta with sum max(|y|-theta, 0) = rad (Duchi et al. 2008) */
        double cum = 0.0, theta = 0.0;

        for (int i = 0; i < n; i++)
            work[i] = fabs(y[i]);
        qsort(work, (size_t)n, sizeof(double), cmp_desc);
        for (int k = 0; k < n; k++) {
            double t;

            cum += work[k];
            t = (cum - rad) / (k + 1);
            if (t < work[k])
                theta = t;
        }
        for (int i = 0; i < n; i++)
            x[i] = copysign(fmax(fabs(y[i]) - theta, 0.0), y[i]);
        return;
    }
    {
        /* KKT: x_i = sign(y_i) u_i, u_i + lam p u_i^(p-1) = |y_i|, sum u_i^p = rad^p;
         * the sum decreases in lam: bisect lam */
        double lo = 0.0, hi = 1.0, target = pow(rad, p);

        for (;;) {
            double s = 0.0;

            for (int i = 0; i < n; i++)
                s += pow(solve_u(fabs(y[i]), hi, p), p);
            if (s <= target || hi > 1e300)
                break;
            hi *= 2.0;
        }
        for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
            double mid = 0.5 * (lo + hi), s = 0.0;

            for (int i = 0; i < n; i++)
                s += pow(solve_u(fabs(y[i]), mid, p), p);
            if (s > target)
                lo = mid;
            else
                hi = mid;
        }
        for (int i = 0; i < n; i++)
            x[i] = copysign(solve_u(fabs(y[i]), hi, p), y[i]);
    }
}

int sym_lp_sparsity(double out[2], int n, double p, double rad, int quadratics, sym_rng *r)
{
    double *A = NULL, *Q = NULL, *c = NULL, *x = NULL, *xo = NULL, *v = NULL, *g = NULL,
           *w = NULL, *ev = NULL, *ew = NULL;
    int rc = 0, sparse = 0;
    double zeros = 0.0;

    if (!(p >= 1.0))
        SYM_FAIL(SYM_EINVAL, "l_p sparsity: p = %g: the ball must be convex (p >= 1)", p);
    SYM_TRY(sym_alloc_doubles(&A, (size_t)n * n));
    SYM_TRY(sym_alloc_doubles(&Q, (size_t)n * n));
    SYM_TRY(sym_alloc_doubles(&c, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&x, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&xo, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&v, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&g, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&w, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&ev, (size_t)n));
    SYM_TRY(sym_alloc_doubles(&ew, sym_syev_work_size(n)));
    for (int q = 0; q < quadratics; q++) {
        double L, cn, tk = 1.0;
        int nz = 0;

        /* Q = A^T A / n + 0.1 I: strictly convex; c outside the ball, ||c||_p = 3 rad */
        for (int i = 0; i < n * n; i++)
            A[i] = sym_rng_normal(r);
        sym_gemm(1, 0, n, n, n, 1.0 / n, A, A, 0.0, Q);
        for (int i = 0; i < n; i++)
            Q[(size_t)i * n + i] += 0.1;
        SYM_TRY(sym_syev(ev, NULL, Q, n, ew));
        L = ev[n - 1];
        for (int i = 0; i < n; i++)
            c[i] = sym_rng_normal(r);
        cn = sym_lp_norm(c, n, p);
        for (int i = 0; i < n; i++) {
            c[i] *= 3.0 * rad / cn;
            x[i] = v[i] = 0.0;
        }
        /* FISTA with step 1/L */
        for (int it = 0; it < 20000; it++) {
            double t1, step = 0.0;

            memcpy(xo, x, sizeof(double) * (size_t)n);
            for (int i = 0; i < n; i++)
                w[i] = v[i] - c[i];
            sym_gemm(0, 0, n, 1, n, 1.0, Q, w, 0.0, g);
            for (int i = 0; i < n; i++)
                w[i] = v[i] - g[i] / L;
            sym_lp_project(x, w, n, p, rad, g);
            t1 = 0.5 * (1.0 + sqrt(1.0 + 4.0 * tk * tk));
            for (int i = 0; i < n; i++) {
                v[i] = x[i] + (tk - 1.0) / t1 * (x[i] - xo[i]);
                step = fmax(step, fabs(x[i] - xo[i]));
            }
            tk = t1;
            if (step < 1e-14 * rad && it > 10)
                break;
        }
        for (int i = 0; i < n; i++)
            nz += fabs(x[i]) <= 1e-9 * rad;
        sparse += nz > 0;
        zeros += nz;
    }
    out[0] = (double)sparse / quadratics;
    out[1] = zeros / quadratics;
cleanup:
    free(A);
    free(Q);
    free(c);
    free(x);
    free(xo);
    free(v);
    free(g);
    free(w);
    free(ev);
    free(ew);
    return rc;
}
