#!/usr/bin/env bash
# cmake --install into a scratch prefix: the program, the public headers, the pkg-config file
# and the example plug-in; then the example is built against the installed headers only
# (pkg-config --cflags symsweep) and the installed program loads it.
#   install.sh BUILD_DIR CC
set -u
build=$1; cc=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/log" 2>&1 || { echo "FAIL: cmake --install"; cat "$tmp/log"; exit 1; }
for f in bin/symsweep include/symsweep/probe_api.h include/symsweep/schema.h include/symsweep/version.h; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; fail=1; }
done
pc=$(find "$tmp/prefix" -name symsweep.pc | head -1)
ex=$(find "$tmp/prefix" -name layer_norms.c | head -1)
[ -n "$pc" ] && [ -n "$ex" ] || { echo "FAIL: symsweep.pc or the example not installed"; exit 1; }
cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags symsweep) || { echo "FAIL: pkg-config"; exit 1; }
echo "pkg-config --cflags symsweep: $cflags"
case "$cflags" in *"$tmp/prefix"*) ;; *) echo "FAIL: cflags do not point into the prefix"; fail=1 ;; esac
"$cc" -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared $cflags "$ex" -o "$tmp/layer_norms.so" -lm ||
  { echo "FAIL: the example does not build against the installed headers"; exit 1; }
cat > "$tmp/job.yaml" <<'YAML'
seeds: [1]
data: {kind: teacher_linear, input: 3, output: 2, samples: 20}
model: {kind: mlp, widths: [3, 4, 2], activation: tanh}
train: {optimizer: gd, lr: 0.05, epochs: 20}
probes:
  layer_norms: {plugin: layer_norms.so, p: 2}
YAML
"$tmp/prefix/bin/symsweep" run "$tmp/job.yaml" -o "$tmp/out.h5" -q > "$tmp/log" 2>&1 ||
  { echo "FAIL: the installed symsweep does not run the plug-in"; cat "$tmp/log"; fail=1; }
"$tmp/prefix/bin/symsweep" summary "$tmp/out.h5" | grep -q layer_norm_max ||
  { echo "FAIL: layer_norm_max not in summary"; fail=1; }
[ $fail -eq 0 ] && echo "install: the installed headers build the example plug-in; the installed program runs it"
exit $fail
