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

/*
 * An input file a setting names (data.file, model.init.file) is an HDF5 file: refuse anything
 * else before it is opened, as the job file is (a FIFO would wait for a writer, a device would
 * never end).  Errors in the setting's words: "KEY: expected a regular file, found a FIFO".
 */
static int input_file(ctx *c, const node *at, const char *key, const char *path)
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

/* ---- sections ---- */

static int parse_seeds(ctx *c, const node *root, sym_job *job)
{
    node *v = sym_yaml_lookup(c, root, "seeds");
    int rc = 0;

    if (!v) {
        job->n_seeds = 1;
        SYM_TRY(sym_alloc(&job->seeds, sizeof(uint64_t)));
        return 0;
    }
    if (v->type == YAML_MAPPING_NODE) {
        static const char *const keys[] = {"count", "base", NULL};
        int count = 0;
        long long base = 0;
        node *b;

        SYM_TRY(sym_yaml_check_map(c, v, "seeds", keys));
        SYM_TRY(sym_yaml_int(c, v, "seeds", "count", 1, 0, 1, MAX_SEEDS, &count));
        b = sym_yaml_lookup(c, v, "base");
        if (b && (sym_yaml_parse_long(b, &base) || base < 0 || base > (1LL << 52)))
            return sym_yaml_expected(c, b, "seeds.base", "an integer from 0 to 4503599627370496");
        /* the seeds are made once the run count (seeds x configurations) is known to fit:
         * fill_seeds */
        job->n_seeds = count;
        c->seed_base = base;
    } else if (v->type == YAML_SEQUENCE_NODE) {
        int len = (int)(v->data.sequence.items.top - v->data.sequence.items.start);

        if (len < 1)
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
    } else {
        return sym_yaml_expected(c, v, "seeds", "{count: N, base: B} or a list of integers");
    }
cleanup:
    return rc;
}

