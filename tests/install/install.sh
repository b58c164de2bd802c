#!/usr/bin/env bash
# cmake --install into a scratch prefix: the program, the public headers, the pkg-config file,
# the CMake package, the man page, the bash completion, the Slurm scripts, the analysis package
# and the example plug-in; then the
# example is built against the installed headers only, with pkg-config (--cflags symsweep) and
# with CMake (find_package(symsweep) + symsweep_add_probe in a consumer project), and the
# installed program loads both; the man page renders with every command, the completion
# completes commands, options, files and probe names.
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

# a consumer project: find_package(symsweep) and symsweep_add_probe, nothing but the prefix
mkdir -p "$tmp/consumer"
cp "$ex" "$tmp/consumer/"
cat > "$tmp/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(symsweep 0.1 REQUIRED)
symsweep_add_probe(layer_norms layer_norms.c)
target_compile_options(layer_norms PRIVATE -Wall -Wextra -Werror)
file(WRITE ${CMAKE_BINARY_DIR}/found.txt "${symsweep_PROBE_API_VERSION} ${symsweep_EXECUTABLE}")
CMAKE
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_COMPILER="$cc" \
      > "$tmp/log" 2>&1 && cmake --build "$tmp/consumer/build" >> "$tmp/log" 2>&1 ||
  { echo "FAIL: a CMake project does not build the example with find_package(symsweep)"; cat "$tmp/log"; exit 1; }
api=$(sed -n 's/#define SYM_PROBE_API_VERSION \([0-9]*\).*/\1/p' "$tmp/prefix/include/symsweep/probe_api.h")
[ "$(cat "$tmp/consumer/build/found.txt")" = "$api $tmp/prefix/bin/symsweep" ] ||
  { echo "FAIL: the package's variables: $(cat "$tmp/consumer/build/found.txt"), want '$api $tmp/prefix/bin/symsweep'"; fail=1; }
sed -i "s|layer_norms.so|$tmp/consumer/build/layer_norms.so|" "$tmp/job.yaml"
"$tmp/prefix/bin/symsweep" run "$tmp/job.yaml" -o "$tmp/out2.h5" -q > "$tmp/log" 2>&1 &&
  "$tmp/prefix/bin/symsweep" summary "$tmp/out2.h5" | grep -q layer_norm_max ||
  { echo "FAIL: the plug-in built by CMake does not run"; cat "$tmp/log"; fail=1; }

# the man page: every command's options and the probes, rendered by man
man1="$tmp/prefix/share/man/man1/symsweep.1"
if [ -e "$man1" ]; then
  page=$(MANWIDTH=100 man -l "$man1" 2>/dev/null || cat "$man1")
  for want in "SYMSWEEP(1)" COMMANDS "--checkpoint-every" "--shard" "--resume" PROBES hessian; do
    grep -qF -- "$want" <<< "$page" || { echo "FAIL: the man page lacks '$want'"; fail=1; }
  done
elif command -v help2man > /dev/null; then
  echo "FAIL: help2man is here but no man page was installed"; fail=1
else
  echo "install: help2man not installed, no man page to check"
fi

# the Slurm scripts (executable, valid bash) and the analysis package (imports from the prefix)
for f in symsweep.sbatch symsweep-array.sbatch submit-array.sh; do
  sh="$tmp/prefix/share/symsweep/slurm/$f"
  [ -x "$sh" ] && bash -n "$sh" || { echo "FAIL: $f not installed as a valid script"; fail=1; }
done
for f in LICENSE CITATION.cff; do
  [ -s "$tmp/prefix/share/doc/symsweep/$f" ] || { echo "FAIL: $f is not installed in share/doc/symsweep"; fail=1; }
done
ana="$tmp/prefix/share/symsweep/analysis"
[ -e "$ana/pyproject.toml" ] || { echo "FAIL: the analysis package is not installed"; fail=1; }
PYTHONPATH="$ana" MPLBACKEND=Agg /usr/bin/python3 -c "import symsweep_analysis, symsweep_analysis.probes" 2> "$tmp/log" ||
  { echo "FAIL: the installed analysis package does not import"; cat "$tmp/log"; fail=1; }

# bash completion
comp="$tmp/prefix/share/bash-completion/completions/symsweep"
[ -e "$comp" ] || { echo "FAIL: the bash completion is not installed"; exit 1; }
mkdir "$tmp/c" && touch "$tmp/c/a.h5" "$tmp/c/b.yaml" "$tmp/c/d.txt"
got=$(cd "$tmp/c" && bash -c '
  source "$1"; exe=$2
  t() { COMP_WORDS=("$exe" "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _symsweep; echo "${COMPREPLY[*]}"; }
  t va; t run --chec; t run ""; t status ""; t run b.yaml -o ""; t help probes stab; t merge --f' _ "$comp" "$tmp/prefix/bin/symsweep")
want=$'validate\n--checkpoint-every\nb.yaml\na.h5\na.h5\nstabilizer\n--force'
[ "$got" = "$want" ] || { echo "FAIL: completion:"; diff <(echo "$want") <(echo "$got"); fail=1; }

[ $fail -eq 0 ] && echo "install: the installed headers build the example plug-in (pkg-config and CMake); the installed program runs both; man page and completion work"
exit $fail
