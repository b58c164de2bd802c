#!/usr/bin/env bash
# Symmetry teleportation (probes.teleport) in real sweeps: with and without (the same job with
# no teleport in its epochs) the loss curves are bitwise equal up to the first teleport, the
# objective moves by rounding only, the gradient grows, and every run's loss is lower after;
# 1 and 3 ranks give the same file; models without a continuous symmetry, and teleports off
# the curve points, are refused.
#   teleport.sh SYMSWEEP PYTHON MPIEXEC NPFLAG
set -u
exe=$1 py=$2 mpiexec=$3 npflag=$4
. "$(dirname "$0")/../support/mpi_env.sh"
fail=0
cd "$tmp"
cat > tp.yaml <<'YAML'
name: tp
seeds: {count: 4, base: 1}
data: {kind: teacher_linear, input: 6, output: 4, samples: 100, noise: 0.1}
model: {kind: mlp, widths: [6, 8, 8, 4], activation: linear, bias: false}
train: {optimizer: gd, lr: 0.01, epochs: 200}
record: {loss_every: 10}
sweep:
  model.activation: [linear, relu]
probes:
  teleport: {every: 50, steps: 10, step: 0.05}
YAML
"$exe" run tp.yaml -o with.h5 -q || { echo "FAIL: run with teleport"; fail=1; }
"$exe" run tp.yaml -o without.h5 -q probes.teleport.every=1000000 || { echo "FAIL: run without"; fail=1; }
"$mpiexec" $npflag 3 "$exe" run tp.yaml -o with3.h5 -q || { echo "FAIL: 3 ranks"; fail=1; }
"$py" - <<'PY' || fail=1
import h5py, numpy as np
a, b, c = (h5py.File(n, "r") for n in ("with.h5", "without.h5", "with3.h5"))
m = a["runs/metrics"]
la, lb = a["runs/curves/loss"][:], b["runs/curves/loss"][:]
ok = True
def need(cond, what):
    global ok
    if not cond:
        print("FAIL:", what); ok = False
# teleports at epochs 50, 100, 150 (not 0, not past the last epoch)
need((m["teleport_count"][:] == 3).all(), "teleport_count %s" % m["teleport_count"][:])
need((b["runs/metrics/teleport_count"][:] == 0).all(), "teleports in the baseline")
need((m["teleport_loss_drift"][:] < 1e-12).all(), "objective moved %s" % m["teleport_loss_drift"][:])
need((m["teleport_grad_gain_min"][:] > 1.0).all(), "gradient did not grow %s" % m["teleport_grad_gain_min"][:])
need(np.array_equal(la[:, :6], lb[:, :6]), "curves differ before the first teleport")
need((la[:, 6] < lb[:, 6]).all(), "loss at epoch 60 not lower with teleport: %s vs %s" % (la[:, 6], lb[:, 6]))
need((a["runs/metrics/final_loss"][:] < b["runs/metrics/final_loss"][:]).all(), "final loss not lower")
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
bad = [n for n in names if n not in ("runs/wall_time", "runs/rank") and
       (a[n][...].tolist() if a[n].dtype == object else a[n][...].tobytes()) !=
       (c[n][...].tolist() if c[n].dtype == object else c[n][...].tobytes())]
need(not bad, "1 and 3 ranks differ: %s" % bad)
print("teleport: gain %.3f (median), loss at epoch 60 %.4g with vs %.4g without (median), drift %.1e"
      % (np.median(m["teleport_grad_gain"][:]), np.median(la[:, 6]), np.median(lb[:, 6]),
         m["teleport_loss_drift"][:].max()))
raise SystemExit(0 if ok else 1)
PY
# refused: no continuous symmetry (tanh), a teleport between curve points
"$exe" validate tp.yaml model.activation=tanh 'sweep.model.activation=[tanh]' 2> err > /dev/null; rc=$?
[ $rc -eq 2 ] && grep -q "probes.teleport: the objective has no continuous symmetry for this model (activation tanh" err ||
  { echo "FAIL: tanh: exit $rc, $(cat err)"; fail=1; }
"$exe" validate tp.yaml probes.teleport.every=55 2> err > /dev/null; rc=$?
[ $rc -eq 2 ] && grep -q "probes.teleport.every: teleports happen at curve points: expected a multiple of record.loss_every (10), found 55" err ||
  { echo "FAIL: every 55: exit $rc, $(cat err)"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: teleport"
exit $fail
