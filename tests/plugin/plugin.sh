#!/usr/bin/env bash
# A probe built out of tree (examples/probes/layer_norms.c, against the public
# headers only) runs as a plug-in beside a built-in probe with pieces of its
# own: on 1 and 3 ranks the files agree bit for bit, its values match the
# recorded weights, and it appears in summary.  Bad plug-ins are refused with
# a clear message.
#   plugin.sh SYMSWEEP MPIEXEC NPFLAG PYTHON CC SOURCE_DIR
set -u
exe=$1; mpiexec=$2; npflag=$3; py=$4; cc=$5; src=$6
. "$(dirname "$0")/../support/mpi_env.sh"
fail=0
check() { # what command...
  local what=$1; shift
  if ! "$@" > "$tmp/out" 2>&1; then echo "FAIL: $what"; cat "$tmp/out"; fail=1; fi
}
refuse() { # what pattern command...
  local what=$1 pat=$2; shift 2
  if "$@" > "$tmp/out" 2>&1; then echo "FAIL: $what: accepted"; fail=1
  elif ! grep -q -- "$pat" "$tmp/out"; then echo "FAIL: $what: message"; cat "$tmp/out"; fail=1
  else echo "ok: $what: $(tail -1 "$tmp/out")"; fi
}
mkdir -p "$tmp/plug"
check "build the example out of tree" \
  "$cc" -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -I "$src/include" \
  "$src/examples/probes/layer_norms.c" -o "$tmp/plug/layer_norms.so" -lm
cat > "$tmp/plug/job.yaml" <<'YAML'
name: plugged
seeds: {count: 3, base: 5}
data: {kind: teacher_mlp, widths: [4, 5, 2], activation: tanh, samples: 40, noise: 0.05}
model: {kind: mlp, widths: [4, 6, 6, 2], activation: relu, bias: true}
train: {optimizer: gd, lr: 0.02, epochs: 60}
record: {loss_every: 10, weights: final}
sweep:
  model.widths: [[4, 6, 6, 2], [4, 3, 2]]
probes:
  orbit_loss: {directions: 2, points: 5}
  layer_norms: {plugin: layer_norms.so, p: 3}
YAML
check "run on 1 rank" "$exe" run "$tmp/plug/job.yaml" -o "$tmp/p1.h5" -q
check "run on 3 ranks" "$mpiexec" $npflag 3 "$exe" run "$tmp/plug/job.yaml" -o "$tmp/p3.h5" -q
check "values" "$py" - "$tmp/p1.h5" "$tmp/p3.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
n = a["/probes/layer_norms/norm"]
assert n.shape == (6, 3), n.shape
assert a["/probes/layer_norms"].attrs["p"] == 3.0  # every setting, written by symsweep
assert np.array_equal(n[()], b["/probes/layer_norms/norm"][()], equal_nan=True), "1 vs 3 ranks"
for k in ("/runs/metrics/layer_norm_max", "/probes/orbit_loss/loss", "/runs/metrics/orbit_max_rel_change"):
    assert np.array_equal(a[k][()], b[k][()], equal_nan=True), k
worst = 0.0
for r in range(6):
    layers = 3 if r < 3 else 2
    for l in range(3):
        if l >= layers:
            assert np.isnan(n[r, l]), (r, l)
            continue
        W = a["/runs/weights/W%d" % (l + 1)][r]
        W = W[~np.isnan(W)]
        want = np.sum(np.abs(W) ** 3) ** (1 / 3)
        worst = max(worst, abs(n[r, l] - want) / want)
    assert a["/runs/metrics/layer_norm_max"][r] == np.nanmax(n[r])
assert worst < 1e-13, worst
print("layer_norms: 6 runs x 3 layers match the recorded weights to %.1e; 1 and 3 ranks identical" % worst)
PY
cat "$tmp/out"
check "summary" "$exe" summary "$tmp/p3.h5"
grep -q "layer_norm_max" "$tmp/out" || { echo "FAIL: summary does not show layer_norm_max"; cat "$tmp/out"; fail=1; }

# beside a built-in team probe: the plug-in comes after it in the job, its values still go
# before the team probes' slice
sed 's/  orbit_loss: {directions: 2, points: 5}/  hessian: {}/' "$tmp/plug/job.yaml" > "$tmp/plug/team.yaml"
check "with a team probe, 3 ranks" "$mpiexec" $npflag 3 "$exe" run "$tmp/plug/team.yaml" -o "$tmp/pt.h5" -q
check "with a team probe: values" "$py" - "$tmp/pt.h5" "$tmp/p1.h5" <<'PY'
import sys, h5py, numpy as np
t, a = (h5py.File(p, "r") for p in sys.argv[1:])
assert np.array_equal(t["/probes/layer_norms/norm"][()], a["/probes/layer_norms/norm"][()], equal_nan=True)
assert np.isfinite(t["/runs/metrics/hessian_zero_count"][()]).all()
print("beside hessian: the same norms, and a Hessian for every run")
PY
cat "$tmp/out"

# refusals
sed 's/layer_norms.so/missing.so/' "$tmp/plug/job.yaml" > "$tmp/plug/missing.yaml"
refuse "missing shared object" "probes.layer_norms.plugin: cannot load the probe" "$exe" validate --plugins "$tmp/plug/missing.yaml"
printf 'int nothing(void) { return 0; }\n' > "$tmp/plug/empty.c"
"$cc" -fPIC -shared "$tmp/plug/empty.c" -o "$tmp/plug/empty.so"
sed 's/layer_norms.so/empty.so/' "$tmp/plug/job.yaml" > "$tmp/plug/empty.yaml"
refuse "no entry point" "has no function sym_probe_plugin" "$exe" validate --plugins "$tmp/plug/empty.yaml"
sed 's/layer_norms: {plugin/norms: {plugin/' "$tmp/plug/job.yaml" > "$tmp/plug/name.yaml"
refuse "name differs" 'defines the probe "layer_norms", not "norms"' "$exe" validate --plugins "$tmp/plug/name.yaml"
sed 's/p: 3}/p: 0.5}/' "$tmp/plug/job.yaml" > "$tmp/plug/range.yaml"
refuse "setting out of range" "probes.layer_norms.p: expected" "$exe" validate --plugins "$tmp/plug/range.yaml"
sed 's/p: 3}/q: 3}/' "$tmp/plug/job.yaml" > "$tmp/plug/unknown.yaml"
refuse "unknown setting" "probes.layer_norms.q: unknown setting; expected one of: p, plugin" "$exe" validate --plugins "$tmp/plug/unknown.yaml"
[ $fail -eq 0 ] && echo "plugin: all checks passed"
exit $fail
