/* Small statistics for summaries: Student's t quantiles, mean and spread. */
#include "symsweep/core.h"

#include <math.h>

/* continued fraction of the regularized incomplete beta function (modified
 * Lentz); converges quickly for x < (a + 1) / (a + b + 2) */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0), h;

    d = fabs(d) < tiny ? tiny : d;
    d = 1.0 / d;
    h = d;
    /* near the branch point it needs O(sqrt(max(a, b))) terms: allow for df ~ 1e9 */
    for (int m = 1; m <= 200000; m++) {
        double m2 = 2.0 * m, num, del;

        num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15)
            break;
    }
    return h;
}

/* lgamma(a + b) - lgamma(a) - lgamma(b), without the cancellation of two
 * huge lgamma values when a (the t distribution's df / 2) is large:
 * lgamma(a + b) - lgamma(a) = b log a + b (b - 1) / (2 a) + O(a^-2) */
static double lbeta_ratio(double a, double b)
{
    if (a > 1e6 && b < 10.0)
        return b * log(a) + b * (b - 1.0) / (2.0 * a) - lgamma(b);
    if (b > 1e6 && a < 10.0)
        return a * log(b) + a * (a - 1.0) / (2.0 * b) - lgamma(a);
    return lgamma(a + b) - lgamma(a) - lgamma(b);
}

/* I_x(a, b) with y = 1 - x given exactly: near x = 1 the caller knows y to
 * full precision, and a log(x) = a log1p(-y) keeps it */
static double beta_inc2(double a, double b, double x, double y)
{
    double front, lx, ly;

    if (x <= 0.0)
        return 0.0;
    if (y <= 0.0)
        return 1.0;
    lx = x > 0.5 ? log1p(-y) : log(x);
    ly = y > 0.5 ? log1p(-x) : log(y);
    front = exp(lbeta_ratio(a, b) + a * lx + b * ly);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, y) / b;
}

double sym_beta_inc(double a, double b, double x) { return beta_inc2(a, b, x, 1.0 - x); }

double sym_student_t_cdf(double t, double df)
{
    double d = df + t * t;
    double tail = 0.5 * beta_inc2(0.5 * df, 0.5, df / d, t * t / d);

    return t >= 0.0 ? 1.0 - tail : tail;
}

double sym_student_t_quantile(double p, double df)
{
    double lo = -1e6, hi = 1e6;

    if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
        return NAN;
    /* the CDF is monotone: bisection to the last bit */
    for (int i = 0; i < 200 && hi - lo > 1e-15 * fmax(1.0, fabs(hi)); i++) {
        double mid = 0.5 * (lo + hi);

        if (sym_student_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void sym_mean_ci(double *mean, double *std, double *half, const double *x, size_t n)
{
    double s = 0.0, ss = 0.0, m;

    if (n == 0) {
        *mean = *std = *half = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++)
        s += x[i];
    m = s / n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    if (n < 2) {
        *std = *half = NAN;
        return;
    }
    *std = sqrt(ss / (n - 1));
    *half = sym_student_t_quantile(0.975, (double)(n - 1)) * *std / sqrt((double)n);
}
