#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

/* one step of each optimizer against its formula (torch conventions) */
static void test_nn_optimizer_steps(void **state)
{
    const double g1[3] = {0.5, -2.0, 1e-3}, g2[3] = {-0.1, 0.3, 2.0};
    double p[3], want[3];
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_opt o;

    (void)state;
    t.lr = 0.1;
    t.optimizer = SYM_OPT_GD;
    check_ok(sym_opt_init(&o, &t, 3));
    p[0] = p[1] = p[2] = 1.0;
    sym_opt_step(&o, p, g1);
    for (int i = 0; i < 3; i++)
        want[i] = 1.0 - 0.1 * g1[i];
    check_close(p, want, 3, 0, 1e-15);
    sym_opt_dispose(&o);

    t.optimizer = SYM_OPT_SGD;
    t.momentum = 0.9;
    check_ok(sym_opt_init(&o, &t, 3));
    p[0] = p[1] = p[2] = 1.0;
    sym_opt_step(&o, p, g1);
    sym_opt_step(&o, p, g2);
    for (int i = 0; i < 3; i++) /* v1 = g1, v2 = 0.9 g1 + g2 */
        want[i] = 1.0 - 0.1 * g1[i] - 0.1 * (0.9 * g1[i] + g2[i]);
    check_close(p, want, 3, 0, 1e-15);
    sym_opt_dispose(&o);

    t.optimizer = SYM_OPT_ADAM;
    check_ok(sym_opt_init(&o, &t, 3));
    p[0] = p[1] = p[2] = 1.0;
    sym_opt_step(&o, p, g1);
    sym_opt_step(&o, p, g2);
    for (int i = 0; i < 3; i++) {
        double m1 = 0.1 * g1[i], v1 = 0.001 * g1[i] * g1[i];
        double x = 1.0 - 0.1 * (m1 / 0.1) / (sqrt(v1 / 0.001) + 1e-8);
        double m2 = 0.9 * m1 + 0.1 * g2[i], v2 = 0.999 * v1 + 0.001 * g2[i] * g2[i];

        want[i] = x - 0.1 * (m2 / (1 - 0.81)) / (sqrt(v2 / (1 - 0.999 * 0.999)) + 1e-8);
    }
    check_close(p, want, 3, 0, 1e-14);
    sym_opt_dispose(&o);
}

/*
 * The proximal step after each of Adam's first steps against its formula: the step size
 * per coordinate is lr / (sqrt(v / (1 - b2^t)) + eps), with beta2's bias correction (with
 * beta1's, early steps shrink about ten times too much, and cli.prox, which looks only at
 * the point reached after 20,000 epochs, where both corrections are about 1, would not
 * see it).  l1: soft thresholding, frobenius: shrinkage; gd: the step size is lr.
 */
static void test_nn_prox_steps(void **state)
{
    const double g[3][3] = {{0.5, -2.0, 1e-3}, {-0.1, 0.3, 2.0}, {0.2, 0.2, -0.7}};
    const double lam[3] = {0.02, 0.5, 0.0};
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_opt o;

    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        sym_reg_kind rk = kind ? SYM_REG_FROBENIUS : SYM_REG_L1;
        double p[3] = {1.0, -0.3, 0.05}, v[3] = {0, 0, 0}, b2t = 1.0;

        t.lr = 0.01;
        t.optimizer = SYM_OPT_ADAM;
        check_ok(sym_opt_init(&o, &t, 3));
        for (int s = 0; s < 3; s++) {
            double want[3];

            sym_opt_step(&o, p, g[s]);
            b2t *= 0.999;
            for (int i = 0; i < 3; i++) {
                double step, th;

                v[i] = 0.999 * v[i] + 0.001 * g[s][i] * g[s][i];
                step = 0.01 / (sqrt(v[i] / (1.0 - b2t)) + 1e-8);
                th = step * lam[i];
                if (lam[i] == 0.0)
                    want[i] = p[i];
                else if (rk == SYM_REG_L1)
                    want[i] = p[i] > th ? p[i] - th : p[i] < -th ? p[i] + th : 0.0;
                else
                    want[i] = p[i] / (1.0 + 2.0 * th);
            }
            sym_opt_prox(&o, p, lam, rk);
            check_close(p, want, 3, 0, 1e-14);
        }
        sym_opt_dispose(&o);

        t.optimizer = SYM_OPT_GD;
        check_ok(sym_opt_init(&o, &t, 3));
        {
            double q[3] = {1.0, -0.3, 0.05}, want[3];

            sym_opt_step(&o, q, g[0]);
            for (int i = 0; i < 3; i++) {
                double th = 0.01 * lam[i];

                want[i] = lam[i] == 0.0 ? q[i]
                          : rk == SYM_REG_L1 ? (q[i] > th ? q[i] - th : q[i] < -th ? q[i] + th : 0.0)
                                             : q[i] / (1.0 + 2.0 * th);
            }
            sym_opt_prox(&o, q, lam, rk);
            check_close(q, want, 3, 0, 1e-15);
        }
        sym_opt_dispose(&o);
    }
}

