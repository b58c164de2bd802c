/*
 * Conserved quantities of gradient flow: the symmetry of hidden layer h
 * conserves Q_h (Noether; Kunin et al. 2021): for a linear layer the matrix
 * W_{h+1}^T W_{h+1} - W_h W_h^T - b_h b_h^T, for relu and leaky_relu per
 * neuron ||incoming||^2 + b^2 - ||outgoing||^2.  The probe follows Q_h over
 * the curve points: gradient descent keeps it up to O(lr) per step.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sym_conserved_kind(const sym_model *m, int h)
{
    const sym_model_opts *o = sym_model_get_opts(m);

    SYM_ASSERT(h >= 0 && h + 1 < o->n_layers);
    if (o->act[h] == SYM_ACT_LINEAR)
        return SYM_ALGEBRA_GL;
    if (o->act[h] == SYM_ACT_RELU || o->act[h] == SYM_ACT_LEAKY_RELU)
        return SYM_ALGEBRA_DIAGONAL;
    return SYM_SYMMETRY_NONE;
}

size_t sym_conserved_size(const sym_model *m, int h)
{
    int n = sym_model_get_opts(m)->widths[h + 1], k = sym_conserved_kind(m, h);

    return k == SYM_ALGEBRA_GL ? (size_t)n * n : k == SYM_ALGEBRA_DIAGONAL ? (size_t)n : 0;
}

int sym_conserved_measure(double *q, const sym_model *m, const double *params, int h)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int n = o->widths[h + 1], ni = o->widths[h], no = o->widths[h + 2], k = sym_conserved_kind(m, h);
    int rc = 0;
    double *Win = NULL, *Wout = NULL;
    const double *b = sym_model_bias(m, (double *)params, h);

    if (k == SYM_SYMMETRY_NONE)
        return 0;
    SYM_TRY(sym_alloc_doubles(&Win, (size_t)n * ni));
    SYM_TRY(sym_alloc_doubles(&Wout, (size_t)no * n));
    sym_model_get_weight(m, params, h, Win);      /* [n x ni] */
    sym_model_get_weight(m, params, h + 1, Wout); /* [no x n] */
    if (k == SYM_ALGEBRA_GL) {
        /* W_{h+1}^T W_{h+1} - W_h W_h^T - b_h b_h^T */
        sym_gemm(1, 0, n, n, no, 1.0, Wout, Wout, 0.0, q);
        sym_gemm(0, 1, n, n, ni, -1.0, Win, Win, 1.0, q);
        if (b)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    q[(size_t)i * n + j] -= b[i] * b[j];
    } else {
        /* per neuron: ||incoming||^2 (weights and bias) - ||outgoing||^2 */
        for (int i = 0; i < n; i++) {
            double in = b ? b[i] * b[i] : 0.0, out = 0.0;

            for (int j = 0; j < ni; j++)
                in += Win[(size_t)i * ni + j] * Win[(size_t)i * ni + j];
            for (int j = 0; j < no; j++)
                out += Wout[(size_t)j * n + i] * Wout[(size_t)j * n + i];
            q[i] = in - out;
        }
    }
cleanup:
    free(Win);
    free(Wout);
    return rc;
}
