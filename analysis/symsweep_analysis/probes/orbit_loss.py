"""Ex5: the objective along orbits and off them."""
import warnings

import numpy as np

from .. import style
from ..figures import _log_band, TINY, figure, legend_below, mark_zeros, zero_key
from . import register


def _mid(x):
    return int(np.argmin(np.abs(x)))


def _rel_change(center):
    """|L - L(0)| / L(0) along each direction (NaN at 0 itself, where it is 0 by definition)."""
    def tr(block):
        base = block[..., center:center + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.abs(block - base) / np.abs(base)
        r[..., center] = np.nan
        return r
    return tr


def _per_run_geomean(center):
    """Per run, the geometric mean over directions of the relative change (of the non-zero
    ones; 0 where every direction's change is exactly 0)."""
    rel = _rel_change(center)

    def tr(block):
        r = rel(block)
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: the centre
            g = 10.0 ** np.nanmean(np.where(r > TINY, np.log10(r), np.nan), axis=1)
        return np.where(np.all(~(r > TINY) & np.isfinite(r), axis=1), 0.0, g)
    return tr


def _colours(ctx, gs):
    """One group: orbit blue, perpendicular red, in every panel.  Several: a colour per group
    (the panel says orbit or perpendicular)."""
    if len(gs) == 1:
        return {("orbit", gs[0]): "C0", ("perpendicular", gs[0]): "C3"}
    return {(w, g): "C%d" % (j % 10) for j, g in enumerate(gs) for w in ("orbit", "perpendicular")}


def ex5_orbit_vs_perp(ctx):
    """(a, b) the objective of one run along each orbit direction exp(tA) and each direction
    across the orbit (its own panel: t and s have different ranges); (c, d) every run, the
    relative change, geometric mean over directions and runs with a 95% band."""
    import matplotlib.pyplot as plt
    f = ctx.f
    if "probes/orbit_loss/loss" not in f:
        return "no orbit_loss probe"
    t = f["probes/orbit_loss/t"][...]
    has_perp = "probes/orbit_loss/perp_loss" in f
    s = f["probes/orbit_loss/s"][...] if has_perp else None
    gs = ctx.groups()
    col = _colours(ctx, gs)
    cols = 2 if has_perp else 1
    fig = plt.figure(figsize=(style.COLUMN, 4.2 + 0.3 * (len(gs) > 1) * len(gs)), layout="constrained")
    grid = fig.add_gridspec(3 if len(gs) > 1 else 2, cols,
                            height_ratios=[1.0, 1.0] + ([0.12 * len(gs)] if len(gs) > 1 else []))
    top = [fig.add_subplot(grid[0, 0])]
    bottom = [fig.add_subplot(grid[1, 0])]
    if has_perp:
        top.append(fig.add_subplot(grid[0, 1], sharey=top[0]))
        bottom.append(fig.add_subplot(grid[1, 1], sharey=bottom[0]))
    what = [("probes/orbit_loss/loss", t, "orbit", "$t$ in $\\exp(tA)\\,\\theta$", "along the orbit")]
    if has_perp:
        what.append(("probes/orbit_loss/perp_loss", s, "perpendicular", "$s$ in $\\theta + s\\,\\xi$", "across it"))
    i = ctx.runs[0] if ctx.runs else None
    for k, (path, x, kind, xlabel, title) in enumerate(what):
        if i is not None:
            L = f[path][i]
            for d in range(L.shape[0]):
                top[k].plot(x, L[d], color=col[(kind, gs[0] if len(gs) == 1 else ctx.codes[i])], lw=1, alpha=0.7)
        style.panel_title(top[k], k, title)
        top[k].set_xlabel(xlabel)
        n, mean, half, zero = ctx.log_moments(path, _per_run_geomean(_mid(x)))
        for g in gs:  # one group: the panel says it (its colour is orbit or perpendicular)
            ok = (n[g] > 0) | zero[g]
            _log_band(bottom[k], x[ok], mean[g][ok], half[g][ok],
                      ("_" if len(gs) == 1 else "") + ctx.group_label(g, n[g] + zero[g]),
                      color=col[(kind, g)], zeros=zero[g][ok])
        bottom[k].set_yscale("log")
        bottom[k].set_xlabel(xlabel)
        runs = int(max(np.max(n[g] + zero[g]) for g in gs))
        style.panel_title(bottom[k], len(what) + k, "every run" + (" (n = %d)" % runs if len(gs) == 1 else ""))
    top[0].set_ylabel("objective" + (", run %d" % i if i is not None else ""))
    bottom[0].set_ylabel("$|L - L_0|\\,/\\,L_0$")
    for ax in top[1:] + bottom[1:]:
        ax.tick_params(labelleft=False)
    if len(gs) > 1:
        key = fig.add_subplot(grid[2, :])
        key.axis("off")
        key.legend(*bottom[0].get_legend_handles_labels(), loc="center")
    elif bottom[0].get_legend_handles_labels()[0]:  # the zero key only
        bottom[0].legend(loc="upper right")
    fig.suptitle("Ex5: flat along the orbit, curved across\n(c, d): geometric mean over runs, 95% CI")
    return ctx.save(fig, "ex5_orbit_vs_perp")


def ex5_landscape(ctx):
    f = ctx.f
    if "probes/orbit_loss/landscape" not in f or not ctx.runs:
        return "no orbit_loss landscape"
    i = ctx.runs[0]
    L = f["probes/orbit_loss/landscape"][i, 0]
    t = f["probes/orbit_loss/landscape_t"][...]
    s = f["probes/orbit_loss/landscape_s"][...]
    fig, ax = figure(height=2.9)
    im = ax.pcolormesh(s, t, L, shading="nearest", cmap="magma")
    if np.nanmax(L) > np.nanmin(L):
        ax.contour(s, t, L, levels=12, colors="white", linewidths=0.5)
    fig.colorbar(im, ax=ax, label="objective")
    ax.set_xlabel("$s$, across the orbit: $\\theta + s\\,\\xi$")
    ax.set_ylabel("$t$, along the orbit: $\\exp(tA)\\,\\theta$")
    ax.set_title("Ex5: loss landscape, direction 0\n" + ctx.run_label(i))
    return ctx.save(fig, "ex5_landscape")


def ex5_directions(ctx):
    f = ctx.f
    if "probes/orbit_loss/loss" not in f:
        return "no orbit_loss probe"
    t = f["probes/orbit_loss/t"][...]
    c = _mid(t)
    fig, ax = figure(height=2.4)
    drawn, zeros = 0, False
    for i in np.flatnonzero(ctx.done)[:40]:
        L = f["probes/orbit_loss/loss"][i]
        rel = _rel_change(c)(L)
        colour = "C%d" % (ctx.groups().index(ctx.codes[i]) % 10) if ctx.codes[i] in ctx.groups() else "0.5"
        for k in range(rel.shape[0]):
            r = rel[k].copy()
            zero = np.isfinite(r) & (r <= TINY)
            r[zero] = np.nan  # exact zeros have no place on a log axis: marked on it
            ax.plot(t, r, color=colour, lw=0.4, alpha=0.5, marker=".", ms=2)
            zeros = mark_zeros(ax, t[zero], colour) or zeros
            drawn += 1
    if len(ctx.groups()) > 1:
        for j, g in enumerate(ctx.groups()):
            ax.plot([], [], color="C%d" % (j % 10), label=ctx.labels[g])
    if zeros:
        zero_key(ax)
    ax.set_yscale("log")
    ax.set_xlabel("$t$")
    ax.set_ylabel("$|L(\\exp(tA)\\,\\theta) - L(\\theta)|\\,/\\,L(\\theta)$")
    ax.set_title("Ex5: %d orbit directions (up to 40 runs)" % drawn)
    legend_below(ax)
    return ctx.save(fig, "ex5_orbit_directions")


register("orbit_loss", prefixes=("orbit_",), figures=[ex5_orbit_vs_perp, ex5_landscape, ex5_directions])
