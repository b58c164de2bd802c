/*
 * The HDF5 wrapper's inside, shared by h5.c (files, writing) and h5_read.c
 * (reading, checks).  Private to src/io.
 */
#ifndef SYMSWEEP_H5_IMPL_H
#define SYMSWEEP_H5_IMPL_H

#include "symsweep/io.h"

#include <hdf5.h>

struct sym_h5 {
    hid_t file;
    hid_t status_type;
    char path[1024];
    char tmp[1100]; /* a created file not yet committed: its temporary name */
    int replace;    /* created with force: the commit may replace an old file */
    int seal_dirty;  /* names, attributes or strings changed since the seal was written */
};

/* the root group's comment that seals a file (sym_h5i_seal_digest) */
#define SYM_H5_SEAL_PREFIX "symsweep-seal-sha256 "


typedef struct h5_stack {
    char inner[512];
    char all[2048];
} h5_stack;

/** A failed HDF5 call @p what at file:line: HDF5's innermost message (or corruption) as a symsweep error. */
int sym_h5i_fail(const char *file, int line, const char *what);

/* every HDF5 call: a negative result becomes a symsweep error, then cleanup */
#define H5CHK(expr)                                                      \
    do {                                                                 \
        if ((expr) < 0) {                                                \
            rc = sym_h5i_fail(__FILE__, __LINE__, #expr);                    \
            goto cleanup;                                                \
        }                                                                \
    } while (0)

/** HDF5's error stack into @p st (innermost message on one line), then cleared. */
void sym_h5i_take_stack(h5_stack *st);
/** Silence HDF5's automatic error printing (once). */
void sym_h5i_quiet(void);
/** The error of a checksum mismatch in dataset @p dset of @p f. */
void sym_h5i_name_corruption(const sym_h5 *f, const char *dset);
/** A plain message for a directory, an empty or a foreign file, before HDF5 sees it. */
int sym_h5i_check_signature(const char *path, const char *what);
/** Refuse external and soft links (a file must not read outside itself). */
int sym_h5i_check_links(sym_h5 *f);
/**
 * The seal of @p f: the SHA-256 (hex) of what no HDF5 checksum covers in the
 * 1.8 format, i.e. every object's path, every attribute's name and value, and
 * the values of variable-length string datasets (the global heap and the
 * fractal heaps of dense groups and attributes have no checksum; chunks have
 * Fletcher-32, object headers and the superblock their own).  Written as the
 * root group's comment (an object-header message, so itself checksummed, and
 * not an attribute: h5py's view of the file is unchanged).
 */
int sym_h5i_seal_digest(char out[65], sym_h5 *f);
/** Variable-length UTF-8 strings. */
hid_t sym_h5i_str_type(void);
/** Read (or with @p write, write) rows [row0, row0 + n) of a dataset, all trailing dimensions. */
int sym_h5i_block_io(sym_h5 *f, const char *path, long long row0, long long n, void *buf, int write);
/* the same in memory type @p mem (converted to the dataset's type), or the
 * dataset's own native type when mem < 0 */
int sym_h5i_block_io_as(sym_h5 *f, const char *path, long long row0, long long n, void *buf,
                        int write, hid_t mem);

#endif
