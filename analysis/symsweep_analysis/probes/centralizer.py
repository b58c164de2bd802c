"""Ex2: centralizers of activations."""
import numpy as np

from ..figures import _families, _family_ticks, category_labels, figure, group_axis
from . import register


def ex2_commutation(ctx):
    p = "probes/centralizer/commutation_max"
    if p not in ctx.f:
        return "no centralizer probe"
    fams = _families(ctx.f[p])
    n, mean, _, _ = ctx.moments(p)
    gs = ctx.groups()
    m = np.array([mean[g] for g in gs])
    # the power of ten in each cell ("e-16": 1e-16 up to a factor < 10); "0": exactly zero
    fig, ax = figure(height=1.9 + 0.22 * len(gs))
    im = ax.imshow(np.log10(np.maximum(m, 1e-17)), cmap="viridis", vmin=-17, vmax=0, aspect="auto")
    for r in range(len(gs)):
        for c in range(len(fams)):
            ax.text(c, r, "0" if m[r, c] == 0 else "e%d" % np.floor(np.log10(m[r, c])), ha="center",
                    va="center", color="white" if m[r, c] < 1e-6 else "black")
    _family_ticks(ax, fams)
    ax.set_yticks(range(len(gs)))
    names, word = category_labels([ctx.labels[g] for g in gs])  # "activation" said once
    ax.set_yticklabels(names)
    if word:
        ax.set_ylabel(word)
    fig.colorbar(im, ax=ax, label=r"$\log_{10}$ error")
    ax.set_title("Ex2: does the family commute with it?\n(e-16: an error of $10^{-16}$ to $10^{-15}$; 0: exact)")
    return ctx.save(fig, "ex2_commutation")


def ex2_dimension(ctx):
    if "runs/metrics/centralizer_dimension" not in ctx.f:
        return "no centralizer probe"
    n, mean, _, half = ctx.moments("runs/metrics/centralizer_dimension")
    gs = ctx.groups()
    fig, ax = figure(height=0.9 + 0.22 * len(gs))
    ax.barh(range(len(gs)), [mean[g] for g in gs], xerr=[np.nan_to_num(half[g]) for g in gs], capsize=2)
    for j, g in enumerate(gs):
        ax.text(mean[g], j, " %.3g" % mean[g], ha="left", va="center")
    group_axis(ax, ctx, gs)
    ax.set_xlim(0, 1.25 * max([mean[g] for g in gs if np.isfinite(mean[g])] + [1]))
    ax.set_xlabel(r"$\dim\,\{M : \sigma(Mz) = M\sigma(z)\}$")
    ax.set_title("Ex2: centralizer dimension\n(mean, 95% CI)")
    return ctx.save(fig, "ex2_centralizer_dimension")


# ---------------------------------------------------------------- Ex3


register("centralizer", prefixes=("centralizer_",), figures=[ex2_commutation, ex2_dimension])
