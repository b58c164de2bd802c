#!/usr/bin/env python3
"""End to end (issue 26, seed 003), a model with a learned-group layer:
  - a linear MLP 36 -> 8 -> 3 whose first layer is 2 groups of 4 filters on a 6 x 6 grid, with
    the pair and closure penalties, trains with adam (the objective falls), runs hessian_lanczos
    (finite extreme eigenvalues; no orbit check: NaN), and records /runs/weights/A1 [runs, K d, d],
    B1 [runs, K, d], At1 (the paired matrices) and b1, W2, b2 as a dense model would;
  - the recorded filters b, A b, A^2 b, A^3 b predict the recorded training loss: the network
    rebuilt from A1, B1 in numpy reproduces final_data_loss;
  - a 3 x 3 grid version trains with gd, sgd and adam (a sweep) and runs the dense hessian probe;
  - /config/model/group holds the settings (layer numbered from 1);
  - every probe whose orbits are those of free dense layers refuses the model at validate.
usage: group_layer.py SYMSWEEP MPIEXEC NPFLAG
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

JOB = """name: glayer
seeds: {count: 2, base: 1}
data: {kind: hdf5, file: d.h5, x: X, y: Y}
model: {kind: mlp, widths: [36, 8, 3], activation: linear, bias: true,
        group: {layer: 1, groups: 2, filters: 4, grid: [6, 6], penalties: {pair: 0.1, closure: 0.01}}}
train: {optimizer: adam, lr: 0.01, epochs: 300}
record: {loss_every: 50, weights: final}
probes: {hessian_lanczos: {k: 3, steps: 30}}
"""

SMALL = """name: glayer_small
seeds: {count: 1, base: 1}
data: {kind: teacher_mlp, widths: [9, 4, 2], activation: tanh, samples: 40, noise: 0.05, seed: 3}
model: {kind: mlp, widths: [9, 6, 2], activation: tanh, bias: true,
        group: {layer: 1, groups: 2, filters: 3, grid: [3, 3], normalize: true,
                penalties: {pair: 0.05, svd: 0.01, logdet: 0.01, closure: 0.01}}}
train: {optimizer: gd, lr: 0.05, epochs: 100}
record: {loss_every: 50, weights: final}
probes: {hessian: {}}
sweep: {train.optimizer: [gd, sgd, adam]}
"""

REFUSED = ["stabilizer", "gradient_decomposition", "orbit_loss", "tangent_slice", "teleport",
           "conserved", "canonical", "reparam", "centralizer", "functional_dimension",
           "symmetry_discovery"]

fails = []


def check(ok, what):
    if not ok:
        fails.append(what)
        print("FAIL:", what)


def run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def rebuilt(f, r):
    """MSE of the network rebuilt from A1, B1 (filters A^j b, group-major rows), b1, W2, b2."""
    K, p, d = 2, 4, 36
    A = f["runs/weights/A1"][r].reshape(K, d, d)
    B = f["runs/weights/B1"][r].reshape(K, d)
    rows = []
    for k in range(K):
        x = B[k]
        for _ in range(p):
            rows.append(x)
            x = A[k] @ x
    W1 = np.array(rows)
    b1 = f["runs/weights/b1"][r].reshape(-1)
    W2 = f["runs/weights/W2"][r].reshape(3, 8)
    b2 = f["runs/weights/b2"][r].reshape(-1)
    return W1, b1, W2, b2


def main(exe, mpiexec, npflag):
    tmp = tempfile.mkdtemp(prefix="symsweep-group-layer-")
    try:
        rng = np.random.default_rng(7)
        X = rng.standard_normal((120, 36))
        Y = X @ rng.standard_normal((36, 3)) / 6 + 0.05 * rng.standard_normal((120, 3))
        with h5py.File(os.path.join(tmp, "d.h5"), "w") as f:
            f["X"], f["Y"] = X, Y
        with open(os.path.join(tmp, "g.yaml"), "w") as fh:
            fh.write(JOB)
        res = run([mpiexec, npflag, "2", exe, "run", "g.yaml", "-o", "g.h5"], tmp)
        check(res.returncode == 0, "the group-layer job runs: " + res.stderr[-400:])
        with h5py.File(os.path.join(tmp, "g.h5"), "r") as f:
            check(f["runs/weights/A1"].shape == (2, 72, 36), "A1 is [runs, K d, d]")
            check(f["runs/weights/B1"].shape == (2, 2, 36), "B1 is [runs, K, d]")
            check(f["runs/weights/At1"].shape == (2, 72, 36), "At1 (pair penalty on) is [runs, K d, d]")
            check("W1" not in f["runs/weights"], "no dense W1 is recorded")
            curve = f["runs/curves/loss"][:]
            check(np.all(curve[:, -1] < 0.5 * curve[:, 0]), "training lowers the objective: %s" % curve)
            top = f["probes/hessian_lanczos/top"][:]
            check(np.all(np.isfinite(top[:, :3])) and np.all(top[:, 0] > 0), "lanczos top: %s" % top)
            check(np.all(np.isnan(f["runs/metrics/lanczos_orbit_hvp"][:])), "no orbit check (NaN)")
            check(int(f["config/model/group/layer"][0]) == 1, "config layer numbered from 1")
            check(int(f["config/model/group/filters"][0]) == 4, "config filters")
            # the network rebuilt from the recorded tensors: the recorded final data loss
            for r in range(2):
                W1, b1, W2, b2 = rebuilt(f, r)
                mse = np.mean(((X @ W1.T + b1) @ W2.T + b2 - Y) ** 2)
                want = f["runs/metrics/final_data_loss"][r]
                check(abs(mse - want) <= 1e-8 * abs(want), "rebuilt loss %g vs %g" % (mse, want))

        with open(os.path.join(tmp, "s.yaml"), "w") as fh:
            fh.write(SMALL)
        res = run([mpiexec, npflag, "2", exe, "run", "s.yaml", "-o", "s.h5"], tmp)
        check(res.returncode == 0, "the small job runs: " + res.stderr[-400:])
        with h5py.File(os.path.join(tmp, "s.h5"), "r") as f:
            status = f["runs/status"][:]
            check(list(status) == [1, 1, 1], "gd, sgd and adam each finish: %s" % status)
            curve = f["runs/curves/loss"][:]
            check(np.all(curve[:, -1] < curve[:, 0]), "each optimizer lowers the objective: %s" % curve)
            names = [k for k in f["probes/hessian"].keys()]
            check(len(names) > 0, "the hessian probe wrote its datasets")

        for name in REFUSED:
            with open(os.path.join(tmp, "r.yaml"), "w") as fh:
                fh.write(JOB.replace("probes: {hessian_lanczos: {k: 3, steps: 30}}",
                                     "probes: {%s: {}}" % name))
            res = run([exe, "validate", "r.yaml"], tmp)
            check(res.returncode == 2 and "probes.%s: expected a model without model.group" % name
                  in res.stderr, "%s refuses the group layer: %s" % (name, res.stderr.strip()))
    finally:
        shutil.rmtree(tmp)
    if fails:
        print("%d failure(s)" % len(fails))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
