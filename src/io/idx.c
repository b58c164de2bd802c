/*
 * IDX files (the MNIST format): magic 00 00 TYPE NDIM, NDIM big-endian uint32 sizes, then
 * the values in row-major order.  Only unsigned bytes (type 0x08) are read: images and labels
 * of MNIST and Fashion-MNIST.  A file is gzip-compressed or not; zlib's gzread tells the two
 * apart by their first bytes (gzip's 1f 8b) and reads a plain file as it is.
 */
#include "symsweep/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_UBYTE 0x08

/* n bytes, or fewer at the end of the file (count in *got); an error of zlib is an error */
static int read_bytes(size_t *got, gzFile g, unsigned char *buf, size_t n, const char *file)
{
    int rc = 0;

    *got = 0;
    while (*got < n) {
        unsigned chunk = n - *got > (1u << 30) ? (1u << 30) : (unsigned)(n - *got);
        int k = gzread(g, buf + *got, chunk);
        int zerr = 0;
        const char *msg;

        if (k < 0) {
            msg = gzerror(g, &zerr);
            SYM_FAIL(SYM_EIO, "%s: %s", file, zerr == Z_ERRNO ? strerror(errno) : msg);
        }
        if (k == 0) {
            msg = gzerror(g, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                SYM_FAIL(SYM_EIO, "%s: %s", file, msg);
            break;
        }
        *got += (size_t)k;
    }
cleanup:
    return rc;
}

static const char *type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
    }
}

/* the header: magic, type, dimensions; g is left at the first value */
static int read_header(sym_idx *x, gzFile g, const char *file, int ndim)
{
    unsigned char h[4 + 4 * SYM_IDX_MAX_DIMS];
    size_t got = 0;
    int rc = 0;

    SYM_TRY(read_bytes(&got, g, h, 4, file));
    if (got < 4)
        SYM_FAIL(SYM_EIO, "%s: truncated: %zu bytes, shorter than an IDX header", file, got);
    if (h[0] != 0 || h[1] != 0)
        SYM_FAIL(SYM_EIO, "%s: not an IDX file: its magic number is %02x %02x %02x %02x, expected "
                 "00 00 08 %02x (unsigned bytes, %d dimensions)", file, h[0], h[1], h[2], h[3], ndim, ndim);
    if (h[2] != IDX_UBYTE)
        SYM_FAIL(SYM_EIO, "%s: IDX type code 0x%02x (%s): expected 0x08 (unsigned bytes)", file, h[2],
                 type_name(h[2]));
    if (h[3] != ndim)
        SYM_FAIL(SYM_EIO, "%s: expected %d dimensions (%s), found %d", file, ndim,
                 ndim == 3 ? "images [n, rows, columns]" : ndim == 1 ? "labels [n]" : "in the header",
                 h[3]);
    SYM_TRY(read_bytes(&got, g, h + 4, 4 * (size_t)ndim, file));
    if (got < 4 * (size_t)ndim)
        SYM_FAIL(SYM_EIO, "%s: truncated: the header ends after %zu of its %d sizes", file, got / 4, ndim);
    x->ndim = ndim;
    x->count = 1;
    for (int k = 0; k < ndim; k++) {
        const unsigned char *b = h + 4 + 4 * k;
        unsigned long v = (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];

        if (v == 0 || v > 0x7fffffffUL)
            SYM_FAIL(SYM_EIO, "%s: dimension %d has size %lu: expected 1 to 2147483647", file, k, v);
        x->dims[k] = (long long)v;
        x->count *= (long long)v;
    }
    if (x->count > (1LL << 40))
        SYM_FAIL(SYM_EIO, "%s: %lld values: more than this reader takes (2^40)", file, x->count);
cleanup:
    return rc;
}

static int open_idx(gzFile *g, const char *file)
{
    *g = gzopen(file, "rb");
    if (!*g)
        return sym_err_set(SYM_EIO, __FILE__, __LINE__, "%s: %s", file, errno ? strerror(errno) : "cannot open");
    return 0;
}

int sym_idx_read_header(sym_idx *out, const char *file, int ndim)
{
    gzFile g = NULL;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    SYM_ASSERT(ndim >= 1 && ndim <= SYM_IDX_MAX_DIMS);
    SYM_TRY(open_idx(&g, file));
    SYM_TRY(read_header(out, g, file, ndim));
cleanup:
    if (g)
        gzclose(g);
    return rc;
}

int sym_idx_read(sym_idx *out, const char *file, int ndim)
{
    sym_idx x;
    gzFile g = NULL;
    unsigned char extra;
    size_t got = 0;
    int rc = 0;

    memset(&x, 0, sizeof(x));
    memset(out, 0, sizeof(*out));
    SYM_ASSERT(ndim >= 1 && ndim <= SYM_IDX_MAX_DIMS);
    SYM_TRY(open_idx(&g, file));
    SYM_TRY(read_header(&x, g, file, ndim));
    x.data = malloc((size_t)x.count);
    if (!x.data)
        SYM_FAIL(SYM_ENOMEM, "%s: %lld bytes of values: out of memory", file, x.count);
    SYM_TRY(read_bytes(&got, g, x.data, (size_t)x.count, file));
    if ((long long)got < x.count)
        SYM_FAIL(SYM_EIO, "%s: truncated: its header says %lld values, the file holds %zu", file, x.count, got);
    SYM_TRY(read_bytes(&got, g, &extra, 1, file));
    if (got)
        SYM_FAIL(SYM_EIO, "%s: longer than its header says (%lld values): not an IDX file of these sizes",
                 file, x.count);
    *out = x;
    x.data = NULL;
cleanup:
    free(x.data);
    if (g)
        gzclose(g);
    return rc;
}

void sym_idx_dispose(sym_idx *x)
{
    free(x->data);
    memset(x, 0, sizeof(*x));
}
