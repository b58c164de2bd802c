/*
 * HDF5 wrapper, the input matrices: a dataset of a user's file (data: {kind: hdf5}, model.init)
 * checked where it keeps its values, its shape, its finiteness, and read whole.
 */
#include "h5_impl.h"

#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the most of an input dataset decompressed at a time: one band of chunks (chunk rows x every
 * column, as float64), larger ones are refused (check_storage) */
#define SYM_H5_MAX_CHUNK_BAND (64u << 20)

/*
 * Where a dataset of an input file (user data, model.init) keeps its values, before any is
 * read.  Refused: values in another file (external raw storage, a virtual dataset, a dataset
 * reached through an external link), which no digest of the input file covers and which can
 * be any readable file; and chunks so large that reading them is unbounded work (a filter
 * decompresses a whole chunk to read one value of it: a 1 MB gzip file can hold 2,000,000-row
 * chunks).  *band_rows: rows of one chunk (0 unless chunked), so that a reader that takes
 * whole bands of chunks decompresses each chunk once.
 */
static int check_storage(hsize_t *band_rows, hid_t fh, hid_t dh, const char *file, const char *dset)
{
    hid_t dcpl = -1, ft = -1, sp = -1, df = -1;
    hsize_t dims[8] = {0}, cd[8] = {0};
    char here[1100] = "", there[1100] = "";
    int rc = 0, rank, n_ext;

    *band_rows = 0;
    H5CHK(df = H5Iget_file_id(dh));
    if (H5Fget_name(fh, here, sizeof(here)) < 0 || H5Fget_name(df, there, sizeof(there)) < 0 ||
        strcmp(here, there) != 0)
        SYM_FAIL(SYM_EJOB, "%s: dataset '%s' is an external link to %s: expected its values in "
                 "%s itself", file, dset, there[0] ? there : "another file", file);
    H5CHK(dcpl = H5Dget_create_plist(dh));
    if (H5Pget_layout(dcpl) == H5D_VIRTUAL)
        SYM_FAIL(SYM_EJOB, "%s: dataset '%s' is a virtual dataset (its values live in other "
                 "files): expected its values in %s itself", file, dset, file);
    H5CHK(n_ext = H5Pget_external_count(dcpl));
    if (n_ext > 0) {
        char name[256] = "";
        off_t off = 0;
        hsize_t size = 0;

        if (H5Pget_external(dcpl, 0, sizeof(name), name, &off, &size) < 0)
            H5Eclear2(H5E_DEFAULT);
        name[sizeof(name) - 1] = '\0';
        SYM_FAIL(SYM_EJOB, "%s: dataset '%s' keeps its values in an external file ('%s'%s): "
                 "expected its values in %s itself", file, dset, name,
                 n_ext > 1 ? " and others" : "", file);
    }
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
        /* one band of chunks (chunk rows x every column), as float64 or wider: the memory a
         * band takes when read, and the work of decompressing it */
        const double limit = (double)SYM_H5_MAX_CHUNK_BAND;
        double band, ncc;
        size_t elem;

        H5CHK(sp = H5Dget_space(dh));
        H5CHK(rank = H5Sget_simple_extent_dims(sp, dims, NULL));
        if (rank < 1 || rank > 8 || H5Pget_chunk(dcpl, rank, cd) != rank)
            SYM_FAIL(SYM_EJOB, "%s: dataset '%s': cannot read its chunk shape", file, dset);
        H5CHK(ft = H5Dget_type(dh));
        elem = H5Tget_size(ft);
        band = (double)cd[0] * (double)(elem > 8 ? elem : 8);
        for (int i = 1; i < rank; i++) {
            ncc = cd[i] ? ceil((double)dims[i] / (double)cd[i]) : 1.0;
            band *= (double)cd[i] * (ncc > 1.0 ? ncc : 1.0);
        }
        if (band > limit) {
            /* about 1 MiB per chunk, every column in it */
            char hint[64];
            hsize_t c1 = rank > 1 ? dims[1] : 1, r1 = c1 < 131072 ? 131072 / c1 : 1;

            if (rank > 1)
                snprintf(hint, sizeof(hint), "%llux%llu", (unsigned long long)r1, (unsigned long long)c1);
            else
                snprintf(hint, sizeof(hint), "%llu", (unsigned long long)r1);
            SYM_FAIL(SYM_EJOB, "%s: dataset '%s' is stored in chunks of %llu rows: a band of them "
                     "holds %.0f MiB uncompressed, more than the %.0f MiB symsweep reads at a "
                     "time; rewrite it with smaller chunks (h5repack -l %s:CHUNK=%s)",
                     file, dset, (unsigned long long)cd[0], band / (1 << 20), limit / (1 << 20),
                     dset, hint);
        }
        *band_rows = cd[0];
    }
cleanup:
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (df >= 0) H5Fclose(df);
    return rc;
}

