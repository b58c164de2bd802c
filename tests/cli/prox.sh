#!/usr/bin/env bash
# Proximal training (train.proximal) against the lasso's closed form.  A linear layer y = W x on
# data whose inputs are orthogonal with X^T X = n I minimizes (1/(n d)) ||X W^T - Y||^2 +
# lam sum |w| entry by entry: w = S(a, lam d / 2), a the least-squares solution, S soft
# thresholding.  ISTA (gd + prox) and proximal Adam reach it with exact zeros; the subgradient
# gd of the same objective hovers near zero instead (the negative control).  Frobenius:
# w = a / (1 + lam d).
#   prox.sh SYMSWEEP PYTHON
set -u
exe=$1; py=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$py" - <<'PY'
import h5py, numpy as np
r = np.random.default_rng(3)
n, din, dout = 64, 8, 3
Q, _ = np.linalg.qr(r.normal(size=(n, din)))
X = Q * np.sqrt(n)                       # X^T X = n I
W = r.normal(size=(dout, din)) * np.where(r.random((dout, din)) < 0.5, 1.0, 0.05)
Y = X @ W.T + 0.01 * r.normal(size=(n, dout))
with h5py.File("xy.h5", "w") as f:
    f["X"], f["Y"] = X, Y
PY
job() { # name optimizer lr epochs proximal reg
  cat > "$1.yaml" <<YAML
name: $1
seeds: [1]
data: {kind: hdf5, file: xy.h5, x: X, y: Y}
model: {kind: mlp, widths: [8, 3], bias: false}
regularizer: $6
train: {optimizer: $2, lr: $3, epochs: $4, proximal: $5}
record: {weights: final, loss_every: 100}
YAML
}
L1="{kind: l1, lambda: 0.2}"
job ista gd 0.5 3000 true "$L1"
job adam adam 0.01 20000 true "$L1"
job subgrad gd 0.5 3000 false "$L1"
job ridge gd 0.5 3000 true "{kind: frobenius, lambda: 0.3}"
fail=0
for j in ista adam subgrad ridge; do "$exe" run $j.yaml -o $j.h5 -q || { echo "FAIL: run $j"; fail=1; }; done
"$py" - <<'PY' || fail=1
import h5py, numpy as np
with h5py.File("xy.h5", "r") as f:
    X, Y = f["X"][()], f["Y"][()]
n, d = X.shape[0], Y.shape[1]
A = Y.T @ X / n                                   # the least-squares solution
lam = 0.2
want = np.sign(A) * np.maximum(np.abs(A) - lam * d / 2, 0)
zeros = want == 0
assert 3 <= zeros.sum() <= A.size - 3, zeros.sum()
def w(name):
    with h5py.File(name + ".h5", "r") as f:
        return f["runs/weights/W1"][0]
for name, tol in (("ista", 1e-12), ("adam", 1e-6)):
    got = w(name)
    err = np.abs(got - want).max()
    print("%s: %d exact zeros of %d (closed form %d), max |w - S(a, lam d/2)| = %.1e"
          % (name, (got == 0).sum(), got.size, zeros.sum(), err))
    assert np.array_equal(got == 0, zeros), name
    assert err < tol, (name, err)
sub = w("subgrad")
print("subgradient gd: %d exact zeros; where the lasso has zeros |w| up to %.1e"
      % ((sub == 0).sum(), np.abs(sub[zeros]).max()))
assert (sub == 0).sum() == 0 and np.abs(sub[zeros]).max() > 1e-6
ridge = w("ridge")
err = np.abs(ridge - A / (1 + 0.3 * d)).max()
print("frobenius: max |w - a / (1 + lam d)| = %.1e" % err)
assert err < 1e-12
PY
# refused: a penalty without a proximal map here
job bad gd 0.5 10 true "{kind: schatten, p: 1, lambda: 0.1}"
if "$exe" validate bad.yaml > out 2>&1; then echo "FAIL: schatten accepted"; fail=1
elif ! grep -q "train.proximal: proximal steps handle the regularizers none, l1 and frobenius; found schatten" out; then
  echo "FAIL: message"; cat out; fail=1; else echo "ok: $(tail -1 out)"; fi
[ $fail -eq 0 ] && echo "prox: all checks passed"
exit $fail
