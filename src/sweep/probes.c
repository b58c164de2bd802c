/*
 * The job's probes, through the probe interface (probe_api.h) only: the
 * `probes:` section read by each probe's settings table, the probes'
 * conditions checked at every grid point, their values laid out, their
 * datasets collected.  No probe is named here.
 */
#include "heldout_impl.h"
#include "job_impl.h"
#include "symsweep/plan.h"

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* an empty value ("hessian:" or "hessian: {}"): the defaults */
static int is_empty(const node *v)
{
    return (v->type == YAML_SCALAR_NODE && sym_yaml_scalar(v)[0] == '\0') ||
           (v->type == YAML_MAPPING_NODE && v->data.mapping.pairs.top == v->data.mapping.pairs.start);
}

/* "families: [...]" of a probe, in the given order, each once */
static int get_families(ctx *c, const node *fl, const char *key, sym_group *out, int *n)
{
    int len;

    if (fl->type != YAML_SEQUENCE_NODE || (len = sym_yaml_seq_len(fl)) < 1 || len > SYM_GROUP_COUNT)
        return sym_yaml_expected(c, fl, key, "a list of group families (general, orthogonal, ...)");
    for (int i = 0; i < len; i++) {
        node *it = sym_yaml_node(c, fl->data.sequence.items.start[i]);
        char ikey[300];
        int g = 0;

        snprintf(ikey, sizeof(ikey), "%s[%d]", key, i);
        if (sym_yaml_enum_value(c, it, ikey, sym_group_names, SYM_GROUP_COUNT, &g))
            return SYM_EJOB;
        for (int j = 0; j < i; j++)
            if (out[j] == (sym_group)g)
                return sym_yaml_err(c, it, ikey, "family %s is listed twice", sym_group_names[g]);
        out[i] = (sym_group)g;
    }
    *n = len;
    return 0;
}

/* a list of exponents: numbers in [lo, hi], or inf */
static int get_exponents(ctx *c, const node *pl, const char *key, const sym_setting *s, double *out,
                         int *n)
{
    int len;

    if (pl->type != YAML_SEQUENCE_NODE || (len = sym_yaml_seq_len(pl)) < 1 || len > s->max_len)
        return sym_yaml_expected(c, pl, key, s->expected);
    for (int i = 0; i < len; i++) {
        node *it = sym_yaml_node(c, pl->data.sequence.items.start[i]);
        const char *sv = sym_yaml_scalar(it);
        char ikey[300], what[96];
        double v;

        snprintf(ikey, sizeof(ikey), "%s[%d]", key, i);
        snprintf(what, sizeof(what), "a number from %g to %g, or inf", s->lo, s->hi);
        if (sv && sym_yaml_is_plain(it) && (!strcmp(sv, "inf") || !strcmp(sv, ".inf")))
            v = INFINITY;
        else if (sym_yaml_parse_double(it, &v) || v < s->lo || v > s->hi)
            return sym_yaml_expected(c, it, ikey, what);
        out[i] = v;
    }
    *n = len;
    return 0;
}

/* an enum setting with aliases ("true" for "random"): its own words, then the names */
static int get_alias_enum(ctx *c, const node *v, const char *key, const sym_setting *s, int *out)
{
    const char *w = sym_yaml_scalar(v);

    for (int i = 0; w && s->aliases[i]; i += 2)
        if (strcmp(w, s->aliases[i]) == 0)
            w = s->aliases[i + 1];
    for (int i = 0; w && i < s->n_names; i++)
        if (s->names[i] && strcmp(w, s->names[i]) == 0) {
            *out = i;
            return 0;
        }
    return sym_yaml_expected(c, v, key, s->expected);
}

static int get_setting(ctx *c, const node *m, const char *path, const sym_setting *s, void *opts)
{
    char *base = opts, key[256];
    node *v = sym_yaml_lookup(c, m, s->name);
    int *iv = (int *)(base + s->offset);
    double *dv = (double *)(base + s->offset);

    sym_yaml_join(key, sizeof(key), path, s->name);
    switch (s->type) {
    case SYM_SETTING_INT:
        return sym_yaml_int(c, m, path, s->name, 0, *iv, (long long)s->lo, (long long)s->hi, iv);
    case SYM_SETTING_DOUBLE:
        return sym_yaml_double(c, m, path, s->name, 0, *dv, s->lo, s->lo_open, s->hi, s->hi_open, dv);
    case SYM_SETTING_BOOL:
        return sym_yaml_bool(c, m, path, s->name, *iv, iv);
    case SYM_SETTING_ENUM:
        if (v && s->aliases)
            return get_alias_enum(c, v, key, s, iv);
        return sym_yaml_enum(c, m, path, s->name, 0, *iv, s->names, s->n_names, iv);
    case SYM_SETTING_FAMILIES:
        return v ? get_families(c, v, key, (sym_group *)(base + s->offset),
                                (int *)(base + s->count_offset))
                 : 0;
    case SYM_SETTING_EXPONENTS:
        return v ? get_exponents(c, v, key, s, dv, (int *)(base + s->count_offset)) : 0;
    }
    return sym_yaml_err(c, v, key, "setting of unknown type %d in the probe's table", (int)s->type);
}

