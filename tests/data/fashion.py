#!/usr/bin/env python3
"""Fashion-MNIST as Debian's dataset-fashion-mnist installs it (IDX, gzip): `validate` counts
the 60,000 x 784 training set (with its labels) in its memory estimate, and a sweep over two
ranks trains on a class subset with a held-out split, the settings recorded under /config.
Skips (exit 77) where the package is not installed (scripts/setup.sh installs it).

usage: fashion.py SYMSWEEP MPIEXEC NP_FLAG
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, MPIEXEC, NP = sys.argv[1:4]
D = "/usr/share/datasets/fashion-mnist"
TRAIN = ("%s/train-images-idx3-ubyte.gz" % D, "%s/train-labels-idx1-ubyte.gz" % D)
if not all(os.path.exists(p) for p in TRAIN):
    print("SKIP: %s not found (Debian package dataset-fashion-mnist; scripts/setup.sh installs it)" % D)
    sys.exit(77)

fail = []
with tempfile.TemporaryDirectory() as tmp:
    full = os.path.join(tmp, "full.yaml")
    with open(full, "w") as f:
        f.write("name: full\ndata: {kind: idx, images: %s, labels: %s}\n"
                "model: {kind: mlp, widths: [784, 32, 1]}\n"
                "train: {optimizer: adam, lr: 0.001, epochs: 1, batch_size: 128}\n" % TRAIN)
    r = subprocess.run([EXE, "validate", full], capture_output=True, text=True)
    want = "user data %.3g MiB" % (8.0 * 60000 * (784 + 1) / 1048576.0)
    if r.returncode != 0 or want not in r.stdout:
        fail.append("validate: expected '%s', got %r %r" % (want, r.stdout, r.stderr))

    job = os.path.join(tmp, "two.yaml")
    with open(job, "w") as f:
        f.write("name: two\nseeds: {count: 2}\n"
                "data: {kind: idx, images: %s, labels: %s, classes: [7, 9], per_class: 300,\n"
                "       standardize: true, test: {fraction: 0.25}}\n"
                "model: {kind: mlp, widths: [784, 16, 1]}\n"
                "train: {optimizer: adam, lr: 0.001, epochs: 2, batch_size: 50}\n" % TRAIN)
    out = os.path.join(tmp, "two.h5")
    r = subprocess.run([MPIEXEC, NP, "2", EXE, "run", job, "-o", out, "-q"], capture_output=True, text=True)
    if r.returncode != 0:
        fail.append("run: %d %s" % (r.returncode, r.stderr))
    else:
        with h5py.File(out, "r") as f:
            if list(f["/config/data/classes"][0]) != [7, 9]:
                fail.append("/config/data/classes: %s" % f["/config/data/classes"][...])
            if f["/config/data/per_class"][0] != 300 or f["/config/data/test/fraction"][0] != 0.25:
                fail.append("/config/data: per_class or test.fraction not recorded")
            if not np.all(np.isfinite(f["/runs/metrics/final_loss"][...])):
                fail.append("final loss not finite")
for m in fail:
    print("FAIL", m)
print("fashion: %d problems" % len(fail))
sys.exit(1 if fail else 0)
