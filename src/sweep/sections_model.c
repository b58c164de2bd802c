/*
 * The model section's settle code (sections.c has its table): widths that must match the data,
 * an MLP's and an autoencoder's layers and activations, the ista model, model.init (a file or
 * drawn, with random biases) and model.group (the learned-group layer), then the checks that
 * span them.  Sub-sections are found by path (sym_job_section_find).
 */
#include "job_impl.h"
#include "symsweep/io.h"
#include "symsweep/run.h"
#include "symsweep/sym.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* a problem (SYM_EJOB, or another error) goes up as it is */
#define TRY(x)                                                                                    \
    do {                                                                                          \
        int rc_ = (x);                                                                            \
        if (rc_ != 0)                                                                             \
            return rc_;                                                                           \
    } while (0)

/* input and output widths the data imposes on the model */
static void data_widths(const sym_data_opts *d, int *in, int *out)
{
    switch (d->kind) {
    case SYM_DATA_TEACHER_LINEAR: *in = d->input; *out = d->output; break;
    case SYM_DATA_SUBSPACE: *in = *out = d->dim; break;
    case SYM_DATA_TEACHER_MLP: *in = d->teacher.widths[0]; *out = d->teacher.widths[d->teacher.n_layers]; break;
    case SYM_DATA_HDF5: case SYM_DATA_IDX: case SYM_DATA_PROTOTYPES: *in = d->input; *out = d->output; break;
    case SYM_DATA_PLANTED_GROUP: *in = *out = d->image_h * d->image_w; break;
    case SYM_DATA_COUNT: break; /* not a kind */
    }
}


/* model.activation: one name for every hidden layer, or one per hidden layer */
static int hidden_acts(ctx *c, const node *v, const sym_job_values *val, int n_hidden, sym_act *out)
{
    if (val->act_n >= 0 && val->act_n != n_hidden)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "activation"), "model.activation",
                            "expected one activation per hidden layer (%d), found %d", n_hidden, val->act_n);
    for (int i = 0; i < n_hidden; i++)
        out[i] = (sym_act)val->act[val->act_n < 0 ? 0 : i];
    return 0;
}

static int settle_mlp(ctx *c, const node *v, const sym_config *cfg, sym_job_values *val, sym_model_opts *o)
{
    int n = val->widths_n, din = 0, dout = 0;
    node *w = sym_yaml_lookup(c, v, "widths");

    o->n_layers = o->n_encoder = n - 1;
    TRY(hidden_acts(c, v, val, n - 2, o->act));
    o->act[n - 2] = (sym_act)val->out_act;
    data_widths(&cfg->data, &din, &dout);
    if (o->widths[0] != din)
        return sym_yaml_err(c, sym_yaml_node(c, w->data.sequence.items.start[0]), "model.widths[0]",
                            "expected %d (the data's input width), found %d", din, o->widths[0]);
    /* one column of targets may be class ids for train.loss cross_entropy, read after the model:
     * settle_loss checks the output width then */
    if (o->widths[n - 1] != dout && !sym_job_may_be_labels(&cfg->data)) {
        char key[64];

        snprintf(key, sizeof(key), "model.widths[%d]", n - 1);
        return sym_yaml_err(c, sym_yaml_node(c, w->data.sequence.items.start[n - 1]), key,
                            "expected %d (the data's output width), found %d", dout, o->widths[n - 1]);
    }
    return 0;
}

