"""Symmetry teleportation (teleport): the gradient-norm gain of each teleport and the
objective's drift over it, per group."""
import matplotlib.pyplot as plt
import numpy as np

from ..figures import figure, group_axis
from . import register


def teleport_gain(ctx):
    """Per group: the geometric-mean gain of ||grad|| over the run's teleports (dots: runs), at
    an objective that moved by rounding only (the title gives the largest drift)."""
    p = "runs/metrics/teleport_grad_gain"
    if p not in ctx.f:
        return "no teleport probe"
    gain = ctx.f[p][:]
    drift = ctx.f["runs/metrics/teleport_loss_drift"][:]
    gs = ctx.groups()
    fig, ax = figure(height=1.0 + 0.3 * len(gs))
    shown = 0
    for k, g in enumerate(gs):
        sel = (ctx.codes == g) & ctx.done & np.isfinite(gain)
        if not sel.any():
            continue
        ax.plot(gain[sel], np.full(sel.sum(), k), "o", ms=3, alpha=0.7)
        shown += 1
    if not shown:
        plt.close(fig)
        return "no teleport happened in the done runs"
    ax.axvline(1.0, color="0.5", lw=0.8)
    group_axis(ax, ctx, gs)
    ax.set_ylim(len(gs) - 0.5, -0.5)
    ax.set_xlabel(r"$\Vert \nabla L\Vert $ after / before (geometric mean)")
    ax.set_title("teleportation: gradient gain at\na fixed objective (drift $\\leq$ %.1e)"
                 % np.nanmax(drift[ctx.done]) if ctx.done.any() else "teleportation")
    return ctx.save(fig, "teleport_gain")


register("teleport", prefixes=("teleport_",), figures=[teleport_gain])
