/**
 * @file job.h
 * @brief Job files: parsing, validation, the sweep grid, and what a job's runs hold.
 *
 * The job file is parsed once, validated completely and turned into option
 * structs (sym_job); everything after that works on the structs.  No MPI.
 */
#ifndef SYMSWEEP_JOB_H
#define SYMSWEEP_JOB_H

/* layering (core <- nn <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_SWEEP)
#error "symsweep/job.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include <stdint.h>
#include <stdio.h>

#include "symsweep/probe.h"

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

/** One point of the sweep grid: the settings a run trains with. */
typedef struct sym_job_config {
    sym_data_opts data;
    sym_model_opts model;
    sym_reg reg;
    sym_train_opts train;
} sym_job_config;

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
    double *num;   /**< [axis length], NaN where a mapping lacks the key (owned) */
    char **str;    /**< [axis length] (owned) */
} sym_grid_column;

/**
 * Offsets (in doubles) of the end-of-run probe values in a result's
 * measures array; d and k are the largest latent width and min(d, D) over
 * the sweep's configurations (smaller ones are NaN-padded).
 */
/** gradient_decomposition per curve point: ||J^T g||, ||g_orbit||, ||g_perp||, and the
 * objective change of the steps -lr g_orbit, -lr g_perp, -lr g */
enum { SYM_GD_QUANTITIES = 6 };

/** hessian scalars: zeros, gap, top, orbit_dim, orbit_gap, hvp_error, n_params, team size,
 * hvp_at_kink, cut_below, cut_above */
enum { SYM_HESS_SCALARS = 11 };

typedef struct sym_measure_layout {
    int d, k;
    size_t scalars, balance_l2, balance_l1, sv_enc, sv_dec, sv_prod, pen_mean, pen_max;
    size_t reparam; /**< [families x 5]: mean/max abs, mean/max rel, end-to-end */
    size_t cent_comm, cent_dim, cent_gap, cent_basis; /**< centralizer: [families x 2], 1, 1, n^4 */
    int cent_n;     /**< largest hidden width probed by the centralizer */
    size_t lp_change, lp_sparse, lp_zeros; /**< lp_ball: [n_p x families], [n_p], [n_p] */
    size_t gd;      /**< gradient_decomposition: [SYM_GD_QUANTITIES x gd_points] quantity-major, then the headline */
    int gd_points;  /**< largest number of curve points over configurations */
    /* conserved: [layers x points] drift and norm, then total relative drift and drift per step */
    size_t cons_drift, cons_norm, cons_scalars;
    int cons_layers, cons_points;
    /* the team probes, contiguous from team for team_len doubles */
    size_t team, team_len;
    size_t hess_eig, hess_scalars, hess_vec, gauge; /**< [P], SYM_HESS_SCALARS, [P x P], [3 x gauge points] */
    int hess_p;     /**< largest parameter count */
    size_t disc_scalars, disc_sv, disc_basis;        /**< 2, [U], [U x U] */
    int disc_u;     /**< largest number of unknowns */
    size_t total;
} sym_measure_layout;

typedef struct sym_job {
    char path[1024];    /**< as given on the command line */
    char name[128];
    char *yaml;         /**< the job file verbatim (owned) */
    size_t yaml_len;
    char sha256[65];    /**< of the verbatim text */
    int n_seeds;
    uint64_t *seeds;    /**< owned */
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
    /* probes: dependent tasks fanned out from each trained run */
    int probe_orbit;            /**< probes.orbit_loss present */
    sym_orbit_opts orbit;       /**< its settings (one task per direction) */
    /* probes computed at the end of each run: Ex3 structure, penalty invariance */
    int probe_structure, probe_penalty, penalty_trials;
    int probe_reparam, reparam_trials, reparam_samples, n_families;
    sym_group families[SYM_GROUP_COUNT]; /**< reparam: the families, in the job's order */
    int probe_centralizer, cent_trials, cent_samples, cent_basis, n_cent_families;
    sym_group cent_families[SYM_GROUP_COUNT];
    int probe_lp, lp_dim, lp_trials, lp_points, lp_quadratics, n_lp_p, n_lp_families;
    double lp_radius, lp_p[16];
    int probe_gd;               /**< probes.gradient_decomposition present */
    sym_algebra gd_algebra;
    sym_group lp_families[SYM_GROUP_COUNT];
    int probe_hessian, hessian_team, hessian_team_mb; /**< team 0: auto */
    sym_hessian_opts hessian;
    int probe_discovery, discovery_team, discovery_team_mb;
    sym_discovery_opts discovery;
    int probe_conserved;
    int team_size;              /**< ranks of each run's team task (1 without team probes) */
    sym_measure_layout measure; /**< where their values sit in sym_run_result.measures */
} sym_job;

/** 1 if the job's runs have a team task. */
int sym_job_has_team(const sym_job *job);

/** Probe pieces (dependent tasks) per run: 0 without probes. */
int sym_job_n_pieces(const sym_job *job);
/**
 * Where each result sits in one probe piece (one orbit direction): the
 * objective and data loss along the orbit (points each), then with
 * perpendicular the objective along the perpendicular direction (points),
 * then with landscape the landscape x landscape grid (row = t, column = s).
 * Offsets in doubles; perp and land are (size_t)-1 when not recorded.
 */
typedef struct sym_piece_layout {
    size_t loss, data, perp, land, size;
} sym_piece_layout;

sym_piece_layout sym_job_piece_layout(const sym_job *job);
/** Doubles one probe piece takes (sym_job_piece_layout(job).size). */
size_t sym_job_piece_size(const sym_job *job);
/** Doubles a run's probe results take: pieces x sym_job_piece_size. */
size_t sym_job_probe_size(const sym_job *job);

/**
 * Read, parse and validate a job file.  Relative data paths are resolved
 * against the job file's directory.  A problem is SYM_EJOB with a message
 * "FILE:LINE:COL: KEY: expected ..., found ..."; an unreadable file SYM_EIO.
 */
int sym_job_load(sym_job *job, const char *path);

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
void sym_job_dispose(sym_job *job);
/**
 * SHA-256 (hex) of a job text's canonical YAML form: the same for two texts
 * that differ only in comments, layout, quoting or flow/block style, and
 * different for any change of a setting.  --resume accepts a file whose job
 * differs from this one only so.
 */
int sym_job_canonical_sha256(char out[65], const char *text, size_t len);
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

#ifdef __cplusplus
}
#endif
#endif
