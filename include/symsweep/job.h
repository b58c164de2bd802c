/**
 * @file job.h
 * @brief Job files: parsing, validation, the sweep grid, and what a job's runs hold.
 *
 * The job file is parsed once, validated completely and turned into option
 * structs (sym_job); everything after that works on the structs.  No MPI.
 */
#ifndef SYMSWEEP_JOB_H
#define SYMSWEEP_JOB_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SWEEP)
#error "symsweep/job.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <stdint.h>
#include <stdio.h>

#include "symsweep/probe_api.h"
#include "symsweep/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sym_record_weights {
    SYM_RECORD_WEIGHTS_NONE = 0,
    SYM_RECORD_WEIGHTS_FINAL,
    SYM_RECORD_WEIGHTS_INITIAL_AND_FINAL,
    SYM_RECORD_WEIGHTS_COUNT
} sym_record_weights;

/** The job-file names of record.weights ("none", "final", "initial_and_final"). */
extern const char *const sym_record_weights_names[SYM_RECORD_WEIGHTS_COUNT];

/** One point of the sweep grid: the settings a run trains with (probe_api.h). */
typedef sym_config sym_job_config;

#define SYM_MAX_AXES 16

/**
 * A column of /grid: the value of one swept setting for each value index of
 * its axis.  A structured axis (a whole section, or a list value) gets a
 * text column with a compact YAML label, and, for mapping values, one extra
 * column per scalar key ("regularizer.kind", "regularizer.lambda").
 */
typedef struct sym_grid_column {
    char name[128];
    int axis;      /**< the axis it belongs to */
    int numeric;   /**< 1: num holds the values; 0: str does */
    int integer;   /**< numeric, and every value a whole number >= 0 (stored as int64) */
    double *num;   /**< [axis length], NaN where a mapping lacks the key (owned) */
    char **str;    /**< [axis length] (owned) */
} sym_grid_column;

#define SYM_MAX_PROBES 32

/** A probe of the job: its definition, its settings, where its values sit. */
typedef struct sym_job_probe {
    const sym_probe_def *def;
    void *opts;           /**< its options (owned) */
    size_t off, len;      /**< its slice of a run's measures */
    int first_piece, n_pieces; /**< its pieces among the run's */
    int team, team_mb;    /**< team probes: ranks (0: auto) and memory per rank (MiB) */
    uint32_t stream;      /**< its random sub-streams start here */
    uint32_t purpose;     /**< ... of this purpose (SYM_RNG_PROBE; a plug-in's from its name) */
    void *plugin;         /**< the shared object it came from (owned), or NULL */
    sym_probe_def *def_owned; /**< a plug-in's definition, copied whole (owned) */
    char plugin_path[1024]; /**< the file loaded: absolute, symbolic links resolved */
    int skipped;          /**< a plug-in read with SYM_PLUGINS_SKIP: not loaded, no values */
    char name[160];       /**< a plug-in's name (the job's key; a skipped one's def names it) */
    void **cfg_opts;      /**< a swept setting (sweep: probes.NAME.SETTING): the options of each
                           *   grid point (owned), else NULL (opts serves every point) */
    char swept[1400];     /**< "file:line:col: sweep.probes.NAME.SETTING" of the first swept one */
    char swept_names[256]; /**< its swept settings: "threshold and data" */
    /** its datasets as its layout declared them, placed in its slice (offsets from 0): one
     *  per grid point with cfg_opts, else one (owned; sym_job_layout_probes) */
    sym_schema *decl;
} sym_job_probe;

/** Where the probes' values sit in sym_run_result.measures. */
typedef struct sym_measure_layout {
    size_t total;          /**< doubles per run: the host's scores (sym_job.heldout), then the probes' */
    size_t team, team_len; /**< the team probes' contiguous slice */
} sym_measure_layout;

/**
 * The run's own scores beside training (issue 25), laid out by the host before the probes'
 * values in sym_run_result.measures: the objective on held-out test data when a grid point
 * holds some out, and the accuracy when a grid point trains a classifier (train.loss:
 * cross_entropy), at the end and at every curve point.  Nothing (len 0) for other jobs.
 */
