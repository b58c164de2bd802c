"""Conserved quantities of gradient flow over training."""
from ..figures import _log_band, figure, legend_below
from . import register


def conserved_drift(ctx):
    """||Q_h(t) - Q_h(0)|| over training for the first hidden layer, geometric mean per group
    with a 95% band: gradient flow keeps it at 0, gradient descent lets it drift by O(lr)."""
    p = "probes/conserved/drift"
    if p not in ctx.f or "runs/curves/epoch" not in ctx.f:
        return "no conserved probe"
    ep = ctx.f["runs/curves/epoch"][()]
    n, mean, half, zero = ctx.log_moments(p, lambda b: b[:, 0, :])
    fig, ax = figure()
    for g in ctx.groups():
        ok = ((n[g] > 0) | zero[g]) & (ep > 0)
        if ok.any():
            _log_band(ax, ep[ok], mean[g][ok], half[g][ok], ctx.group_label(g, n[g] + zero[g]), zeros=zero[g][ok])
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"$\Vert Q(t) - Q(0)\Vert _F$, layer 1")
    ax.set_title("drift of the conserved quantity\n(geometric mean, 95% CI)")
    legend_below(ax)
    return ctx.save(fig, "conserved_drift")


register("conserved", prefixes=("conserved_",), figures=[conserved_drift])
