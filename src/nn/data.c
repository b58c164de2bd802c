/* Synthetic data sets of the seed experiments. */
#include "symsweep/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_data_kind_names[] = {"teacher_linear", "subspace", "teacher_mlp", "hdf5"};
_Static_assert(sizeof sym_data_kind_names / sizeof *sym_data_kind_names == SYM_DATA_COUNT,
               "one name per data kind");

void sym_data_dispose(sym_data *d)
{
    if (d->Y != d->X)
        free(d->Y);
    free(d->X);
    memset(d, 0, sizeof(*d));
}

static void gaussian(double *x, size_t n, double scale, sym_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * sym_rng_normal(r);
}

int sym_data_generate(sym_data *out, const sym_data_opts *o, sym_rng *r)
{
    sym_data d = {0};
    sym_model *teacher = NULL;
    sym_eval *ev = NULL;
    double *T = NULL, *tp = NULL;
    int rc = 0, n = o->samples;

    if (n < 1)
        SYM_FAIL(SYM_EINVAL, "data.samples is %d: must be >= 1", n);
    switch (o->kind) {
    case SYM_DATA_TEACHER_LINEAR: {
        /* X ~ N(0, I); T ~ N(0, 1/input) entries; Y = X T^T + noise */
        d.n = n;
        d.d_in = o->input;
        d.d_out = o->output;
        SYM_TRY(sym_alloc_doubles(&d.X, (size_t)n * d.d_in));
        SYM_TRY(sym_alloc_doubles(&d.Y, (size_t)n * d.d_out));
        SYM_TRY(sym_alloc_doubles(&T, (size_t)d.d_out * d.d_in));
        gaussian(T, (size_t)d.d_out * d.d_in, 1.0 / sqrt((double)d.d_in), r);
        gaussian(d.X, (size_t)n * d.d_in, 1.0, r);
        sym_gemm(0, 1, n, d.d_out, d.d_in, 1.0, d.X, T, 0.0, d.Y);
        for (size_t i = 0; i < (size_t)n * d.d_out; i++)
            d.Y[i] += o->noise * sym_rng_normal(r);
        break;
    }
    case SYM_DATA_SUBSPACE: {
        /* x = B z + noise e, B [dim x rank] orthonormal (Haar), z ~ N(0, I_rank) */
        int D = o->dim, k = o->rank;
        double *Q = NULL, *Z = NULL, *work = NULL;

        if (k < 1 || k > D)
            SYM_FAIL(SYM_EINVAL, "subspace rank %d: must be between 1 and dim %d", k, D);
        d.n = n;
        d.d_in = d.d_out = D;
        SYM_TRY(sym_alloc_doubles(&d.X, (size_t)n * D));
        d.Y = d.X;
        rc = sym_alloc_doubles(&Q, (size_t)D * D);
        if (!rc)
            rc = sym_alloc_doubles(&Z, (size_t)n * k);
        if (!rc)
            rc = sym_alloc_doubles(&work, sym_group_work_size(D));
        if (!rc) {
            sym_group_opts go = SYM_GROUP_OPTS_INIT;

            rc = sym_group_sample(Q, SYM_GROUP_ORTHOGONAL, D, &go, r, work);
        }
        if (!rc) {
            gaussian(Z, (size_t)n * k, 1.0, r);
            /* X [n x D] = Z [n x k] B^T, B = first k columns of Q */
            for (int i = 0; i < n; i++)
                for (int j = 0; j < D; j++) {
                    double s = 0.0;

                    for (int c = 0; c < k; c++)
                        s += Z[(size_t)i * k + c] * Q[(size_t)j * D + c];
                    d.X[(size_t)i * D + j] = s + o->noise * sym_rng_normal(r);
                }
        }
        free(Q);
        free(Z);
        free(work);
        if (rc) {
            sym_err_frame(__FILE__, __LINE__, "subspace data");
            goto cleanup;
        }
        break;
    }
    case SYM_DATA_TEACHER_MLP: {
        const sym_model_opts *t = &o->teacher;

        SYM_TRY(sym_model_create(&teacher, t));
        d.n = n;
        d.d_in = t->widths[0];
        d.d_out = t->widths[t->n_layers];
        SYM_TRY(sym_alloc_doubles(&tp, sym_model_n_params(teacher)));
        sym_model_init_params(teacher, tp, r);
        if (t->bias) /* biases drawn too, so the teacher is not centred */
            for (int l = 0; l < t->n_layers; l++) {
                double *b = sym_model_bias(teacher, tp, l);

                gaussian(b, (size_t)t->widths[l + 1], 0.5, r);
            }
        SYM_TRY(sym_alloc_doubles(&d.X, (size_t)n * d.d_in));
        SYM_TRY(sym_alloc_doubles(&d.Y, (size_t)n * d.d_out));
        gaussian(d.X, (size_t)n * d.d_in, 1.0, r);
        {
            sym_reg none = SYM_REG_INIT;

            SYM_TRY(sym_eval_create(&ev, teacher, &none, n));
            SYM_TRY(sym_eval_forward(ev, d.Y, tp, d.X, n));
        }
        for (size_t i = 0; i < (size_t)n * d.d_out; i++)
            d.Y[i] += o->noise * sym_rng_normal(r);
        break;
    }
    default:
        SYM_FAIL(SYM_EINVAL, "data kind %d is not generated here (HDF5 data is read by the io module)",
                 (int)o->kind);
    }
    *out = d;
    memset(&d, 0, sizeof(d));
cleanup:
    sym_data_dispose(&d);
    sym_eval_free(ev);
    sym_model_free(teacher);
    free(T);
    free(tp);
    return rc;
}
