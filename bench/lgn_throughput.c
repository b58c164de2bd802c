/*
 * Training throughput of the learned-group layer (seed 003, issue 27's "new workloads" row) in
 * the paper's architecture: an unfolded ISTA sparse autoencoder (model kind ista, one-sided
 * threshold, L = 4 unrolled steps, alpha 0.1, thresholds starting at 0.01) whose dictionary is a
 * learned-group layer with the paper's sizes, K = 5 groups of p = 4 filters on a 6 x 6 grid
 * (W [20 x 36], rows b_k, A_k b_k, A_k^2 b_k, A_k^3 b_k), the paper's invertibility penalty
 * mu ||A_k Ã_k - I||_F^2 (mu 0.01, the Ã_k trained) and a closure penalty 0.01 ||A_k^4 - I||_F^2,
 * on 4,096 random 6 x 6 patches of Fashion-MNIST's training images (pixels / 255; patch i from
 * image i, its corner drawn from the stream), mse, Adam lr 1e-3, gradient clipping at norm 2
 * (the paper's code clips at 2), minibatches of 128 reshuffled every epoch, float64, one thread.
 * bench/lgn_torch.py is the PyTorch reference on the same model.
 *
 * Steps per second of CPU time over STEPS steps (rounded up to whole epochs of 32 steps),
 * the median of REPEATS trainings after 0.3 s of untimed warm-up; sym_train's two evaluations of
 * the full-data objective (the curve's ends) are timed alone and taken out.  The flop rate counts
 * the multiply-adds symsweep's algorithm performs (the comment at flops_per_step) and its share of
 * one core's DGEMM rate, measured in the same process.
 *
 * --dump FILE writes what the reference needs to train the same model from the same start: one
 * JSON line (the workload, the tensors' names, offsets and shapes), then the doubles of the data
 * X [n x 36], the initial parameters theta, the full-data objective's gradient there, and the
 * full-batch objective at the first CHECK_STEPS + 1 points of a full-batch training from theta
 * (same options otherwise): lgn_torch.py --check compares its own with them.
 *
 * usage: bench_lgn_throughput [STEPS] [REPEATS] [--dump FILE] [--images IDX_GZ]
 * Prints "key value" lines.  Needs Debian's dataset-fashion-mnist (or the images file given).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/io.h"
#include "symsweep/nn.h"

#include "bench_util.h"

enum { SIDE = 6, D = SIDE * SIDE, K = 5, P = 4, L = 4, N = 4096, BATCH = 128, CHECK_STEPS = 5 };
static const double ALPHA = 0.1, LAMBDA = 0.01, MU = 0.01, CLOSURE = 0.01, LR = 1e-3, CLIP = 2.0;

/*
 * Flops of one step as symsweep computes it (2 per multiply-add): the ISTA passes, about 3 (2 L +
 * 1) products of B x m x d (forward 2 L + 1, the backward twice that); the filters b, A b, ...
 * and their pullback, 3 K (p - 1) matrix-vector products d x d; per group the pair penalty's 3
 * d x d products and the closure's 3 p (its p powers, 2 p for the gradient).
 */
static double flops_per_step(void)
{
    double m = K * P, ista = 3.0 * (2 * L + 1) * 2.0 * BATCH * m * D;
    double filters = 3.0 * K * (P - 1) * 2.0 * D * D, pen = K * (3.0 + 3.0 * P) * 2.0 * D * D * D;

    return ista + filters + pen;
}

/* patch i: a SIDE x SIDE window of image i, its corner drawn from the stream; pixels / 255 */
static int load_patches(double *X, const char *images)
{
    sym_idx xi;
    sym_rng r;

    if (sym_idx_read(&xi, images, 3) < 0) {
        fprintf(stderr, "bench: %s (install dataset-fashion-mnist)\n", sym_err_message());
        return -1;
    }
    if (xi.dims[0] < N || xi.dims[1] < SIDE || xi.dims[2] < SIDE) {
        fprintf(stderr, "bench: %s: needs %d images of at least %d x %d pixels\n", images, N, SIDE, SIDE);
        sym_idx_dispose(&xi);
        return -1;
    }
    sym_rng_init(&r, 27, SYM_RNG_DATA, 0);
    for (int i = 0; i < N; i++) {
        int h = (int)xi.dims[1], w = (int)xi.dims[2];
        int r0 = (int)sym_rng_below(&r, (uint32_t)(h - SIDE + 1)), c0 = (int)sym_rng_below(&r, (uint32_t)(w - SIDE + 1));

        for (int a = 0; a < SIDE; a++)
            for (int b = 0; b < SIDE; b++)
                X[(size_t)i * D + a * SIDE + b] = xi.data[(size_t)i * h * w + (size_t)(r0 + a) * w + c0 + b] / 255.0;
    }
    sym_idx_dispose(&xi);
    return 0;
}

