/*
 * The structure probe (Ex3): its layout and datasets, the autoencoder checks the Ex3 probes
 * share, and the hook that calls sym_structure_measure (src/sym/structure.c).
 */
#include "symsweep/probe.h"
#include "symsweep/probe_api.h"
#include "probe_impl.h"

#include <stdio.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the probe: probes.structure ---- */

typedef struct structure_opts {
    int d, k;           /* largest latent width and min(d, D) over the grid */
    size_t scalar[5];   /* where layout's datasets put the values (the host places them) */
    size_t l2, l1, enc, dec, prod;
} structure_opts;

/* the trained encoder W [d x D] and decoder W' [D x d] of a two-layer autoencoder */
int sym_autoencoder_check(const sym_config *cfg, sym_probe_msg *msg)
{
    if (sym_chain_check(cfg, msg))
        return SYM_EJOB;
    if (cfg->model.kind != SYM_MODEL_AUTOENCODER || cfg->model.n_layers != 2)
        return SYM_PROBE_MSG(msg, "",
                             "needs an autoencoder with a one-layer encoder and decoder (W and W'), "
                             "found %s with %d layers",
                             cfg->model.kind == SYM_MODEL_AUTOENCODER ? "an autoencoder" : "an MLP",
                             cfg->model.n_layers);
    return 0;
}

int sym_autoencoder_weights(double **W, double **Wd, const sym_probe_run *run)
{
    const sym_model_opts *o = sym_model_get_opts(run->model);
    size_t n = (size_t)o->widths[1] * o->widths[0];
    int rc = 0;

    *W = *Wd = NULL;
    SYM_TRY(sym_alloc_doubles(W, n));
    SYM_TRY(sym_alloc_doubles(Wd, n));
    sym_model_get_weight(run->model, run->params, 0, *W);
    sym_model_get_weight(run->model, run->params, 1, *Wd);
cleanup:
    if (rc) {
        free(*W);
        free(*Wd);
        *W = *Wd = NULL;
    }
    return rc;
}

static int structure_check(const void *opts, const sym_config *cfg, sym_probe_msg *msg)
{
    (void)opts;
    return sym_autoencoder_check(cfg, msg);
}

static int structure_layout(void *opts, const sym_config *cfgs, int n, sym_schema *s)
{
    static const char *const scalars[5][2] = {
        {"orthogonality_error", "||W W^T - I||_F / ||I||_F of the encoder W (structure probe)"},
        {"transpose_error",
         "||W' - W^T||_F / ||W^T||_F: 0 when the decoder is the encoder's transpose (structure probe)"},
        {"sparsity_encoder", "fraction of encoder entries |w| < 1% of max |w| (structure probe)"},
        {"sparsity_decoder", "fraction of decoder entries |w| < 1% of max |w| (structure probe)"},
        {"norm_ratio", "||W||_F / ||W'||_F: how untied weights use the scaling loophole (structure probe)"}};
    structure_opts *o = opts;
    long long d[1], k[1];

    for (int c = 0; c < n; c++) {
        int dc = cfgs[c].model.widths[1], D = cfgs[c].model.widths[0], kc = dc < D ? dc : D;

        o->d = dc > o->d ? dc : o->d;
        o->k = kc > o->k ? kc : o->k;
    }
    d[0] = o->d;
    k[0] = o->k;
    for (int q = 0; q < 5; q++) {
        char path[SYM_SCHEMA_PATH];

        snprintf(path, sizeof(path), "/runs/metrics/%s", scalars[q][0]);
        o->scalar[q] = sym_schema_at(sym_schema_measure(s, path, 0, NULL, "%s", scalars[q][1]));
    }
    o->l2 = sym_schema_at(sym_schema_measure(
        s, "/probes/structure/balance_l2", 1, d,
        "per latent unit i: ||W_i:||_2 / ||W'_:i||_2 (encoder row vs decoder column)"));
    o->l1 = sym_schema_at(sym_schema_measure(s, "/probes/structure/balance_l1", 1, d,
                                             "per latent unit i: ||W_i:||_1 / ||W'_:i||_1"));
    o->enc = sym_schema_at(sym_schema_measure(s, "/probes/structure/sv_encoder", 1, k,
                                              "singular values of W, descending"));
    o->dec = sym_schema_at(sym_schema_measure(s, "/probes/structure/sv_decoder", 1, k,
                                              "singular values of W', descending"));
    o->prod = sym_schema_at(sym_schema_measure(
        s, "/probes/structure/sv_product", 1, k,
        "the largest singular values of W'W (its rank is at most the latent width)"));
    return 0;
}

static int structure_at_end(const void *opts, const sym_probe_run *run, double *x)
{
    const structure_opts *o = opts;
    const sym_model_opts *mo = sym_model_get_opts(run->model);
    double *W = NULL, *Wd = NULL;
    sym_structure st;
    int rc = 0;

    SYM_TRY(sym_autoencoder_weights(&W, &Wd, run));
    SYM_TRY(sym_structure_measure(&st, x + o->l2, x + o->l1, x + o->enc, x + o->dec, x + o->prod, W,
                                  Wd, mo->widths[1], mo->widths[0]));
    x[o->scalar[0]] = st.orthogonality_error;
    x[o->scalar[1]] = st.transpose_error;
    x[o->scalar[2]] = st.sparsity_encoder;
    x[o->scalar[3]] = st.sparsity_decoder;
    x[o->scalar[4]] = st.norm_ratio;
cleanup:
    free(W);
    free(Wd);
    return rc;
}

const sym_probe_def sym_probe_structure = {
    SYM_PROBE_DEF_INIT,
    .name = "structure",
    .doc = "Ex3: orthogonality, transpose error, sparsity, balance and singular values of a "
           "linear autoencoder's encoder W and decoder W'",
    .opts_size = sizeof(structure_opts),
    .check = structure_check,
    .layout = structure_layout,
    .at_end = structure_at_end,
};
