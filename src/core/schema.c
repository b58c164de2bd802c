/* Declared datasets (schema.h): a growing list, nothing more. */
#include "symsweep/core.h"
#include "symsweep/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sym_schema_dataset *new_dataset(sym_schema *s, const char *path, sym_schema_source src,
                                       int rank, const long long *dims, const char *fmt, va_list ap)
{
    sym_schema_dataset *d;

    if (s->n_ds == s->cap_ds) {
        int cap = s->cap_ds ? 2 * s->cap_ds : 32;
        sym_schema_dataset *nd = realloc(s->ds, sizeof(*nd) * (size_t)cap);

        if (!nd) {
            s->failed = 1;
            return NULL;
        }
        s->ds = nd;
        s->cap_ds = cap;
    }
    d = &s->ds[s->n_ds++];
    memset(d, 0, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "%s", path);
    vsnprintf(d->desc, sizeof(d->desc), fmt, ap);
    d->source = src;
    d->rank = rank;
    for (int k = 0; k < rank && k < 3; k++)
        d->dims[k] = dims[k];
    return d;
}

sym_schema_dataset *sym_schema_measure(sym_schema *s, const char *path, int rank,
                                       const long long *dims, size_t off, size_t stride,
                                       const char *fmt, ...)
{
    sym_schema_dataset *d;
    va_list ap;

    va_start(ap, fmt);
    d = new_dataset(s, path, SYM_SCHEMA_MEASURES, rank, dims, fmt, ap);
    va_end(ap);
    if (d) {
        d->off = s->base + off;
        d->stride = stride ? stride : 1;
    }
    return d;
}

sym_schema_dataset *sym_schema_pieces(sym_schema *s, const char *path, int rank,
                                      const long long *dims, size_t off, const char *fmt, ...)
{
    sym_schema_dataset *d;
    va_list ap;

    va_start(ap, fmt);
    d = new_dataset(s, path, SYM_SCHEMA_PIECES, rank, dims, fmt, ap);
    va_end(ap);
    if (d) {
        d->off = off;
        d->stride = 1;
        d->first_piece = s->piece_base;
    }
    return d;
}

sym_schema_dataset *sym_schema_axis(sym_schema *s, const char *path, sym_schema_dtype dtype, int n,
                                    const double *values, const char *fmt, ...)
{
    long long dims[1] = {n};
    sym_schema_dataset *d;
    va_list ap;

    va_start(ap, fmt);
    d = new_dataset(s, path, SYM_SCHEMA_AXIS, 1, dims, fmt, ap);
    va_end(ap);
    if (d) {
        d->dtype = dtype;
        d->values = values;
    }
    return d;
}

sym_schema_dataset *sym_schema_int(sym_schema_dataset *d)
{
    if (d)
        d->dtype = SYM_SCHEMA_I64;
    return d;
}

void sym_schema_scale(sym_schema_dataset *d, int dim, const char *scale_path, const char *label)
{
    if (d && dim >= 1 && dim <= 3) {
        d->scale[dim - 1] = scale_path;
        d->scale_label[dim - 1] = label;
    }
}

static sym_schema_attr *new_attr(sym_schema *s, const char *path, const char *name,
                                 sym_schema_attr_type type)
{
    sym_schema_attr *a;

    if (s->n_attrs == s->cap_attrs) {
        int cap = s->cap_attrs ? 2 * s->cap_attrs : 16;
        sym_schema_attr *na = realloc(s->attrs, sizeof(*na) * (size_t)cap);

        if (!na) {
            s->failed = 1;
            return NULL;
        }
        s->attrs = na;
        s->cap_attrs = cap;
    }
    a = &s->attrs[s->n_attrs++];
    memset(a, 0, sizeof(*a));
    snprintf(a->path, sizeof(a->path), "%s", path);
    snprintf(a->name, sizeof(a->name), "%s", name);
    a->type = type;
    return a;
}

void sym_schema_attr_string(sym_schema *s, const char *path, const char *name, const char *value)
{
    sym_schema_attr *a = new_attr(s, path, name, SYM_SCHEMA_ATTR_STRING);

    if (a)
        snprintf(a->text, sizeof(a->text), "%s", value);
}

void sym_schema_attr_int(sym_schema *s, const char *path, const char *name, long long value)
{
    sym_schema_attr *a = new_attr(s, path, name, SYM_SCHEMA_ATTR_INT);

    if (a)
        a->i = value;
}

