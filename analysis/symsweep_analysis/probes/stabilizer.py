"""Orbit and stabilizer dimensions of the trained points (the stabilizer probe)."""
import matplotlib.pyplot as plt
import numpy as np

from . import register

WHAT = (("stabilizer_algebra_dimension", "symmetry algebra"),
        ("stabilizer_orbit_dimension", "orbit"),
        ("stabilizer_dimension", "stabilizer"))


def stabilizer_dims(ctx):
    """Per group: the algebra, orbit and stabilizer dimensions (mean over done runs, with the
    range over seeds as error bars: a dimension is an integer, so any spread is a finding)."""
    if "runs/metrics/stabilizer_dimension" not in ctx.f:
        return "no stabilizer probe"
    gs = ctx.groups()
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(gs) + 2), 4.2))
    width = 0.8 / len(WHAT)
    for k, (name, label) in enumerate(WHAT):
        v = ctx.f["runs/metrics/" + name][()]
        xs, mid, lo, hi = [], [], [], []
        for j, g in enumerate(gs):
            sel = ctx.done & (ctx.codes == g) & np.isfinite(v)
            if not sel.any():
                continue
            xs.append(j + (k - 1) * width)
            mid.append(v[sel].mean())
            lo.append(v[sel].mean() - v[sel].min())
            hi.append(v[sel].max() - v[sel].mean())
        ax.bar(xs, mid, width, yerr=[lo, hi], capsize=3, label=label)
    ax.set_xticks(range(len(gs)))
    ax.set_xticklabels([ctx.labels[g] for g in gs], rotation=20, ha="right", fontsize=7)
    ax.set_ylabel("dimension (mean; bars: min to max over runs)")
    ax.set_title("orbit + stabilizer = symmetry algebra at the trained points")
    ax.legend(fontsize=7)
    return ctx.save(fig, "stabilizer_dimensions")


register("stabilizer", prefixes=("stabilizer_",), figures=[stabilizer_dims])
