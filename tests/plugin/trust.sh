#!/usr/bin/env bash
# What code a job file or a result file can make symsweep run (issue 29): a plug-in's path is
# taken from the job file's folder only, never from the library search path; validate and plan
# load no code without --plugins; status, summary and align never load code a result file
# names; SYMSWEEP_PLUGIN_DIRS limits the folders plug-ins may come from; a plug-in built against
# other headers (interface version 1 or 2, or a sym_config of another size) is refused; a
# plug-in whose layout declares a metric outside its dataset, or two metrics on one value, is
# refused at validate; a plug-in's random stream depends on its name, not on the probes before it.
#
# Every load is seen through a constructor: tests/plugin/draws.c appends a line to
# $SYMSWEEP_TEST_MARKER when its shared object is loaded.  Only `run` loads a plug-in in the
# checks that must also fail on a symsweep without the policy (94def6c): run it as
#   trust.sh SYMSWEEP PYTHON CC SOURCE_DIR
# with SOURCE_DIR the tree whose include/ and examples/ match SYMSWEEP.
set -u
exe=$1; py=$2; cc=$3; src=$4
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
case $src in /*) ;; *) src=$PWD/$src ;; esac
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
unset SYMSWEEP_PLUGIN_DIRS SYMSWEEP_TEST_MARKER
fail=0
marker=$tmp/marker
check() { # what command...
  local what=$1; shift
  if ! "$@" > "$tmp/out" 2>&1; then echo "FAIL: $what"; cat "$tmp/out"; fail=1; else echo "ok: $what"; fi
}
refuse() { # what pattern command...: exit 2, one line of error, the pattern in it
  local what=$1 pat=$2 rc; shift 2
  "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
  if [ $rc -ne 2 ]; then echo "FAIL: $what: exit $rc, expected 2"; cat "$tmp/out" "$tmp/err"; fail=1
  elif [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! grep -q -- "$pat" "$tmp/err"; then
    echo "FAIL: $what: expected one line with '$pat'"; cat "$tmp/err"; fail=1
  else echo "ok: $what: $(cat "$tmp/err")"; fi
}
no_load() { # what: the marker must not exist
  if [ -e "$marker" ]; then echo "FAIL: $1: a plug-in's code ran: $(cat "$marker")"; fail=1; rm -f "$marker"; fi
}
loaded() { # what: the marker must exist
  if [ ! -e "$marker" ]; then echo "FAIL: $1: the plug-in was not loaded"; fail=1; fi
  rm -f "$marker"
}
build() { # out.so name include-dirs (or -DMACRO)...
  local out=$1 name=$2; shift 2
  local inc=(); for d in "$@"; do case $d in -D*) inc+=("$d") ;; *) inc+=(-I "$d") ;; esac; done
  "$cc" -O2 -std=c11 -Wall -Wextra -fPIC -shared "${inc[@]}" -DPROBE_NAME="$name" "$here/draws.c" -o "$out" ||
    { echo "FAIL: cannot build $out"; exit 1; }
}

mkdir -p "$tmp/plug" "$tmp/lib" "$tmp/other"
"$cc" -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -I "$src/include" \
  "$src/examples/probes/layer_norms.c" -o "$tmp/plug/layer_norms.so" -lm || { echo "FAIL: layer_norms"; exit 1; }
build "$tmp/plug/draws.so" draws "$src/include"
build "$tmp/plug/draws2.so" draws2 "$src/include"
build "$tmp/lib/evil.so" evil "$src/include"
head=$'name: trust\nseeds: {count: 3, base: 5}\ndata: {kind: teacher_mlp, widths: [4, 5, 2], activation: tanh, samples: 40, noise: 0.05, seed: 7}\nmodel: {kind: mlp, widths: [4, 6, 2], activation: relu, bias: true}\ntrain: {optimizer: gd, lr: 0.02, epochs: 40}\nrecord: {loss_every: 10, weights: final}\n'
job() { # file probes...: a job with these probe lines
  local f=$1; shift
  { printf '%s' "$head"; echo "probes:"; for p in "$@"; do echo "  $p"; done; } > "$f"
}

# 1. a bare name is the job's folder's file (the README's example, run from that folder)
job "$tmp/plug/job.yaml" "layer_norms: {plugin: layer_norms.so, p: 3}" "draws: {plugin: draws.so}"
check "plugin: NAME.so from the job's folder (cd there, run job.yaml)" \
  bash -c "cd '$tmp/plug' && '$exe' run job.yaml -o bare.h5 -q"

# 2. never the library search path: a bare name that is not in the job's folder is refused,
# even when LD_LIBRARY_PATH has it (its constructor must not run), and libc is not loaded
mkdir -p "$tmp/j2"
job "$tmp/j2/job.yaml" "evil: {plugin: evil.so}"
export SYMSWEEP_TEST_MARKER=$marker
refuse "a bare name on LD_LIBRARY_PATH" "evil.so: No such file" \
  env LD_LIBRARY_PATH="$tmp/lib" bash -c "cd '$tmp/j2' && exec '$exe' run job.yaml -o x.h5 -q"
no_load "a bare name on LD_LIBRARY_PATH"
job "$tmp/j2/libc.yaml" "evil: {plugin: libc.so.6}"
refuse "plugin: libc.so.6" "libc.so.6: No such file" bash -c "cd '$tmp/j2' && exec '$exe' run libc.yaml -o x.h5 -q"

# 3. validate and plan load no code unless asked
refuse "validate without --plugins" "add --plugins" "$exe" validate "$tmp/plug/job.yaml"
no_load "validate without --plugins"
refuse "plan without --plugins" "add --plugins" "$exe" plan --no-calibrate "$tmp/plug/job.yaml"
no_load "plan without --plugins"
check "validate --plugins" "$exe" validate --plugins "$tmp/plug/job.yaml"
loaded "validate --plugins"
check "plan --plugins" "$exe" plan --plugins --no-calibrate "$tmp/plug/job.yaml"
loaded "plan --plugins"

# 4. readers of a result file never load what it names: the job stored in the file names
# draws.so by its folder's absolute path (the file is trusted no more than the job)
job "$tmp/plug/al.yaml" "canonical: {}" "draws: {plugin: draws.so}" "layer_norms: {plugin: layer_norms.so}"
printf 'sweep:\n  probes.layer_norms.p: [2, 3]\n' >> "$tmp/plug/al.yaml"
unset SYMSWEEP_TEST_MARKER
check "run a job with canonical and two plug-ins" "$exe" run "$tmp/plug/al.yaml" -o "$tmp/al.h5" -q
export SYMSWEEP_TEST_MARKER=$marker
check "status" "$exe" status "$tmp/al.h5"
check "summary" "$exe" summary "$tmp/al.h5"
check "align" "$exe" align "$tmp/al.h5" -o "$tmp/al-align.h5"
no_load "status, summary and align of a file that names plug-ins"

# 5. SYMSWEEP_PLUGIN_DIRS: only from inside the folders it lists (links resolved)
refuse "a plug-in outside SYMSWEEP_PLUGIN_DIRS" "outside the folders SYMSWEEP_PLUGIN_DIRS allows" \
  env SYMSWEEP_PLUGIN_DIRS="$tmp/other:$tmp/lib" "$exe" run "$tmp/plug/job.yaml" -o "$tmp/x.h5" -q --force
no_load "a plug-in outside SYMSWEEP_PLUGIN_DIRS"
ln -s "$tmp/lib/evil.so" "$tmp/plug/link.so"
job "$tmp/plug/link.yaml" "evil: {plugin: link.so}"
refuse "a link from an allowed folder to another" "outside the folders SYMSWEEP_PLUGIN_DIRS allows" \
  env SYMSWEEP_PLUGIN_DIRS="$tmp/plug" "$exe" run "$tmp/plug/link.yaml" -o "$tmp/x.h5" -q --force
no_load "a link from an allowed folder to another"
job "$tmp/j2/abs.yaml" "evil: {plugin: $tmp/lib/evil.so}"
refuse "an absolute path outside SYMSWEEP_PLUGIN_DIRS" "outside the folders" \
  env SYMSWEEP_PLUGIN_DIRS="$tmp/plug" "$exe" run "$tmp/j2/abs.yaml" -o "$tmp/x.h5" -q --force
refuse "SYMSWEEP_PLUGIN_DIRS set and empty" "plug-ins are turned off" \
  env SYMSWEEP_PLUGIN_DIRS= "$exe" run "$tmp/plug/job.yaml" -o "$tmp/x.h5" -q --force
no_load "SYMSWEEP_PLUGIN_DIRS set and empty"
check "a plug-in inside SYMSWEEP_PLUGIN_DIRS" \
  env SYMSWEEP_PLUGIN_DIRS="$tmp/other:$tmp/plug/" "$exe" run "$tmp/plug/job.yaml" -o "$tmp/in.h5" -q
loaded "a plug-in inside SYMSWEEP_PLUGIN_DIRS"
unset SYMSWEEP_TEST_MARKER

# 6. a plug-in built against other headers is refused before its fields are read: the header of
# interface version 1 (94def6c, kept in tests/plugin/v1), and today's header with a sym_config
# that grew (as it did under version 1, from 2,296 to 3,664 bytes)
mkdir -p "$tmp/grown/symsweep"
sed 's/^} sym_config;/    int added_later;\n} sym_config;/' "$src/include/symsweep/probe_api.h" \
  > "$tmp/grown/symsweep/probe_api.h"
grep -q added_later "$tmp/grown/symsweep/probe_api.h" || { echo "FAIL: could not grow sym_config"; fail=1; }
build "$tmp/plug/old.so" old "$here/v1" "$src/include"
build "$tmp/plug/grown.so" grown "$tmp/grown" "$src/include"
job "$tmp/plug/old.yaml" "old: {plugin: old.so}"
job "$tmp/plug/grown.yaml" "grown: {plugin: grown.so}"
refuse "a plug-in built for interface version 1" "built for probe interface version 1; .*rebuild it" \
  "$exe" run "$tmp/plug/old.yaml" -o "$tmp/x.h5" -q --force
refuse "a plug-in that saw another sym_config" "saw sym_config as .* bytes.*rebuild it" \
  "$exe" run "$tmp/plug/grown.yaml" -o "$tmp/x.h5" -q --force
# interface version 2 (to ea87719, kept in tests/plugin/v2): its layout returned a size and its
# schema placed the datasets by hand; since version 3 the host places them
build "$tmp/plug/v2.so" v2 "$here/v2" "$src/include"
job "$tmp/plug/v2.yaml" "v2: {plugin: v2.so}"
refuse "a plug-in built for interface version 2" "built for probe interface version 2; this symsweep has version 5: rebuild it" \
  "$exe" run "$tmp/plug/v2.yaml" -o "$tmp/x.h5" -q --force

# 6b. the host checks what a plug-in's layout declares, at validate already: a metric that
# views past the end of its dataset, two metrics on one value
build "$tmp/plug/stray.so" stray -DDRAWS_STRAY "$src/include"
build "$tmp/plug/twice.so" twice -DDRAWS_TWICE "$src/include"
job "$tmp/plug/stray.yaml" "stray: {plugin: stray.so}"
job "$tmp/plug/twice.yaml" "twice: {plugin: twice.so}"
refuse "a metric outside the dataset it views" "metric /runs/metrics/stray_u4 views element 4 of /probes/stray/u, outside its 4 values" \
  "$exe" validate --plugins "$tmp/plug/stray.yaml"
refuse "two metrics on one value" "datasets /runs/metrics/twice_a and /runs/metrics/twice_b both read measure value 0" \
  "$exe" validate --plugins "$tmp/plug/twice.yaml"

# 7. a plug-in's draws depend on its name only: two more probes before it (a built-in and
# another plug-in) leave them as they were; another name draws other numbers
job "$tmp/plug/one.yaml" "draws: {plugin: draws.so}"
job "$tmp/plug/more.yaml" "canonical: {}" "orbit_loss: {directions: 2, points: 3}" \
  "draws2: {plugin: draws2.so}" "draws: {plugin: draws.so}"
check "run with the plug-in alone" "$exe" run "$tmp/plug/one.yaml" -o "$tmp/one.h5" -q
check "run with two probes before it" "$exe" run "$tmp/plug/more.yaml" -o "$tmp/more.h5" -q
check "the plug-in's draws" "$py" - "$tmp/one.h5" "$tmp/more.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
u, v, w = a["/probes/draws/u"][()], b["/probes/draws/u"][()], b["/probes/draws2/u"][()]
assert u.shape == (3, 4) and np.all((u > 0) & (u < 1)), u
assert len(np.unique(u)) == u.size, "draws repeat across runs"
assert np.array_equal(u, v), "the draws changed when probes were added before the plug-in:\n%s\n%s" % (u, v)
assert not np.any(np.isin(u, w)), "two plug-ins of different names share draws"
print("draws unchanged with two probes before the plug-in; draws2 draws other numbers")
PY
cat "$tmp/out"
[ $fail -eq 0 ] && echo "plugin trust: all checks passed"
exit $fail
