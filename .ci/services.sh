#!/usr/bin/env bash
# Start PostgreSQL and Redis on loopback for the services tests, and print the URLs to use.
# Needs root and Debian's postgresql and redis-server packages (see .ci/run).
set -euo pipefail
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$pg_version main"; then
  pg_createcluster "$pg_version" main >/dev/null
fi
pg_ctlcluster "$pg_version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='storechat'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE storechat LOGIN SUPERUSER PASSWORD 'storechat'\""
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='storechat_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O storechat storechat_test"
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
fi
for _ in $(seq 1 30); do
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break
  sleep 0.5
done
echo "export STORECHAT_TEST_DATABASE_URL=postgresql+psycopg://storechat:storechat@127.0.0.1:5432/storechat_test"
echo "export STORECHAT_TEST_REDIS_URL=redis://127.0.0.1:6379/0"
