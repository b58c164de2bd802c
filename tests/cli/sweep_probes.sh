#!/usr/bin/env bash
# Probe settings as sweep axes (sweep: probes.NAME.SETTING), on jobs/discovery-curves.yaml: the
# dimension symmetry_discovery finds on a 4-2-4 linear net, family full, against the data's
# rank r (= min(data.rank, data.samples)) and whether the conditions use sampled batches or
# the run's own data, equals the law derived below at all 32 grid points (both seeds); a
# threshold far too loose breaks it (the control).  The swept setting is a /grid column, the
# probe's attribute says it varies, 1 and 3 ranks give identical files, and a grid point's runs
# equal those of a plain job with that value.  Settings that change the probe's layout
# (datasets, values per run, pieces, axes), its team, unknown probes or settings, and bad
# values are refused.
#
# The law.  The loss depends on W1 only through W1 B (B: an orthonormal basis of the data's row
# space, dim r), so every linear map of the 16 parameters into W1 B_perp (2 (4 - r) directions)
# leaves it invariant: 16 * 2 * (4 - r).  What remains is the reduced net V = W1 B (2 x r),
# W2 (4 x 2) with loss |(W2 V - T) G^(1/2)|^2 / 2 (T: the target map, rank r; G = C^T C): with
# q the first-order change of M = W2 V, invariance is <T G, q> = 0 and <M G, q> = 0
# identically.  Solutions: gl(2) at the hidden layer (q = 0: 4); q = A M with A antisymmetric
# and A T = 0 (so(4 - r)); and for r = 1 only, W2 -> W2 + a (K v)^T with K in so(2) (v = V, a
# vector: q = a (K v)^T v = 0; 4 * 1).  Sampled batches (every condition its own data) leave
# only gl(2): 4.
#   sweep_probes.sh SYMSWEEP PYTHON MPIEXEC NPFLAG JOBS_DIR
set -u
exe=$1 py=$2 mpiexec=$3 npflag=$4 jobs=$5
. "$(dirname "$0")/../support/mpi_env.sh"
fail=0
cd "$tmp"
job="$jobs/discovery-curves.yaml"
"$exe" run "$job" -o one.h5 -q || { echo "FAIL: run"; fail=1; }
"$mpiexec" $npflag 3 "$exe" run "$job" -o three.h5 -q || { echo "FAIL: run on 3 ranks"; fail=1; }
"$exe" run "$job" -o loose.h5 -q probes.symmetry_discovery.threshold=0.01 || { echo "FAIL: run loose"; fail=1; }
# the same points as plain jobs: data fixed, no probe axis
"$exe" run "$job" -o plain.h5 -q probes.symmetry_discovery.data=fixed \
  'sweep={data.rank: [1, 2, 3, 4], data.samples: [1, 2, 3, 40]}' || { echo "FAIL: run plain"; fail=1; }
"$py" - <<'PY' || fail=1
import h5py, numpy as np, sys
ok = True
def need(cond, what):
    global ok
    if not cond:
        print("FAIL:", what); ok = False
def so(k): return k * (k - 1) // 2
def law(r): return 4 + 16 * 2 * (4 - r) + so(4 - r) + (4 * so(2) if r == 1 else 0)
f = h5py.File("one.h5", "r")
g = f["grid"]
need("probes.symmetry_discovery.data" in g, "no /grid column for the swept setting: %s" % list(g))
rank, n = g["data.rank"][:].astype(int), g["data.samples"][:].astype(int)
mode = np.array([x.decode() for x in g["probes.symmetry_discovery.data"][:]])
dim = f["runs/metrics/discovery_dimension"][:]
want = np.array([law(min(a, b)) if m == "fixed" else 4 for a, b, m in zip(rank, n, mode)])
need(len(dim) == 64, "runs %d" % len(dim))
need((dim == want).all(), "law broken at %s" % [(int(a), int(b), m, d, w) for a, b, m, d, w in
                                               zip(rank, n, mode, dim, want) if d != w][:5])
