#!/usr/bin/env bash
# The whole machine (issue 27): does symsweep's per-core advantage over PyTorch hold when every
# core is busy?  On N = nproc cores, as interleaved quadruples (PAIRS of them, default 5):
#   all-core symsweep  a real sweep, mpiexec -n N+1 symsweep run bench/jobs/machine.yaml: rank 0
#                      coordinates (it sleeps between polls, src/sweep/coordinator.c, and its CPU
#                      time is printed to show it), N workers train RUNS runs each;
#   all-core PyTorch   N copies of bench/torch_baseline.py (the plain loop) started at once, each
#                      one thread, and then N copies of bench/torch_batched.py (64 models by bmm,
#                      EPOCHS x REPS timed epochs, so that its timed loop lasts about as long);
#   one-core symsweep  the same sweep with one worker (mpiexec -n 2) and RUNS runs;
#   one-core PyTorch   one torch_baseline.py alone, then one torch_batched.py alone.
# The workload is Ex3's training (linear autoencoder 8 -> 3 -> 8, 500 samples, Adam lr 0.005,
# EPOCHS full-batch epochs, float64, one thread, no probes: bench/jobs/machine.yaml).
# Per-core rates:
#   symsweep: training steps (the sum of /runs/epochs_done: full batch, one step an epoch) over
#     the sum of the runs' own times (/runs/wall_time: src/sweep/run.c times each run from its
#     start, data and initial weights included, to the end of training), leaving out the runs
#     that start in a worker's first 0.3 s of training (its warm-up, as the PyTorch side's).
#     This is the measure of the row because it times what PyTorch's side times (the training,
#     not the start-up: MPI, the job, the HDF5 file, importing torch), and it is wall time, so any
#     time a worker loses to rank 0, mpiexec or anything else on a full machine counts against
#     symsweep (CPU time would not; the script warns when the runs' wall time exceeds the
#     workers' CPU time: the machine was not quiet).  Also printed: steps over the workers'
#     whole-process CPU time (start-up, waiting for the first task and for the last runs of the
#     others included), and rank 0's CPU time.
#   PyTorch: the mean over the N processes of each one's steps/s (CPU time of its timed loop, the
#     median of REPS repeats after 0.3 s of warm-up, as run_train_bench.sh measures).
# The ratio symsweep/PyTorch on all cores and on one core, and their quotient (all/one) for each
# quadruple; target: the quotient's median within 10% of 1 (the per-core ratios hold).
# Each worker trains RUNS runs in both cases (seeds.count = RUNS x workers), so a worker's fixed
# costs weigh the same on one core and on all of them.  Whole-process CPU time and wall time of
# every process come from a small fork/wait4 wrapper (python3), per MPI rank.
# Environment: as root, Open MPI refuses to start without OMPI_ALLOW_RUN_AS_ROOT=1 and
# OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1: the script sets them only when running as root, and says so
# (they are not BLAS variables; none is set).  With Open MPI, --oversubscribe --bind-to none
# (N+1 ranks on N cores; rank 0 sleeps).  MPIEXEC=... chooses another mpiexec.
#   bench/run_machine_bench.sh [BUILD_DIR] [PAIRS] [RUNS] [EPOCHS] [REPS]
set -euo pipefail
build=${1:-build}
pairs=${2:-5}
runs=${3:-1000}
epochs=${4:-2000}
reps=${5:-5}
here=$(cd "$(dirname "$0")" && pwd)
exe="$build/symsweep"
/usr/bin/python3 -c "import torch, h5py" 2> /dev/null ||
  { echo "bench: needs python3-torch and python3-h5py: run scripts/setup.sh --bench" >&2; exit 2; }
[ -x "$exe" ] || { echo "bench: $exe is missing: build first" >&2; exit 2; }
mpiexec=${MPIEXEC:-$(command -v mpiexec || true)}
[ -n "$mpiexec" ] || { echo "bench: mpiexec is missing" >&2; exit 2; }
n=$(nproc)
mpiflags=()
if "$mpiexec" --version 2>&1 | grep -qE 'Open MPI|OpenRTE'; then
  mpiflags=(--oversubscribe --bind-to none)