typedef struct sym_heldout_layout {
    size_t len;         /**< doubles, from measures[0] */
    int test, accuracy; /**< some grid point holds out test data / trains a classifier */
    int points;         /**< curve points: the most of any grid point */
    /** where each value sits in the measures (SIZE_MAX: not recorded); the curves' [points] */
    size_t final_test, final_test_data, final_train_acc, final_test_acc;
    size_t curve_test, curve_train_acc, curve_test_acc;
    sym_schema decl;    /**< their datasets (owned) */
} sym_heldout_layout;

typedef struct sym_job {
    char path[1024];    /**< as given on the command line */
    char name[128];
    char *yaml;         /**< the job file verbatim, or with overrides the effective job (owned) */
    size_t yaml_len;
    char sha256[65];    /**< of that text */
    char *overrides;    /**< the command line's KEY.PATH=VALUE settings, one per line, or NULL (owned) */
    int n_seeds;
    uint64_t *seeds;    /**< owned */
    long long seed_base; /**< seeds: {count, base}: the first seed (a list: 0) */
    /* the grid: n_configs = product of axis lengths (1 without sweep:) */
    int n_axes;
    int axis_len[SYM_MAX_AXES];
    char axis_name[SYM_MAX_AXES][256]; /**< "train.lr", or "zip(train.lr, train.epochs)" */
    int n_columns;
    sym_grid_column *columns; /**< owned */
    int n_configs;
    sym_job_config *configs;  /**< owned */
    int loss_every;
    sym_record_weights record_weights;
    /* the probes, in registry order (team probes last), then plug-ins */
    int n_probes;
    sym_job_probe probes[SYM_MAX_PROBES];
    int n_pieces;               /**< probe pieces per run (all probes') */
    size_t piece_size;          /**< doubles of the largest piece */
    int team_size;              /**< ranks of each run's team task (1 without team probes) */
    sym_measure_layout measure; /**< where their values sit in sym_run_result.measures */
    sym_heldout_layout heldout; /**< the run's scores beside training, before the probes' values */
    struct sym_job_values *values; /**< [n_configs]: each point's settings as written (owned) */
} sym_job;

/** The options probe @p p runs with at grid point @p cfg (its own when a setting is swept). */
const void *sym_job_probe_opts(const sym_job *job, const sym_job_probe *p, int cfg);

/** The probe of the job called @p name, or NULL. */
const sym_job_probe *sym_job_find_probe(const sym_job *job, const char *name);
/** The job's probe that piece @p piece of a run belongs to (the piece's number in it: *local). */
const sym_job_probe *sym_job_piece_probe(const sym_job *job, int piece, int *local);
/**
 * Every probe's datasets and attributes (schema.h), offsets into the run's
 * measures and pieces; sym_schema_dispose frees it.
 */
int sym_job_schema(const sym_job *job, sym_schema *s);

/**
 * `symsweep help probes [NAME]`: without @p name one line per built-in
 * probe; with it, the probe's settings, their ranges and defaults.  An
 * unknown name is SYM_EUSAGE.
 */
int sym_probes_help(FILE *out, const char *name);

/** 1 if the job's runs have a team task. */
int sym_job_has_team(const sym_job *job);

/** Probe pieces (dependent tasks) per run: 0 without probes. */
int sym_job_n_pieces(const sym_job *job);
/** Doubles one probe piece takes (the largest piece of any probe). */
size_t sym_job_piece_size(const sym_job *job);
/** Doubles a run's probe results take: pieces x sym_job_piece_size. */
size_t sym_job_probe_size(const sym_job *job);

/**
 * Read, parse and validate a job file.  Relative data paths are resolved
 * against the job file's directory.  A problem is SYM_EJOB with a message
 * "FILE:LINE:COL: KEY: expected ..., found ..."; an unreadable file SYM_EIO.
 */
