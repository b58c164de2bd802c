/*
 * HDF5 wrapper.  Every HDF5 call goes through H5CHK, which turns a negative
 * herr_t/hid_t into a symsweep error carrying HDF5's own innermost message.
 * The input matrices (user data, model.init) are read in h5_matrix.c.
 */
#include "h5_impl.h"

#include <hdf5_hl.h>

#ifdef H5_HAVE_PARALLEL
#define H5_HAVE_PARALLEL_FLAG " (parallel)"
#else
#define H5_HAVE_PARALLEL_FLAG " (serial)"
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>


static int h5_quiet_done;

void sym_h5i_quiet(void)
{
    if (!h5_quiet_done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        h5_quiet_done = 1;
    }
}

/* HDF5's error stack, innermost first, kept for the debug trace */

/* one line: HDF5's descriptions of system errors span lines and list buffers */
static void one_line(char *dst, size_t n, const char *src)
{
    const char *fn = strstr(src, "filename = '"), *en = strstr(src, "errno = ");
    const char *colon = strchr(src, ':');

    if (en && colon) {
        /* "file write failed: time = ..., filename = 'F', ..., errno = 28, ..." */
        int e = atoi(en + 8);
        int fl = 0;

        if (fn) {
            fn += 12;
            fl = (int)(strchr(fn, '\'') ? strchr(fn, '\'') - fn : 0);
        }
        snprintf(dst, n, "%.*s: %s%s%.*s%s", (int)(colon - src), src, strerror(e),
                 fl ? " (" : "", fl, fn ? fn : "", fl ? ")" : "");
    } else {
        snprintf(dst, n, "%s", src);
    }
    for (char *c = dst; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *err, void *data)
{
    h5_stack *st = data;
    size_t u = strlen(st->all);
    char line[512];

    one_line(line, sizeof(line), err->desc ? err->desc : "");
    if (n == 0) /* innermost */
        snprintf(st->inner, sizeof(st->inner), "%s", line);
    if (u < sizeof(st->all))
        snprintf(st->all + u, sizeof(st->all) - u, "%s%s (%s)", u ? " <- " : "", line,
                 err->func_name ? err->func_name : "?");
    return 0;
}

/* the HDF5 function named in a wrapped expression such as "d = H5Dcreate2(f->file, ...)" */
static void h5_function(char *dst, size_t n, const char *expr)
{
    const char *h = strstr(expr, "H5");
    size_t k = 0;

    while (h && h[k] && h[k] != '(' && k + 1 < n)
        k++;
    snprintf(dst, n, "%.*s", h ? (int)k : 0, h ? h : "");
}

/* a checksum failure names the file and the dataset: the user must know what is lost */
void sym_h5i_name_corruption(const sym_h5 *f, const char *dset)
{
    sym_err_set(SYM_ECORRUPT, __FILE__, __LINE__,
                "%s: %s: checksum mismatch: the file is corrupted (bytes changed after they "
                "were written); restore a good copy or recompute it (run --force)",
                f->path, dset);
}

/* HDF5's error stack into @p st (innermost message on one line), then cleared */
void sym_h5i_take_stack(h5_stack *st)
{
    snprintf(st->inner, sizeof(st->inner), "no detail");
    st->all[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, st);
    H5Eclear2(H5E_DEFAULT);
}

int sym_h5i_fail(const char *file, int line, const char *what)
{
    h5_stack st;
    char fn[64];
    int rc;

    sym_h5i_take_stack(&st);
    h5_function(fn, sizeof(fn), what);
    if (strstr(st.all, "checksum") || strstr(st.all, "Fletcher32") || strstr(st.all, "fletcher32"))
        rc = sym_err_set(SYM_ECORRUPT, file, line,
                         "checksum mismatch: the file is corrupted (bytes changed after they were "
                         "written)");
    else
        rc = sym_err_set(SYM_EIO, file, line, "HDF5: %s failed: %s", fn[0] ? fn : what, st.inner);
    if (st.all[0])
        sym_err_frame(file, line, st.all); /* HDF5's whole stack, for SYMSWEEP_DEBUG=1 */
    return rc;
}


/*
 * Before HDF5 sees a file: a directory, an empty or foreign file get a plain
 * message (HDF5 would say "unable to open file" for all of them).  The
 * signature sits at byte 0, 512, 1024, 2048, ... (a user block may precede it).
 */
int sym_h5i_check_signature(const char *path, const char *what)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char buf[8];
    struct stat sb;
    FILE *fp = NULL;
    int rc = 0, found = 0;

    if (stat(path, &sb) != 0)
        SYM_FAIL(SYM_EUSAGE, "%s: %s: no such file", path, what);
    if (S_ISDIR(sb.st_mode))
        SYM_FAIL(SYM_EUSAGE, "%s: %s: is a directory, not an HDF5 file", path, what);
    /* before opening: a FIFO would wait for a writer, a device never ends */
    if (!S_ISREG(sb.st_mode))
        SYM_FAIL(SYM_EUSAGE, "%s: %s: expected a regular file, found %s", path, what,
                 S_ISFIFO(sb.st_mode)                       ? "a FIFO (named pipe)"
                 : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device"
                 : S_ISSOCK(sb.st_mode)                     ? "a socket"
                                                            : "something other than a regular file");
    fp = fopen(path, "rb");
    if (!fp)
        SYM_FAIL(SYM_EIO, "%s: %s: cannot read: %s", path, what, strerror(errno));
    for (long off = 0; !found && off < sb.st_size; off = off ? 2 * off : 512)
        found = fseek(fp, off, SEEK_SET) == 0 && fread(buf, 1, 8, fp) == 8 && !memcmp(buf, sig, 8);
    if (!found)
        SYM_FAIL(SYM_EUSAGE, "%s: %s: not an HDF5 file (%s)", path, what,
                 sb.st_size == 0 ? "it is empty" : "no HDF5 signature");
cleanup:
    if (fp)
        fclose(fp);
    return rc;
}

