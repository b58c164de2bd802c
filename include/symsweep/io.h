/**
 * @file io.h
 * @brief HDF5 mechanics: a file of chunked, self-describing datasets written
 *        by one process (rank 0), and reading user matrices.  Knows nothing
 *        about models or sweeps (those decide what goes where).
 */
#ifndef SYMSWEEP_IO_H
#define SYMSWEEP_IO_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_IO)
#error "symsweep/io.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <stdio.h>

#include "symsweep/core.h"
#include "symsweep/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the paths of the output file that several modules name (docs/hdf5-layout.md) ---- */

#define SYM_PATH_GRID                "/grid"
#define SYM_PATH_GRID_SEED           "/grid/seed"
#define SYM_PATH_GRID_CONFIG         "/grid/config"
#define SYM_PATH_RUNS                "/runs"
#define SYM_PATH_STATUS              "/runs/status"
#define SYM_PATH_ERROR               "/runs/error"
#define SYM_PATH_RANK                "/runs/rank"
#define SYM_PATH_WALL_TIME           "/runs/wall_time"
#define SYM_PATH_EPOCHS_DONE         "/runs/epochs_done"
#define SYM_PATH_METRICS             "/runs/metrics"
#define SYM_PATH_FINAL_LOSS          "/runs/metrics/final_loss"
#define SYM_PATH_FINAL_DATA_LOSS     "/runs/metrics/final_data_loss"
#define SYM_PATH_FINAL_PENALTY       "/runs/metrics/final_penalty"
#define SYM_PATH_CURVE_LOSS          "/runs/curves/loss"
#define SYM_PATH_CURVE_EPOCH         "/runs/curves/epoch"
#define SYM_PATH_WEIGHTS             "/runs/weights"
#define SYM_PATH_INITIAL_WEIGHTS     "/runs/initial_weights"
#define SYM_PATH_PROBES              "/probes"
#define SYM_PATH_RUN                 "/run"

typedef struct sym_h5 sym_h5;

typedef enum sym_h5_type {
    SYM_H5_DOUBLE = 0, /**< float64, fill NaN */
    SYM_H5_INT64,      /**< int64, fill -1 */
    SYM_H5_STATUS,     /**< enum int8 {pending, done, diverged, failed}, fill pending */
    SYM_H5_STRING,     /**< variable-length UTF-8 string, fill "" (written once, at creation) */
    SYM_H5_TEXT        /**< fixed-length UTF-8 text of SYM_H5_TEXT_LEN bytes, fill "" */
} sym_h5_type;

#define SYM_H5_TEXT_LEN 512

/**
 * Create @p path for writing.  An existing file is an error (SYM_EEXIST)
 * unless @p force; a file another process has open for writing is refused
 * even then.  The file is made under a temporary name beside @p path and
 * becomes @p path at sym_h5_commit: until then the old file is untouched,
 * and closing an uncommitted file removes it.
 */
int sym_h5_create(sym_h5 **out, const char *path, int force);

/**
 * Give a file made by sym_h5_create its final name: replacing an old file
 * only if it was created with force (SYM_EEXIST if one appeared meanwhile).
 */
int sym_h5_commit(sym_h5 *f);

/**
 * Check that @p path may become a new output file (SYM_EEXIST if it exists
 * and not @p force, or if another process has it open for writing; SYM_EUSAGE
 * for a directory; @p replace_hint completes the message of an existing file),
 * and create an empty temporary file beside it to build the new file in; its
 * name goes into @p tmp ("" on failure).  The caller removes it with
 * sym_outfile_discard unless sym_outfile_commit renamed it; should a signal end
 * the process first, sym_outfile_remove_debris removes it.
 */
int sym_outfile_prepare(char *tmp, size_t n, const char *path, int force, const char *replace_hint);

/**
 * Rename the finished temporary file @p tmp to @p path.  Without @p replace
 * an existing @p path is never replaced, even one that appeared after
 * sym_outfile_prepare looked (SYM_EEXIST; @p tmp is left for the caller).
 */
int sym_outfile_commit(const char *tmp, const char *path, int replace);

/** Remove the temporary file @p tmp made by sym_outfile_prepare (NULL or "": nothing). */
void sym_outfile_discard(const char *tmp);

/**
 * Remove the temporary and lock files of this process; async-signal-safe, for
 * a handler of a signal that ends the process.
 */
void sym_outfile_remove_debris(void);