static int open_matrix(hid_t *fh, hid_t *dh, int *rows, int *cols, const char *file,
                       const char *dset, hsize_t *band_rows)
{
    hid_t sp = -1;
    hsize_t dims[2] = {0, 1};
    int rc = 0, rank;
    htri_t ok;

    sym_h5i_quiet();
    *fh = *dh = -1;
    if (access(file, R_OK) != 0)
        SYM_FAIL(SYM_EIO, "%s: data file does not exist or is not readable", file);
    SYM_TRY(sym_h5i_check_signature(file, "data file"));
    *fh = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*fh < 0) {
        H5Eclear2(H5E_DEFAULT);
        SYM_FAIL(SYM_EIO, "%s: cannot open as HDF5", file);
    }
    ok = H5Lexists(*fh, dset, H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    if (ok <= 0)
        SYM_FAIL(SYM_EIO, "%s: no dataset '%s'", file, dset);
    *dh = H5Dopen2(*fh, dset, H5P_DEFAULT);
    if (*dh < 0) {
        H5Eclear2(H5E_DEFAULT);
        SYM_FAIL(SYM_EIO, "%s: '%s' is not a dataset", file, dset);
    }
    {
        hid_t t = H5Dget_type(*dh);
        H5T_class_t c = H5Tget_class(t);

        H5Tclose(t);
        if (c != H5T_FLOAT && c != H5T_INTEGER)
            SYM_FAIL(SYM_EIO, "%s: dataset '%s' is not numeric", file, dset);
    }
    H5CHK(sp = H5Dget_space(*dh));
    rank = H5Sget_simple_extent_ndims(sp);
    if (rank != 1 && rank != 2)
        SYM_FAIL(SYM_EIO, "%s: dataset '%s' has %d dimensions: expected [samples, features] or [samples]",
                 file, dset, rank);
    H5CHK(H5Sget_simple_extent_dims(sp, dims, NULL));
    if (dims[0] < 1 || dims[1] < 1 || dims[0] > 1u << 30 || dims[1] > 1u << 20)
        SYM_FAIL(SYM_EIO, "%s: dataset '%s' has shape [%llu, %llu]: expected a non-empty matrix",
                 file, dset, (unsigned long long)dims[0], (unsigned long long)dims[1]);
    *rows = (int)dims[0];
    *cols = (int)dims[1];
    SYM_TRY(check_storage(band_rows, *fh, *dh, file, dset));
cleanup:
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

int sym_h5_matrix_shape(int *rows, int *cols, const char *file, const char *dset)
{
    hid_t fh, dh;
    hsize_t band;
    int rc = open_matrix(&fh, &dh, rows, cols, file, dset, &band);

    if (dh >= 0) H5Dclose(dh);
    if (fh >= 0) H5Fclose(fh);
    return rc;
}

int sym_h5_check_finite(const char *file, const char *dset)
{
    hid_t fh = -1, dh = -1, fs = -1, ms = -1;
    double *buf = NULL;
    int rc = 0, rows, cols, rank;
    hsize_t block, band = 0;

    SYM_TRY(open_matrix(&fh, &dh, &rows, &cols, file, dset, &band));
    /* rows in blocks of about 1 MiB: memory stays bounded whatever the data's size; of
     * chunked data, whole bands of chunks (at most SYM_H5_MAX_CHUNK_BAND, checked above), so
     * that each chunk is decompressed once, not once per block that touches it */
    block = (hsize_t)(131072 / cols > 0 ? 131072 / cols : 1);
    if (band > 0)
        block = block > band ? block / band * band : band;
    if (block > (hsize_t)rows)
        block = (hsize_t)rows;
    SYM_TRY(sym_alloc_doubles(&buf, (size_t)block * (size_t)cols));
    H5CHK(fs = H5Dget_space(dh));
    rank = H5Sget_simple_extent_ndims(fs);
    for (hsize_t r0 = 0; r0 < (hsize_t)rows; r0 += block) {
        hsize_t m = (hsize_t)rows - r0 < block ? (hsize_t)rows - r0 : block;
        hsize_t start[2] = {r0, 0}, count[2] = {m, (hsize_t)cols};

        H5CHK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
        H5CHK(ms = H5Screate_simple(rank, count, NULL));
        H5CHK(H5Dread(dh, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf));
        H5Sclose(ms);
        ms = -1;
        for (size_t i = 0; i < (size_t)m * (size_t)cols; i++)
            if (!isfinite(buf[i]))
                SYM_FAIL(SYM_EJOB, "%s: dataset '%s' has a non-finite value (%g) at row %llu, column %zu",
                         file, dset, buf[i], (unsigned long long)(r0 + i / (size_t)cols),
                         i % (size_t)cols);
    }
cleanup:
    free(buf);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (dh >= 0) H5Dclose(dh);
    if (fh >= 0) H5Fclose(fh);
    return rc;
}

int sym_h5_read_matrix(double **out, int *rows, int *cols, const char *file, const char *dset)
{
    hid_t fh = -1, dh = -1;
    double *buf = NULL;
    int rc = 0;
    hsize_t band;

    SYM_TRY(open_matrix(&fh, &dh, rows, cols, file, dset, &band));
    SYM_TRY(sym_alloc_doubles(&buf, (size_t)*rows * *cols));
    H5CHK(H5Dread(dh, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    for (size_t i = 0; i < (size_t)*rows * *cols; i++)
        if (!isfinite(buf[i]))
            SYM_FAIL(SYM_EIO, "%s: dataset '%s' has a non-finite value at row %zu, column %zu",
                     file, dset, i / (size_t)*cols, i % (size_t)*cols);
    *out = buf;
    buf = NULL;
cleanup:
    free(buf);
    if (dh >= 0) H5Dclose(dh);
    if (fh >= 0) H5Fclose(fh);
    return rc;
}
