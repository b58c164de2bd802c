#!/usr/bin/env python3
"""Apply each mutant of mutants.txt to a scratch copy of the tree, rebuild it incrementally,
run the tests the mutant names, revert it, and report the survivors (mutants that some named
test let through).  Exit 0 only when every mutant is caught by every test it names.

    tests/mutants/run.py [--scratch DIR] [--jobs 2] [--only NAME ...] [--list]

The scratch copy (default: $TMPDIR/symsweep-mutants) holds the tracked files of the working
tree and one build (-DSYM_WERROR=OFF, so that a mutant that only warns still builds); it is
kept between invocations, so a second run rebuilds only what a mutant touches.  Mutants run
one at a time, the build with --jobs (2) jobs; ctest runs the named tests one at a time.  Run
it as the tests run (as root: OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))


def parse(path):
    mutants, cur = [], {}
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                mutants.append(cur)
            cur = {}
            continue
        key, _, val = line.partition(": ")
        if key not in ("name", "file", "from", "to", "tests") or not val:
            sys.exit("%s:%d: expected 'name|file|from|to|tests: VALUE', found %r" % (path, n, line))
        cur[key] = val
        cur.setdefault("line", n)
    if cur:
        mutants.append(cur)
    for m in mutants:
        missing = [k for k in ("name", "file", "from", "to", "tests") if k not in m]
        if missing:
            sys.exit("%s:%d: mutant without %s" % (path, m["line"], ", ".join(missing)))
        m["tests"] = m["tests"].split()
    names = [m["name"] for m in mutants]
    if len(set(names)) != len(names):
        sys.exit("%s: mutant names repeat" % path)
    return mutants


def sh(args, cwd=None, log=None, env=None):
    p = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    if log:
        with open(log, "ab") as fh:
            fh.write(b"$ " + " ".join(args).encode() + b"\n" + p.stdout)
    return p.returncode, p.stdout.decode(errors="replace")


def sync_tree(scratch):
    """The tracked files of the working tree (with its uncommitted changes) into scratch/src;
    files whose bytes are unchanged keep their times, so the build stays incremental."""
    rc, out = sh(["git", "ls-files", "-z"], cwd=SRC)
    if rc:
        sys.exit("git ls-files failed in %s" % SRC)
    dst = os.path.join(scratch, "src")
    for rel in filter(None, out.split("\0")):
        a, b = os.path.join(SRC, rel), os.path.join(dst, rel)
        if not os.path.isfile(a):
            continue
        os.makedirs(os.path.dirname(b), exist_ok=True)
        if os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read():
            continue
        shutil.copy2(a, b)
    return dst


def apply(src, m):
    path = os.path.join(src, m["file"])
    lines = open(path).read().split("\n")
    hits = [i for i, l in enumerate(lines) if l.strip() == m["from"].strip()]
    if len(hits) != 1:
        return None, "the line %r occurs %d times in %s (the list is stale)" % (m["from"], len(hits), m["file"])
    i = hits[0]
    orig = "\n".join(lines)
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = indent + m["to"].strip()
    open(path, "w").write("\n".join(lines))
    return orig, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch", default=os.path.join(tempfile.gettempdir(), "symsweep-mutants"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    mutants = parse(os.path.join(HERE, "mutants.txt"))
    if a.only:
        unknown = set(a.only) - {m["name"] for m in mutants}
        if unknown:
            sys.exit("no mutant named %s" % ", ".join(sorted(unknown)))
        mutants = [m for m in mutants if m["name"] in a.only]
    if a.list:
        for m in mutants:
            print("%-40s %-28s %s" % (m["name"], m["file"], " ".join(m["tests"])))
        return 0
    os.makedirs(a.scratch, exist_ok=True)
    log = os.path.join(a.scratch, "mutants.log")
    open(log, "w").close()
    src = sync_tree(a.scratch)
    build = os.path.join(a.scratch, "build")
    t0 = time.monotonic()
    rc, out = sh(["cmake", "-S", src, "-B", build, "-DSYM_WERROR=OFF", "-DSYM_BUILD_BENCH=OFF"], log=log)
    if rc == 0:
        rc, out = sh(["cmake", "--build", build, "-j%d" % a.jobs], log=log)
    if rc:
        sys.exit("the unmutated tree does not build (see %s)" % log)
    # every named test must exist and pass on the unmutated tree: a mutant caught by a test
    # that fails anyway proves nothing
    tests = sorted({t for m in mutants for t in m["tests"]})
    rc, out = sh(["ctest", "--test-dir", build, "-N"], log=log)
    known = {l.split(": ", 1)[1].strip() for l in out.splitlines() if l.strip().startswith("Test") and ": " in l}
    unknown = [t for t in tests if t not in known]
    if unknown:
        sys.exit("mutants.txt names tests ctest does not have: %s" % ", ".join(unknown))
    print("baseline: %d tests on the unmutated tree ..." % len(tests), flush=True)
    rc, out = sh(["ctest", "--test-dir", build, "-R", "^(%s)$" % "|".join(t.replace(".", r"\.") for t in tests)], log=log)
    if rc:
        print(out)
        sys.exit("the unmutated tree fails a named test: fix that first (see %s)" % log)
    survivors, broken = [], []
    for k, m in enumerate(mutants, 1):
        t1 = time.monotonic()
        orig, err = apply(src, m)
        if err:
            broken.append((m["name"], err))
            print("[%d/%d] %s: ERROR %s" % (k, len(mutants), m["name"], err), flush=True)
            continue
        path = os.path.join(src, m["file"])
        try:
            rc, out = sh(["cmake", "--build", build, "-j%d" % a.jobs], log=log)
            if rc:
                verdict, passed = "does not build (a compiler catch, not a test's: make it build)", None
                broken.append((m["name"], "does not build"))
            else:
                passed = []
                for t in m["tests"]:
                    rc, out = sh(["ctest", "--test-dir", build, "-R", "^%s$" % t.replace(".", r"\.")], log=log)
                    if rc == 0:
                        passed.append(t)
                verdict = "caught" if not passed else "SURVIVED %s" % " ".join(passed)
                if passed:
                    survivors.append((m["name"], passed))
        finally:
            open(path, "w").write(orig)  # reverted, whatever happened
        print("[%d/%d] %s: %s (%.0f s)" % (k, len(mutants), m["name"], verdict, time.monotonic() - t1), flush=True)
    # leave the scratch build as the tree is
    sh(["cmake", "--build", build, "-j%d" % a.jobs], log=log)
    print("\n%d mutants: %d caught, %d survived, %d broken, in %.0f s (log: %s)" % (
        len(mutants), len(mutants) - len(survivors) - len(broken), len(survivors), len(broken),
        time.monotonic() - t0, log))
    for name, passed in survivors:
        print("  survivor %s: passed %s" % (name, " ".join(passed)))
    for name, why in broken:
        print("  broken %s: %s" % (name, why))
    return 1 if survivors or broken else 0


if __name__ == "__main__":
    sys.exit(main())
