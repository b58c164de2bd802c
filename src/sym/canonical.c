/*
 * A canonical representative of a network's orbit under the symmetries of its function, and
 * the distance between two networks modulo those symmetries.
 *
 * Hidden layers are taken in order, first to last; each one's transformation moves the next
 * layer's incoming weights, which that layer then normalizes in turn:
 *
 *  - relu, leaky_relu (positive scalings and permutations): each unit's incoming weights and
 *    bias scaled to unit norm, the outgoing column by the inverse;
 *  - tanh (signed permutations): each unit's sign chosen so that the incoming entry of largest
 *    magnitude (weights and bias) is positive, the outgoing column flipped with it;
 *  - sigmoid with biases (sigmoid(-u) = 1 - sigmoid(u)): the same sign rule, the next bias
 *    taking the flipped unit's outgoing column; without biases only permutations;
 *  - softplus: permutations only;
 *  - then every nonlinear layer's units sorted by the norm of their outgoing column
 *    (descending; ties by the incoming weights);
 *  - a block of consecutive linear hidden layers l0..l1 (GL(h) at each, h the block's width):
 *    the hidden biases moved forward into the next bias (b_{l+1} += W_{l+1} b_l, b_l = 0: the
 *    translations), then the balanced factorization of the block's product M = U S V^T
 *    (k = l1 - l0 + 2 factors): W_l0 = S^(1/k) V^T, the middle ones S^(1/k), the last
 *    U S^(1/k), each singular pair's sign fixed by its largest entry of V^T.  This is the
 *    orbit's point only when M has rank h: otherwise the point is counted as degenerate.
 *
 * The form is exact up to rounding: a network and any element of its group applied to it give
 * the same canonical parameters (tests/probe/test_canonical.c), except at ties (units of equal
 * outgoing norm, equal singular values), where the order is not determined.
 *
 * Alignment (weight matching, as Git Re-Basin does): between two canonical networks the
 * permutation of each nonlinear hidden layer that maximizes the inner product of the two
 * parameter vectors, by coordinate ascent over the layers (exact for one hidden layer), each
 * step an assignment problem; and the sign of each singular pair of a linear block (the part
 * of GL(h) that keeps a balanced form balanced, for distinct singular values).
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the chain of dense layers, copied out of the parameter vector */
typedef struct chain {
    int L;
    int n[SYM_MAX_LAYERS + 1];
    sym_act act[SYM_MAX_LAYERS];
    double *W[SYM_MAX_LAYERS]; /* [n[l + 1] x n[l]] */
    double *b[SYM_MAX_LAYERS]; /* [n[l + 1]], or NULL */
} chain;

static void chain_free(chain *c)
{
    for (int l = 0; l < c->L; l++) {
        free(c->W[l]);
        free(c->b[l]);
    }
    memset(c, 0, sizeof(*c));
}

static int chain_get(chain *c, const sym_model *m, const double *params)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0;

    memset(c, 0, sizeof(*c));
    c->L = o->n_layers;
    for (int l = 0; l <= c->L; l++)
        c->n[l] = o->widths[l];
    for (int l = 0; l < c->L; l++) {
        const double *b = sym_model_bias(m, (double *)params, l);

        c->act[l] = o->act[l];
        SYM_TRY(sym_alloc_doubles(&c->W[l], (size_t)c->n[l + 1] * c->n[l]));
        sym_model_get_weight(m, params, l, c->W[l]);
        if (b) {
            SYM_TRY(sym_alloc_doubles(&c->b[l], (size_t)c->n[l + 1]));
            memcpy(c->b[l], b, sizeof(double) * (size_t)c->n[l + 1]);
        }
    }
cleanup:
    if (rc < 0)
        chain_free(c);
    return rc;
}

static void chain_put(const chain *c, const sym_model *m, double *params)
{
    for (int l = 0; l < c->L; l++) {
        double *b = sym_model_bias(m, params, l);

        sym_model_set_weight(m, params, l, c->W[l]);
        if (b && c->b[l])
            memcpy(b, c->b[l], sizeof(double) * (size_t)c->n[l + 1]);
    }
}

/* the end of the block of linear hidden layers that starts at l0 */
static int linear_block_end(const sym_model_opts *o, int l0)
{
    int l1 = l0;

    while (l1 + 1 < o->n_layers - 1 && o->act[l1 + 1] == SYM_ACT_LINEAR)
        l1++;
    return l1;
}

