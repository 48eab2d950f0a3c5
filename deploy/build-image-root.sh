#!/usr/bin/env bash
# Builds ColdTrack for the container image and lays out the image's root directory:
#
#   $ROOT/opt/coldtrack/bin/coldtrack                       the release server binary (stripped)
#   $ROOT/opt/coldtrack/web/miniprogram/dist/build/h5/      the customer H5 page (served under /m/)
#   $ROOT/opt/coldtrack/web/console/dist/                   the merchant console, when web/console exists
#   $ROOT/opt/coldtrack/share/coldtrack.example.yml         every key with its default, for reference
#   $ROOT/etc/coldtrack/coldtrack.yml                       the image's configuration (from the example)
#
# deploy/Dockerfile runs it in its build stage and copies $ROOT into the runtime stage;
# scripts/check-deploy.sh runs it against a temporary root and checks the result.
#
# Environment (all optional):
#   ROOT        the root directory to lay out (default /out/root); it must be absent or empty
#   BUILD_DIR   the CMake build directory (default <repo>/build-image)
#   SKIP_BUILD  1: do not run CMake, take the binary already built in $BUILD_DIR/coldtrack
#   PLAN_ONLY   1: configure $BUILD_DIR, print what the build would run (no compile), stop
#   WEB         build (default): run scripts/build-web.sh (and build web/console if it has a
#               package.json); copy: take the pages already built in the work tree; skip: none
#   JOBS        parallel compile jobs (default: nproc)
#   STRIP       0: keep the symbols (default 1: strip, the image is much smaller)
set -euo pipefail

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${ROOT:-/out/root}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build-image}
SKIP_BUILD=${SKIP_BUILD:-0}
PLAN_ONLY=${PLAN_ONLY:-0}
WEB=${WEB:-build}
JOBS=${JOBS:-$(nproc)}
STRIP=${STRIP:-1}

say() { echo "build-image-root: $*"; }
die() {
  echo "build-image-root: $*" >&2
  exit 1
}

case "$WEB" in build | copy | skip) ;; *) die "WEB must be build, copy or skip (got '$WEB')" ;; esac
if [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT")" ]; then
  die "$ROOT is not empty; give an empty or new directory as ROOT"
fi

# 1. The server binary: Release, no tests, only the coldtrack target.
configure() {
  local generator=()
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && command -v ninja > /dev/null; then
    generator=(-G Ninja)
  fi
  cmake -S "$SRC_DIR" -B "$BUILD_DIR" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCOLDTRACK_TESTS=OFF -DCOLDTRACK_BENCH=OFF
}
if [ "$PLAN_ONLY" = 1 ]; then
  configure
  if [ -f "$BUILD_DIR/build.ninja" ]; then
    ninja -C "$BUILD_DIR" -t commands coldtrack
  else
    make -C "$BUILD_DIR" -n coldtrack
  fi
  exit
fi
if [ "$SKIP_BUILD" = 1 ]; then
  [ -x "$BUILD_DIR/coldtrack" ] || die "SKIP_BUILD=1 but $BUILD_DIR/coldtrack does not exist"
  say "using the binary already built in $BUILD_DIR"
else
  say "building the release binary in $BUILD_DIR"
  configure
  cmake --build "$BUILD_DIR" --target coldtrack -j "$JOBS"
fi

install -d "$ROOT/opt/coldtrack/bin" "$ROOT/opt/coldtrack/share" "$ROOT/etc/coldtrack"
# Copy first, strip the copy: the build directory stays as it was.
install -m 0755 "$BUILD_DIR/coldtrack" "$ROOT/opt/coldtrack/bin/coldtrack"
if [ "$STRIP" = 1 ]; then
  strip --strip-unneeded "$ROOT/opt/coldtrack/bin/coldtrack"
fi

