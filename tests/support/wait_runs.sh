# Sourced by the signal tests: wait_runs LOG N PID waits until the progress
# log of a running sweep (--progress-every) shows at least N runs, or the
# process ends; it sets fail=1 and says so when the sweep never got there.
wait_runs() {
  local k=0
  for _ in $(seq 1 600); do
    k=$(grep -o '^\[[0-9]*/' "$1" 2>/dev/null | tail -1 | tr -dc 0-9)
    [ -n "$k" ] && [ "$k" -ge "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: the sweep did not reach $2 runs (last progress: ${k:-none})"; fail=1
}
