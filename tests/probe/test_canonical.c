/*
 * Canonical forms and alignment against exact constructions.  A network and the same network
 * moved by a random element of its function's group (applied here by the test's own code:
 * positive scalings and permutations for relu, signed permutations for tanh and biased
 * sigmoid with the next bias compensating, GL(h) and translations on linear hidden layers)
 * must give the same canonical parameters to rounding, the canonical network the same
 * outputs, and the form must be idempotent.  Negative controls: a perturbation off the orbit,
 * and transformations that are not symmetries (a tanh flip on a relu net, a sigmoid flip
 * without a bias to absorb it), change the form.  Alignment recovers a hidden permutation.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

typedef struct net {
    sym_model_opts o;
    sym_model *m;
    double *p;
    size_t P;
} net;

static void net_make(net *n, int L, const int *w, const sym_act *act, int bias, sym_rng *r)
{
    memset(n, 0, sizeof(*n));
    n->o = (sym_model_opts)SYM_MODEL_OPTS_INIT;
    n->o.n_layers = L;
    n->o.n_encoder = L;
    n->o.bias = bias;
    n->o.leaky_slope = 0.1;
    memcpy(n->o.widths, w, sizeof(int) * (size_t)(L + 1));
    for (int l = 0; l < L; l++)
        n->o.act[l] = l < L - 1 ? act[l] : SYM_ACT_LINEAR;
    check_ok(sym_model_create(&n->m, &n->o));
    n->P = sym_model_n_params(n->m);
    n->p = calloc(n->P, sizeof(double));
    for (size_t i = 0; i < n->P; i++)
        n->p[i] = sym_rng_normal(r);
}

static void net_free(net *n)
{
    sym_model_free(n->m);
    free(n->p);
}

static double *get_w(const net *n, const double *p, int l)
{
    double *W = calloc((size_t)n->o.widths[l + 1] * n->o.widths[l], sizeof(double));

    sym_model_get_weight(n->m, p, l, W);
    return W;
}

/* W_l := Wn, W_{l+1} := Vn in p; the four buffers freed */
static void put_layers(const net *n, double *p, int l, double *W, double *V, double *Wn, double *Vn)
{
    sym_model_set_weight(n->m, p, l, Wn);
    sym_model_set_weight(n->m, p, l + 1, Vn);
    free(W);
    free(V);
    free(Wn);
    free(Vn);
}

/* a random element of hidden layer l's group applied to p: unit j of the result is old unit
 * perm[j] with incoming times c and outgoing divided by c (c > 0 for relu; +-1 for tanh and
 * biased sigmoid, whose flip moves the outgoing column into the next bias) */
static void move_unit_group(const net *n, double *p, int l, sym_rng *r)
{
    int nin = n->o.widths[l], h = n->o.widths[l + 1], no = n->o.widths[l + 2];
    double *W = get_w(n, p, l), *V = get_w(n, p, l + 1), *Wn = calloc((size_t)h * nin, sizeof(double));
    double *Vn = calloc((size_t)no * h, sizeof(double)), *b = sym_model_bias(n->m, p, l);
    double *bn = sym_model_bias(n->m, p, l + 1), bl[64];
    int perm[64];
    sym_act a = n->o.act[l];

    for (int j = 0; j < h; j++)
        perm[j] = j;
    for (int j = h - 1; j > 0; j--) {
        int k = (int)(sym_rng_uniform(r) * (j + 1)), t = perm[j];

        perm[j] = perm[k];
        perm[k] = t;
    }
    if (h > 1 && perm[0] == 0 && perm[1] == 1) { /* never the identity: it must move */
        perm[0] = 1;
        perm[1] = 0;
    }
    if (b)
        memcpy(bl, b, sizeof(double) * (size_t)h);
    for (int j = 0; j < h; j++) {
        int k = perm[j];
        double c = 1.0;

        if (a == SYM_ACT_RELU || a == SYM_ACT_LEAKY_RELU)
            c = exp(sym_rng_normal(r));
        else if ((a == SYM_ACT_TANH || (a == SYM_ACT_SIGMOID && b)) && sym_rng_uniform(r) < 0.5)
            c = -1.0;
        if (c < 0.0 && a == SYM_ACT_SIGMOID)
            for (int i = 0; i < no; i++)
                bn[i] += V[(size_t)i * h + k];
        for (int i = 0; i < nin; i++)
            Wn[(size_t)j * nin + i] = c * W[(size_t)k * nin + i];
        if (b)
            b[j] = c * bl[k];
        for (int i = 0; i < no; i++)
            Vn[(size_t)i * h + j] = V[(size_t)i * h + k] / c;
    }
    put_layers(n, p, l, W, V, Wn, Vn);
}

