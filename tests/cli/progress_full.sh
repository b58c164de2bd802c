#!/usr/bin/env bash
# A disk that fills while a sweep runs (issue 29, "records that lie"): the output's storage is
# allocated at creation, so the sweep goes on, but a new OUT.progress cannot be written.  After
# SIGTERM the record must still say state=interrupted (the sbatch script requeues on it and
# `status` reads it), not the last "running" (which `status` then reported as a sweep killed
# without a final checkpoint).  Needs root to mount a tmpfs; skipped (77) otherwise.
#   progress_full.sh SYMSWEEP
set -u
exe=$1
tmp=$(mktemp -d)
. "$(dirname "$0")/../support/tmpfs.sh"
mount_tmpfs 4m
fail=0
cat > "$tmp/slow.yaml" <<'YAML'
name: slow
seeds: {count: 200}
data: {kind: subspace, dim: 8, rank: 3, samples: 200, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 100000}
record: {loss_every: 10000}
YAML
"$exe" run "$tmp/slow.yaml" -o "$mnt/o.h5" --checkpoint-every 0.2 --grace 1 -q 2> "$tmp/err" &
pid=$!
trap 'kill $pid 2>/dev/null; umount "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
# the first records (checkpoints every 0.2 s), then fill the disk to its last block
for _ in $(seq 1 600); do
  grep -q "state=running" "$mnt/o.h5.progress" 2>/dev/null && break
  sleep 0.1
done
grep -q "state=running" "$mnt/o.h5.progress" 2>/dev/null || { echo "FAIL: no progress record"; exit 1; }
dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
dd if=/dev/zero of="$mnt/fill2" bs=1 2>/dev/null
sleep 1 # checkpoints meet the full disk
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 75 ] || { echo "FAIL: SIGTERM on a full disk: exit $rc, want 75"; cat "$tmp/err"; fail=1; }
grep -q "^state=interrupted" "$mnt/o.h5.progress" ||
  { echo "FAIL: the record says '$(head -1 "$mnt/o.h5.progress")' after the checkpoint, want state=interrupted"; fail=1; }
"$exe" status "$mnt/o.h5" > "$tmp/status" 2>&1
grep -q "interrupted" "$tmp/status" && ! grep -q "NOT RUNNING\|killed" "$tmp/status" ||
  { echo "FAIL: status of the stopped sweep:"; sed 's/^/  | /' "$tmp/status"; fail=1; }
grep -q "cannot update the progress record" "$tmp/err" &&
  { echo "FAIL: the record was updated in place, yet a warning was printed"; cat "$tmp/err"; fail=1; }
[ $fail -eq 0 ] && echo "full disk during a sweep: the record says interrupted, status agrees"
exit $fail
