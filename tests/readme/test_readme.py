#!/usr/bin/env python3
"""Every shell and Python snippet of README.md and of every docs/*.md runs, so that the
documentation cannot drift from what the tool does.

Each file's snippets run in order, as a reader would type them, in a fresh scratch directory
of their own that looks like a built checkout: every top-level entry of the source tree
(linked; analysis/ copied, since installing it writes into it) and build/symsweep. There is no
out/: a snippet that writes into out/ must make it. PATH is the caller's with build/ in front:
a snippet that needs Debian's Python must say /usr/bin/python3 (this machine's first python3
may be another). Python snippets run with /usr/bin/python3, each in a process of its own.

The line before a snippet may hold a marker:
    <!-- readme-test: skip REASON -->   not run (the quick start itself, cluster submissions,
                                        builds from scratch, benchmarks); the reason is required
    <!-- readme-test: needs CMD... -->  run only where every CMD is on PATH, else counted as
                                        skipped with that reason
Any other `readme-test:` comment is an error, and at least MIN_RUN snippets must run in all,
MIN_RUN_README of them from README.md.

    test_readme.py SYMSWEEP SOURCE_DIR [FILE.md...]   (default: README.md and docs/*.md)
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXE, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
MIN_RUN = 12
MIN_RUN_README = 2
MARKER = re.compile(r"<!--\s*readme-test:(.*?)-->")
SKIP = re.compile(r"^\s*skip (\S.*?)\s*$")
NEEDS = re.compile(r"^\s*needs ((?:[\w.+-]+\s*)+)$")


def snippets(text):
    """(language, code, marker text or None, line) of every sh/python block."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^```(sh|python)\s*$", lines[i])
        if not m:
            i += 1
            continue
        prev = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = MARKER.search(prev)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        out.append((m.group(1), "\n".join(lines[i + 1:j]), marker.group(1) if marker else None, i + 1))
        i = j + 1
    return out


def scratch_checkout():
    tmp = tempfile.mkdtemp(prefix="symsweep-docs-")
    for name in os.listdir(SRC):
        if name in (".git", "out") or name.startswith("build") or name.endswith(".egg-info"):
            continue
        if name == "analysis":
            shutil.copytree(os.path.join(SRC, name), os.path.join(tmp, name),
                            ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build"))
        else:
            os.symlink(os.path.join(SRC, name), os.path.join(tmp, name))
    os.makedirs(os.path.join(tmp, "build"))
    os.symlink(EXE, os.path.join(tmp, "build", "symsweep"))
    return tmp


def run_file(rel, counts):
    """Runs one file's snippets; returns 1 on a failure."""
    fail = 0
    tmp = scratch_checkout()
    env = dict(os.environ, HOME=tmp, PIP_NO_INDEX="1",
               PATH=os.pathsep.join([os.path.join(tmp, "build"), os.environ.get("PATH", "")]))
    try:
        for lang, code, marker, line in snippets(open(os.path.join(SRC, rel)).read()):
            where = "%s:%d" % (rel, line)
            if marker is not None:
                skip, needs = SKIP.match(marker), NEEDS.match(marker)
                if skip:
                    counts[rel][1] += 1
                    print("%s: %s snippet skipped: %s" % (where, lang, skip.group(1)))
                    continue
                if not needs:
                    print("FAIL: %s: a readme-test marker must be 'skip REASON' or 'needs CMD...': %r"
                          % (where, marker))
                    fail = 1
                    continue
                missing = [c for c in needs.group(1).split() if shutil.which(c, path=env["PATH"]) is None]
                if missing:
                    counts[rel][1] += 1
                    print("%s: %s snippet skipped: needs %s, not installed" % (where, lang, " ".join(missing)))
                    continue
            cmd = ["bash", "-euo", "pipefail", "-c", code] if lang == "sh" else ["/usr/bin/python3", "-c", code]
            try:
                r = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
                rc, output = r.returncode, r.stdout + r.stderr
            except subprocess.TimeoutExpired as e:
                rc, output = "a timeout (600 s)", str(e.output or "")
            counts[rel][0] += 1
            if rc != 0:
                fail = 1
                print("FAIL: %s: the %s snippet exits %s:\n%s\n%s" % (where, lang, rc, code, output[-3000:]))
            else:
                print("%s: %s snippet ran" % (where, lang))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return fail


def main():
    files = sys.argv[3:] or ["README.md"] + sorted(os.path.relpath(p, SRC) for p in
                                                  glob.glob(os.path.join(SRC, "docs", "*.md")))
    counts = {rel: [0, 0] for rel in files}
    fail = 0
    for rel in files:
        fail |= run_file(rel, counts)
    for rel in files:
        print("%s: %d snippets ran, %d skipped with a reason" % (rel, counts[rel][0], counts[rel][1]))
    ran = sum(c[0] for c in counts.values())
    if not sys.argv[3:]:
        if ran < MIN_RUN:
            fail = 1
            print("FAIL: only %d snippets ran (want at least %d)" % (ran, MIN_RUN))
        if counts["README.md"][0] < MIN_RUN_README:
            fail = 1
            print("FAIL: only %d README snippets ran (want at least %d)" % (counts["README.md"][0], MIN_RUN_README))
    print("docs: %d snippets ran, %d skipped with a reason, %s"
          % (ran, sum(c[1] for c in counts.values()), "failures" if fail else "all passed"))
    return fail


if __name__ == "__main__":
    sys.exit(main())
