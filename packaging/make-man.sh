#!/usr/bin/env bash
# The man page symsweep.1, made by help2man from the program's own texts: `symsweep --help`
# and `--version`, then a COMMANDS section with every command's --help and a PROBES section
# with `symsweep help probes`, so that the page and the program never disagree.
#   make-man.sh SYMSWEEP HELP2MAN OUT
set -euo pipefail
exe=$1 help2man=$2 out=$3
inc=$(mktemp); trap 'rm -f "$inc"' EXIT
verbatim() { # roff: no fill, backslashes escaped, no line read as a request
  echo ".nf"
  sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
  echo ".fi"
}
{
  echo "[COMMANDS]"
  for c in run validate plan merge status summary align; do
    echo ".SS $c"
    "$exe" "$c" --help | verbatim
  done
  echo "[PROBES]"
  "$exe" help probes | verbatim
  echo "[SEE ALSO]"
  echo "docs/ in the source, listed by README.md (job files, probes, HDF5 layout, Slurm use, building);"
  echo "the installed example plug-in under share/doc/symsweep/examples."
} > "$inc"
"$help2man" --no-info --no-discard-stderr --section 1 \
  --name "sweeps of neural-network symmetry experiments over MPI, into HDF5" \
  --include "$inc" --output "$out" "$exe"
