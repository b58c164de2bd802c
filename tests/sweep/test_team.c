/*
 * Teams on ScaLAPACK against LAPACK on one rank (run on 4 ranks by ctest):
 * the Hessian spectrum of a tanh network from pdsyevd on 1x1, 1x2 and 2x2
 * grids equals dsyev's to 1e-10 relative; the gathered eigenvectors satisfy
 * H z = lambda z and are orthonormal; pdgesvd's singular values equal
 * dgesvd's and its right singular vectors satisfy ||A v_i|| = s_i.  Sizes
 * are chosen so that blocks wrap around the grid (n > 2 x 32) and do not
 * divide evenly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/team.h"

static int failures;

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                             \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
            failures++;                                                                      \
        }                                                                                    \
    } while (0)

#define OK(call)                                                                             \
    do {                                                                                     \
        if ((call) < 0) {                                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, #call, sym_err_message()); \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                    \
        }                                                                                    \
    } while (0)

typedef struct mat {
    const double *a; /* row-major */
    int rows, cols;
} mat;

static int column(void *ctx, size_t j, double *col)
{
    const mat *m = ctx;

    for (int i = 0; i < m->rows; i++)
        col[i] = m->a[(size_t)i * m->cols + j];
    return 0;
}

static int row(void *ctx, int i, double *r)
{
    const mat *m = ctx;

    memcpy(r, m->a + (size_t)i * m->cols, sizeof(double) * (size_t)m->cols);
    return 0;
}

/* the Hessian of a tanh MLP 6 -> 10 -> 8 -> 3 with biases at a random point: n = 185 */
static void hessian(double **H, int *n)
{
    sym_model_opts o = SYM_MODEL_OPTS_INIT;
    sym_model *m = NULL;
    sym_reg reg = SYM_REG_INIT;
    sym_rng r;
    int w[] = {6, 10, 8, 3}, ns = 40;
    double *p, *X, *Y;
    size_t P;

    o.n_layers = o.n_encoder = 3;
    memcpy(o.widths, w, sizeof(w));
    o.act[0] = o.act[1] = SYM_ACT_TANH;
    o.bias = 1;
    OK(sym_model_create(&m, &o));
    P = sym_model_n_params(m);
    p = malloc(sizeof(double) * P);
    X = malloc(sizeof(double) * (size_t)ns * 6);
    Y = malloc(sizeof(double) * (size_t)ns * 3);
    *H = malloc(sizeof(double) * P * P);
    sym_rng_init(&r, 3, SYM_RNG_TEST, 0);
    sym_model_init_params(m, p, &r);
    for (int i = 0; i < ns * 6; i++)
        X[i] = sym_rng_normal(&r);
    for (int i = 0; i < ns * 3; i++)
        Y[i] = sym_rng_normal(&r);
    OK(sym_hessian_dense(*H, m, &reg, p, X, Y, ns));
    *n = (int)P;
    free(p);
    free(X);
    free(Y);
    sym_model_free(m);
}

/* a team of one goes to LAPACK (dsyevd): with vectors, and eigenvalues only */
static void check_syev_alone(const double *H, int n, const double *wref)
{
    sym_team t;
    double *w = malloc(sizeof(double) * n), *w2 = malloc(sizeof(double) * n);
    double *Z = malloc(sizeof(double) * (size_t)n * n);
    double scale = fmax(fabs(wref[0]), fabs(wref[n - 1])), err = 0, err2 = 0, res = 0;
    mat m = {H, n, n};

    OK(sym_team_open(&t, MPI_COMM_SELF));
    OK(sym_team_syev(w, Z, 1, &t, n, column, &m));
    OK(sym_team_syev(w2, NULL, 0, &t, n, column, &m));
    for (int k = 0; k < n; k++) {
        const double *z = Z + (size_t)k * n;

        err = fmax(err, fabs(w[k] - wref[k]) / scale);
        err2 = fmax(err2, fabs(w2[k] - wref[k]) / scale);
        for (int i = 0; i < n; i++) {
            double hz = 0;

            for (int j = 0; j < n; j++)
                hz += H[(size_t)i * n + j] * z[j];
            res = fmax(res, fabs(hz - w[k] * z[i]) / scale);
        }
    }
    CHECK(err <= 1e-10 && err2 <= 1e-10 && res <= 1e-10,
          "team of one (LAPACK): eigenvalues %.3g / %.3g (no vectors) from the reference, residual %.3g",
          err, err2, res);
    printf("syev   alone  LAPACK dsyevd  n=%d  max |w - w_ref| / |w|max = %.2e (no vectors %.2e)  residual %.2e\n",
           n, err, err2, res);
    sym_team_close(&t);
    free(w);
    free(w2);
    free(Z);
}

