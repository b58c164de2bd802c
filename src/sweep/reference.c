/*
 * The job file described from the tables that read it: `symsweep help job [SECTION]`, the
 * Markdown reference (docs/job-reference.md) and the JSON Schema (docs/job-schema.json), the
 * sections' settings from their rows (sections.c) and the probes' from their own tables
 * (probe_api.h).  Nothing here lists a setting by hand.
 */
#include "job_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- words: a row's kinds, type and default ---- */

/* the kinds of its section a row is used by ("teacher_linear, subspace"), or "all" */
static void kinds_text(char *buf, size_t cap, const sym_job_section *sec, const sym_job_row *r)
{
    const sym_job_row *kr = sec->kind_row >= 0 ? &sec->rows[sec->kind_row] : NULL;

    snprintf(buf, cap, "%s", r->kinds && kr ? "" : "all");
    for (int k = 0; r->kinds && kr && k < kr->n_names; k++)
        if ((r->kinds >> k) & 1u)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", buf[0] ? ", " : "", kr->names[k]);
}

static void names_text(char *buf, size_t cap, const char *const *names, int n, const char *q)
{
    for (int i = 0; i < n; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s%s%s", i ? ", " : "", q, names[i], q);
}

static void range_text(char *buf, size_t cap, const char *what, const sym_job_row *r)
{
    const char *f = what[0] == 'i' ? " and %s %.0f" : " and %s %g"; /* integers in full */

    snprintf(buf + strlen(buf), cap - strlen(buf), "%s %s %g", what, r->lo_open ? ">" : ">=", r->lo);
    if (r->hi_from)
        snprintf(buf + strlen(buf), cap - strlen(buf), " and <= %s", r->hi_from);
    else if (!isnan(r->hi))
        snprintf(buf + strlen(buf), cap - strlen(buf), f, r->hi_open ? "<" : "<=", r->hi);
}

static void type_text(char *buf, size_t cap, const sym_job_row *r, const char *q)
{
    buf[0] = '\0';
    switch (r->type) {
    case JROW_INT: case JROW_INT64: range_text(buf, cap, "integer", r); break;
    case JROW_DOUBLE:
        range_text(buf, cap, "number", r);
        if (r->flags & JROW_INF)
            snprintf(buf + strlen(buf), cap - strlen(buf), " or %sinf%s", q, q);
        break;
    case JROW_BOOL:
        snprintf(buf, cap, "boolean");
        for (int i = 0; i < r->n_names; i++)
            snprintf(buf + strlen(buf), cap - strlen(buf), " or %s%s%s", q, r->names[i], q);
        break;
    case JROW_ENUM: snprintf(buf, cap, "one of "); names_text(buf, cap, r->names, r->n_names, q); break;
    case JROW_STRING: snprintf(buf, cap, "string"); break;
    case JROW_INT_LIST:
        snprintf(buf, cap, "list of %d to %d integers %g..%.15g", r->min_len, r->max_len, r->lo, r->hi);
        break;
    case JROW_ENUM_LIST:
        snprintf(buf, cap, "one of ");
        names_text(buf, cap, r->names, r->n_names, q);
        if (r->max_len == SYM_MAX_LAYERS) /* model.activation */
            snprintf(buf + strlen(buf), cap - strlen(buf), ", or a list of them (one per hidden layer)");
        else
            snprintf(buf + strlen(buf), cap - strlen(buf), ", or a list of at most %d of them", r->max_len);
        break;
    case JROW_DOUBLE_LIST:
        snprintf(buf, cap, "list of %d to %d increasing numbers in %s%g, %g%s", r->min_len, r->max_len,
                 r->lo_open ? "(" : "[", r->lo, r->hi, r->hi_open ? ")" : "]");
        break;
    case JROW_SECTION: snprintf(buf, cap, "mapping (%s, below)", r->sub->path); break;
    case JROW_COUNT: break;
    }
}

/* the default as a job would write it; "" for a required row */
static void default_text(char *buf, size_t cap, const sym_job_row *r)
{
    buf[0] = '\0';
    if (r->def_s && r->type != JROW_STRING)
        snprintf(buf, cap, "%s", r->def_s);
    else if (r->def_from)
        snprintf(buf, cap, "%s", r->def_from);
    else if ((r->flags & JROW_REQUIRED) || r->type == JROW_SECTION)
        return;
    else if (r->type == JROW_STRING)
        snprintf(buf, cap, "%s", r->def_s && r->def_s[0] ? r->def_s : "none");
    else if (r->type == JROW_BOOL)
        snprintf(buf, cap, "%s", r->def != 0 ? "true" : "false");
    else if (r->type == JROW_ENUM || r->type == JROW_ENUM_LIST)
        snprintf(buf, cap, "%s", r->names[(int)r->def]);
    else if (r->type == JROW_INT_LIST || r->type == JROW_DOUBLE_LIST)
        snprintf(buf, cap, "[]");
    else
        snprintf(buf, cap, "%g", r->def);
}

/* ---- help job ---- */

static void help_section(FILE *out, const sym_job_section *sec)
{
    fprintf(out, "%s: %s\n\nsettings:\n", sec->path, sec->doc);
    for (int i = 0; i < sec->n_rows; i++) {
        const sym_job_row *r = &sec->rows[i];
        char ty[512], def[128], kinds[256];

        type_text(ty, sizeof ty, r, "");
        default_text(def, sizeof def, r);
        kinds_text(kinds, sizeof kinds, sec, r);
        fprintf(out, "  %-18s %s\n  %-18s   %s%s%s%s%s%s\n", r->name, r->doc, "", ty,
                def[0] ? ", default " : (r->flags & JROW_REQUIRED) ? ", required" : "", def,
                strcmp(kinds, "all") ? " (" : "", strcmp(kinds, "all") ? kinds : "",
                strcmp(kinds, "all") ? ")" : "");
    }
    for (int i = 0; i < sec->n_rows; i++)
        if (sec->rows[i].type == JROW_SECTION) {
            fputc('\n', out);
            help_section(out, sec->rows[i].sub);
        }
}

/* the sweep section: its forms, and the settings it may vary (from the tables) */
static void sweep_names_text(FILE *out, const sym_job_section *sec, int *col)
{
    for (int i = 0; i < sec->n_rows; i++) {
        char key[128];
        int n = snprintf(key, sizeof key, "%s.%s", sec->path, sec->rows[i].name);

        if (*col + n + 2 > 96) {
            fprintf(out, "\n   ");
            *col = 3;
        }
        *col += fprintf(out, " %s", key);
        if (sec->rows[i].type == JROW_SECTION)
            sweep_names_text(out, sec->rows[i].sub, col);
    }
}

static int sweep_help(FILE *out)
{
    fprintf(out, "sweep: axes, each a setting's dotted path and its values; the runs are every combination "
                 "of the axes' values, times the seeds\n\nforms:\n"
                 "  PATH: [v1, v2, ...]          a list of values, each as the setting reads one\n"
                 "  PATH: range(a, b, step)      b excluded; also linspace(a, b, n), logspace(a, b, n) "
                 "(10^a .. 10^b)\n"
                 "  SECTION: [{...}, {...}]      a whole section per value (regularizer, model.init, ...)\n"
                 "  zip: {PATH: [...], ...}      equally long lists varied together: one axis (or a list "
                 "of such groups)\n"
                 "  probes.NAME.SETTING: [...]   a setting of a probe the job has (symsweep help probes "
                 "NAME)\n\nsettings a sweep may vary (seeds and record belong to the job):\n");
    for (int i = 0; i < sym_job_n_sections; i++) {
        int col = 3;

        if (!sym_job_sweepable(sym_job_sections[i].path))
            continue;
        col += fprintf(out, "   %s", sym_job_sections[i].path);
        sweep_names_text(out, &sym_job_sections[i], &col);
        fputc('\n', out);
    }
    return 0;
}

int sym_job_help(FILE *out, const char *section)
{
    const sym_job_section *sec;

    if (!section) {
        fprintf(out, "the sections of a job file:\n");
        for (int i = 0; i < sym_job_n_sections; i++)
            fprintf(out, "  %-12s %s\n", sym_job_sections[i].path, sym_job_sections[i].doc);
        fprintf(out, "  %-12s %s\n  %-12s %s\n\nsymsweep help job SECTION lists a section's settings; "
                     "--markdown and --schema print the whole reference.\n",
                "sweep", "axes: a setting's path and its values (docs/job-files.md)", "probes",
                "measurements on each trained network (symsweep help probes)");
        return 0;
    }
    if (strcmp(section, "probes") == 0)
        return sym_probes_help(out, NULL);
    if (strcmp(section, "sweep") == 0)
        return sweep_help(out);
    if (!(sec = sym_job_section_find(section)))
        return sym_err_set(SYM_EUSAGE, __FILE__, __LINE__,
                           "no section '%s'; the sections: symsweep help job", section);
    help_section(out, sec);
    return 0;
}

/* ---- Markdown ---- */

static void md_escape(FILE *out, const char *s)
{
    for (; *s; s++)
        fprintf(out, *s == '|' ? "\\|" : "%c", *s);
}

static void md_section(FILE *out, const sym_job_section *sec)
{
    fprintf(out, "## `%s`: %s\n\n| key | applies to | type | default | meaning |\n|---|---|---|---|---|\n",
            sec->path, sec->doc);
    for (int i = 0; i < sec->n_rows; i++) {
        const sym_job_row *r = &sec->rows[i];
        char ty[512], def[128], kinds[256];

        type_text(ty, sizeof ty, r, "`");
        default_text(def, sizeof def, r);
        kinds_text(kinds, sizeof kinds, sec, r);
        fprintf(out, "| `%s` | %s | %s | %s%s%s | ", r->name, kinds, ty, def[0] ? "`" : "", def,
                def[0] ? "`" : "");
        md_escape(out, r->doc);
        fprintf(out, " |\n");
    }
    fputc('\n', out);
    for (int i = 0; i < sec->n_rows; i++)
        if (sec->rows[i].type == JROW_SECTION)
            md_section(out, sec->rows[i].sub);
}

int sym_job_reference_markdown(FILE *out)
{
    fprintf(out,
            "# Job file reference\n\n"
            "Printed by `symsweep help job --markdown` from the tables the job parser reads with (do not\n"
            "edit: `tests/readme/job_reference.py` checks it is current). `docs/job-files.md` explains\n"
            "them with examples and `docs/probes.md` the probes; `docs/job-schema.json` (`symsweep help job\n"
            "--schema`) is the same as a JSON Schema for editors (YAML language servers: put\n"
            "`# yaml-language-server: $schema=PATH/docs/job-schema.json` first in a job file).\n\n"
            "## Top level\n\n| key | meaning |\n|---|---|\n"
            "| `name` | the job's name: letters, digits, `.`, `_`, `-` (default: the file's name); the "
            "default output is NAME.h5 |\n"
            "| `seeds` | a list of seeds, or `{count: N, base: B}` (default one seed, 0) |\n"
            "| `data`, `model`, `train` | required sections (below) |\n"
            "| `regularizer`, `record` | optional sections (below) |\n"
            "| `sweep` | axes: a dotted path under data, model, regularizer or train (or a whole section), "
            "or a probe's setting `probes.NAME.SETTING`, and its values: a list, `range(a, b, step)`, "
            "`linspace(a, b, n)` or `logspace(a, b, n)`; `zip:` groups of axes varied together |\n"
            "| `probes` | the probes (below), and plug-ins: `NAME: {plugin: FILE.so, ...}` |\n\n");
    for (int i = 0; i < sym_job_n_sections; i++)
        md_section(out, &sym_job_sections[i]);
    return sym_job_reference_probes_md(out);
}

/* a probe setting's type, range and default (from the probe's init), as `help probes` says them */
void sym_probe_setting_default(int *iv, double *dv, const sym_setting *s, const void *opts)
{
    const char *base = opts;

    *iv = 0;
    *dv = 0.0;
    if (s->type == SYM_SETTING_DOUBLE) /* (an int setting may sit where no double is aligned) */
        memcpy(dv, base + s->offset, sizeof *dv);
    else if (s->type != SYM_SETTING_FAMILIES && s->type != SYM_SETTING_EXPONENTS)
        memcpy(iv, base + s->offset, sizeof *iv);
}

void sym_probe_setting_text(char *buf, size_t cap, const sym_setting *s, const void *opts)
{
    const char *base = opts;
    int iv;
    double dv;

    sym_probe_setting_default(&iv, &dv, s, opts);

    buf[0] = '\0';
    switch (s->type) {
    case SYM_SETTING_INT: snprintf(buf, cap, "integer %.0f..%.0f, default %d", s->lo, s->hi, iv); break;
    case SYM_SETTING_DOUBLE:
        snprintf(buf, cap, "number %s %g", s->lo_open ? ">" : ">=", s->lo);
        if (!isnan(s->hi))
            snprintf(buf + strlen(buf), cap - strlen(buf), " and %s %g", s->hi_open ? "<" : "<=", s->hi);
        snprintf(buf + strlen(buf), cap - strlen(buf), ", default %g", dv);
        break;
    case SYM_SETTING_BOOL: snprintf(buf, cap, "true or false, default %s", iv ? "true" : "false"); break;
    case SYM_SETTING_ENUM:
        if (s->expected)
            snprintf(buf, cap, "%s", s->expected);
        else
            for (int i = 0; i < s->n_names; i++)
                if (s->names[i])
                    snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", buf[0] ? ", " : "one of ", s->names[i]);
        snprintf(buf + strlen(buf), cap - strlen(buf), ", default %s", s->names[iv]);
        break;
    case SYM_SETTING_FAMILIES:
        snprintf(buf, cap, "list of group families, default [");
        for (int i = 0; i < *(const int *)(base + s->count_offset); i++)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? ", " : "",
                     sym_group_names[((const sym_group *)(base + s->offset))[i]]);
        snprintf(buf + strlen(buf), cap - strlen(buf), "]");
        break;
    case SYM_SETTING_EXPONENTS:
        snprintf(buf, cap, "list of up to %d numbers %g..%g or inf, default [", s->max_len, s->lo, s->hi);
        for (int i = 0; i < *(const int *)(base + s->count_offset); i++)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%s%g", i ? ", " : "", ((const double *)(base + s->offset))[i]);
        snprintf(buf + strlen(buf), cap - strlen(buf), "]");
        break;
    }
}

