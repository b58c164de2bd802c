"""The symmetry algebra found from data (a team probe)."""
import matplotlib.pyplot as plt
import numpy as np

from ..figures import TINY
from . import register


def discovery_spectrum(ctx):
    """Singular values of the stacked invariance conditions, one run per group: the null ones
    (below threshold x sqrt(conditions)) span the discovered algebra."""
    p = "probes/symmetry_discovery/singular_values"
    if p not in ctx.f:
        return "no symmetry_discovery probe"
    dim = ctx.f["runs/metrics/discovery_dimension"][()]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for i in ctx.runs:
        s = ctx.f[p][i]
        s = s[np.isfinite(s)]
        if len(s):
            ax.semilogy(np.arange(1, len(s) + 1), np.maximum(s, TINY), ".", ms=3,
                        label="%s: dimension %g" % (ctx.run_label(i), dim[i]))
    ax.set_xlabel("k (descending)")
    ax.set_ylabel("singular value")
    ax.set_title("symmetry discovery: the null tail is the algebra")
    ax.legend(fontsize=6)
    return ctx.save(fig, "discovery_spectrum")


def discovery_curves(ctx):
    """The discovered dimension against the data's rank (min(data.rank, data.samples) when both
    are swept, or whichever is), one line per value of the other grid columns (such as a swept
    probes.symmetry_discovery.data): data-dependent symmetries, as in seed 002."""
    if "runs/metrics/discovery_dimension" not in ctx.f:
        return "no symmetry_discovery probe"
    cols = [c for c in ("data.rank", "data.samples") if c in ctx.df.columns]
    if not cols:
        return "neither data.rank nor data.samples is a sweep axis"
    df = ctx.df[ctx.done]
    x = df[cols].min(axis=1).to_numpy(float)
    xname = "rank of the data: min(%s)" % ", ".join(cols) if len(cols) > 1 else cols[0]
    others = [c for c in df.attrs.get("axes", []) if c in df.columns and c not in cols]
    keys = df[others].astype(str).agg(", ".join, axis=1) if others else None
    dim = df["discovery_dimension"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for k, lab in enumerate(sorted(set(keys)) if keys is not None else [None]):
        sel = (keys == lab).to_numpy() if keys is not None else np.ones(len(x), bool)
        xs = np.unique(x[sel])
        ys = [dim[sel][x[sel] == v].mean() for v in xs]
        ax.plot(xs, ys, "o-", ms=4, label=lab if lab else "all runs")
        for xv, yv in zip(xs, ys):
            ax.annotate("%g" % yv, (xv, yv), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(xname, fontsize=9)
    ax.set_ylabel("discovered dimension (mean over runs)", fontsize=9)
    ax.set_xticks(np.unique(x))
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, frameon=False, title=", ".join(others) if others else None, title_fontsize=8)
    ax.set_title("symmetry discovery against the data", fontsize=10)
    fig.tight_layout()
    return ctx.save(fig, "discovery_curves")


register("symmetry_discovery", prefixes=("discovery_",), figures=[discovery_spectrum, discovery_curves])