int sym_job_load(sym_job *job, const char *path);
/**
 * The same with settings from the command line, KEY.PATH=VALUE each (VALUE is
 * YAML: 0.01, [relu, tanh], {kind: l1}); a path under sweep. names one axis
 * (sweep.model.activation).  Each replaces the file's value or adds it,
 * creating the sections it needs, and is checked like the file's own; a
 * problem names the argument.  job->yaml becomes the effective job (the file
 * with them applied, as YAML, a comment naming them first) and job->sha256
 * its hash, so --resume accepts exactly the same settings.
 */
int sym_job_load_with(sym_job *job, const char *path, const char *const *overrides, int n_overrides);

/**
 * What reading a job does with a probe that names a plug-in (`probes.NAME.plugin`): a
 * plug-in is code, and code is loaded only when the user asks for it.
 */
typedef enum sym_plugin_policy {
    SYM_PLUGINS_REFUSE = 0, /**< a problem saying how to allow it (--plugins); the default */
    SYM_PLUGINS_LOAD,       /**< load it: run, and validate or plan with --plugins */
    SYM_PLUGINS_SKIP        /**< never load it: the probe is kept by name with no values and its
                             *   settings unchecked (align reading the job stored in a file) */
} sym_plugin_policy;

/**
 * Where plug-ins may come from: a file named relatively in a job is taken from the job
 * file's folder (never searched for on the library path); with SYMSWEEP_PLUGIN_DIRS set
 * (folders separated by ':'), only from inside those folders (symbolic links resolved;
 * set but empty: no plug-in at all).
 */
#define SYM_PLUGIN_DIRS_ENV "SYMSWEEP_PLUGIN_DIRS"

/** How a job is read: the defaults are SYM_JOB_READ_OPTS_INIT. */
typedef struct sym_job_read_opts {
    const char *const *overrides; /**< KEY.PATH=VALUE settings (see sym_job_load_with) */
    int n_overrides;
    int collect;                  /**< gather the problems (validate: sym_job_load_collect) */
    sym_plugin_policy plugins;
} sym_job_read_opts;

#define SYM_JOB_READ_OPTS_INIT {NULL, 0, 0, SYM_PLUGINS_REFUSE}

/**
 * Read a job file, or parse a job text, as @p o says.  The functions without options refuse
 * plug-ins (SYM_PLUGINS_REFUSE).
 */
int sym_job_load_opts(sym_job *job, const char *path, const sym_job_read_opts *o);
int sym_job_parse_opts(sym_job *job, const char *text, size_t len, const char *path,
                       const sym_job_read_opts *o);

/** Deepest nesting a job file may have (flow brackets, indentation, "- " entries). */
#define SYM_JOB_MAX_DEPTH 64

/**
 * Refuse (SYM_EJOB, "PATH:LINE:COL: (file): ...") a YAML text nested more than
 * @p max_depth levels deep, before any parser sees it (libyaml takes minutes
 * on pathological nesting).  Linear in @p len.
 */
int sym_yaml_check_depth(const char *text, size_t len, const char *path, int max_depth);
/** Parse and validate YAML text; @p path names it in messages and anchors relative paths. */
int sym_job_parse(sym_job *job, const char *text, size_t len, const char *path);
int sym_job_parse_with(sym_job *job, const char *text, size_t len, const char *path,
                       const char *const *overrides, int n_overrides);
/**
 * Between the problems of one message when a job is read with @p collect (validate): every
 * problem it can find in one pass, up to 20, each once (the same one at every point of a
 * sweep is one), a section whose problem makes the next meaningless (the data's for the model)
 * skipping that one.  A control character that no message keeps.
 */
#define SYM_JOB_ERR_SEP '\x1e'
int sym_job_load_collect(sym_job *job, const char *path, const char *const *overrides,
                         int n_overrides, int collect);
int sym_job_parse_collect(sym_job *job, const char *text, size_t len, const char *path,
                          const char *const *overrides, int n_overrides, int collect);
void sym_job_dispose(sym_job *job);
/**
 * SHA-256 (hex) of a job text's canonical YAML form: the same for two texts
 * that differ only in comments, layout, quoting or flow/block style, and
 * different for any change of a setting.  --resume accepts a file whose job
 * differs from this one only so.
 */
