"""Ex5: the gradient's parts along and across the orbit during training."""
import numpy as np

from ..figures import _log_band, TINY, _log10, figure, legend_below
from . import register


def ex5_gradient(ctx):
    f = ctx.f
    base = "probes/gradient_decomposition/"
    if base + "orbit_norm" not in f:
        return "no gradient_decomposition probe"
    ep = f["runs/curves/epoch"][...]
    gs = ctx.groups()
    tag = (lambda g: ", " + ctx.labels[g]) if len(gs) > 1 else (lambda g: "")
    fig, axes = figure(rows=2, height=1.9)
    for name, lab in (("perp_norm", "||g_perp||"), ("orbit_derivative", "||J^T g||"), ("orbit_norm", "||g_orbit||")):
        n, mean, _, half = ctx.moments(base + name, _log10)
        for g in gs:
            ok = n[g] > 0
            if name == "orbit_norm" and np.all(mean[g][ok] <= np.log10(TINY)):
                lab = "||g_orbit|| = 0, drawn at %g" % TINY
            _log_band(axes[0], ep[ok], mean[g][ok], half[g][ok], lab + tag(g))
    # the magnitudes on a log scale: the orbit step's change is rounding (a symlog axis would
    # spend most of its height on that noise)
    for name, lab in (("perp_step_change", "step along g_perp: the loss falls"),
                      ("orbit_step_change", "step along g_orbit")):
        n, mean, _, half = ctx.moments(base + name, _log10)
        for g in gs:
            ok = n[g] > 0
            if name == "orbit_step_change" and np.all(mean[g][ok] <= -12):
                lab = "step along g_orbit: 0 to rounding"
            _log_band(axes[1], ep[ok], mean[g][ok], half[g][ok], lab + tag(g))
    axes[0].set_ylabel("norm")
    axes[0].set_title("Ex5: the gradient along and across the orbit\n(geometric mean over runs, 95% CI)")
    axes[1].set_ylabel("|objective change|")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        legend_below(ax)
    return ctx.save(fig, "ex5_gradient_decomposition")


register("gradient_decomposition", prefixes=("gd_",), figures=[ex5_gradient])
