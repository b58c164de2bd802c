/*
 * HDF5 wrapper, the reading side: opening for reading, listing, reading
 * datasets and attributes, raw blocks of rows (merging shards), and the
 * checks of an existing file (checksums, layout, statuses).
 */
#include "h5_impl.h"

#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* reading                                                            */
/* ------------------------------------------------------------------ */

int sym_h5_open_read(sym_h5 **out, const char *path)
{
    sym_h5 *f = NULL;
    int rc = 0;

    sym_h5i_quiet();
    if (access(path, R_OK) != 0)
        SYM_FAIL(SYM_EUSAGE, "%s: no such file, or not readable", path);
    SYM_TRY(sym_h5i_check_signature(path, "cannot read"));
    SYM_TRY(sym_alloc(&f, sizeof(*f)));
    f->status_type = -1;
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f->file < 0) {
        h5_stack st;

        sym_h5i_take_stack(&st);
        if (sym_outfile_locked(path))
            SYM_FAIL(SYM_EIO, "%s: another process has the file open for writing (a sweep still "
                              "running?): 'symsweep status' and 'summary' read it anyway", path);
        SYM_FAIL(SYM_EIO, "%s: HDF5 cannot open it: %s", path, st.inner);
    }
    SYM_TRY(sym_h5i_check_links(f));
    *out = f;
    f = NULL;
cleanup:
    if (f) {
        f->file = -1;
        sym_h5_close(f);
    }
    return rc;
}

int sym_h5_exists(sym_h5 *f, const char *path)
{
    /* check each component: H5Lexists fails on a missing intermediate group */
    char buf[512];
    size_t n = strlen(path);

    if (n >= sizeof(buf))
        return 0;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            htri_t e;

            buf[i] = '\0';
            e = H5Lexists(f->file, buf, H5P_DEFAULT);
            buf[i] = c;
            if (e <= 0) {
                H5Eclear2(H5E_DEFAULT);
                return 0;
            }
        }
    }
    return 1;
}

typedef struct name_list {
    char **v;
    int n, cap;
} name_list;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    name_list *l = data;

    (void)g;
    (void)info;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, sizeof(char *) * (size_t)cap);

        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = strdup(name);
    return l->v[l->n++] ? 0 : -1;
}

int sym_h5_list(char ***out, int *n, sym_h5 *f, const char *group)
{
    name_list l = {0};
    hid_t g = -1;
    int rc = 0;

    H5CHK(g = H5Gopen2(f->file, group, H5P_DEFAULT));
    H5CHK(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, &l));
    *out = l.v;
    *n = l.n;
    l.v = NULL;
    l.n = 0;
cleanup:
    for (int i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    if (g >= 0)
        H5Gclose(g);
    return rc;
}