# 2. The web front ends.
h5_built="$SRC_DIR/web/miniprogram/dist/build/h5"
console_dir="$SRC_DIR/web/console"
if [ "$WEB" = build ]; then
  say "building the customer H5 page"
  bash "$SRC_DIR/scripts/build-web.sh"
  if [ -f "$console_dir/package.json" ]; then
    say "building the merchant console"
    # As scripts/build-web.sh: npm ci only when the lock file changed since the last install.
    (
      cd "$console_dir" || exit 1
      [ -f package-lock.json ] || {
        echo "web/console has no package-lock.json" >&2
        exit 1
      }
      stamp=node_modules/.coldtrack-lock.sha256
      want=$(sha256sum package-lock.json | cut -d' ' -f1)
      if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        npm ci --no-audit --no-fund --loglevel=error && echo "$want" > "$stamp"
      fi && npm run --silent build
    ) || die "the merchant console did not build"
  fi
fi
if [ "$WEB" != skip ]; then
  [ -f "$h5_built/index.html" ] || die "no built H5 page in $h5_built (run scripts/build-web.sh)"
  install -d "$ROOT/opt/coldtrack/web/miniprogram/dist/build"
  cp -R "$h5_built" "$ROOT/opt/coldtrack/web/miniprogram/dist/build/h5"
  if [ -f "$console_dir/package.json" ]; then
    [ -d "$console_dir/dist" ] || die "web/console has a package.json but no dist/ after its build"
    install -d "$ROOT/opt/coldtrack/web/console"
    cp -R "$console_dir/dist" "$ROOT/opt/coldtrack/web/console/dist"
  fi
fi

# 3. The configuration: the example with the image's paths. Secrets are never in it: they come
# from the environment (COLDTRACK_SECURITY_DATA_KEY, COLDTRACK_STORE_MYSQL_URL, ...).
install -m 0644 "$SRC_DIR/coldtrack.example.yml" "$ROOT/opt/coldtrack/share/coldtrack.example.yml"
# Paths: the SQLite file under the data volume; every web.*_dir (web/... in the work tree) at
# its place under /opt/coldtrack, or "" (off) when the image does not have those pages (all of
# them with WEB=skip; the merchant console when web/console has no package.json).
web_dirs="s|^\(  [a-z0-9_]*_dir: \)web/\([^ ]*\)|\1\"/opt/coldtrack/web/\2\"|"
h5_dir=/opt/coldtrack/web/miniprogram/dist/build/h5
console_path=/opt/coldtrack/web/console/dist
if [ "$WEB" = skip ]; then
  web_dirs="s|^\(  [a-z0-9_]*_dir: \)web/[^ ]*|\1\"\"|"
  h5_dir=""
  console_path=""
elif [ ! -f "$console_dir/package.json" ]; then
  web_dirs="s|^\(  console_dir: \)web/[^ ]*|\1\"\"|;$web_dirs"
  console_path=""
fi
{
  echo "# ColdTrack in the container image: coldtrack.example.yml with the image's paths."
  echo "# Mount another file here, or override any key with COLDTRACK_<SECTION>_<KEY>."
  sed -e "s|^\(    path: \)\./data/coldtrack\.db|\1/var/lib/coldtrack/data/coldtrack.db|" -e "$web_dirs" \
    "$SRC_DIR/coldtrack.example.yml"
} > "$ROOT/etc/coldtrack/coldtrack.yml"
chmod 0644 "$ROOT/etc/coldtrack/coldtrack.yml"
grep -q "path: /var/lib/coldtrack/data/coldtrack.db" "$ROOT/etc/coldtrack/coldtrack.yml" ||
  die "coldtrack.example.yml changed: store.sqlite.path was not rewritten"
grep -q "^  h5_dir: \"$h5_dir\"" "$ROOT/etc/coldtrack/coldtrack.yml" ||
  die "coldtrack.example.yml changed: web.h5_dir was not rewritten"
grep -q "^  console_dir: \"$console_path\"" "$ROOT/etc/coldtrack/coldtrack.yml" ||
  die "coldtrack.example.yml changed: web.console_dir was not rewritten"
if grep -q "^  [a-z0-9_]*_dir: web/" "$ROOT/etc/coldtrack/coldtrack.yml"; then
  die "a web.*_dir still points into the work tree"
fi

say "root laid out in $ROOT"
