#!/usr/bin/env bash
# The search benchmark: starts an atrium node, loads the synthetic dataset
# (tools/bench/dataset.hpp) unless its data dir already holds it, runs the
# healthz baseline and the seven search scenarios at 1 and 16 connections,
# and stops the node. Builds nothing (see README.md).
#
#   tools/bench/search.sh [ATRIUM_BINARY] [options] [atrium-bench options...]
#
#   --patients N          dataset size, 18 resources per patient (default 2000;
#                         55600 gives 1,000,800 resources)
#   --seed S              dataset seed (default 1)
#   --data-dir DIR        keep the node's data in DIR/data and reuse it: the
#                         load is skipped when DIR/loaded names the same
#                         patients and seed. Without it a temp dir is used,
#                         then deleted.
#   --port P              listen port (default: a free one)
#   --load-connections N  connections for the load (default 32)
#   --during-reindex      then: change the custom SearchParameter
#                         SearchParameter/bench-reindex (an Observation token,
#                         its expression alternating between two paths from
#                         run to run), start $reindex, run the searches again
#                         while the job re-indexes every Observation, and
#                         print the job's duration and rate
#
# Other options go to the search run of atrium-bench, after the defaults
# --scenarios healthz,search --connections 1,16 (so they override them).
# ATRIUM_BINARY and atrium-bench are found as in run.sh. Exit status is
# atrium-bench's, or non-zero if the node did not come up or died.
set -euo pipefail

atrium=build/runtime/atrium
if [[ $# -gt 0 && $1 != -* ]]; then
  atrium=$1
  shift
fi
. "$(dirname "$0")/node.sh"
find_bench "$atrium"

patients=2000 seed=1 dir= port= load_connections=32 during_reindex=
bench_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --patients) patients=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --data-dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --load-connections) load_connections=$2; shift 2 ;;
    --during-reindex) during_reindex=1; shift ;;
    *) bench_args+=("$1"); shift ;;
  esac
done

keep=
if [[ -n $dir ]]; then
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  keep=1
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/atrium-search.XXXXXX")
fi
port=${port:-$(free_port)}
cleanup() {
  stop_node
  [[ -n $keep ]] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_node "$atrium" "$port" "$dir/data" "$dir/server.log"
target=(--target "127.0.0.1:$port" --patients "$patients" --seed "$seed")
marker="patients=$patients seed=$seed"
if [[ -f $dir/loaded && $(cat "$dir/loaded") == "$marker" ]]; then
  echo "search.sh: $dir already holds the dataset ($marker), not loading" >&2
else
  rm -f "$dir/loaded"
  "$bench" --scenarios load --connections "$load_connections" "${target[@]}"
  echo "$marker" >"$dir/loaded"
fi

status=0
"$bench" --scenarios healthz,search --connections 1,16 "${bench_args[@]}" "${target[@]}" \
  || status=$?

if [[ -n $during_reindex ]]; then
  base="http://127.0.0.1:$port/default/fhir"
  # The expression alternates, so every run's job has every Observation to do.
  current=$(curl -fsS "$base/SearchParameter/bench-reindex" 2>/dev/null || true)
  path=Observation.valueQuantity.unit
  [[ $current == *"$path"* ]] && path=Observation.valueQuantity.code
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/fhir+json' \
    "$base/SearchParameter/bench-reindex" --data-binary @- <<JSON
{"resourceType":"SearchParameter","id":"bench-reindex","url":"http://example.org/sp/bench-reindex",
 "name":"bench-reindex","status":"active","code":"bench-unit","base":["Observation"],
 "type":"token","expression":"$path"}
JSON
  started=$(date +%s.%N)
  location=$(curl -fsS -D - -o /dev/null -X POST "$base/\$reindex" |
             tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ocation: //p')
  echo "search.sh: reindex job at $location (expression $path)" >&2
  "$bench" --scenarios search --connections 1,16 "${bench_args[@]}" "${target[@]}" \
    || status=$?
  while job=$(curl -fsS "$location") && [[ $job == *'"Running"'* ]]; do sleep 1; done
  ended=$(date +%s.%N)
  count=$(sed -n 's/.*"resourcesSuccessfullyReindexed","valueDecimal":\([0-9]*\).*/\1/p' <<<"$job")
  python3 - "$started" "$ended" "${count:-0}" "$job" <<'PY'
import sys
started, ended, count, job = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
state = "Completed" if '"Completed"' in job else "not completed: " + job[:300]
secs = ended - started
print(f"- reindex: {count} resources in {secs:.1f} s ({count / secs:.0f}/s, "
      f"polled every 1 s), {state}; the searches above ran while it did")
PY
fi
node_survived "$dir/server.log" || { [[ $status -ne 0 ]] || status=1; }
exit "$status"
