#!/usr/bin/env bash
# Install what is missing, build everything, and run the whole test suite: every test on the
# embedded defaults (SQLite, in-process caches), then the integration suite again on the
# production backend set (MariaDB + Redis + RabbitMQ), each server started privately by the
# tests (tests/mariadb_server.h, tests/redis_server.h, tests/rabbitmq_server.h). A server that
# cannot start fails the run with its log; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh
scripts/build-web.sh
echo "== customer front end (web/miniprogram): unit, compiled mini-program, size, end to end =="
(
  cd web/miniprogram
  npm test --silent
  npm run --silent test:mp
  npm run --silent size
  npm run --silent test:e2e
)
echo "== merchant console (web/console): unit and component tests, end to end =="
(
  cd web/console
  npm test --silent
  npm run --silent test:e2e
)
echo "== deployment: Dockerfile, Kubernetes, Prometheus rules, dashboard, systemd, live Prometheus =="
scripts/check-deploy.sh
cd build
echo "== backend set 1: sqlite + in-process caches (unit and integration tests) =="
ctest --output-on-failure --timeout 180 "$@"
echo "== backend set 2: mariadb + redis + rabbitmq (integration tests) =="
COLDTRACK_IT_BACKENDS=mysql,redis,rabbitmq ./integration_tests --gtest_brief=1
