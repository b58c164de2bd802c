/* Weight penalties R(W) and their gradients. */
#include "symsweep/nn.h"

#include <math.h>
#include <string.h>

const char *const sym_reg_names[] = {"none", "frobenius", "l1", "lp", "schatten", "jacobian"};
_Static_assert(sizeof sym_reg_names / sizeof *sym_reg_names == SYM_REG_COUNT, "one name per regularizer");
const char *const sym_norm_names[] = {"frobenius", "lp"};
_Static_assert(sizeof sym_norm_names / sizeof *sym_norm_names == SYM_NORM_COUNT, "one name per norm");

const char *sym_reg_name(sym_reg_kind k)
{
    SYM_ASSERT(k >= 0 && k < SYM_REG_COUNT);
    return sym_reg_names[k];
}

int sym_reg_from_name(const char *name)
{
    for (int k = 0; k < SYM_REG_COUNT; k++)
        if (strcmp(name, sym_reg_names[k]) == 0)
            return k;
    return -1;
}

size_t sym_reg_matrix_work_size(const sym_reg *reg, int rows, int cols)
{
    int k = rows < cols ? rows : cols;

    if (reg->kind != SYM_REG_SCHATTEN)
        return 0;
    /* s, U, Vt, scaled U, SVD workspace */
    return (size_t)k + 2 * (size_t)rows * k + (size_t)k * cols + sym_svd_work_size(rows, cols);
}

/* entry-wise l_p norm of x and, if g, g += scale * d||x||_p/dx */
static double lp_norm_grad(double *g, double scale, const double *x, size_t n, double p)
{
    double s = 0.0, nrm;

    if (p == 1.0) {
        for (size_t i = 0; i < n; i++)
            s += fabs(x[i]);
        if (g)
            for (size_t i = 0; i < n; i++)
                g[i] += scale * (x[i] > 0.0 ? 1.0 : x[i] < 0.0 ? -1.0 : 0.0);
        return s;
    }
    for (size_t i = 0; i < n; i++)
        s += pow(fabs(x[i]), p);
    nrm = pow(s, 1.0 / p);
    if (g && nrm > 0.0) {
        /* d/dx_i (sum |x|^p)^{1/p} = sign(x_i) |x_i|^{p-1} / ||x||_p^{p-1} */
        double c = scale / pow(nrm, p - 1.0);

        for (size_t i = 0; i < n; i++)
            g[i] += c * copysign(pow(fabs(x[i]), p - 1.0), x[i]);
    }
    return nrm;
}

int sym_reg_matrix(double *value, double *g, double scale, const sym_reg *reg, const double *W,
                   int rows, int cols, double *work)
{
    size_t n = (size_t)rows * cols;
    double v = 0.0;
    int rc = 0;

    switch (reg->kind) {
    case SYM_REG_NONE:
    case SYM_REG_JACOBIAN: /* evaluated per sample by sym_eval */
        break;
    case SYM_REG_FROBENIUS:
        for (size_t i = 0; i < n; i++)
            v += W[i] * W[i];
        if (g)
            for (size_t i = 0; i < n; i++)
                g[i] += 2.0 * scale * W[i];
        break;
    case SYM_REG_L1:
        v = lp_norm_grad(g, scale, W, n, 1.0);
        break;
    case SYM_REG_LP:
        v = lp_norm_grad(g, scale, W, n, reg->p);
        break;
    case SYM_REG_SCHATTEN: {
        /* ||W||_{S_p} = ||s||_p; dR/dW = U diag(d||s||_p/ds) V^T */
        int k = rows < cols ? rows : cols;
        double *s = work, *U = s + k, *Vt = U + (size_t)rows * k, *US = Vt + (size_t)k * cols,
               *sw = US + (size_t)rows * k;
        double *ds = NULL;

        SYM_TRY(sym_svd(s, g ? U : NULL, g ? Vt : NULL, W, rows, cols, sw));
        if (isinf(reg->p)) {
            v = s[0];
        } else {
            v = lp_norm_grad(NULL, 0.0, s, (size_t)k, reg->p);
        }
        if (!g)
            break;
        ds = sw; /* reuse SVD workspace: k doubles */
        memset(ds, 0, (size_t)k * sizeof(double));
        if (isinf(reg->p))
            ds[0] = 1.0; /* subgradient u1 v1^T (unique when s1 > s2) */
        else
            lp_norm_grad(ds, 1.0, s, (size_t)k, reg->p);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < k; j++)
                US[(size_t)i * k + j] = U[(size_t)i * k + j] * ds[j];
        sym_gemm(0, 0, rows, cols, k, scale, US, Vt, 1.0, g);
        break;
    }
    default:
        SYM_FAIL(SYM_EINVAL, "unknown regularizer kind %d", (int)reg->kind);
    }
    *value = v;
cleanup:
    return rc;
}
