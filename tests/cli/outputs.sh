#!/usr/bin/env bash
# Who may write an output file (docs/reliability.md, "Outputs: races, locks,
# inputs, temporary files"):
#   1  two sweeps creating the same new output at once: exactly one exits 0
#      and the file holds its job; the other exits 2 with one line (20 pairs
#      with symsweep's lock, 20 more with it off: the final rename alone)
#   2  with HDF5_USE_FILE_LOCKING=FALSE: run --force, run --resume and
#      merge --force against a running sweep exit 2; the sweep's file stays
#      whole and its resume finishes it
#   3  run -o INPUT (the model.init or data file, by name, symlink or hard
#      link; --force or --resume) exits 2 naming the file, the input untouched
#   4  SIGTERM during merge leaves no temporary file; status of a stray
#      temporary file says what it is (not a shard)
#   5  a file system without locks (fcntl's lock commands fail, by an
#      LD_PRELOAD shim): run and merge refuse (exit 2, saying why and how to
#      go on), leave nothing, and SYMSWEEP_FILE_LOCKING=FALSE runs anyway
#   outputs.sh SYMSWEEP PYTHON CC
set -u
exe=$1; py=$2; cc=$3
. "$(dirname "$0")/../support/mpi_env.sh"
. "$(dirname "$0")/../support/wait_runs.sh"
fail=0
cd "$tmp"
say() { echo "FAIL: $*"; fail=1; }
one_line() { # one_line FILE WHAT PATTERN: exactly one line 'symsweep: error: ...PATTERN...'
  if [ "$(grep -c . "$1")" -ne 1 ] || ! grep -q "^symsweep: error: .*$3" "$1"; then
    say "$2: want one error line matching '$3', got:"; sed 's/^/  | /' "$1"
  fi
}
job_name() { "$py" -c 'import sys, h5py; print(h5py.File(sys.argv[1], "r").attrs["job_name"])' "$1"; }
no_debris() { # no_debris WHAT: no temporary or lock file in the directory
  local left
  left=$(ls -A | grep -E '\.tmp$|\.lock$')
  [ -z "$left" ] || { say "$1: left behind: $left"; rm -f $left; }
}

for name in a b; do
  cat > $name.yaml <<YAML
name: $name
seeds: {count: $([ $name = a ] && echo 2 || echo 3)}
data: {kind: subspace, dim: 8, rank: 3, samples: 50, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 50}
YAML
done

# 1. two sweeps, one new output, started together
race() { # race MODE: 20 pairs
  local wins=0 i ra rb
  for i in $(seq 1 20); do
    rm -f same.h5 same.h5.progress
    "$exe" run a.yaml -o same.h5 -q 2> ea & pa=$!
    "$exe" run b.yaml -o same.h5 -q 2> eb & pb=$!
    wait $pa; ra=$?; wait $pb; rb=$?
    if [ $ra -eq 0 ] && [ $rb -eq 2 ]; then
      [ "$(job_name same.h5)" = a ] || say "$1 pair $i: a won but the file holds job $(job_name same.h5)"
      one_line eb "$1 pair $i: the loser" "same.h5: "
      wins=$((wins + 1))
    elif [ $ra -eq 2 ] && [ $rb -eq 0 ]; then
      [ "$(job_name same.h5)" = b ] || say "$1 pair $i: b won but the file holds job $(job_name same.h5)"
      one_line ea "$1 pair $i: the loser" "same.h5: "
      wins=$((wins + 1))
    else
      say "$1 pair $i: exits $ra and $rb, want one 0 and one 2"; cat ea eb
    fi
    no_debris "$1 pair $i"
  done
  echo "$1: $wins of 20 pairs: one winner, whose job the file holds; the other exit 2"
}
race "with the lock"
SYMSWEEP_FILE_LOCKING=FALSE HDF5_USE_FILE_LOCKING=FALSE race "without any lock"