/* the first link that is not a hard link: symsweep writes none */
static herr_t foreign_link_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    if (info->type != H5L_TYPE_HARD) {
        snprintf(data, 512, "%s", name);
        return 1; /* stop */
    }
    return 0;
}

/* refuse a file with soft or external links: reading one could open another file */
int sym_h5i_check_links(sym_h5 *f)
{
    char name[512] = "";
    int rc = 0;

    if (H5Lvisit(f->file, H5_INDEX_NAME, H5_ITER_NATIVE, foreign_link_cb, name) < 0) {
        H5Eclear2(H5E_DEFAULT);
        SYM_FAIL(SYM_ECORRUPT, "%s: its groups cannot be listed (the file is corrupted)", f->path);
    }
    if (name[0])
        SYM_FAIL(SYM_EUSAGE,
                 "%s: /%s is a soft or external link: symsweep files have none, and links are "
                 "not followed (not a symsweep output file?)",
                 f->path, name);
cleanup:
    return rc;
}

static hid_t make_status_type(void)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t v;

    if (t < 0)
        return t;
    v = 0; H5Tenum_insert(t, "pending", &v);
    v = 1; H5Tenum_insert(t, "done", &v);
    v = 2; H5Tenum_insert(t, "diverged", &v);
    v = 3; H5Tenum_insert(t, "failed", &v);
    return t;
}

int sym_h5_create(sym_h5 **out, const char *path, int force)
{
    sym_h5 *f = NULL;
    hid_t fapl = -1;
    int rc = 0;

    sym_h5i_quiet();
    SYM_TRY(sym_alloc(&f, sizeof(*f)));
    f->file = -1;
    f->status_type = -1;
    snprintf(f->path, sizeof(f->path), "%s", path);
    SYM_TRY(sym_outfile_prepare(f->tmp, sizeof(f->tmp), path, force,
                                "use --force to replace it, or --resume"));
    /* the 1.8 format: superblock v2 and object headers v2 carry checksums, so
     * a changed byte in them is an error on reading, not a wrong value.  Not
     * 1.10's: its superblock v3 marks a file open for writing, and a killed
     * sweep's file would then refuse to open until h5clear is run on it. */
    H5CHK(fapl = H5Pcreate(H5P_FILE_ACCESS));
    H5CHK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18));
    f->replace = force;
    /* the (empty) temporary file sym_outfile_prepare made: ours, removed on failure */
    f->file = H5Fcreate(f->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (f->file < 0) {
        h5_stack st;

        sym_h5i_take_stack(&st);
        SYM_FAIL(SYM_EIO, "%s: cannot create the output file: %s", path, st.inner);
    }
    H5CHK(f->status_type = make_status_type());
    *out = f;
    f = NULL;
cleanup:
    if (fapl >= 0)
        H5Pclose(fapl);
    sym_h5_close(f);
    return rc;
}

