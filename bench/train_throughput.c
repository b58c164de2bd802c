/*
 * Training throughput on the article's Ex3 workload (linear autoencoder
 * 8 -> 3 -> 8, no bias, 500 subspace points, Adam lr 0.005, full batch):
 * steps per second on one core, the achieved floating-point rate, and one
 * core's large-DGEMM rate measured in the same process for reference.
 *
 * usage: bench_train_throughput [EPOCHS] [REPEATS] [D-K-D] [SAMPLES] [MOMENTS] [ACT]
 * (default 2000 7 8-3-8 500 off linear: the article's shape; 64-64-64 and 256-64-256 are issue
 * 17's larger shapes, SAMPLES 50000 its larger data).  The data lie near a min(K, D)-dimensional
 * subspace.  MOMENTS: train.moments, off (default: the per-sample path), on or auto.  ACT: the
 * encoder's activation, linear or tanh (issue 27's 8-16-8 tanh autoencoder, where the second-moment
 * path does not apply).
 * Prints "key value" lines for bench/run_train_bench.sh.  Times are CPU time of this process.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/nn.h"

static double dgemm_rate(int n, int reps)
{
    double *A = malloc(sizeof(double) * n * n), *B = malloc(sizeof(double) * n * n),
           *C = calloc((size_t)n * n, sizeof(double));
    double best = 0;

    for (int i = 0; i < n * n; i++) {
        A[i] = 1.0 / (1 + i % 7);
        B[i] = 1.0 / (1 + i % 5);
    }
    for (int r = 0; r < reps; r++) {
        double t0 = sym_cpu_now(), dt;

        sym_gemm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
        dt = sym_cpu_now() - t0;
        if (2.0 * n * n * n / dt > best)
            best = 2.0 * n * n * n / dt;
    }
    free(A);
    free(B);
    free(C);
    return best;
}

/* The core's floating-point peak in float64 for the kernel variant that runs: 12 independent
 * chains of fused multiply-adds on its vectors (8 doubles for avx512, 4 for avx2+fma: what no
 * kernel of that variant can exceed), in flop/s; 0 for the baseline (no FMA: not measured).
 * CPU time of this thread. */
typedef double v8d __attribute__((vector_size(64)));
typedef double v4d __attribute__((vector_size(32)));
#pragma GCC diagnostic ignored "-Wpsabi"
#define PEAK_BODY(T, L)                                                                         \
    T m, c;                                                                                     \
    for (int l = 0; l < (L); l++) {                                                             \
        m[l] = 1.0 + 1e-9;                                                                      \
        c[l] = 1e-9;                                                                            \
    }                                                                                           \
    T a0 = c, a1 = 2 * c, a2 = 3 * c, a3 = 4 * c, a4 = 5 * c, a5 = 6 * c, a6 = 7 * c,           \
      a7 = 8 * c, a8 = 9 * c, a9 = 10 * c, a10 = 11 * c, a11 = 12 * c;                          \
    double t0 = sym_cpu_now(), sum = 0.0;                                                       \
    for (long it = 0; it < iters; it++) {                                                       \
        a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;                     \
        a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;                     \
        a8 = a8 * m + c; a9 = a9 * m + c; a10 = a10 * m + c; a11 = a11 * m + c;                 \
    }                                                                                           \
    t0 = sym_cpu_now() - t0;                                                                    \
    a0 += a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;                               \
    for (int l = 0; l < (L); l++)                                                               \
        sum += a0[l];                                                                           \
    *sink = sum;                                                                                \
    return 12.0 * (L) * 2 * iters / t0;
#if defined(__x86_64__)
__attribute__((target("avx512f,fma"))) static double peak512(long iters, double *sink) { PEAK_BODY(v8d, 8) }
__attribute__((target("avx2,fma"))) static double peak256(long iters, double *sink) { PEAK_BODY(v4d, 4) }
#endif

static double fma_peak(void)
{
    double sink = 0.0, best = 0.0;

#if defined(__x86_64__)
    const char *v = sym_kernel_variant();

    for (int r = 0; r < 3; r++) {
        double x = strcmp(v, "avx512") == 0     ? peak512(20000000, &sink)
                   : strcmp(v, "avx2+fma") == 0 ? peak256(40000000, &sink)
                                                : 0.0;
        best = x > best ? x : best;
    }
#endif
    return sink == 12345.0 ? 0.0 : best;
}

