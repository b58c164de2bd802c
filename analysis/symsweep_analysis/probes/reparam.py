"""Ex1: outputs under group elements at every hidden layer."""
import numpy as np

from ..figures import _families, _family_ticks, _log10, _log_errorbars, figure, legend_below
from . import register


def ex1_reparam(ctx):
    p = "probes/reparam/max_rel"
    if p not in ctx.f:
        return "no reparam probe"
    fams = _families(ctx.f[p])
    n, mean, _, half = ctx.moments(p, _log10)
    gs = ctx.groups()
    fig, ax = figure(height=3.1)
    for j, g in enumerate(gs):
        xs = np.arange(len(fams)) + (j - (len(gs) - 1) / 2) * 0.8 / max(1, len(gs))
        _log_errorbars(ax, xs, n[g], mean[g], half[g], label="%s (n=%d)" % (ctx.labels[g], n[g].max()))
    ax.set_yscale("log")
    _family_ticks(ax, fams)
    ax.set_ylabel("max ||Y' - Y|| / ||Y||")
    ax.set_title("Ex1: output change under the group")
    ax.axhline(1e-12, color="grey", ls=":", lw=1)
    legend_below(ax)
    return ctx.save(fig, "ex1_reparam")


# ---------------------------------------------------------------- Ex2


register("reparam", prefixes=("reparam_",), figures=[ex1_reparam])
