/*
 * The loss along exp(tA) orbits, on cases whose answer follows from the
 * symmetry groups: invariant where A lies in the symmetry's algebra (gl(n)
 * for linear layers, the diagonal for relu, so(n) for a Frobenius penalty),
 * visibly changing where it does not.
 */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/probe.h"

typedef struct fixture {
    sym_model *m;
    sym_data d;
    double *p;
} fixture;

static void setup_net(fixture *f, sym_act act, int bias)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_data_opts dopt;
    int w[] = {4, 6, 5, 3};
    sym_rng r;

    memset(&dopt, 0, sizeof(dopt));
    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = act;
    o.act[2] = SYM_ACT_LINEAR;
    o.bias = bias;
    check_ok(sym_model_create(&f->m, &o));
    dopt.kind = SYM_DATA_TEACHER_LINEAR;
    dopt.samples = 40;
    dopt.input = 4;
    dopt.output = 3;
    dopt.noise = 0.1;
    sym_rng_init(&r, 3, SYM_RNG_DATA, 0);
    check_ok(sym_data_generate(&f->d, &dopt, &r));
    f->p = calloc(sym_model_n_params(f->m), sizeof(double));
    sym_rng_init(&r, 4, SYM_RNG_INIT, 0);
    sym_model_init_params(f->m, f->p, &r);
    for (int l = 0; bias && l < 3; l++) {
        double *b = sym_model_bias(f->m, f->p, l);
        for (int i = 0; i < w[l + 1]; i++)
            b[i] = 0.3 * sym_rng_normal(&r);
    }
}

static void teardown_net(fixture *f)
{
    free(f->p);
    sym_data_dispose(&f->d);
    sym_model_free(f->m);
}

/* max over t of |L(t) - L(0)| / |L(0)| for total and data, over 3 directions */
static void orbit_change(double *tot, double *dat, fixture *f, const sym_reg *reg, sym_algebra a)
{
    sym_orbit_opts o = SYM_ORBIT_OPTS_INIT;
    sym_algebra alg;
    double *A = calloc(sym_orbit_direction_size(f->m), sizeof(double)), T[9], D[9];
    sym_rng r;

    o.points = 9;
    o.t_max = 2.0;
    check_ok(sym_orbit_algebra(&alg, f->m, a));
    *tot = *dat = 0;
    for (int dir = 0; dir < 3; dir++) {
        sym_rng_init(&r, 11, SYM_RNG_PROBE, (uint32_t)dir);
        check_ok(sym_orbit_direction(A, f->m, alg, &r));
        check_ok(sym_orbit_loss(T, D, f->m, reg, f->p, &f->d, A, &o));
        for (int k = 0; k < 9; k++) {
            *tot = fmax(*tot, fabs(T[k] - T[4]) / fabs(T[4]));
            *dat = fmax(*dat, fabs(D[k] - D[4]) / fabs(D[4]));
        }
    }
    free(A);
}

static void test_probe_orbit_linear_gl_flat(void **state)
{
    fixture f;
    sym_reg none = SYM_REG_INIT;
    double tot, dat;

    (void)state;
    setup_net(&f, SYM_ACT_LINEAR, 1);
    orbit_change(&tot, &dat, &f, &none, SYM_ALGEBRA_AUTO); /* auto = gl for linear */
    assert_true(tot < 1e-12);
    teardown_net(&f);
}

static void test_probe_orbit_relu_diagonal_flat_gl_not(void **state)
{
    fixture f;
    sym_reg none = SYM_REG_INIT;
    double tot, dat;

    (void)state;
    setup_net(&f, SYM_ACT_RELU, 1);
    orbit_change(&tot, &dat, &f, &none, SYM_ALGEBRA_AUTO); /* auto = diagonal for relu */
    assert_true(tot < 1e-12);
    orbit_change(&tot, &dat, &f, &none, SYM_ALGEBRA_GL);
    assert_true(tot > 1e-3);
    teardown_net(&f);
}

static void test_probe_orbit_frobenius_keeps_only_rotations(void **state)
{
    fixture f;
    sym_reg frob = SYM_REG_INIT;
    double tot, dat;

    (void)state;
    frob.kind = SYM_REG_FROBENIUS;
    frob.lambda_encoder = frob.lambda_decoder = 0.05;
    setup_net(&f, SYM_ACT_LINEAR, 0);
    orbit_change(&tot, &dat, &f, &frob, SYM_ALGEBRA_GL);
    assert_true(dat < 1e-12); /* the function does not move ... */
    assert_true(tot > 1e-3);  /* ... but the penalty does */
    orbit_change(&tot, &dat, &f, &frob, SYM_ALGEBRA_SO);
    assert_true(tot < 1e-12); /* ||K W||_F = ||W||_F for orthogonal K */
    teardown_net(&f);
}

static void test_probe_orbit_directions_and_refusals(void **state)
{
    fixture f;
    sym_algebra alg;
    double A[36 + 25];
    sym_rng r;

    (void)state;
    setup_net(&f, SYM_ACT_TANH, 0);
    assert_int_equal(sym_orbit_direction_size(f.m), 36 + 25);
    assert_int_equal(sym_orbit_algebra(&alg, f.m, SYM_ALGEBRA_AUTO), SYM_EINVAL);
    sym_rng_init(&r, 1, SYM_RNG_PROBE, 0);
    check_ok(sym_orbit_direction(A, f.m, SYM_ALGEBRA_SO, &r));
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            check_close1(A[i * 6 + j], -A[j * 6 + i], 0, 0);
    check_ok(sym_orbit_direction(A, f.m, SYM_ALGEBRA_DIAGONAL, &r));
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            if (i != j)
                check_close1(A[i * 6 + j], 0.0, 0, 0);
    check_close1(sym_norm2(A, 36), 1.0, 1e-15, 0);
    teardown_net(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_orbit_linear_gl_flat),
        cmocka_unit_test(test_probe_orbit_relu_diagonal_flat_gl_not),
        cmocka_unit_test(test_probe_orbit_frobenius_keeps_only_rotations),
        cmocka_unit_test(test_probe_orbit_directions_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
