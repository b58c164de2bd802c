#!/usr/bin/env bash
# Record this CPU kind's section of tests/sweep/output_checksums.txt from a build of REV
# (the commit before a change), so that mpi.output_checksums compares a change against the
# same kernels' results of the code before it.
#   tests/sweep/record_digests.sh REV      (e.g. HEAD before you start, or main)
# Builds REV in a temporary git worktree (Release, no benches), runs every job of REV's jobs/
# and the test jobs on 3 ranks (a few minutes), and rewrites only this kind's section.
# (Debian's python3, with h5py: /usr/bin/python3.)
# MPI as root needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 and
# OMPI_MCA_rmaps_base_oversubscribe=1 (set by the caller, as for the tests).
set -euo pipefail
rev=${1:?usage: record_digests.sh REV}
src=$(cd "$(dirname "$0")/../.." && pwd)
sha=$(git -C "$src" rev-parse --verify "$rev^{commit}")
tmp=$(mktemp -d)
trap 'git -C "$src" worktree remove --force "$tmp/tree" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$src" worktree add --detach "$tmp/tree" "$sha" >/dev/null
cmake -S "$tmp/tree" -B "$tmp/build" -DSYM_BUILD_BENCH=OFF -DSYM_BUILD_TESTS=OFF >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; exit 1; }
cmake --build "$tmp/build" -j"$(nproc)" --target symsweep >>"$tmp/build.log" 2>&1 ||
  { tail -40 "$tmp/build.log"; exit 1; }
mpiexec=$(command -v mpiexec)
# the compiler CMake found, as `symsweep --version --verbose` names it (builds before its
# Compiler line print none)
cc_info=$(cat "$tmp"/build/CMakeFiles/*/CMakeCCompiler.cmake)
id=$(echo "$cc_info" | sed -n 's/^set(CMAKE_C_COMPILER_ID "\(.*\)")$/\1/p')
ver=$(echo "$cc_info" | sed -n 's/^set(CMAKE_C_COMPILER_VERSION "\(.*\)")$/\1/p')
case "$id" in GNU) id=GCC ;; Clang) id=clang ;; esac
/usr/bin/python3 "$src/tests/sweep/output_checksums.py" "$tmp/build/symsweep" "$mpiexec" -n "$tmp/tree" \
  --record --table "$src/tests/sweep/output_checksums.txt" --compiler "$id $ver"
echo "record_digests: this kind's digests now come from ${sha:0:7}"
