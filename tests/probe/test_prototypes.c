/*
 * Seed 004's prototypes (src/sym/prototypes.c): the stabilizer order and orbit size of each clean
 * prototype on an 8 x 8 grid under D4, the 64 cyclic translations and their product (512), as
 * the closed forms of prototypes.c say (cross 8/1, bar 4/2, corner 2/4, blob 8/1, edge 2/4,
 * generic 1/8 under D4; the edge n/n under translations and 4n/2n in the product, every other 1
 * resp. its D4 stabilizer), with |orbit| |stabilizer| = |G|.  Negative controls: each prototype
 * with one pixel changed loses its symmetry (stabilizer 1, orbit |G| under D4).  The data:
 * every sample is a group image of a listed prototype (noise 0), its class is the one-hot target,
 * and the same stream gives the same data.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symsweep/sym.h"

enum { H = 8, N = 64 };

/* {D4, translations, product}: stabilizer orders */
static const int want_stab[SYM_PROTO_COUNT][3] = {
    {8, 1, 8}, {4, 1, 4}, {2, 1, 2}, {8, 1, 8}, {2, H, 4 * H}, {1, 1, 1},
};

static void test_closed_forms(void **s)
{
    (void)s;
    for (int p = 0; p < SYM_PROTO_COUNT; p++)
        for (int g = 0; g < SYM_IMG_FINITE_COUNT; g++) {
            double f[N];
            sym_img_finite_stats st;

            check_ok(sym_proto_image(f, (sym_proto_kind)p, H, H));
            check_ok(sym_img_finite_measure(&st, f, H, H, (sym_img_finite)g, 1e-9));
            printf("%-8s %-16s stabilizer %3d orbit %3d\n", sym_proto_names[p], sym_img_finite_names[g],
                   st.stabilizer, st.orbit);
            assert_int_equal(st.stabilizer, want_stab[p][g]);
            assert_int_equal(st.orbit, st.order / want_stab[p][g]);
            assert_int_equal(st.orbit * st.stabilizer, st.order);
        }
}

/* one pixel off the symmetry axes changed: nothing but the identity fixes it */
static void test_perturbed_lose_symmetry(void **s)
{
    (void)s;
    for (int p = 0; p < SYM_PROTO_COUNT; p++) {
        double f[N];
        sym_img_finite_stats st;

        check_ok(sym_proto_image(f, (sym_proto_kind)p, H, H));
        f[0 * H + 1] += 0.5; /* (0, 1): off both diagonals and both midlines */
        check_ok(sym_img_finite_measure(&st, f, H, H, SYM_IMG_D4, 1e-9));
        assert_int_equal(st.stabilizer, 1);
        assert_int_equal(st.orbit, 8);
    }
}

/* every sample is g . prototype for some listed prototype and group element, with its class */
static void test_data(void **s)
{
    sym_data_opts o;
    sym_data d = {0}, d2 = {0};
    sym_rng r;
    double protos[2][N], img[N];

    (void)s;
    memset(&o, 0, sizeof(o));
    o.kind = SYM_DATA_PROTOTYPES;
    o.samples = 40;
    o.image_h = o.image_w = H;
    o.n_protos = 2;
    o.proto[0] = SYM_PROTO_CORNER;
    o.proto[1] = SYM_PROTO_EDGE;
    o.proto_group = SYM_IMG_D4_TRANSLATIONS;
    o.proto_classes = 1;
    check_ok(sym_proto_image(protos[0], SYM_PROTO_CORNER, H, H));
    check_ok(sym_proto_image(protos[1], SYM_PROTO_EDGE, H, H));
    sym_rng_init(&r, 7, SYM_RNG_DATA, 0);
    check_ok(sym_proto_generate(&d, &o, &r));
    assert_int_equal(d.d_in, N);
    assert_int_equal(d.d_out, 2);
    for (int i = 0; i < d.n; i++) {
        int c = d.Y[i * 2 + 1] == 1.0, found = 0;

        assert_true(d.Y[i * 2] + d.Y[i * 2 + 1] == 1.0);
        for (int g = 0; g < sym_img_finite_order(SYM_IMG_D4_TRANSLATIONS, H, H) && !found; g++) {
            check_ok(sym_img_finite_apply(img, protos[c], H, H, SYM_IMG_D4_TRANSLATIONS, g));
            found = !memcmp(img, d.X + (size_t)i * N, sizeof img);
        }
        assert_true(found);
    }
    sym_rng_init(&r, 7, SYM_RNG_DATA, 0);
    o.proto_classes = 0;
    check_ok(sym_proto_generate(&d2, &o, &r));
    assert_true(d2.Y == d2.X && d2.d_out == N);
    assert_memory_equal(d.X, d2.X, sizeof(double) * (size_t)d.n * N);
    sym_data_dispose(&d);
    sym_data_dispose(&d2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_perturbed_lose_symmetry),
        cmocka_unit_test(test_data),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
