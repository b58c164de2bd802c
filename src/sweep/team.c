/*
 * Teams: the ranks of a communicator as BLACS process grids, and the dense
 * distributed solves the team probes need (ScaLAPACK pdsyevd, pdgesvd; the
 * redistributions by pdgemr2d, the symmetrization by pdtran).
 *
 * A matrix given column by column (the Hessian: column j is H e_j) is first
 * built in a 1 x T grid, where each rank owns whole columns and computes
 * them; rows of a matrix given row by row (stacked invariance conditions) in
 * a T x 1 grid.  pdgemr2d then moves it into the pr x pc grid the solver
 * runs on.  Results small enough to replicate (eigenvalues, singular values)
 * end on every rank; vectors are gathered on team rank 0 through a 1 x 1 grid.
 */
#include "symsweep/team.h"
#include "symsweep/run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>

#ifdef SYM_HAVE_SCALAPACK
/* BLACS and ScaLAPACK (Fortran interfaces; C ones for BLACS and pdgemr2d) */
extern int Csys2blacs_handle(MPI_Comm comm);
extern void Cfree_blacs_system_handle(int handle);
extern void Cblacs_gridinit(int *ctxt, char *order, int nprow, int npcol);
extern void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
extern void Cblacs_gridexit(int ctxt);
extern void Cpdgemr2d(int m, int n, double *A, int ia, int ja, int *desca, double *B, int ib,
                      int jb, int *descb, int gcontext);
extern void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
                      const int *irsrc, const int *icsrc, const int *ictxt, const int *lld,
                      int *info);
extern int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
                   const int *nprocs);
extern void pdtran_(const int *m, const int *n, const double *alpha, const double *a,
                    const int *ia, const int *ja, const int *desca, const double *beta, double *c,
                    const int *ic, const int *jc, const int *descc);
extern void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
                     const int *ja, const int *desca, double *w, double *z, const int *iz,
                     const int *jz, const int *descz, double *work, const int *lwork, int *iwork,
                     const int *liwork, int *info);
extern void pdsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
                    const int *ja, const int *desca, double *w, double *z, const int *iz,
                    const int *jz, const int *descz, double *work, const int *lwork, int *info);
extern void pdgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
                     const int *ia, const int *ja, const int *desca, double *s, double *u,
                     const int *iu, const int *ju, const int *descu, double *vt, const int *ivt,
                     const int *jvt, const int *descvt, double *work, const int *lwork, int *info);
#endif

void sym_team_grid_shape(int size, int *pr, int *pc)
{
    int r = (int)sqrt((double)size);

    while (r > 1 && size % r != 0)
        r--;
    *pr = r < 1 ? 1 : r;
    *pc = size / *pr;
}

int sym_team_block(int n, int procs)
{
    int nb = (n + procs - 1) / procs;

    return nb > 32 ? 32 : nb < 1 ? 1 : nb;
}

int sym_team_open(sym_team *t, MPI_Comm comm)
{
    int rc = 0;

    memset(t, 0, sizeof(*t));
    t->comm = comm;
    t->ctxt = t->ctxt_col = t->ctxt_row = t->ctxt_root = -1;
    MPI_Comm_rank(comm, &t->rank);
    MPI_Comm_size(comm, &t->size);
    sym_team_grid_shape(t->size, &t->pr, &t->pc);
#ifndef SYM_HAVE_SCALAPACK
    if (t->size > 1)
        SYM_FAIL(SYM_EINVAL, "a team of %d ranks needs ScaLAPACK, and this symsweep was built "
                 "without it (-DSYM_SCALAPACK=OFF): set the probe's team to 1", t->size);
    t->open = 1;
#else
    int nr, nc;

    t->sys = Csys2blacs_handle(comm);
    /* each gridinit takes the system handle and replaces it by the grid's context */
    t->ctxt = t->sys;
    Cblacs_gridinit(&t->ctxt, "R", t->pr, t->pc);
    t->ctxt_col = t->sys;
    Cblacs_gridinit(&t->ctxt_col, "R", 1, t->size);
    t->ctxt_row = t->sys;
    Cblacs_gridinit(&t->ctxt_row, "C", t->size, 1);
    t->ctxt_root = t->sys;
    Cblacs_gridinit(&t->ctxt_root, "R", 1, 1); /* team rank 0 only; -1 elsewhere */
    if (t->ctxt < 0 || t->ctxt_col < 0 || t->ctxt_row < 0)
        SYM_FAIL(SYM_EMPI, "BLACS could not make a %d x %d grid of the team's %d ranks", t->pr,
                 t->pc, t->size);
    Cblacs_gridinfo(t->ctxt, &nr, &nc, &t->myrow, &t->mycol);
    t->open = 1;
#endif
cleanup:
    if (rc < 0)
        sym_team_close(t);
    return rc;
}

