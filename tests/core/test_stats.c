#include "check.h"

#include <math.h>

#include "symsweep/core.h"

/* 97.5% quantiles of Student's t: published tables (9 digits) for small df;
 * for large df the Cornish-Fisher expansion z + g1/v + g2/v^2 + g3/v^3,
 * whose error is O(v^-4) */
static void test_core_student_t_quantiles(void **state)
{
    const double df[] = {1, 2, 3, 5, 10, 30, 100, 1e5, 1e7};
    const double want[] = {12.706204736, 4.302652730, 3.182446305, 2.570581836,
                           2.228138852, 2.042272456, 1.983971519,
                           1.9599877075346095, 1.9599642217672053};

    (void)state;
    for (int i = 0; i < 9; i++)
        check_close1(sym_student_t_quantile(0.975, df[i]), want[i], 0, 2e-9);
    /* symmetric, and the CDF inverts the quantile */
    check_close1(sym_student_t_quantile(0.025, 7), -sym_student_t_quantile(0.975, 7), 1e-12, 0);
    check_close1(sym_student_t_cdf(sym_student_t_quantile(0.9, 4), 4), 0.9, 1e-13, 0);
    /* df = 1 is Cauchy: CDF(t) = 1/2 + atan(t)/pi */
    check_close1(sym_student_t_cdf(2.5, 1), 0.5 + atan(2.5) / M_PI, 1e-14, 0);
    assert_true(isnan(sym_student_t_quantile(1.5, 3)));
}

static void test_core_mean_ci(void **state)
{
    const double x[] = {1, 2, 3, 4, 5};
    double m, s, h;

    (void)state;
    sym_mean_ci(&m, &s, &h, x, 5);
    check_close1(m, 3.0, 0, 1e-15);
    check_close1(s, sqrt(2.5), 0, 1e-15);
    check_close1(h, 2.776445105 * sqrt(2.5) / sqrt(5.0), 0, 1e-9);
    sym_mean_ci(&m, &s, &h, x, 1);
    check_close1(m, 1.0, 0, 0);
    assert_true(isnan(s) && isnan(h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_student_t_quantiles),
        cmocka_unit_test(test_core_mean_ci),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
