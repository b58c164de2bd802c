"""Ex5: the gradient's parts along and across the orbit during training."""
from .. import style
from ..figures import _log_band, figure, legend_below
from . import register

# one colour per part of the gradient, in both panels; groups differ by line style
PARTS = (("perp_norm", "perp_step_change", r"$g_\perp$, across the orbit", "C3"),
         ("orbit_norm", "orbit_step_change", r"$g_{\mathrm{orbit}}$, along the orbit", "C0"),
         ("orbit_derivative", None, r"$J^\top g$, the orbit derivative", "C2"))
STYLES = ("-", "--", ":", "-.")


def ex5_gradient(ctx):
    f = ctx.f
    base = "probes/gradient_decomposition/"
    if base + "orbit_norm" not in f:
        return "no gradient_decomposition probe"
    ep = f["runs/curves/epoch"][...]
    gs = ctx.groups()
    fig, axes = figure(rows=2, height=1.9)
    # (a) the norms; (b) the magnitude of the objective's change by a step along each part, on
    # a log scale: the orbit step's change is rounding (a symlog axis would spend most of its
    # height on that noise); exact zeros are marked on the axis
    for k in (0, 1):
        for part in PARTS:
            name = part[k]
            if name is None or base + name not in f:
                continue
            n, mean, half, zero = ctx.log_moments(base + name)
            for j, g in enumerate(gs):
                ok = (n[g] > 0) | zero[g]
                line = _log_band(axes[k], ep[ok], mean[g][ok], half[g][ok], part[2], color=part[3],
                                 zeros=zero[g][ok])
                line.set_linestyle(STYLES[j % len(STYLES)])
    if len(gs) > 1:  # the line style is the group: a key in grey
        for j, g in enumerate(gs):
            axes[1].plot([], [], color="0.35", ls=STYLES[j % len(STYLES)], label=ctx.labels[g])
    axes[0].set_ylabel("norm")
    style.panel_title(axes[0], 0, "the gradient's parts\n(geometric mean over runs, 95% CI)")
    axes[1].set_ylabel("|objective change|")
    style.panel_title(axes[1], 1, "a step along each part")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
    legend_below(axes[1], also=[axes[0]])
    fig.suptitle("Ex5: the gradient along and across the orbit")
    return ctx.save(fig, "ex5_gradient_decomposition")


register("gradient_decomposition", prefixes=("gd_",), figures=[ex5_gradient])
