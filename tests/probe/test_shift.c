/*
 * The softmax's shifts in the objective's symmetry (sym_shift_dim, sym_shift_rows, and the
 * orbit dimension sym_symmetry_orbit counts with them), against closed forms.
 *
 * Cross-entropy sees each sample's logits modulo 1: W_L + 1 v^T and b_L + c 1 keep it, which
 * adds n_{L-1} (+ 1 with biases) to the algebra.  At a generic point of a ReLU net [a, h, c]
 * the scalings and the shifts are independent: the orbit has h + h + 1 dimensions (bias).  In
 * a deep linear net [a, b, c] without biases, b > a, the gl orbit already holds the shifts
 * whose v kills W_1 (v^T W_1 = 0: X = u v^T with X W_1 = 0 moves only W_2, by -W_2 u v^T,
 * and W_2 u = -1 is solvable when W_2 has full row rank): b - a of the b shift directions are
 * in the gl orbit, and the orbit grows from b^2 - (b - a)(b - c) by a, not b.  With biases the
 * same count holds (X W_1 = 0 and t = -X b_1: the b - a of them again), plus the 1 of c.
 * At a random point of a tanh classifier every shift row t has H t = 0 (2.8e-17) and g . t = 0:
 * the loss is constant along them everywhere, not only at a minimum.
 * Negative controls: squared error counts no shift (and its H t is of order 1); a Frobenius penalty keeps only c; a
 * nonlinear output layer none.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

static sym_model *net(int a, int b, int c, sym_act act, int bias, sym_loss_kind loss, double **p)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_model *m = NULL;
    sym_rng r;

    o.n_layers = o.n_encoder = 2;
    o.widths[0] = a;
    o.widths[1] = b;
    o.widths[2] = c;
    o.act[0] = act;
    o.act[1] = SYM_ACT_LINEAR;
    o.bias = bias;
    o.loss = loss;
    check_ok(sym_model_create(&m, &o));
    *p = calloc(sym_model_n_params(m), sizeof(double));
    sym_rng_init(&r, 7, SYM_RNG_INIT, 0);
    for (size_t i = 0; i < sym_model_n_params(m); i++) /* generic: every weight and bias nonzero */
        (*p)[i] = sym_rng_normal(&r);
    return m;
}

static void expect_orbit(sym_model *m, const double *p, const sym_reg *reg, int alg_want,
                         int orbit_want, const char *what)
{
    int alg = -1, orbit = -1;
    double gap = 0;

    check_ok(sym_symmetry_orbit(&alg, &orbit, &gap, m, reg, p));
    printf("%-46s algebra %3d orbit %3d gap %.3g\n", what, alg, orbit, gap);
    if (alg != alg_want || orbit != orbit_want)
        fail_msg("%s: algebra %d orbit %d, want %d %d", what, alg, orbit, alg_want, orbit_want);
    assert_true(gap > 1e3 || isinf(gap)); /* a clear-cut rank */
}

static void test_shift_relu(void **s)
{
    sym_reg none = SYM_REG_INIT, frob = SYM_REG_INIT;
    double *p = NULL;
    sym_model *m;

    (void)s;
    frob.kind = SYM_REG_FROBENIUS;
    frob.lambda_encoder = 0.01;
    m = net(4, 6, 3, SYM_ACT_RELU, 1, SYM_LOSS_CROSS_ENTROPY, &p);
    assert_int_equal(sym_shift_dim(m, &none), 6 + 1);
    expect_orbit(m, p, &none, 6 + 7, 6 + 7, "relu [4,6,3] bias, cross-entropy");
    /* a Frobenius penalty cuts the scalings and the weight shifts; c survives */
    assert_int_equal(sym_shift_dim(m, &frob), 1);
    expect_orbit(m, p, &frob, 1, 1, "relu [4,6,3] bias, cross-entropy, frobenius");
    sym_model_free(m);
    free(p);

    m = net(4, 6, 3, SYM_ACT_RELU, 0, SYM_LOSS_CROSS_ENTROPY, &p);
    expect_orbit(m, p, &none, 6 + 6, 6 + 6, "relu [4,6,3] no bias, cross-entropy");
    sym_model_free(m);
    free(p);

    /* the negative control: squared error has only the scalings */
    m = net(4, 6, 3, SYM_ACT_RELU, 1, SYM_LOSS_MSE, &p);
    assert_int_equal(sym_shift_dim(m, &none), 0);
    expect_orbit(m, p, &none, 6, 6, "relu [4,6,3] bias, squared error");
    sym_model_free(m);
    free(p);
}

