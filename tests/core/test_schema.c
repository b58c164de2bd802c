/*
 * The host's check of a probe's declared datasets against its slice of a run's values
 * (sym_schema_check_slice): datasets inside the slice and apart pass, a run metric may view a
 * value a dataset holds, and a dataset that strays out of the slice, starts before it or reads a
 * value another dataset reads is refused with both named.  And the placement a probe gets
 * (sym_schema_measure, _pieces, _metric, _reserve): in declaration order, contiguous, the slice
 * their sum; a metric that views outside its dataset, or the value another metric views, is
 * refused.
 */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include "symsweep/core.h"
#include "symsweep/schema.h"

/* a probe at measure 10 with 24 values: data [2 x 3 x 4] at 0, its two fits after it... */
static void declare(sym_schema *s, size_t data_off, size_t fit_off, size_t fit_stride)
{
    long long d3[3] = {2, 3, 4}, d1[1] = {2};

    memset(s, 0, sizeof(*s));
    s->base = 10;
    sym_schema_measure_at(s, "/probes/p/data", 3, d3, data_off, 1, "data");
    sym_schema_measure_at(s, "/probes/p/fit", 1, d1, fit_off, fit_stride, "fit");
    check_ok(sym_schema_check(s));
}

static void test_schema_slice_inside_and_apart(void **st)
{
    sym_schema s;

    (void)st;
    declare(&s, 0, 24, 1); /* data 0..23, fit 24, 25 */
    /* a metric views the first fit: allowed; a second metric elsewhere too */
    sym_schema_measure_at(&s, "/runs/metrics/p_fit0", 0, NULL, 24, 1, "metric");
    sym_schema_measure_at(&s, "/runs/metrics/p_first", 0, NULL, 0, 1, "metric");
    check_ok(sym_schema_check_slice(&s, 0, "p", 10, 26, 0, 0, 0));
    sym_schema_dispose(&s);
    /* strided and interleaved, still apart: fit at 24 and 26, a second dataset at 25 and 27 */
    declare(&s, 0, 24, 2);
    {
        long long d1[1] = {2};
        sym_schema_measure_at(&s, "/probes/p/other", 1, d1, 25, 2, "other");
    }
    check_ok(sym_schema_check_slice(&s, 0, "p", 10, 28, 0, 0, 0));
    sym_schema_dispose(&s);
}

static void test_schema_slice_outside_refused(void **st)
{
    sym_schema s;

    (void)st;
    declare(&s, 0, 24, 1);
    /* the slice is one value short: fit's last value lies in the next probe's slice */
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 10, 25, 0, 0, 0), SYM_EINVAL);
    printf("%s\n", sym_err_message());
    assert_non_null(strstr(sym_err_message(), "/probes/p/fit"));
    assert_non_null(strstr(sym_err_message(), "outside"));
    /* a probe whose slice starts after the values its datasets read */
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 11, 26, 0, 0, 0), SYM_EINVAL);
    assert_non_null(strstr(sym_err_message(), "before"));
    sym_schema_dispose(&s);
}

static void test_schema_slice_overlap_refused(void **st)
{
    sym_schema s;

    (void)st;
    /* tangent_slice's old layout: per direction 2 x 4 steps and then 3 fit values, read as if
     * the steps of every direction were one block: the data of direction 1 reads direction 0's
     * fit */
    {
        long long d3[3] = {2, 2, 4}, d1[1] = {2};

        memset(&s, 0, sizeof(s));
        sym_schema_measure_at(&s, "/probes/ts/change", 3, d3, 0, 1, "change");
        sym_schema_measure_at(&s, "/probes/ts/order", 1, d1, 8, 11, "order");
    }
    assert_int_equal(sym_schema_check_slice(&s, 0, "ts", 0, 22, 0, 0, 0), SYM_EINVAL);
    printf("%s\n", sym_err_message());
    assert_non_null(strstr(sym_err_message(), "/probes/ts/change"));
    assert_non_null(strstr(sym_err_message(), "/probes/ts/order"));
    sym_schema_dispose(&s);
    /* two metrics on one value are refused too */
    declare(&s, 0, 24, 1);
    sym_schema_measure_at(&s, "/runs/metrics/a", 0, NULL, 3, 1, "a");
    sym_schema_measure_at(&s, "/runs/metrics/b", 0, NULL, 3, 1, "b");
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 10, 26, 0, 0, 0), SYM_EINVAL);
    sym_schema_dispose(&s);
}

static void test_schema_slice_pieces(void **st)
{
    sym_schema s;
    long long d2[2] = {5, 3};

    (void)st;
    memset(&s, 0, sizeof(s));
    s.piece_base = 2;
    sym_schema_pieces_at(&s, "/probes/p/per_piece", 2, d2, 1, "per piece"); /* values 1..3 */
    check_ok(sym_schema_check_slice(&s, 0, "p", 0, 0, 2, 5, 4));
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 0, 0, 2, 5, 3), SYM_EINVAL); /* past the piece */
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 0, 0, 2, 4, 4), SYM_EINVAL); /* piece count */
    sym_schema_dispose(&s);
}

