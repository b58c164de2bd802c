#!/usr/bin/env python3
"""The learning_order probe (seed 004) and the prototypes data end to end, on answers known.

A 64 -> 4 -> 64 autoencoder on prototypes data [cross, bar, corner, edge] starts from a file
whose first-layer rows are: the corner turned by a quarter (an element of its D4 orbit, not
the corner itself), the cross, minus the bar, and noise; it trains with a step too small to
move a weight (gd, lr 1e-300).  Expected with tol 0.99, signed: the cross and the corner
matched at epoch 0 (best cosine 1: the probe searches the orbit), the bar and the edge never
(-1); with absolute: true the bar is matched too (the row is minus the bar).  The orbits and
stabilizers under D4 are the closed forms (cross 1/8, bar 2/4, corner 4/2, edge 4/2), the
recorded prototypes are the images built here, and the matched fraction is 2/4 (3/4).  The
control, the data's mean image against each orbit, is 1 for data of one noiseless cross and
below 1 for the four prototypes.
Refusals: data that are not prototypes; layer-wise training of an MLP.

usage: learning_order.py SYMSWEEP
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prototypes_fixture import DEC, P, W1  # noqa: E402

exe = sys.argv[1]
fails = []
DATA = "{kind: prototypes, grid: [8, 8], prototypes: [cross, bar, corner, edge], noise: 0.1, samples: 40}"


def run(tmp, name, probe, init, data=DATA):
    with h5py.File(os.path.join(tmp, name + ".h5"), "w") as f:
        for k, v in init.items():
            f[k] = v
    job = os.path.join(tmp, name + ".yaml")
    with open(job, "w") as fh:
        fh.write("name: %s\nseeds: [0, 1]\ndata: %s\n"
                 "model: {kind: autoencoder, input: 64, latent: 4, activation: sigmoid, latent_activation: sigmoid, "
                 "init: {kind: file, file: %s.h5}}\n"
                 "train: {optimizer: gd, lr: 1e-300, epochs: 4, layerwise: true}\nrecord: {loss_every: 2}\n"
                 "probes: {learning_order: %s}\n" % (name, data, name, probe))
    out = os.path.join(tmp, name + "-out.h5")
    p = subprocess.run([exe, "run", job, "-o", out, "--force", "-q"], capture_output=True, text=True)
    if p.returncode:
        fails.append("%s: %s" % (name, p.stderr.strip()))
        return None
    return h5py.File(out, "r")


with tempfile.TemporaryDirectory() as tmp:
    init = {"enc_W1": W1, "enc_b1": np.zeros(4), "dec_W1": DEC, "dec_b1": np.zeros(64)}
    for name, probe, want_epoch, matched in (("signed", "{tol: 0.99}", [0, -1, 0, -1], 0.5),
                                             ("absolute", "{tol: 0.99, absolute: true}", [0, 0, 0, -1], 0.75)):
        f = run(tmp, name, probe, init)
        if not f:
            continue
        g = f["probes/learning_order"]
        ep, sim = g["epoch"][()], g["similarity"][()]
        print("%s: epochs %s similarity %s orbits %s stabilizers %s" % (name, ep[0], np.round(sim[0], 3),
                                                                      g["orbit"][0], g["stabilizer"][0]))
        if not (ep == want_epoch).all():
            fails.append("%s: epochs %s, want %s in every run" % (name, ep.tolist(), want_epoch))
        if not np.allclose(sim[:, [0, 2]], 1.0, atol=1e-12) or (name == "signed" and sim[0, 1] > 0.5):
            fails.append("%s: similarities %s" % (name, sim.tolist()))
        if list(g["orbit"][0]) != [1, 2, 4, 4] or list(g["stabilizer"][0]) != [8, 4, 2, 2]:
            fails.append("%s: orbits %s stabilizers %s" % (name, g["orbit"][0], g["stabilizer"][0]))
        if not np.array_equal(g["prototype"][0], P.reshape(4, 64)):
            fails.append("%s: recorded prototypes differ from the closed forms" % name)
        if not (f["runs/metrics/learning_order_matched"][()] == matched).all():
            fails.append("%s: matched %s, want %s" % (name, f["runs/metrics/learning_order_matched"][()], matched))
        if not (g["mean_similarity"][()] < 0.99).all():
            fails.append("%s: the mean of four prototypes matches one: %s" % (name, g["mean_similarity"][()]))
        if g["similarity_curve"].shape[1:] != (3, 4):
            fails.append("%s: similarity_curve shape %s" % (name, g["similarity_curve"].shape))
    # the control: data of one prototype without noise have the prototype as their mean image
    f = run(tmp, "mean", "{tol: 0.99}", init, data="{kind: prototypes, grid: [8, 8], prototypes: [cross], samples: 10}")
    if f and not np.allclose(f["probes/learning_order/mean_similarity"][()], 1.0, atol=1e-12):
        fails.append("mean: mean_similarity %s, want 1" % f["probes/learning_order/mean_similarity"][()])
    for name, text, want in (
            ("notproto", "data: {kind: subspace, dim: 64, rank: 4, samples: 20}\n"
             "model: {kind: autoencoder, input: 64, latent: 4}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1}\n"
             "probes: {learning_order: {}}\n",
             "probes.learning_order: expected data kind prototypes (the prototypes to match), found subspace"),
            ("mlp", "data: {kind: prototypes, grid: [8, 8], prototypes: cross, targets: classes, samples: 20}\n"
             "model: {kind: mlp, widths: [64, 4, 1]}\ntrain: {optimizer: gd, lr: 0.1, epochs: 1, layerwise: true}\n",
             "train.layerwise: layer-wise training stacks autoencoders: use model.kind autoencoder")):
        job = os.path.join(tmp, name + ".yaml")
        with open(job, "w") as fh:
            fh.write("name: %s\n%s" % (name, text))
        p = subprocess.run([exe, "validate", job], capture_output=True, text=True)
        print(p.stderr.strip())
        if p.returncode != 2 or want not in p.stderr:
            fails.append("%s: exit %d, %r; want %r" % (name, p.returncode, p.stderr.strip(), want))
if fails:
    print("FAIL\n" + "\n".join(fails))
    sys.exit(1)
print("learning_order: every prototype matched as known")
