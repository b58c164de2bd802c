/* Synthetic data sets of the seed experiments. */
#include "symsweep/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_data_kind_names[] = {"teacher_linear", "subspace", "teacher_mlp", "hdf5", "idx",
                                              "planted_group", "prototypes"};
_Static_assert(sizeof sym_data_kind_names / sizeof *sym_data_kind_names == SYM_DATA_COUNT,
               "one name per data kind");

void sym_data_dispose(sym_data *d)
{
    if (d->Y != d->X)
        free(d->Y);
    free(d->X);
    if (d->Yt != d->Xt)
        free(d->Yt);
    free(d->Xt);
    memset(d, 0, sizeof(*d));
}

static void gaussian(double *x, size_t n, double scale, sym_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * sym_rng_normal(r);
}

/* X ~ N(0, I); T ~ N(0, 1/input) entries; Y = X T^T + noise */
static int teacher_linear(sym_data *d, const sym_data_opts *o, sym_rng *r)
{
    double *T = NULL;
    int rc = 0, n = o->samples;

    d->n = n;
    d->d_in = o->input;
    d->d_out = o->output;
    SYM_TRY(sym_alloc_doubles(&d->X, (size_t)n * d->d_in));
    SYM_TRY(sym_alloc_doubles(&d->Y, (size_t)n * d->d_out));
    SYM_TRY(sym_alloc_doubles(&T, (size_t)d->d_out * d->d_in));
    gaussian(T, (size_t)d->d_out * d->d_in, 1.0 / sqrt((double)d->d_in), r);
    gaussian(d->X, (size_t)n * d->d_in, 1.0, r);
    sym_gemm(0, 1, n, d->d_out, d->d_in, 1.0, d->X, T, 0.0, d->Y);
    for (size_t i = 0; i < (size_t)n * d->d_out; i++)
        d->Y[i] += o->noise * sym_rng_normal(r);
cleanup:
    free(T);
    return rc;
}

/* x = B z + noise e, B [dim x rank] orthonormal (Haar), z ~ N(0, I_rank); Y is X */
static int subspace(sym_data *d, const sym_data_opts *o, sym_rng *r)
{
    int rc = 0, n = o->samples, D = o->dim, k = o->rank;
    double *Q = NULL, *Z = NULL, *work = NULL;
    sym_group_opts go = SYM_GROUP_OPTS_INIT;

    if (k < 1 || k > D)
        SYM_FAIL(SYM_EINVAL, "subspace rank %d: must be between 1 and dim %d", k, D);
    d->n = n;
    d->d_in = d->d_out = D;
    SYM_TRY(sym_alloc_doubles(&d->X, (size_t)n * D));
    d->Y = d->X;
    SYM_TRY(sym_alloc_doubles(&Q, (size_t)D * D));
    SYM_TRY(sym_alloc_doubles(&Z, (size_t)n * k));
    SYM_TRY(sym_alloc_doubles(&work, sym_group_work_size(D)));
    SYM_TRY(sym_group_sample(Q, SYM_GROUP_ORTHOGONAL, D, &go, r, work));
    gaussian(Z, (size_t)n * k, 1.0, r);
    /* X [n x D] = Z [n x k] B^T, B = first k columns of Q */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++) {
            double s = 0.0;

            for (int c = 0; c < k; c++)
                s += Z[(size_t)i * k + c] * Q[(size_t)j * D + c];
            d->X[(size_t)i * D + j] = s + o->noise * sym_rng_normal(r);
        }
cleanup:
    free(Q);
    free(Z);
    free(work);
    return rc;
}

