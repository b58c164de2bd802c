/*
 * The hessian and symmetry_discovery probes on cases whose answers are known
 * in closed form.  Each test places the network exactly at a minimum
 * (constructed, not trained) and derives the expected number of zero
 * eigenvalues here from the symmetry group and its stabilizer:
 *
 *   null space of H at a minimum = tangent space of the orbit through it,
 *   dim orbit = dim G - dim stabilizer.
 *
 * The probe's own orbit dimension (rank of the orbit-tangent map) must agree
 * with both.  Minima are built so that the loss is a nondegenerate function
 * of what the group leaves invariant (the end-to-end map, or the network's
 * outputs on more points than it has parameters), which is what makes the
 * null space no larger than the orbit's tangent space.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

typedef struct net {
    sym_model *m;
    double *p;
    sym_data d;
    size_t P;
} net;

static void net_dispose(net *n)
{
    free(n->p);
    free(n->d.X);
    if (n->d.Y != n->d.X)
        free(n->d.Y);
    sym_model_free(n->m);
}

static void net_make(net *n, sym_model_kind kind, int L, const int *w, sym_act act, int bias, int ns)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;

    memset(n, 0, sizeof(*n));
    o.kind = kind;
    o.n_layers = L;
    o.n_encoder = kind == SYM_MODEL_AUTOENCODER ? L / 2 : L;
    memcpy(o.widths, w, sizeof(int) * (size_t)(L + 1));
    for (int l = 0; l < L - 1; l++)
        o.act[l] = act;
    o.act[L - 1] = SYM_ACT_LINEAR;
    o.bias = bias;
    check_ok(sym_model_create(&n->m, &o));
    n->P = sym_model_n_params(n->m);
    n->p = calloc(n->P, sizeof(double));
    n->d.n = ns;
    n->d.d_in = w[0];
    n->d.d_out = w[L];
    n->d.X = calloc((size_t)ns * w[0], sizeof(double));
    n->d.Y = calloc((size_t)ns * w[L], sizeof(double));
}

static void randn(double *x, size_t k, sym_rng *r, double s)
{
    for (size_t i = 0; i < k; i++)
        x[i] = s * sym_rng_normal(r);
}

/* C [a x c] = A [a x b] B [b x c] */
static void mul(double *C, const double *A, const double *B, int a, int b, int c)
{
    sym_gemm(0, 0, a, c, b, 1.0, A, B, 0.0, C);
}

/* the hessian probe on one rank (LAPACK), gauge off unless asked */
static void probe(sym_hessian_out *out, const net *n, const sym_reg *reg, int gauge, double tmax)
{
    sym_hessian_opts o = SYM_HESSIAN_OPTS_INIT;
    sym_rng r;

    o.gauge_points = gauge;
    o.gauge_t_max = tmax;
    /* exact minima: true zeros sit at rounding level (~1e-15 relative) */
    o.threshold = 1e-10;
    memset(out, 0, sizeof(*out));
    out->eig = calloc(n->P, sizeof(double));
    if (gauge) {
        out->gauge_loss = calloc((size_t)gauge, sizeof(double));
        out->gauge_zeros = calloc((size_t)gauge, sizeof(double));
        out->gauge_top = calloc((size_t)gauge, sizeof(double));
    }
    sym_rng_init(&r, 77, SYM_RNG_TEST, 0);
    check_ok(sym_hessian_probe(out, n->m, reg, n->p, &n->d, &o, &r, sym_syev_local, NULL));
}

static void out_dispose(sym_hessian_out *o)
{
    free(o->eig);
    free(o->gauge_loss);
    free(o->gauge_zeros);
    free(o->gauge_top);
}

static void expect_nullity(const char *what, const sym_hessian_out *h, int want)
{
    printf("%-44s P-eigs: zeros %3d (expected %3d), orbit dim %3d, gap %.3g, min eig %.3g, "
           "|Hv - fd| %.2g\n",
           what, h->zeros, want, h->orbit_dim, h->gap, h->eig[0], h->hvp_error);
    assert_int_equal(h->zeros, want);
    assert_int_equal(h->orbit_dim, want);
    assert_true(h->gap > 1e4);                /* the zero cluster is well separated */
    assert_true(h->eig[0] > -1e-9 * h->top);  /* a minimum: no negative curvature */
    assert_true(h->hvp_error < 1e-6);
}

/*
 * Deep linear net d0 -> n1 -> n2 -> d3 on teacher data, at the least-squares
 * minimum W3 W2 W1 = M* = argmin ||Y - X M^T||: W1, W2 random, W3 = M* (W2 W1)^+.
 */
