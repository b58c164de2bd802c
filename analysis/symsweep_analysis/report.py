"""Figures and multi-seed statistics from a symsweep output file.

usage: symsweep-report OUT.h5 [--out DIR] [options]
       (from a checkout: analysis/report.py OUT.h5 ...)

Writes into DIR (default: report-<job name>):
  report.md               everything below, with the figures inline
  report.html             the same as one self-contained page (figures embedded)
  figures/*.png           one per article figure the file has data for: one column
                          (3.4 in) wide, text >= 8 pt, 300 dpi (--pdf, --svg: vector too)
  stats/<probe>.md, .csv  per probe and group: n, mean, std, median, 95% CI
  claims.md, claims.csv   the article's between-group claims, tested
Runs that are pending, diverged or failed are left out and counted.
"""
import argparse
import os
import sys

try:
    import matplotlib
    from . import claims as claims_mod
    from . import data, figures, groups, probes, stats, style
    from .probes import canonical
except ImportError as e:  # pragma: no cover
    sys.exit("report: needs python3-h5py, python3-numpy, python3-scipy, python3-pandas and "
             "python3-matplotlib (scripts/setup.sh installs them): %s" % e)

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="symsweep-report", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("file", metavar="OUT.h5", help="a symsweep output file (also partial or still being written)")
    ap.add_argument("--out", metavar="DIR", help="output directory (default: report-<job name>)")
    ap.add_argument("--by", metavar="COL,COL", help="group by these /grid columns "
                    "(default: the sweep axes; 'none' pools all runs)")
    ap.add_argument("--ci", choices=("t", "bootstrap"), default="t",
                    help="95%% CI of the mean in the tables: Student t (default) or percentile bootstrap")
    ap.add_argument("--bootstrap", type=int, default=2000, metavar="N", help="bootstrap resamples (2000)")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap random seed (0)")
    ap.add_argument("--run", type=int, action="append", metavar="I",
                    help="run(s) for the per-run panels (weights, landscape); default: the first done "
                    "run of each group")
    ap.add_argument("--compare", action="append", metavar="METRIC:COL=A,B", default=[],
                    help="also test METRIC between runs with COL = A and COL = B")
    ap.add_argument("--pdf", action="store_true", help="write every figure as vector PDF too")
    ap.add_argument("--svg", action="store_true", help="write every figure as SVG too (text as text)")
    ap.add_argument("--no-figures", action="store_true", help="tables only")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    a = ap.parse_args(argv)
    if a.bootstrap < 100:
        ap.error("--bootstrap %d: need at least 100 resamples" % a.bootstrap)
    return a


def fail(msg, code=2):
    print("report: %s" % msg, file=sys.stderr)
    return code


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    # the report only writes files: a non-interactive backend, chosen here and
    # not at import, so that importing the package leaves a user's backend alone
    matplotlib.use("Agg")
    try:
        f = data.open_output(a.file)
    except data.FormatError as e:
        return fail(str(e))
    with f:
        try:
            df = data.load(f)
        except data.FormatError as e:
            return fail(str(e))
        except Exception as e:  # a damaged dataset inside an otherwise valid file
            return fail("%s: cannot read the table of runs (%s)" % (a.file, data.one_line(e)))
        if a.by is None:
            by = df.attrs["axes"]
        elif a.by.strip() == "none":
            by = []
        else:
            by = [b.strip() for b in a.by.split(",") if b.strip()]
            allowed = set(data.grid_columns(f)) | {"config", "seed"}
            bad = [b for b in by if b not in allowed]
            if bad:
                return fail("--by %s: not a /grid column of %s (columns: %s)"
                            % (bad[0], a.file, ", ".join(data.grid_columns(f) + ["config"])))
        try:
            user = [claims_mod.parse_compare(s) for s in a.compare]
        except ValueError as e:
            return fail(str(e))
        for r in a.run or []:
            if not 0 <= r < len(df):
                return fail("--run %d: the file has runs 0..%d" % (r, len(df) - 1))
            if df["status"].iloc[r] != "done":
                return fail("--run %d: that run is %s; choose a done run" % (r, df["status"].iloc[r]))
        out = a.out or "report-%s" % (df.attrs["job_name"] or "symsweep")
        os.makedirs(out, exist_ok=True)
        return write_report(f, df, by, out, a, user)


