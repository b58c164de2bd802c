/*
 * Job files: YAML (libyaml's document loader keeps a line and column for
 * every node) -> validated option structs.  Every setting is checked here,
 * before any work starts; messages read
 *   FILE:LINE:COL: KEY: expected WHAT, found "VALUE"
 * with the position of the offending value (or of its mapping when missing).
 */
#include "job_impl.h"
#include "symsweep/team.h" /* team sizing: sym_team_*_bytes (to move out of the parser) */
#include "symsweep/io.h"

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

/* probes.orbit_loss.perpendicular: true/false, or the direction's kind */
static int get_perpendicular(ctx *c, const node *m, int def, int *out)
{
    const char *key = "probes.orbit_loss.perpendicular";
    node *v = sym_yaml_lookup(c, m, "perpendicular");
    const char *s = sym_yaml_scalar(v);

    if (!v) {
        *out = def;
        return 0;
    }
    if (s && sym_yaml_is_plain(v)) {
        if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "random")) {
            *out = SYM_PERP_RANDOM;
            return 0;
        }
        if (!strcmp(s, "false") || !strcmp(s, "no")) {
            *out = SYM_PERP_OFF;
            return 0;
        }
        if (!strcmp(s, "last_layer")) {
            *out = SYM_PERP_LAST_LAYER;
            return 0;
        }
    }
    return sym_yaml_expected(c, v, key, "true (= random), false, random or last_layer");
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
        job->n_seeds = count;
        SYM_TRY(sym_alloc(&job->seeds, sizeof(uint64_t) * (size_t)count));
        for (int i = 0; i < count; i++)
            job->seeds[i] = (uint64_t)base + (uint64_t)i;
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

static int parse_data(ctx *c, const node *root, sym_job_config *cfg, const node **data_node)
{
    const char *const *kinds = sym_data_kind_names;
    static const char *const k_lin[] = {"kind", "samples", "input", "output", "noise", NULL};
    static const char *const k_sub[] = {"kind", "samples", "dim", "rank", "noise", NULL};
    static const char *const k_mlp[] = {"kind", "samples", "widths", "activation", "bias",
                                        "noise", NULL};
    static const char *const k_h5[] = {"kind", "file", "x", "y", NULL};
    static const char *const k_any[] = {"kind", "samples", "input", "output", "dim", "rank",
                                        "noise", "widths", "activation", "bias", "file", "x",
                                        "y", NULL};
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
        if (access(d->file, R_OK) != 0)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "file"), "data.file", "%s: %s", d->file, strerror(errno));
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

