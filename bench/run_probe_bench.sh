#!/usr/bin/env bash
# Probes at the speed of training (issue 17, goal 5) on the article's Ex5 network: symsweep
# (bench_probe_speed: the gradient_decomposition probe's step, the orbit_loss landscape) against
# NumPy (ex5_numpy.py: the seed's decomposition by lstsq on the tangent basis; the landscape with
# scipy's expm once per row, the row's points batched or looped), as interleaved pairs (PAIRS of
# them, default 5), CPU time of each process, medians and ranges, each side's BLAS kernels.
#   bench/run_probe_bench.sh [BUILD_DIR] [PAIRS]
set -euo pipefail
build=${1:-build}
pairs=${2:-5}
here=$(dirname "$0")
[ -x "$build/bench/bench_probe_speed" ] ||
  { echo "bench: $build/bench/bench_probe_speed is missing: configure with -DSYM_BUILD_BENCH=ON" >&2; exit 2; }
/usr/bin/python3 -c "import scipy" 2> /dev/null ||
  { echo "bench: python3-scipy is missing: run scripts/setup.sh" >&2; exit 2; }
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
ga=() la=() gb=() lb=() lc=()
for k in $(seq "$pairs"); do
  ours=$("$build/bench/bench_probe_speed" 3)
  ref=$(/usr/bin/python3 "$here/ex5_numpy.py" 3)
  ga+=("$(get "$ours" gd_steps_per_second)"); la+=("$(get "$ours" landscape_points_per_second)")
  gb+=("$(get "$ref" gd_steps_per_second)"); lb+=("$(get "$ref" landscape_points_per_second)")
  lc+=("$(get "$ref" landscape_loop_points_per_second)")
done
blas=$("$build/symsweep" --version --verbose | grep '^BLAS' | sed 's/.*; core/core/')
core=$(/usr/bin/python3 "$here/blas_core.py" numpy)
/usr/bin/python3 - "${ga[*]}" "${gb[*]}" "${la[*]}" "${lb[*]}" "${lc[*]}" "$blas" "$core" <<'PY'
import sys
import numpy as np
ga, gb, la, lb, lc = (np.array([float(x) for x in s.split()]) for s in sys.argv[1:6])
blas, core = sys.argv[6:8]
med = lambda x: float(np.median(x))
kern = "symsweep %s; NumPy OpenBLAS core %s" % (blas, core)
rows = (("Ex5 gradient decomposition per training step vs the seed's NumPy (lstsq on the tangent basis)",
         ga, gb, "steps/s", 100),
        ("Ex5 (t, s) landscape per point vs NumPy, expm once per row, a row's points batched",
         la, lb, "points/s", 10),
        ("Ex5 (t, s) landscape per point vs NumPy, expm once per row, a loop over the points",
         la, lc, "points/s", 10))
print("# Ex5 network 4-6-6-3 linear, 200 samples; %d interleaved pairs, CPU time" % len(ga))
for what, a, b, unit, goal in rows:
    r = a / b
    print("# %s: %.0f vs %.0f %s, %.1fx (range %.1f - %.1f), target >= %dx: %s"
          % (what, med(a), med(b), unit, med(r), r.min(), r.max(), goal, "MET" if med(r) >= goal else "NOT MET"))
    print("row|%s|%.0f %s|%.0f %s|%.1f|%.1f|%.1f|-|>= %dx|%s"
          % (what, med(a), unit, med(b), unit, med(r), r.min(), r.max(), goal, kern))
PY
