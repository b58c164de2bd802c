#include "check.h"

#include <math.h>
#include <stdio.h>

#include "symsweep/core.h"

void sym_check_close_at(const double *got, const double *want, size_t n, double atol,
                        double rtol, const char *file, int line)
{
    for (size_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]), tol = atol + rtol * fabs(want[i]);

        if (isnan(got[i]) || isnan(want[i]) || !(err <= tol)) {
            print_error("%s:%d: index %zu: got %.17g, want %.17g (|diff| %.3g > tol %.3g)\n", file,
                        line, i, got[i], want[i], err, tol);
            _fail(file, line);
        }
    }
}