static int parse_init(ctx *c, const node *m, sym_model_opts *o)
{
    static const char *const keys[] = {"kind", "scale", NULL};
    const char *const *kinds = sym_init_kind_names;
    node *v = sym_yaml_lookup(c, m, "init");
    int rc = 0, k = 0;

    if (!v)
        return 0;
    SYM_TRY(sym_yaml_check_map(c, v, "model.init", keys));
    SYM_TRY(sym_yaml_enum(c, v, "model.init", "kind", 0, 0, kinds, SYM_INIT_COUNT, &k));
    SYM_TRY(sym_yaml_double(c, v, "model.init", "scale", 0, 1.0, 0.0, 1, NAN, 0, &o->init_scale));
    o->init_kind = (sym_init_kind)k;
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
    SYM_TRY(parse_init(c, v, o));
    /* the model's own checks (mirrored widths for tied weights, ...) */
    if (sym_model_create(&probe, o) < 0)
        return sym_yaml_err(c, v, "model", "%s", sym_err_message());
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
                                        "beta1", "beta2", "eps", NULL};
    static const char *const k_gd[] = {"optimizer", "lr", "epochs", NULL};
    static const char *const k_sgd[] = {"optimizer", "lr", "epochs", "batch_size", "momentum", NULL};
    static const char *const k_adam[] = {"optimizer", "lr", "epochs", "batch_size", "beta1",
                                         "beta2", "eps", NULL};
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
int sym_job_parse_point(ctx *c, const sym_job *job, const node *root, sym_job_config *cfg)
{
    const node *data_node = NULL;
    int rc;

    rc = parse_data(c, root, cfg, &data_node);
    if (!rc)
        rc = parse_model(c, root, cfg, data_node);
    if (!rc)
        rc = parse_regularizer(c, root, cfg);
    if (!rc)
        rc = parse_train(c, root, cfg);
    if (!rc)
        cfg->train.loss_every = job->loss_every;
    if (!rc && (job->probe_structure || job->probe_penalty)) {
        node *pn = sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"),
                          job->probe_structure ? "structure" : "penalty_invariance");

        if (cfg->model.kind != SYM_MODEL_AUTOENCODER || cfg->model.n_layers != 2)
            rc = sym_yaml_err(c, pn, job->probe_structure ? "probes.structure" : "probes.penalty_invariance",
                      "needs an autoencoder with a one-layer encoder and decoder (W and W'), "
                      "found %s with %d layers",
                      cfg->model.kind == SYM_MODEL_AUTOENCODER ? "an autoencoder" : "an MLP",
                      cfg->model.n_layers);
    }
    if (!rc && job->probe_reparam && (cfg->model.n_layers < 2 || cfg->model.tied))
        rc = sym_yaml_err(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), "reparam"), "probes.reparam",
                  "needs a model with a hidden layer and untied weights (the layer action "
                  "unties a tied autoencoder)");
    if (!rc && job->probe_centralizer && cfg->model.n_layers < 2)
        rc = sym_yaml_err(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), "centralizer"), "probes.centralizer",
                  "probes the first hidden layer's activation and width: the model has no hidden layer");
    if (!rc && job->probe_centralizer && job->cent_samples < cfg->model.widths[1])
        rc = sym_yaml_err(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), "centralizer"), "probes.centralizer.samples",
                  "expected at least the hidden width (%d) to determine the centralizer, found %d",
                  cfg->model.widths[1], job->cent_samples);
    if (!rc && job->probe_hessian && !sym_hvp_supported(&cfg->reg))
        rc = sym_yaml_err(c, sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), "hessian"), "probes.hessian",
                  "exact Hessian-vector products support the regularizers none, frobenius, l1 "
                  "and lp; found %s", sym_reg_name(cfg->reg.kind));
    if (!rc && job->probe_discovery) {
        sym_model *pm = NULL;
        node *dn = sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), "symmetry_discovery");

        rc = sym_model_create(&pm, &cfg->model);
        if (!rc && job->discovery.family == SYM_DISCOVERY_LAYER &&
            (cfg->model.n_layers < 2 || cfg->model.tied))
            rc = sym_yaml_err(c, dn, "probes.symmetry_discovery.family",
                      "layer needs a model with a hidden layer and untied weights; use full");
        if (!rc && job->discovery.conditions > 0 &&
            job->discovery.conditions < sym_discovery_unknowns(pm, job->discovery.family))
            rc = sym_yaml_err(c, sym_yaml_lookup(c, dn, "conditions"), "probes.symmetry_discovery.conditions",
                      "expected at least the number of unknowns (%d), found %d",
                      sym_discovery_unknowns(pm, job->discovery.family), job->discovery.conditions);
        if (!rc && (double)sym_discovery_conditions(pm, &job->discovery) *
                           sym_discovery_unknowns(pm, job->discovery.family) > 2e9)
            rc = sym_yaml_err(c, dn, "probes.symmetry_discovery",
                      "%d conditions x %d unknowns is more than 2e9 entries (ScaLAPACK's "
                      "32-bit index limit); use family layer or a smaller model",
                      sym_discovery_conditions(pm, &job->discovery),
                      sym_discovery_unknowns(pm, job->discovery.family));
        sym_model_free(pm);
    }
    if (!rc && (job->probe_orbit || job->probe_gd)) {
        sym_model *pm = NULL;
        sym_algebra alg;
        node *pn = sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), "orbit_loss");
        node *gn = sym_yaml_lookup(c, sym_yaml_lookup(c, root, "probes"), "gradient_decomposition");

        rc = sym_model_create(&pm, &cfg->model);
        if (!rc && job->probe_orbit && sym_orbit_algebra(&alg, pm, job->orbit.algebra) < 0)
            rc = sym_yaml_err(c, pn, "probes.orbit_loss", "%s", sym_err_message());
        if (!rc && job->probe_gd && sym_orbit_algebra(&alg, pm, job->gd_algebra) < 0)
            rc = sym_yaml_err(c, gn, "probes.gradient_decomposition", "%s", sym_err_message());
        sym_model_free(pm);
    }
    return rc;
}

