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

static size_t count_of(int rank, const long long *dims, int from)
{
    size_t n = 1;

    for (int k = from; k < rank && k < 3; k++)
        n *= (size_t)dims[k];
    return n;
}

sym_schema_dataset *sym_schema_measure(sym_schema *s, const char *path, int rank,
                                       const long long *dims, const char *fmt, ...)
{
    sym_schema_dataset *d;
    va_list ap;

    va_start(ap, fmt);
    d = new_dataset(s, path, SYM_SCHEMA_MEASURES, rank, dims, fmt, ap);
    va_end(ap);
    if (d) {
        d->off = s->len;
        d->stride = 1;
        s->len += count_of(rank, dims, 0);
    }
    return d;
}

sym_schema_dataset *sym_schema_pieces(sym_schema *s, const char *path, int rank,
                                      const long long *dims, const char *fmt, ...)
{
    sym_schema_dataset *d;
    va_list ap;

    va_start(ap, fmt);
    d = new_dataset(s, path, SYM_SCHEMA_PIECES, rank, dims, fmt, ap);
    va_end(ap);
    if (d) {
        d->off = s->piece_len;
        d->stride = 1;
        s->piece_len += count_of(rank, dims, 1); /* dims[0]: the pieces */
    }
    return d;
}

sym_schema_dataset *sym_schema_metric(sym_schema *s, const char *path, const char *of, size_t element,
                                      const char *fmt, ...)
{
    const sym_schema_dataset *src = sym_schema_find(s, of);
    int at = src ? (int)(src - s->ds) : -1;
    sym_schema_dataset *d;
    va_list ap;

    va_start(ap, fmt);
    d = new_dataset(s, path, SYM_SCHEMA_MEASURES, 0, NULL, fmt, ap);
    va_end(ap);
    if (!d)
        return NULL;
    if (at < 0 || s->ds[at].source != SYM_SCHEMA_MEASURES) { /* no such dataset: a probe bug */
        d->off = (size_t)-1;
        d->view = -1;
        return d;
    }
    d->off = s->ds[at].off + element * s->ds[at].stride;
    d->stride = 1;
    d->view = at + 1;
    d->view_element = element;
    return d;
}

size_t sym_schema_reserve(sym_schema *s, int pieces, size_t n)
{
    size_t *len = pieces ? &s->piece_len : &s->len, at = *len;

    *len += n;
    return at;
}

size_t sym_schema_at(const sym_schema_dataset *d) { return d ? d->off : 0; }