# 2. a running sweep, HDF5's lock off
export HDF5_USE_FILE_LOCKING=FALSE
cat > long.yaml <<'YAML'
name: long
seeds: {count: 150}
data: {kind: subspace, dim: 8, rank: 3, samples: 300, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 20000}
record: {loss_every: 500, weights: final}
YAML
"$exe" run a.yaml -o a1.h5 -q --shard 0/2 && "$exe" run a.yaml -o a2.h5 -q --shard 1/2 || say "shards of a"
rm -f w.h5*
"$exe" run long.yaml -o w.h5 --checkpoint-every 0.1 --progress lines --progress-every 0.05 > /dev/null 2> logw &
pw=$!
wait_runs logw 3 $pw
"$exe" run long.yaml -o w.h5 --force -q > out 2>&1; rc=$?
[ $rc -eq 2 ] || say "lock off: --force on a running sweep: exit $rc, want 2"
one_line out "lock off: --force" "w.h5: another process has the file open for writing (a symsweep, pid $pw"
"$exe" run long.yaml -o w.h5 --resume -q > out 2>&1; rc=$?
[ $rc -eq 2 ] || say "lock off: --resume of a running sweep: exit $rc, want 2"
one_line out "lock off: --resume" "w.h5: another process has the file open for writing"
"$exe" merge w.h5 a1.h5 a2.h5 --force > out 2>&1; rc=$?
[ $rc -eq 2 ] || say "lock off: merge --force into a running sweep's file: exit $rc, want 2"
one_line out "lock off: merge --force" "w.h5: another process has the file open for writing"
kill -0 $pw 2>/dev/null || say "lock off: the sweep ended before every refusal was tried (machine too slow?)"
kill -TERM $pw; wait $pw; rc=$?
[ $rc -eq 75 ] || say "lock off: the running sweep, stopped: exit $rc, want 75"
"$exe" summary w.h5 > /dev/null 2> out || { say "lock off: the sweep's file after the refusals:"; cat out; }
[ "$(job_name w.h5)" = long ] || say "lock off: the file holds job $(job_name w.h5)"
"$exe" run long.yaml -o w.h5 --resume -q --checkpoint-every 5 || say "lock off: resume of the sweep"
"$exe" status w.h5 > out 2>&1 || say "lock off: status"
grep -q "150/150 runs written (100.0%): 150 done" out && grep -q "finished" out ||
  { say "lock off: the resumed sweep is not complete:"; cat out; }
no_debris "lock off"
unset HDF5_USE_FILE_LOCKING
echo "lock off: --force, --resume and merge --force refused (exit 2); the sweep resumed to the end"

# 3. the output is one of the job's inputs
"$exe" run a.yaml -o init.h5 -q || say "run a (init file)"
"$py" -c '
import h5py, numpy as np
r = np.random.default_rng(1)
with h5py.File("xy.h5", "w") as f:
    f["X"] = r.standard_normal((40, 8)); f["Y"] = r.standard_normal((40, 2))'
sed 's/^name: a/name: fromfile/; s/latent: 3}/latent: 3, init: {kind: file, file: init.h5, run: 1}}/' a.yaml > init.yaml
cat > data.yaml <<'YAML'
name: data
seeds: {count: 2}
data: {kind: hdf5, file: xy.h5, x: X, y: Y}
model: {kind: mlp, widths: [8, 4, 2], activation: tanh}
train: {optimizer: adam, lr: 0.005, epochs: 20}
YAML
ln -s init.h5 init_link.h5; ln init.h5 init_hard.h5; ln -s xy.h5 xy_link.h5
hi=$(sha256sum < init.h5); hd=$(sha256sum < xy.h5)
for case in "init.yaml init.h5 init.h5" "init.yaml ./init_link.h5 init.h5" "init.yaml init_hard.h5 init.h5" \
            "data.yaml xy.h5 xy.h5" "data.yaml xy_link.h5 xy.h5"; do
  set -- $case
  for mode in --force --resume ""; do
    "$exe" run $1 -o $2 $mode -q > out 2>&1; rc=$?
    [ $rc -eq 2 ] || say "run $1 -o $2 $mode: exit $rc, want 2"
    one_line out "run $1 -o $2 $mode" "$2: the output is the job's .* $3"
  done
  "$exe" validate $1 -o $2 > out 2>&1; rc=$?
  [ $rc -eq 2 ] && grep -q "the output is the job's" out || { say "validate $1 -o $2: exit $rc"; cat out; }
done
[ "$hi" = "$(sha256sum < init.h5)" ] || say "an input (model.init file) was changed"
[ "$hd" = "$(sha256sum < xy.h5)" ] || say "an input (data file) was changed"
"$exe" run init.yaml -o ok.h5 -q && "$exe" run data.yaml -o ok2.h5 -q || say "the same jobs into a new file"
no_debris "inputs"
echo "inputs: run and validate -o INPUT refused (exit 2, the file named); the inputs untouched"

