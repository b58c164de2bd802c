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


register("symmetry_discovery", prefixes=("discovery_",), figures=[discovery_spectrum])
