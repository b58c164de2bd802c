/*
 * The register-blocked kernels (core/kernels.c) against plain loops: every
 * tail of the 16-, 8- and 1-column steps, padded row strides, tile edges of
 * the fused output layer.  Padding is filled with NaN, so a padding column
 * that reached a sum would show; columns past N of an output are checked
 * untouched.  The polynomial residuals of sym_eval_line likewise (every degree the kernel
 * unrolls and beyond).  ctest runs this once per kernel variant (SYMSWEEP_KERNELS).
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/core.h"

static double *draw(sym_rng *r, size_t n)
{
    double *x = malloc(sizeof(double) * (n ? n : 1));

    for (size_t i = 0; i < n; i++)
        x[i] = sym_rng_normal(r);
    return x;
}

/* rows x cols at row stride ld, padding NaN */
static double *draw_padded(sym_rng *r, int rows, int cols, int ld)
{
    double *x = draw(r, (size_t)rows * ld);

    for (int i = 0; i < rows; i++)
        for (int j = cols; j < ld; j++)
            x[(size_t)i * ld + j] = NAN;
    return x;
}

#define EPS 2.220446049250313e-16

/* got (row stride ldg) against want [rows x cols]: entry by entry within
 * the rounding bound of a sum of `terms` terms whose magnitudes add up to
 * mag[i] (any order of summation stays inside it) */
static void check_rows(const double *got, int ldg, const double *want, const double *mag,
                       int rows, int cols, int terms)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            check_close1(got[(size_t)i * ldg + j], want[(size_t)i * cols + j],
                         (terms + 2) * EPS * mag[(size_t)i * cols + j] + 1e-300, 0.0);
}

/* C = beta C + alpha op(A) B on the axpy form's shapes (small tight op(A),
 * long N), then A B^T on the dot form's (small tight C, long K) */
static void test_core_kernels_gemm_forms(void **state)
{
    static const int ms[] = {1, 2, 3, 4, 5, 7, 8, 9}, ks[] = {1, 3, 8, 17};
    static const int Ns[] = {32, 33, 39, 40, 41, 47, 48, 49, 63, 244, 500};
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 1, SYM_RNG_TEST, 0);
    for (size_t a = 0; a < sizeof(ms) / sizeof(*ms); a++)
        for (size_t b = 0; b < sizeof(ks) / sizeof(*ks); b++)
            for (size_t c = 0; c < sizeof(Ns) / sizeof(*Ns); c++)
                for (int trans = 0; trans < 2; trans++)
                    for (int withbeta = 0; withbeta < 2; withbeta++) {
                        int m = ms[a], k = ks[b], N = Ns[c], ld = sym_batch_ld(N) + 8;
                        double alpha = 1.25, beta = withbeta ? -0.5 : 0.0;
                        double *A = draw(&r, (size_t)m * k), *B = draw_padded(&r, k, N, ld);
                        double *C = draw_padded(&r, m, N, ld), *want = draw(&r, (size_t)m * N);
                        double *mag = draw(&r, (size_t)m * N);

                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < N; j++) {
                                double s = 0.0, a = 0.0, c = C[(size_t)i * ld + j];

                                for (int q = 0; q < k; q++) {
                                    double t = (trans ? A[(size_t)q * m + i] : A[(size_t)i * k + q]) *
                                               B[(size_t)q * ld + j];
                                    s += t;
                                    a += fabs(t);
                                }
                                want[(size_t)i * N + j] = alpha * s + (withbeta ? beta * c : 0.0);
                                mag[(size_t)i * N + j] =
                                    fabs(alpha) * a + (withbeta ? fabs(beta * c) : 0.0);
                            }
                        sym_gemm_ld(trans, 0, m, N, k, alpha, A, trans ? m : k, B, ld, beta, C,
                                    ld);
                        check_rows(C, ld, want, mag, m, N, k + 1);
                        for (int i = 0; i < m; i++) /* nothing written past N */
                            for (int j = N; j < ld; j++)
                                assert_true(isnan(C[(size_t)i * ld + j]));
                        free(A), free(B), free(C), free(want), free(mag);
                    }
    for (int m = 1; m <= 9; m++)
        for (int n = 1; n <= 9; n++)
            for (size_t c = 0; c < sizeof(Ns) / sizeof(*Ns); c++) {
                int K = Ns[c], lda = sym_batch_ld(K), ldb = lda + 8;
                double *A = draw_padded(&r, m, K, lda), *B = draw_padded(&r, n, K, ldb);
                double *C = draw(&r, (size_t)m * n), *want = malloc(sizeof(double) * m * n);
                double *mag = malloc(sizeof(double) * m * n);

                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double s = 0.0, a = 0.0;

                        for (int t = 0; t < K; t++) {
                            s += A[(size_t)i * lda + t] * B[(size_t)j * ldb + t];
                            a += fabs(A[(size_t)i * lda + t] * B[(size_t)j * ldb + t]);
                        }
                        want[i * n + j] = 0.75 * C[i * n + j] - 2.0 * s;
                        mag[i * n + j] = fabs(0.75 * C[i * n + j]) + 2.0 * a;
                    }
                sym_gemm_ld(0, 1, m, n, K, -2.0, A, lda, B, ldb, 0.75, C, n);
                check_rows(C, n, want, mag, m, n, K + 1);
                free(A), free(B), free(C), free(want), free(mag);
            }
}

