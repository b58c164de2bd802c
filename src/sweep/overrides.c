/*
 * Settings given on the command line: `symsweep run JOB.yaml train.lr=0.01
 * 'sweep.model.activation=[relu, tanh]'`.  Each KEY.PATH=VALUE is grafted
 * into the job's YAML tree before the job is read, so it is checked like the
 * file's own settings; its nodes carry a mark that makes messages name the
 * argument instead of a line of the file.  The effective job (the file with
 * the overrides applied) is what the output records and what --resume
 * compares.
 */
#include "job_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the path's components: "sweep.model.lr" is sweep -> "model.lr" (an axis key), else split at dots */
static int split_path(char comps[][256], int max, const char *key, size_t len)
{
    int n = 0;
    size_t a = 0;

    if (len > 6 && strncmp(key, "sweep.", 6) == 0) {
        snprintf(comps[0], 256, "sweep");
        snprintf(comps[1], 256, "%.*s", (int)(len - 6), key + 6);
        return 2;
    }
    for (size_t i = 0; i <= len; i++)
        if (i == len || key[i] == '.') {
            if (i == a || n == max || i - a >= 256)
                return -1;
            snprintf(comps[n++], 256, "%.*s", (int)(i - a), key + a);
            a = i + 1;
        }
    return n;
}

static void mark(node *v, int k, size_t col)
{
    v->start_mark.line = v->end_mark.line = SYM_OVERRIDE_LINE + (size_t)k;
    v->start_mark.column = v->end_mark.column = col;
}

/* copy node @p id of @p src into @p dst (marks: override k, columns shifted by @p col0) */
static int copy_node(yaml_document_t *dst, yaml_document_t *src, int id, int k, size_t col0)
{
    node *s = yaml_document_get_node(src, id);
    size_t col = col0 + s->start_mark.column;
    int out = 0;

    if (s->type == YAML_SCALAR_NODE) {
        out = yaml_document_add_scalar(dst, NULL, s->data.scalar.value, (int)s->data.scalar.length,
                                       s->data.scalar.style);
    } else if (s->type == YAML_SEQUENCE_NODE) {
        out = yaml_document_add_sequence(dst, NULL, YAML_FLOW_SEQUENCE_STYLE);
        for (yaml_node_item_t *it = s->data.sequence.items.start; out && it < s->data.sequence.items.top;
             it++) {
            int c = copy_node(dst, src, *it, k, col0);

            /* s may have moved: src is not written, only dst */
            if (!c || !yaml_document_append_sequence_item(dst, out, c))
                return 0;
        }
    } else if (s->type == YAML_MAPPING_NODE) {
        out = yaml_document_add_mapping(dst, NULL, YAML_FLOW_MAPPING_STYLE);
        for (yaml_node_pair_t *p = s->data.mapping.pairs.start; out && p < s->data.mapping.pairs.top;
             p++) {
            int kk = copy_node(dst, src, p->key, k, col0), vv = kk ? copy_node(dst, src, p->value, k, col0) : 0;

            if (!vv || !yaml_document_append_mapping_pair(dst, out, kk, vv))
                return 0;
        }
    }
    if (out)
        mark(yaml_document_get_node(dst, out), k, col);
    return out;
}

/* the value node of @p key in mapping @p map (ids), or 0; *pair the pair's index */
static int find_key(yaml_document_t *doc, int map, const char *key, size_t *pair)
{
    node *m = yaml_document_get_node(doc, map);

    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        node *kn = yaml_document_get_node(doc, p->key);

        if (kn->type == YAML_SCALAR_NODE && strlen(key) == kn->data.scalar.length &&
            memcmp(kn->data.scalar.value, key, kn->data.scalar.length) == 0) {
            *pair = (size_t)(p - m->data.mapping.pairs.start);
            return p->value;
        }
    }
    return 0;
}

static int add_key(yaml_document_t *doc, int map, const char *key, int value, int k)
{
    int id = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)key, (int)strlen(key),
                                      YAML_PLAIN_SCALAR_STYLE);

    if (!id || !yaml_document_append_mapping_pair(doc, map, id, value))
        return -1;
    mark(yaml_document_get_node(doc, id), k, 1);
    return 0;
}