/* "families: [...]" of a probe, in the given order, each once (absent: keep *n, out) */
static int get_families(ctx *c, const node *m, const char *path, sym_group *out, int *n)
{
    char key[128];
    node *fl = sym_yaml_lookup(c, m, "families");
    int len;

    if (!fl)
        return 0;
    snprintf(key, sizeof(key), "%s.families", path);
    if (fl->type != YAML_SEQUENCE_NODE || (len = sym_yaml_seq_len(fl)) < 1 || len > SYM_GROUP_COUNT)
        return sym_yaml_expected(c, fl, key, "a list of group families (general, orthogonal, ...)");
    for (int i = 0; i < len; i++) {
        char ikey[160];
        int g = 0;

        snprintf(ikey, sizeof(ikey), "%s[%d]", key, i);
        if (sym_yaml_enum_value(c, sym_yaml_node(c, fl->data.sequence.items.start[i]), ikey, sym_group_names,
                       SYM_GROUP_COUNT, &g))
            return SYM_EJOB;
        for (int j = 0; j < i; j++)
            if (out[j] == (sym_group)g)
                return sym_yaml_err(c, sym_yaml_node(c, fl->data.sequence.items.start[i]), ikey,
                            "family %s is listed twice", sym_group_names[g]);
        out[i] = (sym_group)g;
    }
    *n = len;
    return 0;
}

/* team: a number of ranks 1..4096, or auto (0: chosen from the memory need) */
static int get_team(ctx *c, const node *m, const char *path, int *out)
{
    node *v = sym_yaml_lookup(c, m, "team");

    if (v && v->type == YAML_SCALAR_NODE && sym_yaml_is_plain(v) && strcmp(sym_yaml_scalar(v), "auto") == 0) {
        *out = 0;
        return 0;
    }
    if (v) {
        long long x;
        char key[256];

        sym_yaml_join(key, sizeof(key), path, "team");
        if (sym_yaml_parse_long(v, &x) || x < 1 || x > 4096)
            return sym_yaml_expected(c, v, key, "a number of ranks from 1 to 4096, or auto");
        *out = (int)x;
    }
    return 0;
}