/** The directory of @p path: "a/b.h5" -> "a", "/b.h5" -> "/", "b.h5" -> ".". */
void sym_path_dir(char *dir, size_t n, const char *path);

/** 1 if another process has @p path open for writing (holds HDF5's lock on it). */
int sym_outfile_locked(const char *path);

/** A writer's lock on an output file (OUT.lock), independent of HDF5's. */
typedef struct sym_outlock sym_outlock;

/**
 * Take the lock of output file @p path (the file OUT.lock beside it, an fcntl
 * lock, held until sym_outlock_release): SYM_EEXIST, naming the holder, if
 * another process holds it; SYM_EUSAGE if the file system keeps no locks
 * (the lock file it made is removed) or the directory is missing or not
 * writable.  With SYMSWEEP_FILE_LOCKING=FALSE in the environment *out is
 * NULL and nothing is locked.
 */
int sym_outlock_acquire(sym_outlock **out, const char *path);

/** Release and remove the lock; NULL-safe. */
void sym_outlock_release(sym_outlock *l);

/**
 * 1 if @p path is named like a temporary file of sym_outfile_prepare
 * (".NAME.PID.tmp"): the output it was to become into @p final, its maker's
 * process id into @p pid.
 */
int sym_outfile_temporary(char *final, size_t n, long *pid, const char *path);

/** 1 if @p a and @p b exist and are the same file (device and inode). */
int sym_same_file(const char *a, const char *b);
/**
 * Open an existing file for writing (resume).  Errors name the file.
 */
int sym_h5_open_rw(sym_h5 **out, const char *path);
/** Flush and close; NULL-safe.  Returns the first error met. */
int sym_h5_close(sym_h5 *f);
/** Flush HDF5's buffers to the operating system. */
int sym_h5_flush(sym_h5 *f);
/** Flush, then fsync: the data survive a crash of the node, not only of the process. */
int sym_h5_sync(sym_h5 *f);

/** String (variable-length UTF-8, the one string type of every attribute) / integer /
 *  double attribute on the object at @p obj ("/" for the root). */
int sym_h5_attr_string(sym_h5 *f, const char *obj, const char *name, const char *value);
int sym_h5_attr_int(sym_h5 *f, const char *obj, const char *name, long long value);
int sym_h5_attr_double(sym_h5 *f, const char *obj, const char *name, double value);
/** An attribute of @p n values (a one-dimensional array) of @p type: SYM_H5_INT64 (int64_t),
 *  SYM_H5_DOUBLE (double) or SYM_H5_STRING (const char *), replacing one of that name. */
int sym_h5_attr_array(sym_h5 *f, const char *obj, const char *name, sym_h5_type type, int n,
                      const void *values);
/** The group at @p path, created with its parents when nothing is there. */
int sym_h5_ensure_group(sym_h5 *f, const char *path);

/**
 * Create a dataset (and its parent groups) of @p rank dimensions, chunked by
 * rows of the first dimension, with the attributes `long_name` (from the path:
 * sym_h5_long_name), `description`, and `units` (@p units; when NULL "1" for numbers:
 * dimensionless; "" for none, as for identifiers); the status enum gets CF's `flag_values` and
 * `flag_meanings`.  Storage is allocated and filled at creation, so that later
 * writes of fixed-size data change raw bytes only, never the file's
 * metadata: a process killed while writing leaves a file that opens.
 * SYM_H5_TEXT writes take `const char *const *` (truncated to the length).
 */
int sym_h5_dataset(sym_h5 *f, const char *path, sym_h5_type type, int rank,
                   const long long *dims, const char *description, const char *units);
/**
 * Write rows [row0, row0 + nrows) of a dataset from a packed buffer (all
 * trailing dimensions).  SYM_H5_STRING takes `const char *const *`.
 */
int sym_h5_write_rows(sym_h5 *f, const char *path, long long row0, long long nrows,
                      const void *data);
/** Rows of an int64 dataset from int64 values (converted if an older file holds float64). */
int sym_h5_write_int64_rows(sym_h5 *f, const char *path, long long row0, long long nrows,
                            const int64_t *data);
/** CF's `_FillValue` (-1) on an int64 dataset whose rows may stay unwritten (missing). */
int sym_h5_fill_attr(sym_h5 *f, const char *path);
/** The CF `long_name` of the dataset at @p path ("/runs/metrics/hessian_gap" -> "hessian gap"). */
void sym_h5_long_name(char *out, size_t n, const char *path);
/** Make @p scale (a 1-D dataset) a dimension scale named @p label and attach it to dim @p dim. */
int sym_h5_attach_scale(sym_h5 *f, const char *dset, int dim, const char *scale,
                        const char *label);