int sym_canonical_supported(const sym_model_opts *o, char *why, size_t n)
{
    if (o->kind == SYM_MODEL_ISTA) {
        snprintf(why, n, "an ista model is not a chain of dense layers: its symmetry is the signed "
                         "permutations of its filters (W -> P W, lambda -> |P| lambda)");
        return SYM_EINVAL;
    }
    if (o->tied) {
        snprintf(why, n, "tied autoencoders are not supported (their group is orthogonal, not the "
                         "layers' own); use tied: false");
        return SYM_EINVAL;
    }
    for (int l = 0; l < o->n_layers - 1; l++) {
        int l1, h = o->widths[l + 1];

        if (o->act[l] != SYM_ACT_LINEAR)
            continue;
        l1 = linear_block_end(o, l);
        for (int j = l + 1; j <= l1; j++)
            if (o->widths[j + 1] != h) {
                snprintf(why, n, "the linear hidden layers %d..%d have widths %d and %d: the balanced "
                                 "form needs one width", l + 1, l1 + 1, h, o->widths[j + 1]);
                return SYM_EINVAL;
            }
        if (h > o->widths[l] || h > o->widths[l1 + 2]) {
            snprintf(why, n, "the linear hidden layer %d has width %d, more than its neighbours %d and "
                             "%d allow: the product's rank is below the width and the factorization "
                             "is not one orbit of GL(%d); use a width of at most %d", l + 1, h,
                     o->widths[l], o->widths[l1 + 2], h,
                     o->widths[l] < o->widths[l1 + 2] ? o->widths[l] : o->widths[l1 + 2]);
            return SYM_EINVAL;
        }
        l = l1;
    }
    return 0;
}

static void normalize_layer(chain *c, int l, const double *rows, int nin);

/* the block's product M = W_{l1+1} ... W_{l0} into M (T: scratch of the same size) */
static void block_product(const chain *c, int l0, int l1, double *M, double *T)
{
    int nin = c->n[l0];

    memcpy(M, c->W[l0], sizeof(double) * (size_t)c->n[l0 + 1] * nin);
    for (int l = l0 + 1; l <= l1 + 1; l++) {
        sym_gemm(0, 0, c->n[l + 1], nin, c->n[l], 1.0, c->W[l], M, 0.0, T);
        memcpy(M, T, sizeof(double) * (size_t)c->n[l + 1] * nin);
    }
}

/* the balanced factorization of a block of linear hidden layers l0..l1; first the nonlinear
 * hidden layer after it (if any) normalized by the rows of the block's product, which the
 * block's own group leaves alone */
static int balance_block(chain *c, int l0, int l1, int *degenerate)
{
    int h = c->n[l0 + 1], nin = c->n[l0], nout = c->n[l1 + 2], k = l1 - l0 + 2;
    int kk = nin < nout ? nin : nout, rc = 0;
    double *M = NULL, *T = NULL, *U = NULL, *Vt = NULL, *s = NULL, *work = NULL;

    /* the translations: hidden biases forward into the next layer's */
    for (int l = l0; l <= l1; l++)
        if (c->b[l] && c->b[l + 1]) {
            for (int i = 0; i < c->n[l + 2]; i++) {
                double t = 0.0;

                for (int j = 0; j < c->n[l + 1]; j++)
                    t += c->W[l + 1][(size_t)i * c->n[l + 1] + j] * c->b[l][j];
                c->b[l + 1][i] += t;
            }
            memset(c->b[l], 0, sizeof(double) * (size_t)c->n[l + 1]);
        }
    /* M = W_{l1+1} ... W_{l0} (every intermediate product fits: widths h <= nout) */
    SYM_TRY(sym_alloc_doubles(&M, (size_t)nout * nin));
    SYM_TRY(sym_alloc_doubles(&T, (size_t)nout * nin));
    block_product(c, l0, l1, M, T);
    if (l1 + 1 < c->L - 1) {
        normalize_layer(c, l1 + 1, M, nin);
        block_product(c, l0, l1, M, T);
    }
    SYM_TRY(sym_alloc_doubles(&U, (size_t)nout * kk));
    SYM_TRY(sym_alloc_doubles(&Vt, (size_t)kk * nin));
    SYM_TRY(sym_alloc_doubles(&s, (size_t)kk));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(nout, nin)));
    SYM_TRY(sym_svd(s, U, Vt, M, nout, nin, work));
    if (!(s[h - 1] > 1e-10 * s[0]))
        ++*degenerate;
    for (int j = 0; j < h; j++) {
        int at = 0;
        double r = pow(s[j], 1.0 / k);

        for (int i = 1; i < nin; i++)
            if (fabs(Vt[(size_t)j * nin + i]) > fabs(Vt[(size_t)j * nin + at]))
                at = i;
        if (Vt[(size_t)j * nin + at] < 0.0) {
            for (int i = 0; i < nin; i++)
                Vt[(size_t)j * nin + i] = -Vt[(size_t)j * nin + i];
            for (int i = 0; i < nout; i++)
                U[(size_t)i * kk + j] = -U[(size_t)i * kk + j];
        }
        for (int i = 0; i < nin; i++)
            c->W[l0][(size_t)j * nin + i] = r * Vt[(size_t)j * nin + i];
        for (int l = l0 + 1; l <= l1; l++)
            for (int i = 0; i < h; i++)
                c->W[l][(size_t)j * h + i] = i == j ? r : 0.0;
        for (int i = 0; i < nout; i++)
            c->W[l1 + 1][(size_t)i * h + j] = r * U[(size_t)i * kk + j];
    }