need(sorted(set(want[mode == "fixed"])) == [4, 36, 69, 107], "the law's values %s" % sorted(set(want)))
attr = f["probes/symmetry_discovery"].attrs["data"]  # every setting, on the probe's group
need("varies by grid point" in str(attr), "attribute data says %r" % attr)
# the control: a threshold far too loose counts real conditions as null
loose = h5py.File("loose.h5", "r")["runs/metrics/discovery_dimension"][:]
need((loose != want).sum() >= 10, "a loose threshold should break the law (%d points differ)" % (loose != want).sum())
# 1 and 3 ranks: identical
t = h5py.File("three.h5", "r")
for k in ("runs/metrics/discovery_dimension", "probes/symmetry_discovery/singular_values", "runs/weights/W1"):
    need(np.array_equal(f[k][:], t[k][:], equal_nan=True), "1 vs 3 ranks differ in %s" % k)
# a grid point of the swept job equals the same point of a plain job (data: fixed)
p = h5py.File("plain.h5", "r")
pr, pn = p["grid/data.rank"][:].astype(int), p["grid/data.samples"][:].astype(int)
sv, psv = f["probes/symmetry_discovery/singular_values"][:], p["probes/symmetry_discovery/singular_values"][:]
for i in np.flatnonzero(mode == "fixed"):
    j = np.flatnonzero((pr == rank[i]) & (pn == n[i]))[i % 2]
    need(np.array_equal(sv[i], psv[j]), "run %d differs from the plain job's run %d" % (i, j))
print("discovery dimensions by r = 1..4: %s (sampled: 4)" % [law(r) for r in (1, 2, 3, 4)])
sys.exit(0 if ok else 1)
PY
# the report draws the curve
"$py" "$jobs/../analysis/report.py" one.h5 --out rep -q || { echo "FAIL: report"; fail=1; }
[ -s rep/figures/discovery_curves.png ] || { echo "FAIL: no discovery_curves figure"; fail=1; }
expect() { # expect WHAT PATTERN CMD...
  local what=$1 pat=$2; shift 2
  "$@" > out.txt 2>&1; local rc=$?
  if [ $rc -ne 2 ] || ! grep -q -- "$pat" out.txt; then echo "FAIL: $what: exit $rc"; cat out.txt; fail=1; fi
}
expect "a layout setting" "sweeping data and basis changes how many values" \
  "$exe" validate "$job" 'sweep.probes.symmetry_discovery.basis=[true, false]'
expect "pieces" "sweeping directions changes how many values" \
  "$exe" validate "$job" 'probes.orbit_loss={}' 'sweep.probes.orbit_loss.directions=[2, 3]'
expect "an axis" "sweeping s_max changes the shape of the probe's datasets" \
  "$exe" validate "$job" 'probes.tangent_slice={}' 'sweep.probes.tangent_slice.s_max=[0.1, 0.2]'
expect "team" "team cannot be swept" "$exe" validate "$job" 'sweep.probes.symmetry_discovery.team=[1, 2]'
expect "unknown setting" "has no setting nope; expected one of: family" \
  "$exe" validate "$job" 'sweep.probes.symmetry_discovery.nope=[1, 2]'
expect "probe not in the job" "the job has no probe hessian" "$exe" validate "$job" 'sweep.probes.hessian.threshold=[0.1]'
expect "not a setting path" "expected one probe setting, probes.NAME.SETTING" \
  "$exe" validate "$job" 'sweep.probes.symmetry_discovery=[1, 2]'
expect "bad value at a point" "probes.symmetry_discovery.threshold: expected a number > 0 and < 1, found \"2\" (sweep point" \
  "$exe" validate "$job" 'sweep.probes.symmetry_discovery.threshold=[1e-8, 2]'
exit $fail