static sym_model_opts ex5(void)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int w[] = {4, 6, 6, 3};

    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    return o;
}

static void make_data(sym_data *d, uint64_t seed)
{
    sym_data_opts o;
    sym_rng r;

    memset(&o, 0, sizeof(o));
    o.kind = SYM_DATA_TEACHER_LINEAR;
    o.samples = 64;
    o.input = 4;
    o.output = 3;
    o.noise = 0.01;
    sym_rng_init(&r, seed, SYM_RNG_DATA, 0);
    check_ok(sym_data_generate(d, &o, &r));
}

static double *train(sym_train_out *out, sym_train_opts *t, uint64_t seed, double **curve)
{
    sym_model_opts mo = ex5();
    sym_model *m;
    sym_reg none = SYM_REG_INIT;
    sym_data d;
    sym_rng r, sh;
    double *p;

    make_data(&d, seed);
    check_ok(sym_model_create(&m, &mo));
    p = calloc(sym_model_n_params(m), sizeof(double));
    *curve = calloc((size_t)sym_train_n_points(t), sizeof(double));
    sym_rng_init(&r, seed, SYM_RNG_INIT, 0);
    sym_rng_init(&sh, seed, SYM_RNG_SHUFFLE, 0);
    sym_model_init_params(m, p, &r);
    check_ok(sym_train(out, *curve, p, m, &none, t, &d, &sh));
    sym_data_dispose(&d);
    sym_model_free(m);
    return p;
}

static void test_nn_train_decreases_loss_all_optimizers(void **state)
{
    (void)state;
    for (int k = 0; k < SYM_OPT_COUNT; k++) {
        sym_train_opts t = SYM_TRAIN_OPTS_INIT;
        sym_train_out out;
        double *curve, *p;
        int n;

        t.optimizer = (sym_opt_kind)k;
        t.lr = k == SYM_OPT_ADAM ? 0.01 : 0.05;
        t.momentum = 0.9;
        t.batch_size = 16;
        t.epochs = 300;
        t.loss_every = 7; /* not a divisor: the last point is epoch 294 */
        n = sym_train_n_points(&t);
        assert_int_equal(n, 300 / 7 + 1);
        assert_int_equal(sym_train_point_epoch(&t, n - 1), 294);
        p = train(&out, &t, 3, &curve);
        assert_int_equal(out.status, SYM_RUN_DONE);
        assert_int_equal(out.epochs_done, 300);
        assert_true(curve[n - 1] < 0.05 * curve[0]);
        assert_true(out.final.total <= curve[n - 1] * 1.01);
        free(p);
        free(curve);
    }
}

static void test_nn_train_divergence_keeps_last_finite_state(void **state)
{
    sym_train_opts t = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    double *curve, *p;
    int n;

    (void)state;
    t.optimizer = SYM_OPT_GD;
    t.lr = 50.0; /* far beyond 2 / L: the loss explodes to Inf */
    t.epochs = 10000;
    t.loss_every = 1;
    n = sym_train_n_points(&t);
    p = train(&out, &t, 4, &curve);
    assert_int_equal(out.status, SYM_RUN_DIVERGED);
    assert_true(out.epochs_done < 10000);
    assert_true(isfinite(out.final.total));
    for (size_t i = 0; i < 4 * 6 + 6 * 6 + 6 * 3; i++)
        assert_true(isfinite(p[i]));
    assert_true(isfinite(curve[0]) && isnan(curve[n - 1]));
    free(p);
    free(curve);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_optimizer_steps),
        cmocka_unit_test(test_nn_prox_steps),
        cmocka_unit_test(test_nn_train_decreases_loss_all_optimizers),
        cmocka_unit_test(test_nn_train_divergence_keeps_last_finite_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
