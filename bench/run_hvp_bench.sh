#!/usr/bin/env bash
# Hessian-vector products at P ~ 1e5 (issue 27): 100 Lanczos steps with full reorthogonalization
# on the Hessian of a ReLU MLP 64-256-256-80 with biases (P = 102,992, bench/jobs/lanczos-100k.yaml's
# net) on 1,000 samples, float64, one thread: symsweep's exact products (bench_hvp_lanczos)
# against PyTorch's double backward in the same loop (lanczos_torch.py), as interleaved pairs
# (PAIRS of them, default 5), CPU time of each process's loop; the products' flop rate as a share
# of one core's DGEMM rate.  Target: >= 3x.  Needs python3-torch.
#   bench/run_hvp_bench.sh [BUILD_DIR] [PAIRS] [STEPS]
set -euo pipefail
build=${1:-build}
pairs=${2:-5}
steps=${3:-100}
here=$(dirname "$0")
/usr/bin/python3 -c "import torch" 2> /dev/null ||
  { echo "bench: python3-torch is missing: run scripts/setup.sh --bench" >&2; exit 2; }
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
blas=$("$build/symsweep" --version --verbose | grep '^BLAS' | sed 's/.*; core/core/')
core=$(/usr/bin/python3 "$here/blas_core.py" torch)
a=() b=() fr=() pa=() pb=()
for k in $(seq "$pairs"); do
  ours=$("$build/bench/bench_hvp_lanczos" "$steps")
  ref=$(/usr/bin/python3 "$here/lanczos_torch.py" "$steps")
  a+=("$(get "$ours" cpu_s)"); fr+=("$(get "$ours" fraction_of_dgemm)"); pa+=("$(get "$ours" ms_per_product)")
  b+=("$(get "$ref" cpu_s)"); pb+=("$(get "$ref" ms_per_product)")
done
/usr/bin/python3 - "${a[*]}" "${b[*]}" "${fr[*]}" "${pa[*]}" "${pb[*]}" "$steps" "$blas" "$core" <<'PY'
import sys
import numpy as np
a, b, fr, pa, pb = (np.array([float(x) for x in s.split()]) for s in sys.argv[1:6])
steps, blas, core = sys.argv[6:9]
med = lambda x: float(np.median(x))
r = b / a  # CPU seconds: the reference's over ours
print("# Lanczos on the Hessian, ReLU MLP 64-256-256-80, P = 102,992, 1,000 samples, %s steps, "
      "float64, 1 thread, %d interleaved pairs: symsweep %.2f s (%.2f - %.2f; %.1f ms a product), "
      "PyTorch double backward %.2f s (%.2f - %.2f; %.1f ms a product), %.2fx, products at %.0f%% of "
      "DGEMM: target >= 3x %s"
      % (steps, len(a), med(a), a.min(), a.max(), med(pa), med(b), b.min(), b.max(), med(pb), med(r),
         100 * med(fr), "MET" if med(r) >= 3 else "NOT MET"))
print("row|Hessian-vector products, Lanczos %s steps at P = 102,992 vs PyTorch double backward|"
      "%.2f s|%.2f s|%.2f|%.2f|%.2f|%.0f%%|>= 3x|symsweep %s; torch OpenBLAS core %s"
      % (steps, med(a), med(b), med(r), r.min(), r.max(), 100 * med(fr), blas, core))
PY