def write_report(f, df, by, out, a, user):
    counts = data.status_counts(df)
    keep = (df["status"] == "done").to_numpy()
    skipped = len(df) - int(keep.sum())
    say = (lambda *x: None) if a.quiet else print
    md = ["# symsweep report: %s" % (df.attrs["job_name"] or a.file), "",
          "File `%s`: %d runs (%s). Grouped by: %s." % (
              a.file, len(df), ", ".join("%d %s" % (v, k) for k, v in counts.items() if v) or "none",
              ", ".join("`%s`" % b for b in by) or "nothing (all runs pooled)"), ""]
    if skipped:
        line = "Left out: %d run%s not done (%s)." % (skipped, "" if skipped == 1 else "s", ", ".join(
            "%d %s" % (counts[k], k) for k in ("pending", "diverged", "failed") if counts[k]))
        md += [line, ""]
        say(line)
    if not keep.any():
        md += ["No run is done yet: no statistics or figures.", ""]
        say("%s: no done runs yet (%s)" % (a.file, ", ".join("%d %s" % (v, k) for k, v in counts.items() if v)))
        _write_both(out, md, df)
        return 0

    # statistics, a table per probe
    os.makedirs(os.path.join(out, "stats"), exist_ok=True)
    md += ["## Statistics", "", "Over done runs; 95%% CI of the mean by %s." % (
        "Student t" if a.ci == "t" else "percentile bootstrap (%d resamples, seed %d)" % (a.bootstrap, a.seed)), ""]
    tables = probes.tables(data.metric_names(f))
    for probe, metrics in tables.items():
        t = stats.summarize(df, metrics, by, a.ci, a.bootstrap, a.seed, keep)
        base = os.path.join(out, "stats", probe)
        t.to_csv(base + ".csv", index=False)
        body = stats.to_markdown(t)
        _write(base + ".md", "# %s\n\n%s" % (probe, body))
        md += ["### %s" % probe, "", body]
    say("statistics: %s/stats/ (%s)" % (out, ", ".join(tables)))
    codes, labels = groups.group_labels(df, by)
    at = canonical.align_table(f, labels, codes)
    if at is not None:  # symsweep align's file beside this one
        at.to_csv(os.path.join(out, "stats", "align.csv"), index=False)
        body = stats.to_markdown(at)
        _write(os.path.join(out, "stats", "align.md"), "# align\n\n" + body)
        md += ["### Seeds compared modulo their symmetries (`%s`)" % os.path.basename(at.attrs["path"]), "",
               "Pairs of seeds per grid point on one orbit (aligned distance <= %g), with one function on "
               "different orbits, or different; loss barriers on the straight line between two runs, "
               "raw and after alignment." % at.attrs["tolerance"], "", body]
        say("alignment: %s/stats/align.md" % out)

    # claims
    table, notes = claims_mod.evaluate(df)
    if user:
        try:
            ut, _ = claims_mod.evaluate(df, user, strict=True)
        except ValueError as e:
            return fail(str(e))
        import pandas as pd
        table = pd.concat([table, ut], ignore_index=True) if len(table) else ut
    table.to_csv(os.path.join(out, "claims.csv"), index=False)
    cm = stats.to_markdown(table) if len(table) else "No claim applies to this file.\n"
    _write(os.path.join(out, "claims.md"), "# Claims\n\n" + cm)
    md += ["## Claims that compare groups", "",
           "p_t: Welch (groups) or paired t test; p_rank: Mann-Whitney U (groups) or Wilcoxon signed-rank "
           "(paired); effect size: Hedges' g (groups) or Cohen's d_z (paired), a minus b. `holds`: the "
           "difference has the claimed sign and both p < 0.05.", "", cm]
    say("claims: %s/claims.md (%d tested%s)" % (out, len(table), "" if not len(table) else
                                                 ", %d hold" % int((table["holds"] == True).sum())))  # noqa: E712

    # figures
    if not a.no_figures:
        ctx = figures.Context(f, df, by, os.path.join(out, "figures"),
                              ("png",) + ("pdf",) * a.pdf + ("svg",) * a.svg, a.run)
        md += ["## Figures", ""]
        wrote = []
        for fig in figures.all_figures():
            try:
                with style.context():  # one column wide, text >= 8 pt, PNG at 300 dpi
                    r = fig(ctx)
            except Exception as e:  # one figure's trouble must not lose the others
                r = "failed: %s" % data.one_line(e)
                print("report: figure %s %s" % (fig.__name__, r), file=sys.stderr)
            if isinstance(r, str):
                continue
            for p in r:
                if p.endswith(".png"):
                    md += ["![%s](%s)" % (fig.__name__, os.path.relpath(p, out)), ""]
            wrote += r
        for n in sorted(set(ctx.notes)):
            md += ["Note: " + n, ""]
        say("figures: %d file%s in %s/figures/" % (len(wrote), "" if len(wrote) == 1 else "s", out))
    _write_both(out, md, df)
    say("report: %s/report.md and report.html" % out)
    return 0


def _write_both(out, md, df):
    from .html import markdown_to_html
    text = "\n".join(md)
    _write(os.path.join(out, "report.md"), text)
    _write(os.path.join(out, "report.html"),
           markdown_to_html(text, out, "symsweep report: %s" % (df.attrs.get("job_name") or "")))


def _write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    sys.exit(main())
