"""Functional dimension: the rank of the outputs' Jacobian on the data (functional_dimension)."""
import numpy as np

from ..figures import _integer_bars, figure, legend_below, mark_zeros, positive, zero_key
from . import register

WHAT = (("functional_dimension", "functional dimension (rank)"),
        ("functional_orbit_dimension", "orbit"),
        ("functional_excess_null", "excess null (the data's)"))


def functional_dims(ctx):
    if "runs/metrics/functional_dimension" not in ctx.f:
        return "no functional_dimension probe"
    return _integer_bars(ctx, WHAT, "parameters = rank + orbit + excess null",
                         "functional_dimension")


def functional_spectrum(ctx):
    """The Jacobian's singular values of one run per group (log scale): the rank is where they
    drop to rounding level."""
    p = "probes/functional_dimension/singular_values"
    if p not in ctx.f:
        return "no functional_dimension probe"
    fig, ax = figure()
    for i in ctx.few_runs("functional_spectrum"):
        s = ctx.f[p][i]
        s = s[np.isfinite(s)]
        if len(s):
            k, v, kz = positive(s, np.arange(1, len(s) + 1))
            line, = ax.semilogy(k, v, ".-", ms=3, lw=0.8, label=ctx.run_label(i))
            if mark_zeros(ax, kz, line.get_color()):
                zero_key(ax)
    ax.set_xlabel("$k$")
    ax.set_ylabel("singular value of the Jacobian")
    ax.set_title("functional dimension: where the spectrum drops")
    legend_below(ax)
    return ctx.save(fig, "functional_spectrum")


register("functional_dimension", prefixes=("functional_",), figures=[functional_dims, functional_spectrum])
