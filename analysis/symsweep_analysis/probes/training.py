"""The run itself: loss curves and trained weights (every job)."""
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
        _band(ax, ep[ok], mean[g][ok], half[g][ok], ctx.group_label(g, n[g]), log=True)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("objective")
    ax.set_title("training: mean over seeds, 95% CI band")
    legend_below(ax)
    return ctx.save(fig, "training_curves")


def heldout_curves(ctx):
    """The scores beside training (a test split, a classifier): one panel per quantity, the
    objective and the accuracy, each on the training (solid) and the held-out test data
    (dashed, the group's colour), mean over seeds with its 95% CI band."""
    panels = []
    if "runs/curves/test_loss" in ctx.f:
        panels.append(("objective", "runs/curves/loss", "runs/curves/test_loss", True))
    if "runs/curves/train_accuracy" in ctx.f:
        panels.append(("accuracy", "runs/curves/train_accuracy", "runs/curves/test_accuracy", False))
    if not panels:
        return "no test split and no classifier: no held-out curves"
    ep = ctx.f["runs/curves/epoch"][...]
    if len(ep) < 2:
        return "curves have a single point"
    fig, axes = figure(rows=len(panels), squeeze=False)
    gs = ctx.groups()
    for k, (what, train, test, log) in enumerate(panels):
        ax = axes[k, 0]
        for j, g in enumerate(gs):
            for path, dashed in ((train, False), (test, True)):
                if path not in ctx.f:
                    continue
                n, mean, _, half = ctx.moments(path)
                ok = n[g] > 0
                if not ok.any():
                    continue
                line = _band(ax, ep[ok], mean[g][ok], half[g][ok],
                             None if dashed else ctx.group_label(g, n[g]), color="C%d" % j, log=log)
                if dashed:
                    line.set_linestyle("--")
        if log:
            ax.set_yscale("log")
        ax.set_ylabel(what)
        ax.set_xlabel("epoch")
        if len(panels) > 1:
            style.panel_title(ax, k, what)
    fig.suptitle("solid: training data, dashed: test data\nmean over seeds, 95% CI band")
    legend_below(axes[-1, 0])
    return ctx.save(fig, "heldout_curves")


def matrix_name(k):
    """A weight dataset's name as a figure says it: enc_W1 -> "encoder $W_{1}$"."""
    import re
    m = re.match(r"^(?:(enc|dec)_)?([A-Za-z])([A-Za-z]*)(\d*)$", k)
    if not m:
        return k.replace("_", " ")
    side = {"enc": "encoder ", "dec": "decoder ", None: ""}[m.group(1)]
    sym = m.group(2) + m.group(3)
    return "%s$%s_{%s}$" % (side, sym, m.group(4)) if m.group(4) else "%s$%s$" % (side, sym)


def weights(ctx):
    """One panel per run: its weight matrices side by side (out x in), each scaled to its
    largest |w|, the matrices named below the last panel."""
    if "runs/weights" not in ctx.f or not ctx.runs:
        return "no /runs/weights" if "runs/weights" not in ctx.f else "no done run"
    names = [k for k in ctx.f["runs/weights"] if ctx.f["runs/weights"][k].ndim == 3]
    order = lambda k: (k.startswith("dec"), int("".join(c for c in k.split("_")[-1] if c.isdigit()) or 0))
    names.sort(key=order)
    if not names:
        return "no weight matrices"
    names = names[:4]  # a column holds four matrices side by side at most
    runs = ctx.few_runs("weights", 4)
    titles = [wrap(ctx.run_label(i), 48) for i in runs]
    lines = sum(t.count("\n") + 1 for t in titles)
    fig, axes = style.subplots(len(runs), 1, height=0.75 + 0.75 * len(runs) + 0.14 * lines, squeeze=False)
    for r, (i, ax) in enumerate(zip(runs, axes[:, 0])):
        mats = []
        for k in names:
            w = ctx.f["runs/weights"][k][i]
            w = w[~np.all(np.isnan(w), axis=1)][:, ~np.all(np.isnan(w), axis=0)]
            mats.append(w / (np.nanmax(np.abs(w)) or 1.0) if w.size else np.full((1, 1), np.nan))
        height = max(m.shape[0] for m in mats)
        canvas = np.full((height, sum(m.shape[1] for m in mats) + len(mats) - 1), np.nan)
        x, centres = 0, []
        for m in mats:  # side by side, a blank column between two
            canvas[:m.shape[0], x:x + m.shape[1]] = m
            centres.append(x + (m.shape[1] - 1) / 2)
            x += m.shape[1] + 1
        ax.imshow(canvas, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
        ax.set_yticks([])
        ax.set_xticks(centres)
        ax.set_xticklabels([matrix_name(k) for k in names] if r == len(runs) - 1 else [])
        ax.tick_params(axis="x", length=0)
        if len(runs) > 1:
            style.panel_title(ax, r, titles[r])
        else:
            ax.set_title(titles[r], loc="left")
    fig.suptitle("final weights (out $\\times$ in): red > 0 > blue,\neach matrix scaled to its largest $|w|$")
    return ctx.save(fig, "weights")


# ---------------------------------------------------------------- Ex1


register("training", names=("final_loss", "final_data_loss", "final_penalty", "final_test_loss",
                             "final_test_data_loss", "final_train_accuracy", "final_test_accuracy"),
         figures=[training_curves, heldout_curves, weights])
