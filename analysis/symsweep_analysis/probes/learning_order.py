"""Seed 004's measurements: the learned features' stabilizers and orbits (feature_orbit) and
the order in which prototypes are learned against their orbit sizes (learning_order)."""
import numpy as np

from ..data import values
from ..figures import figure, legend_below
from .. import stats, style
from . import register


def _done_rows(ctx, path):
    return values(ctx.f[path])[ctx.done]


def feature_orbit_histograms(ctx):
    """How many learned features have each stabilizer order and each orbit size under the
    finite group (pooled over units and done runs): (a) stabilizers, (b) orbits."""
    ps, po = "probes/feature_orbit/finite_stabilizer", "probes/feature_orbit/finite_orbit"
    if ps not in ctx.f or po not in ctx.f:
        return "no feature_orbit probe (finite group)"
    fig, axes = figure(rows=2, height=1.8)
    for k, (p, what) in enumerate(((ps, "stabilizer order"), (po, "orbit size"))):
        v = _done_rows(ctx, p)
        v = v[np.isfinite(v)].astype(int)
        ax = axes[k]
        if v.size:
            sizes, counts = np.unique(v, return_counts=True)
            ax.bar(np.arange(len(sizes)), counts, 0.7, color="C0")
            ax.set_xticks(np.arange(len(sizes)), [str(s) for s in sizes])
        ax.set_xlabel(what)
        ax.set_ylabel("features")
        style.panel_title(ax, k, "%s of each feature" % what)
    return ctx.save(fig, "feature_orbit_histograms")


def orbit_order(ctx):
    """Orbit size of each prototype against the epoch it was first matched, every done run a
    point per prototype (jittered; never matched drawn above the axis' end), with Spearman's
    rho and its run-bootstrap 95% interval (stats.orbit_order) in the title."""
    pe, po = "probes/learning_order/epoch", "probes/learning_order/orbit"
    if pe not in ctx.f:
        return "no learning_order probe"
    t, o = _done_rows(ctx, pe), _done_rows(ctx, po)
    ok = np.isfinite(o).all(axis=1)
    t, o = t[ok], o[ok]
    if not len(t):
        return "no done run with learning_order values"
    r = stats.orbit_order(o, t)
    learned = np.isfinite(t) & (t >= 0)
    top = np.nanmax(np.where(learned, t, np.nan)) if learned.any() else 1.0
    never = 1.1 * top + 1.0
    sizes = np.unique(o[np.isfinite(o)])
    pos = {s: k for k, s in enumerate(sizes)}
    rng = np.random.default_rng(0)
    x = np.array([pos[s] for s in o.ravel()]) + rng.uniform(-0.2, 0.2, o.size)
    y = np.where(learned, t, never).ravel()
    fig, ax = figure()
    ax.scatter(x[learned.ravel()], y[learned.ravel()], s=6, color="C0", label="matched")
    ax.scatter(x[~learned.ravel()], y[~learned.ravel()], s=6, color="C1", marker="x", label="never matched")
    ax.set_xticks(np.arange(len(sizes)), ["%d" % s for s in sizes])
    ax.set_xlabel("orbit size of the prototype")
    ax.set_ylabel("first epoch matched")
    ax.set_title("time to learn against orbit size (%d runs)\nSpearman %.2f, 95%% CI %.2f to %.2f"
                 % (r["runs"], r["rho"], r["lo"], r["hi"]))
    legend_below(ax, ncol=2)
    return ctx.save(fig, "learning_order")


register("feature_orbit", prefixes=("feature_orbit_",), figures=[feature_orbit_histograms])
register("learning_order", prefixes=("learning_order_",), figures=[orbit_order])