static int parse_probes(ctx *c, const node *root, sym_job *job)
{
    static const char *const keys[] = {"orbit_loss", "structure", "penalty_invariance", "reparam",
                                       "centralizer", "lp_ball", "gradient_decomposition",
                                       "hessian", "symmetry_discovery", "conserved", NULL};
    static const char *const k_hess[] = {"zero_cut", "threshold", "eigenvectors", "hvp_checks", "gauge_points",
                                         "gauge_t_max", "team", "team_memory_mb", NULL};
    static const char *const k_disc[] = {"family", "conditions", "batch", "data", "scale",
                                         "threshold", "basis", "team", "team_memory_mb", NULL};
    const char *const *fam_names = sym_discovery_family_names;
    static const char *const data_names[2] = {"sampled", "fixed"};
    static const char *const k_gd[] = {"algebra", NULL};
    static const char *const k_lp[] = {"dim", "p", "families", "trials", "points", "quadratics",
                                       "radius", NULL};
    static const char *const k_rep[] = {"families", "trials", "samples", NULL};
    static const char *const k_cen[] = {"families", "trials", "samples", "basis", NULL};
    static const char *const k_orbit[] = {"directions", "points",        "t_max",      "algebra",
                                         "perpendicular", "landscape", "s_max", NULL};
    static const char *const k_pen[] = {"trials", NULL};
    static const char *const k_none[] = {NULL};
    sym_orbit_opts def = SYM_ORBIT_OPTS_INIT;
    node *v = sym_yaml_lookup(c, root, "probes"), *ov;
    int rc = 0, alg = 0;

    job->probe_orbit = job->probe_structure = job->probe_penalty = 0;
    job->penalty_trials = 100;
    job->orbit = def;
    if (!v)
        return 0;
    SYM_TRY(sym_yaml_check_map(c, v, "probes", keys));
    {
        sym_hessian_opts hd = SYM_HESSIAN_OPTS_INIT;
        sym_discovery_opts dd = SYM_DISCOVERY_OPTS_INIT;

        job->hessian = hd;
        job->discovery = dd;
        job->probe_hessian = job->probe_discovery = job->probe_conserved = 0;
        job->hessian_team = job->discovery_team = 1;
        job->hessian_team_mb = job->discovery_team_mb = 2048;
    }
    if ((ov = sym_yaml_lookup(c, v, "hessian")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0')) {
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.hessian", k_hess));
            SYM_TRY(sym_yaml_double(c, ov, "probes.hessian", "threshold", 0, job->hessian.threshold, 0.0, 1,
                               1.0, 1, &job->hessian.threshold));
            {
                /* zeros end at the largest gap, unless a threshold is asked for */
                int cut = 0, def = sym_yaml_lookup(c, ov, "threshold") ? SYM_ZERO_CUT_THRESHOLD
                                                                      : SYM_ZERO_CUT_GAP;

                SYM_TRY(sym_yaml_enum(c, ov, "probes.hessian", "zero_cut", 0, def, sym_zero_cut_names,
                                      SYM_ZERO_CUT_COUNT, &cut));
                job->hessian.zero_cut = (sym_zero_cut)cut;
            }
            SYM_TRY(sym_yaml_bool(c, ov, "probes.hessian", "eigenvectors", 0, &job->hessian.eigenvectors));
            SYM_TRY(sym_yaml_int(c, ov, "probes.hessian", "hvp_checks", 0, job->hessian.hvp_checks, 0, 1000,
                            &job->hessian.hvp_checks));
            SYM_TRY(sym_yaml_int(c, ov, "probes.hessian", "gauge_points", 0, 0, 0, 1001,
                            &job->hessian.gauge_points));
            SYM_TRY(sym_yaml_double(c, ov, "probes.hessian", "gauge_t_max", 0, 1.0, 0.0, 1, 100.0, 0,
                               &job->hessian.gauge_t_max));
            SYM_TRY(get_team(c, ov, "probes.hessian", &job->hessian_team));
            SYM_TRY(sym_yaml_int(c, ov, "probes.hessian", "team_memory_mb", 0, 2048, 16, 1 << 24,
                            &job->hessian_team_mb));
        }
        job->probe_hessian = 1;
    }
    if ((ov = sym_yaml_lookup(c, v, "symmetry_discovery")) != NULL) {
        int f = 0, fixed = 0;

        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0')) {
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.symmetry_discovery", k_disc));
            SYM_TRY(sym_yaml_enum(c, ov, "probes.symmetry_discovery", "family", 0, SYM_DISCOVERY_LAYER,
                             fam_names, SYM_DISCOVERY_COUNT, &f));
            SYM_TRY(sym_yaml_enum(c, ov, "probes.symmetry_discovery", "data", 0, 0, data_names, 2, &fixed));
            SYM_TRY(sym_yaml_int(c, ov, "probes.symmetry_discovery", "conditions", 0, 0, 0, 100000000,
                            &job->discovery.conditions));
            SYM_TRY(sym_yaml_int(c, ov, "probes.symmetry_discovery", "batch", 0, job->discovery.batch, 1,
                            1000000, &job->discovery.batch));
            SYM_TRY(sym_yaml_double(c, ov, "probes.symmetry_discovery", "scale", 0, 1.0, 0.0, 1, NAN, 0,
                               &job->discovery.point_scale));
            SYM_TRY(sym_yaml_double(c, ov, "probes.symmetry_discovery", "threshold", 0,
                               job->discovery.threshold, 0.0, 1, 1.0, 1, &job->discovery.threshold));
            SYM_TRY(sym_yaml_bool(c, ov, "probes.symmetry_discovery", "basis", 1, &job->discovery.basis));
            SYM_TRY(get_team(c, ov, "probes.symmetry_discovery", &job->discovery_team));
            SYM_TRY(sym_yaml_int(c, ov, "probes.symmetry_discovery", "team_memory_mb", 0, 2048, 16, 1 << 24,
                            &job->discovery_team_mb));
        }
        job->discovery.family = (sym_discovery_family)f;
        job->discovery.fixed_data = fixed;
        job->probe_discovery = 1;
    }
    if ((ov = sym_yaml_lookup(c, v, "conserved")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0'))
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.conserved", k_none));
        job->probe_conserved = 1;
    }
    job->probe_gd = 0;
    job->gd_algebra = SYM_ALGEBRA_AUTO;
    if ((ov = sym_yaml_lookup(c, v, "gradient_decomposition")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0')) {
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.gradient_decomposition", k_gd));
            SYM_TRY(sym_yaml_enum(c, ov, "probes.gradient_decomposition", "algebra", 0, SYM_ALGEBRA_AUTO,
                             sym_algebra_names, SYM_ALGEBRA_COUNT, &alg));
            job->gd_algebra = (sym_algebra)alg;
        }
        job->probe_gd = 1;
    }
    if ((ov = sym_yaml_lookup(c, v, "structure")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0'))
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.structure", k_none));
        job->probe_structure = 1;
    }
    if ((ov = sym_yaml_lookup(c, v, "penalty_invariance")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0')) {
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.penalty_invariance", k_pen));
            SYM_TRY(sym_yaml_int(c, ov, "probes.penalty_invariance", "trials", 0, 100, 1, 1000000,
                            &job->penalty_trials));
        }
        job->probe_penalty = 1;
    }
    job->probe_reparam = 0;
    job->reparam_trials = 100;
    job->reparam_samples = 200;
    job->n_families = SYM_GROUP_COUNT;
    for (int g = 0; g < SYM_GROUP_COUNT; g++)
        job->families[g] = (sym_group)g;
    if ((ov = sym_yaml_lookup(c, v, "reparam")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0')) {
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.reparam", k_rep));
            SYM_TRY(sym_yaml_int(c, ov, "probes.reparam", "trials", 0, 100, 1, 1000000, &job->reparam_trials));
            SYM_TRY(sym_yaml_int(c, ov, "probes.reparam", "samples", 0, 200, 1, 1000000, &job->reparam_samples));
            SYM_TRY(get_families(c, ov, "probes.reparam", job->families, &job->n_families));
        }
        job->probe_reparam = 1;
    }
    job->probe_centralizer = 0;
    job->cent_trials = 20;
    job->cent_samples = 200;
    job->cent_basis = 0;
    job->n_cent_families = SYM_GROUP_COUNT;
    for (int g = 0; g < SYM_GROUP_COUNT; g++)
        job->cent_families[g] = (sym_group)g;
    if ((ov = sym_yaml_lookup(c, v, "centralizer")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0')) {
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.centralizer", k_cen));
            SYM_TRY(sym_yaml_int(c, ov, "probes.centralizer", "trials", 0, 20, 1, 1000000, &job->cent_trials));
            SYM_TRY(sym_yaml_int(c, ov, "probes.centralizer", "samples", 0, 200, 1, 1000000, &job->cent_samples));
            SYM_TRY(sym_yaml_bool(c, ov, "probes.centralizer", "basis", 0, &job->cent_basis));
            SYM_TRY(get_families(c, ov, "probes.centralizer", job->cent_families, &job->n_cent_families));
        }
        job->probe_centralizer = 1;
    }
    {
        static const double def_p[7] = {0.5, 1, 1.5, 2, 3, 4, INFINITY};

        job->probe_lp = 0;
        job->lp_dim = 2;
        job->lp_trials = 20;
        job->lp_points = 500;
        job->lp_quadratics = 200;
        job->lp_radius = 1.0;
        job->n_lp_p = 7;
        memcpy(job->lp_p, def_p, sizeof(def_p));
        job->n_lp_families = SYM_GROUP_COUNT;
        for (int g = 0; g < SYM_GROUP_COUNT; g++)
            job->lp_families[g] = (sym_group)g;
    }
    if ((ov = sym_yaml_lookup(c, v, "lp_ball")) != NULL) {
        if (!(ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0')) {
            node *pl;

            SYM_TRY(sym_yaml_check_map(c, ov, "probes.lp_ball", k_lp));
            SYM_TRY(sym_yaml_int(c, ov, "probes.lp_ball", "dim", 0, job->lp_dim, 1, 1000, &job->lp_dim));
            SYM_TRY(sym_yaml_int(c, ov, "probes.lp_ball", "trials", 0, job->lp_trials, 1, 1000000, &job->lp_trials));
            SYM_TRY(sym_yaml_int(c, ov, "probes.lp_ball", "points", 0, job->lp_points, 1, 10000000, &job->lp_points));
            SYM_TRY(sym_yaml_int(c, ov, "probes.lp_ball", "quadratics", 0, job->lp_quadratics, 1, 1000000, &job->lp_quadratics));
            SYM_TRY(sym_yaml_double(c, ov, "probes.lp_ball", "radius", 0, job->lp_radius, 0.0, 1, NAN, 0, &job->lp_radius));
            SYM_TRY(get_families(c, ov, "probes.lp_ball", job->lp_families, &job->n_lp_families));
            if ((pl = sym_yaml_lookup(c, ov, "p")) != NULL) {
                int len;

                if (pl->type != YAML_SEQUENCE_NODE || (len = sym_yaml_seq_len(pl)) < 1 || len > 16)
                    return sym_yaml_expected(c, pl, "probes.lp_ball.p", "a list of 1 to 16 exponents (numbers >= 0.1, or inf)");
                for (int i = 0; i < len; i++) {
                    node *it = sym_yaml_node(c, pl->data.sequence.items.start[i]);
                    const char *sv = sym_yaml_scalar(it);
                    char key[64];
                    double pv;

                    snprintf(key, sizeof(key), "probes.lp_ball.p[%d]", i);
                    if (sv && sym_yaml_is_plain(it) && (!strcmp(sv, "inf") || !strcmp(sv, ".inf")))
                        pv = INFINITY;
                    else if (sym_yaml_parse_double(it, &pv) || pv < 0.1 || pv > 1000)
                        return sym_yaml_expected(c, it, key, "a number from 0.1 to 1000, or inf");
                    job->lp_p[i] = pv;
                }
                job->n_lp_p = len;
            }
        }
        job->probe_lp = 1;
    }
    ov = sym_yaml_lookup(c, v, "orbit_loss");
    if (!ov)
        return 0;
    if (ov->type == YAML_SCALAR_NODE && sym_yaml_scalar(ov)[0] == '\0') {
        /* "orbit_loss:" with no value: the defaults */
    } else {
        if (ov->type == YAML_MAPPING_NODE && ov->data.mapping.pairs.top == ov->data.mapping.pairs.start) {
            /* {} : the defaults */
        } else {
            SYM_TRY(sym_yaml_check_map(c, ov, "probes.orbit_loss", k_orbit));
        }
        SYM_TRY(sym_yaml_int(c, ov, "probes.orbit_loss", "directions", 0, def.directions, 1, 10000,
                        &job->orbit.directions));
        SYM_TRY(sym_yaml_int(c, ov, "probes.orbit_loss", "points", 0, def.points, 3, 10001,
                        &job->orbit.points));
        if (job->orbit.points % 2 == 0)
            return sym_yaml_err(c, sym_yaml_lookup(c, ov, "points"), "probes.orbit_loss.points",
                        "expected an odd number (the grid is symmetric around t = 0), found %d",
                        job->orbit.points);
        SYM_TRY(sym_yaml_double(c, ov, "probes.orbit_loss", "t_max", 0, def.t_max, 0.0, 1, 1e3, 0,
                           &job->orbit.t_max));
        SYM_TRY(sym_yaml_enum(c, ov, "probes.orbit_loss", "algebra", 0, SYM_ALGEBRA_AUTO, sym_algebra_names,
                         SYM_ALGEBRA_COUNT, &alg));
        job->orbit.algebra = (sym_algebra)alg;
        SYM_TRY(get_perpendicular(c, ov, def.perpendicular, &job->orbit.perpendicular));
        SYM_TRY(sym_yaml_int(c, ov, "probes.orbit_loss", "landscape", 0, def.landscape, 0, 201,
                        &job->orbit.landscape));
        if (job->orbit.landscape == 1)
            return sym_yaml_err(c, sym_yaml_lookup(c, ov, "landscape"), "probes.orbit_loss.landscape",
                        "expected 0 (off) or a grid size from 2 to 201, found 1");
        SYM_TRY(sym_yaml_double(c, ov, "probes.orbit_loss", "s_max", 0, def.s_max, 0.0, 1, 1e3, 0,
                           &job->orbit.s_max));
    }
    job->probe_orbit = 1;
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
    SYM_TRY(sym_yaml_check_map(c, root, "", keys));
    {
        const char *base = strrchr(c->file, '/');
        char def[128];
        char *dot;

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
    }
    SYM_TRY(parse_seeds(c, root, job));
    SYM_TRY(parse_record(c, root, job));
    SYM_TRY(parse_probes(c, root, job));
    SYM_TRY(sym_alloc(&axes, sizeof(axis) * SYM_MAX_AXES));
    SYM_TRY(sym_grid_parse_sweep(c, root, job, axes));
    SYM_TRY(sym_grid_parse_configs(c, job, axes));
    SYM_TRY(sym_grid_build_columns(c, job, axes));
    {
        /* the end-of-run probe values: largest shapes over configurations */
        sym_measure_layout *L = &job->measure;
        size_t o = 0;

        memset(L, 0, sizeof(*L));
        for (int k = 0; k < job->n_configs; k++) {
            int d = job->configs[k].model.widths[1], D = job->configs[k].model.widths[0];

            L->d = d > L->d ? d : L->d;
            L->k = (d < D ? d : D) > L->k ? (d < D ? d : D) : L->k;
        }
        if (job->probe_structure) {
            L->scalars = o; o += 5;
            L->balance_l2 = o; o += (size_t)L->d;
            L->balance_l1 = o; o += (size_t)L->d;
            L->sv_enc = o; o += (size_t)L->k;
            L->sv_dec = o; o += (size_t)L->k;
            L->sv_prod = o; o += (size_t)L->k;
        }
        if (job->probe_penalty) {
            L->pen_mean = o; o += SYM_PENALTY_FAMILIES * SYM_PENALTY_KINDS;
            L->pen_max = o; o += SYM_PENALTY_FAMILIES * SYM_PENALTY_KINDS;
        }
        if (job->probe_reparam) {
            L->reparam = o;
            o += 5 * (size_t)job->n_families;
        }
        if (job->probe_lp) {
            L->lp_change = o; o += (size_t)job->n_lp_p * job->n_lp_families;
            L->lp_sparse = o; o += (size_t)job->n_lp_p;
            L->lp_zeros = o; o += (size_t)job->n_lp_p;
        }
        if (job->probe_gd) {
            for (int k = 0; k < job->n_configs; k++) {
                int npts = sym_train_n_points(&job->configs[k].train);

                L->gd_points = npts > L->gd_points ? npts : L->gd_points;
            }
            L->gd = o; o += SYM_GD_QUANTITIES * (size_t)L->gd_points + 2; /* + the two maxima */
        }
        if (job->probe_centralizer) {
            for (int k = 0; k < job->n_configs; k++)
                L->cent_n = job->configs[k].model.widths[1] > L->cent_n ? job->configs[k].model.widths[1] : L->cent_n;
            L->cent_comm = o; o += 2 * (size_t)job->n_cent_families;
            L->cent_dim = o; o += 1;
            L->cent_gap = o; o += 1;
            L->cent_basis = o;
            if (job->cent_basis)
                o += (size_t)L->cent_n * L->cent_n * L->cent_n * L->cent_n;
        }
        job->team_size = 1;
        if (job->probe_conserved || job->probe_hessian || job->probe_discovery) {
            for (int k = 0; k < job->n_configs; k++) {
                sym_model *pm = NULL;
                int npts = sym_train_n_points(&job->configs[k].train), h = job->configs[k].model.n_layers - 1;

                L->cons_points = npts > L->cons_points ? npts : L->cons_points;
                L->cons_layers = h > L->cons_layers ? h : L->cons_layers;
                if (sym_model_create(&pm, &job->configs[k].model) == 0) {
                    int P = (int)sym_model_n_params(pm), U = sym_discovery_unknowns(pm, job->discovery.family);
                    int tp = 1;

                    L->hess_p = P > L->hess_p ? P : L->hess_p;
                    if (job->probe_discovery)
                        L->disc_u = U > L->disc_u ? U : L->disc_u;
                    /* teams: the smallest that fits the memory budget per rank */
                    if (job->probe_hessian) {
                        int t = job->hessian_team;

                        for (int q = 1; t == 0; q++)
                            if (q == 4096 || sym_team_syev_bytes(P, q) <= ((size_t)job->hessian_team_mb << 20))
                                t = q;
                        tp = t > tp ? t : tp;
                    }
                    if (job->probe_discovery) {
                        int t = job->discovery_team, M = sym_discovery_conditions(pm, &job->discovery);

                        for (int q = 1; t == 0; q++)
                            if (q == 4096 || sym_team_svd_bytes(M, U, q) <= ((size_t)job->discovery_team_mb << 20))
                                t = q;
                        tp = t > tp ? t : tp;
                    }
                    job->team_size = tp > job->team_size ? tp : job->team_size;
                }
                sym_model_free(pm);
            }
        }
        if (job->probe_conserved) {
            L->cons_drift = o; o += (size_t)L->cons_layers * L->cons_points;
            L->cons_norm = o; o += (size_t)L->cons_layers * L->cons_points;
            L->cons_scalars = o; o += 2;
        }
        /* the team probes last and together: one slice a team task returns */
        L->team = o;
        if (job->probe_hessian) {
            L->hess_eig = o; o += (size_t)L->hess_p;
            L->hess_scalars = o; o += SYM_HESS_SCALARS;
            L->hess_vec = o;
            if (job->hessian.eigenvectors)
                o += (size_t)L->hess_p * L->hess_p;
            L->gauge = o; o += 3 * (size_t)job->hessian.gauge_points;
        }
        if (job->probe_discovery) {
            L->disc_scalars = o; o += 2;
            L->disc_sv = o; o += (size_t)L->disc_u;
            L->disc_basis = o;
            if (job->discovery.basis)
                o += (size_t)L->disc_u * L->disc_u;
        }
        L->team_len = o - L->team;
        L->total = o;
    }
    if ((long long)job->n_configs * job->n_seeds > INT_MAX)
        SYM_FAIL(SYM_EJOB, "%s:1:1: sweep: %d configurations x %d seeds is more than %d runs",
                 c->file, job->n_configs, job->n_seeds, INT_MAX);
cleanup:
    free(axes);
    return rc;
}

int sym_job_parse(sym_job *job, const char *text, size_t len, const char *path)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    ctx c = {path, &doc, ""};
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
    SYM_TRY(parse_document(&c, job));
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
cleanup:
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
    SYM_TRY(sym_job_parse(job, buf, (size_t)len, path));
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
    free(job->configs);
    free(job->yaml);
    free(job->seeds);
    memset(job, 0, sizeof(*job));
}

int sym_job_n_runs(const sym_job *job) { return job->n_configs * job->n_seeds; }

int sym_job_has_team(const sym_job *job) { return job->probe_hessian || job->probe_discovery; }

int sym_job_n_pieces(const sym_job *job) { return job->probe_orbit ? job->orbit.directions : 0; }

sym_piece_layout sym_job_piece_layout(const sym_job *job)
{
    size_t P = (size_t)job->orbit.points, G = (size_t)job->orbit.landscape;
    sym_piece_layout l = {0, P, (size_t)-1, (size_t)-1, 2 * P};

    if (!job->probe_orbit)
        return (sym_piece_layout){0, 0, (size_t)-1, (size_t)-1, 0};
    if (job->orbit.perpendicular) {
        l.perp = l.size;
        l.size += P;
    }
    if (G > 1) {
        l.land = l.size;
        l.size += G * G;
    }
    return l;
}

size_t sym_job_piece_size(const sym_job *job) { return sym_job_piece_layout(job).size; }

size_t sym_job_probe_size(const sym_job *job)
{
    return (size_t)sym_job_n_pieces(job) * sym_job_piece_size(job);
}

const sym_job_config *sym_job_run_config(const sym_job *job, int i, uint64_t *seed)
{
    SYM_ASSERT(i >= 0 && i < sym_job_n_runs(job));
    if (seed)
        *seed = job->seeds[i % job->n_seeds];
    return &job->configs[i / job->n_seeds];
}

