#!/usr/bin/env python3
"""Re-record chosen jobs' digests for this CPU kind, when a change is meant to alter their
output (the commit message and the issue note say which datasets and why):

    digest_one.py SYMSWEEP MPIEXEC NPFLAG SOURCE_DIR JOB...

runs each job on 3 ranks as mpi.output_checksums does and replaces its line in this kind's
section of tests/sweep/output_checksums.txt; the other jobs' digests stay as recorded."""
import os
import subprocess
import sys
import tempfile

EXE, MPIEXEC, NPFLAG, SRC = sys.argv[1:5]
JOBS = sys.argv[5:]
sys.argv = sys.argv[:5]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import output_checksums as oc  # noqa: E402

sections = oc.read_table(oc.TABLE)
_, compiler = oc.expected_blas(dict(os.environ), EXE)
with tempfile.TemporaryDirectory() as tmp:
    for j in JOBS:
        out = os.path.join(tmp, "x.h5")
        subprocess.run([MPIEXEC, NPFLAG, "3", EXE, "run", j, "-o", out, "-q", "--force"], cwd=SRC, check=True)
        d, blas = oc.digest(out)
        blas += "; compiler " + compiler
        if blas not in sections:
            sys.exit("digest_one: no section for '%s': record one first (record_digests.sh)" % blas)
        old = sections[blas].get(j)
        sections[blas][j] = d
        print("%s: %s -> %s" % (j, (old or "none")[:16], d[:16]))
oc.write_table(oc.TABLE, sections)
