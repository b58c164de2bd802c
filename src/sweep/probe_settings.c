/*
 * What the host does with a probe's settings table besides reading the job (probes.c): the
 * text of `symsweep help probes NAME`, and every setting of a probe in the job, defaults
 * included, as typed attributes of its group /probes/NAME in the output file.
 */
#include "job_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Setting @p st of options @p opts as an attribute of @p group: INT and BOOL as int64 (a bool
 * 0 or 1), DOUBLE as float64, ENUM as its name, lists as arrays (families: their names;
 * exponents: float64, inf included).
 */
static void setting_attr(sym_schema *s, const char *group, const sym_setting *st, const void *opts)
{
    const char *base = opts;
    int iv = 0, n = 0;
    double dv = 0.0;

    /* the value as its type has it (an int setting is no double: read only what it is) */
    if (st->type == SYM_SETTING_DOUBLE)
        memcpy(&dv, base + st->offset, sizeof(dv));
    else
        memcpy(&iv, base + st->offset, sizeof(iv));
    if (st->type == SYM_SETTING_FAMILIES || st->type == SYM_SETTING_EXPONENTS)
        memcpy(&n, base + st->count_offset, sizeof(n));

    switch (st->type) {
    case SYM_SETTING_INT:
    case SYM_SETTING_BOOL:
        sym_schema_attr_int(s, group, st->name, iv);
        break;
    case SYM_SETTING_DOUBLE:
        sym_schema_attr_double(s, group, st->name, dv);
        break;
    case SYM_SETTING_ENUM:
        sym_schema_attr_string(s, group, st->name,
                               iv >= 0 && iv < st->n_names && st->names[iv] ? st->names[iv] : "");
        break;
    case SYM_SETTING_FAMILIES: {
        const char *names[SYM_GROUP_COUNT];

        for (int k = 0; k < n && k < SYM_GROUP_COUNT; k++)
            names[k] = sym_group_names[((const sym_group *)(base + st->offset))[k]];
        sym_schema_attr_strings(s, group, st->name, names, n < SYM_GROUP_COUNT ? n : SYM_GROUP_COUNT);
        break;
    }
    case SYM_SETTING_EXPONENTS:
        sym_schema_attr_doubles(s, group, st->name, (const double *)(base + st->offset), n);
        break;
    }
}

int sym_probe_setting_attrs(sym_schema *s, const sym_probe_def *def, const void *opts)
{
    char group[SYM_SCHEMA_PATH];

    snprintf(group, sizeof(group), "/probes/%s", def->name);
    for (int i = 0; i < def->n_settings; i++)
        setting_attr(s, group, &def->settings[i], opts);
    return sym_schema_check(s);
}

int sym_probes_help(FILE *out, const char *name)
{
    int shown = 0;

    for (int i = 0; i < sym_probe_n_builtins; i++) {
        const sym_probe_def *d = sym_probe_builtins[i].def;
        void *opts;

        if (name && strcmp(name, d->name) != 0)
            continue;
        shown++;
        if (!name) { /* the list: one line each */
            fprintf(out, "  %-24s %s\n", d->name, d->doc);
            continue;
        }
        if (!(opts = sym_probe_defaults(d)))
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory");
        fprintf(out, "probes.%s: %s\n\nsettings:\n", d->name, d->doc);
        for (int k = 0; k < d->n_settings; k++) {
            char what[512];

            sym_probe_setting_text(what, sizeof(what), &d->settings[k], opts);
            fprintf(out, "  %-16s %s\n  %-16s   %s\n", d->settings[k].name, d->settings[k].doc, "", what);
        }
        if (d->team)
            fprintf(out, "  %-16s ranks of each run's team task, or auto (the smallest that fits\n"
                         "  %-16s   team_memory_mb per rank); default 1\n"
                         "  %-16s memory per team rank for team: auto, in MiB; default 2048\n",
                    "team", "", "team_memory_mb");
        if (!d->n_settings && !d->team)
            fprintf(out, "  (none: write \"%s: {}\")\n", d->name);
        sym_probe_defaults_free(d, opts);
    }
    if (!name)
        fprintf(out, "\nsymsweep help probes NAME lists a probe's settings and defaults.\n");
    if (name && !shown)
        return sym_err_set(SYM_EUSAGE, __FILE__, __LINE__, "no probe '%s'; the probes: symsweep help probes", name);
    return 0;
}
