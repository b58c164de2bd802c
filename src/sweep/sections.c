/*
 * The job's sections as tables (data, model, regularizer, train, record, seeds): one row per
 * setting says its type, where its value goes, which kinds use it, its default, range and one
 * line of doc.  The rows drive reading (settings.c), the messages, `symsweep help job`, the
 * reference and the JSON Schema (reference.c) and the resolved settings of every grid point.
 * What a row cannot say (widths that must match the data, an autoencoder's widths from input,
 * latent and hidden, fista needing gd, a file's path and shape) is each section's settle code
 * below, after the table read.
 */
#include "job_impl.h"
#include "symsweep/io.h"
#include "symsweep/run.h"
#include "symsweep/sym.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG(f) .base = JROW_CFG, .offset = offsetof(sym_config, f)
#define VAL(f) .base = JROW_VALUES, .offset = offsetof(sym_job_values, f)
#define JOB(f) .base = JROW_JOB, .offset = offsetof(sym_job, f)
#define CNT(f) .count_offset = offsetof(sym_job_values, f)
#define NAMES(a, n) .names = (a), .n_names = (n)
#define K(x) (1u << (x))
#define UNBOUNDED .hi = NAN
#define SEED_MAX 4503599627370496.0 /* 2^52: seeds are exact doubles in the output */
/* a problem (SYM_EJOB, or another error) goes up as it is */
#define TRY(x)                                                                                    \
    do {                                                                                          \
        int rc_ = (x);                                                                            \
        if (rc_ != 0)                                                                             \
            return rc_;                                                                           \
    } while (0)

/* ---- data ---- */

enum { D_LIN = K(SYM_DATA_TEACHER_LINEAR), D_SUB = K(SYM_DATA_SUBSPACE), D_MLP = K(SYM_DATA_TEACHER_MLP),
       D_H5 = K(SYM_DATA_HDF5), D_IDX = K(SYM_DATA_IDX), D_PG = K(SYM_DATA_PLANTED_GROUP),
       D_PRO = K(SYM_DATA_PROTOTYPES), D_GEN = D_LIN | D_SUB | D_MLP | D_PG | D_PRO, D_FILE = D_H5 | D_IDX };
static const char *const proto_targets[] = {"images", "classes"};

#define PATH_CAP sizeof(((sym_data_opts *)0)->file)
#define DS_CAP sizeof(((sym_job_values *)0)->test_x_ds)

/* data.test: the held-out samples (no kind of its own: settle_test checks which keys fit) */
static const sym_job_row test_rows[] = {
    {"fraction", JROW_DOUBLE, CFG(data.test_fraction), .lo_open = 1, .hi = 1, .hi_open = 1, .def_s = "none",
     .doc = "hold out this fraction of the samples (after classes and subset), drawn from data.seed"},
    {"images", JROW_STRING, VAL(test_images), .cap = PATH_CAP,
     .doc = "idx: the test images file (relative to the job file)"},
    {"labels", JROW_STRING, VAL(test_labels), .cap = PATH_CAP, .doc = "idx: the test labels file"},
    {"x", JROW_STRING, VAL(test_x_ds), .cap = DS_CAP, .doc = "hdf5: the test inputs dataset of data.file"},
    {"y", JROW_STRING, VAL(test_y_ds), .cap = DS_CAP,
     .doc = "hdf5: the test targets dataset (needed with data.y, refused without)"},
};
/* data.patches: random patches of the images are the samples */
static const sym_job_row patch_rows[] = {
    {"size", JROW_INT_LIST, CFG(data.patch_h), CNT(patch_size_n), .flags = JROW_REQUIRED, .lo = 1,
     .hi = MAX_WIDTH, .min_len = 2, .max_len = 2, .doc = "[h, w]: the patches' rows and columns"},
    {"count", JROW_INT, CFG(data.patches), .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_SAMPLES,
     .doc = "how many patches, drawn from data.seed (image, then position, uniformly)"},
};
static const sym_job_section patch_section = {"data.patches", "random patches of the images",
                                              patch_rows, 2, -1, NULL, NULL};
_Static_assert(offsetof(sym_data_opts, patch_w) == offsetof(sym_data_opts, patch_h) + sizeof(int),
               "data.patches.size is read as a list of two ints into patch_h, patch_w");

/* data.pairs (file data) and data.generator (planted_group): a composition of patch transforms,
 * kind[0] first, into sym_patch_spec by sym_job_settle_pairs (data_pairs.c) */
static const sym_job_row transform_rows[] = {
    {"transforms", JROW_ENUM_LIST, VAL(pair_kind), CNT(pair_n), .flags = JROW_REQUIRED,
     NAMES(sym_patch_transform_names, SYM_PATCH_COUNT), .max_len = SYM_PATCH_MAX_STEPS,
     .doc = "one transform, or up to 4 applied in order (the first first): rot90, rotate, shift, box, median"},
    {"a", JROW_INT_LIST, VAL(pair_a), CNT(pair_a_n), .lo = -360, .hi = 360, .min_len = 1,
     .max_len = SYM_PATCH_MAX_STEPS, .def_s = "0 each",
     .doc = "each transform's first parameter: rotate's degrees, shift's rows, box's and median's radius"},
    {"b", JROW_INT_LIST, VAL(pair_b), CNT(pair_b_n), .lo = -360, .hi = 360, .min_len = 1,
     .max_len = SYM_PATCH_MAX_STEPS, .def_s = "0 each", .doc = "each transform's second parameter: shift's columns"},
};
static const sym_job_section pairs_section = {"data.pairs", "pairs (x, T x) of the patches or images",
                                              transform_rows, 3, -1, NULL, NULL};
static const sym_job_section data_group_section = {"data.generator", "the planted transform g (linear steps)",
                                              transform_rows, 3, -1, NULL, NULL};

static const sym_job_section test_section = {"data.test", "held-out samples: a fraction, or a test file",
                                             test_rows, 5, -1, NULL, NULL};