# 4. a merge stopped by a signal leaves no temporary file; status names one
cat > big.yaml <<'YAML'
name: big
seeds: {count: 16}
data: {kind: subspace, dim: 128, rank: 4, samples: 20, noise: 0.05}
model: {kind: autoencoder, input: 128, latent: 32}
train: {optimizer: adam, lr: 0.005, epochs: 1}
record: {weights: initial_and_final, loss_every: 1}
YAML
"$exe" run big.yaml -o s0.h5 -q --shard 0/2 && "$exe" run big.yaml -o s1.h5 -q --shard 1/2 || say "shards"
for sig in TERM INT HUP; do
  "$py" - "$exe" $sig <<'PY' || fail=1
import os, signal, subprocess, sys, time
exe, sig = sys.argv[1], getattr(signal, "SIG" + sys.argv[2])
p = subprocess.Popen([exe, "merge", "m.h5", "s0.h5", "s1.h5"], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
seen = None
t0 = time.time()
while p.poll() is None and time.time() - t0 < 120:
    seen = [n for n in os.listdir(".") if n.startswith(".m.h5.") and n.endswith(".tmp")]
    if seen:
        p.send_signal(sig)
        break
    time.sleep(0.001)
rc = p.wait()
if not seen:
    print("FAIL: SIG%s: merge finished (exit %d) before its temporary file was seen" % (sys.argv[2], rc))
    sys.exit(1)
if rc != -sig:
    print("FAIL: SIG%s during merge: exit %d, want death by the signal" % (sys.argv[2], rc))
    sys.exit(1)
PY
  [ ! -e m.h5 ] || say "SIG$sig: merge made m.h5 anyway"
  no_debris "SIG$sig during merge"
done
# a stray temporary file (a killed merge's, a dead pid): status says what it is
cp s0.h5 .m.h5.999999999.tmp
"$exe" status .m.h5.999999999.tmp > out 2>&1; rc=$?
[ $rc -eq 2 ] || say "status of a stray temporary file: exit $rc, want 2"
one_line out "status of a stray temporary file" "not a result file: a temporary file left by a symsweep run or merge (pid 999999999, not running on this host) that was making m.h5"
grep -q "shard" out && say "status calls a temporary file a shard"
rm -f .m.h5.999999999.tmp
echo "merge: SIGTERM, SIGINT, SIGHUP leave no temporary file; status names a stray one"

# 5. no locks on the file system
if ldd "$exe" | grep -q 'libasan'; then
  echo "no locks: skipped (a sanitizer build does not take an LD_PRELOAD shim)"
elif ! "$cc" -shared -fPIC -o nolocks.so "$(dirname "$0")/nolocks.c" -ldl; then
  say "no locks: the shim does not build"
else
  rm -f n.h5*
  LD_PRELOAD=$PWD/nolocks.so "$exe" run a.yaml -o n.h5 -q > out 2>&1; rc=$?
  [ $rc -eq 2 ] || say "no locks: run: exit $rc, want 2"
  one_line out "no locks: run" "n.h5: cannot lock n.h5.lock: No locks available: .*SYMSWEEP_FILE_LOCKING=FALSE"
  LD_PRELOAD=$PWD/nolocks.so "$exe" merge n.h5 a1.h5 a2.h5 > out 2>&1; rc=$?
  [ $rc -eq 2 ] || say "no locks: merge: exit $rc, want 2"
  one_line out "no locks: merge" "n.h5: cannot lock n.h5.lock"
  [ ! -e n.h5 ] || say "no locks: a refused run or merge made n.h5"
  no_debris "no locks"
  SYMSWEEP_FILE_LOCKING=FALSE LD_PRELOAD=$PWD/nolocks.so "$exe" run a.yaml -o n.h5 -q ||
    say "no locks: SYMSWEEP_FILE_LOCKING=FALSE does not run"
  no_debris "no locks, SYMSWEEP_FILE_LOCKING=FALSE"
  echo "no locks: run and merge refused (exit 2) and leave nothing; SYMSWEEP_FILE_LOCKING=FALSE runs"
fi

[ $fail -eq 0 ] && echo "outputs: one writer per file, inputs never written, no debris"
exit $fail
