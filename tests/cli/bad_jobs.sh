#!/usr/bin/env bash
# Every malformed job in DIR must make `symsweep run` and `symsweep validate`
# exit with status 2, print exactly the message on the file's first line
# ("# expect: MESSAGE", {file} = the job's path, {dir} = its directory), and
# leave no output file behind.
set -u
exe=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for job in "$dir"/*.yaml; do
  n=$((n + 1))
  want=$(head -1 "$job" | sed -n 's/^# expect: //p')
  want=${want//\{file\}/$job}
  want=${want//\{dir\}/$dir}
  want="symsweep: error: $want"
  for cmd in run validate; do
    out="$tmp/out.h5"
    if [ $cmd = run ]; then
      "$exe" run "$job" -o "$out" >"$tmp/stdout" 2>"$tmp/stderr"
    else
      "$exe" validate "$job" >"$tmp/stdout" 2>"$tmp/stderr"
    fi
    rc=$?
    got=$(head -1 "$tmp/stderr")
    if [ $rc -ne 2 ]; then
      echo "FAIL $(basename "$job") ($cmd): exit status $rc, want 2"; fail=1
    fi
    if [ "$got" != "$want" ]; then
      printf 'FAIL %s (%s):\n  got:  %s\n  want: %s\n' "$(basename "$job")" $cmd "$got" "$want"; fail=1
    fi
    if [ -e "$out" ]; then
      echo "FAIL $(basename "$job") ($cmd): left an output file behind"; fail=1
      rm -f "$out"
    fi
  done
done
if [ $n -lt 30 ]; then
  echo "FAIL: only $n cases (the table must hold at least 30)"; fail=1
fi
[ $fail -eq 0 ] && echo "all $n malformed jobs rejected with their exact message, status 2, no output"
exit $fail
