"""Ex4: isometries of l_p balls and sparse constrained minima."""
import matplotlib.pyplot as plt
import numpy as np

from .. import style
from ..figures import _lp_values, figure, legend_below
from . import register


def _lp_sphere(p, m=801):
    th = np.linspace(0, 2 * np.pi, m)
    x, y = np.cos(th), np.sin(th)
    if np.isinf(p):
        r = np.maximum(np.abs(x), np.abs(y))
    else:
        r = (np.abs(x) ** p + np.abs(y) ** p) ** (1 / p)
    return np.stack([x / r, y / r])


def ex4_balls(ctx):
    p = "probes/lp_ball/norm_change"
    if p not in ctx.f:
        return "no lp_ball probe"
    ps = [float(s) for s in _lp_values(ctx.f)]
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    examples = [("rotation by 30° (orthogonal)", np.array([[c, -s], [s, c]]), "orthogonal"),
                ("swap and flip (signed perm.)", np.array([[0, -1.0], [1, 0]]), "signed_permutation"),
                ("diag(1.4, 0.6)", np.diag([1.4, 0.6]), "positive_diagonal")]
    cols = min(3, len(ps))
    rows = -(-len(ps) // cols)
    fig = plt.figure(figsize=(style.COLUMN, 1.15 * rows + 1.0), layout="constrained")
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[1.0] * rows + [0.55])
    for k, pv in enumerate(ps):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        ball = _lp_sphere(pv)
        ax.plot(ball[0], ball[1], color="black", lw=1.5, label=r"unit $\ell_p$ sphere")
        for j, (name, K, fam) in enumerate(examples):
            q = K @ ball
            ax.plot(q[0], q[1], lw=0.9, ls="--", color="C%d" % j, label=name)
        ax.set_aspect("equal")
        ax.set_xlim(-1.7, 1.7)
        ax.set_ylim(-1.7, 1.7)
        ax.set_xticks([])
        ax.set_yticks([])
        style.panel_title(ax, k, "$p = %g$" % pv if np.isfinite(pv) else r"$p = \infty$")
        if k == 0:
            handles, labels = ax.get_legend_handles_labels()
    key = fig.add_subplot(grid[rows, :])
    key.axis("off")
    key.legend(handles, labels, loc="center")
    # drawn from the maps' definitions, not from the file: the measured norm changes are
    # the statistics table (stats/lp_ball.md) and ex4_vertex_hits
    fig.suptitle("Ex4 (a schematic, not data): unit $\\ell_p$\nspheres and their images under three maps")
    return ctx.save(fig, "ex4_lp_balls")


def ex4_vertex_hits(ctx):
    p = "probes/lp_ball/sparse_fraction"
    if p not in ctx.f:
        return "no lp_ball probe"
    ps = _lp_values(ctx.f)
    n, mean, _, half = ctx.moments(p)
    if len(ps) != mean.shape[1]:
        ps = [str(j) for j in range(mean.shape[1])]
    gs = ctx.groups()
    fig, ax = figure()
    for g in gs:
        ok = n[g] > 0
        ax.errorbar(np.arange(len(ps))[ok], mean[g][ok], yerr=np.nan_to_num(half[g][ok]), fmt="o-", capsize=2,
                    ms=3, label=ctx.group_label(g, n[g]))
    ax.set_xticks(range(len(ps)))
    ax.set_xticklabels([r"$\infty$" if str(x) == "inf" else x for x in ps])
    ax.set_xlabel("$p$")
    ax.set_ylabel("minima with a zero coordinate")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(r"Ex4: minima on the $\ell_p$ ball hit a vertex")
    legend_below(ax)
    return ctx.save(fig, "ex4_vertex_hits")


# ---------------------------------------------------------------- Ex5


register("lp_ball", prefixes=("lp_",), figures=[ex4_balls, ex4_vertex_hits])
