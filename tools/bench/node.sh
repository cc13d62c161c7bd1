# Sourced by the bench scripts: find atrium-bench, start one atrium node,
# wait until it answers, and stop it. Sets server_pid; the caller traps EXIT
# to stop_node (start_scratch_node does it for them).

server_pid=

# find_bench ATRIUM: exits unless ATRIUM is executable; sets build_dir (its
# build tree) and bench: $ATRIUM_BENCH, else atrium-bench of that tree.
find_bench() {
  [[ -x $1 ]] || { echo "$(basename "$0"): no atrium binary at '$1'" >&2; exit 2; }
  build_dir=$(cd "$(dirname "$1")/.." && pwd)
  bench=${ATRIUM_BENCH:-$build_dir/tools/bench/atrium-bench}
  [[ -x $bench ]] || { echo "$(basename "$0"): no atrium-bench at '$bench'" >&2; exit 2; }
}

# A port the kernel just handed out and released. Another process could take
# it before atrium binds; the health wait in start_node then fails loudly.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_node ATRIUM PORT DATA_DIR LOG: starts the node in the background and
# waits up to 20 s for /healthz; exits the script if it does not come up.
start_node() {
  local atrium=$1 port=$2 data=$3 log=$4
  "$atrium" serve --listen "127.0.0.1:$port" --data-dir "$data" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 200); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$0: atrium exited during start-up; its log:" >&2
      tail -n 50 "$log" >&2
      exit 1
    fi
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
      echo "$0: atrium pid $server_pid on 127.0.0.1:$port, data in $data" >&2
      return 0
    fi
    sleep 0.1
  done
  echo "$0: atrium did not answer /healthz on 127.0.0.1:$port; its log:" >&2
  tail -n 50 "$log" >&2
  exit 1
}

# node_survived LOG: false, with the log's tail, if the node died.
node_survived() {
  kill -0 "$server_pid" 2>/dev/null && return 0
  echo "$0: atrium died during the benchmark; last lines of its log:" >&2
  tail -n 50 "$1" >&2
  return 1
}

# stop_node: SIGTERM (a clean shutdown flushes the store), SIGKILL after 10 s.
stop_node() {
  [[ -n $server_pid ]] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "$0: atrium ignored SIGTERM for 10 s, killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# start_scratch_node ATRIUM: a node on a free port with an empty data dir in
# a new folder; sets port and work (the folder: data/, server.log), and traps
# EXIT to stop the node and delete the folder.
start_scratch_node() {
  port=$(free_port)
  work=$(mktemp -d "${TMPDIR:-/tmp}/atrium-$(basename "$0" .sh).XXXXXX")
  trap 'stop_node; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
  start_node "$1" "$port" "$work/data" "$work/server.log"
}