/* the seal of a changed file (see sym_h5i_seal_digest), as the root group's comment */
static int seal(sym_h5 *f)
{
    char digest[65], text[128];
    int rc = 0;

    if (!f->seal_dirty)
        return 0;
    SYM_TRY(sym_h5i_seal_digest(digest, f));
    snprintf(text, sizeof(text), SYM_H5_SEAL_PREFIX "%s", digest);
    H5CHK(H5Oset_comment(f->file, text));
    f->seal_dirty = 0;
cleanup:
    return rc;
}

int sym_h5_close(sym_h5 *f)
{
    int rc = 0;

    if (!f)
        return 0;
    if (f->file >= 0 && !f->tmp[0])
        rc = seal(f); /* a file that stays: sealed as it is left */
    if (f->status_type >= 0)
        H5Tclose(f->status_type);
    if (f->file >= 0 && f->tmp[0]) {
        /* created, never committed: it is removed, and its blocks are freed
         * before HDF5's final flush, so that a full disk (the usual reason a
         * new file fails) cannot fail the close: a failed H5Fclose leaves the
         * file half-destroyed and HDF5 crashes closing it again at exit */
        int *fd = NULL;

        if (H5Fget_vfd_handle(f->file, H5P_DEFAULT, (void **)&fd) >= 0 && fd && ftruncate(*fd, 0) != 0)
            H5Eclear2(H5E_DEFAULT);
    }
    if (f->file >= 0 && H5Fclose(f->file) < 0)
        rc = sym_h5i_fail(__FILE__, __LINE__, "H5Fclose");
    sym_outfile_discard(f->tmp); /* leave nothing behind */
    free(f);
    return rc;
}

int sym_h5_commit(sym_h5 *f)
{
    int rc = 0;

    SYM_ASSERT(f->tmp[0]);
    SYM_TRY(seal(f));
    SYM_TRY(sym_outfile_commit(f->tmp, f->path, f->replace));
    f->tmp[0] = '\0';
cleanup:
    return rc;
}

int sym_h5_flush(sym_h5 *f)
{
    int rc = 0;

    SYM_TRY(seal(f));
    H5CHK(H5Fflush(f->file, H5F_SCOPE_GLOBAL));
cleanup:
    return rc;
}

int sym_h5_sync(sym_h5 *f)
{
    int rc = 0, *fd = NULL;

    SYM_TRY(sym_h5_flush(f));
    H5CHK(H5Fget_vfd_handle(f->file, H5P_DEFAULT, (void **)&fd));
    if (fd && fsync(*fd) != 0)
        SYM_FAIL(SYM_EIO, "%s: fsync failed", f->path);
cleanup:
    return rc;
}

int sym_h5_open_rw(sym_h5 **out, const char *path)
{
    sym_h5 *f = NULL;
    int rc = 0;

    sym_h5i_quiet();
    if (access(path, F_OK) != 0)
        SYM_FAIL(SYM_EUSAGE, "%s: cannot resume: no such file", path);
    if (access(path, R_OK | W_OK) != 0)
        SYM_FAIL(SYM_EIO, "%s: cannot resume: the file is not readable and writable", path);
    if (sym_outfile_locked(path))
        SYM_FAIL(SYM_EEXIST,
                 "%s: cannot resume: another process has the file open for writing (a sweep "
                 "still running? 'symsweep status %s' tells)",
                 path, path);
    SYM_TRY(sym_h5i_check_signature(path, "cannot resume"));
    SYM_TRY(sym_alloc(&f, sizeof(*f)));
    f->file = -1;
    f->status_type = -1;
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f->file < 0) {
        h5_stack st;

        sym_h5i_take_stack(&st);
        SYM_FAIL(SYM_EIO, "%s: cannot open for resuming: %s", path, st.inner);
    }
    SYM_TRY(sym_h5i_check_links(f));
    H5CHK(f->status_type = make_status_type());
    *out = f;
    f = NULL;
cleanup:
    sym_h5_close(f);
    return rc;
}