static void deep_linear_min(net *n, int d0, int n1, int n2, int d3)
{
    int w[4] = {d0, n1, n2, d3}, ns = 60;
    sym_rng r;
    double *W1, *W2, *W3, *T, *XtX, *XtXi, *XtY, *Ms, *B, *BtB, *BtBi, *Bp, *work;
    int *ipiv;

    net_make(n, SYM_MODEL_MLP, 3, w, SYM_ACT_LINEAR, 0, ns);
    sym_rng_init(&r, 11, SYM_RNG_TEST, (uint32_t)(n1 * 10 + n2));
    T = malloc(sizeof(double) * d3 * d0);
    randn(n->d.X, (size_t)ns * d0, &r, 1.0);
    randn(T, (size_t)d3 * d0, &r, 1.0);
    sym_gemm(0, 1, ns, d3, d0, 1.0, n->d.X, T, 0.0, n->d.Y); /* Y = X T^T + noise */
    for (int i = 0; i < ns * d3; i++)
        n->d.Y[i] += 0.1 * sym_rng_normal(&r);
    XtX = malloc(sizeof(double) * d0 * d0);
    XtXi = malloc(sizeof(double) * d0 * d0);
    XtY = malloc(sizeof(double) * d0 * d3);
    Ms = malloc(sizeof(double) * d3 * d0);
    work = malloc(sizeof(double) * 64 * 64);
    ipiv = malloc(sizeof(int) * 64);
    sym_gemm(1, 0, d0, d0, ns, 1.0, n->d.X, n->d.X, 0.0, XtX);
    sym_gemm(1, 0, d0, d3, ns, 1.0, n->d.X, n->d.Y, 0.0, XtY);
    check_ok(sym_mat_inverse(XtXi, XtX, d0, work, ipiv));
    sym_gemm(1, 1, d3, d0, d0, 1.0, XtY, XtXi, 0.0, Ms); /* M* = (XtX^-1 XtY)^T */
    W1 = malloc(sizeof(double) * n1 * d0);
    W2 = malloc(sizeof(double) * n2 * n1);
    W3 = malloc(sizeof(double) * d3 * n2);
    /* well conditioned: a random matrix near the identity (or its first columns) */
    randn(W1, (size_t)n1 * d0, &r, 0.3 / sqrt(d0));
    randn(W2, (size_t)n2 * n1, &r, 0.3 / sqrt(n1));
    for (int i = 0; i < d0; i++)
        W1[i * d0 + i] += 1.0;
    for (int i = 0; i < n1; i++)
        W2[i * n1 + i] += 1.0;
    B = malloc(sizeof(double) * n2 * d0);
    mul(B, W2, W1, n2, n1, d0); /* [n2 x d0], rank d0 <= n2 */
    BtB = malloc(sizeof(double) * d0 * d0);
    BtBi = malloc(sizeof(double) * d0 * d0);
    Bp = malloc(sizeof(double) * d0 * n2);
    sym_gemm(1, 0, d0, d0, n2, 1.0, B, B, 0.0, BtB);
    check_ok(sym_mat_inverse(BtBi, BtB, d0, work, ipiv));
    sym_gemm(0, 1, d0, n2, d0, 1.0, BtBi, B, 0.0, Bp); /* B^+ = (B^T B)^-1 B^T */
    mul(W3, Ms, Bp, d3, d0, n2);
    sym_model_set_weight(n->m, n->p, 0, W1);
    sym_model_set_weight(n->m, n->p, 1, W2);
    sym_model_set_weight(n->m, n->p, 2, W3);
    free(T); free(XtX); free(XtXi); free(XtY); free(Ms); free(W1); free(W2); free(W3);
    free(B); free(BtB); free(BtBi); free(Bp); free(work); free(ipiv);
}

/*
 * Zero eigenvalues end at the largest gap: a zero cluster at rounding level,
 * two real small curvatures at 1e-7 and a bulk near 1.  The fixed threshold
 * (1e-6, the old default) counts the small curvatures as zeros too (what
 * misled on tanh nets); the gap cut does not, and records both neighbours.
 * A spectrum without a gap (a factor 10 between neighbours) has no zeros.
 */
static void test_spectrum_cut(void **s)
{
    double w[10] = {-3e-16, 1e-15, 2e-16, 1e-7, 3e-7, 0.5, 0.9, 1.0, 2.0, 4.0}, geo[8];
    sym_spectrum sp;

    (void)s;
    qsort(w, 10, sizeof(double), by_value);
    sym_spectrum_stats(&sp, w, 10, SYM_ZERO_CUT_GAP, 0.0);
    assert_int_equal(sp.zeros, 3);
    check_close1(sp.below, 1e-15, 0, 1e-15);
    check_close1(sp.above, 1e-7, 0, 1e-15);
    check_close1(sp.gap, 1e8, 0, 1e-12);
    check_close1(sp.top, 4.0, 0, 0);
    sym_spectrum_stats(&sp, w, 10, SYM_ZERO_CUT_THRESHOLD, 1e-6); /* the old default */
    assert_int_equal(sp.zeros, 5);
    for (int i = 0; i < 8; i++)
        geo[i] = pow(10.0, -7 + i); /* 1e-7 ... 1: no gap worth the name */
    sym_spectrum_stats(&sp, geo, 8, SYM_ZERO_CUT_GAP, 0.0);
    assert_int_equal(sp.zeros, 0);
    assert_true(isinf(sp.gap) && isnan(sp.below));
    /* a gap high in the spectrum (its lower side above 1e-4 max |w|) is no zero cut */
    {
        double hi[4] = {2e-3, 2e-3, 10.0, 11.0};

        sym_spectrum_stats(&sp, hi, 4, SYM_ZERO_CUT_GAP, 0.0);
        assert_int_equal(sp.zeros, 0);
    }
    /* exact zeros: the cut above them */
    {
        double z[4] = {0.0, 0.0, 0.3, 1.0};

        sym_spectrum_stats(&sp, z, 4, SYM_ZERO_CUT_GAP, 0.0);
        assert_int_equal(sp.zeros, 2);
    }
}

/*
 * The HVP check at a kink of the penalty: with l1, a weight at 0 (within the
 * check's step) makes the gradient jump, so the check is reported as not
 * meaningful (NaN and the flag) instead of a large "error"; a weight moved off
 * the kink, or the same point under Frobenius, is checked as usual.  Negative
 * control: the unflagged check at the kink does report a large error.
 */
