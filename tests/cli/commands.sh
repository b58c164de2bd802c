#!/usr/bin/env bash
# End-to-end tests of the symsweep command.
set -u
exe=$1
src=$2
py=${3:-python3}
mpiexec=${4:-mpiexec}
npflag=${5:--n}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...: the command must succeed
  local what=$1; shift
  if ! "$@" >"$tmp/log" 2>&1; then echo "FAIL: $what"; sed 's/^/  | /' "$tmp/log"; fail=1; fi
}
expect_status() { # expect_status N DESCRIPTION COMMAND...
  local want=$1 what=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -ne "$want" ]; then echo "FAIL: $what: status $rc, want $want"; cat "$tmp/err"; fail=1; fi
}

check "--help" "$exe" --help
grep -q "validate JOB.yaml" "$tmp/log" || { echo "FAIL: --help lacks validate"; fail=1; }
check "--version" "$exe" --version
check "--version --verbose" "$exe" --version --verbose
for what in "^BLAS: .*; kernels " "^HDF5: 1\." "^MPI: " "^ScaLAPACK: " "^Compiler: [A-Za-z]"; do
  grep -q "$what" "$tmp/log" || { echo "FAIL: --version --verbose lacks $what"; cat "$tmp/log"; fail=1; }
done
grep -q "^symsweep 0\.1\.0" "$tmp/log" || { echo "FAIL: --version"; fail=1; }
# GNU conventions: every command's --help (stdout, status 0), help COMMAND,
# --option=value, -oFILE, '--' before a job file that looks like an option
for c in run validate plan merge status summary align; do
  "$exe" $c --help > "$tmp/out" 2> "$tmp/err"; rc=$?
  { [ $rc -eq 0 ] && grep -q "^usage: symsweep $c" "$tmp/out" && [ ! -s "$tmp/err" ]; } ||
    { echo "FAIL: $c --help: status $rc"; cat "$tmp/out" "$tmp/err"; fail=1; }
  "$exe" help $c | grep -q "^usage: symsweep $c" || { echo "FAIL: help $c"; fail=1; }
done
check "run --output=FILE" "$exe" run "$src/jobs/smoke.yaml" --output="$tmp/eq.h5" --checkpoint-every=5 -q
test -s "$tmp/eq.h5" || { echo "FAIL: --output=FILE wrote nothing"; fail=1; }
check "run -oFILE" "$exe" run "$src/jobs/smoke.yaml" -o"$tmp/glued.h5" -q
test -s "$tmp/glued.h5" || { echo "FAIL: -oFILE wrote nothing"; fail=1; }
cp "$src/jobs/smoke.yaml" "$tmp/-dash.yaml"
( cd "$tmp" && "$exe" validate -- -dash.yaml ) > "$tmp/log" 2>&1 || { echo "FAIL: -- before a job file"; cat "$tmp/log"; fail=1; }
expect_status 2 "--checkpoint-every=abc" "$exe" run "$src/jobs/smoke.yaml" --checkpoint-every=abc
# help probes: every built-in listed; one probe's settings with their defaults
"$exe" help probes > "$tmp/log" 2>&1 || { echo "FAIL: help probes exits nonzero"; fail=1; }
for p in orbit_loss structure penalty_invariance reparam lp_ball gradient_decomposition centralizer conserved hessian symmetry_discovery; do
  grep -q "^  $p " "$tmp/log" || { echo "FAIL: help probes lacks $p"; fail=1; }
