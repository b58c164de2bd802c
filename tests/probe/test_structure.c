/* Ex3 structure metrics and penalty invariance on matrices with known answers. */
#include "check.h"

#include <math.h>
#include <string.h>

#include "symsweep/sym.h"

enum { d = 3, D = 6 };

static void test_probe_structure_known_matrices(void **state)
{
    double W[d * D] = {0}, Wd[D * d], bl2[d], bl1[d], se[d], sd[d], sp[d];
    sym_structure s;

    (void)state;
    /* W: orthonormal rows (e_0, e_2, e_4) scaled 1; W' = 2 W^T */
    W[0 * D + 0] = 1;
    W[1 * D + 2] = 1;
    W[2 * D + 4] = 1;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < d; j++)
            Wd[i * d + j] = 2.0 * W[j * D + i];
    check_ok(sym_structure_measure(&s, bl2, bl1, se, sd, sp, W, Wd, d, D));
    check_close1(s.orthogonality_error, 0.0, 1e-15, 0);
    check_close1(s.transpose_error, 1.0, 0, 1e-15);     /* ||2W^T - W^T|| / ||W^T|| */
    check_close1(s.sparsity_encoder, 15.0 / 18.0, 0, 0); /* 15 zeros of 18 */
    check_close1(s.sparsity_decoder, 15.0 / 18.0, 0, 0);
    check_close1(s.norm_ratio, 0.5, 0, 1e-15);
    for (int i = 0; i < d; i++) {
        check_close1(bl2[i], 0.5, 0, 1e-15);
        check_close1(bl1[i], 0.5, 0, 1e-15);
        check_close1(se[i], 1.0, 0, 1e-14);
        check_close1(sd[i], 2.0, 0, 1e-14);
        check_close1(sp[i], 2.0, 0, 1e-14); /* W'W = 2 P, P a projection */
    }
    /* tied (W' = W^T): transpose error 0 */
    for (int i = 0; i < D; i++)
        for (int j = 0; j < d; j++)
            Wd[i * d + j] = W[j * D + i];
    check_ok(sym_structure_measure(&s, NULL, NULL, NULL, NULL, NULL, W, Wd, d, D));
    check_close1(s.transpose_error, 0.0, 1e-15, 0);
}

/* Frobenius: invariant under orthogonal and signed permutations; l1: only
 * under signed permutations; general K changes both */
static void test_probe_penalty_invariance_groups(void **state)
{
    double W[d * D], Wd[D * d], mean[6], max[6];
    sym_rng r;

    (void)state;
    sym_rng_init(&r, 5, SYM_RNG_TEST, 0);
    for (int i = 0; i < d * D; i++) {
        W[i] = sym_rng_normal(&r);
        Wd[i] = sym_rng_normal(&r);
    }
    check_ok(sym_penalty_invariance(mean, max, W, Wd, d, D, 20, &r));
    /* [family][penalty]: 0 orthogonal, 1 signed permutation, 2 general; 0 fro, 1 l1 */
    assert_true(max[0 * 2 + 0] < 1e-12); /* Frobenius under O(d) */
    assert_true(mean[0 * 2 + 1] > 1e-3); /* l1 under O(d): changes */
    assert_true(max[1 * 2 + 0] < 1e-12); /* both under signed permutations */
    assert_true(max[1 * 2 + 1] < 1e-12);
    assert_true(mean[2 * 2 + 0] > 1e-3); /* general: both change */
    assert_true(mean[2 * 2 + 1] > 1e-3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_structure_known_matrices),
        cmocka_unit_test(test_probe_penalty_invariance_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