/* team: a number of ranks 1..4096, or auto (0: chosen from the memory need) */
static int get_team(ctx *c, const node *m, const char *path, int *out)
{
    node *v = sym_yaml_lookup(c, m, "team");
    long long x;
    char key[256];

    if (!v)
        return 0;
    if (v->type == YAML_SCALAR_NODE && sym_yaml_is_plain(v) && strcmp(sym_yaml_scalar(v), "auto") == 0) {
        *out = 0;
        return 0;
    }
    sym_yaml_join(key, sizeof(key), path, "team");
    if (sym_yaml_parse_long(v, &x) || x < 1 || x > 4096)
        return sym_yaml_expected(c, v, key, "a number of ranks from 1 to 4096, or auto");
#ifndef SYM_HAVE_SCALAPACK
    if (x > 1)
        return sym_yaml_expected(c, v, key, "1 or auto: this symsweep was built without ScaLAPACK "
                                            "(-DSYM_SCALAPACK=OFF), so a team is one rank");
#endif
    *out = (int)x;
    return 0;
}

/* a probe's complaint, at the setting it names (or the probe's own entry) */
static int complain(ctx *c, const node *pn, const char *path, const sym_probe_msg *msg)
{
    node *at = msg->setting[0] ? sym_yaml_lookup(c, pn, msg->setting) : NULL;
    char key[256];

    if (msg->setting[0])
        sym_yaml_join(key, sizeof(key), path, msg->setting);
    else
        snprintf(key, sizeof(key), "%s", path);
    return sym_yaml_err(c, at ? at : pn, key, "%s", msg->text);
}

/*
 * The plug-in interface (since version 2) pins the sizes of what a plug-in sees: changing one
 * of these structs is a new SYM_PROBE_API_VERSION (and new sizes here).  Version 3: the
 * definition lost piece_size (272 bytes in version 2) and layout declares the datasets.  Version 4:
 * sym_train_opts grew the learning-rate schedule, clip_norm and weight_decay (104 bytes before).
 * Version 5: sym_model_opts grew the learned-group layer and unfolded ISTA (328 bytes before), and
 * sym_data_opts seed 003's pairs and planted group and seed 004's prototypes (5288 bytes before).
 * Checked on the platform the numbers were taken on; elsewhere the run-time check of `abi`
 * still holds.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__LP64__)
static_assert(SYM_PROBE_API_VERSION == 5, "a new plug-in interface version: update these sizes");
static_assert(sizeof(sym_config) == 7584, "sym_config changed: a new SYM_PROBE_API_VERSION");
static_assert(sizeof(sym_model_opts) == 416, "sym_model_opts changed: a new SYM_PROBE_API_VERSION");
static_assert(sizeof(sym_data_opts) == 5608, "sym_data_opts changed: a new SYM_PROBE_API_VERSION");
static_assert(sizeof(sym_train_opts) == 224, "sym_train_opts changed: a new SYM_PROBE_API_VERSION");
static_assert(sizeof(sym_reg) == 40, "sym_reg changed: a new SYM_PROBE_API_VERSION");
static_assert(sizeof(sym_probe_run) == 64, "sym_probe_run changed: a new SYM_PROBE_API_VERSION");
static_assert(sizeof(sym_probe_def) == 264, "sym_probe_def changed: a new SYM_PROBE_API_VERSION");
#endif

/* a plug-in's random purpose: SYM_RNG_PLUGIN and 31 bits of FNV-1a of its name, so that its
 * draws depend on its name only, not on the other probes of the job or their order */
static uint32_t plugin_purpose(const char *name)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *q = (const unsigned char *)name; *q; q++)
        h = (h ^ *q) * 16777619u;
    return SYM_RNG_PLUGIN | (h & 0x7fffffffu);
}

