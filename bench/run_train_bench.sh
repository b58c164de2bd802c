#!/usr/bin/env bash
# Training throughput: symsweep vs PyTorch on the Ex3 workload, measured in
# one invocation (same machine, same moment).  Target: >= 30x PyTorch's steps/s.
#   bench/run_train_bench.sh [BUILD_DIR] [EPOCHS]
set -euo pipefail
build=${1:-build}
epochs=${2:-2000}
here=$(dirname "$0")
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "bench: python3-torch is missing: run scripts/setup.sh --bench" >&2
  exit 2
fi
ours=$("$build/bench/bench_train_throughput" "$epochs" 7)
theirs=$(/usr/bin/python3 "$here/torch_baseline.py" "$epochs" 3)
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
s_ours=$(get "$ours" steps_per_second)
s_torch=$(get "$theirs" steps_per_second)
echo "workload: Ex3 linear autoencoder 8->3->8, 500 samples, Adam lr 0.005, full batch, $epochs epochs, float64, 1 thread"
printf "symsweep : %10.0f steps/s  (%.2f us/step, final loss %s)\n" "$s_ours" "$(get "$ours" us_per_step)" "$(get "$ours" final_loss)"
printf "pytorch  : %10.0f steps/s  (torch %s, final loss %s)\n" "$s_torch" "$(get "$theirs" torch_version)" "$(get "$theirs" final_loss)"
ratio=$(awk -v a="$s_ours" -v b="$s_torch" 'BEGIN { printf "%.1f", a / b }')
echo "speed-up : ${ratio}x PyTorch (target >= 30x): $(awk -v r="$ratio" 'BEGIN { print (r >= 30 ? "MET" : "NOT MET") }')"
printf "flop rate: %.2f GFlop/s = %.1f%% of one core's large-DGEMM rate (%.1f GFlop/s, same run)\n" \
  "$(get "$ours" gflops)" "$(awk -v f="$(get "$ours" fraction_of_dgemm)" 'BEGIN { print 100 * f }')" "$(get "$ours" dgemm_gflops)"
