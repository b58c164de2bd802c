/*
 * Job files: YAML (libyaml's document loader keeps a line and column for
 * every node) -> validated option structs.  Every setting is checked here,
 * before any work starts; messages read
 *   FILE:LINE:COL: KEY: expected WHAT, found "VALUE"
 * with the position of the offending value (or of its mapping when missing).
 */
#include "job_impl.h"
#include "symsweep/io.h"
#include "symsweep/run.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>



/* a character of a job name: it becomes a file name */
static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

/* seeds: {count: N, base: B} as a list, once the run count is known to fit */
static int fill_seeds(sym_job *job)
{
    int rc = 0;

    if (job->seeds || job->n_seeds < 1)
        return 0;
    SYM_TRY(sym_alloc(&job->seeds, sizeof(uint64_t) * (size_t)job->n_seeds));
    for (int i = 0; i < job->n_seeds; i++)
        job->seeds[i] = (uint64_t)job->seed_base + (uint64_t)i;
cleanup:
    return rc;
}

/*
 * Configurations (the product of the axes' lengths) x seeds, before anything is built for
 * them: `seeds: {count: 10000000}` with a 1,000 x 100 sweep took 14 s and 450 MB to reach the
 * same refusal after building every configuration.
 */
static int check_run_count(ctx *c, const sym_job *job, const axis *axes)
{
    /* the root again: reading the sweep added nodes (range expressions), which moves them */
    node *root = yaml_document_get_root_node(c->doc);
    double configs = 1.0;
    char sizes[256] = "";
    const node *at = sym_yaml_lookup(c, root, "seeds");

    for (int a = 0; a < job->n_axes; a++) {
        configs *= axes[a].len;
        snprintf(sizes + strlen(sizes), sizeof(sizes) - strlen(sizes), "%s%d", a ? " x " : "",
                 axes[a].len);
    }
    if (configs * job->n_seeds <= INT_MAX)
        return 0;
    return sym_yaml_err(c, at ? at : sym_yaml_lookup(c, root, "sweep"), at ? "seeds" : "sweep",
                        "expected at most %d runs (configurations x seeds), found %.0f "
                        "configurations (%s) x %d seeds = %.4g runs; split the sweep into "
                        "several jobs, or use fewer seeds or values",
                        INT_MAX, configs, sizes[0] ? sizes : "no axes", job->n_seeds,
                        configs * job->n_seeds);
}

/* name: given, or the job file's name made valid; it becomes the default output path */
static int parse_name(ctx *c, const node *root, sym_job *job)
{
    const char *base = strrchr(c->file, '/');
    char def[128];
    char *dot;
    int rc = 0;

    snprintf(def, sizeof(def), "%s", base ? base + 1 : c->file);
    dot = strrchr(def, '.');
    if (dot && dot != def)
        *dot = '\0';
    /* the default from the file name becomes a valid name */
    for (char *q = def; *q; q++)
        if (!name_char(*q))
            *q = '_';
    if (def[0] == '.' || def[0] == '-')
        def[0] = '_';
    SYM_TRY(sym_yaml_string(c, root, "", "name", 0, def, job->name, sizeof(job->name)));
    /* the name becomes the default output path: no directories, no hidden files */
    for (const char *q = job->name; *q; q++)
        if (!name_char(*q))
            return sym_yaml_err(c, sym_yaml_lookup(c, root, "name"), "name",
                                "expected letters, digits, '.', '_' and '-' only, found \"%s\"",
                                job->name);
    if (!job->name[0] || job->name[0] == '.' || job->name[0] == '-')
        return sym_yaml_err(c, sym_yaml_lookup(c, root, "name"), "name",
                            "expected a name that starts with a letter, digit or '_', found \"%s\"",
                            job->name);
cleanup:
    return rc;
}

