#!/usr/bin/env python3
"""The feature_orbit probe (seed 004) end to end on features whose orbits are known.

A network starts from a file whose first-layer rows are a centred cross, a horizontal bar, a
corner block and a generic patch on an 8 x 8 grid, and trains with a step too small to move a
weight by one unit in the last place (gd, lr 1e-300: a zero entry becomes at most ~1e-300, far
below the tolerance).  Expected under D4: stabilizers 8, 4, 2, 1 and orbits 1, 2, 4, 8, with
|orbit| |stabilizer| = 8; under aff(2) orbit + stabilizer = 6 for every unit, the generic patch
fixed by none; features: decoder reads an autoencoder's output columns (the same prototypes
transposed into W2 give the same orbits).  Refusals: a feature length that is no grid, d4 on
a rectangle.

usage: feature_orbit.py SYMSWEEP
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe = sys.argv[1]
rng = np.random.default_rng(1)
protos = np.zeros((4, 8, 8))
protos[0, 3:5, :] = protos[0, :, 3:5] = 1        # cross
protos[1, 3:5, :] = 1                            # bar
protos[2, :4, :4] = 1                            # corner
protos[3] = rng.standard_normal((8, 8))          # generic
fails = []


def run(tmp, name, model, probe, init, data="{kind: teacher_linear, input: 64, output: 2, samples: 20}"):
    with h5py.File(os.path.join(tmp, name + ".h5"), "w") as f:
        for k, v in init.items():
            f[k] = v
    job = os.path.join(tmp, name + ".yaml")
    with open(job, "w") as fh:
        fh.write("name: %s\nseeds: [0]\n"
                 "data: %s\n"
                 "model: %s\ntrain: {optimizer: gd, lr: 1e-300, epochs: 1}\n"
                 "probes: {feature_orbit: %s}\n" % (name, data, model, probe))
    with open(job) as fh:
        text = fh.read().replace("model: {", "model: {init: {kind: file, file: %s.h5}, " % name)
    with open(job, "w") as fh:
        fh.write(text)
    out = os.path.join(tmp, name + "-out.h5")
    p = subprocess.run([exe, "run", job, "-o", out, "--force"], capture_output=True, text=True)
    if p.returncode:
        fails.append("%s: %s" % (name, p.stderr.strip()))
        return None
    return h5py.File(out, "r")


def check(f, what):
    st = f["probes/feature_orbit/finite_stabilizer"][0]
    orb = f["probes/feature_orbit/finite_orbit"][0]
    ls = f["probes/feature_orbit/lie_stabilizer"][0]
    lo = f["probes/feature_orbit/lie_orbit"][0]
    print("%s: D4 stabilizers %s orbits %s; aff(2) stabilizers %s orbits %s" % (what, st, orb, ls, lo))
    if list(st) != [8, 4, 2, 1] or list(orb) != [1, 2, 4, 8]:
        fails.append("%s: D4 stabilizers %s orbits %s, want [8 4 2 1] [1 2 4 8]" % (what, st, orb))
    if not np.all(ls + lo == 6) or ls[3] != 0:
        fails.append("%s: aff(2) stabilizers %s orbits %s" % (what, ls, lo))
    if f["runs/metrics/feature_orbit_finite_mean"][0] != 3.75:
        fails.append("%s: mean finite orbit %s, want 3.75" % (what, f["runs/metrics/feature_orbit_finite_mean"][0]))


with tempfile.TemporaryDirectory() as tmp:
    W1 = protos.reshape(4, 64)
    f = run(tmp, "first", "{kind: mlp, widths: [64, 4, 2], activation: tanh}", "{tol: 1.0e-9}",
            {"W1": W1, "b1": np.zeros(4), "W2": rng.standard_normal((2, 4)), "b2": np.zeros(2)})
    if f:
        check(f, "first layer")
    # an autoencoder 64 -> 4 -> 64: the decoder's columns are the prototypes
    f = run(tmp, "decoder", "{kind: autoencoder, input: 64, latent: 4, tied: false, bias: false}",
            "{features: decoder, tol: 1.0e-9}",
            {"enc_W1": rng.standard_normal((4, 64)), "dec_W1": W1.T.copy()},
            data="{kind: subspace, dim: 64, rank: 4, samples: 20}")
    if f:
        check(f, "decoder columns")
    # refusals
    for name, model, probe, want in (
            ("nogrid", "{kind: mlp, widths: [60, 4, 2], activation: tanh}", "{}",
             "probes.feature_orbit.height: features of length 60 are not a square grid"),
            ("rect", "{kind: mlp, widths: [60, 4, 2], activation: tanh}", "{height: 6, width: 10}",
             "d4 rotates a square grid, found 6 x 10")):
        job = os.path.join(tmp, name + ".yaml")
        with open(job, "w") as fh:
            fh.write("name: %s\ndata: {kind: teacher_linear, input: 60, output: 2, samples: 20}\n"
                     "model: %s\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n"
                     "probes: {feature_orbit: %s}\n" % (name, model, probe))
        p = subprocess.run([exe, "validate", job], capture_output=True, text=True)
        print(p.stderr.strip())
        if p.returncode != 2 or want not in p.stderr:
            fails.append("%s: exit %d, %r; want %r" % (name, p.returncode, p.stderr.strip(), want))
if fails:
    print("FAIL\n" + "\n".join(fails))
    sys.exit(1)
print("feature_orbit: every orbit and stabilizer as known")
