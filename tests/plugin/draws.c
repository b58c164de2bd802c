/*
 * A test plug-in (tests/plugin/trust.sh): four uniform draws per run from the
 * probe's own random stream, into /probes/PROBE_NAME/u; built under several
 * names (-DPROBE_NAME=...).  Loading it leaves a trace: when the environment
 * has SYMSWEEP_TEST_MARKER, its constructor appends the process id to that
 * file, so a test sees whether a command ran its code.
 *
 * It builds against the headers of symsweep before the plug-in policy (no
 * SYM_PROBE_DEF_INIT, no run->purpose) too, so the same test can be run
 * against that build and fail there, and against the interfaces before
 * version 3 (tests/plugin/v1, v2), whose plug-ins are refused before any
 * hook runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "symsweep/probe_api.h"

#ifndef PROBE_NAME
#define PROBE_NAME draws
#endif
#define STR_(x) #x
#define STR(x) STR_(x)

__attribute__((constructor)) static void leave_trace(void)
{
    const char *m = getenv("SYMSWEEP_TEST_MARKER");
    FILE *f = m ? fopen(m, "a") : NULL;

    if (f) {
        fprintf(f, "%s loaded by %ld\n", STR(PROBE_NAME), (long)getpid());
        fclose(f);
    }
}

typedef struct draws_opts {
    size_t u; /* where the host placed /probes/NAME/u */
} draws_opts;

#if SYM_PROBE_API_VERSION >= 3
static int layout(void *opts, const sym_config *cfgs, int n_cfgs, sym_schema *s)
{
    long long dims[1] = {4};

    (void)cfgs;
    (void)n_cfgs;
    ((draws_opts *)opts)->u = sym_schema_at(sym_schema_measure(
        s, "/probes/" STR(PROBE_NAME) "/u", 1, dims, "four uniform draws from the probe's stream [run, k]"));
#ifdef DRAWS_STRAY /* a probe bug the host must refuse: a metric past the end of its dataset */
    sym_schema_metric(s, "/runs/metrics/" STR(PROBE_NAME) "_u4", "/probes/" STR(PROBE_NAME) "/u", 4,
                      "a fifth draw that u does not have");
#endif
#ifdef DRAWS_TWICE /* ... and two metrics on one value */
    sym_schema_metric(s, "/runs/metrics/" STR(PROBE_NAME) "_a", "/probes/" STR(PROBE_NAME) "/u", 0, "a");
    sym_schema_metric(s, "/runs/metrics/" STR(PROBE_NAME) "_b", "/probes/" STR(PROBE_NAME) "/u", 0, "b");
#endif
    return 0;
}
#else
/* an older interface's layout: symsweep refuses the plug-in before calling it */
static size_t layout(void *opts, const sym_config *cfgs, int n_cfgs)
{
    ((draws_opts *)opts)->u = 0;
    (void)cfgs;
    (void)n_cfgs;
    return 4;
}
#endif

static int at_end(const void *opts, const sym_probe_run *run, double *out)
{
    double *u = out + ((const draws_opts *)opts)->u;
    sym_rng r;

#ifdef SYM_PROBE_DEF_INIT
    sym_rng_init(&r, run->seed, run->purpose, run->stream);
#else
    sym_rng_init(&r, run->seed, SYM_RNG_PROBE, run->stream);
#endif
    for (int k = 0; k < 4; k++)
        u[k] = sym_rng_uniform(&r);
    return 0;
}

static double task_work(const void *opts, const sym_config *cfg, double n_params, double pass)
{
    (void)opts;
    (void)cfg;
    (void)pass;
    return n_params;
}

static const sym_probe_def def = {
#ifdef SYM_PROBE_DEF_INIT
    SYM_PROBE_DEF_INIT,
#else
    .api_version = SYM_PROBE_API_VERSION,
    .size = sizeof(sym_probe_def),
#endif
    .name = STR(PROBE_NAME),
    .doc = "four uniform draws from the probe's random stream (a test plug-in)",
    .opts_size = sizeof(draws_opts),
    .layout = layout,
    .at_end = at_end,
    .task_work = task_work,
};

const sym_probe_def *sym_probe_plugin(void) { return &def; }
