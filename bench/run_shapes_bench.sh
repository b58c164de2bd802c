#!/usr/bin/env bash
# Training at larger data and shapes (issue 17, goal 4): linear autoencoders D -> K -> D, Adam
# lr 0.005, full batch, float64, one thread, symsweep against PyTorch's plain loop
# (torch_baseline.py, the same workload), as interleaved pairs (PAIRS of them, default 5), CPU
# time of each process: 8-3-8 at 50,000 samples (target >= 30x the loop), 64-64-64 and
# 256-64-256 at 500 (target >= 60% of one core's DGEMM rate, measured in symsweep's process), and
# (issue 27) a tanh autoencoder 8-16-8 at 50,000 samples, which the second-moment path does not
# apply to (target >= 30x the loop).
#   bench/run_shapes_bench.sh [BUILD_DIR] [PAIRS]
set -euo pipefail
build=${1:-build}
pairs=${2:-5}
here=$(dirname "$0")
/usr/bin/python3 -c "import torch" 2> /dev/null ||
  { echo "bench: python3-torch is missing: run scripts/setup.sh --bench" >&2; exit 2; }
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
blas=$("$build/symsweep" --version --verbose | grep '^BLAS' | sed 's/.*; core/core/')
core=$(/usr/bin/python3 "$here/blas_core.py" torch)
# shape samples epochs target(ratio|dgemm) activation
while read -r shape n epochs goal act; do
  act=${act:-linear}
  a=() b=() fr=()
  for k in $(seq "$pairs"); do
    ours=$("$build/bench/bench_train_throughput" "$epochs" 1 "$shape" "$n" off "$act")
    ref=$(/usr/bin/python3 "$here/torch_baseline.py" "$epochs" 1 "$shape" "$n" "$act")
    a+=("$(get "$ours" steps_per_second)"); fr+=("$(get "$ours" fraction_of_dgemm)")
    b+=("$(get "$ref" steps_per_second)")
  done
  /usr/bin/python3 - "${a[*]}" "${b[*]}" "${fr[*]}" "$shape" "$n" "$epochs" "$goal" "$blas" "$core" "$act" <<'PY'
import sys
import numpy as np
a, b, fr = (np.array([float(x) for x in s.split()]) for s in sys.argv[1:4])
shape, n, epochs, goal, blas, core, act = sys.argv[4:11]
if act != "linear":
    shape = "%s %s" % (act, shape)
med = lambda x: float(np.median(x))
r = a / b
kind, val = goal.split(":")
met = med(r) >= float(val) if kind == "ratio" else 100 * med(fr) >= float(val)
print("# %s, %s samples, %s epochs, %d interleaved pairs: symsweep %.0f steps/s (%.0f - %.0f), "
      "PyTorch loop %.0f (%.0f - %.0f), %.1fx, %.0f%% of DGEMM: target %s %s" % (
          shape, n, epochs, len(a), med(a), a.min(), a.max(), med(b), b.min(), b.max(), med(r),
          100 * med(fr), ">= %sx" % val if kind == "ratio" else ">= %s%% of DGEMM" % val,
          "MET" if met else "NOT MET"))
print("row|training %s, %s samples vs PyTorch, one model in a loop|%.0f steps/s|%.0f steps/s|%.1f|%.1f|%.1f|%.0f%%|%s|symsweep %s; torch OpenBLAS core %s"
      % (shape, "{:,}".format(int(n)), med(a), med(b), med(r), r.min(), r.max(), 100 * med(fr),
         ">= %sx" % val if kind == "ratio" else ">= %s%% of DGEMM" % val, blas, core))
PY
done <<'JOBS'
8-3-8 50000 40 ratio:30 linear
8-16-8 50000 40 ratio:30 tanh
64-64-64 500 200 dgemm:60 linear
256-64-256 500 60 dgemm:60 linear
JOBS
