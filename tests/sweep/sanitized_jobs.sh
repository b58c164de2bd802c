#!/usr/bin/env bash
# Real sweeps under the sanitizers (CI's -DSYM_SANITIZE=ON build): every job
# in jobs/ that plan estimates under 0.001 core-hours (a few seconds even
# under ASan), on 1 and on 3 ranks; the two files must hold the same results.
#   sanitized_jobs.sh SYMSWEEP MPIEXEC NPFLAG PYTHON SOURCE_DIR
set -u
exe=$1; mpiexec=$2; npflag=$3; py=$4; src=$5
. "$(dirname "$0")/../support/mpi_env.sh"
# Open MPI's own allocations outlive MPI_Finalize: leak reports would be its
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}:detect_leaks=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0; ran=0; skipped=""
for job in "$src"/jobs/*.yaml; do
  name=$(basename "$job" .yaml)
  est=$("$exe" plan "$job" 2>/dev/null | sed -n 's/^time: about \([0-9.e+-]*\) core-hours.*/\1/p')
  if [ -z "$est" ] || ! "$py" -c "import sys; sys.exit(0 if float('$est') < 1e-3 else 1)"; then
    skipped="$skipped $name"; continue
  fi
  ran=$((ran + 1))
  "$exe" run "$job" -o "$tmp/$name.1.h5" -q > "$tmp/log" 2>&1 ||
    { echo "FAIL: $name on 1 rank"; tail -20 "$tmp/log"; fail=1; continue; }
  "$mpiexec" $npflag 3 "$exe" run "$job" -o "$tmp/$name.3.h5" -q > "$tmp/log" 2>&1 ||
    { echo "FAIL: $name on 3 ranks"; tail -20 "$tmp/log"; fail=1; continue; }
  "$exe" summary "$tmp/$name.3.h5" > /dev/null 2>"$tmp/log" || { echo "FAIL: summary of $name"; cat "$tmp/log"; fail=1; }
  "$py" - "$tmp/$name.1.h5" "$tmp/$name.3.h5" <<'PY' || { echo "FAIL: $name differs between 1 and 3 ranks"; fail=1; }
import sys, h5py
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
bad = [n for n in names if n not in ("runs/rank", "runs/wall_time")
       and (a[n][...].tolist() if a[n].dtype == object else a[n][...].tobytes())
        != (b[n][...].tolist() if b[n].dtype == object else b[n][...].tobytes())]
if bad:
    print(bad); sys.exit(1)
PY
done
[ $ran -ge 5 ] || { echo "FAIL: only $ran jobs ran under the sanitizers"; fail=1; }
[ $fail -eq 0 ] && echo "sanitizers: $ran jobs clean on 1 and 3 ranks, identical results (skipped as long:$skipped)"
exit $fail
