/*
 * Training throughput on a real classification task (issue 25's speed row): a ReLU MLP
 * 784-256-256-10 with biases on Fashion-MNIST's training images (pixels / 255), cross-entropy,
 * Adam lr 1e-3, minibatches of 128 reshuffled every epoch, float64, one thread: steps per
 * second of CPU time, the flop rate, and its share of one core's DGEMM rate measured in the
 * same process.  bench/fashion_torch.py is PyTorch's plain loop on the same workload.
 *
 * One training of STEPS steps is one epoch over the first 128 STEPS images.  sym_train also
 * evaluates the full-data objective at the epoch's start and end (the loss curve); that CPU
 * time is measured on its own (the same evaluation, timed) and taken out, so that the rate
 * is that of the steps, as the reference times only its steps.
 *
 * usage: bench_fashion_throughput [STEPS] [REPEATS] [IMAGES_IDX LABELS_IDX]
 * Prints "key value" lines.  Needs Debian's dataset-fashion-mnist (or the two files given).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/io.h"
#include "symsweep/nn.h"

#include "bench_util.h"

int main(int argc, char **argv)
{
    const char *root = "/usr/share/datasets/fashion-mnist/";
    char img[512], lab[512];
    int steps = argc > 1 ? atoi(argv[1]) : 300, reps = argc > 2 ? atoi(argv[2]) : 3, n;
    sym_idx xi, yi;
    sym_data d = {0};
    sym_model_opts mo = SYM_MODEL_OPTS_INIT;
    sym_model *m = NULL;
    sym_reg none = SYM_REG_INIT;
    sym_train_opts to = SYM_TRAIN_OPTS_INIT;
    sym_train_out out;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    sym_rng r;
    double *p, curve[2], *times, t_eval, start;
    static const int widths[] = {784, 256, 256, 10};

    snprintf(img, sizeof img, "%s", argc > 4 ? argv[3] : "");
    snprintf(lab, sizeof lab, "%s", argc > 4 ? argv[4] : "");
    if (argc <= 4) {
        snprintf(img, sizeof img, "%strain-images-idx3-ubyte.gz", root);
        snprintf(lab, sizeof lab, "%strain-labels-idx1-ubyte.gz", root);
    }
    if (steps < 1 || reps < 1) {
        fprintf(stderr, "bench: expected STEPS and REPEATS >= 1\n");
        return 2;
    }
    sym_blas_single_thread();
    if (sym_idx_read(&xi, img, 3) < 0 || sym_idx_read(&yi, lab, 1) < 0) {
        fprintf(stderr, "bench: %s (install dataset-fashion-mnist)\n", sym_err_message());
        return 2;
    }
    n = 128 * steps;
    if (n > xi.dims[0]) {
        fprintf(stderr, "bench: %d steps of 128 need %d images, the file has %lld\n", steps, n, xi.dims[0]);
        return 2;
    }
    d.n = n;
    d.d_in = 784;
    d.d_out = 1;
    d.X = malloc(sizeof(double) * (size_t)n * 784);
    d.Y = malloc(sizeof(double) * (size_t)n);
    for (long long i = 0; i < (long long)n * 784; i++)
        d.X[i] = xi.data[i] / 255.0;
    for (int i = 0; i < n; i++)
        d.Y[i] = yi.data[i];
    sym_idx_dispose(&xi);
    sym_idx_dispose(&yi);
    mo.n_layers = mo.n_encoder = 3;
    memcpy(mo.widths, widths, sizeof(widths));
    mo.act[0] = mo.act[1] = SYM_ACT_RELU;
    mo.bias = 1;
    mo.bias_init = 1 + SYM_INIT_UNIFORM;
    mo.loss = SYM_LOSS_CROSS_ENTROPY;
    if (sym_data_onehot(&d, 10, img) < 0 || sym_model_create(&m, &mo) < 0 ||
        sym_eval_create(&e, m, &none, n) < 0) {
        fprintf(stderr, "bench: %s\n", sym_err_message());
        return 1;
    }
    to.optimizer = SYM_OPT_ADAM;
    to.lr = 1e-3;
    to.epochs = 1;
    to.batch_size = 128;
    to.loss_every = 1;
    p = calloc(sym_model_n_params(m), sizeof(double));
    times = calloc((size_t)reps, sizeof(double));
    /* the full-data objective sym_train evaluates twice, timed alone (median of 3) */
    {
        double te[3];

        sym_rng_init(&r, 0, SYM_RNG_INIT, 0);
        sym_model_init_params(m, p, &r);
        for (int k = 0; k < 3; k++) {
            double t0 = sym_cpu_now();

            sym_eval_loss(e, &lp, NULL, p, d.X, d.Y, n);
            te[k] = sym_cpu_now() - t0;
        }
        qsort(te, 3, sizeof(double), bench_cmp_double);
        t_eval = te[1];
    }
    start = sym_now();
    for (int i = 0, warm = 0; i < reps;) { /* 0.3 s of untimed warm-up, as the reference */
        double t0;

        sym_rng_init(&r, 0, SYM_RNG_INIT, 0);
        sym_model_init_params(m, p, &r);
        sym_rng_init(&r, 0, SYM_RNG_SHUFFLE, 0);
        t0 = sym_cpu_now();
        if (sym_train(&out, curve, p, m, &none, &to, &d, &r) < 0) {
            fprintf(stderr, "bench: %s\n", sym_err_message());
            return 1;
        }
        if (warm)
            times[i++] = sym_cpu_now() - t0 - 2.0 * t_eval;
        else
            warm = sym_now() - start >= 0.3;
    }
    qsort(times, (size_t)reps, sizeof(double), bench_cmp_double);
    {
        /* per step: forward 2 n_l n_{l+1}, backward 4 (2 for the first layer's weights only) */
        double P = 784.0 * 256 + 256.0 * 256 + 256.0 * 10, flops = 128.0 * (6.0 * P - 2.0 * 784 * 256);
        double sps = steps / times[reps / 2], peak = bench_dgemm_rate(1500);

        printf("steps_per_second %.3f\n", sps);
        printf("eval_seconds %.4f\n", t_eval);
        printf("final_loss %.6f\n", out.final.data);
        printf("gflops %.3f\n", sps * flops * 1e-9);
        printf("dgemm_gflops %.3f\n", peak * 1e-9);
        printf("fraction_of_dgemm %.4f\n", sps * flops / peak);
    }
    free(p);
    free(times);
    sym_eval_free(e);
    sym_model_free(m);
    sym_data_dispose(&d);
    return 0;
}
