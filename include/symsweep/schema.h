/**
 * @file schema.h
 * @brief Declared datasets: what a probe (or any module) writes to the output
 *        file, as data.  The io layer's writer (sym_h5_schema_create,
 *        sym_h5_schema_rows) turns the declarations into datasets, dimension
 *        scales and attributes; nothing else names a probe's paths.
 *
 * A per-run dataset has a first dimension of runs and up to three more; its
 * row for one run is read from that run's values: the run's measures (the
 * probe's slice of them) or its probe pieces.  An axis dataset holds fixed
 * values (a grid of t, a direction number) and serves as a dimension scale.
 */
#ifndef SYMSWEEP_SCHEMA_H
#define SYMSWEEP_SCHEMA_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core) */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_CORE)
#error "symsweep/schema.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYM_SCHEMA_PATH 128
#define SYM_SCHEMA_TEXT 1024

typedef enum sym_schema_source {
    SYM_SCHEMA_MEASURES = 0, /**< per run: value x is measures[off + x * stride] */
    SYM_SCHEMA_PIECES,       /**< per run: [pieces x len], value (p, x) is piece p's [off + x] */
    SYM_SCHEMA_AXIS          /**< fixed values, no run dimension (a dimension scale) */
} sym_schema_source;

typedef enum sym_schema_dtype { SYM_SCHEMA_F64 = 0, SYM_SCHEMA_I64 } sym_schema_dtype;

/** One dataset. */
typedef struct sym_schema_dataset {
    char path[SYM_SCHEMA_PATH];
    char desc[SYM_SCHEMA_TEXT];
    const char *units;           /**< NULL: none */
    sym_schema_source source;
    sym_schema_dtype dtype;      /**< F64, or I64 for integer quantities (per run: -1 where none) */
    int rank;                    /**< dimensions after the run dimension (AXIS: of the dataset), 0..3 */
    long long dims[3];
    size_t off, stride;          /**< where its values sit (stride 0 means 1) */
    int first_piece;             /**< PIECES: the first of its dims[0] pieces */
    const double *values;        /**< AXIS: dims[0] values (owned by the declarer) */
    const char *const *labels;   /**< AXIS of strings: dims[0] labels (owned by the declarer) */
    int view;                    /**< a metric that views a value of dataset view - 1; 0: none */
    size_t view_element;         /**< ... its element (row-major, within that dataset's run row) */
    /** dimension scales of the dimensions after the run one: a path or NULL, and its label */
    const char *scale[3];
    const char *scale_label[3];
} sym_schema_dataset;

typedef enum sym_schema_attr_type {
    SYM_SCHEMA_ATTR_STRING = 0,
    SYM_SCHEMA_ATTR_INT,
    SYM_SCHEMA_ATTR_DOUBLE,
    SYM_SCHEMA_ATTR_STRINGS, /**< n strings, one after the other in text, each ended by '\0' */
    SYM_SCHEMA_ATTR_INTS,    /**< n int64 (exact as doubles) in v */
    SYM_SCHEMA_ATTR_DOUBLES  /**< n float64 in v */
} sym_schema_attr_type;

/** The most values of an array attribute. */
#define SYM_SCHEMA_ATTR_VALUES 64

/** One attribute of a declared dataset or group. */
typedef struct sym_schema_attr {
    char path[SYM_SCHEMA_PATH];
    char name[64];
    sym_schema_attr_type type;
    char text[SYM_SCHEMA_TEXT];
    long long i;
    double d;
    int n;                          /**< arrays: their length */
    double v[SYM_SCHEMA_ATTR_VALUES];
} sym_schema_attr;

/** The declarations of one output file (or of one probe's part of it). */
typedef struct sym_schema {
    sym_schema_dataset *ds;
    int n_ds, cap_ds;
    sym_schema_attr *attrs;
    int n_attrs, cap_attrs;
    size_t len;       /**< values of the measures declared (the owner's slice, in order) */
    size_t piece_len; /**< values of each piece declared (a piece's size, in order) */
    size_t base;      /**< sym_schema_measure_at: added to the offsets declared from now on */
    int piece_base;   /**< sym_schema_pieces_at: the first piece of datasets declared from now on */
    int failed;  /**< an allocation failed: sym_schema_check reports it */
} sym_schema;

/**
 * Declare a per-run dataset of values in the measures: @p rank dimensions after the run one
 * (0: one value per run), @p dims their sizes.  The schema places it: its values follow the
 * ones declared before it, contiguous and row-major, from `s->len` on (the declaration's
 * `off`, sym_schema_at), and the slice grows by their number.  A probe declares in its
 * `layout` hook and keeps the offsets for its work.  The description is printf-formatted.
 * Returns the declaration, to add scales or units to (valid until the next declaration), or
 * NULL when out of memory (remembered: sym_schema_check).
 */