static void test_shift_linear(void **s)
{
    sym_reg none = SYM_REG_INIT;
    double *p = NULL;
    sym_model *m;

    (void)s;
    /* [4, 6, 3]: gl(6) has 36, its orbit 36 - (6-4)(6-3) = 30; the shifts add 6 - (6-4) = 4 */
    m = net(4, 6, 3, SYM_ACT_LINEAR, 0, SYM_LOSS_MSE, &p);
    expect_orbit(m, p, &none, 36, 30, "linear [4,6,3], squared error");
    sym_model_free(m);
    free(p);
    m = net(4, 6, 3, SYM_ACT_LINEAR, 0, SYM_LOSS_CROSS_ENTROPY, &p);
    expect_orbit(m, p, &none, 36 + 6, 30 + 4, "linear [4,6,3], cross-entropy");
    sym_model_free(m);
    free(p);
    /* biases: 6 translations (orbit 36 of 42), then shifts: 7 more, 2 of them in the orbit */
    m = net(4, 6, 3, SYM_ACT_LINEAR, 1, SYM_LOSS_MSE, &p);
    expect_orbit(m, p, &none, 42, 36, "linear [4,6,3] bias, squared error");
    sym_model_free(m);
    free(p);
    m = net(4, 6, 3, SYM_ACT_LINEAR, 1, SYM_LOSS_CROSS_ENTROPY, &p);
    expect_orbit(m, p, &none, 42 + 7, 36 + 5, "linear [4,6,3] bias, cross-entropy");
    sym_model_free(m);
    free(p);
    /* a narrow hidden layer [6, 3, 4] (b below a): no gl element kills W_1, all 3 shifts count */
    m = net(6, 3, 4, SYM_ACT_LINEAR, 0, SYM_LOSS_CROSS_ENTROPY, &p);
    expect_orbit(m, p, &none, 9 + 3, 9 + 3, "linear [6,3,4], cross-entropy");
    sym_model_free(m);
    free(p);
}

/* the rows are unit tangents of translations: W_L's column j or b_L all 1/sqrt(n_L) */
static void test_shift_rows(void **s)
{
    sym_reg none = SYM_REG_INIT;
    double *p = NULL, *J;
    sym_model *m = net(3, 5, 4, SYM_ACT_TANH, 1, SYM_LOSS_CROSS_ENTROPY, &p);
    size_t P = sym_model_n_params(m);
    int d = sym_shift_dim(m, &none);

    (void)s;
    assert_int_equal(d, 5 + 1);
    J = calloc((size_t)d * P, sizeof(double));
    check_ok(sym_shift_rows(J, m, &none));
    for (int r = 0; r < d; r++) {
        double W[20], norm = 0;
        double *row = J + (size_t)r * P, *b = sym_model_bias(m, row, 1);

        sym_model_get_weight(m, row, 1, W);
        for (size_t i = 0; i < P; i++)
            norm += row[i] * row[i];
        assert_true(fabs(norm - 1.0) < 1e-15);
        for (int i = 0; i < 4; i++) {
            assert_true(fabs(b[i] - (r == 5 ? 0.5 : 0.0)) == 0.0);
            for (int j = 0; j < 5; j++)
                assert_true(W[i * 5 + j] == (r == j ? 0.5 : 0.0));
        }
    }
    free(J);
    /* a nonlinear output layer has no shift */
    {
        sym_model_opts o = *sym_model_get_opts(m);
        sym_model *m2 = NULL;

        o.act[1] = SYM_ACT_SIGMOID;
        check_ok(sym_model_create(&m2, &o));
        assert_int_equal(sym_shift_dim(m2, &none), 0);
        sym_model_free(m2);
    }
    sym_model_free(m);
    free(p);
}

