/*
 * tangent_slice against its closed form.  With K = I + sA (in the group for
 * gl and the diagonal algebra) the straight line theta + s A.theta is
 * K . theta + s^2 u + O(s^3), u_l = A_l W_l A_{l-1} - W_l A_{l-1}^2 at weight
 * l (A_0 = A_L = 0).  So the objective changes by s^2 g.u away from a
 * critical point and by s^4 u^T H u / 2 at a minimum (g.v = 0: invariance).
 * Negative control: the gl algebra on a ReLU net is no symmetry, and the
 * change is first order.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/probe_api.h"

typedef struct net {
    sym_config cfg;
    sym_model *m;
    sym_data d;
    double *p;
    size_t P;
} net;

static void net_make(net *n, const int *w, sym_act act, int ns, uint64_t seed)
{
    sym_rng r;

    memset(n, 0, sizeof(*n));
    n->cfg.model = (sym_model_opts)SYM_MODEL_OPTS_INIT;
    n->cfg.model.n_layers = 2;
    n->cfg.model.n_encoder = 2;
    memcpy(n->cfg.model.widths, w, 3 * sizeof(int));
    n->cfg.model.act[0] = act;
    n->cfg.model.act[1] = SYM_ACT_LINEAR;
    n->cfg.model.bias = 0;
    n->cfg.reg = (sym_reg)SYM_REG_INIT;
    check_ok(sym_model_create(&n->m, &n->cfg.model));
    n->P = sym_model_n_params(n->m);
    n->p = calloc(n->P, sizeof(double));
    n->d.n = ns;
    n->d.d_in = w[0];
    n->d.d_out = w[2];
    n->d.X = calloc((size_t)ns * w[0], sizeof(double));
    n->d.Y = calloc((size_t)ns * w[2], sizeof(double));
    sym_rng_init(&r, seed, SYM_RNG_TEST, 0);
    for (int i = 0; i < ns * w[0]; i++)
        n->d.X[i] = sym_rng_normal(&r);
    for (int i = 0; i < ns * w[2]; i++)
        n->d.Y[i] = sym_rng_normal(&r);
    for (size_t i = 0; i < n->P; i++)
        n->p[i] = 0.5 * sym_rng_normal(&r);
}

static void net_dispose(net *n)
{
    free(n->p);
    free(n->d.X);
    free(n->d.Y);
    sym_model_free(n->m);
}

/* the probe on the net: its values (defaults: 4 directions, 12 steps from 0.5) and where the
 * host placed order, coefficient and first_order (one value per direction each) */
static double *run_probe(const net *n, sym_algebra alg, size_t at[3])
{
    const sym_probe_def *def = sym_probe_find("tangent_slice");
    void *opts = calloc(1, def->opts_size);
    sym_probe_run pr;
    sym_schema s;
    const sym_schema_dataset *o;
    double *x;
    size_t len;

    assert_non_null(def);
    def->init(opts);
    /* the algebra setting, through the probe's own table */
    for (int i = 0; i < def->n_settings; i++)
        if (!strcmp(def->settings[i].name, "algebra"))
            *(int *)((char *)opts + def->settings[i].offset) = (int)alg;
    memset(&s, 0, sizeof(s));
    check_ok(def->layout(opts, &n->cfg, 1, &s)); /* its datasets, placed by the schema */
    len = s.len;
    for (int k = 0; k < 3; k++) {
        static const char *const fits[3] = {"/probes/tangent_slice/order", "/probes/tangent_slice/coefficient",
                                            "/probes/tangent_slice/first_order"};

        o = sym_schema_find(&s, fits[k]);
        assert_non_null(o);
        assert_int_equal(o->stride, 1);
        at[k] = o->off;
    }
    sym_schema_dispose(&s);
    x = calloc(len, sizeof(double));
    memset(&pr, 0, sizeof(pr));
    pr.seed = 5;
    pr.stream = def->stream;
    pr.cfg = &n->cfg;
    pr.model = n->m;
    pr.data = &n->d;
    pr.params = n->p;
    check_ok(def->at_end(opts, &pr, x));
    def->dispose(opts);
    free(opts);
    return x;
}

/* u = W2 A (A) - W2 A^2 ... for one hidden layer: u_1 = A_1 W_1 A_0 - W_1 A_0^2 = 0,
 * u_2 = A_2 W_2 A_1 - W_2 A_1^2 = -W_2 A^2 (A_2 = 0) */