/* attribute @p name of @p obj: a scalar (n == 0) or n values of the native @p type */
static int attr_write_n(sym_h5 *f, const char *obj, const char *name, hid_t type, int n,
                        const void *v)
{
    hid_t o = -1, sp = -1, a = -1;
    hsize_t dim = (hsize_t)n;
    int rc = 0;

    f->seal_dirty = 1;
    H5CHK(o = H5Oopen(f->file, obj, H5P_DEFAULT));
    if (H5Aexists(o, name) > 0) {
        /* same fixed-size type: overwrite the value in place (the object
         * header keeps its size); otherwise replace the attribute */
        hid_t old = H5Aopen(o, name, H5P_DEFAULT), ot = old >= 0 ? H5Aget_type(old) : -1;
        int same = n == 0 && ot >= 0 && H5Tequal(ot, type) > 0 && !H5Tis_variable_str(ot);

        if (ot >= 0)
            H5Tclose(ot);
        if (same) {
            rc = H5Awrite(old, type, v) < 0 ? sym_h5i_fail(__FILE__, __LINE__, "H5Awrite") : 0;
            H5Aclose(old);
            goto cleanup;
        }
        if (old >= 0)
            H5Aclose(old);
        H5CHK(H5Adelete(o, name));
    }
    H5CHK(sp = n ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_SCALAR));
    H5CHK(a = H5Acreate2(o, name, type, sp, H5P_DEFAULT, H5P_DEFAULT));
    H5CHK(H5Awrite(a, type, v));
cleanup:
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (o >= 0) H5Oclose(o);
    return rc;
}

static int attr_write(sym_h5 *f, const char *obj, const char *name, hid_t type, const void *v)
{
    return attr_write_n(f, obj, name, type, 0, v);
}

hid_t sym_h5i_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static hid_t text_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    H5Tset_size(t, SYM_H5_TEXT_LEN);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

int sym_h5_attr_string(sym_h5 *f, const char *obj, const char *name, const char *value)
{
    hid_t t = sym_h5i_str_type();
    int rc = attr_write(f, obj, name, t, &value);

    H5Tclose(t);
    return rc;
}

int sym_h5_attr_int(sym_h5 *f, const char *obj, const char *name, long long value)
{
    int64_t v = value;

    return attr_write(f, obj, name, H5T_NATIVE_INT64, &v);
}

int sym_h5_attr_double(sym_h5 *f, const char *obj, const char *name, double value)
{
    return attr_write(f, obj, name, H5T_NATIVE_DOUBLE, &value);
}

/*
 * The CF name of a dataset (netCDF's `long_name`), from its path: what a plot
 * labels its axis with.  /grid/train.lr -> "train.lr", /runs/metrics/hessian_gap
 * -> "hessian gap", /runs/weights/W1 -> "final W1", /probes/orbit_loss/landscape
 * -> "orbit loss: landscape".
 */
void sym_h5_long_name(char *out, size_t n, const char *path)
{
    static const struct { const char *prefix, *label; } parts[] = {
        {"/grid/", ""},
        {"/runs/metrics/", ""},
        {"/runs/curves/", "training curve: "},
        {"/runs/weights/", "final "},
        {"/runs/initial_weights/", "initial "},
        {"/runs/", ""},
    };
    const char *rest = path, *label = "";
    char probe[128] = "";

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (strncmp(path, parts[i].prefix, strlen(parts[i].prefix)) == 0) {
            rest = path + strlen(parts[i].prefix);
            label = parts[i].label;
            break;
        }
    if (rest == path && strncmp(path, SYM_PATH_PROBES "/", strlen(SYM_PATH_PROBES) + 1) == 0) {
        const char *name = path + strlen(SYM_PATH_PROBES) + 1, *slash = strchr(name, '/');

        if (slash) {
            snprintf(probe, sizeof(probe), "%.*s: ", (int)(slash - name), name);
            rest = slash + 1;
            label = probe;
        }
    }
    if (rest == path && rest[0] == '/')
        rest++;
    if (strcmp(path, SYM_PATH_CURVE_EPOCH) == 0)
        label = "";
    snprintf(out, n, "%s%s", label, rest);
    /* words, not identifiers; a setting keeps the name the job file gives it */
    if (strncmp(path, "/grid/", 6) != 0)
        for (char *c = out; *c; c++)
            if (*c == '_' || *c == '/')
                *c = ' ';
}

int sym_h5_fill_attr(sym_h5 *f, const char *path)
{
    int64_t m1 = -1;

    /* netCDF/CF's _FillValue: xarray and netCDF tools read -1 as missing */
    return attr_write(f, path, "_FillValue", H5T_NATIVE_INT64, &m1);
}

