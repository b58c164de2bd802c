/*
 * The hessian probe's cost against the parameter count, and what a team of
 * 2 ranks gains over 1, measured in the same run (run with 2 ranks:
 * mpiexec -n 2 bench_hessian_scaling [max_params]).
 *
 * For tanh MLPs 8 -> w -> w -> 4 (64 samples) of growing width: the time to
 * assemble H from P Hessian-vector products and to solve it by pdsyevd on a
 * team of 1 (rank 0 alone) and of 2 (a 1 x 2 grid), the speed-up 1 -> 2,
 * the flop rate of the 1-rank solve against this core's large-DGEMM rate
 * (measured here), and memory per rank: the estimate sym_team_syev_bytes
 * and the peak RSS.  Last, from the same estimate, the largest Hessian a
 * team of 64 ranks with 4 GiB each could take.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cblas.h>

#include "symsweep/job.h"
#include "symsweep/run.h"
#include "symsweep/team.h"
#include "symsweep/plan.h"

static double peak_rss_mib(void)
{
    struct rusage u;

    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;
}

static double dgemm_rate(void)
{
    int n = 1000;
    double *A = calloc((size_t)n * n, 8), *B = calloc((size_t)n * n, 8), *C = calloc((size_t)n * n, 8), t;

    for (int i = 0; i < n * n; i++)
        A[i] = B[i] = 1.0 / (1 + i % 7);
    sym_gemm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
    t = sym_now();
    for (int r = 0; r < 3; r++)
        sym_gemm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
    t = (sym_now() - t) / 3;
    free(A);
    free(B);
    free(C);
    return 2.0 * n * n * n / t;
}

static double median3(const double *v)
{
    double a = v[0], b = v[1], c = v[2];

    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

/* time one team solve (collective over comm); returns seconds on this rank.  mode 0: the team
 * call symsweep makes (a team of one: LAPACK dsyevd 'N'; a grid: pdsyev 'N'); 1: the grid path
 * even for a team of one, eigenvalues only; 2: the grid path with vectors (pdsyevd: what a
 * grid team did before eigenvalues-only) */