static sym_model_opts model_opts(void)
{
    sym_model_opts mo = SYM_MODEL_OPTS_INIT;
    int widths[] = {D, K * P, D};

    mo.kind = SYM_MODEL_ISTA;
    mo.n_layers = 2;
    mo.n_encoder = 1;
    memcpy(mo.widths, widths, sizeof(widths));
    mo.ista_steps = L;
    mo.ista_alpha = ALPHA;
    mo.ista_lambda = LAMBDA;
    mo.ista_one_sided = 1;
    mo.group_layer = 0;
    mo.group_k = K;
    mo.group_p = P;
    mo.group_h = mo.group_w = SIDE;
    mo.group_pair = MU;
    mo.group_closure = CLOSURE;
    return mo;
}

static sym_train_opts train_opts(int epochs, int batch)
{
    sym_train_opts to = SYM_TRAIN_OPTS_INIT;

    to.optimizer = SYM_OPT_ADAM;
    to.lr = LR;
    to.epochs = epochs;
    to.batch_size = batch;
    to.loss_every = epochs > 0 ? epochs : 1;
    to.clip_norm = CLIP;
    return to;
}

/* symsweep's initialization, then thresholds spread over LAMBDA (0.5 .. 1.5) instead of all
 * LAMBDA: the start of every training here and of the reference, so that the reference's
 * ordering of the atoms (another than symsweep's) is checked from the first step */
static void init(const sym_model *m, double *p)
{
    sym_rng r;

    sym_rng_init(&r, 0, SYM_RNG_INIT, 0);
    sym_model_init_params(m, p, &r);
    for (int t = 0; t < sym_model_n_tensors(m); t++)
        if (strcmp(sym_model_tensor(m, t)->name, "lambda1") == 0)
            for (int i = 0; i < K * P; i++)
                p[sym_model_tensor(m, t)->offset + i] = LAMBDA * (0.5 + (double)i / (K * P - 1));
}

/* the JSON line, X, theta0, the gradient there and the full-batch curve of CHECK_STEPS steps */
static int dump(const char *file, const sym_model *m, const sym_data *d)
{
    size_t np = sym_model_n_params(m);
    double *p = calloc(np, sizeof(double)), *g = calloc(np, sizeof(double)), curve[CHECK_STEPS + 1];
    sym_train_opts to = train_opts(CHECK_STEPS, 0);
    sym_reg none = SYM_REG_INIT;
    sym_train_out out;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    sym_rng r;
    FILE *f = fopen(file, "wb");
    int rc = -1;

    to.loss_every = 1;
    if (!f || !p || !g) {
        fprintf(stderr, "bench: cannot write %s\n", file);
        goto done;
    }
    fprintf(f, "{\"n\": %d, \"d\": %d, \"side\": %d, \"K\": %d, \"p\": %d, \"steps\": %d, \"alpha\": %.17g, "
            "\"lambda\": %.17g, \"mu\": %.17g, \"closure\": %.17g, \"lr\": %.17g, \"clip\": %.17g, "
            "\"batch\": %d, \"check_steps\": %d, \"n_params\": %zu, \"tensors\": [",
            N, D, SIDE, K, P, L, ALPHA, LAMBDA, MU, CLOSURE, LR, CLIP, BATCH, CHECK_STEPS, np);
    for (int t = 0; t < sym_model_n_tensors(m); t++) {
        const sym_tensor *s = sym_model_tensor(m, t);

        fprintf(f, "%s[\"%s\", %zu, %d, %d]", t ? ", " : "", s->name, s->offset, s->rows, s->cols);
    }
    fprintf(f, "]}\n");
    init(m, p);
    fwrite(d->X, sizeof(double), (size_t)N * D, f);
    fwrite(p, sizeof(double), np, f);
    sym_rng_init(&r, 0, SYM_RNG_SHUFFLE, 0);
    if (sym_eval_create(&e, m, &none, N) < 0 || sym_eval_loss(e, &lp, g, p, d->X, d->Y, N) < 0 ||
        sym_train(&out, curve, p, m, &none, &to, d, &r) < 0) {
        fprintf(stderr, "bench: %s\n", sym_err_message());
        goto done;
    }
    fwrite(g, sizeof(double), np, f);
    fwrite(curve, sizeof(double), CHECK_STEPS + 1, f);
    rc = ferror(f) ? -1 : 0;
done:
    if (f && fclose(f) != 0)
        rc = -1;
    sym_eval_free(e);
    free(p);
    free(g);
    return rc;
}

