/*
 * Prototypes with known stabilizers (seed 004's data, Paul and Venkatasubramanian): images on
 * an h x w grid whose orbits under D4, the cyclic translations and their product are known in
 * closed form, and the data set of prototypes moved by random group elements plus noise.
 *
 * Closed forms on a square grid of even side n >= 8 (tests/probe/test_prototypes.c checks each,
 * with a perturbed prototype as the negative control), stabilizer / orbit:
 *
 *   prototype  D4     translations (n^2)   D4 x translations (8 n^2)
 *   cross      8 / 1  1 / n^2              8 / n^2
 *   bar        4 / 2  1 / n^2              4 / 2 n^2
 *   corner     2 / 4  1 / n^2              2 / 4 n^2
 *   blob       8 / 1  1 / n^2              8 / n^2
 *   edge       2 / 4  n / n                4 n / 2 n
 *   generic    1 / 8  1 / n^2              1 / 8 n^2
 *
 * The cross, bar, corner and blob are symmetric about the grid's centre, so an element with a
 * translation fixes them only if the translation is 0 (and every translate is distinct).  The
 * edge (1 on columns n/2 .. n-1: a band on the torus) is fixed by every vertical translation
 * and by the flip of the rows; the flip of the columns and the half turn send it to columns
 * 0 .. n/2-1, its translate by n/2 columns: in the product group 4 elements of D4 times the n
 * vertical translations fix it (4 n), and its orbit has 8 n^2 / 4 n = 2 n images.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_proto_names[SYM_PROTO_COUNT] = {"cross", "bar", "corner", "blob", "edge", "generic"};

/* the generic pattern's own stream: the same pattern in every run and job */
#define PROTO_GENERIC_SEED 0x50524f54u

int sym_proto_image(double *f, sym_proto_kind kind, int h, int w)
{
    double ci = (h - 1) / 2.0, cj = (w - 1) / 2.0, s = (h < w ? h : w) / 6.0;
    sym_rng r;

    if (h < 4 || w < 4)
        return sym_err_set(SYM_EINVAL, __FILE__, __LINE__, "prototype %d on a %d x %d grid: expected at "
                           "least 4 x 4", (int)kind, h, w);
    if (kind < 0 || kind >= SYM_PROTO_COUNT)
        return sym_err_set(SYM_EINVAL, __FILE__, __LINE__, "unknown prototype %d", (int)kind);
    sym_rng_init(&r, PROTO_GENERIC_SEED, SYM_RNG_DATA, 0);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            double v = 0.0;

            switch (kind) {
            case SYM_PROTO_CROSS:
                v = i == h / 2 - 1 || i == h / 2 || j == w / 2 - 1 || j == w / 2;
                break;
            case SYM_PROTO_BAR: v = (i == h / 2 - 1 || i == h / 2) && j >= w / 4 && j <= w - 1 - w / 4; break;
            case SYM_PROTO_CORNER: {
                int a = h / 4, b = h - 1 - h / 4;

                v = (i == a && j >= a && j <= b) || (j == a && i >= a && i <= b);
                break;
            }
            case SYM_PROTO_BLOB:
                v = exp(-((i - ci) * (i - ci) + (j - cj) * (j - cj)) / (2.0 * s * s));
                break;
            case SYM_PROTO_EDGE: v = j >= w / 2; break;
            case SYM_PROTO_GENERIC: v = sym_rng_uniform(&r); break;
            case SYM_PROTO_COUNT: break;
            }
            f[i * w + j] = v;
        }
    return 0;
}

int sym_proto_generate(sym_data *out, const sym_data_opts *o, sym_rng *r)
{
    sym_data d = {0};
    int rc = 0, h = o->image_h, w = o->image_w, n = o->samples, P = o->n_protos, D = h * w, G;
    double *protos = NULL;

    if (P < 1 || P > (int)(sizeof o->proto / sizeof *o->proto))
        SYM_FAIL(SYM_EINVAL, "prototypes: %d prototypes, expected 1 to %d", P,
                 (int)(sizeof o->proto / sizeof *o->proto));
    G = sym_img_finite_order((sym_img_finite)o->proto_group, h, w);
    if (G < 1)
        SYM_FAIL(SYM_EINVAL, "prototypes: unknown group %d", o->proto_group);
    SYM_TRY(sym_alloc_doubles(&protos, (size_t)P * D));
    for (int p = 0; p < P; p++)
        SYM_TRY(sym_proto_image(protos + (size_t)p * D, (sym_proto_kind)o->proto[p], h, w));
    d.n = n;
    d.d_in = D;
    d.d_out = o->proto_classes ? P : D;
    SYM_TRY(sym_alloc_doubles(&d.X, (size_t)n * D));
    if (o->proto_classes) {
        SYM_TRY(sym_alloc_doubles(&d.Y, (size_t)n * P));
        memset(d.Y, 0, sizeof(double) * (size_t)n * P);
    } else {
        d.Y = d.X;
    }
    for (int i = 0; i < n; i++) {
        int p = (int)sym_rng_below(r, (uint32_t)P), g = (int)sym_rng_below(r, (uint32_t)G);
        double *x = d.X + (size_t)i * D;

        SYM_TRY(sym_img_finite_apply(x, protos + (size_t)p * D, h, w, (sym_img_finite)o->proto_group, g));
        for (int k = 0; k < D; k++)
            x[k] += o->noise * sym_rng_normal(r);
        if (o->proto_classes)
            d.Y[(size_t)i * P + p] = 1.0;
    }
    *out = d;
    memset(&d, 0, sizeof(d));
cleanup:
    sym_data_dispose(&d);
    free(protos);
    return rc;
}
