#!/usr/bin/env bash
# A disk already full when the output is created (docs/reliability.md,
# "Outputs: races, locks, inputs, temporary files"): every try of run (one
# process and three ranks) and of merge fails with exit 1 and one line, and
# leaves nothing behind (no .OUT.PID.tmp, no OUT.lock).  The full disk is
# simulated as in enospc.sh: a small tmpfs, here filled to the last block.
# Needs root to mount it; skipped (77) otherwise.
#   enospc_tmp.sh SYMSWEEP MPIEXEC NPFLAG
set -u
exe=$1; mpiexec=$2; npflag=$3
. "$(dirname "$0")/../support/mpi_env.sh"
. "$(dirname "$0")/../support/tmpfs.sh"
mount_tmpfs 600k
fail=0
cat > "$tmp/small.yaml" <<'YAML'
name: small
seeds: {count: 2}
data: {kind: subspace, dim: 8, rank: 3, samples: 50, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 20}
YAML
(cd "$tmp" && "$exe" run small.yaml -o s0.h5 -q --shard 0/2 && "$exe" run small.yaml -o s1.h5 -q --shard 1/2) ||
  { echo "FAIL: shards"; exit 1; }
dd if=/dev/zero of="$mnt/filler" bs=1k count=600 2>/dev/null # every block
[ "$(df -k --output=avail "$mnt" | tail -1 | tr -d ' ')" = 0 ] || { echo "FAIL: the disk is not full"; df -k "$mnt"; exit 1; }
check() { # check WHAT RC
  [ "$2" -eq 1 ] || { echo "FAIL: $1 on a full disk: exit $2, want 1"; cat "$tmp/err"; fail=1; }
  grep -q "No space left on device" "$tmp/err" || { echo "FAIL: $1: ENOSPC not named"; cat "$tmp/err"; fail=1; }
  left=$(ls -A "$mnt" | grep -v '^filler$')
  [ -z "$left" ] || { echo "FAIL: $1 on a full disk left: $left"; fail=1; rm -f "$mnt"/.o.h5.* "$mnt"/o.h5*; }
}
for try in 1 2 3; do
  "$exe" run "$tmp/small.yaml" -o "$mnt/o.h5" --no-space-check -q > /dev/null 2> "$tmp/err"
  check "run (try $try)" $?
done
"$mpiexec" $npflag 3 "$exe" run "$tmp/small.yaml" -o "$mnt/o.h5" --no-space-check -q > /dev/null 2> "$tmp/err"
check "run on 3 ranks" $?
for try in 1 2; do
  "$exe" merge "$mnt/o.h5" "$tmp/s0.h5" "$tmp/s1.h5" > /dev/null 2> "$tmp/err"
  check "merge (try $try)" $?
done
[ $fail -eq 0 ] && echo "full disk at creation: exit 1 naming ENOSPC, and nothing left behind"
exit $fail
