/*
 * The YAML layer of the job parser: node access, typed getters with ranges
 * and defaults, and messages that name the file, line and column, the
 * setting, what was expected and what was found.
 */
#include "job_impl.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ---- */

void sym_yaml_describe(char *buf, size_t n, const node *v)
{
    if (!v)
        snprintf(buf, n, "nothing");
    else if (v->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)v->data.scalar.value;
        size_t len = v->data.scalar.length;

        const char *pre = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "" : "the string ";

        if (len > 60)
            snprintf(buf, n, "%s\"%.57s...\"", pre, s);
        else
            snprintf(buf, n, "%s\"%s\"", pre, s);
    } else if (v->type == YAML_SEQUENCE_NODE)
        snprintf(buf, n, v->data.sequence.items.top == v->data.sequence.items.start ? "an empty list"
                                                                                  : "a list");
    else
        snprintf(buf, n, v->data.mapping.pairs.top == v->data.mapping.pairs.start ? "an empty mapping"
                                                                                : "a mapping");
}


int sym_yaml_err(ctx *c, const node *at, const char *key, const char *fmt, ...)
{
    char what[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (at && at->start_mark.line >= SYM_OVERRIDE_LINE &&
        at->start_mark.line - SYM_OVERRIDE_LINE < (size_t)c->n_overrides)
        return sym_err_set(SYM_EJOB, __FILE__, __LINE__, "%s: command line '%s': %s: %s", c->file,
                           c->overrides[at->start_mark.line - SYM_OVERRIDE_LINE], key, what);
    return sym_err_set(SYM_EJOB, __FILE__, __LINE__, "%s:%zu:%zu: %s: %s", c->file,
                       at ? at->start_mark.line + 1 : 1, at ? at->start_mark.column + 1 : 1, key,
                       what);
}

int sym_job_keep(ctx *c, int rc)
{
    const char *m;
    size_t len;
    char *grown;

    if (rc >= 0 || !c->collect || sym_err_code() != SYM_EJOB || c->n_errs >= SYM_JOB_MAX_ERRORS)
        return rc;
    m = sym_err_message();
    len = strlen(m);
    /* the same problem at every point of a sweep: once, named by the first point */
    for (const char *q = c->errs; q && q < c->errs + c->errs_len;) {
        const char *e = memchr(q, SYM_JOB_ERR_SEP, (size_t)(c->errs + c->errs_len - q));
        size_t l = e ? (size_t)(e - q) : (size_t)(c->errs + c->errs_len - q);

        if (l >= len && memcmp(q, m, len) == 0 &&
            (l == len || (l > len + 14 && memcmp(q + len, " (sweep point ", 14) == 0))) {
            sym_err_clear();
            return 1;
        }
        q += l + 1;
    }
    grown = realloc(c->errs, c->errs_len + len + (c->point ? strlen(c->point) + 16 : 0) + 2);
    if (!grown)
        return rc;
    c->errs = grown;
    if (c->errs_len)
        c->errs[c->errs_len++] = SYM_JOB_ERR_SEP;
    for (size_t i = 0; i < len; i++) /* the separator never inside a message */
        c->errs[c->errs_len++] = m[i] == SYM_JOB_ERR_SEP ? '?' : m[i];
    if (c->point)
        c->errs_len += (size_t)sprintf(c->errs + c->errs_len, " (sweep point %s)", c->point);
    c->errs[c->errs_len] = '\0';
    c->n_errs++;
    sym_err_clear();
    return 1;
}

/* "expected X, found Y" */
int sym_yaml_expected(ctx *c, const node *at, const char *key, const char *what)
{
    char found[96];

    sym_yaml_describe(found, sizeof(found), at);
    return sym_yaml_err(c, at, key, "expected %s, found %s", what, found);
}

void sym_yaml_join(char *buf, size_t n, const char *a, const char *b)
{
    if (a && *a)
        snprintf(buf, n, "%s.%s", a, b);
    else
        snprintf(buf, n, "%s", b);
}

/* ---- node access ---- */

node *sym_yaml_node(ctx *c, int id) { return yaml_document_get_node(c->doc, id); }

const char *sym_yaml_scalar(const node *v)
{
    return v && v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : NULL;
}

int sym_yaml_is_plain(const node *v)
{
    return v && v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* value of `key` in mapping m, or NULL */
node *sym_yaml_lookup(ctx *c, const node *m, const char *key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = sym_yaml_scalar(sym_yaml_node(c, p->key));

        if (k && strcmp(k, key) == 0)
            return sym_yaml_node(c, p->value);
    }
    return NULL;
}

int sym_yaml_in_list(const char *k, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(k, *list) == 0)
            return 1;
    return 0;
}