static void test_core_kernels_residual(void **state)
{
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 2, SYM_RNG_TEST, 0);
    for (int n = 1; n <= 70; n++) {
        int rows = 3, ld = sym_batch_ld(n);
        double *h = draw_padded(&r, rows, n, ld), *y = draw_padded(&r, rows, n, ld);
        double *d = draw_padded(&r, rows, n, ld), *want = malloc(sizeof(double) * rows * n);
        double *mag = malloc(sizeof(double) * rows * n), sse = 0.0, got;

        for (int i = 0; i < rows; i++)
            for (int j = 0; j < n; j++) {
                double e = h[(size_t)i * ld + j] - y[(size_t)i * ld + j];

                sse += e * e;
                want[i * n + j] = 0.5 * e;
                mag[i * n + j] = 0.0; /* one subtraction, one product: exact here */
            }
        got = sym_kernel_residual(h, y, rows, n, ld, 0.5, d);
        check_close1(got, sse, 1e-300, (rows * n + 2) * EPS); /* positive terms */
        check_rows(d, ld, want, mag, rows, n, 0);
        for (int i = 0; i < rows; i++)
            for (int j = n; j < ld; j++)
                assert_true(isnan(d[(size_t)i * ld + j]));
        free(h), free(y), free(d), free(want), free(mag);
    }
}

/* forward, loss and backward of a linear output layer against the plain
 * composition, across tile edges (256) and every column tail.  Tolerances:
 * the same composition on absolute values (|W| |Ain| + |b| + |Y| and so on)
 * times (terms + 2) eps, a bound for any order of summation */