/* the first struct whose size differs between the plug-in and this build, or NULL */
static const char *abi_mismatch(const sym_probe_abi *got, uint32_t *theirs, uint32_t *ours)
{
    static const sym_probe_abi here = SYM_PROBE_ABI_INIT;
    static const struct {
        const char *name;
        size_t off;
    } tab[] = {{"sym_config", offsetof(sym_probe_abi, config)},
               {"sym_model_opts", offsetof(sym_probe_abi, model_opts)},
               {"sym_data_opts", offsetof(sym_probe_abi, data_opts)},
               {"sym_train_opts", offsetof(sym_probe_abi, train_opts)},
               {"sym_reg", offsetof(sym_probe_abi, reg)},
               {"sym_data", offsetof(sym_probe_abi, data)},
               {"sym_probe_run", offsetof(sym_probe_abi, run)},
               {"sym_team_ops", offsetof(sym_probe_abi, team_ops)},
               {"sym_team_need", offsetof(sym_probe_abi, team_need)},
               {"sym_setting", offsetof(sym_probe_abi, setting)},
               {"sym_probe_msg", offsetof(sym_probe_abi, msg)},
               {"sym_rng", offsetof(sym_probe_abi, rng)}};

    static_assert(sizeof tab / sizeof *tab == sizeof(sym_probe_abi) / sizeof(uint32_t),
                  "every field of sym_probe_abi has a name here");
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        memcpy(theirs, (const char *)got + tab[i].off, sizeof(uint32_t));
        memcpy(ours, (const char *)&here + tab[i].off, sizeof(uint32_t));
        if (*theirs != *ours)
            return tab[i].name;
    }
    return NULL;
}

/* is @p real (resolved) inside one of the folders of SYMSWEEP_PLUGIN_DIRS? 1 when the
 * variable is not set */
static int plugin_allowed(const char *real)
{
    const char *dirs = getenv(SYM_PLUGIN_DIRS_ENV), *q;

    if (!dirs)
        return 1;
    for (q = dirs; *q;) {
        size_t n = strcspn(q, ":");
        char one[PATH_MAX], rd[PATH_MAX];

        if (n > 0 && n < sizeof(one)) {
            memcpy(one, q, n);
            one[n] = '\0';
            if (realpath(one, rd)) {
                size_t m = strlen(rd);

                if (strcmp(rd, "/") == 0 || (strncmp(real, rd, m) == 0 && real[m] == '/'))
                    return 1;
            }
        }
        q += n;
        if (*q == ':')
            q++;
    }
    return 0;
}

/*
 * The file of a probe's plug-in: an absolute path in the job as it is, a relative one
 * from the job file's folder made absolute (never a bare name for dlopen to search the
 * library path for), symbolic links resolved; a regular file, inside SYMSWEEP_PLUGIN_DIRS
 * when that is set.  Into p->plugin_path.
 */
