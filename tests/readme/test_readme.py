#!/usr/bin/env python3
"""The README's shell and Python snippets run, in order, in a scratch
directory that looks like a built checkout (jobs/, analysis/, build/symsweep),
so that the README cannot drift from what the tool does.

A snippet preceded by `<!-- readme-test: skip REASON -->` is not run (the
quick start itself, cluster submissions, a build from scratch); every skip
must give a reason, and at least MIN_RUN snippets must run.

    test_readme.py SYMSWEEP SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXE, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
MIN_RUN = 4
SKIP = re.compile(r"<!-- readme-test: skip (\S.*?) -->")


def snippets(text):
    """(language, code, skip reason or None, line) of every sh/python block."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^```(sh|python)\s*$", lines[i])
        if not m:
            i += 1
            continue
        prev = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        skip = SKIP.search(prev)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        out.append((m.group(1), "\n".join(lines[i + 1:j]), skip.group(1) if skip else None, i + 1))
        i = j + 1
    return out


def main():
    text = open(os.path.join(SRC, "README.md")).read()
    tmp = tempfile.mkdtemp()
    fail, ran, skipped = 0, 0, 0
    try:
        os.symlink(os.path.join(SRC, "jobs"), os.path.join(tmp, "jobs"))
        shutil.copytree(os.path.join(SRC, "analysis"), os.path.join(tmp, "analysis"))
        os.makedirs(os.path.join(tmp, "build"))
        os.symlink(EXE, os.path.join(tmp, "build", "symsweep"))
        os.makedirs(os.path.join(tmp, "out"))
        # a Debian user's PATH: the system's python3 (with Debian's numpy, h5py, ...)
        # before any other on this machine, and the built symsweep
        env = dict(os.environ, HOME=tmp, PIP_NO_INDEX="1",
                   PATH=os.pathsep.join([os.path.join(tmp, "build"), "/usr/bin", "/bin",
                                         os.environ.get("PATH", "")]))
        for lang, code, skip, line in snippets(text):
            if skip is not None:
                skipped += 1
                print("README.md:%d: %s snippet skipped: %s" % (line, lang, skip))
                continue
            cmd = ["bash", "-euo", "pipefail", "-c", code] if lang == "sh" else ["/usr/bin/python3", "-c", code]
            r = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
            ran += 1
            if r.returncode != 0:
                fail = 1
                print("FAIL: README.md:%d: the %s snippet exits %d:\n%s\n%s"
                      % (line, lang, r.returncode, code, (r.stdout + r.stderr)[-3000:]))
            else:
                print("README.md:%d: %s snippet ran" % (line, lang))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if ran < MIN_RUN:
        fail = 1
        print("FAIL: only %d snippets ran (want at least %d)" % (ran, MIN_RUN))
    print("README: %d snippets ran, %d skipped with a reason, %s" % (ran, skipped, "failures" if fail else "all passed"))
    return fail


if __name__ == "__main__":
    sys.exit(main())