/* the host places what a probe declares: in order, contiguous, the slice their sum */
static void test_schema_placed_in_order(void **st)
{
    sym_schema s;
    long long d3[3] = {2, 3, 4}, d1[1] = {2}, p2[2] = {5, 3};
    const sym_schema_dataset *d;

    (void)st;
    memset(&s, 0, sizeof(s));
    assert_int_equal(sym_schema_at(sym_schema_measure(&s, "/probes/p/data", 3, d3, "data")), 0);
    assert_int_equal(sym_schema_at(sym_schema_measure(&s, "/probes/p/fit", 1, d1, "fit")), 24);
    assert_int_equal(sym_schema_at(sym_schema_metric(&s, "/runs/metrics/p_fit1", "/probes/p/fit", 1,
                                                     "metric")), 25);
    assert_int_equal(sym_schema_reserve(&s, 0, 3), 26);
    assert_int_equal(sym_schema_at(sym_schema_measure(&s, "/runs/metrics/p_own", 0, NULL, "own")), 29);
    assert_int_equal(s.len, 30);
    /* pieces: each piece's values, in order; dims[0] counts the pieces */
    assert_int_equal(sym_schema_at(sym_schema_pieces(&s, "/probes/p/a", 2, p2, "a")), 0);
    assert_int_equal(sym_schema_reserve(&s, 1, 1), 3);
    assert_int_equal(sym_schema_at(sym_schema_pieces(&s, "/probes/p/b", 2, p2, "b")), 4);
    assert_int_equal(s.piece_len, 7);
    d = sym_schema_find(&s, "/probes/p/fit");
    assert_non_null(d);
    assert_int_equal(d->stride, 1);
    check_ok(sym_schema_check(&s));
    check_ok(sym_schema_check_slice(&s, 0, "p", 0, s.len, 0, 5, s.piece_len));
    sym_schema_dispose(&s);
}

/* a metric names the dataset and element it views; outside that dataset is a probe bug */
static void test_schema_view_outside_refused(void **st)
{
    sym_schema s;
    long long d1[1] = {2};

    (void)st;
    memset(&s, 0, sizeof(s));
    sym_schema_measure(&s, "/probes/p/fit", 1, d1, "fit");
    sym_schema_measure(&s, "/probes/p/more", 1, d1, "more");
    /* element 2 of fit would be more's first value: inside the slice, outside fit */
    sym_schema_metric(&s, "/runs/metrics/p_fit2", "/probes/p/fit", 2, "metric");
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 0, s.len, 0, 0, 0), SYM_EINVAL);
    printf("%s\n", sym_err_message());
    assert_non_null(strstr(sym_err_message(), "/runs/metrics/p_fit2"));
    assert_non_null(strstr(sym_err_message(), "outside its 2 values"));
    sym_schema_dispose(&s);
    /* past the slice's end too */
    memset(&s, 0, sizeof(s));
    sym_schema_measure(&s, "/probes/p/fit", 1, d1, "fit");
    sym_schema_metric(&s, "/runs/metrics/p_far", "/probes/p/fit", 7, "metric");
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 0, s.len, 0, 0, 0), SYM_EINVAL);
    assert_non_null(strstr(sym_err_message(), "/runs/metrics/p_far"));
    sym_schema_dispose(&s);
    /* a dataset not declared (or not yet) */
    memset(&s, 0, sizeof(s));
    sym_schema_metric(&s, "/runs/metrics/p_early", "/probes/p/fit", 0, "metric");
    sym_schema_measure(&s, "/probes/p/fit", 1, d1, "fit");
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 0, s.len, 0, 0, 0), SYM_EINVAL);
    printf("%s\n", sym_err_message());
    assert_non_null(strstr(sym_err_message(), "has not declared before"));
    sym_schema_dispose(&s);
}

/* two metrics on one element overlap: refused, both named */
static void test_schema_views_overlap_refused(void **st)
{
    sym_schema s;
    long long d1[1] = {2};

    (void)st;
    memset(&s, 0, sizeof(s));
    sym_schema_measure(&s, "/probes/p/fit", 1, d1, "fit");
    sym_schema_metric(&s, "/runs/metrics/a", "/probes/p/fit", 1, "a");
    check_ok(sym_schema_check_slice(&s, 0, "p", 0, s.len, 0, 0, 0));
    sym_schema_metric(&s, "/runs/metrics/b", "/probes/p/fit", 1, "b");
    assert_int_equal(sym_schema_check_slice(&s, 0, "p", 0, s.len, 0, 0, 0), SYM_EINVAL);
    printf("%s\n", sym_err_message());
    assert_non_null(strstr(sym_err_message(), "/runs/metrics/a"));
    assert_non_null(strstr(sym_err_message(), "/runs/metrics/b"));
    sym_schema_dispose(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_slice_inside_and_apart),
        cmocka_unit_test(test_schema_slice_outside_refused),
        cmocka_unit_test(test_schema_slice_overlap_refused),
        cmocka_unit_test(test_schema_slice_pieces),
        cmocka_unit_test(test_schema_placed_in_order),
        cmocka_unit_test(test_schema_view_outside_refused),
        cmocka_unit_test(test_schema_views_overlap_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
