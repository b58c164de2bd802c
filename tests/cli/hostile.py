#!/usr/bin/env python3
"""Hostile input: bad job files, bad command lines and hostile HDF5 files.

Every case must end with the expected exit status, a one-line message
("symsweep: error: ..." and at most the usage hint after it), no file left
behind, in bounded time (< 5 s of CPU, so that a busy machine does not fail it) and bounded
memory (< 400 MiB peak RSS).
The HDF5 cases go through summary, status, merge, run --resume and
analysis/report.py.

    hostile.py SYMSWEEP SOURCE_DIR
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
MAX_SECONDS, MAX_RSS_MB = 5.0, 400
HINT = "run 'symsweep --help' for usage"
failures = []
counts = {"job": 0, "cmd": 0, "h5": 0}


def child_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(args, cwd, timeout=120):
    """(status, stdout, stderr, seconds) of one child: the CPU seconds it and its descendants
    used (a busy machine stretches wall time, not the work: the bound holds under any load; a
    child that blocks, a FIFO read, is killed at the wall-clock timeout and fails its status);
    its peak memory is read by the caller."""
    c0 = child_cpu()
    env = dict(os.environ)
    if len(args) > 1 and args[1] == "run":
        # under the sanitizers: Open MPI's allocations outlive MPI_Finalize in
        # modules it has unloaded, so leaks are checked only in the commands
        # that do not start MPI (validate, plan, status, summary, merge)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    p = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    secs = child_cpu() - c0
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace"), secs


def peak_rss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def check(kind, name, args, cwd, want_status, want=None, allow_stdout=False, inputs=(),
          one_line=True, several=False):
    """Run one case and record what is wrong with it.  several: `validate` lists every
    problem it finds (up to 20, then a count line): one or more error lines, the first the
    expected one."""
    counts[kind] += 1
    before = set(os.listdir(cwd))
    rss0 = peak_rss_mb()
    rc, out, err, secs = run(args, cwd)
    rss = peak_rss_mb()
    after = set(os.listdir(cwd))
    problems = []
    ok_status = rc in want_status if isinstance(want_status, (tuple, list)) else rc == want_status
    if not ok_status:
        problems.append("exit status %s, want %s" % (rc, want_status))
    lines = [l for l in err.splitlines() if l.strip()]
    if one_line:
        body = [l for l in lines if l != HINT]
        if several and 1 <= len(body) <= 22 and all(l.startswith("symsweep: error: ") for l in body):
            body = body[:1]
        if len(body) != 1 or not (body[0].startswith("symsweep: error: ") or
                                   body[0].startswith("report: ")):
            problems.append("want one error line, got %d: %r" % (len(lines), lines[:4]))
        elif want and not re.search(want, body[0]):
            problems.append("message %r does not match %r" % (body[0], want))
    if out.strip() and not allow_stdout:
        problems.append("printed to stdout: %r" % out[:200])
    new = sorted(after - before - set(inputs))
    if new:
        problems.append("left files behind: %s" % new)
        for n in new:
            p = os.path.join(cwd, n)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    if secs > MAX_SECONDS:
        problems.append("took %.1f s of CPU (bound %.0f s)" % (secs, MAX_SECONDS))
    # RUSAGE_CHILDREN keeps the largest child's peak: a rise past the bound is this case's
    if rss > rss0 and rss > MAX_RSS_MB:
        problems.append("peak memory %.0f MiB (bound %d MiB)" % (rss, MAX_RSS_MB))
    if problems:
        failures.append("%s %s: %s" % (kind, name, "; ".join(problems)))


GOOD_JOB = """name: good
seeds: {count: 4}
data: {kind: subspace, dim: 8, rank: 3, samples: 50, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 50}
record: {loss_every: 10}
"""


def bad_jobs(tmp):
    """The committed table of malformed jobs, then generated hostile ones."""
    d = os.path.join(SRC, "tests", "cli", "bad_jobs")
    for f in sorted(os.listdir(d)):
        want = open(os.path.join(d, f)).readline()
        want = re.escape(want[len("# expect: "):].strip().replace("{file}", os.path.join(d, f))
                         .replace("{dir}", d)) if want.startswith("# expect: ") else None
        for cmd in ("validate", "run"):
            args = [EXE, cmd, os.path.join(d, f)] + (["-o", "out.h5"] if cmd == "run" else [])
            check("job", "%s (%s)" % (f, cmd), args, tmp, 2, want, several=cmd == "validate")

    gen = os.path.join(tmp, "gen")
    os.makedirs(gen)
    rng = np.random.default_rng(0)
    with h5py.File(os.path.join(gen, "nan.h5"), "w") as f:
        x = rng.normal(size=(100, 4)); x[37, 2] = np.nan
        f["X"] = x
    with h5py.File(os.path.join(gen, "inf.h5"), "w") as f:
        x = rng.normal(size=(100, 4)); y = rng.normal(size=(100, 2)); y[99, 1] = -np.inf
        f["X"], f["Y"] = x, y
    with h5py.File(os.path.join(gen, "shapes.h5"), "w") as f:
        f["X3"] = np.zeros((4, 4, 4))
        f["S"] = np.array([b"a", b"b"])
        f.create_group("G")
        f["X"] = np.zeros((10, 4))
        f["Yshort"] = np.zeros((9, 2))
    open(os.path.join(gen, "notdata.h5"), "w").write("not hdf5\n")
    # issue 29: values stored outside the file, chunks too large to read, FIFOs
    with h5py.File(os.path.join(gen, "gzbomb.h5"), "w") as f:  # 128 KB: one 122 MiB gzip chunk
        f.create_dataset("X", shape=(2000000, 8), dtype="f8", chunks=(2000000, 8),
                         compression="gzip", fillvalue=0.0)
        f["X"][0:10] = 1.0
    open(os.path.join(gen, "raw.bin"), "wb").write(np.arange(40.0).tobytes())
    with h5py.File(os.path.join(gen, "other.h5"), "w") as f:
        f["X"] = rng.normal(size=(10, 4))
    with h5py.File(os.path.join(gen, "external.h5"), "w") as f:
        f.create_dataset("X", shape=(10, 4), dtype="f8", external=[("raw.bin", 0, 320)])
        f["L"] = h5py.ExternalLink("other.h5", "/X")
        lay = h5py.VirtualLayout(shape=(10, 4), dtype="f8")
        lay[:] = h5py.VirtualSource("other.h5", "X", shape=(10, 4))
        f.create_virtual_dataset("V", lay)
    os.mkfifo(os.path.join(gen, "fifo.h5"))
    os.makedirs(os.path.join(gen, "adir.h5"))
    body = "data: {kind: subspace, dim: 8, rank: 3, samples: 50}\nmodel: {kind: autoencoder, input: 8, latent: 3}\n"
    mlp = "model: {kind: mlp, widths: [4, 3, %s], activation: tanh}\ntrain: {epochs: 5}\n"
    cases = {
        "deep_flow": ("x: " + "[" * 100000 + "]" * 100000 + "\n", r":1:\d+: \(file\): expected nesting at most 64"),
        "deep_map": ("".join(" " * i + "k%d:\n" % i for i in range(3000)), r"expected nesting at most 64"),
        "deep_seq": ("x:\n" + "- " * 20000 + "1\n", r"expected nesting at most 64"),
        "deep_braces": ("x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", r"expected nesting at most 64"),
        "name_escape": ("name: ../../escaped\n" + body, r"name: expected letters, digits"),
        "name_absolute": ("name: /tmp/abs\n" + body, r"name: expected letters, digits"),
        "name_dotdot": ("name: ..\n" + body, r"name: expected a name that starts"),
        "name_option": ("name: -rf\n" + body, r"name: expected a name that starts"),
        "name_newline": ('name: "a\\nb"\n' + body, r"name: expected letters, digits"),
        "curve_bomb": (body + "train: {optimizer: gd, lr: 0.01, epochs: 1000000000}\nrecord: {loss_every: 1}\n",
                       r"one run's row of the output would take 7.45 GiB"),
        "memory_bomb": ("model: {kind: mlp, widths: [100000, 100000, 100000], activation: tanh}\n"
                        "data: {kind: teacher_linear, input: 100000, output: 100000, samples: 1000000}\n"
                        "train: {epochs: 1}\n", r"memory per rank|row of the output|expected|exceeds"),
        "data_nan": ("data: {kind: hdf5, file: nan.h5, x: X}\n" + mlp % 4,
                     r"data\.x: .*non-finite value \(nan\) at row 37, column 2"),
        "data_inf": ("data: {kind: hdf5, file: inf.h5, x: X, y: Y}\n" + mlp % 2,
                     r"data\.y: .*non-finite value \(-inf\) at row 99, column 1"),
        "data_3d": ("data: {kind: hdf5, file: shapes.h5, x: X3}\n" + mlp % 4, r"3 dimensions"),
        "data_strings": ("data: {kind: hdf5, file: shapes.h5, x: S}\n" + mlp % 4, r"not numeric"),
        "data_group": ("data: {kind: hdf5, file: shapes.h5, x: G}\n" + mlp % 4, r"not a dataset"),
        "data_missing_dset": ("data: {kind: hdf5, file: shapes.h5, x: nope}\n" + mlp % 4, r"no dataset"),
        "data_rows": ("data: {kind: hdf5, file: shapes.h5, x: X, y: Yshort}\n" + mlp % 2, r"expected 10 rows"),
        "data_not_hdf5": ("data: {kind: hdf5, file: notdata.h5, x: X}\n" + mlp % 4, r"not an HDF5 file"),
        "data_dir": ("data: {kind: hdf5, file: adir.h5, x: X}\n" + mlp % 4, r"directory|not readable"),
        "data_missing_file": ("data: {kind: hdf5, file: none.h5, x: X}\n" + mlp % 4, r"none\.h5"),
        "data_gzip_chunks": ("data: {kind: hdf5, file: gzbomb.h5, x: X}\n" + mlp % 4,
                             r"data\.x: .*gzbomb\.h5: dataset 'X' is stored in chunks of 2000000 rows: "
                             r"a band of them holds 122 MiB uncompressed, more than the 64 MiB"),
        "data_external_storage": ("data: {kind: hdf5, file: external.h5, x: X}\n" + mlp % 4,
                                  r"keeps its values in an external file \('raw\.bin'\)"),
        "data_external_link": ("data: {kind: hdf5, file: external.h5, x: L}\n" + mlp % 4,
                               r"dataset 'L' is an external link to .*other\.h5"),
        "data_virtual": ("data: {kind: hdf5, file: external.h5, x: V}\n" + mlp % 4,
                         r"dataset 'V' is a virtual dataset"),
        "data_fifo": ("data: {kind: hdf5, file: fifo.h5, x: X}\n" + mlp % 4,
                      r"data\.file: .*fifo\.h5: expected a regular file \(HDF5\), found a FIFO"),
        "init_fifo": ("data: {kind: teacher_linear, input: 4, output: 2, samples: 10}\n"
                      "model: {kind: mlp, widths: [4, 3, 2], init: {kind: file, file: fifo.h5}}\n"
                      "train: {epochs: 5}\n",
                      r"model\.init\.file: .*fifo\.h5: expected a regular file \(HDF5\), found a FIFO"),
        "name_nul_escape": ('name: "a\\0b"\n' + body,
                            r'1:7: name: expected text without a NUL character \(\\0\), found "a\\0b"'),
        "nul_in_axis": (body + 'train: {epochs: 5}\nsweep: {model.activation: [tanh, "re\\0lu"]}\n',
                        r"sweep\.model\.activation\[1\]: expected text without a NUL character"),
        "seeds_times_sweep": ("seeds: {count: 10000000}\n" + body +
                              "train: {optimizer: gd, lr: 0.1, epochs: 5}\nsweep:\n"
                              "  train.lr: linspace(0.001, 1, 1000)\n  train.epochs: range(1, 101, 1)\n",
                              r"seeds: expected at most 2147483647 runs \(configurations x seeds\), "
                              r"found 100000 configurations \(1000 x 100\) x 10000000 seeds"),
        "binary": (bytes(range(256)) * 64, None),
        "nul_byte": ("name: a\0b\n" + body, r"NUL byte"),
        "latin1": (b"name: caf\xe9\n" + body.encode(), None),
        "tabs": ("data:\n\tkind: subspace\n", r"syntax"),
        "duplicate_keys": (body + "train: {epochs: 5}\ntrain: {epochs: 6}\n", None),
        "alias_bomb": ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
                       "".join("%s: &%s [%s]\n" % (c, c, ", ".join(["*" + p] * 10))
                               for p, c in zip("abcdefgh", "bcdefghi")) + body, None),
        "long_scalar": ("name: " + "x" * 5_000_000 + "\n" + body, None),
        "two_documents": (body + "train: {optimizer: gd, lr: 0.01, epochs: 5}\n---\nname: second\n", r"second one"),
        "seeds_negative": ("seeds: {count: -5}\n" + body + "train: {epochs: 5}\n", None),
        "epochs_huge": (body + "train: {epochs: 99999999999999999999}\n", None),
        "lr_nan": (body + "train: {epochs: 5, lr: .nan}\n", None),
        "lr_inf": (body + "train: {epochs: 5, lr: .inf}\n", None),
        "sweep_empty": (body + "train: {epochs: 5}\nsweep: {regularizer: []}\n", None),
        "sweep_unknown_setting": (body + "train: {epochs: 5}\nsweep: {nope: [1, 2]}\n", None),
        "huge_file": ("# " + "x" * (17 << 20) + "\n", r"at most 16 MiB"),
    }
    for name, (text, want) in cases.items():
        p = os.path.join(gen, name + ".yaml")
        with open(p, "wb") as fh:
            fh.write(text if isinstance(text, bytes) else text.encode())
        for cmd in ("validate", "run"):
            args = [EXE, cmd, p] + (["-o", "out.h5"] if cmd == "run" else [])
            check("job", "%s (%s)" % (name, cmd), args, tmp, 2, want, several=cmd == "validate")
    # not a regular file
    os.mkfifo(os.path.join(gen, "fifo.yaml"))
    os.makedirs(os.path.join(gen, "dir.yaml"))
    for name, p, want in (("fifo", "fifo.yaml", r"other than a regular file"),
                          ("directory", "dir.yaml", r"found a directory"),
                          ("device", "/dev/zero", r"other than a regular file"),
                          ("missing", "none.yaml", r"cannot open the job file")):
        for cmd in ("validate", "run"):
            check("job", "%s (%s)" % (name, cmd), [EXE, cmd, os.path.join(gen, p)], tmp, 2, want)
    shutil.rmtree(gen)


def bad_command_lines(tmp):
    job = os.path.join(tmp, "good.yaml")
    open(job, "w").write(GOOD_JOB)
    os.makedirs(os.path.join(tmp, "adir"), exist_ok=True)
    E = EXE
    cases = [
        ([E], r"no command"),
        ([E, "frobnicate"], r"unknown command"),
        ([E, "run"], r"run needs a job file"),
        ([E, "run", job, job], r"second one"),
        ([E, "run", job, "-o"], r"needs a file name"),
        ([E, "run", job, "--force", "--resume"], r"choose one"),
        ([E, "run", job, "--checkpoint-every", "-1"], r"seconds"),
        ([E, "run", job, "--checkpoint-every", "abc"], r"seconds"),
        ([E, "run", job, "--grace", "1e99"], r"seconds"),
        ([E, "run", job, "--progress-every", ""], r"seconds"),
        ([E, "run", job, "--task-timeout", "x"], r"seconds"),
        ([E, "run", job, "--task-timeout"], r"seconds"),
        ([E, "run", job, "--shard", "3/2"], r"--shard"),
        ([E, "run", job, "--shard", "a/b"], r"--shard"),
        ([E, "run", job, "--shard", "0/0"], r"--shard"),
        ([E, "run", job, "--shard", "1"], r"--shard"),
        ([E, "run", job, "--frobnicate"], r"unknown option"),
        ([E, "run", "missing.yaml"], r"cannot open the job file"),
        ([E, "run", "adir"], r"directory"),
        ([E, "run", job, "-o", "/nonexistent-dir/x.h5"], r"does not exist"),
        ([E, "run", job, "-o", "adir"], r"is a directory"),
        ([E, "run", job, "-o", ""], r"empty"),
        ([E, "run", job, "-o", "missing.h5", "--resume"], r"no such file"),
        ([E, "run", job, "train.lr=" + "[" * 5000 + "]" * 5000], r"nesting at most 64"),
        ([E, "run", job, "train..lr=1"], r"expected KEY\.PATH=VALUE"),
        ([E, "run", job, "train.lr=[1,"], r"\(syntax\)"),
        ([E, "run", job, "=1"], r"second one"),
        ([E, "run", job, "data.kind.x=1"], r"not a mapping of settings"),
        ([E, "run", job, "train.lr=0.1", "train.lr=0.2"],
         r"command line 'train\.lr=0\.2': train\.lr: set twice on the command line \(also 'train\.lr=0\.1'\)"),
        ([E, "validate", job, "train.lr=0.1", "train={epochs: 5}"],
         r"command line 'train=\{epochs: 5\}': train: set twice on the command line \('train\.lr=0\.1' "
         r"sets a setting inside it\)"),
        ([E, "run", job, "data.noise=0.1\n---\nx: 1"],
         r"data\.noise: expected one value, found a second YAML document after it"),
        ([E, "validate", job, 'name="a\\0b"'], r"name: expected text without a NUL character"),
        ([E, "run", job, "--progress=fancy"], r"expected auto, bar, lines or none"),
        ([E, "validate"], r"found none"),
        ([E, "validate", job, job], r"second one"),
        ([E, "validate", job, "--bogus"], r"unknown option"),
        ([E, "validate", job, "-o", "/nonexistent-dir/x.h5"], None),
        ([E, "plan"], r"needs a job file"),
        ([E, "plan", job, "--bogus"], r"unknown option"),
        ([E, "plan", job, job], r"second one"),
        ([E, "merge"], r"at least one shard"),
        ([E, "merge", "out.h5"], r"at least one shard"),
        ([E, "merge", "out.h5", "s.h5", "--bogus"], r"unknown option"),
        ([E, "merge", "out.h5", "missing.h5"], r"missing\.h5"),
        ([E, "status"], r"found none"),
        ([E, "status", "a.h5", "b.h5"], None),
        ([E, "status", "missing.h5"], r"no such file"),
        ([E, "summary"], r"needs an output file"),
        ([E, "summary", "x.h5", "--by"], r"comma-separated"),
        ([E, "summary", "x.h5", "--bogus"], r"unknown option"),
        ([E, "summary", "a.h5", "b.h5"], r"second one"),
        ([E, "summary", "missing.h5"], r"no such file"),
    ]
    for args, want in cases:
        status = 2
        check("cmd", " ".join(a if a != job else "JOB" for a in args[1:]) or "(none)", args, tmp,
              status, want, inputs=("good.yaml", "adir"))


def hostile_h5(tmp):
    """Files that are not what symsweep wrote, or were changed since."""
    job = os.path.join(tmp, "good.yaml")
    open(job, "w").write(GOOD_JOB)
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    subprocess.run([EXE, "run", job, "-o", "good.h5", "-q"], cwd=tmp, check=True, env=env)
    subprocess.run([EXE, "run", job, "-o", "good2.h5", "-q"], cwd=tmp, check=True, env=env)
    good = os.path.join(tmp, "good.h5")
    made = {}

    def mk(name, build):
        p = os.path.join(tmp, name)
        build(p)
        made[name] = p

    def copy_then(fn):
        def b(p):
            shutil.copy(good, p)
            with h5py.File(p, "r+") as f:
                fn(f)
        return b

    mk("empty.h5", lambda p: open(p, "wb").close())
    mk("random.h5", lambda p: open(p, "wb").write(bytes(random.Random(1).randrange(256) for _ in range(4096))))
    mk("text.h5", lambda p: open(p, "w").write("name: not hdf5\n"))
    mk("dir.h5", lambda p: os.makedirs(p))
    mk("truncated.h5", lambda p: open(p, "wb").write(open(good, "rb").read()[: os.path.getsize(good) // 2]))
    mk("foreign.h5", lambda p: h5py.File(p, "w").create_dataset("x", data=np.arange(5)))

    def status_group(f):
        del f["runs/status"]
        f.create_group("runs/status")
    mk("status_group.h5", copy_then(status_group))

    def status_float(f):
        n = f["runs/status"].shape[0]
        del f["runs/status"]
        f["runs/status"] = np.full(n, 1.5)
    mk("status_float.h5", copy_then(status_float))

    def status_2d(f):
        n = f["runs/status"].shape[0]
        del f["runs/status"]
        f["runs/status"] = np.ones((n, 2), dtype=np.int8)
    mk("status_2d.h5", copy_then(status_2d))

    def status_unknown(f):
        n = f["runs/status"].shape[0]
        del f["runs/status"]
        f["runs/status"] = np.full(n, 7, dtype=np.int8)
    mk("status_unknown.h5", copy_then(status_unknown))

    mk("external_link.h5", copy_then(lambda f: f.__setitem__("runs/metrics/evil", h5py.ExternalLink("/etc/passwd", "/x"))))
    mk("soft_loop.h5", copy_then(lambda f: f.__setitem__("runs/loop", h5py.SoftLink("/runs/loop"))))

    def rows_mismatch(f):
        del f["runs/metrics/final_loss"]
        f["runs/metrics/final_loss"] = np.zeros(2)
    mk("rows_mismatch.h5", copy_then(rows_mismatch))
    mk("no_hash.h5", copy_then(lambda f: f.attrs.__delitem__("job_sha256")))
    mk("no_format.h5", copy_then(lambda f: f.attrs.__delitem__("format_version")))

    def huge_dims(f):
        del f["runs/metrics/final_loss"]
        f.create_dataset("runs/metrics/final_loss", shape=(4,), dtype="f8")
        f.create_dataset("runs/metrics/huge", shape=(4, 10**7, 10**4), dtype="f8", chunks=(1, 1000, 100))
    mk("huge_dims.h5", copy_then(huge_dims))

    def corrupt(p):
        shutil.copy(good, p)
        r = random.Random(7)
        n = os.path.getsize(p)
        with open(p, "r+b") as fh:
            for _ in range(200):
                fh.seek(r.randrange(0, n - 16))
                fh.write(bytes(r.randrange(256) for _ in range(16)))
    mk("corrupt200.h5", corrupt)

    def corrupt_data(p):
        # one 16-byte overwrite inside the final weights' raw data: only the checksum tells
        shutil.copy(good, p)
        with h5py.File(p, "r") as f:
            off = f["runs/curves/loss"].id.get_offset() if f["runs/curves/loss"].id.get_offset() else None
            if off is None:
                off = f["runs/curves/loss"].id.get_chunk_info(0).byte_offset
        with open(p, "r+b") as fh:
            fh.seek(off + 8)
            fh.write(b"\x7f" * 16)
    mk("corrupt_chunk.h5", corrupt_data)

    report = os.path.join(SRC, "analysis", "report.py")
    for name, p in made.items():
        base = os.path.basename(p)
        inputs = list(made) + ["good.h5", "good2.h5", "good.yaml", "good.h5.progress", "good2.h5.progress"]
        check("h5", "summary " + name, [EXE, "summary", base], tmp, 2, None, inputs=inputs)
        check("h5", "status " + name, [EXE, "status", base], tmp, 2, None, inputs=inputs)
        check("h5", "merge " + name, [EXE, "merge", "merged.h5", "good2.h5", base], tmp, (1, 2), None,
              inputs=inputs)
        check("h5", "resume " + name, [EXE, "run", "good.yaml", "-o", base, "--resume"], tmp, (1, 2),
              None, inputs=inputs)
        check("h5", "report " + name, [sys.executable, report, base, "--out", "rep", "-q"], tmp, (1, 2), None,
              inputs=inputs)


def peak_of(args, cwd):
    """Peak RSS (MiB) of one command alone, measured in a fresh process."""
    probe = ("import resource, subprocess, sys; "
             "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe] + args, cwd=cwd, capture_output=True,
                         text=True, env=dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "")
                                             + ":detect_leaks=0")).stdout.split()
    return int(out[0]), int(out[1]) / 1024.0


def user_data_memory(tmp):
    """A 64 MiB data set trained for an epoch, full batch and in minibatches:
    peak memory above a tiny-data run stays within 2x the data's size."""
    if "fsanitize" in open(os.path.join(os.path.dirname(EXE), "CMakeCache.txt")).read() \
            if os.path.exists(os.path.join(os.path.dirname(EXE), "CMakeCache.txt")) else False:
        return  # ASan's shadow memory is not the program's
    rows, cols = 1 << 20, 8
    with h5py.File(os.path.join(tmp, "big.h5"), "w") as f:
        f["X"] = np.random.default_rng(0).normal(size=(rows, cols))
    with h5py.File(os.path.join(tmp, "tiny.h5"), "w") as f:
        f["X"] = np.random.default_rng(0).normal(size=(64, cols))
    size_mb = rows * cols * 8 / 2**20
    for name, batch in (("full batch", ""), ("minibatch", ", batch_size: 32")):
        for data in ("big", "tiny"):
            open(os.path.join(tmp, data + ".yaml"), "w").write(
                "name: %s\nseeds: [1]\ndata: {kind: hdf5, file: %s.h5, x: X}\n"
                "model: {kind: autoencoder, input: 8, latent: 3}\n"
                "train: {optimizer: adam, lr: 0.01, epochs: 1%s}\n" % (data, data, batch))
        rc, base = peak_of([EXE, "run", "tiny.yaml", "-o", "tiny_out.h5", "-q"], tmp)
        rc2, peak = peak_of([EXE, "run", "big.yaml", "-o", "big_out.h5", "-q"], tmp)
        counts["job"] += 1
        if rc or rc2:
            failures.append("user data (%s): runs failed (%d, %d)" % (name, rc, rc2))
        elif peak - base > 2 * size_mb:
            failures.append("user data (%s): %.0f MiB of data took %.0f MiB above a tiny run "
                            "(bound 2x)" % (name, size_mb, peak - base))
        else:
            print("user data (%s): %.0f MiB of data, %.0f MiB peak above a tiny run (%.2fx)"
                  % (name, size_mb, peak - base, (peak - base) / size_mb))
        for f in ("tiny_out.h5", "big_out.h5", "tiny_out.h5.progress", "big_out.h5.progress"):
            if os.path.exists(os.path.join(tmp, f)):
                os.remove(os.path.join(tmp, f))
    rc, out, err, _ = run([EXE, "validate", "big.yaml"], tmp)
    if rc != 0 or "user data 64 MiB per run" not in out:
        failures.append("validate does not report the user data's size: %r" % out)
    for f in ("big.h5", "tiny.h5", "big.yaml", "tiny.yaml"):
        os.remove(os.path.join(tmp, f))


def main():
    tmp = tempfile.mkdtemp()
    try:
        bad_jobs(tmp)
        bad_command_lines(tmp)
        hostile_h5(tmp)
        user_data_memory(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    need = {"job": 60, "cmd": 30, "h5": 15 * 5}
    for k, v in need.items():
        if counts[k] < v:
            failures.append("only %d %s cases (want at least %d)" % (counts[k], k, v))
    for f in failures:
        print("FAIL:", f)
    print("hostile input: %d job-file runs, %d command lines, %d HDF5-file runs; %d failures"
          % (counts["job"], counts["cmd"], counts["h5"], len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