static hid_t mem_type(sym_h5 *f, sym_h5_type t)
{
    switch (t) {
    case SYM_H5_TEXT: return text_type();
    case SYM_H5_DOUBLE: return H5Tcopy(H5T_NATIVE_DOUBLE);
    case SYM_H5_INT64: return H5Tcopy(H5T_NATIVE_INT64);
    case SYM_H5_STATUS: return H5Tcopy(f->status_type);
    case SYM_H5_STRING: return sym_h5i_str_type();
    }
    return -1;
}

int sym_h5_dataset(sym_h5 *f, const char *path, sym_h5_type type, int rank,
                   const long long *dims, const char *description, const char *units)
{
    hsize_t hd[8], chunk[8];
    hid_t sp = -1, dcpl = -1, lcpl = -1, d = -1, t = -1;
    int rc = 0;
    size_t row_bytes = 8;
    char long_name[256];

    SYM_ASSERT(rank >= 1 && rank <= 8);
    f->seal_dirty = 1; /* a new name */
    for (int i = 0; i < rank; i++) {
        hd[i] = (hsize_t)dims[i];
        chunk[i] = hd[i] ? hd[i] : 1;
        if (i > 0)
            row_bytes *= chunk[i];
    }
    /* chunks of whole rows, ~64 KiB, so a batch write touches few chunks
     * and a one-run read decompresses nothing it does not need */
    chunk[0] = 65536 / row_bytes;
    if (chunk[0] < 1)
        chunk[0] = 1;
    if (chunk[0] > hd[0] && hd[0] > 0)
        chunk[0] = hd[0];
    H5CHK(t = mem_type(f, type));
    H5CHK(sp = H5Screate_simple(rank, hd, NULL));
    H5CHK(dcpl = H5Pcreate(H5P_DATASET_CREATE));
    H5CHK(H5Pset_chunk(dcpl, rank, chunk));
    /* a checksum per chunk: a changed byte fails the read instead of passing as
     * data (variable-length strings live in the global heap, which HDF5 cannot
     * filter: their chunks hold heap references) */
    if (type != SYM_H5_STRING)
        H5CHK(H5Pset_fletcher32(dcpl));
    if (type == SYM_H5_DOUBLE) {
        double nan = NAN;
        H5CHK(H5Pset_fill_value(dcpl, t, &nan));
    } else if (type == SYM_H5_INT64) {
        int64_t m1 = -1;
        H5CHK(H5Pset_fill_value(dcpl, t, &m1));
    } else if (type == SYM_H5_STATUS) {
        int8_t pending = 0;
        H5CHK(H5Pset_fill_value(dcpl, t, &pending));
    }
    H5CHK(H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC));
    /* allocate every chunk now: later writes then change raw data only */
    H5CHK(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY));
    H5CHK(lcpl = H5Pcreate(H5P_LINK_CREATE));
    H5CHK(H5Pset_create_intermediate_group(lcpl, 1));
    H5CHK(d = H5Dcreate2(f->file, path, t, sp, lcpl, dcpl, H5P_DEFAULT));
    H5Dclose(d);
    d = -1;
    /* netCDF/CF attributes beside our description: long_name, and units for
     * numbers ("1": dimensionless, CF's unit of counts and ratios) */
    sym_h5_long_name(long_name, sizeof(long_name), path);
    SYM_TRY(sym_h5_attr_string(f, path, "long_name", long_name));
    SYM_TRY(sym_h5_attr_string(f, path, "description", description));
    if (units ? units[0] != 0 : type == SYM_H5_DOUBLE || type == SYM_H5_INT64)
        SYM_TRY(sym_h5_attr_string(f, path, "units", units ? units : "1"));
    if (type == SYM_H5_STATUS) {
        int8_t flags[4] = {0, 1, 2, 3};

        SYM_TRY(attr_write_n(f, path, "flag_values", H5T_NATIVE_INT8, 4, flags));
        SYM_TRY(sym_h5_attr_string(f, path, "flag_meanings", "pending done diverged failed"));
    }
cleanup:
    if (d >= 0) H5Dclose(d);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (lcpl >= 0) H5Pclose(lcpl);
    if (rc)
        sym_err_frame(__FILE__, __LINE__, path);
    return rc;
}


