#!/bin/bash
# Team tasks inside a sweep: the hessian, symmetry_discovery and hessian_lanczos probes on
# teams of 2 mixed with single-rank orbit pieces give the same file, value for
# value, on 3 and 5 ranks (the team size, hence the grid, comes from the job);
# teams of 1 on 1 and 3 ranks likewise; teams of 2 agree with teams of 1 to
# 1e-10; too few ranks for the team is an error before any output.
# In a build without ScaLAPACK (SCALAPACK=0) teams are one rank: team: 2 is
# refused by validate with the setting's line, and teams of 1 are checked
# alone against the same closed forms (LAPACK's dgesvd in place of pdgesvd).
#   team_sweep.sh SYMSWEEP MPIEXEC NPFLAG PYTHON [SCALAPACK=1]
set -u
exe=$1 mpiexec=$2 npflag=$3 py=$4 scalapack=${5:-1}
. "$(dirname "$0")/../support/mpi_env.sh"
fail=0
job() { # job TEAM FILE
  cat > "$2" <<YAML
name: team-sweep
seeds: {count: 6, base: 1}
data: {kind: teacher_linear, input: 4, output: 3, samples: 60, noise: 0.1}
model: {kind: mlp, widths: [4, 6, 6, 3], activation: linear, bias: false}
train: {optimizer: gd, lr: 0.05, epochs: 2000}
sweep:
  model.activation: [linear, relu]
probes:
  hessian: {gauge_points: 3, eigenvectors: true, team: $1}
  symmetry_discovery: {family: layer, team: $1}
  hessian_lanczos: {k: 4, steps: 60, slq_samples: 2, slq_steps: 20, team: $1}
  orbit_loss: {directions: 2, algebra: diagonal}
  conserved: {}
record: {loss_every: 100}
YAML
}
job 2 "$tmp/t2.yaml"
job 1 "$tmp/t1.yaml"
"$exe" run "$tmp/t1.yaml" -o "$tmp/t1n1.h5" --quiet || fail=1
"$mpiexec" $npflag 3 "$exe" run "$tmp/t1.yaml" -o "$tmp/t1n3.h5" --quiet || fail=1
if [ "$scalapack" = 0 ]; then
  "$exe" validate "$tmp/t2.yaml" 2> "$tmp/err"; rc=$?
  # the first team probe read refuses it, at its own line
  probe=$(sed -n 's/.*: probes\.\([a-z_]*\)\.team: .*without ScaLAPACK.*/\1/p' "$tmp/err" | head -1)
  line=$(grep -n "^  $probe:" "$tmp/t2.yaml" | cut -d: -f1)
  if [ $rc -ne 2 ] || [ -z "$probe" ] || ! grep -q "t2.yaml:$line:.*probes.$probe.team.*without ScaLAPACK" "$tmp/err"; then
    echo "FAIL: team of 2 without ScaLAPACK: exit $rc, $(cat "$tmp/err")"; fail=1
  fi
  cp "$tmp/t1n1.h5" "$tmp/t2n3.h5"; cp "$tmp/t1n3.h5" "$tmp/t2n5.h5"  # the checks below, teams of 1
else
  "$mpiexec" $npflag 3 "$exe" run "$tmp/t2.yaml" -o "$tmp/t2n3.h5" --quiet || fail=1
  "$mpiexec" $npflag 5 "$exe" run "$tmp/t2.yaml" -o "$tmp/t2n5.h5" --quiet || fail=1
  # one process cannot host a team of 2: exit 2, a clear message, no file
  "$exe" run "$tmp/t2.yaml" -o "$tmp/none.h5" --quiet 2> "$tmp/err"; rc=$?
  if [ $rc -ne 2 ] || [ -e "$tmp/none.h5" ] || ! grep -q "teams of 2 ranks but the sweep has 1 worker" "$tmp/err"; then
    echo "FAIL: team of 2 on one process: exit $rc, $(cat "$tmp/err")"; fail=1
  fi
fi
"$py" - "$tmp" "$scalapack" <<'PY' || fail=1
import sys, h5py, numpy as np
d = sys.argv[1]
def walk(g, p=''):
    for k in g:
        x = g[k]
        if isinstance(x, h5py.Group):
            yield from walk(x, p + '/' + k)
        else:
            yield p + '/' + k
def same(a, b):
    bad = []
    for path in walk(a):
        if path in ('/runs/wall_time', '/runs/rank'):
            continue
        x, y = a[path][()], b[path][()]
        eq = np.array_equal(x, y, equal_nan=True) if x.dtype.kind == 'f' else np.array_equal(x, y)
        if not eq:
            bad.append(path)
    return bad
ok = True
for p, q in (('t2n3', 't2n5'), ('t1n1', 't1n3')):
    a, b = h5py.File(f'{d}/{p}.h5'), h5py.File(f'{d}/{q}.h5')
    bad = same(a, b)
    print(f'{p} vs {q}: {"identical" if not bad else "DIFFER: " + ", ".join(bad)}')
    ok &= not bad
