/*
 * The sweep module's job parser, in three files: yaml.c (node access, typed
 * getters, messages with file:line:col), grid.c (sweep axes, their values
 * substituted point by point, the /grid columns) and job.c (the sections and
 * the job).  Private to src/sweep.
 */
#ifndef SYMSWEEP_JOB_IMPL_H
#define SYMSWEEP_JOB_IMPL_H

#include "symsweep/job.h"

#include <yaml.h>

#define MAX_SEEDS 10000000
#define MAX_WIDTH 1000000
#define MAX_SAMPLES 100000000
#define MAX_EPOCHS 1000000000

typedef struct ctx {
    const char *file;
    yaml_document_t *doc;
    char dir[1024]; /* directory of the job file, for relative data paths */
    const char *const *overrides; /* KEY.PATH=VALUE settings from the command line */
    int n_overrides;
    int collect;          /* validate: gather problems and go on (sym_job_keep) */
    sym_plugin_policy plugins; /* load, refuse or skip a probe's plug-in (probes.c) */
    int probes_failed;    /* collect mode: the probes did not parse; no per-point checks */
    const char *point;    /* the sweep point being read ("train.lr=0.1"), or NULL */
    char *errs;           /* the problems gathered, SYM_JOB_ERR_SEP between them (owned) */
    size_t errs_len;
    int n_errs;
} ctx;

/* at most this many problems are gathered in one pass */
#define SYM_JOB_MAX_ERRORS 20
/* a section's rc: 0 stays 0; < 0 in collect mode: its message is kept (once) and 1 returned,
 * so the parse goes on; otherwise, and for errors other than a bad job, rc */
int sym_job_keep(ctx *c, int rc);

typedef yaml_node_t node;

/* ---- overrides.c: settings from the command line ---- */

/* the line of a node grafted from command-line setting k: SYM_OVERRIDE_LINE + k */
#define SYM_OVERRIDE_LINE ((size_t)1 << 40)
/* graft c->overrides into doc (messages name the argument) */
int sym_job_apply_overrides(ctx *c, yaml_document_t *doc);
/* the job text with c->overrides applied, as YAML (owned by the caller), a comment first */
int sym_job_effective_text(char **out, size_t *out_len, ctx *c, const char *text, size_t len);

/* ---- yaml.c: the YAML layer ---- */

