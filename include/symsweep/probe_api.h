/**
 * @file probe_api.h
 * @brief The probe interface: everything the sweep knows about a probe.
 *
 * A probe is one `sym_probe_def`: its name, its settings (a table the job
 * parser reads `probes: {NAME: {...}}` with), its checks against each grid
 * point's model, the values it keeps per run (its slice of the run's
 * measures), the datasets it declares (schema.h), and its work, of up to
 * four kinds:
 *
 *  - `at_end`: after training, on the rank that trained the run;
 *  - `start` / `point` / `finish`: at every curve point during training;
 *  - `piece`: independent pieces fanned out to any rank (orbit directions),
 *    folded into the measures by `reduce` when all are back;
 *  - `team`: one task per run on a team of ranks (a ScaLAPACK grid), with the
 *    size of its dense problem (`team_need`) for choosing the team;
 *  - `move` (with `start`): at curve points, move the parameters along a
 *    symmetry of the objective (teleportation); training goes on from there.
 *
 * Built-in probes are listed in the registry (src/probe/registry.c); a
 * plug-in is a shared object whose `sym_probe_plugin` returns its definition
 * (docs/adding-a-probe.md).  The job parser, the output writer, the
 * coordinator and `plan` see probes only through this interface.
 *
 * Versioned like a plug-in ABI: `api_version` must be SYM_PROBE_API_VERSION,
 * `size` the size of the definition the probe was built with (at least
 * SYM_PROBE_DEF_MIN_SIZE: fields added later read as NULL for an older
 * plug-in), and `abi` the sizes of the other structs a probe reads or fills
 * (sym_config, sym_probe_run, ...) as the probe saw them; symsweep refuses a
 * plug-in whose version or sizes differ from its own before it reads any
 * other field.  Start a definition with SYM_PROBE_DEF_INIT, which fills the
 * three.  Hooks a probe does not have are NULL.
 *
 * The version covers everything in this header and the headers it includes
 * that a plug-in sees: any change to one of those structs is a new version
 * (src/sweep/probes.c pins their sizes, so growing one without a new
 * version fails to compile).  Version 1 (e0462c6 to 94def6c) checked only
 * the definition's size, while sym_config grew from 2,296 to 3,664 bytes
 * under it: a version-1 plug-in is refused.  Version 2 (to ea87719) had a
 * probe return its number of values from `layout` and place its datasets at
 * offsets it kept by hand in `schema` (and its piece size from `piece_size`);
 * since version 3 the probe declares its datasets in `layout` and the host
 * places them (schema.h: sym_schema_measure returns where), `schema` adds
 * only attributes that are not settings, and the host writes every setting
 * itself: a version-2 plug-in is refused.  Version 4 (issue 25): sym_model_opts gained
 * `loss` (mse or cross_entropy), so sym_config grew.  Version 5 (issue 26): sym_model_opts
 * gained the learned-group layer's and unfolded ISTA's settings.
 */
#ifndef SYMSWEEP_PROBE_API_H
#define SYMSWEEP_PROBE_API_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core) */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_PROBE)
#error "symsweep/probe_api.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <stddef.h>
#include <stdint.h>

#include "symsweep/probe.h"
#include "symsweep/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYM_PROBE_API_VERSION 5

/** Initial parameters read from a file (model.init: {kind: file, ...}) instead of drawn. */
typedef struct sym_init_from {
    int on;
    long long run;   /**< the row of per-run datasets (a symsweep output), -1: one tensor each */
    char file[1024]; /**< resolved against the job file's directory */
    char group[256]; /**< tensor t is <group>/<t's name> ("W1", "b1", "enc_W1", ...) */
} sym_init_from;

/** The settings one grid point trains with. */
typedef struct sym_config {
    sym_data_opts data;
    sym_model_opts model;
    sym_reg reg;
    sym_train_opts train;
    sym_init_from init;
} sym_config;

typedef enum sym_setting_type {
    SYM_SETTING_INT = 0,  /**< int; range [lo, hi] */
    SYM_SETTING_DOUBLE,   /**< double; range lo..hi, open ends by lo_open / hi_open, NaN: none */
    SYM_SETTING_BOOL,     /**< int 0/1 */
    SYM_SETTING_ENUM,     /**< int index into names[]; aliases map more words to names */
    SYM_SETTING_FAMILIES, /**< sym_group[SYM_GROUP_COUNT], distinct; the count is an int at count_offset */
    SYM_SETTING_EXPONENTS /**< double[max_len] of numbers in [lo, hi] or inf; count at count_offset */
} sym_setting_type;

/** One setting of a probe: `probes.NAME.<name>` in the job file. */
typedef struct sym_setting {
    const char *name;
    sym_setting_type type;
    size_t offset;       /**< of the value in the probe's options */
    size_t count_offset; /**< lists: of their int length */
    double lo, hi;
    int lo_open, hi_open;
    const char *const *names; /**< ENUM */
    int n_names;
    const char *const *aliases; /**< ENUM: pairs {"word", "name"}, NULL-terminated */
    const char *expected;       /**< ENUM with aliases, lists: what the message says is expected */
    int max_len;                /**< lists */
    const char *doc;            /**< one line: what it does (`symsweep help probes`) */
} sym_setting;

