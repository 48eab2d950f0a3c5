#!/usr/bin/env bash
# Installs the Debian 12 packages ColdTrack builds with, only when some are missing.
# --test: also what the tests need beyond the build (a browser and CJK fonts for the pages'
# end-to-end tests and their screenshots).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libcurl4-openssl-dev zlib1g-dev ca-certificates curl
  libhiredis-dev redis-server
  librabbitmq-dev rabbitmq-server
  libmariadb-dev mariadb-server
  libjemalloc-dev
)
if [ "${1:-}" = "--test" ]; then
  PACKAGES+=(chromium fonts-wqy-microhei)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
