#!/usr/bin/env python3
"""The size limits of issue 28: no C file under src/ over 900 lines, no function over 100.

A function is a definition at the left margin: a line that opens a brace alone ("{") after a
signature, up to the matching "}" at the left margin; its length counts from the first line of
its signature to the closing brace.  Prints every file and function over its limit and exits 1
if there is one (0 otherwise).  Usage: sizes.py SRC_DIR [--max-file N] [--max-function N]
"""
import argparse
import os
import re
import sys

SIG_START = re.compile(r"^[A-Za-z_][\w \*\(\),\[\]]*$|^[A-Za-z_].*\($")


def functions(lines):
    """(name, first line, length) of each function defined at the left margin."""
    out = []
    i = 0
    n = len(lines)
    while i < n:
        if lines[i].rstrip() == "{" and i > 0:
            # the signature: back to the line after a blank line, a ';', a '}' or a comment end
            j = i - 1
            while j > 0:
                prev = lines[j - 1].rstrip()
                if (not prev or prev.endswith(";") or prev.endswith("}") or prev.endswith("*/")
                        or prev.startswith("#") or prev.startswith("//")):
                    break
                j -= 1
            sig = " ".join(l.strip() for l in lines[j:i])
            m = re.search(r"(\w+)\s*\(", sig)
            k = i + 1
            while k < n and not lines[k].startswith("}"):
                k += 1
            if m and not sig.startswith(("struct", "typedef", "enum", "union", "static const",
                                          "const ")) and "=" not in sig.split("(")[0]:
                out.append((m.group(1), j + 1, k - j + 1))
            i = k + 1
            continue
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("--max-file", type=int, default=900)
    ap.add_argument("--max-function", type=int, default=100)
    ap.add_argument("--list", action="store_true", help="print every function's length")
    a = ap.parse_args()
    bad = 0
    n_fun = 0
    for root, _, files in sorted(os.walk(a.src)):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            with open(path, encoding="utf-8") as fh:
                lines = fh.read().split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            if len(lines) > a.max_file:
                print(f"{path}: {len(lines)} lines (at most {a.max_file})")
                bad += 1
            for name, first, length in functions(lines):
                n_fun += 1
                if a.list:
                    print(f"{length:5d} {path}:{first}: {name}")
                if length > a.max_function:
                    print(f"{path}:{first}: {name} is {length} lines (at most {a.max_function})")
                    bad += 1
    print(f"sizes: {n_fun} functions checked, {bad} over the limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