cleanup:
    free(M);
    free(T);
    free(U);
    free(Vt);
    free(s);
    free(work);
    return rc;
}

/* unit k of hidden layer l: its incoming row and bias times a, its outgoing column times 1/a */
static void scale_unit(chain *c, int l, int k, double a)
{
    int nin = c->n[l], h = c->n[l + 1];

    for (int i = 0; i < nin; i++)
        c->W[l][(size_t)k * nin + i] *= a;
    if (c->b[l])
        c->b[l][k] *= a;
    for (int i = 0; i < c->n[l + 2]; i++)
        c->W[l + 1][(size_t)i * h + k] /= a;
}

/* the incoming entry of largest magnitude (the row, then the bias) */
static double largest_incoming(const double *row, int nin, const double *bias)
{
    double best = 0.0;

    for (int i = 0; i < nin; i++)
        if (fabs(row[i]) > fabs(best))
            best = row[i];
    if (bias && fabs(*bias) > fabs(best))
        best = *bias;
    return best;
}

/* hidden layer l's units scaled or flipped by their incoming rows: W_l's, or @p rows
 * [n_{l+1} x nin] (the product of the linear block before the layer, which the group of the
 * block leaves alone) */
static void normalize_layer(chain *c, int l, const double *rows, int nin)
{
    int h = c->n[l + 1], no = c->n[l + 2];

    if (!rows) {
        rows = c->W[l];
        nin = c->n[l];
    }
    for (int k = 0; k < h; k++) {
        const double *row = rows + (size_t)k * nin, *bias = c->b[l] ? c->b[l] + k : NULL;

        switch (c->act[l]) {
        case SYM_ACT_RELU:
        case SYM_ACT_LEAKY_RELU: {
            double s = 0.0;

            for (int i = 0; i < nin; i++)
                s += row[i] * row[i];
            if (bias)
                s += *bias * *bias;
            if (s > 0.0)
                scale_unit(c, l, k, 1.0 / sqrt(s));
            break;
        }
        case SYM_ACT_TANH:
            if (largest_incoming(row, nin, bias) < 0.0)
                scale_unit(c, l, k, -1.0);
            break;
        case SYM_ACT_SIGMOID:
            if (c->b[l] && c->b[l + 1] && largest_incoming(row, nin, bias) < 0.0) {
                for (int i = 0; i < no; i++) /* sigmoid(-u) = 1 - sigmoid(u) */
                    c->b[l + 1][i] += c->W[l + 1][(size_t)i * h + k];
                scale_unit(c, l, k, -1.0);
            }
            break;
        default:
            break;
        }
    }
}

/* sort keys: outgoing norm descending, then the incoming weights */
typedef struct unit_key {
    double norm;
    const double *in;
    int nin, k;
} unit_key;

static int cmp_unit(const void *pa, const void *pb)
{
    const unit_key *a = pa, *b = pb;

    if (a->norm != b->norm)
        return a->norm > b->norm ? -1 : 1;
    for (int i = 0; i < a->nin; i++)
        if (a->in[i] != b->in[i])
            return a->in[i] > b->in[i] ? -1 : 1;
    return a->k - b->k;
}

