#include "symsweep/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_opt_names[] = {"gd", "sgd", "adam"};
_Static_assert(sizeof sym_opt_names / sizeof *sym_opt_names == SYM_OPT_COUNT, "one name per optimizer");

const char *sym_opt_name(sym_opt_kind k)
{
    SYM_ASSERT(k >= 0 && k < SYM_OPT_COUNT);
    return sym_opt_names[k];
}

const char *const sym_sched_names[] = {"constant", "step", "cosine"};
_Static_assert(sizeof sym_sched_names / sizeof *sym_sched_names == SYM_SCHED_COUNT, "one name per schedule");

double sym_train_lr(const sym_train_opts *o, int e)
{
    double f = 1.0;

    if (e < o->warmup) /* k warm-up epochs below the full rate: 1/(k+1), ..., k/(k+1) */
        f = (double)(e + 1) / (double)(o->warmup + 1);
    switch (o->schedule) {
    case SYM_SCHED_STEP: /* e >= f E: the fraction's epoch and those after it are decayed */
        for (int i = 0; i < o->n_decay_at; i++)
            if ((double)e >= o->decay_at[i] * (double)o->epochs)
                f *= o->decay_factor;
        break;
    case SYM_SCHED_COSINE:
        f *= o->lr_final + (1.0 - o->lr_final) * 0.5 * (1.0 + cos(3.14159265358979323846 * (double)e / (double)o->epochs));
        break;
    default:
        break;
    }
    return o->lr * f;
}

int sym_opt_from_name(const char *name)
{
    for (int k = 0; k < SYM_OPT_COUNT; k++)
        if (strcmp(name, sym_opt_names[k]) == 0)
            return k;
    return -1;
}

int sym_opt_init(sym_opt *o, const sym_train_opts *t, size_t n)
{
    int rc = 0;

    memset(o, 0, sizeof(*o));
    o->kind = t->optimizer;
    o->lr = t->lr;
    o->momentum = t->momentum;
    o->beta1 = t->beta1;
    o->beta2 = t->beta2;
    o->eps = t->eps;
    o->beta1_t = o->beta2_t = 1.0;
    o->n = n;
    if (o->kind == SYM_OPT_SGD || o->kind == SYM_OPT_ADAM)
        SYM_TRY(sym_alloc_doubles(&o->m, n));
    if (o->kind == SYM_OPT_ADAM)
        SYM_TRY(sym_alloc_doubles(&o->v, n));
cleanup:
    if (rc)
        sym_opt_dispose(o);
    return rc;
}

void sym_opt_step(sym_opt *o, double *p, const double *g)
{
    size_t n = o->n;

    switch (o->kind) {
    case SYM_OPT_GD:
        for (size_t i = 0; i < n; i++)
            p[i] -= o->lr * g[i];
        break;
    case SYM_OPT_SGD: /* torch.optim.SGD: buf = momentum * buf + g */
        for (size_t i = 0; i < n; i++) {
            o->m[i] = o->momentum * o->m[i] + g[i];
            p[i] -= o->lr * o->m[i];
        }
        break;
    case SYM_OPT_ADAM: {
        /* torch.optim.Adam (no weight decay, no amsgrad):
         * theta -= lr * mhat / (sqrt(vhat) + eps), with
         * mhat = m / (1 - b1^t), vhat = v / (1 - b2^t) */
        double b1 = o->beta1, b2 = o->beta2, c1, c2;

        o->beta1_t *= b1;
        o->beta2_t *= b2;
        c1 = o->lr / (1.0 - o->beta1_t);
        c2 = 1.0 / sqrt(1.0 - o->beta2_t);
        sym_kernel_adam(n, p, g, o->m, o->v, b1, b2, c1, c2, o->eps);
        break;
    }
    default:
        SYM_ASSERT(0);
    }
}

int sym_prox_supported(const sym_reg *reg)
{
    return reg->kind == SYM_REG_NONE || reg->kind == SYM_REG_L1 || reg->kind == SYM_REG_FROBENIUS;
}

void sym_opt_prox(sym_opt *o, double *p, const double *lam, sym_reg_kind kind)
{
    /* adam's step size per coordinate: lr / (sqrt(vhat) + eps), vhat = v / (1 - b2^t) */
    double c2 = o->kind == SYM_OPT_ADAM ? 1.0 / sqrt(1.0 - o->beta2_t) : 0.0;

    if (kind != SYM_REG_L1 && kind != SYM_REG_FROBENIUS)
        return;
    for (size_t i = 0; i < o->n; i++) {
        double step = o->kind == SYM_OPT_ADAM ? o->lr / (sqrt(o->v[i]) * c2 + o->eps) : o->lr;
        double t = step * lam[i];

        if (lam[i] == 0.0)
            continue;
        if (kind == SYM_REG_L1) /* soft thresholding: exact zeros */
            p[i] = p[i] > t ? p[i] - t : p[i] < -t ? p[i] + t : 0.0;
        else /* argmin_w (w - p)^2 / 2 step + lam w^2 */
            p[i] /= 1.0 + 2.0 * t;
    }
}

void sym_opt_dispose(sym_opt *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}