static const sym_job_row data_rows[] = {
    {"kind", JROW_ENUM, CFG(data.kind), .flags = JROW_REQUIRED, NAMES(sym_data_kind_names, SYM_DATA_COUNT),
     .doc = "generator, or your data: hdf5 datasets, idx (MNIST-format) images and labels"},
    {"samples", JROW_INT, CFG(data.samples), .kinds = D_GEN, .flags = JROW_REQUIRED | JROW_LATE, .lo = 1,
     .hi = MAX_SAMPLES, .doc = "number of samples (at most 100,000,000)"},
    {"input", JROW_INT, CFG(data.input), .kinds = D_LIN, .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_WIDTH,
     .doc = "input width"},
    {"output", JROW_INT, CFG(data.output), .kinds = D_LIN, .flags = JROW_REQUIRED, .lo = 1,
     .hi = MAX_WIDTH, .doc = "output width"},
    {"dim", JROW_INT, CFG(data.dim), .kinds = D_SUB, .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_WIDTH,
     .doc = "ambient dimension"},
    {"rank", JROW_INT, CFG(data.rank), .kinds = D_SUB, .flags = JROW_REQUIRED, .lo = 1, .hi_from = "dim",
     .doc = "dimension of the subspace the points lie near (at most dim)"},
    {"widths", JROW_INT_LIST, CFG(data.teacher.widths), CNT(data_widths_n), .kinds = D_MLP,
     .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_WIDTH, .min_len = 2, .max_len = SYM_MAX_LAYERS + 1,
     .doc = "the teacher's widths [n0, ..., nL]"},
    {"activation", JROW_ENUM, VAL(data_act), .kinds = D_MLP, .def = SYM_ACT_TANH,
     NAMES(sym_act_names, SYM_ACT_COUNT), .doc = "the teacher's hidden activation"},
    {"bias", JROW_BOOL, VAL(data_bias), .kinds = D_MLP, .def = 1, .doc = "the teacher has biases"},
    {"noise", JROW_DOUBLE, CFG(data.noise), .kinds = D_GEN, .flags = JROW_LATE, UNBOUNDED,
     .doc = "noise standard deviation"},
    {"seed", JROW_INT64, VAL(data_seed), .kinds = D_GEN | D_FILE, .flags = JROW_LATE, .def = -1, .hi = SEED_MAX,
     .def_s = "each run's own seed", .expected = "an integer from 0 to 4503599627370496",
     .doc = "draw the data from this seed for every run (default: each run's own seed; hdf5, idx: "
            "the subset and the test split from this seed, 0 by default, the same for every run)"},
    {"file", JROW_STRING, CFG(data.file), .kinds = D_H5, .flags = JROW_REQUIRED,
     .cap = sizeof(((sym_data_opts *)0)->file), .doc = "HDF5 file (relative to the job file)"},
    {"x", JROW_STRING, CFG(data.x_path), .kinds = D_H5, .def_s = "X",
     .cap = sizeof(((sym_data_opts *)0)->x_path), .doc = "inputs dataset [samples, features]"},
    {"y", JROW_STRING, CFG(data.y_path), .kinds = D_H5, .cap = sizeof(((sym_data_opts *)0)->y_path),
     .doc = "targets dataset; none: the inputs (autoencoders)"},
    {"images", JROW_STRING, CFG(data.file), .kinds = D_IDX, .flags = JROW_REQUIRED, .cap = PATH_CAP,
     .doc = "IDX images [n, rows, columns] of bytes, gzip-compressed or not (relative to the job file)"},
    {"labels", JROW_STRING, CFG(data.labels), .kinds = D_IDX, .flags = JROW_REQUIRED, .cap = PATH_CAP,
     .doc = "IDX labels [n] of bytes: the targets, class ids [n x 1]"},
    {"scale", JROW_BOOL, CFG(data.scale), .kinds = D_IDX, .def = 1,
     .doc = "pixels / 255: inputs in [0, 1] (false: 0 to 255)"},
    {"standardize", JROW_BOOL, CFG(data.standardize), .kinds = D_FILE,
     .doc = "shift and scale each input column to mean 0, variance 1 (1/n; a constant one: mean 0), "
            "with the training split's statistics on both splits"},
    {"classes", JROW_INT_LIST, CFG(data.classes), CNT(data_classes_n), .kinds = D_FILE, .lo = 0,
     .hi = MAX_WIDTH, .min_len = 1, .max_len = SYM_DATA_MAX_CLASSES, .def_s = "all",
     .doc = "keep the samples of these labels, relabelled 0, 1, ... in the order given"},
    {"subset", JROW_INT, CFG(data.subset), .kinds = D_FILE, .lo = 1, .hi = MAX_SAMPLES, .def_s = "all",
     .doc = "draw this many samples (from data.seed; after classes, before the test split)"},
    {"per_class", JROW_INT, CFG(data.per_class), .kinds = D_FILE, .lo = 1, .hi = MAX_SAMPLES, .def_s = "all",
     .doc = "draw this many samples of each class (from data.seed; after classes)"},
    {"image", JROW_INT_LIST, VAL(image), CNT(image_n), .kinds = D_H5, .lo = 1, .hi = MAX_WIDTH,
     .min_len = 2, .max_len = 2, .def_s = "none",
     .doc = "[h, w]: each row of x is an h x w image, row by row (for patches)"},
    {"prototypes", JROW_ENUM_LIST, CFG(data.proto), CNT(proto_n), .kinds = D_PRO, .flags = JROW_REQUIRED,
     .max_len = 8, NAMES(sym_proto_names, SYM_PROTO_COUNT),
     .doc = "the prototypes drawn, uniformly (their stabilizers: docs/probes.md, learning_order)"},
    {"group", JROW_ENUM, CFG(data.proto_group), .kinds = D_PRO, .def = SYM_IMG_D4,
     NAMES(sym_img_finite_names, SYM_IMG_FINITE_COUNT),
     .doc = "each sample is a prototype moved by a uniform random element of this group"},
    {"targets", JROW_ENUM, CFG(data.proto_classes), .kinds = D_PRO, NAMES(proto_targets, 2),
     .doc = "images: the images themselves (autoencoders); classes: the prototype's one-hot class"},
    {"patches", JROW_SECTION, .kinds = D_FILE, .flags = JROW_MANUAL, .sub = &patch_section,
     .doc = "random patches of the images as the samples: {size: [h, w], count: n} (before the test split)"},
    {"pairs", JROW_SECTION, .kinds = D_FILE, .flags = JROW_MANUAL, .sub = &pairs_section,
     .doc = "pairs (x, T x) as samples and targets, T transforms of the patches (or the images of data.image): "
            "{transforms: [box, rotate], a: [2, 60]}"},
    {"grid", JROW_INT_LIST, CFG(data.image_h), CNT(grid_n), .kinds = D_PG | D_PRO, .flags = JROW_REQUIRED,
     .lo = 1, .hi = MAX_WIDTH, .min_len = 2, .max_len = 2,
     .doc = "[h, w]: the samples are h x w patches (planted_group) or images (prototypes: 4 to 256 each)"},
    {"generator", JROW_SECTION, .kinds = D_PG, .flags = JROW_MANUAL, .sub = &data_group_section,
     .doc = "the planted group's generator g: {transforms: rot90} (linear: no median)"},
    {"p", JROW_INT, CFG(data.group_p), .kinds = D_PG, .def = 4, .lo = 2, .hi = 1024,
     .doc = "powers g^k with k uniform in 0..p-1 (the group's order: 4 for rot90)"},
    {"filters", JROW_INT, CFG(data.group_filters), .kinds = D_PG, .def = 1, .lo = 1, .hi = MAX_WIDTH,
     .doc = "M base filters b_m, drawn from the data stream, unit norm"},
    {"terms", JROW_INT, CFG(data.group_terms), .kinds = D_PG, .def = 1, .lo = 1, .hi = 1024,
     .doc = "s terms c_j g^(k_j) b_(m_j) per sample, c_j ~ N(0, 1), m_j uniform"},
    {"test", JROW_SECTION, .kinds = D_FILE, .flags = JROW_MANUAL, .sub = &test_section,
     .doc = "held-out samples: {fraction: F} (drawn from data.seed), or idx {images, labels}, hdf5 {x, y}"},
};

