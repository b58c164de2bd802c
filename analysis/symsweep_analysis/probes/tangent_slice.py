"""The objective along the straight tangent line (the tangent_slice probe)."""
import numpy as np

from ..figures import TINY, figure, legend_below, mark_zeros, zero_key
from . import register


def tangent_slice_orders(ctx):
    """|(change(s) + change(-s)) / 2| against s, log-log, for one run per group (its first
    direction), with the slopes 2 (away from a critical point) and 4 (at a minimum)."""
    p = "probes/tangent_slice/change"
    if p not in ctx.f:
        return "no tangent_slice probe"
    s = ctx.f["probes/tangent_slice/s"][()]
    fig, ax = figure()
    for i in ctx.few_runs("tangent_slice"):
        c = ctx.f[p][i, 0]
        m = np.abs(0.5 * (c[0] + c[1]))
        ok = np.isfinite(m) & (m > TINY)
        if ok.any():
            line, = ax.loglog(s[ok], m[ok], ".-", ms=4, lw=1, label=ctx.run_label(i))
            if mark_zeros(ax, s[np.isfinite(m) & ~ok], line.get_color()):
                zero_key(ax)
    for order, ls in ((2, ":"), (4, "--")):
        ax.loglog(s, s ** order * 1e-2, color="grey", ls=ls, lw=1, label="slope %d" % order)
    ax.set_xlabel("$s$")
    ax.set_ylabel(r"$|L(\theta + s v) - L(\theta)|$, even part")
    ax.set_title("tangent line: order 2 off a minimum, 4 at it")
    legend_below(ax)
    return ctx.save(fig, "tangent_slice")


register("tangent_slice", prefixes=("tangent_slice_",), figures=[tangent_slice_orders])
