/*
 * The registry of built-in probes assigns each its random streams (one line per probe), and
 * the job takes a built-in's stream from there.  The numbers are part of every result: each
 * built-in's base must stay what it was when core.h listed them (94def6c), or every output
 * that probe writes changes.
 */
#include "check.h"

#include <string.h>

#include "symsweep/job.h"
#include "symsweep/probe.h"

/* the bases of 94def6c's SYM_STREAM_* (the probes that draw nothing had 0) */
static const struct {
    const char *name;
    uint32_t stream;
} historic[] = {
    {"orbit_loss", 0x00000},       {"structure", 0},
    {"penalty_invariance", 0x10000}, {"reparam", 0x20000},
    {"lp_ball", 0x50000},          {"gradient_decomposition", 0},
    {"centralizer", 0x40000},      {"conserved", 0},
    {"stabilizer", 0},             {"tangent_slice", 0x80000},
    {"trajectory", 0},             {"canonical", 0},
    {"teleport", 0},               {"functional_dimension", 0},
    {"hessian_lanczos", 0x90000},  {"hessian", 0x70000},
    {"symmetry_discovery", 0x100000},
    {"feature_orbit", 0}, /* since issue 26: draws nothing */
    {"learned_group", 0}, /* since issue 26: draws nothing */
    {"learning_order", 0}, /* since issue 26 (seed 004): draws nothing */
};

static void test_probe_registry_streams_unchanged(void **state)
{
    (void)state;
    assert_int_equal(sym_probe_n_builtins, sizeof historic / sizeof *historic);
    for (size_t i = 0; i < sizeof historic / sizeof *historic; i++) {
        const sym_probe_def *d = sym_probe_find(historic[i].name);

        assert_non_null(d);
        if (sym_probe_stream(d) != historic[i].stream)
            fail_msg("%s: stream 0x%x, was 0x%x", historic[i].name, (unsigned)sym_probe_stream(d),
                     (unsigned)historic[i].stream);
    }
}

/* one line per built-in: every name once, found as listed, and its stream is its line's */
static void test_probe_registry_one_line_each(void **state)
{
    (void)state;
    for (int i = 0; i < sym_probe_n_builtins; i++) {
        const sym_probe_def *d = sym_probe_builtins[i].def;

        assert_ptr_equal(sym_probe_find(d->name), d);
        assert_int_equal(sym_probe_stream(d), sym_probe_builtins[i].stream);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(sym_probe_builtins[k].def->name, d->name);
    }
    assert_null(sym_probe_find("no_such_probe"));
}

/* a job's built-in probes draw from (seed, SYM_RNG_PROBE, their registry line's base + k) */
static void test_probe_registry_job_takes_stream(void **state)
{
    static const char text[] =
        "seeds: [0]\n"
        "data: {kind: subspace, dim: 4, rank: 2, samples: 20}\n"
        "model: {kind: autoencoder, input: 4, latent: 2, tied: false, bias: false}\n"
        "regularizer: {kind: l1, lambda: 0.01}\n"
        "train: {optimizer: gd, lr: 0.01, epochs: 1}\n"
        "probes:\n"
        "  penalty_invariance: {trials: 2}\n"
        "  lp_ball: {dim: 2, trials: 2, points: 5, quadratics: 2}\n"
        "  structure: {}\n"
        "  reparam: {trials: 2}\n";
    sym_job j;
    int seen = 0;

    (void)state;
    check_ok(sym_job_parse(&j, text, strlen(text), "registry.yaml"));
    assert_int_equal(j.n_probes, 4);
    for (int i = 0; i < j.n_probes; i++) {
        assert_int_equal(j.probes[i].purpose, SYM_RNG_PROBE);
        assert_int_equal(j.probes[i].stream, sym_probe_stream(j.probes[i].def));
        seen += j.probes[i].stream != 0;
    }
    assert_int_equal(seen, 3); /* structure draws nothing: 0 */
    sym_job_dispose(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_registry_streams_unchanged),
        cmocka_unit_test(test_probe_registry_one_line_each),
        cmocka_unit_test(test_probe_registry_job_takes_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
