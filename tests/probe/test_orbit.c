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

#include <lapacke.h>

#include "symsweep/sym.h"

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

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;

    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* <J A, g> = <A, J^T g>; J A is the derivative of t -> exp(tA) . theta */
static void test_probe_orbit_tangent_adjoint_and_derivative(void **state)
{
    fixture f;
    size_t np, na;
    double *A, *g, *JA, *JTg, *plus, *minus, *tmp, K[36], Ki[36], mA[36], work[7 * 36], rw[72];
    int ipiv[6];
    sym_rng r;

    (void)state;
    setup_net(&f, SYM_ACT_LINEAR, 1);
    np = sym_model_n_params(f.m);
    na = sym_orbit_direction_size(f.m);
    A = calloc(na, sizeof(double));
    g = calloc(np, sizeof(double));
    JA = calloc(np, sizeof(double));
    JTg = calloc(na, sizeof(double));
    plus = calloc(np, sizeof(double));
    minus = calloc(np, sizeof(double));
    tmp = calloc(np, sizeof(double));
    sym_rng_init(&r, 21, SYM_RNG_TEST, 0);
    check_ok(sym_orbit_direction(A, f.m, SYM_ALGEBRA_GL, &r));
    for (size_t i = 0; i < np; i++)
        g[i] = sym_rng_normal(&r);
    sym_orbit_tangent(JA, f.m, f.p, A, SYM_ALGEBRA_GL);
    sym_orbit_tangent_adjoint(JTg, f.m, f.p, g, SYM_ALGEBRA_GL);
    check_close1(dot(JA, g, np), dot(A, JTg, na), 1e-13, 1e-12);
    /* central difference of the orbit curve at t = 0 */
    for (int side = 0; side < 2; side++) {
        double t = side ? -1e-5 : 1e-5, *dst = side ? minus : plus;
        const double *Ah = A;

        memcpy(dst, f.p, np * sizeof(double));
        for (int h = 0; h < 2; h++) {
            int n = h == 0 ? 6 : 5;

            for (int i = 0; i < n * n; i++)
                mA[i] = t * Ah[i];
            check_ok(sym_expm(K, mA, n, work, ipiv));
            for (int i = 0; i < n * n; i++)
                mA[i] = -t * Ah[i];
            check_ok(sym_expm(Ki, mA, n, work, ipiv));
            check_ok(sym_reparam_apply(tmp, f.m, dst, h, K, Ki, rw));
            memcpy(dst, tmp, np * sizeof(double));
            Ah += n * n;
        }
    }
    for (size_t i = 0; i < np; i++)
        plus[i] = (plus[i] - minus[i]) / 2e-5;
    check_close(plus, JA, np, 1e-8, 1e-7);
    free(A); free(g); free(JA); free(JTg); free(plus); free(minus); free(tmp);
    teardown_net(&f);
}

/* the matrix-free projection equals the dense least-squares solution */
static void test_probe_orbit_projection_matches_dense(void **state)
{
    const sym_algebra algs[] = {SYM_ALGEBRA_GL, SYM_ALGEBRA_DIAGONAL};

    (void)state;
    for (int k = 0; k < 2; k++) {
        fixture f;
        size_t np, na;
        double *J, *v, *tan, *perp, *e, *col, *Jd, *sol, *rhs, *JTp;
        sym_rng r;
        int cols = 0;

        setup_net(&f, SYM_ACT_LINEAR, 1);
        np = sym_model_n_params(f.m);
        na = sym_orbit_direction_size(f.m);
        J = calloc(np * na, sizeof(double));
        v = calloc(np, sizeof(double));
        tan = calloc(np, sizeof(double));
        perp = calloc(np, sizeof(double));
        e = calloc(na, sizeof(double));
        col = calloc(np, sizeof(double));
        sol = calloc(np, sizeof(double));
        rhs = calloc(np, sizeof(double));
        Jd = calloc(np, sizeof(double));
        JTp = calloc(na, sizeof(double));
        /* dense J, column-major [np x cols], over a basis of the algebra */
        for (size_t a = 0, off = 0; a < na; a++) {
            int n = a < 36 ? 6 : 5, loc = (int)(a < 36 ? a : a - 36);

            (void)off;
            if (algs[k] == SYM_ALGEBRA_DIAGONAL && loc / n != loc % n)
                continue;
            memset(e, 0, na * sizeof(double));
            e[a] = 1.0;
            sym_orbit_tangent(col, f.m, f.p, e, algs[k]);
            memcpy(J + (size_t)cols * np, col, np * sizeof(double));
            cols++;
        }
        sym_rng_init(&r, 22, SYM_RNG_TEST, (uint32_t)k);
        for (size_t i = 0; i < np; i++)
            v[i] = rhs[i] = sym_rng_normal(&r);
        {
            /* J is rank-deficient (the stabilizer): the SVD-based least squares */
            double *sv = calloc((size_t)cols, sizeof(double));
            int rank = 0;

            assert_int_equal(LAPACKE_dgelsd(LAPACK_COL_MAJOR, (int)np, cols, 1, J, (int)np, rhs,
                                            (int)np, sv, 1e-12, &rank), 0);
            free(sv);
        }
        /* rebuild J (dgels overwrote it) and form J x */
        cols = 0;
        for (size_t a = 0; a < na; a++) {
            int n = a < 36 ? 6 : 5, loc = (int)(a < 36 ? a : a - 36);

            if (algs[k] == SYM_ALGEBRA_DIAGONAL && loc / n != loc % n)
                continue;
            memset(e, 0, na * sizeof(double));
            e[a] = 1.0;
            sym_orbit_tangent(col, f.m, f.p, e, algs[k]);
            for (size_t i = 0; i < np; i++)
                Jd[i] += rhs[cols] * col[i];
            cols++;
        }
        assert_true(sym_orbit_project(tan, perp, NULL, f.m, f.p, v, algs[k]) >= 0);
        check_close(tan, Jd, np, 1e-9 * sym_norm2(v, np), 0);
        /* the rest is orthogonal to the tangent space */
        sym_orbit_tangent_adjoint(JTp, f.m, f.p, perp, algs[k]);
        assert_true(sym_norm2(JTp, na) < 1e-9 * sym_norm2(v, np));
        free(J); free(v); free(tan); free(perp); free(e); free(col); free(sol); free(rhs); free(Jd); free(JTp);
        teardown_net(&f);
    }
}

