"""The article's figures from a symsweep output file.

Each probe's figures live in its module under probes/ and are registered
with it (probes/__init__.py).  Each figure function takes a Context and returns the list of files it wrote,
or a string saying why the file has no data for it.  Multi-seed panels show the
mean over the done runs of a group with a 95% t confidence band; per-run arrays
are streamed (stats.group_moments), never loaded whole."""
import os

import matplotlib.pyplot as plt
import numpy as np

from . import groups, stats, style
from .data import attr_list, values

MAX_LINES = 10      # groups drawn per panel (a colour each: the cycle has 10); more are noted
TINY = 1e-18        # below every rounding level: a value at or under it is treated as zero
ZERO_KEY = "exact 0 (marked on the axis)"


class Context:
    """What every figure needs: the open file, the table of runs, the done
    mask, the grouping, the runs chosen for per-run panels, and output."""

    def __init__(self, f, df, by, out_dir, formats=("png",), runs=None):
        self.f, self.df, self.by, self.out_dir, self.formats = f, df, list(by), out_dir, tuple(formats)
        self.done = (df["status"] == "done").to_numpy()
        # the legends say groups in words ("linear activation"), not job syntax
        self.codes, self.labels = groups.group_labels(df, self.by, words=True)
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
        return stats.group_moments(self.f, path, self.codes, self.n_groups, self.done, transform)

    def save(self, fig, name):
        os.makedirs(self.out_dir, exist_ok=True)
        out = []
        # lay out once, then keep that layout: "tight" saving must not lay it out again
        fig.canvas.draw()
        fig.set_layout_engine("none")
        for ext in self.formats:
            p = os.path.join(self.out_dir, "%s.%s" % (name, ext))
            fig.savefig(p, dpi=style.DPI, bbox_inches="tight", pad_inches=0.02)
            out.append(p)
        plt.close(fig)
        return out

    def few_runs(self, what, k=6):
        """The runs of a per-run panel (at most k, one per group: a legend a reader can
        follow); a note says when groups are left out."""
        if len(self.runs) > k:
            self.notes.append("%s shows runs of the first %d of %d groups" % (what, k, len(self.runs)))
        return self.runs[:k]

    def run_label(self, i):
        return "run %d (%s, seed %d)" % (i, self.labels[self.codes[i]], int(self.df["seed"].iloc[i]))

    def group_label(self, g, n):
        """A group's legend entry with its number of runs: "linear activation (n = 20)"."""
        return "%s (n = %d)" % (self.labels[g], int(np.max(n)))

    def log_moments(self, path, transform=None):
        """Per-group moments of log10 |values| over the non-zero values (exact zeros have no
        logarithm), and per group where every run is exactly zero: (n, mean, half, all_zero).
        transform maps a block of runs to the values first."""
        tr = transform or (lambda b: b)

        def logs(b):
            v = np.abs(tr(b))
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(v > TINY, np.log10(v), np.nan)

        def zeros(b):
            v = np.abs(tr(b))
            return np.where(np.isfinite(v), (v <= TINY).astype(float), np.nan)
        n, mean, _, half = self.moments(path, logs)
        nz, frac, _, _ = self.moments(path, zeros)
        return n, mean, half, (nz > 0) & (frac == 1.0)


def _families(d):
    """The families setting of the probe whose dataset is d: on its group /probes/NAME (files
    before that: on the dataset)."""
    return attr_list(d.parent, "families") or attr_list(d, "families")


def _family_ticks(ax, fams):
    ax.set_xticks(range(len(fams)))
    ax.set_xticklabels([s.replace("_", " ") for s in fams], rotation=90)


def figure(rows=1, height=2.0, **kw):
    """A figure one column wide (style.COLUMN): `rows` panels of `height` inches stacked (a
    legend_below makes the figure taller by the legend's height)."""
    return style.subplots(rows, 1, height=height * rows, **kw)


