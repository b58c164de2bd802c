"""Figure style: every figure is drawn at a journal's single-column width with text of at
least 8 pt, so that it prints readable at that width without scaling, and saved as PNG at
300 dpi (and as vector PDF/SVG on request).

    with style.context():                 # the report's figures are drawn inside this
        fig, ax = style.subplots()        # COLUMN wide; rows stack vertically
        ...
    problems = style.check(fig)           # what a reader would find wrong (the tests use it)

check() also reads a figure as a journal's reviewer would: mathematics typeset by matplotlib's
math text (r"$\\sqrt{d}$", not "sqrt(d)"), legends and labels in words, not job syntax
("linear activation", not "activation=linear"), a panel letter on every panel of a multi-panel
figure (panel_title), one meaning per colour within a figure, and no value drawn at a floor on
a log axis (an exact zero is marked as such: figures.mark_zeros).

Nothing here runs at import: matplotlib's backend and settings are left alone until the
report draws.
"""
import contextlib
import re

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


# mathematics written in ASCII (outside $...$): each pattern with what a reader sees
ASCII_MATH = [(re.compile(p), what) for p, what in (
    (r"sqrt\(", "sqrt("), (r"\^", "^"), (r"\|\|", "||"), (r"\bexp\(", "exp("),
    (r"\blog10\b", "log10"), (r"<=|>=|!=", "<= or >="), (r"[A-Za-z]_[A-Za-z0-9{]", "x_y"))]
KEY_VALUE = re.compile(r"(?<![\w\\])[A-Za-z_][\w.]*=[^\s=]")  # activation=linear, n=20
PANEL_LETTER = re.compile(r"^\(([a-z])\)(\s|$)")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
FLOOR = 1e-12  # a value at an exact power of ten this small on a log axis is a floor, not data


def panel_title(ax, k, text=""):
    """Panel k's title with its letter, "(a) text", at the panel's left."""
    return ax.set_title(("(%s) %s" % (LETTERS[k], text)).rstrip(), loc="left")


def _outside_math(text):
    """The text with its $...$ parts (matplotlib's math text) left out."""
    return re.sub(r"(?<!\\)\$.*?(?<!\\)\$", " ", text)


def _panels(fig):
    """The axes that show data: visible, with axes on, not a colour bar."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.axison and not hasattr(ax, "_colorbar")]


def _letter(ax):
    for t in [ax.title, ax._left_title, ax._right_title] + list(ax.texts):
        m = PANEL_LETTER.match(t.get_text().strip()) if t.get_visible() else None
        if m:
            return m.group(1)
    return None


def _colour(h):
    """The colour a legend entry shows for artist (or container) h, as #rrggbb, or None."""
    from matplotlib import colors
    from matplotlib.collections import Collection
    from matplotlib.container import Container
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    if isinstance(h, Container):
        kids = [k for k in h.get_children() if k is not None]
        h = kids[0] if kids else None
    c = None
    if isinstance(h, Line2D):
        c = h.get_color()
        if h.get_linestyle() in ("None", "", " ") or not h.get_linewidth():
            c = h.get_markerfacecolor()
            if colors.to_rgba(c)[3] == 0:
                c = h.get_markeredgecolor()
    elif isinstance(h, Collection):
        fc = h.get_facecolor()
        c = fc[0] if len(fc) and fc[0][3] > 0 else (h.get_edgecolor()[0] if len(h.get_edgecolor()) else None)
    elif isinstance(h, Patch):
        c = h.get_facecolor() if h.get_facecolor()[3] > 0 else h.get_edgecolor()
    if c is None or (isinstance(c, str) and c == "none"):
        return None
    return colors.to_hex(c, keep_alpha=False)


def _meanings(fig):
    """(colour, label) of every labelled artist and every legend entry of the figure; grey,
    black and white are left out (reference lines and keys of line styles use them)."""
    pairs = []
    legends = list(fig.legends)
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            pairs.append((h, lab))
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    for leg in legends:
        handles = getattr(leg, "legend_handles", None) or getattr(leg, "legendHandles", [])
        pairs += [(h, t.get_text()) for h, t in zip(handles, leg.get_texts())]
    out = []
    for h, lab in pairs:
        lab = " ".join(str(lab).split())
        c = _colour(h)
        if not lab or lab.startswith("_") or c is None or c[1:3] == c[3:5] == c[5:7]:
            continue
        out.append((c, lab))
    return out