static int plugin_file(ctx *c, const node *pv, const char *key, const char *file, sym_job_probe *p)
{
    char dir[PATH_MAX], want[PATH_MAX + 1100], real[PATH_MAX];
    struct stat sb;

    if (file[0] == '/') {
        snprintf(want, sizeof(want), "%s", file);
    } else {
        if (!realpath(c->dir[0] ? c->dir : ".", dir))
            return sym_yaml_err(c, pv, key, "cannot load the probe: the job's folder %s: %s",
                                c->dir[0] ? c->dir : ".", strerror(errno));
        snprintf(want, sizeof(want), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", file);
    }
    /* before dlopen: a FIFO would block it, a directory is no plug-in */
    if (stat(want, &sb) != 0)
        return sym_yaml_err(c, pv, key, "cannot load the probe: %s: %s (a plug-in's path is "
                            "relative to the job file's folder)", want, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return sym_yaml_err(c, pv, key, "cannot load the probe: %s: not a regular file", want);
    if (!realpath(want, real))
        return sym_yaml_err(c, pv, key, "cannot load the probe: %s: %s", want, strerror(errno));
    if (!plugin_allowed(real)) {
        const char *dirs = getenv(SYM_PLUGIN_DIRS_ENV);

        if (!dirs[0])
            return sym_yaml_err(c, pv, key, "%s not loaded: plug-ins are turned off here (%s is "
                                "set and empty)", real, SYM_PLUGIN_DIRS_ENV);
        return sym_yaml_err(c, pv, key, "%s not loaded: it is outside the folders %s allows (%s)",
                            real, SYM_PLUGIN_DIRS_ENV, dirs);
    }
    if (strlen(real) >= sizeof(p->plugin_path))
        return sym_yaml_expected(c, pv, key, "a path shorter than 1024 bytes");
    memcpy(p->plugin_path, real, strlen(real) + 1); /* fits: checked above */
    return 0;
}

/* a plug-in's definition from its shared object, checked against this build's interface */
static int load_plugin(ctx *c, const node *pv, const char *path, sym_job_probe *p)
{
    const char *file = sym_yaml_scalar(pv);
    char key[256];
    sym_probe_plugin_fn fn;
    const sym_probe_def *def;
    const char *differs;
    uint32_t theirs = 0, ours = 0;
    int rc;

    sym_yaml_join(key, sizeof(key), path, "plugin");
    snprintf(p->name, sizeof(p->name), "%s", path + strlen("probes."));
    if (!file || !*file)
        return sym_yaml_expected(c, pv, key, "the path of a probe's shared object");
    if (c->plugins == SYM_PLUGINS_SKIP) {
        /* Never loaded (align reads the job stored in a result file): the probe keeps its
         * name and nothing else.  Its definition has no hooks, so the host gives it no values,
         * datasets, pieces or work (every hook is optional), and its settings are not read. */
        sym_probe_def *unloaded = calloc(1, sizeof(*unloaded));

        if (!unloaded)
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for a plug-in");
        unloaded->api_version = SYM_PROBE_API_VERSION;
        unloaded->size = sizeof(*unloaded);
        unloaded->name = p->name;
        unloaded->doc = "a plug-in, not loaded";
        p->def_owned = unloaded;
        p->def = unloaded;
        p->skipped = 1;
        return 0;
    }
    if (c->plugins != SYM_PLUGINS_LOAD)
        return sym_yaml_err(c, pv, key, "%s not loaded: a plug-in is code, loaded only when asked: "
                            "add --plugins to load it", file);
    if ((rc = plugin_file(c, pv, key, file, p)) != 0)
        return rc;
    p->plugin = dlopen(p->plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (!p->plugin)
        return sym_yaml_err(c, pv, key, "cannot load the probe: %s", dlerror());
    *(void **)&fn = dlsym(p->plugin, SYM_PROBE_PLUGIN_SYMBOL);
    if (!fn)
        return sym_yaml_err(c, pv, key, "%s has no function %s", p->plugin_path, SYM_PROBE_PLUGIN_SYMBOL);
    def = fn();
    /* api_version first and alone: a definition of another version may have other fields */
    if (!def || def->api_version != SYM_PROBE_API_VERSION)
        return sym_yaml_err(c, pv, key,
                            "%s was built for probe interface version %d; this symsweep has "
                            "version %d: rebuild it against these headers", p->plugin_path,
                            def ? def->api_version : -1, SYM_PROBE_API_VERSION);
    if (def->size < SYM_PROBE_DEF_MIN_SIZE || def->size > (1u << 20))
        return sym_yaml_err(c, pv, key,
                            "%s has a probe definition of %zu bytes; this symsweep reads %zu to %zu "
                            "(version %d): rebuild it against these headers", p->plugin_path,
                            def->size, (size_t)SYM_PROBE_DEF_MIN_SIZE, sizeof(sym_probe_def),
                            SYM_PROBE_API_VERSION);
    if ((differs = abi_mismatch(&def->abi, &theirs, &ours)) != NULL)
        return sym_yaml_err(c, pv, key,
                            "%s saw %s as %u bytes, this symsweep has %u (interface version %d, "
                            "other headers%s): rebuild it against these headers", p->plugin_path,
                            differs, (unsigned)theirs, (unsigned)ours, SYM_PROBE_API_VERSION,
                            theirs == 0 ? ", or a definition without SYM_PROBE_DEF_INIT" : "");
    {
        /* a definition built before fields were added ends early: copied into a whole one,
         * the fields it does not have NULL (a newer one's extra fields are not read) */
        sym_probe_def *whole = calloc(1, sizeof(*whole));

        if (!whole)
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory for a plug-in");
        memcpy(whole, def, def->size < sizeof(*whole) ? def->size : sizeof(*whole));
        p->def_owned = whole;
        def = whole;
    }
    if (!def->name || strcmp(def->name, path + strlen("probes.")) != 0)
        return sym_yaml_err(c, pv, key, "%s defines the probe \"%s\", not \"%s\"", p->plugin_path,
                            def->name ? def->name : "", path + strlen("probes."));
    p->def = def;
    return 0;
}

/* the settings of a probe's table from its entry @p pn into @p opts (initialized) */
static int read_settings(ctx *c, const node *pn, const char *path, const sym_probe_def *def, void *opts,
                         int *given)
{
    for (int i = 0; i < def->n_settings; i++) {
        given[i] = sym_yaml_lookup(c, pn, def->settings[i].name) != NULL;
        if (get_setting(c, pn, path, &def->settings[i], opts))
            return SYM_EJOB;
    }
    return 0;
}

/* one probe's entry: its settings (and team ones), defaults where absent */
static int parse_probe(ctx *c, const node *pn, const char *name, sym_job *job, int plugin)
{
    sym_job_probe *p = &job->probes[job->n_probes];
    const char *keys[80];
    char path[160];
    int given[64] = {0}, nk = 0, rc = 0;
    sym_probe_msg msg = {"", ""};

    snprintf(path, sizeof(path), "probes.%s", name);
    memset(p, 0, sizeof(*p));
    job->n_probes++;
    if (plugin)
        SYM_TRY(load_plugin(c, sym_yaml_lookup(c, pn, "plugin"), path, p));
    else
        p->def = sym_probe_find(name);
    SYM_ASSERT(p->def);
    if (p->def->n_settings < 0 || p->def->n_settings > 64)
        return sym_yaml_err(c, pn, path, "the probe declares %d settings; at most 64 are supported",
                            p->def->n_settings);
    p->team = 1;
    p->team_mb = 2048;
    SYM_TRY(sym_alloc(&p->opts, p->def->opts_size ? p->def->opts_size : 1));
    memset(p->opts, 0, p->def->opts_size);
    if (p->def->init)
        p->def->init(p->opts);
    if (is_empty(pn) || p->skipped) /* a plug-in not loaded: its settings are its own */
        goto settle;
    for (int i = 0; i < p->def->n_settings; i++)
        keys[nk++] = p->def->settings[i].name;
    if (p->def->team) {
        keys[nk++] = "team";
        keys[nk++] = "team_memory_mb";
    }
    if (plugin)
        keys[nk++] = "plugin";
    keys[nk] = NULL;
    SYM_TRY(sym_yaml_check_map(c, pn, path, keys));
    SYM_TRY(read_settings(c, pn, path, p->def, p->opts, given));
    if (p->def->team) {
        SYM_TRY(get_team(c, pn, path, &p->team));
        SYM_TRY(sym_yaml_int(c, pn, path, "team_memory_mb", 0, 2048, 16, 1 << 24, &p->team_mb));
    }
settle:
    if (p->def->settle && p->def->settle(p->opts, given, &msg))
        return complain(c, pn, path, &msg);
cleanup:
    return rc;
}

int sym_job_parse_probes(ctx *c, const node *root, sym_job *job)
{
    const char *allowed[SYM_MAX_PROBES + 1];
    node *v = sym_yaml_lookup(c, root, "probes");
    int na = 0;

    job->n_probes = 0;
    if (!v)
        return 0;
    if (v->type != YAML_MAPPING_NODE)
        return sym_yaml_expected(c, v, "probes", "a mapping");
    /* the built-ins, and the entries that name a plug-in */
    for (int i = 0; i < sym_probe_n_builtins; i++)
        allowed[na++] = sym_probe_builtins[i].def->name;
    allowed[na] = NULL;
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        const char *k = sym_yaml_scalar(sym_yaml_node(c, q->key));
        node *pv = sym_yaml_node(c, q->value);

        if (k && !sym_probe_find(k) && pv->type == YAML_MAPPING_NODE && sym_yaml_lookup(c, pv, "plugin")) {
            if (na == SYM_MAX_PROBES)
                return sym_yaml_err(c, pv, "probes", "more than %d probes", SYM_MAX_PROBES);
            allowed[na++] = k;
            allowed[na] = NULL;
        }
    }
    if (sym_yaml_check_map(c, v, "probes", allowed))
        return SYM_EJOB;
    for (int i = 0; i < na; i++) {
        node *pn = sym_yaml_lookup(c, v, allowed[i]);

        if (pn && parse_probe(c, pn, allowed[i], job, i >= sym_probe_n_builtins))
            return SYM_EJOB;
    }
    return 0;
}

const void *sym_job_probe_opts(const sym_job *job, const sym_job_probe *p, int cfg)
{
    (void)job;
    return p->cfg_opts ? p->cfg_opts[cfg] : p->opts;
}

int sym_job_probe_axis(ctx *c, sym_job *job, const char *path, const node *keyn)
{
    char name[128], key[300];
    const char *set = strchr(path + 7, '.') + 1; /* probes.NAME.SETTING: checked by the grid */
    sym_job_probe *p = NULL;
    const sym_probe_def *d;
    int found = 0;

    snprintf(key, sizeof(key), "sweep.%s", path);
    snprintf(name, sizeof(name), "%.*s", (int)(set - 1 - (path + 7)), path + 7);
    for (int i = 0; i < job->n_probes; i++)
        if (job->probes[i].def && strcmp(job->probes[i].def->name, name) == 0)
            p = &job->probes[i];
    if (!p)
        return sym_yaml_err(c, keyn, key, "the job has no probe %s to vary %s in; add it under probes: first",
                            name, set);
    d = p->def;
    if (!strcmp(set, "team") || !strcmp(set, "team_memory_mb") || !strcmp(set, "plugin"))
        return sym_yaml_err(c, keyn, key, "%s cannot be swept: a job has one team size per probe (and "
                            "one plug-in file)", set);
    if (p->skipped) /* a plug-in not loaded (align): its settings are its own, unchecked */
        return 0;
    for (int i = 0; i < d->n_settings; i++)
        found |= strcmp(d->settings[i].name, set) == 0;
    if (!found) {
        char list[1024] = "";

        for (int i = 0; i < d->n_settings; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                     d->settings[i].name);
        return sym_yaml_err(c, keyn, key, "probe %s has no setting %s; expected one of: %s", name, set,
                            d->n_settings ? list : "(none)");
    }
    if (!p->swept[0]) { /* where, as every message says it (a line, or the command line) */
        const char *m;
        size_t n;

        sym_yaml_err(c, keyn, key, "%s", "");
        m = sym_err_message();
        n = strlen(m);
        snprintf(p->swept, sizeof(p->swept), "%.*s", (int)(n >= 2 ? n - 2 : n), m);
        sym_err_clear();
    }
    snprintf(p->swept_names + strlen(p->swept_names), sizeof(p->swept_names) - strlen(p->swept_names),
             "%s%s", p->swept_names[0] ? " and " : "", set);
    return 0;
}

int sym_job_probe_opts_alloc(sym_job *job)
{
    int rc = 0;

    for (int i = 0; i < job->n_probes; i++) {
        sym_job_probe *p = &job->probes[i];

        if (!p->swept[0] || p->cfg_opts)
            continue;
        SYM_TRY(sym_alloc(&p->cfg_opts, sizeof(void *) * (size_t)job->n_configs));
        memset(p->cfg_opts, 0, sizeof(void *) * (size_t)job->n_configs);
    }
cleanup:
    return rc;
}

int sym_job_probe_point_opts(ctx *c, sym_job *job, const node *root, int k)
{
    for (int i = 0; i < job->n_probes; i++) {
        sym_job_probe *p = &job->probes[i];
        const sym_probe_def *d = p->def;
        node *pn;
        int given[64] = {0};
        sym_probe_msg msg = {"", ""};
        char path[160];
        void *o;

        if (!p->cfg_opts || !d) /* no swept setting, or a plug-in that did not load */
            continue;
        pn = sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), d->name);
        snprintf(path, sizeof(path), "probes.%s", d->name);
        if (sym_alloc(&p->cfg_opts[k], d->opts_size ? d->opts_size : 1))
            return SYM_ENOMEM;
        o = p->cfg_opts[k];
        memset(o, 0, d->opts_size);
        if (d->init)
            d->init(o);
        if (pn && !is_empty(pn) && read_settings(c, pn, path, d, o, given))
            return SYM_EJOB;
        if (d->settle && d->settle(o, given, &msg))
            return complain(c, pn, path, &msg);
    }
    return 0;
}