static int apply_one(ctx *c, yaml_document_t *doc, const char *arg, int k)
{
    const char *eq = strchr(arg, '=');
    char comps[16][256];
    int n, map, rc = 0, have_val = 0, val, root_id;
    yaml_parser_t parser;
    yaml_document_t vdoc;

    n = eq ? split_path(comps, 16, arg, (size_t)(eq - arg)) : -1;
    if (n < 1 || !eq[1])
        SYM_FAIL(SYM_EJOB, "%s: command line '%s': expected KEY.PATH=VALUE (for example "
                 "train.lr=0.01 or 'sweep.model.activation=[relu, tanh]')", c->file, arg);
    {
        /* nesting bounded before any parser (or this file's recursive copy) sees it */
        char where[1200];

        snprintf(where, sizeof(where), "%s: command line '%.1000s'", c->file, arg);
        SYM_TRY(sym_yaml_check_depth(eq + 1, strlen(eq + 1), where, SYM_JOB_MAX_DEPTH));
    }
    if (!yaml_parser_initialize(&parser))
        SYM_FAIL(SYM_ENOMEM, "cannot initialize the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)eq + 1, strlen(eq + 1));
    have_val = yaml_parser_load(&parser, &vdoc);
    if (!have_val || !yaml_document_get_root_node(&vdoc)) {
        rc = sym_err_set(SYM_EJOB, __FILE__, __LINE__, "%s: command line '%s': %.*s: (syntax): %s",
                         c->file, arg, (int)(eq - arg), arg,
                         parser.problem ? parser.problem : "expected a value after '='");
        yaml_parser_delete(&parser);
        goto cleanup;
    }
    {
        /* one value: a second YAML document after it ("0.1\n---\nx: 1") would be dropped
         * silently, as in a job file (where it is refused too) */
        yaml_document_t extra;
        int more = yaml_parser_load(&parser, &extra), second = 0;

        if (more) {
            second = yaml_document_get_root_node(&extra) != NULL;
            yaml_document_delete(&extra);
        }
        if (!more || second) {
            rc = sym_err_set(SYM_EJOB, __FILE__, __LINE__, "%s: command line '%s': %.*s: %s%s", c->file,
                             arg, (int)(eq - arg), arg,
                             more ? "expected one value, found a second YAML document after it"
                                  : "(syntax): ",
                             more ? "" : parser.problem ? parser.problem : "invalid YAML");
            yaml_parser_delete(&parser);
            goto cleanup;
        }
    }
    yaml_parser_delete(&parser);
    root_id = yaml_document_get_root_node(doc) ? 1 : 0;
    if (!root_id && !(root_id = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE)))
        SYM_FAIL(SYM_ENOMEM, "out of memory for a command-line setting");
    if (yaml_document_get_node(doc, root_id)->type != YAML_MAPPING_NODE)
        SYM_FAIL(SYM_EJOB, "%s:1:1: (top level): expected a mapping of settings to apply "
                 "command line '%s' to", c->file, arg);
    map = root_id;
    for (int i = 0; i < n; i++) {
        size_t pair = 0;
        int v = find_key(doc, map, comps[i], &pair);

        if (i == n - 1) {
            val = copy_node(doc, &vdoc, yaml_document_get_root_node(&vdoc) - vdoc.nodes.start + 1, k,
                            (size_t)(eq - arg) + 1);
            if (!val)
                SYM_FAIL(SYM_ENOMEM, "out of memory for a command-line setting");
            if (v) /* replace the file's value */
                yaml_document_get_node(doc, map)->data.mapping.pairs.start[pair].value = val;
            else if (add_key(doc, map, comps[i], val, k) < 0)
                SYM_FAIL(SYM_ENOMEM, "out of memory for a command-line setting");
            break;
        }
        if (v && yaml_document_get_node(doc, v)->type != YAML_MAPPING_NODE) {
            char found[96];
            node *vn = yaml_document_get_node(doc, v);

            sym_yaml_describe(found, sizeof(found), vn);
            SYM_FAIL(SYM_EJOB, "%s: command line '%s': %s is %s on line %zu of the job file, not a "
                     "mapping of settings", c->file, arg, comps[i], found, vn->start_mark.line + 1);
        }
        if (!v) { /* a section the file does not have */
            v = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE);
            if (!v || add_key(doc, map, comps[i], v, k) < 0)
                SYM_FAIL(SYM_ENOMEM, "out of memory for a command-line setting");
            mark(yaml_document_get_node(doc, v), k, 1);
        }
        map = v;
    }
cleanup:
    if (have_val)
        yaml_document_delete(&vdoc);
    return rc;
}

/*
 * No setting given twice on the command line: the later would silently win (train.lr=0.1 ...
 * train.lr=0.2), or replace a whole section the earlier set a key of (train.lr=0.1
 * 'train={epochs: 5}').  Malformed keys are left to apply_one.
 */
