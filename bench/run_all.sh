#!/usr/bin/env bash
# Every comparison of the benchmarks (issue 17) in one command and one table: each bench runs its sides as
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
echo "== Larger data and shapes (bench/run_shapes_bench.sh) =="
bash "$here/run_shapes_bench.sh" "$build" "$pairs" | tee -a "$log"
echo "== Hessian spectrum (bench/hessian_vs_torch.sh) =="
bash "$here/hessian_vs_torch.sh" "$build" 36 64 "$pairs" | tee -a "$log"
echo "== Hessian-vector products at P ~ 1e5 (bench/run_hvp_bench.sh) =="
bash "$here/run_hvp_bench.sh" "$build" "$pairs" | tee -a "$log"
echo "== Fashion-MNIST classification (bench/run_fashion_bench.sh) =="
bash "$here/run_fashion_bench.sh" "$build" "$pairs" | tee -a "$log"
echo "== Learned-group layer, seed 003 (bench/run_lgn_bench.sh) =="
bash "$here/run_lgn_bench.sh" "$build" "$pairs" | tee -a "$log"
echo "== Ex5 probes (bench/run_probe_bench.sh) =="
bash "$here/run_probe_bench.sh" "$build" "$pairs" | tee -a "$log"
echo "== Rank 0's ingest (bench/run_sweep_bench.sh BUILD ingest) =="
bash "$here/run_sweep_bench.sh" "$build" ingest | tee -a "$log"
echo "== Whole machine: a sweep on every core vs as many PyTorch processes (bench/run_machine_bench.sh) =="
bash "$here/run_machine_bench.sh" "$build" "$pairs" | tee -a "$log"
echo
echo "| measure | symsweep | reference | ratio (median) | range | of DGEMM | target | kernels |"
echo "|---|---|---|---|---|---|---|---|"
grep '^row|' "$log" | while IFS='|' read -r _ what ours ref med lo hi dg goal kern; do
  r="${med}x" rng="$lo - $hi"
  [ "$med" = - ] && r=- rng=-
  echo "| $what | $ours | $ref | $r | $rng | $dg | $goal | $kern |"
done
cat <<'TXT'

The Lanczos Hessian against the dense path, and its growth with P and the team size:
bench_lanczos_scaling (docs/benchmarks.md).
TXT