/* seeds: {count: N, base: B} as a list, once the run count is known to fit */
static int fill_seeds(ctx *c, sym_job *job)
{
    int rc = 0;

    if (job->seeds || job->n_seeds < 1)
        return 0;
    SYM_TRY(sym_alloc(&job->seeds, sizeof(uint64_t) * (size_t)job->n_seeds));
    for (int i = 0; i < job->n_seeds; i++)
        job->seeds[i] = (uint64_t)c->seed_base + (uint64_t)i;
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

static int parse_data(ctx *c, const node *root, sym_job_config *cfg, const node **data_node)
{
    const char *const *kinds = sym_data_kind_names;
    static const char *const k_lin[] = {"kind", "samples", "input", "output", "noise", "seed", NULL};
    static const char *const k_sub[] = {"kind", "samples", "dim", "rank", "noise", "seed", NULL};
    static const char *const k_mlp[] = {"kind", "samples", "widths", "activation", "bias",
                                        "noise", "seed", NULL};
    static const char *const k_h5[] = {"kind", "file", "x", "y", NULL};
    static const char *const k_any[] = {"kind", "samples", "input", "output", "dim", "rank",
                                        "noise", "widths", "activation", "bias", "file", "x",
                                        "y", "seed", NULL};
    sym_data_opts *d = &cfg->data;
    node *v = sym_yaml_lookup(c, root, "data");
    char why[64];
    int rc = 0, kind = 0;

    *data_node = v;
    if (!v)
        return sym_yaml_missing(c, root, "data", "a mapping with kind: teacher_linear, subspace, teacher_mlp or hdf5");
    SYM_TRY(sym_yaml_need_map(c, v, "data"));
    SYM_TRY(sym_yaml_enum(c, v, "data", "kind", 1, 0, kinds, SYM_DATA_COUNT, &kind));
    d->kind = (sym_data_kind)kind;
    snprintf(why, sizeof(why), "data kind %s", kinds[kind]);
    switch (d->kind) {
    case SYM_DATA_TEACHER_LINEAR:
        SYM_TRY(sym_yaml_check_map_for(c, v, "data", k_lin, k_any, why));
        SYM_TRY(sym_yaml_int(c, v, "data", "input", 1, 0, 1, MAX_WIDTH, &d->input));
        SYM_TRY(sym_yaml_int(c, v, "data", "output", 1, 0, 1, MAX_WIDTH, &d->output));
        break;
    case SYM_DATA_SUBSPACE:
        SYM_TRY(sym_yaml_check_map_for(c, v, "data", k_sub, k_any, why));
        SYM_TRY(sym_yaml_int(c, v, "data", "dim", 1, 0, 1, MAX_WIDTH, &d->dim));
        SYM_TRY(sym_yaml_int(c, v, "data", "rank", 1, 0, 1, d->dim, &d->rank));
        break;
    case SYM_DATA_TEACHER_MLP: {
        sym_model_opts *t = &d->teacher;
        int n = 0, act = SYM_ACT_TANH, bias = 1;

        SYM_TRY(sym_yaml_check_map_for(c, v, "data", k_mlp, k_any, why));
        SYM_TRY(sym_yaml_int_list(c, v, "data", "widths", 1, 2, SYM_MAX_LAYERS + 1, 1, MAX_WIDTH,
                             t->widths, &n));
        SYM_TRY(sym_yaml_enum(c, v, "data", "activation", 0, SYM_ACT_TANH, sym_act_names, SYM_ACT_COUNT,
                         &act));
        SYM_TRY(sym_yaml_bool(c, v, "data", "bias", 1, &bias));
        t->kind = SYM_MODEL_MLP;
        t->n_layers = n - 1;
        t->n_encoder = n - 1;
        t->bias = bias;
        t->leaky_slope = 0.01;
        t->init_kind = SYM_INIT_NORMAL;
        t->init_scale = 1.0;
        for (int l = 0; l < n - 1; l++)
            t->act[l] = l < n - 2 ? (sym_act)act : SYM_ACT_LINEAR;
        break;
    }
    case SYM_DATA_COUNT: /* not a kind: get_enum never returns it */
        break;
    case SYM_DATA_HDF5: {
        char file[1024];
        int xr = 0, xc = 0, yr = 0, yc = 0;

        SYM_TRY(sym_yaml_check_map_for(c, v, "data", k_h5, k_any, why));
        SYM_TRY(sym_yaml_string(c, v, "data", "file", 1, "", file, sizeof(file)));
        SYM_TRY(sym_yaml_string(c, v, "data", "x", 0, "X", d->x_path, sizeof(d->x_path)));
        SYM_TRY(sym_yaml_string(c, v, "data", "y", 0, "", d->y_path, sizeof(d->y_path)));
        if (strlen(c->dir) + strlen(file) + 2 > sizeof(d->file))
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "file"), "data.file", "path too long (%zu characters)",
                        strlen(c->dir) + strlen(file) + 1);
        if (file[0] == '/' || !c->dir[0])
            memcpy(d->file, file, strlen(file) + 1);
        else
        {
            size_t nd = strlen(c->dir);

            memcpy(d->file, c->dir, nd);
            d->file[nd] = '/';
            memcpy(d->file + nd + 1, file, strlen(file) + 1);
        }
        SYM_TRY(input_file(c, sym_yaml_lookup(c, v, "file"), "data.file", d->file));
        if (sym_h5_matrix_shape(&xr, &xc, d->file, d->x_path) < 0)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "x") ? sym_yaml_lookup(c, v, "x") : sym_yaml_lookup(c, v, "file"),
                        sym_yaml_lookup(c, v, "x") ? "data.x" : "data.file", "%s", sym_err_message());
        d->samples = xr;
        d->input = xc;
        d->output = xc;
        if (d->y_path[0]) {
            if (sym_h5_matrix_shape(&yr, &yc, d->file, d->y_path) < 0)
                return sym_yaml_err(c, sym_yaml_lookup(c, v, "y"), "data.y", "%s", sym_err_message());
            if (yr != xr)
                return sym_yaml_err(c, sym_yaml_lookup(c, v, "y"), "data.y",
                            "expected %d rows (as many as data.x), found %d", xr, yr);
            d->output = yc;
        }
        /* NaN or Inf in the data is bad input, found now rather than at run time */
        if (sym_h5_check_finite(d->file, d->x_path) < 0)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "x") ? sym_yaml_lookup(c, v, "x") : sym_yaml_lookup(c, v, "file"),
                        sym_yaml_lookup(c, v, "x") ? "data.x" : "data.file", "%s", sym_err_message());
        if (d->y_path[0] && sym_h5_check_finite(d->file, d->y_path) < 0)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "y"), "data.y", "%s", sym_err_message());
        return 0;
    }
    }
    SYM_TRY(sym_yaml_int(c, v, "data", "samples", 1, 0, 1, MAX_SAMPLES, &d->samples));
    SYM_TRY(sym_yaml_double(c, v, "data", "noise", 0, 0.0, 0.0, 0, NAN, 0, &d->noise));
    {
        /* data.seed: one draw of the data for every run (runs then differ only in their
         * initialization and shuffling), as cross-seed comparisons need */
        node *sv = sym_yaml_lookup(c, v, "seed");
        long long x = 0;

        if (sv && (sym_yaml_parse_long(sv, &x) || x < 0 || x > (1LL << 52)))
            return sym_yaml_expected(c, sv, "data.seed", "an integer from 0 to 4503599627370496");
        d->fixed_seed = sv != NULL;
        d->seed = (uint64_t)x;
    }
