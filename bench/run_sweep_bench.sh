#!/usr/bin/env bash
# Sweep engine benchmarks (issue: coordinator dispatch, scaling, writer share),
# each measured in this one invocation:
#   dispatch: results per second of rank-0 time (message handling + HDF5
#             writes) with trivial tasks (target >= 100,000/s)
#   scaling:  the Ex3 multi-seed sweep (600 runs) on 1 worker vs 2 workers,
#             parallel efficiency T1 / (2 T2) (target >= 90%)
#   writer:   share of wall time rank 0 spends in HDF5 for a weight-heavy sweep
#             (target <= 5%)
#   ingest:   rank 0's runs/s and MB/s with 8.4 MB results, and the workers it can serve
#             (issue 27: >= 1,000 at one-minute runs)
#   bench/run_sweep_bench.sh [BUILD_DIR] [ingest]   (ingest: that section alone)
set -euo pipefail
build=${1:-build}
only=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
exe="$build/symsweep"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # run NP JOB -> the stats line
  mpirun --oversubscribe -np "$1" "$exe" run "$2" -o "$tmp/out.h5" --force -q --stats 2>&1 | grep '^stats:'
}
field() { echo "$1" | grep -o "$2" | grep -o '[0-9.]*' | head -1; }

if [ "$only" != ingest ]; then
echo "== dispatch: 200,000 trivial runs, 2 workers =="
s=$(run 3 "$here/jobs/trivial.yaml"); echo "$s"
cap=$(field "$s" 'capacity [0-9.]* results/s')
echo "coordinator capacity: $cap results/s (target >= 100000): $(awk -v c="$cap" 'BEGIN { print (c >= 100000 ? "MET" : "NOT MET") }')"

echo "== scaling: jobs/ex3-multiseed.yaml (600 runs), 1 worker vs 2 workers =="
s1=$(run 2 "$here/../jobs/ex3-multiseed.yaml"); echo "1 worker:  $s1"
s2=$(run 3 "$here/../jobs/ex3-multiseed.yaml"); echo "2 workers: $s2"
t1=$(field "$s1" 'in [0-9.]* s'); t2=$(field "$s2" 'in [0-9.]* s')
eff=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", 100 * a / (2 * b) }')
echo "parallel efficiency: $eff% (T1 $t1 s, T2 $t2 s; target >= 90%): $(awk -v e="$eff" 'BEGIN { print (e >= 90 ? "MET" : "NOT MET") }')"

echo "== writer: 3,000 runs recording initial and final weights, 2 workers =="
s=$(run 3 "$here/jobs/weights.yaml"); echo "$s"
w=$(field "$s" '[0-9.]*% of wall')
echo "rank 0 in HDF5: $w% of wall time (target <= 5%): $(awk -v w="$w" 'BEGIN { print (w <= 5 ? "MET" : "NOT MET") }')"
echo "output size: $(du -h "$tmp/out.h5" | cut -f1)"
fi

n_ingest=$(awk '/^seeds:/ { gsub(/[^0-9]/, "", $0); print; exit }' "$here/jobs/ingest.yaml")
echo "== ingest: $n_ingest runs of a 0.5M-parameter net, initial and final weights recorded (8.4 MB a run), 1 worker on the other core =="
s=$(run 2 "$here/jobs/ingest.yaml"); echo "$s"
bytes=$(stat -c %s "$tmp/out.h5")
hd=$(field "$s" 'writes [0-9.]* s'); msg=$(field "$s" 'handling messages [0-9.]* s')
awk -v b="$bytes" -v h="$hd" -v m="$msg" -v n="$n_ingest" 'BEGIN {
  t = h + m; mb = b / 1e6
  printf "rank 0: %.2f s (%.2f s writing, %.2f s handling messages) for %d runs, %.0f MB: %.1f runs/s, %.0f MB/s of rank-0 time\n", t, h, m, n, mb, n / t, mb / t
  printf "workers rank 0 can serve at a run time of 60 s: %.0f; of 10 min: %.0f (target >= 1,000 at 60 s): %s\n", 60 * n / t, 600 * n / t, (60 * n / t >= 1000 ? "MET" : "NOT MET")
  printf "row|rank 0 ingest: %d runs of 8.4 MB (0.5M-parameter net, initial and final weights), one worker|%.1f runs/s, %.0f MB/s|-|-|-|-|-|>= 1,000 workers at 60-s runs: %.0f|rank 0 time: HDF5 writes + message handling\n", n, n / t, mb / t, 60 * n / t }'
