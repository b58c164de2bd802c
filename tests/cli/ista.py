#!/usr/bin/env python3
"""The unfolded ISTA model (model kind ista, seed 003) end to end.

A job of generated autoencoding data (36 = 6 x 6 features near a rank-6 subspace), 16 filters and
3 steps trains with each optimizer (adam in minibatches, sgd with a cosine schedule and the
one-sided threshold, gd with warm-up): the loss falls by 10x at least.  hessian_lanczos and the dense hessian run on it; the
hessian's own check of its products against finite differences (hvp_error) is small.  An HDF5
file of the same kind of data with a held-out fraction records the test objective.  The probes
whose mathematics is a chain of dense layers are refused at validate with the reason, and so
are train.project_orbit and train.moments: on.

usage: ista.py SYMSWEEP
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe = sys.argv[1]
fails = []
DATA = "{kind: subspace, dim: 36, rank: 6, samples: 200, noise: 0.01}"
MODEL = "{kind: ista, input: 36, filters: 16, steps: 3, alpha: 0.1, lambda: 0.01}"


def write(tmp, name, train, probes="{}", data=DATA, model=MODEL):
    job = os.path.join(tmp, name + ".yaml")
    with open(job, "w") as fh:
        fh.write("name: %s\nseeds: [0, 1]\ndata: %s\nmodel: %s\ntrain: %s\n"
                 "record: {loss_every: 10}\nprobes: %s\n" % (name, data, model, train, probes))
    return job


def run(tmp, name, train, probes="{}", data=DATA, model=MODEL):
    job = write(tmp, name, train, probes, data, model)
    out = os.path.join(tmp, name + ".h5")
    p = subprocess.run([exe, "run", job, "-o", out, "--force"], capture_output=True, text=True)
    if p.returncode:
        fails.append("%s: %s" % (name, p.stderr.strip()))
        return None
    return h5py.File(out, "r")


def falls(f, name):
    loss = f["runs/curves/loss"][...]
    print("%s: loss %s -> %s" % (name, loss[:, 0], loss[:, -1]))
    if not (np.all(np.isfinite(loss)) and np.all(loss[:, -1] < 0.1 * loss[:, 0])):
        fails.append("%s: the loss did not fall tenfold: %s" % (name, loss))


with tempfile.TemporaryDirectory() as tmp:
    f = run(tmp, "adam", "{optimizer: adam, lr: 0.01, epochs: 60, batch_size: 50}",
            "{hessian_lanczos: {k: 3, steps: 30}, hessian: {}}")
    if f is not None:
        falls(f, "adam")
        w, lam = f["runs/weights/W1"], f["runs/weights/lambda1"]
        if w.shape[1:] != (16, 36) or lam.shape[1:] != (16,):
            fails.append("adam: tensors W1 %s, lambda1 %s" % (w.shape, lam.shape))
        top = f["probes/hessian_lanczos/top"][...]
        dense = f["runs/metrics/hessian_top_eigenvalue"][...]
        err = f["runs/metrics/hessian_hvp_error"][...]
        print("adam: lanczos top %s, dense top %s, hvp_error %s" % (top[:, 0], dense, err))
        if not np.allclose(top[:, 0], dense, rtol=1e-6):
            fails.append("adam: the Lanczos top eigenvalue %s is not the dense one %s" % (top[:, 0], dense))
        if not np.all(err < 1e-5):
            fails.append("adam: the products differ from finite differences: hvp_error %s" % err)
    f = run(tmp, "sgd", "{optimizer: sgd, lr: 0.05, momentum: 0.9, epochs: 60, batch_size: 20, "
            "schedule: cosine}", model=MODEL.replace("}", ", one_sided: true}"))
    if f is not None:
        falls(f, "sgd")
    f = run(tmp, "gd", "{optimizer: gd, lr: 0.5, epochs: 200, warmup: 5}")
    if f is not None:
        falls(f, "gd")
    # held-out patches of an HDF5 file: the test objective is recorded
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)) @ rng.standard_normal((6, 36)) / 3
    with h5py.File(os.path.join(tmp, "x.h5"), "w") as h:
        h["X"] = X
    f = run(tmp, "heldout", "{optimizer: adam, lr: 0.01, epochs: 40, batch_size: 60}",
            data="{kind: hdf5, file: x.h5, test: {fraction: 0.2}}")
    if f is not None:
        falls(f, "heldout")
        test = f["runs/metrics/final_test_loss"][...] if "final_test_loss" in f["runs/metrics"] else None
        print("heldout: test loss", test)
        if test is None or not np.all(np.isfinite(test)):
            fails.append("heldout: no finite test loss (%s)" % list(f["runs/metrics"]))
    # refusals at validate, with the reason
    refused = {
        "stabilizer": "chain of dense layers", "gradient_decomposition": "chain of dense layers",
        "orbit_loss": "chain of dense layers", "tangent_slice": "chain of dense layers",
        "teleport": "chain of dense layers", "conserved": "chain of dense layers",
        "canonical": "signed permutations", "reparam": "chain of dense layers",
        "centralizer": "chain of dense layers", "functional_dimension": "chain of dense layers",
        "structure": "chain of dense layers", "penalty_invariance": "chain of dense layers",
    }
    for probe, why in refused.items():
        job = write(tmp, "refuse-" + probe, "{optimizer: gd, lr: 0.1, epochs: 10}", "{%s: {}}" % probe)
        p = subprocess.run([exe, "validate", job], capture_output=True, text=True)
        if p.returncode == 0 or "probes." + probe not in p.stderr or why not in p.stderr:
            fails.append("%s: not refused with the reason: %s" % (probe, p.stderr.strip()))
    for train, why in [("{optimizer: gd, lr: 0.1, epochs: 10, project_orbit: auto}", "no continuous symmetry"),
                       ("{optimizer: gd, lr: 0.1, epochs: 10, moments: on}", "soft-thresholds")]:
        job = write(tmp, "refuse-train", train)
        p = subprocess.run([exe, "validate", job], capture_output=True, text=True)
        if p.returncode == 0 or why not in p.stderr:
            fails.append("%s: not refused with the reason: %s" % (train, p.stderr.strip()))

for msg in fails:
    print("FAIL:", msg)
sys.exit(1 if fails else 0)
