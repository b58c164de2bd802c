"""Ex1: outputs under group elements at every hidden layer."""
import numpy as np

from ..figures import _families, _family_ticks, _log_errorbars, figure, legend_below
from . import register


def ex1_reparam(ctx):
    """Per family of group elements and per group: the geometric mean over runs of the largest
    relative output change (dash) with its 95% CI (bar; a dash, not a dot, so that a short bar
    shows), exact zeros marked on the axis, and the rounding level 1e-12 as a labelled line."""
    p = "probes/reparam/max_rel"
    if p not in ctx.f:
        return "no reparam probe"
    fams = _families(ctx.f[p])
    n, mean, half, zero = ctx.log_moments(p)
    gs = ctx.groups()
    fig, ax = figure(height=3.1)
    for j, g in enumerate(gs):
        xs = np.arange(len(fams)) + (j - (len(gs) - 1) / 2) * 0.8 / max(1, len(gs))
        _log_errorbars(ax, xs, n[g], mean[g], half[g], zeros=zero[g], color="C%d" % (j % 10),
                       label=ctx.group_label(g, n[g] + zero[g]))
    ax.set_yscale("log")
    _family_ticks(ax, fams)
    ax.set_ylabel(r"max $\Vert Y' - Y\Vert \,/\,\Vert Y\Vert $")
    ax.set_title("Ex1: output change under the group\n(geometric mean over runs, 95% CI)")
    ax.axhline(1e-12, color="grey", ls=":", lw=1, label="$10^{-12}$: invariant up to rounding")
    legend_below(ax)
    return ctx.save(fig, "ex1_reparam")


# ---------------------------------------------------------------- Ex2


register("reparam", prefixes=("reparam_",), figures=[ex1_reparam])
