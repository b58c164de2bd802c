#!/usr/bin/env bash
# symsweep align on a real sweep (jobs/align.yaml, shortened): deep linear nets trained on one
# data set (data.seed) from six initializations reach one orbit (the least-squares map,
# factored: balanced forms equal to 1e-6, the straight line between the aligned forms flat to
# rounding, the raw line not); ReLU and tanh nets reach different orbits, and matching their
# units lowers the median barrier.  An exact construction: a run replaced by a permuted and
# rescaled copy of another (its canonical form permuted, not re-sorted) is found on the same
# orbit and function at distance 1e-14 with a flat aligned line.  data.seed gives every seed
# the same data (equal least-squares losses), its absence each its own.  Refusals: no
# canonical probe, per-seed data, an unfinished sweep, bad options.
#   align.sh SYMSWEEP PYTHON MPIEXEC NPFLAG JOBS_DIR
set -u
exe=$1 py=$2 mpiexec=$3 npflag=$4 jobs=$5
. "$(dirname "$0")/../support/mpi_env.sh"
fail=0
cd "$tmp"
cp "$jobs/align.yaml" al.yaml
"$mpiexec" $npflag 3 "$exe" run al.yaml -o al.h5 -q || { echo "FAIL: run"; fail=1; }
"$exe" align al.h5 > align.txt || { echo "FAIL: align"; cat align.txt; fail=1; }
cat align.txt
[ -f al-align.h5 ] || { echo "FAIL: no al-align.h5"; fail=1; }
# the same job without data.seed: each seed its own data
cat > own.yaml <<'YAML'
name: own
seeds: {count: 6, base: 1}
data: {kind: teacher_mlp, widths: [4, 5, 3], activation: tanh, samples: 200, noise: 0.05}
model: {kind: mlp, widths: [4, 3, 3], activation: linear, bias: true}
train: {optimizer: gd, lr: 0.2, epochs: 60000}
record: {loss_every: 1000, weights: final}
probes:
  canonical: {}
YAML
"$exe" run own.yaml -o own.h5 -q || { echo "FAIL: run own"; fail=1; }
"$py" - "$exe" <<'PY' || fail=1
import h5py, numpy as np, shutil, subprocess, sys
ok = True
def need(cond, what):
    global ok
    if not cond:
        print("FAIL:", what); ok = False
a = h5py.File("al-align.h5", "r")["align"]
src = h5py.File("al.h5", "r")
S = 6
off = ~np.eye(S, dtype=bool)
# grid point 0: deep linear, one orbit
orb, fun = a["orbit_distance"][0], a["function_distance"][0]
need(np.nanmax(orb) < 1e-5, "linear orbit distances %g" % np.nanmax(orb))
need(np.nanmax(fun) < 1e-5, "linear function distances %g" % np.nanmax(fun))
need(np.nanmax(np.abs(a["barrier_aligned"][0])) < 1e-12, "linear aligned barrier %g" % np.nanmax(a["barrier_aligned"][0]))
need(np.min(a["barrier_raw"][0][off]) > 1e-3, "linear raw barrier %g: the raw line should rise" % np.min(a["barrier_raw"][0][off]))
need(a["same_orbit"][0] == 15, "linear same_orbit %d" % a["same_orbit"][0])
# data.seed: every seed saw the same data, so the linear nets share the least-squares loss
fl = src["runs/metrics/final_data_loss"][:S]
need(np.ptp(fl) < 1e-10 * fl[0], "linear final losses spread %g with data.seed" % np.ptp(fl))
own = h5py.File("own.h5", "r")["runs/metrics/final_data_loss"][:]
need(np.ptp(own) > 1e-3 * own[0], "without data.seed the seeds' losses should differ: %s" % own)
# grid points 1, 2: relu and tanh, different orbits; alignment lowers the median barrier
for c, name in ((1, "relu"), (2, "tanh")):
    need(a["different"][c] == 15, "%s different %d" % (name, a["different"][c]))
    need(np.min(a["orbit_distance"][c][off]) > 1e-2, "%s orbit distance %g" % (name, np.min(a["orbit_distance"][c][off])))
    need(a["median_barrier_aligned"][c] < 0.5 * a["median_barrier_raw"][c],
         "%s median barrier %g aligned vs %g raw" % (name, a["median_barrier_aligned"][c], a["median_barrier_raw"][c]))
    need(a["pairs"][c] == 15, "%s pairs" % name)
