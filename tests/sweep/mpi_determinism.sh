#!/usr/bin/env bash
# The same job on 1, 2 and 4 ranks gives value-identical datasets (every
# dataset, bit for bit), except /runs/rank and /runs/wall_time, which say
# where and how long.
#   mpi_determinism.sh SYMSWEEP MPIEXEC NPFLAG PYTHON
set -u
exe=$1; mpiexec=$2; npflag=$3; py=$4
. "$(dirname "$0")/../support/mpi_env.sh"
cat > "$tmp/job.yaml" <<'YAML'
seeds: {count: 5, base: 11}
data: {kind: teacher_mlp, widths: [5, 7, 3], activation: tanh, samples: 60, noise: 0.05}
model: {kind: mlp, widths: [5, 6, 6, 3], activation: tanh, bias: true}
regularizer: {kind: lp, p: 1.5, lambda: 0.003}
train: {optimizer: adam, lr: 0.01, epochs: 120, batch_size: 16}
record: {loss_every: 10, weights: initial_and_final}
probes:                                       # dependent tasks: 3 per trained run
  orbit_loss: {directions: 3, points: 5, t_max: 1.0, algebra: gl}
sweep:
  model.widths: [[5, 6, 6, 3], [5, 9, 3]]     # different depth and shapes: NaN padding
  regularizer:
    - {kind: lp, p: 1.5, lambda: 0.003}
    - {kind: schatten, p: 1, lambda: 0.01}
  # issue 25: a learning-rate schedule with warm-up, clipping and decoupled weight decay
  zip: {train.lr: [0.01, 0.003], train.epochs: [120, 55], train.schedule: [constant, cosine],
        train.warmup: [0, 7], train.clip_norm: [0, 0.05], train.weight_decay: [0, 0.02]}
YAML
fail=0
"$exe" run "$tmp/job.yaml" -o "$tmp/r1.h5" --quiet || fail=1
for n in 2 4; do
  "$mpiexec" $npflag $n "$exe" run "$tmp/job.yaml" -o "$tmp/r$n.h5" --quiet || fail=1
done
[ $fail -eq 0 ] || { echo "FAIL: a run did not complete"; exit 1; }
"$py" - "$tmp/r1.h5" "$tmp/r2.h5" "$tmp/r4.h5" <<'PY' || fail=1
import sys, h5py, numpy as np
files = [h5py.File(p, "r") for p in sys.argv[1:]]
skip = {"/runs/rank", "/runs/wall_time"}
names = []
files[0].visititems(lambda n, o: names.append("/" + n) if isinstance(o, h5py.Dataset) else None)
bad = 0
for other in files[1:]:
    seen = []
    other.visititems(lambda n, o: seen.append("/" + n) if isinstance(o, h5py.Dataset) else None)
    if sorted(seen) != sorted(names):
        print("FAIL: dataset lists differ:", sorted(set(seen) ^ set(names))); bad += 1
    for n in names:
        if n in skip:
            continue
        a, b = files[0][n][...], other[n][...]
        # numbers bit for bit; vlen strings (object arrays) by value
        same = a.tolist() == b.tolist() if a.dtype == object else a.tobytes() == b.tobytes()
        if a.dtype != b.dtype or a.shape != b.shape or not same:
            print("FAIL: %s differs between %s and %s" % (n, files[0].filename, other.filename)); bad += 1
    ranks = set(other["/runs/rank"][...].tolist())
    if 0 in ranks or len(ranks) != other.attrs["mpi_size"] - 1:
        print("FAIL: %s: runs computed by ranks %s" % (other.filename, sorted(ranks))); bad += 1
