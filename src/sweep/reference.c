/* placeholder */
#include "job_impl.h"
int sym_job_help(FILE *out, const char *section) { (void)out; (void)section; return 0; }
int sym_job_reference_markdown(FILE *out) { (void)out; return 0; }
int sym_job_reference_schema(FILE *out) { (void)out; return 0; }