/* the loss is constant along the shifts at every point: H t = 0 and g . t = 0 for every shift
 * row t at a random (not critical) point of a cross-entropy classifier; squared error, the
 * negative control, has H t != 0 there */
static void test_shift_hessian_null(void **s)
{
    enum { N = 30, C = 3 };
    sym_reg none = SYM_REG_INIT;
    double X[N * 4], Y[N * C];
    sym_rng r;

    (void)s;
    sym_rng_init(&r, 9, SYM_RNG_TEST, 0);
    for (int i = 0; i < N * 4; i++)
        X[i] = sym_rng_normal(&r);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < C; k++)
            Y[i * C + k] = k == i % C;
    for (int loss = 0; loss < 2; loss++) {
        double *p = NULL, *J, *Hv, *g, worst = 0.0, gdot = 0.0, scale = 0.0;
        sym_model *m = net(4, 6, C, SYM_ACT_TANH, 1, loss ? SYM_LOSS_CROSS_ENTROPY : SYM_LOSS_MSE, &p);
        sym_model_opts o = *sym_model_get_opts(m);
        sym_model *mce = NULL;
        size_t P = sym_model_n_params(m);
        sym_hvp *h = NULL;
        sym_eval *e = NULL;
        sym_loss_parts lp;
        int d;

        /* the rows of the cross-entropy model: the same layout */
        o.loss = SYM_LOSS_CROSS_ENTROPY;
        check_ok(sym_model_create(&mce, &o));
        d = sym_shift_dim(mce, &none);
        J = calloc((size_t)d * P, sizeof(double));
        Hv = calloc(P, sizeof(double));
        g = calloc(P, sizeof(double));
        check_ok(sym_shift_rows(J, mce, &none));
        check_ok(sym_hvp_create(&h, m, &none, N));
        check_ok(sym_hvp_set_point(h, p, X, Y, N));
        check_ok(sym_eval_create(&e, m, &none, N));
        check_ok(sym_eval_loss(e, &lp, g, p, X, Y, N));
        for (int k = 0; k < d; k++) {
            double n2 = 0.0, dot = 0.0;

            check_ok(sym_hvp_apply(h, Hv, J + (size_t)k * P));
            for (size_t i = 0; i < P; i++) {
                n2 += Hv[i] * Hv[i];
                dot += g[i] * J[(size_t)k * P + i];
            }
            worst = fmax(worst, sqrt(n2));
            gdot = fmax(gdot, fabs(dot));
        }
        for (size_t i = 0; i < P; i++) /* the Hessian's scale: ||H e_0|| */
            scale = fmax(scale, fabs(g[i]));
        printf("%s: max ||H t|| %.2e, max |g . t| %.2e over %d shift rows (gradient scale %.2e)\n",
               loss ? "cross-entropy" : "squared error", worst, gdot, d, scale);
        if (loss)
            assert_true(worst < 1e-14 && gdot < 1e-15);
        else
            assert_true(worst > 1e-3);
        free(J);
        free(Hv);
        free(g);
        free(p);
        sym_hvp_free(h);
        sym_eval_free(e);
        sym_model_free(m);
        sym_model_free(mce);
    }
}

/* the orbit projections (gradient_decomposition, train.project_orbit) count the shifts: a ReLU
 * classifier [4, 6, 3] with biases, the diagonal (scaling) algebra: a pure shift direction is all
 * tangent, a random vector's perpendicular part is orthogonal to every shift row and to every
 * scaling direction (J^T perp = 0), and tangent + perp = v.  Negative control: without
 * sym_orbit_ws_add_shifts (or for squared error, where it adds nothing) a shift direction keeps
 * most of its norm in the perpendicular part. */
