"""The run itself: loss curves and trained weights (every job)."""
import matplotlib.pyplot as plt
import numpy as np

from .. import style
from ..figures import _band, figure, legend_below, wrap
from . import register


def training_curves(ctx):
    if "runs/curves/loss" not in ctx.f or "runs/curves/epoch" not in ctx.f:
        return "no /runs/curves/loss"
    ep = ctx.f["runs/curves/epoch"][...]
    if len(ep) < 2:
        return "curves have a single point"
    if ep[-1] <= 1:  # a probe-only job trains one epoch: a dummy curve says nothing
        return "training ran %d epoch: no curve to show" % ep[-1]
    n, mean, _, half = ctx.moments("runs/curves/loss")
    gs = ctx.groups()
    fig, ax = figure()
    for g in gs:
        ok = n[g] > 0
        _band(ax, ep[ok], mean[g][ok], half[g][ok], "%s (n=%d)" % (ctx.labels[g], n[g].max()), log=True)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("objective")
    ax.set_title("training: mean over seeds, 95% CI band")
    legend_below(ax)
    return ctx.save(fig, "training_curves")


def weights(ctx):
    if "runs/weights" not in ctx.f or not ctx.runs:
        return "no /runs/weights" if "runs/weights" not in ctx.f else "no done run"
    names = [k for k in ctx.f["runs/weights"] if ctx.f["runs/weights"][k].ndim == 3]
    order = lambda k: (k.startswith("dec"), int("".join(c for c in k.split("_")[-1] if c.isdigit()) or 0))
    names.sort(key=order)
    if not names:
        return "no weight matrices"
    names = names[:4]  # a column holds four matrices side by side at most
    runs = ctx.few_runs("weights", 4)
    key = ["run %d: %s" % (i, ctx.labels[ctx.codes[i]]) for i in runs]
    key_lines = sum(wrap(k, 48).count("\n") + 1 for k in key)
    fig = plt.figure(figsize=(style.COLUMN, 0.6 + 1.1 * len(runs) + 0.15 * key_lines), layout="constrained")
    grid = fig.add_gridspec(len(runs) + 1, len(names),
                            height_ratios=[1.1] * len(runs) + [0.15 * key_lines + 0.05])
    for r, i in enumerate(runs):
        for c, k in enumerate(names):
            w = ctx.f["runs/weights"][k][i]
            w = w[~np.all(np.isnan(w), axis=1)][:, ~np.all(np.isnan(w), axis=0)]
            ax = fig.add_subplot(grid[r, c])
            ax.set_xticks([])
            ax.set_yticks([])
            if w.size == 0:
                ax.axis("off")
                continue
            v = np.nanmax(np.abs(w)) or 1.0
            ax.imshow(w / v, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
            ax.set_title(k if r == 0 else "")
            if c == 0:
                ax.set_ylabel("run %d" % i)
    note = fig.add_subplot(grid[len(runs), :])
    note.axis("off")
    note.text(0, 1, "\n".join(wrap(k, 48) for k in key), va="top", ha="left", transform=note.transAxes)
    fig.suptitle("final weights (out x in): red > 0 > blue,\neach scaled to its largest |w|")
    return ctx.save(fig, "weights")


# ---------------------------------------------------------------- Ex1


register("training", names=("final_loss", "final_data_loss", "final_penalty"),
         figures=[training_curves, weights])
