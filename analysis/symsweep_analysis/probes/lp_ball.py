"""Ex4: isometries of l_p balls and sparse constrained minima."""
import matplotlib.pyplot as plt
import numpy as np

from ..data import attr_text
from ..figures import _families, _lp_values
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
    d = ctx.f[p]
    ps = [float(s) for s in _lp_values(ctx.f)]
    fams = _families(d)
    n, mean, _, _ = ctx.moments(p)
    g0 = ctx.groups()[0]
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    examples = [("rotation by 30 deg (orthogonal)", np.array([[c, -s], [s, c]]), "orthogonal"),
                ("swap and flip (signed permutation)", np.array([[0, -1.0], [1, 0]]), "signed_permutation"),
                ("diag(1.4, 0.6)", np.diag([1.4, 0.6]), "positive_diagonal")]
    cols = min(4, len(ps))
    rows = -(-len(ps) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 3.2 * rows), squeeze=False)
    for k, pv in enumerate(ps):
        ax = axes[k // cols][k % cols]
        ball = _lp_sphere(pv)
        ax.plot(ball[0], ball[1], color="black", lw=2, label="unit l_p sphere")
        for name, K, fam in examples:
            q = K @ ball
            ax.plot(q[0], q[1], lw=1, ls="--", label=name)
        ax.set_aspect("equal")
        ax.set_xlim(-1.7, 1.7)
        ax.set_ylim(-1.7, 1.7)
        ax.set_xticks([])
        ax.set_yticks([])
        txt = "\n".join("%s %.0e" % (f.replace("_", " "), mean[g0][k][fams.index(f)])
                        for f in ("orthogonal", "signed_permutation") if f in fams)
        ax.set_title("p = %g" % pv, fontsize=9)
        ax.text(0.02, 0.02, "measured max | ||Kx||_p - 1 |:\n" + txt, transform=ax.transAxes, fontsize=6)
    for k in range(len(ps), rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=6, loc="upper left")
    fig.suptitle("Ex4: l_p unit spheres and transformed copies (measured on %s-dimensional balls, %s)"
                 % (attr_text(d.attrs.get("dim", "?")), ctx.labels[g0]), fontsize=9)
    return ctx.save(fig, "ex4_lp_balls")


def ex4_vertex_hits(ctx):
    p = "probes/lp_ball/sparse_fraction"
    if p not in ctx.f:
        return "no lp_ball probe"
    ps = _lp_values(ctx.f)
    n, mean, _, half = ctx.moments(p)
    if len(ps) != mean.shape[1]:
        ps = [str(j) for j in range(mean.shape[1])]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for g in ctx.groups():
        ok = n[g] > 0
        ax.errorbar(np.arange(len(ps))[ok], mean[g][ok], yerr=np.nan_to_num(half[g][ok]), fmt="o-", capsize=3,
                    label="%s (n=%d)" % (ctx.labels[g], n[g].max()))
    ax.set_xticks(range(len(ps)))
    ax.set_xticklabels(ps)
    ax.set_xlabel("p")
    ax.set_ylabel("fraction of minima with a zero coordinate")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Ex4: constrained minima on the l_p ball hit a vertex (mean, 95% CI)")
    ax.legend(fontsize=7)
    return ctx.save(fig, "ex4_vertex_hits")


# ---------------------------------------------------------------- Ex5


register("lp_ball", prefixes=("lp_",), figures=[ex4_balls, ex4_vertex_hits])