static double solve(MPI_Comm comm, sym_model *m, const double *p, const double *X, const double *Y,
                    int ns, double *w, double *t_cols, int mode)
{
    sym_team t;
    sym_reg reg = SYM_REG_INIT;
    sym_hvp *h = NULL;
    size_t P = sym_model_n_params(m);
    double t0, t1;

    sym_hvp_create(&h, m, &reg, ns);
    sym_hvp_set_point(h, p, X, Y, ns);
    sym_team_open(&t, comm);
    /* the columns alone, on this rank's share (as the solve computes them) */
    t0 = sym_now();
    {
        double *col = malloc(sizeof(double) * P);
        for (size_t j = (size_t)t.rank; j < P; j += (size_t)t.size)
            sym_hvp_column(h, j, col);
        free(col);
    }
    *t_cols = sym_now() - t0;
    MPI_Barrier(comm);
    t1 = sym_now();
    {
        double *Z = mode == 2 && t.rank == 0 ? malloc(sizeof(double) * P * P) : NULL;
        int r = mode == 0 ? sym_team_syev(w, NULL, 0, &t, (int)P, sym_hvp_column, h)
                          : sym_team_syev_scalapack(w, Z, mode == 2, &t, (int)P, sym_hvp_column, h);

        free(Z);
        if (r < 0) {
            fprintf(stderr, "bench: %s\n", sym_err_message());
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    MPI_Barrier(comm);
    t1 = sym_now() - t1;
    sym_team_close(&t);
    sym_hvp_free(h);
    return t1;
}

int main(int argc, char **argv)
{
    int rank, size, maxp = argc > 1 ? atoi(argv[1]) : 4000, ns = 64;
    double rate;

    MPI_Init(&argc, &argv);
    sym_blas_single_thread(); /* one core per rank, as symsweep runs */
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 2) {
        if (rank == 0)
            fprintf(stderr, "run with 2 ranks: mpiexec -n 2 %s [max_params]\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    rate = dgemm_rate();
    if (rank == 0) {
        printf("# hessian probe: tanh MLP 8 -> w -> w -> 4, %d samples; this core's DGEMM %.2f GFLOP/s\n",
               ns, rate / 1e9);
        printf("# solve 1r: a team of one, LAPACK dsyevd without vectors (median of 3, interleaved\n"
               "# with) grid 1r: a 1x1 ScaLAPACK grid with vectors (pdsyevd, the path before);\n"
               "# 2r N: a 1x2 grid, eigenvalues only (pdsyev 'N', now); 2r V: the same with vectors\n"
               "# (pdsyevd, what a 2-rank team did before); medians of 3, N and V interleaved\n");
        printf("%6s %6s %10s %10s %10s %8s %10s %10s %8s %12s %10s\n", "width", "P", "cols 1r s",
               "solve 1r s", "grid 1r s", "1r gain", "2r N s", "2r V s", "2r gain", "est MiB/2r",
               "RSS MiB");
    }
    for (int wdt = 16;; wdt = (int)(wdt * 1.5)) {
        sym_model_opts o = SYM_MODEL_OPTS_INIT;
        sym_model *m = NULL;
        sym_rng r;
        int widths[4] = {8, wdt, wdt, 4};
        double *p, *X, *Y, *w, t1 = 0, tc1 = 0, tc2, tg = 0, a[3] = {0}, b[3] = {0}, c[3], d[3];
        size_t P;

        o.n_layers = o.n_encoder = 3;
        memcpy(o.widths, widths, sizeof(widths));
        o.act[0] = o.act[1] = SYM_ACT_TANH;
        o.bias = 1;
        sym_model_create(&m, &o);
        P = sym_model_n_params(m);
        if ((int)P > maxp) {
            sym_model_free(m);
            break;
        }
        p = malloc(sizeof(double) * P);
        X = malloc(sizeof(double) * ns * 8);
        Y = malloc(sizeof(double) * ns * 4);
        w = malloc(sizeof(double) * P);
        sym_rng_init(&r, 1, SYM_RNG_TEST, 0);
        sym_model_init_params(m, p, &r);
        for (int i = 0; i < ns * 8; i++)
            X[i] = sym_rng_normal(&r);
        for (int i = 0; i < ns * 4; i++)
            Y[i] = sym_rng_normal(&r);
        /* team of 1: rank 0 alone (rank 1 waits) */
        if (rank == 0) {
            /* interleaved pairs: new (LAPACK, no vectors), old (grid, vectors) */
            for (int k = 0; k < 3; k++) {
                a[k] = solve(MPI_COMM_SELF, m, p, X, Y, ns, w, &tc1, 0);
                b[k] = solve(MPI_COMM_SELF, m, p, X, Y, ns, w, &tc1, 2);
            }
            t1 = median3(a);
            tg = median3(b);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        /* team of 2: eigenvalues only (now) and with vectors (before), interleaved */
        for (int k = 0; k < 3; k++) {
            c[k] = solve(MPI_COMM_WORLD, m, p, X, Y, ns, w, &tc2, 0);
            d[k] = solve(MPI_COMM_WORLD, m, p, X, Y, ns, w, &tc2, 2);
        }
        if (rank == 0)
            printf("%6d %6zu %10.3f %10.3f %10.3f %8.2f %10.3f %10.3f %8.2f %12.1f %10.1f\n", wdt, P,
                   tc1, t1, tg, tg / t1, median3(c), median3(d), median3(d) / median3(c),
                   sym_team_syev_bytes((int)P, 2) / 1048576.0, peak_rss_mib());
        fflush(stdout);
        free(p);
        free(X);
        free(Y);
        free(w);
        sym_model_free(m);
    }
    if (rank == 0) {
        /* the largest P whose estimate fits 4 GiB per rank on 64 ranks */
        int lo = 1000, hi = 10000000;

        while (hi - lo > 1) {
            int mid = lo + (hi - lo) / 2;

            if (sym_team_syev_bytes(mid, 64) <= ((size_t)4 << 30))
                lo = mid;
            else
                hi = mid;
        }
        printf("# largest Hessian for a 64-rank team at 4 GiB per rank (sym_team_syev_bytes): "
               "P = %d (%.1f GiB matrix in all)\n", lo, 8.0 * lo * (double)lo / (1 << 30));
        printf("# cols: P Hessian-vector products (~ 6 x samples x P flops each), split over "
               "the team; solve: the whole team call (columns, pdgemr2d, pdtran, pdsyevd)\n");
    }
    MPI_Finalize();
    return 0;
}
