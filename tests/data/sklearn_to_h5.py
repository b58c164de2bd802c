#!/usr/bin/env python3
"""scripts/sklearn_to_h5.py writes the 8x8 digits and the sample photographs as HDF5 with the
values sklearn gives, and symsweep trains on both: a classifier's data (data.classes, a test
fraction, standardize) and an autoencoder on patches of the photographs (data.image,
data.patches).  Skips (exit 77) where sklearn is missing.

usage: sklearn_to_h5.py SYMSWEEP SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, SRC = sys.argv[1], sys.argv[2]
try:
    from sklearn.datasets import load_digits, load_sample_images
except ImportError:
    print("SKIP: sklearn is not installed (Debian: python3-sklearn); scripts/setup.sh installs it")
    sys.exit(77)

fail = []
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, os.path.join(SRC, "scripts", "sklearn_to_h5.py"), tmp], check=True)
    d = load_digits()
    with h5py.File(os.path.join(tmp, "digits.h5"), "r") as f:
        if not np.array_equal(f["X"][...], d.data) or f["X"].shape != (1797, 64):
            fail.append("digits.h5 X is not load_digits().data")
        if not np.array_equal(f["y"][...], d.target.reshape(-1, 1).astype(float)):
            fail.append("digits.h5 y is not load_digits().target as [n x 1]")
    s = load_sample_images()
    with h5py.File(os.path.join(tmp, "photos.h5"), "r") as f:
        X = f["X"][...]
        china = s.images[0].astype(float)
        want = (0.299 * china[..., 0] + 0.587 * china[..., 1] + 0.114 * china[..., 2]) / 255
        if X.shape != (2, 427 * 640) or np.max(np.abs(X[0] - want.reshape(-1))) > 1e-12:
            fail.append("photos.h5 X[0] is not china.jpg's luma / 255, row by row")
        if not np.array_equal(f["flower_rgb"][...], s.images[1]):
            fail.append("photos.h5 flower_rgb is not flower.jpg as shipped")
        if X.min() < 0 or X.max() > 1:
            fail.append("photos.h5 X outside [0, 1]")
    jobs = {
        "digits": "data: {kind: hdf5, file: digits.h5, x: X, y: y, image: [8, 8], classes: [3, 8],\n"
                  "       standardize: true, test: {fraction: 0.2}}\n"
                  "model: {kind: mlp, widths: [64, 8, 1]}\n"
                  "train: {optimizer: adam, lr: 0.01, epochs: 3, batch_size: 32}\n",
        "photos": "data: {kind: hdf5, file: photos.h5, x: X, image: [427, 640],\n"
                  "       patches: {size: [8, 8], count: 300}, test: {fraction: 0.1}}\n"
                  "model: {kind: autoencoder, input: 64, latent: 4}\n"
                  "train: {optimizer: adam, lr: 0.01, epochs: 3, batch_size: 30}\n",
    }
    for name, text in jobs.items():
        job = os.path.join(tmp, name + ".yaml")
        with open(job, "w") as fh:
            fh.write("name: %s\nseeds: {count: 2}\n%s" % (name, text))
        out = os.path.join(tmp, name + ".out.h5")
        r = subprocess.run([EXE, "run", job, "-o", out, "-q"], capture_output=True, text=True)
        if r.returncode != 0:
            fail.append("%s: symsweep run failed (%d): %s" % (name, r.returncode, r.stderr.strip()))
            continue
        with h5py.File(out, "r") as f:
            st = f["/runs/status"]
            meanings = dict(zip(st.attrs["flag_values"], st.attrs["flag_meanings"].split()))
            if [meanings[v] for v in st[...]] != ["done", "done"]:
                fail.append("%s: runs not done: %s" % (name, [meanings[v] for v in st[...]]))
            loss = f["/runs/metrics/final_loss"][...]
            if not np.all(np.isfinite(loss)):
                fail.append("%s: final loss %s" % (name, loss))
for m in fail:
    print("FAIL", m)
print("sklearn_to_h5: %d problems" % len(fail))
sys.exit(1 if fail else 0)
