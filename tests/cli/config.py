#!/usr/bin/env python3
"""The resolved configuration in the file (/config, docs/hdf5-layout.md): every setting of every
grid point as the runs used it, typed, defaults included.  One small sweep has a swept setting
(train.lr over two values), defaulted ones (Adam's beta1 and beta2, model.leaky_slope, a probe's
default, tangent_slice's points), an overridden one (train.epochs from the command line) and a per-kind one that a grid
point does not use (data.input with data kind subspace).  Checks each against the job, reads the
same through symsweep_analysis.config_table, and that a file without /config (an older version)
reads as None.  Usage: config.py SYMSWEEP MPIEXEC NPFLAG"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, MPIEXEC, NPFLAG = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "analysis"))
import symsweep_analysis as sa  # noqa: E402

JOB = """name: config-check
seeds: {count: 2, base: 3}
data: {kind: subspace, dim: 6, rank: 2, samples: 40, noise: 0.1}
model: {kind: autoencoder, input: 6, latent: 2, hidden: [4], activation: linear}
regularizer: {kind: frobenius, lambda: 0.01}
train: {optimizer: adam, lr: 0.01, epochs: 30}
record: {loss_every: 10}
probes: {tangent_slice: {directions: 2}}
sweep:
  train.lr: [0.01, 0.002]
"""

fails = []


def check(what, got, want):
    ok = (got == want) if not isinstance(want, float) else (abs(got - want) <= 1e-15 * abs(want))
    print("%-46s %-22r %s" % (what, got, "ok" if ok else "FAIL (want %r)" % (want,)))
    if not ok:
        fails.append(what)


def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)


with tempfile.TemporaryDirectory() as tmp:
    job = os.path.join(tmp, "job.yaml")
    out = os.path.join(tmp, "out.h5")
    with open(job, "w") as fh:
        fh.write(JOB)
    subprocess.run([MPIEXEC, NPFLAG, "2", EXE, "run", job, "train.epochs=20", "-o", out, "-q"],
                   check=True)
    with h5py.File(out, "r") as f:
        c = f["config"]
        check("grid points", c["grid_point"].shape, (2,))
        check("/grid/config of run 3", int(f["grid/config"][3]), 1)
        # swept: each grid point its own value, the same as /grid
        check("train.lr point 0 (swept)", float(c["train/lr"][0]), 0.01)
        check("train.lr point 1 (swept)", float(c["train/lr"][1]), 0.002)
        check("train.lr dtype", str(c["train/lr"].dtype), "float64")
        # defaulted: not in the job, the value the runs used
        check("train.beta1 (default)", float(c["train/beta1"][1]), 0.9)
        check("train.beta2 (default)", float(c["train/beta2"][0]), 0.999)
        check("model.leaky_slope (default)", float(c["model/leaky_slope"][0]), 0.01)
        check("record.weights (default)", s(c["record/weights"][0]), "final")
        # overridden on the command line: the value used, not the job file's 30
        check("train.epochs (overridden)", int(c["train/epochs"][0]), 20)
        check("train.epochs dtype", str(c["train/epochs"].dtype), "int64")
        check("train.optimizer (enum as its name)", s(c["train/optimizer"][1]), "adam")
        check("data.kind", s(c["data/kind"][0]), "subspace")
        check("model.hidden (list)", [int(x) for x in c["model/hidden"][0] if x >= 0], [4])
        # a setting of another data kind: the fill value
        check("data.input (not used by subspace)", int(c["data/input"][0]), -1)
        # a probe's settings: the one the job set, and a default
        check("probes.tangent_slice.directions (set)", int(c["probes/tangent_slice/directions"][1]), 2)
        check("probes.tangent_slice.points (default)", int(c["probes/tangent_slice/points"][0]), 12)
        # every dataset has a scale on every axis (ncdump opens it)
        sets = []
        c.visititems(lambda n, d: sets.append((n, d)) if isinstance(d, h5py.Dataset) else None)
        bare = [n for n, d in sets if not h5py.h5ds.is_scale(d.id)
                and any(len(d.dims[k]) == 0 for k in range(d.ndim))]
        check("/config datasets", len(sets) > 40, True)
        check("/config axes without a dimension scale", bare, [])
    # the analysis package reads it: one row per run, the run's grid point's values
    t = sa.config_table(out)
    check("config_table rows (runs)", len(t), 4)
    check("config_table train.lr of run 2", float(t["train.lr"].iloc[2]), 0.002)
    check("config_table train.beta1 of run 0", float(t["train.beta1"].iloc[0]), 0.9)
    check("config_table train.epochs", sorted(set(int(x) for x in t["train.epochs"])), [20])
    r = subprocess.run(["ncdump", "-h", out], capture_output=True, text=True)
    check("ncdump -h exit", r.returncode, 0)
    check("ncdump shows /config", "group: config" in r.stdout, True)
    # a file without /config (an older symsweep): None, not an error
    with h5py.File(out, "a") as f:
        del f["config"]
    check("config_table of a file without /config", sa.config_table(out) is None, True)

if fails:
    sys.exit("config: %d check(s) failed: %s" % (len(fails), ", ".join(fails)))
print("config: all checks passed")