/* GL(h) and a translation at a linear hidden layer l: W_l -> K W_l, b_l -> K b_l + t,
 * W_{l+1} -> W_{l+1} K^-1, b_{l+1} -> b_{l+1} - W_{l+1} K^-1 t */
static void move_linear(const net *n, double *p, int l, sym_rng *r)
{
    int nin = n->o.widths[l], h = n->o.widths[l + 1], no = n->o.widths[l + 2];
    double *W = get_w(n, p, l), *V = get_w(n, p, l + 1), K[64], Ki[64], work[256], t[8];
    double *Wn = calloc((size_t)h * nin, sizeof(double)), *Vn = calloc((size_t)no * h, sizeof(double));
    double *b = sym_model_bias(n->m, p, l), *bn = sym_model_bias(n->m, p, l + 1), kb[8];
    int ipiv[8];

    for (int i = 0; i < h * h; i++)
        K[i] = (i % (h + 1) == 0 ? 1.0 : 0.0) + 0.5 * sym_rng_normal(r);
    check_ok(sym_mat_inverse(Ki, K, h, work, ipiv));
    sym_gemm(0, 0, h, nin, h, 1.0, K, W, 0.0, Wn);
    sym_gemm(0, 0, no, h, h, 1.0, V, Ki, 0.0, Vn);
    if (b) {
        for (int i = 0; i < h; i++)
            t[i] = sym_rng_normal(r);
        for (int i = 0; i < h; i++) {
            kb[i] = t[i];
            for (int j = 0; j < h; j++)
                kb[i] += K[i * h + j] * b[j];
        }
        memcpy(b, kb, sizeof(double) * (size_t)h);
        for (int i = 0; i < no; i++)
            for (int j = 0; j < h; j++)
                bn[i] -= Vn[(size_t)i * h + j] * t[j];
    }
    put_layers(n, p, l, W, V, Wn, Vn);
}

static void move_group(const net *n, double *p, sym_rng *r)
{
    for (int l = 0; l < n->o.n_layers - 1; l++)
        if (n->o.act[l] == SYM_ACT_LINEAR)
            move_linear(n, p, l, r);
        else
            move_unit_group(n, p, l, r);
}

static double max_diff(const double *a, const double *b, size_t n)
{
    double d = 0.0;

    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs(a[i] - b[i]));
    return d;
}

static double output_change(const net *n, const double *p, const double *q, sym_rng *r)
{
    int ns = 20, no = n->o.widths[n->o.n_layers];
    double *X = calloc((size_t)ns * n->o.widths[0], sizeof(double));
    double *f = calloc((size_t)ns * no, sizeof(double)), *g = calloc((size_t)ns * no, sizeof(double)), d;
    sym_eval *e = NULL;
    sym_reg reg = SYM_REG_INIT;

    for (int i = 0; i < ns * n->o.widths[0]; i++)
        X[i] = sym_rng_normal(r);
    check_ok(sym_eval_create(&e, n->m, &reg, ns));
    check_ok(sym_eval_forward(e, f, p, X, ns));
    check_ok(sym_eval_forward(e, g, q, X, ns));
    d = max_diff(f, g, (size_t)ns * no);
    sym_eval_free(e);
    free(X);
    free(f);
    free(g);
    return d;
}

typedef struct ccase {
    const char *name;
    int L, w[6], bias;
    sym_act act[4];
} ccase;