/** A probe's complaint: the setting it is about ("" for the probe itself) and the text after "KEY: ". */
typedef struct sym_probe_msg {
    char setting[64];
    char text[512];
} sym_probe_msg;

/** One run, as a probe's work sees it. */
typedef struct sym_probe_run {
    int index;              /**< run number */
    uint64_t seed;
    uint32_t stream;        /**< the probe's random sub-streams: (seed, purpose, stream + k) */
    const sym_config *cfg;
    const sym_model *model;
    const sym_data *data;   /**< the run's data (regenerated from its seed, or read) */
    const double *params;   /**< at_end, piece, team: the trained parameters */
    int status;             /**< finish, at_end: SYM_RUN_DONE or SYM_RUN_DIVERGED */
    /** The probe's random purpose: SYM_RNG_PROBE for a built-in probe; for a plug-in, one
     * derived from its name alone (SYM_RNG_PLUGIN | a hash of the name), with stream 0, so
     * that its draws do not depend on the other probes of the job or their order. */
    uint32_t purpose;
} sym_probe_run;

/** The purposes of plug-ins' streams: this bit and 31 bits of a hash of the probe's name. */
#define SYM_RNG_PLUGIN 0x80000000u

/** What a team task solves: a dense symmetric eigenproblem or an SVD, for sizing the team. */
typedef enum sym_team_kind { SYM_TEAM_NONE = 0, SYM_TEAM_SYEV, SYM_TEAM_SVD } sym_team_kind;

typedef struct sym_team_need {
    sym_team_kind kind;
    long long m, n; /**< SYEV: n x n; SVD: m x n */
} sym_team_need;

/** The team a team task runs on: its solvers, its size and this rank. */
typedef struct sym_team_ops {
    void *solver;
    sym_syev_fn syev;
    sym_svd_fn svd;
    int size, rank;
    /** Added within version 1 (a plug-in built before does not read it).  Collective: @p x
     * (n doubles) becomes its sum over the team's ranks, the same on every rank; 0 or < 0. */
    int (*sum)(void *solver, double *x, size_t n);
} sym_team_ops;

/**
 * The sizes of the structs a probe reads or fills, as it was compiled: symsweep compares them
 * with its own and refuses a plug-in that saw another layout.
 */
typedef struct sym_probe_abi {
    uint32_t config;     /**< sizeof(sym_config): grid point settings (check, layout, runs) */
    uint32_t model_opts; /**< sizeof(sym_model_opts): sym_model_get_opts, sym_config.model */
    uint32_t data_opts;  /**< sizeof(sym_data_opts) */
    uint32_t train_opts; /**< sizeof(sym_train_opts) */
    uint32_t reg;        /**< sizeof(sym_reg) */
    uint32_t data;       /**< sizeof(sym_data): sym_probe_run.data */
    uint32_t run;        /**< sizeof(sym_probe_run) */
    uint32_t team_ops;   /**< sizeof(sym_team_ops) */
    uint32_t team_need;  /**< sizeof(sym_team_need) */
    uint32_t setting;    /**< sizeof(sym_setting): the probe's settings table */
    uint32_t msg;        /**< sizeof(sym_probe_msg) */
    uint32_t rng;        /**< sizeof(sym_rng): a stream on the probe's stack */
} sym_probe_abi;

#define SYM_PROBE_ABI_INIT                                                                        \
    {(uint32_t)sizeof(sym_config),     (uint32_t)sizeof(sym_model_opts),                          \
     (uint32_t)sizeof(sym_data_opts),  (uint32_t)sizeof(sym_train_opts),                          \
     (uint32_t)sizeof(sym_reg),        (uint32_t)sizeof(sym_data),                                \
     (uint32_t)sizeof(sym_probe_run),  (uint32_t)sizeof(struct sym_team_ops),                     \
     (uint32_t)sizeof(sym_team_need),  (uint32_t)sizeof(sym_setting),                             \
     (uint32_t)sizeof(sym_probe_msg),  (uint32_t)sizeof(sym_rng)}