cleanup:
    return rc;
}

/* input and output widths the data imposes on the model */
static void data_widths(const sym_data_opts *d, int *in, int *out)
{
    switch (d->kind) {
    case SYM_DATA_TEACHER_LINEAR: *in = d->input; *out = d->output; break;
    case SYM_DATA_SUBSPACE: *in = *out = d->dim; break;
    case SYM_DATA_TEACHER_MLP: *in = d->teacher.widths[0]; *out = d->teacher.widths[d->teacher.n_layers]; break;
    case SYM_DATA_HDF5: *in = d->input; *out = d->output; break;
    case SYM_DATA_COUNT: break; /* not a kind */
    }
}

/* hidden activations: one name for all, or a list of one per hidden layer */
static int get_hidden_acts(ctx *c, const node *m, const char *path, int n_hidden, int def,
                           sym_act *out)
{
    char key[256], ikey[280];
    node *v = sym_yaml_lookup(c, m, "activation");
    int a = def;

    sym_yaml_join(key, sizeof(key), path, "activation");
    if (v && v->type == YAML_SEQUENCE_NODE) {
        int len = (int)(v->data.sequence.items.top - v->data.sequence.items.start);

        if (len != n_hidden)
            return sym_yaml_err(c, v, key, "expected one activation per hidden layer (%d), found %d",
                        n_hidden, len);
        for (int i = 0; i < len; i++) {
            snprintf(ikey, sizeof(ikey), "%s[%d]", key, i);
            if (sym_yaml_enum_value(c, sym_yaml_node(c, v->data.sequence.items.start[i]), ikey, sym_act_names,
                           SYM_ACT_COUNT, &a))
                return SYM_EJOB;
            out[i] = (sym_act)a;
        }
        return 0;
    }
    if (v && sym_yaml_enum_value(c, v, key, sym_act_names, SYM_ACT_COUNT, &a))
        return SYM_EJOB;
    for (int i = 0; i < n_hidden; i++)
        out[i] = (sym_act)a;
    return 0;
}

/* init.bias: {kind: zero | normal | uniform, scale} */
static int parse_bias_init(ctx *c, const node *v, sym_model_opts *o)
{
    static const char *const keys[] = {"kind", "scale", NULL};
    static const char *const kinds[] = {"zero", "normal", "uniform"};
    node *b = sym_yaml_lookup(c, v, "bias");
    int rc = 0, k = 0;

    _Static_assert(SYM_INIT_NORMAL == 0 && SYM_INIT_UNIFORM == 1 && SYM_INIT_COUNT == 2,
                   "bias kinds are 1 + sym_init_kind");
    if (!b)
        return 0;
    SYM_TRY(sym_yaml_check_map(c, b, "model.init.bias", keys));
    SYM_TRY(sym_yaml_enum(c, b, "model.init.bias", "kind", 1, 0, kinds, 3, &k));
    SYM_TRY(sym_yaml_double(c, b, "model.init.bias", "scale", 0, 0.1, 0.0, 1, NAN, 0, &o->bias_scale));
    o->bias_init = k;
    if (k && !o->bias)
        return sym_yaml_err(c, b, "model.init.bias",
                            "the model has no biases (model.bias is false): nothing to draw");
cleanup:
    return rc;
}

/* init: {kind: file, file: F, group: G, run: I}: every tensor from <G>/<name> of F */
static int parse_init_file(ctx *c, const node *v, sym_job_config *cfg)
{
    static const char *const keys[] = {"kind", "file", "group", "run", NULL};
    sym_init_from *in = &cfg->init;
    char file[1024] = "";
    long long run = -1;
    node *rn;
    int rc = 0;

    SYM_TRY(sym_yaml_check_map(c, v, "model.init", keys));
    SYM_TRY(sym_yaml_string(c, v, "model.init", "file", 1, NULL, file, sizeof(file)));
    if ((rn = sym_yaml_lookup(c, v, "run")) != NULL &&
        (sym_yaml_parse_long(rn, &run) || run < 0 || run > 2000000000LL))
        return sym_yaml_expected(c, rn, "model.init.run", "a run number (0, 1, ...)");
    SYM_TRY(sym_yaml_string(c, v, "model.init", "group", 0, run >= 0 ? SYM_PATH_WEIGHTS : "/",
                            in->group, sizeof(in->group)));
    if ((file[0] == '/' || !c->dir[0] ? snprintf(in->file, sizeof(in->file), "%s", file)
                                       : snprintf(in->file, sizeof(in->file), "%s/%s", c->dir, file)) >=
        (int)sizeof(in->file))
        return sym_yaml_expected(c, sym_yaml_lookup(c, v, "file"), "model.init.file",
                                 "a path shorter than 1024 bytes");
    SYM_TRY(input_file(c, sym_yaml_lookup(c, v, "file"), "model.init.file", in->file));
    in->run = run;
    in->on = 1;
cleanup:
    return rc;
}

