/*
 * The job sections' settings tables at work: one reader that takes a section's mapping by its
 * table (the keys each kind takes, defaults, ranges, the messages), and the resolved settings of
 * every grid point (sym_job_visit_settings), the probes' from their own tables.  The tables
 * themselves, and each section's cross-field rules, are in sections.c.
 */
#include "job_impl.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const sym_job_row *sym_job_row_find(const sym_job_section *sec, const char *name)
{
    for (int i = 0; i < sec->n_rows; i++)
        if (strcmp(sec->rows[i].name, name) == 0)
            return &sec->rows[i];
    return NULL;
}

int sym_job_row_applies(const sym_job_row *r, int kind)
{
    return r->kinds == 0 || (kind >= 0 && (r->kinds >> kind) & 1u);
}

static void *at(const sym_job_row *r, const sym_job_bases *b, size_t off)
{
    return (char *)b->base[r->base] + off;
}

static int *count_of(const sym_job_row *r, const sym_job_bases *b)
{
    return (int *)((char *)b->base[JROW_VALUES] + r->count_offset);
}

long long sym_job_row_int(const sym_job_row *r, const sym_job_bases *b)
{
    return r->type == JROW_INT64 ? *(long long *)at(r, b, r->offset) : *(int *)at(r, b, r->offset);
}

double sym_job_row_double(const sym_job_row *r, const sym_job_bases *b)
{
    return *(double *)at(r, b, r->offset);
}

/* a row's default, before the job's value (if any) is read */
static void set_default(const sym_job_section *sec, const sym_job_row *r, const sym_job_bases *b)
{
    switch (r->type) {
    case JROW_INT: case JROW_BOOL: case JROW_ENUM:
        *(int *)at(r, b, r->offset) = (int)r->def;
        break;
    case JROW_INT64:
        *(long long *)at(r, b, r->offset) = (long long)r->def;
        break;
    case JROW_DOUBLE:
        *(double *)at(r, b, r->offset) =
            r->def_from ? sym_job_row_double(sym_job_row_find(sec, r->def_from), b) : r->def;
        break;
    case JROW_STRING:
        snprintf(at(r, b, r->offset), r->cap, "%s", r->def_s ? r->def_s : "");
        break;
    case JROW_INT_LIST: case JROW_DOUBLE_LIST:
        *count_of(r, b) = 0;
        break;
    case JROW_ENUM_LIST:
        *(int *)at(r, b, r->offset) = (int)r->def;
        *count_of(r, b) = -1;
        break;
    case JROW_SECTION: case JROW_COUNT:
        break;
    }
}

/* one name, or a list of names (per-layer activations): items into the row's int array */
static int read_enum_list(ctx *c, const node *v, const char *key, const sym_job_row *r,
                          const sym_job_bases *b)
{
    int *out = at(r, b, r->offset), len;

    if (v->type != YAML_SEQUENCE_NODE) {
        *count_of(r, b) = -1;
        return sym_yaml_enum_value(c, v, key, r->names, r->n_names, out);
    }
    len = sym_yaml_seq_len(v);
    for (int i = 0; i < len && i < r->max_len; i++) {
        char ikey[300];

        snprintf(ikey, sizeof(ikey), "%s[%d]", key, i);
        if (sym_yaml_enum_value(c, sym_yaml_node(c, v->data.sequence.items.start[i]), ikey, r->names,
                                r->n_names, &out[i]))
            return SYM_EJOB;
    }
    *count_of(r, b) = len; /* the section's settle checks it against the layers */
    return 0;
}

/* a list of numbers in the row's range, strictly increasing (fractions of training) */
static int read_double_list(ctx *c, const node *v, const char *key, const sym_job_row *r,
                            const sym_job_bases *b)
{
    double *out = at(r, b, r->offset);
    char what[160];
    int len;

    if (v->type != YAML_SEQUENCE_NODE || (len = sym_yaml_seq_len(v)) < r->min_len || len > r->max_len) {
        snprintf(what, sizeof(what), "a list of %d to %d increasing numbers", r->min_len, r->max_len);
        return sym_yaml_expected(c, v, key, what);
    }
    snprintf(what, sizeof(what), "a number %s %g and %s %g", r->lo_open ? ">" : ">=", r->lo,
             r->hi_open ? "<" : "<=", r->hi);
    for (int i = 0; i < len; i++) {
        node *it = sym_yaml_node(c, v->data.sequence.items.start[i]);
        char ikey[300];
        double x;

        snprintf(ikey, sizeof(ikey), "%s[%d]", key, i);
        if (sym_yaml_parse_double(it, &x) || (r->lo_open ? x <= r->lo : x < r->lo) ||
            (r->hi_open ? x >= r->hi : x > r->hi))
            return sym_yaml_expected(c, it, ikey, what);
        if (i > 0 && x <= out[i - 1])
            return sym_yaml_err(c, it, ikey, "expected a number above %s[%d] (%g), found %g", key,
                                i - 1, out[i - 1], x);
        out[i] = x;
    }
    *count_of(r, b) = len;
    return 0;
}

