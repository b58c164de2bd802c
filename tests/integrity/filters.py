#!/usr/bin/env python3
"""Every dataset of an output file carries HDF5's Fletcher-32 filter, and so does every
dataset of a merged and of an align file, except those that by design cannot:

- variable-length string datasets (the /grid columns of text settings, the /config values
  that are names or paths, and the label scales of categorical axes such as
  /probes/reparam/family): their chunks hold
  references into the global heap, where the values live and no filter applies; their
  values are covered by the file's seal instead (docs/reliability.md).

A missing filter (say on /runs/status) lets one flipped byte turn a done run into a failed
one with exit 0.  The jobs: the small analysis jobs (weights, curves, the reparam, orbit,
lpball and l1 probes' groups), one with a text axis, run to a file, its two shards merged.

    filters.py SYMSWEEP SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

import h5py

EXE, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
JOBS = ["ex1-small", "ex3-small", "ex4-small", "ex5-small"]
TEXT_JOB = """name: text-axis
seeds: {count: 2}
data: {kind: subspace, dim: 4, rank: 2, samples: 20, noise: 0.05}
model: {kind: autoencoder, input: 4, latent: 2}
train: {optimizer: adam, lr: 0.005, epochs: 10}
record: {loss_every: 5, weights: initial_and_final}
sweep:
  train.optimizer: [adam, gd]
"""
env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
problems = []


def check(path, where):
    seen = {"filtered": 0, "vlen": 0}

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        vlen = h5py.check_string_dtype(obj.dtype) is not None and h5py.check_string_dtype(obj.dtype).length is None
        if vlen:
            seen["vlen"] += 1
            if not name.startswith(("grid/", "config/")) and not h5py.h5ds.is_scale(obj.id):
                problems.append("%s: /%s holds variable-length strings outside /grid, /config and "
                                "the label scales" % (where, name))
            return
        if not obj.fletcher32:
            problems.append("%s: /%s has no Fletcher-32 filter" % (where, name))
        elif obj.chunks is None:
            problems.append("%s: /%s is not chunked" % (where, name))
        else:
            seen["filtered"] += 1
    with h5py.File(path, "r") as f:
        f.visititems(visit)
        for must in ("runs/status", "runs/error", "grid/seed", "runs/metrics/final_loss"):
            if must not in f:
                problems.append("%s: no /%s (the test checks too little)" % (where, must))
    return seen


with tempfile.TemporaryDirectory(prefix="symsweep-filters-") as tmp:
    total = {"filtered": 0, "vlen": 0}
    files = []
    for j in JOBS:
        out = os.path.join(tmp, j + ".h5")
        subprocess.run([EXE, "run", os.path.join(SRC, "tests", "analysis", j + ".yaml"), "-o", out, "-q"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        files.append((out, j))
    job = os.path.join(tmp, "text.yaml")
    open(job, "w").write(TEXT_JOB)
    shards = []
    for s in ("0/2", "1/2"):
        out = os.path.join(tmp, "text-%s.h5" % s[0])
        subprocess.run([EXE, "run", job, "-o", out, "-q", "--shard", s], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        shards.append(out)
    merged = os.path.join(tmp, "merged.h5")
    subprocess.run([EXE, "merge", merged] + shards, check=True, env=env, stdout=subprocess.DEVNULL)
    files += [(shards[0], "shard 0/2 of the text job"), (merged, "the merged text job")]
    for path, where in files:
        s = check(path, where)
        for k in total:
            total[k] += s[k]
    if total["vlen"] == 0:
        problems.append("no variable-length string dataset seen: the text axis is not one")
    print("%d datasets with Fletcher-32, %d variable-length string datasets (no filter by design)"
          % (total["filtered"], total["vlen"]))
for p in problems:
    print("FAIL: " + p)
sys.exit(1 if problems else 0)
