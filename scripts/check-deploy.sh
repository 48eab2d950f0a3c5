#!/usr/bin/env bash
# Checks everything under deploy/ without Docker or a Kubernetes cluster: the image's root
# directory (built by deploy/build-image-root.sh, as the Dockerfile does), the Dockerfile, the
# Kubernetes manifests and overlays, the Prometheus configuration, rules and rule tests, the
# Grafana dashboard, the systemd units, and a live Prometheus scraping a real `coldtrack serve
# --demo`. Prints one PASS/FAIL line per check and exits non-zero on any failure.
#
# Installs what is missing (apt: yamllint, prometheus; npm ci in deploy/tools). Runs as root
# non-interactively (CI=true). Uses the server binary already built in build/ (BUILD_DIR=...
# to use another build directory) and never compiles C++ itself.
#
# Environment: BUILD_DIR (default build), CHECK_DEPLOY_WEB=build|copy (default: copy the
# customer H5 page and the merchant console when they are already built, else build them),
# VERBOSE=1 (print every log).
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
BUILD_DIR=${BUILD_DIR:-$REPO/build}
DEPLOY=$REPO/deploy
TOOLS=$DEPLOY/tools
VERBOSE=${VERBOSE:-0}
export DEBIAN_FRONTEND=noninteractive

