/*
 * Orbits and stabilizers of image features (seed 004) on prototypes whose answers are known:
 * on an 8 x 8 grid under D4 a centred cross is fixed by all 8 elements (orbit 1), a
 * horizontal bar by 4 (the half turn and the two flips of its axes: orbit 2), a corner block
 * by 2 (the transpose: orbit 4), a generic patch by 1 (orbit 8); under the torus's 64
 * translations the full-width bar is fixed by its 8 horizontal shifts (orbit 8); under the
 * product (512 elements) the cross keeps its 8 (orbit 64).  |orbit| |stabilizer| = |G| in
 * every case.  Lie groups: an edge f = g(x) is fixed by the flows with no x component,
 * x d/dy, y d/dy (gl(2): 2 of 4) and d/dy (aff(2): 3 of 6), exactly; a Gaussian blob by the
 * rotation (so(2): 1 of 1, to discretization), and in aff(2) by the rotation only; a generic
 * patch by none.  Negative controls: noise added to the cross breaks its stabilizer at a tight
 * tolerance and keeps it at a loose one.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

enum { H = 8, N = 64 };

static void proto(double *f, const char *kind, uint64_t seed)
{
    sym_rng r;

    sym_rng_init(&r, seed, SYM_RNG_TEST, 0);
    for (int i = 0; i < H; i++)
        for (int j = 0; j < H; j++) {
            double v = 0.0;

            if (!strcmp(kind, "cross"))
                v = (i == 3 || i == 4 || j == 3 || j == 4);
            else if (!strcmp(kind, "bar"))
                v = (i == 3 || i == 4);
            else if (!strcmp(kind, "corner"))
                v = (i <= 3 && j <= 3);
            else
                v = sym_rng_normal(&r);
            f[i * H + j] = v;
        }
}

static void expect_finite(const char *kind, sym_img_finite g, int stab, int orbit)
{
    double f[N];
    sym_img_finite_stats st;

    proto(f, kind, 1);
    check_ok(sym_img_finite_measure(&st, f, H, H, g, 1e-9));
    printf("%-8s %-16s order %3d stabilizer %2d orbit %3d (counted <= %.1e, next %.2f)\n", kind,
           sym_img_finite_names[g], st.order, st.stabilizer, st.orbit, st.counted_max, st.uncounted_min);
    assert_int_equal(st.stabilizer, stab);
    assert_int_equal(st.orbit, orbit);
    assert_int_equal(st.orbit * st.stabilizer, st.order);
}

static void test_finite(void **s)
{
    (void)s;
    expect_finite("cross", SYM_IMG_D4, 8, 1);
    expect_finite("bar", SYM_IMG_D4, 4, 2);
    expect_finite("corner", SYM_IMG_D4, 2, 4);
    expect_finite("generic", SYM_IMG_D4, 1, 8);
    expect_finite("bar", SYM_IMG_TRANSLATIONS, 8, 8);
    expect_finite("generic", SYM_IMG_TRANSLATIONS, 1, 64);
    expect_finite("cross", SYM_IMG_D4_TRANSLATIONS, 8, 64);
}

/* the tolerance decides: a cross with noise of 1e-3 */
static void test_finite_tolerance(void **s)
{
    double f[N];
    sym_img_finite_stats st;
    sym_rng r;

    (void)s;
    proto(f, "cross", 1);
    sym_rng_init(&r, 9, SYM_RNG_TEST, 0);
    for (int i = 0; i < N; i++)
        f[i] += 1e-3 * sym_rng_normal(&r);
    check_ok(sym_img_finite_measure(&st, f, H, H, SYM_IMG_D4, 1e-6));
    assert_int_equal(st.stabilizer, 1);
    assert_int_equal(st.orbit, 8);
    check_ok(sym_img_finite_measure(&st, f, H, H, SYM_IMG_D4, 1e-2));
    assert_int_equal(st.stabilizer, 8);
    assert_true(st.counted_max > 1e-6 && st.counted_max < 1e-2 && isinf(st.uncounted_min));
}

static void expect_lie(const char *what, const double *f, int h, sym_img_lie g, double tol, int stab)
{
    sym_img_lie_stats st;

    check_ok(sym_img_lie_measure(&st, f, h, h, g, tol));
    printf("%-10s %-5s stabilizer %d orbit %d  sv", what, sym_img_lie_names[g], st.stabilizer, st.orbit);
    for (int j = 0; j < st.dim; j++)
        printf(" %.2e", st.sv[j]);
    printf("  gap %.3g\n", st.gap);
    assert_int_equal(st.stabilizer, stab);
    assert_int_equal(st.orbit, st.dim - stab);
}

static void test_lie(void **s)
{
    enum { G = 24 };
    double e[G * G], b[G * G], r[G * G];
    sym_rng rng;

    (void)s;
    sym_rng_init(&rng, 4, SYM_RNG_TEST, 0);
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            double x = (j - 11.5) / 11.5, y = (i - 11.5) / 11.5;

            e[i * G + j] = tanh(4.0 * x);                     /* an edge along y */
            b[i * G + j] = exp(-(x * x + y * y) / 0.18);      /* a centred blob */
            r[i * G + j] = sym_rng_normal(&rng);              /* generic */
        }
    expect_lie("edge", e, G, SYM_IMG_GL2, 1e-12, 2);
    expect_lie("edge", e, G, SYM_IMG_AFF2, 1e-12, 3);
    expect_lie("edge", e, G, SYM_IMG_SO2, 0.05, 0);
    expect_lie("blob", b, G, SYM_IMG_SO2, 0.05, 1);
    expect_lie("blob", b, G, SYM_IMG_AFF2, 0.05, 1);
    expect_lie("generic", r, G, SYM_IMG_AFF2, 0.05, 0);
    /* the blob off centre: the rotation about the grid's centre no longer fixes it */
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            double x = (j - 11.5) / 11.5 - 0.3, y = (i - 11.5) / 11.5;

            b[i * G + j] = exp(-(x * x + y * y) / 0.18);
        }
    expect_lie("blob+0.3", b, G, SYM_IMG_SO2, 0.05, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finite),
        cmocka_unit_test(test_finite_tolerance),
        cmocka_unit_test(test_lie),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