void sym_schema_attr_double(sym_schema *s, const char *path, const char *name, double value)
{
    sym_schema_attr *a = new_attr(s, path, name, SYM_SCHEMA_ATTR_DOUBLE);

    if (a)
        a->d = value;
}

const sym_schema_dataset *sym_schema_find(const sym_schema *s, const char *path)
{
    for (int i = 0; i < s->n_ds; i++)
        if (strcmp(s->ds[i].path, path) == 0)
            return &s->ds[i];
    return NULL;
}

int sym_schema_check(const sym_schema *s)
{
    if (s->failed) {
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory declaring the output's datasets");
    }
    return 0;
}

void sym_schema_dispose(sym_schema *s)
{
    free(s->ds);
    free(s->attrs);
    memset(s, 0, sizeof(*s));
}

/* Every value an owner's declared datasets read must lie in its own slice (of the run's
 * measures, or of each of its pieces), and no value may be read by two datasets: a dataset
 * that strays reads another probe's values or its own other outputs (tangent_slice's change
 * once read each direction's fit as the next direction's first steps).  A run metric
 * (/runs/metrics/...) is a view of one value that a probe dataset may hold too, so metrics are
 * checked against each other and the other datasets against each other.  mark[] holds the
 * dataset that claimed each value. */
static int claim(int *mark, size_t n, size_t first, size_t count, size_t stride, int who,
                 const sym_schema *s, const char *owner, const char *what)
{
    size_t last = first + (count - 1) * stride;

    if (count == 0)
        return 0;
    if (last >= n)
        return sym_err_set(SYM_EINVAL, __FILE__, __LINE__,
                           "probe %s: dataset %s reads %s value %zu, outside the probe's %zu "
                           "(a probe bug: its schema and its layout disagree)",
                           owner, s->ds[who].path, what, last, n);
    for (size_t x = 0; x < count; x++) {
        size_t at = first + x * stride;

        if (mark[at] >= 0)
            return sym_err_set(SYM_EINVAL, __FILE__, __LINE__,
                               "probe %s: datasets %s and %s both read %s value %zu (a probe bug: "
                               "its schema and its layout disagree)",
                               owner, s->ds[mark[at]].path, s->ds[who].path, what, at);
        mark[at] = who;
    }
    return 0;
}

int sym_schema_check_slice(const sym_schema *s, int first_ds, const char *owner, size_t off,
                           size_t len, int first_piece, int n_pieces, size_t piece_len)
{
    size_t n = len > piece_len ? len : piece_len;
    int *mark = NULL, rc = 0;

    SYM_TRY(sym_alloc(&mark, (n ? n : 1) * sizeof(*mark)));
    for (int round = 0; round < 4; round++) {
        int pass = round / 2, metrics = round % 2;
        sym_schema_source src = pass == 0 ? SYM_SCHEMA_MEASURES : SYM_SCHEMA_PIECES;

        for (size_t i = 0; i < n; i++)
            mark[i] = -1;
        for (int i = first_ds; i < s->n_ds; i++) {
            const sym_schema_dataset *d = &s->ds[i];
            size_t count = 1;

            if (d->source != src || metrics != !strncmp(d->path, "/runs/metrics/", 14))
                continue;
            for (int k = pass; k < d->rank; k++) /* a piece dataset's first dimension: pieces */
                count *= (size_t)d->dims[k];
            if (pass == 1 && (d->rank < 1 || d->dims[0] != n_pieces || d->first_piece != first_piece))
                SYM_FAIL(SYM_EINVAL, "probe %s: dataset %s declares %lld pieces from piece %d; the "
                         "probe has %d from piece %d (a probe bug)", owner, d->path,
                         d->rank ? d->dims[0] : 0, d->first_piece, n_pieces, first_piece);
            if (pass == 0 && d->off < off)
                SYM_FAIL(SYM_EINVAL, "probe %s: dataset %s reads measure %zu, before the probe's "
                         "slice at %zu (a probe bug)", owner, d->path, d->off, off);
            SYM_TRY(claim(mark, pass == 0 ? len : piece_len, pass == 0 ? d->off - off : d->off,
                          count, d->stride ? d->stride : 1, i, s, owner,
                          pass == 0 ? "measure" : "piece"));
        }
    }
cleanup:
    free(mark);
    return rc;
}