/* true / false, or one of the row's own words (2, 3, ...) */
static int read_bool(ctx *c, const node *m, const char *path, const node *v, const char *key,
                     const sym_job_row *r, const sym_job_bases *b)
{
    const char *s = sym_yaml_scalar(v);
    int *out = at(r, b, r->offset);

    for (int i = 0; v && s && sym_yaml_is_plain(v) && i < r->n_names; i++)
        if (strcmp(s, r->names[i]) == 0) {
            *out = 2 + i;
            return 0;
        }
    if (sym_yaml_bool(c, m, path, r->name, *out, out) == 0)
        return 0;
    return r->expected ? sym_yaml_expected(c, v, key, r->expected) : SYM_EJOB;
}

static int read_row(ctx *c, const node *m, const sym_job_section *sec, const sym_job_row *r,
                    const sym_job_bases *b)
{
    const char *path = sec->path;
    int req = (r->flags & JROW_REQUIRED) != 0;
    node *v = sym_yaml_lookup(c, m, r->name);
    char key[256];
    long long x;

    sym_yaml_join(key, sizeof(key), path, r->name);
    switch (r->type) {
    case JROW_INT: {
        long long hi = r->hi_from ? sym_job_row_int(sym_job_row_find(sec, r->hi_from), b) : (long long)r->hi;

        return sym_yaml_int(c, m, path, r->name, req, (long long)r->def, (long long)r->lo, hi,
                            at(r, b, r->offset));
    }
    case JROW_INT64:
        if (!v)
            return 0;
        if (sym_yaml_parse_long(v, &x) || x < (long long)r->lo || x > (long long)r->hi)
            return sym_yaml_expected(c, v, key, r->expected);
        *(long long *)at(r, b, r->offset) = x;
        return 0;
    case JROW_DOUBLE:
        return sym_yaml_double(c, m, path, r->name, req, *(double *)at(r, b, r->offset), r->lo,
                               r->lo_open, r->hi, r->hi_open, at(r, b, r->offset));
    case JROW_BOOL:
        return v ? read_bool(c, m, path, v, key, r, b) : 0;
    case JROW_ENUM:
        return sym_yaml_enum(c, m, path, r->name, req, (int)r->def, r->names, r->n_names,
                             at(r, b, r->offset));
    case JROW_STRING:
        return sym_yaml_string(c, m, path, r->name, req, r->def_s ? r->def_s : "", at(r, b, r->offset),
                               r->cap);
    case JROW_INT_LIST:
        return sym_yaml_int_list(c, m, path, r->name, req, r->min_len, r->max_len, (long long)r->lo,
                                 (long long)r->hi, at(r, b, r->offset), count_of(r, b));
    case JROW_ENUM_LIST:
        return v ? read_enum_list(c, v, key, r, b) : 0;
    case JROW_DOUBLE_LIST:
        return v ? read_double_list(c, v, key, r, b) : 0;
    case JROW_SECTION: case JROW_COUNT: /* read by the section's settle */
        return 0;
    }
    return 0;
}

/* the keys of mapping @p v: those of kind @p kind, each once */
static int check_keys(ctx *c, const node *v, const sym_job_section *sec, int kind)
{
    const char *allowed[64], *known[64];
    int na = 0, nk = 0;

    for (int i = 0; i < sec->n_rows && i < 63; i++) {
        known[nk++] = sec->rows[i].name;
        if (sym_job_row_applies(&sec->rows[i], kind))
            allowed[na++] = sec->rows[i].name;
    }
    allowed[na] = known[nk] = NULL;
    return sym_yaml_check_map_for(c, v, sec->path, allowed, known,
                                  sec->why && kind >= 0 ? sec->why[kind] : NULL);
}

