#!/usr/bin/env bash
# model.init {kind: file}: a run starts from another run's weights (a symsweep output, run I)
# or from a file of one dataset per tensor.  Training 10 + 10 full-batch gd epochs from a saved
# run equals 20 epochs bit for bit; bad files are refused by validate with file, dataset,
# expected and found.  The trajectory probe's snapshots are the same states: epoch 0 the
# initial weights, epoch 10 those of the 10-epoch run, epoch 20 the final ones.
#   init_file.sh SYMSWEEP PYTHON
set -u
exe=$1; py=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
job() { # name epochs init [more]
  cat > "$1.yaml" <<YAML
name: $1
seeds: [4, 5]
data: {kind: teacher_linear, input: 3, output: 2, samples: 30, noise: 0.1}
model: {kind: mlp, widths: [3, 5, 2], activation: tanh, bias: true$3}
train: {optimizer: gd, lr: 0.05, epochs: $2}
record: {weights: initial_and_final, loss_every: 5}
${4:-}
YAML
}
refuse() { # what pattern yaml
  if "$exe" validate "$3" > out 2>&1; then echo "FAIL: $1: accepted"; fail=1
  elif ! grep -q -- "$2" out; then echo "FAIL: $1: message"; cat out; fail=1
  else echo "ok: $1: $(tail -1 out)"; fi
}
job a 20 "" "probes: {trajectory: {every: 10}}"
job a10 10 ""
job b 10 ", init: {kind: file, file: a10.h5, run: 1}"
for j in a a10 b; do "$exe" run $j.yaml -o $j.h5 -q || { echo "FAIL: run $j"; exit 1; }; done
"$py" - <<'PY' || fail=1
import h5py, numpy as np
a, a10, b = (h5py.File(n + ".h5", "r") for n in ("a", "a10", "b"))
for t in ("W1", "W2", "b1", "b2"):
    for r in (0, 1):  # both runs of b start from run 1 of a10
        assert np.array_equal(b["runs/initial_weights/" + t][r], a10["runs/weights/" + t][1]), t
    # run 1 has the same seed (data) as a's run 1: 10 + 10 epochs = 20, bit for bit
    assert np.array_equal(b["runs/weights/" + t][1], a["runs/weights/" + t][1]), t
assert b["runs/curves/loss"][1][-1] == a["runs/curves/loss"][1][-1]
# the trajectory of a: snapshots at epochs 0, 10, 20 are the initial, a10's final, a's final
assert list(a["probes/trajectory/epoch"][()]) == [0, 10, 20]
for t in ("W1", "W2", "b1", "b2"):
    tr = a["probes/trajectory/" + t]
    assert np.array_equal(tr[:, 0], a["runs/initial_weights/" + t][()]), t
    assert np.array_equal(tr[:, 1], a10["runs/weights/" + t][()]), t
    assert np.array_equal(tr[:, 2], a["runs/weights/" + t][()]), t
print("trajectory: epochs 0, 10, 20 equal the initial, 10-epoch and final weights bit for bit")
# a file of one dataset per tensor, any float type: the same start
with h5py.File("plain.h5", "w") as f:
    for t in ("W1", "W2", "b1", "b2"):
        v = a10["runs/weights/" + t][1]
        f["start/" + t] = v  # biases are [rows] here
    f["f32/W1"] = a10["runs/weights/W1"][1].astype(np.float32)
print("init from a run: 10 + 10 gd epochs equal 20 bit for bit")
PY
job c 10 ", init: {kind: file, file: plain.h5, group: start}"
"$exe" run c.yaml -o c.h5 -q || { echo "FAIL: run c"; fail=1; }
"$py" -c "
import h5py, numpy as np
b, c = h5py.File('b.h5'), h5py.File('c.h5')
for t in ('W1', 'W2', 'b1', 'b2'):
    assert np.array_equal(b['runs/weights/' + t][()], c['runs/weights/' + t][()]), t
print('init from one dataset per tensor: the same runs')" || fail=1
# refusals, by validate, before anything runs
job e1 10 ", init: {kind: file, file: a10.h5, run: 7}"
refuse "run out of range" "W1: run 7, but the file has 2 runs" e1.yaml
job e2 10 ", init: {kind: file, file: a10.h5, group: /runs/nothing, run: 0}"
refuse "missing dataset" "no dataset /runs/nothing/W1 for the model's tensor W1 \[5 x 3\]" e2.yaml
sed 's/widths: \[3, 5, 2\]/widths: [3, 4, 2]/' b.yaml > e3.yaml
refuse "a larger tensor" "the run's tensor is larger than \[4 x 3\]" e3.yaml
sed 's/widths: \[3, 5, 2\]/widths: [3, 6, 2]/' b.yaml > e4.yaml
refuse "a smaller tensor" "expected \[6 x 3\] (tensor W1 of the model), found \[5 x 3\]" e4.yaml
job e5 10 ", init: {kind: file, file: missing.h5, run: 0}"
refuse "missing file" "missing.h5" e5.yaml
job e6 10 ", init: {kind: file, file: plain.h5, group: f32}"
refuse "float32 W1 read, b1 missing" "no dataset f32/b1" e6.yaml
job e7 10 ", init: {kind: file, file: a10.h5}"
refuse "a symsweep output without run" "a symsweep output? give model.init.run" e7.yaml
job e8 10 ", init: {kind: lecun}"
refuse "unknown kind" "expected one of: normal, uniform, file" e8.yaml
job e9 20 "" "probes: {trajectory: {every: 7}}"
refuse "trajectory off the curve points" "probes.trajectory.every: expected a multiple of record.loss_every (5)" e9.yaml
[ $fail -eq 0 ] && echo "init_file: all checks passed"
exit $fail