need(np.nanmax(src["runs/metrics/canonical_output_change"][:]) < 1e-12, "canonical forms change the outputs")
# weight matching against brute force: for one hidden layer the matched distance is
# min over the 8! permutations P of |ca - P cb| / rms(|ca|, |cb|), whatever solver align uses
# (a broken assignment solver leaves a larger distance on some of these 30 pairs)
import itertools
perms = np.array(list(itertools.permutations(range(8))))
canon = {k: src["probes/canonical/" + k] for k in ("W1", "b1", "W2", "b2")}
worst = 0.0
for c in (1, 2):
    for s in range(S):
        for t in range(s + 1, S):
            ra, rb = c * S + s, c * S + t
            A = [np.asarray(canon[k][ra], float) for k in ("W1", "b1", "W2", "b2")]
            B = [np.asarray(canon[k][rb], float) for k in ("W1", "b1", "W2", "b2")]
            W1a, b1a, W2a, b2a = A[0].reshape(8, -1), A[1].ravel(), A[2].reshape(-1, 8), A[3].ravel()
            W1b, b1b, W2b, b2b = B[0].reshape(8, -1), B[1].ravel(), B[2].reshape(-1, 8), B[3].ravel()
            C = W1a @ W1b.T + np.outer(b1a, b1b) + W2a.T @ W2b   # C[i, j]: a's unit i with b's unit j
            best = C[np.arange(8), perms].sum(axis=1).max()
            na2 = sum((x * x).sum() for x in A)
            nb2 = sum((x * x).sum() for x in B)
            d2 = max(na2 + nb2 - 2.0 * (best + b2a @ b2b), 0.0)
            want = np.sqrt(d2) / np.sqrt(0.5 * (na2 + nb2))
            got = a["orbit_distance"][c][s, t]
            worst = max(worst, abs(got - want) / max(want, 1e-300))
need(worst < 1e-6, "orbit distances differ from brute-force weight matching by %.3g (relative)" % worst)
print("weight matching vs brute force over 8! permutations, 30 pairs: worst relative difference %.2g" % worst)
# path: ends are the runs' own losses
pr = a["path_loss_raw"][1]
need(pr.shape == (15, 21), "path shape %s" % (pr.shape,))
need(abs(pr[0, 0] - src["runs/metrics/final_data_loss"][S + 0]) < 1e-12, "path start is run 6's loss")
need(abs(pr[0, -1] - src["runs/metrics/final_data_loss"][S + 1]) < 1e-12, "path end is run 7's loss")
# exact construction: relu run 7 := run 6 with its hidden units permuted and rescaled
shutil.copy("al.h5", "built.h5")
rng = np.random.default_rng(3)
with h5py.File("built.h5", "r+") as f:
    r0, r1 = S + 0, S + 1
    W1, b1, W2 = (f["runs/weights/" + k][r0] for k in ("W1", "b1", "W2"))
    perm = rng.permutation(8)
    c = np.exp(rng.normal(size=8))
    f["runs/weights/W1"][r1] = (c[:, None] * W1)[perm]
    f["runs/weights/b1"][r1] = (c * b1.ravel())[perm].reshape(f["runs/weights/b1"][r1].shape)
    f["runs/weights/W2"][r1] = (W2 / c[None, :])[:, perm]
    f["runs/weights/b2"][r1] = f["runs/weights/b2"][r0]
    C1, cb1, C2 = (f["probes/canonical/" + k][r0] for k in ("W1", "b1", "W2"))
    f["probes/canonical/W1"][r1] = C1[perm]
    f["probes/canonical/b1"][r1] = cb1.ravel()[perm].reshape(f["probes/canonical/b1"][r1].shape)
    f["probes/canonical/W2"][r1] = C2[:, perm]
    f["probes/canonical/b2"][r1] = f["probes/canonical/b2"][r0]