static const char *const data_why[] = {"data kind teacher_linear", "data kind subspace",
                                       "data kind teacher_mlp", "data kind hdf5", "data kind idx",
                                       "data kind planted_group", "data kind prototypes"};
_Static_assert(sizeof data_why / sizeof *data_why == SYM_DATA_COUNT, "one per data kind");

/* ---- model ---- */

enum { M_MLP = K(SYM_MODEL_MLP), M_AE = K(SYM_MODEL_AUTOENCODER), M_ISTA = K(SYM_MODEL_ISTA), M_CHAIN = M_MLP | M_AE };

static const char *const init_kinds[] = {"normal", "uniform", "file"}; /* sym_init_kind's, then file */
static const char *const bias_kinds[] = {"zero", "normal", "uniform"}; /* 0, then 1 + sym_init_kind */
_Static_assert(SYM_INIT_NORMAL == 0 && SYM_INIT_UNIFORM == 1 && SYM_INIT_COUNT == 2,
              "init kinds are sym_init_kind's, bias kinds 1 + sym_init_kind");
enum { I_FILE = 2, I_DRAWN = K(SYM_INIT_NORMAL) | K(SYM_INIT_UNIFORM) };

static const sym_job_row bias_rows[] = {
    {"kind", JROW_ENUM, VAL(bias_kind), .flags = JROW_REQUIRED, NAMES(bias_kinds, 3),
     .doc = "biases start at zero, or are drawn"},
    {"scale", JROW_DOUBLE, CFG(model.bias_scale), .def = 0.1, .lo_open = 1, UNBOUNDED,
     .doc = "standard deviation (normal) or half-width (uniform) of the biases"},
};
static const sym_job_section bias_section = {"model.init.bias", "random initial biases", bias_rows,
                                             2, 0, NULL, "model.init.bias kind"};

static const sym_job_row init_rows[] = {
    {"kind", JROW_ENUM, VAL(init_kind), NAMES(init_kinds, 3),
     .doc = "weights drawn (normal or uniform, scale/sqrt(fan_in)), or read from a file"},
    {"scale", JROW_DOUBLE, CFG(model.init_scale), .kinds = I_DRAWN, .def = 1.0, .lo_open = 1, UNBOUNDED,
     .doc = "s: weights ~ N(0, s^2/fan_in) or U(-s/sqrt(fan_in), s/sqrt(fan_in))"},
    {"bias", JROW_SECTION, .kinds = I_DRAWN, .flags = JROW_MANUAL, .sub = &bias_section,
     .doc = "random initial biases: {kind: zero | normal | uniform, scale}"},
    {"file", JROW_STRING, CFG(init.file), .kinds = K(I_FILE), .flags = JROW_REQUIRED,
     .cap = sizeof(((sym_init_from *)0)->file), .doc = "HDF5 file (relative to the job file)"},
    {"group", JROW_STRING, CFG(init.group), .kinds = K(I_FILE), .def_s = "/",
     .cap = sizeof(((sym_init_from *)0)->group),
     .doc = "tensors are GROUP/W1, GROUP/b1, ... (default /, or /runs/weights with run)"},
    {"run", JROW_INT64, VAL(init_run), .kinds = K(I_FILE), .def = -1, .hi = 2000000000.0,
     .def_s = "one tensor each", .expected = "a run number (0, 1, ...)",
     .doc = "row of a symsweep output's per-run datasets to start from"},
};
static const sym_job_section init_section = {"model.init", "initial weights", init_rows, 6, 0, NULL,
                                             "model.init kind"};

/* model.group: the learned-group layer (seed 003, src/nn/group_layer.c) */
static const sym_job_row group_pen_rows[] = {
    {"pair", JROW_DOUBLE, CFG(model.group_pair), UNBOUNDED,
     .doc = "mu of mu ||A Ã - I||_F^2 (> 0: the paired matrices Ã are parameters)"},
    {"svd", JROW_DOUBLE, CFG(model.group_svd), UNBOUNDED, .doc = "weight of - (sum of A's singular values)"},
    {"logdet", JROW_DOUBLE, CFG(model.group_logdet), UNBOUNDED,
     .doc = "weight of - log |det A| (a singular A: objective +inf, the run diverges)"},
    {"closure", JROW_DOUBLE, CFG(model.group_closure), UNBOUNDED, .doc = "weight of ||A^p - I||_F^2"},
};
static const sym_job_section group_pen_section = {"model.group.penalties", "penalties on the generators A",
                                                  group_pen_rows, 4, -1, NULL, NULL};
static const sym_job_row group_rows[] = {
    {"layer", JROW_INT, VAL(group_layer), .flags = JROW_REQUIRED, .lo = 1, .hi = SYM_MAX_LAYERS,
     .doc = "the layer (1: the first) whose filters are b_k, A_k b_k, ..., A_k^(p-1) b_k"},
    {"groups", JROW_INT, CFG(model.group_k), .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_WIDTH, .doc = "K: groups"},
    {"filters", JROW_INT, CFG(model.group_p), .flags = JROW_REQUIRED, .lo = 2, .hi = MAX_WIDTH,
     .doc = "p: filters per group"},
    {"grid", JROW_INT_LIST, CFG(model.group_h), CNT(group_grid_n), .flags = JROW_REQUIRED, .lo = 1,
     .hi = MAX_WIDTH, .min_len = 2, .max_len = 2, .doc = "[h, w]: the filters' grid (d = h w)"},
    {"normalize", JROW_BOOL, CFG(model.group_normalize), .doc = "the filters use sqrt(d) A / ||A||_F"},
    {"penalties", JROW_SECTION, .flags = JROW_MANUAL, .sub = &group_pen_section,
     .doc = "weights of the penalties on A: {pair, svd, logdet, closure} (0: off)"},
};
static const sym_job_section group_section = {"model.group", "the learned-group layer", group_rows, 6, -1,
                                              NULL, NULL};
_Static_assert(offsetof(sym_model_opts, group_w) == offsetof(sym_model_opts, group_h) + sizeof(int),
               "model.group.grid is read as a list of two ints into group_h, group_w");

