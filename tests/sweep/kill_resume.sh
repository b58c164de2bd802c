#!/usr/bin/env bash
# Kill and resume.  A sweep killed with SIGKILL at any moment (inside a
# checkpoint: while data are written, after they are flushed, while statuses
# are written; and at timed moments) leaves a file that opens, whose done runs
# are complete and equal to an uninterrupted run's; --resume then finishes it
# with every dataset equal to the uninterrupted run's.  SIGTERM (and SIGUSR1
# through mpirun) stops with exit status 75.
#   kill_resume.sh SYMSWEEP MPIEXEC NPFLAG PYTHON
set -u
exe=$1; mpiexec=$2; npflag=$3; py=$4
. "$(dirname "$0")/../support/mpi_env.sh"
. "$(dirname "$0")/../support/wait_runs.sh"
fail=0
cat > "$tmp/job.yaml" <<'YAML'
seeds: {count: 40}
data: {kind: subspace, dim: 8, rank: 3, samples: 300, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 4000}
record: {loss_every: 50, weights: initial_and_final}
probes: {orbit_loss: {directions: 2, points: 5}, structure: {}, penalty_invariance: {trials: 5}}
sweep:
  regularizer: [{kind: none}, {kind: l1, lambda: 0.005}, {kind: frobenius, lambda: 0.01}]
YAML
"$exe" run "$tmp/job.yaml" -o "$tmp/full.h5" -q || { echo "FAIL: uninterrupted run"; exit 1; }

compare() { # compare FILE [partial]: equal to full.h5 (partial: only runs done in FILE)
  "$py" - "$tmp/full.h5" "$1" "${2:-}" <<'PY'
import sys, h5py, numpy as np
full, path, partial = sys.argv[1], sys.argv[2], sys.argv[3] == "partial"
try:
    b = h5py.File(path, "r")
except OSError as e:
    print("FAIL: %s does not open after the kill: %s" % (path, e)); sys.exit(1)
a = h5py.File(full, "r")
done = b["runs/status"][...] == 1
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
bad = []
for n in names:
    if n in ("runs/rank", "runs/wall_time"):
        continue
    x, y = a[n][...], b[n][...]
    # partial file: per-run datasets (runs/..., probes/...) only for its done runs
    if partial and not n.startswith("grid/") and x.shape and x.shape[0] == len(done):
        x, y = x[done], y[done]
    same = x.tolist() == y.tolist() if x.dtype == object else x.tobytes() == y.tobytes()
    if not same:
        bad.append(n)
if bad:
    print("FAIL: %s: datasets differ from the uninterrupted run: %s" % (path, bad)); sys.exit(1)
print("%s: %d runs done, all equal to the uninterrupted run" % (path, done.sum()))
PY
}

# SIGKILL inside the second checkpoint, at each phase
for phase in data flushed status; do
  rm -f "$tmp/k.h5"
  SYMSWEEP_TEST_KILL="2:$phase" "$exe" run "$tmp/job.yaml" -o "$tmp/k.h5" -q --checkpoint-every 0.1
  rc=$?
  [ $rc -eq 137 ] || { echo "FAIL: kill in checkpoint ($phase): exit $rc, want 137 (SIGKILL)"; fail=1; }
  compare "$tmp/k.h5" partial || fail=1
  "$exe" run "$tmp/job.yaml" -o "$tmp/k.h5" -q --resume || { echo "FAIL: resume after kill ($phase)"; fail=1; }
  compare "$tmp/k.h5" || fail=1
done

# SIGKILL at two moments (after 10 and 30 more runs), then the final resume
rm -f "$tmp/t.h5"
for at in 10 30; do
  if [ -e "$tmp/t.h5" ]; then resume=--resume; else resume=; fi
  "$exe" run "$tmp/job.yaml" -o "$tmp/t.h5" --checkpoint-every 0.05 --progress-every 0.05 $resume 2>"$tmp/log" >/dev/null &
  pid=$!
  wait_runs "$tmp/log" $at $pid
  kill -KILL $pid 2>/dev/null
  wait $pid
  compare "$tmp/t.h5" partial || fail=1
done
"$exe" run "$tmp/job.yaml" -o "$tmp/t.h5" -q --resume || { echo "FAIL: resume after the kills"; fail=1; }
compare "$tmp/t.h5" || fail=1

# SIGTERM after 15 runs: checkpoint and exit 75, then resume
rm -f "$tmp/s.h5"
"$exe" run "$tmp/job.yaml" -o "$tmp/s.h5" --progress-every 0.05 2>"$tmp/log" >/dev/null &
pid=$!
wait_runs "$tmp/log" 15 $pid
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 75 ] || { echo "FAIL: SIGTERM: exit $rc, want 75"; fail=1; }
compare "$tmp/s.h5" partial || fail=1
"$exe" run "$tmp/job.yaml" -o "$tmp/s.h5" -q --resume || { echo "FAIL: resume after SIGTERM"; fail=1; }
compare "$tmp/s.h5" || fail=1

