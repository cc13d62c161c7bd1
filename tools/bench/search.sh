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
[[ -x $atrium ]] || { echo "search.sh: no atrium binary at '$atrium'" >&2; exit 2; }
build_dir=$(cd "$(dirname "$atrium")/.." && pwd)
bench=${ATRIUM_BENCH:-$build_dir/tools/bench/atrium-bench}
[[ -x $bench ]] || { echo "search.sh: no atrium-bench at '$bench'" >&2; exit 2; }

. "$(dirname "$0")/node.sh"

patients=2000 seed=1 dir= port= load_connections=32
bench_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --patients) patients=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --data-dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --load-connections) load_connections=$2; shift 2 ;;
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
node_survived "$dir/server.log" || { [[ $status -ne 0 ]] || status=1; }
exit "$status"