/**
 * Create /run (0 .. n_runs - 1), make it the dimension scale "run", and attach
 * it to the first dimension of every dataset with n_runs rows that is not a
 * scale itself: netCDF tools (xarray's h5netcdf engine) then name the runs.
 */
int sym_h5_run_scale(sym_h5 *f, long long n_runs);
/** An int64 dataset [@p n] holding 0 .. n - 1 without units: an index axis, to be a dimension
 *  scale (/run, /config/grid_point, a dimension's <name>_dim<k>). */
int sym_h5_index_dataset(sym_h5 *f, const char *path, long long n, const char *desc);

/* ---- declared datasets (schema.h) ---- */

/** Create the declared datasets ([n_runs, dims...] per run), write the axes and the attributes. */
int sym_h5_schema_create(sym_h5 *f, const sym_schema *s, long long n_runs);
/** Attach the declared dimension scales (after every dataset they name exists). */
int sym_h5_schema_scales(sym_h5 *f, const sym_schema *s);

/** One run's values for sym_h5_schema_rows: NULL where it has none (NaN rows). */
typedef struct sym_schema_row {
    const double *measures;
    const double *pieces; /**< its pieces, @p piece_size doubles apart */
} sym_schema_row;

/** Rows [row0, row0 + m) of every declared per-run dataset, one write each. */
int sym_h5_schema_rows(sym_h5 *f, const sym_schema *s, long long row0, int m,
                       const sym_schema_row *rows, size_t piece_size);

/**
 * Shape of a 2-D (or 1-D: cols = 1) float dataset in another file, for
 * validating user data before any work starts.  Errors name the file and
 * the dataset.
 */
int sym_h5_matrix_shape(int *rows, int *cols, const char *file, const char *dset);

/**
 * Read a dataset as sym_h5_matrix_shape accepts it, a block of rows at a time
 * (about 1 MiB of memory whatever its size), and fail (SYM_EJOB) at the first
 * NaN or infinity, naming its row and column.
 */
int sym_h5_check_finite(const char *file, const char *dset);
/** Read a 2-D (or 1-D) numeric dataset as float64 into a new buffer [rows x cols]. */
int sym_h5_read_matrix(double **out, int *rows, int *cols, const char *file, const char *dset);

/* ---- reading a symsweep file back (summary, resume) ---- */

/** Open an existing file read-only; errors name the file. */
int sym_h5_open_read(sym_h5 **out, const char *path);
/** 1 if the object exists, 0 if not. */
int sym_h5_exists(sym_h5 *f, const char *path);
/** Names of the members of a group, sorted; *out is an array of n owned strings (free both). */
int sym_h5_list(char ***out, int *n, sym_h5 *f, const char *group);
/** Length of a 1-D dataset. */
int sym_h5_length(long long *n, sym_h5 *f, const char *path);
/** Whether a dataset holds strings. */
int sym_h5_is_string(sym_h5 *f, const char *path);
/** Read a whole 1-D numeric dataset as double / int64 (enum values as their integers). */
/** A 1-D dataset as doubles; an integer dataset's _FillValue (-1: no value) reads as NaN (CF). */
int sym_h5_read_doubles(double *out, sym_h5 *f, const char *path, long long n);
int sym_h5_read_int64(int64_t *out, sym_h5 *f, const char *path, long long n);
/** Read a 1-D string dataset: out[i] owned by the caller (free each). */
int sym_h5_read_strings(char **out, sym_h5 *f, const char *path, long long n);
/**
 * Read every dataset of @p f (but variable-length strings) in full, so that
 * every chunk's checksum is checked, check every chunk index (all chunks of
 * the extent at their positions, filters applied) and the file's seal (the
 * SHA-256 of every path, attribute and variable-length string, if the file
 * has one): SYM_ECORRUPT naming the first dataset whose bytes changed after
 * they were written, or the seal.  @p n_checked: datasets read.
 */
int sym_h5_verify(int *n_checked, sym_h5 *f);
/**
 * Check that @p f is a symsweep output file of layout @p format_version:
 * format_version and job_sha256 attributes, /runs/status a list of integers,
 * every dataset allocated in full and, but for dimension scales, one row per
 * run.  SYM_ECORRUPT names what is wrong.  @p n_runs: the number of runs.
 */