int sym_job_canonical_sha256(char out[65], const char *text, size_t len);
/**
 * The files the job's runs read, each once in the order the job names them (every grid
 * point's data.file of HDF5 data and model.init.file, then the probes' plug-ins), with the
 * SHA-256 of each one's bytes now: one line "HEX  PATH\n" per file (sha256sum's format;
 * paths as the job resolves them).  *out is NULL when the runs read no file (synthetic data,
 * no plug-in), else owned by the caller.  A file that cannot be read is SYM_EIO, naming it.
 */
int sym_job_input_digests(char **out, const sym_job *job);
/**
 * --resume: the input digests the output file recorded (@p then, from
 * sym_job_input_digests when it was created) against those of the files now (@p now).
 * A file that changed is SYM_EJOB: "OUT: cannot resume: the input file F changed since
 * the sweep started ...".  @p then NULL (no digests recorded: a file of an earlier symsweep)
 * passes.
 */
int sym_job_inputs_unchanged(const char *out_path, const char *then, const char *now);
/**
 * Number of runs: n_configs x n_seeds.  Run i is configuration i / n_seeds
 * with seed seeds[i % n_seeds]; configuration c enumerates the axes as a
 * cartesian product in the order they are written, the last axis fastest.
 */
int sym_job_n_runs(const sym_job *job);
/** The configuration of run @p i and, if @p seed is not NULL, its seed. */
const sym_job_config *sym_job_run_config(const sym_job *job, int i, uint64_t *seed);
/** Value index of run @p i on axis @p a. */
int sym_job_axis_index(const sym_job *job, int i, int a);

/* ---- the resolved configuration: every setting of a grid point ---- */

typedef enum sym_value_type {
    SYM_VALUE_INT = 0,
    SYM_VALUE_DOUBLE,
    SYM_VALUE_STRING,
    SYM_VALUE_INT_LIST,
    SYM_VALUE_DOUBLE_LIST
} sym_value_type;

/** One setting of one grid point, as sym_job_visit_settings hands it over (borrowed). */
typedef struct sym_setting_value {
    const char *key;      /**< "train.beta1", "model.widths", "probes.hessian.threshold" */
    sym_value_type type;  /**< enums and bools: INT for bools (0/1), STRING for enums (the name) */
    long long i;
    double d;
    const char *s;
    const long long *ilist;
    const double *dlist;
    int len;              /**< lists: len values */
    int max_len;          /**< lists: the longest this key is at any grid point of the job */
    int applies;          /**< 0: this grid point does not use the key (data.dim with kind
                           *   teacher_linear): a writer stores a fill value */
    const char *doc;      /**< the table row's one line */
} sym_setting_value;

typedef int (*sym_setting_visit)(void *ctx, const sym_setting_value *v);

/**
 * Every setting of grid point @p config (0 .. n_configs-1), defaults included, in a fixed order
 * that is the same for every grid point of the job (same keys, same types), so a writer can make
 * one dataset per key; the probes' settings (probes.NAME.SETTING) of the job's probes included.
 * Values not set and without a default (data.seed, model.init.run) are -1.  The pointers in
 * @p v live until @p fn returns.  Returns 0, the first non-zero return of @p fn, or < 0 on an
 * error (SYM_EINVAL: no such grid point).
 */
int sym_job_visit_settings(const sym_job *job, int config, sym_setting_visit fn, void *ctx);

/**
 * `symsweep help job [SECTION]`: the job's sections and their settings, from the tables that
 * read them (@p section NULL: the list of sections; "probes": as `help probes`).  An unknown
 * section is SYM_EUSAGE.
 */
int sym_job_help(FILE *out, const char *section);
/** The job-file reference in Markdown (docs/job-reference.md): every section and probe. */
int sym_job_reference_markdown(FILE *out);
/** The JSON Schema of a job file (docs/job-schema.json), for editors and checks. */
int sym_job_reference_schema(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
