#!/usr/bin/env bash
# Every comparison of the benchmarks in one command and one table: each bench runs its sides as
# interleaved pairs or triples (A B A B ..., PAIRS of them), CPU time of each process, and
# prints a "row|..." line per comparison (measure, symsweep, reference, ratio median and range,
# share of one core's DGEMM, the target, the BLAS kernels of each side); this script gathers
# them into a Markdown table.  Needs python3-torch (scripts/setup.sh --bench).
#   bench/run_all.sh [BUILD_DIR] [PAIRS]
set -euo pipefail
build=${1:-build}
pairs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c "import torch" 2> /dev/null ||
  { echo "bench: needs python3-torch: run scripts/setup.sh --bench" >&2; exit 2; }
[ -x "$build/bench/bench_train_throughput" ] ||
  { echo "bench: $build/bench has no benchmarks: configure with -DSYM_BUILD_BENCH=ON" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== Ex3 training (bench/run_train_bench.sh) =="
bash "$here/run_train_bench.sh" "$build" 2000 "$pairs" | tee -a "$log"
echo "== Hessian spectrum (bench/hessian_vs_torch.sh) =="
bash "$here/hessian_vs_torch.sh" "$build" 36 64 "$pairs" | tee -a "$log"
echo
echo "| measure | symsweep | reference | ratio (median) | range | of DGEMM | target | kernels |"
echo "|---|---|---|---|---|---|---|---|"
grep '^row|' "$log" | while IFS='|' read -r _ what ours ref med lo hi dg goal kern; do
  echo "| $what | $ours | $ref | ${med}x | $lo - $hi | $dg | >= ${goal}x | $kern |"
done
cat <<'TXT'

Not measured by this command (no reference implementation in bench/ yet, issue 17): Ex3 at
50,000 samples and the 64-64-64 / 256-64-256 shapes against the PyTorch loop, the Ex5 gradient
decomposition against the seed's NumPy, and the (t, s) landscape against NumPy with one expm per
row.  The Lanczos Hessian against the dense path: bench_lanczos_scaling (docs/benchmarks.md).
TXT
