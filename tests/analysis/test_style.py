#!/usr/bin/env python3
"""The figure check itself (symsweep_analysis.style.check): for each rule a reviewer's reading
adds (ASCII mathematics, job syntax, panel letters, one meaning per colour, values drawn at a
floor), a small figure that breaks the rule fails the check with its sentence, and the same
figure drawn right passes.  No symsweep run: seconds.

usage: test_style.py SOURCE_DIR   (ctest: analysis.style)
"""
import os
import sys
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

style = figures = groups = None


def problems(fig):
    out = style.check(fig)
    plt.close(fig)
    return out


def one(rows=1, **kw):
    with style.context():
        return style.subplots(rows, **kw)


class CheckReadsLikeAReviewer(unittest.TestCase):
    def assertFlags(self, fig, *words):
        got = problems(fig)
        self.assertTrue(any(all(w in p for w in words) for p in got),
                        "expected a problem with %s, got %s" % (words, got))

    def assertPasses(self, fig):
        self.assertEqual(problems(fig), [])

    def test_ascii_mathematics_fails_math_text_passes(self):
        for bad in ("||W W^T - I|| / sqrt(d)", "J^T g", "||g_perp||", "log10 error", "drift <= 1e-9",
                    "orbit exp(tA)"):
            fig, ax = one()
            ax.plot([1, 2], [1, 2])
            ax.set_ylabel(bad)
            self.assertFlags(fig, "ASCII mathematics", bad[:20])
        # matplotlib's math text draws \| as one bar: a norm is \Vert
        fig, ax = one()
        ax.plot([1, 2], [1, 2])
        ax.set_ylabel(r"$\|WW^\top - I\| / \sqrt{d}$")
        self.assertFlags(fig, "draws a single bar", "Vert")
        for good in (r"$\Vert WW^\top - I\Vert / \sqrt{d}$", r"$\Vert J^\top g\Vert$", r"$\log_{10}$ error",
                     r"orbit $\exp(tA)\,\theta$", "encoder sparsity"):
            fig, ax = one()
            ax.plot([1, 2], [1, 2])
            ax.set_ylabel(good)
            self.assertPasses(fig)

    def test_job_syntax_in_a_legend_fails_words_pass(self):
        fig, ax = one()
        ax.plot([1, 2], [1, 2], label="activation=linear")
        ax.legend()
        self.assertFlags(fig, "job syntax", "activation=linear")
        fig, ax = one()
        ax.plot([1, 2], [1, 2], label="linear activation (n=20)")
        ax.legend()
        self.assertFlags(fig, "job syntax", "n=20")
        fig, ax = one()
        ax.plot([1, 2], [1, 2], label="linear activation (n = 20)")
        ax.legend()
        self.assertPasses(fig)

    def test_the_legends_say_settings_in_words(self):
        # what the figures' Context uses for its legends: no job syntax left for the check
        self.assertEqual(groups.pretty("model.activation", "linear", "activation", words=True),
                         "linear activation")
        self.assertEqual(groups.pretty("model.activation", "leaky_relu", "activation", words=True),
                         "leaky ReLU activation")
        self.assertEqual(groups.pretty("train.lr", 0.01, "lr", words=True), "learning rate 0.01")
        self.assertEqual(groups.pretty("regularizer", "{kind: l1, lambda: 0.005}", None, words=True),
                         r"L1, $\lambda$ = 0.005")
        self.assertEqual(groups.pretty("probes.x.some_setting", "a_b", "some_setting", words=True),
                         "some setting: a b")
        # the tables keep the job's syntax (the column names are the settings' paths)
        self.assertEqual(groups.pretty("model.activation", "linear", "activation"), "activation=linear")
        for label in (groups.pretty("model.widths", "[4, 8, 3]", "widths", words=True),
                      groups.pretty("data.rank", 3, "rank", words=True)):
            fig, ax = one()
            ax.plot([1, 2], [1, 2], label=label)
            ax.legend()
            self.assertPasses(fig)

    def test_panels_without_letters_fail(self):
        fig, axes = one(2)
        for ax in axes:
            ax.plot([1, 2], [1, 2])
            ax.set_title("a panel")
        self.assertFlags(fig, "2 panels, 2 without a panel letter")
        fig, axes = one(2)
        for k, ax in enumerate(axes):
            ax.plot([1, 2], [1, 2])
            style.panel_title(ax, k, "a panel")
        self.assertPasses(fig)
        fig, axes = one(2)
        for ax in axes:
            ax.plot([1, 2], [1, 2])
            style.panel_title(ax, 0, "a panel")
        self.assertFlags(fig, "panel letters a, a: expected a, b")
        # one panel and its colour bar: not a multi-panel figure
        fig, ax = one()
        im = ax.imshow(np.arange(4.0).reshape(2, 2))
        fig.colorbar(im, ax=ax, label="value")
        self.assertPasses(fig)

    def test_a_colour_with_two_meanings_fails(self):
        # Ex5 as it was: blue is "orbit" above and the group's mean below
        fig, axes = one(2)
        axes[0].plot([0, 1], [1, 1], color="C0", label="orbit exp(tA)")
        axes[1].plot([0, 1], [1, 2], color="C0", label="all runs")
        for k, ax in enumerate(axes):
            style.panel_title(ax, k)
            ax.legend()
        self.assertFlags(fig, "colour #1f77b4 means", "all runs")
        # one meaning in two colours
        fig, axes = one(2)
        axes[0].plot([0, 1], [1, 1], color="C3", label="perpendicular")
        axes[1].plot([0, 1], [1, 2], color="C1", label="perpendicular")
        for k, ax in enumerate(axes):
            style.panel_title(ax, k)
            ax.legend()
        self.assertFlags(fig, "'perpendicular' is drawn in 2 colours")
        # a scatter's and an error bar's colour count too
        fig, ax = one()
        ax.scatter([1, 2], [1, 2], color="C2", label="L1")
        ax.errorbar([1, 2], [2, 3], yerr=[0.1, 0.1], color="C2", fmt="o", label="L2")
        ax.legend()
        self.assertFlags(fig, "colour #2ca02c means")
        # the same colour and label in two panels, and grey reference lines: fine
        fig, axes = one(2)
        for k, ax in enumerate(axes):
            ax.plot([0, 1], [1, 2], color="C0", label="orbit")
            ax.plot([0, 1], [1, 3], color="C3", label="perpendicular")
            ax.plot([0, 1], [2, 2], color="grey", ls=":", label="slope 2")
            ax.plot([0, 1], [3, 3], color="grey", ls="--", label="slope 4")
            style.panel_title(ax, k)
            ax.legend()
        self.assertPasses(fig)

    def test_values_drawn_at_a_floor_fail_marked_zeros_pass(self):
        x = np.arange(6.0)
        y = np.array([1e-3, 1e-5, 0.0, 0.0, 1e-7, 1e-9])
        fig, ax = one()
        ax.semilogy(x, np.maximum(y, figures.TINY), label="error")
        self.assertFlags(fig, "'error' drawn at a floor", "2 values at 1e-18")
        fig, ax = one()   # a floor other than TINY, on dots
        ax.scatter(x, np.maximum(y, 1e-16))
        ax.set_yscale("log")
        self.assertFlags(fig, "drawn at a floor", "1e-16")
        fig, ax = one()   # values clipped at the axis' lower limit
        ax.semilogy(x, np.maximum(y, 1e-10), label="error")
        ax.set_ylim(bottom=1e-10)
        self.assertFlags(fig, "drawn at a floor")
        fig, ax = one()   # the same data with its zeros marked, and a reference line at 1e-12
        xp, yp, xz = figures.positive(y, x)
        line, = ax.semilogy(xp, yp, label="error")
        self.assertTrue(figures.mark_zeros(ax, xz, line.get_color()))
        figures.zero_key(ax)
        ax.axhline(1e-12, color="grey", ls=":", label="threshold")
        ax.legend()
        np.testing.assert_array_equal(xz, [2.0, 3.0])
        self.assertIn(figures.ZERO_KEY, [t.get_text() for t in ax.get_legend().get_texts()])
        self.assertPasses(fig)
        fig, ax = one()   # a linear axis has a place for zero
        ax.plot(x, y)
        self.assertPasses(fig)

    def test_error_bars_under_their_markers_fail(self):
        # Ex1 as it was: dots of 4 pt over CIs of a few points
        fig, ax = one()
        ax.errorbar([1, 2, 3], [1.3e-15, 2.1e-15, 1.0], yerr=[[1e-16, 2e-16, 0], [1e-16, 2e-16, 0]], fmt="o",
                    ms=4, label="linear")
        ax.set_yscale("log")
        self.assertFlags(fig, "2 of 3 error bars of 'linear' hidden under their markers")
        fig, ax = one()   # a dash for the mean: the bar shows however short
        ax.errorbar([1, 2, 3], [1.3e-15, 2.1e-15, 1.0], yerr=[[1e-16, 2e-16, 0], [1e-16, 2e-16, 0]], fmt="_",
                    ms=7, label="linear")
        ax.set_yscale("log")
        self.assertPasses(fig)

    def test_a_category_axis_says_the_shared_word_once(self):
        self.assertEqual(figures.category_labels(["linear activation", "ReLU activation"]),
                         (["linear", "ReLU"], "activation"))
        for labels in (["all runs"], ["no penalty", r"L1, $\lambda$ = 0.005"],
                       ["learning rate 0.01", "learning rate 100"]):
            self.assertEqual(figures.category_labels(labels), (labels, None))

    def test_log_moments_mark_exact_zeros(self):
        # every run 0 at an element: all_zero there, and no log10 of zero in the mean

        class Ctx(figures.Context):
            def __init__(self):
                self.codes = np.array([0, 0, 1])
                self.n_groups = 2
                self.done = np.ones(3, bool)

            def moments(self, path, transform=None):
                from symsweep_analysis.stats import GroupMoments
                acc = GroupMoments(2)
                acc.add(self.codes, transform(np.array([[0.0, 1e-3], [0.0, 1e-5], [0.0, 0.0]])))
                return acc.result()
        n, mean, half, zero = Ctx().log_moments("x")
        np.testing.assert_array_equal(zero, [[True, False], [True, True]])
        self.assertAlmostEqual(mean[0, 1], -4.0)
        self.assertEqual(n[0, 1], 2)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.abspath(sys.argv[1]), "analysis"))
    from symsweep_analysis import figures, groups, style  # noqa: E402,F811
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[2:])
