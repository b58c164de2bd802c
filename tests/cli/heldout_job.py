#!/usr/bin/env python3
"""End to end (issue 25), what a classifier's job records on
held-out data and what `symsweep align` measures on it:
  - /runs/metrics/final_test_loss, final_test_data_loss, final_train_accuracy,
    final_test_accuracy and /runs/curves/test_loss, train_accuracy, test_accuracy exist with
    units and long names, their curves on /runs/curves/epoch;
  - accuracies are fractions of the split's counts (n_test = 0.2 n), the last curve point is
    the final value, the test objective is its data loss + the run's penalty
    (final_penalty), and separable blobs are learnt (test accuracy well above chance);
  - the same job with MSE and no split writes none of these (the output digests' promise);
  - `symsweep summary` lists them; `symsweep align` writes the barriers on test data and in
    error, raw and aligned, each >= 0 and 0 on the diagonal, and its report line names them.
usage: heldout_job.py SYMSWEEP
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

NEW = ["runs/metrics/final_test_loss", "runs/metrics/final_test_data_loss",
       "runs/metrics/final_train_accuracy", "runs/metrics/final_test_accuracy",
       "runs/curves/test_loss", "runs/curves/train_accuracy", "runs/curves/test_accuracy"]

JOB = """name: heldout
seeds: {count: 3, base: 1}
data: {kind: hdf5, file: blobs.h5, x: X, y: y, test: {fraction: 0.2}}
model: {kind: mlp, widths: [4, 8, 3], activation: relu, bias: true}
regularizer: {kind: frobenius, lambda: 0.001}
train: {optimizer: adam, lr: 0.02, epochs: 200%s}
record: {loss_every: 50, weights: final}
probes: {canonical: {}}
"""

fails = []


def check(ok, what):
    if not ok:
        fails.append(what)
        print("FAIL:", what)


def main(exe):
    tmp = tempfile.mkdtemp(prefix="symsweep-heldout-job-")
    try:
        rng = np.random.default_rng(3)
        n, centres = 200, np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], float)
        y = np.arange(n) % 3
        X = centres[y] + 0.5 * rng.standard_normal((n, 4))
        with h5py.File(os.path.join(tmp, "blobs.h5"), "w") as f:
            f["X"] = X
            f["y"] = y.astype(float).reshape(n, 1)
        job = os.path.join(tmp, "job.yaml")
        with open(job, "w") as fh:
            fh.write(JOB % ", loss: cross_entropy")
        out = os.path.join(tmp, "out.h5")
        r = subprocess.run([exe, "run", job, "-o", out, "-q"], capture_output=True, text=True)
        check(r.returncode == 0, "run: %s" % r.stderr)
        if fails:
            return 1
        with h5py.File(out, "r") as f:
            for p in NEW:
                check(p in f, "%s written" % p)
                if p not in f:
                    continue
                d = f[p]
                check(d.attrs.get("units") in (b"1", "1"), "%s units" % p)
                check("long_name" in d.attrs, "%s long_name" % p)
                if p.startswith("runs/curves/"):
                    check(d.shape == f["runs/curves/loss"].shape, "%s shape" % p)
            if fails:
                return 1
            done = f["runs/status"][:] == 1
            check(done.all(), "every run done")
            m = lambda k: f["runs/metrics/" + k][:]
            c = lambda k: f["runs/curves/" + k][:]
            n_test = round(0.2 * n)
            for k, cnt in (("final_test_accuracy", n_test), ("final_train_accuracy", n - n_test)):
                a = m(k)
                check(np.all((a >= 0) & (a <= 1)), "%s in [0, 1]" % k)
                check(np.allclose(a * cnt, np.round(a * cnt), atol=1e-9), "%s a fraction of %d" % (k, cnt))
            check(np.all(m("final_test_accuracy") > 0.8), "separable blobs learnt: %s" % m("final_test_accuracy"))
            check(np.array_equal(c("test_accuracy")[:, -1], m("final_test_accuracy")), "last test point = final")
            check(np.array_equal(c("train_accuracy")[:, -1], m("final_train_accuracy")), "last train point = final")
            check(np.array_equal(c("test_loss")[:, -1], m("final_test_loss")), "last test loss point = final")
            check(np.allclose(m("final_test_loss"), m("final_test_data_loss") + m("final_penalty"), rtol=1e-12),
                  "test objective = test data loss + penalty")
            check(np.all(c("test_loss")[:, 0] > c("test_loss")[:, -1]), "the test objective falls")
        r = subprocess.run([exe, "summary", out], capture_output=True, text=True)
        check(r.returncode == 0 and "final_test_accuracy" in r.stdout, "summary lists the new metrics")
        r = subprocess.run([exe, "align", out], capture_output=True, text=True)
        check(r.returncode == 0, "align: %s" % r.stderr)
        check("test loss" in r.stdout and "test error" in r.stdout and "train error" in r.stdout,
              "align's report names the barriers: %s" % r.stdout)
        with h5py.File(os.path.join(tmp, "out-align.h5"), "r") as g:
            for key in ("barrier_test", "barrier_error", "barrier_test_error"):
                for side in ("raw", "aligned"):
                    b = g["align/%s_%s" % (key, side)][0]
                    check(np.all(np.diag(b) == 0), "%s_%s: 0 on the diagonal" % (key, side))
                    check(np.all(b[~np.eye(3, dtype=bool)] >= 0), "%s_%s >= 0" % (key, side))
                    path = g["align/%s_%s" % (key.replace("barrier", "path") if key != "barrier_test"
                                              else "path_test_loss", side)][0]
                    # the barrier is the path's largest rise above its chord
                    t = g["align/alpha"][:]
                    rise = (path - ((1 - t) * path[:, :1] + t * path[:, -1:])).max(axis=1)
                    check(np.allclose(rise, [b[0, 1], b[0, 2], b[1, 2]], rtol=1e-12, atol=0),
                          "%s_%s is the path's largest rise above its chord" % (key, side))
        # the same job as a regression with no split: nothing new
        with open(job, "w") as fh:
            fh.write((JOB % "").replace(", test: {fraction: 0.2}", "").replace("[4, 8, 3]", "[4, 8, 1]"))
        r = subprocess.run([exe, "run", job, "-o", out, "-q", "--force"], capture_output=True, text=True)
        check(r.returncode == 0, "plain run: %s" % r.stderr)
        with h5py.File(out, "r") as f:
            check(not any(p in f for p in NEW), "no new dataset without split and classifier")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