static const sym_job_row model_rows[] = {
    {"kind", JROW_ENUM, CFG(model.kind), .flags = JROW_REQUIRED, NAMES(sym_model_kind_names, SYM_MODEL_COUNT),
     .doc = "multilayer perceptron, autoencoder, or unfolded ISTA sparse autoencoder (ista)"},
    {"widths", JROW_INT_LIST, CFG(model.widths), CNT(widths_n), .kinds = M_MLP, .flags = JROW_REQUIRED,
     .lo = 1, .hi = MAX_WIDTH, .min_len = 2, .max_len = SYM_MAX_LAYERS + 1,
     .doc = "layer widths [n0, ..., nL]"},
    {"input", JROW_INT, VAL(input), .kinds = M_AE | M_ISTA, .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_WIDTH,
     .doc = "input (and output) width"},
    {"filters", JROW_INT, CFG(model.widths[1]), .kinds = M_ISTA, .flags = JROW_REQUIRED, .lo = 1,
     .hi = MAX_WIDTH, .doc = "ista: m, the dictionary's filters (the rows of W1 [m x input])"},
    {"steps", JROW_INT, CFG(model.ista_steps), .kinds = M_ISTA, .flags = JROW_REQUIRED, .lo = 1,
     .hi = 1000, .doc = "ista: L, the unrolled steps z <- S(z + alpha W (x - W^T z); lambda)"},
    {"alpha", JROW_DOUBLE, CFG(model.ista_alpha), .kinds = M_ISTA, .flags = JROW_REQUIRED, .lo_open = 1,
     UNBOUNDED, .doc = "ista: the step alpha (ISTA converges for 1/alpha >= the largest eigenvalue of W W^T)"},
    {"lambda", JROW_DOUBLE, CFG(model.ista_lambda), .kinds = M_ISTA, UNBOUNDED,
     .doc = "ista: the thresholds' initial value (one learned threshold per filter)"},
    {"one_sided", JROW_BOOL, CFG(model.ista_one_sided), .kinds = M_ISTA,
     .doc = "ista: threshold max(u - lambda, 0) instead of sign(u) max(|u| - lambda, 0)"},
    {"latent", JROW_INT, VAL(latent), .kinds = M_AE, .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_WIDTH,
     .doc = "latent width"},
    {"hidden", JROW_INT_LIST, VAL(hidden), CNT(hidden_n), .kinds = M_AE, .lo = 1, .hi = MAX_WIDTH,
     .max_len = SYM_MAX_LAYERS / 2 - 1, .def_s = "[]", .doc = "encoder hidden widths"},
    {"decoder_hidden", JROW_INT_LIST, VAL(dec), CNT(dec_n), .kinds = M_AE, .lo = 1, .hi = MAX_WIDTH,
     .max_len = SYM_MAX_LAYERS / 2 - 1, .def_s = "hidden reversed", .doc = "decoder hidden widths"},
    {"activation", JROW_ENUM_LIST, VAL(act), CNT(act_n), .kinds = M_CHAIN, .def = SYM_ACT_RELU,
     NAMES(sym_act_names, SYM_ACT_COUNT), .max_len = SYM_MAX_LAYERS,
     .doc = "hidden activation: one name, or one per hidden layer"},
    {"latent_activation", JROW_ENUM, VAL(latent_act), .kinds = M_AE, .def = SYM_ACT_LINEAR,
     NAMES(sym_act_names, SYM_ACT_COUNT), .doc = "activation at the latent layer"},
    {"output_activation", JROW_ENUM, VAL(out_act), .kinds = M_CHAIN, .def = SYM_ACT_LINEAR,
     NAMES(sym_act_names, SYM_ACT_COUNT), .doc = "activation of the last layer"},
    {"tied", JROW_BOOL, VAL(tied), .kinds = M_AE, .doc = "decoder layers are the transposes of the encoder's"},
    {"bias", JROW_BOOL, CFG(model.bias), .flags = JROW_LATE, .doc = "layers have biases"},
    {"leaky_slope", JROW_DOUBLE, CFG(model.leaky_slope), .kinds = M_CHAIN, .flags = JROW_LATE, .def = 0.01, UNBOUNDED,
     .doc = "leaky_relu's slope below zero"},
    {"group", JROW_SECTION, .flags = JROW_MANUAL, .sub = &group_section,
     .doc = "one layer's filters are K groups of p: b_k, A_k b_k, ..., A_k^(p-1) b_k (seed 003)"},
    {"init", JROW_SECTION, .flags = JROW_MANUAL, .sub = &init_section,
     .doc = "initial weights: normal or uniform (scale/sqrt(fan_in)), random biases, or from a file "
            "(another run's weights)"},
};

static const char *const model_why[] = {"model kind mlp", "model kind autoencoder", "model kind ista"};
_Static_assert(sizeof model_why / sizeof *model_why == SYM_MODEL_COUNT, "one per model kind");

/* ---- regularizer ---- */

enum { R_WEIGHTED = K(SYM_REG_FROBENIUS) | K(SYM_REG_L1) | K(SYM_REG_LP) | K(SYM_REG_SCHATTEN) |
                    K(SYM_REG_JACOBIAN) };

static const sym_job_row reg_rows[] = {
    {"kind", JROW_ENUM, CFG(reg.kind), .flags = JROW_REQUIRED, NAMES(sym_reg_names, SYM_REG_COUNT),
     .def_s = "none", .doc = "penalty"},
    {"lambda", JROW_DOUBLE, VAL(lambda), .kinds = R_WEIGHTED, .flags = JROW_LATE, UNBOUNDED,
     .def_s = "required, or lambda_encoder and lambda_decoder", .doc = "weight of the penalty (all layers)"},
    {"lambda_encoder", JROW_DOUBLE, CFG(reg.lambda_encoder), .kinds = R_WEIGHTED, .flags = JROW_LATE,
     .def_from = "lambda", UNBOUNDED, .doc = "weight on the encoder's layers (autoencoders)"},
    {"lambda_decoder", JROW_DOUBLE, CFG(reg.lambda_decoder), .kinds = R_WEIGHTED, .flags = JROW_LATE,
     .def_from = "lambda", UNBOUNDED, .doc = "weight on the decoder's layers (autoencoders)"},
    {"p", JROW_DOUBLE, CFG(reg.p), .kinds = K(SYM_REG_LP) | K(SYM_REG_SCHATTEN) | K(SYM_REG_JACOBIAN),
     .flags = JROW_MANUAL | JROW_INF | JROW_REQUIRED, .lo = 1, UNBOUNDED,
     .doc = "the p of lp, schatten (inf: spectral) or jacobian's lp norm"},
    {"norm", JROW_ENUM, CFG(reg.norm), .kinds = K(SYM_REG_JACOBIAN), .flags = JROW_REQUIRED | JROW_LATE,
     NAMES(sym_norm_names, SYM_NORM_COUNT), .doc = "the norm of the Jacobian"},
};