static void check_syev(MPI_Comm comm, const double *H, int n, const double *wref, const char *what)
{
    sym_team t;
    double *w = malloc(sizeof(double) * n), *Z = malloc(sizeof(double) * (size_t)n * n);
    double scale = fmax(fabs(wref[0]), fabs(wref[n - 1])), err = 0, res = 0, orth = 0;
    mat m = {H, n, n};

    OK(sym_team_open(&t, comm));
    /* the grid path on every team, a team of one included (sym_team_syev gives
     * that one to LAPACK: checked below) */
    OK(sym_team_syev_scalapack(w, Z, 1, &t, n, column, &m));
    for (int k = 0; k < n; k++)
        err = fmax(err, fabs(w[k] - wref[k]) / scale);
    CHECK(err <= 1e-10, "%s (%d x %d grid): eigenvalues differ from LAPACK by %.3g relative", what,
          t.pr, t.pc, err);
    {
        /* eigenvalues only: pdsyev 'N', not pdsyevd */
        double *w2 = malloc(sizeof(double) * n), err2 = 0;

        OK(sym_team_syev_scalapack(w2, NULL, 0, &t, n, column, &m));
        for (int k = 0; k < n; k++)
            err2 = fmax(err2, fabs(w2[k] - wref[k]) / scale);
        CHECK(err2 <= 1e-10, "%s (%d x %d grid), eigenvalues only: %.3g relative from LAPACK", what,
              t.pr, t.pc, err2);
        if (t.rank == 0)
            printf("syev   %-12s %d x %d  eigenvalues only (pdsyev N): max |w - w_ref| / |w|max = %.2e\n",
                   what, t.pr, t.pc, err2);
        free(w2);
    }
    if (t.rank == 0) {
        for (int k = 0; k < n; k++) {
            const double *z = Z + (size_t)k * n;

            for (int i = 0; i < n; i++) {
                double hz = 0;

                for (int j = 0; j < n; j++)
                    hz += H[(size_t)i * n + j] * z[j];
                res = fmax(res, fabs(hz - w[k] * z[i]) / scale);
            }
            for (int l = 0; l <= k; l++) {
                double d = 0;

                for (int i = 0; i < n; i++)
                    d += z[i] * Z[(size_t)l * n + i];
                orth = fmax(orth, fabs(d - (l == k)));
            }
        }
        CHECK(res <= 1e-10 && orth <= 1e-10,
              "%s (%d x %d grid): eigenvectors: residual %.3g, orthonormality %.3g", what, t.pr,
              t.pc, res, orth);
        printf("syev %-6s grid %dx%d  n=%d  max |w - w_lapack| / |w|max = %.2e  residual %.2e  orth %.2e\n",
               what, t.pr, t.pc, n, err, res, orth);
    }
    sym_team_close(&t);
    free(w);
    free(Z);
}

static void check_svd(MPI_Comm comm, const double *A, int rows, int cols, const double *sref,
                      const char *what)
{
    sym_team t;
    double *s = malloc(sizeof(double) * cols), *Vt = malloc(sizeof(double) * (size_t)cols * cols);
    double err = 0, res = 0;
    mat m = {A, rows, cols};

    OK(sym_team_open(&t, comm));
    OK(sym_team_svd(s, Vt, &t, rows, cols, row, &m));
    for (int k = 0; k < cols; k++)
        err = fmax(err, fabs(s[k] - sref[k]) / sref[0]);
    CHECK(err <= 1e-10, "%s (%d x %d grid): singular values differ from LAPACK by %.3g", what,
          t.pr, t.pc, err);
    if (t.rank == 0) {
        for (int k = 0; k < cols; k++) {
            double nrm = 0;

            for (int i = 0; i < rows; i++) {
                double av = 0;

                for (int j = 0; j < cols; j++)
                    av += A[(size_t)i * cols + j] * Vt[(size_t)k * cols + j];
                nrm += av * av;
            }
            res = fmax(res, fabs(sqrt(nrm) - s[k]) / sref[0]);
        }
        CHECK(res <= 1e-10, "%s: ||A v_i|| - s_i = %.3g", what, res);
        printf("svd  %-6s grid %dx%d  %dx%d  max |s - s_lapack| / s1 = %.2e  | ||Av|| - s | = %.2e\n",
               what, t.pr, t.pc, rows, cols, err, res);
    }
    sym_team_close(&t);
    free(s);
    free(Vt);
}

int main(int argc, char **argv)
{
    int rank, size, n, rows = 97, cols = 71;
    double *H, *w, *work, *A, *s;
    MPI_Comm half;
    sym_rng r;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 4) {
        if (rank == 0)
            fprintf(stderr, "test_team needs 4 ranks (mpiexec -n 4), found %d\n", size);
        MPI_Finalize();
        return 1;
    }
    hessian(&H, &n);
    w = malloc(sizeof(double) * n);
    work = malloc(sizeof(double) * sym_syev_work_size(n));
    OK(sym_syev(w, NULL, H, n, work));
    free(work);
    A = malloc(sizeof(double) * (size_t)rows * cols);
    s = malloc(sizeof(double) * cols);
    sym_rng_init(&r, 9, SYM_RNG_TEST, 0);
    for (int i = 0; i < rows * cols; i++)
        A[i] = sym_rng_normal(&r);
    work = malloc(sizeof(double) * sym_svd_work_size(rows, cols));
    OK(sym_svd(s, NULL, NULL, A, rows, cols, work));
    free(work);

    /* 1 x 1: every rank on its own */
    check_syev(MPI_COMM_SELF, H, n, w, "1 rank");
    check_syev_alone(H, n, w);
    check_svd(MPI_COMM_SELF, A, rows, cols, s, "1 rank");
    /* 1 x 2: two teams of two at the same time */
    MPI_Comm_split(MPI_COMM_WORLD, rank / 2, rank, &half);
    check_syev(half, H, n, w, "2 ranks");
    check_svd(half, A, rows, cols, s, "2 ranks");
    MPI_Comm_free(&half);
    /* 2 x 2 */
    check_syev(MPI_COMM_WORLD, H, n, w, "4 ranks");
    check_svd(MPI_COMM_WORLD, A, rows, cols, s, "4 ranks");

    MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    free(H);
    free(w);
    free(A);
    free(s);
    MPI_Finalize();
    return failures ? 1 : 0;
}
