"""Ex2: centralizers of activations."""
import matplotlib.pyplot as plt
import numpy as np

from ..figures import _families, _family_ticks
from . import register


def ex2_commutation(ctx):
    p = "probes/centralizer/commutation_max"
    if p not in ctx.f:
        return "no centralizer probe"
    fams = _families(ctx.f[p])
    n, mean, _, _ = ctx.moments(p)
    gs = ctx.groups()
    m = np.array([mean[g] for g in gs])
    fig, ax = plt.subplots(figsize=(1.1 * len(fams) + 2.5, 0.5 * len(gs) + 2))
    im = ax.imshow(np.log10(np.maximum(m, 1e-17)), cmap="viridis", vmin=-17, vmax=0, aspect="auto")
    for r in range(len(gs)):
        for c in range(len(fams)):
            ax.text(c, r, "0" if m[r, c] == 0 else "%.0e" % m[r, c], ha="center", va="center", fontsize=7,
                    color="white" if m[r, c] < 1e-6 else "black")
    _family_ticks(ax, fams)
    ax.set_yticks(range(len(gs)))
    ax.set_yticklabels([ctx.labels[g] for g in gs], fontsize=7)
    fig.colorbar(im, ax=ax, label="log10 commutation error (mean of max)")
    ax.set_title("Ex2: does the family commute with the activation?")
    return ctx.save(fig, "ex2_commutation")


def ex2_dimension(ctx):
    if "runs/metrics/centralizer_dimension" not in ctx.f:
        return "no centralizer probe"
    n, mean, _, half = ctx.moments("runs/metrics/centralizer_dimension")
    gs = ctx.groups()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.bar(range(len(gs)), [mean[g] for g in gs], yerr=[np.nan_to_num(half[g]) for g in gs], capsize=3)
    for j, g in enumerate(gs):
        ax.text(j, mean[g], "%.3g" % mean[g], ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(gs)))
    ax.set_xticklabels([ctx.labels[g] for g in gs], fontsize=7, rotation=20)
    ax.set_ylabel("dim of {M : sigma(Mz) = M sigma(z)}")
    ax.set_title("Ex2: infinitesimal centralizer dimension (mean, 95% CI)")
    return ctx.save(fig, "ex2_centralizer_dimension")


# ---------------------------------------------------------------- Ex3


register("centralizer", prefixes=("centralizer_",), figures=[ex2_commutation, ex2_dimension])
