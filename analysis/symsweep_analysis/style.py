"""Figure style: every figure is drawn at a journal's single-column width with text of at
least 8 pt, so that it prints readable at that width without scaling, and saved as PNG at
300 dpi (and as vector PDF/SVG on request).

    with style.context():                 # the report's figures are drawn inside this
        fig, ax = style.subplots()        # COLUMN wide; rows stack vertically
        ...
    problems = style.check(fig)           # what a reader would find wrong (the tests use it)

Nothing here runs at import: matplotlib's backend and settings are left alone until the
report draws.
"""
import contextlib

COLUMN = 3.4          # inches: a single column (3.25-3.5 in for most journals)
MIN_POINTS = 8.0      # the smallest text, in points at COLUMN width
DPI = 300

RC = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "legend.fontsize": 8, "legend.title_fontsize": 8, "figure.titlesize": 9,
    "legend.frameon": False, "legend.handlelength": 1.4, "legend.borderaxespad": 0.3,
    "lines.linewidth": 1.1, "axes.linewidth": 0.6, "xtick.major.width": 0.6,
    "ytick.major.width": 0.6, "xtick.major.size": 2.5, "ytick.major.size": 2.5,
    "savefig.dpi": DPI, "figure.dpi": 100, "svg.fonttype": "none", "pdf.fonttype": 42,
    "axes.titlepad": 3.0, "axes.labelpad": 2.0,
}


@contextlib.contextmanager
def context():
    """matplotlib's settings for the report's figures, restored on exit."""
    import matplotlib
    with matplotlib.rc_context(RC):
        yield


def subplots(rows=1, cols=1, height=None, **kw):
    """A figure COLUMN inches wide: `rows` x `cols` panels, `height` inches (default 2.3 per row),
    laid out by matplotlib's constrained layout (no label overlaps its neighbour)."""
    import matplotlib.pyplot as plt
    kw.setdefault("squeeze", True)
    return plt.subplots(rows, cols, figsize=(COLUMN, height or 2.3 * rows), layout="constrained", **kw)


def _texts(fig):
    """Every visible, non-empty text of the figure, with what it is."""
    out, seen = [], set()

    def add(t, what):
        if t is not None and t.get_visible() and t.get_text().strip() and id(t) not in seen:
            seen.add(id(t))
            out.append((t, what))
    if getattr(fig, "_suptitle", None) is not None:
        add(fig._suptitle, "title of the figure")
    for t in fig.texts:
        add(t, "figure text")
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:  # axis("off"): a key or legend holder
            for t in ax.texts:
                add(t, "text")
            leg = ax.get_legend()
            for t in (leg.get_texts() if leg is not None else []):
                add(t, "legend")
            continue
        name = repr((ax.get_title() or ax.get_ylabel() or "panel").replace("\n", " ")[:40])
        for t in (ax.title, ax._left_title, ax._right_title):
            add(t, "title of %s" % name)
        add(ax.xaxis.label, "x label of %s" % name)
        add(ax.yaxis.label, "y label of %s" % name)
        for axis, which in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            if hasattr(ax, "_colorbar"):  # a colour bar places its own ticks (not checked)
                continue
            for tick in axis._update_ticks():  # the ticks drawn: those inside the view
                for t in (tick.label1, tick.label2):
                    add(t, "%s tick label of %s" % (which, name))
            add(axis.get_offset_text(), "%s offset of %s" % (which, name))
        for t in ax.texts:
            add(t, "text in %s" % name)
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            for t in leg.get_texts():
                add(t, "legend of %s" % name)
            add(leg.get_title(), "legend title of %s" % name)
    if fig.legends:
        for leg in fig.legends:
            for t in leg.get_texts():
                add(t, "figure legend")
    return out


def check(fig):
    """What is wrong with `fig` for print at single-column width, as a list of sentences:
    wider than COLUMN, text below MIN_POINTS, text running over other text, or no data drawn."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    bad = ["matplotlib: %s" % w.message for w in caught]
    r = fig.canvas.get_renderer()
    width = fig.get_tightbbox(r).width
    if width > COLUMN + 0.15:
        bad.append("%.2f in wide (a single column is %.2f in)" % (width, COLUMN))
    texts = _texts(fig)
    boxes = []
    pad = fig.dpi / 72.0  # one point: a touch is not an overlap
    W, H = fig.bbox.width, fig.bbox.height
    for t, what in texts:
        if t.get_fontsize() < MIN_POINTS - 1e-9:
            bad.append("%s %r at %.1f pt" % (what, t.get_text()[:40], t.get_fontsize()))
        b = t.get_window_extent(r)
        boxes.append(b)
        # the layout keeps every text on the canvas: one that runs off it is cut or moved
        if b.x0 < -pad or b.y0 < -pad or b.x1 > W + pad or b.y1 > H + pad:
            bad.append("%s %r runs off the figure" % (what, t.get_text()[:40]))
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = boxes[i], boxes[j]
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > pad and dy > pad:
                bad.append("%s %r overlaps %s %r" % (texts[i][1], texts[i][0].get_text()[:30],
                                                     texts[j][1], texts[j][0].get_text()[:30]))
    drawn = [ax for ax in fig.axes if ax.get_visible() and (ax.lines or ax.collections or ax.images
                                                            or ax.patches)]
    if not drawn:
        bad.append("no data drawn")
    return bad