typedef struct sym_probe_def {
    int api_version; /**< SYM_PROBE_API_VERSION: first, the one field read before it is checked */
    size_t size;     /**< sizeof(sym_probe_def) */
    sym_probe_abi abi; /**< SYM_PROBE_ABI_INIT */
    const char *name;
    const char *doc;
    size_t opts_size;             /**< its options struct, allocated and zeroed for it */
    const sym_setting *settings;
    int n_settings;
    uint32_t stream;              /**< unused (0): the host assigns streams (the registry) */
    const char *piece_noun;       /**< "direction": how errors name a piece */

    /** Defaults into the options (called first). */
    void (*init)(void *opts);
    /** After the settings are read; given[i] is 1 if settings[i] was in the job. 0 or a complaint. */
    int (*settle)(void *opts, const int *given, sym_probe_msg *msg);
    /** Can it run on this grid point? 0 or a complaint. */
    int (*check)(const void *opts, const sym_config *cfg, sym_probe_msg *msg);
    /**
     * Its values for every grid point (largest shapes): declare its datasets in @p s (empty,
     * schema.h: sym_schema_measure, sym_schema_pieces, sym_schema_metric, sym_schema_axis;
     * sym_schema_reserve for values no dataset writes).  The host places them in declaration
     * order, contiguous: the slice of a run's measures (and the size of each piece) is their
     * sum, and the probe keeps the offsets the calls return (sym_schema_at) in @p opts for its
     * work.  Called for the job's options and for each grid point's when a setting is swept,
     * on every rank.  0, or < 0 with the error set.
     */
    int (*layout)(void *opts, const sym_config *cfgs, int n_cfgs, sym_schema *s);
    /** Attributes that are not settings (derived facts: the team size); the host writes every
     * setting as an attribute of /probes/NAME itself.  team_size: ranks per team task. */
    int (*schema)(const void *opts, int team_size, sym_schema *s);
    /** Free what init / layout allocated in the options (not the options). */
    void (*dispose)(void *opts);

    int (*at_end)(const void *opts, const sym_probe_run *run, double *out);

    int (*start)(const void *opts, const sym_probe_run *run, double *out, void **state);
    int (*point)(void *state, int k, const double *params, const double *grad, double loss);
    int (*finish)(void *state, const sym_probe_run *run, double *out);
    void (*stop)(void *state);

    /** Its pieces per run (the host sizes each from the pieces declared in `layout`). */
    int (*n_pieces)(const void *opts);
    int (*piece)(const void *opts, const sym_probe_run *run, int piece, double *out);
    /** Fold the pieces (piece p at pieces + p * stride; NULL: none came back) into @p out. */
    void (*reduce)(const void *opts, const double *pieces, size_t stride, double *out);

    void (*team_need)(const void *opts, const sym_model *m, sym_team_need *need);
    int (*team)(const void *opts, const sym_probe_run *run, const sym_team_ops *team, double *out);

    /** Multiply-adds of its largest task on this grid point (pass: one pass over the data). */
    double (*task_work)(const void *opts, const sym_config *cfg, double n_params, double pass);

    /* ---- added within version 1 (and part of versions 2 and 3): a definition whose `size` ends at
     * task_work has none of these, and symsweep reads them as NULL ---- */

    /**
     * Optional, with `start`: at curve point k, after every probe's `point`, move the
     * parameters (the trainer's own array) along a symmetry of the objective, so that training
     * goes on from the new point of the orbit (teleportation).  Returns 1 when it moved them
     * (the trainer then recomputes its gradient there), 0 when not, < 0 on an error.
     */
    int (*move)(void *state, int k, double *params);

    /**
     * Optional: bytes its work needs at grid point @p cfg beyond the run's own arrays and the
     * team's dense problem (team_need), such as a dense tangent map of the symmetry algebra;
     * validate and plan add them to the memory they check (a team probe's to its team's).
     */
    double (*task_bytes)(const void *opts, const sym_config *cfg);
} sym_probe_def;

/** The size of a definition without `move` and `task_bytes`: the least accepted. */
#define SYM_PROBE_DEF_MIN_SIZE offsetof(sym_probe_def, move)

/**
 * The first fields of every definition, in its initializer:
 * `static const sym_probe_def d = {SYM_PROBE_DEF_INIT, .name = "mine", ...};`
 */
#define SYM_PROBE_DEF_INIT                                                                        \
    .api_version = SYM_PROBE_API_VERSION, .size = sizeof(sym_probe_def), .abi = SYM_PROBE_ABI_INIT

/**
 * A built-in probe: its definition and the first of its random sub-streams, which it draws
 * from as (seed, SYM_RNG_PROBE, stream + k) (src/probe/registry.c assigns them, one line per
 * probe).  A plug-in's streams come from its name instead (SYM_RNG_PLUGIN).
 */
typedef struct sym_probe_builtin {
    const sym_probe_def *def;
    uint32_t stream;
} sym_probe_builtin;

/** The built-in probes, in the order their values are laid out (team probes last). */
extern const sym_probe_builtin sym_probe_builtins[];
extern const int sym_probe_n_builtins;

/** The built-in probe called @p name, or NULL. */
const sym_probe_def *sym_probe_find(const char *name);
/** The first random sub-stream of the built-in probe @p d; 0 for a definition the registry
 * does not list (a plug-in's streams differ by their purpose, derived from its name). */
uint32_t sym_probe_stream(const sym_probe_def *d);

/** Name of a plug-in's entry point: `const sym_probe_def *sym_probe_plugin(void)`. */
#define SYM_PROBE_PLUGIN_SYMBOL "sym_probe_plugin"
typedef const sym_probe_def *(*sym_probe_plugin_fn)(void);

/* helpers for probe files */
#define SYM_PROBE_MSG(msg, set, ...)                                                      \
    (snprintf((msg)->setting, sizeof((msg)->setting), "%s", (set)),                       \
     snprintf((msg)->text, sizeof((msg)->text), __VA_ARGS__), SYM_EJOB)

#ifdef __cplusplus
}
#endif
#endif
