#!/usr/bin/env bash
# The analysis package installs offline as a package (pip, no network, no
# build isolation, Debian's numpy/h5py/... through --system-site-packages),
# its symsweep-report entry point runs from the install on a real file, the
# package imported is the installed copy (not the source tree), and importing
# it leaves matplotlib's backend alone.
#   test_package.sh SYMSWEEP SOURCE_DIR PYTHON
set -u
exe=$1; src=$2; py=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
if ! "$py" -c "import venv, ensurepip" 2>/dev/null; then
  echo "skipped: $py has no venv/ensurepip (Debian: python3-venv)"; exit 77
fi
cp -r "$src/analysis" "$tmp/analysis"   # pip writes build files beside the sources
"$py" -m venv --system-site-packages "$tmp/venv" > "$tmp/log" 2>&1 || { echo "FAIL: venv"; cat "$tmp/log"; exit 1; }
PIP_NO_INDEX=1 "$tmp/venv/bin/pip" install --no-build-isolation --no-deps "$tmp/analysis" > "$tmp/log" 2>&1 ||
  { echo "FAIL: pip install offline"; tail -20 "$tmp/log"; exit 1; }
rm -rf "$tmp/analysis"
test -x "$tmp/venv/bin/symsweep-report" || { echo "FAIL: no symsweep-report entry point"; fail=1; }
"$tmp/venv/bin/symsweep-report" --help > "$tmp/out" 2>&1 || { echo "FAIL: symsweep-report --help"; cat "$tmp/out"; fail=1; }
grep -q "usage: symsweep-report" "$tmp/out" || { echo "FAIL: --help text"; cat "$tmp/out"; fail=1; }
# a real file, through the installed command, from a directory away from the sources
cat > "$tmp/job.yaml" <<'YAML'
seeds: {count: 3}
data: {kind: subspace, dim: 8, rank: 3, samples: 60, noise: 0.05}
model: {kind: autoencoder, input: 8, latent: 3}
train: {optimizer: adam, lr: 0.01, epochs: 60}
record: {loss_every: 10}
sweep: {regularizer: [{kind: none}, {kind: l1, lambda: 0.005}]}
probes: {structure: {}}
YAML
"$exe" run "$tmp/job.yaml" -o "$tmp/out.h5" -q || { echo "FAIL: run"; fail=1; }
( cd "$tmp" && "$tmp/venv/bin/symsweep-report" out.h5 --out rep -q ) > "$tmp/log" 2>&1 ||
  { echo "FAIL: symsweep-report on a file"; cat "$tmp/log"; fail=1; }
test -s "$tmp/rep/report.md" || { echo "FAIL: no report.md"; fail=1; }
ls "$tmp"/rep/figures/*.png > /dev/null 2>&1 || { echo "FAIL: no figures"; fail=1; }
( cd "$tmp" && MPLBACKEND=svg "$tmp/venv/bin/python" - "$src" ) <<'PY' || fail=1
import os, sys
import symsweep_analysis, matplotlib
src = os.path.realpath(sys.argv[1])
where = os.path.realpath(symsweep_analysis.__file__)
if where.startswith(src):
    print("FAIL: the package imported is the source tree's, not the installed one: " + where); sys.exit(1)
import symsweep_analysis.figures  # pyplot imported: the backend must still be the user's
if matplotlib.get_backend().lower() != "svg":
    print("FAIL: importing the package changed matplotlib's backend to " + matplotlib.get_backend()); sys.exit(1)
from symsweep_analysis import load
df = load("out.h5")
assert len(df) == 6, len(df)
PY
[ $fail -eq 0 ] && echo "analysis package: installed offline, symsweep-report runs, backend untouched"
exit $fail