void sym_yaml_describe(char *buf, size_t n, const node *v);
int sym_yaml_err(ctx *c, const node *at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int sym_yaml_expected(ctx *c, const node *at, const char *key, const char *what);
void sym_yaml_join(char *buf, size_t n, const char *a, const char *b);
node *sym_yaml_node(ctx *c, int id);
const char *sym_yaml_scalar(const node *v);
int sym_yaml_is_plain(const node *v);
node *sym_yaml_lookup(ctx *c, const node *m, const char *key);
int sym_yaml_in_list(const char *k, const char *const *list);
int sym_yaml_check_map_for(ctx *c, const node *m, const char *path, const char *const *allowed,
                           const char *const *known, const char *why);
int sym_yaml_check_map(ctx *c, const node *m, const char *path, const char *const *allowed);
int sym_yaml_need_map(ctx *c, const node *m, const char *path);
int sym_yaml_parse_long(const node *v, long long *out);
int sym_yaml_parse_double(const node *v, double *out);
int sym_yaml_missing(ctx *c, const node *m, const char *key, const char *what);
int sym_yaml_int(ctx *c, const node *m, const char *path, const char *name, int required,
                 long long def, long long lo, long long hi, int *out);
int sym_yaml_double(ctx *c, const node *m, const char *path, const char *name, int required,
                    double def, double lo, int lo_open, double hi, int hi_open, double *out);
int sym_yaml_bool(ctx *c, const node *m, const char *path, const char *name, int def, int *out);
int sym_yaml_string(ctx *c, const node *m, const char *path, const char *name, int required,
                    const char *def, char *out, size_t cap);
int sym_yaml_enum_value(ctx *c, const node *v, const char *key, const char *const *names, int n,
                        int *out);
int sym_yaml_enum(ctx *c, const node *m, const char *path, const char *name, int required, int def,
                  const char *const *names, int n, int *out);
int sym_yaml_int_list(ctx *c, const node *m, const char *path, const char *name, int required,
                      int min_len, int max_len, long long lo, long long hi, int *out, int *n);
int sym_yaml_seq_len(const node *v);
void sym_yaml_label(ctx *c, const node *v, char *buf, size_t cap, int depth);
/* a scalar holding a NUL character ("a\0b" in double quotes): refused, naming the setting
 * (C strings would end there: name "a\0b" was read as "a") */
int sym_yaml_check_nul(ctx *c);

/* ---- grid.c: the sweep grid ---- */

#define MAX_ZIP 8
/* each configuration holds its option structs (~2 KiB): 100k is ~0.25 GB */
#define MAX_CONFIGS 100000

typedef struct axis_col {
    char path[128];   /* "train.lr" */
    int key_id;       /* scalar node holding the last path component (for appending) */
    int values_id;    /* the sequence node of values */
} axis_col;

typedef struct axis {
    int n_cols, len;
    axis_col cols[MAX_ZIP];
} axis;

/* one applied override, to undo: a swapped value, or an appended pair */
typedef struct undo {
    int map_id, pair_index, old_value, appended;
} undo;

/** The sweep: section of the job: its axes into @p axes and job->n_axes. */
int sym_grid_parse_sweep(ctx *c, const node *root, sym_job *job, axis *axes);
/** Every configuration: the axes' values substituted, each point parsed by sym_job_parse_point. */
int sym_grid_parse_configs(ctx *c, sym_job *job, const axis *axes);
/** The /grid columns: one per swept setting, and one per scalar key of mapping values. */
int sym_grid_build_columns(ctx *c, sym_job *job, const axis *axes);

/* ---- settings.c: the sections' settings tables (sections.c holds the tables) ---- */

typedef enum jrow_type {
    JROW_INT = 0,  /* int, [lo, hi] (hi_from: another row's value) */
    JROW_INT64,    /* long long, [lo, hi]; not set: its default (-1 for "none") */
    JROW_DOUBLE,   /* double, lo..hi (open ends, NaN: none); JROW_INF: inf too */
    JROW_BOOL,     /* int 0/1; names: more words, values 2, 3, ... (proximal: fista) */
    JROW_ENUM,     /* int index into names */
    JROW_STRING,   /* char[cap] */
    JROW_INT_LIST, /* int[max_len], its length at count_offset (in values) */
    JROW_ENUM_LIST,/* one name, or a list of names: int[max_len], length at count_offset, -1: one */
    JROW_DOUBLE_LIST, /* double[max_len] in (lo, hi] by lo_open/hi_open, increasing; length at count_offset */
    JROW_SECTION,  /* a mapping with a table of its own (sub) */
    JROW_COUNT
} jrow_type;

/* where a row's value lives: the grid point's sym_config, its sym_job_values, or the job */
enum { JROW_CFG = 0, JROW_VALUES, JROW_JOB };

#define JROW_REQUIRED 1 /* no default: missing is a problem */
#define JROW_LATE 2     /* read after the section's settle (the order its messages come in) */
#define JROW_MANUAL 4   /* read by the section's settle (its rules depend on other settings) */
#define JROW_INF 8      /* doubles: inf is a value too */

struct sym_job_section;

/** One setting of a job section: the host's own row type (sym_setting is the plug-in ABI). */
typedef struct sym_job_row {
    const char *name;
    jrow_type type;
    int base;                 /* JROW_CFG, JROW_VALUES or JROW_JOB */
    size_t offset;            /* of the value in its base */
    size_t count_offset;      /* lists: of their length (in values) */
    unsigned kinds;           /* bit k: used by the section's kind k; 0: by every kind */
    int flags;
    double def;               /* default: number, enum index, bool */
    const char *def_s;        /* strings: default; others: the default in words, if not def */
    const char *def_from;     /* doubles: the default is this row's value */
    double lo, hi;            /* NaN: unbounded */
    int lo_open, hi_open;
    const char *hi_from;      /* ints: the upper bound is this row's value */
    const char *const *names; /* ENUM, ENUM_LIST; BOOL: more words */
    int n_names;
    int min_len, max_len;     /* lists */
    size_t cap;               /* strings */
    const char *expected;     /* the "expected ..." of a row whose words are its own */
    const struct sym_job_section *sub; /* SECTION */
    const char *doc;          /* one line */
} sym_job_row;

typedef struct sym_job_section {
    const char *path;             /* "data", "model.init" */
    const char *doc;
    const sym_job_row *rows;
    int n_rows;
    int kind_row;                 /* the row that picks the kind, -1: none */
    const char *const *why;       /* per kind: "data kind hdf5" (a key of another kind is "not used
                                   * by" it); NULL: such a key is unknown */
    const char *kinds_doc;        /* the rows' kinds are those of this section (model.init: its own) */
} sym_job_section;

/** The settings of one grid point that are not fields of sym_config (as the job wrote them). */
typedef struct sym_job_values {
    int data_widths_n, data_act, data_bias;
    long long data_seed;
    int data_classes_n;                   /* data.classes' length */
    int image[2], image_n, patch_size_n;  /* data.image (hdf5) and data.patches.size's lengths */
    /* data.pairs and data.generator (planted_group): transforms, a, b as read (data_pairs.c) */
    int pair_kind[SYM_PATCH_MAX_STEPS], pair_a[SYM_PATCH_MAX_STEPS], pair_b[SYM_PATCH_MAX_STEPS];
    int pair_n, pair_a_n, pair_b_n, grid_n;
    int proto_n; /* data.prototypes' length (prototypes) */
    /* data.test's files (idx) and datasets (hdf5), into data.test_x and test_y */
    char test_images[1024], test_labels[1024], test_x_ds[256], test_y_ds[256];
    int widths_n, input, latent, hidden_n, dec_n, act_n, latent_act, out_act, tied;
    int hidden[SYM_MAX_LAYERS], dec[SYM_MAX_LAYERS], act[SYM_MAX_LAYERS];
    int init_kind, bias_kind;
    int group_grid_n, group_layer; /* model.group.grid's length, model.group.layer (from 1) */
    int decay_at_n; /* train.decay_at */
    long long init_run;
    double lambda;
} sym_job_values;

/** Where a section's rows write: the grid point's settings, its other values, the job. */
typedef struct sym_job_bases {
    void *base[3];
} sym_job_bases;

/* the sections (sections.c), in the order the job reference lists them */
/* the job's sections, in sym_job_sections (and reference) order */
enum { JSEC_SEEDS = 0, JSEC_DATA, JSEC_MODEL, JSEC_REGULARIZER, JSEC_TRAIN, JSEC_RECORD, JSEC_COUNT };
extern const sym_job_section sym_job_sections[];
extern const int sym_job_n_sections;
const sym_job_section *sym_job_section_find(const char *path);
/** An input file a setting names: a readable regular file, or a problem at @p at (sections.c). */
int sym_job_input_file(ctx *c, const node *at, const char *key, const char *path);
/** hdf5 and idx data: paths, the files' shapes, the test split, the samples left (data_settle.c). */
int sym_job_settle_file_data(ctx *c, const node *v, const sym_job_bases *b);
/** data.pairs of file data (after the patches: their size is the grid), data_pairs.c */
int sym_job_settle_pairs(ctx *c, const node *v, const sym_job_bases *b);
/** data.grid and data.generator of planted_group data, data_pairs.c */
int sym_job_settle_group(ctx *c, const node *v, const sym_job_bases *b);
/** 1 if a sweep may vary the section @p section (data, model, regularizer, train), else 0. */
int sym_job_sweepable(const char *section);

/** Row @p name of @p sec, or NULL. */
const sym_job_row *sym_job_row_find(const sym_job_section *sec, const char *name);
/** Whether @p r is used by kind @p kind of its section. */
int sym_job_row_applies(const sym_job_row *r, int kind);
/**
 * Read mapping @p v by @p sec's table: pass 0 picks the kind (into *kind), checks the keys (a
 * key of another kind: "not used by ..."), writes every used row's default and reads the rows
 * that are not JROW_LATE; pass 1 reads the JROW_LATE ones.  *given: bit i for row i in the job.
 */
int sym_job_read_section(ctx *c, const node *v, const sym_job_section *sec, const sym_job_bases *b,
                         int pass, int *kind, uint64_t *given);
/** The value of an int, enum or bool row, or of row @p name's. */
long long sym_job_row_int(const sym_job_row *r, const sym_job_bases *b);
double sym_job_row_double(const sym_job_row *r, const sym_job_bases *b);

/* ---- reference.c, schema.c: the job file described from the tables ---- */

/** A probe setting's type, range and default (@p opts: the probe's defaults), in words. */
void sym_probe_setting_text(char *buf, size_t cap, const sym_setting *s, const void *opts);
/* the default of a probe setting of one value (int, bool, enum: *iv; double: *dv) */
void sym_probe_setting_default(int *iv, double *dv, const sym_setting *s, const void *opts);
/** A built-in probe's options with its defaults (NULL: out of memory); freed by the next. */
void *sym_probe_defaults(const sym_probe_def *d);
void sym_probe_defaults_free(const sym_probe_def *d, void *opts);
int sym_job_reference_probes_md(FILE *out);

/* ---- sections.c ---- */

int sym_job_parse_seeds(ctx *c, const node *root, sym_job *job);
/** The model section of a grid point: the table, then its settle code (sections_model.c). */
int sym_job_parse_model(ctx *c, const node *root, const sym_job_bases *b, const node *data_node);
int sym_job_parse_record(ctx *c, const node *root, sym_job *job);

/* ---- job.c ---- */

/** One grid point: its data, model, regularizer and train sections, and the probes' conditions. */
int sym_job_parse_point(ctx *c, const sym_job *job, const node *root, sym_job_config *cfg);

/* ---- probes.c: the probes, through the probe interface ---- */

/** The probes: section: each probe's settings by its table. */
int sym_job_parse_probes(ctx *c, const node *root, sym_job *job);
/** The probes' conditions on grid point @p cfg (complaints at the probe's entry under @p root). */
int sym_job_check_probes(ctx *c, const sym_job *job, const node *root, const sym_job_config *cfg);
/** Axis @p path = probes.NAME.SETTING: NAME is a probe of the job and SETTING one of its own
 * (not its team); the probe keeps options per grid point from then on. */
int sym_job_probe_axis(ctx *c, sym_job *job, const char *path, const node *keyn);
/** Room for the options of every grid point of the probes with a swept setting. */
int sym_job_probe_opts_alloc(sym_job *job);
/** Those probes' options at grid point @p k, read from the job with the point's values in. */
int sym_job_probe_point_opts(ctx *c, sym_job *job, const node *root, int k);
/** The probes' slices of the measures, their pieces, the team size. */
int sym_job_layout_probes(sym_job *job);
/** Every setting of @p def in @p opts as a typed attribute of /probes/NAME (probe_settings.c). */
int sym_probe_setting_attrs(sym_schema *s, const sym_probe_def *def, const void *opts);
void sym_job_probes_dispose(sym_job *job);

/* train.loss: targets that may be one column of class ids (their width is checked by
 * sym_job_settle_loss), and the rule itself (settle_loss.c) */
int sym_job_may_be_labels(const sym_data_opts *d);
int sym_job_settle_loss(ctx *c, const node *root, const sym_config *cfg);
#endif
