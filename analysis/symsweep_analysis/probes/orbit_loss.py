"""Ex5: the objective along orbits and off them."""
import numpy as np

from ..figures import _log_band, TINY, figure, legend_below
from . import register


def _mid(x):
    return int(np.argmin(np.abs(x)))


def _rel_change(center):
    def tr(block):
        base = block[..., center:center + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.maximum(np.abs(block - base) / np.abs(base), TINY)
        r[..., center] = np.nan  # zero by definition
        return r
    return tr


def ex5_orbit_vs_perp(ctx):
    f = ctx.f
    if "probes/orbit_loss/loss" not in f:
        return "no orbit_loss probe"
    t = f["probes/orbit_loss/t"][...]
    has_perp = "probes/orbit_loss/perp_loss" in f
    s = f["probes/orbit_loss/s"][...] if has_perp else None
    gs = ctx.groups()
    fig, axes = figure(rows=2, height=2.0)
    i = ctx.runs[0] if ctx.runs else None
    if i is not None:
        L = f["probes/orbit_loss/loss"][i]
        for k in range(L.shape[0]):
            axes[0].plot(t, L[k], color="C0", lw=1, alpha=0.7, label="orbit exp(tA)" if k == 0 else None)
        if has_perp:
            P = f["probes/orbit_loss/perp_loss"][i]
            for k in range(P.shape[0]):
                axes[0].plot(s, P[k], color="C3", lw=1, alpha=0.7, label="perpendicular" if k == 0 else None)
        axes[0].set_xlabel("t (orbit) or s (perpendicular)")
        axes[0].set_ylabel("objective")
        axes[0].set_title("Ex5: flat along the orbit, curved across\n" + ctx.run_label(i))
        axes[0].legend(loc="upper left")
    # across runs: mean over directions of the relative change, per group
    for path, x, what in (("probes/orbit_loss/loss", t, "orbit"), ("probes/orbit_loss/perp_loss", s, "perpendicular")):
        if path not in f:
            continue
        tr = _rel_change(_mid(x))
        n, mean, _, half = ctx.moments(path, lambda b, tr=tr: np.log10(tr(b)).mean(axis=1))
        for g in gs:
            ok = n[g] > 0
            _log_band(axes[1], x[ok], mean[g][ok], half[g][ok], "%s, %s (n=%d)" % (what, ctx.labels[g], n[g].max()))
    axes[1].set_yscale("log")
    axes[1].set_xlabel("t or s")
    axes[1].set_ylabel("|L - L(0)| / L(0)")
    axes[1].set_title("all runs: geometric mean over directions, 95% CI")
    legend_below(axes[1])
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
    ax.set_xlabel("s (perpendicular direction xi)")
    ax.set_ylabel("t (orbit direction exp(tA))")
    ax.set_title("Ex5: loss landscape, direction 0\n" + ctx.run_label(i))
    return ctx.save(fig, "ex5_landscape")


def ex5_directions(ctx):
    f = ctx.f
    if "probes/orbit_loss/loss" not in f:
        return "no orbit_loss probe"
    t = f["probes/orbit_loss/t"][...]
    c = _mid(t)
    fig, ax = figure(height=2.4)
    drawn = 0
    for i in np.flatnonzero(ctx.done)[:40]:
        L = f["probes/orbit_loss/loss"][i]
        rel = _rel_change(c)(L)
        rel[rel <= TINY] = np.nan  # exact zeros have no place on a log axis
        for k in range(rel.shape[0]):
            ax.plot(t, rel[k], color="C%d" % (ctx.codes[i] % 10), lw=0.4, alpha=0.5, marker=".", ms=2)
            drawn += 1
    ax.set_yscale("log")
    ax.set_xlabel("t")
    ax.set_ylabel("|L(exp(tA) theta) - L(theta)| / L(theta)")
    ax.set_title("Ex5: %d orbit directions\n(up to 40 runs; exact zeros not drawn)" % drawn)
    return ctx.save(fig, "ex5_orbit_directions")


register("orbit_loss", prefixes=("orbit_",), figures=[ex5_orbit_vs_perp, ex5_landscape, ex5_directions])
