#!/usr/bin/env bash
# Configure and build into build/ (Release-with-debug-info; -Werror when CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -DSYM_WERROR=$werror >build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)" >>build.log 2>&1 || { grep -E 'error|warning' build.log || cat build.log; exit 1; }
echo "build: build/symsweep ($(build/symsweep --version))"