/* probes whose mathematics assumes free dense layers (the orbits of their units, their weight
 * matrices as parameters): refused on a model with a learned-group layer (model.group) */
static const char *const dense_only[] = {
    "stabilizer", "gradient_decomposition", "orbit_loss", "tangent_slice", "teleport", "conserved",
    "canonical", "reparam", "centralizer", "functional_dimension", "symmetry_discovery",
};

int sym_job_check_probes(ctx *c, const sym_job *job, const node *root, const sym_job_config *cfg)
{
    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];
        sym_probe_msg msg = {"", ""};
        char path[160];
        int rc;

        for (size_t k = 0; cfg->model.group_layer >= 0 && cfg->model.group_k > 0 &&
                           k < sizeof dense_only / sizeof *dense_only; k++)
            if (strcmp(p->def->name, dense_only[k]) == 0) {
                snprintf(msg.text, sizeof(msg.text),
                         "expected a model without model.group (the probe's orbits are those of free "
                         "dense layers), found a learned-group layer at layer %d",
                         cfg->model.group_layer + 1);
                snprintf(path, sizeof(path), "probes.%s", p->def->name);
                return complain(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), p->def->name),
                                path, &msg);
            }
        if (!p->def->check ||
            (rc = p->def->check(sym_job_probe_opts(job, p, (int)(cfg - job->configs)), cfg, &msg)) == 0)
            continue;
        if (!msg.text[0])
            return rc; /* not a complaint: an error with its message set */
        snprintf(path, sizeof(path), "probes.%s", p->def->name);
        return complain(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), p->def->name), path, &msg);
    }
    return 0;
}