static void u_of(double *u, const net *n, const double *A)
{
    int h = n->cfg.model.widths[1], o = n->cfg.model.widths[2];
    double *W2 = calloc((size_t)o * h, sizeof(double)), *A2 = calloc((size_t)h * h, sizeof(double));
    double *T = calloc((size_t)o * h, sizeof(double));

    memset(u, 0, sizeof(double) * n->P);
    sym_model_get_weight(n->m, n->p, 1, W2);
    sym_gemm(0, 0, h, h, h, 1.0, A, A, 0.0, A2);
    sym_gemm(0, 0, o, h, h, -1.0, W2, A2, 0.0, T);
    sym_model_set_weight(n->m, u, 1, T);
    free(W2);
    free(A2);
    free(T);
}

/* the direction the probe drew for direction q */
static void direction(double *A, const net *n, sym_algebra alg, int q)
{
    const sym_probe_def *def = sym_probe_find("tangent_slice");
    sym_rng r;

    sym_rng_init(&r, 5, SYM_RNG_PROBE, def->stream + (uint32_t)q);
    check_ok(sym_orbit_direction(A, n->m, alg, &r));
}

static void test_away_from_a_critical_point(void **s)
{
    int w[3] = {3, 4, 2};
    net n;
    size_t at[3];
    double *x, *g, *u, A[16];
    sym_eval *e = NULL;
    sym_loss_parts lp;

    (void)s;
    net_make(&n, w, SYM_ACT_LINEAR, 20, 1);
    x = run_probe(&n, SYM_ALGEBRA_GL, at);
    g = calloc(n.P, sizeof(double));
    u = calloc(n.P, sizeof(double));
    check_ok(sym_eval_create(&e, n.m, &n.cfg.reg, n.d.n));
    check_ok(sym_eval_loss(e, &lp, g, n.p, n.d.X, n.d.Y, n.d.n));
    for (int q = 0; q < 4; q++) {
        double want = 0.0;

        direction(A, &n, SYM_ALGEBRA_GL, q);
        u_of(u, &n, A);
        for (size_t i = 0; i < n.P; i++)
            want += g[i] * u[i];
        printf("linear, random point, direction %d: order %.4f, coefficient %.10g, g.u %.10g\n", q,
               x[at[0] + q], x[at[1] + q], want);
        check_close1(x[at[0] + q], 2.0, 1e-3, 0);
        check_close1(x[at[1] + q], want, 0, 1e-6);
        assert_true(fabs(x[at[2] + q]) < 1e-9); /* g.v = 0: a symmetry */
    }
    sym_eval_free(e);
    free(x);
    free(g);
    free(u);
    net_dispose(&n);
}

static void test_at_a_minimum(void **s)
{
    int w[3] = {3, 4, 2};
    net n;
    size_t at[3];
    double *x, *u, *Hu, A[16], XtX[9], XtXi[9], XtY[6], Ms[6], W1[12], G[9], Gi[9], W1p[12], W2[8],
        work[4096];
    int ipiv[64];
    sym_hvp *h = NULL;

    (void)s;
    net_make(&n, w, SYM_ACT_LINEAR, 20, 2);
    /* the least-squares minimum: W2 W1 = M*, W1 (4 x 3) random, W2 = M* W1^+ */
    sym_gemm(1, 0, 3, 3, n.d.n, 1.0, n.d.X, n.d.X, 0.0, XtX);
    sym_gemm(1, 0, 3, 2, n.d.n, 1.0, n.d.X, n.d.Y, 0.0, XtY);
    check_ok(sym_mat_inverse(XtXi, XtX, 3, work, ipiv));
    sym_gemm(1, 1, 2, 3, 3, 1.0, XtY, XtXi, 0.0, Ms);
    sym_model_get_weight(n.m, n.p, 0, W1);
    sym_gemm(1, 0, 3, 3, 4, 1.0, W1, W1, 0.0, G);
    check_ok(sym_mat_inverse(Gi, G, 3, work, ipiv));
    sym_gemm(0, 1, 3, 4, 3, 1.0, Gi, W1, 0.0, W1p);
    sym_gemm(0, 0, 2, 4, 3, 1.0, Ms, W1p, 0.0, W2);
    sym_model_set_weight(n.m, n.p, 1, W2);
    x = run_probe(&n, SYM_ALGEBRA_GL, at);
    u = calloc(n.P, sizeof(double));
    Hu = calloc(n.P, sizeof(double));
    check_ok(sym_hvp_create(&h, n.m, &n.cfg.reg, n.d.n));
    check_ok(sym_hvp_set_point(h, n.p, n.d.X, n.d.Y, n.d.n));
    for (int q = 0; q < 4; q++) {
        double want = 0.0;

        direction(A, &n, SYM_ALGEBRA_GL, q);
        u_of(u, &n, A);
        check_ok(sym_hvp_apply(h, Hu, u));
        for (size_t i = 0; i < n.P; i++)
            want += 0.5 * u[i] * Hu[i];
        printf("linear, minimum, direction %d: order %.4f, coefficient %.10g, u^T H u / 2 %.10g\n", q,
               x[at[0] + q], x[at[1] + q], want);
        check_close1(x[at[0] + q], 4.0, 2e-2, 0);
        check_close1(x[at[1] + q], want, 0, 1e-6);
    }
    sym_hvp_free(h);
    free(x);
    free(u);
    free(Hu);
    net_dispose(&n);
}

