"""Hessian spectra at the trained point (a team probe)."""
import numpy as np

from ..data import values
from ..figures import figure, legend_below, mark_zeros, positive, zero_key
from . import register


def hessian_spectrum(ctx):
    """|eigenvalues| of one run per group, sorted, log scale, with the zero cut between the
    run's largest counted zero and smallest counted non-zero."""
    p = "probes/hessian/eigenvalues"
    if p not in ctx.f:
        return "no hessian probe"
    below = ctx.f["runs/metrics/hessian_cut_below"][()]
    above = ctx.f["runs/metrics/hessian_cut_above"][()]
    fig, ax = figure()
    for i in ctx.few_runs("hessian_spectrum"):
        w = ctx.f[p][i]
        w = np.sort(np.abs(w[np.isfinite(w)]))
        if not len(w):
            continue
        k, v, kz = positive(w, np.arange(1, len(w) + 1))
        line, = ax.semilogy(k, v, ".", ms=3, label=ctx.run_label(i))
        if mark_zeros(ax, kz, line.get_color()):
            zero_key(ax)
        if np.isfinite(below[i]) and np.isfinite(above[i]):
            ax.axhline(np.sqrt(below[i] * above[i]), color=line.get_color(), ls=":", lw=0.8)
    ax.set_xlabel("$k$ ($|\\lambda_k|$ ascending)")
    ax.set_ylabel("$|\\lambda_k|$, eigenvalue of the Hessian")
    ax.set_title("Hessian spectra; dotted: the zero cut\n(geometric middle of the gap)")
    legend_below(ax)
    return ctx.save(fig, "hessian_spectrum")


def hessian_zeros_vs_orbit(ctx):
    """Zero count against orbit dimension, one point per done run: on the diagonal at a
    minimum whose only flat directions are the orbit's."""
    if "runs/metrics/hessian_zero_count" not in ctx.f:
        return "no hessian probe"
    z = values(ctx.f["runs/metrics/hessian_zero_count"])
    o = values(ctx.f["runs/metrics/hessian_orbit_dim"])
    fig, ax = figure(height=2.6)
    rng = np.random.default_rng(0)  # jitter only: integers overlap
    for g in ctx.groups():
        sel = ctx.done & (ctx.codes == g) & np.isfinite(z) & np.isfinite(o)
        if sel.any():
            ax.scatter(o[sel] + rng.uniform(-0.15, 0.15, sel.sum()), z[sel] + rng.uniform(-0.15, 0.15, sel.sum()),
                       s=12, label=ctx.group_label(g, sel.sum()))
    hi = np.nanmax(np.concatenate([z[ctx.done], o[ctx.done], [1.0]]))
    ax.plot([0, hi], [0, hi], color="grey", lw=1, ls="--", label="zero count = orbit dimension")
    ax.set_xlabel("orbit dimension")
    ax.set_ylabel("Hessian zero count")
    ax.set_title("flat directions against the orbit")
    legend_below(ax)
    return ctx.save(fig, "hessian_zeros_vs_orbit")


register("hessian", prefixes=("hessian_",), figures=[hessian_spectrum, hessian_zeros_vs_orbit])