static int parse_init(ctx *c, const node *m, sym_job_config *cfg)
{
    sym_model_opts *o = &cfg->model;
    static const char *const keys[] = {"kind", "scale", "bias", NULL};
    /* sym_init_kind's names, then file (handled above) */
    static const char *const kinds[] = {"normal", "uniform", "file"};
    node *v = sym_yaml_lookup(c, m, "init");
    int rc = 0, k = 0;

    if (!v)
        return 0;
    {
        const char *kv = sym_yaml_scalar(sym_yaml_lookup(c, v, "kind"));

        if (v->type == YAML_MAPPING_NODE && kv && strcmp(kv, "file") == 0)
            return parse_init_file(c, v, cfg);
    }
    SYM_TRY(sym_yaml_check_map(c, v, "model.init", keys));
    SYM_TRY(sym_yaml_enum(c, v, "model.init", "kind", 0, 0, kinds, 3, &k));
    SYM_TRY(sym_yaml_double(c, v, "model.init", "scale", 0, 1.0, 0.0, 1, NAN, 0, &o->init_scale));
    o->init_kind = (sym_init_kind)k;
    SYM_TRY(parse_bias_init(c, v, o));
cleanup:
    return rc;
}

static int parse_model(ctx *c, const node *root, sym_job_config *cfg, const node *data_node)
{
    const char *const *kinds = sym_model_kind_names;
    static const char *const k_mlp[] = {"kind", "widths", "activation", "output_activation",
                                        "bias", "leaky_slope", "init", NULL};
    static const char *const k_ae[] = {"kind", "input", "latent", "hidden", "decoder_hidden",
                                       "activation", "latent_activation", "output_activation",
                                       "tied", "bias", "leaky_slope", "init", NULL};
    static const char *const k_any[] = {"kind", "widths", "activation", "output_activation",
                                        "bias", "leaky_slope", "init", "input", "latent",
                                        "hidden", "decoder_hidden", "latent_activation",
                                        "tied", NULL};
    sym_model_opts *o = &cfg->model;
    sym_model_opts def = SYM_MODEL_OPTS_INIT;
    node *v = sym_yaml_lookup(c, root, "model");
    int rc = 0, kind = 0, act = 0, din = 0, dout = 0;
    sym_model *probe = NULL;

    *o = def;
    if (!v)
        return sym_yaml_missing(c, root, "model", "a mapping with kind: mlp or autoencoder");
    SYM_TRY(sym_yaml_need_map(c, v, "model"));
    SYM_TRY(sym_yaml_enum(c, v, "model", "kind", 1, 0, kinds, SYM_MODEL_COUNT, &kind));
    o->kind = (sym_model_kind)kind;
    data_widths(&cfg->data, &din, &dout);
    if (o->kind == SYM_MODEL_MLP) {
        int n = 0;
        node *w;

        SYM_TRY(sym_yaml_check_map_for(c, v, "model", k_mlp, k_any, "model kind mlp"));
        SYM_TRY(sym_yaml_int_list(c, v, "model", "widths", 1, 2, SYM_MAX_LAYERS + 1, 1, MAX_WIDTH,
                             o->widths, &n));
        o->n_layers = o->n_encoder = n - 1;
        SYM_TRY(get_hidden_acts(c, v, "model", n - 2, SYM_ACT_RELU, o->act));
        SYM_TRY(sym_yaml_enum(c, v, "model", "output_activation", 0, SYM_ACT_LINEAR, sym_act_names,
                         SYM_ACT_COUNT, &act));
        o->act[n - 2] = (sym_act)act;
        w = sym_yaml_lookup(c, v, "widths");
        if (o->widths[0] != din)
            return sym_yaml_err(c, sym_yaml_node(c, w->data.sequence.items.start[0]), "model.widths[0]",
                        "expected %d (the data's input width), found %d", din, o->widths[0]);
        if (o->widths[n - 1] != dout) {
            char key[64];

            snprintf(key, sizeof(key), "model.widths[%d]", n - 1);
            return sym_yaml_err(c, sym_yaml_node(c, w->data.sequence.items.start[n - 1]), key,
                        "expected %d (the data's output width), found %d", dout, o->widths[n - 1]);
        }
    } else {
        int input = 0, latent = 0, nh = 0, nd = 0, tied = 0;
        int hid[SYM_MAX_LAYERS], dec[SYM_MAX_LAYERS];
        sym_act hacts[SYM_MAX_LAYERS];

        SYM_TRY(sym_yaml_check_map_for(c, v, "model", k_ae, k_any, "model kind autoencoder"));
        SYM_TRY(sym_yaml_int(c, v, "model", "input", 1, 0, 1, MAX_WIDTH, &input));
        SYM_TRY(sym_yaml_int(c, v, "model", "latent", 1, 0, 1, MAX_WIDTH, &latent));
        SYM_TRY(sym_yaml_int_list(c, v, "model", "hidden", 0, 0, SYM_MAX_LAYERS / 2 - 1, 1,
                             MAX_WIDTH, hid, &nh));
        SYM_TRY(sym_yaml_bool(c, v, "model", "tied", 0, &tied));
        if (sym_yaml_lookup(c, v, "decoder_hidden")) {
            if (tied)
                return sym_yaml_err(c, sym_yaml_lookup(c, v, "decoder_hidden"), "model.decoder_hidden",
                            "a tied decoder mirrors the encoder; remove decoder_hidden or set tied: false");
            SYM_TRY(sym_yaml_int_list(c, v, "model", "decoder_hidden", 0, 0, SYM_MAX_LAYERS / 2 - 1,
                                 1, MAX_WIDTH, dec, &nd));
        } else {
            nd = nh;
            for (int i = 0; i < nh; i++)
                dec[i] = hid[nh - 1 - i];
        }
        /* chain: input, hidden..., latent, decoder_hidden..., input */
        o->n_encoder = nh + 1;
        o->n_layers = nh + nd + 2;
        o->widths[0] = input;
        for (int i = 0; i < nh; i++)
            o->widths[1 + i] = hid[i];
        o->widths[nh + 1] = latent;
        for (int i = 0; i < nd; i++)
            o->widths[nh + 2 + i] = dec[i];
        o->widths[o->n_layers] = input;
        o->tied = tied;
        SYM_TRY(get_hidden_acts(c, v, "model", nh + nd, SYM_ACT_RELU, hacts));
        for (int i = 0; i < nh; i++)
            o->act[i] = hacts[i];
        for (int i = 0; i < nd; i++)
            o->act[nh + 1 + i] = hacts[nh + i];
        SYM_TRY(sym_yaml_enum(c, v, "model", "latent_activation", 0, SYM_ACT_LINEAR, sym_act_names,
                         SYM_ACT_COUNT, &act));
        o->act[nh] = (sym_act)act;
        SYM_TRY(sym_yaml_enum(c, v, "model", "output_activation", 0, SYM_ACT_LINEAR, sym_act_names,
                         SYM_ACT_COUNT, &act));
        o->act[o->n_layers - 1] = (sym_act)act;
        if (input != din || input != dout)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "input"), "model.input",
                        "expected %d (the data's width), found %d", din, input);
        if (cfg->data.kind != SYM_DATA_SUBSPACE &&
            !(cfg->data.kind == SYM_DATA_HDF5 && !cfg->data.y_path[0]))
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "kind"), "model.kind",
                        "an autoencoder reconstructs its input: use data.kind subspace, or hdf5 without y (data is on line %zu)",
                        data_node->start_mark.line + 1);
    }
    SYM_TRY(sym_yaml_bool(c, v, "model", "bias", 0, &o->bias));
    SYM_TRY(sym_yaml_double(c, v, "model", "leaky_slope", 0, 0.01, 0.0, 0, NAN, 0, &o->leaky_slope));
    SYM_TRY(parse_init(c, v, cfg));
    /* the model's own checks (mirrored widths for tied weights, ...) */
    if (sym_model_create(&probe, o) < 0)
        return sym_yaml_err(c, v, "model", "%s", sym_err_message());
    if (cfg->init.on) { /* every tensor there, of its shape, finite: before any work */
        double *p = NULL;

        rc = sym_alloc_doubles(&p, sym_model_n_params(probe));
        if (!rc)
            rc = sym_run_read_init(p, probe, &cfg->init);
        free(p);
        if (rc)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "init"), "model.init", "%s", sym_err_message());
    }