TMP=$(mktemp -d /tmp/coldtrack-check-deploy.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2> /dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILED=0
PASSED=0
N=0
# check NAME COMMAND...: runs COMMAND with its output in a log; PASS with the log's last line,
# or FAIL with the log's tail.
check() {
  local name=$1
  shift
  N=$((N + 1))
  local log="$TMP/check-$N.log"
  local start=$SECONDS
  if "$@" > "$log" 2>&1; then
    PASSED=$((PASSED + 1))
    local last
    last=$(grep -v '^\s*$' "$log" | tail -n 1 | cut -c1-150)
    printf 'PASS  %-62s %3ss  %s\n' "$name" "$((SECONDS - start))" "$last"
    [ "$VERBOSE" = 1 ] && sed 's/^/      /' "$log"
  else
    FAILED=$((FAILED + 1))
    printf 'FAIL  %-62s %3ss\n' "$name" "$((SECONDS - start))"
    if [ "$VERBOSE" = 1 ]; then sed 's/^/      /' "$log"; else tail -n 40 "$log" | sed 's/^/      /'; fi
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---------------------------------------------------------------- tools
setup_tools() {
  local want=() p
  command -v yamllint > /dev/null || want+=(yamllint)
  command -v promtool > /dev/null && command -v prometheus > /dev/null || want+=(prometheus)
  command -v node > /dev/null && command -v npm > /dev/null || want+=(nodejs npm)
  command -v curl > /dev/null || want+=(curl)
  command -v readelf > /dev/null && command -v strip > /dev/null || want+=(binutils)
  command -v systemd-analyze > /dev/null || want+=(systemd)
  if [ ${#want[@]} -gt 0 ]; then
    echo "installing: ${want[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || return 1
    apt-get install -y -qq --no-install-recommends "${want[@]}" || return 1
  fi
  # deploy/tools: npm ci only when the lock file changed since the last install.
  local stamp=$TOOLS/node_modules/.coldtrack-lock.sha256 sum
  sum=$(sha256sum "$TOOLS/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    echo "$sum" > "$stamp"
  fi
  for p in yamllint promtool prometheus node readelf systemd-analyze; do
    command -v "$p" > /dev/null || {
      echo "missing: $p"
      return 1
    }
  done
  echo "yamllint $(yamllint --version | cut -d' ' -f2), $(promtool --version 2> /dev/null | head -1 | cut -d' ' -f1-3), node $(node --version)"
}

# ---------------------------------------------------------------- image root
ROOT=$TMP/root
BIN=$ROOT/opt/coldtrack/bin/coldtrack

stage_binary() {
  # Copy the binary once (the build directory may be rebuilt while the checks run).
  local i
  for i in $(seq 1 60); do
    [ -x "$BUILD_DIR/coldtrack" ] && break
    [ "$i" = 1 ] && echo "waiting for $BUILD_DIR/coldtrack ..."
    sleep 2
  done
  [ -x "$BUILD_DIR/coldtrack" ] || {
    echo "no server binary at $BUILD_DIR/coldtrack: build it first (scripts/build.sh coldtrack)"
    return 1
  }
  mkdir -p "$TMP/build"
  # A copy taken while the linker writes the file does not run: take it again.
  for i in 1 2 3 4 5; do
    cp "$BUILD_DIR/coldtrack" "$TMP/build/coldtrack" && "$TMP/build/coldtrack" --help > /dev/null 2>&1 && return 0
    sleep 5
  done
  echo "$BUILD_DIR/coldtrack does not run"
  return 1
}

build_root() {
  local web=${CHECK_DEPLOY_WEB:-}
  if [ -z "$web" ]; then
    web=build
    if [ -f web/miniprogram/dist/build/h5/index.html ] &&
      { [ ! -f web/console/package.json ] || [ -d web/console/dist ]; }; then
      web=copy
    fi
  fi
  stage_binary || return 1
  ROOT=$ROOT BUILD_DIR=$TMP/build SKIP_BUILD=1 WEB=$web bash "$DEPLOY/build-image-root.sh" || return 1
  local f
  for f in opt/coldtrack/bin/coldtrack etc/coldtrack/coldtrack.yml \
    opt/coldtrack/web/miniprogram/dist/build/h5/index.html opt/coldtrack/share/coldtrack.example.yml; do
    [ -e "$ROOT/$f" ] || {
      echo "missing in the root: /$f"
      return 1
    }
  done
  if [ -f web/console/package.json ] && [ ! -f "$ROOT/opt/coldtrack/web/console/dist/index.html" ]; then
    echo "web/console exists (package.json) but its build is not in the root (/opt/coldtrack/web/console/dist)"
    return 1
  fi
  echo "root laid out (WEB=$web): $(cd "$ROOT" && find . -type f | wc -l) files, binary $(du -h "$BIN" | cut -f1)"
}

release_build_plan() {
  # The script's own CMake configuration (Release, tests and benchmarks off) and the plan for
  # the coldtrack target, without compiling anything.
  command -v cmake > /dev/null || {
    echo "cmake missing: run scripts/install-deps.sh"
    return 1
  }
  local b=$TMP/cmake-release out
  out=$(PLAN_ONLY=1 BUILD_DIR="$b" ROOT="$TMP/plan-root" bash "$DEPLOY/build-image-root.sh" 2>&1) || {
    echo "$out" | tail -20
    return 1
  }
  if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$b/CMakeCache.txt" ||
    ! grep -q '^COLDTRACK_TESTS:BOOL=OFF$' "$b/CMakeCache.txt"; then
    echo "not a Release build with tests off"
    return 1
  fi
  if ! grep -Eq -- '-o coldtrack( |$)' <<< "$out" || grep -q -- '-o unit_tests' <<< "$out"; then
    echo "the plan does not link coldtrack alone:"
    echo "$out" | tail -5
    return 1
  fi
  echo "CMake configures Release, tests off; target coldtrack: $(grep -c -- ' -c ' <<< "$out") compiles, 1 link, nothing else"
}

root_binary_runs() {
  local out
  out=$("$BIN" --help) || return 1
  head -3 <<< "$out"
  "$BIN" serve --help > /dev/null || return 1
  echo "coldtrack --help and serve --help run from the root"
}

root_libraries_resolved() {
  local out missing
  out=$(ldd "$BIN") || return 1
  missing=$(grep 'not found' <<< "$out")
  if [ -n "$missing" ]; then
    echo "unresolved: $missing"
    return 1
  fi
  echo "$(grep -c '=>' <<< "$out") shared libraries, all resolved"
}

root_config_loads() {
  # The image's configuration, run for real: a fresh SQLite store, migrations, an archive pass.
  local d=$TMP/root-config
  mkdir -p "$d" || return 1
  (cd "$d" && COLDTRACK_STORE_SQLITE_PATH=$d/coldtrack.db \
    COLDTRACK_SECURITY_DATA_KEY=0000000000000000000000000000000000000000000000000000000000000000 \
    timeout 60 "$BIN" --config "$ROOT/etc/coldtrack/coldtrack.yml" archive) || return 1
  echo "the image's configuration loads; archive ran on a fresh store"
}

# web_dirs_of FILE: "key<TAB>value" for each web.*_dir of a ColdTrack configuration file.
web_dirs_of() {
  awk '/^[^ #]/ { web = ($0 ~ /^web:/) }
    web && /^  [a-z0-9_]+_dir:/ {
      k = $1; sub(/:$/, "", k)
      v = $0; sub(/^  [a-z0-9_]+_dir:[ ]*/, "", v); sub(/[ ]+#.*$/, "", v); sub(/[ ]+$/, "", v)
      gsub(/^"|"$/, "", v)
      print k "\t" v
    }' "$1"
}

web_config_dirs() {
  # Every web.*_dir of coldtrack.example.yml (h5_dir, console_dir, ...) in the deployed
  # configurations: the image's (also the systemd unit's) points at pages laid out in the root,
  # and the Kubernetes ConfigMap sets each key to the same absolute path (unset, the default
  # relative path would be looked up under the working directory /var/lib/coldtrack).
  local k8s=${1:-$DEPLOY/k8s/base/coldtrack.yml} image=$ROOT/etc/coldtrack/coldtrack.yml
  local keys key img kv bad=0 n=0
  keys=$(web_dirs_of coldtrack.example.yml | cut -f1)
  [ -n "$keys" ] || {
    echo "coldtrack.example.yml has no web.*_dir"
    return 1
  }
  for key in $keys; do
    n=$((n + 1))
    if ! web_dirs_of "$image" | cut -f1 | grep -qx "$key"; then
      echo "the image's coldtrack.yml does not set web.$key"
      bad=1
      continue
    fi
    img=$(web_dirs_of "$image" | awk -F'\t' -v k="$key" '$1 == k { print $2 }')
    if [ -n "$img" ]; then
      case "$img" in
        /opt/coldtrack/web/*) ;;
        *)
          echo "the image's web.$key is $img, not under /opt/coldtrack/web"
          bad=1
          ;;
      esac
      [ -f "$ROOT$img/index.html" ] || {
        echo "the image's web.$key is $img, which has no index.html in the root"
        bad=1
      }
    fi
    if ! web_dirs_of "$k8s" | cut -f1 | grep -qx "$key"; then
      echo "$k8s does not set web.$key (the default, a relative path, finds nothing in the pod): set it to ${img:-/opt/coldtrack/web/...}"
      bad=1
      continue
    fi
    kv=$(web_dirs_of "$k8s" | awk -F'\t' -v k="$key" '$1 == k { print $2 }')
    if [ -n "$img" ] && [ "$kv" != "$img" ]; then
      echo "$k8s: web.$key is '$kv', the image has these pages at $img"
      bad=1
    elif [ -n "$kv" ] && [[ "$kv" != /opt/coldtrack/web/* ]]; then
      echo "$k8s: web.$key is '$kv', not a path under /opt/coldtrack/web"
      bad=1
    else
      echo "web.$key: image ${img:-\"\" (not in this root)}, ConfigMap ${kv:-\"\"}"
    fi
  done
  if [ -f web/console/package.json ] &&
    [ "$(web_dirs_of "$image" | awk -F'\t' '$1 == "console_dir" { print $2 }')" != /opt/coldtrack/web/console/dist ]; then
    echo "web/console exists, but the image's web.console_dir is not /opt/coldtrack/web/console/dist"
    bad=1
  fi
  [ "$bad" = 0 ] || return 1
  echo "$n web directories: the image's (and systemd's) configuration serves the pages in the root; the ConfigMap the same paths"
}

dockerfile_packages() {
  # $1: build or runtime
  node "$TOOLS/check-dockerfile.mjs" packages "$1" "$DEPLOY/Dockerfile"
}

runtime_packages_cover_libraries() {
  local pkgs lib path pkg bad=0
  pkgs=$(dockerfile_packages runtime) || return 1
  [ -n "$pkgs" ] || return 1
  while read -r lib; do
    path=$(ldd "$BIN" | awk -v l="$lib" '$1 == l { print $3 }')
    [ -n "$path" ] || path=$(ldd "$BIN" | awk -v l="$lib" '$1 ~ l { print $1 }')
    pkg=$(dpkg -S "$(readlink -f "$path")" 2> /dev/null | head -1 | cut -d: -f1)
    [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2> /dev/null | head -1 | cut -d: -f1)
    if [ -z "$pkg" ]; then
      echo "$lib ($path): no Debian package owns it"
      bad=1
    elif ! grep -qx "$pkg" <<< "$pkgs"; then
      echo "$lib comes from $pkg, which the runtime stage does not install"
      bad=1
    else
      echo "$lib <- $pkg"
    fi
  done < <(readelf -d "$BIN" | awk '/NEEDED/ { gsub(/[][]/, "", $5); print $5 }')
  [ "$bad" = 0 ] || return 1
  echo "every library the binary links comes from a runtime package of the Dockerfile"
}

dockerfile_packages_exist() {
  local p bad=0 n=0 stage pkgs found
  for stage in build runtime; do
    pkgs=$(dockerfile_packages "$stage") || return 1
    # One apt-cache call per stage; a name it does not know is missing from its output.
    # shellcheck disable=SC2086
    found=$(apt-cache show --no-all-versions $pkgs 2> /dev/null | sed -n 's/^Package: //p')
    for p in $pkgs; do
      n=$((n + 1))
      grep -qx -- "$p" <<< "$found" || {
        echo "$stage stage: apt-cache show $p: no such package in Debian 12 (run apt-get update?)"
        bad=1
      }
    done
  done
  # The build stage keeps up with scripts/install-deps.sh (servers and test tools aside).
  local build deps not_needed="redis-server rabbitmq-server mariadb-server libgtest-dev libgmock-dev sqlite3 ccache curl"
  build=$(dockerfile_packages build)
  deps=$(sed -n '/^PACKAGES=(/,/^)/p' scripts/install-deps.sh | sed '1d;$d' | tr ' ' '\n' | grep -v '^$')
  for p in $deps; do
    grep -qx "$p" <<< "$build" && continue
    grep -qw -- "$p" <<< "$not_needed" && continue
    echo "scripts/install-deps.sh installs $p; the Dockerfile's build stage does not"
    bad=1
  done
  [ "$bad" = 0 ] || return 1
  echo "$n Dockerfile packages exist in Debian 12; build stage covers scripts/install-deps.sh"
}

# ---------------------------------------------------------------- static checks
dockerfile_lint() { node "$TOOLS/check-dockerfile.mjs" "$DEPLOY/Dockerfile"; }

yaml_lint() {
  yamllint --strict -c "$DEPLOY/.yamllint" "$DEPLOY" || return 1
  echo "$(yamllint --list-files -c "$DEPLOY/.yamllint" "$DEPLOY" | wc -l) YAML files clean"
}

config_keys() { [ -s "$TMP/config-keys.txt" ] || "$BIN" config-keys > "$TMP/config-keys.txt"; }

k8s_validate() {
  config_keys || return 1
  node "$TOOLS/validate-k8s.mjs" --dir "$DEPLOY/k8s" --config-keys "$TMP/config-keys.txt" --binary "$BIN"
}

k8s_config_loads() {
  # deploy/k8s/base/coldtrack.yml through the real configuration loader, with the Secret's
  # variables set the way the pods get them: it must fail only on connecting to MariaDB
  # (port 1 here), never on a configuration error.
  local out rc d=$TMP/k8s-config
  mkdir -p "$d" || return 1
  out=$(cd "$d" && env COLDTRACK_SECURITY_DATA_KEY=0000000000000000000000000000000000000000000000000000000000000000 \
    COLDTRACK_STORE_MYSQL_URL=mysql://coldtrack:placeholder@127.0.0.1:1/coldtrack \
    COLDTRACK_STORE_MYSQL_CONNECT_TIMEOUT_MS=500 \
    COLDTRACK_CACHE_REDIS_URL=redis://:placeholder@127.0.0.1:1/0 \
    COLDTRACK_QUEUE_RABBITMQ_URL=amqp://coldtrack:placeholder@127.0.0.1:1/coldtrack \
    timeout 30 "$BIN" --config "$DEPLOY/k8s/base/coldtrack.yml" archive 2>&1)
  rc=$?
  echo "$out" | tail -n 3
  if grep -q 'configuration error' <<< "$out" || [ "$rc" = 0 ] || [ "$rc" = 124 ]; then
    echo "expected a MariaDB connection failure, got exit $rc"
    return 1
  fi
  grep -q 'MariaDB' <<< "$out" || return 1
  echo "configuration accepted by coldtrack (stopped at the MariaDB connection, as expected offline)"
}

validators_self_test() {
  # The validators must reject planted mistakes, or their PASS means nothing.
  local t=$TMP/selftest out
  config_keys || return 1
  expect_fail() { # expect_fail DESCRIPTION PATTERN COMMAND...
    local what=$1 pattern=$2
    shift 2
    if out=$("$@" 2>&1); then
      echo "not caught: $what"
      return 1
    fi
    grep -q -- "$pattern" <<< "$out" || {
      echo "caught $what, but without '$pattern':"
      echo "$out" | tail -5
      return 1
    }
    echo "caught: $what"
  }
  plant_k8s() { # plant_k8s FILE SED: a fresh copy of deploy/k8s with one edit
    rm -rf "$t/k8s" && mkdir -p "$t" && cp -r "$DEPLOY/k8s" "$t/k8s" && sed -i "$2" "$t/k8s/$1"
    cmp -s "$DEPLOY/k8s/$1" "$t/k8s/$1" && {
      echo "the edit '$2' changed nothing in $1"
      return 1
    }
    return 0
  }
  local v=(node "$TOOLS/validate-k8s.mjs" --dir "$t/k8s" --config-keys "$TMP/config-keys.txt" --no-render)
  local vr=(node "$TOOLS/validate-k8s.mjs" --dir "$t/k8s" --config-keys "$TMP/config-keys.txt" --binary "$BIN")
  plant_k8s base/deployment.yaml 's/^  replicas: 2$/  replica: 2/' &&
    expect_fail "unknown field replica: 2" "'\"replica\"' does not exist" "${v[@]}" || return 1
  plant_k8s base/deployment.yaml 's/^  replicas: 2$/  replicas: "2"/' &&
    expect_fail 'a string where an integer goes (replicas: "2")' "replicas must be integer" "${v[@]}" || return 1
  plant_k8s overlays/production/hpa.yaml 's/averageUtilization: 70/averageUtilisation: 70/' &&
    expect_fail "misspelt averageUtilization" "averageUtilisation" "${v[@]}" || return 1
  plant_k8s secret.example.yaml 's/COLDTRACK_WECHAT_SECRET:/COLDTRACK_WECHAT_SECRETS:/' &&
    expect_fail "a Secret key that names no configuration key" "names no configuration key" "${v[@]}" || return 1
  plant_k8s base/deployment.yaml 's/enableServiceLinks: false/enableServiceLinks: true/' &&
    expect_fail "service links left on" "enableServiceLinks must be false" "${vr[@]}" || return 1
  plant_k8s overlays/production/cronjob-archive.yaml 's/args: \["archive"\]/args: ["archive", "--dry-run"]/' &&
    expect_fail "a CronJob option coldtrack does not have" "has no option --dry-run" "${vr[@]}" || return 1
  plant_k8s base/coldtrack.yml '/^  console_dir:/d' &&
    expect_fail "a ConfigMap without web.console_dir" "does not set web.console_dir" web_config_dirs "$t/k8s/base/coldtrack.yml" || return 1
  plant_k8s base/coldtrack.yml 's|^  console_dir: .*|  console_dir: web/console/dist|' &&
    expect_fail "a ConfigMap with a relative web.console_dir" "web.console_dir is 'web/console/dist'" web_config_dirs "$t/k8s/base/coldtrack.yml" || return 1
  plant_k8s base/deployment.yaml 's/^              memory: 1Gi$/              memory: 2Gi/' &&
    expect_fail "a memory limit the process alerts do not use" "does not use the container limit" \
      node "$TOOLS/promql.mjs" limits "$DEPLOY/prometheus/rules/coldtrack.rules.yml" "$t/k8s/base/deployment.yaml" || return 1
  sed 's/^USER 10001:10001$/USER root/' "$DEPLOY/Dockerfile" > "$t/Dockerfile"
  expect_fail "a Dockerfile running as root" "non-root" node "$TOOLS/check-dockerfile.mjs" "$t/Dockerfile" || return 1
  sed 's/--interval=30s/--interval=30/' "$DEPLOY/Dockerfile" > "$t/Dockerfile"
  expect_fail "a Dockerfile lint error (duration without unit)" "missing unit" node "$TOOLS/check-dockerfile.mjs" "$t/Dockerfile" || return 1
  sed 's/histogram_quantile(0.99, sum by (le) (rate(/histogram_quantile(0.99, sum by (le) (rate(rate(/' \
    "$DEPLOY/grafana/coldtrack-dashboard.json" > "$t/dashboard.json"
  node "$TOOLS/promql.mjs" dashboard-rules "$t/dashboard.json" "$t/dashboard.rules.yml" > /dev/null || return 1
  expect_fail "a dashboard query that does not parse" "" promtool check rules "$t/dashboard.rules.yml" || return 1
  echo "all planted errors caught"
}

prometheus_config() {
  node "$TOOLS/promql.mjs" promtool-config "$DEPLOY/prometheus/prometheus.yml" \
    "$TMP/prometheus-check.yml" "$TMP/k8s-targets.json" || return 1
  promtool check config "$TMP/prometheus-check.yml" || return 1
  echo "prometheus.yml valid (kubernetes_sd checked apart: Debian's Prometheus is built without it)"
}

prometheus_rules() {
  local rules=$DEPLOY/prometheus/rules/coldtrack.rules.yml name bad=0
  promtool check rules "$rules" || return 1
  # The docs name only alerts that exist.
  while read -r name; do
    grep -q "alert: $name\$" "$rules" || {
      echo "the docs name $name, which is not an alert in $rules"
      bad=1
    }
  done < <(grep -oh 'ColdTrack[A-Z][A-Za-z0-9]*' "$DEPLOY/README.md" "$DEPLOY/k8s/RELEASING.md" | sort -u)
  [ "$bad" = 0 ] || return 1
  # The process alerts' constants are the Deployment's container limits.
  node "$TOOLS/promql.mjs" limits "$rules" "$DEPLOY/k8s/base/deployment.yaml" || return 1
  echo "coldtrack.rules.yml: $(grep -c '^      - alert:' "$DEPLOY/prometheus/rules/coldtrack.rules.yml") alerts valid"
}

prometheus_rule_tests() {
  (cd "$DEPLOY/prometheus/rules" && promtool test rules coldtrack.rules.test.yml) || return 1
  # Every alert has a test in which it fires.
  node "$TOOLS/promql.mjs" test-coverage "$DEPLOY/prometheus/rules/coldtrack.rules.yml" \
    "$DEPLOY/prometheus/rules/coldtrack.rules.test.yml"
}

grafana_dashboard() {
  node "$TOOLS/promql.mjs" dashboard-rules "$DEPLOY/grafana/coldtrack-dashboard.json" "$TMP/dashboard.rules.yml" || return 1
  promtool check rules "$TMP/dashboard.rules.yml" || return 1
  echo "dashboard JSON valid; its $(grep -c 'record:' "$TMP/dashboard.rules.yml") PromQL queries parse"
}

systemd_unit() {
  # verify needs the binary at ExecStart=: point the units at the laid-out root.
  local d=$TMP/systemd f units=(coldtrack.service coldtrack-backup.service coldtrack-backup.timer)
  mkdir -p "$d" || return 1
  for f in "${units[@]}"; do
    sed "s|/opt/coldtrack/bin/coldtrack|$BIN|g" "$DEPLOY/systemd/$f" > "$d/$f" || return 1
  done
  (cd "$d" && systemd-analyze verify "${units[@]}") || return 1
  for f in coldtrack.service coldtrack-backup.service; do
    systemd-analyze security --offline=true --threshold=20 "$d/$f" | tail -n 1 || return 1
  done
  echo "3 units verified; both services' exposure at most 2.0"
}

# ---------------------------------------------------------------- live check
live_prometheus() {
  local d=$TMP/live app_port prom_port server_pid prom_pid i
  mkdir -p "$d/app" "$d/prom-data" "$d/restored" || return 1
  app_port=$(free_port) && prom_port=$(free_port) || return 1

  # The server from the image root, with the image's configuration and web pages (the image's
  # absolute /opt/coldtrack/web/... paths moved under the temp root).
  local console=$ROOT/opt/coldtrack/web/console/dist
  [ -f "$console/index.html" ] || console=""
  (cd "$d/app" && exec env COLDTRACK_SERVER_HOST=127.0.0.1 COLDTRACK_SERVER_PORT="$app_port" \
    COLDTRACK_SERVER_METRICS_GAUGES_S=1 \
    COLDTRACK_STORE_SQLITE_PATH="$d/app/data/coldtrack.db" \
    COLDTRACK_WEB_H5_DIR="$ROOT/opt/coldtrack/web/miniprogram/dist/build/h5" \
    COLDTRACK_WEB_CONSOLE_DIR="$console" \
    "$BIN" --config "$ROOT/etc/coldtrack/coldtrack.yml" serve --demo --demo-orders 300 \
    > "$d/server.log" 2>&1) &
  server_pid=$!
  PIDS+=("$server_pid")
  for i in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$app_port/healthz" 2> /dev/null && break
    kill -0 "$server_pid" 2> /dev/null || {
      echo "coldtrack serve exited:"
      tail -20 "$d/server.log"
      return 1
    }
    sleep 0.5
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$app_port/readyz" || {
    echo "coldtrack not ready"
    tail -20 "$d/server.log"
    return 1
  }
  curl -fsS "http://127.0.0.1:$app_port/m/" | grep -qi '<html' || {
    echo "the H5 page from the root is not served at /m/"
    return 1
  }
  local served="H5 page served at /m/"
  if [ -n "$console" ]; then
    curl -fsS "http://127.0.0.1:$app_port/console/" | grep -qi '<html' || {
      echo "the merchant console from the root is not served at /console/"
      return 1
    }
    served="$served, merchant console at /console/"
  elif [ -f web/console/package.json ]; then
    echo "web/console exists but the root has no console to serve"
    return 1
  fi
  echo "coldtrack serve --demo up on 127.0.0.1:$app_port ($served)"

  cat > "$d/prometheus.yml" << EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $DEPLOY/prometheus/rules/coldtrack.rules.yml
scrape_configs:
  - job_name: coldtrack
    static_configs:
      - targets: ["127.0.0.1:$app_port"]
        labels:
          track: stable
EOF
  prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/prom-data" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn > "$d/prometheus.log" 2>&1 &
  prom_pid=$!
  PIDS+=("$prom_pid")
  local url="http://127.0.0.1:$prom_port"
  node "$TOOLS/promql.mjs" wait-up "$url" coldtrack 60 || {
    tail -20 "$d/prometheus.log"
    return 1
  }
  sleep 4 # a few scrapes, so rate() has points
  node "$TOOLS/promql.mjs" query-all "$url" "$DEPLOY/prometheus/rules/coldtrack.rules.yml" \
    "$DEPLOY/grafana/coldtrack-dashboard.json" || return 1
  # The rules Prometheus loaded evaluate without errors.
  node "$TOOLS/promql.mjs" rules-health "$url" || return 1
  node "$TOOLS/promql.mjs" metric-names "$url" "$REPO/src" "$DEPLOY/prometheus/rules/coldtrack.rules.yml" \
    "$DEPLOY/grafana/coldtrack-dashboard.json" || return 1
  # The systemd backup timer's command, on the live store, and its restore into a new path.
  (cd "$d/app" && COLDTRACK_STORE_SQLITE_PATH="$d/app/data/coldtrack.db" \
    "$BIN" --config "$ROOT/etc/coldtrack/coldtrack.yml" backup --to "$d/backup.db") || {
    echo "coldtrack backup failed on the live store"
    return 1
  }
  (cd "$d/app" && COLDTRACK_STORE_SQLITE_PATH="$d/restored/coldtrack.db" \
    "$BIN" --config "$ROOT/etc/coldtrack/coldtrack.yml" restore --from "$d/backup.db") || {
    echo "coldtrack restore of that backup failed"
    return 1
  }
  # Both stop on SIGTERM; coldtrack drains and closes its store.
  kill -TERM "$server_pid" "$prom_pid"
  for i in $(seq 1 100); do
    kill -0 "$server_pid" 2> /dev/null || kill -0 "$prom_pid" 2> /dev/null || break
    sleep 0.2
  done
  wait "$server_pid" 2> /dev/null
  local rc=$?
  wait "$prom_pid" 2> /dev/null
  grep -q 'stopped cleanly' "$d/server.log" || {
    echo "coldtrack did not stop cleanly on SIGTERM (exit $rc):"
    tail -5 "$d/server.log"
    return 1
  }
  echo "Prometheus scraped coldtrack; alerts and dashboard queries evaluated; backup+restore ok; SIGTERM drained"
}

# ---------------------------------------------------------------- run
echo "check-deploy: $(date -u +%Y-%m-%dT%H:%M:%SZ), logs in $TMP"
check "tools (yamllint, promtool, prometheus, node, npm ci deploy/tools)" setup_tools
if [ "$FAILED" != 0 ]; then
  echo "check-deploy: cannot continue without the tools"
  exit 1
fi
check "image root: deploy/build-image-root.sh into a temp root" build_root
check "image build: Release CMake configuration and target plan" release_build_plan
if [ -x "$BIN" ]; then
  check "image root: the binary runs (--help)" root_binary_runs
  check "image root: every shared library ldd lists is resolved" root_libraries_resolved
  check "image root: /etc/coldtrack/coldtrack.yml loads, archive runs" root_config_loads
  check "web pages: web.*_dir of image, systemd and Kubernetes configs" web_config_dirs
  check "Dockerfile: runtime packages provide every linked library" runtime_packages_cover_libraries
fi
check "Dockerfile: every package exists in Debian 12 (apt-cache show)" dockerfile_packages_exist
check "Dockerfile: lint (dockerfile-utils) and image policy" dockerfile_lint
check "YAML: yamllint --strict (deploy/.yamllint)" yaml_lint
if [ -x "$BIN" ]; then
  check "Kubernetes: manifests and rendered overlays vs API types" k8s_validate
  check "Kubernetes: ConfigMap coldtrack.yml accepted by coldtrack" k8s_config_loads
  check "validators: planted errors are caught" validators_self_test
fi
check "Prometheus: promtool check config (prometheus.yml)" prometheus_config
check "Prometheus: promtool check rules" prometheus_rules
check "Prometheus: promtool test rules (every alert fires/silent)" prometheus_rule_tests
check "Grafana: dashboard JSON valid, every query parses" grafana_dashboard
if [ -x "$BIN" ]; then
  check "systemd: units verify, hardening (systemd-analyze)" systemd_unit
  check "live: Prometheus scrapes coldtrack serve --demo, alerts evaluate" live_prometheus
fi
echo "check-deploy: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
