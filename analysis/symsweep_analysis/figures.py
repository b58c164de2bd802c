"""The article's figures from a symsweep output file.

Each figure function takes a Context and returns the list of files it wrote,
or a string saying why the file has no data for it.  Multi-seed panels show the
mean over the done runs of a group with a 95% t confidence band; per-run arrays
are streamed (data.group_moments), never loaded whole."""
import os

import matplotlib.pyplot as plt
import numpy as np

from . import data
from .data import attr_list, attr_text

MAX_LINES = 12      # groups drawn per panel; more are listed as left out
TINY = 1e-18        # floor for log-scale errors (exact zeros)


class Context:
    """What every figure needs: the open file, the table of runs, the done
    mask, the grouping, the runs chosen for per-run panels, and output."""

    def __init__(self, f, df, by, out_dir, formats=("png",), runs=None):
        self.f, self.df, self.by, self.out_dir, self.formats = f, df, list(by), out_dir, tuple(formats)
        self.done = (df["status"] == "done").to_numpy()
        self.codes, self.labels = data.group_labels(df, self.by)
        self.n_groups = len(self.labels)
        # groups with done runs, in order, and the first done run of each (computed once)
        done_idx = np.flatnonzero(self.done)
        have, first = np.unique(self.codes[done_idx], return_index=True)
        self.notes = []
        if len(have) > MAX_LINES:
            self.notes.append("figures show the first %d of %d groups; use --by to group differently"
                              % (MAX_LINES, len(have)))
        self.shown = [int(g) for g in have[:MAX_LINES]]
        self.runs = list(runs) if runs else [int(i) for i in done_idx[first[:MAX_LINES]]]

    def groups(self):
        """Groups that have done runs, at most MAX_LINES (the rest noted)."""
        return self.shown

    def moments(self, path, transform=None):
        """Streamed per-group (n, mean, std, half) of dataset path over done runs."""
        return data.group_moments(self.f, path, self.codes, self.n_groups, self.done, transform)

    def save(self, fig, name):
        os.makedirs(self.out_dir, exist_ok=True)
        out = []
        for ext in self.formats:
            p = os.path.join(self.out_dir, "%s.%s" % (name, ext))
            fig.savefig(p, dpi=110, bbox_inches="tight")
            out.append(p)
        plt.close(fig)
        return out

    def run_label(self, i):
        return "run %d (%s, seed %d)" % (i, self.labels[self.codes[i]], int(self.df["seed"].iloc[i]))


def _families(d):
    return attr_list(d, "families")


def _family_ticks(ax, fams):
    ax.set_xticks(range(len(fams)))
    ax.set_xticklabels([s.replace("_", "\n") for s in fams], fontsize=7)


def _lp_values(f):
    """The p list of the lp_ball probe, as the strings the file gives."""
    d = f.get("probes/lp_ball/norm_change")
    return attr_list(d, "p") if d is not None else []


def _band(ax, x, mean, half, label, color=None, log=False):
    line, = ax.plot(x, mean, label=label, color=color, lw=1.5)
    lo, hi = mean - half, mean + half
    if log:
        lo = np.where(lo > 0, lo, mean / 10)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.fill_between(np.asarray(x)[ok], lo[ok], hi[ok], color=line.get_color(), alpha=0.25, lw=0)
    return line


def _log_errorbars(ax, xs, n, mean, half, **kw):
    """Geometric mean and CI from moments of log10 values."""
    ok = n > 0
    y = 10.0 ** mean
    lo = y - 10.0 ** (mean - np.nan_to_num(half))
    hi = 10.0 ** (mean + np.nan_to_num(half)) - y
    ax.errorbar(np.asarray(xs)[ok], y[ok], yerr=[lo[ok], hi[ok]], fmt="o", capsize=3, ms=4, **kw)


def _log10(block):
    return np.log10(np.maximum(np.abs(block), TINY))


# ---------------------------------------------------------------- all files

def training_curves(ctx):
    if "runs/curves/loss" not in ctx.f or "runs/curves/epoch" not in ctx.f:
        return "no /runs/curves/loss"
    ep = ctx.f["runs/curves/epoch"][...]
    if len(ep) < 2:
        return "curves have a single point"
    n, mean, _, half = ctx.moments("runs/curves/loss")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for g in ctx.groups():
        ok = n[g] > 0
        _band(ax, ep[ok], mean[g][ok], half[g][ok], "%s (n=%d)" % (ctx.labels[g], n[g].max()), log=True)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("objective (data loss + penalty)")
    ax.set_title("Training curves: mean over seeds, 95% CI band")
    ax.legend(fontsize=7)
    return ctx.save(fig, "training_curves")