/* probe p's datasets for options @p opts (grid point k's): its layout declares them and the
 * schema places them, then the host checks them against the slice they make (a metric must
 * view inside its dataset, two metrics may not share a value; pieces: as many as it has) */
static int probe_layout(const sym_job *job, const sym_job_probe *p, void *opts, sym_schema *s)
{
    const sym_probe_def *d = p->def;
    int n_pieces, rc = 0;

    memset(s, 0, sizeof(*s));
    if (d->layout)
        SYM_TRY(d->layout(opts, job->configs, job->n_configs, s));
    SYM_TRY(sym_schema_check(s));
    n_pieces = d->n_pieces && d->piece ? d->n_pieces(opts) : 0;
    SYM_TRY(sym_schema_check_slice(s, 0, d->name, 0, s->len, 0, n_pieces, s->piece_len));
cleanup:
    return rc;
}

static int same_dataset(const sym_schema_dataset *a, const sym_schema_dataset *b)
{
    if (strcmp(a->path, b->path) || a->source != b->source || a->rank != b->rank || a->off != b->off ||
        a->stride != b->stride || a->first_piece != b->first_piece || a->view != b->view)
        return 0;
    for (int r = 0; r < a->rank; r++)
        if (a->dims[r] != b->dims[r])
            return 0;
    if (a->labels || b->labels) { /* a categorical axis: the same labels */
        if (!a->labels || !b->labels)
            return 0;
        for (long long i = 0; i < a->dims[0]; i++)
            if (strcmp(a->labels[i], b->labels[i]))
                return 0;
    }
    if (a->values || b->values) { /* an axis: the same values */
        if (!a->values || !b->values)
            return 0;
        for (long long i = 0; i < a->dims[0]; i++)
            if (memcmp(&a->values[i], &b->values[i], sizeof(double)))
                return 0;
    }
    return 1;
}