static void test_core_kernels_output_layer(void **state)
{
    static const int Ns[] = {1, 7, 8, 9, 16, 17, 255, 256, 257, 264, 500, 513};
    static const int dims[][2] = {{1, 1}, {3, 8}, {8, 3}, {5, 7}, {8, 8}, {4, 4}};
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    for (size_t c = 0; c < sizeof(Ns) / sizeof(*Ns); c++)
        for (size_t dd = 0; dd < sizeof(dims) / sizeof(*dims); dd++)
            for (int tied = 0; tied < 2; tied++)
                for (int withb = 0; withb < 2; withb++) {
                    int N = Ns[c], no = dims[dd][0], ni = dims[dd][1], ld = sym_batch_ld(N);
                    int terms = ni + N + no + 4;
                    size_t nw = (size_t)no * ni;
                    double *W = draw(&r, nw), *b = draw(&r, (size_t)no);
                    double *Ain = draw_padded(&r, ni, N, ld), *Y = draw_padded(&r, no, N, ld);
                    double *gW = draw(&r, nw), *gb = draw(&r, (size_t)no);
                    double *dA = calloc((size_t)ni * ld, sizeof(double));
                    double *tile = malloc(sizeof(double) * sym_kernel_output_tile_size(no));
                    double *wgW = malloc(sizeof(double) * nw), *mgW = malloc(sizeof(double) * nw);
                    double *wgb = malloc(sizeof(double) * no), *mgb = malloc(sizeof(double) * no);
                    double *wdA = calloc((size_t)ni * N, sizeof(double));
                    double *mdA = calloc((size_t)ni * N, sizeof(double));
                    double *D = malloc(sizeof(double) * no * N), *Dm = malloc(sizeof(double) * no * N);
                    double sse = 0.0, msse = 0.0, got, scale = 0.3;

                    memcpy(wgW, gW, sizeof(double) * nw);
                    memcpy(wgb, gb, sizeof(double) * no);
                    for (size_t i = 0; i < nw; i++)
                        mgW[i] = fabs(gW[i]);
                    for (int p = 0; p < no; p++)
                        mgb[p] = fabs(gb[p]);
                    for (int p = 0; p < no; p++)
                        for (int s = 0; s < N; s++) {
                            double z = withb ? b[p] : 0.0, zm = fabs(z), e;

                            for (int q = 0; q < ni; q++) { /* op(W)[p][q]; tied: owner [ni x no] */
                                double w = tied ? W[(size_t)q * no + p] : W[(size_t)p * ni + q];

                                z += w * Ain[(size_t)q * ld + s];
                                zm += fabs(w * Ain[(size_t)q * ld + s]);
                            }
                            e = z - Y[(size_t)p * ld + s];
                            zm += fabs(Y[(size_t)p * ld + s]);
                            sse += e * e;
                            msse += zm * zm;
                            D[(size_t)p * N + s] = scale * e;
                            Dm[(size_t)p * N + s] = scale * zm;
                        }
                    for (int p = 0; p < no; p++)
                        for (int q = 0; q < ni; q++) {
                            double w = tied ? W[(size_t)q * no + p] : W[(size_t)p * ni + q];
                            double g = 0.0, gm = 0.0;
                            size_t at = tied ? (size_t)q * no + p : (size_t)p * ni + q;

                            for (int s = 0; s < N; s++) {
                                g += D[(size_t)p * N + s] * Ain[(size_t)q * ld + s];
                                gm += Dm[(size_t)p * N + s] * fabs(Ain[(size_t)q * ld + s]);
                                wdA[(size_t)q * N + s] += w * D[(size_t)p * N + s];
                                mdA[(size_t)q * N + s] += fabs(w) * Dm[(size_t)p * N + s];
                            }
                            wgW[at] += g;
                            mgW[at] += gm;
                        }
                    for (int p = 0; p < no; p++)
                        for (int s = 0; s < N; s++) {
                            wgb[p] += D[(size_t)p * N + s];
                            mgb[p] += Dm[(size_t)p * N + s];
                        }

                    got = sym_kernel_output_layer(no, ni, N, ld, W, tied, withb ? b : NULL, Ain,
                                                  Y, scale, gW, gb, dA, tile);
                    check_close1(got, sse, 2 * terms * EPS * msse, 0.0);
                    check_rows(gW, ni, wgW, mgW, 1, (int)nw, terms);
                    check_rows(gb, no, wgb, mgb, 1, no, terms);
                    check_rows(dA, ld, wdA, mdA, ni, N, terms);
                    /* the sum alone */
                    got = sym_kernel_output_layer(no, ni, N, ld, W, tied, withb ? b : NULL, Ain,
                                                  Y, scale, NULL, NULL, NULL, tile);
                    check_close1(got, sse, 2 * terms * EPS * msse, 0.0);
                    free(W), free(b), free(Ain), free(Y), free(gW), free(gb), free(dA);
                    free(tile), free(wgW), free(mgW), free(wgb), free(mgb), free(wdA), free(mdA);
                    free(D), free(Dm);
                }
}

/* the generic-kernel warning: only for OpenBLAS's generic cores on an AVX2/AVX-512 CPU */
/* the polynomial residuals' sums of squares (sym_eval_line) against plain Horner loops: every
 * column tail, the degrees the kernel unrolls (0-4) and the general one (5, 6), groups of 8
 * points and their remainder; padding is NaN, and each point's sum is bitwise the same
 * whether it is evaluated alone or with others */
static void test_core_kernels_poly_sse(void **state)
{
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 4, SYM_RNG_TEST, 0);
    for (int deg = 0; deg <= 6; deg++)
        for (int n = 1; n <= 19; n += (n < 9 ? 1 : 5)) {
            int rows = 3, ld = sym_batch_ld(n), ns = 19;
            size_t ks = (size_t)rows * ld + 5;
            double *R = draw(&r, (size_t)(deg + 1) * ks), s[19], got[19], alone;

            for (int k = 0; k <= deg; k++)
                for (int i = 0; i < rows; i++)
                    for (int j = n; j < ld; j++)
                        R[k * ks + (size_t)i * ld + j] = NAN;
            for (int j = 0; j < ns; j++) {
                s[j] = -1.5 + 3.0 * j / (ns - 1);
                got[j] = 0.0;
            }
            sym_kernel_poly_sse(deg, rows, n, ld, R, ks, s, ns, got);
            for (int j = 0; j < ns; j++) {
                double want = 0.0, mag = 0.0;

                for (int i = 0; i < rows; i++)
                    for (int c = 0; c < n; c++) {
                        double v = R[deg * ks + (size_t)i * ld + c], a = fabs(v);

                        for (int k = deg - 1; k >= 0; k--) {
                            v = v * s[j] + R[k * ks + (size_t)i * ld + c];
                            a = a * fabs(s[j]) + fabs(R[k * ks + (size_t)i * ld + c]);
                        }
                        want += v * v;
                        mag += a * a;
                    }
                check_close1(got[j], want, (2 * deg + rows * n + 4) * EPS * mag + 1e-300, 0.0);
                alone = 0.0;
                sym_kernel_poly_sse(deg, rows, n, ld, R, ks, s + j, 1, &alone);
                assert_memory_equal(&alone, &got[j], sizeof(double));
            }
            free(R);
        }
}

