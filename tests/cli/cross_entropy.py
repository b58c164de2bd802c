#!/usr/bin/env python3
"""train.loss: cross_entropy end to end (issue 25).  A 3-class problem of overlapping Gaussian
blobs written here as HDF5 (labels one column of class ids), a ReLU MLP 2-16-3 trained with
Adam on 2 ranks with the probes that measure the objective.  Checks, from the final weights
(/runs/weights) with numpy alone:
  - final_data_loss is the cross-entropy (1/n) sum_i logsumexp(z_i) - z_i[y_i] there, and it
    fell well below log(3), the loss of the uniform guess;
  - the Hessian probe's top eigenvalue is that of numpy's Hessian (central differences of the
    analytic gradient), and Lanczos's agrees;
  - functional_dimension is the rank of the Jacobian of the logits (analytic), and the
    singular values recorded are that Jacobian's;
  - /config/train/loss says cross_entropy; symsweep align runs on the output.
Then validate's refusals: the data kinds that make no labels, an autoencoder, hdf5 data
without y or with two columns, a label that is not an integer or out of range, a model with one
output, and (mse) an output width that is not the data's.
Usage: cross_entropy.py SYMSWEEP MPIEXEC NPFLAG"""
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, MPIEXEC, NPFLAG = sys.argv[1:4]
EXE = os.path.abspath(EXE)
fails = []


def check(what, ok, detail=""):
    print("%-60s %s %s" % (what, "ok" if ok else "FAIL", detail))
    if not ok:
        fails.append(what)


JOB = """name: ce-blobs
seeds: {count: 2, base: 5}
data: {kind: hdf5, file: blobs.h5, x: X, y: labels}
model: {kind: mlp, widths: [2, 16, 3], activation: relu, bias: true}
train: {optimizer: adam, lr: 0.02, epochs: 300, loss: cross_entropy}
record: {loss_every: 100, weights: final}
probes:
  hessian: {}
  hessian_lanczos: {k: 2}
  functional_dimension: {method: dense}
  gradient_decomposition: {}
  orbit_loss: {}
  tangent_slice: {}
  conserved: {}
  canonical: {}
"""


def logits(W1, b1, W2, b2, X):
    H = X @ W1.T + b1
    return H, np.maximum(H, 0) @ W2.T + b2


def ce(theta, X, lab, shapes):
    W1, b1, W2, b2 = unpack(theta, shapes)
    _, Z = logits(W1, b1, W2, b2, X)
    m = Z.max(1, keepdims=True)
    lse = (m + np.log(np.exp(Z - m).sum(1, keepdims=True)))[:, 0]
    return np.mean(lse - Z[np.arange(len(lab)), lab])


def ce_grad(theta, X, lab, shapes):
    W1, b1, W2, b2 = unpack(theta, shapes)
    H, Z = logits(W1, b1, W2, b2, X)
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    P[np.arange(len(lab)), lab] -= 1
    P /= len(lab)
    A = np.maximum(H, 0)
    dH = (P @ W2) * (H > 0)
    return np.concatenate([(dH.T @ X).ravel(), dH.sum(0), (P.T @ A).ravel(), P.sum(0)])


def unpack(theta, shapes):
    out, k = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(theta[k:k + n].reshape(s))
        k += n
    return out


def jacobian(theta, X, shapes):
    """d centred logits / d params [n*3 x P], rows (sample, class): the softmax sees the logits
    only modulo a common shift, so functional_dimension measures z - mean(z) 1"""
    W1, b1, W2, b2 = unpack(theta, shapes)
    H, _ = logits(W1, b1, W2, b2, X)
    A, on = np.maximum(H, 0), (H > 0).astype(float)
    n, C, h, d = X.shape[0], W2.shape[0], W1.shape[0], X.shape[1]
    rows = []
    for i in range(n):
        for k in range(C):
            g = W2[k] * on[i]
            dW2 = np.zeros((C, h))
            dW2[k] = A[i]
            db2 = np.zeros(C)
            db2[k] = 1
            rows.append(np.concatenate([np.outer(g, X[i]).ravel(), g, dW2.ravel(), db2]))
    J = np.array(rows).reshape(n, C, -1)
    return (J - J.mean(axis=1, keepdims=True)).reshape(n * C, -1)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


