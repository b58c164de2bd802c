/*
 * hessian_lanczos against the dense hessian path, and its cost as P grows
 * (one process: bench_lanczos_scaling [max_params]).
 *
 * tanh MLPs 8 -> w -> w -> 4 on 256 samples, random parameters: the dense
 * path (P Hessian-vector products, then LAPACK dsyevd without vectors: what
 * a team of one does) and the matrix-free one (100 Lanczos steps, the top
 * and bottom 10; quotient off: tanh has no continuous symmetry), interleaved
 * A B A B, medians of 3, CPU time of this process; the largest difference of
 * the top 10 eigenvalues relative to the largest.  Past the dense limit
 * (P > 6,000 here) the Lanczos side alone, up to max_params, and the same on a
 * ReLU net with the quotient (P H P, the scalings projected off) and one SLQ
 * sample of 40 steps.
 *
 * bench_lanczos_scaling --dense-once W [SAMPLES]: one timing of the dense path alone on the
 * tanh net 8 -> W -> W -> 4 (for bench/hessian_vs_torch.sh, which interleaves it with the
 * PyTorch reference): "dense_cpu_s T P N".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/probe.h"
#include "symsweep/team.h"

static double median3(const double *v)
{
    double a = v[0], b = v[1], c = v[2];

    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

typedef struct bench_net {
    sym_model *m;
    double *p;
    sym_data d;
    size_t P;
} bench_net;

static int n_samples = 256;

static void make(bench_net *n, int w, sym_act act)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    int widths[4] = {8, w, w, 4}, ns = n_samples;
    sym_rng r;

    memset(n, 0, sizeof(*n));
    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, widths, sizeof(widths));
    o.act[0] = o.act[1] = act;
    o.bias = 1;
    if (sym_model_create(&n->m, &o) < 0)
        exit(1);
    n->P = sym_model_n_params(n->m);
    n->p = malloc(sizeof(double) * n->P);
    n->d.n = ns;
    n->d.d_in = 8;
    n->d.d_out = 4;
    n->d.X = malloc(sizeof(double) * ns * 8);
    n->d.Y = malloc(sizeof(double) * ns * 4);
    sym_rng_init(&r, 1, SYM_RNG_TEST, (uint32_t)w);
    sym_model_init_params(n->m, n->p, &r);
    for (int i = 0; i < ns * 8; i++)
        n->d.X[i] = sym_rng_normal(&r);
    for (int i = 0; i < ns * 4; i++)
        n->d.Y[i] = sym_rng_normal(&r);
}

static void unmake(bench_net *n)
{
    sym_model_free(n->m);
    free(n->p);
    free(n->d.X);
    free(n->d.Y);
}

static void check(int rc)
{
    if (rc < 0) {
        fprintf(stderr, "bench: %s\n", sym_err_message());
        exit(1);
    }
}

/* the dense path as a team of one runs it: P columns, dsyevd 'N' */
static double dense(const bench_net *n, double *w)
{
    sym_reg reg = SYM_REG_INIT;
    sym_hvp *h = NULL;
    sym_team t;
    double t0 = sym_cpu_now();

    check(sym_hvp_create(&h, n->m, &reg, n->d.n));
    check(sym_hvp_set_point(h, n->p, n->d.X, n->d.Y, n->d.n));
    check(sym_team_open(&t, MPI_COMM_SELF));
    check(sym_team_syev(w, NULL, 0, &t, (int)n->P, sym_hvp_column, h));
    sym_team_close(&t);
    sym_hvp_free(h);
    return sym_cpu_now() - t0;
}

static double lanczos(const bench_net *n, double *top, int quot)
{
    double tr[10], b[10], br[10], q[10], qr[10], t0 = sym_cpu_now();
    sym_lanczos_out o = {top, tr, b, br, quot ? q : NULL, quot ? qr : NULL, 0, 0, 0, 0};
    sym_reg reg = SYM_REG_INIT;
    sym_rng r;

    sym_rng_init(&r, 2, SYM_RNG_TEST, 0);
    check(sym_hessian_lanczos(&o, n->m, &reg, n->p, &n->d, 10, 100, quot, 2, &r, NULL));
    return sym_cpu_now() - t0;
}

