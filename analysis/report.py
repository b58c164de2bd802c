#!/usr/bin/env python3
"""analysis/report.py: the report from a checkout, without installing the
package (installed, the same is the symsweep-report command)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from symsweep_analysis.report import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
