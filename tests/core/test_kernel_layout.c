/*
 * The baseline kernels' vector layout (core/kernels_base.c: four 2-double quarters where the
 * bodies are written for one 8-double vector) against the same bodies compiled here on GCC's
 * 8-double type, without fused multiply-adds as the baseline has none: per lane the same
 * operations in the same order, so every output must agree bit for bit.  A part loaded into
 * the wrong lanes, an operation applied to one part only or a lane summed in another order
 * shows here.  Both are compiled with -ffp-contract=off, as kernels_base.c is.  Run on x86-64
 * only, the one platform it has been built on (the 8-double type's bodies carry an x86 register
 * pin, dead with PIN 0 but still assembly another CPU's compiler would have to accept).
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "symsweep/core.h"

#if defined(__x86_64__)
#define SYM_V8_PARTS 1
#define SYM_KFMA 0
#define SYM_KLINK static
#include "kernels_body.h"

VARIANT(ref, , 0)

static double *draw(sym_rng *r, size_t n)
{
    double *x = malloc(sizeof(double) * (n ? n : 1));

    for (size_t i = 0; i < n; i++)
        x[i] = sym_rng_normal(r);
    return x;
}

static void same(const double *a, const double *b, size_t n, const char *what, int c)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(double)) != 0)
            fail_msg("%s, case %d, entry %zu: baseline %.17g, 8-wide reference %.17g", what, c, i,
                     a[i], b[i]);
}

/* C = beta C + alpha op(A) B: every block width and row count of the axpy form */
static void test_core_kernel_layout_axpy(void **state)
{
    static const int cases[][5] = {{3, 8, 77, 0, 0}, {3, 8, 77, 1, 1}, {8, 3, 500, 0, 0},
                                   {5, 16, 40, 1, 1}, {4, 2, 65, 0, 1}, {1, 64, 33, 0, 0},
                                   {7, 5, 129, 1, 0}, {2, 1, 9, 0, 1}};
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 11, SYM_RNG_TEST, 0);
    for (int c = 0; c < (int)(sizeof(cases) / sizeof(cases[0])); c++) {
        int m = cases[c][0], k = cases[c][1], n = cases[c][2], ta = cases[c][3], ld = n + 3;
        double beta = cases[c][4] ? 0.5 : 0.0;
        double *A = draw(&r, (size_t)m * k), *B = draw(&r, (size_t)k * ld);
        double *C = draw(&r, (size_t)m * ld), *C2 = malloc(sizeof(double) * (size_t)m * ld);

        memcpy(C2, C, sizeof(double) * (size_t)m * ld);
        symk_axpy_base(ta, m, n, k, 0.75, A, B, ld, beta, C, ld);
        symk_axpy_ref(ta, m, n, k, 0.75, A, B, ld, beta, C2, ld);
        same(C, C2, (size_t)m * ld, "axpy", c);
        free(A);
        free(B);
        free(C);
        free(C2);
    }
}