static void test_hvp_check_at_kink(void **s)
{
    const int w[] = {3, 4, 2};
    net n;
    sym_rng r;
    sym_reg l1 = SYM_REG_INIT, fro = SYM_REG_INIT, lp = SYM_REG_INIT;
    sym_hessian_out h;

    (void)s;
    l1.kind = SYM_REG_L1;
    l1.lambda_encoder = l1.lambda_decoder = 0.05;
    fro.kind = SYM_REG_FROBENIUS;
    fro.lambda_encoder = fro.lambda_decoder = 0.05;
    lp.kind = SYM_REG_LP;
    lp.p = 1.5;
    lp.lambda_encoder = lp.lambda_decoder = 0.05;
    net_make(&n, SYM_MODEL_MLP, 2, w, SYM_ACT_TANH, 1, 40);
    sym_rng_init(&r, 5, SYM_RNG_TEST, 1);
    randn(n.p, n.P, &r, 0.7);
    randn(n.d.X, 40 * 3, &r, 1.0);
    randn(n.d.Y, 40 * 2, &r, 1.0);
    for (size_t i = 0; i < n.P; i++) /* every weight well off zero: a smooth point */
        if (fabs(n.p[i]) < 0.05)
            n.p[i] = 0.05;
    probe(&h, &n, &l1, 0, 0);
    assert_int_equal(h.hvp_at_kink, 0);
    assert_true(h.hvp_error < 1e-6);
    out_dispose(&h);
    n.p[0] = 0.0; /* the first weight of layer 1 exactly at the l1 kink */
    probe(&h, &n, &l1, 0, 0);
    assert_int_equal(h.hvp_at_kink, 1);
    assert_true(isnan(h.hvp_error));
    out_dispose(&h);
    probe(&h, &n, &lp, 0, 0); /* l_p with p < 2: unbounded curvature at 0 */
    assert_int_equal(h.hvp_at_kink, 1);
    out_dispose(&h);
    probe(&h, &n, &fro, 0, 0); /* Frobenius has no kink: checked as usual */
    assert_int_equal(h.hvp_at_kink, 0);
    assert_true(h.hvp_error < 1e-6);
    out_dispose(&h);
    n.p[0] = 3e-6; /* within the step of the kink: still flagged ... */
    probe(&h, &n, &l1, 0, 0);
    assert_int_equal(h.hvp_at_kink, 1);
    out_dispose(&h);
    {
        /* ... and there the check itself is nonsense: along the kink weight
         * the gradient's central difference jumps by lambda / step */
        sym_hvp *hv = NULL;
        sym_eval *e = NULL;
        sym_loss_parts lp;
        double *v = calloc(n.P, sizeof(double)), *Hv = calloc(n.P, sizeof(double));
        double *g1 = calloc(n.P, sizeof(double)), *g2 = calloc(n.P, sizeof(double));
        double *q = calloc(n.P, sizeof(double)), st = 1e-5, num = 0.0;

        check_ok(sym_hvp_create(&hv, n.m, &l1, 40));
        check_ok(sym_hvp_set_point(hv, n.p, n.d.X, n.d.Y, 40));
        check_ok(sym_eval_create(&e, n.m, &l1, 40));
        v[0] = 1.0;
        check_ok(sym_hvp_apply(hv, Hv, v));
        for (size_t i = 0; i < n.P; i++)
            q[i] = n.p[i] + st * v[i];
        check_ok(sym_eval_loss(e, &lp, g1, q, n.d.X, n.d.Y, 40));
        for (size_t i = 0; i < n.P; i++)
            q[i] = n.p[i] - st * v[i];
        check_ok(sym_eval_loss(e, &lp, g2, q, n.d.X, n.d.Y, 40));
        for (size_t i = 0; i < n.P; i++)
            num += pow(Hv[i] - (g1[i] - g2[i]) / (2 * st), 2);
        assert_true(sqrt(num) / sym_norm2(Hv, n.P) > 10.0); /* what used to be reported */
        sym_hvp_free(hv);
        sym_eval_free(e);
        free(v), free(Hv), free(g1), free(g2), free(q);
    }
    net_dispose(&n);
}

/*
 * One linear hidden layer with biases, [4, 6, 3], at the least-squares
 * minimum with intercept: W1 (6 x 4) and b1 random, W2 = M* W1^+ and
 * b2 = c* - W2 b1, so that W2 (W1 x + b1) + b2 = M* x + c*.  The flat
 * directions are gl(6) and the translations (b1 + t, b2 - W2 t): 42 minus
 * the stabilizer {A W1 = 0, W2 A = 0, t = -A b1}, (6 - 4)(6 - 3) = 6: 36.
 * gl alone (the orbit before the translations were counted) gives 36 - (6 - 5)(6 - 3) = 33
 * against 36 zeros.
 */
static void test_linear_with_biases(void **s)
{
    int w[3] = {4, 6, 3}, ns = 60, d0 = 4, n1 = 6, d3 = 3;
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;
    sym_rng r;
    double Xa[60 * 5], XtX[25], XtXi[25], XtY[15], Ma[15], W1[24], b1[6], G[16], Gi[16], W1p[24],
        Ms[12], W2[18], b2[3], work[64 * 64];
    int ipiv[64];

    (void)s;
    net_make(&n, SYM_MODEL_MLP, 2, w, SYM_ACT_LINEAR, 1, ns);
    sym_rng_init(&r, 12, SYM_RNG_TEST, 0);
    randn(n.d.X, (size_t)ns * d0, &r, 1.0);
    randn(n.d.Y, (size_t)ns * d3, &r, 1.0);
    for (int i = 0; i < ns; i++) { /* [X 1]: least squares with an intercept */
        memcpy(Xa + i * 5, n.d.X + i * d0, sizeof(double) * d0);
        Xa[i * 5 + 4] = 1.0;
    }
    sym_gemm(1, 0, 5, 5, ns, 1.0, Xa, Xa, 0.0, XtX);
    sym_gemm(1, 0, 5, d3, ns, 1.0, Xa, n.d.Y, 0.0, XtY);
    check_ok(sym_mat_inverse(XtXi, XtX, 5, work, ipiv));
    sym_gemm(1, 1, d3, 5, 5, 1.0, XtY, XtXi, 0.0, Ma); /* [M* c*] (3 x 5) */
    for (int i = 0; i < d3; i++)
        for (int j = 0; j < d0; j++)
            Ms[i * d0 + j] = Ma[i * 5 + j];
    randn(W1, (size_t)n1 * d0, &r, 0.3 / sqrt(d0));
    for (int i = 0; i < d0; i++)
        W1[i * d0 + i] += 1.0;
    randn(b1, (size_t)n1, &r, 1.0);
    sym_gemm(1, 0, d0, d0, n1, 1.0, W1, W1, 0.0, G);
    check_ok(sym_mat_inverse(Gi, G, d0, work, ipiv));
    sym_gemm(0, 1, d0, n1, d0, 1.0, Gi, W1, 0.0, W1p); /* W1^+ (4 x 6) */
    mul(W2, Ms, W1p, d3, d0, n1);
    for (int i = 0; i < d3; i++) {
        b2[i] = Ma[i * 5 + 4];
        for (int j = 0; j < n1; j++)
            b2[i] -= W2[i * n1 + j] * b1[j];
    }
    sym_model_set_weight(n.m, n.p, 0, W1);
    sym_model_set_weight(n.m, n.p, 1, W2);
    memcpy(sym_model_bias(n.m, n.p, 0), b1, sizeof(b1));
    memcpy(sym_model_bias(n.m, n.p, 1), b2, sizeof(b2));
    probe(&h, &n, &reg, 0, 0);
    expect_nullity("linear 4-6-3 with biases at its minimum", &h, 42 - 6);
    out_dispose(&h);
    net_dispose(&n);
}