/*
 * m must be a mapping whose keys are all in `allowed` (NULL-terminated),
 * each once.  A key that is in `known` (valid for another kind) is reported
 * as "not used by WHY" rather than as unknown.
 */
int sym_yaml_check_map_for(ctx *c, const node *m, const char *path, const char *const *allowed,
                         const char *const *known, const char *why)
{
    char list[512] = "", key[256];
    size_t used = 0;

    if (!m || m->type != YAML_MAPPING_NODE)
        return sym_yaml_expected(c, m, path, "a mapping");
    for (const char *const *a = allowed; *a; a++) {
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", a == allowed ? "" : ", ", *a);

        used += n > 0 && (size_t)n < sizeof(list) - used ? (size_t)n : 0;
    }
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        node *kn = sym_yaml_node(c, p->key);
        const char *k = sym_yaml_scalar(kn);
        int ok = 0;

        if (!k) {
            char found[96];

            sym_yaml_describe(found, sizeof(found), kn);
            return sym_yaml_err(c, kn, path && *path ? path : "(top level)",
                        "expected a setting name, found %s", found);
        }
        sym_yaml_join(key, sizeof(key), path, k);
        ok = sym_yaml_in_list(k, allowed);
        if (!ok && why && sym_yaml_in_list(k, known))
            return sym_yaml_err(c, kn, key, "not used by %s; expected one of: %s", why, list);
        if (!ok)
            return sym_yaml_err(c, kn, key, "unknown setting; expected one of: %s", list);
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
            const char *k2 = sym_yaml_scalar(sym_yaml_node(c, q->key));

            if (k2 && strcmp(k2, k) == 0)
                return sym_yaml_err(c, kn, key, "set twice (first on line %zu)",
                            sym_yaml_node(c, q->key)->start_mark.line + 1);
        }
    }
    return 0;
}

int sym_yaml_check_map(ctx *c, const node *m, const char *path, const char *const *allowed)
{
    return sym_yaml_check_map_for(c, m, path, allowed, NULL, NULL);
}

int sym_yaml_need_map(ctx *c, const node *m, const char *path)
{
    return m && m->type == YAML_MAPPING_NODE ? 0 : sym_yaml_expected(c, m, path, "a mapping");
}

/* ---- typed getters: required (no default) or with a documented default ---- */

int sym_yaml_parse_long(const node *v, long long *out)
{
    const char *s = sym_yaml_scalar(v);
    char *end;

    if (!s || !sym_yaml_is_plain(v) || !*s)
        return -1;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return (*end || errno) ? -1 : 0;
}

int sym_yaml_parse_double(const node *v, double *out)
{
    const char *s = sym_yaml_scalar(v);
    char *end;

    if (!s || !sym_yaml_is_plain(v) || !*s)
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    if (*end || errno || !isfinite(*out))
        return -1;
    /* strtod takes hex floats, "inf" and "nan"; YAML users mean none of those here */
    for (const char *p = s; *p; p++)
        if (strchr("0123456789+-.eE", *p) == NULL)
            return -1;
    return 0;
}

int sym_yaml_missing(ctx *c, const node *m, const char *key, const char *what)
{
    return sym_yaml_err(c, m, key, "missing; expected %s", what);
}

int sym_yaml_int(ctx *c, const node *m, const char *path, const char *name, int required,
                   long long def, long long lo, long long hi, int *out)
{
    char key[256], what[96];
    node *v = sym_yaml_lookup(c, m, name);
    long long x;

    sym_yaml_join(key, sizeof(key), path, name);
    if (hi == LLONG_MAX || hi >= INT_MAX)
        snprintf(what, sizeof(what), "an integer >= %lld", lo);
    else
        snprintf(what, sizeof(what), "an integer from %lld to %lld", lo, hi);
    if (!v) {
        if (required)
            return sym_yaml_missing(c, m, key, what);
        *out = (int)def;
        return 0;
    }
    if (sym_yaml_parse_long(v, &x) || x < lo || x > hi || x > INT_MAX)
        return sym_yaml_expected(c, v, key, what);
    *out = (int)x;
    return 0;
}