/* units of hidden layer l reordered: new unit j is old unit perm[j] */
static int permute_layer(chain *c, int l, const int *perm)
{
    int nin = c->n[l], h = c->n[l + 1], no = c->n[l + 2], rc = 0;
    double *W = NULL, *V = NULL, *b = NULL;

    SYM_TRY(sym_alloc_doubles(&W, (size_t)h * nin));
    SYM_TRY(sym_alloc_doubles(&V, (size_t)no * h));
    SYM_TRY(sym_alloc_doubles(&b, (size_t)h));
    for (int j = 0; j < h; j++) {
        memcpy(W + (size_t)j * nin, c->W[l] + (size_t)perm[j] * nin, sizeof(double) * (size_t)nin);
        if (c->b[l])
            b[j] = c->b[l][perm[j]];
        for (int i = 0; i < no; i++)
            V[(size_t)i * h + j] = c->W[l + 1][(size_t)i * h + perm[j]];
    }
    memcpy(c->W[l], W, sizeof(double) * (size_t)h * nin);
    memcpy(c->W[l + 1], V, sizeof(double) * (size_t)no * h);
    if (c->b[l])
        memcpy(c->b[l], b, sizeof(double) * (size_t)h);
cleanup:
    free(W);
    free(V);
    free(b);
    return rc;
}

static int sort_layer(chain *c, int l)
{
    int nin = c->n[l], h = c->n[l + 1], no = c->n[l + 2], rc = 0, *perm = NULL;
    unit_key *keys = NULL;

    SYM_TRY(sym_alloc(&keys, sizeof(*keys) * (size_t)h));
    SYM_TRY(sym_alloc(&perm, sizeof(int) * (size_t)h));
    for (int k = 0; k < h; k++) {
        double s = 0.0;

        for (int i = 0; i < no; i++)
            s += c->W[l + 1][(size_t)i * h + k] * c->W[l + 1][(size_t)i * h + k];
        keys[k] = (unit_key){sqrt(s), c->W[l] + (size_t)k * nin, nin, k};
    }
    qsort(keys, (size_t)h, sizeof(*keys), cmp_unit);
    for (int j = 0; j < h; j++)
        perm[j] = keys[j].k;
    SYM_TRY(permute_layer(c, l, perm));
cleanup:
    free(keys);
    free(perm);
    return rc;
}

int sym_canonical_form(double *out, int *degenerate, const sym_model *m, const double *params)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    char why[256];
    chain c;
    int rc = 0, deg = 0;

    if (sym_canonical_supported(o, why, sizeof(why)))
        SYM_FAIL(SYM_EINVAL, "canonical form: %s", why);
    SYM_TRY(chain_get(&c, m, params));
    /* scales and signs first, layer by layer (a layer's incoming rows carry the previous
     * layers' choices); a layer after a linear block is normalized by the block */
    for (int l = 0; l < c.L - 1; l++) {
        if (c.act[l] == SYM_ACT_LINEAR) {
            int l1 = linear_block_end(o, l);

            SYM_TRY(balance_block(&c, l, l1, &deg));
            l = l1 + 1; /* the layer after the block is normalized already */
            if (l >= c.L - 1)
                break;
            if (c.act[l] == SYM_ACT_LINEAR) /* cannot be: a block ends before a nonlinear layer */
                SYM_FAIL(SYM_EINVAL, "canonical form: linear block ends at a linear layer %d", l);
            continue;
        }
        normalize_layer(&c, l, NULL, 0);
    }
    /* then the order of every nonlinear layer's units, by keys no scaling can move any more */
    for (int l = 0; l < c.L - 1; l++)
        if (c.act[l] != SYM_ACT_LINEAR)
            SYM_TRY(sort_layer(&c, l));
    memcpy(out, params, sizeof(double) * sym_model_n_params(m));
    chain_put(&c, m, out);
    if (degenerate)
        *degenerate = deg;
cleanup:
    chain_free(&c);
    return rc;
}

/* the score of matching unit i of a's layer l with unit j of b's: their incoming rows (b's
 * inputs already in a's order), biases and outgoing columns (b's outputs in a's order) */
