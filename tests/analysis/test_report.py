#!/usr/bin/env python3
"""End-to-end tests of analysis/: run small real sweeps with symsweep, make the
report, and check figures, statistics (against numpy on the raw datasets),
partial/diverged/failed files and malformed inputs.

usage: test_report.py SYMSWEEP SOURCE_DIR   (ctest: analysis.report)
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np
from scipy import stats as sps

SYMSWEEP = SRC = TMP = None
JOBS = ["ex1-small", "ex3-small", "ex4-small", "ex5-small", "diverge"]
FILES = {}


def read(path):
    with open(path) as fh:
        return fh.read()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def report(*args):
    return run([sys.executable, os.path.join(SRC, "analysis", "report.py")] + list(args))


def setUpModule():
    global TMP
    TMP = tempfile.mkdtemp(prefix="symsweep-analysis-")
    for j in JOBS:
        out = os.path.join(TMP, j + ".h5")
        r = run([SYMSWEEP, "run", os.path.join(SRC, "tests", "analysis", j + ".yaml"), "-o", out, "-q"])
        # diverged runs are not failures: exit 0 expected for every job here
        assert r.returncode == 0, "symsweep run %s: %d %s" % (j, r.returncode, r.stderr)
        FILES[j] = out
    # a partial file, as a sweep's shard or a killed run leaves it: odd runs pending
    out = os.path.join(TMP, "partial.h5")
    r = run([SYMSWEEP, "run", os.path.join(SRC, "tests", "analysis", "ex3-small.yaml"), "-o", out, "-q",
             "--shard", "0/2"])
    assert r.returncode == 0, r.stderr
    FILES["partial"] = out


def tearDownModule():
    if TMP and not os.environ.get("KEEP"):
        shutil.rmtree(TMP, ignore_errors=True)


def png_size(path):
    """(width, height) from a PNG's IHDR; raises if the file is not a PNG."""
    with open(path, "rb") as fh:
        head = fh.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise AssertionError("%s is not a PNG" % path)
    return struct.unpack(">II", head[16:24])