int sym_h5_write_rows(sym_h5 *f, const char *path, long long row0, long long nrows,
                      const void *data)
{
    char *fixed = NULL;
    hid_t d = -1, ft = -1;
    int rc = 0, text;

    H5CHK(d = H5Dopen2(f->file, path, H5P_DEFAULT));
    H5CHK(ft = H5Dget_type(d));
    text = H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) <= 0;
    if (H5Tis_variable_str(ft) > 0)
        f->seal_dirty = 1; /* values in the global heap */
    if (text) {
        /* fixed-length text: the caller's strings into padded records */
        const char *const *strs = data;
        int rank, nd;
        hsize_t dims[8];
        hid_t sp;
        size_t cnt = (size_t)nrows;

        H5CHK(sp = H5Dget_space(d));
        nd = H5Sget_simple_extent_dims(sp, dims, NULL);
        rank = nd;
        H5Sclose(sp);
        for (int i = 1; i < rank; i++)
            cnt *= dims[i];
        SYM_TRY(sym_alloc(&fixed, cnt * SYM_H5_TEXT_LEN));
        for (size_t i = 0; i < cnt; i++)
            snprintf(fixed + i * SYM_H5_TEXT_LEN, SYM_H5_TEXT_LEN, "%s", strs[i] ? strs[i] : "");
        data = fixed;
    }
    /* every other type is written in the dataset's own native type */
    SYM_TRY(sym_h5i_block_io(f, path, row0, nrows, (void *)data, 1));
cleanup:
    free(fixed);
    if (ft >= 0) H5Tclose(ft);
    if (d >= 0) H5Dclose(d);
    return rc;
}

int sym_h5_write_int64_rows(sym_h5 *f, const char *path, long long row0, long long nrows,
                            const int64_t *data)
{
    return sym_h5i_block_io_as(f, path, row0, nrows, (void *)data, 1, H5T_NATIVE_INT64);
}

/* netCDF sees a dimension only in the group of its scale and the groups below it: a scale
 * elsewhere (/runs/curves/epoch for /probes/gradient_decomposition/...) makes netCDF-C refuse
 * the file.  Such a scale is copied once beside the dataset, under its own name, and the copy
 * is attached.  @p out: the scale to attach (@p scale itself when it is visible). */
static int visible_scale(sym_h5 *f, const char *dset, const char *scale, char *out, size_t n)
{
    const char *slash = strrchr(scale, '/'), *dslash = strrchr(dset, '/');
    size_t glen = slash ? (size_t)(slash - scale) : 0, dlen = dslash ? (size_t)(dslash - dset) : 0;
    static const char *const own[] = {"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST"};
    char desc[1024];
    hid_t c = -1;
    htri_t have;
    int rc = 0;

    snprintf(out, n, "%s", scale);
    /* visible: the scale's group is the dataset's group or an ancestor of it */
    if (glen <= dlen && strncmp(scale, dset, glen) == 0 && (glen == dlen || dset[glen] == '/'))
        return 0;
    snprintf(out, n, "%.*s/%s", (int)dlen, dset, slash ? slash + 1 : scale);
    have = H5Lexists(f->file, out, H5P_DEFAULT);
    H5CHK(have);
    if (have > 0)
        return 0;
    H5CHK(H5Ocopy(f->file, scale, f->file, out, H5P_DEFAULT, H5P_DEFAULT));
    H5CHK(c = H5Dopen2(f->file, out, H5P_DEFAULT));
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (H5Aexists(c, own[i]) > 0)
            H5CHK(H5Adelete(c, own[i]));
    snprintf(desc, sizeof(desc), "a copy of %s, the dimension scale of this group's datasets "
             "(netCDF sees a scale only in its group and the groups below)", scale);
    SYM_TRY(sym_h5_attr_string(f, out, "description", desc));
cleanup:
    if (c >= 0) H5Dclose(c);
    return rc;
}

