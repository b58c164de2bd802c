#!/usr/bin/env bash
# --progress: the bar under mpirun on a terminal (a pseudo-terminal from util-linux's script),
# progress within a run (the share of its epochs, on one process and from MPI workers), lines
# when stderr is a file, none, and a bad mode refused.
#   progress.sh SYMSWEEP MPIEXEC NPFLAG
set -u
exe=$1 mpiexec=$2 npflag=$3
. "$(dirname "$0")/../support/mpi_env.sh"
fail=0
cd "$tmp"
# two runs of about 3 s each on this machine: long enough for in-run reports (one a second)
cat > long.yaml <<'YAML'
name: long
seeds: [1, 2]
data: {kind: teacher_linear, input: 8, output: 8, samples: 2000}
model: {kind: mlp, widths: [8, 64, 64, 8], activation: tanh}
train: {optimizer: gd, lr: 0.01, epochs: 1200}
record: {loss_every: 20}
YAML

# a run in flight moves the line before any run is back: "[0/2]" with more than 0%
inflight() { # inflight FILE WHAT
  if ! tr '\r' '\n' < "$1" | grep -Eq '^\[0/2\] ([1-9][0-9]?|0\.[1-9])'; then
    echo "FAIL: $2: no progress within the first run"; tr '\r' '\n' < "$1" | head -5; fail=1
  fi
}

# one process, stderr a file: lines, in-run progress
"$exe" run long.yaml -o a.h5 --progress-every 0.2 2> lines.txt > /dev/null || { echo "FAIL: run"; fail=1; }
grep -q $'\r' lines.txt && { echo "FAIL: lines mode wrote carriage returns"; fail=1; }
inflight lines.txt "one process, lines"

# --progress=none: no progress line, the summary still printed
"$exe" run long.yaml -o b.h5 --progress=none 2> none.txt > out.txt || { echo "FAIL: run none"; fail=1; }
grep -q '^\[' none.txt && { echo "FAIL: --progress=none printed progress"; fail=1; }
grep -q "2 runs computed" out.txt || { echo "FAIL: --progress=none lost the summary"; fail=1; }

# bad mode
"$exe" run long.yaml -o c.h5 --progress=fancy 2> err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "progress: expected auto, bar, lines or none, found 'fancy'" err.txt ||
  { echo "FAIL: --progress=fancy: exit $rc, $(cat err.txt)"; fail=1; }

if ! command -v script > /dev/null; then
  echo "progress: no 'script' (util-linux): the terminal cases are skipped"
else
  # under mpirun on a terminal, auto: the bar (carriage returns), moved by the workers' runs
  script -qec "'$mpiexec' $npflag 3 '$exe' run long.yaml -o d.h5" tty.txt > /dev/null 2>&1 ||
    { echo "FAIL: mpirun on a terminal"; fail=1; }
  grep -q $'\r\\[' tty.txt || { echo "FAIL: no bar under mpirun on a terminal"; head -c 600 tty.txt; fail=1; }
  inflight tty.txt "mpirun on a terminal"
  # the same with stderr sent to a file: lines, not the bar
  script -qec "'$mpiexec' $npflag 3 '$exe' run long.yaml -o e.h5 --progress-every 0.2 2> file.txt" \
    tty2.txt > /dev/null 2>&1 || { echo "FAIL: mpirun with stderr to a file"; fail=1; }
  grep -q $'\r' file.txt && { echo "FAIL: the bar went into a file"; fail=1; }
  grep -q $'\r\\[' tty2.txt && { echo "FAIL: the bar went to the terminal although stderr is a file"; fail=1; }
  inflight file.txt "mpirun, stderr to a file"
fi
[ $fail -eq 0 ] && echo "PASS: progress"
exit $fail
