"""Canonical forms (canonical) and the comparison of seeds modulo their symmetries
(`symsweep align OUT.h5`, which writes OUT-align.h5 beside the sweep's file): per grid point,
the orbit-distance matrix between its seeds and the data loss along the straight line between
two runs before and after alignment, and a table of how many pairs share an orbit, a function,
or neither."""
import os
import re

import h5py
import matplotlib.pyplot as plt
import numpy as np

from . import register


def align_path(f):
    """OUT-align.h5 beside the sweep's file OUT.h5, or None."""
    name = f.filename
    stem = name[:-3] if name.endswith(".h5") else name
    p = stem + "-align.h5"
    return p if os.path.exists(p) else None


def _config_labels(ctx_labels, codes, n_configs, n_seeds):
    return [ctx_labels[codes[c * n_seeds]] if c * n_seeds < len(codes) else "grid point %d" % c
            for c in range(n_configs)]


def align_table(f, labels, codes):
    """A pandas table, one row per grid point, from OUT-align.h5; None without the file."""
    p = align_path(f)
    if p is None:
        return None
    import pandas as pd
    with h5py.File(p, "r") as g:
        a = g["align"]
        C, S = int(g.attrs["n_configs"]), int(g.attrs["n_seeds"])
        names = _config_labels(labels, codes, C, S)
        orb = a["orbit_distance"][:]
        rows = []
        for c in range(C):
            off = ~np.eye(S, dtype=bool)
            d = orb[c][off]
            rows.append({"group": names[c], "pairs": int(a["pairs"][c]), "same orbit": int(a["same_orbit"][c]),
                         "same function": int(a["same_function"][c]), "different": int(a["different"][c]),
                         "median orbit distance": float(np.nanmedian(d)) if np.isfinite(d).any() else np.nan,
                         "median barrier raw": float(a["median_barrier_raw"][c]),
                         "median barrier aligned": float(a["median_barrier_aligned"][c])})
        tol = float(g.attrs["tolerance"])
    t = pd.DataFrame(rows)
    t.attrs["tolerance"] = tol
    t.attrs["path"] = p
    return t


def align_figure(ctx):
    """Top: each grid point's orbit-distance matrix between seeds (log colour scale); bottom:
    the data loss along the straight line between two runs, mean over pairs, raw (dashed) and
    after alignment (solid)."""
    p = align_path(ctx.f)
    if p is None:
        return "no %s (run symsweep align on the file)" % "OUT-align.h5"
    with h5py.File(p, "r") as g:
        a = g["align"]
        C, S = int(g.attrs["n_configs"]), int(g.attrs["n_seeds"])
        if S < 2:
            return "one seed per grid point: nothing to compare"
        orb = a["orbit_distance"][:]
        alpha = a["alpha"][:]
        pr, pa = a["path_loss_raw"][:], a["path_loss_aligned"][:]
    names = _config_labels(ctx.labels, ctx.codes, C, S)
    shown = list(range(min(C, 6)))
    if C > len(shown):
        ctx.notes.append("the alignment figure shows the first %d of %d grid points" % (len(shown), C))
    fig, axes = plt.subplots(2, len(shown), figsize=(2.9 * len(shown) + 0.8, 5.8), squeeze=False)
    floor = 1e-16
    for k, c in enumerate(shown):
        ax = axes[0][k]
        m = np.where(np.eye(S, dtype=bool), np.nan, orb[c])
        im = ax.imshow(np.log10(np.maximum(m, floor)), vmin=-16, vmax=0, cmap="viridis")
        ax.set_title(re.sub(r", (?=[A-Za-z_.]+=)", "\n", names[c]), fontsize=8)
        ax.set_xticks(range(S))
        ax.set_yticks(range(S))
        ax.tick_params(labelsize=8)
        ax.set_xlabel("seed", fontsize=8)
        if k == 0:
            ax.set_ylabel("seed", fontsize=8)
        ax2 = axes[1][k]
        ax2.plot(alpha, np.nanmean(pr[c], axis=0), "--", color="C3", label="raw")
        ax2.plot(alpha, np.nanmean(pa[c], axis=0), "-", color="C0", label="aligned")
        ax2.set_xlabel("position on the line", fontsize=8)
        ax2.tick_params(labelsize=8)
        if k == 0:
            ax2.set_ylabel("data loss (mean over pairs)", fontsize=8)
            ax2.legend(fontsize=8, frameon=False)
    cb = fig.colorbar(im, ax=[axes[0][k] for k in range(len(shown))], shrink=0.8)
    cb.set_label("log10 orbit distance", fontsize=8)
    cb.ax.tick_params(labelsize=8)
    fig.suptitle("seeds compared modulo their symmetries (symsweep align)", fontsize=9)
    return ctx.save(fig, "align")


register("canonical", prefixes=("canonical_",), figures=[align_figure])