done
"$exe" help probes orbit_loss > "$tmp/log" 2>&1
grep -q "integer 3..10001, default 9" "$tmp/log" || { echo "FAIL: help probes orbit_loss: points"; cat "$tmp/log"; fail=1; }
"$exe" help probes hessian > "$tmp/log" 2>&1
grep -q "team_memory_mb" "$tmp/log" || { echo "FAIL: help probes hessian: team settings"; cat "$tmp/log"; fail=1; }
if "$exe" help probes fisher > "$tmp/log" 2>&1; then echo "FAIL: help probes of an unknown probe succeeds"; fail=1; fi
grep -q "no probe 'fisher'" "$tmp/log" || { echo "FAIL: help probes fisher message"; cat "$tmp/log"; fail=1; }
grep -q -- "--checkpoint-every needs a number of seconds" "$tmp/err" || { echo "FAIL: --opt=bad message"; cat "$tmp/err"; fail=1; }
expect_status 2 "help of no command" "$exe" help frobnicate
expect_status 2 "no command" "$exe"
expect_status 2 "unknown command" "$exe" frobnicate
expect_status 2 "unknown option" "$exe" run "$src/jobs/smoke.yaml" --frobnicate
expect_status 2 "missing job file" "$exe" validate "$tmp/none.yaml"
grep -q "none.yaml: cannot open the job file" "$tmp/err" || { echo "FAIL: missing job message"; cat "$tmp/err"; fail=1; }
for j in "$src"/jobs/*.yaml; do check "validate $(basename "$j")" "$exe" validate "$j"; done

# a run, read back with h5py and h5dump
check "run smoke" "$exe" run "$src/jobs/smoke.yaml" -o "$tmp/smoke.h5"
grep -q "results: $tmp/smoke.h5" "$tmp/log" || { echo "FAIL: run does not say where the file is"; fail=1; }
check "h5py layout" "$py" "$src/tests/cli/check_output.py" "$tmp/smoke.h5" "$src/jobs/smoke.yaml" 2
check "h5dump reads it" h5dump -H "$tmp/smoke.h5"
test -d "$tmp/smoke.h5" || true

# existing output: refused without --force (status 2, file untouched), replaced with it
before=$(sha256sum "$tmp/smoke.h5")
expect_status 2 "existing output refused" "$exe" run "$src/jobs/smoke.yaml" -o "$tmp/smoke.h5"
grep -q "output file exists (use --force" "$tmp/err" || { echo "FAIL: existing-output message"; cat "$tmp/err"; fail=1; }
[ "$before" = "$(sha256sum "$tmp/smoke.h5")" ] || { echo "FAIL: refused run modified the file"; fail=1; }
check "--force replaces" "$exe" run "$src/jobs/smoke.yaml" -o "$tmp/smoke.h5" --force --quiet
[ ! -s "$tmp/log" ] || { echo "FAIL: --quiet printed"; cat "$tmp/log"; fail=1; }

# the same job twice: identical datasets (bitwise), whatever the time
check "second run" "$exe" run "$src/jobs/smoke.yaml" -o "$tmp/again.h5" --quiet
check "runs identical" "$py" - "$tmp/smoke.h5" "$tmp/again.h5" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for grp in ("runs/weights", "runs/initial_weights", "runs/curves", "runs/metrics", "grid"):
    for k in a[grp]:
        x, y = a[grp][k][...], b[grp][k][...]
        same = x.tolist() == y.tolist() if x.dtype == object else x.tobytes() == y.tobytes()
        assert x.dtype == y.dtype and x.shape == y.shape and same, grp + "/" + k
PY

# user data from an HDF5 file, relative to the job file
mkdir -p "$tmp/proj/data"
check "make user data" "$py" - "$tmp/proj/data/xy.h5" <<'PY'
import sys, h5py, numpy as np
rng = np.random.default_rng(0)
X = rng.normal(size=(64, 4)); T = rng.normal(size=(4, 2))
with h5py.File(sys.argv[1], "w") as f:
    f["inputs/X"] = X
    f["targets"] = X @ T
PY
cat > "$tmp/proj/user.yaml" <<'YAML'
seeds: [1, 2, 3]
data: {kind: hdf5, file: data/xy.h5, x: inputs/X, y: targets}
model: {kind: mlp, widths: [4, 8, 2], activation: tanh, bias: true}
train: {optimizer: adam, lr: 0.01, epochs: 300, batch_size: 16}
record: {loss_every: 25}
YAML
check "run on user data" "$exe" run "$tmp/proj/user.yaml" -o "$tmp/user.h5"
check "user data layout" "$py" "$src/tests/cli/check_output.py" "$tmp/user.h5" "$tmp/proj/user.yaml" 3

# sweep axes as range(), linspace() and logspace(): the same runs as the lists written out
cat > "$tmp/ranges.yaml" <<'YAML'
seeds: {count: 2}
data: {kind: subspace, dim: 8, rank: 3, samples: 50, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.01, epochs: 20}
regularizer: {kind: frobenius, lambda: 0.01}
sweep:
  train.lr: logspace(-3, -1, 3)
  zip:
    regularizer.lambda: linspace(0, 0.1, 3)
    train.epochs: range(10, 40, 10)
YAML
sed 's/logspace(-3, -1, 3)/[0.001, 0.01, 0.1]/; s/linspace(0, 0.1, 3)/[0, 0.05, 0.1]/; s/range(10, 40, 10)/[10, 20, 30]/' \
  "$tmp/ranges.yaml" > "$tmp/lists.yaml"
check "run with ranges" "$exe" run "$tmp/ranges.yaml" -o "$tmp/ranges.h5" -q
check "run with lists" "$exe" run "$tmp/lists.yaml" -o "$tmp/lists.h5" -q
check "ranges equal lists" "$py" - "$tmp/ranges.h5" "$tmp/lists.h5" <<'PY'
import sys, h5py
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for grp in ("grid", "runs/metrics", "runs/curves", "runs/weights"):
    for k in a[grp]:
        x, y = a[grp][k][...], b[grp][k][...]
        assert x.tobytes() == y.tobytes(), grp + "/" + k
assert a["grid/train.lr"][...].tolist() == [0.001] * 6 + [0.01] * 6 + [0.1] * 6
PY

# a diverging configuration: recorded as diverged with finite last values, not a crash
cat > "$tmp/div.yaml" <<'YAML'
seeds: {count: 2}
data: {kind: teacher_linear, input: 4, output: 3, samples: 50}
model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear}
train: {optimizer: gd, lr: 100, epochs: 1000}
YAML
check "diverging run completes" "$exe" run "$tmp/div.yaml" -o "$tmp/div.h5"
grep -q "2 diverged" "$tmp/log" || { echo "FAIL: diverged runs not counted"; cat "$tmp/log"; fail=1; }
check "diverged layout" "$py" "$src/tests/cli/check_output.py" "$tmp/div.h5" "$tmp/div.yaml" 2 --diverged
# ... and inside a sweep over 3 ranks, next to runs that converge
cat > "$tmp/div2.yaml" <<'YAML'
seeds: {count: 4}
data: {kind: teacher_linear, input: 4, output: 3, samples: 50}
model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear}
train: {optimizer: gd, lr: 0.01, epochs: 300}
sweep:
  train.lr: [0.01, 100]
YAML
"$mpiexec" $npflag 3 "$exe" run "$tmp/div2.yaml" -o "$tmp/div2.h5" >"$tmp/log" 2>&1 || { echo "FAIL: mixed diverging sweep"; cat "$tmp/log"; fail=1; }
grep -q "8 runs computed (of 8): 4 done, 4 diverged, 0 failed" "$tmp/log" || { echo "FAIL: mixed diverging counts"; cat "$tmp/log"; fail=1; }
check "diverged runs by lr" "$py" -c "
import h5py, numpy as np
f = h5py.File('$tmp/div2.h5'); st = f['runs/status'][:]; lr = f['grid/train.lr'][:]
assert (st[lr == 100] == 2).all() and (st[lr == 0.01] == 1).all(), (st, lr)
assert np.isfinite(f['runs/weights/W1'][:]).all()"

# failed runs: recorded with their message, the sweep goes on, status 1; --resume redoes them
SYMSWEEP_TEST_FAIL_RUNS=1,4 "$exe" run "$src/jobs/smoke.yaml" -o "$tmp/fail.h5" --force >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: failed runs: status $rc, want 1"; fail=1; }
grep -q "run 1 (seed 2, rank 0) failed: injected failure of run 1" "$tmp/err" || { echo "FAIL: failure not reported"; cat "$tmp/err"; fail=1; }
cat > "$tmp/smoke4.yaml" <<'YAML'
seeds: {count: 6}
data: {kind: subspace, dim: 8, rank: 3, samples: 50, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 50}
YAML
SYMSWEEP_TEST_FAIL_RUNS=1,4 "$exe" run "$tmp/smoke4.yaml" -o "$tmp/fail.h5" --force -q
check "failed runs recorded" "$py" - "$tmp/fail.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
st = f["runs/status"][:]
assert st.tolist() == [1, 3, 1, 1, 3, 1], st
err = [e.decode() for e in f["runs/error"][:]]
assert err[1] == "injected failure of run 1 (SYMSWEEP_TEST_FAIL_RUNS)" and err[0] == "", err
assert np.isnan(f["runs/metrics/final_loss"][1]) and np.isfinite(f["runs/metrics/final_loss"][0])
assert f.attrs["finished"] != b""
PY
check "status lists failed runs" "$exe" status "$tmp/fail.h5"
grep -q "6/6 runs written.*2 failed.*failed run 1: injected failure of run 1" <(tr '\n' ' ' < "$tmp/log") || { echo "FAIL: status"; cat "$tmp/log"; fail=1; }
check "resume redoes failed runs" "$exe" run "$tmp/smoke4.yaml" -o "$tmp/fail.h5" --resume -q
check "all done after resume" "$py" -c "import h5py,sys; st=h5py.File('$tmp/fail.h5')['runs/status'][:]; sys.exit(0 if (st==1).all() else 1)"

# summary: grouped statistics equal an independent computation with numpy
cat > "$tmp/sw.yaml" <<'YAML'
seeds: {count: 4}
data: {kind: teacher_linear, input: 4, output: 3, samples: 40}
model: {kind: mlp, widths: [4, 6, 3], activation: relu}
regularizer: {kind: frobenius, lambda: 0.001}
train: {optimizer: adam, lr: 0.01, epochs: 20}
sweep:
  model.widths: [[4, 6, 3], [4, 5, 5, 3]]
  regularizer: [{kind: frobenius, lambda: 0.001}, {kind: l1, lambda: 0.01}]
YAML
check "sweep run" "$exe" run "$tmp/sw.yaml" -o "$tmp/sw.h5"
grep -q "4 groups by the sweep axes" "$tmp/log" || { echo "FAIL: run did not print the summary"; fail=1; }
"$exe" summary "$tmp/sw.h5" --csv >"$tmp/sum.csv" || { echo "FAIL: summary --csv"; fail=1; }
"$exe" summary "$tmp/sw.h5" --by regularizer.kind --csv >"$tmp/sum2.csv" || { echo "FAIL: summary --by"; fail=1; }
check "summary statistics" "$py" - "$tmp/sw.h5" "$tmp/sum.csv" "$tmp/sum2.csv" <<'PY'
import sys, csv, h5py, numpy as np
f = h5py.File(sys.argv[1])
done = f["runs/status"][:] == 1
# t quantiles 0.975 for df = 3 (4 seeds per configuration) and 7 (8 runs per kind)
t975 = {3: 3.182446305284263, 7: 2.364624251592785}
def check(rows, keyof, cols):
    assert rows, "no rows"
    for r in rows:
        m = f["runs/metrics/" + r["metric"]][:]
        sel = done & np.array([keyof(i) == tuple(r[c] for c in cols) for i in range(len(m))])
        x = m[sel]
        assert int(r["n"]) == len(x), (r, len(x))
        mean, std = x.mean(), x.std(ddof=1)
        half = t975[len(x) - 1] * std / np.sqrt(len(x))
        for got, want in ((float(r["mean"]), mean), (float(r["std"]), std),
                          (float(r["ci95_low"]), mean - half), (float(r["ci95_high"]), mean + half)):
            assert abs(got - want) <= 1e-12 * max(1, abs(want)), (r, got, want)
s = lambda d, i: d[i].decode() if isinstance(d[i], bytes) else "%.6g" % d[i]
g = f["grid"]
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 4 * 3, len(rows)   # 4 configurations x 3 metrics
check(rows, lambda i: (s(g["model.widths"], i), s(g["regularizer"], i)), ["model.widths", "regularizer"])
rows = list(csv.DictReader(open(sys.argv[3])))
assert len(rows) == 2 * 3, len(rows)
check(rows, lambda i: (s(g["regularizer.kind"], i),), ["regularizer.kind"])
PY
# an integer metric's fill value (-1: the run has no value, as a tied model's orbit dimension)
# is missing to summary, as to netCDF tools: not a -1 in the mean
check "an int64 metric with a fill value" "$py" - "$tmp/sw.h5" "$tmp/swi.h5" <<'PY'
import shutil, sys, h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    n = f["runs/status"].shape[0]
    v = np.arange(n, dtype=np.int64) % 3 + 4   # 4, 5, 6, ...
    v[::4] = -1                                # every configuration's first seed: no value
    d = f.create_dataset("runs/metrics/zz_count", data=v, chunks=(n,), fletcher32=True)
    d.attrs["_FillValue"] = np.int64(-1)
    d.attrs["description"] = "a count (test)"
    # an edit by another program fails the file's seal (docs/reliability.md): taking the
    # seal off accepts the edit, as a user who changed the file on purpose would
    h5py.h5o.set_comment(f.id, b"")
PY
"$exe" summary "$tmp/swi.h5" --csv >"$tmp/sumi.csv" || { echo "FAIL: summary of the int64 metric"; fail=1; }
check "summary leaves the fill value out" "$py" - "$tmp/swi.h5" "$tmp/sumi.csv" <<'PY'
import csv, sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
v, done = f["runs/metrics/zz_count"][:], f["runs/status"][:] == 1
rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["metric"] == "zz_count"]
assert len(rows) == 4, rows
for k, r in enumerate(rows):   # configuration k: runs 4k .. 4k+3, the first without a value
    x = v[4 * k + 1:4 * k + 4][done[4 * k + 1:4 * k + 4]]
    assert int(r["n"]) == len(x) == 3, (r, x)
    assert abs(float(r["mean"]) - x.mean()) < 1e-12, (r, x.mean())
PY
expect_status 2 "summary of a foreign file" "$exe" summary "$src/jobs/smoke.yaml"
grep -q "not an HDF5 file" "$tmp/err" || { echo "FAIL: foreign file message"; cat "$tmp/err"; fail=1; }
expect_status 2 "summary --by unknown" "$exe" summary "$tmp/sw.h5" --by nope
grep -q "has no grid column nope; it has: config, model.widths" "$tmp/err" || { echo "FAIL: --by message"; cat "$tmp/err"; fail=1; }

# dependent tasks: the orbit_loss probe, computed by 1 rank and by 2 workers
cat > "$tmp/orbit.yaml" <<'YAML'
seeds: {count: 3}
data: {kind: teacher_linear, input: 4, output: 3, samples: 60, noise: 0.05}
model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear}
train: {optimizer: gd, lr: 0.01, epochs: 200}
probes: {orbit_loss: {directions: 4, points: 9, t_max: 2.0}}
sweep:
  model.activation: [linear, relu]
YAML
sed 's/probes: {orbit_loss: {directions: 4, points: 9, t_max: 2.0}}/probes: {orbit_loss: {directions: 4, points: 9, t_max: 2.0, algebra: gl, perpendicular: true, landscape: 5, s_max: 0.5}}/' "$tmp/orbit.yaml" > "$tmp/orbit_gl.yaml"
check "orbit probe, 1 rank" "$exe" run "$tmp/orbit_gl.yaml" -o "$tmp/o1.h5" -q
check "orbit probe, 3 ranks" "$mpiexec" $npflag 3 "$exe" run "$tmp/orbit_gl.yaml" -o "$tmp/o3.h5" -q
check "orbit probe values" "$py" - "$tmp/o1.h5" "$tmp/o3.h5" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for k in ("loss", "data_loss", "max_rel_change", "perp_loss", "landscape"):
    assert a["probes/orbit_loss/" + k][...].tobytes() == b["probes/orbit_loss/" + k][...].tobytes(), k
L = a["probes/orbit_loss/loss"]
assert L.shape == (6, 4, 9) and L.dims[2][0].name == "/probes/orbit_loss/t"
t = a["probes/orbit_loss/t"][:]
assert abs(t[0] + 2) < 1e-15 and t[4] == 0 and abs(t[8] - 2) < 1e-15
rel = a["runs/metrics/orbit_max_rel_change"][:]
act = [x.decode() for x in a["grid/model.activation"][:]]
lin = np.array([x == "linear" for x in act])
# linear layers: gl(n) is a symmetry, flat to rounding; relu: gl(n) is not
assert (rel[lin] < 1e-12).all(), rel
assert (rel[~lin] > 1e-3).all(), rel
# off the orbit the loss moves; the landscape (t rows, s columns) is flat in
# t for linear layers, and its t = 0 row is the perpendicular line
P = a["probes/orbit_loss/perp_loss"]
G = a["probes/orbit_loss/landscape"]
assert P.shape == (6, 4, 9) and P.dims[2][0].name == "/probes/orbit_loss/s"
assert G.shape == (6, 4, 5, 5) and G.dims[2][0].name == "/probes/orbit_loss/landscape_t"
assert G.dims[3][0].name == "/probes/orbit_loss/landscape_s"
s = a["probes/orbit_loss/s"][:]
assert abs(s[0] + 0.5) < 1e-15 and abs(s[8] - 0.5) < 1e-15
prel = a["runs/metrics/orbit_perp_max_rel_change"][:]
assert (prel > 1e-3).all(), prel
G = G[...]
flat_t = np.abs(G - G[:, :, 2:3, :]).max(axis=(1, 2, 3)) / np.abs(G[:, :, 2, :]).min(axis=(1, 2))
assert (flat_t[lin] < 1e-12).all(), flat_t
assert (flat_t[~lin] > 1e-3).all(), flat_t
assert np.allclose(G[:, :, 2, :], P[...][:, :, ::2], rtol=1e-13, atol=0)
PY
# gradient decomposition during training: the orbit derivative ||J^T g|| is at
# rounding for an unregularized linear net and not under a Frobenius penalty
# along gl(n); for gd the full step's change is the curve's own difference
cat > "$tmp/gd.yaml" <<'YAML'
seeds: {count: 2}
data: {kind: teacher_linear, input: 4, output: 3, samples: 80, noise: 0.05}
model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear, bias: false}
train: {optimizer: gd, lr: 0.01, epochs: 30}
record: {loss_every: 1}
regularizer: {kind: frobenius, lambda: 0.01}
probes: {gradient_decomposition: {algebra: gl}}
sweep:
  regularizer.lambda: [0.0, 0.01]
YAML
check "gradient decomposition, 2 ranks" "$mpiexec" $npflag 2 "$exe" run "$tmp/gd.yaml" -o "$tmp/gd.h5" -q
check "gradient decomposition values" "$py" - "$tmp/gd.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
g = f["probes/gradient_decomposition"]
none = f["grid/regularizer.lambda"][:] == 0
dmax = f["runs/metrics/gd_orbit_derivative_max"][:]
assert (dmax[none] < 1e-12).all() and (dmax[~none] > 1e-3).all(), dmax
# the curves' epochs, as a scale netCDF sees from this group: a copy beside the datasets
assert g["orbit_derivative"].dims[1][0].name == "/probes/gradient_decomposition/epoch"
assert (g["epoch"][:] == f["runs/curves/epoch"][:]).all()
c = f["runs/curves/loss"][:]
step = g["step_change"][:]
assert np.isnan(step[:, -1]).all()
assert np.allclose(step[:, :-1], np.diff(c, axis=1), rtol=1e-12, atol=0)
# unregularized: the cross-orbit part carries the whole decrease
assert (g["orbit_norm"][none][:, :-1] < 1e-12).all()
assert np.allclose(g["perp_step_change"][none][:, :-1], step[none][:, :-1], rtol=1e-12, atol=0)
# penalized: the orbit part is real and lowers the objective on its own
assert (g["orbit_norm"][~none][:, :-1] > 1e-3).all()
assert (g["orbit_step_change"][~none][:, :-1] < 0).all()
PY
# minibatch training: the decomposition computes its own full-data gradient
sed 's/train: {optimizer: gd, lr: 0.01, epochs: 30}/train: {optimizer: sgd, lr: 0.01, epochs: 30, batch_size: 16}/' "$tmp/gd.yaml" > "$tmp/gd_sgd.yaml"
check "gradient decomposition, sgd" "$exe" run "$tmp/gd_sgd.yaml" -o "$tmp/gd_sgd.h5" -q
check "gradient decomposition values, sgd" "$py" - "$tmp/gd_sgd.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
none = f["grid/regularizer.lambda"][:] == 0
dmax = f["runs/metrics/gd_orbit_derivative_max"][:]
assert (dmax[none] < 1e-12).all() and (dmax[~none] > 1e-3).all(), dmax
assert np.isfinite(f["probes/gradient_decomposition/step_change"][:, :-1]).all()
PY
# a run that converges: ||g|| reaches its rounding floor, where ||J^T g|| / ||g||
# is noise over noise; the headline counts only points above the floor, and the
# absolute maximum stays at rounding level
cat > "$tmp/conv.yaml" <<'YAML'
seeds: [0, 1, 2]
data: {kind: teacher_linear, input: 4, output: 3, samples: 100, noise: 0.05}
model: {kind: mlp, widths: [4, 6, 3], activation: linear, bias: false}
train: {optimizer: gd, lr: 0.05, epochs: 40000}
record: {loss_every: 2000}
probes: {gradient_decomposition: {algebra: gl}}
YAML
check "gradient decomposition at convergence" "$exe" run "$tmp/conv.yaml" -o "$tmp/conv.h5" -q
check "converged headline" "$py" - "$tmp/conv.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
g = f["probes/gradient_decomposition"]
od, gn = g["orbit_derivative"][:, :-1], np.hypot(g["orbit_norm"][:, :-1], g["perp_norm"][:, :-1])
naive = (od / gn).max(axis=1)           # every point, the floor ignored
assert (naive > 1e-5).all(), naive      # what misled: noise over noise once converged
dmax = f["runs/metrics/gd_orbit_derivative_max"][:]
amax = f["runs/metrics/gd_orbit_derivative_abs_max"][:]
assert (dmax < 1e-7).all(), dmax
assert (amax < 1e-14).all() and np.allclose(amax, g["orbit_derivative"][:, :-1].max(axis=1), rtol=0, atol=0), amax
PY
check "orbit probe, auto algebra per configuration (gl for linear, diagonal for relu)" "$exe" validate "$tmp/orbit.yaml"
cat > "$tmp/orbit_tanh.yaml" <<'YAML'
data: {kind: teacher_linear, input: 4, output: 3, samples: 60}
model: {kind: mlp, widths: [4, 6, 3], activation: tanh}
train: {optimizer: gd, lr: 0.01, epochs: 20}
probes: {orbit_loss: {directions: 2}}
YAML
expect_status 2 "orbit probe on tanh" "$exe" validate "$tmp/orbit_tanh.yaml"
grep -q "probes.orbit_loss: orbit probe: hidden activations other than linear or relu have no continuous symmetry" "$tmp/err" || { echo "FAIL: tanh probe message"; cat "$tmp/err"; fail=1; }

# Ex3 claims on a multi-seed sweep (structure and penalty_invariance probes)
cat > "$tmp/ex3.yaml" <<'YAML'
seeds: {count: 8}
data: {kind: subspace, dim: 8, rank: 3, samples: 500, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.005, epochs: 2000}
probes: {structure: {}, penalty_invariance: {trials: 30}}
sweep:
  regularizer: [{kind: none}, {kind: frobenius, lambda: 0.01}, {kind: l1, lambda: 0.005}]
YAML
check "Ex3 sweep with probes" "$mpiexec" $npflag 3 "$exe" run "$tmp/ex3.yaml" -o "$tmp/ex3.h5" -q
check "Ex3 claims" "$py" - "$tmp/ex3.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1]); m = f["runs/metrics"]
kind = np.array([k.decode() for k in f["grid/regularizer.kind"][:]])
te, sp_e, orth = m["transpose_error"][:], m["sparsity_encoder"][:], m["orthogonality_error"][:]
none, l2, l1 = kind == "none", kind == "frobenius", kind == "l1"
# L2: the decoder is the encoder's transpose (Transpose Theorem); most seeds to 1e-3
assert np.median(te[l2]) < 1e-3 and np.median(orth[l2]) < 0.2, (te[l2], orth[l2])
# L1: sparse; unregularized: neither
assert sp_e[l1].mean() > 0.5 and sp_e[none].mean() < 0.2 and sp_e[l2].mean() < 0.2, sp_e
assert np.median(te[none]) > 0.1 and np.median(te[l1]) > 0.1
# the Frobenius penalty keeps O(d) and signed permutations; l1 only signed permutations
assert (m["penalty_change_frobenius_orthogonal"][:] < 1e-12).all()
assert (m["penalty_change_frobenius_signed_permutation"][:] < 1e-12).all()
assert (m["penalty_change_l1_signed_permutation"][:] < 1e-12).all()
assert (m["penalty_change_l1_orthogonal"][:] > 1e-3).all()
assert (m["penalty_change_frobenius_general"][:] > 1e-3).all()
pm = f["probes/penalty_invariance/max_rel_change"]
assert pm.shape == (24, 3, 2) and pm.attrs.get("families") is None  # attrs on mean_rel_change
assert f["probes/structure/sv_product"].shape == (24, 3)
print("Ex3: transpose error median L2 %.1e; sparsity L1 %.2f, none %.2f" % (
    np.median(te[l2]), sp_e[l1].mean(), sp_e[none].mean()))
PY

# Ex1 claims: the centralizer pattern of the reparam probe on trained networks
cat > "$tmp/ex1.yaml" <<'YAML'
seeds: {count: 2}
data: {kind: teacher_linear, input: 4, output: 3, samples: 100, noise: 0.05}
model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear}
train: {optimizer: gd, lr: 0.01, epochs: 200}
probes: {reparam: {trials: 30, families: [general, positive_monomial, permutation, signed_permutation]}}
sweep:
  model.activation: [linear, relu, sigmoid, tanh]
YAML
check "Ex1 sweep" "$exe" run "$tmp/ex1.yaml" -o "$tmp/ex1.h5" -q
check "Ex1 claims" "$py" - "$tmp/ex1.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
act = np.array([a.decode() for a in f["grid/model.activation"][:]])
m = f["runs/metrics"]
exact = {  # family -> activations whose centralizer holds it
    "general": {"linear"}, "positive_monomial": {"linear", "relu"},
    "permutation": {"linear", "relu", "sigmoid", "tanh"}, "signed_permutation": {"linear", "tanh"}}
for fam, ok in exact.items():
    v = m["reparam_max_rel_" + fam][:]
    for a in ("linear", "relu", "sigmoid", "tanh"):
        sel = v[act == a]
        if a in ok:
            assert (sel < 1e-12).all(), (fam, a, sel)
        else:
            assert (sel > 1e-3).all(), (fam, a, sel)
assert (f["probes/reparam/end_to_end"][:][act == "linear"] < 1e-12).all()
assert np.isnan(f["probes/reparam/end_to_end"][:][act != "linear"]).all()
# group orders as data: hidden widths 6 and 6 -> |S_6 x S_6| = 720^2, |B_6 x B_6| = (2^6 720)^2
import math
order = f["probes/reparam/group_order_log10"][:]
assert np.isinf(order[:, :2]).all(), order[:, :2]
assert np.allclose(order[:, 2], 2 * math.log10(720), rtol=0, atol=1e-12), order[:, 2]
assert np.allclose(order[:, 3], 2 * math.log10(64 * 720), rtol=0, atol=1e-12), order[:, 3]
PY

# Ex2 claims: infinitesimal centralizer dimensions and the commutation pattern
cat > "$tmp/ex2.yaml" <<'YAML'
seeds: [0]
data: {kind: teacher_linear, input: 4, output: 3, samples: 20}
model: {kind: mlp, widths: [4, 6, 3], activation: linear}
train: {optimizer: gd, lr: 0.01, epochs: 1}
probes: {centralizer: {trials: 5, samples: 60, basis: true}}
sweep:
  model.activation: [linear, relu, leaky_relu, sigmoid, tanh, softplus]
YAML
check "Ex2 sweep" "$exe" run "$tmp/ex2.yaml" -o "$tmp/ex2.h5" -q
check "Ex2 claims" "$py" - "$tmp/ex2.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
act = [a.decode() for a in f["grid/model.activation"][:]]
dim = dict(zip(act, f["runs/metrics/centralizer_dimension"][:]))
assert dim == {"linear": 36, "relu": 6, "leaky_relu": 6, "sigmoid": 0, "tanh": 0, "softplus": 0}, dim
m = f["runs/metrics"]
pm = dict(zip(act, m["centralizer_max_positive_monomial"][:]))
sp = dict(zip(act, m["centralizer_max_signed_permutation"][:]))
pe = dict(zip(act, m["centralizer_max_permutation"][:]))
assert pm["relu"] < 1e-14 and pm["sigmoid"] > 1e-2 and sp["tanh"] < 1e-14 and sp["relu"] > 1e-2
assert all(v < 1e-14 for v in pe.values())
assert (m["centralizer_max_general"][:][1:] <= 1).all()  # bounded by construction
b = f["probes/centralizer/basis"][1]  # relu: the diagonal
assert all(abs(abs(np.trace(b[k])) - 1) < 1e-9 and abs(np.abs(b[k]).sum() - 1) < 1e-9 for k in range(6))
assert np.isnan(b[6:]).all()
# group orders as data: width 6 -> |S_6| = 720, |B_6| = 2^6 720; the Lie families infinite
import math
fams = list(f["probes/centralizer"].attrs["families"])  # a setting: an array on the probe's group
order = dict(zip(fams, f["probes/centralizer/group_order_log10"][0]))
assert abs(order["permutation"] - math.log10(720)) < 1e-12 and abs(order["signed_permutation"] - math.log10(46080)) < 1e-12, order
assert all(np.isinf(order[k]) for k in fams if k not in ("permutation", "signed_permutation")), order
PY

# Ex4 claims: the l_p ball's isometries and where constrained minima land
check "Ex4 job" "$exe" run "$src/jobs/ex4-lpball.yaml" -o "$tmp/ex4.h5" -q
check "Ex4 claims" "$py" - "$tmp/ex4.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1]); nc = f["probes/lp_ball/norm_change"]
g = f["probes/lp_ball"]  # its settings: arrays on the probe's group
fams = list(g.attrs["families"]); ps = ["%g" % p for p in g.attrs["p"]]
v = nc[:].max(axis=0)                                  # [p x family], worst over seeds
orth, sp = fams.index("orthogonal"), fams.index("signed_permutation")
for i, p in enumerate(ps):
    assert v[i, sp] < 1e-14, (p, v[i, sp])             # signed permutations keep every ball
    assert (v[i, orth] < 1e-14) == (p == "2"), (p, v[i, orth])   # rotations keep only l2
sf = f["probes/lp_ball/sparse_fraction"][:].mean(axis=0)
assert sf[ps.index("1")] > 0.3 and sf[ps.index("2")] < 0.01 and np.isnan(sf[ps.index("0.5")]), sf
PY

# plan: counts per axis value, sizes, a calibrated estimate
check "plan" "$exe" plan "$tmp/sw.yaml"
grep -q "16 runs = 4 configurations x 4 seeds; 16 tasks" "$tmp/log" || { echo "FAIL: plan counts"; cat "$tmp/log"; fail=1; }
grep -q "axis 0 model.widths: 2 values, 8 runs each" "$tmp/log" || { echo "FAIL: plan axis counts"; cat "$tmp/log"; fail=1; }
grep -q "regularizer = {kind: l1, lambda: 0.01}" "$tmp/log" || { echo "FAIL: plan axis values"; cat "$tmp/log"; fail=1; }
grep -qE "^time: about [0-9.e+-]+ core-hours" "$tmp/log" || { echo "FAIL: plan estimate"; cat "$tmp/log"; fail=1; }
check "plan --no-calibrate" "$exe" plan "$tmp/sw.yaml" --no-calibrate
! grep -q "^time:" "$tmp/log" || { echo "FAIL: --no-calibrate calibrated"; fail=1; }
expect_status 2 "plan of a bad job" "$exe" plan "$src/tests/cli/bad_jobs/33_lr_zero.yaml"

# an output path in a missing directory: bad command line, refused before any work (status 2)
expect_status 2 "unwritable output" "$exe" run "$src/jobs/smoke.yaml" -o "$tmp/no/such/dir/out.h5"
grep -q "the output directory .*/no/such/dir does not exist" "$tmp/err" || { echo "FAIL: unwritable message"; cat "$tmp/err"; fail=1; }
# an output directory that is not writable (root writes anywhere: only for other users)
if [ "$(id -u)" != 0 ]; then
  mkdir -p "$tmp/ro" && chmod 555 "$tmp/ro"
  expect_status 2 "read-only directory" "$exe" run "$src/jobs/smoke.yaml" -o "$tmp/ro/out.h5"
  grep -q "is not writable" "$tmp/err" || { echo "FAIL: read-only directory message"; cat "$tmp/err"; fail=1; }