static void test_deep_linear_equal_widths(void **s)
{
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;

    (void)s;
    deep_linear_min(&n, 3, 3, 3, 3);
    probe(&h, &n, &reg, 0, 0);
    /* G = GL(3) x GL(3): dim 18.  Stabilizer: A1 W1 = 0 with W1 invertible
     * forces A1 = 0, then A2 W2 = W2 A1 = 0 forces A2 = 0: trivial.  18. */
    expect_nullity("deep linear 3-3-3-3 at its minimum", &h, 2 * 3 * 3);
    out_dispose(&h);
    net_dispose(&n);
}

static void test_deep_linear_wide(void **s)
{
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;
    int d0 = 4, n1 = 6, n2 = 6, d3 = 3;

    (void)s;
    deep_linear_min(&n, d0, n1, n2, d3);
    probe(&h, &n, &reg, 0, 0);
    /* G = GL(6) x GL(6): dim 72.  Stabilizer {(A1, A2)}: A1 W1 = 0,
     * A2 W2 = W2 A1, W3 A2 = 0.  W1 [6x4] has rank 4: A1 = X Q^T with Q [6x2]
     * spanning col(W1)^perp, X [6x2] free; W2 invertible: A2 = W2 A1 W2^-1;
     * then W3 A2 = 0 <=> W3 W2 X = 0: X's 2 columns lie in null(W3 W2), of
     * dimension n2 - d3 = 3.  Stabilizer dim (n1 - d0)(n2 - d3) = 6; orbit 66
     * (and the minima {W3 W2 W1 = M*}: 78 parameters - 12 equations = 66). */
    expect_nullity("deep linear 4-6-6-3 at its minimum", &h,
                   n1 * n1 + n2 * n2 - (n1 - d0) * (n2 - d3));
    out_dispose(&h);
    net_dispose(&n);
}

/*
 * Linear autoencoder D -> k -> D on uncentered data (no biases) with
 * covariance C = X^T X / (n D) = V diag(c) V^T: the optimum of
 * ||X - X W^T W'^T||^2 / (n D) + lambda (||W||^2 + ||W'||^2) is
 * W = O diag(s) V_k^T, W' = W^T, s_i^2 = 1 - lambda / c_i (lambda < c_k);
 * unregularized, W = K V_k^T, W' = V_k K^-1 for any invertible K.
 */
static void lae_min(net *n, int D, int k, double lambda)
{
    int w[3] = {D, k, D}, ns = 80;
    sym_rng r;
    double *C, *c, *V, *work, *O, *W, *Wd, *K, *Ki, *Vk;
    int *ipiv;

    net_make(n, SYM_MODEL_AUTOENCODER, 2, w, SYM_ACT_LINEAR, 0, ns);
    sym_rng_init(&r, 21, SYM_RNG_TEST, (uint32_t)(lambda > 0));
    for (int i = 0; i < ns; i++)
        for (int j = 0; j < D; j++) /* distinct scales: distinct covariance eigenvalues */
            n->d.X[i * D + j] = (1.0 + 0.5 * j) * sym_rng_normal(&r);
    memcpy(n->d.Y, n->d.X, sizeof(double) * (size_t)ns * D);
    C = malloc(sizeof(double) * D * D);
    c = malloc(sizeof(double) * D);
    V = malloc(sizeof(double) * D * D);
    work = malloc(sizeof(double) * (sym_syev_work_size(D) + 64 * 64));
    ipiv = malloc(sizeof(int) * 64);
    sym_gemm(1, 0, D, D, ns, 1.0 / (ns * D), n->d.X, n->d.X, 0.0, C);
    check_ok(sym_syev(c, V, C, D, work)); /* ascending; V columns */
    Vk = malloc(sizeof(double) * k * D);  /* rows: the top k eigenvectors */
    for (int i = 0; i < k; i++)
        for (int j = 0; j < D; j++)
            Vk[i * D + j] = V[j * D + (D - 1 - i)];
    W = malloc(sizeof(double) * k * D);
    Wd = malloc(sizeof(double) * D * k);
    K = malloc(sizeof(double) * k * k);
    Ki = malloc(sizeof(double) * k * k);
    O = malloc(sizeof(double) * k * k);
    if (lambda > 0) {
        sym_group_opts go = SYM_GROUP_OPTS_INIT;
        double *gw = malloc(sizeof(double) * sym_group_work_size(k));

        check_ok(sym_group_sample(O, SYM_GROUP_ORTHOGONAL, k, &go, &r, gw));
        free(gw);
        for (int i = 0; i < k; i++) {
            double si = sqrt(1.0 - lambda / c[D - 1 - i]);

            assert_true(lambda < c[D - 1 - i]);
            for (int j = 0; j < k; j++)
                K[j * k + i] = O[j * k + i] * si; /* O diag(s) */
        }
        mul(W, K, Vk, k, k, D);
        sym_transpose(Wd, W, k, D);
    } else {
        randn(K, (size_t)k * k, &r, 1.0);
        check_ok(sym_mat_inverse(Ki, K, k, work, ipiv));
        mul(W, K, Vk, k, k, D);
        sym_gemm(1, 0, D, k, k, 1.0, Vk, Ki, 0.0, Wd); /* V_k K^-1 */
    }
    sym_model_set_weight(n->m, n->p, 0, W);
    sym_model_set_weight(n->m, n->p, 1, Wd);
    free(C); free(c); free(V); free(work); free(ipiv); free(Vk); free(W); free(Wd); free(K);
    free(Ki); free(O);
}

static void test_linear_autoencoder(void **s)
{
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;
    int D = 6, k = 3;

    (void)s;
    lae_min(&n, D, k, 0.0);
    probe(&h, &n, &reg, 0, 0);
    /* GL(3) on the latent: dim 9; W [3x6] has rank 3, so A W = 0 forces A = 0. */
    expect_nullity("linear autoencoder 6-3-6, unregularized", &h, k * k);
    out_dispose(&h);
    net_dispose(&n);

    lae_min(&n, D, k, 0.05);
    reg.kind = SYM_REG_FROBENIUS;
    reg.lambda_encoder = reg.lambda_decoder = 0.05;
    probe(&h, &n, &reg, 0, 0);
    /* Frobenius leaves O(3): dim so(3) = 3; stabilizer trivial (W has rank 3). */
    expect_nullity("linear autoencoder 6-3-6, frobenius 0.05", &h, k * (k - 1) / 2);
    out_dispose(&h);
    net_dispose(&n);
}

