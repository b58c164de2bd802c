#!/usr/bin/env bash
# The sbatch scripts on a real Slurm: this script starts munged, slurmctld and
# slurmd (Debian's slurm-wlm and munge) for one node on loopback, in a
# temporary directory, submits the scripts with sbatch, waits with a bound,
# checks the results, and stops the daemons it started.
#   slurm_test.sh SYMSWEEP SOURCE_DIR PYTHON
# Exit 77 (ctest: skipped) with the reason when the machine cannot run them.
set -u
exe=$(readlink -f "$1"); src=$(readlink -f "$2"); py=$3
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "starting slurmctld/slurmd/munged for a test needs root"
for c in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v $c >/dev/null || skip "$c not installed (scripts/setup.sh --slurm installs slurm-wlm and munge)"
done
. "$src/tests/support/mpi_env.sh"
fail=0
host=$(hostname -s)
base=$(( 20000 + RANDOM % 20000 ))
sl=$tmp/slurm
mkdir -p "$sl"/{state,spool,log,munge} "$tmp/work"
export SLURM_CONF=$sl/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=symtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sl/munge/socket
CredType=cred/munge
StateSaveLocation=$sl/state
SlurmdSpoolDir=$sl/spool
SlurmctldPidFile=$sl/slurmctld.pid
SlurmdPidFile=$sl/slurmd.pid
SlurmctldLogFile=$sl/log/slurmctld.log
SlurmdLogFile=$sl/log/slurmd.log
SlurmctldPort=$base
SlurmdPort=$((base + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=8 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
dd if=/dev/urandom of="$sl/munge/key" bs=1024 count=1 2>/dev/null
chmod 400 "$sl/munge/key"
stop_daemons() {
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -s "$sl/$f" ] && kill "$(cat "$sl/$f")" 2>/dev/null
  done
  sleep 1
  rm -rf "$tmp"
}
trap stop_daemons EXIT
munged --force -S "$sl/munge/socket" --key-file="$sl/munge/key" --pid-file="$sl/munge/munged.pid" \
  --log-file="$sl/munge/munged.log" --seed-file="$sl/munge/seed" || skip "munged does not start here"
slurmctld || skip "slurmctld does not start here ($(tail -2 "$sl/log/slurmctld.log" 2>/dev/null))"
slurmd || skip "slurmd does not start here ($(tail -2 "$sl/log/slurmd.log" 2>/dev/null))"
for _ in $(seq 1 60); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %T 2>/dev/null | grep -q idle || skip "the Slurm node never became idle ($(tail -3 "$sl/log/slurmd.log"))"
echo "slurm: controller and node up on $host (ports $base, $((base + 1)))"

export SYMSWEEP=$exe SYMSWEEP_SLURM_DIR=$src/slurm
# wait_job ID STALL FILE...: until the job (with its requeues) is gone from the queue.  It fails
# only when the job makes no progress for STALL s: none of FILE... (its log, its output's
# progress record) changed and the job stayed in the queue.  A busy machine makes a job slow,
# not silent, so a bound on silence holds under load where a bound on the total did not ("job 3
# still queued after 900 s" under a load of 10).
wait_job() {
  local id=$1 stall=$2 last now m f
  shift 2
  last=$(date +%s)
  while [ -n "$(squeue -h -j "$id" 2>/dev/null)" ]; do
    for f in "$@"; do
      m=$(stat -c %Y "$f" 2>/dev/null || echo 0)
      [ "$m" -gt "$last" ] && last=$m
    done
    now=$(date +%s)
    if [ $((now - last)) -gt "$stall" ]; then
      echo "FAIL: job $id made no progress for $stall s (watched: $*)"; squeue; fail=1; scancel "$id"
      return 1
    fi
    sleep 1
  done
  return 0
}
same() { # same A B: every dataset equal but rank and wall time
  "$py" - "$1" "$2" <<'PY'
import sys, h5py
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
bad = [n for n in names if n not in ("runs/rank", "runs/wall_time") and
       (a[n][...].tolist() != b[n][...].tolist() if a[n].dtype == object else a[n][...].tobytes() != b[n][...].tobytes())]
if bad:
    print("FAIL: %s differs from %s in %s" % (sys.argv[2], sys.argv[1], bad)); sys.exit(1)
print("%s equals the direct run (%d datasets)" % (sys.argv[2], len(names)))
PY
}
cd "$tmp/work"

# 1. a plain sweep completes
cat > small.yaml <<'YAML'
seeds: {count: 12}
data: {kind: subspace, dim: 8, rank: 3, samples: 200, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 500}
probes: {orbit_loss: {directions: 2, points: 5}}
sweep:
  regularizer: [{kind: none}, {kind: l1, lambda: 0.005}]
YAML
"$exe" run small.yaml -o direct.h5 -q || fail=1
j=$(sbatch --parsable -n 3 --time=5 -o plain.log "$src/slurm/symsweep.sbatch" small.yaml plain.h5)
wait_job "$j" 120 plain.log plain.h5.progress && { same direct.h5 plain.h5 || { fail=1; cat plain.log; }; }

# 2. an invalid job is refused before anything starts
printf 'data: {kind: nope}\n' > bad.yaml
j=$(sbatch --parsable -n 2 --time=5 -o bad.log "$src/slurm/symsweep.sbatch" bad.yaml)
wait_job "$j" 60 bad.log
grep -q "bad.yaml is not a valid job" bad.log || { echo "FAIL: invalid job not refused"; cat bad.log; fail=1; }
[ ! -e bad.h5 ] || { echo "FAIL: invalid job left an output"; fail=1; }

# 3. walltime shorter than the work: signalled, checkpointed, requeued, resumed,
#    and equal to an uninterrupted run (computed meanwhile on the other core)
cat > long.yaml <<'YAML'
seeds: {count: 6000}
data: {kind: subspace, dim: 8, rank: 3, samples: 500, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
regularizer: {kind: frobenius, lambda: 0.01}
train: {optimizer: adam, lr: 0.005, epochs: 5000}
record: {loss_every: 500}
YAML
"$exe" run long.yaml -o long-direct.h5 -q &
ref=$!
j=$(SYMSWEEP_GRACE=20 sbatch --parsable -n 2 --time=2 --signal=B:USR1@50 -o long.log \
  "$src/slurm/symsweep.sbatch" long.yaml long.h5)
wait_job "$j" 300 long.log long.h5.progress
wait $ref || fail=1
grep -q "walltime warning" long.log || { echo "FAIL: no walltime warning reached the sweep"; fail=1; }
grep -q "requeueing" long.log || { echo "FAIL: the job did not requeue itself"; fail=1; }
restarts=$(grep -c "start (restart" long.log)
echo "walltime case: $restarts restart(s)"
same long-direct.h5 long.h5 || { fail=1; tail -20 long.log; }

# 4. an array of shards, then merge: equal to the single run
j=$(sbatch --parsable --array=0-2 -n 2 --time=5 -o "array-%a.log" "$src/slurm/symsweep-array.sbatch" small.yaml arr.h5)
wait_job "$j" 180 array-0.log array-1.log array-2.log arr.shard-0-of-3.h5.progress arr.shard-1-of-3.h5.progress arr.shard-2-of-3.h5.progress
"$exe" merge arr.h5 arr.shard-0-of-3.h5 arr.shard-1-of-3.h5 arr.shard-2-of-3.h5 || fail=1
same direct.h5 arr.h5 || fail=1

# the walltime case's story, for the test log
grep -E "symsweep.sbatch|stop requested|stopped by a signal" long.log | sed 's/^/  long.log: /'
[ $fail -eq 0 ] && echo "slurm: all cases passed"
exit $fail