/* a swept setting must leave the probe's values and datasets as they are at every grid point:
 * the file has one layout (attributes may differ: sym_job_schema marks them) */
static int same_layout(const sym_job *job, const sym_job_probe *p, int k)
{
    const sym_schema *s0 = &p->decl[0], *sk = &p->decl[k];
    const void *o0 = p->cfg_opts[0], *ok = p->cfg_opts[k];
    int same = sk->n_ds == s0->n_ds, n0 = 0, nk = 0;

    (void)job;
    if (sk->len != s0->len)
        return sym_err_set(SYM_EJOB, __FILE__, __LINE__,
                           "%s: sweeping %s changes how many values the probe keeps per run (%zu at "
                           "the first grid point, %zu at grid point %d); run one job per value",
                           p->swept, p->swept_names, s0->len, sk->len, k);
    if (p->def->n_pieces && p->def->piece) {
        n0 = p->def->n_pieces(o0);
        nk = p->def->n_pieces(ok);
    }
    if (n0 != nk || sk->piece_len != s0->piece_len)
        return sym_err_set(SYM_EJOB, __FILE__, __LINE__,
                           "%s: sweeping %s changes the probe's pieces per run (%d at the first grid "
                           "point, %d at grid point %d); run one job per value",
                           p->swept, p->swept_names, n0, nk, k);
    for (int d = 0; same && d < s0->n_ds; d++)
        same = same_dataset(&s0->ds[d], &sk->ds[d]);
    if (!same)
        return sym_err_set(SYM_EJOB, __FILE__, __LINE__,
                           "%s: sweeping %s changes the shape of the probe's datasets (grid point %d "
                           "against the first); run one job per value", p->swept, p->swept_names, k);
    return 0;
}

/* every grid point's declarations of probe p (one when no setting of it is swept), checked at
 * layout time, so that validate and plan find a probe bug; the job's options are laid out too */
static int layout_probe(sym_job *job, sym_job_probe *p)
{
    int n = p->cfg_opts ? job->n_configs : 1, rc = 0;

    SYM_TRY(sym_alloc(&p->decl, sizeof(*p->decl) * (size_t)n));
    memset(p->decl, 0, sizeof(*p->decl) * (size_t)n);
    if (p->cfg_opts) {
        sym_schema unused;

        rc = probe_layout(job, p, p->opts, &unused);
        sym_schema_dispose(&unused);
        SYM_TRY(rc);
    }
    for (int k = 0; k < n; k++) {
        SYM_TRY(probe_layout(job, p, p->cfg_opts ? p->cfg_opts[k] : p->opts, &p->decl[k]));
        if (k > 0)
            SYM_TRY(same_layout(job, p, k));
    }
    p->len = p->decl[0].len;
cleanup:
    return rc;
}

int sym_job_layout_probes(sym_job *job)
{
    sym_measure_layout *L = &job->measure;
    size_t o = 0;
    int team_seen = 0, rc = 0;

    memset(L, 0, sizeof(*L));
    job->n_pieces = 0;
    job->piece_size = 0;
    /* the run's own scores first (none for most jobs: the probes' offsets are then as before) */
    SYM_TRY(sym_job_layout_heldout(job));
    o = job->heldout.len;
    for (int i = 0; i < job->n_probes; i++)
        SYM_TRY(layout_probe(job, &job->probes[i]));
    /* the team probes' values last and together (a team task returns one slice), whatever the
     * order of the probes (a plug-in comes after the built-in team probes) */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < job->n_probes; i++) {
            sym_job_probe *p = &job->probes[i];

            if ((p->def->team != NULL) != (pass == 1))
                continue;
            if (pass == 1 && !team_seen) {
                L->team = o;
                team_seen = 1;
            }
            p->off = o;
            o += p->len;
        }
    for (int i = 0; i < job->n_probes; i++) {
        sym_job_probe *p = &job->probes[i];
        const sym_probe_def *d = p->def;

        /* a plug-in's streams from its name (built-ins: SYM_RNG_PROBE from the registry's base) */
        p->purpose = p->plugin ? plugin_purpose(d->name) : SYM_RNG_PROBE;
        p->stream = p->plugin ? 0 : sym_probe_stream(d);
        p->first_piece = job->n_pieces;
        p->n_pieces = d->n_pieces && d->piece ? d->n_pieces(sym_job_probe_opts(job, p, 0)) : 0;
        job->n_pieces += p->n_pieces;
        if (p->n_pieces && p->decl[0].piece_len > job->piece_size)
            job->piece_size = p->decl[0].piece_len;
    }
    L->team_len = team_seen ? o - L->team : 0;
    L->total = o;
    job->team_size = sym_plan_team_size(job);