/* range: lo (inclusive unless lo_open), hi (inclusive unless hi_open); NAN = unbounded */
int sym_yaml_double(ctx *c, const node *m, const char *path, const char *name, int required,
                      double def, double lo, int lo_open, double hi, int hi_open, double *out)
{
    char key[256], what[128];
    node *v = sym_yaml_lookup(c, m, name);
    double x;

    sym_yaml_join(key, sizeof(key), path, name);
    if (!isnan(lo) && !isnan(hi))
        snprintf(what, sizeof(what), "a number %s %g and %s %g", lo_open ? ">" : ">=", lo,
                 hi_open ? "<" : "<=", hi);
    else if (!isnan(lo))
        snprintf(what, sizeof(what), "a number %s %g", lo_open ? ">" : ">=", lo);
    else
        snprintf(what, sizeof(what), "a number");
    if (!v) {
        if (required)
            return sym_yaml_missing(c, m, key, what);
        *out = def;
        return 0;
    }
    if (sym_yaml_parse_double(v, &x) || (!isnan(lo) && (lo_open ? x <= lo : x < lo)) ||
        (!isnan(hi) && (hi_open ? x >= hi : x > hi)))
        return sym_yaml_expected(c, v, key, what);
    *out = x;
    return 0;
}

int sym_yaml_bool(ctx *c, const node *m, const char *path, const char *name, int def, int *out)
{
    char key[256];
    node *v = sym_yaml_lookup(c, m, name);
    const char *s = sym_yaml_scalar(v);

    sym_yaml_join(key, sizeof(key), path, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (s && sym_yaml_is_plain(v) && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
        *out = 1;
        return 0;
    }
    if (s && sym_yaml_is_plain(v) && (!strcmp(s, "false") || !strcmp(s, "no"))) {
        *out = 0;
        return 0;
    }
    return sym_yaml_expected(c, v, key, "true or false");
}


int sym_yaml_string(ctx *c, const node *m, const char *path, const char *name, int required,
                      const char *def, char *out, size_t cap)
{
    char key[256];
    node *v = sym_yaml_lookup(c, m, name);
    const char *s = sym_yaml_scalar(v);

    sym_yaml_join(key, sizeof(key), path, name);
    if (!v) {
        if (required)
            return sym_yaml_missing(c, m, key, "a string");
        snprintf(out, cap, "%s", def);
        return 0;
    }
    if (!s || !*s)
        return sym_yaml_expected(c, v, key, "a non-empty string");
    if (strlen(s) >= cap)
        return sym_yaml_err(c, v, key, "expected a string of at most %zu characters, found %zu", cap - 1,
                    strlen(s));
    snprintf(out, cap, "%s", s);
    return 0;
}

/* append "a, b, c" (the non-NULL names) to @p what */
static void one_of(char *what, size_t cap, const char *const *names, int n)
{
    for (int i = 0, first = 1; i < n; i++) {
        if (!names[i])
            continue;
        strncat(what, first ? "" : ", ", cap - strlen(what) - 1);
        strncat(what, names[i], cap - strlen(what) - 1);
        first = 0;
    }
}

/* one of names[0..n-1] (NULL entries skipped) */
int sym_yaml_enum_value(ctx *c, const node *v, const char *key, const char *const *names, int n,
                      int *out)
{
    char what[512] = "one of: ";
    const char *s = sym_yaml_scalar(v);

    for (int i = 0; i < n; i++) {
        if (!names[i])
            continue;
        if (s && strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    one_of(what, sizeof(what), names, n);
    return sym_yaml_expected(c, v, key, what);
}

int sym_yaml_enum(ctx *c, const node *m, const char *path, const char *name, int required,
                    int def, const char *const *names, int n, int *out)
{
    char key[256];
    node *v = sym_yaml_lookup(c, m, name);

    sym_yaml_join(key, sizeof(key), path, name);
    if (!v) {
        if (required) {
            char what[512] = "one of: ";

            one_of(what, sizeof(what), names, n);
            return sym_yaml_missing(c, m, key, what);
        }
        *out = def;
        return 0;
    }
    return sym_yaml_enum_value(c, v, key, names, n, out);
}


/* list of integers -> out[0..*n-1] */
int sym_yaml_int_list(ctx *c, const node *m, const char *path, const char *name, int required,
                        int min_len, int max_len, long long lo, long long hi, int *out, int *n)
{
    char key[256], ikey[280], what[96];
    node *v = sym_yaml_lookup(c, m, name);
    int len;

    sym_yaml_join(key, sizeof(key), path, name);
    if (!v) {
        if (required) {
            snprintf(what, sizeof(what), "a list of at least %d integers", min_len);
            return sym_yaml_missing(c, m, key, what);
        }
        *n = 0;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return sym_yaml_expected(c, v, key, "a list of integers");
    len = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (len < min_len || len > max_len) {
        snprintf(what, sizeof(what), "a list of %d to %d integers", min_len, max_len);
        return sym_yaml_err(c, v, key, "expected %s, found %d", what, len);
    }
    snprintf(what, sizeof(what), "an integer from %lld to %lld", lo, hi);
    for (int i = 0; i < len; i++) {
        node *it = sym_yaml_node(c, v->data.sequence.items.start[i]);
        long long x;

        snprintf(ikey, sizeof(ikey), "%s[%d]", key, i);
        if (sym_yaml_parse_long(it, &x) || x < lo || x > hi)
            return sym_yaml_expected(c, it, ikey, what);
        out[i] = (int)x;
    }
    *n = len;
    return 0;
}

int sym_yaml_seq_len(const node *v)
{
    return (int)(v->data.sequence.items.top - v->data.sequence.items.start);
}

/* compact one-line YAML of a node: the label of a structured grid value */
void sym_yaml_label(ctx *c, const node *v, char *buf, size_t cap, int depth)
{
    size_t used = strlen(buf);

    if (used + 1 >= cap)
        return;
    if (!v || depth > 8) {
        snprintf(buf + used, cap - used, "...");
    } else if (v->type == YAML_SCALAR_NODE) {
        snprintf(buf + used, cap - used, "%s", (const char *)v->data.scalar.value);
    } else if (v->type == YAML_SEQUENCE_NODE) {
        strncat(buf, "[", cap - used - 1);
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            if (it != v->data.sequence.items.start)
                strncat(buf, ", ", cap - strlen(buf) - 1);
            sym_yaml_label(c, sym_yaml_node(c, *it), buf, cap, depth + 1);
        }
        strncat(buf, "]", cap - strlen(buf) - 1);
    } else {
        strncat(buf, "{", cap - used - 1);
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
            if (p != v->data.mapping.pairs.start)
                strncat(buf, ", ", cap - strlen(buf) - 1);
            sym_yaml_label(c, sym_yaml_node(c, p->key), buf, cap, depth + 1);
            strncat(buf, ": ", cap - strlen(buf) - 1);
            sym_yaml_label(c, sym_yaml_node(c, p->value), buf, cap, depth + 1);
        }
        strncat(buf, "}", cap - strlen(buf) - 1);
    }
}

/* ---- canonical form ---- */

typedef struct sink {
    char *buf;
    size_t len, cap;
    int failed;
} sink;

static int sink_write(void *data, unsigned char *buffer, size_t size)
{
    sink *k = data;

    if (k->len + size + 1 > k->cap) {
        size_t cap = (k->cap ? 2 * k->cap : 4096) + size;
        char *nb = realloc(k->buf, cap);

        if (!nb) {
            k->failed = 1;
            return 0;
        }
        k->buf = nb;
        k->cap = cap;
    }
    memcpy(k->buf + k->len, buffer, size);
    k->len += size;
    return 1;
}

int sym_job_canonical_sha256(char out[65], const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_emitter_t emitter;
    yaml_document_t doc;
    sink k = {NULL, 0, 0, 0};
    int rc = 0, have_parser = 0, have_emitter = 0;

    if (!yaml_parser_initialize(&parser))
        SYM_FAIL(SYM_ENOMEM, "cannot initialize the YAML parser");
    have_parser = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc))
        SYM_FAIL(SYM_EJOB, "the job text is not valid YAML");
    if (!yaml_emitter_initialize(&emitter)) {
        yaml_document_delete(&doc);
        SYM_FAIL(SYM_ENOMEM, "cannot initialize the YAML emitter");
    }
    have_emitter = 1;
    /* canonical: one explicit form for every node, no comments, no layout */
    yaml_emitter_set_canonical(&emitter, 1);
    yaml_emitter_set_unicode(&emitter, 1);
    yaml_emitter_set_output(&emitter, sink_write, &k);
    if (!yaml_emitter_open(&emitter)) {
        yaml_document_delete(&doc);
        SYM_FAIL(SYM_ENOMEM, "cannot write the job's canonical form");
    }
    /* yaml_emitter_dump deletes the document, whatever happens */
    if (!yaml_emitter_dump(&emitter, &doc) || !yaml_emitter_close(&emitter) || k.failed)
        SYM_FAIL(SYM_ENOMEM, "cannot write the job's canonical form");
    sym_sha256_hex(out, k.buf ? k.buf : "", k.len);
cleanup:
    if (have_emitter)
        yaml_emitter_delete(&emitter);
    if (have_parser)
        yaml_parser_delete(&parser);
    free(k.buf);
    return rc;
}

