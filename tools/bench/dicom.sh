#!/usr/bin/env bash
# DICOMweb side by side: Atrium and Orthanc (Debian's orthanc and
# orthanc-dicomweb packages) on the same machine, in the same run, on the
# same generated 512x512 16-bit CT instances in series of 20. Both servers
# run in a private network namespace, so they listen on loopback only
# (Orthanc has no bind-address option), and start from empty stores.
#
#   tools/bench/dicom.sh [ATRIUM_BINARY] [atrium-bench options...]
#
# Prints each server's atrium-bench table, then the ratios Atrium/Orthanc.
# Needs root (unshare -n). Builds nothing.
set -euo pipefail

if [[ ${ATRIUM_DICOM_BENCH_INNER:-} != 1 ]]; then
  command -v Orthanc >/dev/null || { echo "dicom.sh: Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)" >&2; exit 2; }
  [[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]] || { echo "dicom.sh: orthanc-dicomweb is not installed" >&2; exit 2; }
  exec env ATRIUM_DICOM_BENCH_INNER=1 unshare -n bash "$0" "$@"
fi
ip link set lo up

atrium=build/runtime/atrium
if [[ $# -gt 0 && $1 != -* ]]; then
  atrium=$1
  shift
fi
. "$(dirname "$0")/node.sh"
find_bench "$atrium"

work=$(mktemp -d "${TMPDIR:-/tmp}/atrium-dicom-bench.XXXXXX")
orthanc_pid=
cleanup() {
  stop_node
  [[ -n $orthanc_pid ]] && kill "$orthanc_pid" 2>/dev/null && wait "$orthanc_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scenarios=dicom-stow,dicom-qido,dicom-wado,dicom-metadata
status=0

# ---- Orthanc: its defaults, DICOMweb plugin only, no DIMSE, no auth ----
orthanc_port=8042
mkdir -p "$work/orthanc/plugins"
cp /usr/share/orthanc/plugins/libOrthancDicomWeb.so "$work/orthanc/plugins/"
cat >"$work/orthanc/config.json" <<JSON
{
  "Name": "bench", "StorageDirectory": "$work/orthanc/db", "IndexDirectory": "$work/orthanc/db",
  "Plugins": ["$work/orthanc/plugins"], "HttpPort": $orthanc_port, "DicomServerEnabled": false,
  "RemoteAccessAllowed": true, "AuthenticationEnabled": false,
  "DicomWeb": {"Enable": true, "Root": "/dicom-web/"}
}
JSON
Orthanc "$work/orthanc/config.json" >"$work/orthanc.log" 2>&1 &
orthanc_pid=$!
for _ in $(seq 200); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$orthanc_port/system" 2>/dev/null && break
  sleep 0.1
done
echo "== Orthanc $(curl -fsS "http://127.0.0.1:$orthanc_port/system" | grep -o '"Version" : "[^"]*"')" >&2
"$bench" "$@" --scenarios "$scenarios" --dicom-base /dicom-web \
  --target "127.0.0.1:$orthanc_port" | tee "$work/orthanc.txt" || status=$?
kill "$orthanc_pid"; wait "$orthanc_pid" 2>/dev/null || true; orthanc_pid=

# ---- Atrium ----
port=$(free_port)
start_node "$atrium" "$port" "$work/atrium-data" "$work/atrium.log"
"$bench" "$@" --scenarios "$scenarios" --target "127.0.0.1:$port" | tee "$work/atrium.txt" || status=$?
node_survived "$work/atrium.log" || { [[ $status -ne 0 ]] || status=1; }

# ---- ratios: the req/s column of each table ----
echo
echo "| scenario | Atrium req/s | Orthanc req/s | Atrium/Orthanc | target |"
echo "| :-- | --: | --: | --: | --: |"
awk -F'|' '
  FNR == 1 { file++ }
  $2 ~ /dicom-/ { name = $2; gsub(/ /, "", name); rate[file, name] = $8 + 0 }
  END {
    split("dicom-stow dicom-qido dicom-wado dicom-metadata", order, " ")
    target["dicom-stow"] = "3x"; target["dicom-qido"] = "5x"
    target["dicom-wado"] = "1.5x"; target["dicom-metadata"] = "5x"
    for (i = 1; i <= 4; i++) {
      n = order[i]; a = rate[2, n]; o = rate[1, n]
      printf "| %s | %d | %d | %s | %s |\n", n, a, o, (o > 0 ? sprintf("%.1fx", a / o) : "n/a"), target[n]
    }
  }' "$work/orthanc.txt" "$work/atrium.txt"

# ---- the disk's own rate of durable writes of an instance's size: STOW's
# ceiling, measured in the same run and the same folder ----
disk_sync=$build_dir/tools/bench/atrium-disk-sync
if [[ -x $disk_sync ]]; then
  echo
  "$disk_sync" --dir "$work" --threads 16 --writes 200 || status=$?
fi
exit "$status"
