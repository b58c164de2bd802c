/*
 * The loss along symmetry orbits.  For hidden layer h with width n and a
 * direction A_h in the Lie algebra of the layer's symmetry group, the group
 * element K_h(t) = exp(t A_h) acts by (W_h, b_h, W_{h+1}) -> (K W_h, K b_h,
 * W_{h+1} K^{-1}) (seed 001, Definition 3.4).  Actions on different hidden
 * layers commute (one multiplies W_{h+1} from the left, the other from the
 * right), so all layers move together along t.
 */
#include "symsweep/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *names[SYM_ALGEBRA_COUNT] = {"auto", "gl", "diagonal", "so"};

const char *sym_algebra_name(sym_algebra a)
{
    SYM_ASSERT(a >= 0 && a < SYM_ALGEBRA_COUNT);
    return names[a];
}

int sym_orbit_algebra(sym_algebra *out, const sym_model *m, sym_algebra a)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0, all_linear = 1, all_relu = 1;

    if (o->n_layers < 2)
        SYM_FAIL(SYM_EINVAL, "orbit probe: the model has no hidden layer to act on");
    if (o->tied)
        SYM_FAIL(SYM_EINVAL, "orbit probe: the layer action unties a tied autoencoder; use tied: false");
    for (int l = 0; l < o->n_layers - 1; l++) {
        all_linear &= o->act[l] == SYM_ACT_LINEAR;
        all_relu &= o->act[l] == SYM_ACT_RELU || o->act[l] == SYM_ACT_LEAKY_RELU;
    }
    if (a == SYM_ALGEBRA_AUTO) {
        if (all_linear)
            a = SYM_ALGEBRA_GL;
        else if (all_relu)
            a = SYM_ALGEBRA_DIAGONAL;
        else
            SYM_FAIL(SYM_EINVAL,
                     "orbit probe: hidden activations other than linear or relu have no continuous "
                     "symmetry to follow (their centralizer is discrete); set algebra explicitly "
                     "to probe a non-symmetry");
    }
    *out = a;
cleanup:
    return rc;
}

size_t sym_orbit_direction_size(const sym_model *m)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t n = 0;

    for (int h = 1; h < o->n_layers; h++)
        n += (size_t)o->widths[h] * o->widths[h];
    return n;
}

int sym_orbit_direction(double *A, const sym_model *m, sym_algebra alg, sym_rng *r)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0;

    if (alg == SYM_ALGEBRA_AUTO)
        SYM_FAIL(SYM_EINVAL, "orbit direction: resolve the algebra first (sym_orbit_algebra)");
    for (int h = 1; h < o->n_layers; h++) {
        int n = o->widths[h];
        double nrm = 0.0;

        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double g = sym_rng_normal(r);

                A[(size_t)i * n + j] = alg == SYM_ALGEBRA_DIAGONAL && i != j ? 0.0 : g;
            }
        if (alg == SYM_ALGEBRA_SO)
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) {
                    double v = i == j ? 0.0 : 0.5 * (A[(size_t)i * n + j] - A[(size_t)j * n + i]);

                    A[(size_t)i * n + j] = v;
                    A[(size_t)j * n + i] = -v;
                }
        for (int i = 0; i < n * n; i++)
            nrm += A[i] * A[i];
        nrm = sqrt(nrm);
        if (nrm > 0)
            for (int i = 0; i < n * n; i++)
                A[i] /= nrm;
        A += (size_t)n * n;
    }
cleanup:
    return rc;
}

int sym_orbit_loss(double *total, double *data, const sym_model *m, const sym_reg *reg,
                   const double *params, const sym_data *d, const double *A,
                   const sym_orbit_opts *o)
{
    const sym_model_opts *mo = sym_model_get_opts(m);
    size_t np = sym_model_n_params(m);
    int rc = 0, wmax = 0;
    double *th = NULL, *tmp = NULL, *K = NULL, *Ki = NULL, *mA = NULL, *work = NULL, *rw = NULL;
    int *ipiv = NULL;
    sym_eval *e = NULL;

    if (o->points < 2)
        SYM_FAIL(SYM_EINVAL, "orbit probe: %d points: need at least 2", o->points);
    for (int i = 0; i <= mo->n_layers; i++)
        wmax = mo->widths[i] > wmax ? mo->widths[i] : wmax;
    SYM_TRY(sym_alloc_doubles(&th, np));
    SYM_TRY(sym_alloc_doubles(&tmp, np));
    SYM_TRY(sym_alloc_doubles(&K, (size_t)wmax * wmax));
    SYM_TRY(sym_alloc_doubles(&Ki, (size_t)wmax * wmax));
    SYM_TRY(sym_alloc_doubles(&mA, (size_t)wmax * wmax));
    SYM_TRY(sym_alloc_doubles(&work, sym_expm_work_size(wmax)));
    SYM_TRY(sym_alloc_doubles(&rw, 2 * (size_t)wmax * wmax));
    SYM_TRY(sym_alloc(&ipiv, sizeof(int) * (size_t)wmax));
    SYM_TRY(sym_eval_create(&e, m, reg, d->n));
    for (int k = 0; k < o->points; k++) {
        double t = -o->t_max + 2.0 * o->t_max * k / (o->points - 1);
        const double *Ah = A;
        sym_loss_parts lp;

        memcpy(th, params, np * sizeof(double));
        for (int h = 0; h < mo->n_layers - 1; h++) {
            int n = mo->widths[h + 1];

            /* K = exp(t A_h), K^{-1} = exp(-t A_h): both exact to rounding */
            for (int i = 0; i < n * n; i++)
                mA[i] = t * Ah[i];
            SYM_TRY(sym_expm(K, mA, n, work, ipiv));
            for (int i = 0; i < n * n; i++)
                mA[i] = -t * Ah[i];
            SYM_TRY(sym_expm(Ki, mA, n, work, ipiv));
            SYM_TRY(sym_reparam_apply(tmp, m, th, h, K, Ki, rw));
            memcpy(th, tmp, np * sizeof(double));
            Ah += (size_t)n * n;
        }
        SYM_TRY(sym_eval_loss(e, &lp, NULL, th, d->X, d->Y, d->n));
        total[k] = lp.total;
        data[k] = lp.data;
    }
cleanup:
    sym_eval_free(e);
    free(th);
    free(tmp);
    free(K);
    free(Ki);
    free(mA);
    free(work);
    free(rw);
    free(ipiv);
    return rc;
}