static const ccase cases[] = {
    {"relu 3-5-4-2, biases", 3, {3, 5, 4, 2}, 1, {SYM_ACT_RELU, SYM_ACT_RELU}},
    {"leaky_relu 4-6-3", 2, {4, 6, 3}, 0, {SYM_ACT_LEAKY_RELU}},
    {"tanh 3-5-2, biases", 2, {3, 5, 2}, 1, {SYM_ACT_TANH}},
    {"tanh 3-4-4-2", 3, {3, 4, 4, 2}, 0, {SYM_ACT_TANH, SYM_ACT_TANH}},
    {"sigmoid 3-4-2, biases", 2, {3, 4, 2}, 1, {SYM_ACT_SIGMOID}},
    {"sigmoid 3-4-2", 2, {3, 4, 2}, 0, {SYM_ACT_SIGMOID}},
    {"softplus 3-4-2, biases", 2, {3, 4, 2}, 1, {SYM_ACT_SOFTPLUS}},
    {"linear 4-3-5, biases", 2, {4, 3, 5}, 1, {SYM_ACT_LINEAR}},
    {"linear 4-3-3-4", 3, {4, 3, 3, 4}, 0, {SYM_ACT_LINEAR, SYM_ACT_LINEAR}},
    {"relu-linear 3-4-3-3, biases", 3, {3, 4, 3, 3}, 1, {SYM_ACT_RELU, SYM_ACT_LINEAR}},
    {"linear-tanh 4-3-5-2, biases", 3, {4, 3, 5, 2}, 1, {SYM_ACT_LINEAR, SYM_ACT_TANH}},
};

static void test_canonical_invariant(void **s)
{
    sym_rng r;

    (void)s;
    sym_rng_init(&r, 11, SYM_RNG_TEST, 0);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const ccase *k = &cases[c];
        net n;
        double *q, *c0, *c1, *c2, worst = 0.0, fchg;
        int deg = -1;

        net_make(&n, k->L, k->w, k->act, k->bias, &r);
        q = calloc(n.P, sizeof(double));
        c0 = calloc(n.P, sizeof(double));
        c1 = calloc(n.P, sizeof(double));
        c2 = calloc(n.P, sizeof(double));
        check_ok(sym_canonical_form(c0, &deg, n.m, n.p));
        assert_int_equal(deg, 0);
        for (int trial = 0; trial < 5; trial++) {
            memcpy(q, n.p, sizeof(double) * n.P);
            move_group(&n, q, &r);
            assert_true(max_diff(q, n.p, n.P) > 1e-3); /* it moved */
            assert_true(output_change(&n, n.p, q, &r) < 1e-11); /* a symmetry of the function */
            check_ok(sym_canonical_form(c1, NULL, n.m, q));
            worst = fmax(worst, max_diff(c0, c1, n.P));
        }
        fchg = output_change(&n, n.p, c0, &r);
        check_ok(sym_canonical_form(c2, NULL, n.m, c0));
        printf("%-30s canon(g.theta) - canon(theta) %.2g, outputs %.2g, idempotent %.2g\n", k->name,
               worst, fchg, max_diff(c0, c2, n.P));
        assert_true(worst < 1e-11);
        assert_true(fchg < 1e-11);
        assert_true(max_diff(c0, c2, n.P) < 1e-11);
        /* negative control: off the orbit by 1e-3 in one output weight */
        memcpy(q, n.p, sizeof(double) * n.P);
        {
            double *W = get_w(&n, q, k->L - 1);

            W[0] += 1e-3;
            sym_model_set_weight(n.m, q, k->L - 1, W);
            free(W);
        }
        check_ok(sym_canonical_form(c1, NULL, n.m, q));
        assert_true(max_diff(c0, c1, n.P) > 1e-5);
        net_free(&n);
        free(q);
        free(c0);
        free(c1);
        free(c2);
    }
}

/*
 * The documented form itself, not only its invariance: every nonlinear hidden layer's units
 * in descending order of the norm of their outgoing column (an ascending order is as
 * invariant and idempotent, and aligns as well), and relu units with incoming weights and
 * bias of unit norm, tanh units with their largest-magnitude incoming entry positive.
 */
