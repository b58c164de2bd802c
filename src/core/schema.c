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
