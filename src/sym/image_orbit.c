/*
 * Orbits and stabilizers of features under groups acting on the image plane (seed 004, Paul
 * and Venkatasubramanian): a feature (a first-layer unit's incoming weights, a decoder
 * column) viewed as an image f on an h x w grid.
 *
 * Finite groups act by permuting pixels: D4 (the square's rotations and reflections about
 * the grid's centre), the cyclic translations of the torus, and their product (every
 * translation after every element of D4: 8 h w elements on a square grid).  g fixes f when
 * ||g f - f|| <= tol ||f||; the orbit is the set of distinct images g f (two images within
 * tol ||f|| are one).  With exact symmetries |orbit| |stabilizer| = |G|.  The distances that
 * decided are kept: the largest counted in the stabilizer and the smallest left out.
 *
 * Lie groups act by flows of vector fields v on the plane (coordinates centred on the grid,
 * scaled so that the grid spans [-1, 1] along its longer side): so(2) (the rotation
 * (-y, x)), gl(2) (x d/dx, y d/dx, x d/dy, y d/dy) and aff(2) (gl(2) and the translations
 * d/dx, d/dy).  f is infinitesimally invariant under sum_j c_j v_j when grad f . v = 0 at
 * every pixel: the stabilizer's algebra is the null space of M [pixels x k],
 * M[p, j] = grad f(p) . v_j(p), from central differences at the interior pixels.  Column j
 * is divided by its Cauchy-Schwarz bound sqrt(sum_p |grad f(p)|^2 |v_j(p)|^2), so that an
 * entry of 1 means v_j along the gradient everywhere and 0 invariance (units and the
 * feature's scale drop out); singular values at or below tol count toward the stabilizer's
 * dimension, and the orbit's dimension is k minus it.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_img_finite_names[SYM_IMG_FINITE_COUNT] = {"d4", "translations", "d4_translations"};
const char *const sym_img_lie_names[SYM_IMG_LIE_COUNT] = {"so2", "gl2", "aff2"};

int sym_img_finite_order(sym_img_finite g, int h, int w)
{
    switch (g) {
    case SYM_IMG_D4: return h == w ? 8 : 4; /* a rectangle keeps only the half turn and the two flips */
    case SYM_IMG_TRANSLATIONS: return h * w;
    case SYM_IMG_D4_TRANSLATIONS: return (h == w ? 8 : 4) * h * w;
    default: return 0;
    }
}

/* where element k of D4 sends pixel (i, j): on a square the rotations r^k (k < 4) then the
 * reflections r^(k-4) s (s: j -> w - 1 - j); on a rectangle the identity, half turn and flips */
static void d4_map(int *oi, int *oj, int k, int i, int j, int h, int w)
{
    if (h != w) {
        *oi = (k & 1) ? h - 1 - i : i;
        *oj = (k & 2) ? w - 1 - j : j;
        return;
    }
    if (k >= 4) { /* reflect first */
        j = w - 1 - j;
        k -= 4;
    }
    for (int t = 0; t < k; t++) { /* a quarter turn: (i, j) -> (j, h - 1 - i) */
        int ni = j, nj = h - 1 - i;

        i = ni;
        j = nj;
    }
    *oi = i;
    *oj = j;
}

int sym_img_finite_apply(double *out, const double *f, int h, int w, sym_img_finite grp, int g)
{
    int nd = h == w ? 8 : 4, k = 0, s = g;

    if (g < 0 || g >= sym_img_finite_order(grp, h, w))
        return SYM_EINVAL;
    if (grp == SYM_IMG_D4) {
        k = g;
        s = 0;
    } else if (grp == SYM_IMG_D4_TRANSLATIONS) {
        k = g % nd;
        s = g / nd;
    }
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            int a, b;

            d4_map(&a, &b, k, i, j, h, w);
            a = (a + s / w) % h; /* then the translation by (s / w, s % w) */
            b = (b + s % w) % w;
            out[a * w + b] = f[i * w + j];
        }
    return 0;
}

