"""Symmetry teleportation (teleport): the gradient-norm gain of each teleport and the
objective's drift over it, per group."""
import matplotlib.pyplot as plt
import numpy as np

from . import register


def teleport_gain(ctx):
    """Per group: the geometric-mean gain of ||grad|| over the run's teleports (dots: runs), at
    an objective that moved by rounding only (the title gives the largest drift)."""
    p = "runs/metrics/teleport_grad_gain"
    if p not in ctx.f:
        return "no teleport probe"
    gain = ctx.f[p][:]
    drift = ctx.f["runs/metrics/teleport_loss_drift"][:]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    shown = 0
    for k, g in enumerate(ctx.groups()):
        sel = (ctx.codes == g) & ctx.done & np.isfinite(gain)
        if not sel.any():
            continue
        ax.plot(np.full(sel.sum(), k), gain[sel], "o", ms=4, alpha=0.7)
        shown += 1
    if not shown:
        plt.close(fig)
        return "no teleport happened in the done runs"
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_xticks(range(len(ctx.groups())))
    ax.set_xticklabels([ctx.labels[g] for g in ctx.groups()], fontsize=7, rotation=20, ha="right")
    ax.set_ylabel("||grad|| after / before a teleport")
    ax.set_title("teleportation: gradient gain at a fixed objective (drift <= %.1e)"
                 % np.nanmax(drift[ctx.done]) if ctx.done.any() else "teleportation")
    fig.tight_layout()
    return ctx.save(fig, "teleport_gain")


register("teleport", prefixes=("teleport_",), figures=[teleport_gain])