static void test_canonical_documented_order(void **s)
{
    sym_rng r;
    int strict = 0;

    (void)s;
    sym_rng_init(&r, 12, SYM_RNG_TEST, 0);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const ccase *k = &cases[c];
        net n;
        double *c0;

        net_make(&n, k->L, k->w, k->act, k->bias, &r);
        c0 = calloc(n.P, sizeof(double));
        check_ok(sym_canonical_form(c0, NULL, n.m, n.p));
        for (int l = 0; l < k->L - 1; l++) {
            int nin = k->w[l], h = k->w[l + 1], no = k->w[l + 2];
            double *W = get_w(&n, c0, l), *V = get_w(&n, c0, l + 1), *b = sym_model_bias(n.m, c0, l);
            double prev = INFINITY;

            if (k->act[l] == SYM_ACT_LINEAR) {
                free(W);
                free(V);
                continue;
            }
            for (int j = 0; j < h; j++) {
                double norm = 0.0, in = 0.0, big = 0.0;

                for (int i = 0; i < no; i++)
                    norm += V[(size_t)i * h + j] * V[(size_t)i * h + j];
                norm = sqrt(norm);
                if (norm > prev * (1 + 1e-12)) {
                    printf("%s: layer %d unit %d: outgoing norm %.17g after %.17g\n", k->name, l, j,
                           norm, prev);
                    fail_msg("units not in descending order of outgoing norm");
                }
                strict += norm < prev * (1 - 1e-6);
                prev = norm;
                for (int i = 0; i <= nin; i++) {
                    double x = i < nin ? W[(size_t)j * nin + i] : b ? b[j] : 0.0;

                    in += x * x;
                    if (fabs(x) > fabs(big))
                        big = x;
                }
                if (k->act[l] == SYM_ACT_RELU || k->act[l] == SYM_ACT_LEAKY_RELU)
                    assert_true(fabs(sqrt(in) - 1.0) < 1e-12);
                if (k->act[l] == SYM_ACT_TANH)
                    assert_true(big > 0.0);
            }
            free(W);
            free(V);
        }
        net_free(&n);
        free(c0);
    }
    assert_true(strict > 10); /* the order was tested on distinct norms */
}

/* transformations outside the group change the form: a tanh-style sign flip on relu, a
 * sigmoid flip with no bias to absorb it (the function changes too) */
static void test_canonical_not_symmetries(void **s)
{
    sym_rng r;
    const int w[3] = {3, 4, 2};
    const sym_act relu[1] = {SYM_ACT_RELU}, sig[1] = {SYM_ACT_SIGMOID};
    const sym_act *acts[2] = {relu, sig};

    (void)s;
    sym_rng_init(&r, 12, SYM_RNG_TEST, 0);
    for (int c = 0; c < 2; c++) {
        net n;
        double *q, *c0, *c1, *W, *V;

        net_make(&n, 2, w, acts[c], 0, &r);
        q = calloc(n.P, sizeof(double));
        c0 = calloc(n.P, sizeof(double));
        c1 = calloc(n.P, sizeof(double));
        memcpy(q, n.p, sizeof(double) * n.P);
        W = get_w(&n, q, 0);
        V = get_w(&n, q, 1);
        for (int i = 0; i < 3; i++) /* unit 0 flipped: incoming and outgoing negated */
            W[i] = -W[i];
        for (int i = 0; i < 2; i++)
            V[i * 4] = -V[i * 4];
        sym_model_set_weight(n.m, q, 0, W);
        sym_model_set_weight(n.m, q, 1, V);
        assert_true(output_change(&n, n.p, q, &r) > 1e-3);
        check_ok(sym_canonical_form(c0, NULL, n.m, n.p));
        check_ok(sym_canonical_form(c1, NULL, n.m, q));
        assert_true(max_diff(c0, c1, n.P) > 1e-3);
        free(W);
        free(V);
        free(q);
        free(c0);
        free(c1);
        net_free(&n);
    }
}