/* Y = a random teacher network's output at X ~ N(0, I), plus noise */
static int teacher_mlp(sym_data *d, const sym_data_opts *o, sym_rng *r)
{
    const sym_model_opts *t = &o->teacher;
    sym_model *teacher = NULL;
    sym_eval *ev = NULL;
    sym_reg none = SYM_REG_INIT;
    double *tp = NULL;
    int rc = 0, n = o->samples;

    SYM_TRY(sym_model_create(&teacher, t));
    d->n = n;
    d->d_in = t->widths[0];
    d->d_out = t->widths[t->n_layers];
    SYM_TRY(sym_alloc_doubles(&tp, sym_model_n_params(teacher)));
    sym_model_init_params(teacher, tp, r);
    if (t->bias) /* biases drawn too, so the teacher is not centred */
        for (int l = 0; l < t->n_layers; l++) {
            double *b = sym_model_bias(teacher, tp, l);

            gaussian(b, (size_t)t->widths[l + 1], 0.5, r);
        }
    SYM_TRY(sym_alloc_doubles(&d->X, (size_t)n * d->d_in));
    SYM_TRY(sym_alloc_doubles(&d->Y, (size_t)n * d->d_out));
    gaussian(d->X, (size_t)n * d->d_in, 1.0, r);
    SYM_TRY(sym_eval_create(&ev, teacher, &none, n));
    SYM_TRY(sym_eval_forward(ev, d->Y, tp, d->X, n));
    for (size_t i = 0; i < (size_t)n * d->d_out; i++)
        d->Y[i] += o->noise * sym_rng_normal(r);
cleanup:
    sym_eval_free(ev);
    sym_model_free(teacher);
    free(tp);
    return rc;
}

int sym_data_generate(sym_data *out, const sym_data_opts *o, sym_rng *r)
{
    sym_data d = {0};
    int rc = 0, n = o->samples;

    if (n < 1)
        SYM_FAIL(SYM_EINVAL, "data.samples is %d: must be >= 1", n);
    switch (o->kind) {
    case SYM_DATA_TEACHER_LINEAR: SYM_TRY(teacher_linear(&d, o, r)); break;
    case SYM_DATA_SUBSPACE: SYM_TRY(subspace(&d, o, r)); break;
    case SYM_DATA_TEACHER_MLP: SYM_TRY(teacher_mlp(&d, o, r)); break;
    default:
        SYM_FAIL(SYM_EINVAL, "data kind %d is not generated here (HDF5 and IDX data are read by the io module, "
                 "prototypes drawn by sym_proto_generate)",
                 (int)o->kind);
    }
    *out = d;
    memset(&d, 0, sizeof(d));
cleanup:
    sym_data_dispose(&d);
    return rc;
}

/*
 * Class ids to one-hot rows.  A label must be an integer in 0..classes-1 exactly: 2.0 is class 2,
 * 2.5 and -0.0001 are errors (no rounding: a label computed by arithmetic that missed is a bug
 * upstream the user wants to see).
 */
int sym_onehot(double **Y, int n, int classes, const char *what)
{
    double *oh = NULL;
    int rc = 0;

    if (classes < 1)
        SYM_FAIL(SYM_EINVAL, "%s: %d classes: expected at least 1", what, classes);
    for (int i = 0; i < n; i++) {
        double y = (*Y)[i];

        if (!(y == floor(y)))
            SYM_FAIL(SYM_EINVAL, "%s: row %d: expected an integer class id in 0..%d, found %.17g", what,
                     i, classes - 1, y);
        if (y < 0.0 || y > classes - 1)
            SYM_FAIL(SYM_EINVAL, "%s: row %d: class id %.17g is outside 0..%d (the model's %d outputs)",
                     what, i, y, classes - 1, classes);
    }
    SYM_TRY(sym_alloc_doubles(&oh, (size_t)n * classes));
    memset(oh, 0, sizeof(double) * (size_t)n * classes);
    for (int i = 0; i < n; i++)
        oh[(size_t)i * classes + (int)(*Y)[i]] = 1.0;
    free(*Y);
    *Y = oh;
    oh = NULL;
cleanup:
    free(oh);
    return rc;
}

int sym_data_onehot(sym_data *d, int classes, const char *what)
{
    int rc = 0;

    if (d->Y == d->X)
        SYM_FAIL(SYM_EINVAL, "%s: class labels needed, but the targets are the inputs (autoencoding data)",
                 what);
    if (d->d_out != 1)
        SYM_FAIL(SYM_EINVAL, "%s: expected one column of class ids, found %d columns", what, d->d_out);
    SYM_TRY(sym_onehot(&d->Y, d->n, classes, what));
    d->d_out = classes;
cleanup:
    return rc;
}