static const char *const reg_why[] = {"regularizer kind none", "regularizer kind frobenius",
                                      "regularizer kind l1", "regularizer kind lp",
                                      "regularizer kind schatten", "regularizer kind jacobian"};
_Static_assert(sizeof reg_why / sizeof *reg_why == SYM_REG_COUNT, "one per regularizer");

/* ---- train ---- */

enum { T_GD = K(SYM_OPT_GD), T_SGD = K(SYM_OPT_SGD), T_ADAM = K(SYM_OPT_ADAM) };

static const char *const proximal_words[] = {"fista"}; /* after false, true: SYM_PROX_FISTA */
_Static_assert(SYM_PROX_FISTA == 2, "proximal's words: false, true, fista");
static const char *const project_names[] = {"none", "auto", "gl", "diagonal", "so"};
_Static_assert(sizeof project_names / sizeof *project_names == SYM_ALGEBRA_COUNT + 1,
              "none, then each algebra");

static const sym_job_row train_rows[] = {
    {"optimizer", JROW_ENUM, CFG(train.optimizer), .flags = JROW_REQUIRED, NAMES(sym_opt_names, SYM_OPT_COUNT),
     .doc = "update rule (torch.optim's)"},
    {"lr", JROW_DOUBLE, CFG(train.lr), .flags = JROW_REQUIRED, .lo_open = 1, UNBOUNDED, .doc = "learning rate"},
    {"epochs", JROW_INT, CFG(train.epochs), .flags = JROW_REQUIRED, .lo = 0, .hi = MAX_EPOCHS,
     .doc = "passes over the data (0: no step, the probes measure model.init's weights)"},
    {"batch_size", JROW_INT, CFG(train.batch_size), .kinds = T_SGD | T_ADAM, .lo = 1, .hi = MAX_SAMPLES,
     .def_s = "full batch", .doc = "minibatch size (0 in the output: full batch)"},
    {"momentum", JROW_DOUBLE, CFG(train.momentum), .kinds = T_SGD, .hi = 1, .hi_open = 1, .doc = "SGD momentum"},
    {"beta1", JROW_DOUBLE, CFG(train.beta1), .kinds = T_ADAM, .def = 0.9, .hi = 1, .hi_open = 1,
     .doc = "Adam beta1"},
    {"beta2", JROW_DOUBLE, CFG(train.beta2), .kinds = T_ADAM, .def = 0.999, .hi = 1, .hi_open = 1,
     .doc = "Adam beta2"},
    {"eps", JROW_DOUBLE, CFG(train.eps), .kinds = T_ADAM, .def = 1e-8, .lo_open = 1, UNBOUNDED,
     .doc = "Adam epsilon"},
    {"proximal", JROW_BOOL, CFG(train.proximal), NAMES(proximal_words, 1), .expected = "true, false or fista",
     .doc = "proximal steps for l1 / frobenius (fista: accelerated, gd only)"},
    {"project_orbit", JROW_ENUM, CFG(train.project_orbit), NAMES(project_names, SYM_ALGEBRA_COUNT + 1),
     .doc = "remove each step gradient's component along the hidden layers' orbit (auto: gl for "
            "linear, diagonal for relu)"},
    {"schedule", JROW_ENUM, CFG(train.schedule), NAMES(sym_sched_names, SYM_SCHED_COUNT),
     .doc = "the learning rate of each epoch: constant, step (decay_at, decay_factor) or cosine (to lr_final)"},
    {"decay_at", JROW_DOUBLE_LIST, CFG(train.decay_at), CNT(decay_at_n), .lo = 0, .lo_open = 1, .hi = 1,
     .min_len = 1, .max_len = SYM_MAX_DECAYS, .flags = JROW_LATE,
     .doc = "schedule step: the rate is multiplied by decay_factor from the epoch e >= f * epochs of each fraction f"},
    {"decay_factor", JROW_DOUBLE, CFG(train.decay_factor), .def = 0.1, .lo = 0, .lo_open = 1, .hi = 1,
     .flags = JROW_LATE, .doc = "schedule step: the factor at each of decay_at (torch's MultiStepLR gamma)"},
    {"lr_final", JROW_DOUBLE, CFG(train.lr_final), .lo = 0, .hi = 1, .flags = JROW_LATE,
     .doc = "schedule cosine: the rate at the end, a fraction of lr (torch's CosineAnnealingLR eta_min / lr)"},
    {"warmup", JROW_INT, CFG(train.warmup), .lo = 0, .hi = MAX_EPOCHS,
     .doc = "epochs of linear warm-up: epoch e < warmup at (e+1)/(warmup+1) of the scheduled rate"},
    {"clip_norm", JROW_DOUBLE, CFG(train.clip_norm), .lo = 0, UNBOUNDED,
     .doc = "clip each step's gradient to this global norm (torch's clip_grad_norm_); 0: off"},
    {"weight_decay", JROW_DOUBLE, CFG(train.weight_decay), .lo = 0, UNBOUNDED,
     .doc = "decoupled weight decay: every parameter times 1 - lr * weight_decay before each step (AdamW)"},
    {"moments", JROW_ENUM, CFG(train.moments), NAMES(sym_moments_names, SYM_MOMENTS_COUNT),
     .doc = "full-batch steps of a linear network with squared error from the data's second moments "
            "(equal to rounding; auto: where they apply and cost less)"},
    {"layerwise", JROW_BOOL, CFG(train.layerwise),
     .doc = "a mirrored autoencoder trained stage by stage: encoder layer s and its mirror on the "
            "frozen codes before them, epochs / stages each (docs/probes.md)"},
    {"loss", JROW_ENUM, CFG(model.loss), NAMES(sym_loss_names, SYM_LOSS_COUNT),
     .doc = "the data term: mse, or cross_entropy of the outputs' softmax against data.y, one column "
            "of class ids 0..C-1 (C: the model's output width)"},
};

static const char *const train_why[] = {"optimizer gd (always full batch)", "optimizer sgd", "optimizer adam"};
_Static_assert(sizeof train_why / sizeof *train_why == SYM_OPT_COUNT, "one per optimizer");

/* ---- record, seeds ---- */

static const sym_job_row record_rows[] = {
    {"loss_every", JROW_INT, JOB(loss_every), .def = 10, .lo = 1, .hi = MAX_EPOCHS,
     .doc = "record the objective every k epochs"},
    {"weights", JROW_ENUM, JOB(record_weights), .def = SYM_RECORD_WEIGHTS_FINAL,
     NAMES(sym_record_weights_names, SYM_RECORD_WEIGHTS_COUNT), .doc = "weights kept"},
};