/* a network of the student's own architecture as teacher, student = teacher: zero loss */
static void teacher_min(net *n, sym_act act, int ns)
{
    int w[3] = {2, 4, 1};
    sym_eval *e = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_rng r;

    net_make(n, SYM_MODEL_MLP, 2, w, act, 1, ns);
    sym_rng_init(&r, 31, SYM_RNG_TEST, (uint32_t)act);
    sym_model_init_params(n->m, n->p, &r);
    /* weights of order 2: tanh well inside its nonlinear range (near 0 it is
     * almost linear, and a linear layer's gl symmetry would be almost there) */
    for (size_t i = 0; i < n->P; i++)
        n->p[i] *= 2.0;
    for (int j = 0; j < 4; j++)
        sym_model_bias(n->m, n->p, 0)[j] = 0.5 * sym_rng_normal(&r);
    randn(n->d.X, (size_t)ns * 2, &r, 1.0);
    check_ok(sym_eval_create(&e, n->m, &reg, ns));
    check_ok(sym_eval_forward(e, n->d.Y, n->p, n->d.X, ns));
    sym_eval_free(e);
}

static void test_tanh_fitted(void **s)
{
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;

    (void)s;
    teacher_min(&n, SYM_ACT_TANH, 40);
    assert_true(n.P < 40); /* more data points than parameters */
    probe(&h, &n, &reg, 0, 0);
    /* tanh commutes with no continuous group (its centralizer is discrete:
     * permutations and sign flips), so the orbit is 0-dimensional and, with
     * 40 > 17 fitted points, the Hessian J^T J is nonsingular. */
    expect_nullity("tanh 2-4-1 fitted to 40 points", &h, 0);
    out_dispose(&h);
    net_dispose(&n);
}

static void test_relu_fitted_and_gauge(void **s)
{
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;
    double lo = INFINITY, hi = 0;

    (void)s;
    teacher_min(&n, SYM_ACT_RELU, 40);
    probe(&h, &n, &reg, 5, 1.0);
    /* positive scalings of the 4 hidden neurons: dim 4; each neuron has
     * nonzero incoming and outgoing weights, so the stabilizer is trivial. */
    expect_nullity("relu 2-4-1 fitted to 40 points", &h, 4);
    /* the gauge artifact: along alpha_i = exp(t a_i) the loss stays 0 and the
     * zero count 4, while the top eigenvalue moves */
    for (int k = 0; k < 5; k++) {
        printf("  gauge t=%5.2f  loss %.3g  zeros %.0f  top %.6g\n", sym_orbit_grid(k, 5, 1.0),
               h.gauge_loss[k], h.gauge_zeros[k], h.gauge_top[k]);
        assert_true(h.gauge_loss[k] < 1e-25);
        assert_true(h.gauge_zeros[k] == 4);
        lo = fmin(lo, h.gauge_top[k]);
        hi = fmax(hi, h.gauge_top[k]);
    }
    check_close1(h.gauge_top[2], h.top, 0, 1e-12); /* t = 0 is the point itself */
    assert_true(hi / lo > 1.2);
    out_dispose(&h);
    net_dispose(&n);
}

static void test_linear_gauge(void **s)
{
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;
    double lo = INFINITY, hi = 0;

    (void)s;
    deep_linear_min(&n, 4, 6, 6, 3);
    probe(&h, &n, &reg, 7, 1.0);
    for (int k = 0; k < 7; k++) {
        printf("  gauge exp(tA) t=%5.2f  loss %.12g  zeros %.0f  top %.6g\n",
               sym_orbit_grid(k, 7, 1.0), h.gauge_loss[k], h.gauge_zeros[k], h.gauge_top[k]);
        check_close1(h.gauge_loss[k], h.gauge_loss[3], 0, 1e-11);
        assert_true(h.gauge_zeros[k] == 66);
        lo = fmin(lo, h.gauge_top[k]);
        hi = fmax(hi, h.gauge_top[k]);
    }
    assert_true(hi / lo > 1.2);
    out_dispose(&h);
    net_dispose(&n);
}

/* ---- symmetry discovery ---- */

static int discover(sym_act act, sym_discovery_family fam, int fixed, double *gap)
{
    int w[4] = {3, 4, 3, 2};
    net n;
    sym_reg reg = SYM_REG_INIT;
    sym_discovery_opts o = SYM_DISCOVERY_OPTS_INIT;
    sym_discovery_out out;
    int U, dim;
    sym_rng r;

    if (fam == SYM_DISCOVERY_FULL) { /* gl(P) needs a tiny net: 2 -> 2 -> 2, no biases */
        w[0] = w[1] = w[2] = 2;
        net_make(&n, SYM_MODEL_MLP, 2, w, act, 0, 6);
    } else {
        net_make(&n, SYM_MODEL_MLP, 3, w, act, 1, 6);
    }
    sym_rng_init(&r, 41, SYM_RNG_TEST, 0);
    randn(n.d.X, (size_t)n.d.n * n.d.d_in, &r, 1.0);
    randn(n.d.Y, (size_t)n.d.n * n.d.d_out, &r, 1.0);
    o.family = fam;
    o.fixed_data = fixed;
    U = sym_discovery_unknowns(n.m, fam);
    out.sv = calloc((size_t)U, sizeof(double));
    out.basis = calloc((size_t)U * U, sizeof(double));
    check_ok(sym_symmetry_discovery(&out, n.m, &reg, fixed ? &n.d : NULL, &o, 5, 0x100000u,
                                    sym_svd_local, NULL));
    *gap = out.gap;
    dim = out.dim;
    if (getenv("SYM_TEST_VERBOSE"))
        for (int k = 0; k < U; k++)
            printf("  sv[%d] = %.3g\n", k, out.sv[k]);
    if (fam == SYM_DISCOVERY_LAYER && act == SYM_ACT_RELU && !fixed) {
        /* the basis must be diagonal: off-diagonal weight below rounding */
        double off = 0;

        for (int b = 0; b < dim; b++) {
            size_t o2 = 0;
            for (int h = 0; h < 2; h++) {
                int nh = w[h + 1];
                for (int i = 0; i < nh; i++)
                    for (int j = 0; j < nh; j++)
                        if (i != j)
                            off = fmax(off, fabs(out.basis[(size_t)b * U + o2 + i * nh + j]));
                o2 += (size_t)nh * nh;
            }
        }
        assert_true(off < 1e-10);
    }
    free(out.sv);
    free(out.basis);
    net_dispose(&n);
    return dim;
}