def weights(ctx):
    if "runs/weights" not in ctx.f or not ctx.runs:
        return "no /runs/weights" if "runs/weights" not in ctx.f else "no done run"
    names = [k for k in ctx.f["runs/weights"] if ctx.f["runs/weights"][k].ndim == 3]
    order = lambda k: (k.startswith("dec"), int("".join(c for c in k.split("_")[-1] if c.isdigit()) or 0))
    names.sort(key=order)
    if not names:
        return "no weight matrices"
    runs = ctx.runs[:6]
    fig, axes = plt.subplots(len(runs), len(names), figsize=(2.6 * len(names), 2.4 * len(runs)), squeeze=False)
    for r, i in enumerate(runs):
        for c, k in enumerate(names):
            w = ctx.f["runs/weights"][k][i]
            w = w[~np.all(np.isnan(w), axis=1)][:, ~np.all(np.isnan(w), axis=0)]
            ax = axes[r][c]
            if w.size == 0:
                ax.axis("off")
                continue
            v = np.nanmax(np.abs(w)) or 1.0
            im = ax.imshow(w, cmap="RdBu_r", vmin=-v, vmax=v, aspect="auto")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(k if r == 0 else "", fontsize=8)
            if c == 0:
                ax.set_ylabel(("run %d\n" % i) + ctx.labels[ctx.codes[i]], fontsize=7)
            fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle("Final weights (rows: runs; out x in, red > 0 > blue)", fontsize=9)
    return ctx.save(fig, "weights")


# ---------------------------------------------------------------- Ex1

def ex1_reparam(ctx):
    p = "probes/reparam/max_rel"
    if p not in ctx.f:
        return "no reparam probe"
    fams = _families(ctx.f[p])
    n, mean, _, half = ctx.moments(p, _log10)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    gs = ctx.groups()
    for j, g in enumerate(gs):
        xs = np.arange(len(fams)) + (j - (len(gs) - 1) / 2) * 0.8 / max(1, len(gs))
        _log_errorbars(ax, xs, n[g], mean[g], half[g], label="%s (n=%d)" % (ctx.labels[g], n[g].max()))
    ax.set_yscale("log")
    _family_ticks(ax, fams)
    ax.set_ylabel("max_t ||Y' - Y|| / ||Y||")
    ax.set_title("Ex1: output change under reparametrization (geometric mean, 95% CI)")
    ax.axhline(1e-12, color="grey", ls=":", lw=1)
    ax.legend(fontsize=7)
    return ctx.save(fig, "ex1_reparam")


# ---------------------------------------------------------------- Ex2

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

def ex3_scatter(ctx):
    need = ["orthogonality_error", "sparsity_encoder", "transpose_error"]
    if any(k not in ctx.df for k in need):
        return "no structure probe"
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for g in ctx.groups():
        sel = ctx.done & (ctx.codes == g)
        sub = ctx.df[sel]
        axes[0].scatter(sub["sparsity_encoder"], sub["orthogonality_error"], s=9, alpha=0.6,
                        label="%s (n=%d)" % (ctx.labels[g], sel.sum()))
        axes[1].scatter(sub["transpose_error"], sub["orthogonality_error"], s=9, alpha=0.6)
    axes[0].set_xlabel("encoder sparsity (fraction |w| < 1% of max)")
    axes[1].set_xlabel("transpose error ||W' - W^T|| / ||W||")
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_ylabel("orthogonality error ||W W^T - I|| / sqrt(d)")
        ax.set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.suptitle("Ex3: one dot per run")
    return ctx.save(fig, "ex3_scatter")


# ---------------------------------------------------------------- Ex4

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
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    i = ctx.runs[0] if ctx.runs else None
    if i is not None:
        L = f["probes/orbit_loss/loss"][i]
        for k in range(L.shape[0]):
            axes[0].plot(t, L[k], color="C0", lw=1, alpha=0.7, label="along orbit exp(tA)" if k == 0 else None)
        if has_perp:
            P = f["probes/orbit_loss/perp_loss"][i]
            for k in range(P.shape[0]):
                axes[0].plot(s, P[k], color="C3", lw=1, alpha=0.7, label="perpendicular, theta + s xi" if k == 0 else None)
        axes[0].set_xlabel("t (orbit) or s (perpendicular)")
        axes[0].set_ylabel("objective")
        axes[0].set_title(ctx.run_label(i), fontsize=8)
        axes[0].legend(fontsize=7)
    # across runs: mean over directions of the relative change, per group
    for path, x, what in (("probes/orbit_loss/loss", t, "orbit"), ("probes/orbit_loss/perp_loss", s, "perpendicular")):
        if path not in f:
            continue
        tr = _rel_change(_mid(x))
        n, mean, _, half = ctx.moments(path, lambda b, tr=tr: np.log10(tr(b)).mean(axis=1))
        for g in ctx.groups():
            ok = n[g] > 0
            _log_band(axes[1], x[ok], mean[g][ok], half[g][ok], "%s, %s (n=%d)" % (what, ctx.labels[g], n[g].max()))
    axes[1].set_yscale("log")
    axes[1].set_xlabel("t or s")
    axes[1].set_ylabel("|L - L(0)| / L(0) (geometric mean over directions)")
    axes[1].set_title("mean over runs, 95% CI band", fontsize=9)
    axes[1].legend(fontsize=7)
    fig.suptitle("Ex5: the loss is flat along the orbit, curved across it")
    return ctx.save(fig, "ex5_orbit_vs_perp")


