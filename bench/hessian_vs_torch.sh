#!/usr/bin/env bash
# The hessian probe's dense path (HVP columns + LAPACK dsyevd without vectors, a team of one)
# against PyTorch's vectorized Hessian + numpy.linalg.eigvalsh, and + scipy's evd driver, on
# the tanh MLP 8 -> W -> W -> 4 (W = 36: P = 1,804) with N samples; A B A B pairs (5 by
# default), CPU time of each process's measured section, medians and ranges.  Needs
# python3-torch (scripts/setup.sh --bench).
#   bench/hessian_vs_torch.sh [BUILD_DIR] [W] [N] [PAIRS]
set -euo pipefail
build=${1:-build} w=${2:-36} n=${3:-64} pairs=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
"$py" -c "import torch" 2> /dev/null || { echo "needs python3-torch: scripts/setup.sh --bench"; exit 77; }
c=() t=() e=() s=()
for k in $(seq "$pairs"); do
  c+=("$("$build/bench/bench_lanczos_scaling" --dense-once "$w" "$n" | awk '/dense_cpu_s/ {print $2}')")
  out=$("$py" "$here/hessian_torch.py" "$w" "$n")
  t+=("$(awk '/torch_hessian_s/ {print $2}' <<< "$out")")
  e+=("$(awk '/numpy_eigvalsh_s/ {print $2}' <<< "$out")")
  s+=("$(awk '/scipy_evd_s/ {print $2}' <<< "$out")")
done
"$py" - "$w" "$n" "${c[*]}" "${t[*]}" "${e[*]}" "${s[*]}" "$out" "$("$build/symsweep" --version --verbose | grep '^BLAS')" <<'PY'
import sys
import numpy as np
w, n = sys.argv[1:3]
c, t, e, s = (np.array([float(x) for x in a.split()]) for a in sys.argv[3:7])
info = dict(l.split(" ", 1) for l in sys.argv[7].splitlines())
med = lambda a: float(np.median(a))
ref1, ref2 = t + e, t + s
r1, r2 = ref1 / c, ref2 / c
print("# hessian + eigenvalues, tanh MLP 8 -> %s -> %s -> 4, P = %s, %s samples, %d A/B pairs, CPU s"
      % (w, w, info["P"], n, len(c)))
print("# symsweep: %s" % sys.argv[8])
print("# reference: PyTorch %s, numpy/scipy on OpenBLAS core %s" % (info["torch"], info["core"]))
print("%-48s %8s %18s" % ("side", "median", "range"))
print("%-48s %8.3f %8.3f - %.3f" % ("symsweep (HVP columns + dsyevd 'N')", med(c), c.min(), c.max()))
print("%-48s %8.3f %8.3f - %.3f" % ("torch hessian(vectorize) + numpy eigvalsh", med(ref1), ref1.min(), ref1.max()))
print("%-48s %8.3f %8.3f - %.3f" % ("torch hessian(vectorize) + scipy eigh evd", med(ref2), ref2.min(), ref2.max()))
print("%-48s %8.3f %8.3f - %.3f" % ("  of which torch's Hessian", med(t), t.min(), t.max()))
print("ratio vs torch + numpy: median %.2fx (range %.2f - %.2f)" % (med(r1), r1.min(), r1.max()))
print("ratio vs torch + scipy evd: median %.2fx (range %.2f - %.2f)" % (med(r2), r2.min(), r2.max()))
# one line per comparison for bench/run_all.sh's table
blas = sys.argv[8]
kern = "symsweep %s; numpy OpenBLAS core %s" % (blas.split(";", 1)[-1].strip() if ";" in blas else blas, info["core"])
for ref, x, r in (("torch hessian + numpy eigvalsh", ref1, r1), ("torch hessian + scipy eigh evd", ref2, r2)):
    print("row|Hessian + eigenvalues, tanh MLP, P = %s, vs %s|%.3f s|%.3f s|%.2f|%.2f|%.2f|-|>= 2x|%s"
          % (info["P"], ref, med(c), med(x), med(r), r.min(), r.max(), kern))
PY
