/*
 * The resolved configuration in the output file: /config/<section>/<setting>, one value per grid
 * point (docs/hdf5-layout.md, "The resolved configuration").  The values are those the runs
 * used, defaults included, as the job's settings tables resolve them (sym_job_visit_settings),
 * so an analysis reads what a run used without parsing the job's YAML.  Run i used grid point
 * /grid/config[i].
 *
 * Every grid point visits the same keys of the same types; a key a grid point does not use
 * (data.dim with data kind teacher_linear) holds the dataset's fill value there: NaN, -1 or "".
 */
#include "symsweep/io.h"
#include "symsweep/output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_GROUP "/config"
#define CONFIG_POINT CONFIG_GROUP "/grid_point"

typedef struct column {
    char key[200];  /* "train.beta1" */
    char path[256]; /* "/config/train/beta1" */
    const char *doc;
    sym_value_type type;
    int width;      /* values per grid point: 1, or a list's longest length */
    int64_t *iv;    /* INT, INT_LIST: [points x width] */
    double *dv;     /* DOUBLE, DOUBLE_LIST */
    char **sv;      /* STRING: copies, NULL where the grid point does not use it */
} column;

typedef struct collect {
    column *cols;
    int n, cap;
    int point, n_points, k; /* the grid point being visited and the key's position in it */
    const char *file;
} collect;

/* "train.beta1" -> "/config/train/beta1" (a key's dots are its groups) */
static int key_path(char *out, size_t n, const char *key)
{
    size_t u = (size_t)snprintf(out, n, CONFIG_GROUP "/%s", key);

    if (u >= n)
        return sym_err_set(SYM_EINVAL, __FILE__, __LINE__, "setting name too long: %s", key);
    for (char *p = out + sizeof(CONFIG_GROUP); *p; p++)
        if (*p == '.')
            *p = '/';
    return 0;
}

static int is_list(sym_value_type t) { return t == SYM_VALUE_INT_LIST || t == SYM_VALUE_DOUBLE_LIST; }

static int add_column(collect *c, const sym_setting_value *v)
{
    column *col;
    size_t n;
    int rc = 0;

    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;

        column *nc = realloc(c->cols, sizeof(column) * (size_t)cap);

        if (!nc)
            SYM_FAIL(SYM_ENOMEM, "out of memory for the /config columns (%d)", cap);
        c->cols = nc;
        c->cap = cap;
    }
    col = &c->cols[c->n];
    memset(col, 0, sizeof(*col));
    if (snprintf(col->key, sizeof(col->key), "%s", v->key) >= (int)sizeof(col->key))
        SYM_FAIL(SYM_EINVAL, "setting name too long: %s", v->key);
    SYM_TRY(key_path(col->path, sizeof(col->path), v->key));
    col->doc = v->doc;
    col->type = v->type;
    col->width = is_list(v->type) ? (v->max_len > 0 ? v->max_len : 1) : 1;
    n = (size_t)c->n_points * (size_t)col->width;
    switch (v->type) {
    case SYM_VALUE_INT:
    case SYM_VALUE_INT_LIST:
        SYM_TRY(sym_alloc(&col->iv, sizeof(int64_t) * n));
        for (size_t i = 0; i < n; i++)
            col->iv[i] = -1;
        break;
    case SYM_VALUE_DOUBLE:
    case SYM_VALUE_DOUBLE_LIST:
        SYM_TRY(sym_alloc(&col->dv, sizeof(double) * n));
        for (size_t i = 0; i < n; i++)
            col->dv[i] = NAN;
        break;
    case SYM_VALUE_STRING:
        SYM_TRY(sym_alloc(&col->sv, sizeof(char *) * n));
        break;
    }
    c->n++;
cleanup:
    return rc;
}