int sym_job_read_section(ctx *c, const node *v, const sym_job_section *sec, const sym_job_bases *b,
                         int pass, int *kind, uint64_t *given)
{
    int k = -1;

    if (pass == 0) {
        SYM_ASSERT(sec->n_rows <= 63);
        *given = 0;
        if (sym_yaml_need_map(c, v, sec->path))
            return SYM_EJOB;
        if (sec->kind_row >= 0) {
            const sym_job_row *kr = &sec->rows[sec->kind_row];

            set_default(sec, kr, b);
            if (read_row(c, v, sec, kr, b))
                return SYM_EJOB;
            k = *(int *)at(kr, b, kr->offset);
        }
        *kind = k;
        if (check_keys(c, v, sec, k))
            return SYM_EJOB;
    }
    for (int i = 0; i < sec->n_rows; i++) {
        const sym_job_row *r = &sec->rows[i];

        if (i == sec->kind_row || !sym_job_row_applies(r, *kind))
            continue;
        if (pass == 0 && sym_yaml_lookup(c, v, r->name))
            *given |= (uint64_t)1 << i;
        if ((r->flags & JROW_MANUAL) || ((r->flags & JROW_LATE) != 0) != pass)
            continue;
        set_default(sec, r, b);
        if (read_row(c, v, sec, r, b))
            return SYM_EJOB;
    }
    return 0;
}

/* ---- the resolved settings of a grid point ---- */

typedef struct visit {
    const sym_job *job;
    int config;
    sym_setting_visit fn;
    void *ctx;
    long long ilist[SYM_MAX_LAYERS + 1];
    char text[512];
} visit;

/* the longest list row @p r holds at any grid point (its parent section @p sec) */
static int longest(const visit *w, const sym_job_row *r)
{
    int n = 0;

    for (int k = 0; k < w->job->n_configs; k++) {
        sym_job_bases b = {{&w->job->configs[k], &w->job->values[k], (void *)w->job}};
        int len = *count_of(r, &b);

        n = len > n ? len : n;
    }
    return n;
}

static void enum_list_text(char *buf, size_t cap, const sym_job_row *r, const int *v, int n)
{
    if (n < 0) {
        snprintf(buf, cap, "%s", r->names[v[0]]);
        return;
    }
    snprintf(buf, cap, "[");
    for (int i = 0; i < n && i < r->max_len; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? ", " : "", r->names[v[i]]);
    snprintf(buf + strlen(buf), cap - strlen(buf), "]");
}

static int visit_row(visit *w, const sym_job_row *r, const sym_job_bases *b, const char *key, int applies)
{
    sym_setting_value v = {.key = key, .applies = applies, .doc = r->doc};
    const int *iv = at(r, b, r->offset);

    switch (r->type) {
    case JROW_INT:
        v.type = SYM_VALUE_INT;
        v.i = *iv;
        break;
    case JROW_INT64: /* -1: not set */
        v.type = SYM_VALUE_INT;
        v.i = sym_job_row_int(r, b);
        break;
    case JROW_BOOL: case JROW_ENUM:
        v.type = r->type == JROW_BOOL && !r->n_names ? SYM_VALUE_INT : SYM_VALUE_STRING;
        v.i = *iv;
        v.s = r->type == JROW_ENUM ? r->names[*iv] : *iv >= 2 ? r->names[*iv - 2] : *iv ? "true" : "false";
        break;
    case JROW_DOUBLE:
        v.type = SYM_VALUE_DOUBLE;
        v.d = sym_job_row_double(r, b);
        break;
    case JROW_STRING:
        v.type = SYM_VALUE_STRING;
        v.s = (const char *)iv;
        break;
    case JROW_INT_LIST:
        v.type = SYM_VALUE_INT_LIST;
        v.len = *count_of(r, b) > 0 ? *count_of(r, b) : 0;
        for (int i = 0; i < v.len; i++)
            w->ilist[i] = iv[i];
        v.ilist = w->ilist;
        v.max_len = longest(w, r);
        break;
    case JROW_ENUM_LIST:
        v.type = SYM_VALUE_STRING;
        enum_list_text(w->text, sizeof(w->text), r, iv, *count_of(r, b));
        v.s = w->text;
        break;
    case JROW_DOUBLE_LIST:
        v.type = SYM_VALUE_DOUBLE_LIST;
        v.len = *count_of(r, b);
        v.dlist = (const double *)iv;
        v.max_len = longest(w, r);
        break;
    case JROW_SECTION: case JROW_COUNT:
        return 0;
    }
    return w->fn(w->ctx, &v);
}