static void test_core_kernels_blas_warning(void **state)
{
    (void)state;
    assert_non_null(sym_blas_warning_for("Prescott", 1, 0));
    assert_non_null(strstr(sym_blas_warning_for("Prescott", 1, 0), "AVX2"));
    assert_non_null(strstr(sym_blas_warning_for("core2", 0, 1), "AVX-512"));
    assert_null(sym_blas_warning_for("Prescott", 0, 0)); /* an old CPU: generic is its best */
    assert_null(sym_blas_warning_for("Haswell", 1, 0));
    assert_null(sym_blas_warning_for("SkylakeX", 1, 1));
    assert_null(sym_blas_warning_for(NULL, 1, 1));
    assert_non_null(strstr(sym_blas_description(), "core "));
    assert_non_null(strstr(sym_blas_description(), sym_kernel_variant()));
}

/* a column's value does not depend on where it falls: columns 32..36 of C = beta C + alpha
 * op(A) B are the scalar tail at N = 37 and inside a vector block at N = 48, and agree bit for
 * bit (the tail fuses its multiply-adds as the vector lanes do, on every variant) */
static void test_core_kernels_tail_columns(void **state)
{
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 9, SYM_RNG_TEST, 0);
    for (int m = 1; m <= 5; m++)
        for (int k = 1; k <= 17; k += 8)
            for (int ta = 0; ta < 2; ta++) {
                int ld = 56;
                double *A = draw(&r, (size_t)m * k), *B = draw(&r, (size_t)k * ld);
                double *C1 = draw(&r, (size_t)m * ld), *C2 = malloc(sizeof(double) * (size_t)m * ld);

                memcpy(C2, C1, sizeof(double) * (size_t)m * ld);
                sym_gemm_ld(ta, 0, m, 37, k, 0.75, A, ta ? m : k, B, ld, -0.5, C1, ld);
                sym_gemm_ld(ta, 0, m, 48, k, 0.75, A, ta ? m : k, B, ld, -0.5, C2, ld);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < 37; j++)
                        if (memcmp(C1 + (size_t)i * ld + j, C2 + (size_t)i * ld + j, sizeof(double)))
                            fail_msg("m %d k %d trans %d: C[%d][%d] %.17g at N = 37, %.17g at N = 48", m,
                                     k, ta, i, j, C1[(size_t)i * ld + j], C2[(size_t)i * ld + j]);
                free(A);
                free(B);
                free(C1);
                free(C2);
            }
}

/* every kernel on fixed data, its outputs' SHA-256 and the variant: unit.core.kernels_variants
 * compares the AVX2 variant's digest with the CPU's own (AVX-512 where it has it), which must
 * agree bit for bit (the baseline variant, without FMA, rounds differently) */