cleanup:
    sym_model_free(probe);
    return rc;
}

static int parse_regularizer(ctx *c, const node *root, sym_job_config *cfg)
{
    const char *const *kinds = sym_reg_names, *const *norms = sym_norm_names;
    static const char *const k_any[] = {"kind", "lambda", "lambda_encoder", "lambda_decoder",
                                        "p", "norm", NULL};
    static const char *const k_none[] = {"kind", NULL};
    static const char *const k_w[] = {"kind", "lambda", "lambda_encoder", "lambda_decoder", NULL};
    static const char *const k_p[] = {"kind", "lambda", "lambda_encoder", "lambda_decoder", "p", NULL};
    static const char *const k_mlp[] = {"kind", "lambda", "p", "norm", NULL};
    sym_reg *r = &cfg->reg;
    node *v = sym_yaml_lookup(c, root, "regularizer");
    char why[64];
    int rc = 0, kind = 0, norm = 0, is_ae = cfg->model.kind == SYM_MODEL_AUTOENCODER;
    double lam = 0.0;

    r->kind = SYM_REG_NONE;
    if (!v)
        return 0;
    SYM_TRY(sym_yaml_need_map(c, v, "regularizer"));
    SYM_TRY(sym_yaml_enum(c, v, "regularizer", "kind", 1, 0, kinds, SYM_REG_COUNT, &kind));
    r->kind = (sym_reg_kind)kind;
    snprintf(why, sizeof(why), "regularizer kind %s", kinds[kind]);
    if (r->kind == SYM_REG_NONE)
        return sym_yaml_check_map_for(c, v, "regularizer", k_none, k_any, why);
    if (r->kind == SYM_REG_LP || r->kind == SYM_REG_SCHATTEN)
        SYM_TRY(sym_yaml_check_map_for(c, v, "regularizer", k_p, k_any, why));
    else if (r->kind != SYM_REG_JACOBIAN)
        SYM_TRY(sym_yaml_check_map_for(c, v, "regularizer", k_w, k_any, why));
    else
        SYM_TRY(sym_yaml_check_map(c, v, "regularizer", k_any));
    if (!is_ae) {
        node *k = sym_yaml_lookup(c, v, "lambda_encoder") ? sym_yaml_lookup(c, v, "lambda_encoder")
                                                 : sym_yaml_lookup(c, v, "lambda_decoder");
        if (k)
            return sym_yaml_err(c, k, sym_yaml_lookup(c, v, "lambda_encoder") ? "regularizer.lambda_encoder"
                                                             : "regularizer.lambda_decoder",
                        "an MLP has no encoder/decoder split: use regularizer.lambda");
        SYM_TRY(sym_yaml_check_map_for(c, v, "regularizer", k_mlp, k_any, "an MLP"));
    }
    if (sym_yaml_lookup(c, v, "lambda")) {
        SYM_TRY(sym_yaml_double(c, v, "regularizer", "lambda", 1, 0.0, 0.0, 0, NAN, 0, &lam));
        r->lambda_encoder = r->lambda_decoder = lam;
    } else if (!sym_yaml_lookup(c, v, "lambda_encoder") && !sym_yaml_lookup(c, v, "lambda_decoder")) {
        return sym_yaml_missing(c, v, "regularizer.lambda", "a number >= 0 (or lambda_encoder and lambda_decoder)");
    }
    SYM_TRY(sym_yaml_double(c, v, "regularizer", "lambda_encoder", 0, r->lambda_encoder, 0.0, 0, NAN,
                       0, &r->lambda_encoder));
    SYM_TRY(sym_yaml_double(c, v, "regularizer", "lambda_decoder", 0, r->lambda_decoder, 0.0, 0, NAN,
                       0, &r->lambda_decoder));
    if (r->kind == SYM_REG_JACOBIAN) {
        SYM_TRY(sym_yaml_enum(c, v, "regularizer", "norm", 1, 0, norms, SYM_NORM_COUNT, &norm));
        r->norm = (sym_norm_kind)norm;
        if (r->norm == SYM_NORM_FROBENIUS && sym_yaml_lookup(c, v, "p"))
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "p"), "regularizer.p",
                        "not used by norm: frobenius (it is the squared Frobenius norm)");
    }
    if (r->kind == SYM_REG_LP || (r->kind == SYM_REG_JACOBIAN && r->norm == SYM_NORM_LP)) {
        SYM_TRY(sym_yaml_double(c, v, "regularizer", "p", 1, 2.0, 1.0, 0, NAN, 0, &r->p));
    } else if (r->kind == SYM_REG_SCHATTEN) {
        node *p = sym_yaml_lookup(c, v, "p");
        const char *s = sym_yaml_scalar(p);

        if (s && sym_yaml_is_plain(p) && (!strcmp(s, "inf") || !strcmp(s, ".inf")))
            r->p = INFINITY;
        else if (!p)
            return sym_yaml_missing(c, v, "regularizer.p", "a number >= 1 or inf");
        else if (sym_yaml_parse_double(p, &r->p) || r->p < 1.0)
            return sym_yaml_expected(c, p, "regularizer.p", "a number >= 1 or inf");
    } else if (r->kind == SYM_REG_L1) {
        r->p = 1.0;
    }