static const sym_job_row seeds_rows[] = {
    {"count", JROW_INT, JOB(n_seeds), .flags = JROW_REQUIRED, .lo = 1, .hi = MAX_SEEDS,
     .doc = "number of seeds: base, base + 1, ..."},
    {"base", JROW_INT64, JOB(seed_base), .hi = SEED_MAX, .expected = "an integer from 0 to 4503599627370496",
     .doc = "the first seed"},
};

#define ROWS(r) r, (int)(sizeof r / sizeof *r)

const sym_job_section sym_job_sections[] = {
    [JSEC_SEEDS] = {"seeds", "a list of seeds, or {count: N, base: B} (default one seed, 0)", ROWS(seeds_rows), -1, NULL, NULL},
    [JSEC_DATA] = {"data", "the training data (one set per seed, or your own file)", ROWS(data_rows), 0, data_why, NULL},
    [JSEC_MODEL] = {"model", "the network", ROWS(model_rows), 0, model_why, NULL},
    [JSEC_REGULARIZER] = {"regularizer", "the penalty added to the data loss", ROWS(reg_rows), 0, reg_why, NULL},
    [JSEC_TRAIN] = {"train", "the optimizer", ROWS(train_rows), 0, train_why, NULL},
    [JSEC_RECORD] = {"record", "what is kept of training", ROWS(record_rows), -1, NULL, NULL},
};
const int sym_job_n_sections = (int)(sizeof sym_job_sections / sizeof *sym_job_sections);
_Static_assert(sizeof sym_job_sections / sizeof *sym_job_sections == JSEC_COUNT, "one entry per section");

int sym_job_sweepable(const char *section)
{
    /* seeds and record belong to the job, not to a grid point */
    static const char *const grid[] = {"data", "model", "regularizer", "train", NULL};

    return sym_yaml_in_list(section, grid);
}

const sym_job_section *sym_job_section_find(const char *path)
{
    for (int i = 0; i < sym_job_n_sections; i++)
        if (strcmp(sym_job_sections[i].path, path) == 0)
            return &sym_job_sections[i];
    if (strcmp(path, "model.init") == 0)
        return &init_section;
    if (strcmp(path, "model.init.bias") == 0)
        return &bias_section;
    if (strcmp(path, "data.test") == 0)
        return &test_section;
    if (strcmp(path, "data.patches") == 0)
        return &patch_section;
    if (strcmp(path, "model.group") == 0)
        return &group_section;
    if (strcmp(path, "model.group.penalties") == 0)
        return &group_pen_section;
    if (strcmp(path, "data.pairs") == 0)
        return &pairs_section;
    if (strcmp(path, "data.generator") == 0)
        return &data_group_section;
    return NULL;
}

/* ---- reading a grid point's sections: the table, then what the table cannot say ---- */

/*
 * An input file a setting names (data.file, model.init.file) is an HDF5 file: refuse anything
 * else before it is opened, as the job file is (a FIFO would wait for a writer, a device would
 * never end).  Errors in the setting's words: "KEY: expected a regular file, found a FIFO".
 */
int sym_job_input_file(ctx *c, const node *at, const char *key, const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0)
        return sym_yaml_err(c, at, key, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return sym_yaml_err(c, at, key, "%s: expected a regular file (HDF5), found %s", path,
                            S_ISDIR(sb.st_mode)                          ? "a directory"
                            : S_ISFIFO(sb.st_mode)                       ? "a FIFO (named pipe)"
                            : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device"
                            : S_ISSOCK(sb.st_mode)                       ? "a socket"
                                                                         : "something other than a regular file");
    if (access(path, R_OK) != 0)
        return sym_yaml_err(c, at, key, "%s: %s", path, strerror(errno));
    return 0;
}

static int parse_data(ctx *c, const node *root, const sym_job_bases *b, const node **data_node)
{
    sym_config *cfg = b->base[JROW_CFG];
    sym_job_values *val = b->base[JROW_VALUES];
    sym_data_opts *d = &cfg->data;
    node *v = sym_yaml_lookup(c, root, "data");
    uint64_t given;
    int kind = 0;

    *data_node = v;
    if (!v)
        return sym_yaml_missing(c, root, "data", "a mapping with kind: teacher_linear, subspace, teacher_mlp, hdf5, idx, planted_group or prototypes");
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_DATA], b, 0, &kind, &given));
    if (d->kind == SYM_DATA_HDF5 || d->kind == SYM_DATA_IDX)
        TRY(sym_job_settle_file_data(c, v, b)); /* data_settle.c */
    if (d->kind == SYM_DATA_PLANTED_GROUP)
        TRY(sym_job_settle_group(c, v, b)); /* data_pairs.c */
    if (d->kind == SYM_DATA_TEACHER_MLP) {
        sym_model_opts *t = &d->teacher;
        int n = val->data_widths_n;

        t->kind = SYM_MODEL_MLP;
        t->n_layers = t->n_encoder = n - 1;
        t->bias = val->data_bias;
        t->leaky_slope = 0.01;
        t->init_kind = SYM_INIT_NORMAL;
        t->init_scale = 1.0;
        for (int l = 0; l < n - 1; l++)
            t->act[l] = l < n - 2 ? (sym_act)val->data_act : SYM_ACT_LINEAR;
    }
    if (d->kind == SYM_DATA_PROTOTYPES) {
        if (d->image_h < 4 || d->image_w < 4 || d->image_h > 256 || d->image_w > 256)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "grid"), "data.grid",
                                "expected prototype images of 4 to 256 rows and columns, found %d x %d",
                                d->image_h, d->image_w);
        d->n_protos = val->proto_n < 0 ? 1 : val->proto_n;
        d->input = d->image_h * d->image_w;
        d->output = d->proto_classes ? d->n_protos : d->input;
    }
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_DATA], b, 1, &kind, &given));
    /* data.seed: one draw of the data for every run (runs then differ only in their
     * initialization and shuffling), as cross-seed comparisons need */
    d->fixed_seed = val->data_seed >= 0;
    d->seed = d->fixed_seed ? (uint64_t)val->data_seed : 0;
    if (d->kind == SYM_DATA_HDF5 || d->kind == SYM_DATA_IDX)
        d->fixed_seed = 1; /* file data: one draw (subset, test split) for every run, seed 0 by default */
    return 0;
}

/* targets that may be one column of class ids: the output width is checked by settle_loss */
int sym_job_may_be_labels(const sym_data_opts *d)
{
    if (d->pairs.n > 0)
        return 0; /* the targets are T x */
    return (d->kind == SYM_DATA_HDF5 && d->y_path[0] && d->output == 1) || d->kind == SYM_DATA_IDX;
}


