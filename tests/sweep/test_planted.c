/*
 * Planted-group data (seed 003, src/sweep/data_pairs.c) against closed forms:
 *   - one base filter b and one term per sample without noise: every sample is c g^k b, so the
 *     samples span exactly the p directions b, g b, ..., g^(p-1) b (rank 4 for the quarter turn
 *     of 6 x 6 patches, whose orbit of a generic b has 4 independent images), each sample is
 *     parallel to one of them, and the targets are the samples (y = x);
 *   - p = 1: rank 1 (the control for the powers); noise: full rank 36 (the control for the
 *     span); a shift by one row on 6 rows with p = 6: rank 6;
 *   - the same seed gives the same samples bit for bit; a median step is refused (g is a matrix).
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/run.h"
#include "symsweep/sym.h"

enum { H = 6, D = 36, N = 200 };

static sym_data_opts opts(sym_patch_kind g, double a, int p, int terms, double noise)
{
    sym_data_opts o;

    memset(&o, 0, sizeof o);
    o.kind = SYM_DATA_PLANTED_GROUP;
    o.samples = N;
    o.image_h = o.image_w = H;
    o.group.n = 1;
    o.group.kind[0] = g;
    o.group.a[0] = a;
    o.group_p = p;
    o.group_filters = 1;
    o.group_terms = terms;
    o.noise = noise;
    return o;
}

static int rank_of(const double *X, int n, int d)
{
    double *A = malloc(sizeof(double) * (size_t)n * d), *s = malloc(sizeof(double) * (size_t)d),
           *w = malloc(sizeof(double) * sym_svd_work_size(n, d));
    int r = 0;

    memcpy(A, X, sizeof(double) * (size_t)n * d);
    check_ok(sym_svd(s, NULL, NULL, A, n, d, w));
    for (int k = 0; k < d; k++)
        r += s[k] > 1e-10 * s[0];
    free(A);
    free(s);
    free(w);
    return r;
}

static int planted_rank(sym_data_opts o, uint64_t seed, sym_data *keep)
{
    sym_data d;
    sym_rng r;
    int k;

    sym_rng_init(&r, seed, SYM_RNG_DATA, 0);
    check_ok(sym_run_planted_group(&d, &o, &r));
    assert_int_equal(d.n, N);
    assert_int_equal(d.d_in, D);
    assert_int_equal(d.d_out, D);
    assert_ptr_equal(d.X, d.Y); /* y = x */
    k = rank_of(d.X, d.n, D);
    if (keep)
        *keep = d;
    else
        sym_data_dispose(&d);
    return k;
}

static void test_sweep_planted_span(void **st)
{
    sym_data d, e;
    double G[D * D], b[D], orbit[4 * D];
    sym_patch_spec g = {.n = 1, .kind = {SYM_PATCH_ROT90}};
    int rk;

    (void)st;
    rk = planted_rank(opts(SYM_PATCH_ROT90, 0, 4, 1, 0.0), 7, &d);
    printf("rot90, p 4: rank %d\n", rk);
    assert_int_equal(rk, 4);
    /* every sample is parallel to one of b, g b, g^2 b, g^3 b: |cos| = 1 with one of them, b
     * recovered (up to sign) from the first sample; its orbit from the quarter turn */
    check_ok(sym_patch_spec_matrix(G, &g, H, H));
    memcpy(b, d.X, sizeof b);
    for (int i = 0; i < D; i++)
        b[i] /= sym_norm2(d.X, D);
    memcpy(orbit, b, sizeof b);
    for (int k = 1; k < 4; k++)
        sym_gemm(0, 0, D, 1, D, 1.0, G, orbit + (k - 1) * D, 0.0, orbit + k * D);
    for (int s = 0; s < N; s++) {
        double best = 0.0, nx = sym_norm2(d.X + s * D, D);

        for (int k = 0; k < 4; k++) {
            double dot = 0.0;

            for (int i = 0; i < D; i++)
                dot += d.X[s * D + i] * orbit[k * D + i];
            best = fmax(best, fabs(dot) / nx);
        }
        assert_true(fabs(best - 1.0) < 1e-12);
    }
    /* the same seed: the same samples, bit for bit */
    planted_rank(opts(SYM_PATCH_ROT90, 0, 4, 1, 0.0), 7, &e);
    assert_memory_equal(d.X, e.X, sizeof(double) * N * D);
    sym_data_dispose(&e);
    sym_data_dispose(&d);
    assert_int_equal(planted_rank(opts(SYM_PATCH_ROT90, 0, 1, 3, 0.0), 7, NULL), 1);
    assert_int_equal(planted_rank(opts(SYM_PATCH_ROT90, 0, 4, 1, 0.01), 7, NULL), D);
    assert_int_equal(planted_rank(opts(SYM_PATCH_SHIFT, 1, 6, 2, 0.0), 7, NULL), 6);
}

static void test_sweep_planted_refuses_median(void **st)
{
    sym_data_opts o = opts(SYM_PATCH_MEDIAN, 1, 4, 1, 0.0);
    sym_data d;
    sym_rng r;

    (void)st;
    sym_rng_init(&r, 1, SYM_RNG_DATA, 0);
    assert_int_equal(sym_run_planted_group(&d, &o, &r), SYM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_planted_span),
        cmocka_unit_test(test_sweep_planted_refuses_median),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