def _log_band(ax, x, mlog, hlog, label):
    line, = ax.plot(x, 10.0 ** mlog, label=label, lw=1.5)
    h = np.nan_to_num(hlog)
    ax.fill_between(x, 10.0 ** (mlog - h), 10.0 ** (mlog + h), color=line.get_color(), alpha=0.25, lw=0)


def ex5_landscape(ctx):
    f = ctx.f
    if "probes/orbit_loss/landscape" not in f or not ctx.runs:
        return "no orbit_loss landscape"
    i = ctx.runs[0]
    L = f["probes/orbit_loss/landscape"][i, 0]
    t = f["probes/orbit_loss/landscape_t"][...]
    s = f["probes/orbit_loss/landscape_s"][...]
    fig, ax = plt.subplots(figsize=(6, 4.8))
    im = ax.pcolormesh(s, t, L, shading="nearest", cmap="magma")
    if np.nanmax(L) > np.nanmin(L):
        ax.contour(s, t, L, levels=12, colors="white", linewidths=0.5)
    fig.colorbar(im, ax=ax, label="objective")
    ax.set_xlabel("s (perpendicular direction xi)")
    ax.set_ylabel("t (orbit direction exp(tA))")
    ax.set_title("Ex5: loss landscape, %s, direction 0" % ctx.run_label(i), fontsize=8)
    return ctx.save(fig, "ex5_landscape")


def ex5_directions(ctx):
    f = ctx.f
    if "probes/orbit_loss/loss" not in f:
        return "no orbit_loss probe"
    t = f["probes/orbit_loss/t"][...]
    c = _mid(t)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
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
    ax.set_title("Ex5: %d orbit directions (up to 40 runs x all directions; exact zeros not drawn)"
                 % drawn, fontsize=8)
    return ctx.save(fig, "ex5_orbit_directions")


def ex5_gradient(ctx):
    f = ctx.f
    base = "probes/gradient_decomposition/"
    if base + "orbit_norm" not in f:
        return "no gradient_decomposition probe"
    ep = f["runs/curves/epoch"][...]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, lab in (("perp_norm", "||g_perp||"), ("orbit_derivative", "||J^T g||"), ("orbit_norm", "||g_orbit||")):
        n, mean, _, half = ctx.moments(base + name, _log10)
        for g in ctx.groups():
            ok = n[g] > 0
            if name == "orbit_norm" and np.all(mean[g][ok] <= np.log10(TINY)):
                lab = "||g_orbit|| = 0 (below rounding), drawn at %g" % TINY
            _log_band(axes[0], ep[ok], mean[g][ok], half[g][ok], "%s, %s" % (lab, ctx.labels[g]))
    for name, lab in (("perp_step_change", "step along g_perp"), ("orbit_step_change", "step along g_orbit")):
        n, mean, _, half = ctx.moments(base + name)
        for g in ctx.groups():
            ok = n[g] > 0
            _band(axes[1], ep[ok], mean[g][ok], half[g][ok], "%s, %s" % (lab, ctx.labels[g]))
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("norm (geometric mean over runs)")
    axes[0].set_title("gradient split: orbit tangent vs perpendicular", fontsize=9)
    axes[1].set_yscale("symlog", linthresh=1e-12)
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("objective change of the step (mean)")
    axes[1].set_title("what each part of the step does to the loss", fontsize=9)
    for ax in axes:
        ax.legend(fontsize=6)
    fig.suptitle("Ex5: gradient decomposition over training (95% CI bands)")
    return ctx.save(fig, "ex5_gradient_decomposition")


ALL = [training_curves, weights, ex1_reparam, ex2_commutation, ex2_dimension, ex3_scatter,
       ex4_balls, ex4_vertex_hits, ex5_orbit_vs_perp, ex5_landscape, ex5_directions, ex5_gradient]
