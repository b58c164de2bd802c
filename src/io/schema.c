/*
 * The writer of declared datasets (schema.h): creates them with their
 * descriptions, writes the axes' values and the attributes, attaches the
 * dimension scales, and writes rows of runs from their measures and pieces.
 */
#include "symsweep/io.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* values per run (per-run datasets) */
static size_t row_width(const sym_schema_dataset *d)
{
    size_t w = 1;

    for (int k = 0; k < d->rank; k++)
        w *= (size_t)d->dims[k];
    return w;
}

static int write_axis(sym_h5 *f, const sym_schema_dataset *d)
{
    long long n = d->dims[0];
    int64_t *iv = NULL;
    int rc = 0;

    if (d->dtype == SYM_SCHEMA_F64)
        return sym_h5_write_rows(f, d->path, 0, n, d->values);
    SYM_TRY(sym_alloc(&iv, sizeof(int64_t) * (size_t)(n > 0 ? n : 1)));
    for (long long k = 0; k < n; k++)
        iv[k] = (int64_t)d->values[k];
    SYM_TRY(sym_h5_write_rows(f, d->path, 0, n, iv));
cleanup:
    free(iv);
    return rc;
}

/* one attribute; its object is a dataset declared, or a group (/probes/NAME) made for it */
static int write_attr(sym_h5 *f, const sym_schema_attr *a)
{
    const char *strs[SYM_SCHEMA_ATTR_VALUES];
    int64_t iv[SYM_SCHEMA_ATTR_VALUES];
    const char *q = a->text;
    int rc = 0;

    SYM_TRY(sym_h5_ensure_group(f, a->path));
    switch (a->type) {
    case SYM_SCHEMA_ATTR_STRING:
        return sym_h5_attr_string(f, a->path, a->name, a->text);
    case SYM_SCHEMA_ATTR_INT:
        return sym_h5_attr_int(f, a->path, a->name, a->i);
    case SYM_SCHEMA_ATTR_DOUBLE:
        return sym_h5_attr_double(f, a->path, a->name, a->d);
    case SYM_SCHEMA_ATTR_STRINGS:
        for (int k = 0; k < a->n && k < SYM_SCHEMA_ATTR_VALUES; k++, q += strlen(q) + 1)
            strs[k] = q;
        return sym_h5_attr_array(f, a->path, a->name, SYM_H5_STRING, a->n, strs);
    case SYM_SCHEMA_ATTR_INTS:
        for (int k = 0; k < a->n && k < SYM_SCHEMA_ATTR_VALUES; k++)
            iv[k] = (int64_t)a->v[k];
        return sym_h5_attr_array(f, a->path, a->name, SYM_H5_INT64, a->n, iv);
    case SYM_SCHEMA_ATTR_DOUBLES:
        return sym_h5_attr_array(f, a->path, a->name, SYM_H5_DOUBLE, a->n, a->v);
    }
cleanup:
    return rc;
}

int sym_h5_schema_create(sym_h5 *f, const sym_schema *s, long long n_runs)
{
    int rc = 0;

    for (int i = 0; i < s->n_ds; i++) {
        const sym_schema_dataset *d = &s->ds[i];
        long long dims[4] = {n_runs, d->dims[0], d->dims[1], d->dims[2]};

        if (d->source == SYM_SCHEMA_AXIS && d->labels) { /* a categorical axis: its labels */
            SYM_TRY(sym_h5_dataset(f, d->path, SYM_H5_STRING, 1, d->dims, d->desc, NULL));
            SYM_TRY(sym_h5_write_rows(f, d->path, 0, d->dims[0], d->labels));
        } else if (d->source == SYM_SCHEMA_AXIS) {
            SYM_TRY(sym_h5_dataset(f, d->path, d->dtype == SYM_SCHEMA_I64 ? SYM_H5_INT64 : SYM_H5_DOUBLE,
                                   1, d->dims, d->desc, d->units));
            SYM_TRY(write_axis(f, d));
        } else {
            int i64 = d->dtype == SYM_SCHEMA_I64;

            SYM_TRY(sym_h5_dataset(f, d->path, i64 ? SYM_H5_INT64 : SYM_H5_DOUBLE, 1 + d->rank, dims,
                                   d->desc, d->units));
            if (i64) /* a run may have no value: netCDF tools read the fill value as missing */
                SYM_TRY(sym_h5_fill_attr(f, d->path));
        }
    }
    for (int i = 0; i < s->n_attrs; i++)
        SYM_TRY(write_attr(f, &s->attrs[i]));
cleanup:
    return rc;
}

int sym_h5_schema_scales(sym_h5 *f, const sym_schema *s)
{
    int rc = 0;

    for (int i = 0; i < s->n_ds; i++)
        for (int k = 0; k < 3; k++)
            if (s->ds[i].scale[k])
                SYM_TRY(sym_h5_attach_scale(f, s->ds[i].path, k + 1, s->ds[i].scale[k],
                                            s->ds[i].scale_label[k]));
cleanup:
    return rc;
}

int sym_h5_schema_rows(sym_h5 *f, const sym_schema *s, long long row0, int m,
                       const sym_schema_row *rows, size_t piece_size)
{
    double *buf = NULL;
    size_t cap = 0;
    int rc = 0;

    for (int i = 0; i < s->n_ds; i++) {
        const sym_schema_dataset *d = &s->ds[i];
        size_t w = row_width(d), per = d->rank > 0 ? w / (size_t)d->dims[0] : w;

        if (d->source == SYM_SCHEMA_AXIS)
            continue;
        if ((size_t)m * w > cap) {
            free(buf);
            buf = NULL;
            cap = (size_t)m * w;
            SYM_TRY(sym_alloc_doubles(&buf, cap));
        }
        for (int j = 0; j < m; j++) {
            double *out = buf + (size_t)j * w;

            if (d->source == SYM_SCHEMA_MEASURES) {
                for (size_t x = 0; x < w; x++)
                    out[x] = rows[j].measures ? rows[j].measures[d->off + x * d->stride] : NAN;
            } else { /* [pieces x per] */
                for (long long p = 0; p < d->dims[0]; p++)
                    for (size_t x = 0; x < per; x++)
                        out[(size_t)p * per + x] =
                            rows[j].pieces
                                ? rows[j].pieces[(size_t)(d->first_piece + p) * piece_size + d->off + x]
                                : NAN;
            }
        }
        if (d->dtype == SYM_SCHEMA_I64) {
            /* integers, in place (a probe's values are doubles: exact below
             * 2^53); not a number (no value) becomes the fill value -1 */
            for (size_t x = 0; x < (size_t)m * w; x++) {
                int64_t v = isfinite(buf[x]) ? (int64_t)llround(buf[x]) : -1;

                memcpy(&buf[x], &v, sizeof(v));
            }
            SYM_TRY(sym_h5_write_int64_rows(f, d->path, row0, m, (const int64_t *)(void *)buf));
        } else {
            SYM_TRY(sym_h5_write_rows(f, d->path, row0, m, buf));
        }
    }
cleanup:
    free(buf);
    return rc;
}
