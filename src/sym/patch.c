/*
 * Transforms of h x w patches (seed 003's patch experiments, Figs. 3-5): a quarter turn, a
 * rotation by an angle (bilinear), a cyclic shift, a box average and a median filter of a
 * radius, and compositions of up to SYM_PATCH_MAX_STEPS of them applied in order (the paper
 * pools, then rotates).  The linear ones are matrices on the row-major pixels; the median is
 * not linear and is applied pixel by pixel.  The data's pairs (x, T x), the planted group and
 * the learned_group probe's reference all read a sym_patch_spec through this file.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_patch_transform_names[SYM_PATCH_COUNT] = {"rot90", "rotate", "shift", "box", "median"};
_Static_assert(sizeof sym_patch_transform_names / sizeof *sym_patch_transform_names == SYM_PATCH_COUNT,
               "one name per patch transform");

/* bilinear weights of the point (y, x) on an h x w grid into row `row` of T (zero outside) */
static void bilinear(double *T, int row, int h, int w, double y, double x)
{
    int y0 = (int)floor(y), x0 = (int)floor(x);
    double fy = y - y0, fx = x - x0;

    for (int a = 0; a < 2; a++)
        for (int c = 0; c < 2; c++) {
            int yy = y0 + a, xx = x0 + c;
            double wgt = (a ? fy : 1.0 - fy) * (c ? fx : 1.0 - fx);

            if (yy >= 0 && yy < h && xx >= 0 && xx < w && wgt != 0.0)
                T[(size_t)row * h * w + (size_t)yy * w + xx] += wgt;
        }
}

int sym_patch_transform(double *T, int h, int w, sym_patch_kind kind, double a, double b)
{
    int d = h * w, rc = 0;

    if (h < 1 || w < 1)
        SYM_FAIL(SYM_EINVAL, "patch transform: a %d x %d patch", h, w);
    memset(T, 0, sizeof(double) * (size_t)d * d);
    switch (kind) {
    case SYM_PATCH_ROT90: /* y(i, j) = x(j, h - 1 - i): a quarter turn, a permutation */
        if (h != w)
            SYM_FAIL(SYM_EINVAL, "rot90 needs a square patch, found %d x %d", h, w);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                T[(size_t)(i * w + j) * d + (size_t)j * w + (h - 1 - i)] = 1.0;
        break;
    case SYM_PATCH_ROTATE: { /* y(p) = x(R^-1 p) about the centre, bilinear, zero outside */
        double cy = 0.5 * (h - 1), cx = 0.5 * (w - 1), c = cos(a * M_PI / 180.0), s = sin(a * M_PI / 180.0);

        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                double dy = i - cy, dx = j - cx;
                /* the inverse rotation of the quarter-turn convention above at a = 90 */
                double sy = cy + c * dy + s * dx, sx = cx - s * dy + c * dx;

                bilinear(T, i * w + j, h, w, sy, sx);
            }
        break;
    }
    case SYM_PATCH_SHIFT: /* y(i, j) = x(i - a, j - b) on the torus */
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                int si = (((i - (int)a) % h) + h) % h, sj = (((j - (int)b) % w) + w) % w;

                T[(size_t)(i * w + j) * d + (size_t)si * w + sj] = 1.0;
            }
        break;
    case SYM_PATCH_BOX: { /* y(i, j) = mean of x over the pixels within radius a (square) */
        int r = (int)a;

        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                int n = 0;

                for (int y = i - r; y <= i + r; y++)
                    for (int x = j - r; x <= j + r; x++)
                        n += y >= 0 && y < h && x >= 0 && x < w;
                for (int y = i - r; y <= i + r; y++)
                    for (int x = j - r; x <= j + r; x++)
                        if (y >= 0 && y < h && x >= 0 && x < w)
                            T[(size_t)(i * w + j) * d + (size_t)y * w + x] = 1.0 / n;
            }
        break;
    }
    case SYM_PATCH_MEDIAN:
        SYM_FAIL(SYM_EINVAL, "patch transform median: not linear, so not a matrix");
    default:
        SYM_FAIL(SYM_EINVAL, "patch transform: unknown kind %d", (int)kind);
    }
cleanup:
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* y(i, j) = median of x over the pixels within (square) radius r inside the patch (an even
 * count: the mean of the middle two); buf holds (2r + 1)^2 values */
static void median(double *y, const double *x, int h, int w, int r, double *buf)
{
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            int n = 0;

            for (int a = i - r; a <= i + r; a++)
                for (int c = j - r; c <= j + r; c++)
                    if (a >= 0 && a < h && c >= 0 && c < w)
                        buf[n++] = x[a * w + c];
            qsort(buf, (size_t)n, sizeof(double), cmp_double);
            y[i * w + j] = n % 2 ? buf[n / 2] : 0.5 * (buf[n / 2 - 1] + buf[n / 2]);
        }
}