def legend_below(ax, ncol=1, title=None, also=()):
    """The axes' legend under it and its tick labels and x label, outside the data
    (constrained layout makes room); `also`: other panels whose entries it lists too (one legend
    for the figure: an entry once, however many panels draw it)."""
    from matplotlib.transforms import offset_copy
    handles, labels = [], []
    for a in list(also) + [ax]:
        for h, lab in zip(*a.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if not handles:
        return
    if ZERO_KEY in labels:  # the marks' key last, after what it marks
        k = labels.index(ZERO_KEY)
        handles.append(handles.pop(k))
        labels.append(labels.pop(k))
    fig = ax.figure
    fig.canvas.draw()  # the labels' extents, in points: they do not change with the layout
    r = fig.canvas.get_renderer()
    below = (ax.get_window_extent(r).y0 - ax.get_tightbbox(r).y0) * 72.0 / fig.dpi + 3
    leg = ax.legend(handles, [wrap(t) for t in labels], loc="upper center", ncol=ncol, title=title,
                    bbox_to_anchor=(0.5, 0),
                    bbox_transform=offset_copy(ax.transAxes, fig=fig, y=-below, units="points"))
    # the figure grows by the legend, so that the panels keep their height
    grow = leg.get_window_extent(r).height / fig.dpi + below / 72.0
    fig.set_figheight(fig.get_figheight() + grow)


def wrap(text, width=40):
    """A label broken into lines of at most `width` characters, at ", " or spaces."""
    import textwrap
    out = []
    for line in str(text).split("\n"):
        out += textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
    return "\n".join(out)


def category_labels(labels):
    """Group labels for a category axis, and the axis' name when they share a last word
    ("linear activation", "ReLU activation" -> "linear", "ReLU" on an axis "activation")."""
    labels = list(labels)
    last = {x.rsplit(" ", 1)[-1] for x in labels if " " in x}
    if len(labels) > 1 and len(last) == 1 and all(" " in x and "," not in x for x in labels):
        word = last.pop()
        return [x[:-len(word) - 1] for x in labels], word
    return labels, None


def group_axis(ax, ctx, gs, axis="y"):
    """Groups as categories along `axis` ("y": labels of at most 22 characters a line)."""
    names, word = category_labels([ctx.labels[g] for g in gs])
    labels = [wrap(x, 22) for x in names]
    if axis == "y":
        ax.set_yticks(range(len(gs)))
        ax.set_yticklabels(labels)
        ax.invert_yaxis()  # the first group on top
        if word:
            ax.set_ylabel(word)
    else:
        ax.set_xticks(range(len(gs)))
        ax.set_xticklabels(labels, rotation=90)
        if word:
            ax.set_xlabel(word)


def _lp_values(f):
    """The p list of the lp_ball probe, as the strings the file gives."""
    g, d = f.get("probes/lp_ball"), f.get("probes/lp_ball/norm_change")
    return (attr_list(g, "p") if g is not None else []) or (attr_list(d, "p") if d is not None else [])


def _band(ax, x, mean, half, label, color=None, log=False):
    line, = ax.plot(x, mean, label=label, color=color, lw=1.5)
    lo, hi = mean - half, mean + half
    if log:
        lo = np.where(lo > 0, lo, mean / 10)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.fill_between(np.asarray(x)[ok], lo[ok], hi[ok], color=line.get_color(), alpha=0.25, lw=0)
    return line


def _log_errorbars(ax, xs, n, mean, half, zeros=None, **kw):
    """Geometric mean and CI from moments of log10 values: the mean a short horizontal dash,
    so that the CI's bar shows however short it is; exact zeros (every run) marked on the axis."""
    ok = (n > 0) & np.isfinite(mean)
    y = 10.0 ** mean
    lo = y - 10.0 ** (mean - np.nan_to_num(half))
    hi = 10.0 ** (mean + np.nan_to_num(half)) - y
    c = ax.errorbar(np.asarray(xs)[ok], y[ok], yerr=[lo[ok], hi[ok]], fmt="_", capsize=2.5, ms=7,
                    mew=1.4, elinewidth=1.1, **kw)
    if zeros is not None and mark_zeros(ax, np.asarray(xs)[np.asarray(zeros, bool)], c.lines[0].get_color()):
        zero_key(ax)
    return c


def mark_zeros(ax, x, color):
    """Exact zeros of a series on a log axis, marked as such: a triangle on the panel's lower
    edge at each x, in the series' colour (not a line drawn at a floor such as 1e-18).
    zero_key(ax) adds the legend entry.  True if any was marked."""
    x = np.asarray(x, float)
    if not len(x):
        return False
    ax.plot(x, np.full(len(x), 0.035), linestyle="none", marker="v", ms=4, color=color, clip_on=False,
            transform=ax.get_xaxis_transform(), label="_exact zero")
    return True


def zero_key(ax):
    """The legend entry of mark_zeros' triangles (grey: the colour is the series')."""
    if ZERO_KEY not in ax.get_legend_handles_labels()[1]:
        ax.plot([], [], linestyle="none", marker="v", ms=4, color="0.35", label=ZERO_KEY)


def positive(y, *rest):
    """(x..., y) where y > TINY, and the x where it is not (exact zeros): for a log axis.
    positive(y, x) -> (x_pos, y_pos, x_zero)."""
    y = np.asarray(y, float)
    keep = np.isfinite(y) & (np.abs(y) > TINY)
    zero = np.isfinite(y) & ~keep
    out = [np.asarray(r)[keep] for r in rest] + [np.abs(y[keep])]
    return tuple(out) + tuple(np.asarray(r)[zero] for r in rest)


# ---------------------------------------------------------------- all files


def _log_band(ax, x, mlog, hlog, label, color=None, zeros=None):
    """A geometric mean (10**mlog) with its 95% band; x where zeros is true are exact zeros
    (every run), marked on the axis (mark_zeros) instead of drawn."""
    x = np.asarray(x, float)
    zeros = np.zeros(len(x), bool) if zeros is None else np.asarray(zeros, bool)
    ok = np.isfinite(mlog) & ~zeros
    line, = ax.plot(x[ok], 10.0 ** mlog[ok], label=label, lw=1.5, color=color)
    h = np.nan_to_num(hlog[ok])
    ax.fill_between(x[ok], 10.0 ** (mlog[ok] - h), 10.0 ** (mlog[ok] + h), color=line.get_color(),
                    alpha=0.25, lw=0)
    if mark_zeros(ax, x[zeros], line.get_color()):
        zero_key(ax)
    return line


def _integer_bars(ctx, what, title, name):
    """Per group, integer-valued metrics side by side as horizontal bars: the mean over done
    runs, with the range over runs as error bars (a dimension is an integer: any spread is a
    finding).  what: [(metric, label)]."""
    gs = ctx.groups()
    lines = sum(wrap(ctx.labels[g], 22).count("\n") + 1 for g in gs)
    fig, ax = figure(height=0.9 + 0.15 * max(lines, 2 * len(gs)) * len(what) ** 0.5)
    width = 0.8 / len(what)
    for k, (metric, label) in enumerate(what):
        v = values(ctx.f["runs/metrics/" + metric])
        ys, mid, lo, hi = [], [], [], []
        for j, g in enumerate(gs):
            sel = ctx.done & (ctx.codes == g) & np.isfinite(v)
            if not sel.any():
                continue
            ys.append(j + (k - (len(what) - 1) / 2) * width)
            mid.append(v[sel].mean())
            lo.append(v[sel].mean() - v[sel].min())
            hi.append(v[sel].max() - v[sel].mean())
        ax.barh(ys, mid, width, xerr=[lo, hi], capsize=2, label=label)
    group_axis(ax, ctx, gs)
    ax.set_xlabel("dimension (bars: min to max)")
    fig.suptitle(title)  # over the figure: long group labels push the panel right
    legend_below(ax)
    return ctx.save(fig, name)


def all_figures():
    """Every registered probe's figures, in registry order."""
    from . import probes
    return [fig for p in probes.registered() for fig in p.figures]