/* the node holding @p id (as a sequence item or a mapping value), or 0; *key: its key node */
static int parent_of(ctx *c, int id, int *key)
{
    int n = (int)(c->doc->nodes.top - c->doc->nodes.start);

    for (int p = 1; p <= n; p++) {
        node *v = sym_yaml_node(c, p);

        if (v->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++)
                if (q->value == id || q->key == id) {
                    *key = q->key;
                    return p;
                }
        } else if (v->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
                if (*it == id) {
                    *key = -(int)(it - v->data.sequence.items.start) - 1;
                    return p;
                }
        }
    }
    return 0;
}

int sym_yaml_check_nul(ctx *c)
{
    int n = (int)(c->doc->nodes.top - c->doc->nodes.start);

    /* every node once (an alias shares its node: no tree walk, whatever the aliases) */
    for (int id = 1; id <= n; id++) {
        node *v = sym_yaml_node(c, id);
        char path[256] = "", part[sizeof(path) + 64], found[96];
        size_t len, o = 0;
        int at = id, key = 0;

        if (v->type != YAML_SCALAR_NODE || !memchr(v->data.scalar.value, '\0', v->data.scalar.length))
            continue;
        /* the setting's path, from the node up (at most the nesting bound's levels) */
        for (int depth = 0; depth < SYM_JOB_MAX_DEPTH + 2 && (at = parent_of(c, at, &key)) > 0; depth++) {
            const char *k = key > 0 ? sym_yaml_scalar(sym_yaml_node(c, key)) : NULL;

            if (key > 0)
                snprintf(part, sizeof(part), "%s%s%s", k ? k : "?", path[0] && path[0] != '[' ? "." : "", path);
            else
                snprintf(part, sizeof(part), "[%d]%s%s", -key - 1, path[0] && path[0] != '[' ? "." : "", path);
            memcpy(path, part, sizeof(path) - 1); /* a deep path is cut, never unterminated */
            path[sizeof(path) - 1] = '\0';
        }
        /* what it holds, with the NUL shown as \0 (printf would stop there) */
        len = v->data.scalar.length;
        found[o++] = '"';
        for (size_t i = 0; i < len && o + 8 < sizeof(found); i++) {
            unsigned char ch = v->data.scalar.value[i];

            if (ch == '\0') {
                found[o++] = '\\';
                found[o++] = '0';
            } else {
                found[o++] = (char)ch;
            }
        }
        if (o + 8 >= sizeof(found))
            o += (size_t)snprintf(found + o, sizeof(found) - o, "...");
        found[o++] = '"';
        found[o] = '\0';
        return sym_yaml_err(c, v, path[0] ? path : "(top level)",
                            "expected text without a NUL character (\\0), found %s", found);
    }
    return 0;
}