static int open_1d(hid_t *d, long long *n, sym_h5 *f, const char *path)
{
    hid_t sp = -1;
    hsize_t dims[1];
    int rc = 0;

    *d = -1;
    if (!sym_h5_exists(f, path))
        SYM_FAIL(SYM_EIO, "%s: no dataset %s", f->path, path);
    H5CHK(*d = H5Dopen2(f->file, path, H5P_DEFAULT));
    H5CHK(sp = H5Dget_space(*d));
    if (H5Sget_simple_extent_ndims(sp) != 1)
        SYM_FAIL(SYM_EIO, "%s: %s is not one-dimensional", f->path, path);
    H5CHK(H5Sget_simple_extent_dims(sp, dims, NULL));
    *n = (long long)dims[0];
cleanup:
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

int sym_h5_length(long long *n, sym_h5 *f, const char *path)
{
    hid_t d;
    int rc = open_1d(&d, n, f, path);

    if (d >= 0)
        H5Dclose(d);
    return rc;
}

int sym_h5_is_string(sym_h5 *f, const char *path)
{
    hid_t d = H5Dopen2(f->file, path, H5P_DEFAULT), t;
    int s;

    if (d < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    t = H5Dget_type(d);
    s = H5Tget_class(t) == H5T_STRING;
    H5Tclose(t);
    H5Dclose(d);
    return s;
}

/* n values of a 1-D dataset in memory type mt; with @p keep, the dataset stays open there
 * (the caller closes it) */
static int read_1d_keep(void *out, hid_t mt, sym_h5 *f, const char *path, long long n, hid_t *keep)
{
    hid_t d = -1;
    long long len;
    int rc = 0;

    SYM_TRY(open_1d(&d, &len, f, path));
    if (len != n)
        SYM_FAIL(SYM_EIO, "%s: %s has %lld entries, expected %lld", f->path, path, len, n);
    H5CHK(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out));
    if (keep) {
        *keep = d;
        d = -1;
    }
cleanup:
    if (d >= 0)
        H5Dclose(d);
    if (rc == SYM_ECORRUPT)
        sym_h5i_name_corruption(f, path);
    return rc;
}

static int read_1d(void *out, hid_t mt, sym_h5 *f, const char *path, long long n)
{
    return read_1d_keep(out, mt, f, path, n, NULL);
}

int sym_h5_read_doubles(double *out, sym_h5 *f, const char *path, long long n)
{
    hid_t d = -1, t = -1, a = -1;
    int rc = 0;
    int64_t fill;

    SYM_TRY(read_1d_keep(out, H5T_NATIVE_DOUBLE, f, path, n, &d));
    /* CF decoding, as netCDF tools do: an integer dataset's _FillValue (-1: no value) is NaN */
    H5CHK(t = H5Dget_type(d));
    if (H5Tget_class(t) == H5T_INTEGER && H5Aexists(d, "_FillValue") > 0) {
        H5CHK(a = H5Aopen(d, "_FillValue", H5P_DEFAULT));
        H5CHK(H5Aread(a, H5T_NATIVE_INT64, &fill));
        for (long long i = 0; i < n; i++)
            if (out[i] == (double)fill)
                out[i] = NAN;
    }
cleanup:
    if (a >= 0) H5Aclose(a);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    return rc;
}

int sym_h5_read_int64(int64_t *out, sym_h5 *f, const char *path, long long n)
{
    hid_t d = -1, t = -1;
    int rc = 0;

    /* an enum reads through its integer base type */
    H5CHK(d = H5Dopen2(f->file, path, H5P_DEFAULT));
    H5CHK(t = H5Dget_type(d));
    if (H5Tget_class(t) == H5T_ENUM) {
        int8_t *tmp = NULL;

        SYM_TRY(sym_alloc(&tmp, (size_t)n + 1));
        rc = read_1d(tmp, H5T_NATIVE_INT8, f, path, n);
        for (long long i = 0; rc == 0 && i < n; i++)
            out[i] = tmp[i];
        free(tmp);
        if (rc)
            goto cleanup;
    } else {
        SYM_TRY(read_1d(out, H5T_NATIVE_INT64, f, path, n));
    }
cleanup:
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return rc;
}

int sym_h5_read_strings(char **out, sym_h5 *f, const char *path, long long n)
{
    hid_t t = sym_h5i_str_type();
    int rc = read_1d(out, t, f, path, n);

    H5Tclose(t);
    return rc;
}

int sym_h5_attr_exists(sym_h5 *f, const char *obj, const char *name)
{
    htri_t e = H5Aexists_by_name(f->file, obj, name, H5P_DEFAULT);

    if (e < 0)
        H5Eclear2(H5E_DEFAULT);
    return e > 0;
}

int sym_h5_attr_read_string(char **out, sym_h5 *f, const char *obj, const char *name)
{
    hid_t a = -1, t = sym_h5i_str_type();
    char *v = NULL;
    int rc = 0;

    if (H5Aexists_by_name(f->file, obj, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        SYM_FAIL(SYM_EIO, "%s: no attribute %s on %s", f->path, name, obj);
    }
    H5CHK(a = H5Aopen_by_name(f->file, obj, name, H5P_DEFAULT, H5P_DEFAULT));
    {
        hid_t at = H5Aget_type(a);
        int fixed = H5Tget_class(at) == H5T_STRING && !H5Tis_variable_str(at);
        size_t len = H5Tget_size(at);
        H5T_cset_t cset = H5Tget_cset(at); /* no conversion between character sets */

        H5Tclose(at);
        if (fixed) {
            char *buf = NULL;
            hid_t ft = H5Tcopy(H5T_C_S1);

            H5Tset_size(ft, len + 1);
            H5Tset_cset(ft, cset);
            rc = sym_alloc(&buf, len + 2);
            if (!rc && H5Aread(a, ft, buf) < 0)
                rc = sym_h5i_fail(__FILE__, __LINE__, "H5Aread");
            H5Tclose(ft);
            if (!rc)
                rc = sym_strdup(out, buf);
            free(buf);
            goto cleanup;
        }
    }
    H5CHK(H5Aread(a, t, &v));
    rc = sym_strdup(out, v ? v : "");
    H5free_memory(v);
cleanup:
    if (a >= 0)
        H5Aclose(a);
    H5Tclose(t);
    return rc;
}

/* ------------------------------------------------------------------ */
/* raw blocks of rows (merging shards)                                */
/* ------------------------------------------------------------------ */

typedef struct ds_list {
    name_list l;
    const char *prefix;
} ds_list;

static herr_t ds_cb(hid_t o, const char *name, const H5O_info_t *info, void *data)
{
    ds_list *d = data;
    char full[512];

    (void)o;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    snprintf(full, sizeof(full), "%s%s%s", d->prefix,
             d->prefix[0] && d->prefix[strlen(d->prefix) - 1] == '/' ? "" : "/", name);
    return list_cb(0, full, NULL, &d->l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sym_h5_list_free(char **names, int n)
{
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

int sym_h5_list_datasets(char ***out, int *n, sym_h5 *f, const char *group)
{
    ds_list d = {{0}, group};
    hid_t g = -1;
    int rc = 0;

    H5CHK(g = H5Gopen2(f->file, group, H5P_DEFAULT));
    H5CHK(H5Ovisit(g, H5_INDEX_NAME, H5_ITER_INC, ds_cb, &d));
    qsort(d.l.v, (size_t)d.l.n, sizeof(char *), cmp_str);
    *out = d.l.v;
    *n = d.l.n;
    d.l.v = NULL;
    d.l.n = 0;
cleanup:
    for (int i = 0; i < d.l.n; i++)
        free(d.l.v[i]);
    free(d.l.v);
    if (g >= 0)
        H5Gclose(g);
    return rc;
}

int sym_h5_dataset_shape(int *rank, long long *dims, size_t *elem, sym_h5 *f, const char *path)
{
    hid_t d = -1, sp = -1, ft = -1, nt = -1;
    hsize_t hd[8];
    int rc = 0;

    H5CHK(d = H5Dopen2(f->file, path, H5P_DEFAULT));
    H5CHK(sp = H5Dget_space(d));
    H5CHK(*rank = H5Sget_simple_extent_ndims(sp));
    if (*rank < 1 || *rank > 8)
        SYM_FAIL(SYM_EIO, "%s: %s has %d dimensions", f->path, path, *rank);
    H5CHK(H5Sget_simple_extent_dims(sp, hd, NULL));
    for (int i = 0; i < *rank; i++)
        dims[i] = (long long)hd[i];
    H5CHK(ft = H5Dget_type(d));
    if (H5Tis_variable_str(ft) > 0)
        SYM_FAIL(SYM_EIO, "%s: %s holds variable-length strings: no raw blocks", f->path, path);
    H5CHK(nt = H5Tget_native_type(ft, H5T_DIR_DEFAULT));
    *elem = H5Tget_size(nt);
cleanup:
    if (nt >= 0) H5Tclose(nt);
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return rc;
}

int sym_h5i_block_io(sym_h5 *f, const char *path, long long row0, long long n, void *buf, int write)
{
    return sym_h5i_block_io_as(f, path, row0, n, buf, write, -1);
}

int sym_h5i_block_io_as(sym_h5 *f, const char *path, long long row0, long long n, void *buf,
                        int write, hid_t mem)
{
    hid_t d = -1, fs = -1, ms = -1, ft = -1, nt = -1;
    hsize_t dims[8], start[8] = {0}, count[8];
    int rc = 0, rank;

    H5CHK(d = H5Dopen2(f->file, path, H5P_DEFAULT));
    H5CHK(fs = H5Dget_space(d));
    H5CHK(rank = H5Sget_simple_extent_ndims(fs));
    H5CHK(H5Sget_simple_extent_dims(fs, dims, NULL));
    if (row0 < 0 || n < 0 || (hsize_t)(row0 + n) > dims[0])
        SYM_FAIL(SYM_EINVAL, "%s: rows [%lld, %lld) outside [0, %llu)", path, row0, row0 + n,
                 (unsigned long long)dims[0]);
    for (int i = 0; i < rank; i++)
        count[i] = dims[i];
    start[0] = (hsize_t)row0;
    count[0] = (hsize_t)n;
    H5CHK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
    H5CHK(ms = H5Screate_simple(rank, count, NULL));
    H5CHK(ft = H5Dget_type(d));
    H5CHK(nt = mem >= 0 ? H5Tcopy(mem) : H5Tget_native_type(ft, H5T_DIR_DEFAULT));
    if (write)
        H5CHK(H5Dwrite(d, nt, ms, fs, H5P_DEFAULT, buf));
    else
        H5CHK(H5Dread(d, nt, ms, fs, H5P_DEFAULT, buf));
cleanup:
    if (rc == SYM_ECORRUPT)
        sym_h5i_name_corruption(f, path);
    if (nt >= 0) H5Tclose(nt);
    if (ft >= 0) H5Tclose(ft);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (d >= 0) H5Dclose(d);
    return rc;
}

int sym_h5_read_block(void *buf, sym_h5 *f, const char *path, long long row0, long long n)
{
    return sym_h5i_block_io(f, path, row0, n, buf, 0);
}

int sym_h5_write_block(sym_h5 *f, const char *path, long long row0, long long n, const void *buf)
{
    return sym_h5i_block_io(f, path, row0, n, (void *)buf, 1);
}

/* ------------------------------------------------------------------ */
/* the seal: what no HDF5 checksum covers                             */
/* ------------------------------------------------------------------ */

typedef struct seal_buf {
    unsigned char *p;
    size_t n, cap;
    int failed; /* an HDF5 call failed: the file cannot be read (corrupted) */
} seal_buf;

static void put(seal_buf *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 8 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        unsigned char *q;

        while (cap < b->n + n + 8)
            cap *= 2;
        q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    /* length first: "ab" + "c" and "a" + "bc" differ */
    {
        uint64_t len = n;

        memcpy(b->p + b->n, &len, 8);
        b->n += 8;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_str(seal_buf *b, const char *s)
{
    put(b, s ? s : "\xff(null)", s ? strlen(s) : 7);
}

static void vlen_free(hid_t mt, hid_t sp, void *buf)
{
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(mt, sp, H5P_DEFAULT, buf);
#else
    H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
#endif
}

/* @p np values of type @p t (file type) read by @p rd into the seal: strings by value,
 * variable-length sequences by length and bytes, everything else as its native bytes */
static int put_values(seal_buf *b, hid_t t, hid_t sp, hssize_t np, hid_t obj, int attr)
{
    hid_t mt = -1, base = -1;
    void *buf = NULL;
    int ok = 0, vstr = H5Tis_variable_str(t) > 0, vseq = H5Tget_class(t) == H5T_VLEN;
    size_t elem;

    if (np < 0)
        return -1;
    if (!vstr && !vseq && H5Tdetect_class(t, H5T_VLEN) > 0) {
        put_str(b, "(nested variable-length data)"); /* not symsweep's */
        return 0;
    }
    mt = vstr ? H5Tcopy(t) : H5Tget_native_type(t, H5T_DIR_ASCEND);
    if (mt < 0)
        return -1;
    elem = vstr ? sizeof(char *) : H5Tget_size(mt);
    buf = calloc((size_t)np + 1, elem ? elem : 1);
    if (!buf)
        goto done;
    if ((attr ? H5Aread(obj, mt, buf) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf)) < 0)
        goto done;
    if (vstr) {
        for (hssize_t i = 0; i < np; i++)
            put_str(b, ((char **)buf)[i]);
    } else if (vseq) {
        size_t be;

        if ((base = H5Tget_super(mt)) < 0)
            goto done;
        be = H5Tget_size(base);
        for (hssize_t i = 0; i < np; i++) {
            const hvl_t *v = &((hvl_t *)buf)[i];

            put(b, v->p, v->len * be);
        }
    } else {
        put(b, buf, (size_t)np * elem);
    }
    if (vstr || vseq)
        vlen_free(mt, sp, buf);
    ok = 1;
done:
    free(buf);
    if (base >= 0)
        H5Tclose(base);
    H5Tclose(mt);
    return ok ? 0 : -1;
}

static herr_t seal_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    seal_buf *b = data;
    hid_t a = -1, t = -1, sp = -1;
    herr_t ret = -1;

    (void)info;
    put_str(b, name);
    if ((a = H5Aopen(loc, name, H5P_DEFAULT)) >= 0 && (t = H5Aget_type(a)) >= 0 &&
        (sp = H5Aget_space(a)) >= 0)
        ret = put_values(b, t, sp, H5Sget_simple_extent_npoints(sp), a, 1);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (ret < 0)
        b->failed = 1;
    return ret;
}

static herr_t seal_obj_cb(hid_t g, const char *name, const H5O_info_t *info, void *data)
{
    seal_buf *b = data;
    hid_t o = -1, t = -1, sp = -1;
    int ok = 0;

    put_str(b, name);
    if ((o = H5Oopen(g, name, H5P_DEFAULT)) < 0)
        goto done;
    if (H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, NULL, seal_attr_cb, b) < 0)
        goto done;
    if (info->type == H5O_TYPE_DATASET) {
        /* variable-length strings: their chunks hold heap references, the values live in
         * the global heap (fixed-size data have Fletcher-32: sym_h5_verify reads them) */
        if ((t = H5Dget_type(o)) < 0 || (sp = H5Dget_space(o)) < 0)
            goto done;
        if (H5Tis_variable_str(t) > 0 && put_values(b, t, sp, H5Sget_simple_extent_npoints(sp), o, 0) < 0)
            goto done;
    }
    ok = 1;
done:
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (o >= 0) H5Oclose(o);
    if (!ok)
        b->failed = 1;
    return ok ? 0 : -1;
}

int sym_h5i_seal_digest(char out[65], sym_h5 *f)
{
    seal_buf b = {0};
    int rc = 0;

    if (H5Ovisit(f->file, H5_INDEX_NAME, H5_ITER_INC, seal_obj_cb, &b) < 0 || b.failed) {
        h5_stack st;

        sym_h5i_take_stack(&st);
        SYM_FAIL(SYM_ECORRUPT,
                 "%s: its names, attributes or text cannot be read (%s): the file is corrupted",
                 f->path, st.inner[0] ? st.inner : "out of memory");
    }
    sym_sha256_hex(out, b.p, b.n);
cleanup:
    free(b.p);
    return rc;
}

/* the seal written when the file was last changed, if any (files of symsweep before
 * 0.x, and of other writers, have none) */
static int check_seal(sym_h5 *f)
{
    char want[65], got[256] = "";
    ssize_t len;
    int rc = 0;

    /* every name, attribute and string is read even without a seal: a broken heap fails */
    SYM_TRY(sym_h5i_seal_digest(want, f));
    len = H5Oget_comment(f->file, got, sizeof(got));
    if (len < 0)
        SYM_FAIL(SYM_ECORRUPT, "%s: the root group's comment cannot be read: the file is corrupted",
                 f->path);
    if (strncmp(got, SYM_H5_SEAL_PREFIX, strlen(SYM_H5_SEAL_PREFIX)) != 0)
        goto cleanup; /* not sealed */
    if (strcmp(got + strlen(SYM_H5_SEAL_PREFIX), want) != 0)
        SYM_FAIL(SYM_ECORRUPT,
                 "%s: checksum mismatch of its names, attributes or text (/grid strings, "
                 "job_yaml, ...): the file is corrupted (bytes changed after they were written); "
                 "restore a good copy or recompute it (run --force)",
                 f->path);
cleanup:
    return rc;
}

/*
 * The chunk index of a chunked dataset (in the 1.8 format a version-1 B-tree,
 * which has no checksum): every chunk of the extent is there, at its own
 * offset, with every filter applied.  A changed key would otherwise move a
 * chunk out of the extent, and the dataset would read as its fill value.
 */
static int check_chunks(sym_h5 *f, const char *path)
{
    hid_t d = -1, dcpl = -1, sp = -1;
    hsize_t dims[8], chunk[8], off[8] = {0}, nchunks = 0, want = 1;
    int rc = 0, rank, nfilters;

    H5CHK(d = H5Dopen2(f->file, path, H5P_DEFAULT));
    H5CHK(dcpl = H5Dget_create_plist(d));
    if (H5Pget_layout(dcpl) != H5D_CHUNKED)
        goto cleanup;
    H5CHK(nfilters = H5Pget_nfilters(dcpl));
    H5CHK(sp = H5Dget_space(d));
    H5CHK(rank = H5Sget_simple_extent_ndims(sp));
    if (rank < 1 || rank > 8 || H5Pget_chunk(dcpl, rank, chunk) != rank)
        SYM_FAIL(SYM_ECORRUPT, "%s: %s: its chunk layout cannot be read: the file is corrupted",
                 f->path, path);
    H5CHK(H5Sget_simple_extent_dims(sp, dims, NULL));
    for (int k = 0; k < rank; k++) {
        if (chunk[k] == 0)
            SYM_FAIL(SYM_ECORRUPT, "%s: %s has a chunk dimension of 0", f->path, path);
        want *= (dims[k] + chunk[k] - 1) / chunk[k];
    }
#if H5_VERSION_GE(1, 10, 5)
    H5CHK(H5Dget_num_chunks(d, sp, &nchunks));
    if (nchunks != want)
        SYM_FAIL(SYM_ECORRUPT,
                 "%s: %s has %llu chunks, its extent %llu: the file is corrupted (or not "
                 "symsweep's: it allocates every chunk)",
                 f->path, path, (unsigned long long)nchunks, (unsigned long long)want);
    for (hsize_t c = 0; c < want; c++) {
        unsigned mask = 0;
        haddr_t addr = HADDR_UNDEF;
        hsize_t size = 0;

        if (H5Dget_chunk_info_by_coord(d, off, &mask, &addr, &size) < 0 || addr == HADDR_UNDEF ||
            (nfilters > 0 && mask != 0)) {
            H5Eclear2(H5E_DEFAULT);
            SYM_FAIL(SYM_ECORRUPT,
                     "%s: %s: the chunk at row %llu is missing from its index or skips its "
                     "checksum: the file is corrupted",
                     f->path, path, (unsigned long long)off[0]);
        }
        /* the next chunk, last dimension fastest */
        for (int k = rank - 1; k >= 0; k--) {
            off[k] += chunk[k];
            if (off[k] < dims[k])
                break;
            off[k] = 0;
        }
    }
#else
    (void)nchunks;
    (void)want;
    (void)off;
    (void)nfilters;
#endif
cleanup:
    if (sp >= 0) H5Sclose(sp);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (d >= 0) H5Dclose(d);
    return rc;
}

int sym_h5_verify(int *n_checked, sym_h5 *f)
{
    char **paths = NULL;
    char *buf = NULL;
    int rc = 0, np = 0;

    *n_checked = 0;
    SYM_TRY(check_seal(f));
    SYM_TRY(sym_h5_list_datasets(&paths, &np, f, "/"));
    for (int p = 0; p < np; p++) {
        int rank;
        long long dims[8], rows_per = 1;
        size_t elem, row = 1;
        hid_t d, t;
        int vlen;

        SYM_TRY(check_chunks(f, paths[p]));
        H5CHK(d = H5Dopen2(f->file, paths[p], H5P_DEFAULT));
        t = H5Dget_type(d);
        vlen = t >= 0 && H5Tis_variable_str(t) > 0;
        if (t >= 0)
            H5Tclose(t);
        H5Dclose(d);
        /* variable-length strings: heap references, no checksum (their values are in the
         * seal); fixed-length text (/runs/error) has Fletcher-32 like numbers */
        if (vlen)
            continue;
        SYM_TRY(sym_h5_dataset_shape(&rank, dims, &elem, f, paths[p]));
        for (int d = 1; d < rank; d++)
            row *= (size_t)dims[d];
        row *= elem;
        /* about 4 MiB at a time: every chunk is read, and so checked, once */
        rows_per = (long long)((4u << 20) / (row ? row : 1));
        rows_per = rows_per < 1 ? 1 : rows_per;
        free(buf);
        buf = NULL;
        SYM_TRY(sym_alloc(&buf, row * (size_t)(rows_per < dims[0] ? rows_per : dims[0]) + 1));
        for (long long r0 = 0; r0 < dims[0]; r0 += rows_per)
            SYM_TRY(sym_h5_read_block(buf, f, paths[p], r0, dims[0] - r0 < rows_per ? dims[0] - r0 : rows_per));
        (*n_checked)++;
    }
cleanup:
    sym_h5_list_free(paths, np);
    free(buf);
    return rc;
}

/* an integer attribute of the root, or SYM_ECORRUPT naming it */
static int root_int_attr(long long *out, sym_h5 *f, const char *name)
{
    hid_t a = -1, t = -1;
    int rc = 0;

    if (H5Aexists(f->file, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        SYM_FAIL(SYM_ECORRUPT, "%s: not a symsweep output file (no %s attribute)", f->path, name);
    }
    H5CHK(a = H5Aopen(f->file, name, H5P_DEFAULT));
    H5CHK(t = H5Aget_type(a));
    if (H5Tget_class(t) != H5T_INTEGER)
        SYM_FAIL(SYM_ECORRUPT, "%s: not a symsweep output file (attribute %s is not an integer)",
                 f->path, name);
    H5CHK(H5Aread(a, H5T_NATIVE_LLONG, out));
cleanup:
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

int sym_h5_check_layout(long long *n_runs, sym_h5 *f, int format_version)
{
    char **paths = NULL;
    int rc = 0, np = 0;
    long long v = 0, n = 0, n_cfg = -1;
    hid_t d = -1, t = -1, sp = -1;

    SYM_TRY(root_int_attr(&v, f, "format_version"));
    if (v != format_version)
        SYM_FAIL(SYM_ECORRUPT, "%s: format_version is %lld; this symsweep reads version %d",
                 f->path, v, format_version);
    if (H5Aexists(f->file, "job_sha256") <= 0) {
        H5Eclear2(H5E_DEFAULT);
        SYM_FAIL(SYM_ECORRUPT, "%s: not a symsweep output file (no job_sha256 attribute)", f->path);
    }
    if (!sym_h5_exists(f, SYM_PATH_STATUS))
        SYM_FAIL(SYM_ECORRUPT, "%s: not a symsweep output file (no /runs/status)", f->path);
    H5CHK(d = H5Dopen2(f->file, SYM_PATH_STATUS, H5P_DEFAULT));
    H5CHK(t = H5Dget_type(d));
    H5CHK(sp = H5Dget_space(d));
    if ((H5Tget_class(t) != H5T_ENUM && H5Tget_class(t) != H5T_INTEGER) ||
        H5Sget_simple_extent_ndims(sp) != 1)
        SYM_FAIL(SYM_ECORRUPT, "%s: /runs/status is not a list of run statuses (type or shape)",
                 f->path);
    SYM_TRY(sym_h5_length(&n, f, SYM_PATH_STATUS));
    /* /config (the resolved settings) has one row per grid point */
    if (sym_h5_exists(f, "/config"))
        SYM_TRY(root_int_attr(&n_cfg, f, "n_configs"));
    /* every dataset: allocated in full (symsweep allocates at creation, so a
     * hole is not its file and its size is a lie), one row per run (per grid point under
     * /config) unless it is a dimension scale */
    SYM_TRY(sym_h5_list_datasets(&paths, &np, f, "/"));
    for (int p = 0; p < np; p++) {
        hid_t dd = -1, dt = -1, ds = -1;
        hsize_t dims[8] = {0};
        int rank, string, scale, config = strncmp(paths[p], "/config/", 8) == 0;
        hssize_t npts;
        size_t elem;
        hsize_t stored;

        if ((dd = H5Dopen2(f->file, paths[p], H5P_DEFAULT)) < 0 || (dt = H5Dget_type(dd)) < 0 ||
            (ds = H5Dget_space(dd)) < 0) {
            rc = sym_h5i_fail(__FILE__, __LINE__, "H5Dopen2");
        } else {
            rank = H5Sget_simple_extent_ndims(ds);
            H5Sget_simple_extent_dims(ds, dims, NULL);
            npts = H5Sget_simple_extent_npoints(ds);
            elem = H5Tget_size(dt);
            string = H5Tis_variable_str(dt) > 0;
            scale = H5DSis_scale(dd) > 0;
            stored = H5Dget_storage_size(dd);
            H5Eclear2(H5E_DEFAULT);
            if (rank < 1 || rank > 8)
                rc = sym_err_set(SYM_ECORRUPT, __FILE__, __LINE__,
                                 "%s: %s has %d dimensions: not a symsweep dataset", f->path,
                                 paths[p], rank);
            else if (!string && (double)stored < (double)npts * (double)elem)
                rc = sym_err_set(SYM_ECORRUPT, __FILE__, __LINE__,
                                 "%s: %s stores %llu of its %.0f bytes: symsweep allocates every "
                                 "dataset in full, so this file was not made by it or was changed",
                                 f->path, paths[p], (unsigned long long)stored,
                                 (double)npts * (double)elem);
            else if (!scale && (long long)dims[0] != (config ? n_cfg : n))
                rc = sym_err_set(SYM_ECORRUPT, __FILE__, __LINE__, "%s: %s has %llu rows but %s has %lld %s",
                                 f->path, paths[p], (unsigned long long)dims[0],
                                 config ? "the job" : "/runs/status", config ? n_cfg : n,
                                 config ? "grid points (n_configs)" : "runs");
        }
        if (ds >= 0) H5Sclose(ds);
        if (dt >= 0) H5Tclose(dt);
        if (dd >= 0) H5Dclose(dd);
        if (rc < 0)
            goto cleanup;
    }
    *n_runs = n;
cleanup:
    sym_h5_list_free(paths, np);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    return rc;
}

int sym_h5_read_status(int64_t *out, sym_h5 *f, long long n)
{
    int rc = 0;

    SYM_TRY(sym_h5_read_int64(out, f, SYM_PATH_STATUS, n));
    for (long long i = 0; i < n; i++)
        if (out[i] < 0 || out[i] > 3)
            SYM_FAIL(SYM_ECORRUPT,
                     "%s: /runs/status of run %lld is %lld, not pending, done, diverged or failed "
                     "(the file is corrupted or not symsweep's)",
                     f->path, i, (long long)out[i]);
cleanup:
    return rc;
}

