#!/usr/bin/env python3
"""The learning_order probe on diverged, huge and tiny parameters, on answers known.

The setting of cli.learning_order: a 64 -> 4 -> 64 autoencoder on prototypes [cross, bar,
corner, edge] starts from first-layer rows: the corner turned by a quarter, the cross, minus
the bar, noise; gd with lr 1e-300 moves no weight.  With tol 0.99 the cross and the corner are
matched at epoch 0 (best cosine 1), the bar and the edge never.  Curve points every epoch, 6
epochs.

- diverged: a test plug-in (tests/cli/nan_params_probe.c) sets the first weight of the first
  layer to NaN after curve point 3; training diverges at epoch 4 and keeps those parameters.
  Expected: the curve's points 0-3 those of the run without the plug-in, points 4-6 NaN; the
  final similarity NaN for every prototype (NaN weights have no similarity: not -inf, not the
  best of the other units); the epochs as before the divergence (cross, corner 0; bar, edge -1:
  never), the matched fraction 1/2; the mean-image control (it does not depend on the
  parameters) finite and equal to the undiverged run's.
- huge: the first layer times 1e300 (finite; sigmoid units saturate, the loss stays finite, as
  after a huge learning rate): every cosine as at scale 1 (the sums of squares overflowed and
  the features read as zero: cosine 0 everywhere, nothing matched).
- tiny: the first layer times 1e-300: the cosines at epoch 0 as at scale 1 (the squares
  underflowed to zero).

usage: learning_order_diverged.py SYMSWEEP CC SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prototypes_fixture import DEC, W1  # noqa: E402

exe, cc, src = sys.argv[1:4]
env = {k: v for k, v in os.environ.items() if k != "SYMSWEEP_PLUGIN_DIRS"}
fails = []


def run(tmp, name, scale=1.0, extra=""):
    with h5py.File(os.path.join(tmp, name + ".h5"), "w") as f:
        f["enc_W1"], f["enc_b1"], f["dec_W1"], f["dec_b1"] = scale * W1, np.zeros(4), DEC, np.zeros(64)
    job = os.path.join(tmp, name + ".yaml")
    with open(job, "w") as fh:
        fh.write("name: %s\nseeds: [0, 1]\n"
                 "data: {kind: prototypes, grid: [8, 8], prototypes: [cross, bar, corner, edge], noise: 0.1, "
                 "samples: 40}\n"
                 "model: {kind: autoencoder, input: 64, latent: 4, activation: sigmoid, latent_activation: sigmoid, "
                 "init: {kind: file, file: %s.h5}}\n"
                 "train: {optimizer: gd, lr: 1e-300, epochs: 6}\nrecord: {loss_every: 1, weights: final}\n"
                 "probes:\n  learning_order: {tol: 0.99}\n%s" % (name, name, extra))
    out = os.path.join(tmp, name + "-out.h5")
    p = subprocess.run([exe, "run", job, "-o", out, "--force", "-q"], capture_output=True, text=True, env=env)
    if p.returncode:
        fails.append("%s: exit %d: %s" % (name, p.returncode, p.stderr.strip()))
        return None
    f = h5py.File(out, "r")
    g = f["probes/learning_order"]
    print("%s: status %s epochs %s final similarity %s" % (name, f["runs/status"][()], g["epoch"][0],
                                                           g["similarity"][0]))
    return f


def want(name, ok, what):
    if not ok:
        fails.append("%s: %s" % (name, what))


with tempfile.TemporaryDirectory() as tmp:
    p = subprocess.run([cc, "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared",
                        "-I", os.path.join(src, "include"), os.path.join(src, "tests/cli/nan_params_probe.c"),
                        "-o", os.path.join(tmp, "nan_params.so"), "-lm"], capture_output=True, text=True)
    if p.returncode:
        print("FAIL: building the plug-in\n" + p.stderr)
        sys.exit(1)
    ref = run(tmp, "reference")
    div = run(tmp, "diverged", extra="  nan_params: {plugin: nan_params.so, at: 3}\n")
    if ref and div:
        r, g = ref["probes/learning_order"], div["probes/learning_order"]
        want("reference", (ref["runs/status"][()] == 1).all() and (r["epoch"][()] == [0, -1, 0, -1]).all()
             and np.isfinite(r["similarity"][()]).all(), "not the known answer: %s" % r["epoch"][()].tolist())
        # the premise: the run diverged at epoch 4 and kept a NaN first-layer weight
        want("diverged", (div["runs/status"][()] == 2).all() and (div["runs/epochs_done"][()] == 4).all(),
             "status %s epochs_done %s, want diverged (2) after 4" % (div["runs/status"][()],
                                                                     div["runs/epochs_done"][()]))
        want("diverged", np.isnan(div["runs/weights/enc_W1"][:, 0, 0]).all(), "the kept first weight is not NaN")
        curve = g["similarity_curve"][()]
        want("diverged", np.array_equal(curve[:, :4], r["similarity_curve"][:, :4]),
             "curve points 0-3 %s differ from the reference's" % curve[0, :4].tolist())
        want("diverged", np.isnan(curve[:, 4:]).all(), "curve points 4-6 %s, want NaN" % curve[0, 4:].tolist())
        want("diverged", np.isnan(g["similarity"][()]).all(),
             "final similarity %s, want NaN (no similarity for NaN weights)" % g["similarity"][()].tolist())
        want("diverged", (g["epoch"][()] == [0, -1, 0, -1]).all(),
             "epochs %s, want [0, -1, 0, -1] (bar and edge never)" % g["epoch"][()].tolist())
        want("diverged", (div["runs/metrics/learning_order_matched"][()] == 0.5).all(),
             "matched %s, want 0.5" % div["runs/metrics/learning_order_matched"][()])
        mean = g["mean_similarity"][()]
        want("diverged", np.isfinite(mean).all() and np.array_equal(mean, r["mean_similarity"][()]),
             "mean_similarity %s, want finite and the reference's %s" % (mean.tolist(),
                                                                         r["mean_similarity"][()].tolist()))
        for name, scale in (("huge", 1e300), ("tiny", 1e-300)):
            f = run(tmp, name, scale)
            if not f:
                continue
            h = f["probes/learning_order"]
            want(name, (f["runs/status"][()] == 1).all(), "status %s, want done" % f["runs/status"][()])
            c, rc = h["similarity_curve"][()], r["similarity_curve"][()]
            # lr 1e-300 moves tiny weights: only the initial point is the reference's there
            k = c.shape[1] if name == "huge" else 1
            want(name, np.allclose(c[:, :k], rc[:, :k], rtol=0, atol=1e-12),
                 "curve %s, want the reference's %s" % (c[0, :k].tolist(), rc[0, :k].tolist()))
            want(name, (h["epoch"][:, [0, 2]] == 0).all(), "epochs %s: cross, corner not matched at 0"
                 % h["epoch"][()].tolist())
            if name == "huge":
                want(name, (h["epoch"][()] == [0, -1, 0, -1]).all() and
                     np.allclose(h["similarity"][()], r["similarity"][()], rtol=0, atol=1e-12),
                     "epochs %s similarity %s" % (h["epoch"][()].tolist(), h["similarity"][()].tolist()))
if fails:
    print("FAIL\n" + "\n".join(fails))
    sys.exit(1)
print("learning_order: NaN for diverged parameters, huge and tiny weights as at scale 1")
