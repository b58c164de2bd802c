/* Test support for the sweep layer: a job text parsed and its run 0 trained. */
#ifndef SYM_TEST_JOBS_H
#define SYM_TEST_JOBS_H

#include "symsweep/job.h"
#include "symsweep/run.h"

/** Parse @p text (named @p name in messages) into @p job and execute run 0 into @p r; it must finish done. */
void sym_test_run0(sym_job *job, sym_run_result *r, const char *text, const char *name);

#endif
