#!/usr/bin/env python3
"""Memory and time of analysis/report.py on a file of 1,000,000 runs, measured
against baselines taken in the same invocation.

usage: bench/analysis_memory.py [BUILD_DIR] [RUNS] [WORK_DIR]

Makes the file with symsweep itself (a 4-4-4 linear MLP, 2 epochs, final
weights recorded, two learning rates x RUNS/2 seeds), then runs the report on
it and prints peak resident memory against (a) a Python process that only
imports the same libraries, (b) the bytes of the scalar table (one float64 per
column and run) and (c) the bytes of the recorded weights, which the report
must not load.  Target: report peak - import baseline < 3x the scalar table,
and well below the weights.
"""
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.dirname(here)
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(src, "build")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
work = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="symsweep-bench-")

JOB = """name: bench-analysis
seeds: {count: %d}
data: {kind: teacher_linear, input: 4, output: 4, samples: 8}
model: {kind: mlp, widths: [4, 4, 4], activation: linear}
train: {optimizer: gd, lr: 0.01, epochs: 2}
record: {loss_every: 1, weights: final}
sweep: {train.lr: [0.01, 0.02]}
"""


def measured(cmd):
    """(wall seconds, peak RSS in MiB) of a child process."""
    t = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    err = p.stderr.read().decode()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench: %s failed: %s" % (" ".join(cmd), err))
    return time.time() - t, ru.ru_maxrss / 1024.0


def main():
    import h5py
    job = os.path.join(work, "bench-analysis.yaml")
    h5 = os.path.join(work, "bench-analysis.h5")
    with open(job, "w") as fh:
        fh.write(JOB % (runs // 2))
    np_ = str(max(2, os.cpu_count() or 1) + 1)
    env_cmd = ["mpirun", "--oversubscribe", "-np", np_, os.path.join(build, "symsweep"), "run", job, "-o", h5,
               "--force", "-q"]
    t_make, _ = measured(env_cmd)
    with h5py.File(h5, "r") as f:
        n = f["runs/status"].shape[0]
        w_bytes = sum(d.size * 8 for d in f["runs/weights"].values())
        scalar_cols = 2 + len(f["grid"]) - 2 + 3 + len(f["runs/metrics"]) + 1  # seed, config, grid, rank..., status
        scalar_bytes = n * 8 * scalar_cols
    t_base, rss_base = measured([sys.executable, "-c",
                                 "import h5py, numpy, pandas, scipy.stats, matplotlib.pyplot"])
    t_rep, rss_rep = measured([sys.executable, os.path.join(src, "analysis", "report.py"), h5,
                               "--out", os.path.join(work, "report"), "-q"])
    mib = 1 << 20
    extra = rss_rep - rss_base
    print("file      : %d runs, %.0f MiB on disk, written by symsweep in %.1f s on %s ranks"
          % (n, os.path.getsize(h5) / mib, t_make, np_))
    print("data      : scalar table %.0f MiB (%d columns x %d runs x 8 B); weights %.0f MiB (not loaded)"
          % (scalar_bytes / mib, scalar_cols, n, w_bytes / mib))
    print("baseline  : python importing h5py/numpy/pandas/scipy/matplotlib: %.0f MiB, %.2f s" % (rss_base, t_base))
    print("report    : peak %.0f MiB, %.2f s (statistics, claims, figures)" % (rss_rep, t_rep))
    print("ratios    : (report - baseline) / scalar table = %.2f (target < 3); / weights = %.2f; "
          "/ file size = %.2f" % (extra / (scalar_bytes / mib), extra / (w_bytes / mib),
                                  extra / (os.path.getsize(h5) / mib)))
    print("target    : %s" % ("MET" if extra < 3 * scalar_bytes / mib else "NOT MET"))


if __name__ == "__main__":
    main()