/* a rank-deficient linear block is counted; unsupported models are refused with a reason */
static void test_canonical_degenerate_and_refusals(void **s)
{
    sym_rng r;
    const int w[3] = {4, 3, 4};
    const sym_act lin[1] = {SYM_ACT_LINEAR};
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    char why[256];
    net n;
    double *c0, *W;
    int deg = 0;

    (void)s;
    sym_rng_init(&r, 13, SYM_RNG_TEST, 0);
    net_make(&n, 2, w, lin, 0, &r);
    W = get_w(&n, n.p, 0);
    for (int i = 0; i < 4; i++) /* row 2 = row 0: W_1 has rank 2 < 3 */
        W[2 * 4 + i] = W[i];
    sym_model_set_weight(n.m, n.p, 0, W);
    c0 = calloc(n.P, sizeof(double));
    check_ok(sym_canonical_form(c0, &deg, n.m, n.p));
    assert_int_equal(deg, 1);
    assert_true(output_change(&n, n.p, c0, &r) < 1e-11);
    free(W);
    free(c0);
    net_free(&n);
    o.n_layers = 2;
    o.n_encoder = 2;
    o.widths[0] = 3;
    o.widths[1] = 5;
    o.widths[2] = 3;
    assert_int_equal(sym_canonical_supported(&o, why, sizeof(why)), SYM_EINVAL);
    assert_non_null(strstr(why, "width 5"));
    o.widths[1] = 3;
    assert_int_equal(sym_canonical_supported(&o, why, sizeof(why)), 0);
    o.kind = SYM_MODEL_AUTOENCODER;
    o.n_encoder = 1;
    o.tied = 1;
    assert_int_equal(sym_canonical_supported(&o, why, sizeof(why)), SYM_EINVAL);
    assert_non_null(strstr(why, "tied"));
}

/* units of a canonical network shuffled: alignment finds the permutation back */
static void test_align_recovers_permutation(void **s)
{
    sym_rng r;
    const int w1[3] = {4, 7, 3}, w2[4] = {4, 6, 5, 3};
    const sym_act relu[2] = {SYM_ACT_RELU, SYM_ACT_RELU};

    (void)s;
    sym_rng_init(&r, 14, SYM_RNG_TEST, 0);
    for (int c = 0; c < 2; c++) {
        net n;
        double *a, *b, *al;
        int sweeps = 0;

        net_make(&n, c ? 3 : 2, c ? w2 : w1, relu, 1, &r);
        a = calloc(n.P, sizeof(double));
        b = calloc(n.P, sizeof(double));
        al = calloc(n.P, sizeof(double));
        check_ok(sym_canonical_form(a, NULL, n.m, n.p));
        memcpy(b, a, sizeof(double) * n.P);
        for (int l = 0; l < n.o.n_layers - 1; l++)
            move_unit_group(&n, b, l, &r); /* permutes (and rescales) units */
        check_ok(sym_canonical_form(b, NULL, n.m, b)); /* rescaled back, re-sorted */
        for (int l = 0; l < n.o.n_layers - 1; l++) { /* a pure permutation, no sorting after */
            sym_act keep = n.o.act[l];

            n.o.act[l] = SYM_ACT_SOFTPLUS; /* permutations only in move_unit_group */
            move_unit_group(&n, b, l, &r);
            n.o.act[l] = keep;
        }
        assert_true(max_diff(a, b, n.P) > 1e-2);
        check_ok(sym_align_match(al, &sweeps, n.m, a, b));
        printf("align %d hidden layer(s): |aligned - a| %.2g after %d sweep(s)\n", n.o.n_layers - 1,
               max_diff(a, al, n.P), sweeps);
        assert_true(max_diff(a, al, n.P) < 1e-12);
        assert_true(output_change(&n, b, al, &r) < 1e-11); /* the same function as b */
        free(a);
        free(b);
        free(al);
        net_free(&n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_invariant),
        cmocka_unit_test(test_canonical_not_symmetries),
        cmocka_unit_test(test_canonical_documented_order),
        cmocka_unit_test(test_canonical_degenerate_and_refusals),
        cmocka_unit_test(test_align_recovers_permutation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