with tempfile.TemporaryDirectory() as tmp:
    r = np.random.default_rng(1)
    n, C = 120, 3
    lab = np.arange(n) % C
    centers = np.array([[1.5, 0], [-0.75, 1.3], [-0.75, -1.3]])
    X = centers[lab] + 0.9 * r.standard_normal((n, 2))
    with h5py.File(os.path.join(tmp, "blobs.h5"), "w") as f:
        f["X"] = X
        f["labels"] = lab.astype(np.float64).reshape(n, 1)
        f["ids"] = lab.astype(np.int32)  # one dimension, integers
        bad = lab.astype(np.float64).reshape(n, 1)
        bad[7] = 2.5
        f["frac"] = bad
        bad = lab.astype(np.float64).reshape(n, 1)
        bad[11] = 3
        f["big"] = bad
        f["Y2"] = np.stack([lab, lab], 1).astype(float)
    job = os.path.join(tmp, "job.yaml")
    with open(job, "w") as fh:
        fh.write(JOB)
    out = os.path.join(tmp, "out.h5")
    p = run([MPIEXEC, NPFLAG, "2", EXE, "run", job, "-o", out, "-q"])
    check("run", p.returncode == 0, p.stderr[-2000:])
    if p.returncode != 0:
        sys.exit(1)
    shapes = [(16, 2), (16,), (3, 16), (3,)]
    with h5py.File(out, "r") as f:
        m = f["runs/metrics"]
        check("/config/train/loss", f["config/train/loss"][0] in (b"cross_entropy", "cross_entropy"),
              repr(f["config/train/loss"][0]))
        for run_i in range(2):
            theta = np.concatenate([f["runs/weights/" + t][run_i].ravel() for t in ("W1", "b1", "W2", "b2")])
            want = ce(theta, X, lab, shapes)
            got = float(m["final_data_loss"][run_i])
            check("run %d: final_data_loss is the cross-entropy" % run_i,
                  abs(got - want) <= 1e-12 * abs(want), "%.17g vs numpy %.17g" % (got, want))
            check("run %d: below log(3) / 2" % run_i, got < 0.5 * np.log(3), "%.4g" % got)
            # numpy's Hessian: central differences of the analytic gradient
            P = theta.size
            Hn = np.zeros((P, P))
            for j in range(P):
                e = np.zeros(P)
                e[j] = 1e-6
                Hn[:, j] = (ce_grad(theta + e, X, lab, shapes) - ce_grad(theta - e, X, lab, shapes)) / 2e-6
            top = np.linalg.eigvalsh((Hn + Hn.T) / 2)[-1]
            got = float(m["hessian_top_eigenvalue"][run_i])
            check("run %d: hessian top eigenvalue" % run_i, abs(got - top) <= 1e-6 * abs(top),
                  "%.12g vs numpy %.12g" % (got, top))
            lz = float(m["lanczos_top_eigenvalue"][run_i])
            check("run %d: lanczos top eigenvalue" % run_i, abs(lz - got) <= 1e-8 * abs(got), "%.12g" % lz)
            sv = np.linalg.svd(jacobian(theta, X, shapes), compute_uv=False)
            rank = int((sv > 1e-9 * sv[0]).sum())
            fd = int(m["functional_dimension"][run_i])
            check("run %d: functional dimension = rank of the centred logits' Jacobian" % run_i, fd == rank,
                  "%d vs numpy %d (gap %.3g .. %.3g)" % (fd, rank, sv[rank - 1] / sv[0],
                                                         sv[rank] / sv[0] if rank < len(sv) else 0))
            got = f["probes/functional_dimension/singular_values"][run_i][:rank]
            check("run %d: singular values of the centred logits' Jacobian" % run_i,
                  np.allclose(got, sv[:rank], rtol=1e-9, atol=1e-12 * sv[0]),
                  "largest %.12g vs numpy %.12g" % (got[0], sv[0]))
            # the orbit (scalings and the softmax's shifts) lies in the null space: excess >= 0
            # (counting the shifts without centring the logits would make it negative)
            orb, exc = int(m["functional_orbit_dimension"][run_i]), int(m["functional_excess_null"][run_i])
            check("run %d: orbit inside the null space" % run_i, exc >= 0 and orb >= 16 + 1,
                  "orbit %d, excess %d" % (orb, exc))
            # the objective is invariant along the ReLU scalings' orbit: the gradient is orthogonal to it
            gdo = float(m["gd_orbit_derivative_abs_max"][run_i])
            check("run %d: gradient orthogonal to the orbit" % run_i, gdo < 1e-12, "%.3g" % gdo)
        check("every run done", list(f["runs/status"][()]) == [1, 1], repr(f["runs/status"][()]))
    p = run([EXE, "align", out])
    check("symsweep align", p.returncode == 0, (p.stdout + p.stderr)[-600:])

    # one-dimensional integer labels read as one column
    with open(job, "w") as fh:
        fh.write(JOB.replace("y: labels", "y: ids"))
    p = run([EXE, "validate", job])
    check("labels as a 1-D integer dataset", p.returncode == 0, p.stderr.strip())

    refusals = [
        ("teacher_linear data", JOB.replace("data: {kind: hdf5, file: blobs.h5, x: X, y: labels}",
                                            "data: {kind: teacher_linear, input: 2, output: 3, samples: 50}"),
         r"job.yaml:5:\d+: train.loss: cross_entropy needs class labels, and data kind teacher_linear makes "
         r"real-valued targets: use idx data, or hdf5 data whose y is one column of class ids"),
        ("teacher_mlp data", JOB.replace("data: {kind: hdf5, file: blobs.h5, x: X, y: labels}",
                                         "data: {kind: teacher_mlp, widths: [2, 4, 3], samples: 50}"),
         r"train.loss: cross_entropy needs class labels, and data kind teacher_mlp makes"),
        ("an autoencoder", JOB.replace("data: {kind: hdf5, file: blobs.h5, x: X, y: labels}",
                                       "data: {kind: subspace, dim: 3, rank: 1, samples: 50}")
         .replace("model: {kind: mlp, widths: [2, 16, 3], activation: relu, bias: true}",
                  "model: {kind: autoencoder, input: 3, latent: 1}")
         .replace("  functional_dimension: {method: dense}\n", "").replace("  canonical: {}\n", ""),
         r"train.loss: cross_entropy classifies, and an autoencoder reconstructs its input"),
        ("hdf5 without y", JOB.replace(", y: labels}", "}").replace("widths: [2, 16, 3]", "widths: [2, 16, 2]"),
         r"train.loss: cross_entropy needs class labels: give data.y, one column of class ids"),
        ("two columns", JOB.replace("y: labels", "y: Y2").replace("widths: [2, 16, 3]", "widths: [2, 16, 2]"),
         r"job.yaml:3:\d+: data.y: train.loss cross_entropy expects one column of class ids, found 2 columns"),
        ("a fractional label", JOB.replace("y: labels", "y: frac"),
         r"job.yaml:3:\d+: data.y: frac: row 7: expected an integer class id in 0..2, found 2.5"),
        ("a label out of range", JOB.replace("y: labels", "y: big"),
         r"job.yaml:3:\d+: data.y: big: row 11: class id 3 is outside 0..2 \(the model's 3 outputs\)"),
        ("one output", JOB.replace("widths: [2, 16, 3]", "widths: [2, 16, 1]"),
         r"model.widths\[2\]: expected at least 2 \(one output per class for train.loss cross_entropy\), found 1"),
        ("mse: the data's output width", JOB.replace(", loss: cross_entropy", ""),
         r"job.yaml:4:\d+: model.widths\[2\]: expected 1 \(the data's output width\), found 3"),
        ("an unknown loss", JOB.replace("loss: cross_entropy", "loss: hinge"),
         r"train.loss: expected one of: mse, cross_entropy, found \"hinge\""),
    ]
    for what, text, pattern in refusals:
        with open(job, "w") as fh:
            fh.write(text)
        p = run([EXE, "validate", job])
        check("refused: " + what, p.returncode != 0 and re.search(pattern, p.stderr) is not None,
              p.stderr.strip()[-400:])

if fails:
    print("FAILED:", ", ".join(fails))
    sys.exit(1)