/* regularizer.p: what the kind (and jacobian's norm) needs */
static int settle_p(ctx *c, const node *v, sym_reg *r)
{
    node *p = sym_yaml_lookup(c, v, "p");
    const char *s = sym_yaml_scalar(p);

    if (r->kind == SYM_REG_JACOBIAN && r->norm == SYM_NORM_FROBENIUS && p)
        return sym_yaml_err(c, p, "regularizer.p", "not used by norm: frobenius (it is the squared Frobenius norm)");
    if (r->kind == SYM_REG_LP || (r->kind == SYM_REG_JACOBIAN && r->norm == SYM_NORM_LP))
        return sym_yaml_double(c, v, "regularizer", "p", 1, 2.0, 1.0, 0, NAN, 0, &r->p);
    if (r->kind == SYM_REG_SCHATTEN) {
        if (s && sym_yaml_is_plain(p) && (!strcmp(s, "inf") || !strcmp(s, ".inf")))
            r->p = INFINITY;
        else if (!p)
            return sym_yaml_missing(c, v, "regularizer.p", "a number >= 1 or inf");
        else if (sym_yaml_parse_double(p, &r->p) || r->p < 1.0)
            return sym_yaml_expected(c, p, "regularizer.p", "a number >= 1 or inf");
    } else if (r->kind == SYM_REG_L1) {
        r->p = 1.0;
    }
    return 0;
}

static int parse_regularizer(ctx *c, const node *root, const sym_job_bases *b)
{
    static const char *const k_any[] = {"kind", "lambda", "lambda_encoder", "lambda_decoder", "p", "norm", NULL};
    static const char *const k_mlp[] = {"kind", "lambda", "p", "norm", NULL};
    sym_config *cfg = b->base[JROW_CFG];
    sym_reg *r = &cfg->reg;
    node *v = sym_yaml_lookup(c, root, "regularizer"), *enc, *dec;
    uint64_t given;
    int kind = 0;

    r->kind = SYM_REG_NONE;
    if (!v)
        return 0;
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_REGULARIZER], b, 0, &kind, &given));
    if (r->kind == SYM_REG_NONE)
        return 0;
    enc = sym_yaml_lookup(c, v, "lambda_encoder");
    dec = sym_yaml_lookup(c, v, "lambda_decoder");
    if (cfg->model.kind != SYM_MODEL_AUTOENCODER) {
        if (enc || dec)
            return sym_yaml_err(c, enc ? enc : dec, enc ? "regularizer.lambda_encoder" : "regularizer.lambda_decoder",
                                "%s has no encoder/decoder split: use regularizer.lambda",
                                cfg->model.kind == SYM_MODEL_ISTA ? "an ista model" : "an MLP");
        TRY(sym_yaml_check_map_for(c, v, "regularizer", k_mlp, k_any,
                                   cfg->model.kind == SYM_MODEL_ISTA ? "an ista model" : "an MLP"));
    }
    if (cfg->model.kind == SYM_MODEL_ISTA && r->kind == SYM_REG_JACOBIAN)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "kind"), "regularizer.kind",
                            "jacobian differentiates a chain of dense layers, which an ista model "
                            "is not: use a weight penalty (frobenius, l1, lp, schatten)");
    if (!sym_yaml_lookup(c, v, "lambda") && !enc && !dec)
        return sym_yaml_missing(c, v, "regularizer.lambda", "a number >= 0 (or lambda_encoder and lambda_decoder)");
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_REGULARIZER], b, 1, &kind, &given));
    return settle_p(c, v, r);
}

/* a schedule's own settings only with that schedule (a stray one would be silently ignored) */
static int settle_schedule(ctx *c, const node *v, const sym_train_opts *t)
{
    static const struct { const char *key; int schedule; } own[] = {
        {"decay_at", SYM_SCHED_STEP}, {"decay_factor", SYM_SCHED_STEP}, {"lr_final", SYM_SCHED_COSINE},
    };

    for (size_t i = 0; i < sizeof own / sizeof *own; i++) {
        node *k = sym_yaml_lookup(c, v, own[i].key);
        char key[64];

        snprintf(key, sizeof(key), "train.%s", own[i].key);
        if (k && t->schedule != own[i].schedule)
            return sym_yaml_err(c, k, key, "not used by schedule %s (a setting of schedule %s)",
                                sym_sched_names[t->schedule], sym_sched_names[own[i].schedule]);
    }
    return 0;
}

static int parse_train(ctx *c, const node *root, const sym_job_bases *b)
{
    sym_config *cfg = b->base[JROW_CFG];
    sym_train_opts *t = &cfg->train, def = SYM_TRAIN_OPTS_INIT;
    node *v = sym_yaml_lookup(c, root, "train");
    uint64_t given;
    int kind = 0;

    *t = def;
    if (!v)
        return sym_yaml_missing(c, root, "train", "a mapping with optimizer, lr and epochs");
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_TRAIN], b, 0, &kind, &given));
    if (t->proximal == SYM_PROX_FISTA && t->optimizer != SYM_OPT_GD)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "proximal"), "train.proximal",
                            "fista extrapolates full-batch gradient steps: it needs optimizer gd, found %s",
                            sym_opt_names[t->optimizer]);
    if (t->project_orbit && t->proximal)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "project_orbit"), "train.project_orbit",
                            "projects the gradient of each step, and a proximal step moves by the "
                            "penalty's proximal map too: use one or the other");
    if ((t->project_orbit || t->proximal) && cfg->model.group_layer >= 0 && cfg->model.group_k > 0)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, t->proximal ? "proximal" : "project_orbit"),
                            t->proximal ? "train.proximal" : "train.project_orbit",
                            "expected a model without model.group (%s free dense layers), found one",
                            t->proximal ? "the penalty's proximal map acts on" : "the orbit is that of");
    if (t->proximal && !sym_prox_supported(&cfg->reg))
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "proximal"), "train.proximal",
                            "proximal steps handle the regularizers none, l1 and frobenius; found %s",
                            sym_reg_name(cfg->reg.kind));
    if (t->moments == SYM_MOMENTS_ON) {
        sym_model *m = NULL;
        char why[160] = "";
        int ok = sym_model_create(&m, &cfg->model) == 0 && sym_moments_apply(m, &cfg->reg, why, sizeof(why));

        sym_model_free(m);
        if (!ok)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "moments"), "train.moments", "on: %s",
                                why[0] ? why : "the model is not valid");
        if (t->optimizer != SYM_OPT_GD && t->batch_size > 0 && t->batch_size < cfg->data.samples)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "moments"), "train.moments",
                                "on evaluates full-batch steps; found batch_size %d of %d samples",
                                t->batch_size, cfg->data.samples);
    }
    if (t->batch_size > cfg->data.samples)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "batch_size"), "train.batch_size",
                            "expected at most %d (data.samples), found %d", cfg->data.samples, t->batch_size);
    TRY(settle_schedule(c, v, t));
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_TRAIN], b, 1, &kind, &given));
    t->n_decay_at = ((sym_job_values *)b->base[JROW_VALUES])->decay_at_n;
    if (t->schedule == SYM_SCHED_STEP && t->n_decay_at == 0)
        return sym_yaml_missing(c, v, "train.decay_at", "a list of fractions of the epochs (schedule step)");
    if (t->lr * t->weight_decay >= 1.0)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "weight_decay"), "train.weight_decay",
                            "expected lr * weight_decay below 1 (each step multiplies the parameters "
                            "by 1 - lr * weight_decay), found %g", t->lr * t->weight_decay);
    return 0;
}

