/*
 * A test plug-in (tests/plugin/trust.sh): four uniform draws per run from the
 * probe's own random stream, into /probes/PROBE_NAME/u; built under several
 * names (-DPROBE_NAME=...).  Loading it leaves a trace: when the environment
 * has SYMSWEEP_TEST_MARKER, its constructor appends the process id to that
 * file, so a test sees whether a command ran its code.
 *
 * It builds against the headers of symsweep before the plug-in policy (no
 * SYM_PROBE_DEF_INIT, no run->purpose) too, so the same test can be run
 * against that build and fail there.
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

static size_t layout(void *opts, const sym_config *cfgs, int n_cfgs)
{
    (void)opts;
    (void)cfgs;
    (void)n_cfgs;
    return 4;
}

static int schema(const void *opts, int team_size, sym_schema *s)
{
    long long dims[1] = {4};

    (void)opts;
    (void)team_size;
    sym_schema_measure(s, "/probes/" STR(PROBE_NAME) "/u", 1, dims, 0, 1,
                       "four uniform draws from the probe's stream [run, k]");
    return 0;
}

static int at_end(const void *opts, const sym_probe_run *run, double *out)
{
    sym_rng r;

    (void)opts;
#ifdef SYM_PROBE_DEF_INIT
    sym_rng_init(&r, run->seed, run->purpose, run->stream);
#else
    sym_rng_init(&r, run->seed, SYM_RNG_PROBE, run->stream);
#endif
    for (int k = 0; k < 4; k++)
        out[k] = sym_rng_uniform(&r);
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
    .layout = layout,
    .schema = schema,
    .at_end = at_end,
    .task_work = task_work,
};

const sym_probe_def *sym_probe_plugin(void) { return &def; }