out = subprocess.run([sys.argv[1], "align", "built.h5", "-o", "built-align.h5"], capture_output=True, text=True)
need(out.returncode == 0, "align built.h5: %s" % out.stderr)
b = h5py.File("built-align.h5", "r")["align"]
need(b["orbit_distance"][1][0, 1] < 1e-13, "constructed pair orbit distance %g" % b["orbit_distance"][1][0, 1])
need(b["function_distance"][1][0, 1] < 1e-13, "constructed pair function distance %g" % b["function_distance"][1][0, 1])
need(abs(b["barrier_aligned"][1][0, 1]) < 1e-13, "constructed pair aligned barrier %g" % b["barrier_aligned"][1][0, 1])
need(b["barrier_raw"][1][0, 1] > 1e-3, "constructed pair raw barrier %g" % b["barrier_raw"][1][0, 1])
print("constructed pair: orbit %.2g, function %.2g, aligned barrier %.2g, raw barrier %.3g" % (
    b["orbit_distance"][1][0, 1], b["function_distance"][1][0, 1], b["barrier_aligned"][1][0, 1], b["barrier_raw"][1][0, 1]))
sys.exit(0 if ok else 1)
PY
# the report finds al-align.h5 beside al.h5: its table and figure
"$py" "$jobs/../analysis/report.py" al.h5 --out rep -q || { echo "FAIL: report"; fail=1; }
grep -q "^| activation=linear, widths=\[4, 3, 3\] | 15 | 15 | 0 | 0 |" rep/stats/align.md ||
  { echo "FAIL: report's align table"; cat rep/stats/align.md; fail=1; }
"$py" -c "
import sys
b = open('rep/figures/align.png', 'rb').read()
sys.exit(0 if b[:8] == b'\x89PNG\r\n\x1a\n' and len(b) > 20000 else 1)" || { echo "FAIL: align.png"; fail=1; }
grep -q "Seeds compared modulo their symmetries" rep/report.md || { echo "FAIL: report.md section"; fail=1; }
# refusals: each exits 2 with its reason
expect() { # expect WHAT PATTERN CMD...
  local what=$1 pat=$2; shift 2
  "$@" > out.txt 2>&1; local rc=$?
  if [ $rc -ne 2 ] || ! grep -q -- "$pat" out.txt; then echo "FAIL: $what: exit $rc"; cat out.txt; fail=1; fi
}
expect "per-seed data" "set data.seed" "$exe" align own.h5 -o x.h5 --force
sed 's/^  canonical: {}/  stabilizer: {}/' al.yaml > nocanon.yaml
"$exe" run nocanon.yaml -o nocanon.h5 -q 'seeds={count: 2}' || { echo "FAIL: run nocanon"; fail=1; }
expect "no canonical probe" "no canonical probe" "$exe" align nocanon.h5
expect "exists" "exists" "$exe" align al.h5
expect "points" "from 2 to 100000" "$exe" align al.h5 --points=1
expect "tolerance" "number >= 0" "$exe" align al.h5 --tolerance=-1
expect "two files" "one file" "$exe" align al.h5 own.h5
"$py" -c "
import h5py
with h5py.File('own.h5', 'r+') as f: f.attrs.modify('finished', '')
" && expect "unfinished" "has not finished" "$exe" align own.h5 -o y.h5
sed 's/widths: \[\[4, 3, 3\]/widths: [[4, 5, 3]/' al.yaml > wide.yaml
expect "wide linear layer" "width 5" "$exe" validate wide.yaml
exit $fail