fi

# validate lists every problem it finds in one pass (run stops at the first): independent
# sections each, a sweep's repeated problem once (named by its first point), the model not
# read over bad data, and a count
cat > "$tmp/multi.yaml" <<'YAML'
name: multi
seeds: {count: 0}
data: {kind: teacher_linear, input: 3, output: 2, samples: -5}
model: {kind: mlp, widths: [3, 4, 2], activation: tanhh}
train: {optimizer: adamm, lr: 0.01, epochs: 10}
record: {loss_every: 0}
probes:
  orbit_loss: {directions: -1}
sweep:
  train.epochs: [10, 20]
YAML
"$exe" validate "$tmp/multi.yaml" > /dev/null 2> "$tmp/err"; rc=$?
f="$tmp/multi.yaml"
cat > "$tmp/want" <<WANT
symsweep: error: $f:2:16: seeds.count: expected an integer from 1 to 10000000, found "0"
symsweep: error: $f:6:22: record.loss_every: expected an integer from 1 to 1000000000, found "0"
symsweep: error: $f:8:28: probes.orbit_loss.directions: expected an integer from 1 to 10000, found "-1"
symsweep: error: $f:3:60: data.samples: expected an integer from 1 to 100000000, found "-5" (sweep point train.epochs=10)
symsweep: error: $f:5:20: train.optimizer: expected one of: gd, sgd, adam, found "adamm" (sweep point train.epochs=10)
symsweep: error: 5 problems
WANT
if [ $rc -ne 2 ] || ! diff "$tmp/want" "$tmp/err" > "$tmp/diff"; then
  echo "FAIL: validate with five problems: exit $rc"; cat "$tmp/diff"; fail=1