fi
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  echo "# running as root: set OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (Open MPI refuses root without them; not BLAS variables)"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# timed CMD...: runs CMD as a child and writes "wall user sys" of it (wait4's rusage) to
# $TIMED_OUT with %r replaced by the MPI rank (Open MPI or MPICH), or "x" outside MPI
timed=(/usr/bin/python3 -c '
import os, sys, time
rank = os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK", "x"))
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(os.environ["TIMED_OUT"].replace("%r", rank), "w") as f:
    f.write("%.6f %.6f %.6f\n" % (time.monotonic() - t0, ru.ru_utime, ru.ru_stime))
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
')
get() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# sweep WORKERS TAG: one sweep of WORKERS x RUNS runs; appends to $tmp/sweeps a line
# "TAG steps sum_run_wall workers_cpu workers_wall rank0_cpu sweep_wall rank0_work
# all_runs_wall/workers_cpu all_steps" (steps and sum_run_wall without each worker's warm-up)
sweep() {
  local w=$1 d="$tmp/$2"
  mkdir -p "$d"
  TIMED_OUT="$d/cpu.%r" "$mpiexec" "${mpiflags[@]}" -n $((w + 1)) "${timed[@]}" "$exe" run \
    "$here/jobs/machine.yaml" seeds.count=$((w * runs)) train.epochs="$epochs" \
    -o "$d/out.h5" --force -q --stats 2> "$d/stats" || { cat "$d/stats" >&2; exit 1; }
  /usr/bin/python3 - "$d" "$w" "$2" "$runs" "$epochs" >> "$tmp/sweeps" <<'PY'
import re
import sys
import h5py
import numpy as np
d, w, tag, runs, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with h5py.File(d + "/out.h5", "r") as f:
    st = f["runs/status"][:]
    ep = f["runs/epochs_done"][:]
    wt = f["runs/wall_time"][:]
    rk = f["runs/rank"][:]
if int(ep.sum()) != w * runs * epochs:
    sys.exit("bench: the sweep %s trained %d steps, not %d x %d runs x %d epochs (statuses %s)"
             % (tag, int(ep.sum()), w, runs, epochs, sorted(set(st.tolist()))))
# a worker trains its runs in the order of their index (chunks are handed out in that order): the
# runs that start in its first 0.3 s of training are its warm-up, left out as both PyTorch scripts
# and bench_train_throughput leave theirs out (OpenBLAS's idle thread spins then, caches are cold)
keep = np.zeros(len(wt), bool)
for r in range(1, w + 1):
    i = np.flatnonzero(rk == r)
    start = np.concatenate(([0.0], np.cumsum(wt[i])[:-1]))
    keep[i[start >= 0.3]] = True
    if not keep[i].any():
        sys.exit("bench: worker %d of the sweep %s trained %.2f s in all: no run after a 0.3 s warm-up "
                 "(RUNS or EPOCHS too small)" % (r, tag, wt[i].sum()))
steps, rw = int(ep[keep].sum()), float(wt[keep].sum())
cpu = {}
for r in range(w + 1):
    wall, u, s = (float(x) for x in open("%s/cpu.%d" % (d, r)).read().split())
    cpu[r] = (wall, u + s)
# rank 0's own work from --stats: its HDF5 writes and its handling of the workers' messages
st = re.search(r"HDF5 writes ([0-9.]+) s.*handling messages ([0-9.]+) s", open(d + "/stats").read())
if not st:
    sys.exit("bench: no --stats line from the sweep %s: %s" % (tag, open(d + "/stats").read()))
print(tag, steps, rw, sum(cpu[r][1] for r in range(1, w + 1)), max(cpu[r][0] for r in range(1, w + 1)),
      cpu[0][1], cpu[0][0], float(st.group(1)) + float(st.group(2)),
      float(wt.sum()) / sum(cpu[r][1] for r in range(1, w + 1)), int(ep.sum()))
PY
  rm -f "$d/out.h5" # (N x RUNS runs, about 2.5 kB each: one sweep's file at a time on disk)
}

# torches SCRIPT COPIES TAG ARGS...: COPIES processes at once; appends "TAG mean_rate cpu/wall"
torches() {
  local script=$1 k=$2 tag=$3
  shift 3
  local pids=()
  for i in $(seq "$k"); do
    TIMED_OUT="$tmp/$tag.$i.t" "${timed[@]}" /usr/bin/python3 "$here/$script" "$@" > "$tmp/$tag.$i" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  local rates=() load=()
  for i in $(seq "$k"); do
    rates+=("$(get "$tmp/$tag.$i" steps_per_second)$(get "$tmp/$tag.$i" model_steps_per_second)")
    load+=("$(awk '{ print ($2 + $3) / $1 }' "$tmp/$tag.$i.t")")
  done
  echo "$tag $(echo "${rates[*]}" | tr ' ' '\n' | awk '{ s += $1 } END { print s / NR }') \
$(echo "${load[*]}" | tr ' ' '\n' | awk 'NR == 1 || $1 > m { m = $1 } END { print m }')" >> "$tmp/torch"
}

: > "$tmp/sweeps"
: > "$tmp/torch"
for k in $(seq "$pairs"); do
  sweep "$n" "all$k"
  torches torch_baseline.py "$n" "loopall$k" "$epochs" "$reps"
  torches torch_batched.py "$n" "bmmall$k" $((epochs * reps)) 64
  sweep 1 "one$k"
  torches torch_baseline.py 1 "loopone$k" "$epochs" "$reps"
  torches torch_batched.py 1 "bmmone$k" $((epochs * reps)) 64
  echo "# quadruple $k of $pairs done" >&2
done
blas=$("$exe" --version --verbose | grep '^BLAS' | sed 's/.*; core/core/')
core=$(/usr/bin/python3 "$here/blas_core.py" torch)
tv=$(get "$tmp/loopone1.1" torch_version)
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
phys=$(lscpu -p=CORE,SOCKET 2> /dev/null | grep -v '^#' | sort -u | wc -l || true)
if [ "${phys:-0}" -gt 0 ] && [ "$phys" -ne "$n" ]; then
  echo "# note: nproc is $n logical CPUs on $phys physical cores (SMT): two processes share a core"
fi
/usr/bin/python3 - "$tmp/sweeps" "$tmp/torch" "$n" "$runs" "$epochs" "$blas" "$core" "$tv" "$cpu" <<'PY'
import sys
import numpy as np
sweeps, torchf, n, runs, epochs, blas, core, tv, cpu = sys.argv[1:10]
n = int(n)
S = {}
for line in open(sweeps):
    t, *v = line.split()
    S[t] = [float(x) for x in v]
T = {}
for line in open(torchf):
    t, rate, load = line.split()
    T[t] = (float(rate), float(load))
pairs = len(S) // 2
med = lambda x: float(np.median(x))
ks = range(1, pairs + 1)
arr = lambda f: np.array([f(k) for k in ks])
# symsweep per-core rates: by the runs' own times (the row), by the workers' process CPU time
s_all, s_one = arr(lambda k: S["all%d" % k][0] / S["all%d" % k][1]), arr(lambda k: S["one%d" % k][0] / S["one%d" % k][1])
c_all, c_one = arr(lambda k: S["all%d" % k][8] / S["all%d" % k][2]), arr(lambda k: S["one%d" % k][8] / S["one%d" % k][2])
r0 = arr(lambda k: S["all%d" % k][4] / S["all%d" % k][5])  # rank 0's CPU over the sweep's wall
r0w = arr(lambda k: S["all%d" % k][6] / S["all%d" % k][5])  # rank 0's messages and writes, likewise
ws = arr(lambda k: S["all%d" % k][1] / (n * S["all%d" % k][3]))  # runs' time over the workers' wall
# the runs' wall time over the workers' CPU time: above 1, workers lost their core during runs
wl = np.concatenate((arr(lambda k: S["all%d" % k][7]), arr(lambda k: S["one%d" % k][7])))
print("# Whole machine: Ex3 training (8-3-8, 500 samples, Adam lr 0.005, %s epochs, float64, one thread) "
      "on %d cores (%s); %d interleaved quadruples, %s runs per worker" % (epochs, n, cpu, pairs, runs))
print("# symsweep: %s; PyTorch %s on OpenBLAS core %s" % (blas, tv, core))
print("# symsweep per core, steps/s of the runs' own times (after each worker's 0.3 s warm-up): all cores %.0f (range %.0f - %.0f), one core %.0f (%.0f - %.0f)"
      % (med(s_all), s_all.min(), s_all.max(), med(s_one), s_one.min(), s_one.max()))
print("# symsweep per core, steps/s of the workers' whole-process CPU time: all cores %.0f (%.0f - %.0f), one core %.0f (%.0f - %.0f)"
      % (med(c_all), c_all.min(), c_all.max(), med(c_one), c_one.min(), c_one.max()))
print("# rank 0 on all cores: CPU time %.1f%% of one core over the sweep (max %.1f%%; start-up and file included), "
      "of which messages and HDF5 writes (--stats) %.1f%%; the runs after the warm-up fill %.0f%% of the workers' wall time"
      % (100 * med(r0), 100 * r0.max(), 100 * med(r0w), 100 * med(ws)))
print("# the runs' wall time over the workers' whole-process CPU time, every sweep: at most %.2f (above 1: "
      "workers lost their core during runs, the machine was not quiet; the row counts it against symsweep)" % wl.max())
rows = []
for ref, key, unit in (("PyTorch loop (torch_baseline.py)", "loop", "steps/s"),
                       ("PyTorch, 64 models by bmm (torch_batched.py)", "bmm", "model-steps/s")):
    t_all, t_one = arr(lambda k: T["%sall%d" % (key, k)][0]), arr(lambda k: T["%sone%d" % (key, k)][0])
    load = max(max(T["%sall%d" % (key, k)][1], T["%sone%d" % (key, k)][1]) for k in ks)
    ra, ro = s_all / t_all, s_one / t_one
    q, qc = ra / ro, (c_all / t_all) / (c_one / t_one)
    ok = abs(med(q) - 1) <= 0.10
    print("# %s per process, %s: all cores %.0f (%.0f - %.0f), one core %.0f (%.0f - %.0f); "
          "a whole process's CPU/wall at most %.2f (above 1: more than one thread)"
          % (ref, unit, med(t_all), t_all.min(), t_all.max(), med(t_one), t_one.min(), t_one.max(), load))
    print("ratio vs %s: all cores %.1fx (%.1f - %.1f), one core %.1fx (%.1f - %.1f); all/one %.3f "
          "(range %.3f - %.3f; by process CPU time %.3f), target within 10%% of 1: %s"
          % (ref, med(ra), ra.min(), ra.max(), med(ro), ro.min(), ro.max(), med(q), q.min(), q.max(),
             med(qc), "MET" if ok else "NOT MET"))
    rows.append("row|Whole machine: Ex3 sweep on %d cores (%d workers) vs %d copies of %s, per-core ratio over the one-core ratio"
                "|%.0f steps/s a core (one core %.0f)|%.0f %s a core (one core %.0f)|%.3f|%.3f|%.3f|-|0.90 - 1.10x|symsweep %s; torch OpenBLAS core %s"
                % (n, n, n, ref, med(s_all), med(s_one), med(t_all), unit, med(t_one), med(q), q.min(), q.max(), blas, core))
print("\n".join(rows))
PY
