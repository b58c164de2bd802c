/*
 * Scores of a network on a data set beside its training: the objective on held-out samples and
 * the classification accuracy (issue 25), a block of samples at a time, with the memory of one
 * block made once, so that scoring at every curve point allocates nothing.
 */
#include "symsweep/nn.h"

#include <math.h>
#include <stdlib.h>

struct sym_scorer {
    sym_eval *e;
    int max_n, d_in, d_out, chunk;
    double *yhat; /* [chunk x d_out]: the outputs of one chunk of samples */
};

int sym_argmax(const double *x, int n)
{
    int best = 0;

    /* torch.argmax: the first of equal maxima; a NaN is the largest (the first NaN wins) */
    for (int i = 1; i < n; i++)
        if (!isnan(x[best]) && (x[i] > x[best] || isnan(x[i])))
            best = i;
    return best;
}

int sym_scorer_create(sym_scorer **out, const sym_model *m, const sym_reg *reg, int max_n)
{
    sym_scorer *s = NULL;
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0;

    if (max_n < 1)
        SYM_FAIL(SYM_EINVAL, "a scorer for %d samples: expected at least 1", max_n);
    SYM_TRY(sym_alloc(&s, sizeof(*s)));
    s->e = NULL;
    s->yhat = NULL;
    s->max_n = max_n;
    s->d_in = o->widths[0];
    s->d_out = o->widths[o->n_layers];
    s->chunk = max_n < SYM_EVAL_BLOCK ? max_n : SYM_EVAL_BLOCK;
    SYM_TRY(sym_eval_create(&s->e, m, reg, max_n));
    SYM_TRY(sym_alloc_doubles(&s->yhat, (size_t)s->chunk * s->d_out));
    *out = s;
    s = NULL;
cleanup:
    sym_scorer_free(s);
    return rc;
}

void sym_scorer_free(sym_scorer *s)
{
    if (!s)
        return;
    sym_eval_free(s->e);
    free(s->yhat);
    free(s);
}

int sym_scorer_loss(sym_scorer *s, sym_loss_parts *out, const double *params, const double *X,
                    const double *Y, int n)
{
    int rc = 0;

    if (n < 1 || n > s->max_n)
        SYM_FAIL(SYM_EINVAL, "scoring %d samples: the scorer holds 1..%d", n, s->max_n);
    /* the evaluator sums blocks beyond its one-pass size: its memory is one block's */
    SYM_TRY(sym_eval_loss(s->e, out, NULL, params, X, Y, n));
cleanup:
    return rc;
}

int sym_scorer_accuracy(sym_scorer *s, double *out, const double *params, const double *X,
                        const double *Y, int n)
{
    int rc = 0, din = s->d_in, q = s->d_out;
    long long right = 0;

    *out = NAN;
    if (n < 1 || n > s->max_n)
        SYM_FAIL(SYM_EINVAL, "scoring %d samples: the scorer holds 1..%d", n, s->max_n);
    for (int i0 = 0; i0 < n; i0 += s->chunk) {
        int nb = n - i0 < s->chunk ? n - i0 : s->chunk;

        SYM_TRY(sym_eval_forward(s->e, s->yhat, params, X + (size_t)i0 * din, nb));
        /* the predicted class against the one-hot target's class */
        for (int i = 0; i < nb; i++)
            right += sym_argmax(s->yhat + (size_t)i * q, q) ==
                     sym_argmax(Y + (size_t)(i0 + i) * q, q);
    }
    *out = (double)right / n;
cleanup:
    return rc;
}
