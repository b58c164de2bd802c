#!/usr/bin/env python3
"""The barrier between two seeds' networks against width, before and after weight matching, from
`symsweep align`'s file of a sweep over model.widths (jobs/real/fashion-mlp.yaml): the median
over pairs of the test loss barrier and the test error barrier.

usage: figure_width_barriers.py ALIGN.h5 SWEEP.h5 OUT.png
"""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

align, sweep, out = sys.argv[1:4]
with h5py.File(sweep, "r") as f:
    widths = [int(w[1]) for w in f["config/model/widths"][()]]
with h5py.File(align, "r") as g:
    a = g["align"]
    rows = {k: a["median_barrier_" + k][()] for k in
            ("test_raw", "test_aligned", "test_error_raw", "test_error_aligned")}
fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
for i, (kind, label) in enumerate((("test", "test loss barrier"), ("test_error", "test error barrier"))):
    ax[i].plot(widths, rows[kind + "_raw"], "o-", label="raw (seeds as trained)")
    ax[i].plot(widths, rows[kind + "_aligned"], "s-", label="after weight matching")
    ax[i].set_xscale("log", base=2)
    ax[i].set_yscale("log")
    ax[i].set_xticks(widths, [str(w) for w in widths])
    ax[i].set_xlabel("hidden width h (784-h-h-10, ReLU)")
    ax[i].set_ylabel("median over seed pairs")
    ax[i].set_title(label)
ax[0].legend(fontsize=8)
fig.suptitle("Fashion-MNIST: linear-mode barriers between seeds (jobs/real/fashion-mlp.yaml)", fontsize=10)
fig.tight_layout()
fig.savefig(out, dpi=110)
for k, v in rows.items():
    print(k, " ".join("%.4g" % x for x in v))
