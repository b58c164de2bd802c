"""The learned group's A (learned_group, seed 003): A itself as an image for a few runs, and its
structure residuals (how far from skew-symmetric, Toeplitz, circulant, a permutation and the
job's reference transform) per run, over seeds, per group."""
import numpy as np
from matplotlib.ticker import LogLocator, NullFormatter

from .. import style
from ..figures import group_axis, legend_below
from . import register

# metric suffix -> what it is, in words
RESIDUALS = (("reference", "reference $T^r$"), ("permutation", "permutation"), ("skew", "skew-symmetric"),
             ("toeplitz", "Toeplitz"), ("circulant", "circulant"), ("closure", r"closure $\Vert A^p - I\Vert/\sqrt{d}$"))


def _runs_with_A(ctx):
    if "probes/learned_group/A" not in ctx.f:
        return None
    return [i for i in ctx.few_runs("learned_group_A", 4)]


def learned_group_A(ctx):
    """One panel per run (the first done run of up to four groups): the learned A [d x d] in the
    pixel basis, scaled to its largest |a|, red > 0 > blue (the paper's Figs. 1, 3-5)."""
    runs = _runs_with_A(ctx)
    if runs is None:
        return "no /probes/learned_group/A"
    if not runs:
        return "no done run"
    A = ctx.f["probes/learned_group/A"]
    ref = ctx.f["runs/metrics/learned_group_reference"] if "runs/metrics/learned_group_reference" in ctx.f else None
    cols = min(2, len(runs))
    rows = -(-len(runs) // cols)
    fig, axes = style.subplots(rows, cols, height=0.4 + 1.9 * rows, squeeze=False)
    for k, i in enumerate(runs):
        ax = axes[k // cols, k % cols]
        a = A[i]
        a = a[~np.all(np.isnan(a), axis=1)][:, ~np.all(np.isnan(a), axis=0)]
        s = np.nanmax(np.abs(a)) or 1.0
        ax.imshow(a / s, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        label = "run %d" % i
        if ref is not None and np.isfinite(ref[i]):
            label += "\n%.2g from T" % ref[i]
        style.panel_title(ax, k, label)
        ctx.notes.append("learned_group_A (%s): %s" % ("abcd"[k], ctx.run_label(i)))
    for k in range(len(runs), rows * cols):
        axes[k // cols, k % cols].axis("off")
    fig.suptitle("learned A (pixel basis), red > 0 > blue\nthe first run of each group (notes)")
    return ctx.save(fig, "learned_group_A")


def learned_group_structure(ctx):
    """Per group, each run's relative distance of A to the nearest matrix of each structure
    (and to the reference's best power), log scale; a bar marks the median over runs."""
    have = [(k, what) for k, what in RESIDUALS if "runs/metrics/learned_group_" + k in ctx.f]
    if not have:
        return "no learned_group metrics"
    gs = ctx.groups()
    if not gs:
        return "no done run"
    fig, ax = style.subplots(1, 1, height=0.9 + 0.35 * len(gs) * len(have) / 2 + 0.3 * len(have))
    ax = ax[0, 0] if hasattr(ax, "shape") else ax
    step = 0.8 / len(have)
    for q, (k, what) in enumerate(have):
        v = ctx.f["runs/metrics/learned_group_" + k][...]
        for j, g in enumerate(gs):
            sel = (ctx.codes == g) & ctx.done & np.isfinite(v)
            y = j - 0.4 + step * (q + 0.5)
            x = np.maximum(v[sel], 1e-17)
            ax.plot(x, np.full(x.shape, y), "o", ms=2.5, color="C%d" % q, alpha=0.7,
                    label=what if j == 0 else None)
            if x.size:
                ax.plot([np.median(x)] * 2, [y - step / 2, y + step / 2], "-", color="C%d" % q, lw=1.5)
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()  # whole decades: no minor tick is labelled
    ax.set_xlim(10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi)))
    ax.xaxis.set_major_locator(LogLocator(numticks=4))
    ax.xaxis.set_minor_formatter(NullFormatter())
    group_axis(ax, ctx, gs, "y")
    ax.set_xlabel(r"distance $\Vert A - S\Vert_F / \Vert A\Vert_F$")
    legend_below(ax, ncol=1)
    fig.suptitle("A's distance to each structure S\none point per run, bar: median")
    return ctx.save(fig, "learned_group_structure")


register("learned_group", prefixes=("learned_group_",), figures=[learned_group_A, learned_group_structure])
