#!/usr/bin/env python3
"""Output checksums: every job in jobs/ and every test job, run on 3 ranks,
must give the files whose digests are recorded in output_checksums.txt.

Every file is also checked against the file conventions (conventions(), below): netCDF/CF
attributes, integer types, one string type for the root attributes, the run dimension scale, a
dimension scale on every dimension of every dataset; and `ncdump -h` must open it.

The digest covers every dataset (name, type, shape, bytes; strings by value)
and every attribute, except what differs by design between two runs of the
same job: wall times, ranks, host names, times, the symsweep version (git
revision), the job's path and the MPI size.

Floating-point results depend on the kernels a CPU selects (symsweep's and
OpenBLAS's) and on the compiler that built symsweep: the table keeps one section of
digests per kind of CPU and compiler, headed by the files' `blas` attribute (BLAS core and
symsweep's kernel variant) and the compiler (`symsweep --version --verbose`).  A
machine compares against its own kind's section.  On a kind with no section the
check cannot compare like with like: it fails under CI=true (CI runs on the
development machine, where a restructuring must be checked) and is skipped (77)
elsewhere, naming the way to record one: tests/sweep/record_digests.sh REV
builds REV (the commit before a change) and records this kind's section from it.
`--record` rewrites this kind's section from the build given, keeping the others.

`--kernels-as VARIANT` compares against the section of this CPU kind with symsweep's kernel
variant VARIANT instead of the one that ran: mpi.output_checksums_avx2 runs every job under
SYMSWEEP_KERNELS=avx2 against the AVX-512 section, which must agree bit for bit.

A section is keyed by the full compiler version: a compiler upgrade (another `Compiler:` line)
needs its section recorded, as a new CPU kind does.

`--compiler-as NAME` compares against this CPU kind's section of the compiler named NAME (its
`Compiler:` line's first word, e.g. GCC; there must be exactly one such section) instead of the
build's own: mpi.output_checksums_gcc runs every job of a clang build against GCC's section,
which it must equal bit for bit (the kernels' multiply-adds are written out, not left to either
compiler's contraction).

    output_checksums.py SYMSWEEP MPIEXEC NPFLAG SOURCE_DIR [--record] [--table FILE]
                        [--kernels-as VARIANT] [--compiler-as NAME] [--compiler "GCC 12.2.0"]
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, MPIEXEC, NPFLAG, SRC = sys.argv[1:5]
RECORD = "--record" in sys.argv[5:]


def option(name, default=None):
    """The value after --NAME among the options, or default."""
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[5:] else default


TABLE = option("--table", os.path.join(SRC, "tests", "sweep", "output_checksums.txt"))
KERNELS_AS = option("--kernels-as")
# the compiler, for builds older than `--version --verbose`'s Compiler line (record_digests.sh
# passes the one CMake found for the build it records from)
COMPILER = option("--compiler")
COMPILER_AS = option("--compiler-as")
SKIP_DATASETS = {"runs/wall_time", "runs/rank"}
# input_sha256 (jobs that read files only) names the input files by path, as job_path does;
# its digests are checked by cli.inputs
SKIP_ATTRS = {"created", "finished", "symsweep_version", "hosts", "blas", "job_path", "mpi_size",
              "input_sha256"}
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


# integer quantities: stored as int64, -1 (their _FillValue) where a run has no value
INTEGER = {"runs/rank", "runs/epochs_done", "grid/seed", "grid/config", "run",
           "runs/metrics/canonical_degenerate", "runs/metrics/centralizer_dimension",
           "runs/metrics/discovery_dimension", "runs/metrics/functional_dimension",
           "runs/metrics/functional_null_dimension", "runs/metrics/functional_orbit_dimension",
           "runs/metrics/functional_excess_null", "runs/metrics/hessian_zero_count",
           "runs/metrics/hessian_orbit_dim", "runs/metrics/hessian_n_params",
           "runs/metrics/hessian_team_size", "runs/metrics/hessian_hvp_at_kink",
           "runs/metrics/stabilizer_algebra_dimension", "runs/metrics/stabilizer_orbit_dimension",
           "runs/metrics/stabilizer_dimension", "runs/metrics/teleport_count",
           "probes/functional_dimension/n_params", "probes/functional_dimension/n_outputs",
           "probes/hessian/gauge_zero_count", "probes/hessian_lanczos/n_params",
           "probes/hessian_lanczos/steps", "probes/hessian_lanczos/quotient_steps",
           "runs/curves/epoch", "grid/data.samples", "grid/data.rank", "grid/train.epochs"}


def conventions(path):
    """What the file conventions promise any HDF5 or netCDF tool, as a list of failures."""
    bad = []
    with h5py.File(path, "r") as f:
        n = f["runs/status"].shape[0]
        for k in f.attrs:
            t = f.attrs.get_id(k).get_type()
            if isinstance(t, h5py.h5t.TypeStringID) and not t.is_variable_str():
                bad.append("root attribute %s: a fixed-length string (one string type: "
                           "variable-length UTF-8)" % k)
        items = []
        f.visititems(lambda name, o: items.append((name, o)) if isinstance(o, h5py.Dataset) else None)
        for name, d in items:
            a = d.attrs
            scale = a.get("CLASS", b"") == b"DIMENSION_SCALE"
            for need in ("long_name", "description"):
                if need not in a:
                    bad.append("%s: no %s" % (name, need))
            numeric = d.dtype.kind in "fi" and h5py.check_enum_dtype(d.dtype) is None
            index_axis = scale and re.search(r"_dim\d+$", name) is not None  # 0 .. n-1, an identifier
            if numeric and "units" not in a and not index_axis and \
                    name not in ("grid/seed", "grid/config", "runs/rank", "run", "config/grid_point"):
                bad.append("%s: a number without units" % name)
            if name in INTEGER and d.dtype != np.int64:
                bad.append("%s: an integer quantity stored as %s" % (name, d.dtype))
            if not scale and (name.startswith("runs/") or name.startswith("probes/")) and d.dtype == np.int64:
                if a.get("_FillValue", None) != -1:
                    bad.append("%s: int64 without _FillValue -1" % name)
            if not scale:
                for k in range(1, len(d.shape)):
                    if not d.dims[k].keys():
                        bad.append("%s: dimension %d has no dimension scale (netCDF tools refuse "
                                   "the file)" % (name, k))
                if name.startswith("config/"):  # the resolved settings: one row per grid point
                    if d.shape[0] != f.attrs["n_configs"]:
                        bad.append("%s: not one row per grid point (first dimension %d)" % (name, d.shape[0]))
                    elif [s.name for s in d.dims[0].values()] != ["/config/grid_point"]:
                        bad.append("%s: the grid_point scale is not attached to its first dimension" % name)
                elif d.shape[0] != n:
                    bad.append("%s: not a scale and not per run (first dimension %d)" % (name, d.shape[0]))
                elif [s.name for s in d.dims[0].values()] != ["/run"]:
                    bad.append("%s: the run scale is not attached to its first dimension" % name)
        st = f["runs/status"].attrs
        if list(np.asarray(st.get("flag_values", []))) != [0, 1, 2, 3] or \
                st.get("flag_meanings") != "pending done diverged failed":
            bad.append("runs/status: CF flag_values/flag_meanings")
    return bad


def read_table(path):
    """{blas: {job: digest}}, one section per kind of CPU, in file order."""
    sections, cur = {}, None
    if not os.path.exists(path):
        return sections
    for line in open(path):
        if line.startswith("# blas: "):
            cur = sections.setdefault(line[len("# blas: "):].strip(), {})
        elif line.strip() and not line.startswith("#"):
            if cur is None:
                raise SystemExit("%s: a digest before the first '# blas:' line" % path)
            d, j = line.split()
            cur[j] = d
    return sections


def write_table(path, sections):
    with open(path, "w") as fh:
        fh.write("# output digests (tests/sweep/output_checksums.py), 3 ranks, one section per kind of CPU and compiler\n")
        for blas, digests in sections.items():
            fh.write("# blas: %s\n" % blas)
            for j in sorted(digests):
                fh.write("%s %s\n" % (digests[j], j))


def ncdump(path):
    """netCDF-C (what NCO, CDO, ncview and Panoply are built on) must open the file: `ncdump -h`
    (Debian's netcdf-bin, which scripts/setup.sh installs) reads its whole layout."""
    exe = shutil.which("ncdump")
    if exe is None:
        return [] if os.environ.get("CI") != "true" else ["ncdump not found (netcdf-bin)"]
    r = subprocess.run([exe, "-h", path], capture_output=True, text=True)
    if r.returncode != 0:
        return ["ncdump -h: exit %d: %s" % (r.returncode, (r.stderr or r.stdout).strip()[-300:])]
    return []


def expected_blas(env, exe=None):
    """The `blas` attribute the files will carry and the compiler that built symsweep, from
    `symsweep --version --verbose` under the same environment (SYMSWEEP_KERNELS included): the
    checks that need only these run before the jobs."""
    r = subprocess.run([exe or EXE, "--version", "--verbose"], capture_output=True, text=True, env=env)
    got = {}
    for line in r.stdout.splitlines():
        k, _, v = line.partition(": ")
        got[k] = v.strip()
    compiler = got.get("Compiler", COMPILER)
    if "BLAS" not in got or not compiler:
        raise SystemExit("FAIL: %s --version --verbose printed no 'BLAS:' or 'Compiler:' line (exit %d; "
                         "a build older than the Compiler line needs --compiler)" % (exe or EXE, r.returncode))
    return got["BLAS"], compiler


def section_of(blas):
    """The section a run's files compare against, or an exit code with its reason printed."""
    if not KERNELS_AS:
        return blas
    if RECORD:
        print("--kernels-as compares; it does not record")
        return 1
    if blas.endswith("kernels baseline"):  # no FMA: its roundings differ by design
        print("skipped: the baseline kernels would run (this CPU has no AVX2 and FMA)")
        return 77
    if blas.endswith("kernels " + KERNELS_AS):  # nothing would be compared
        print("FAIL: the %s kernels themselves would make the files (is SYMSWEEP_KERNELS "
              "set?): %s" % (KERNELS_AS, blas))
        return 1
    return re.sub(r"kernels \S+$", "kernels " + KERNELS_AS, blas)


def compiler_of(key, compiler, sections):
    """The compiler part of the section key: the build's own, or with --compiler-as the one
    section of that compiler for this kind (or an exit code with its reason printed)."""
    if not COMPILER_AS:
        return key + "; compiler " + compiler  # another compiler may round a multiply-add otherwise
    if RECORD:
        print("--compiler-as compares; it does not record")
        return 1
    if compiler.split()[0] == COMPILER_AS:  # nothing would be compared
        print("FAIL: symsweep was built by %s itself (--compiler-as %s)" % (compiler, COMPILER_AS))
        return 1
    mine = [k for k in sections if k.startswith(key + "; compiler " + COMPILER_AS + " ")]
    if len(mine) > 1:
        print("FAIL: --compiler-as %s: %d sections match (%s)" % (COMPILER_AS, len(mine), "; ".join(mine)))
        return 1
    return mine[0] if mine else key + "; compiler " + COMPILER_AS  # none: reported after the jobs


def main():
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    sections = read_table(TABLE)
    blas_before, compiler = expected_blas(env)
    key = section_of(blas_before)
    if isinstance(key, int):
        return key
    key = compiler_of(key, compiler, sections)
    if isinstance(key, int):
        return key
    jobs = sorted(os.path.join("jobs", j) for j in os.listdir(os.path.join(SRC, "jobs"))
                  if j.endswith(".yaml")) + [j for j in TEST_JOBS if os.path.exists(os.path.join(SRC, j))]
    got, fails = {}, 0
    with tempfile.TemporaryDirectory() as tmp:
        for j in jobs:
            out = os.path.join(tmp, os.path.basename(j) + ".h5")
            r = subprocess.run([MPIEXEC, NPFLAG, "3", EXE, "run", j, "-o", out, "-q"],
                               cwd=SRC, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                print("FAIL: %s: exit %d\n%s" % (j, r.returncode, r.stderr[-2000:]))
                return 1
            got[j], blas = digest(out)
            if blas != blas_before:  # the ranks ran other kernels than `--version` said
                print("FAIL: %s: the file's blas attribute is '%s', `symsweep --version --verbose` "
                      "said '%s' (does the environment reach the ranks?)" % (j, blas, blas_before))
                return 1
            for b in conventions(out) + ncdump(out):
                print("FAIL: %s: %s" % (j, b))
                fails += 1
    if fails:
        return 1
    if RECORD:
        sections[key] = {j: got[j] for j in jobs}
        write_table(TABLE, sections)
        print("recorded %d digests for '%s' in %s" % (len(jobs), key, TABLE))
        return 0
    if key not in sections:  # the files met the conventions; their digests have nothing to meet
        print("no digests recorded for kernels '%s' (recorded: %s); record them from the commit "
              "before a change: tests/sweep/record_digests.sh REV"
              % (key, "; ".join("'%s'" % k for k in sections) or "none"))
        return 1 if os.environ.get("CI") == "true" else 77
    want = sections[key]
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