void sym_team_close(sym_team *t)
{
#ifdef SYM_HAVE_SCALAPACK
    int *c[4] = {&t->ctxt, &t->ctxt_col, &t->ctxt_row, &t->ctxt_root};

    for (int k = 0; k < 4; k++)
        if (*c[k] >= 0) {
            Cblacs_gridexit(*c[k]);
            *c[k] = -1;
        }
    if (t->open || t->sys)
        Cfree_blacs_system_handle(t->sys);
#endif
    t->open = 0;
    t->sys = 0;
}

size_t sym_team_syev_bytes(int n, int size)
{
    int pr, pc, nb;
    double loc;

    sym_team_grid_shape(size, &pr, &pc);
    nb = sym_team_block(n, pr > pc ? pr : pc);
    /* the 1 x T column block, A and its transpose copy, Z, the solver's
     * workspace (about 2 n^2 / T + O(n nb)); per rank, rounded up */
    loc = ((double)n * ((n + size - 1) / size + nb)) +
          4.0 * ((double)(n / pr + nb) * (n / pc + nb)) + 2.0 * n * n / size + 64.0 * n * nb;
    return (size_t)(8.0 * loc) + ((size_t)1 << 20);
}

size_t sym_team_svd_bytes(int m, int n, int size)
{
    int pr, pc, nb;
    double loc;

    sym_team_grid_shape(size, &pr, &pc);
    nb = sym_team_block(m > n ? m : n, pr > pc ? pr : pc);
    loc = ((double)((m + size - 1) / size + nb) * n) +
          ((double)(m / pr + nb) * (n / pc + nb)) + 2.0 * ((double)(n / pr + nb) * (n / pc + nb)) +
          2.0 * (double)n * n / size + 64.0 * (double)(m > n ? m : n) * nb;
    return (size_t)(8.0 * loc) + ((size_t)1 << 20);
}

/*
 * A team of one: the whole matrix on this rank and LAPACK's divide and
 * conquer, eigenvalues only unless vectors are wanted ('N' skips the vector
 * work that pdsyevd always does: about 2.4x at P = 1,804).
 */
static int syev_alone(double *w, double *Zout, int want_vectors, int n, sym_column_fn fn, void *ctx)
{
    double *H = NULL;
    lapack_int info;
    int rc = 0;

    SYM_TRY(sym_alloc_doubles(&H, (size_t)n * n));
    for (int j = 0; j < n; j++)
        SYM_TRY(fn(ctx, (size_t)j, H + (size_t)j * n)); /* column j as row j: symmetric */
    sym_symmetrize(H, n);
    info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, want_vectors ? 'V' : 'N', 'L', n, H, n, w);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "dsyevd: the eigensolver did not converge (info %d) on a %d x %d matrix",
                 (int)info, n, n);
    /* column k of the column-major result is eigenvector k: row k of a row-major [n x n] */
    if (want_vectors && Zout)
        memcpy(Zout, H, sizeof(double) * (size_t)n * n);
cleanup:
    free(H);
    return rc;
}

int sym_team_syev(double *w, double *Zout, int want_vectors, sym_team *t, int n, sym_column_fn fn,
                  void *ctx)
{
    if (t->size == 1)
        return syev_alone(w, Zout, want_vectors, n, fn, ctx);
    return sym_team_syev_scalapack(w, Zout, want_vectors, t, n, fn, ctx);
}

