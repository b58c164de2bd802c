/*
 * Fuzz target for the job parser: any bytes must give a job or a clean
 * SYM_EJOB error (never a crash, a leak or undefined behaviour).
 * Built with libFuzzer by tests/fuzz/run.sh, and replayed over the committed
 * corpus by the ctest fuzz.replay (tests/fuzz/replay.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "symsweep/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sym_job job;
    char first[1024] = "";
    int rc = sym_job_parse(&job, (const char *)data, size, "fuzz/job.yaml"), rc2;

    if (rc == 0) {
        /* a valid job must be internally consistent */
        SYM_ASSERT(sym_job_n_runs(&job) >= 1);
        for (int i = 0; i < sym_job_n_runs(&job); i += 1 + sym_job_n_runs(&job) / 7)
            SYM_ASSERT(sym_job_run_config(&job, i, NULL) != NULL);
        sym_job_dispose(&job);
    } else {
        /* every failure carries a message */
        SYM_ASSERT(sym_err_message()[0] != '\0');
        snprintf(first, sizeof(first), "%s", sym_err_message());
    }
    sym_err_clear();
    /* validate's pass that gathers every problem: the same verdict, and its first problem the
     * one the parse stops at */
    rc2 = sym_job_parse_collect(&job, (const char *)data, size, "fuzz/job.yaml", NULL, 0, 1);
    SYM_ASSERT((rc2 == 0) == (rc == 0));
    if (rc2 == 0) {
        sym_job_dispose(&job);
    } else {
        const char *m = sym_err_message();
        size_t n = strcspn(m, "\x1e");

        SYM_ASSERT(strlen(first) == n || strlen(first) >= sizeof(first) - 1);
        SYM_ASSERT(strncmp(first, m, n < sizeof(first) - 1 ? n : sizeof(first) - 1) == 0);
    }
    sym_err_clear();
    return 0;
}