static double dist(const double *a, const double *b, int n)
{
    double s = 0.0;

    for (int i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

int sym_img_finite_measure(sym_img_finite_stats *o, const double *f, int h, int w,
                           sym_img_finite grp, double tol)
{
    int n = h * w, G = sym_img_finite_order(grp, h, w), rc = 0;
    double *img = NULL, nf = 0.0;

    if (G < 1)
        SYM_FAIL(SYM_EINVAL, "finite group %d on a %d x %d grid: unknown", (int)grp, h, w);
    memset(o, 0, sizeof(*o));
    o->order = G;
    o->counted_max = 0.0;
    o->uncounted_min = INFINITY;
    for (int i = 0; i < n; i++)
        nf += f[i] * f[i];
    nf = sqrt(nf);
    SYM_TRY(sym_alloc_doubles(&img, (size_t)G * n));
    for (int g = 0; g < G; g++) {
        double *gi = img + (size_t)o->orbit * n, dself;
        int seen = 0;

        sym_img_finite_apply(gi, f, h, w, grp, g);
        dself = nf > 0.0 ? dist(gi, f, n) / nf : 0.0;
        if (dself <= tol) {
            o->stabilizer++;
            o->counted_max = fmax(o->counted_max, dself);
        } else {
            o->uncounted_min = fmin(o->uncounted_min, dself);
        }
        for (int k = 0; k < o->orbit && !seen; k++)
            seen = (nf > 0.0 ? dist(gi, img + (size_t)k * n, n) / nf : 0.0) <= tol;
        if (!seen)
            o->orbit++;
    }
cleanup:
    free(img);
    return rc;
}

int sym_img_lie_dim(sym_img_lie g) { return g == SYM_IMG_SO2 ? 1 : g == SYM_IMG_GL2 ? 4 : g == SYM_IMG_AFF2 ? 6 : 0; }

int sym_img_lie_measure(sym_img_lie_stats *o, const double *f, int h, int w, sym_img_lie grp, double tol)
{
    int k = sym_img_lie_dim(grp), rows = (h - 2) * (w - 2), r = 0, rc = 0;
    double *M = NULL, *work = NULL, bound[6] = {0}, scale = 2.0 / ((h > w ? h : w) - 1), cy = 0.5 * (h - 1), cx = 0.5 * (w - 1);

    if (k < 1)
        SYM_FAIL(SYM_EINVAL, "Lie group %d: unknown", (int)grp);
    if (h < 3 || w < 3)
        SYM_FAIL(SYM_EINVAL, "a %d x %d grid: the gradient needs at least 3 x 3", h, w);
    memset(o, 0, sizeof(*o));
    o->dim = k;
    SYM_TRY(sym_alloc_doubles(&M, (size_t)rows * k));
    SYM_TRY(sym_alloc_doubles(&work, sym_svd_work_size(rows, k)));
    for (int i = 1; i + 1 < h; i++)
        for (int j = 1; j + 1 < w; j++, r++) {
            /* x along columns, y along rows, in the scaled coordinates */
            double fx = (f[i * w + j + 1] - f[i * w + j - 1]) / (2.0 * scale);
            double fy = (f[(i + 1) * w + j] - f[(i - 1) * w + j]) / (2.0 * scale);
            double x = (j - cx) * scale, y = (i - cy) * scale, *row = M + (size_t)r * k;

            double g2 = fx * fx + fy * fy;

            if (grp == SYM_IMG_SO2) {
                row[0] = -y * fx + x * fy;
                bound[0] += g2 * (x * x + y * y);
            } else {
                bound[0] += g2 * x * x;
                bound[1] += g2 * y * y;
                bound[2] += g2 * x * x;
                bound[3] += g2 * y * y;
                bound[4] += g2;
                bound[5] += g2;
                row[0] = x * fx; /* x d/dx */
                row[1] = y * fx; /* y d/dx */
                row[2] = x * fy; /* x d/dy */
                row[3] = y * fy; /* y d/dy */
                if (grp == SYM_IMG_AFF2) {
                    row[4] = fx;
                    row[5] = fy;
                }
            }
        }
    for (int j = 0; j < k; j++) /* column j over its Cauchy-Schwarz bound */
        for (int p = 0; p < rows && bound[j] > 0.0; p++)
            M[(size_t)p * k + j] /= sqrt(bound[j]);
    SYM_TRY(sym_svd(o->sv, NULL, NULL, M, rows, k, work));
    for (int j = 0; j < k; j++)
        o->stabilizer += o->sv[j] <= tol;
    o->orbit = k - o->stabilizer;
    /* smallest kept over largest counted singular value (inf when nothing is counted or the
     * counted ones are exactly 0, NaN when everything is counted) */
    o->gap = o->stabilizer == 0 ? INFINITY
             : o->orbit == 0    ? NAN
             : o->sv[o->orbit] == 0.0 ? INFINITY
                                      : o->sv[o->orbit - 1] / o->sv[o->orbit];
cleanup:
    free(M);
    free(work);
    return rc;
}
