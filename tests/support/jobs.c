#include "jobs.h"

#include <string.h>

#include "check.h"

void sym_test_run0(sym_job *job, sym_run_result *r, const char *text, const char *name)
{
    check_ok(sym_job_parse(job, text, strlen(text), name));
    check_ok(sym_run_execute(r, job, 0));
    assert_int_equal(r->status, SYM_RUN_DONE);
}