cleanup:
    return rc;
}

static int parse_train(ctx *c, const node *root, sym_job_config *cfg)
{
    const char *const *opts = sym_opt_names;
    static const char *const k_any[] = {"optimizer", "lr", "epochs", "batch_size", "momentum",
                                        "beta1", "beta2", "eps", "proximal", "project_orbit", NULL};
    static const char *const k_gd[] = {"optimizer", "lr", "epochs", "proximal", "project_orbit", NULL};
    static const char *const k_sgd[] = {"optimizer", "lr", "epochs", "batch_size", "momentum",
                                        "proximal", "project_orbit", NULL};
    static const char *const k_adam[] = {"optimizer", "lr", "epochs", "batch_size", "beta1",
                                         "beta2", "eps", "proximal", "project_orbit", NULL};
    static const char *const proj[] = {"none", "auto", "gl", "diagonal", "so"};
    sym_train_opts *t = &cfg->train, def = SYM_TRAIN_OPTS_INIT;
    node *v = sym_yaml_lookup(c, root, "train");
    char why[64];
    int rc = 0, k = 0;

    *t = def;
    if (!v)
        return sym_yaml_missing(c, root, "train", "a mapping with optimizer, lr and epochs");
    SYM_TRY(sym_yaml_need_map(c, v, "train"));
    SYM_TRY(sym_yaml_enum(c, v, "train", "optimizer", 1, 0, opts, SYM_OPT_COUNT, &k));
    t->optimizer = (sym_opt_kind)k;
    snprintf(why, sizeof(why), "optimizer %s%s", opts[k], k == SYM_OPT_GD ? " (always full batch)" : "");
    SYM_TRY(sym_yaml_check_map_for(c, v, "train", k == SYM_OPT_GD ? k_gd : k == SYM_OPT_SGD ? k_sgd : k_adam,
                          k_any, why));
    SYM_TRY(sym_yaml_double(c, v, "train", "lr", 1, 0.0, 0.0, 1, NAN, 0, &t->lr));
    SYM_TRY(sym_yaml_int(c, v, "train", "epochs", 1, 0, 1, MAX_EPOCHS, &t->epochs));
    SYM_TRY(sym_yaml_int(c, v, "train", "batch_size", 0, 0, 1, MAX_SAMPLES, &t->batch_size));
    SYM_TRY(sym_yaml_double(c, v, "train", "momentum", 0, 0.0, 0.0, 0, 1.0, 1, &t->momentum));
    SYM_TRY(sym_yaml_double(c, v, "train", "beta1", 0, 0.9, 0.0, 0, 1.0, 1, &t->beta1));
    SYM_TRY(sym_yaml_double(c, v, "train", "beta2", 0, 0.999, 0.0, 0, 1.0, 1, &t->beta2));
    SYM_TRY(sym_yaml_double(c, v, "train", "eps", 0, 1e-8, 0.0, 1, NAN, 0, &t->eps));
    {
        /* proximal: true / false, or fista (gd: accelerated) */
        node *pv = sym_yaml_lookup(c, v, "proximal");
        const char *ps = sym_yaml_scalar(pv);

        if (pv && ps && sym_yaml_is_plain(pv) && strcmp(ps, "fista") == 0) {
            if (t->optimizer != SYM_OPT_GD)
                return sym_yaml_err(c, pv, "train.proximal",
                                    "fista extrapolates full-batch gradient steps: it needs optimizer "
                                    "gd, found %s", sym_opt_names[t->optimizer]);
            t->proximal = SYM_PROX_FISTA;
        } else if (pv && sym_yaml_bool(c, v, "train", "proximal", 0, &t->proximal)) {
            return sym_yaml_expected(c, pv, "train.proximal", "true, false or fista");
        }
    }
    _Static_assert(sizeof proj / sizeof *proj == SYM_ALGEBRA_COUNT + 1, "none, then each algebra");
    SYM_TRY(sym_yaml_enum(c, v, "train", "project_orbit", 0, 0, proj, SYM_ALGEBRA_COUNT + 1, &t->project_orbit));
    if (t->project_orbit && t->proximal)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "project_orbit"), "train.project_orbit",
                            "projects the gradient of each step, and a proximal step moves by the "
                            "penalty's proximal map too: use one or the other");
    if (t->proximal && !sym_prox_supported(&cfg->reg))
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "proximal"), "train.proximal",
                            "proximal steps handle the regularizers none, l1 and frobenius; found %s",
                            sym_reg_name(cfg->reg.kind));
    if (t->batch_size > cfg->data.samples)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "batch_size"), "train.batch_size",
                    "expected at most %d (data.samples), found %d", cfg->data.samples,
                    t->batch_size);