static void test_discovery(void **s)
{
    double gap;
    int d;

    (void)s;
    /* per-layer gl(n_h) family on 3 -> 4 -> 3 -> 2: unknowns 16 + 9 = 25 */
    d = discover(SYM_ACT_LINEAR, SYM_DISCOVERY_LAYER, 0, &gap);
    printf("discovery layer linear:  dim %2d (expected gl(4) + gl(3) = 25), gap %.3g\n", d, gap);
    assert_int_equal(d, 25);
    d = discover(SYM_ACT_RELU, SYM_DISCOVERY_LAYER, 0, &gap);
    printf("discovery layer relu:    dim %2d (expected the diagonals 4 + 3 = 7), gap %.3g\n", d, gap);
    assert_int_equal(d, 7);
    assert_true(gap > 1e4);
    d = discover(SYM_ACT_LEAKY_RELU, SYM_DISCOVERY_LAYER, 0, &gap);
    assert_int_equal(d, 7);
    d = discover(SYM_ACT_TANH, SYM_DISCOVERY_LAYER, 0, &gap);
    printf("discovery layer tanh:    dim %2d (expected 0), gap %.3g\n", d, gap);
    assert_int_equal(d, 0);
    d = discover(SYM_ACT_SIGMOID, SYM_DISCOVERY_LAYER, 0, &gap);
    printf("discovery layer sigmoid: dim %2d (expected 0), gap %.3g\n", d, gap);
    assert_int_equal(d, 0);
    /* all of gl(8) on the linear 2 -> 2 -> 2: the layer action's gl(2) (4) */
    d = discover(SYM_ACT_LINEAR, SYM_DISCOVERY_FULL, 0, &gap);
    printf("discovery full linear:   dim %2d (expected gl(2) = 4), gap %.3g\n", d, gap);
    assert_int_equal(d, 4);
    d = discover(SYM_ACT_TANH, SYM_DISCOVERY_FULL, 0, &gap);
    printf("discovery full tanh:     dim %2d (expected 0), gap %.3g\n", d, gap);
    assert_int_equal(d, 0);
    /* fixed data (6 points, every condition on the same X): reported, not asserted */
    d = discover(SYM_ACT_TANH, SYM_DISCOVERY_LAYER, 1, &gap);
    printf("discovery layer tanh, fixed 6-point X: dim %d, gap %.3g\n", d, gap);
    d = discover(SYM_ACT_RELU, SYM_DISCOVERY_LAYER, 1, &gap);
    printf("discovery layer relu, fixed 6-point X: dim %d, gap %.3g\n", d, gap);
}

/* ---- conserved quantities: closed forms ---- */

static void test_conserved_values(void **s)
{
    int w[3] = {2, 3, 2};
    net n;
    double q[9], W1[6], W2[6], *b;

    (void)s;
    net_make(&n, SYM_MODEL_MLP, 2, w, SYM_ACT_LINEAR, 1, 1);
    for (int i = 0; i < 6; i++) {
        W1[i] = i + 1;       /* [3 x 2] */
        W2[i] = 0.5 * i - 1; /* [2 x 3] */
    }
    sym_model_set_weight(n.m, n.p, 0, W1);
    sym_model_set_weight(n.m, n.p, 1, W2);
    b = sym_model_bias(n.m, n.p, 0);
    b[0] = 1, b[1] = -2, b[2] = 0.5;
    check_ok(sym_conserved_measure(q, n.m, n.p, 0));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double want = W2[i] * W2[j] + W2[3 + i] * W2[3 + j] -
                          (W1[2 * i] * W1[2 * j] + W1[2 * i + 1] * W1[2 * j + 1]) - b[i] * b[j];
            check_close1(q[i * 3 + j], want, 1e-14, 1e-14);
        }
    net_dispose(&n);
    net_make(&n, SYM_MODEL_MLP, 2, w, SYM_ACT_RELU, 1, 1);
    sym_model_set_weight(n.m, n.p, 0, W1);
    sym_model_set_weight(n.m, n.p, 1, W2);
    b = sym_model_bias(n.m, n.p, 0);
    b[0] = 1, b[1] = -2, b[2] = 0.5;
    assert_int_equal(sym_conserved_size(n.m, 0), 3);
    check_ok(sym_conserved_measure(q, n.m, n.p, 0));
    for (int i = 0; i < 3; i++) {
        double want = W1[2 * i] * W1[2 * i] + W1[2 * i + 1] * W1[2 * i + 1] + b[i] * b[i] -
                      (W2[i] * W2[i] + W2[3 + i] * W2[3 + i]);
        check_close1(q[i], want, 1e-14, 1e-14);
    }
    net_dispose(&n);
}

/* ---- hessian_lanczos: the matrix-free path against the dense one ---- */

typedef struct diag_op {
    const double *d;
} diag_op;

static int diag_apply(void *ctx, double *y, const double *x)
{
    const double *d = ((diag_op *)ctx)->d;

    for (int i = 0; i < 200; i++)
        y[i] = d[i] * x[i];
    return 0;
}

