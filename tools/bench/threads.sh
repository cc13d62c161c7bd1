#!/usr/bin/env bash
# Which of the node's threads a scenario keeps busy: runs one atrium-bench
# scenario against a throwaway node and prints each thread's share of a CPU,
# sampled from /proc over the middle of the run. A thread near 100% is the
# scenario's serial limit, whatever the machine's total use says (the
# storage writer, for creates and transactions). Builds nothing (README.md).
#
#   tools/bench/threads.sh [ATRIUM_BINARY] SCENARIO [CONNECTIONS (32)] [SECONDS (12)]
set -euo pipefail

atrium=build/runtime/atrium
if [[ $# -gt 0 && $1 != -* && -x $1 && ! -d $1 ]]; then
  atrium=$1
  shift
fi
[[ $# -ge 1 ]] || { sed -n '2,8p' "$0" >&2; exit 2; }
scenario=$1
connections=${2:-32}
seconds=${3:-12}
. "$(dirname "$0")/node.sh"
find_bench "$atrium"

start_scratch_node "$atrium"
"$bench" --target "127.0.0.1:$port" --scenarios "$scenario" --connections "$connections" \
  --duration "$seconds" --warmup 1 >"$work/bench.txt" 2>&1 &
bench_pid=$!

# "tid name ticks" of every thread (utime + stime, in clock ticks).
ticks() {
  local t
  for t in /proc/"$server_pid"/task/*; do
    # comm may hold spaces: the fields after it are counted from ")".
    awk -v tid="$(basename "$t")" -v name="$(tr ' ' '_' <"$t/comm")" \
      '{ sub(/.*\) /, ""); print tid, name, $12 + $13 }' "$t/stat" 2>/dev/null || true
  done | sort
}
window=$((seconds / 2))
sleep $((1 + seconds / 4))
ticks >"$work/before"
sleep "$window"
ticks >"$work/after"
hz=$(getconf CLK_TCK)

status=0
wait "$bench_pid" || status=$?
echo "threads of atrium busy during $scenario ($window s sampled, % of one CPU):"
join "$work/before" "$work/after" |
  awk -v hz="$hz" -v s="$window" '{ p = ($5 - $3) * 100 / hz / s; if (p >= 1) printf "%6.0f%%  %s (tid %s)\n", p, $2, $1 }' |
  sort -rn
grep -h -e '^| scenario' -e '^| :--' -e "^| $scenario " "$work/bench.txt" || cat "$work/bench.txt"
node_survived "$work/server.log" || status=1
exit "$status"