int main(int argc, char **argv)
{
    int epochs = argc > 1 ? atoi(argv[1]) : 2000, reps = argc > 2 ? atoi(argv[2]) : 7;
    sym_data_opts dopt;
    sym_data d;
    sym_model_opts mo = SYM_MODEL_OPTS_INIT;
    sym_model *m;
    sym_reg none = SYM_REG_INIT;
    sym_train_opts to = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    sym_rng r;
    double *p, *curve, *times, start;
    int n = argc > 4 ? atoi(argv[4]) : 500, D = 8, k = 3, D2 = 8;

    int act = argc > 6 ? sym_act_from_name(argv[6]) : SYM_ACT_LINEAR;

    if (argc > 3 && (sscanf(argv[3], "%d-%d-%d", &D, &k, &D2) != 3 || D2 != D || D < 1 || k < 1)) {
        fprintf(stderr, "bench: shape '%s': expected D-K-D with D, K >= 1 (an autoencoder)\n", argv[3]);
        return 2;
    }
    if (act < 0 || (act != SYM_ACT_LINEAR && act != SYM_ACT_TANH)) {
        fprintf(stderr, "bench: ACT '%s': expected linear or tanh (the encoder's activation)\n", argv[6]);
        return 2;
    }
    if (n < 1 || epochs < 1 || reps < 1) {
        fprintf(stderr, "bench: expected EPOCHS, REPEATS and SAMPLES >= 1\n");
        return 2;
    }
    /* per step: forward 2 GEMMs, backward 3 (dW2, dA1, dW1), 2 n D k flops each */
    const double flops_step = 5.0 * 2.0 * n * D * k;

    sym_blas_single_thread();
    memset(&dopt, 0, sizeof(dopt));
    dopt.kind = SYM_DATA_SUBSPACE;
    dopt.dim = D;
    dopt.rank = k < D ? k : D;
    dopt.samples = n;
    dopt.noise = 0.05;
    sym_rng_init(&r, 0, SYM_RNG_DATA, 0);
    if (sym_data_generate(&d, &dopt, &r) < 0 ||
        (mo.kind = SYM_MODEL_AUTOENCODER, mo.n_layers = 2, mo.n_encoder = 1, mo.widths[0] = D,
         mo.widths[1] = k, mo.widths[2] = D, mo.act[0] = (sym_act)act, sym_model_create(&m, &mo)) < 0) {
        fprintf(stderr, "bench: %s\n", sym_err_message());
        return 1;
    }
    to.moments = SYM_MOMENTS_OFF;
    for (int i = 0; argc > 5 && i < SYM_MOMENTS_COUNT; i++)
        if (strcmp(argv[5], sym_moments_names[i]) == 0)
            to.moments = i;
    if (argc > 5 && strcmp(argv[5], sym_moments_names[to.moments]) != 0) {
        fprintf(stderr, "bench: MOMENTS '%s': expected off, on or auto\n", argv[5]);
        return 2;
    }
    to.optimizer = SYM_OPT_ADAM;
    to.lr = 0.005;
    to.epochs = epochs;
    to.loss_every = 10;
    p = calloc(sym_model_n_params(m), sizeof(double));
    curve = calloc((size_t)sym_train_n_points(&to), sizeof(double));
    times = calloc((size_t)reps, sizeof(double));
    start = sym_now();
    /* the trainings of the first 0.3 s are an untimed warm-up: OpenBLAS's idle threads spin
     * for about 0.1 s after sym_blas_single_thread wakes them, and that CPU time is this
     * process's */
    for (int i = 0, warm = 0; i < reps;) {
        double t0;

        sym_rng_init(&r, 0, SYM_RNG_INIT, 0);
        sym_model_init_params(m, p, &r);
        t0 = sym_cpu_now();
        if (sym_train(&out, curve, p, m, &none, &to, &d, &r) < 0) {
            fprintf(stderr, "bench: %s\n", sym_err_message());
            return 1;
        }
        if (warm)
            times[i++] = sym_cpu_now() - t0;
        else
            warm = sym_now() - start >= 0.3;
    }
    /* median over repeats: robust to a noisy neighbour on a shared machine */
    for (int i = 0; i < reps; i++)
        for (int j = i + 1; j < reps; j++)
            if (times[j] < times[i]) {
                double t = times[i];
                times[i] = times[j];
                times[j] = t;
            }
    double t = times[reps / 2], sps = epochs / t, rate = sps * flops_step;
    double peak = dgemm_rate(1500, 3);

    printf("steps_per_second %.1f\n", sps);
    printf("us_per_step %.3f\n", 1e6 / sps);
    printf("final_loss %.6g\n", out.final.total);
    printf("gflops %.3f\n", rate * 1e-9);
    printf("dgemm_gflops %.3f\n", peak * 1e-9);
    printf("fraction_of_dgemm %.4f\n", rate / peak);
    {
        double fp = fma_peak();

        printf("fma_peak_gflops %.3f\n", fp * 1e-9);
        printf("fraction_of_peak %.4f\n", fp > 0 ? rate / fp : 0.0);
    }
    free(p);
    free(curve);
    free(times);
    sym_data_dispose(&d);
    sym_model_free(m);
    return 0;
}