static int check_repeats(ctx *c)
{
    char a[16][256], b[16][256];
    int rc = 0;

    for (int k = 1; k < c->n_overrides; k++) {
        const char *ek = strchr(c->overrides[k], '=');
        int nk = ek ? split_path(a, 16, c->overrides[k], (size_t)(ek - c->overrides[k])) : -1;

        for (int j = 0; nk > 0 && j < k; j++) {
            const char *ej = strchr(c->overrides[j], '=');
            int nj = ej ? split_path(b, 16, c->overrides[j], (size_t)(ej - c->overrides[j])) : -1, i;

            if (nj < 1)
                continue;
            for (i = 0; i < nk && i < nj && !strcmp(a[i], b[i]); i++)
                ;
            if (i < nk && i < nj)
                continue; /* they part somewhere */
            if (nk == nj)
                SYM_FAIL(SYM_EJOB, "%s: command line '%s': %.*s: set twice on the command line "
                         "(also '%s'): give each setting once", c->file, c->overrides[k],
                         (int)(ek - c->overrides[k]), c->overrides[k], c->overrides[j]);
            SYM_FAIL(SYM_EJOB, "%s: command line '%s': %.*s: set twice on the command line ('%s' "
                     "sets %s): give each setting once", c->file, c->overrides[k],
                     (int)(ek - c->overrides[k]), c->overrides[k], c->overrides[j],
                     nk < nj ? "a setting inside it" : "the section it is in");
        }
    }
cleanup:
    return rc;
}

int sym_job_apply_overrides(ctx *c, yaml_document_t *doc)
{
    int rc = 0;

    SYM_TRY(check_repeats(c));
    for (int k = 0; k < c->n_overrides; k++)
        SYM_TRY(apply_one(c, doc, c->overrides[k], k));
cleanup:
    return rc;
}

/* libyaml's emitter writes into a growing buffer */
typedef struct sink {
    char *buf;
    size_t len, cap;
} sink;

static int sink_write(void *data, unsigned char *buffer, size_t size)
{
    sink *s = data;

    if (s->len + size + 1 > s->cap) {
        size_t cap = (s->len + size + 1) * 2;
        char *b = realloc(s->buf, cap);

        if (!b)
            return 0;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, buffer, size);
    s->len += size;
    s->buf[s->len] = '\0';
    return 1;
}

/* from a fresh parse of the text: the emitter consumes the document it writes, and the one the
 * job was read from has been changed by the sweep's substitutions */
int sym_job_effective_text(char **out, size_t *out_len, ctx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_emitter_t emitter;
    yaml_document_t doc;
    sink s = {NULL, 0, 0};
    int rc = 0, have_doc = 0;
    char head[2048];

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        SYM_FAIL(SYM_ENOMEM, "cannot initialize the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    have_doc = yaml_parser_load(&parser, &doc);
    yaml_parser_delete(&parser);
    if (!have_doc)
        SYM_FAIL(SYM_EJOB, "%s: the job file no longer parses", c->file);
    SYM_TRY(sym_job_apply_overrides(c, &doc));
    /* a comment first: the emitter writes none */
    snprintf(head, sizeof(head), "# %s with settings from the command line:", c->file);
    for (int k = 0; k < c->n_overrides && strlen(head) + 16 < sizeof(head); k++)
        snprintf(head + strlen(head), sizeof(head) - strlen(head), " %.*s%s",
                 (int)(sizeof(head) - strlen(head) - 8), c->overrides[k],
                 k + 1 < c->n_overrides ? "," : "");
    if (!sink_write(&s, (unsigned char *)head, strlen(head)) || !sink_write(&s, (unsigned char *)"\n", 1))
        SYM_FAIL(SYM_ENOMEM, "out of memory for the effective job");
    if (!yaml_emitter_initialize(&emitter))
        SYM_FAIL(SYM_ENOMEM, "cannot initialize the YAML emitter");
    yaml_emitter_set_output(&emitter, sink_write, &s);
    yaml_emitter_set_unicode(&emitter, 1);
    have_doc = 0; /* yaml_emitter_dump deletes the document, also on failure */
    if (!yaml_emitter_open(&emitter) || !yaml_emitter_dump(&emitter, &doc) ||
        !yaml_emitter_close(&emitter)) {
        yaml_emitter_delete(&emitter);
        SYM_FAIL(SYM_ENOMEM, "cannot write the effective job");
    }
    yaml_emitter_delete(&emitter);
    *out = s.buf;
    *out_len = s.len;
    s.buf = NULL;
cleanup:
    if (have_doc)
        yaml_document_delete(&doc);
    free(s.buf);
    return rc;
}
