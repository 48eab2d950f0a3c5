#!/usr/bin/env bash
# Builds the customer front end in web/miniprogram: the H5 page that `coldtrack serve` serves
# under /m/ and, with --mp, the mp-weixin package a shop uploads. Installs the npm packages
# from package-lock.json when they changed. Needs Node.js 20 and npm.
#
# Configuration (build time): VITE_API_BASE (API base URL; empty = the page's own origin, right
# for /m/), COLDTRACK_MP_APPID (the mini-program's appid, mp-weixin only).
set -euo pipefail
cd "$(dirname "$0")/../web/miniprogram"
if ! command -v npm > /dev/null; then
  echo "build-web: npm not found; install Node.js 20 and npm to build the customer pages" >&2
  exit 1
fi
# npm ci wipes node_modules; only run it when the lock file changed since the last install.
stamp=node_modules/.coldtrack-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
npm run --silent build:h5
if [ "${1:-}" = "--mp" ]; then
  npm run --silent build:mp-weixin
fi