static void test_shift_projection(void **s)
{
    sym_reg none = SYM_REG_INIT;
    sym_rng r;

    (void)s;
    sym_rng_init(&r, 11, SYM_RNG_TEST, 0);
    for (int loss = 0; loss < 2; loss++) {
        double *p = NULL;
        sym_model *m = net(4, 6, 3, SYM_ACT_RELU, 1, loss ? SYM_LOSS_CROSS_ENTROPY : SYM_LOSS_MSE, &p);
        sym_model *mce = NULL;
        sym_model_opts o = *sym_model_get_opts(m);
        size_t P = sym_model_n_params(m), na = sym_orbit_direction_size(m);
        sym_algebra alg;
        sym_orbit_ws *ws = NULL, *plain = NULL;
        double *J, *v = calloc(P, sizeof(double)), *tan = calloc(P, sizeof(double));
        double *perp = calloc(P, sizeof(double)), *adj = calloc(na, sizeof(double));
        int d;

        o.loss = SYM_LOSS_CROSS_ENTROPY;
        check_ok(sym_model_create(&mce, &o));
        d = sym_shift_dim(mce, &none);
        assert_int_equal(d, 7);
        J = calloc((size_t)d * P, sizeof(double));
        check_ok(sym_shift_rows(J, mce, &none));
        check_ok(sym_orbit_algebra(&alg, m, SYM_ALGEBRA_AUTO));
        assert_int_equal(alg, SYM_ALGEBRA_DIAGONAL);
        check_ok(sym_orbit_ws_create(&ws, m, alg));
        check_ok(sym_orbit_ws_add_shifts(ws, &none));
        check_ok(sym_orbit_ws_create(&plain, m, alg));
        /* each shift row: tangent to the orbit for cross-entropy only */
        for (int k = 0; k < d; k++) {
            const double *t = J + (size_t)k * P;
            double pn, pn_plain;

            assert_true(sym_orbit_project_ws(ws, tan, perp, NULL, p, t) >= 0);
            pn = sym_norm2(perp, P);
            assert_true(sym_orbit_project_ws(plain, NULL, perp, NULL, p, t) >= 0);
            pn_plain = sym_norm2(perp, P);
            assert_true(fabs(sym_orbit_ws_shift_norm(ws, t) - (loss ? 1.0 : 0.0)) < 1e-14);
            if (loss)
                assert_true(pn < 1e-14);
            else
                assert_true(pn == pn_plain);
            assert_true(pn_plain > 0.5); /* the scalings alone do not hold a shift */
        }
        /* a random vector: v = tangent + perp, perp orthogonal to the shifts and the scalings */
        for (size_t i = 0; i < P; i++)
            v[i] = sym_rng_normal(&r);
        assert_true(sym_orbit_project_ws(ws, tan, perp, NULL, p, v) >= 0);
        for (size_t i = 0; i < P; i++)
            assert_true(fabs(tan[i] + perp[i] - v[i]) < 1e-13);
        sym_orbit_tangent_adjoint(adj, m, p, perp, alg);
        assert_true(sym_norm2(adj, na) < 1e-10 * sym_norm2(v, P));
        for (int k = 0; loss && k < d; k++) {
            double dot = 0.0;

            for (size_t i = 0; i < P; i++)
                dot += J[(size_t)k * P + i] * perp[i];
            assert_true(fabs(dot) < 1e-12);
        }
        printf("%s: shift directions in the projection's tangent space: %s\n",
               loss ? "cross-entropy" : "squared error", loss ? "all 7" : "none");
        sym_orbit_ws_free(ws);
        sym_orbit_ws_free(plain);
        sym_model_free(mce);
        sym_model_free(m);
        free(J);
        free(v);
        free(tan);
        free(perp);
        free(adj);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shift_relu),
        cmocka_unit_test(test_shift_linear),
        cmocka_unit_test(test_shift_rows),
        cmocka_unit_test(test_shift_projection),
        cmocka_unit_test(test_shift_hessian_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