/* the autoencoder's chain: input, hidden..., latent, decoder_hidden..., input */
static int settle_autoencoder(ctx *c, const node *v, const node *data_node, const sym_config *cfg,
                              sym_job_values *val, sym_model_opts *o)
{
    int nh = val->hidden_n, nd, din = 0, dout = 0;
    sym_act hacts[SYM_MAX_LAYERS];

    if (sym_yaml_lookup(c, v, "decoder_hidden")) {
        if (val->tied)
            return sym_yaml_err(c, sym_yaml_lookup(c, v, "decoder_hidden"), "model.decoder_hidden",
                                "a tied decoder mirrors the encoder; remove decoder_hidden or set tied: false");
    } else { /* the default: hidden reversed */
        val->dec_n = nh;
        for (int i = 0; i < nh; i++)
            val->dec[i] = val->hidden[nh - 1 - i];
    }
    nd = val->dec_n;
    o->n_encoder = nh + 1;
    o->n_layers = nh + nd + 2;
    o->widths[0] = o->widths[o->n_layers] = val->input;
    memcpy(o->widths + 1, val->hidden, sizeof(int) * (size_t)nh);
    o->widths[nh + 1] = val->latent;
    memcpy(o->widths + nh + 2, val->dec, sizeof(int) * (size_t)nd);
    o->tied = val->tied;
    TRY(hidden_acts(c, v, val, nh + nd, hacts));
    for (int i = 0; i < nh; i++)
        o->act[i] = hacts[i];
    for (int i = 0; i < nd; i++)
        o->act[nh + 1 + i] = hacts[nh + i];
    o->act[nh] = (sym_act)val->latent_act;
    o->act[o->n_layers - 1] = (sym_act)val->out_act;
    data_widths(&cfg->data, &din, &dout);
    if (val->input != din || val->input != dout)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "input"), "model.input",
                            "expected %d (the data's width), found %d", din, val->input);
    if (cfg->data.kind != SYM_DATA_SUBSPACE && cfg->data.kind != SYM_DATA_PLANTED_GROUP &&
        !(cfg->data.kind == SYM_DATA_HDF5 && !cfg->data.y_path[0] && !cfg->data.pairs.n) &&
        !(cfg->data.kind == SYM_DATA_PROTOTYPES && !cfg->data.proto_classes))
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "kind"), "model.kind",
                            "an autoencoder reconstructs its input: use data.kind subspace, hdf5 without y, or prototypes with targets images (data is on line %zu)",
                            data_node->start_mark.line + 1);
    return 0;
}

/* unfolded ISTA: widths [input, filters, input]; the data's output width must be its input's */
static int settle_ista(ctx *c, const node *v, const sym_config *cfg, const sym_job_values *val,
                       sym_model_opts *o)
{
    int din = 0, dout = 0;

    o->n_layers = 2;
    o->n_encoder = 1;
    o->widths[0] = o->widths[2] = val->input;
    o->act[0] = o->act[1] = SYM_ACT_LINEAR;
    data_widths(&cfg->data, &din, &dout);
    if (dout != din)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "kind"), "model.kind",
                            "ista reconstructs its input: expected data whose output width is its "
                            "input width (%d, autoencoding data), found output width %d", din, dout);
    if (val->input != din)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "input"), "model.input",
                            "expected %d (the data's width), found %d", din, val->input);
    return 0;
}

/* init: {kind: file, file: F, group: G, run: I}: every tensor from <G>/<name> of F */
static int settle_init_file(ctx *c, const node *v, const sym_job_values *val, uint64_t given, sym_init_from *in)
{
    char file[sizeof in->file];

    if (val->init_run >= 0 && !(given & ((uint64_t)1 << 4))) /* group: the per-run weights of a symsweep output */
        snprintf(in->group, sizeof in->group, "%s", SYM_PATH_WEIGHTS);
    memcpy(file, in->file, sizeof file);
    if ((file[0] == '/' || !c->dir[0] ? snprintf(in->file, sizeof(in->file), "%s", file)
                                       : snprintf(in->file, sizeof(in->file), "%s/%s", c->dir, file)) >=
        (int)sizeof(in->file))
        return sym_yaml_expected(c, sym_yaml_lookup(c, v, "file"), "model.init.file",
                                 "a path shorter than 1024 bytes");
    TRY(sym_job_input_file(c, sym_yaml_lookup(c, v, "file"), "model.init.file", in->file));
    in->run = val->init_run;
    in->on = 1;
    return 0;
}

static int parse_init(ctx *c, const node *m, const sym_job_bases *b)
{
    sym_config *cfg = b->base[JROW_CFG];
    sym_job_values *val = b->base[JROW_VALUES];
    node *v = sym_yaml_lookup(c, m, "init"), *bn;
    uint64_t given;
    int kind = 0;

    if (!v)
        return 0;
    TRY(sym_job_read_section(c, v, sym_job_section_find("model.init"), b, 0, &kind, &given));
    if (kind == SYM_INIT_COUNT) /* model.init.kind file: after sym_init_kind's names (sections.c) */
        return settle_init_file(c, v, val, given, &cfg->init);
    cfg->model.init_kind = (sym_init_kind)kind;
    if (!(bn = sym_yaml_lookup(c, v, "bias")))
        return 0;
    TRY(sym_job_read_section(c, bn, sym_job_section_find("model.init.bias"), b, 0, &kind, &given));
    cfg->model.bias_init = kind;
    if (kind && !cfg->model.bias)
        return sym_yaml_err(c, bn, "model.init.bias", "the model has no biases (model.bias is false): nothing to draw");
    return 0;
}

