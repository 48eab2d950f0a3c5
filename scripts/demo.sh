#!/usr/bin/env bash
# The main job: install what is missing, build, and serve the API on SQLite with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh coldtrack
exec ./build/coldtrack serve --demo "$@"