/* Lanczos on diag(d): the extremes exact, the quadrature's moments those of the start */
static void test_lanczos_core(void **s)
{
    enum { N = 200, M = 60 };
    double d[N], q0[N], Q[M * N], alpha[M], beta[M], th[M], w[M], res[M], m1 = 0, nq = 0;
    diag_op op = {d};
    sym_rng r;
    int n;

    (void)s;
    sym_rng_init(&r, 5, SYM_RNG_TEST, 0);
    for (int i = 0; i < N; i++) { /* a cluster at 0, 1..187, then 220, 250, 300 */
        d[i] = i < 10 ? 0.0 : i < N - 3 ? i - 9.0 : 300.0 - 40.0 * (N - 1 - i) + (i == N - 2) * 10.0;
        q0[i] = sym_rng_normal(&r);
        nq += q0[i] * q0[i];
    }
    for (int i = 0; i < N; i++)
        m1 += d[i] * q0[i] * q0[i] / nq;
    check_ok(sym_lanczos(&n, alpha, beta, Q, diag_apply, &op, N, M, q0));
    assert_int_equal(n, M);
    check_ok(sym_lanczos_ritz(th, w, res, NULL, alpha, beta, n));
    for (int i = 0; i < 4; i++) { /* the separated top converges first; each Ritz value lies
                                     * within its residual of the eigenvalue */
        double want = i == 0 ? 300.0 : i == 1 ? 270.0 : i == 2 ? 220.0 : 187.0;

        printf("lanczos: top %d  %.15g (residual %.2g)\n", i, th[n - 1 - i], res[n - 1 - i]);
        assert_true(fabs(th[n - 1 - i] - want) <= res[n - 1 - i] + 1e-12 * want);
        if (i < 3)
            check_close1(th[n - 1 - i], want, 0, 1e-12);
    }
    check_close1(th[0], 0.0, 1e-8, 0); /* the zero cluster, once */
    {
        double sw = 0, sm = 0;

        for (int i = 0; i < n; i++) {
            sw += w[i];
            sm += w[i] * th[i];
        }
        check_close1(sw, 1.0, 0, 1e-13);   /* Gauss weights sum to 1 */
        check_close1(sm, m1, 0, 1e-12);    /* and integrate x exactly: q1^T A q1 */
    }
    /* three distinct eigenvalues: the Krylov space closes after 3 steps, exactly */
    for (int i = 0; i < N; i++)
        d[i] = (double)(i % 3) - 1.0;
    check_ok(sym_lanczos(&n, alpha, beta, Q, diag_apply, &op, N, M, q0));
    check_ok(sym_lanczos_ritz(th, NULL, NULL, NULL, alpha, beta, n));
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++)
        check_close1(th[i], i - 1.0, 1e-12, 0);
}

/* the extremes, the quotient's bottom and the orbit check of @p n against the dense spectrum */
static void lanczos_against_dense(const char *what, const net *n, int zeros)
{
    enum { K = 4 };
    double top[K], tr[K], bot[K], br[K], q[K], qr[K], tol = 1e-9;
    sym_lanczos_out o = {top, tr, bot, br, q, qr, 0, 0, 0, 0};
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;
    sym_rng r;

    probe(&h, n, &reg, 0, 0);
    sym_rng_init(&r, 9, SYM_RNG_TEST, 1);
    check_ok(sym_hessian_lanczos(&o, n->m, &reg, n->p, &n->d, K, (int)n->P, 1, 3, &r, NULL));
    printf("%-30s P %3zu: top %.6g (dense %.6g), quotient bottom %.6g (dense smallest non-zero "
           "%.6g), ||H t|| %.2g, steps %d / %d\n", what, n->P, top[0], h.eig[n->P - 1], q[0],
           h.eig[zeros], o.orbit_hvp, o.steps, o.quot_steps);
    for (int i = 0; i < K; i++) {
        check_close1(top[i], h.eig[n->P - 1 - i], 0, tol);
        check_close1(q[i], h.eig[zeros + i], tol * h.top, 0);
    }
    check_close1(bot[0], 0.0, tol * h.top, 0);     /* the zeros, once */
    assert_true(o.orbit_hvp < 1e-12);              /* H annihilates the orbit at a minimum */
    assert_true(o.grad_norm < 1e-10);
    out_dispose(&h);
}

static void test_lanczos_deep_linear(void **s)
{
    net n;

    (void)s;
    deep_linear_min(&n, 4, 6, 6, 3);                          /* gl(6) x gl(6), orbit 66 */
    lanczos_against_dense("deep linear 4-6-6-3", &n, 66);
    net_dispose(&n);
    teacher_min(&n, SYM_ACT_RELU, 40);                        /* diagonal algebra, orbit 4 */
    lanczos_against_dense("relu 2-4-1", &n, 4);
    net_dispose(&n);
}

/* SLQ: Hutchinson's trace within 4 standard errors of the dense trace; the quadrature's moments */
static void test_slq_trace(void **s)
{
    enum { S = 300, M = 20 };
    double nodes[M], w[M], quad, mean = 0, ss = 0, tr = 0, qs[S];
    sym_reg reg = SYM_REG_INIT;
    sym_hessian_out h;
    sym_rng r;
    net n;

    (void)s;
    deep_linear_min(&n, 4, 6, 6, 3);
    probe(&h, &n, &reg, 0, 0);
    for (size_t i = 0; i < n.P; i++)
        tr += h.eig[i];
    for (int k = 0; k < S; k++) {
        double sw = 0, sm = 0;

        sym_rng_init(&r, 11, SYM_RNG_TEST, (uint32_t)k);
        check_ok(sym_hessian_slq(nodes, w, &quad, n.m, &reg, n.p, &n.d, M, &r));
        for (int j = 0; j < M && !isnan(nodes[j]); j++) {
            sw += w[j];
            sm += w[j] * nodes[j];
        }
        check_close1(sw, 1.0, 0, 1e-12);
        check_close1(sm * (double)n.P, quad, 0, 1e-10); /* z^T H z = P sum w theta */
        qs[k] = quad;
        mean += quad / S;
    }
    for (int k = 0; k < S; k++)
        ss += (qs[k] - mean) * (qs[k] - mean);
    ss = sqrt(ss / (S - 1) / S);
    printf("SLQ: trace %.6g +- %.3g over %d samples, dense %.6g\n", mean, ss, S, tr);
    assert_true(fabs(mean - tr) < 4 * ss);
    assert_true(ss < 0.1 * tr);
    out_dispose(&h);
    net_dispose(&n);
}

/* ---- teleport: the ascent direction against finite differences; invariance; the gain ---- */

