/*
 * Hessian-vector products at P ~ 1e5 (issue 27): 100 Lanczos steps with full reorthogonalization
 * on the Hessian of a ReLU MLP 64 -> 256 -> 256 -> 80 with biases (P = 102,992, the net of
 * bench/jobs/lanczos-100k.yaml) on 1,000 samples, squared error, float64, one thread; the same
 * workload as bench/lanczos_torch.py (PyTorch's double backward).  The parameters and data are
 * random (N(0, 1) data and targets, the model's own initialization): the product's cost does not
 * depend on where it is taken.  CPU time of this process (after one untimed product): the
 * whole loop, and the products alone, whose floating-point rate is compared with one core's
 * DGEMM measured in the same process.
 *   bench_hvp_lanczos [STEPS] [SAMPLES]   -> "key value" lines
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

static double t_products; /* CPU time inside the products */

static int op(void *ctx, double *y, const double *x)
{
    double t0 = sym_cpu_now();
    int rc = sym_hvp_apply(ctx, y, x);

    t_products += sym_cpu_now() - t0;
    return rc;
}

static void check(int rc)
{
    if (rc < 0) {
        fprintf(stderr, "bench: %s\n", sym_err_message());
        exit(1);
    }
}

/* one core's DGEMM rate on n x n matrices, the best of 3 */
static double dgemm_rate(int n)
{
    double *a = calloc((size_t)n * n, sizeof(double)), *b = calloc((size_t)n * n, sizeof(double));
    double *c = calloc((size_t)n * n, sizeof(double)), best = 0.0;

    for (size_t i = 0; i < (size_t)n * n; i++)
        a[i] = b[i] = 1.0 / (1.0 + (double)(i % 7));
    for (int r = 0; r < 3; r++) {
        double t0 = sym_cpu_now(), t;

        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        t = sym_cpu_now() - t0;
        best = fmax(best, 2.0 * n * n * (double)n / t);
    }
    free(a);
    free(b);
    free(c);
    return best;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 100, n = argc > 2 ? atoi(argv[2]) : 1000, done = 0;
    int w[4] = {64, 256, 256, 80};
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_reg reg = SYM_REG_INIT;
    sym_model *m = NULL;
    sym_hvp *h = NULL;
    sym_rng r;
    double *p, *X, *Y, *alpha, *beta, *Q, *q0, t0, t, flops = 0.0;
    size_t P;

    if (steps < 1 || n < 1) {
        fprintf(stderr, "bench: expected STEPS and SAMPLES >= 1\n");
        return 2;
    }
    sym_blas_single_thread();
    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = SYM_ACT_RELU;
    o.bias = 1;
    check(sym_model_create(&m, &o));
    P = sym_model_n_params(m);
    p = malloc(P * sizeof(double));
    X = malloc((size_t)n * w[0] * sizeof(double));
    Y = malloc((size_t)n * w[3] * sizeof(double));
    alpha = malloc((size_t)steps * sizeof(double));
    beta = malloc((size_t)steps * sizeof(double));
    Q = malloc((size_t)steps * P * sizeof(double));
    q0 = malloc(P * sizeof(double));
    sym_rng_init(&r, 1, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    for (int i = 0; i < n * w[0]; i++)
        X[i] = sym_rng_normal(&r);
    for (int i = 0; i < n * w[3]; i++)
        Y[i] = sym_rng_normal(&r);
    for (size_t i = 0; i < P; i++)
        q0[i] = sym_rng_normal(&r);
    check(sym_hvp_create(&h, m, &reg, n));
    check(sym_hvp_set_point(h, p, X, Y, n));
    /* Q zeroed before the clock starts, as the probe's (sym_alloc) and the reference's
     * (torch.zeros) are: the loop is timed, not the first touch of its 80 MB */
    memset(Q, 0, (size_t)steps * P * sizeof(double));
    check(sym_hvp_apply(h, Q, q0)); /* untimed: first touch of every buffer */
    t0 = sym_cpu_now();
    check(sym_lanczos(&done, alpha, beta, Q, op, h, P, steps, q0));
    t = sym_cpu_now() - t0;
    /* one product: forward tangent (V A + W RA per layer, V X for the first), backward tangent
     * (R dZ A^T + dZ RA^T per layer, R dZ X^T for the first; V^T dZ + W^T R dZ below the top) */
    for (int l = 0; l < 3; l++) {
        double mn = 2.0 * n * w[l] * w[l + 1];

        flops += (l ? 2 : 1) * mn + (l ? 2 : 1) * mn + (l ? 2 : 0) * mn;
    }
    printf("params %zu\n", P);
    printf("steps %d\n", done);
    printf("cpu_s %.4f\n", t);
    printf("ms_per_step %.3f\n", 1e3 * t / done);
    printf("gflops_per_product %.4f\n", flops * 1e-9);
    printf("ms_per_product %.3f\n", 1e3 * t_products / done);
    printf("fraction_of_dgemm %.4f\n", flops * done / t_products / dgemm_rate(1500));
    printf("top_ritz %.10g\n", alpha[0]);
    sym_hvp_free(h);
    sym_model_free(m);
    free(p);
    free(X);
    free(Y);
    free(alpha);
    free(beta);
    free(Q);
    free(q0);
    return 0;
}
