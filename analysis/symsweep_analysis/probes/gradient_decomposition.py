"""Ex5: the gradient's parts along and across the orbit during training."""
import matplotlib.pyplot as plt
import numpy as np

from ..figures import _log_band, TINY, _log10
from . import register


def ex5_gradient(ctx):
    f = ctx.f
    base = "probes/gradient_decomposition/"
    if base + "orbit_norm" not in f:
        return "no gradient_decomposition probe"
    ep = f["runs/curves/epoch"][...]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, lab in (("perp_norm", "||g_perp||"), ("orbit_derivative", "||J^T g||"), ("orbit_norm", "||g_orbit||")):
        n, mean, _, half = ctx.moments(base + name, _log10)
        for g in ctx.groups():
            ok = n[g] > 0
            if name == "orbit_norm" and np.all(mean[g][ok] <= np.log10(TINY)):
                lab = "||g_orbit|| = 0 (below rounding), drawn at %g" % TINY
            _log_band(axes[0], ep[ok], mean[g][ok], half[g][ok], "%s, %s" % (lab, ctx.labels[g]))
    # the magnitudes on a log scale: the orbit step's change is rounding (a symlog axis would
    # spend most of its height on that noise)
    for name, lab in (("perp_step_change", "|change| from a step along g_perp (the loss falls)"),
                      ("orbit_step_change", "|change| from a step along g_orbit")):
        n, mean, _, half = ctx.moments(base + name, _log10)
        for g in ctx.groups():
            ok = n[g] > 0
            if name == "orbit_step_change" and np.all(mean[g][ok] <= -12):
                lab = "|change| from a step along g_orbit: 0 to rounding (0 drawn at %g)" % TINY
            _log_band(axes[1], ep[ok], mean[g][ok], half[g][ok], "%s, %s" % (lab, ctx.labels[g]))
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("norm (geometric mean over runs)")
    axes[0].set_title("gradient split: orbit tangent vs perpendicular", fontsize=9)
    axes[1].set_yscale("log")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("|objective change| of the step (geometric mean)")
    axes[1].set_title("what each part of the step does to the loss", fontsize=9)
    for ax in axes:
        ax.legend(fontsize=6)
    fig.suptitle("Ex5: gradient decomposition over training (95% CI bands)")
    fig.tight_layout()
    return ctx.save(fig, "ex5_gradient_decomposition")


register("gradient_decomposition", prefixes=("gd_",), figures=[ex5_gradient])