/* phi(A) = ||grad L(exp(A) . theta)||^2 / 2 */
static double half_grad2(const net *n, const sym_reg *reg, const double *A, double t)
{
    double *th = malloc(sizeof(double) * n->P), *g = malloc(sizeof(double) * n->P), r;
    sym_eval *e = NULL;
    sym_loss_parts lp;

    check_ok(sym_orbit_move(th, n->m, n->p, A, t));
    check_ok(sym_eval_create(&e, n->m, reg, n->d.n));
    check_ok(sym_eval_loss(e, &lp, g, th, n->d.X, n->d.Y, n->d.n));
    r = 0.5 * sym_norm2(g, n->P) * sym_norm2(g, n->P);
    sym_eval_free(e);
    free(th);
    free(g);
    return r;
}

static void teleport_case(const char *what, net *n, int check_fd)
{
    sym_reg reg = SYM_REG_INIT;
    size_t na = sym_orbit_direction_size(n->m);
    double *G = calloc(na, sizeof(double)), *E = calloc(na, sizeof(double)), gn, worst = 0;
    double *keep = malloc(sizeof(double) * n->P);
    int alg[SYM_MAX_LAYERS];
    sym_teleport_stats up, down;
    sym_rng r;

    check_ok(sym_symmetry_algebras(alg, n->m, &reg));
    check_ok(sym_teleport_direction(G, &gn, n->m, &reg, n->p, &n->d));
    /* <G, E> = d/dt phi(t E) at 0, by central differences, for random E in the algebra */
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    for (int k = 0; check_fd && k < 4; k++) {
        double h = 1e-5, fd, an = 0;

        check_ok(sym_symmetry_direction(E, n->m, alg, &r));
        for (size_t i = 0; i < na; i++)
            an += G[i] * E[i];
        fd = (half_grad2(n, &reg, E, h) - half_grad2(n, &reg, E, -h)) / (2 * h);
        worst = fmax(worst, fabs(fd - an) / fmax(fabs(an), 1e-12));
    }
    memcpy(keep, n->p, sizeof(double) * n->P);
    check_ok(sym_teleport(&up, n->p, n->m, &reg, &n->d, 10, 0.05, 1));
    memcpy(n->p, keep, sizeof(double) * n->P);
    check_ok(sym_teleport(&down, n->p, n->m, &reg, &n->d, 10, 0.05, 0));
    printf("teleport %-24s direction vs central differences %.2g; ||g|| %.4g -> %.4g (max), "
           "%.4g (min); objective moved %.2g, %.2g\n", what, worst, up.grad_before, up.grad_after,
           down.grad_after, up.loss_change, down.loss_change);
    if (check_fd)
        assert_true(worst < 1e-6);
    assert_int_equal(up.steps, 10);
    assert_true(up.grad_after > 1.05 * up.grad_before);
    assert_true(down.grad_after < 0.99 * up.grad_before); /* (the orbit may hold less room below) */
    assert_true(up.loss_change < 1e-12 && down.loss_change < 1e-12);
    free(G);
    free(E);
    free(keep);
}

/* a net of shape w with random parameters and data (30 samples): away from any minimum */
static void random_net(net *n, const int *w, sym_act act, int bias, sym_rng *r)
{
    net_make(n, SYM_MODEL_MLP, 3, w, act, bias, 30);
    randn(n->p, n->P, r, 0.5);
    randn(n->d.X, 30 * (size_t)w[0], r, 1.0);
    randn(n->d.Y, 30 * (size_t)w[3], r, 1.0);
}

static void test_teleport(void **s)
{
    int w[4] = {4, 5, 5, 3};
    sym_reg reg = SYM_REG_INIT;
    sym_teleport_stats st;
    sym_rng r;
    net n;

    (void)s;
    /* a deep linear net away from its minimum: gl(5) x gl(5) */
    sym_rng_init(&r, 8, SYM_RNG_TEST, 0);
    random_net(&n, w, SYM_ACT_LINEAR, 0, &r);
    teleport_case("deep linear (gl)", &n, 1);
    net_dispose(&n);
    /* a ReLU net with biases: the positive scalings (diagonal algebra) */
    random_net(&n, w, SYM_ACT_RELU, 1, &r);
    teleport_case("relu (diagonal)", &n, 1);
    net_dispose(&n);
    /* a Frobenius penalty leaves O(5) x O(5), which acts by isometries: the gradient norm is
     * the same all along the orbit, so teleportation gains exactly nothing */
    random_net(&n, w, SYM_ACT_LINEAR, 0, &r);
    {
        sym_reg fro = SYM_REG_INIT;

        fro.kind = SYM_REG_FROBENIUS;
        fro.lambda_encoder = fro.lambda_decoder = 0.01;
        check_ok(sym_teleport(&st, n.p, n.m, &fro, &n.d, 10, 0.05, 1));
        printf("teleport linear + frobenius (so): ||g|| %.15g -> %.15g, objective moved %.2g\n",
               st.grad_before, st.grad_after, st.loss_change);
        check_close1(st.grad_after, st.grad_before, 0, 1e-12);
        assert_true(st.loss_change < 1e-12);
    }
    net_dispose(&n);
    /* tanh: no continuous symmetry, refused */
    net_make(&n, SYM_MODEL_MLP, 3, w, SYM_ACT_TANH, 1, 30);
    assert_int_equal(sym_teleport(&st, n.p, n.m, &reg, &n.d, 1, 0.05, 1), SYM_EINVAL);
    sym_err_clear();
    net_dispose(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hvp_check_at_kink),
        cmocka_unit_test(test_spectrum_cut),
        cmocka_unit_test(test_linear_with_biases),
        cmocka_unit_test(test_deep_linear_equal_widths),
        cmocka_unit_test(test_deep_linear_wide),
        cmocka_unit_test(test_linear_autoencoder),
        cmocka_unit_test(test_tanh_fitted),
        cmocka_unit_test(test_relu_fitted_and_gauge),
        cmocka_unit_test(test_linear_gauge),
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_conserved_values),
        cmocka_unit_test(test_lanczos_core),
        cmocka_unit_test(test_lanczos_deep_linear),
        cmocka_unit_test(test_slq_trace),
        cmocka_unit_test(test_teleport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
