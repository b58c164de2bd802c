#!/usr/bin/env bash
# A full disk (item 4 of docs/reliability.md): on a small tmpfs, a sweep
# whose output does not fit is refused up front (exit 2, both sizes), and
# with --no-space-check it fails when HDF5 meets ENOSPC: exit 1, one line
# naming the error, no crash, nothing left on the file system.  Needs root
# to mount a tmpfs; skipped (77) otherwise.
#   enospc.sh SYMSWEEP MPIEXEC NPFLAG
set -u
exe=$1; mpiexec=$2; npflag=$3
. "$(dirname "$0")/../support/mpi_env.sh"
. "$(dirname "$0")/../support/tmpfs.sh"
mount_tmpfs 600k
fail=0
cat > "$tmp/big.yaml" <<'YAML'
name: big
seeds: {count: 400}
data: {kind: subspace, dim: 8, rank: 3, samples: 50, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 200}
record: {loss_every: 1, weights: initial_and_final}
YAML
one_line() { # one_line FILE WHAT: exactly one line, 'symsweep: error: ...'
  local n
  n=$(grep -c . "$1")
  if [ "$n" -ne 1 ] || ! grep -q "^symsweep: error: " "$1"; then
    echo "FAIL: $2: want one error line, got:"; sed 's/^/  | /' "$1"; fail=1
  fi
}
# refused before anything is made
"$exe" validate "$tmp/big.yaml" -o "$mnt/o.h5" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: validate on a small disk: exit $rc, want 2"; fail=1; }
grep -q "the output needs about .* free" "$tmp/err" || { echo "FAIL: validate message"; cat "$tmp/err"; fail=1; }
"$exe" run "$tmp/big.yaml" -o "$mnt/o.h5" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: run on a small disk: exit $rc, want 2"; fail=1; }
one_line "$tmp/err" "run on a small disk"
# forced past the check: HDF5 meets ENOSPC; one process, then three ranks
for np in 1 3; do
  if [ $np = 1 ]; then
    "$exe" run "$tmp/big.yaml" -o "$mnt/o.h5" --no-space-check > "$tmp/out" 2> "$tmp/err"; rc=$?
  else
    "$mpiexec" $npflag 3 "$exe" run "$tmp/big.yaml" -o "$mnt/o.h5" --no-space-check \
      > "$tmp/out" 2> "$tmp/err.all"; rc=$?
    grep "symsweep" "$tmp/err.all" > "$tmp/err" # the launcher adds its own banner
  fi
  [ $rc -eq 1 ] || { echo "FAIL: ENOSPC on $np rank(s): exit $rc, want 1"; cat "$tmp/err"; fail=1; }
  one_line "$tmp/err" "ENOSPC on $np rank(s)"
  grep -q "No space left on device" "$tmp/err" || { echo "FAIL: ENOSPC on $np rank(s) not named"; fail=1; }
  grep -qi "segmentation\|signal 11" "$tmp/err.all" "$tmp/err" 2>/dev/null && { echo "FAIL: ENOSPC crashed"; fail=1; }
  left=$(ls -A "$mnt")
  [ -z "$left" ] || { echo "FAIL: ENOSPC on $np rank(s) left files: $left"; fail=1; }
done
[ $fail -eq 0 ] && echo "full disk: refused up front, or exit 1 with one line and nothing left behind"
exit $fail
