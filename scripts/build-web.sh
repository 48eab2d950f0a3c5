#!/usr/bin/env bash
# Builds the front ends that `coldtrack serve` serves: the customer H5 page (web/miniprogram,
# under /m/) and the merchant console (web/console, under /console/); with --mp also the
# mp-weixin package a shop uploads. Installs each project's npm packages from its
# package-lock.json when they changed. Needs Node.js 20 and npm.
#
# Build-time settings of the mini-program: VITE_API_BASE (API base URL; empty = the page's own
# origin, right for /m/) and COLDTRACK_MP_APPID (the mini-program's appid, mp-weixin only).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm > /dev/null; then
  echo "build-web: npm not found; install Node.js 20 and npm to build the pages" >&2
  exit 1
fi

# npm ci wipes node_modules; only run it when the lock file changed since the last install.
install_packages() {
  local stamp=node_modules/.coldtrack-lock.sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
  fi
}

(
  cd web/miniprogram
  install_packages
  npm run --silent build:h5
  if [ "${1:-}" = "--mp" ]; then npm run --silent build:mp-weixin; fi
)
if [ -f web/console/package.json ]; then
  (
    cd web/console
    install_packages
    npm run --silent build
  )
fi
