#!/usr/bin/env python3
"""symsweep_analysis reads what issue 25 records on held-out data (ctest analysis.heldout):
the per-run table files the test objective and the accuracies under the training probe, and
the alignment table gains the barriers `symsweep align` measures on test data and in error,
where the align file has them (and no such column where it has not).
usage: test_heldout.py SYMSWEEP SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

SYMSWEEP = SRC = TMP = None

JOB = """name: tiny-align
seeds: {count: 3, base: 1}
data: {kind: teacher_linear, input: 3, output: 2, samples: 30, noise: 0.05, seed: 7}
model: {kind: mlp, widths: [3, 4, 2], activation: tanh, bias: true}
train: {optimizer: gd, lr: 0.1, epochs: 50}
record: {loss_every: 10, weights: final}
probes: {canonical: {}}
"""


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


class Heldout(unittest.TestCase):
    def test_per_run_metrics_belong_to_training(self):
        from symsweep_analysis import probes
        for m in ("final_test_loss", "final_test_data_loss", "final_train_accuracy", "final_test_accuracy"):
            self.assertEqual(probes.probe_of(m), "training", m)

    def test_align_table_reads_the_other_barriers(self):
        from symsweep_analysis.probes import canonical
        job, out = os.path.join(TMP, "a.yaml"), os.path.join(TMP, "a.h5")
        with open(job, "w") as fh:
            fh.write(JOB)
        r = run([SYMSWEEP, "run", job, "-o", out, "-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run([SYMSWEEP, "align", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            t = canonical.align_table(f, ["g"], [0, 0, 0])
        self.assertFalse(any("test" in c or "error" in c for c in t.columns), list(t.columns))
        # what align writes for a grid point with a test split and a classifier (the split and
        # the loss are other parts of issue 25): the medians, read by their names
        want = {}
        with h5py.File(os.path.join(TMP, "a-align.h5"), "r+") as g:
            for k, key in enumerate(("barrier_test", "barrier_error", "barrier_test_error")):
                for side in ("raw", "aligned"):
                    v = 0.1 * (k + 1) + (0.01 if side == "aligned" else 0.0)
                    g["align"].create_dataset("median_%s_%s" % (key, side), data=np.array([v]))
                    want[(key, side)] = v
        with h5py.File(out, "r") as f:
            t = canonical.align_table(f, ["g"], [0, 0, 0])
        names = dict(canonical.OTHER_BARRIERS)
        for (key, side), v in want.items():
            col = "median %s barrier %s" % (names[key], side)
            self.assertIn(col, t.columns)
            self.assertEqual(float(t[col][0]), v)
        self.assertIn("median barrier raw", t.columns)

    def test_heldout_curves_figure(self):
        from unittest import mock
        from symsweep_analysis import data, figures, style
        from symsweep_analysis.probes import training
        job, out = os.path.join(TMP, "c.yaml"), os.path.join(TMP, "c.h5")
        with open(job, "w") as fh:
            fh.write(JOB)
        r = run([SYMSWEEP, "run", job, "-o", out, "-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        problems, drawn, original = [], {}, figures.Context.save

        def save(ctx, fig, name):
            problems.extend(style.check(fig))
            drawn[name] = original(ctx, fig, name)
            return drawn[name]
        with h5py.File(out, "r") as f:  # a job with neither: no figure, a reason
            ctx = figures.Context(f, data.load(f), [], os.path.join(TMP, "fig0"))
            self.assertIn("no test split", training.heldout_curves(ctx))
        # the curves a classifier with a test split records (other parts of issue 25 make them)
        with h5py.File(out, "r+") as f:
            loss = f["runs/curves/loss"][:]
            f["runs/curves/test_loss"] = 1.1 * loss
            acc = np.clip(1 - loss / loss.max(), 0, 1)
            f["runs/curves/train_accuracy"] = acc
            f["runs/curves/test_accuracy"] = 0.9 * acc
        with h5py.File(out, "r") as f, mock.patch.object(figures.Context, "save", save):
            ctx = figures.Context(f, data.load(f), [], os.path.join(TMP, "fig1"))
            paths = training.heldout_curves(ctx)
        self.assertEqual(problems, [])
        self.assertEqual(list(drawn), ["heldout_curves"])
        self.assertTrue(os.path.exists(paths[0]), paths)
        self.assertIn(training.heldout_curves, [fn for p in __import__("symsweep_analysis.probes", fromlist=["x"]).registered()
                                                for fn in p.figures])


    def test_align_barriers_figure(self):
        """The barriers against width (the Git Re-Basin trend): a sweep over model.widths, then
        `symsweep align`: one panel of loss barriers, raw and aligned, on a log2 width axis whose
        ticks are the hidden widths, passing the figure check; one grid point gives a reason."""
        from unittest import mock
        from symsweep_analysis import data, figures, style
        from symsweep_analysis.probes import canonical
        job, out = os.path.join(TMP, "w.yaml"), os.path.join(TMP, "w.h5")
        with open(job, "w") as fh:
            fh.write(JOB.replace("name: tiny-align", "name: tiny-widths")
                     + "sweep: {model.widths: [[3, 4, 2], [3, 8, 2], [3, 16, 2]]}\n")
        for cmd in ([SYMSWEEP, "run", job, "-o", out, "-q"], [SYMSWEEP, "align", out]):
            r = run(cmd)
            self.assertEqual(r.returncode, 0, r.stderr)
        problems, drawn, axes, original = [], {}, [], figures.Context.save

        def save(ctx, fig, name):
            problems.extend(style.check(fig))
            axes.extend(fig.axes)
            drawn[name] = original(ctx, fig, name)
            return drawn[name]
        with h5py.File(out, "r") as f, mock.patch.object(figures.Context, "save", save):
            ctx = figures.Context(f, data.load(f), ["model.widths"], os.path.join(TMP, "fig2"))
            paths = canonical.align_barriers(ctx)
        self.assertEqual(problems, [])
        self.assertEqual(list(drawn), ["align_barriers"])
        self.assertTrue(os.path.exists(paths[0]), paths)
        self.assertEqual(len(axes), 1)  # no error barriers without a classifier
        self.assertEqual(axes[0].get_xscale(), "log")
        self.assertEqual(list(axes[0].get_xticks()), [4, 8, 16])
        with h5py.File(os.path.join(TMP, "w-align.h5"), "r") as g:
            raw = g["align/median_barrier_raw"][:]
        lines = [ln for ln in axes[0].get_lines() if len(ln.get_xdata()) == 3]
        self.assertTrue(any(np.array_equal(ln.get_ydata(), raw) for ln in lines))
        self.assertIn(canonical.align_barriers, [fn for p in __import__("symsweep_analysis.probes", fromlist=["x"]).registered()
                                                 for fn in p.figures])
        job, one = os.path.join(TMP, "one.yaml"), os.path.join(TMP, "one.h5")
        with open(job, "w") as fh:
            fh.write(JOB)
        for cmd in ([SYMSWEEP, "run", job, "-o", one, "-q"], [SYMSWEEP, "align", one]):
            self.assertEqual(run(cmd).returncode, 0)
        with h5py.File(one, "r") as f:  # one grid point: a reason, no figure
            ctx = figures.Context(f, data.load(f), [], os.path.join(TMP, "fig3"))
            self.assertIn("one grid point", canonical.align_barriers(ctx))

if __name__ == "__main__":
    SYMSWEEP, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    sys.path.insert(0, os.path.join(SRC, "analysis"))
    TMP = tempfile.mkdtemp(prefix="symsweep-heldout-")
    try:
        unittest.main(argv=sys.argv[:1], verbosity=2)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