/* CPU seconds of sym_train's steps: the median of reps trainings (after 0.3 s of warm-up) */
static int time_training(double *sec, double *final, const sym_model *m, const sym_data *d, int epochs,
                         int reps)
{
    size_t np = sym_model_n_params(m);
    double *p = calloc(np, sizeof(double)), *times = calloc((size_t)reps, sizeof(double)), te[3], t_eval, start;
    double curve[2];
    sym_train_opts to = train_opts(epochs, BATCH);
    sym_reg none = SYM_REG_INIT;
    sym_eval *e = NULL;
    sym_loss_parts lp;
    sym_train_out out;
    sym_rng r;
    int rc = -1;

    if (!p || !times || sym_eval_create(&e, m, &none, N) < 0)
        goto done;
    init(m, p);
    for (int k = 0; k < 3; k++) { /* the full-data objective sym_train evaluates twice, timed alone */
        double t0 = sym_cpu_now();

        sym_eval_loss(e, &lp, NULL, p, d->X, d->Y, N);
        te[k] = sym_cpu_now() - t0;
    }
    qsort(te, 3, sizeof(double), bench_cmp_double);
    t_eval = te[1];
    start = sym_now();
    for (int i = 0, warm = 0; i < reps;) {
        double t0;

        init(m, p);
        sym_rng_init(&r, 0, SYM_RNG_SHUFFLE, 0);
        t0 = sym_cpu_now();
        if (sym_train(&out, curve, p, m, &none, &to, d, &r) < 0)
            goto done;
        if (warm)
            times[i++] = sym_cpu_now() - t0 - 2.0 * t_eval;
        else
            warm = sym_now() - start >= 0.3;
    }
    qsort(times, (size_t)reps, sizeof(double), bench_cmp_double);
    *sec = times[reps / 2];
    *final = out.final.total;
    rc = 0;
done:
    if (rc < 0)
        fprintf(stderr, "bench: %s\n", sym_err_message());
    sym_eval_free(e);
    free(p);
    free(times);
    return rc;
}

int main(int argc, char **argv)
{
    const char *images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", *out = NULL;
    int steps = 320, reps = 3, pos = 0, epochs, rc = 1;
    sym_model_opts mo = model_opts();
    sym_model *m = NULL;
    sym_data d = {0};
    double sec, final;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--images") == 0 && i + 1 < argc)
            images = argv[++i];
        else if (pos++ == 0)
            steps = atoi(argv[i]);
        else
            reps = atoi(argv[i]);
    }
    if (steps < 1 || reps < 1) {
        fprintf(stderr, "bench: expected STEPS and REPEATS >= 1\n");
        return 2;
    }
    epochs = (steps + N / BATCH - 1) / (N / BATCH);
    sym_blas_single_thread();
    d.n = N;
    d.d_in = d.d_out = D;
    d.X = malloc(sizeof(double) * N * D);
    d.Y = d.X; /* autoencoding data */
    if (!d.X || load_patches(d.X, images) < 0) {
        free(d.X);
        return 2;
    }
    if (sym_model_create(&m, &mo) < 0) {
        fprintf(stderr, "bench: %s\n", sym_err_message());
        goto done;
    }
    if (out && dump(out, m, &d) < 0)
        goto done;
    if (time_training(&sec, &final, m, &d, epochs, reps) < 0)
        goto done;
    {
        double sps = epochs * (N / BATCH) / sec, peak = bench_dgemm_rate(1500), fl = flops_per_step();

        printf("steps_per_second %.3f\n", sps);
        printf("steps %d\n", epochs * (N / BATCH));
        printf("final_loss %.10g\n", final);
        printf("gflops %.3f\n", sps * fl * 1e-9);
        printf("dgemm_gflops %.3f\n", peak * 1e-9);
        printf("fraction_of_dgemm %.4f\n", sps * fl / peak);
    }
    rc = 0;
done:
    sym_model_free(m);
    free(d.X);
    return rc;
}