/* a built-in probe's options with its defaults (sym_probe_options_free frees them) */
void *sym_probe_defaults(const sym_probe_def *d)
{
    void *opts = calloc(1, d->opts_size ? d->opts_size : 1);

    if (opts && d->init)
        d->init(opts);
    return opts;
}

void sym_probe_defaults_free(const sym_probe_def *d, void *opts)
{
    if (opts && d->dispose)
        d->dispose(opts);
    free(opts);
}

int sym_job_reference_probes_md(FILE *out)
{
    fprintf(out, "## `probes`\n\n");
    for (int i = 0; i < sym_probe_n_builtins; i++) {
        const sym_probe_def *d = sym_probe_builtins[i].def;
        void *opts = sym_probe_defaults(d);

        if (!opts)
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory");
        fprintf(out, "### `%s`\n\n%s\n\n", d->name, d->doc);
        if (d->n_settings || d->team)
            fprintf(out, "| setting | type and default | meaning |\n|---|---|---|\n");
        for (int k = 0; k < d->n_settings; k++) {
            char what[512];

            sym_probe_setting_text(what, sizeof what, &d->settings[k], opts);
            fprintf(out, "| `%s` | ", d->settings[k].name);
            md_escape(out, what);
            fprintf(out, " | ");
            md_escape(out, d->settings[k].doc);
            fprintf(out, " |\n");
        }
        if (d->team)
            fprintf(out, "| `team` | integer 1..4096 or auto, default 1 | ranks of each run's team task, or "
                         "auto (the smallest that fits team_memory_mb per rank) |\n"
                         "| `team_memory_mb` | integer 16..16777216, default 2048 | memory per team rank "
                         "for team: auto, in MiB |\n");
        if (!d->n_settings && !d->team)
            fprintf(out, "No settings: `%s: {}`.\n", d->name);
        fputc('\n', out);
        sym_probe_defaults_free(d, opts);
    }
    return 0;
}
