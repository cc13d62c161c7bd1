#!/usr/bin/env bash
# Starts a throwaway atrium node on a free loopback port with an empty data
# dir, runs atrium-bench against it, then stops the node and deletes the dir.
# Builds nothing: build atrium and atrium-bench first (see README.md).
#
#   tools/bench/run.sh [ATRIUM_BINARY] [atrium-bench options...]
#
# ATRIUM_BINARY defaults to build/runtime/atrium. atrium-bench is looked up as
# $ATRIUM_BENCH, else next to it in the same build tree
# (<build>/tools/bench/atrium-bench). Exit status is atrium-bench's, or
# non-zero if the server did not come up or did not survive the run.
set -euo pipefail

atrium=build/runtime/atrium
if [[ $# -gt 0 && $1 != -* ]]; then
  atrium=$1
  shift
fi
. "$(dirname "$0")/node.sh"
find_bench "$atrium"

start_scratch_node "$atrium"
status=0
"$bench" "$@" --target "127.0.0.1:$port" || status=$?  # ours last: it wins
node_survived "$work/server.log" || { [[ $status -ne 0 ]] || status=1; }
exit "$status"
