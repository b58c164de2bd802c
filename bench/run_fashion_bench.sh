#!/usr/bin/env bash
# Classification on Fashion-MNIST (issue 25): a ReLU MLP 784-256-256-10, cross-entropy,
# minibatches of 128, Adam, float64, one thread: symsweep (bench_fashion_throughput) against
# PyTorch's plain loop (fashion_torch.py, the same workload), as interleaved pairs (PAIRS of
# them, default 5), CPU time of each process's steps; symsweep's flop rate as a share of one
# core's DGEMM rate.  Target: >= 1.5x.  Needs dataset-fashion-mnist and python3-torch.
#   bench/run_fashion_bench.sh [BUILD_DIR] [PAIRS] [STEPS]
set -euo pipefail
build=${1:-build}
pairs=${2:-5}
steps=${3:-300}
here=$(dirname "$0")
/usr/bin/python3 -c "import torch" 2> /dev/null ||
  { echo "bench: python3-torch is missing: run scripts/setup.sh --bench" >&2; exit 2; }
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
  { echo "bench: dataset-fashion-mnist is missing: run scripts/setup.sh" >&2; exit 2; }
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
blas=$("$build/symsweep" --version --verbose | grep '^BLAS' | sed 's/.*; core/core/')
core=$(/usr/bin/python3 "$here/blas_core.py" torch)
a=() b=() fr=()
for k in $(seq "$pairs"); do
  ours=$("$build/bench/bench_fashion_throughput" "$steps" 1)
  ref=$(/usr/bin/python3 "$here/fashion_torch.py" "$steps")
  a+=("$(get "$ours" steps_per_second)"); fr+=("$(get "$ours" fraction_of_dgemm)")
  b+=("$(get "$ref" steps_per_second)")
done
/usr/bin/python3 - "${a[*]}" "${b[*]}" "${fr[*]}" "$steps" "$blas" "$core" <<'PY'
import sys
import numpy as np
a, b, fr = (np.array([float(x) for x in s.split()]) for s in sys.argv[1:4])
steps, blas, core = sys.argv[4:7]
med = lambda x: float(np.median(x))
r = a / b
print("# Fashion-MNIST MLP 784-256-256-10, cross-entropy, minibatch 128, Adam, float64, 1 thread, "
      "%s steps, %d interleaved pairs: symsweep %.1f steps/s (%.1f - %.1f), PyTorch loop %.1f "
      "(%.1f - %.1f), %.2fx, %.0f%% of DGEMM: target >= 1.5x %s"
      % (steps, len(a), med(a), a.min(), a.max(), med(b), b.min(), b.max(), med(r), 100 * med(fr),
         "MET" if med(r) >= 1.5 else "NOT MET"))
print("row|Fashion-MNIST MLP 784-256-256-10, cross-entropy, minibatch 128, Adam vs PyTorch loop|"
      "%.1f steps/s|%.1f steps/s|%.2f|%.2f|%.2f|%.0f%%|>= 1.5x|symsweep %s; torch OpenBLAS core %s"
      % (med(a), med(b), med(r), r.min(), r.max(), 100 * med(fr), blas, core))
PY