print("compared %d datasets across 1, 2 and 4 ranks: %s" % (len(names), "identical" if not bad else "%d differences" % bad))
sys.exit(1 if bad else 0)
PY
# Equal across rank counts is not right: rows written at the wrong index are wrong the same
# way on every rank count.  Each sampled row of r4.h5 must equal the one row of a sweep of that
# run alone (its seed and its configuration's settings, from /grid): bit for bit, the padding
# of smaller shapes NaN.
"$py" - "$exe" "$tmp" <<'PY' || fail=1
import os, subprocess, sys, h5py, numpy as np
exe, tmp = sys.argv[1:3]
big = h5py.File(os.path.join(tmp, "r4.h5"), "r")
g = big["grid"]
n = big["runs/status"].shape[0]
sample = sorted(set([0, 1, 4, 5, 9, 13, 18, 22, 27, 31, 36, n - 1]))
skip = {"runs/rank", "runs/wall_time", "run"}
bad = 0
for i in sample:
    s = lambda k: g[k][i].decode() if isinstance(g[k][i], bytes) else g[k][i]
    job = os.path.join(tmp, "one%d.yaml" % i)
    open(job, "w").write(
        "seeds: {count: 1, base: %d}\n" % g["seed"][i]
        + "data: {kind: teacher_mlp, widths: [5, 7, 3], activation: tanh, samples: 60, noise: 0.05}\n"
        + "model: {kind: mlp, widths: %s, activation: tanh, bias: true}\n" % s("model.widths")
        + "regularizer: %s\n" % s("regularizer")
        + "train: {optimizer: adam, lr: %r, epochs: %d, batch_size: 16, schedule: %s, warmup: %d, clip_norm: %r, "
          "weight_decay: %r}\n" % (float(g["train.lr"][i]), g["train.epochs"][i], s("train.schedule"),
                                   g["train.warmup"][i], float(g["train.clip_norm"][i]),
                                   float(g["train.weight_decay"][i]))
        + "record: {loss_every: 10, weights: initial_and_final}\n"
        + "probes:\n  orbit_loss: {directions: 3, points: 5, t_max: 1.0, algebra: gl}\n")
    out = os.path.join(tmp, "one%d.h5" % i)
    if subprocess.run([exe, "run", job, "-o", out, "--quiet"]).returncode != 0:
        print("FAIL: the one-run sweep of run %d" % i); bad += 1; continue
    one = h5py.File(out, "r")
    names = []
    # per-run datasets (dimension scales such as /runs/curves/epoch are not rows of runs)
    one.visititems(lambda k, o: names.append(k) if isinstance(o, h5py.Dataset) and not k.startswith("grid/")
                   and k not in skip and not h5py.h5ds.is_scale(o.id) else None)
    if len(names) < 10:
        print("FAIL: run %d: only %d per-run datasets compared" % (i, len(names))); bad += 1
    for k in names:
        if k.startswith("config/"):  # the resolved settings: a row per grid point, lists padded
            a, b = one[k][0], big[k][big["grid/config"][i]]
            if isinstance(a, np.ndarray):
                trim = lambda v: [x for x in v.tolist() if x == x and x != -1]  # the fill: NaN, -1
                a, b = trim(a), trim(b)
            if a != b and not (a != a and b != b):
                print("FAIL: /%s of run %d is not the run's own (its one-run sweep differs)" % (k, i)); bad += 1
            continue
        a = one[k][0]
        b = big[k][i]
        if isinstance(a, np.ndarray) and a.shape != b.shape:
            pad = b.copy()
            sl = tuple(slice(0, d) for d in a.shape)
            pad[sl] = np.nan
            if not np.all(np.isnan(pad)):
                print("FAIL: /%s of run %d: values outside its shape %s" % (k, i, a.shape)); bad += 1
            b = b[sl]
        if not np.array_equal(np.asarray(a), np.asarray(b), equal_nan=np.asarray(a).dtype.kind == "f"):
            print("FAIL: /%s of run %d is not the run's own (its one-run sweep differs)" % (k, i)); bad += 1
print("%d rows of r4.h5 compared with one-run sweeps of their runs: %s" % (len(sample), "equal" if not bad else "%d differences" % bad))
sys.exit(1 if bad else 0)
PY
exit $fail