/* the gradient of the loss is orthogonal to the orbit (seed 002): its
 * tangent part is at rounding level, for an unregularized linear network */
static void test_probe_orbit_gradient_orthogonal(void **state)
{
    fixture f;
    sym_reg none = SYM_REG_INIT;
    sym_eval *e;
    sym_loss_parts lp;
    size_t np;
    double *g, *tan;

    (void)state;
    setup_net(&f, SYM_ACT_LINEAR, 1);
    np = sym_model_n_params(f.m);
    g = calloc(np, sizeof(double));
    tan = calloc(np, sizeof(double));
    check_ok(sym_eval_create(&e, f.m, &none, f.d.n));
    check_ok(sym_eval_loss(e, &lp, g, f.p, f.d.X, f.d.Y, f.d.n));
    assert_true(sym_orbit_project(tan, NULL, NULL, f.m, f.p, g, SYM_ALGEBRA_GL) >= 0);
    print_message("gradient norm %.3g, its orbit-tangent part %.3g\n", sym_norm2(g, np), sym_norm2(tan, np));
    assert_true(sym_norm2(tan, np) < 1e-10 * sym_norm2(g, np));
    sym_eval_free(e);
    free(g);
    free(tan);
    teardown_net(&f);
}

/*
 * Linear net, gl(n): the loss is flat along exp(tA) through every point, so
 * each landscape column (fixed s) is constant in t, while moving off the
 * orbit (s) changes it; the t = 0 row is the perpendicular line itself.
 */
static void test_probe_orbit_perpendicular_and_landscape(void **state)
{
    fixture f;
    sym_reg none = SYM_REG_INIT;
    sym_orbit_opts o = SYM_ORBIT_OPTS_INIT;
    sym_algebra alg;
    sym_rng r;
    double *A, perp[7], land[49], flat = 0.0, moves = 0.0;

    (void)state;
    setup_net(&f, SYM_ACT_LINEAR, 1);
    o.points = o.landscape = 7;
    o.t_max = 1.5;
    o.s_max = 0.5;
    o.perpendicular = 1;
    A = calloc(sym_orbit_direction_size(f.m), sizeof(double));
    check_ok(sym_orbit_algebra(&alg, f.m, SYM_ALGEBRA_AUTO));
    sym_rng_init(&r, 11, SYM_RNG_PROBE, 0);
    check_ok(sym_orbit_direction(A, f.m, alg, &r));
    sym_rng_init(&r, 11, SYM_RNG_PROBE, 0x50000);
    check_ok(sym_orbit_perpendicular(perp, land, f.m, &none, f.p, &f.d, A, &o, &r));
    for (int b = 0; b < 7; b++) {
        for (int a = 0; a < 7; a++)
            flat = fmax(flat, fabs(land[a * 7 + b] - land[3 * 7 + b]) / land[3 * 7 + b]);
        assert_true(fabs(land[3 * 7 + b] - perp[b]) <= 1e-12 * perp[b]);
        moves = fmax(moves, fabs(perp[b] - perp[3]) / perp[3]);
    }
    print_message("landscape: max rel change along t %.3g, along s %.3g\n", flat, moves);
    assert_true(flat < 1e-10);
    assert_true(moves > 1e-3);
    /* perpendicular line only, landscape off: same line from the same stream */
    {
        double perp2[7];

        o.landscape = 0;
        sym_rng_init(&r, 11, SYM_RNG_PROBE, 0x50000);
        check_ok(sym_orbit_perpendicular(perp2, NULL, f.m, &none, f.p, &f.d, A, &o, &r));
        assert_memory_equal(perp, perp2, sizeof(perp));
    }
    free(A);
    teardown_net(&f);
}