int sym_h5_check_layout(long long *n_runs, sym_h5 *f, int format_version);

/** /runs/status (@p n runs); a value that is not a status is SYM_ECORRUPT. */
int sym_h5_read_status(int64_t *out, sym_h5 *f, long long n);

/** The HDF5 library's version, and whether it is a parallel build. */
const char *sym_h5_library_version(void);

/** A string attribute (owned copy). */
int sym_h5_attr_read_string(char **out, sym_h5 *f, const char *obj, const char *name);
/** 1 if @p obj has the attribute @p name, 0 if not (or if it cannot be told). */
int sym_h5_attr_exists(sym_h5 *f, const char *obj, const char *name);

/** Paths of every dataset below @p group (recursively), sorted; owned strings. */
int sym_h5_list_datasets(char ***out, int *n, sym_h5 *f, const char *group);
/** Free a list of @p n names from sym_h5_list or sym_h5_list_datasets (NULL-safe). */
void sym_h5_list_free(char **names, int n);
/** Rank, dimensions and bytes per element (in the native type) of a dataset. */
int sym_h5_dataset_shape(int *rank, long long *dims, size_t *elem, sym_h5 *f, const char *path);
/** Rows [row0, row0 + n) of a dataset of fixed-size elements, as raw native bytes. */
int sym_h5_read_block(void *buf, sym_h5 *f, const char *path, long long row0, long long n);
int sym_h5_write_block(sym_h5 *f, const char *path, long long row0, long long n, const void *buf);

/**
 * Print the progress of a sweep from its file (counts) and the OUT.h5.progress
 * file rank 0 rewrites at each checkpoint (rate, ETA).  Safe while the sweep
 * runs if HDF5 file locking is off (HDF5_USE_FILE_LOCKING=FALSE): the writer
 * changes only data bytes after creation.
 */
int sym_status_print(FILE *out, const char *path);

/**
 * Merge shard files of one sweep into @p out_path (see src/io/merge.c).
 * Returns the number of runs still pending (0: complete), or < 0 on error;
 * refuses shards of different jobs and overlapping shards (SYM_EJOB).
 */
int sym_merge(FILE *report, const char *out_path, const char *const *shards, int n_shards, int force);

/**
 * Print the summary of a symsweep output file: status counts and, for every
 * /runs/metrics dataset, per group the number of done runs, mean, 95%
 * t-interval half-width and standard deviation.  Groups: the comma-separated
 * /grid columns in @p by, or (NULL) the sweep axes, i.e. one group per
 * configuration.  @p csv: one machine-readable row per (group, metric).
 * Reads only /grid, /runs/status and /runs/metrics (never weights), after,
 * with @p verify, every chunk's checksum and the seal, whatever locks the file
 * (`run`, which has just written it, passes 0).  While a writer may be active
 * (the file locked, or PATH.progress saying running) a mismatch is read again
 * for 0.7 s before it counts as corruption.
 */
int sym_summary_print(FILE *out, const char *path, const char *by, int csv, int verify);

/* ---- IDX files (MNIST format), src/io/idx.c ---- */

#define SYM_IDX_MAX_DIMS 3

/** An IDX file of unsigned bytes: dims[0] x ... x dims[ndim-1] values, row-major. */
typedef struct sym_idx {
    int ndim;
    long long dims[SYM_IDX_MAX_DIMS];
    long long count;     /**< the product of the sizes */
    unsigned char *data; /**< [count] (owned; NULL after sym_idx_read_header) */
} sym_idx;

/**
 * Read an IDX file of unsigned bytes (type code 0x08) with @p ndim dimensions (3: images
 * [n, rows, columns]; 1: labels [n]), gzip-compressed or not (told by its first bytes).
 * @return 0, or SYM_EIO with a one-line message naming @p file: not found, a bad magic
 *   number, another type code, another number of dimensions, a size 0, a truncated file or
 *   one longer than its header says; SYM_ENOMEM.  @p out owns its data (sym_idx_dispose).
 */
int sym_idx_read(sym_idx *out, const char *file, int ndim);
/** The header only (sizes, no values): the checks of sym_idx_read but the length's. */
int sym_idx_read_header(sym_idx *out, const char *file, int ndim);
void sym_idx_dispose(sym_idx *x);

#ifdef __cplusplus
}
#endif
#endif