def _floor_values(ax):
    """Lines and dots of a log-y panel drawn at a floor: an exact power of ten <= FLOOR (a
    clip such as max(x, 1e-18)) or at or below the axis' lower limit."""
    import numpy as np
    if ax.get_yscale() != "log":
        return []
    bottom = min(ax.get_ylim())
    out = []
    series = [(ln, ln.get_ydata()) for ln in ax.lines
              if ln.get_visible() and ln.get_transform() is ax.transData]
    series += [(c, np.asarray(c.get_offsets())[:, 1]) for c in ax.collections
               if c.get_visible() and c.get_offset_transform() is ax.transData and len(c.get_offsets())
               and type(c).__name__ == "PathCollection"]
    for art, y in series:
        y = np.asarray(y, float)
        y = y[np.isfinite(y) & (y > 0)]
        small = y[y <= FLOOR]
        tens = small[np.isclose(small, 10.0 ** np.round(np.log10(small)), rtol=1e-12, atol=0)]
        low = y[y <= bottom * (1 + 1e-9)]
        if len(tens) or len(low):
            v = (tens if len(tens) else low)[0]
            lab = art.get_label()
            out.append("%s drawn at a floor: %d value%s at %.3g (mark exact zeros, do not draw them)"
                       % ("%r" % lab if not lab.startswith("_") else "a line", len(tens) or len(low),
                          "" if (len(tens) or len(low)) == 1 else "s", v))
    return out


def _hidden_bars(ax):
    """Vertical error bars shorter than their marker (0 < length < marker size): the CI hides
    under the dot.  A bar of length 0 (no spread) hides nothing."""
    import numpy as np
    from matplotlib.container import ErrorbarContainer
    out = []
    for c in ax.containers:
        if not isinstance(c, ErrorbarContainer) or not c.has_yerr:
            continue
        line, _, cols = c.lines
        if line is None or line.get_marker() in ("_", "None", "", " ", None, "none"):
            continue
        lengths = []
        for col in cols:
            for seg in col.get_segments():
                seg = np.asarray(seg, float)
                if len(seg) == 2 and seg[0, 0] == seg[1, 0] and np.isfinite(seg).all():
                    d = ax.transData.transform(seg)
                    lengths.append(abs(d[1, 1] - d[0, 1]) * 72.0 / ax.figure.dpi)
        lengths = np.asarray(lengths)
        hidden = (lengths > 0) & (lengths < line.get_markersize())
        if hidden.any():
            out.append("%d of %d error bars of %r hidden under their markers (a dash marker, '_', shows them)"
                       % (hidden.sum(), len(lengths), c.get_label()))
    return out


def reading(fig):
    """What a reviewer would find wrong in how `fig` says things (check() includes it): ASCII
    mathematics, job syntax (key=value), panels without letters, a colour with two meanings or a
    meaning in two colours, values drawn at a floor on a log axis, error bars hidden under their
    markers."""
    bad = []
    for t, what in _texts(fig):
        text = _outside_math(t.get_text())
        for pat, name in ASCII_MATH:
            if pat.search(text):
                bad.append("%s %r: ASCII mathematics (%s); write it as math text ($...$) or in words"
                           % (what, t.get_text()[:40], name))
                break
        if any("\\|" in m for m in re.findall(r"(?<!\\)\$(.*?)(?<!\\)\$", t.get_text())):
            bad.append("%s %r: \\| in math text draws a single bar in matplotlib; write \\Vert"
                       % (what, t.get_text()[:40]))
        m = KEY_VALUE.search(text)
        if m:
            bad.append("%s %r: job syntax %r; say it in words" % (what, t.get_text()[:40], m.group(0)))
    panels = _panels(fig)
    if len(panels) > 1:
        letters = [_letter(ax) for ax in panels]
        if None in letters:
            bad.append("%d panels, %d without a panel letter ((a), (b), ...: style.panel_title)"
                       % (len(panels), letters.count(None)))
        elif sorted(letters) != list(LETTERS[:len(panels)]):
            bad.append("panel letters %s: expected %s" % (", ".join(letters), ", ".join(LETTERS[:len(panels)])))
    by_colour, by_label = {}, {}
    for c, lab in _meanings(fig):
        by_colour.setdefault(c, []).append(lab)
        by_label.setdefault(lab, []).append(c)
    for c, labs in by_colour.items():
        labs = list(dict.fromkeys(labs))
        if len(labs) > 1:
            bad.append("colour %s means %s" % (c, " and ".join(repr(x[:30]) for x in labs)))
    for lab, cs in by_label.items():
        cs = list(dict.fromkeys(cs))
        if len(cs) > 1:
            bad.append("%r is drawn in %d colours (%s)" % (lab[:30], len(cs), ", ".join(cs)))
    for ax in panels:
        bad += _floor_values(ax) + _hidden_bars(ax)
    return bad


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
    wider than COLUMN, text below MIN_POINTS, text running over other text, no data drawn, and
    what reading() finds."""
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
    return bad + reading(fig)
