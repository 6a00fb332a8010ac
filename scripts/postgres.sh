#!/usr/bin/env bash
# Start the local PostgreSQL server (Debian's postgresql package) and make sure the test
# role and database exist. Prints the database URL the tests use (OI_TEST_DATABASE_URL).
set -euo pipefail
USER_NAME=oi
PASSWORD=oi
DB=oi_test
PORT=${OI_TEST_POSTGRES_PORT:-5432}

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: run 'make setup' (it installs Debian's postgresql)" >&2
  exit 1
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main --port "$PORT" >&2
fi
if ! pg_lsclusters -h | grep "^$version main" | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
for _ in $(seq 1 30); do
  as_postgres psql -p "$PORT" -tAc "select 1" >/dev/null 2>&1 && break
  sleep 1
done
if ! as_postgres psql -p "$PORT" -tAc "select 1 from pg_roles where rolname='$USER_NAME'" | grep -q 1; then
  as_postgres psql -p "$PORT" -qc "create role $USER_NAME login password '$PASSWORD' createdb"
fi
if ! as_postgres psql -p "$PORT" -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
  as_postgres psql -p "$PORT" -qc "create database $DB owner $USER_NAME"
fi
echo "postgresql+psycopg://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"