static int parse_document(ctx *c, sym_job *job)
{
    static const char *const keys[] = {"name", "seeds", "data", "model", "regularizer",
                                       "train", "record", "sweep", "probes", NULL};
    node *root = yaml_document_get_root_node(c->doc);
    axis *axes = NULL;
    int rc = 0;

    if (!root)
        return sym_yaml_err(c, NULL, "(top level)", "the job file is empty; expected a mapping with data, model and train");
    if (root->type != YAML_MAPPING_NODE)
        return sym_yaml_expected(c, root, "(top level)", "a mapping of settings (data, model, train, ...)");
    /* in collect mode (validate) each section's problem is kept and the next section read */
    SYM_TRY(sym_job_keep(c, sym_yaml_check_map(c, root, "", keys)));
    SYM_TRY(sym_job_keep(c, parse_name(c, root, job)));
    SYM_TRY(sym_job_keep(c, sym_job_parse_seeds(c, root, job)));
    SYM_TRY(sym_job_keep(c, sym_job_parse_record(c, root, job)));
    SYM_TRY(sym_job_keep(c, sym_job_parse_probes(c, root, job)));
    c->probes_failed = rc > 0;
    SYM_TRY(sym_alloc(&axes, sizeof(axis) * SYM_MAX_AXES));
    SYM_TRY(sym_job_keep(c, sym_grid_parse_sweep(c, root, job, axes)));
    if (rc == 0) /* nothing is built for runs that could not all be run */
        SYM_TRY(check_run_count(c, job, axes));
    if (fill_seeds(job) < 0) { /* (rc stays 1 if a problem was kept above) */
        rc = sym_err_code();
        goto cleanup;
    }
    if (rc == 0) /* the points need whole axes */
        SYM_TRY(sym_job_keep(c, sym_grid_parse_configs(c, job, axes)));
    if (c->n_errs > 0) {
        rc = SYM_EJOB; /* the problems are in c->errs: sym_job_parse_with reports them */
        goto cleanup;
    }
    SYM_TRY(sym_grid_build_columns(c, job, axes));
    SYM_TRY(sym_job_layout_probes(job));
    if ((long long)job->n_configs * job->n_seeds > INT_MAX)
        SYM_FAIL(SYM_EJOB, "%s:1:1: sweep: %d configurations x %d seeds is more than %d runs",
                 c->file, job->n_configs, job->n_seeds, INT_MAX);
cleanup:
    free(axes);
    return rc;
}

int sym_job_parse(sym_job *job, const char *text, size_t len, const char *path)
{
    return sym_job_parse_with(job, text, len, path, NULL, 0);
}

/* the job as run: the file with the command line's settings, and the settings themselves */
static int record_overrides(sym_job *job, ctx *c, const char *text, size_t len)
{
    char *eff = NULL;
    size_t n = 0, total = 1;
    int rc = 0;

    SYM_TRY(sym_job_effective_text(&eff, &n, c, text, len));
    free(job->yaml);
    job->yaml = eff;
    job->yaml_len = n;
    sym_sha256_hex(job->sha256, eff, n);
    for (int k = 0; k < c->n_overrides; k++)
        total += strlen(c->overrides[k]) + 1;
    SYM_TRY(sym_alloc(&job->overrides, total));
    job->overrides[0] = '\0';
    for (int k = 0; k < c->n_overrides; k++)
        snprintf(job->overrides + strlen(job->overrides), total - strlen(job->overrides), "%s%s",
                 k ? "\n" : "", c->overrides[k]);
cleanup:
    return rc;
}

/* the problems gathered in collect mode, then the one that stopped the pass if any, as one
 * message with SYM_JOB_ERR_SEP between them (one problem: its message alone) */
static int report_problems(ctx *c)
{
    char stop[1024] = "";

    if (sym_err_code() == SYM_EJOB) { /* a problem that could not be passed over */
        snprintf(stop, sizeof(stop), "%s", sym_err_message());
        if (sym_job_keep(c, sym_err_code()) == 1)
            stop[0] = '\0'; /* kept with the others (or the same as one of them) */
    }
    if (c->n_errs == 1 && !stop[0])
        return sym_err_set(SYM_EJOB, __FILE__, __LINE__, "%s", c->errs);
    return sym_err_set(SYM_EJOB, __FILE__, __LINE__, "%s%s%s%c%d problems%s", c->errs,
                       stop[0] ? "\x1e" : "", stop, SYM_JOB_ERR_SEP, c->n_errs + (stop[0] != 0),
                       stop[0] || c->n_errs >= SYM_JOB_MAX_ERRORS
                           ? ", and validate stopped there: fix these and validate again" : "");
}

int sym_job_parse_with(sym_job *job, const char *text, size_t len, const char *path,
                       const char *const *overrides, int n_overrides)
{
    return sym_job_parse_collect(job, text, len, path, overrides, n_overrides, 0);
}

int sym_job_parse_collect(sym_job *job, const char *text, size_t len, const char *path,
                          const char *const *overrides, int n_overrides, int collect)
{
    sym_job_read_opts o = SYM_JOB_READ_OPTS_INIT;

    o.overrides = overrides;
    o.n_overrides = n_overrides;
    o.collect = collect;
    return sym_job_parse_opts(job, text, len, path, &o);
}

