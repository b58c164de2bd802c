#!/usr/bin/env python3
"""Output checksums: every job in jobs/ and every test job, run on 3 ranks,
must give the files whose digests are recorded in output_checksums.txt.

The digest covers every dataset (name, type, shape, bytes; strings by value)
and every attribute, except what differs by design between two runs of the
same job: wall times, ranks, host names, times, the symsweep version (git
revision), the job's path and the MPI size.

Floating-point results depend on the kernels a CPU selects (symsweep's and
OpenBLAS's): the digests are recorded together with the file's `blas`
attribute, and on a machine whose kernels differ the test is skipped (77)
with both named.  `--record` rewrites the table from this machine.

    output_checksums.py SYMSWEEP MPIEXEC NPFLAG SOURCE_DIR [--record]
"""
import hashlib
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, MPIEXEC, NPFLAG, SRC = sys.argv[1:5]
RECORD = "--record" in sys.argv[5:]
TABLE = os.path.join(SRC, "tests", "sweep", "output_checksums.txt")
SKIP_DATASETS = {"runs/wall_time", "runs/rank"}
SKIP_ATTRS = {"created", "finished", "symsweep_version", "hosts", "blas", "job_path", "mpi_size"}
# the test jobs that make output files (besides jobs/)
TEST_JOBS = ["tests/analysis/ex1-small.yaml", "tests/analysis/ex3-small.yaml",
             "tests/analysis/ex4-small.yaml", "tests/analysis/ex5-small.yaml",
             "tests/analysis/diverge.yaml", "tests/analysis/live.yaml",
             "tests/sweep/variants/probe-variants-1.yaml", "tests/sweep/variants/probe-variants-2.yaml",
             "tests/sweep/variants/probe-variants-3.yaml"]


def value_bytes(v):
    a = np.asarray(v)
    if a.dtype.kind == "O":
        return repr([x.decode() if isinstance(x, bytes) else x for x in a.ravel().tolist()]).encode()
    if a.dtype.kind == "S":
        return repr([x.decode(errors="replace").rstrip("\0") for x in a.ravel().tolist()]).encode()
    return a.dtype.str.encode() + repr(a.shape).encode() + a.tobytes()


def digest(path):
    h = hashlib.sha256()
    with h5py.File(path, "r") as f:
        items = []
        f.visititems(lambda n, o: items.append((n, o)))
        for name, obj in [("/", f)] + sorted(items, key=lambda x: x[0]):
            h.update(b"\0obj " + name.encode())
            for k in sorted(obj.attrs.keys()):
                if k in SKIP_ATTRS or k in ("DIMENSION_LIST", "REFERENCE_LIST"):
                    continue  # scale references are addresses: their names are below
                h.update(b"\0attr " + k.encode() + value_bytes(obj.attrs[k]))
            if isinstance(obj, h5py.Dataset) and name not in SKIP_DATASETS:
                h.update(b"\0data " + str(obj.dtype).encode() + repr(obj.shape).encode())
                h.update(value_bytes(obj[()]))
                for d, dim in enumerate(obj.dims):
                    for k in dim.keys():
                        h.update(("\0scale %d %s" % (d, k)).encode())
        blas = f.attrs.get("blas", b"")
    return h.hexdigest(), blas.decode() if isinstance(blas, bytes) else str(blas)


def main():
    jobs = sorted(os.path.join("jobs", j) for j in os.listdir(os.path.join(SRC, "jobs"))
                  if j.endswith(".yaml")) + TEST_JOBS
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    got, blas = {}, None
    with tempfile.TemporaryDirectory() as tmp:
        for j in jobs:
            out = os.path.join(tmp, os.path.basename(j) + ".h5")
            r = subprocess.run([MPIEXEC, NPFLAG, "3", EXE, "run", j, "-o", out, "-q"],
                               cwd=SRC, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                print("FAIL: %s: exit %d\n%s" % (j, r.returncode, r.stderr[-2000:]))
                return 1
            got[j], blas = digest(out)
    if RECORD:
        with open(TABLE, "w") as fh:
            fh.write("# output digests (tests/sweep/output_checksums.py), 3 ranks\n")
            fh.write("# blas: %s\n" % blas)
            for j in jobs:
                fh.write("%s %s\n" % (got[j], j))
        print("recorded %d digests in %s" % (len(jobs), TABLE))
        return 0
    want, want_blas = {}, None
    for line in open(TABLE):
        if line.startswith("# blas: "):
            want_blas = line[len("# blas: "):].strip()
        elif line.strip() and not line.startswith("#"):
            d, j = line.split()
            want[j] = d
    if want_blas != blas:
        print("skipped: the digests were recorded with kernels '%s'; this machine has '%s'"
              % (want_blas, blas))
        return 77
    bad = [j for j in jobs if want.get(j) != got[j]]
    missing = [j for j in want if j not in got]
    for j in bad:
        print("FAIL: %s: digest %s, recorded %s" % (j, got[j][:16], (want.get(j) or "none")[:16]))
    for j in missing:
        print("FAIL: %s: recorded but not run" % j)
    if bad or missing:
        return 1
    print("output checksums: %d files equal to the recorded ones" % len(jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