/* deviation of line[0..6] (s on a symmetric 7-point grid) from the parabola
 * through its ends and middle, relative to the line's range */
static double parabola_residual(const double *y)
{
    double a = y[3], b = (y[6] - y[0]) / 2.0, c = (y[6] + y[0] - 2.0 * y[3]) / 2.0, worst = 0.0,
           range = 0.0;

    for (int k = 0; k < 7; k++) {
        double x = (k - 3) / 3.0;

        worst = fmax(worst, fabs(y[k] - (a + b * x + c * x * x)));
        range = fmax(range, fabs(y[k] - y[3]));
    }
    return worst / range;
}

/*
 * perpendicular: last_layer moves W_L alone.  The network's output is affine
 * in W_L, so the mean squared error along the line is exactly a parabola in s
 * (closed form), whatever the other layers; the projected random direction
 * moves every layer of this 3-layer linear net, and its loss is a polynomial
 * of degree 6 in s, visibly not a parabola.  The landscape stays flat in t:
 * the orbit of any point is flat.
 */
static void test_probe_orbit_perpendicular_last_layer(void **state)
{
    fixture f;
    sym_reg none = SYM_REG_INIT;
    sym_orbit_opts o = SYM_ORBIT_OPTS_INIT;
    sym_algebra alg;
    sym_rng r;
    double *A, shift[7], rnd[7], land[49], flat = 0.0;

    (void)state;
    setup_net(&f, SYM_ACT_LINEAR, 1);
    o.points = o.landscape = 7;
    o.t_max = 1.5;
    o.s_max = 1.0;
    A = calloc(sym_orbit_direction_size(f.m), sizeof(double));
    check_ok(sym_orbit_algebra(&alg, f.m, SYM_ALGEBRA_AUTO));
    sym_rng_init(&r, 11, SYM_RNG_PROBE, 0);
    check_ok(sym_orbit_direction(A, f.m, alg, &r));
    o.perpendicular = SYM_PERP_LAST_LAYER;
    sym_rng_init(&r, 11, SYM_RNG_PROBE, 0x50000);
    check_ok(sym_orbit_perpendicular(shift, land, f.m, &none, f.p, &f.d, A, &o, &r));
    o.perpendicular = SYM_PERP_RANDOM;
    sym_rng_init(&r, 11, SYM_RNG_PROBE, 0x50000);
    check_ok(sym_orbit_perpendicular(rnd, NULL, f.m, &none, f.p, &f.d, A, &o, &r));
    for (int b = 0; b < 7; b++)
        for (int a = 0; a < 7; a++)
            flat = fmax(flat, fabs(land[a * 7 + b] - land[3 * 7 + b]) / land[3 * 7 + b]);
    print_message("last_layer: parabola residual %.3g (random direction: %.3g), flat in t %.3g\n",
                  parabola_residual(shift), parabola_residual(rnd), flat);
    assert_true(parabola_residual(shift) < 1e-12);
    assert_true(parabola_residual(rnd) > 1e-4);
    assert_true(fabs(shift[0] - shift[3]) > 1e-3 * shift[3]); /* the function moved */
    assert_true(flat < 1e-10);
    assert_string_equal(sym_perp_name(SYM_PERP_LAST_LAYER), "last_layer");
    free(A);
    teardown_net(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_orbit_tangent_adjoint_and_derivative),
        cmocka_unit_test(test_probe_orbit_projection_matches_dense),
        cmocka_unit_test(test_probe_orbit_gradient_orthogonal),
        cmocka_unit_test(test_probe_orbit_linear_gl_flat),
        cmocka_unit_test(test_probe_orbit_perpendicular_and_landscape),
        cmocka_unit_test(test_probe_orbit_perpendicular_last_layer),
        cmocka_unit_test(test_probe_orbit_relu_diagonal_flat_gl_not),
        cmocka_unit_test(test_probe_orbit_frobenius_keeps_only_rotations),
        cmocka_unit_test(test_probe_orbit_directions_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