cleanup:
    return rc;
}

/* probe p's attributes at grid point k: its settings (probe_attrs.c), then what its schema
 * hook adds (facts that are not settings); datasets come from its layout only */
static int probe_attrs(const sym_job *job, const sym_job_probe *p, int k, sym_schema *s)
{
    const void *o = sym_job_probe_opts(job, p, k);
    int n_ds = s->n_ds, rc = 0;

    SYM_TRY(sym_probe_setting_attrs(s, p->def, o));
    if (p->def->schema)
        SYM_TRY(p->def->schema(o, job->team_size, s));
    if (s->n_ds != n_ds)
        SYM_FAIL(SYM_EINVAL, "probe %s declares datasets in its schema hook; since probe interface "
                 "version 3 they are declared in layout (a probe bug)", p->def->name);
cleanup:
    return rc;
}

/* attributes of a probe with a swept setting that differ between grid points say so */
static int mark_varying_attrs(const sym_job *job, const sym_job_probe *p, sym_schema *s, int first_attr)
{
    int rc = 0;

    for (int k = 1; k < job->n_configs; k++) {
        sym_schema sk;

        memset(&sk, 0, sizeof(sk));
        rc = probe_attrs(job, p, k, &sk);
        for (int a = first_attr; rc == 0 && a < s->n_attrs && a - first_attr < sk.n_attrs; a++) {
            sym_schema_attr *x = &s->attrs[a];
            const sym_schema_attr *y = &sk.attrs[a - first_attr];

            if (!sym_schema_attr_same(x, y))
                sym_schema_attr_varies(x, "varies by grid point: see /grid (probes.%s: %s)", p->def->name,
                                       p->swept_names);
        }
        sym_schema_dispose(&sk);
        SYM_TRY(rc);
    }
cleanup:
    return rc;
}

int sym_job_schema(const sym_job *job, sym_schema *s)
{
    int rc = 0;

    memset(s, 0, sizeof(*s));
    SYM_TRY(sym_schema_append(s, &job->heldout.decl, 0, 0));
    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];
        int first_attr;

        if (!p->decl) /* laid out once the job is read */
            continue;
        SYM_TRY(sym_schema_append(s, &p->decl[0], p->off, p->first_piece));
        first_attr = s->n_attrs;
        SYM_TRY(probe_attrs(job, p, 0, s));
        if (p->cfg_opts)
            SYM_TRY(mark_varying_attrs(job, p, s, first_attr));
    }
    SYM_TRY(sym_schema_check(s));
cleanup:
    if (rc)
        sym_schema_dispose(s);
    return rc;
}

void sym_job_probes_dispose(sym_job *job)
{
    for (int i = 0; i < job->n_probes; i++) {
        sym_job_probe *p = &job->probes[i];

        if (p->def && p->def->dispose && p->opts)
            p->def->dispose(p->opts);
        free(p->opts);
        for (int k = 0; p->cfg_opts && k < job->n_configs; k++) {
            if (p->def && p->def->dispose && p->cfg_opts[k])
                p->def->dispose(p->cfg_opts[k]);
            free(p->cfg_opts[k]);
        }
        for (int k = 0; p->decl && k < (p->cfg_opts ? job->n_configs : 1); k++)
            sym_schema_dispose(&p->decl[k]);
        free(p->decl);
        p->decl = NULL;
        free(p->cfg_opts);
        p->cfg_opts = NULL;
        free(p->def_owned);
        p->def_owned = NULL;
        /* plug-ins stay loaded: their code may still be on a stack (a static
         * destructor, a registered callback); the process ends soon after */
    }
    job->n_probes = 0;
    sym_heldout_dispose(&job->heldout);
}

const sym_job_probe *sym_job_find_probe(const sym_job *job, const char *name)
{
    for (int i = 0; i < job->n_probes; i++)
        if (strcmp(job->probes[i].def->name, name) == 0)
            return &job->probes[i];
    return NULL;
}

const sym_job_probe *sym_job_piece_probe(const sym_job *job, int piece, int *local)
{
    for (int i = 0; i < job->n_probes; i++) {
        const sym_job_probe *p = &job->probes[i];

        if (piece >= p->first_piece && piece < p->first_piece + p->n_pieces) {
            *local = piece - p->first_piece;
            return p;
        }
    }
    return NULL;
}

int sym_job_has_team(const sym_job *job)
{
    for (int i = 0; i < job->n_probes; i++)
        if (job->probes[i].def->team)
            return 1;
    return 0;
}

int sym_job_n_pieces(const sym_job *job) { return job->n_pieces; }

size_t sym_job_piece_size(const sym_job *job) { return job->piece_size; }

size_t sym_job_probe_size(const sym_job *job) { return (size_t)job->n_pieces * job->piece_size; }
