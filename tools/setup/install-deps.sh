#!/usr/bin/env bash
# Installs the Debian 12 packages Atrium needs to build, test and run.
# Idempotent: installs only what is missing, and touches apt only then.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libcaf-dev librocksdb-dev libsimdjson-dev libboost-dev libboost-system-dev
  catch2 curl python3 libdcmtk-dev libopenjp2-7-dev zlib1g-dev libgoogle-perftools-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
