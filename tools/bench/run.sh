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
[[ -x $atrium ]] || { echo "run.sh: no atrium binary at '$atrium'" >&2; exit 2; }
build_dir=$(cd "$(dirname "$atrium")/.." && pwd)
bench=${ATRIUM_BENCH:-$build_dir/tools/bench/atrium-bench}
[[ -x $bench ]] || { echo "run.sh: no atrium-bench at '$bench'" >&2; exit 2; }

# A port the kernel just handed out and released. Another process could take
# it before atrium binds; the health wait below then fails loudly.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port=$(free_port)
work=$(mktemp -d "${TMPDIR:-/tmp}/atrium-bench.XXXXXX")
server_pid=

stop_server() {
  [[ -n $server_pid ]] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    # A clean shutdown flushes the store; give it time, then insist.
    for _ in $(seq 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "run.sh: atrium ignored SIGTERM for 10 s, killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$atrium" serve --listen "127.0.0.1:$port" --data-dir "$work/data" \
  >"$work/server.log" 2>&1 &
server_pid=$!

# Wait up to 20 s for /healthz; bail out early if the server died.
healthy=
for _ in $(seq 200); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: atrium exited during start-up; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
    healthy=1
    break
  fi
  sleep 0.1
done
if [[ -z $healthy ]]; then
  echo "run.sh: atrium did not answer /healthz on 127.0.0.1:$port; its log:" >&2
  tail -n 50 "$work/server.log" >&2
  exit 1
fi

echo "run.sh: atrium pid $server_pid on 127.0.0.1:$port, data in $work/data" >&2
status=0
"$bench" "$@" --target "127.0.0.1:$port" || status=$?  # ours last: it wins

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "run.sh: atrium died during the benchmark; last lines of its log:" >&2
  tail -n 50 "$work/server.log" >&2
  [[ $status -ne 0 ]] || status=1
fi
exit "$status"