int sym_h5_attach_scale(sym_h5 *f, const char *dset, int dim, const char *scale_path,
                        const char *label)
{
    char scale[512];
    hid_t d = -1, s = -1;
    int rc = 0;

    SYM_TRY(visible_scale(f, dset, scale_path, scale, sizeof(scale)));
    f->seal_dirty = 1; /* DIMENSION_LIST, REFERENCE_LIST */
    H5CHK(d = H5Dopen2(f->file, dset, H5P_DEFAULT));
    H5CHK(s = H5Dopen2(f->file, scale, H5P_DEFAULT));
    if (H5DSis_scale(s) <= 0)
        H5CHK(H5DSset_scale(s, label));
    H5CHK(H5DSattach_scale(d, s, (unsigned)dim));
cleanup:
    if (s >= 0) H5Dclose(s);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* An index axis for dimension @p k (size @p n) of the dataset at @p path that has no scale:
 * netCDF (ncdump, NCO, CDO, ncview, Panoply) refuses a file in which a dataset with any
 * dimension scale has a dimension without one ("Invalid dimension ID or name"), so every such
 * dimension gets its own scale beside the dataset, <name>_dim<k>, holding 0 .. n - 1. */
/* an int64 dataset [n] holding 0 .. n - 1, an identifier without units (/run, index axes) */
int sym_h5_index_dataset(sym_h5 *f, const char *path, long long n, const char *desc)
{
    int64_t *v = NULL;
    long long n1[1] = {n};
    int rc = 0;

    SYM_TRY(sym_h5_dataset(f, path, SYM_H5_INT64, 1, n1, desc, ""));
    if (n > 0) {
        SYM_TRY(sym_alloc(&v, sizeof(int64_t) * (size_t)n));
        for (long long i = 0; i < n; i++)
            v[i] = i;
        SYM_TRY(sym_h5_write_rows(f, path, 0, n, v));
    }
cleanup:
    free(v);
    return rc;
}

static int index_axis(sym_h5 *f, const char *path, int k, long long n)
{
    char axis[512], desc[640], label[64];
    const char *name = strrchr(path, '/');
    int rc = 0;

    snprintf(axis, sizeof(axis), "%s_dim%d", path, k);
    snprintf(label, sizeof(label), "%s_dim%d", name ? name + 1 : path, k);
    snprintf(desc, sizeof(desc), "index along dimension %d of %s (counted from the run dimension, "
             "0): the dimension scale of an axis with no values of its own", k, path);
    SYM_TRY(sym_h5_index_dataset(f, axis, n, desc));
    SYM_TRY(sym_h5_attach_scale(f, path, k, axis, label));
cleanup:
    return rc;
}

int sym_h5_run_scale(sym_h5 *f, long long n_runs)
{
    char **paths = NULL;
    int rc = 0, np = 0;

    SYM_TRY(sym_h5_index_dataset(f, SYM_PATH_RUN, n_runs,
                          "run number: the dimension scale of the first dimension of every "
                          "per-run dataset and /grid column"));
    SYM_TRY(sym_h5_list_datasets(&paths, &np, f, "/"));
    for (int p = 0; p < np; p++) {
        hsize_t dims[8] = {0};
        hid_t d, sp;
        int rank = -1, bare[8] = {0};
        htri_t scale;

        if (strcmp(paths[p], SYM_PATH_RUN) == 0)
            continue;
        H5CHK(d = H5Dopen2(f->file, paths[p], H5P_DEFAULT));
        scale = H5DSis_scale(d);
        sp = H5Dget_space(d);
        if (sp >= 0) {
            rank = H5Sget_simple_extent_dims(sp, dims, NULL);
            H5Sclose(sp);
        }
        for (int k = 1; scale <= 0 && k < rank && k < 8; k++)
            bare[k] = H5DSget_num_scales(d, (unsigned)k) <= 0;
        H5Dclose(d);
        if (rank < 0)
            SYM_FAIL(SYM_EIO, "%s: %s: cannot read its shape", f->path, paths[p]);
        /* the axes (epoch, t, s, ...) are scales themselves; every other
         * dataset of a sweep file has runs first */
        if (scale <= 0 && rank >= 1 && dims[0] == (hsize_t)n_runs)
            SYM_TRY(sym_h5_attach_scale(f, paths[p], 0, SYM_PATH_RUN, "run"));
        for (int k = 1; k < rank && k < 8; k++)
            if (bare[k])
                SYM_TRY(index_axis(f, paths[p], k, (long long)dims[k]));
    }
cleanup:
    sym_h5_list_free(paths, np);
    return rc;
}

const char *sym_h5_library_version(void)
{
    static char buf[64];
    unsigned maj = 0, min = 0, rel = 0;

    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, sizeof(buf), "%u.%u.%u%s", maj, min, rel, H5_HAVE_PARALLEL_FLAG);
    return buf;
}
