#!/usr/bin/env bash
# Recorded weights of 64 KiB or more a tensor take rank 0's direct path (each run's row written
# from its parameters, and the received message kept whole as the buffered result, issue 27's
# ingest): the file on 1 rank (results copied) and on 3 ranks (messages kept) is the same, bit for
# bit, and a configuration whose tensor is smaller than the dataset's row is NaN-padded exactly
# as the gathered path pads small tensors.
#   mpi_big_weights.sh SYMSWEEP MPIEXEC NPFLAG PYTHON
set -u
exe=$1; mpiexec=$2; npflag=$3; py=$4
. "$(dirname "$0")/../support/mpi_env.sh"
cat > "$tmp/job.yaml" <<'YAML'
seeds: {count: 3, base: 5}
data: {kind: teacher_linear, input: 100, output: 4, samples: 40, noise: 0.1}
model: {kind: mlp, widths: [100, 120, 4], activation: relu, bias: true}
train: {optimizer: adam, lr: 0.01, epochs: 4}
record: {loss_every: 2, weights: initial_and_final}
sweep:
  model.widths: [[100, 120, 4], [100, 70, 4]]   # layer 1: 120 x 100 (96 KiB: direct), 70 x 100
YAML
"$exe" run "$tmp/job.yaml" -o "$tmp/r1.h5" --quiet || { echo "FAIL: 1 rank"; exit 1; }
"$mpiexec" $npflag 3 "$exe" run "$tmp/job.yaml" -o "$tmp/r3.h5" --quiet || { echo "FAIL: 3 ranks"; exit 1; }
"$py" - "$tmp/r1.h5" "$tmp/r3.h5" <<'PY'
import re
import sys
import h5py
import numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
fail = []
for g in ("runs/weights", "runs/initial_weights"):
    names = sorted(n for n in a[g] if not re.search(r"_dim[0-9]+$", n))  # not the dimension scales
    big = [n for n in names if a[g][n][0].nbytes >= 65536]
    if not big:
        fail.append("%s: no tensor of 64 KiB or more (the direct path is not exercised)" % g)
    for n in names:
        x, y = a[g][n][()], b[g][n][()]
        if x.tobytes() != y.tobytes():
            fail.append("%s/%s differs between 1 and 3 ranks" % (g, n))
    for n in big:
        x = a[g][n][()]
        cfg = a["grid/config"][()]
        for i in range(x.shape[0]):
            rows = 120 if cfg[i] == 0 else 70
            if not np.isfinite(x[i, :rows]).all() or np.isfinite(x[i, rows:]).any():
                fail.append("%s/%s run %d: not %d finite rows then NaN" % (g, n, i, rows))
fw, iw = a["runs/weights"], a["runs/initial_weights"]
for n in (n for n in fw if not re.search(r"_dim[0-9]+$", n)):
    if np.array_equal(fw[n][()], iw[n][()], equal_nan=True):
        fail.append("%s: final weights equal the initial ones" % n)
print("\n".join("FAIL: " + f for f in fail) or "big weights: 1 and 3 ranks identical, padding right")
sys.exit(1 if fail else 0)
PY
