/*
 * train.loss against the data and the model (a job's cross-field rule, after the sections are
 * read): cross-entropy's class labels, checked in the files at validate.
 */
#include "job_impl.h"
#include "symsweep/io.h"

#include <stdio.h>
#include <stdlib.h>

static int check_labels(ctx *c, const node *yn, const sym_data_opts *d, int classes)
{
    double *y = NULL;
    int r = 0, cols = 0, rc = sym_h5_read_matrix(&y, &r, &cols, d->file, d->y_path);

    if (rc == 0)
        rc = sym_onehot(&y, r, classes, d->y_path);
    free(y);
    return rc ? sym_yaml_err(c, yn, "data.y", "%s", sym_err_message()) : 0;
}

/* IDX labels are bytes: each must be below the model's output width (data.classes relabels
 * them 0..k-1, whose count the data section checked) */
static int check_idx_labels(ctx *c, const node *data, const sym_data_opts *d, int classes)
{
    const char *files[2] = {d->labels, d->test_y};
    const char *keys[2] = {"data.labels", "data.test.labels"};

    if (d->n_classes > 0) {
        if (d->n_classes > classes)
            return sym_yaml_err(c, sym_yaml_lookup(c, data, "classes"), "data.classes",
                                "%d classes, but the model has %d outputs (one per class for train.loss "
                                "cross_entropy)", d->n_classes, classes);
        return 0;
    }
    for (int f = 0; f < 2; f++) {
        sym_idx lb;
        int top = -1;

        if (!files[f][0])
            continue;
        if (sym_idx_read(&lb, files[f], 1) < 0)
            return sym_yaml_err(c, data, keys[f], "%s", sym_err_message());
        for (long long i = 0; i < lb.count; i++)
            top = lb.data[i] > top ? lb.data[i] : top;
        sym_idx_dispose(&lb);
        if (top >= classes)
            return sym_yaml_err(c, data, keys[f], "%s: class id %d is outside 0..%d (the model's %d "
                                "outputs)", files[f], top, classes - 1, classes);
    }
    return 0;
}

/*
 * train.loss against the data and the model.  Cross-entropy needs class labels: data.y (hdf5)
 * of one column of class ids 0..C-1, C the model's output width; the generators' targets are
 * real numbers and an autoencoder's are its inputs.  With mse, the output width one column of
 * targets left unchecked (sym_job_may_be_labels) must be the data's.
 */
int sym_job_settle_loss(ctx *c, const node *root, const sym_config *cfg)
{
    const sym_data_opts *d = &cfg->data;
    const sym_model_opts *o = &cfg->model;
    node *data = sym_yaml_lookup(c, root, "data"), *model = sym_yaml_lookup(c, root, "model");
    node *ln = sym_yaml_lookup(c, sym_yaml_lookup(c, root, "train"), "loss");
    node *w = sym_yaml_lookup(c, model, "widths");
    int dout = o->widths[o->n_layers];

    if (o->loss == SYM_LOSS_MSE) {
        if (o->kind == SYM_MODEL_MLP && sym_job_may_be_labels(d) && dout != d->output) {
            char key[64];

            snprintf(key, sizeof(key), "model.widths[%d]", o->n_layers);
            return sym_yaml_err(c, sym_yaml_node(c, w->data.sequence.items.start[o->n_layers]), key,
                                "expected %d (the data's output width), found %d", d->output, dout);
        }
        return 0;
    }
    if (o->kind == SYM_MODEL_ISTA)
        return sym_yaml_err(c, ln, "train.loss",
                            "cross_entropy classifies, and an ista model reconstructs its input: use "
                            "loss mse");
    if (o->kind == SYM_MODEL_AUTOENCODER)
        return sym_yaml_err(c, ln, "train.loss",
                            "cross_entropy classifies, and an autoencoder reconstructs its input: use "
                            "model.kind mlp, or loss mse");
    if (d->kind == SYM_DATA_IDX) {
        if (dout < 2) {
            char key[64];

            snprintf(key, sizeof(key), "model.widths[%d]", o->n_layers);
            return sym_yaml_err(c, sym_yaml_node(c, w->data.sequence.items.start[o->n_layers]), key,
                                "expected at least 2 (one output per class for train.loss "
                                "cross_entropy), found %d", dout);
        }
        return check_idx_labels(c, data, d, dout);
    }
    if (d->kind == SYM_DATA_PROTOTYPES && d->proto_classes)
        return 0; /* one-hot targets of n_protos classes: the model's width was checked against them */
    if (d->kind != SYM_DATA_HDF5)
        return sym_yaml_err(c, ln, "train.loss",
                            "cross_entropy needs class labels, and data kind %s makes real-valued "
                            "targets: use idx data, or hdf5 data whose y is one column of class ids",
                            sym_data_kind_names[d->kind]);
    if (!d->y_path[0])
        return sym_yaml_err(c, ln, "train.loss",
                            "cross_entropy needs class labels: give data.y, one column of class ids "
                            "(without it the targets are the inputs)");
    if (d->output != 1)
        return sym_yaml_err(c, sym_yaml_lookup(c, data, "y"), "data.y",
                            "train.loss cross_entropy expects one column of class ids, found %d columns",
                            d->output);
    if (dout < 2) {
        char key[64];

        snprintf(key, sizeof(key), "model.widths[%d]", o->n_layers);
        return sym_yaml_err(c, sym_yaml_node(c, w->data.sequence.items.start[o->n_layers]), key,
                            "expected at least 2 (one output per class for train.loss cross_entropy), "
                            "found %d", dout);
    }
    return check_labels(c, sym_yaml_lookup(c, data, "y"), d, dout);
}