static int visit_section(visit *w, const sym_job_section *sec, const sym_job_bases *b, int applies)
{
    int kind = -1, rc;

    if (sec->kind_row >= 0)
        kind = (int)sym_job_row_int(&sec->rows[sec->kind_row], b);
    for (int i = 0; i < sec->n_rows; i++) {
        const sym_job_row *r = &sec->rows[i];
        int on = applies && sym_job_row_applies(r, kind);
        char key[256];

        if (r->type == JROW_SECTION)
            rc = visit_section(w, r->sub, b, on);
        else {
            sym_yaml_join(key, sizeof(key), sec->path, r->name);
            rc = visit_row(w, r, b, key, on);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* a probe setting's value (probe_api.h's types) */
static int visit_probe_setting(visit *w, const sym_job_probe *p, const sym_setting *s, const void *opts)
{
    const char *base = opts;
    const int *iv = (const int *)(base + s->offset);
    char key[256];
    sym_setting_value v = {.key = key, .applies = 1, .doc = s->doc};

    snprintf(key, sizeof(key), "probes.%s.%s", p->name[0] ? p->name : p->def->name, s->name);
    switch (s->type) {
    case SYM_SETTING_INT: case SYM_SETTING_BOOL:
        v.type = SYM_VALUE_INT;
        v.i = *iv;
        break;
    case SYM_SETTING_DOUBLE:
        v.type = SYM_VALUE_DOUBLE;
        v.d = *(const double *)iv;
        break;
    case SYM_SETTING_ENUM:
        v.type = SYM_VALUE_STRING;
        v.s = s->names[*iv];
        break;
    case SYM_SETTING_FAMILIES:
        v.type = SYM_VALUE_STRING;
        snprintf(w->text, sizeof(w->text), "[");
        for (int i = 0; i < *(const int *)(base + s->count_offset); i++)
            snprintf(w->text + strlen(w->text), sizeof(w->text) - strlen(w->text), "%s%s", i ? ", " : "",
                     sym_group_names[((const sym_group *)iv)[i]]);
        snprintf(w->text + strlen(w->text), sizeof(w->text) - strlen(w->text), "]");
        v.s = w->text;
        break;
    case SYM_SETTING_EXPONENTS:
        v.type = SYM_VALUE_DOUBLE_LIST;
        v.dlist = (const double *)iv;
        v.len = *(const int *)(base + s->count_offset);
        v.max_len = s->max_len;
        break;
    }
    return w->fn(w->ctx, &v);
}

static int visit_probes(visit *w)
{
    for (int i = 0; i < w->job->n_probes; i++) {
        const sym_job_probe *p = &w->job->probes[i];
        const void *opts = sym_job_probe_opts(w->job, p, w->config);
        int rc;

        if (p->skipped || !p->def || !opts)
            continue;
        for (int k = 0; k < p->def->n_settings; k++)
            if ((rc = visit_probe_setting(w, p, &p->def->settings[k], opts)) != 0)
                return rc;
        if (p->def->team) {
            char key[256];
            sym_setting_value v = {.key = key, .type = SYM_VALUE_INT, .applies = 1};

            snprintf(key, sizeof(key), "probes.%s.team", p->name[0] ? p->name : p->def->name);
            v.i = p->team;
            v.doc = "ranks of each run's team task (0: auto)";
            if ((rc = w->fn(w->ctx, &v)) != 0)
                return rc;
            snprintf(key, sizeof(key), "probes.%s.team_memory_mb", p->name[0] ? p->name : p->def->name);
            v.i = p->team_mb;
            v.doc = "memory per team rank for team: auto, in MiB";
            if ((rc = w->fn(w->ctx, &v)) != 0)
                return rc;
        }
    }
    return 0;
}

int sym_job_visit_settings(const sym_job *job, int config, sym_setting_visit fn, void *ctx)
{
    visit *w;
    sym_job_bases b;
    int rc = 0;

    if (config < 0 || config >= job->n_configs || !job->values)
        return sym_err_set(SYM_EINVAL, __FILE__, __LINE__, "grid point %d: the job has %d", config,
                           job->n_configs);
    if (sym_alloc(&w, sizeof(*w)) < 0)
        return sym_err_code();
    *w = (visit){.job = job, .config = config, .fn = fn, .ctx = ctx};
    b = (sym_job_bases){{&job->configs[config], &job->values[config], (void *)job}};
    /* the job's name and seeds are the job's, not a grid point's: the root attributes
     * job_name and n_seeds, and /grid/seed, hold them */
    for (int s = 0; rc == 0 && s < sym_job_n_sections; s++)
        if (strcmp(sym_job_sections[s].path, "seeds") != 0)
            rc = visit_section(w, &sym_job_sections[s], &b, 1);
    if (rc == 0)
        rc = visit_probes(w);
    free(w);
    return rc;
}
