#!/usr/bin/env bash
# The main job: install what is missing, build, and serve the API on SQLite with demo data, with
# the customer H5 page under /m/ (built when Node.js and npm are here; the API serves without).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh coldtrack
if command -v npm > /dev/null; then
  scripts/build-web.sh
else
  echo "demo: npm not found, so the customer H5 page is not built (the API still serves)" >&2
fi
exec ./build/coldtrack serve --demo "$@"
