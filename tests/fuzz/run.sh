#!/usr/bin/env bash
# Build the job-parser fuzz target with clang's libFuzzer (+ ASan/UBSan) and
# run it.  Needs Debian's clang and libclang-rt-14-dev.
#   tests/fuzz/run.sh [SECONDS]     (default 600)
# New interesting inputs go to tests/fuzz/corpus-new/ (not committed);
# crashes to tests/fuzz/crash-*.  Minimize and add the ones worth keeping to
# tests/fuzz/corpus/, which ctest replays (fuzz.replay).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSYM_FUZZ=ON -DSYM_BUILD_TESTS=OFF \
  -DSYM_BUILD_BENCH=OFF >build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
cmake --build build-fuzz --target fuzz_job -j"$(nproc)" >>build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
mkdir -p tests/fuzz/corpus-new
ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/fuzz_job -max_total_time="$secs" -max_len=8192 -timeout=10 \
  -rss_limit_mb=4096 -artifact_prefix=tests/fuzz/ -print_final_stats=1 \
  tests/fuzz/corpus-new tests/fuzz/corpus
