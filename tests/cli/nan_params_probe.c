/*
 * A test plug-in (tests/cli/learning_order_diverged.py): at curve point `at` it sets the
 * first parameter (the first weight of the first layer) to NaN, as a divergence leaves it, so
 * that training diverges at the next epoch and keeps those parameters (the checkpoint taken
 * after the move).  Built against the public headers only.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "symsweep/probe_api.h"

typedef struct nan_opts {
    int at;
} nan_opts;

static const sym_setting settings[] = {
    {.name = "at", .type = SYM_SETTING_INT, .offset = offsetof(nan_opts, at), .lo = 0, .hi = 1000000,
     .doc = "the curve point after which the first parameter is NaN"},
};

static int layout(void *opts, const sym_config *cfgs, int n_cfgs, sym_schema *s)
{
    (void)opts;
    (void)cfgs;
    (void)n_cfgs;
    (void)s;
    return 0;
}

static int start(const void *opts, const sym_probe_run *run, double *out, void **state)
{
    (void)run;
    (void)out;
    *state = (void *)opts;
    return 0;
}

static int point(void *state, int k, const double *params, const double *grad, double loss)
{
    (void)state;
    (void)k;
    (void)params;
    (void)grad;
    (void)loss;
    return 0;
}

static int move(void *state, int k, double *params)
{
    if (k != ((const nan_opts *)state)->at)
        return 0;
    params[0] = NAN;
    return 1;
}

static void stop(void *state) { (void)state; }

static const sym_probe_def nan_params = {
    SYM_PROBE_DEF_INIT,
    .name = "nan_params",
    .doc = "test plug-in: the first parameter NaN from curve point `at` on",
    .opts_size = sizeof(nan_opts),
    .settings = settings,
    .n_settings = sizeof settings / sizeof *settings,
    .layout = layout,
    .start = start,
    .point = point,
    .move = move,
    .stop = stop,
};

const sym_probe_def *sym_probe_plugin(void) { return &nan_params; }