int sym_job_parse_record(ctx *c, const node *root, sym_job *job)
{
    sym_job_bases b = {{NULL, NULL, job}};
    node *v = sym_yaml_lookup(c, root, "record");
    uint64_t given;
    int kind = -1;

    job->loss_every = 10;
    job->record_weights = SYM_RECORD_WEIGHTS_FINAL;
    return v ? sym_job_read_section(c, v, &sym_job_sections[JSEC_RECORD], &b, 0, &kind, &given) : 0;
}

/* seeds: a list, or {count: N, base: B} (made into a list once the run count is known to fit) */
int sym_job_parse_seeds(ctx *c, const node *root, sym_job *job)
{
    sym_job_bases b = {{NULL, NULL, job}};
    node *v = sym_yaml_lookup(c, root, "seeds");
    uint64_t given;
    int len, rc = 0, kind = -1;

    if (!v) {
        job->n_seeds = 1;
        return sym_alloc(&job->seeds, sizeof(uint64_t));
    }
    if (v->type == YAML_MAPPING_NODE)
        return sym_job_read_section(c, v, &sym_job_sections[JSEC_SEEDS], &b, 0, &kind, &given);
    if (v->type != YAML_SEQUENCE_NODE)
        return sym_yaml_expected(c, v, "seeds", "{count: N, base: B} or a list of integers");
    if ((len = sym_yaml_seq_len(v)) < 1)
        return sym_yaml_expected(c, v, "seeds", "a non-empty list of seeds");
    if (len > MAX_SEEDS)
        return sym_yaml_err(c, v, "seeds", "expected at most %d seeds, found %d", MAX_SEEDS, len);
    job->n_seeds = len;
    SYM_TRY(sym_alloc(&job->seeds, sizeof(uint64_t) * (size_t)len));
    for (int i = 0; i < len; i++) {
        node *it = sym_yaml_node(c, v->data.sequence.items.start[i]);
        long long x;
        char key[64];

        snprintf(key, sizeof(key), "seeds[%d]", i);
        if (sym_yaml_parse_long(it, &x) || x < 0 || x > (1LL << 52))
            return sym_yaml_expected(c, it, key, "an integer from 0 to 4503599627370496");
        for (int j = 0; j < i; j++)
            if (job->seeds[j] == (uint64_t)x)
                return sym_yaml_err(c, it, key, "seed %lld is listed twice (also seeds[%d])", x, j);
        job->seeds[i] = (uint64_t)x;
    }
cleanup:
    return rc;
}

/* every label of data.y an integer class id in 0..classes-1 (sym_onehot's check) */
/* train.project_orbit: the algebra must act on the model (hidden layers, untied) */
static int check_projection(ctx *c, const node *root, const sym_job_config *cfg)
{
    sym_model *m = NULL;
    sym_algebra a;
    int rc = 0;

    if (cfg->model.kind == SYM_MODEL_ISTA)
        return sym_yaml_err(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "train"), "project_orbit"),
                            "train.project_orbit", "an ista model has no continuous symmetry to "
                            "project out (its symmetry is the signed permutations of its filters)");
    rc = sym_model_create(&m, &cfg->model);
    if (rc == 0 && sym_orbit_algebra(&a, m, (sym_algebra)(cfg->train.project_orbit - 1)) < 0) {
        char msg[600];

        if (cfg->train.project_orbit - 1 == SYM_ALGEBRA_AUTO && cfg->model.n_layers >= 2 && !cfg->model.tied)
            snprintf(msg, sizeof(msg), "auto finds no continuous symmetry: hidden activations other than "
                     "linear or relu have none (their centralizer is discrete); name an algebra (gl, "
                     "diagonal, so) to project one out anyway");
        else
            snprintf(msg, sizeof(msg), "%s", strncmp(sym_err_message(), "orbit probe: ", 13) == 0
                                                 ? sym_err_message() + 13 : sym_err_message());
        rc = sym_yaml_err(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "train"), "project_orbit"),
                          "train.project_orbit", "%s", msg);
    }
    sym_model_free(m);
    return rc;
}

/* train.layerwise: a mirrored autoencoder whose epochs the stages share evenly */
static int check_layerwise(ctx *c, const node *root, const sym_job_config *cfg)
{
    char why[256];

    if (!sym_layerwise_check(&cfg->model, &cfg->train, why, sizeof why))
        return 0;
    return sym_yaml_err(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "train"), "layerwise"),
                        "train.layerwise", "%s", why);
}

/*
 * One point of the sweep grid (the axes' values already substituted into the document): its
 * sections, and the per-point conditions of the probes.
 */
int sym_job_parse_point(ctx *c, const sym_job *job, const node *root, sym_job_config *cfg)
{
    sym_job_bases b = {{cfg, &job->values[cfg - job->configs], (void *)job}};
    const node *data_node = NULL;
    int d, m = 1, r = 1, t;

    /* each section after the one it needs; in collect mode a problem is kept (1) and the
     * independent sections still read (the model needs the data's widths) */
    if ((d = sym_job_keep(c, parse_data(c, root, &b, &data_node))) < 0)
        return d;
    if (d == 0 && (m = sym_job_keep(c, sym_job_parse_model(c, root, &b, data_node))) < 0)
        return m;
    if (m == 0 && (r = sym_job_keep(c, parse_regularizer(c, root, &b))) < 0)
        return r;
    if ((t = sym_job_keep(c, parse_train(c, root, &b))) < 0)
        return t;
    cfg->train.loss_every = job->loss_every;
    if (d == 0 && m == 0 && t == 0 && (t = sym_job_keep(c, sym_job_settle_loss(c, root, cfg))) < 0)
        return t;
    if (d == 0 && m == 0 && t == 0 && cfg->train.layerwise &&
        (t = sym_job_keep(c, check_layerwise(c, root, cfg))) < 0)
        return t;
    if (d == 0 && m == 0 && t == 0 && cfg->train.project_orbit &&
        (t = sym_job_keep(c, check_projection(c, root, cfg))) < 0)
        return t;
    if (d == 0 && m == 0 && r == 0 && t == 0 && !c->probes_failed)
        return sym_job_keep(c, sym_job_check_probes(c, job, root, cfg)) < 0 ? SYM_EJOB : 0;
    return 0;
}