sym_schema_dataset *sym_schema_measure_at(sym_schema *s, const char *path, int rank,
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

sym_schema_dataset *sym_schema_pieces_at(sym_schema *s, const char *path, int rank,
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

sym_schema_dataset *sym_schema_labels(sym_schema *s, const char *path, int n, const char *const *labels,
                                      const char *fmt, ...)
{
    long long dims[1] = {n};
    sym_schema_dataset *d;
    va_list ap;

    va_start(ap, fmt);
    d = new_dataset(s, path, SYM_SCHEMA_AXIS, 1, dims, fmt, ap);
    va_end(ap);
    if (d)
        d->labels = labels;
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

void sym_schema_attr_strings(sym_schema *s, const char *path, const char *name,
                             const char *const *values, int n)
{
    sym_schema_attr *a = new_attr(s, path, name, SYM_SCHEMA_ATTR_STRINGS);
    size_t at = 0;

    if (!a)
        return;
    for (int k = 0; k < n; k++) {
        size_t len = strlen(values[k]) + 1;

        if (at + len > sizeof(a->text)) {
            s->failed = 1;
            return;
        }
        memcpy(a->text + at, values[k], len);
        at += len;
    }
    a->n = n;
}

static sym_schema_attr *numbers(sym_schema *s, const char *path, const char *name,
                                sym_schema_attr_type type, int n)
{
    sym_schema_attr *a;

    if (n < 0 || n > SYM_SCHEMA_ATTR_VALUES) {
        s->failed = 1;
        return NULL;
    }
    if ((a = new_attr(s, path, name, type)) != NULL)
        a->n = n;
    return a;
}

void sym_schema_attr_ints(sym_schema *s, const char *path, const char *name, const long long *values,
                          int n)
{
    sym_schema_attr *a = numbers(s, path, name, SYM_SCHEMA_ATTR_INTS, n);

    for (int k = 0; a && k < n; k++)
        a->v[k] = (double)values[k];
}

void sym_schema_attr_doubles(sym_schema *s, const char *path, const char *name, const double *values,
                             int n)
{
    sym_schema_attr *a = numbers(s, path, name, SYM_SCHEMA_ATTR_DOUBLES, n);

    for (int k = 0; a && k < n; k++)
        a->v[k] = values[k];
}

int sym_schema_attr_same(const sym_schema_attr *a, const sym_schema_attr *b)
{
    return a->type == b->type && a->n == b->n && a->i == b->i && !memcmp(&a->d, &b->d, sizeof(double)) &&
           !memcmp(a->text, b->text, sizeof(a->text)) && !memcmp(a->v, b->v, sizeof(double) * (size_t)a->n);
}

void sym_schema_attr_varies(sym_schema_attr *a, const char *fmt, ...)
{
    va_list ap;

    a->type = SYM_SCHEMA_ATTR_STRING;
    a->n = 0;
    va_start(ap, fmt);
    vsnprintf(a->text, sizeof(a->text), fmt, ap);
    va_end(ap);
}

int sym_schema_append(sym_schema *s, const sym_schema *from, size_t off, int first_piece)
{
    int first = s->n_ds;

    for (int i = 0; i < from->n_ds; i++) {
        const sym_schema_dataset *d = &from->ds[i];
        sym_schema_dataset *c = NULL;

        if (d->source == SYM_SCHEMA_AXIS && d->labels) {
            c = sym_schema_labels(s, d->path, (int)d->dims[0], d->labels, "%s", d->desc);
        } else if (d->source == SYM_SCHEMA_AXIS) {
            c = sym_schema_axis(s, d->path, d->dtype, (int)d->dims[0], d->values, "%s", d->desc);
        } else if (d->source == SYM_SCHEMA_PIECES) {
            s->piece_base = d->first_piece + first_piece;
            c = sym_schema_pieces_at(s, d->path, d->rank, d->dims, d->off, "%s", d->desc);
        } else {
            s->base = 0;
            c = sym_schema_measure_at(s, d->path, d->rank, d->dims, d->off + off, d->stride, "%s",
                                      d->desc);
        }
        if (!c)
            break;
        c->units = d->units;
        c->dtype = d->dtype;
        c->view = d->view > 0 ? d->view + first : d->view;
        c->view_element = d->view_element;
        memcpy(c->scale, d->scale, sizeof(c->scale));
        memcpy(c->scale_label, d->scale_label, sizeof(c->scale_label));
    }
    for (int i = 0; i < from->n_attrs && !s->failed; i++) {
        sym_schema_attr *a = new_attr(s, from->attrs[i].path, from->attrs[i].name, from->attrs[i].type);

        if (a)
            *a = from->attrs[i];
    }
    s->base = 0;
    s->piece_base = 0;
    return sym_schema_check(s);
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
                           "(a probe bug)",
                           owner, s->ds[who].path, what, last, n);
    for (size_t x = 0; x < count; x++) {
        size_t at = first + x * stride;

        if (mark[at] >= 0)
            return sym_err_set(SYM_EINVAL, __FILE__, __LINE__,
                               "probe %s: datasets %s and %s both read %s value %zu (a probe bug)",
                               owner, s->ds[mark[at]].path, s->ds[who].path, what, at);
        mark[at] = who;
    }
    return 0;
}

/* a metric that views a dataset's element views one it has */
static int check_views(const sym_schema *s, int first_ds, const char *owner)
{
    for (int i = first_ds; i < s->n_ds; i++) {
        const sym_schema_dataset *d = &s->ds[i], *of = d->view > 0 ? &s->ds[d->view - 1] : NULL;
        size_t count = 1;

        if (d->view < 0)
            return sym_err_set(SYM_EINVAL, __FILE__, __LINE__, "probe %s: metric %s views a dataset "
                               "it has not declared before (a probe bug)", owner, d->path);
        if (!of)
            continue;
        for (int k = 0; k < of->rank; k++)
            count *= (size_t)of->dims[k];
        if (d->view_element >= count)
            return sym_err_set(SYM_EINVAL, __FILE__, __LINE__, "probe %s: metric %s views element "
                               "%zu of %s, outside its %zu values (a probe bug)", owner, d->path,
                               d->view_element, of->path, count);
    }
    return 0;
}

int sym_schema_check_slice(const sym_schema *s, int first_ds, const char *owner, size_t off,
                           size_t len, int first_piece, int n_pieces, size_t piece_len)
{
    size_t n = len > piece_len ? len : piece_len;
    int *mark = NULL, rc = 0;

    SYM_TRY(sym_alloc(&mark, (n ? n : 1) * sizeof(*mark)));
    SYM_TRY(check_views(s, first_ds, owner));
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