/* one key of one grid point: the first point makes the columns, the others must match them */
static int visit(void *ctx, const sym_setting_value *v)
{
    collect *c = ctx;
    column *col;
    size_t at;
    int rc = 0;

    if (c->point == 0)
        SYM_TRY(add_column(c, v));
    if (c->k >= c->n)
        SYM_FAIL(SYM_EINVAL, "%s: /config: grid point %d has more settings (%s) than grid point 0 (%d)",
                 c->file, c->point, v->key, c->n);
    col = &c->cols[c->k++];
    /* the key's path is made once, at grid point 0: the others name the same key */
    if (strcmp(v->key, col->key) != 0 || v->type != col->type)
        SYM_FAIL(SYM_EINVAL, "%s: /config: grid point %d visits %s where grid point 0 has %s",
                 c->file, c->point, v->key, col->key);
    if (is_list(v->type) && v->len > col->width)
        SYM_FAIL(SYM_EINVAL, "%s: /config: %s has %d values at grid point %d, more than its longest (%d)",
                 c->file, v->key, v->len, c->point, col->width);
    if (!v->applies)
        return 0; /* the fill value stays */
    at = (size_t)c->point * (size_t)col->width;
    switch (v->type) {
    case SYM_VALUE_INT: col->iv[at] = v->i; break;
    case SYM_VALUE_DOUBLE: col->dv[at] = v->d; break;
    case SYM_VALUE_STRING: SYM_TRY(sym_strdup(&col->sv[at], v->s ? v->s : "")); break;
    case SYM_VALUE_INT_LIST:
        for (int j = 0; j < v->len; j++)
            col->iv[at + (size_t)j] = v->ilist[j];
        break;
    case SYM_VALUE_DOUBLE_LIST:
        for (int j = 0; j < v->len; j++)
            col->dv[at + (size_t)j] = v->dlist[j];
        break;
    }
cleanup:
    return rc;
}

static int write_column(sym_h5 *h5, const column *col, long long n_points)
{
    long long dims[2] = {n_points, col->width};
    int rank = is_list(col->type) ? 2 : 1, rc = 0;
    sym_h5_type t = col->iv ? SYM_H5_INT64 : col->dv ? SYM_H5_DOUBLE : SYM_H5_STRING;
    char desc[1200];
    const char **sv = NULL;

    snprintf(desc, sizeof(desc), "%s [grid point%s]; %s", col->doc ? col->doc : "",
             rank == 2 ? ", index" : "",
             t == SYM_H5_INT64    ? "-1 where the grid point does not use the setting"
             : t == SYM_H5_DOUBLE ? "NaN where the grid point does not use the setting"
                                  : "empty where the grid point does not use the setting");
    SYM_TRY(sym_h5_dataset(h5, col->path, t, rank, dims, desc, NULL)); /* numbers: "1" */
    if (t == SYM_H5_INT64)
        SYM_TRY(sym_h5_fill_attr(h5, col->path));
    if (t == SYM_H5_STRING) {
        SYM_TRY(sym_alloc(&sv, sizeof(char *) * (size_t)(n_points > 0 ? n_points : 1)));
        for (long long i = 0; i < n_points; i++)
            sv[i] = col->sv[i] ? col->sv[i] : "";
    }
    SYM_TRY(sym_h5_write_rows(h5, col->path, 0, n_points,
                              col->iv ? (const void *)col->iv
                              : col->dv ? (const void *)col->dv
                                        : (const void *)sv));
    SYM_TRY(sym_h5_attach_scale(h5, col->path, 0, CONFIG_POINT, "grid_point"));
    if (rank == 2) {
        char axis[300], label[128];
        const char *name = strrchr(col->path, '/') + 1;

        snprintf(axis, sizeof(axis), "%s_dim1", col->path);
        snprintf(label, sizeof(label), "%s_dim1", name);
        SYM_TRY(sym_h5_index_dataset(h5, axis, col->width, "index in the list: the dimension scale of its values"));
        SYM_TRY(sym_h5_attach_scale(h5, col->path, 1, axis, label));
    }
cleanup:
    free(sv);
    return rc;
}

int sym_output_config(sym_h5 *h5, const sym_job *job)
{
    collect c = {.n_points = job->n_configs, .file = job->path};
    int rc = 0;

    for (c.point = 0; c.point < job->n_configs; c.point++) {
        c.k = 0;
        SYM_TRY(sym_job_visit_settings(job, c.point, visit, &c));
        if (c.k != c.n)
            SYM_FAIL(SYM_EINVAL, "%s: /config: grid point %d has %d settings, grid point 0 has %d",
                     job->path, c.point, c.k, c.n);
    }
    SYM_TRY(sym_h5_index_dataset(h5, CONFIG_POINT, job->n_configs,
                        "grid point: the dimension scale of every /config dataset; run i used grid "
                        "point /grid/config[i]"));
    SYM_TRY(sym_h5_attr_string(h5, CONFIG_GROUP, "description",
                               "every setting of every grid point as the runs used it, defaults "
                               "included (one dataset per setting, one row per grid point)"));
    for (int k = 0; k < c.n; k++)
        SYM_TRY(write_column(h5, &c.cols[k], job->n_configs));
cleanup:
    for (int k = 0; k < c.n; k++) {
        free(c.cols[k].iv);
        free(c.cols[k].dv);
        if (c.cols[k].sv)
            for (int i = 0; i < job->n_configs; i++)
                free(c.cols[k].sv[i]);
        free(c.cols[k].sv);
    }
    free(c.cols);
    return rc;
}
