/*
 * The JSON Schema of a job file (`symsweep help job --schema`, docs/job-schema.json), from the
 * sections' tables (sections.c) and the probes' (probe_api.h): for each section the keys of each
 * kind (a key of another kind is refused), the required ones, types, ranges and defaults.
 */
#include "job_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a small JSON writer: one member a line, one space of indent a level */
typedef struct jw {
    FILE *f;
    int depth;
    int first[32];
} jw;

static void jkey(jw *w, const char *key)
{
    fprintf(w->f, "%s\n%*s", w->first[w->depth] ? "" : ",", w->depth, "");
    w->first[w->depth] = 0;
    if (key)
        fprintf(w->f, "\"%s\": ", key);
}

static void jstr_raw(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fprintf(f, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    fputc('"', f);
}

static void jopen(jw *w, const char *key, char bracket)
{
    jkey(w, key);
    fputc(bracket, w->f);
    w->first[++w->depth] = 1;
}

static void jclose(jw *w, char bracket)
{
    w->depth--;
    fprintf(w->f, "\n%*s%c", w->depth, "", bracket);
}

static void jstr(jw *w, const char *key, const char *s)
{
    jkey(w, key);
    jstr_raw(w->f, s);
}

static void jnum(jw *w, const char *key, double x)
{
    char buf[40];

    snprintf(buf, sizeof buf, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, sizeof buf, "%.17g", x);
    jkey(w, key);
    fputs(buf, w->f);
}

static void jraw(jw *w, const char *key, const char *text)
{
    jkey(w, key);
    fputs(text, w->f);
}

static void jnames(jw *w, const char *key, const char *const *names, int n)
{
    jopen(w, key, '[');
    for (int i = 0; i < n; i++)
        if (names[i])
            jstr(w, NULL, names[i]);
    jclose(w, ']');
}

/* minimum / exclusiveMinimum, maximum / exclusiveMaximum */
static void jrange(jw *w, double lo, int lo_open, double hi, int hi_open)
{
    if (!isnan(lo))
        jnum(w, lo_open ? "exclusiveMinimum" : "minimum", lo);
    if (!isnan(hi))
        jnum(w, hi_open ? "exclusiveMaximum" : "maximum", hi);
}

static void row_schema(jw *w, const sym_job_row *r);

/* the members of a section's schema, in the object open now */
static void section_body(jw *w, const sym_job_section *sec)
{
    const sym_job_row *kr = sec->kind_row >= 0 ? &sec->rows[sec->kind_row] : NULL;

    jstr(w, "type", "object");
    jstr(w, "description", sec->doc);
    jraw(w, "additionalProperties", "false");
    jopen(w, "properties", '{');
    for (int i = 0; i < sec->n_rows; i++) {
        jopen(w, sec->rows[i].name, '{');
        row_schema(w, &sec->rows[i]);
        jclose(w, '}');
    }
    jclose(w, '}');
    jopen(w, "required", '[');
    for (int i = 0; i < sec->n_rows; i++)
        if ((sec->rows[i].flags & JROW_REQUIRED) && !sec->rows[i].kinds)
            jstr(w, NULL, sec->rows[i].name);
    jclose(w, ']');
    if (kr) { /* each kind: its own required keys, and no key of another kind */
        jopen(w, "allOf", '[');
        for (int k = 0; k < kr->n_names; k++) {
            jopen(w, NULL, '{');
            jraw(w, "if", "");
            fprintf(w->f, "{\"properties\": {\"%s\": {\"const\": \"%s\"}}, \"required\": [\"%s\"]}", kr->name,
                    kr->names[k], kr->name);
            jopen(w, "then", '{');
            jopen(w, "required", '[');
            for (int i = 0; i < sec->n_rows; i++)
                if ((sec->rows[i].flags & JROW_REQUIRED) && sym_job_row_applies(&sec->rows[i], k) &&
                    sec->rows[i].kinds && !(sec->rows[i].flags & JROW_MANUAL))
                    jstr(w, NULL, sec->rows[i].name);
            jclose(w, ']');
            jopen(w, "propertyNames", '{');
            jopen(w, "enum", '[');
            for (int i = 0; i < sec->n_rows; i++)
                if (sym_job_row_applies(&sec->rows[i], k))
                    jstr(w, NULL, sec->rows[i].name);
            jclose(w, ']');
            jclose(w, '}');
            jclose(w, '}');
            jclose(w, '}');
        }
        jclose(w, ']');
    }
}

static void section_schema(jw *w, const char *key, const sym_job_section *sec)
{
    jopen(w, key, '{');
    section_body(w, sec);
    jclose(w, '}');
}

static void row_schema(jw *w, const sym_job_row *r)
{
    int has_def = !(r->flags & JROW_REQUIRED) && !r->def_from && !r->def_s;

    switch (r->type) {
    case JROW_INT: case JROW_INT64:
        jstr(w, "type", "integer");
        jrange(w, r->lo, 0, r->hi_from ? NAN : r->hi, 0);
        break;
    case JROW_DOUBLE:
        if (r->flags & JROW_INF) {
            jopen(w, "anyOf", '[');
            jopen(w, NULL, '{');
            jstr(w, "type", "number");
            jrange(w, r->lo, r->lo_open, r->hi, r->hi_open);
            jclose(w, '}');
            jraw(w, NULL, "{\"const\": \"inf\"}");
            jclose(w, ']');
        } else {
            jstr(w, "type", "number");
            jrange(w, r->lo, r->lo_open, r->hi, r->hi_open);
        }
        break;
    case JROW_BOOL:
        if (r->n_names) {
            jopen(w, "anyOf", '[');
            jraw(w, NULL, "{\"type\": \"boolean\"}");
            for (int i = 0; i < r->n_names; i++)
                fprintf(w->f, ",\n%*s{\"const\": \"%s\"}", w->depth, "", r->names[i]);
            jclose(w, ']');
        } else
            jstr(w, "type", "boolean");
        break;
    case JROW_ENUM: jnames(w, "enum", r->names, r->n_names); break;
    case JROW_STRING:
        jstr(w, "type", "string");
        jnum(w, "minLength", 1);
        jnum(w, "maxLength", (double)r->cap - 1);
        break;
    case JROW_INT_LIST:
        jstr(w, "type", "array");
        jopen(w, "items", '{');
        jstr(w, "type", "integer");
        jrange(w, r->lo, 0, r->hi, 0);
        jclose(w, '}');
        jnum(w, "minItems", r->min_len);
        jnum(w, "maxItems", r->max_len);
        break;
    case JROW_DOUBLE_LIST:
        jstr(w, "type", "array");
        jopen(w, "items", '{');
        jstr(w, "type", "number");
        jrange(w, r->lo, r->lo_open, r->hi, r->hi_open);
        jclose(w, '}');
        jnum(w, "minItems", r->min_len);
        jnum(w, "maxItems", r->max_len);
        break;
    case JROW_ENUM_LIST:
        jopen(w, "anyOf", '[');
        jopen(w, NULL, '{');
        jnames(w, "enum", r->names, r->n_names);
        jclose(w, '}');
        jopen(w, NULL, '{');
        jstr(w, "type", "array");
        jopen(w, "items", '{');
        jnames(w, "enum", r->names, r->n_names);
        jclose(w, '}');
        jnum(w, "maxItems", r->max_len);
        jclose(w, '}');
        jclose(w, ']');
        break;
    case JROW_SECTION: case JROW_COUNT: break;
    }
    if (r->type == JROW_SECTION) { /* its own table */
        section_body(w, r->sub);
        return;
    }
    if (has_def && (r->type == JROW_ENUM || r->type == JROW_ENUM_LIST))
        jstr(w, "default", r->names[(int)r->def]);
    else if (has_def && r->type == JROW_BOOL)
        jraw(w, "default", r->def != 0 ? "true" : "false");
    else if (r->type == JROW_STRING && r->def_s && r->def_s[0])
        jstr(w, "default", r->def_s);
    else if (has_def && r->type == JROW_STRING)
        ;
    else if (r->type == JROW_INT_LIST && r->def_s && r->def_s[0] == '[')
        jraw(w, "default", r->def_s);
    else if (has_def && r->type != JROW_INT_LIST && r->type != JROW_DOUBLE_LIST)
        jnum(w, "default", r->def);
    jstr(w, "description", r->doc);
}

/* ---- the probes, from their own tables ---- */

/* one word of an enum setting, unless it came before (aliases up to @p upto, -1: all of them) */
static void enum_word(jw *w, const char *word, const char *const *aliases, int upto, const sym_setting *s)
{
    for (int i = 0; aliases && aliases[i] && (upto < 0 || i < upto); i += 2)
        if (!strcmp(aliases[i], word))
            return;
    for (int i = 0; upto >= 0 && i < s->n_names; i++) /* an alias that is also a name: as the name */
        if (s->names[i] && !strcmp(s->names[i], word))
            return;
    if (!strcmp(word, "true") || !strcmp(word, "false"))
        jraw(w, NULL, word);
    else
        jstr(w, NULL, word);
}

static void probe_setting_schema(jw *w, const sym_setting *s, const void *opts)
{
    char what[512];
    int iv;
    double dv;

    sym_probe_setting_default(&iv, &dv, s, opts);

    jopen(w, s->name, '{');
    switch (s->type) {
    case SYM_SETTING_INT:
        jstr(w, "type", "integer");
        jrange(w, s->lo, 0, s->hi, 0);
        jnum(w, "default", iv);
        break;
    case SYM_SETTING_DOUBLE:
        jstr(w, "type", "number");
        jrange(w, s->lo, s->lo_open, s->hi, s->hi_open);
        jnum(w, "default", dv);
        break;
    case SYM_SETTING_BOOL:
        jstr(w, "type", "boolean");
        jraw(w, "default", iv ? "true" : "false");
        break;
    case SYM_SETTING_ENUM: /* the aliases' words and the names, each once; YAML's true / false: booleans */
        jopen(w, "enum", '[');
        for (int i = 0; s->aliases && s->aliases[i]; i += 2)
            enum_word(w, s->aliases[i], s->aliases, i, s);
        for (int i = 0; i < s->n_names; i++)
            if (s->names[i])
                enum_word(w, s->names[i], s->aliases, -1, s);
        jclose(w, ']');
        if (!strcmp(s->names[iv], "true") || !strcmp(s->names[iv], "false"))
            jraw(w, "default", s->names[iv]);
        else
            jstr(w, "default", s->names[iv]);
        break;
    case SYM_SETTING_FAMILIES:
        jstr(w, "type", "array");
        jopen(w, "items", '{');
        jnames(w, "enum", sym_group_names, SYM_GROUP_COUNT);
        jclose(w, '}');
        jnum(w, "minItems", 1);
        jnum(w, "maxItems", SYM_GROUP_COUNT);
        jraw(w, "uniqueItems", "true");
        break;
    case SYM_SETTING_EXPONENTS:
        jstr(w, "type", "array");
        jopen(w, "items", '{');
        jopen(w, "anyOf", '[');
        jopen(w, NULL, '{');
        jstr(w, "type", "number");
        jrange(w, s->lo, 0, s->hi, 0);
        jclose(w, '}');
        jraw(w, NULL, "{\"const\": \"inf\"}");
        jclose(w, ']');
        jclose(w, '}');
        jnum(w, "minItems", 1);
        jnum(w, "maxItems", s->max_len);
        break;
    }
    sym_probe_setting_text(what, sizeof what, s, opts);
    jstr(w, "x-type", what);
    jstr(w, "description", s->doc);
    jclose(w, '}');
}

static int probes_schema(jw *w)
{
    jopen(w, "probes", '{');
    jstr(w, "type", "object");
    jstr(w, "description", "probes run on each trained network; a plug-in: NAME: {plugin: FILE.so, ...}");
    jopen(w, "properties", '{');
    for (int i = 0; i < sym_probe_n_builtins; i++) {
        const sym_probe_def *d = sym_probe_builtins[i].def;
        void *opts = sym_probe_defaults(d);

        if (!opts)
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory");
        jopen(w, d->name, '{');
        jstr(w, "description", d->doc);
        jopen(w, "anyOf", '['); /* `NAME:` alone (null) takes the defaults */
        jopen(w, NULL, '{');
        jstr(w, "type", "object");
        jraw(w, "additionalProperties", "false");
        jopen(w, "properties", '{');
        for (int k = 0; k < d->n_settings; k++)
            probe_setting_schema(w, &d->settings[k], opts);
        if (d->team) {
            jraw(w, "team", "{\"anyOf\": [{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 4096}, "
                            "{\"const\": \"auto\"}], \"default\": 1, \"description\": \"ranks of each run's "
                            "team task, or auto\"}");
            jraw(w, "team_memory_mb", "{\"type\": \"integer\", \"minimum\": 16, \"maximum\": 16777216, "
                                      "\"default\": 2048, \"description\": \"memory per team rank for "
                                      "team: auto, in MiB\"}");
        }
        jclose(w, '}');
        jclose(w, '}');
        jraw(w, NULL, "{\"type\": \"null\"}");
        jclose(w, ']');
        jclose(w, '}');
        sym_probe_defaults_free(d, opts);
    }
    jclose(w, '}');
    jraw(w, "additionalProperties", "{\"type\": \"object\", \"required\": [\"plugin\"], "
                                    "\"properties\": {\"plugin\": {\"type\": \"string\"}}}");
    jclose(w, '}');
    return 0;
}

/* the names of a section's axes: the section (when @p self), each row's dotted path, nested ones */
static void sweep_names(jw *w, const sym_job_section *sec, int self)
{
    if (self)
        jstr(w, NULL, sec->path);
    for (int i = 0; i < sec->n_rows; i++) {
        char key[128];

        snprintf(key, sizeof key, "%s.%s", sec->path, sec->rows[i].name);
        jstr(w, NULL, key);
        if (sec->rows[i].type == JROW_SECTION)
            sweep_names(w, sec->rows[i].sub, 0);
    }
}

/* the sweep axes of one section (and its nested ones) by their dotted paths: a list of values,
 * each as the row reads one, or a range string; a nested section's axis: a list of mappings */
static void sweep_rows(jw *w, const sym_job_section *sec)
{
    for (int i = 0; i < sec->n_rows; i++) {
        const sym_job_row *r = &sec->rows[i];
        char key[128];

        snprintf(key, sizeof key, "%s.%s", sec->path, r->name);
        jopen(w, key, '{');
        jopen(w, "anyOf", '[');
        jopen(w, NULL, '{');
        jstr(w, "type", "array");
        jnum(w, "minItems", 1);
        jopen(w, "items", '{');
        if (r->type == JROW_SECTION)
            section_body(w, r->sub);
        else
            row_schema(w, r);
        jclose(w, '}');
        jclose(w, '}');
        if (r->type == JROW_INT || r->type == JROW_INT64 || r->type == JROW_DOUBLE)
            jraw(w, NULL, "{\"type\": \"string\", \"pattern\": \"^(range|linspace|logspace)\\\\(.*\\\\)$\"}");
        jclose(w, ']');
        jclose(w, '}');
        if (r->type == JROW_SECTION)
            sweep_rows(w, r->sub);
    }
}

/* sweep: from the same tables as the sections: every setting of the sections a sweep may vary
 * (sym_job_sweepable), a whole section, zip groups, and probes' settings by their pattern */
static void sweep_schema(jw *w)
{
    jopen(w, "sweep", '{');
    jstr(w, "type", "object");
    jstr(w, "description", "axes: a setting's dotted path (or a whole section) and its list of values, or "
                           "range(a, b, step), linspace(a, b, n), logspace(a, b, n); zip: groups varied together; "
                           "probes.NAME.SETTING for a probe's setting");
    jopen(w, "properties", '{');
    for (int i = 0; i < sym_job_n_sections; i++) {
        const sym_job_section *sec = &sym_job_sections[i];

        if (!sym_job_sweepable(sec->path))
            continue;
        jopen(w, sec->path, '{');
        jstr(w, "type", "array");
        jnum(w, "minItems", 1);
        jopen(w, "items", '{');
        section_body(w, sec);
        jclose(w, '}');
        jclose(w, '}');
        sweep_rows(w, sec);
    }
    jraw(w, "zip", "{\"description\": \"one group of equally long lists (a mapping of axes), or a list of "
                   "such groups\", \"anyOf\": [{\"type\": \"object\"}, {\"type\": \"array\", \"items\": "
                   "{\"type\": \"object\"}}]}");
    jclose(w, '}');
    jopen(w, "propertyNames", '{');
    jopen(w, "anyOf", '[');
    jopen(w, NULL, '{');
    jopen(w, "enum", '[');
    jstr(w, NULL, "zip");
    for (int i = 0; i < sym_job_n_sections; i++)
        if (sym_job_sweepable(sym_job_sections[i].path))
            sweep_names(w, &sym_job_sections[i], 1);
    jclose(w, ']');
    jclose(w, '}');
    jraw(w, NULL, "{\"pattern\": \"^probes\\\\.[A-Za-z0-9_]+\\\\.[A-Za-z0-9_]+$\"}");
    jclose(w, ']');
    jclose(w, '}');
    jclose(w, '}');
}

int sym_job_reference_schema(FILE *out)
{
    jw w = {.f = out, .depth = 0, .first = {1}};
    int rc;

    fputc('{', out);
    w.first[++w.depth] = 1;
    jstr(&w, "$schema", "https://json-schema.org/draft/2020-12/schema");
    jstr(&w, "$id", "symsweep-job.schema.json");
    jstr(&w, "title", "symsweep job file");
    jstr(&w, "description", "Printed by `symsweep help job --schema` from the tables the job parser "
                            "reads with; docs/job-reference.md is the same as text.");
    jstr(&w, "type", "object");
    jraw(&w, "additionalProperties", "false");
    jraw(&w, "required", "[\"data\", \"model\", \"train\"]");
    jopen(&w, "properties", '{');
    jraw(&w, "name", "{\"type\": \"string\", \"pattern\": \"^[A-Za-z0-9_][A-Za-z0-9._-]*$\", "
                     "\"maxLength\": 127, \"description\": \"the job's name (default output NAME.h5)\"}");
    jopen(&w, "seeds", '{');
    jstr(&w, "description", sym_job_sections[JSEC_SEEDS].doc);
    jopen(&w, "anyOf", '[');
    jraw(&w, NULL, "{\"type\": \"array\", \"minItems\": 1, \"uniqueItems\": true, \"items\": "
                   "{\"type\": \"integer\", \"minimum\": 0, \"maximum\": 4503599627370496}}");
    section_schema(&w, NULL, &sym_job_sections[JSEC_SEEDS]);
    jclose(&w, ']');
    jclose(&w, '}');
    for (int i = 1; i < sym_job_n_sections; i++)
        section_schema(&w, sym_job_sections[i].path, &sym_job_sections[i]);
    sweep_schema(&w);
    rc = probes_schema(&w);
    jclose(&w, '}');
    w.depth--;
    fprintf(out, "\n}\n");
    return rc;
}
