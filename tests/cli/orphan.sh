#!/usr/bin/env bash
# Rank 0 outliving its launcher (issue 29, records that lie): when a worker is SIGKILLed,
# mpirun ends the job and exits while rank 0 may live on for a moment, its record still saying
# "running"; `status` then reported a live sweep with an ETA.  Made deterministic here: rank 0
# is stopped (SIGSTOP) and mpirun killed, so rank 0 outlives it as long as the test wants.
# `status` must say NOT RUNNING and name the gone launcher, not "running" with an ETA.
#   orphan.sh SYMSWEEP MPIEXEC NPFLAG
set -u
exe=$1; mpiexec=$2; npflag=$3
. "$(dirname "$0")/../support/mpi_env.sh"
cd "$tmp"
cat > slow.yaml <<'YAML'
name: slow
seeds: {count: 400}
data: {kind: subspace, dim: 8, rank: 3, samples: 200, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 100000}
record: {loss_every: 10000}
YAML
fail=0
"$mpiexec" $npflag 3 "$exe" run slow.yaml -o o.h5 -q --checkpoint-every 0.5 > log 2>&1 &
mp=$!
for _ in $(seq 1 300); do grep -q "^state=running" o.h5.progress 2>/dev/null && break; sleep 0.2; done
r0=$(grep "^pid=" o.h5.progress 2>/dev/null | cut -d= -f2)
[ -n "$r0" ] || { echo "FAIL: no progress record"; cat log; kill -9 $mp; exit 1; }
kill -STOP "$r0"
kill -9 $mp; wait $mp 2>/dev/null
sleep 0.5
"$exe" status o.h5 > status.txt 2>&1
if grep -q "ETA\|^  running" status.txt || ! grep -q "NOT RUNNING" status.txt ||
   ! grep -q "launcher .* is gone" status.txt; then
  echo "FAIL: status with rank 0 alive and its launcher gone:"; sed 's/^/  | /' status.txt; fail=1
fi
kill -9 "$r0" $(pgrep -f "symsweep run slow.yaml -o o.h5" 2>/dev/null) 2>/dev/null
kill -CONT "$r0" 2>/dev/null
# a sweep with no launcher (one process from a shell) records none: status stays "running"
"$exe" run slow.yaml -o p.h5 -q --checkpoint-every 0.5 > log1 2>&1 &
one=$!
for _ in $(seq 1 300); do grep -q "^state=running" p.h5.progress 2>/dev/null && break; sleep 0.2; done
grep -q "^launcher=0$" p.h5.progress || { echo "FAIL: a sweep without a launcher recorded one:"; cat p.h5.progress; fail=1; }
"$exe" status p.h5 | grep -q "^  running" || { echo "FAIL: a live one-process sweep is not running"; "$exe" status p.h5; fail=1; }
kill -9 $one; wait $one 2>/dev/null
[ $fail -eq 0 ] && echo "rank 0 outliving its launcher: status says NOT RUNNING and why"
exit $fail
