"""The symmetry algebra found from data (a team probe)."""
import numpy as np

from ..data import values
from ..groups import pretty
from ..figures import figure, legend_below, mark_zeros, positive, zero_key
from . import register


def discovery_spectrum(ctx):
    """Singular values of the stacked invariance conditions, one run per group: the null ones
    (below threshold x sqrt(conditions)) span the discovered algebra."""
    p = "probes/symmetry_discovery/singular_values"
    if p not in ctx.f:
        return "no symmetry_discovery probe"
    dim = values(ctx.f["runs/metrics/discovery_dimension"])
    fig, ax = figure()
    for i in ctx.few_runs("discovery_spectrum"):
        s = ctx.f[p][i]
        s = s[np.isfinite(s)]
        if len(s):
            k, v, kz = positive(s, np.arange(1, len(s) + 1))
            line, = ax.semilogy(k, v, ".", ms=3, label="%s: dimension %g" % (ctx.run_label(i), dim[i]))
            if mark_zeros(ax, kz, line.get_color()):
                zero_key(ax)
    ax.set_xlabel("$k$ (descending)")
    ax.set_ylabel("singular value")
    ax.set_title("symmetry discovery: the null tail is the algebra")
    legend_below(ax)
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
    words = {"data.rank": "rank", "data.samples": "samples"}
    xname = "rank of the data: the smaller of %s" % " and ".join(words[c] for c in cols) \
        if len(cols) > 1 else "data %s" % words[cols[0]]
    others = [c for c in df.attrs.get("axes", []) if c in df.columns and c not in cols]
    keys = df[others].apply(lambda row: ", ".join(pretty(c, row[c], None, words=True) for c in others),
                            axis=1) if others else None
    dim = df["discovery_dimension"].to_numpy(float)
    labs = sorted(set(keys)) if keys is not None else [None]
    fig, ax = figure(height=2.4)
    for k, lab in enumerate(labs):
        sel = (keys == lab).to_numpy() if keys is not None else np.ones(len(x), bool)
        xs = np.unique(x[sel])
        ys = [dim[sel][x[sel] == v].mean() for v in xs]
        ax.plot(xs, ys, "o-", ms=3, label=lab if lab else "all runs")
    ax.set_xlabel(xname)
    ax.set_ylabel("discovered dimension (mean)")
    ax.set_xticks(np.unique(x))
    ax.set_ylim(bottom=0)
    ax.set_title("symmetry discovery against the data")
    legend_below(ax)
    return ctx.save(fig, "discovery_curves")


register("symmetry_discovery", prefixes=("discovery_",), figures=[discovery_spectrum, discovery_curves])
