#!/usr/bin/env bash
# Every setting of every probe of a job, defaults included, is a typed attribute of
# /probes/NAME (int64, float64, an enum's name, arrays for lists), under the names of the
# probe's settings table (`symsweep help probes NAME`), a swept one reads "varies by grid
# point"; the settings are no longer attributes of a dataset; and a categorical axis has a
# dimension scale of its labels (families, penalties, the side of a step), which ncdump reads.
#   probe_attrs.sh SYMSWEEP PYTHON
set -u
exe=$1; py=$2
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
cat > mlp.yaml <<'YAML'
name: attrs
seeds: {count: 2, base: 3}
data: {kind: teacher_mlp, widths: [3, 4, 2], activation: tanh, samples: 30, noise: 0.05}
model: {kind: mlp, widths: [3, 4, 2], activation: relu, bias: true}
train: {optimizer: gd, lr: 0.02, epochs: 20}
record: {loss_every: 10}
sweep:
  probes.lp_ball.trials: [2, 3]
probes:
  tangent_slice: {directions: 2, points: 4}
  lp_ball: {p: [1, inf], families: [permutation, orthogonal], points: 10, quadratics: 5}
  centralizer: {families: [permutation, general], trials: 2, samples: 20, basis: true}
  teleport: {every: 10, steps: 2}
YAML
cat > ae.yaml <<'YAML'
name: attrs_ae
seeds: {count: 2}
data: {kind: subspace, dim: 4, rank: 2, samples: 40, noise: 0.05}
model: {kind: autoencoder, input: 4, latent: 2, tied: false, bias: false}
train: {optimizer: adam, lr: 0.01, epochs: 20}
record: {loss_every: 10}
probes:
  penalty_invariance: {trials: 3}
YAML
for j in mlp ae; do
  "$exe" run $j.yaml -o $j.h5 -q || { echo "FAIL: run $j"; exit 1; }
  if command -v ncdump > /dev/null; then
    ncdump -h $j.h5 > /dev/null || { echo "FAIL: ncdump -h $j.h5"; fail=1; }
  fi
done
for p in tangent_slice lp_ball centralizer teleport penalty_invariance; do
  "$exe" help probes $p > help-$p.txt || { echo "FAIL: help probes $p"; fail=1; }
done
"$py" - <<'PY' || fail=1
import re, h5py, numpy as np
ok = True
def need(c, what):
    global ok
    if not c:
        print("FAIL:", what)
        ok = False
m, a = h5py.File("mlp.h5", "r"), h5py.File("ae.h5", "r")
for f, names in ((m, ("tangent_slice", "lp_ball", "centralizer", "teleport")), (a, ("penalty_invariance",))):
    for p in names:
        table = [x for x in re.findall(r"^  (\w+) {2,}", open("help-%s.txt" % p).read(), re.M)]
        g = f["probes/" + p]
        need(set(table) <= set(g.attrs), "%s: settings %s not attributes of /probes/%s (%s)"
             % (p, sorted(set(table) - set(g.attrs)), p, sorted(g.attrs)))
        # no setting is an attribute of a dataset any more
        def visit(name, o):
            for k in o.attrs:
                need(k not in table or p == "penalty_invariance" and k in ("families",),
                     "%s: setting %s is still an attribute of %s" % (p, k, o.name))
        g.visititems(visit)
def attr(f, p, k):
    return f["probes/" + p].attrs[k]
def typed(v, kind):
    return np.asarray(v).dtype.kind == kind
# given (directions), defaulted (algebra, an enum: its name), swept (lp_ball trials)
ts = m["probes/tangent_slice"]
need(ts.attrs["directions"] == 2 and typed(ts.attrs["directions"], "i"), "directions: int64 2: %r" % ts.attrs["directions"])
need(ts.attrs["points"] == 4, "points 4")
need(ts.attrs["algebra"] == "auto", "algebra: the default's name: %r" % ts.attrs["algebra"])
need(ts.attrs["s_max"] == 0.5, "s_max: the default 0.5")
need("varies by grid point" in str(m["probes/lp_ball"].attrs["trials"]), "lp_ball trials swept: %r" % m["probes/lp_ball"].attrs["trials"])
lp = m["probes/lp_ball"]
need(typed(lp.attrs["p"], "f") and list(lp.attrs["p"]) == [1.0, np.inf], "p: float64 [1, inf]: %r" % lp.attrs["p"])
need(list(lp.attrs["families"]) == ["permutation", "orthogonal"], "families: %r" % lp.attrs["families"])
need(lp.attrs["dim"] == 2 and typed(lp.attrs["dim"], "i"), "dim: the default 2 as int64")
need(lp.attrs["radius"] == 1.0 and typed(lp.attrs["radius"], "f"), "radius: the default 1 as float64")
ce = m["probes/centralizer"]
need(ce.attrs["basis"] == 1 and ce.attrs["bias_compensation"] == 0, "booleans as 0/1")
tp = m["probes/teleport"]
need(tp.attrs["every"] == 10 and tp.attrs["steps"] == 2 and tp.attrs["step"] == 0.05 and tp.attrs["objective"] == "max",
     "teleport: %r" % dict(tp.attrs))
need(a["probes/penalty_invariance"].attrs["trials"] == 3, "trials 3")
# categorical axes: a scale of labels
def labels(d, k):
    s = d.dims[k]
    need(len(s) == 1, "%s: dimension %d has %d scales" % (d.name, k, len(s)))
    return [x.decode() if isinstance(x, bytes) else x for x in s[0][()]] if len(s) else []
pi = a["probes/penalty_invariance"]
for n in ("mean_rel_change", "max_rel_change"):
    need(labels(pi[n], 1) == ["orthogonal", "signed_permutation", "general"], "%s families" % n)
    need(labels(pi[n], 2) == ["frobenius", "l1"], "%s penalties" % n)
need(labels(m["probes/tangent_slice/change"], 2) == ["+s", "-s"], "tangent_slice side")
need(labels(m["probes/lp_ball/norm_change"], 2) == ["permutation", "orthogonal"], "lp_ball families")
need(list(m["probes/lp_ball/norm_change"].dims[1][0][()]) == [1.0, np.inf], "lp_ball p axis")
for n in ("commutation_mean", "commutation_max", "group_order_log10"):
    need(labels(m["probes/centralizer/" + n], 1) == ["permutation", "general"], "centralizer %s families" % n)
print("probe attributes: every setting on /probes/NAME, typed; categorical axes labelled" if ok else "")
raise SystemExit(0 if ok else 1)
PY
[ $fail -eq 0 ] && echo "probe_attrs: all checks passed"
exit $fail