static int check_spec(const sym_patch_spec *s, int h, int w)
{
    int rc = 0;

    if (s->n < 1 || s->n > SYM_PATCH_MAX_STEPS)
        SYM_FAIL(SYM_EINVAL, "patch transforms: %d steps, expected 1 to %d", s->n, SYM_PATCH_MAX_STEPS);
    for (int k = 0; k < s->n; k++) {
        if ((int)s->kind[k] < 0 || s->kind[k] >= SYM_PATCH_COUNT)
            SYM_FAIL(SYM_EINVAL, "patch transforms: step %d has unknown kind %d", k, (int)s->kind[k]);
        if (s->kind[k] == SYM_PATCH_ROT90 && h != w)
            SYM_FAIL(SYM_EINVAL, "rot90 needs a square patch, found %d x %d", h, w);
        if ((s->kind[k] == SYM_PATCH_BOX || s->kind[k] == SYM_PATCH_MEDIAN) && s->a[k] < 0)
            SYM_FAIL(SYM_EINVAL, "%s: radius %g, expected >= 0", sym_patch_transform_names[s->kind[k]], s->a[k]);
    }
cleanup:
    return rc;
}

int sym_patch_spec_linear(const sym_patch_spec *s)
{
    for (int k = 0; k < s->n; k++)
        if (s->kind[k] == SYM_PATCH_MEDIAN)
            return 0;
    return 1;
}

int sym_patch_spec_matrix(double *T, const sym_patch_spec *s, int h, int w)
{
    double *S = NULL, *W = NULL;
    int rc = 0, d = h * w;

    SYM_TRY(check_spec(s, h, w));
    if (!sym_patch_spec_linear(s))
        SYM_FAIL(SYM_EINVAL, "patch transforms: median is not linear, so the composition is not a matrix");
    SYM_TRY(sym_patch_transform(T, h, w, s->kind[0], s->a[0], s->b[0]));
    if (s->n > 1) {
        SYM_TRY(sym_alloc_doubles(&S, (size_t)d * d));
        SYM_TRY(sym_alloc_doubles(&W, (size_t)d * d));
    }
    for (int k = 1; k < s->n; k++) { /* T <- T_k T: step k after the ones before */
        SYM_TRY(sym_patch_transform(S, h, w, s->kind[k], s->a[k], s->b[k]));
        sym_gemm(0, 0, d, d, d, 1.0, S, T, 0.0, W);
        memcpy(T, W, sizeof(double) * (size_t)d * d);
    }
cleanup:
    free(S);
    free(W);
    return rc;
}

int sym_patch_spec_apply(double *Y, const double *X, int n, const sym_patch_spec *s, int h, int w)
{
    double *T = NULL, *Z = NULL, *buf = NULL;
    int rc = 0, d = h * w;

    SYM_TRY(check_spec(s, h, w));
    SYM_TRY(sym_alloc_doubles(&T, (size_t)d * d));
    SYM_TRY(sym_alloc_doubles(&Z, (size_t)n * d));
    if (Y != X)
        memcpy(Y, X, sizeof(double) * (size_t)n * d);
    for (int k = 0; k < s->n; k++) {
        if (s->kind[k] == SYM_PATCH_MEDIAN) {
            int r = (int)s->a[k];

            free(buf);
            buf = NULL;
            SYM_TRY(sym_alloc_doubles(&buf, (size_t)(2 * r + 1) * (2 * r + 1)));
            for (int i = 0; i < n; i++)
                median(Z + (size_t)i * d, Y + (size_t)i * d, h, w, r, buf);
        } else { /* rows: Z [n x d] = Y [n x d] T^T */
            SYM_TRY(sym_patch_transform(T, h, w, s->kind[k], s->a[k], s->b[k]));
            sym_gemm(0, 1, n, d, d, 1.0, Y, T, 0.0, Z);
        }
        memcpy(Y, Z, sizeof(double) * (size_t)n * d);
    }
cleanup:
    free(T);
    free(Z);
    free(buf);
    return rc;
}

void sym_patch_spec_text(char *buf, size_t cap, const sym_patch_spec *s)
{
    size_t used = 0;

    if (cap == 0)
        return;
    buf[0] = 0;
    for (int k = 0; k < s->n && used < cap; k++) {
        const char *name = (int)s->kind[k] >= 0 && s->kind[k] < SYM_PATCH_COUNT ? sym_patch_transform_names[s->kind[k]] : "?";
        int m;

        if (s->kind[k] == SYM_PATCH_ROT90)
            m = snprintf(buf + used, cap - used, "%s%s", k ? ", " : "", name);
        else if (s->kind[k] == SYM_PATCH_SHIFT)
            m = snprintf(buf + used, cap - used, "%s%s %g %g", k ? ", " : "", name, s->a[k], s->b[k]);
        else
            m = snprintf(buf + used, cap - used, "%s%s %g", k ? ", " : "", name, s->a[k]);
        if (m < 0)
            return;
        used += (size_t)m;
    }
}
