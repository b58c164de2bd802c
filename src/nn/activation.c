#include "symsweep/nn.h"

#include <math.h>
#include <string.h>

const char *const sym_act_names[] = {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "softplus"};
_Static_assert(sizeof sym_act_names / sizeof *sym_act_names == SYM_ACT_COUNT, "one name per activation");

const char *sym_act_name(sym_act a)
{
    SYM_ASSERT(a >= 0 && a < SYM_ACT_COUNT);
    return sym_act_names[a];
}

int sym_act_from_name(const char *name)
{
    for (int a = 0; a < SYM_ACT_COUNT; a++)
        if (strcmp(name, sym_act_names[a]) == 0)
            return a;
    return -1;
}

static double sigmoid(double z)
{
    /* stable for large |z| */
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

void sym_act_apply(sym_act act, double slope, const double *z, double *a, size_t n)
{
    switch (act) {
    case SYM_ACT_LINEAR:
        if (a != z)
            memcpy(a, z, n * sizeof(double));
        break;
    case SYM_ACT_RELU: /* vectorized, the same bits (src/core/vmath.c), as the derivatives below */
        sym_vrelu(z, a, n);
        break;
    case SYM_ACT_LEAKY_RELU:
        sym_vleaky_relu(z, slope, a, n);
        break;
    case SYM_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            a[i] = sigmoid(z[i]);
        break;
    case SYM_ACT_TANH:
        sym_vtanh(z, a, n); /* vectorized, bitwise the same on every CPU (src/core/vmath.c) */
        break;
    case SYM_ACT_SOFTPLUS:
        /* log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}) */
        for (size_t i = 0; i < n; i++)
            a[i] = (z[i] > 0.0 ? z[i] : 0.0) + log1p(exp(-fabs(z[i])));
        break;
    default:
        SYM_ASSERT(0);
    }
}

void sym_act_deriv(sym_act act, double slope, const double *z, const double *a, double *d,
                   size_t n)
{
    switch (act) {
    case SYM_ACT_LINEAR:
        for (size_t i = 0; i < n; i++)
            d[i] = 1.0;
        break;
    case SYM_ACT_RELU: /* z > 0 ? 1 : 0 */
        sym_vdact(SYM_VACT_STEP, 0.0, z, a, d, n);
        break;
    case SYM_ACT_LEAKY_RELU: /* z > 0 ? 1 : slope */
        sym_vdact(SYM_VACT_STEP, slope, z, a, d, n);
        break;
    case SYM_ACT_SIGMOID: /* a (1 - a) */
        sym_vdact(SYM_VACT_SIGMOID, 0.0, z, a, d, n);
        break;
    case SYM_ACT_TANH: /* 1 - a a */
        sym_vdact(SYM_VACT_TANH, 0.0, z, a, d, n);
        break;
    case SYM_ACT_SOFTPLUS:
        for (size_t i = 0; i < n; i++)
            d[i] = sigmoid(z[i]);
        break;
    default:
        SYM_ASSERT(0);
    }
}

void sym_act_deriv2(sym_act act, double slope, const double *z, const double *a, double *d,
                    size_t n)
{
    (void)slope;
    switch (act) {
    case SYM_ACT_LINEAR:
    case SYM_ACT_RELU:
    case SYM_ACT_LEAKY_RELU:
        /* piecewise linear: zero away from the kink */
        memset(d, 0, n * sizeof(double));
        break;
    case SYM_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            d[i] = a[i] * (1.0 - a[i]) * (1.0 - 2.0 * a[i]);
        break;
    case SYM_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            d[i] = -2.0 * a[i] * (1.0 - a[i] * a[i]);
        break;
    case SYM_ACT_SOFTPLUS:
        for (size_t i = 0; i < n; i++) {
            double s = sigmoid(z[i]);
            d[i] = s * (1.0 - s);
        }
        break;
    default:
        SYM_ASSERT(0);
    }
}
