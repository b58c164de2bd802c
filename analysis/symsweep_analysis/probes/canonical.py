"""Canonical forms (canonical) and the comparison of seeds modulo their symmetries
(`symsweep align OUT.h5`, which writes OUT-align.h5 beside the sweep's file): per grid point,
the orbit-distance matrix between its seeds and the data loss along the straight line between
two runs before and after alignment, and a table of how many pairs share an orbit, a function,
or neither."""
import os

import h5py
import matplotlib.pyplot as plt
import numpy as np

from .. import style
from ..figures import legend_below
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


# the barriers beside the training data loss's: /align/median_<key>_{raw,aligned} -> the
# table's "median <what> barrier {raw,aligned}" columns
OTHER_BARRIERS = (("barrier_test", "test loss"), ("barrier_error", "train error"),
                  ("barrier_test_error", "test error"))


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
            # barriers align measured where a grid point has a test split or is a classifier
            for key, what in OTHER_BARRIERS:
                for side in ("raw", "aligned"):
                    name = "median_%s_%s" % (key, side)
                    if name in a:
                        rows[-1]["median %s barrier %s" % (what, side)] = float(a[name][c])
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
    shown = list(range(min(C, 3)))
    if C > len(shown):
        ctx.notes.append("the alignment figure shows the first %d of %d grid points" % (len(shown), C))
    fig = plt.figure(figsize=(style.COLUMN, 3.2), layout="constrained")
    grid = fig.add_gridspec(2, len(shown), height_ratios=[0.85, 1.0])
    floor = 1e-16
    tops = []
    for k, c in enumerate(shown):
        ax = fig.add_subplot(grid[0, k])
        tops.append(ax)
        m = np.where(np.eye(S, dtype=bool), np.nan, orb[c])
        im = ax.imshow(np.log10(np.maximum(m, floor)), vmin=-16, vmax=0, cmap="viridis")
        style.panel_title(ax, k)
        step = max(1, -(-S // 4))  # four seed ticks at most
        ax.set_xticks(range(0, S, step))
        ax.set_yticks(range(0, S, step))
        ax.set_xlabel("seed")
        if k == 0:
            ax.set_ylabel("seed")
    cb = fig.colorbar(im, ax=tops, orientation="horizontal", shrink=0.9, aspect=30)
    cb.set_label(r"$\log_{10}$ orbit distance between seeds")
    ax2 = fig.add_subplot(grid[1, :])
    for k, c in enumerate(shown):
        col = "C%d" % k
        ax2.plot(alpha, np.nanmean(pr[c], axis=0), "--", color=col)
        ax2.plot(alpha, np.nanmean(pa[c], axis=0), "-", color=col)
        ax2.plot([], [], "s", color=col, label="(%s) %s" % ("abc"[k], names[c]))
    ax2.plot([], [], "--", color="0.3", label="raw")
    ax2.plot([], [], "-", color="0.3", label="after alignment")
    ax2.set_xlabel("position on the straight line between two runs")
    ax2.set_ylabel("data loss (mean over pairs)")
    ax2.set_title("(%s) between two seeds of a grid point" % "abcd"[len(shown)], loc="left")
    legend_below(ax2)
    fig.suptitle("seeds compared modulo their symmetries")
    return ctx.save(fig, "align")


def _width_axis(f, C):
    """The grid points' largest hidden width when the sweep varies model.widths and nothing else
    of the model's shape (the Git Re-Basin question: barriers against width); else None."""
    if "config/model/widths" not in f:
        return None
    w = np.asarray(f["config/model/widths"][()])
    if w.ndim != 2 or w.shape[0] != C or w.shape[1] < 3:
        return None
    hidden = w[:, 1:-1].max(axis=1)
    return hidden if len(set(hidden.tolist())) == C else None


def align_barriers(ctx):
    """The median barrier over pairs of seeds (the largest rise of the straight-line path above
    the chord between its ends), raw (dashed) and after alignment (solid), per grid point: on the
    objective's data loss and, where align measured them, the test loss (top) and the training
    and test error (bottom).  Against the hidden width when the sweep is one over model.widths."""
    p = align_path(ctx.f)
    if p is None:
        return "no %s (run symsweep align on the file)" % "OUT-align.h5"
    kinds = (("barrier", "training data loss", 0), ("barrier_test", "test loss", 0),
             ("barrier_error", "training error", 1), ("barrier_test_error", "test error", 1))
    with h5py.File(p, "r") as g:
        a = g["align"]
        C, S = int(g.attrs["n_configs"]), int(g.attrs["n_seeds"])
        if S < 2:
            return "one seed per grid point: nothing to compare"
        vals = {k: (a["median_%s_raw" % k][:], a["median_%s_aligned" % k][:])
                for k, _, _ in kinds if "median_%s_raw" % k in a}
    if C < 2:
        return "one grid point: no trend to show (the alignment table has its barriers)"
    panels = sorted({col for k, _, col in kinds if k in vals})
    x = _width_axis(ctx.f, C)
    fig, axes = plt.subplots(len(panels), 1, figsize=(style.COLUMN, 0.6 + 2.4 * len(panels)),
                             squeeze=False, layout="constrained")
    for j, col in enumerate(panels):
        ax = axes[j, 0]
        shown = [(i, k, what) for i, (k, what, c) in enumerate(kinds) if c == col and k in vals]
        ys = np.concatenate([np.concatenate(vals[k]) for _, k, _ in shown])
        for i, k, what in shown:  # one colour per quantity, across the panels
            raw, aligned = vals[k]
            xs = x if x is not None else np.arange(C)
            ax.plot(xs, raw, "--o", color="C%d" % i, ms=3)
            ax.plot(xs, aligned, "-s", color="C%d" % i, ms=3, label=what)
        if np.all(ys[np.isfinite(ys)] > 0):
            ax.set_yscale("log")
        if x is not None:
            ax.set_xscale("log", base=2)
            ax.set_xticks(x, [str(int(v)) for v in x])
            ax.set_xlabel("hidden width")
        else:
            names, word = _category(ctx, C, S)
            ax.set_xticks(range(C), names, rotation=90)
            if word:
                ax.set_xlabel(word)
        ax.set_ylabel("median barrier over pairs")
        style.panel_title(ax, j)
        ax.plot([], [], "--", color="0.3", label="raw")
        ax.plot([], [], "-", color="0.3", label="aligned")
        legend_below(ax)
    fig.suptitle("barriers between seeds")
    return ctx.save(fig, "align_barriers")


def _category(ctx, C, S):
    from ..figures import category_labels, wrap
    names, word = category_labels(_config_labels(ctx.labels, ctx.codes, C, S))
    return [wrap(n, 22) for n in names], word


register("canonical", prefixes=("canonical_",), figures=[align_figure, align_barriers])
