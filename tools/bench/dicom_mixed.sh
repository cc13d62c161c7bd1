#!/usr/bin/env bash
# Uploads and searches at once: dicom-stow on many connections while
# dicom-qido runs on a few, against one throwaway node. Shows whether a burst
# of STOW-RS holds up searches (it must not: STOW has a pool of its own).
# Builds nothing (see README.md).
#
#   tools/bench/dicom_mixed.sh [ATRIUM_BINARY] [STOW_CONNECTIONS (48)] [QIDO_CONNECTIONS (4)]
set -euo pipefail

atrium=${1:-build/runtime/atrium}
stow_connections=${2:-48}
qido_connections=${3:-4}
. "$(dirname "$0")/node.sh"
find_bench "$atrium"

start_scratch_node "$atrium"
target=127.0.0.1:$port
# The QIDO run stores its own 200 instances first; the uploads start before
# it and outlast it.
"$bench" --target "$target" --scenarios dicom-stow --connections "$stow_connections" \
  --duration 12 --warmup 1 >"$work/stow.txt" 2>&1 &
stow_pid=$!
sleep 2
"$bench" --target "$target" --scenarios dicom-qido --connections "$qido_connections" \
  --duration 6 --warmup 0 >"$work/qido.txt" 2>&1 || true
status=0
wait "$stow_pid" || status=$?
grep -h -e '^| scenario' -e '^| :--' "$work/stow.txt" | head -2
grep -h '^| dicom' "$work/stow.txt" "$work/qido.txt"
node_survived "$work/server.log" || status=1
exit "$status"