class Figures(unittest.TestCase):
    EXPECTED = {
        "ex1-small": ["training_curves", "weights", "ex1_reparam"],
        "ex3-small": ["training_curves", "weights", "ex3_scatter"],
        "ex4-small": ["ex4_lp_balls", "ex4_vertex_hits"],
        "ex5-small": ["training_curves", "weights", "ex5_orbit_vs_perp", "ex5_landscape",
                      "ex5_orbit_directions", "ex5_gradient_decomposition"],
    }

    def test_every_expected_figure_is_a_sensible_png(self):
        import matplotlib.image as mpimg
        for job, names in self.EXPECTED.items():
            out = os.path.join(TMP, "rep-" + job)
            r = report(FILES[job], "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            self.assertEqual(r.stderr, "", "a figure failed: " + r.stderr)
            for n in names:
                p = os.path.join(out, "figures", n + ".png")
                self.assertTrue(os.path.exists(p), "%s: missing %s" % (job, p))
                w, h = png_size(p)
                self.assertTrue(300 <= w <= 4000 and 200 <= h <= 4000, "%s: %dx%d" % (p, w, h))
                self.assertGreater(os.path.getsize(p), 8000, p)
                img = mpimg.imread(p)
                # not a blank canvas: a real plot has many distinct colours
                self.assertGreater(len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)), 20, p)
            md = read(os.path.join(out, "report.md"))
            for n in names:
                self.assertIn("figures/%s.png" % n, md)

    def test_ex1_ex4_ex5_as_a_reviewer_reads_them(self):
        # issue 28: Ex1's threshold line is in the legend; Ex5 draws t in [-1, 1] and s in
        # [-0.5, 0.5] on panels of their own; ex4_lp_balls says it is a schematic, not "measured"
        from unittest import mock
        sys.path.insert(0, os.path.join(SRC, "analysis"))
        from symsweep_analysis import figures, report as rep
        seen, original = {}, figures.Context.save

        def save(ctx, fig, name):
            panels = []
            for ax in fig.axes:
                xs = [np.asarray(ln.get_xdata(), float) for ln in ax.lines
                      if ln.get_transform() is ax.transData and len(ln.get_xdata())]
                spans = {(round(float(np.nanmin(x)), 6), round(float(np.nanmax(x)), 6)) for x in xs}
                leg = ax.get_legend()
                panels.append({"spans": spans, "legend": [t.get_text() for t in leg.get_texts()] if leg else [],
                               "hlines": [ln.get_label() for ln in ax.lines
                                          if ln.get_transform() is not ax.transData and len(set(ln.get_ydata())) == 1]})
            seen[name] = {"title": fig._suptitle.get_text() if fig._suptitle else "", "panels": panels}
            return original(ctx, fig, name)
        with mock.patch.object(figures.Context, "save", save):
            for job in ("ex1-small", "ex4-small", "ex5-small"):
                self.assertEqual(rep.main([FILES[job], "--out", os.path.join(TMP, "read-" + job), "-q"]), 0)
        ex1 = seen["ex1_reparam"]["panels"][0]
        self.assertEqual(len(ex1["hlines"]), 1)
        self.assertFalse(ex1["hlines"][0].startswith("_"), "the threshold line has no label")
        self.assertIn(ex1["hlines"][0], ex1["legend"])
        with h5py.File(FILES["ex5-small"], "r") as f:
            t = (float(f["probes/orbit_loss/t"][0]), float(f["probes/orbit_loss/t"][-1]))
            s = (float(f["probes/orbit_loss/s"][0]), float(f["probes/orbit_loss/s"][-1]))
        self.assertNotEqual(t, s)
        spans = [p["spans"] for p in seen["ex5_orbit_vs_perp"]["panels"] if p["spans"]]
        self.assertEqual(len(spans), 4)
        for sp in spans:  # one range per panel, t's or s's
            self.assertIn(sp, ({t}, {s}), sp)
        self.assertEqual(sorted(len(p) for p in spans), [1, 1, 1, 1])
        title = seen["ex4_lp_balls"]["title"]
        self.assertIn("schematic", title)
        self.assertNotIn("measured", title)

    def test_ex2_figures_from_the_centralizer_job(self):
        out = os.path.join(TMP, "rep-ex2")
        h5 = os.path.join(TMP, "ex2.h5")
        r = run([SYMSWEEP, "run", os.path.join(SRC, "jobs", "ex2-centralizer.yaml"), "-o", h5, "-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = report(h5, "--out", out, "--pdf")
        self.assertEqual(r.returncode, 0, r.stderr)
        for n in ("ex2_commutation", "ex2_centralizer_dimension"):
            png_size(os.path.join(out, "figures", n + ".png"))
            with open(os.path.join(out, "figures", n + ".pdf"), "rb") as fh:
                self.assertEqual(fh.read(5), b"%PDF-")
        # the claims that compare centralizer dimensions hold: 36 (linear) > 6 (relu) > 0 (tanh)
        import csv
        with open(os.path.join(out, "claims.csv")) as fh:
            rows = {r["claim"]: r for r in csv.DictReader(fh)}
        self.assertEqual(float(rows["ex2.linear_vs_relu"]["mean_a"]), 36.0)
        self.assertEqual(float(rows["ex2.linear_vs_relu"]["mean_b"]), 6.0)
        self.assertEqual(float(rows["ex2.relu_vs_tanh"]["mean_b"]), 0.0)

    def test_frontier_and_team_probe_figures(self):
        # every probe of the frontier job has its figure and its statistics table, and the
        # numbers in the tables are the closed forms (linear [4, 6, 3] with biases: orbit 36)
        out = os.path.join(TMP, "rep-frontier")
        h5 = os.path.join(TMP, "frontier.h5")
        r = run([SYMSWEEP, "run", os.path.join(SRC, "jobs", "frontier.yaml"), "-o", h5, "-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(report(h5, "--out", out, "-q").returncode, 0)
        for n in ("stabilizer_dimensions", "functional_dimension", "functional_spectrum", "tangent_slice",
                  "hessian_spectrum", "hessian_zeros_vs_orbit", "conserved_drift"):
            png_size(os.path.join(out, "figures", n + ".png"))
        import csv
        for probe in ("stabilizer", "functional_dimension", "tangent_slice", "hessian", "conserved"):
            self.assertTrue(os.path.exists(os.path.join(out, "stats", probe + ".csv")), probe)
        with open(os.path.join(out, "stats", "stabilizer.csv")) as fh:
            rows = [r for r in csv.DictReader(fh) if r["metric"] == "stabilizer_orbit_dimension"]
        lin = [r for r in rows if r["model.activation"] == "linear"]
        self.assertEqual(float(lin[0]["mean"]), 36.0)

    def test_lanczos_figures_and_density(self):
        # the matrix-free Hessian's figures and table; the SLQ density integrates to 1 and its
        # mean is the SLQ trace over P (the quadrature integrates x exactly)
        out = os.path.join(TMP, "rep-lanczos")
        h5 = os.path.join(TMP, "lanczos.h5")
        r = run([SYMSWEEP, "run", os.path.join(SRC, "jobs", "hessian-lanczos.yaml"), "-o", h5, "-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(report(h5, "--out", out, "-q").returncode, 0)
        for n in ("lanczos_density", "lanczos_bottom"):
            png_size(os.path.join(out, "figures", n + ".png"))
        self.assertTrue(os.path.exists(os.path.join(out, "stats", "hessian_lanczos.csv")))
        sys.path.insert(0, os.path.join(SRC, "analysis"))
        from symsweep_analysis.probes.hessian_lanczos import slq_density
        with h5py.File(h5, "r") as f:
            nodes, w = f["probes/hessian_lanczos/slq_nodes"][0], f["probes/hessian_lanczos/slq_weights"][0]
            P = f["probes/hessian_lanczos/n_params"][0]
            trace = f["runs/metrics/lanczos_trace"][0]
        lo, hi = np.nanmin(nodes), np.nanmax(nodes)
        grid = np.linspace(lo - 1, hi + 1, 20001)
        dens = slq_density(nodes, w, grid, 0.01 * (hi - lo))
        dx = grid[1] - grid[0]
        self.assertAlmostEqual(dens.sum() * dx, 1.0, places=6)
        self.assertAlmostEqual((grid * dens).sum() * dx * P / trace, 1.0, places=6)

    def test_report_html_is_self_contained(self):
        # report.html: one page with every figure embedded (data: URIs, nothing fetched), every
        # statistics table and the claims table as HTML tables, no Markdown left over
        import re
        out = os.path.join(TMP, "rep-html")
        self.assertEqual(report(FILES["ex3-small"], "--out", out, "-q").returncode, 0)
        page = read(os.path.join(out, "report.html"))
        pngs = sorted(os.listdir(os.path.join(out, "figures")))
        srcs = re.findall(r'<img alt="[^"]*" src="([^"]*)"', page)
        self.assertEqual(len(srcs), len([p for p in pngs if p.endswith(".png")]))
        self.assertTrue(all(s.startswith("data:image/png;base64,") for s in srcs))
        self.assertNotIn("](", page)
        self.assertNotIn("\n| ", page)
        n_tables = len(os.listdir(os.path.join(out, "stats"))) // 2 + 1  # .md/.csv pairs + claims
        self.assertEqual(page.count("<table>"), n_tables)
        self.assertTrue(page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>"))

    def test_only_figures_with_data(self):
        out = os.path.join(TMP, "rep-ex3-only")
        self.assertEqual(report(FILES["ex3-small"], "--out", out, "-q").returncode, 0)
        have = sorted(os.listdir(os.path.join(out, "figures")))
        self.assertEqual(have, ["ex3_scatter.png", "training_curves.png", "weights.png"])


class FigureStyle(unittest.TestCase):
    """Every figure the report draws, checked as drawn (symsweep_analysis.style.check): one
    column (3.4 in) wide, no text below 8 pt, no text running over other text, no layout
    matplotlib gave up on, data drawn; PNG at 300 dpi, vector PDF and SVG on request."""

    def test_every_figure_fits_a_single_column(self):
        from unittest import mock
        sys.path.insert(0, os.path.join(SRC, "analysis"))
        from symsweep_analysis import figures, report as rep, style
        files = [FILES[k] for k in ("ex1-small", "ex3-small", "ex4-small", "ex5-small", "diverge", "partial")]
        for job in ("frontier", "hessian-lanczos", "ex2-centralizer", "discovery-curves", "teleport", "align"):
            h5 = os.path.join(TMP, "style-%s.h5" % job)
            r = run([SYMSWEEP, "run", os.path.join(SRC, "jobs", job + ".yaml"), "-o", h5, "-q"])
            self.assertEqual(r.returncode, 0, r.stderr)
            files.append(h5)
        r = run([SYMSWEEP, "align", os.path.join(TMP, "style-align.h5")])
        self.assertEqual(r.returncode, 0, r.stderr)
        h5 = os.path.join(TMP, "style-lgroup-small.h5")  # seed 003's figures (issue 26)
        r = run([SYMSWEEP, "run", os.path.join(SRC, "tests", "analysis", "lgroup-small.yaml"), "-o", h5, "-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        files.append(h5)
        h5 = os.path.join(TMP, "style-order-small.h5")  # seed 004's figures (issue 26)
        r = run([SYMSWEEP, "run", os.path.join(SRC, "tests", "analysis", "order-small.yaml"), "-o", h5, "-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        files.append(h5)
        problems, drawn, original = [], {}, figures.Context.save

        def save(ctx, fig, name):
            problems.extend("%s (%s): %s" % (name, os.path.basename(ctx.f.filename), p) for p in style.check(fig))
            drawn[name] = original(ctx, fig, name)
            return drawn[name]
        with mock.patch.object(figures.Context, "save", save):
            for h5 in files:
                out = os.path.join(TMP, "style-rep-" + os.path.basename(h5))
                self.assertEqual(rep.main([h5, "--out", out, "-q", "--pdf", "--svg"]), 0, h5)
        self.assertEqual(problems, [])
        # every figure of the registry was drawn at least once
        self.assertEqual(sorted(drawn), sorted([
            "align", "align_barriers", "conserved_drift", "discovery_curves", "discovery_spectrum", "ex1_reparam",
            "ex2_centralizer_dimension", "ex2_commutation", "ex3_scatter", "ex4_lp_balls",
            "ex4_vertex_hits", "ex5_gradient_decomposition", "ex5_landscape", "ex5_orbit_directions",
            "ex5_orbit_vs_perp", "feature_orbit_histograms", "functional_dimension", "functional_spectrum",
            "hessian_spectrum", "learned_group_A", "learned_group_structure", "learning_order",
            "hessian_zeros_vs_orbit", "lanczos_bottom", "lanczos_density", "stabilizer_dimensions",
            "tangent_slice", "teleport_gain", "training_curves", "weights"]))
        for name, paths in drawn.items():
            png, pdf, svg = paths
            w, h = png_size(png)
            # 300 dpi at one column: about 1020 pixels wide (bbox "tight" trims the margins)
            self.assertTrue(850 <= w <= (style.COLUMN + 0.15) * style.DPI, "%s: %d px wide" % (png, w))
            with open(pdf, "rb") as fh:
                self.assertEqual(fh.read(5), b"%PDF-")
            with open(svg) as fh:
                self.assertIn("<svg", fh.read(2000))
        # a one-epoch training (ex2's probes need no training) draws no training curve
        self.assertFalse(os.path.exists(os.path.join(TMP, "style-rep-style-ex2-centralizer.h5",
                                                     "figures", "training_curves.png")))
        self.assertTrue(os.path.exists(os.path.join(TMP, "style-rep-style-ex2-centralizer.h5",
                                                    "figures", "ex2_commutation.png")))


class Statistics(unittest.TestCase):
    """The report's numbers against numpy/scipy on the raw datasets (read
    with h5py here, not through the module under test)."""

    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(TMP, "rep-stats")
        r = report(FILES["ex3-small"], "--out", cls.out, "--by", "regularizer.kind", "--no-figures", "-q")
        assert r.returncode == 0, r.stderr
        import pandas as pd
        cls.table = pd.read_csv(os.path.join(cls.out, "stats", "structure.csv"))
        cls.claims = pd.read_csv(os.path.join(cls.out, "claims.csv"))
        with h5py.File(FILES["ex3-small"], "r") as f:
            cls.kind = np.array([v.decode() for v in f["grid/regularizer.kind"][:]])
            cls.status = f["runs/status"][:]
            cls.raw = {k: f["runs/metrics"][k][:] for k in f["runs/metrics"]}

    def values(self, kind, metric):
        x = self.raw[metric][(self.kind == kind) & (self.status == 1)]
        return x[np.isfinite(x)]

    def test_summary_matches_numpy(self):
        checked = 0
        for _, row in self.table.iterrows():
            x = self.values(row["regularizer.kind"], row["metric"])
            n = len(x)
            self.assertEqual(row["n"], n)
            m, s = x.mean(), x.std(ddof=1)
            h = sps.t.ppf(0.975, n - 1) * s / np.sqrt(n)
            np.testing.assert_allclose([row["mean"], row["std"], row["median"], row["ci_low"], row["ci_high"]],
                                       [m, s, np.median(x), m - h, m + h], rtol=1e-12, atol=1e-300)
            checked += 1
        self.assertEqual(checked, 3 * 5)  # 3 regularizers x 5 structure metrics

    def test_welch_and_effect_size_match_numpy(self):
        row = self.claims[self.claims["claim"] == "ex3.l1_sparsity"].iloc[0]
        a, b = self.values("l1", "sparsity_encoder"), self.values("frobenius", "sparsity_encoder")
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        t = (a.mean() - b.mean()) / np.sqrt(va + vb)
        dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
        p = 2 * sps.t.sf(abs(t), dof)
        sp = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
        g = (1 - 3 / (4 * (len(a) + len(b)) - 9)) * (a.mean() - b.mean()) / sp
        np.testing.assert_allclose([row["p_t"], row["effect_size"], row["diff"]], [p, g, a.mean() - b.mean()],
                                   rtol=1e-9)
        self.assertTrue(row["holds"])
        # the article's claim comes out on these 12 seeds: l1 sparser than L2
        self.assertGreater(a.mean(), b.mean() + 0.3)

    def test_bootstrap_ci_is_reproducible_and_near_t(self):
        outs = []
        for k in range(2):
            out = os.path.join(TMP, "rep-boot%d" % k)
            r = report(FILES["ex3-small"], "--out", out, "--by", "regularizer.kind", "--ci", "bootstrap",
                       "--seed", "7", "--no-figures", "-q")
            self.assertEqual(r.returncode, 0, r.stderr)
            outs.append(read(os.path.join(out, "stats", "structure.csv")))
        self.assertEqual(outs[0], outs[1])
        import pandas as pd
        bt = pd.read_csv(os.path.join(TMP, "rep-boot0", "stats", "structure.csv"))
        for (_, rb), (_, rt) in zip(bt.iterrows(), self.table.iterrows()):
            if rt["std"] == 0:
                continue
            self.assertLessEqual(rb["ci_low"], rb["mean"])
            self.assertGreaterEqual(rb["ci_high"], rb["mean"])
            wt, wb = rt["ci_high"] - rt["ci_low"], rb["ci_high"] - rb["ci_low"]
            self.assertLess(abs(wb - wt) / wt, 0.5, "%s %s: bootstrap width %g, t width %g"
                            % (rt["regularizer.kind"], rt["metric"], wb, wt))

    def test_load_gives_grid_axes_as_columns(self):
        sys.path.insert(0, os.path.join(SRC, "analysis"))
        from symsweep_analysis import load
        df = load(FILES["ex3-small"])
        self.assertEqual(len(df), 36)
        for c in ("seed", "config", "regularizer", "regularizer.kind", "regularizer.lambda", "status",
                  "sparsity_encoder", "final_loss"):
            self.assertIn(c, df.columns)
        self.assertEqual(list(df["regularizer.kind"].unique()), ["none", "frobenius", "l1"])
        np.testing.assert_array_equal(df["sparsity_encoder"].to_numpy(), self.raw["sparsity_encoder"])

    def test_streaming_in_small_chunks_gives_the_same_numbers(self):
        # chunks of 5 runs split groups across chunk boundaries; means and CIs
        # of the curves (streamed) must equal a one-shot numpy computation
        sys.path.insert(0, os.path.join(SRC, "analysis"))
        from symsweep_analysis import data, groups, stats
        with data.open_output(FILES["ex3-small"]) as f:
            df = data.load(f)
            codes, labels = groups.group_labels(df, ["regularizer.kind"])
            keep = (df["status"] == "done").to_numpy()
            n, mean, std, half = stats.group_moments(f, "runs/curves/loss", codes, len(labels), keep,
                                                     chunk_rows=5)
            raw = f["runs/curves/loss"][...]
        for g in range(len(labels)):
            x = raw[(codes == g) & keep]
            np.testing.assert_allclose(mean[g], x.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(std[g], x.std(axis=0, ddof=1), rtol=1e-9)
            np.testing.assert_allclose(half[g], sps.t.ppf(0.975, len(x) - 1) * x.std(axis=0, ddof=1)
                                       / np.sqrt(len(x)), rtol=1e-9)


class Xarray(unittest.TestCase):
    """to_xarray: named dimensions and coordinates (no phony_dim_*), the same numbers as
    h5py and the same group means as the pandas table (Debian's python3-xarray)."""

    def test_named_dimensions_and_coordinates(self):
        try:
            import xarray  # noqa: F401
        except ImportError:
            self.skipTest("python3-xarray is not installed (scripts/setup.sh installs it)")
        sys.path.insert(0, os.path.join(SRC, "analysis"))
        from symsweep_analysis import load, to_xarray
        path = FILES["ex3-small"]
        ds = to_xarray(path)
        curves = to_xarray(path, "runs/curves")
        every = to_xarray(path, "runs")
        for d in (ds, curves, every):
            self.assertFalse([k for k in d.dims if k.startswith("phony_dim")], d.dims)
        self.assertEqual(curves["loss"].dims, ("run", "epoch"))
        with h5py.File(path, "r") as f:
            np.testing.assert_array_equal(curves.coords["epoch"].values, f["runs/curves/epoch"][:])
            np.testing.assert_array_equal(curves["loss"].values, f["runs/curves/loss"][:])
            np.testing.assert_array_equal(ds["final_loss"].values, f["runs/metrics/final_loss"][:])
            self.assertEqual(ds["final_loss"].attrs["long_name"], "final loss")
            self.assertEqual(ds["final_loss"].attrs["units"], "1")
            self.assertEqual(ds["final_loss"].attrs["description"],
                             f["runs/metrics/final_loss"].attrs["description"])
        weights = [v for v in every.data_vars if v.startswith("weights/")]
        self.assertTrue(weights)
        self.assertTrue(all(every[v].dims[0] == "run" for v in weights))
        # the sweep axis is a coordinate along run: groupby gives the pandas table's means
        got = ds["final_loss"].where(ds["status"] == "done").groupby("regularizer.kind").mean()
        df = load(path)
        want = df[df.status == "done"].groupby("regularizer.kind")["final_loss"].mean()
        for k in want.index:
            self.assertAlmostEqual(float(got.sel({"regularizer.kind": k})), want[k], places=12)
        self.assertEqual(sorted(ds.coords["regularizer.kind"].values.tolist()),
                         sorted(df["regularizer.kind"].tolist()))


    def test_xarray_reads_the_file_itself(self):
        """xarray's own netCDF reader (h5netcdf) on a symsweep file: the run dimension from the
        /run scale, CF attributes, an int64 count masked by its _FillValue, the epoch scale."""
        try:
            import xarray
            import h5netcdf  # noqa: F401
        except ImportError:
            self.skipTest("python3-xarray or python3-h5netcdf is not installed (scripts/setup.sh installs both)")
        path = FILES["ex3-small"]
        with xarray.open_dataset(path, engine="h5netcdf", group="runs/metrics") as m, \
                xarray.open_dataset(path, engine="h5netcdf", group="runs/curves") as c, \
                xarray.open_dataset(path, engine="h5netcdf", group="runs") as r, \
                xarray.open_dataset(path, engine="h5netcdf", group="grid") as g, \
                h5py.File(path, "r") as f:
            for d in (m, c, r, g):
                self.assertFalse([k for k in d.dims if k.startswith("phony_dim")], d.dims)
            n = f["runs/status"].shape[0]
            self.assertEqual(dict(m.dims), {"run": n})
            self.assertEqual(m["final_loss"].attrs["long_name"], "final loss")
            self.assertEqual(m["final_loss"].attrs["units"], "1")
            np.testing.assert_array_equal(m["final_loss"].values, f["runs/metrics/final_loss"][:])
            self.assertEqual(c["loss"].dims, ("run", "epoch"))
            np.testing.assert_array_equal(c["epoch"].values, f["runs/curves/epoch"][:])
            self.assertEqual(r["epochs_done"].encoding["dtype"], np.int64)
            np.testing.assert_array_equal(r["epochs_done"].values, f["runs/epochs_done"][:])
            self.assertEqual(r["status"].attrs["flag_meanings"], "pending done diverged failed")
            self.assertEqual(g["seed"].dtype, np.int64)
        # a pending run's integer reads as missing, not as -1
        part = FILES["partial"]
        with xarray.open_dataset(part, engine="h5netcdf", group="runs") as r, h5py.File(part, "r") as f:
            pending = f["runs/status"][:] == 0
            self.assertTrue(pending.any())
            self.assertTrue(np.isnan(r["epochs_done"].values[pending]).all())
            self.assertTrue((f["runs/epochs_done"][:][pending] == -1).all())


class Partial(unittest.TestCase):
    def test_pending_runs_are_skipped_and_counted(self):
        out = os.path.join(TMP, "rep-partial")
        r = report(FILES["partial"], "--out", out, "--by", "regularizer.kind")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Left out: 18 runs not done (18 pending)", r.stdout)
        import pandas as pd
        t = pd.read_csv(os.path.join(out, "stats", "structure.csv"))
        self.assertTrue((t["n"] == 6).all(), t["n"].tolist())  # 12 seeds, every other run pending
        self.assertTrue(os.path.exists(os.path.join(out, "figures", "ex3_scatter.png")))

    def test_diverged_and_failed_runs(self):
        h5 = os.path.join(TMP, "failed.h5")
        shutil.copy(FILES["diverge"], h5)
        with h5py.File(h5, "r+") as f:   # mark one finished run failed, as a crashed probe would
            st = f["runs/status"][:]
            self.assertEqual(st.tolist(), [1, 1, 1, 1, 2, 2, 2, 2])
            st[0] = 3
            f["runs/status"][:] = st
        out = os.path.join(TMP, "rep-failed")
        r = report(h5, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Left out: 5 runs not done (4 diverged, 1 failed)", r.stdout)
        import pandas as pd
        t = pd.read_csv(os.path.join(out, "stats", "training.csv"))
        self.assertEqual(t[t["metric"] == "final_loss"]["n"].tolist(), [3])  # only lr 0.01 has done runs

    def test_file_being_written_and_then_stopped(self):
        h5 = os.path.join(TMP, "live.h5")
        w = subprocess.Popen([SYMSWEEP, "run", os.path.join(SRC, "tests", "analysis", "live.yaml"), "-o", h5,
                              "-q", "--checkpoint-every", "1", "--grace", "0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(300):  # until the first checkpoint has written some runs
                time.sleep(0.1)
                try:  # the writer may still be creating the file
                    with h5py.File(h5, "r", locking=False) as f:
                        if (f["runs/status"][:] == 1).any():
                            break
                except (OSError, KeyError):
                    continue
            self.assertIsNone(w.poll(), "the sweep ended before it could be read")
            r = report(h5, "--out", os.path.join(TMP, "rep-live"), "--by", "regularizer.kind")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"Left out: \d+ runs not done \(\d+ pending\)")
        finally:
            w.terminate()
            _, err = w.communicate(timeout=60)
        self.assertEqual(w.returncode, 75, err)  # stopped after a checkpoint
        r = report(h5, "--out", os.path.join(TMP, "rep-stopped"), "--by", "regularizer.kind")
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(h5, "r") as f:
            done = int((f["runs/status"][:] == 1).sum())
        self.assertGreater(done, 0)
        self.assertLess(done, 2000)
        self.assertIn("Left out: %d runs not done (%d pending)" % (2000 - done, 2000 - done), r.stdout)

    def test_no_done_run(self):
        h5 = os.path.join(TMP, "nothing.h5")
        shutil.copy(FILES["diverge"], h5)
        with h5py.File(h5, "r+") as f:
            f["runs/status"][:] = np.zeros(8, np.int8)
        r = report(h5, "--out", os.path.join(TMP, "rep-nothing"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no done runs yet (8 pending)", r.stdout)


class Malformed(unittest.TestCase):
    def check(self, path, *expect, args=()):
        r = report(path, "--out", os.path.join(TMP, "rep-bad"), *args)
        self.assertEqual(r.returncode, 2, "%s: %s %s" % (path, r.stdout, r.stderr))
        self.assertNotIn("Traceback", r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for e in expect:
            self.assertIn(e, lines[0])

    def test_missing_file(self):
        self.check(os.path.join(TMP, "nope.h5"), "nope.h5: no such file")

    def test_text_file(self):
        p = os.path.join(TMP, "text.h5")
        with open(p, "w") as fh:
            fh.write("name: not hdf5\n")
        self.check(p, "text.h5: not a readable HDF5 file")

    def test_empty_file(self):
        p = os.path.join(TMP, "empty.h5")
        open(p, "w").close()
        self.check(p, "empty.h5: not a readable HDF5 file")

    def test_truncated_file(self):
        p = os.path.join(TMP, "truncated.h5")
        with open(FILES["ex3-small"], "rb") as fh:
            blob = fh.read()
        with open(p, "wb") as fh:
            fh.write(blob[:len(blob) // 3])
        self.check(p, "truncated.h5:")

    def test_foreign_hdf5(self):
        p = os.path.join(TMP, "foreign.h5")
        with h5py.File(p, "w") as f:
            f["x"] = np.arange(3)
        self.check(p, "foreign.h5: not a symsweep output file (no format_version attribute)")

    def test_wrong_version(self):
        p = os.path.join(TMP, "v2.h5")
        shutil.copy(FILES["ex3-small"], p)
        with h5py.File(p, "r+") as f:
            f.attrs["format_version"] = 2
        self.check(p, "v2.h5: format_version is 2, this analysis reads version 1")

    def test_rows_do_not_match(self):
        p = os.path.join(TMP, "rows.h5")
        shutil.copy(FILES["ex3-small"], p)
        with h5py.File(p, "r+") as f:
            del f["runs/metrics/final_loss"]
            f["runs/metrics/final_loss"] = np.zeros(5)
        self.check(p, "rows.h5: /runs/metrics/final_loss has (5,) rows, expected n_runs = 36")

    def test_bad_options(self):
        self.check(FILES["ex3-small"], "--by lr: not a /grid column", args=("--by", "lr"))
        self.check(FILES["ex3-small"], "--run 99: the file has runs 0..35", args=("--run", "99"))
        self.check(FILES["partial"], "--run 1: that run is pending", args=("--run", "1"))
        self.check(FILES["ex3-small"], "expected METRIC:COLUMN=A,B", args=("--compare", "sparsity"))
        self.check(FILES["ex3-small"], "no column nope", args=("--compare", "nope:regularizer.kind=l1,none"))


if __name__ == "__main__":
    SYMSWEEP, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[3:])