#ifndef SYM_HAVE_SCALAPACK
int sym_team_syev_scalapack(double *w, double *Zout, int want_vectors, sym_team *t, int n,
                            sym_column_fn fn, void *ctx)
{
    (void)w, (void)Zout, (void)want_vectors, (void)t, (void)n, (void)fn, (void)ctx;
    return sym_err_set(SYM_EINVAL, __FILE__, __LINE__,
                       "the ScaLAPACK eigensolver: this symsweep was built without ScaLAPACK "
                       "(-DSYM_SCALAPACK=OFF)");
}

/* without ScaLAPACK, a team is one rank (sym_team_open refuses more): LAPACK's SVD */
int sym_team_svd(double *s, double *Vt, sym_team *t, int m, int n, sym_row_fn fn, void *ctx)
{
    double *A = NULL, *superb = NULL;
    lapack_int info;
    int rc = 0;

    SYM_ASSERT(t->size == 1);
    if (m < n)
        SYM_FAIL(SYM_EINVAL, "team SVD of a %d x %d matrix: needs at least as many rows as columns",
                 m, n);
    SYM_TRY(sym_alloc_doubles(&A, (size_t)m * n));
    SYM_TRY(sym_alloc_doubles(&superb, (size_t)n));
    for (int i = 0; i < m; i++)
        SYM_TRY(fn(ctx, i, A + (size_t)i * n));
    info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', Vt ? 'S' : 'N', m, n, A, n, s, NULL, 1, Vt, n,
                          superb);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "dgesvd: the SVD did not converge (info %d) on a %d x %d matrix",
                 (int)info, m, n);
cleanup:
    free(A);
    free(superb);
    return rc;
}
#else
/* agree on failure: every rank of the team learns whether any failed, so
 * none enters a collective the others have left */
static int agree(int rc, MPI_Comm comm)
{
    int mine = rc < 0, any = 0;

    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm);
    if (any && rc == 0)
        return sym_err_set(SYM_EMPI, __FILE__, __LINE__, "another rank of the team failed");
    return rc;
}

/* global index of local index k in a block-cyclic dimension */
static int global_index(int k, int nb, int me, int procs)
{
    return (k / nb) * nb * procs + me * nb + k % nb;
}