/* model.group: its layer in the model, the widths it needs (d = h w and K p, by side) */
static int parse_group(ctx *c, const node *m, const sym_job_bases *b)
{
    sym_model_opts *o = &((sym_config *)b->base[JROW_CFG])->model;
    node *v = sym_yaml_lookup(c, m, "group"), *pn;
    uint64_t given;
    int kind = 0, l, d, kp, dec, in, out;

    if (!v)
        return 0;
    TRY(sym_job_read_section(c, v, sym_job_section_find("model.group"), b, 0, &kind, &given));
    if ((pn = sym_yaml_lookup(c, v, "penalties")))
        TRY(sym_job_read_section(c, pn, sym_job_section_find("model.group.penalties"), b, 0, &kind, &given));
    l = o->group_layer = ((sym_job_values *)b->base[JROW_VALUES])->group_layer - 1; /* from 1 */
    if (l >= o->n_layers)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "layer"), "model.group.layer",
                            "expected a layer of the model, 1..%d, found %d", o->n_layers, l + 1);
    if ((long long)o->group_h * o->group_w > (1 << 20))
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "grid"), "model.group.grid",
                            "expected at most 2^20 pixels, found %d x %d", o->group_h, o->group_w);
    if ((long long)o->group_k * o->group_p > (1 << 20))
        return sym_yaml_err(c, v, "model.group", "expected at most 2^20 filters, found %d groups of %d",
                            o->group_k, o->group_p);
    d = o->group_h * o->group_w;
    kp = o->group_k * o->group_p;
    dec = o->kind == SYM_MODEL_AUTOENCODER && l >= o->n_encoder;
    in = dec ? kp : d;
    out = dec ? d : kp;
    if (o->tied && dec)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "layer"), "model.group.layer",
                            "expected an encoder layer (tied weights: a decoder layer is its mirror's "
                            "transpose), found decoder layer %d", l + 1);
    if (o->widths[l] != in || o->widths[l + 1] != out)
        return sym_yaml_err(c, v, "model.group",
                            "expected layer %d's widths %d -> %d (%s), found %d -> %d", l + 1, in, out,
                            dec ? "K p in, d = h w out" : "d = h w in, K p out", o->widths[l],
                            o->widths[l + 1]);
    return 0;
}

/* every tensor of model.init's file there, of its shape, finite: before any work */
static int check_model(ctx *c, const node *v, const sym_config *cfg)
{
    sym_model *probe = NULL;
    double *p = NULL;
    int rc = 0;

    /* the model's own checks (mirrored widths for tied weights, ...) */
    if (sym_model_create(&probe, &cfg->model) < 0)
        return sym_yaml_err(c, v, "model", "%s", sym_err_message());
    if (cfg->init.on) {
        rc = sym_alloc_doubles(&p, sym_model_n_params(probe));
        if (!rc)
            rc = sym_run_read_init(p, probe, &cfg->init);
        free(p);
        if (rc)
            rc = sym_yaml_err(c, sym_yaml_lookup(c, v, "init"), "model.init", "%s", sym_err_message());
    }
    sym_model_free(probe);
    return rc;
}

int sym_job_parse_model(ctx *c, const node *root, const sym_job_bases *b, const node *data_node)
{
    sym_config *cfg = b->base[JROW_CFG];
    sym_job_values *val = b->base[JROW_VALUES];
    sym_model_opts def = SYM_MODEL_OPTS_INIT;
    node *v = sym_yaml_lookup(c, root, "model");
    uint64_t given;
    int kind = 0;

    cfg->model = def;
    if (!v)
        return sym_yaml_missing(c, root, "model", "a mapping with kind: mlp, autoencoder or ista");
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_MODEL], b, 0, &kind, &given));
    if (kind == SYM_MODEL_MLP)
        TRY(settle_mlp(c, v, cfg, val, &cfg->model));
    else if (kind == SYM_MODEL_ISTA)
        TRY(settle_ista(c, v, cfg, val, &cfg->model));
    else
        TRY(settle_autoencoder(c, v, data_node, cfg, val, &cfg->model));
    TRY(sym_job_read_section(c, v, &sym_job_sections[JSEC_MODEL], b, 1, &kind, &given));
    if (kind == SYM_MODEL_ISTA && cfg->model.bias)
        return sym_yaml_err(c, sym_yaml_lookup(c, v, "bias"), "model.bias",
                            "an ista model has no biases (its learned thresholds lambda take their place): "
                            "remove bias or set it false");
    TRY(parse_group(c, v, b));
    TRY(parse_init(c, v, b));
    return check_model(c, v, cfg);
}