cleanup:
    return rc;
}

static int parse_record(ctx *c, const node *root, sym_job *job)
{
    static const char *const keys[] = {"loss_every", "weights", NULL};
    const char *const *w = sym_record_weights_names;
    node *v = sym_yaml_lookup(c, root, "record");
    int rc = 0, k = SYM_RECORD_WEIGHTS_FINAL;

    job->loss_every = 10;
    job->record_weights = SYM_RECORD_WEIGHTS_FINAL;
    if (!v)
        return 0;
    SYM_TRY(sym_yaml_check_map(c, v, "record", keys));
    SYM_TRY(sym_yaml_int(c, v, "record", "loss_every", 0, 10, 1, MAX_EPOCHS, &job->loss_every));
    SYM_TRY(sym_yaml_enum(c, v, "record", "weights", 0, SYM_RECORD_WEIGHTS_FINAL, w, SYM_RECORD_WEIGHTS_COUNT, &k));
    job->record_weights = (sym_record_weights)k;
cleanup:
    return rc;
}

/*
 * One point of the sweep grid (the axes' values already substituted into the
 * document): its sections, and the per-point conditions of the probes.
 */
/* train.project_orbit: the algebra must act on the model (hidden layers, untied) */
static int check_projection(ctx *c, const node *root, const sym_job_config *cfg)
{
    sym_model *m = NULL;
    sym_algebra a;
    int rc = sym_model_create(&m, &cfg->model);

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

int sym_job_parse_point(ctx *c, const sym_job *job, const node *root, sym_job_config *cfg)
{
    const node *data_node = NULL;
    int d, m = 1, r = 1, t;

    /* each section after the one it needs; in collect mode a problem is kept (1) and the
     * independent sections still read (the model needs the data's widths) */
    if ((d = sym_job_keep(c, parse_data(c, root, cfg, &data_node))) < 0)
        return d;
    if (d == 0 && (m = sym_job_keep(c, parse_model(c, root, cfg, data_node))) < 0)
        return m;
    if (m == 0 && (r = sym_job_keep(c, parse_regularizer(c, root, cfg))) < 0)
        return r;
    if ((t = sym_job_keep(c, parse_train(c, root, cfg))) < 0)
        return t;
    cfg->train.loss_every = job->loss_every;
    if (d == 0 && m == 0 && t == 0 && cfg->train.project_orbit &&
        (t = sym_job_keep(c, check_projection(c, root, cfg))) < 0)
        return t;
    if (d == 0 && m == 0 && r == 0 && t == 0 && !c->probes_failed)
        return sym_job_keep(c, sym_job_check_probes(c, job, root, cfg)) < 0 ? SYM_EJOB : 0;
    return 0;
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
    SYM_TRY(sym_job_keep(c, parse_seeds(c, root, job)));
    SYM_TRY(sym_job_keep(c, parse_record(c, root, job)));
    SYM_TRY(sym_job_keep(c, sym_job_parse_probes(c, root, job)));
    c->probes_failed = rc > 0;
    SYM_TRY(sym_alloc(&axes, sizeof(axis) * SYM_MAX_AXES));
    SYM_TRY(sym_job_keep(c, sym_grid_parse_sweep(c, root, job, axes)));
    if (rc == 0) /* nothing is built for runs that could not all be run */
        SYM_TRY(check_run_count(c, job, axes));
    if (fill_seeds(c, job) < 0) { /* (rc stays 1 if a problem was kept above) */
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

