#!/usr/bin/env bash
# Quick start command (1): set up, build, run the default jobs (the article's
# Ex3 with no / L2 / L1 regularization and Ex5) on all local cores, one job per
# core, and show their results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p out
jobs=(jobs/ex3-none.yaml jobs/ex3-l2.yaml jobs/ex3-l1.yaml jobs/ex5.yaml)
printf '%s\n' "${jobs[@]}" |
  xargs -P "$(nproc)" -I{} sh -c 'n=$(basename {} .yaml); build/symsweep run {} -o out/$n.h5 --force --quiet && echo "  finished {} -> out/$n.h5"'
/usr/bin/python3 analysis/quicklook.py out/ex3-none.h5 out/ex3-l2.h5 out/ex3-l1.h5 out/ex5.h5
