#!/usr/bin/env bash
# The layering check bites: for every library (core, nn, sym, probe, io, sweep)
# and every public header, a file that includes the header compiles with the
# library's definitions exactly when the header is of the library's layer or
# below; otherwise the header's #error names the violation.
#   layers.sh CC SOURCE_DIR BINARY_DIR MPI_INCLUDE_DIRS
set -u
cc=$1; src=$2; bin=$3; mpi_inc=$4
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; n=0
declare -A allow=(
  [core]="CORE" [nn]="CORE NN" [sym]="CORE NN SYM" [probe]="CORE NN SYM PROBE" [io]="CORE IO"
  [sweep]="CORE NN SYM PROBE IO SWEEP")
declare -A layer=(
  [core]=CORE [nn]=NN [sym]=SYM [probe]=PROBE [probe_api]=PROBE [io]=IO [job]=SWEEP [run]=SWEEP [output]=SWEEP
  [plan]=SWEEP [team]=SWEEP [sweep]=SWEEP)
incs=(-I"$src/include" -I"$bin/include")
for d in ${mpi_inc//;/ }; do incs+=(-I"$d"); done
for mod in core nn sym probe io sweep; do
  defs=(-DSYM_BUILDING)
  for l in ${allow[$mod]}; do defs+=(-DSYM_ALLOW_$l); done
  for h in "${!layer[@]}"; do
    n=$((n + 1))
    printf '#include "symsweep/%s.h"\nint sym_layers_probe;\n' "$h" > "$tmp/t.c"
    if "$cc" -fsyntax-only "${defs[@]}" "${incs[@]}" "$tmp/t.c" 2> "$tmp/err"; then ok=1; else ok=0; fi
    want=0
    for l in ${allow[$mod]}; do [ "$l" = "${layer[$h]}" ] && want=1; done
    # a header may be refused through a header it includes (job.h -> probe.h): still refused
    if [ $want = 1 ] && [ $ok = 0 ]; then
      echo "FAIL: $mod may include $h.h but it does not compile:"; head -3 "$tmp/err"; fail=1
    elif [ $want = 0 ] && [ $ok = 1 ]; then
      echo "FAIL: $mod includes $h.h, a layer above it, and it compiles"; fail=1
    elif [ $want = 0 ] && ! grep -q "belongs to a layer above" "$tmp/err"; then
      echo "FAIL: $mod including $h.h fails, but not by the layering check:"; head -3 "$tmp/err"; fail=1
    fi
  done
done
[ $fail -eq 0 ] && echo "layers: $n library x header pairs compile exactly when allowed"
exit $fail