# SIGUSR1 to mpirun, which forwards it to every rank: exit 75, then resume on
# 2 ranks (a longer job, so that the signal lands mid-sweep on 2 workers)
sed 's/count: 40/count: 100/' "$tmp/job.yaml" > "$tmp/big.yaml"
"$exe" run "$tmp/big.yaml" -o "$tmp/full.h5" -q --force || { echo "FAIL: uninterrupted big run"; fail=1; }
cp "$tmp/big.yaml" "$tmp/job.yaml"
rm -f "$tmp/u.h5"
"$mpiexec" $npflag 3 "$exe" run "$tmp/job.yaml" -o "$tmp/u.h5" --progress-every 0.05 2>"$tmp/log" >/dev/null &
pid=$!
wait_runs "$tmp/log" 40 $pid
kill -USR1 $pid
wait $pid
rc=$?
# (MPICH's Hydra forwards it too, but then may exit 0 although rank 0 exited 75: the
# progress record is what tells, and what slurm/symsweep.sbatch reads; docs/reliability.md)
if [ $rc -ne 75 ]; then
  if [ $rc -eq 0 ] && "$mpiexec" --version 2>&1 | grep -q HYDRA &&
     grep -qx 'state=interrupted' "$tmp/u.h5.progress"; then
    echo "SIGUSR1 through Hydra: exit 0, the record says interrupted"
  else
    echo "FAIL: SIGUSR1 through mpirun: exit $rc, want 75"; fail=1
  fi
fi
compare "$tmp/u.h5" partial || fail=1
"$mpiexec" $npflag 2 "$exe" run "$tmp/job.yaml" -o "$tmp/u.h5" -q --resume || { echo "FAIL: MPI resume"; fail=1; }
compare "$tmp/u.h5" || fail=1

# resuming a finished file runs nothing; a different job is refused
"$exe" run "$tmp/job.yaml" -o "$tmp/u.h5" --resume > "$tmp/out" 2>&1 || { echo "FAIL: resume of a finished file"; fail=1; }
grep -q "0 runs computed (of 300)" "$tmp/out" || { echo "FAIL: finished file resumed work"; cat "$tmp/out"; fail=1; }
sed 's/count: 100/count: 101/' "$tmp/job.yaml" > "$tmp/other.yaml"
"$exe" run "$tmp/other.yaml" -o "$tmp/u.h5" --resume > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] || { echo "FAIL: resume with another job: exit $rc, want 2"; fail=1; }
grep -q "cannot resume: the file was written by a different job" "$tmp/out" || { echo "FAIL: message"; cat "$tmp/out"; fail=1; }
# the same settings written differently (comments, flow vs block style,
# spacing) resume; any changed setting does not
{ echo "# a comment added after the sweep started"
  sed 's/{count: 100}/{ count:   100 }   # more seeds later/; s/^train: {\(.*\)}$/train:\n  \1/' "$tmp/job.yaml" |
    sed 's/^  optimizer: adam, lr: 0.005, epochs: 4000$/  optimizer: adam\n  lr: 0.005\n  epochs: 4000/'
} > "$tmp/edited.yaml"
"$exe" run "$tmp/edited.yaml" -o "$tmp/u.h5" --resume > "$tmp/out" 2>&1 ||
  { echo "FAIL: resume with a comment and layout edit was refused"; cat "$tmp/out"; fail=1; }
grep -q "0 runs computed (of 300)" "$tmp/out" || { echo "FAIL: edited job resumed work"; cat "$tmp/out"; fail=1; }
sed 's/lr: 0.005/lr: 0.0051/' "$tmp/job.yaml" > "$tmp/lr.yaml"
"$exe" run "$tmp/lr.yaml" -o "$tmp/u.h5" --resume > "$tmp/out" 2>&1
[ $? -eq 2 ] || { echo "FAIL: resume with a changed lr accepted"; fail=1; }
grep -q "its settings differ" "$tmp/out" || { echo "FAIL: changed-setting message"; cat "$tmp/out"; fail=1; }
"$exe" run "$tmp/job.yaml" -o "$tmp/u.h5" --resume --force > "$tmp/out" 2>&1
[ $? -eq 2 ] || { echo "FAIL: --resume --force accepted"; fail=1; }

[ $fail -eq 0 ] && echo "kill/resume: all cases passed"
exit $fail