a, b = h5py.File(f'{d}/t2n3.h5'), h5py.File(f'{d}/t1n1.h5')
assert (a['runs/status'][:] == 1).all() and (b['runs/status'][:] == 1).all(), 'not all runs done'
team = 2 if sys.argv[2] != '0' else 1
assert (a['runs/metrics/hessian_team_size'][:] == team).all() and (b['runs/metrics/hessian_team_size'][:] == 1).all()
e2, e1 = a['probes/hessian/eigenvalues'][:], b['probes/hessian/eigenvalues'][:]
rel = np.nanmax(np.abs(e2 - e1) / np.nanmax(np.abs(e1), axis=1, keepdims=True))
print(f'team of {team} vs team of 1: eigenvalues agree to {rel:.2e} relative')
ok &= rel <= 1e-10
# hessian_lanczos on a team: each rank a slice of the samples, the products summed
for k in ('top', 'quotient_bottom'):
    x, y = a['probes/hessian_lanczos/' + k][:], b['probes/hessian_lanczos/' + k][:]
    d = np.nanmax(np.abs(x - y)) / np.nanmax(np.abs(y))
    print(f'hessian_lanczos {k}: team of {team} vs 1 agree to {d:.2e} relative')
    ok &= d <= 1e-10
ok &= a['probes/hessian_lanczos/top'].attrs['team_size'] == team
for k in ('hessian_zero_count', 'hessian_orbit_dim', 'discovery_dimension'):
    ok &= np.array_equal(a['runs/metrics/' + k][:], b['runs/metrics/' + k][:])
    print(k, a['runs/metrics/' + k][:])
# linear runs sit near a minimum of a wide deep linear net: zeros = orbit dim = 66;
# discovery finds gl(6) + gl(6) for linear, the diagonals (12) for relu
act = a['grid/model.activation'][:].astype(str) if a['grid/model.activation'].dtype.kind != 'i' else None
disc = a['runs/metrics/discovery_dimension'][:]
ok &= set(disc[:6]) == {72.0} and set(disc[6:]) == {12.0}
ok &= (a['runs/metrics/hessian_orbit_dim'][:6] == 66).all()
v = a['probes/hessian/eigenvectors'][0]
P = int(a['runs/metrics/hessian_n_params'][0])
ok &= np.allclose(v[:P, :P] @ v[:P, :P].T, np.eye(P), atol=1e-10)
sys.exit(0 if ok else 1)
PY
# functional_dimension on a team: dense (the SVD of J or J^T) and matrix-free (the Gram
# matrix's eigenvalues), swept as a probe setting; teams of 2 against teams of 1
cat > "$tmp/fd1.yaml" <<'YAML'
name: fd-team
seeds: {count: 3, base: 1}
data: {kind: teacher_linear, input: 4, output: 3, samples: 30, noise: 0.1}
model: {kind: mlp, widths: [4, 6, 3], activation: relu, bias: true}
train: {optimizer: gd, lr: 0.05, epochs: 300}
sweep:
  data.samples: [2, 30]
  probes.functional_dimension.method: [dense, gram]
probes:
  functional_dimension: {team: 1}
YAML
sed 's/team: 1}/team: 2}/' "$tmp/fd1.yaml" > "$tmp/fd2.yaml"
"$exe" run "$tmp/fd1.yaml" -o "$tmp/fd1.h5" --quiet || { echo "FAIL: fd team of 1"; fail=1; }
if [ "$scalapack" != 0 ]; then
  "$mpiexec" $npflag 3 "$exe" run "$tmp/fd2.yaml" -o "$tmp/fd2.h5" --quiet || { echo "FAIL: fd team of 2"; fail=1; }
else
  cp "$tmp/fd1.h5" "$tmp/fd2.h5"
fi
"$py" - "$tmp" <<'PY' || fail=1
import sys, h5py, numpy as np
d = sys.argv[1]
a, b = h5py.File(d + "/fd2.h5", "r"), h5py.File(d + "/fd1.h5", "r")
ok = (a["runs/status"][:] == 1).all() and (b["runs/status"][:] == 1).all()
m = "runs/metrics/"
for k in ("functional_dimension", "functional_orbit_dimension", "functional_excess_null"):
    ok &= np.array_equal(a[m + k][:], b[m + k][:])
rank = a[m + "functional_dimension"][:]
n = a["grid/data.samples"][:]
# 2 samples: J has 6 rows (< P = 51: the SVD of J^T, or J J^T), rank 6; 30 samples: 45 (P - 6 scalings)
ok &= (rank[n == 2] == 6).all() and (rank[n == 30] == 45).all()
x, y = a["probes/functional_dimension/singular_values"][:], b["probes/functional_dimension/singular_values"][:]
# the counted ones (below the cut the Gram matrix's are rounding: 1e-8 of the largest)
rel = max(np.max(np.abs(x[i, :int(r)] - y[i, :int(r)])) / y[i, 0] for i, r in enumerate(rank))
print("functional_dimension on teams of 2 vs 1 (dense and gram): ranks %s, singular values to %.1e"
      % (sorted(set(rank)), rel))
ok &= rel < 1e-10
ok &= "varies" in str(a["probes/functional_dimension"].attrs["method"])  # settings: on the probe's group
sys.exit(0 if ok else 1)
PY
[ $fail -eq 0 ] && echo "PASS: team sweep" || echo "FAIL: team sweep"
exit $fail