static int print_digest(void)
{
    static const int axpy[][5] = {{3, 8, 77, 0, 0}, {3, 8, 77, 1, 1}, {8, 3, 500, 0, 0},
                                  {5, 16, 40, 1, 1}, {4, 2, 65, 0, 1}, {1, 64, 33, 0, 0}};
    static const int dots[][3] = {{3, 8, 500}, {7, 5, 45}, {4, 4, 33}, {1, 3, 77}};
    static const int dots_ld[][3] = {{4, 3, 50}, {6, 4, 50}, {2, 4, 50}, {6, 6, 50},
                                     {4, 4, 50}, {5, 7, 33}, {3, 2, 35}, {2, 3, 38}};
    double *out = calloc(200000, sizeof(double)), *o = out;
    sym_rng r;
    char hex[65];

    sym_rng_init(&r, 7, SYM_RNG_TEST, 0);
    for (size_t c = 0; c < sizeof(axpy) / sizeof(axpy[0]); c++) { /* C = beta C + A B */
        int m = axpy[c][0], k = axpy[c][1], n = axpy[c][2], ta = axpy[c][3];
        double *A = draw(&r, (size_t)m * k), *B = draw(&r, (size_t)k * n);

        for (int i = 0; i < m * n; i++)
            o[i] = sym_rng_normal(&r);
        sym_gemm(ta, 0, m, n, k, 0.75, A, B, axpy[c][4] ? 0.5 : 0.0, o);
        o += m * n;
        free(A);
        free(B);
    }
    for (size_t c = 0; c < sizeof(dots) / sizeof(dots[0]); c++) { /* C = A B^T */
        int m = dots[c][0], n = dots[c][1], k = dots[c][2];
        double *A = draw(&r, (size_t)m * k), *B = draw(&r, (size_t)n * k);

        sym_gemm(0, 1, m, n, k, 1.25, A, B, 0.0, o);
        o += m * n;
        free(A);
        free(B);
    }
    /* C = A B^T with the rows of a training step's batch (stride sym_batch_ld(K)) and tails of
     * 1-6 (K >= 32, so the dot kernel runs, not OpenBLAS): the shapes whose scalar tails GCC
     * once fused in one variant and not the other; K = 2 and 3 come through the output layer */
    for (size_t c = 0; c < sizeof(dots_ld) / sizeof(dots_ld[0]); c++) {
        int m = dots_ld[c][0], n = dots_ld[c][1], k = dots_ld[c][2], ld = sym_batch_ld(k);
        double *A = draw(&r, (size_t)m * ld), *B = draw(&r, (size_t)n * ld);

        for (int i = 0; i < m * n; i++)
            o[i] = sym_rng_normal(&r);
        sym_gemm_ld(0, 1, m, n, k, 0.375, A, ld, B, ld, 1.0, o, n);
        o += m * n;
        free(A);
        free(B);
    }
    for (int c = 0; c < 8; c++) { /* the output layer, forward and backward */
        static const int shapes[][4] = {{8, 3, 300, 0}, {8, 3, 300, 1}, {2, 4, 50, 0}, {3, 6, 50, 0},
                                        {4, 2, 3, 0},   {3, 6, 2, 0},   {3, 2, 50, 1}, {4, 4, 45, 1}};
        int no = shapes[c][0], ni = shapes[c][1], N = shapes[c][2], tied = shapes[c][3];
        int ld = sym_batch_ld(N);
        double *W = draw(&r, (size_t)no * ni), *b = draw(&r, (size_t)no);
        double *Ain = draw(&r, (size_t)ni * ld), *Y = draw(&r, (size_t)no * ld);
        double *tile = calloc(sym_kernel_output_tile_size(no), sizeof(double));

        o[0] = sym_kernel_output_layer(no, ni, N, ld, W, tied, b, Ain, Y, 0.01, o + 1,
                                       o + 1 + no * ni, o + 1 + no * ni + no, tile);
        o += 1 + no * ni + no + (size_t)ni * ld;
        free(W);
        free(b);
        free(Ain);
        free(Y);
        free(tile);
    }
    {
        double *h = draw(&r, 4 * 80), *y = draw(&r, 4 * 80), *R = draw(&r, 4 * 4 * 40);
        double *p = draw(&r, 1001), *g = draw(&r, 1001), *m = calloc(1001, sizeof(double));
        double *v = calloc(1001, sizeof(double)), s[11];

        o[0] = sym_kernel_residual(h, y, 4, 77, 80, 0.5, o + 1);
        o += 1 + 4 * 80;
        for (int t = 0; t < 3; t++)
            sym_kernel_adam(1001, p, g, m, v, 0.9, 0.999, 1e-3, 1.0, 1e-8);
        memcpy(o, p, sizeof(double) * 1001);
        o += 1001;
        for (int j = 0; j < 11; j++)
            s[j] = -1.0 + 0.2 * j;
        sym_kernel_poly_sse(3, 4, 37, 40, R, 4 * 40, s, 11, o);
        o += 11;
        free(h);
        free(y);
        free(R);
        free(p);
        free(g);
        free(m);
        free(v);
    }
    sym_sha256_hex(hex, out, sizeof(double) * (size_t)(o - out));
    printf("%s %s\n", hex, sym_kernel_variant());
    free(out);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_kernels_blas_warning),
        cmocka_unit_test(test_core_kernels_gemm_forms),
        cmocka_unit_test(test_core_kernels_residual),
        cmocka_unit_test(test_core_kernels_output_layer),
        cmocka_unit_test(test_core_kernels_poly_sse),
        cmocka_unit_test(test_core_kernels_tail_columns),
    };
    /* the variant ctest asked for is the one running */
    const char *want = getenv("SYMSWEEP_KERNELS");

    if (argc > 1 && strcmp(argv[1], "--digest") == 0)
        return print_digest();
    print_message("kernel variant: %s\n", sym_kernel_variant());
    if (want && strcmp(want, "baseline") == 0 && strcmp(sym_kernel_variant(), "baseline") != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