sym_schema_dataset *sym_schema_measure(sym_schema *s, const char *path, int rank,
                                       const long long *dims, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/**
 * A per-run dataset [pieces x ...] of values of every probe piece: dims[0] is the number of
 * pieces, and each piece's values (the product of the other dims) follow the ones declared
 * before them in the piece (from `s->piece_len` on; sym_schema_at).
 */
sym_schema_dataset *sym_schema_pieces(sym_schema *s, const char *path, int rank,
                                      const long long *dims, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/**
 * A run metric (one value per run, under /runs/metrics/) that is element @p element
 * (row-major) of the run's row of the measure dataset @p of, declared before: one value,
 * two names, no room of its own.  sym_schema_check_slice refuses an element outside @p of.
 */
sym_schema_dataset *sym_schema_metric(sym_schema *s, const char *path, const char *of, size_t element,
                                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** Room for @p n values of the measures (pieces: @p pieces 1, of each piece) that the owner
 *  keeps and no dataset writes (what `reduce` folds, say); returns their offset. */
size_t sym_schema_reserve(sym_schema *s, int pieces, size_t n);
/** Where the values of @p d start (its offset in the slice, or in each piece); 0 for NULL. */
size_t sym_schema_at(const sym_schema_dataset *d);
/**
 * Placement by hand, for the host that gathers the probes' declarations into a file's and for
 * tests of sym_schema_check_slice: @p off (plus `s->base`) and @p stride (0: 1) as given, the
 * slice's length untouched.  A probe declares with sym_schema_measure.
 */
sym_schema_dataset *sym_schema_measure_at(sym_schema *s, const char *path, int rank,
                                          const long long *dims, size_t off, size_t stride,
                                          const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/** ... and a dataset of pieces at @p off of each piece, its first piece `s->piece_base`. */
sym_schema_dataset *sym_schema_pieces_at(sym_schema *s, const char *path, int rank,
                                         const long long *dims, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/** An axis: @p n fixed values (kept by pointer) of type @p dtype, no run dimension. */
sym_schema_dataset *sym_schema_axis(sym_schema *s, const char *path, sym_schema_dtype dtype, int n,
                                    const double *values, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/**
 * An axis of @p n labels (kept by pointer, as are the strings): a dimension scale of strings
 * for a categorical dimension (a family, a side, a norm), which netCDF tools read as a string
 * coordinate.
 */
sym_schema_dataset *sym_schema_labels(sym_schema *s, const char *path, int n, const char *const *labels,
                                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** Make @p d (NULL-safe) a dataset of integers: counts, dimensions, ranks, flags.  Its values
 *  are the same doubles; the writer stores them as int64, with -1 (its _FillValue) for NaN. */
sym_schema_dataset *sym_schema_int(sym_schema_dataset *d);
/** Attach the axis at @p scale_path, labelled @p label, to dimension @p dim (1-based after runs) of @p d. */
void sym_schema_scale(sym_schema_dataset *d, int dim, const char *scale_path, const char *label);
void sym_schema_attr_string(sym_schema *s, const char *path, const char *name, const char *value);
void sym_schema_attr_int(sym_schema *s, const char *path, const char *name, long long value);
void sym_schema_attr_double(sym_schema *s, const char *path, const char *name, double value);
/** Array attributes of @p n values (at most SYM_SCHEMA_ATTR_VALUES, and strings that fit in
 *  SYM_SCHEMA_TEXT bytes together; more is a declaration that failed: sym_schema_check). */
void sym_schema_attr_strings(sym_schema *s, const char *path, const char *name,
                             const char *const *values, int n);
void sym_schema_attr_ints(sym_schema *s, const char *path, const char *name, const long long *values,
                          int n);
void sym_schema_attr_doubles(sym_schema *s, const char *path, const char *name, const double *values,
                             int n);
/** 1 if @p a and @p b have the same type and value (bit for bit), else 0. */
int sym_schema_attr_same(const sym_schema_attr *a, const sym_schema_attr *b);
/** Make @p a a string attribute holding the printf-formatted text. */
void sym_schema_attr_varies(sym_schema_attr *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/**
 * Append @p from's datasets and attributes to @p s: its measures moved by @p off (a probe's
 * declarations, placed in its slice, into the file's), its pieces by @p first_piece.
 * 0 or SYM_ENOMEM.
 */
int sym_schema_append(sym_schema *s, const sym_schema *from, size_t off, int first_piece);
/** The declaration at @p path, or NULL. */
const sym_schema_dataset *sym_schema_find(const sym_schema *s, const char *path);
/** 0, or SYM_ENOMEM when a declaration could not be stored. */
int sym_schema_check(const sym_schema *s);
/**
 * Check the datasets declared from @p first_ds on, all of @p owner (a probe): every measure
 * they read lies in [@p off, @p off + @p len), every piece value below @p piece_len, every
 * metric view inside the dataset it views, their
 * pieces are the owner's @p n_pieces from @p first_piece, and no value is read by two of them
 * (a /runs/metrics/ dataset may read a value another dataset holds: metrics are views; two
 * metrics may not).  Returns 0, or SYM_EINVAL naming the datasets (a probe bug), SYM_ENOMEM.
 */
int sym_schema_check_slice(const sym_schema *s, int first_ds, const char *owner, size_t off,
                           size_t len, int first_piece, int n_pieces, size_t piece_len);
void sym_schema_dispose(sym_schema *s);

#ifdef __cplusplus
}
#endif
#endif