int sym_team_syev_scalapack(double *w, double *Zout, int want_vectors, sym_team *t, int n,
                            sym_column_fn fn, void *ctx)
{
    int rc = 0, info = 0, zero = 0, one = 1, nb = sym_team_block(n, t->pr > t->pc ? t->pr : t->pc);
    int nloc_c = numroc_(&n, &nb, &t->rank, &zero, &t->size);
    int mloc = numroc_(&n, &nb, &t->myrow, &zero, &t->pr);
    int nloc = numroc_(&n, &nb, &t->mycol, &zero, &t->pc);
    int lldc = n > 1 ? n : 1, lld = mloc > 1 ? mloc : 1, lwork = -1, liwork = -1, iw0 = 0;
    int desc_c[9], desc[9], desc_root[9];
    double *Hc = NULL, *A = NULL, *S = NULL, *Z = NULL, *work = NULL, wq = 0, half = 0.5;
    int *iwork = NULL;

    /* columns of the 1 x T layout, each computed whole by its owner */
    descinit_(desc_c, &n, &n, &n, &nb, &zero, &zero, &t->ctxt_col, &lldc, &info);
    SYM_ASSERT(info == 0);
    descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &t->ctxt, &lld, &info);
    SYM_ASSERT(info == 0);
    rc = sym_alloc_doubles(&Hc, (size_t)n * (nloc_c > 0 ? nloc_c : 1));
    for (int k = 0; rc == 0 && k < nloc_c; k++)
        rc = fn(ctx, (size_t)global_index(k, nb, t->rank, t->size), Hc + (size_t)k * n);
    SYM_TRY(agree(rc, t->comm));
    SYM_TRY(agree(sym_alloc_doubles(&A, (size_t)lld * (nloc > 0 ? nloc : 1)), t->comm));
    Cpdgemr2d(n, n, Hc, 1, 1, desc_c, A, 1, 1, desc, t->ctxt);
    free(Hc);
    Hc = NULL;
    /* S = (A + A^T) / 2: products of a symmetric operator agree with their
     * transposes only to rounding */
    SYM_TRY(agree(sym_alloc_doubles(&S, (size_t)lld * (nloc > 0 ? nloc : 1)), t->comm));
    memcpy(S, A, sizeof(double) * (size_t)lld * (nloc > 0 ? nloc : 0));
    pdtran_(&n, &n, &half, A, &one, &one, desc, &half, S, &one, &one, desc);
    /* A is free again: it becomes Z */
    Z = A;
    A = NULL;
    if (!want_vectors) { /* eigenvalues only: pdsyev 'N' skips the vectors pdsyevd always makes */
        pdsyev_("N", "L", &n, S, &one, &one, desc, w, Z, &one, &one, desc, &wq, &lwork, &info);
        SYM_ASSERT(info == 0);
        lwork = (int)(1.2 * wq) + 4 * n + 1024;
        SYM_TRY(agree(sym_alloc_doubles(&work, (size_t)lwork), t->comm));
        pdsyev_("N", "L", &n, S, &one, &one, desc, w, Z, &one, &one, desc, work, &lwork, &info);
        SYM_ASSERT(info >= 0);
        if (info > 0)
            SYM_FAIL(SYM_ENUMERIC, "pdsyev: the eigensolver did not converge (info %d) on a %d x %d "
                     "matrix", info, n, n);
        goto cleanup;
    }
    pdsyevd_("V", "L", &n, S, &one, &one, desc, w, Z, &one, &one, desc, &wq, &lwork, &iw0,
             &liwork, &info);
    SYM_ASSERT(info == 0);
    /* the workspace query of some ScaLAPACK versions comes out short: add room */
    lwork = (int)(1.2 * wq) + 4 * n + 1024;
    liwork = iw0 + 2 * n + 64;
    rc = sym_alloc_doubles(&work, (size_t)lwork);
    if (rc == 0)
        rc = sym_alloc(&iwork, sizeof(int) * (size_t)liwork);
    SYM_TRY(agree(rc, t->comm));
    pdsyevd_("V", "L", &n, S, &one, &one, desc, w, Z, &one, &one, desc, work, &lwork, iwork,
             &liwork, &info);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "pdsyevd: the eigensolver did not converge (info %d) on a %d x %d matrix",
                 info, n, n);
    if (want_vectors) {
        /* eigenvector k is column k: gathered column-major on team rank 0,
         * that is row k of a row-major [n x n] */
        if (t->ctxt_root >= 0)
            descinit_(desc_root, &n, &n, &n, &n, &zero, &zero, &t->ctxt_root, &lldc, &info);
        else
            desc_root[1] = -1;
        Cpdgemr2d(n, n, Z, 1, 1, desc, t->rank == 0 ? Zout : NULL, 1, 1, desc_root, t->ctxt);
    }
cleanup:
    free(Hc);
    free(A);
    free(S);
    free(Z);
    free(work);
    free(iwork);
    return rc;
}