static int match_layer(int *perm, const chain *a, const chain *b, const int *pin, const int *pout, int l)
{
    int nin = a->n[l], h = a->n[l + 1], no = a->n[l + 2], rc = 0;
    double *C = NULL;

    SYM_TRY(sym_alloc_doubles(&C, (size_t)h * h));
    for (int i = 0; i < h; i++)
        for (int j = 0; j < h; j++) {
            double t = 0.0;

            for (int q = 0; q < nin; q++)
                t += a->W[l][(size_t)i * nin + q] * b->W[l][(size_t)j * nin + (pin ? pin[q] : q)];
            if (a->b[l] && b->b[l])
                t += a->b[l][i] * b->b[l][j];
            for (int q = 0; q < no; q++)
                t += a->W[l + 1][(size_t)q * h + i] * b->W[l + 1][(size_t)(pout ? pout[q] : q) * h + j];
            C[(size_t)i * h + j] = t;
        }
    SYM_TRY(sym_assign_max(perm, NULL, C, h));
cleanup:
    free(C);
    return rc;
}

int sym_align_match(double *aligned, int *sweeps, const sym_model *m, const double *a, const double *b)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int *perm[SYM_MAX_LAYERS] = {NULL}, *next = NULL, rc = 0, it = 0;
    chain ca, cb;

    memset(&ca, 0, sizeof(ca));
    memset(&cb, 0, sizeof(cb));
    SYM_TRY(chain_get(&ca, m, a));
    SYM_TRY(chain_get(&cb, m, b));
    for (int l = 0; l < ca.L - 1; l++) {
        SYM_TRY(sym_alloc(&perm[l], sizeof(int) * (size_t)ca.n[l + 1]));
        for (int k = 0; k < ca.n[l + 1]; k++)
            perm[l][k] = k;
    }
    {
        int wmax = 1;

        for (int l = 1; l < ca.L; l++)
            wmax = ca.n[l] > wmax ? ca.n[l] : wmax;
        SYM_TRY(sym_alloc(&next, sizeof(int) * (size_t)wmax));
    }
    /* coordinate ascent: each nonlinear layer's permutation given its neighbours' (a linear
     * block keeps its canonical order: no permutation is left in its group) */
    for (it = 1; it <= 100; it++) {
        int changed = 0;

        for (int l = 0; l < ca.L - 1; l++) {
            int h = ca.n[l + 1];

            if (o->act[l] == SYM_ACT_LINEAR)
                continue;
            SYM_TRY(match_layer(next, &ca, &cb, l > 0 ? perm[l - 1] : NULL,
                                l + 1 < ca.L - 1 ? perm[l + 1] : NULL, l));
            for (int k = 0; k < h; k++)
                if (next[k] != perm[l][k]) {
                    changed = 1;
                    perm[l][k] = next[k];
                }
        }
        if (!changed || ca.L <= 2)
            break;
    }
    for (int l = 0; l < cb.L - 1; l++)
        if (o->act[l] != SYM_ACT_LINEAR)
            SYM_TRY(permute_layer(&cb, l, perm[l]));
    /* a linear block's balanced form is fixed up to the sign of each singular pair (a
     * diagonal +-1 in its group): each sign chosen to agree with a */
    for (int l = 0; l < cb.L - 1; l++) {
        int l1, h = cb.n[l + 1], nin = cb.n[l];

        if (o->act[l] != SYM_ACT_LINEAR)
            continue;
        l1 = linear_block_end(o, l);
        for (int j = 0; j < h; j++) {
            double t = 0.0;

            for (int i = 0; i < nin; i++)
                t += ca.W[l][(size_t)j * nin + i] * cb.W[l][(size_t)j * nin + i];
            for (int i = 0; i < cb.n[l1 + 2]; i++)
                t += ca.W[l1 + 1][(size_t)i * h + j] * cb.W[l1 + 1][(size_t)i * h + j];
            if (t < 0.0) {
                for (int i = 0; i < nin; i++)
                    cb.W[l][(size_t)j * nin + i] = -cb.W[l][(size_t)j * nin + i];
                for (int i = 0; i < cb.n[l1 + 2]; i++)
                    cb.W[l1 + 1][(size_t)i * h + j] = -cb.W[l1 + 1][(size_t)i * h + j];
            }
        }
        l = l1;
    }
    memcpy(aligned, b, sizeof(double) * sym_model_n_params(m));
    chain_put(&cb, m, aligned);
    if (sweeps)
        *sweeps = it > 100 ? 100 : it;
cleanup:
    for (int l = 0; l < SYM_MAX_LAYERS; l++)
        free(perm[l]);
    free(next);
    chain_free(&ca);
    chain_free(&cb);
    return rc;
}
