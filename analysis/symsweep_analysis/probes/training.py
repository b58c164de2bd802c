"""The run itself: loss curves and trained weights (every job)."""
import matplotlib.pyplot as plt
import numpy as np

from ..figures import _band
from . import register


def training_curves(ctx):
    if "runs/curves/loss" not in ctx.f or "runs/curves/epoch" not in ctx.f:
        return "no /runs/curves/loss"
    ep = ctx.f["runs/curves/epoch"][...]
    if len(ep) < 2:
        return "curves have a single point"
    n, mean, _, half = ctx.moments("runs/curves/loss")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for g in ctx.groups():
        ok = n[g] > 0
        _band(ax, ep[ok], mean[g][ok], half[g][ok], "%s (n=%d)" % (ctx.labels[g], n[g].max()), log=True)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("objective (data loss + penalty)")
    ax.set_title("Training curves: mean over seeds, 95% CI band")
    ax.legend(fontsize=7)
    return ctx.save(fig, "training_curves")


def weights(ctx):
    if "runs/weights" not in ctx.f or not ctx.runs:
        return "no /runs/weights" if "runs/weights" not in ctx.f else "no done run"
    names = [k for k in ctx.f["runs/weights"] if ctx.f["runs/weights"][k].ndim == 3]
    order = lambda k: (k.startswith("dec"), int("".join(c for c in k.split("_")[-1] if c.isdigit()) or 0))
    names.sort(key=order)
    if not names:
        return "no weight matrices"
    runs = ctx.runs[:6]
    fig, axes = plt.subplots(len(runs), len(names), figsize=(2.6 * len(names), 2.4 * len(runs)), squeeze=False)
    for r, i in enumerate(runs):
        for c, k in enumerate(names):
            w = ctx.f["runs/weights"][k][i]
            w = w[~np.all(np.isnan(w), axis=1)][:, ~np.all(np.isnan(w), axis=0)]
            ax = axes[r][c]
            if w.size == 0:
                ax.axis("off")
                continue
            v = np.nanmax(np.abs(w)) or 1.0
            im = ax.imshow(w, cmap="RdBu_r", vmin=-v, vmax=v, aspect="auto")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(k if r == 0 else "", fontsize=8)
            if c == 0:
                ax.set_ylabel(("run %d\n" % i) + ctx.labels[ctx.codes[i]], fontsize=7)
            fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle("Final weights (rows: runs; out x in, red > 0 > blue)", fontsize=9)
    return ctx.save(fig, "weights")


# ---------------------------------------------------------------- Ex1


register("training", names=("final_loss", "final_data_loss", "final_penalty"),
         figures=[training_curves, weights])