int sym_job_parse_opts(sym_job *job, const char *text, size_t len, const char *path,
                       const sym_job_read_opts *o)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    const char *const *overrides = o->overrides;
    int n_overrides = o->n_overrides;
    ctx c = {.file = path, .doc = &doc, .overrides = overrides, .n_overrides = n_overrides,
             .collect = o->collect, .plugins = o->plugins};
    int rc = 0, have_doc = 0, have_parser = 0;
    const char *slash = strrchr(path, '/');

    memset(job, 0, sizeof(*job));
    if (slash)
        snprintf(c.dir, sizeof(c.dir), "%.*s", (int)(slash - path), path);
    snprintf(job->path, sizeof(job->path), "%s", path);
    SYM_TRY(sym_alloc(&job->yaml, len + 1));
    memcpy(job->yaml, text, len);
    job->yaml_len = len;
    sym_sha256_hex(job->sha256, text, len);
    if (memchr(text, '\0', len))
        SYM_FAIL(SYM_EJOB, "%s:1:1: (file): expected YAML text, found a NUL byte", path);
    SYM_TRY(sym_yaml_check_depth(text, len, path, SYM_JOB_MAX_DEPTH));

    if (!yaml_parser_initialize(&parser))
        SYM_FAIL(SYM_ENOMEM, "cannot initialize the YAML parser");
    have_parser = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        SYM_FAIL(SYM_EJOB, "%s:%zu:%zu: (syntax): %s%s%s", path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
                 parser.context ? " " : "", parser.context ? parser.context : "");
    }
    have_doc = 1;
    SYM_TRY(sym_job_apply_overrides(&c, &doc));
    SYM_TRY(sym_yaml_check_nul(&c));
    rc = parse_document(&c, job);
    if (c.n_errs > 0)
        rc = report_problems(&c);
    SYM_TRY(rc);
    /* a second document would be silently ignored: refuse it */
    if (yaml_parser_load(&parser, &extra)) {
        node *r2 = yaml_document_get_root_node(&extra);
        size_t line = r2 ? r2->start_mark.line + 1 : 0;

        yaml_document_delete(&extra);
        if (r2)
            SYM_FAIL(SYM_EJOB, "%s:%zu:1: (file): expected one YAML document, found a second one",
                     path, line);
    } else {
        SYM_FAIL(SYM_EJOB, "%s:%zu:%zu: (syntax): %s", path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
    }
    if (n_overrides > 0)
        SYM_TRY(record_overrides(job, &c, text, len));
cleanup:
    free(c.errs);
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    if (rc < 0)
        sym_job_dispose(job); /* the message stays in the error buffer */
    return rc;
}

int sym_job_load(sym_job *job, const char *path)
{
    return sym_job_load_with(job, path, NULL, 0);
}

int sym_job_load_with(sym_job *job, const char *path, const char *const *overrides, int n_overrides)
{
    return sym_job_load_collect(job, path, overrides, n_overrides, 0);
}

int sym_job_load_collect(sym_job *job, const char *path, const char *const *overrides,
                         int n_overrides, int collect)
{
    sym_job_read_opts o = SYM_JOB_READ_OPTS_INIT;

    o.overrides = overrides;
    o.n_overrides = n_overrides;
    o.collect = collect;
    return sym_job_load_opts(job, path, &o);
}

int sym_job_load_opts(sym_job *job, const char *path, const sym_job_read_opts *o)
{
    FILE *f = NULL;
    char *buf = NULL;
    long len;
    int rc = 0;

    memset(job, 0, sizeof(*job));
    {
        /* before opening: opening a FIFO would wait for a writer */
        struct stat sb;

        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            SYM_FAIL(SYM_EJOB, "%s: expected a job file, found %s", path,
                     S_ISDIR(sb.st_mode) ? "a directory" : "something other than a regular file");
    }
    f = fopen(path, "rb");
    if (!f)
        SYM_FAIL(SYM_EIO, "%s: cannot open the job file: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        SYM_FAIL(SYM_EIO, "%s: cannot read the job file (not a regular file?)", path);
    if (len > 16 * 1024 * 1024)
        SYM_FAIL(SYM_EJOB, "%s:1:1: (file): expected a job file of at most 16 MiB, found %ld bytes",
                 path, len);
    SYM_TRY(sym_alloc(&buf, (size_t)len + 1));
    if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)
        SYM_FAIL(SYM_EIO, "%s: short read", path);
    SYM_TRY(sym_job_parse_opts(job, buf, (size_t)len, path, o));
cleanup:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

void sym_job_dispose(sym_job *job)
{
    for (int i = 0; i < job->n_columns; i++) {
        for (int v = 0; job->columns[i].str && v < job->axis_len[job->columns[i].axis]; v++)
            free(job->columns[i].str[v]);
        free(job->columns[i].str);
        free(job->columns[i].num);
    }
    free(job->columns);
    sym_job_probes_dispose(job);
    free(job->configs);
    free(job->values);
    free(job->yaml);
    free(job->overrides);
    free(job->seeds);
    memset(job, 0, sizeof(*job));
}

int sym_job_n_runs(const sym_job *job) { return job->n_configs * job->n_seeds; }

const sym_job_config *sym_job_run_config(const sym_job *job, int i, uint64_t *seed)
{
    SYM_ASSERT(i >= 0 && i < sym_job_n_runs(job));
    if (seed)
        *seed = job->seeds[i % job->n_seeds];
    return &job->configs[i / job->n_seeds];
}

