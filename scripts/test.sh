#!/usr/bin/env bash
# Quick start command (2): set up, build and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
# MPI as root (containers, CI) needs these; they are set here, never in code
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
ctest --test-dir build --output-on-failure -j"$(nproc)"