static double slq(const bench_net *n)
{
    double nodes[40], w[40], quad, t0 = sym_cpu_now();
    sym_reg reg = SYM_REG_INIT;
    sym_rng r;

    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    check(sym_hessian_slq(nodes, w, &quad, n->m, &reg, n->p, &n->d, 40, &r));
    return sym_cpu_now() - t0;
}

int main(int argc, char **argv)
{
    int maxp = argc > 1 ? atoi(argv[1]) : 120000;

    MPI_Init(&argc, &argv);
    sym_blas_single_thread();
    if (argc > 2 && strcmp(argv[1], "--dense-once") == 0) {
        bench_net n;
        double *w, t;

        if (argc > 3)
            n_samples = atoi(argv[3]);
        make(&n, atoi(argv[2]), SYM_ACT_TANH);
        w = malloc(sizeof(double) * n.P);
        dense(&n, w); /* warm, as the reference is */
        t = dense(&n, w);
        printf("dense_cpu_s %.6f %zu %d\n", t, n.P, n_samples);
        free(w);
        unmake(&n);
        MPI_Finalize();
        return 0;
    }
    printf("# BLAS: %s\n", sym_blas_description());
    printf("# tanh MLP 8 -> w -> w -> 4, 256 samples; CPU seconds, medians of 3 interleaved\n");
    printf("%6s %8s %10s %10s %8s %12s %10s\n", "width", "P", "dense s", "lanczos s", "ratio",
           "top-10 diff", "Q MiB");
    for (int wdt = 16; wdt <= 512; wdt = (int)(wdt * 1.5)) {
        bench_net n;
        double a[3], b[3], top[10], rel = NAN;
        int both;

        make(&n, wdt, SYM_ACT_TANH);
        if ((int)n.P > maxp) {
            unmake(&n);
            break;
        }
        both = n.P <= 6000;
        for (int k = 0; k < 3; k++) {
            double *w = both ? malloc(sizeof(double) * n.P) : NULL;

            a[k] = both ? dense(&n, w) : NAN;
            b[k] = lanczos(&n, top, 0);
            if (both && k == 0) {
                rel = 0.0;
                for (int i = 0; i < 10; i++)
                    rel = fmax(rel, fabs(top[i] - w[n.P - 1 - i]) / fabs(w[n.P - 1]));
            }
            free(w);
        }
        printf("%6d %8zu %10.3f %10.3f %8.2f %12.1e %10.1f\n", wdt, n.P, median3(a), median3(b),
               median3(a) / median3(b), rel, 100.0 * 8.0 * (double)n.P / 1048576.0);
        fflush(stdout);
        unmake(&n);
    }
    printf("# relu MLP 8 -> w -> w -> 4: Lanczos without and with the quotient (2w scalings\n"
           "# projected off), one SLQ sample of 40 steps; CPU seconds, one run each\n");
    printf("%6s %8s %10s %12s %10s\n", "width", "P", "lanczos s", "+quotient s", "SLQ s");
    for (int wdt = 36; wdt <= 512; wdt = (int)(wdt * 1.5)) {
        bench_net n;
        double top[10], t0, t1;

        make(&n, wdt, SYM_ACT_RELU);
        if ((int)n.P > maxp) {
            unmake(&n);
            break;
        }
        t0 = lanczos(&n, top, 0);
        t1 = lanczos(&n, top, 1);
        printf("%6d %8zu %10.3f %12.3f %10.3f\n", wdt, n.P, t0, t1, slq(&n));
        fflush(stdout);
        unmake(&n);
    }
    MPI_Finalize();
    return 0;
}