/* C = beta C + alpha A B^T, the output layer, the residual, Adam and the polynomial sums */
static void test_core_kernel_layout_others(void **state)
{
    static const int dots[][3] = {{3, 8, 500}, {7, 5, 45}, {4, 4, 33}, {1, 3, 77}, {6, 4, 50}, {2, 3, 6}};
    /* the output layer's gradient sums every row and column block of the dot kernel (RA 1-3 x RB
     * 1-4), its lanes summed 8 entries at a time on the 8-double type (V8_HSUM8) */
    static const int outs[][4] = {{8, 3, 300, 0}, {8, 3, 300, 1}, {2, 4, 50, 0}, {4, 2, 3, 0},
                                  {3, 6, 50, 1},  {5, 1, 50, 0},  {1, 5, 45, 0}, {1, 7, 40, 1}};
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 12, SYM_RNG_TEST, 0);
    for (int c = 0; c < (int)(sizeof(dots) / sizeof(dots[0])); c++) {
        int m = dots[c][0], n = dots[c][1], k = dots[c][2], ld = k + 5;
        double *A = draw(&r, (size_t)m * ld), *B = draw(&r, (size_t)n * ld), *C = draw(&r, (size_t)m * n);
        double *C2 = malloc(sizeof(double) * (size_t)m * n);

        memcpy(C2, C, sizeof(double) * (size_t)m * n);
        symk_dot_base(m, n, k, 1.25, A, ld, B, ld, 1.0, C);
        symk_dot_ref(m, n, k, 1.25, A, ld, B, ld, 1.0, C2);
        same(C, C2, (size_t)m * n, "dot", c);
        free(A);
        free(B);
        free(C);
        free(C2);
    }
    for (int c = 0; c < (int)(sizeof(outs) / sizeof(outs[0])); c++) {
        int no = outs[c][0], ni = outs[c][1], N = outs[c][2], tied = outs[c][3], ld = sym_batch_ld(N);
        size_t nout = 1 + (size_t)no * ni + no + (size_t)ni * ld;
        double *W = draw(&r, (size_t)no * ni), *b = draw(&r, (size_t)no);
        double *Ain = draw(&r, (size_t)ni * ld), *Y = draw(&r, (size_t)no * ld);
        double *o1 = calloc(nout, sizeof(double)), *o2 = calloc(nout, sizeof(double));
        double *t1 = calloc((size_t)no * TILE, sizeof(double)), *t2 = calloc((size_t)no * TILE, sizeof(double));

        o1[0] = symk_output_base(no, ni, N, ld, W, tied, b, Ain, Y, 0.01, o1 + 1, o1 + 1 + no * ni,
                                 o1 + 1 + no * ni + no, t1);
        o2[0] = symk_output_ref(no, ni, N, ld, W, tied, b, Ain, Y, 0.01, o2 + 1, o2 + 1 + no * ni,
                                o2 + 1 + no * ni + no, t2);
        same(o1, o2, nout, "output layer", c);
        free(W);
        free(b);
        free(Ain);
        free(Y);
        free(o1);
        free(o2);
        free(t1);
        free(t2);
    }
    {
        double *h = draw(&r, 4 * 80), *y = draw(&r, 4 * 80), *R = draw(&r, 6 * 4 * 40);
        double *p1 = draw(&r, 1001), *g = draw(&r, 1001), *p2 = malloc(sizeof(double) * 1001);
        double *m1 = calloc(1001, sizeof(double)), *v1 = calloc(1001, sizeof(double));
        double *m2 = calloc(1001, sizeof(double)), *v2 = calloc(1001, sizeof(double));
        double d1[4 * 80] = {0}, d2[4 * 80] = {0}, s[11], e1[11] = {0}, e2[11] = {0}, r1, r2;

        r1 = symk_resid_base(h, y, 4, 77, 80, 0.5, d1);
        r2 = symk_resid_ref(h, y, 4, 77, 80, 0.5, d2);
        same(&r1, &r2, 1, "residual's sum of squares", 0);
        same(d1, d2, 4 * 80, "residual", 0);
        memcpy(p2, p1, sizeof(double) * 1001);
        for (int t = 0; t < 3; t++) {
            symk_adam_base(1001, p1, g, m1, v1, 0.9, 0.999, 1e-3, 1.0, 1e-8);
            symk_adam_ref(1001, p2, g, m2, v2, 0.9, 0.999, 1e-3, 1.0, 1e-8);
        }
        same(p1, p2, 1001, "Adam", 0);
        for (int j = 0; j < 11; j++)
            s[j] = -1.0 + 0.2 * j;
        for (int deg = 0; deg <= 5; deg++) { /* every degree unrolled, then the general loop */
            symk_poly_base(deg, 4, 37, 40, R, 4 * 40, s, 11, e1);
            symk_poly_ref(deg, 4, 37, 40, R, 4 * 40, s, 11, e2);
        }
        same(e1, e2, 11, "polynomial sums", 0);
        free(h);
        free(y);
        free(R);
        free(p1);
        free(p2);
        free(g);
        free(m1);
        free(v1);
        free(m2);
        free(v2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_kernel_layout_axpy),
        cmocka_unit_test(test_core_kernel_layout_others),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void) { return 77; } /* skipped: see the comment at the top */
#endif
