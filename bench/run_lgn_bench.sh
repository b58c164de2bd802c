#!/usr/bin/env bash
# The learned-group layer's training (issue 27, seed 003): the paper's unfolded ISTA sparse
# autoencoder whose dictionary is K = 5 groups of p = 4 filters b, A b, A^2 b, A^3 b on 6 x 6
# patches of Fashion-MNIST (4,096 of them), the invertibility penalty mu ||A Ã - I||^2 and the
# closure penalty ||A^4 - I||^2, mse, Adam, clipping at norm 2, minibatches of 128, float64, one
# thread: symsweep (bench_lgn_throughput) against PyTorch written as the paper's public code
# writes it (lgn_torch.py), as interleaved pairs (PAIRS of them, default 5), CPU time of each
# process's steps; symsweep's flop rate as a share of one core's DGEMM rate.  Both train the
# same model from the same start on the same patches: lgn_torch.py --check first compares the
# gradient and 5 full-batch objectives with symsweep's (relative 1e-10) and the bench stops if
# they differ.  Target: >= 3x.  Needs dataset-fashion-mnist and python3-torch.
#   bench/run_lgn_bench.sh [BUILD_DIR] [PAIRS] [STEPS]
set -euo pipefail
build=${1:-build}
pairs=${2:-5}
steps=${3:-640}
here=$(dirname "$0")
/usr/bin/python3 -c "import torch" 2> /dev/null ||
  { echo "bench: python3-torch is missing: run scripts/setup.sh --bench" >&2; exit 2; }
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
  { echo "bench: dataset-fashion-mnist is missing: run scripts/setup.sh" >&2; exit 2; }
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
blas=$("$build/symsweep" --version --verbose | grep '^BLAS' | sed 's/.*; core/core/')
core=$(/usr/bin/python3 "$here/blas_core.py" torch)
"$build/bench/bench_lgn_throughput" 32 1 --dump "$dump" > /dev/null
check=$(/usr/bin/python3 "$here/lgn_torch.py" "$dump" --check) ||
  { echo "$check" >&2; echo "bench: PyTorch's model is not symsweep's (above)" >&2; exit 1; }
a=() b=() fr=()
for _ in $(seq "$pairs"); do
  ours=$("$build/bench/bench_lgn_throughput" "$steps" 1)
  ref=$(/usr/bin/python3 "$here/lgn_torch.py" "$dump" "$steps")
  a+=("$(get "$ours" steps_per_second)"); fr+=("$(get "$ours" fraction_of_dgemm)")
  b+=("$(get "$ref" steps_per_second)")
done
/usr/bin/python3 - "${a[*]}" "${b[*]}" "${fr[*]}" "$steps" "$blas" "$core" "$(get "$check" check_max_relative_difference)" <<'PY'
import sys
import numpy as np
a, b, fr = (np.array([float(x) for x in s.split()]) for s in sys.argv[1:4])
steps, blas, core, diff = sys.argv[4:8]
med = lambda x: float(np.median(x))
r = a / b
print("# learned-group ISTA autoencoder (K 5 x p 4 filters on 6 x 6 patches, pair + closure penalties), "
      "minibatch 128, Adam, float64, 1 thread, %s steps, %d interleaved pairs (models agree to %s): "
      "symsweep %.1f steps/s (%.1f - %.1f), PyTorch as the paper's code %.1f (%.1f - %.1f), %.2fx, "
      "%.0f%% of DGEMM: target >= 3x %s"
      % (steps, len(a), diff, med(a), a.min(), a.max(), med(b), b.min(), b.max(), med(r), 100 * med(fr),
         "MET" if med(r) >= 3 else "NOT MET"))
print("row|learned-group layer (seed 003): ISTA autoencoder, 5 groups x 4 filters 6x6, pair + closure, "
      "minibatch 128, Adam vs PyTorch as the paper's code|%.1f steps/s|%.1f steps/s|%.2f|%.2f|%.2f|%.0f%%|"
      ">= 3x|symsweep %s; torch OpenBLAS core %s"
      % (med(a), med(b), med(r), r.min(), r.max(), 100 * med(fr), blas, core))
PY
