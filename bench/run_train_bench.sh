#!/usr/bin/env bash
# Training throughput on the Ex3 workload (linear autoencoder 8 -> 3 -> 8, 500 samples, Adam
# lr 0.005, full batch, float64, one thread): symsweep against PyTorch written the plain way
# (one model, a Python loop: torch_baseline.py) and the skilled way (64 models at once with
# torch.bmm: torch_batched.py), as interleaved A B C triples (PAIRS of them, default 5), CPU
# time of each process, medians and ranges, with symsweep's share of one core's DGEMM rate and
# the OpenBLAS core each side runs.  Targets (issue 17): >= 30x the loop, >= 25x batched.
# A fourth side trains by the data's second moments (train.moments: auto, issue 27): the same
# objective to rounding at O(width^2) per step; its row is against the batched reference.
#   bench/run_train_bench.sh [BUILD_DIR] [EPOCHS] [PAIRS]
set -euo pipefail
build=${1:-build}
epochs=${2:-2000}
pairs=${3:-5}
here=$(dirname "$0")
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "bench: python3-torch is missing: run scripts/setup.sh --bench" >&2
  exit 2
fi
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
a=() b=() c=() fr=() gf=() m=() pk=() fp=()
for k in $(seq "$pairs"); do
  ours=$("$build/bench/bench_train_throughput" "$epochs" 1)
  mom=$("$build/bench/bench_train_throughput" "$epochs" 1 8-3-8 500 auto)
  m+=("$(get "$mom" steps_per_second)")
  loop=$(/usr/bin/python3 "$here/torch_baseline.py" "$epochs" 1)
  batch=$(/usr/bin/python3 "$here/torch_batched.py" "$epochs" 64)
  a+=("$(get "$ours" steps_per_second)"); fr+=("$(get "$ours" fraction_of_dgemm)"); gf+=("$(get "$ours" gflops)")
  pk+=("$(get "$ours" fraction_of_peak)"); fp+=("$(get "$ours" fma_peak_gflops)")
  b+=("$(get "$loop" steps_per_second)")
  c+=("$(get "$batch" model_steps_per_second)")
done
core=$(/usr/bin/python3 "$here/blas_core.py" torch)
/usr/bin/python3 - "${a[*]}" "${b[*]}" "${c[*]}" "${fr[*]}" "${gf[*]}" "$epochs" "$core" \
  "$("$build/symsweep" --version --verbose | grep '^BLAS')" "$(get "$loop" torch_version)" "${m[*]}" "${pk[*]}" "${fp[*]}" <<'PY'
import sys
import numpy as np
a, b, c, fr, gf = (np.array([float(x) for x in s.split()]) for s in sys.argv[1:6])
epochs, core, blas, tv = sys.argv[6:10]
mo, pk, fp = (np.array([float(x) for x in sys.argv[k].split()]) for k in (10, 11, 12))
med = lambda x: float(np.median(x))
print("# Ex3: linear autoencoder 8->3->8, 500 samples, Adam lr 0.005, full batch, %s epochs, "
      "float64, 1 thread; %d interleaved triples, CPU time" % (epochs, len(a)))
print("# symsweep: %s" % blas)
print("# PyTorch %s on OpenBLAS core %s" % (tv, core))
for name, x in (("symsweep (steps/s)", a), ("PyTorch loop, one model (steps/s)", b),
                ("PyTorch batched, 64 models by bmm (model-steps/s)", c)):
    print("%-52s %10.0f   range %.0f - %.0f" % (name, med(x), x.min(), x.max()))
r1, r2 = a / b, a / c
print("ratio vs the loop:    %.1fx (range %.1f - %.1f), target >= 30x: %s"
      % (med(r1), r1.min(), r1.max(), "MET" if med(r1) >= 30 else "NOT MET"))
print("ratio vs batched:     %.1fx (range %.1f - %.1f), target >= 25x: %s"
      % (med(r2), r2.min(), r2.max(), "MET" if med(r2) >= 25 else "NOT MET"))
print("symsweep's flop rate: %.2f GFlop/s, %.0f%% of one core's DGEMM (target >= 70%%)"
      % (med(gf), 100 * med(fr)))
bits = {"avx512": "512-bit", "avx2+fma": "256-bit"}.get(blas.split()[-1], "no")  # the variant that ran
print("                      %.0f%% of the core's FMA peak (%.1f GFlop/s, %s FMA chains; target >= 65%%): %s"
      % (100 * med(pk), med(fp), bits, "MET" if med(pk) >= 0.65 else "NOT MET"))
r3 = mo / c
print("by second moments:    %.0f steps/s, %.1fx batched (range %.1f - %.1f), target >= 25x: %s"
      % (med(mo), med(r3), r3.min(), r3.max(), "MET" if med(r3) >= 25 else "NOT MET"))
# one line per comparison for bench/run_all.sh's table
kern = "symsweep %s; torch OpenBLAS core %s" % (blas.split(";", 1)[-1].strip() if ";" in blas else blas, core)
for ref, x, r, goal, unit in (("PyTorch, one model in a loop", b, r1, 30, "steps/s"),
                              ("PyTorch, 64 models by bmm", c, r2, 25, "model-steps/s")):
    print("row|Ex3 training (8-3-8, 500 samples) vs %s|%.0f steps/s|%.0f %s|%.1f|%.1f|%.1f|%.0f%%|>= %gx|%s"
          % (ref, med(a), med(x), unit, med(r), r.min(), r.max(), 100 * med(fr), goal, kern))
print("row|Ex3 training per sample: flop rate over the core's FMA peak (%.1f GFlop/s)|%.1f GFlop/s|-|-|-|-|%.0f%% of DGEMM; %.0f%% of the peak|>= 65%% of the peak|%s"
      % (med(fp), med(gf), 100 * med(fr), 100 * med(pk), kern))
print("row|Ex3 training by second moments (train.moments: auto) vs PyTorch, 64 models by bmm|%.0f steps/s|%.0f model-steps/s|%.1f|%.1f|%.1f|-|>= 25x|%s"
      % (med(mo), med(c), med(r3), r3.min(), r3.max(), kern))
PY