fi
"$exe" run "$tmp/multi.yaml" -o "$tmp/multi.h5" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && head -1 "$tmp/want" | cmp -s - "$tmp/err" ||
  { echo "FAIL: run with five problems: exit $rc, $(cat "$tmp/err")"; fail=1; }

# memory estimates count the probes' own work (task_bytes): the orbit's dense tangent map of
# functional_dimension (a team task) and stabilizer on a net of P = 44,410 (dim g = 400: 142 MB
# of rows and as much for their SVD), checked against the run's peak resident memory
for probe in functional_dimension stabilizer; do
  cat > "$tmp/mem.yaml" <<YAML
seeds: [1]
data: {kind: teacher_mlp, widths: [10, 20, 10], samples: 100}
model: {kind: mlp, widths: [10, 200, 200, 10], activation: relu, bias: true}
train: {optimizer: adam, lr: 0.001, epochs: 2}
probes: {$probe: {}}
YAML
  check "memory of $probe" "$py" - "$exe" "$tmp/mem.yaml" "$tmp/mem.h5" <<'PY'
import re, resource, subprocess, sys
exe, job, out = sys.argv[1:4]
v = subprocess.run([exe, "validate", job], capture_output=True, text=True, check=True).stdout
est = float(re.search(r"memory ([0-9.e+]+) MiB per worker rank", v).group(1))
subprocess.run([exe, "run", job, "-o", out, "-q", "--force"], check=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # MiB (Linux: KiB)
print("estimate %.1f MiB, peak resident %.1f MiB" % (est, peak))
# the estimate covers the probe's arrays (about 270 MiB of orbit rows and SVD work) but not
# the program itself (libraries: 20-40 MiB resident)
assert est > 250, est
assert peak < est + 80, (peak, est)
PY
done

[ $fail -eq 0 ] && echo "cli: all command checks passed"
exit $fail