int sym_team_svd(double *s, double *Vt, sym_team *t, int m, int n, sym_row_fn fn, void *ctx)
{
    int rc = 0, info = 0, zero = 0, one = 1, nb = sym_team_block(m > n ? m : n, t->pr > t->pc ? t->pr : t->pc);
    int mloc_r = numroc_(&m, &nb, &t->rank, &zero, &t->size);
    int mloc = numroc_(&m, &nb, &t->myrow, &zero, &t->pr);
    int nloc = numroc_(&n, &nb, &t->mycol, &zero, &t->pc);
    int vloc_r = numroc_(&n, &nb, &t->myrow, &zero, &t->pr);
    int lldr = mloc_r > 1 ? mloc_r : 1, lld = mloc > 1 ? mloc : 1, lldv = vloc_r > 1 ? vloc_r : 1;
    int lldroot = n > 1 ? n : 1, lwork = -1;
    int desc_r[9], desc[9], desc_vt[9], desc_root[9];
    double *R = NULL, *A = NULL, *V = NULL, *work = NULL, *row = NULL, *VtCol = NULL, wq = 0;

    if (m < n)
        SYM_FAIL(SYM_EINVAL, "team SVD of a %d x %d matrix: needs at least as many rows as columns",
                 m, n);
    descinit_(desc_r, &m, &n, &nb, &n, &zero, &zero, &t->ctxt_row, &lldr, &info);
    SYM_ASSERT(info == 0);
    descinit_(desc, &m, &n, &nb, &nb, &zero, &zero, &t->ctxt, &lld, &info);
    SYM_ASSERT(info == 0);
    descinit_(desc_vt, &n, &n, &nb, &nb, &zero, &zero, &t->ctxt, &lldv, &info);
    SYM_ASSERT(info == 0);
    rc = sym_alloc_doubles(&R, (size_t)lldr * n);
    if (rc == 0)
        rc = sym_alloc_doubles(&row, (size_t)n);
    /* rows of the T x 1 layout, each computed by its owner (column-major local block) */
    for (int k = 0; rc == 0 && k < mloc_r; k++) {
        rc = fn(ctx, global_index(k, nb, t->rank, t->size), row);
        for (int j = 0; rc == 0 && j < n; j++)
            R[(size_t)j * lldr + k] = row[j];
    }
    SYM_TRY(agree(rc, t->comm));
    rc = sym_alloc_doubles(&A, (size_t)lld * (nloc > 0 ? nloc : 1));
    if (rc == 0)
        rc = sym_alloc_doubles(&V, (size_t)lldv * (nloc > 0 ? nloc : 1));
    SYM_TRY(agree(rc, t->comm));
    Cpdgemr2d(m, n, R, 1, 1, desc_r, A, 1, 1, desc, t->ctxt);
    free(R);
    R = NULL;
    /* U is not computed (jobu N): its descriptor is A's, never referenced */
    pdgesvd_("N", Vt ? "V" : "N", &m, &n, A, &one, &one, desc, s, NULL, &one, &one, desc, V, &one,
             &one, desc_vt, &wq, &lwork, &info);
    SYM_ASSERT(info == 0);
    lwork = (int)(1.2 * wq) + 4 * (m + n) + 1024;
    SYM_TRY(agree(sym_alloc_doubles(&work, (size_t)lwork), t->comm));
    pdgesvd_("N", Vt ? "V" : "N", &m, &n, A, &one, &one, desc, s, NULL, &one, &one, desc, V, &one,
             &one, desc_vt, work, &lwork, &info);
    SYM_ASSERT(info >= 0);
    if (info > 0)
        SYM_FAIL(SYM_ENUMERIC, "pdgesvd: the SVD did not converge (info %d) on a %d x %d matrix",
                 info, m, n);
    if (Vt) {
        /* gathered column-major on team rank 0, then transposed: row i of the
         * row-major Vt is right singular vector i */
        if (t->rank == 0)
            rc = sym_alloc_doubles(&VtCol, (size_t)n * n);
        SYM_TRY(agree(rc, t->comm));
        if (t->ctxt_root >= 0)
            descinit_(desc_root, &n, &n, &n, &n, &zero, &zero, &t->ctxt_root, &lldroot, &info);
        else
            desc_root[1] = -1;
        Cpdgemr2d(n, n, V, 1, 1, desc_vt, VtCol, 1, 1, desc_root, t->ctxt);
        if (t->rank == 0)
            sym_transpose(Vt, VtCol, n, n);
    }
cleanup:
    free(R);
    free(A);
    free(V);
    free(work);
    free(row);
    free(VtCol);
    return rc;
}
#endif /* SYM_HAVE_SCALAPACK */