static void test_not_a_symmetry(void **s)
{
    int w[3] = {3, 4, 2};
    net n;
    size_t at[3];
    double *x, *g, *v, A[16];
    sym_eval *e = NULL;
    sym_loss_parts lp;

    (void)s;
    /* gl on a ReLU net is no symmetry: the slope g.v is not 0, and the probe measures it */
    net_make(&n, w, SYM_ACT_RELU, 20, 3);
    x = run_probe(&n, SYM_ALGEBRA_GL, at);
    g = calloc(n.P, sizeof(double));
    v = calloc(n.P, sizeof(double));
    check_ok(sym_eval_create(&e, n.m, &n.cfg.reg, n.d.n));
    check_ok(sym_eval_loss(e, &lp, g, n.p, n.d.X, n.d.Y, n.d.n));
    for (int q = 0; q < 4; q++) {
        double gv = 0.0;

        direction(A, &n, SYM_ALGEBRA_GL, q);
        sym_orbit_tangent(v, n.m, n.p, A, SYM_ALGEBRA_GL);
        for (size_t i = 0; i < n.P; i++)
            gv += g[i] * v[i];
        printf("relu with gl (no symmetry), direction %d: slope %.10g, g.v %.10g\n", q,
               x[at[2] + q], gv);
        assert_true(fabs(gv) > 1e-6); /* far above the symmetric directions' 1e-9 */
        check_close1(x[at[2] + q], gv, 0, 1e-5);
    }
    free(x);
    /* the diagonal algebra is ReLU's: slope 0, order 2 */
    x = run_probe(&n, SYM_ALGEBRA_DIAGONAL, at);
    for (int q = 0; q < 4; q++) {
        printf("relu with its diagonal algebra, direction %d: slope %.3g, order %.4f\n", q,
               x[at[2] + q], x[at[0] + q]);
        assert_true(fabs(x[at[2] + q]) < 1e-9);
        check_close1(x[at[0] + q], 2.0, 1e-2, 0);
    }
    sym_eval_free(e);
    free(g);
    free(v);
    free(x);
    net_dispose(&n);
}

/* The file's datasets read through the probe's declarations: every direction's change, as
 * the change dataset reads it, gives the first_order slope the probe stored for that direction
 * ((change(+s) - change(-s)) / 2s at the smallest s, the same arithmetic, so bitwise).  The
 * change of directions after the first was once read three values too early (each direction's
 * slot held its fit after its steps, the declaration assumed steps only). */
static void test_datasets_read_every_direction(void **st)
{
    int w[3] = {3, 4, 2};
    const sym_probe_def *def = sym_probe_find("tangent_slice");
    const sym_schema_dataset *ch, *fo;
    net n;
    size_t at[3];
    sym_schema s;
    double *x;
    void *opts = calloc(1, def->opts_size);

    (void)st;
    net_make(&n, w, SYM_ACT_LINEAR, 20, 1);
    x = run_probe(&n, SYM_ALGEBRA_GL, at);
    def->init(opts);
    memset(&s, 0, sizeof(s));
    check_ok(def->layout(opts, &n.cfg, 1, &s));
    ch = sym_schema_find(&s, "/probes/tangent_slice/change");
    fo = sym_schema_find(&s, "/probes/tangent_slice/first_order");
    assert_non_null(ch);
    assert_non_null(fo);
    assert_int_equal(ch->rank, 3);
    assert_true(ch->dims[0] >= 2);
    for (long long q = 0; q < ch->dims[0]; q++) {
        long long P = ch->dims[2];
        size_t plus = (size_t)(q * 2 * P + P - 1), minus = (size_t)(q * 2 * P + 2 * P - 1);
        double smin = ldexp(0.5, -(int)(P - 1)); /* the default s_max 0.5, halved P - 1 times */
        double got = x[ch->off + plus * ch->stride], got_m = x[ch->off + minus * ch->stride];
        double slope = x[fo->off + (size_t)q * fo->stride];

        printf("direction %lld: change(+s) %.6g, change(-s) %.6g, first order %.6g\n", q, got, got_m, slope);
        assert_true((got - got_m) / (2.0 * smin) == slope);
    }
    sym_schema_dispose(&s);
    def->dispose(opts);
    free(opts);
    free(x);
    net_dispose(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_away_from_a_critical_point),
        cmocka_unit_test(test_at_a_minimum),
        cmocka_unit_test(test_not_a_symmetry),
        cmocka_unit_test(test_datasets_read_every_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
