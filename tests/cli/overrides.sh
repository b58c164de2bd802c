#!/usr/bin/env bash
# Settings from the command line (symsweep run JOB.yaml KEY.PATH=VALUE...):
# a run with overrides gives the same results as a job file that says the
# same; they reach every rank under MPI; the file records the effective job
# and the overrides; --resume needs the same ones; bad ones are refused with
# the argument named; plan and validate take them too.
#   overrides.sh SYMSWEEP PYTHON MPIEXEC NPFLAG
set -u
exe=$1 py=$2 mpiexec=$3 npflag=$4
. "$(dirname "$0")/../support/mpi_env.sh"
fail=0
cd "$tmp"
cat > base.yaml <<'YAML'
# the base job
name: ov
seeds: [1, 2]
data: {kind: teacher_linear, input: 3, output: 2, samples: 20}
model: {kind: mlp, widths: [3, 4, 2], activation: tanh}
train: {optimizer: gd, lr: 0.05, epochs: 30}
YAML
cat > same.yaml <<'YAML'
name: ov
seeds: [1, 2]
data: {kind: teacher_linear, input: 3, output: 2, samples: 20}
model: {kind: mlp, widths: [3, 5, 2], activation: tanh}
train: {optimizer: gd, lr: 0.01, epochs: 30}
regularizer: {kind: l1, lambda: 0.001}
sweep:
  model.activation: [relu, tanh]
YAML
ov=(train.lr=0.01 'sweep.model.activation=[relu, tanh]' 'model.widths=[3, 5, 2]'
    regularizer.kind=l1 regularizer.lambda=0.001)
"$exe" run base.yaml "${ov[@]}" -o a.h5 -q || { echo "FAIL: run with overrides"; fail=1; }
"$exe" run same.yaml -o b.h5 -q || { echo "FAIL: run of the written-out job"; fail=1; }
"$mpiexec" $npflag 3 "$exe" run base.yaml -o c.h5 -q "${ov[@]}" || { echo "FAIL: MPI run with overrides"; fail=1; }
"$py" - <<'PY' || fail=1
import h5py, numpy as np
a, b, c = (h5py.File(n, "r") for n in ("a.h5", "b.h5", "c.h5"))
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
skip = {"runs/wall_time", "runs/rank"}
def same(x, y):
    return [n for n in names if n not in skip and
            (x[n][...].tolist() if x[n].dtype == object else x[n][...].tobytes()) !=
            (y[n][...].tolist() if y[n].dtype == object else y[n][...].tobytes())]
bad = same(a, b) + same(a, c)
assert not bad, "overridden run differs from the written-out job or across ranks: %s" % bad
assert a["runs/status"].shape == (4,), a["runs/status"].shape
ov = a.attrs["overrides"]
ov = ov.decode() if isinstance(ov, bytes) else ov
assert ov.split("\n") == ["train.lr=0.01", "sweep.model.activation=[relu, tanh]",
                          "model.widths=[3, 5, 2]", "regularizer.kind=l1",
                          "regularizer.lambda=0.001"], ov
y = a.attrs["job_yaml"]
y = y.decode() if isinstance(y, bytes) else y
assert y.startswith("# base.yaml with settings from the command line: train.lr=0.01,"), y[:80]
assert "lr: 0.01" in y and "lambda: 0.001" in y and "widths: [3, 5, 2]" in y, y
assert "overrides" not in b.attrs
print("overrides: same results as the written-out job, on 1 and 3 ranks; recorded")
PY
# the effective job, taken from the file, runs the same job again
"$py" -c "import h5py; open('eff.yaml', 'w').write(h5py.File('a.h5', 'r').attrs['job_yaml'])"
"$exe" run eff.yaml -o d.h5 -q || { echo "FAIL: the recorded job_yaml does not run"; fail=1; }
"$py" -c "
import h5py
a, d = h5py.File('a.h5', 'r'), h5py.File('d.h5', 'r')
assert (a['runs/final_loss'][:] == d['runs/final_loss'][:]).all() if 'runs/final_loss' in a else True
assert (a['runs/metrics/final_loss'][:] == d['runs/metrics/final_loss'][:]).all()
" || { echo "FAIL: the recorded job_yaml gives other results"; fail=1; }

# --resume: the same settings resume (spacing may differ), others are refused
"$exe" run base.yaml -o a.h5 --resume -q "${ov[@]/\[relu, tanh\]/[relu,tanh]}" ||
  { echo "FAIL: resume with the same overrides"; fail=1; }
"$exe" run base.yaml -o a.h5 --resume -q 2> err; rc=$?
[ $rc -eq 2 ] && grep -q "the file's job had the command-line settings 'train.lr=0.01 sweep.model" err ||
  { echo "FAIL: resume without the overrides: exit $rc: $(cat err)"; fail=1; }

# bad settings: exit 2, the argument named, no file
expect() { # expect MESSAGE ARGS...
  local want=$1; shift
  "$exe" run base.yaml -o bad.h5 "$@" > /dev/null 2> err; local rc=$?
  if [ $rc -ne 2 ] || ! grep -qF -- "$want" err || [ -e bad.h5 ]; then
    echo "FAIL: $*: exit $rc, want 2 and '$want'; got: $(cat err)"; fail=1
  fi
}
expect "base.yaml: command line 'train.lr=abc': train.lr: expected a number > 0, found \"abc\"" train.lr=abc
expect "base.yaml: command line 'train.lr=[1,': train.lr: (syntax):" 'train.lr=[1,'
expect "base.yaml: command line 'data.kind.x=1': kind is \"teacher_linear\" on line 4 of the job file, not a mapping" data.kind.x=1
expect "base.yaml: command line 'train.foo=1': train.foo: unknown setting" train.foo=1
expect "base.yaml: command line 'train..lr=1': expected KEY.PATH=VALUE" train..lr=1
expect "base.yaml: command line 'train.lr=': expected KEY.PATH=VALUE" train.lr=
expect "run takes one job file, then KEY.PATH=VALUE settings; 'other.yaml' is a second one" other.yaml
expect "base.yaml: command line 'sweep.train.lr=[0.1, -1]': train.lr: expected a number > 0, found \"-1\" (sweep point train.lr=-1)" 'sweep.train.lr=[0.1, -1]'

# validate and plan take them
"$exe" validate base.yaml 'sweep.seeds=[1]' > out 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: validate with a bad axis: exit $rc"; fail=1; }
"$exe" validate base.yaml 'sweep.train.lr=[0.1, 0.2, 0.3]' | grep -q "6 runs (3 configurations x 2 seeds)" ||
  { echo "FAIL: validate with an axis override"; fail=1; }
"$exe" plan base.yaml --no-calibrate 'seeds={count: 10}' | grep -q "^base.yaml: 10 runs" ||
  { echo "FAIL: plan with an override"; "$exe" plan base.yaml --no-calibrate 'seeds={count: 10}'; fail=1; }
[ $fail -eq 0 ] && echo "PASS: command-line settings"
exit $fail
