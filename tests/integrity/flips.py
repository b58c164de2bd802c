#!/usr/bin/env python3
"""Single-byte flips of a finished output file: every flip that changes the file's content
(any dataset value or attribute, as h5py reads it, or that makes the file unreadable) must be
detected by `symsweep status` and by `symsweep summary` (a nonzero exit).

A small job (4 runs, a string axis, one failed run so /runs/error holds text) is run once;
then FLIPS copies each get one byte XORed with a random nonzero value (fixed seed).  A flip
that changes nothing h5py can see (padding, free space, a reference count) needs no
detection.  `--lock` also holds an exclusive flock on the file while status and summary
read it (a reader that skipped the checks for a locked file would pass corrupted data).

    flips.py SYMSWEEP [--flips N] [--seed S] [--lock] [--keep DIR]
"""
import argparse
import fcntl
import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

JOB = """name: flips
seeds: {count: 2}
data: {kind: subspace, dim: 4, rank: 2, samples: 20, noise: 0.05}
model: {kind: autoencoder, input: 4, latent: 2}
train: {optimizer: adam, lr: 0.005, epochs: 10}
record: {loss_every: 5}
sweep:
  train.optimizer: [adam, gd]
"""


def content(path):
    """Everything h5py reads of the file: every object's attributes, every dataset's type,
    shape and values (strings by value), the links' kinds."""
    out = []
    with h5py.File(path, "r") as f:
        items = []
        f.visititems(lambda n, o: items.append(n))
        for name in ["/"] + sorted(items):
            obj = f[name]
            link = f.get(name, getlink=True) if name != "/" else None
            out.append(("obj", name, type(obj).__name__, type(link).__name__))
            for k in sorted(obj.attrs.keys()):
                v = obj.attrs[k]
                if k in ("DIMENSION_LIST", "REFERENCE_LIST"):
                    v = repr(v)  # references: compared as h5py shows them
                out.append(("attr", name, k, repr(np.asarray(v).dtype), repr(v) if not isinstance(v, np.ndarray) else v.tobytes() if v.dtype.kind not in "OV" else repr(v.tolist())))
            if isinstance(obj, h5py.Dataset):
                v = obj[()]
                a = np.asarray(v)
                out.append(("data", name, str(obj.dtype), obj.shape,
                            repr(a.tolist()) if a.dtype.kind in "OSU" else a.tobytes()))
    return out


class Reader:
    """content() in a child process that stays up (one h5py import): a crash of the HDF5
    library on a corrupted file counts as unreadable instead of ending this test, and
    the child is started again."""

    def __init__(self):
        self.p = None

    def start(self):
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--reader"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def content(self, path):
        if self.p is None:
            self.start()
        try:
            self.p.stdin.write((path + "\n").encode())
            self.p.stdin.flush()
            n = self.p.stdout.readline()
            if n:
                return pickle.loads(self.p.stdout.read(int(n)))
        except (BrokenPipeError, ValueError):
            pass
        self.p.wait()
        st = self.p.returncode
        self.p = None
        return ("error", "the reader crashed (status %d)" % st)

    def close(self):
        if self.p:
            self.p.stdin.close()
            self.p.wait()


def reader_loop():
    for line in sys.stdin:
        try:
            data = pickle.dumps(("ok", content(line.rstrip("\n"))))
        except Exception as e:  # unreadable: any error of h5py / HDF5
            data = pickle.dumps(("error", repr(e)[:200]))
        sys.stdout.buffer.write(b"%d\n" % len(data) + data)
        sys.stdout.buffer.flush()


def main():
    if sys.argv[1:] == ["--reader"]:
        return reader_loop()
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--flips", type=int, default=300)
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--lock", action="store_true")
    ap.add_argument("--keep")
    a = ap.parse_args()
    exe = os.path.abspath(a.exe)
    tmp = tempfile.mkdtemp(prefix="symsweep-flips-")
    try:
        job = os.path.join(tmp, "j.yaml")
        open(job, "w").write(JOB)
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
        subprocess.run([exe, "run", job, "-o", "good.h5", "-q"], cwd=tmp, check=True, env=env,
                       stdout=subprocess.DEVNULL)
        good = os.path.join(tmp, "good.h5")
        # one failed run, its message in /runs/error (fixed-length text), written as symsweep
        # itself would: status 3 and the text, through h5py, before anything is flipped
        with h5py.File(good, "r+") as f:
            st = f["runs/status"][()]
            st[1] = 3
            f["runs/status"][...] = st
            e = f["runs/error"][()]
            e[1] = b"run 1: the objective became NaN at epoch 3 (a test's message)"
            f["runs/error"][...] = e
        want = content(good)
        for cmd in ("status", "summary"):
            p = subprocess.run([exe, cmd, good], cwd=tmp, capture_output=True, env=env)
            if p.returncode != 0:
                sys.exit("the good file fails '%s': %s" % (cmd, p.stderr.decode()))
        data = open(good, "rb").read()
        rng = random.Random(a.seed)
        changed = undetected = 0
        misses = []
        reader = Reader()
        for t in range(a.flips):
            off = rng.randrange(len(data))
            x = rng.randrange(1, 256)
            bad = os.path.join(tmp, "bad.h5")
            b = bytearray(data)
            b[off] ^= x
            open(bad, "wb").write(bytes(b))
            got = reader.content(bad)
            if got[0] == "ok" and got[1] == want:
                continue  # nothing h5py can see changed
            changed += 1
            what = got[1] if got[0] == "error" else next(
                ("%s %s %s" % w[:3] for w, g in zip(want, got[1]) if w != g), "the object list")
            lock = None
            if a.lock:
                lock = open(bad, "rb")
                fcntl.flock(lock, fcntl.LOCK_EX)  # what `flock -x bad.h5 sleep 5 &` does
            for cmd in ("status", "summary"):
                try:
                    p = subprocess.run([exe, cmd, bad], cwd=tmp, capture_output=True, env=env, timeout=60)
                    rc = p.returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
                if rc == 0:
                    undetected += 1
                    misses.append("flip %d: byte %d ^ 0x%02x (%s): '%s' exits 0" % (t, off, x, what, cmd))
            if lock:
                lock.close()
        reader.close()
        print("%d flips, %d changed the content, %d (flip, command) pairs undetected%s"
              % (a.flips, changed, undetected, " (the file locked)" if a.lock else ""))
        for m in misses:
            print("  " + m)
        if changed < a.flips // 10:
            sys.exit("only %d flips changed the content: the test checks too little" % changed)
        sys.exit(1 if misses else 0)
    finally:
        if a.keep:
            shutil.copytree(tmp, a.keep, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
