/**
 * @file team.h
 * @brief Teams: ranks that solve one dense problem together on ScaLAPACK.
 *
 * Collective over a team's communicator.
 */
#ifndef SYMSWEEP_TEAM_H
#define SYMSWEEP_TEAM_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SWEEP)
#error "symsweep/team.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <mpi.h>

#include "symsweep/job.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A communicator's ranks as BLACS grids: pr x pc (as square as the size allows), 1 x T, T x 1. */
typedef struct sym_team {
    MPI_Comm comm; /**< borrowed */
    int rank, size, pr, pc, myrow, mycol;
    int sys, ctxt, ctxt_col, ctxt_row, ctxt_root, open;
} sym_team;

/** The grid shape of a team of @p size: pr the largest divisor <= sqrt(size), pc = size / pr. */
void sym_team_grid_shape(int size, int *pr, int *pc);
/** The block size used for an n-long dimension over @p procs processes: ceil(n/procs), 1..32. */
int sym_team_block(int n, int procs);
/** Collective over @p comm.  A communicator of one rank is a 1 x 1 grid. */
int sym_team_open(sym_team *t, MPI_Comm comm);
void sym_team_close(sym_team *t);


/**
 * Eigen-decomposition of the symmetric n x n matrix whose columns @p fn
 * gives (collective).  Each rank computes the columns it owns in a 1 x T
 * block-cyclic layout; the matrix is moved to the pr x pc grid (pdgemr2d),
 * symmetrized as (A + A^T)/2 (pdtran) and solved by pdsyevd.
 * @param w   n eigenvalues, ascending, on every rank
 * @param Z   on team rank 0 with @p want_vectors [n x n]: row k is the unit
 *            eigenvector of w[k] (other ranks: unused, may be NULL)
 * @param want_vectors the same on every rank of the team: the gather is collective
 */
int sym_team_syev(double *w, double *Z, int want_vectors, sym_team *t, int n, sym_column_fn fn,
                  void *ctx);
/**
 * sym_team_syev always on the ScaLAPACK grid, a team of one included
 * (sym_team_syev hands a team of one to LAPACK's dsyevd, without vectors
 * unless wanted); for benchmarks and the tests of the grid path.
 */
int sym_team_syev_scalapack(double *w, double *Z, int want_vectors, sym_team *t, int n,
                            sym_column_fn fn, void *ctx);
/** Bytes per rank sym_team_syev needs for an n x n matrix on a team of @p size (an estimate). */
size_t sym_team_syev_bytes(int n, int size);
/**
 * Singular values (descending, n of them, every rank) of the m x n matrix
 * (m >= n) whose rows @p fn gives, by pdgesvd; rows computed by their owners
 * in a T x 1 layout.  @p Vt NULL, or on team rank 0 [n x n] row-major: row i
 * is right singular vector i.
 */
int sym_team_svd(double *s, double *Vt, sym_team *t, int m, int n, sym_row_fn fn, void *ctx);
size_t sym_team_svd_bytes(int m, int n, int size);

/**
 * The team task of run @p index (hessian, symmetry_discovery) on the ranks
 * of @p comm, all of which call: the measures slice [measure.team,
 * + measure.team_len) into @p out (eigenvectors and bases on rank 0 only).
 */
int sym_team_task(double *out, const sym_job *job, int index, const double *params, MPI_Comm comm);

#ifdef __cplusplus
}
#endif
#endif
