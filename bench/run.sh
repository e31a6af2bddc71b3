#!/usr/bin/env bash
# `make bench`: the front-desk benchmark on a big seeded database of its own, then every
# other benchmark script of this folder (bench/bench_*.py) against the same database.
#
#   bench/run.sh [PATIENTS] [DOCTORS] [DAYS]        default 200000 40 60
#
# The database lives on the machine's PostgreSQL 15 cluster "main" (started if stopped):
# role and database BENCH_DB (default hms_frontbench), created when missing, seeded once and
# reused by later runs (drop the database to reseed at another size). BENCH_DATABASE_URL
# points at another database instead. Tunables: BENCH_DURATION (seconds of load per page,
# default 15), BENCH_CONNECTIONS (default: one per worker), BENCH_WORKERS (gunicorn,
# default: CPUs), BENCH_ONLY (load only the front-desk pages whose label contains it, e.g.
# "calendar", next to the baseline).
# Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

PATIENTS=${1:-200000}
DOCTORS=${2:-40}
DAYS=${3:-60}
PY=${PYTHON:-.venv/bin/python}
BENCH_DB=${BENCH_DB:-hms_frontbench}
PGPORT=${BENCH_PGPORT:-5432}
CLUSTER_VERSION=${BENCH_PG_VERSION:-15}
CLUSTER_NAME=${BENCH_PG_CLUSTER:-main}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -z "${BENCH_DATABASE_URL:-}" ]; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        if ! pg_lsclusters --no-header 2>/dev/null \
            | awk -v v="$CLUSTER_VERSION" -v c="$CLUSTER_NAME" '$1==v && $2==c && $4=="online"' \
            | grep -q .; then
            echo "Starting PostgreSQL $CLUSTER_VERSION/$CLUSTER_NAME..."
            pg_ctlcluster "$CLUSTER_VERSION" "$CLUSTER_NAME" start
        fi
    fi
    case "$BENCH_DB" in (*[!a-z0-9_]*|"") echo "BENCH_DB must be lower-case letters, digits, _" >&2; exit 2;; esac
    PSQL=(psql -X -q -p "$PGPORT" -v ON_ERROR_STOP=1)
    if ! as_postgres "${PSQL[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$BENCH_DB'" | grep -q 1; then
        echo "Creating role $BENCH_DB..."
        as_postgres "${PSQL[@]}" -c "CREATE ROLE $BENCH_DB LOGIN PASSWORD '$BENCH_DB'"
    fi
    if ! as_postgres "${PSQL[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'" | grep -q 1; then
        echo "Creating database $BENCH_DB..."
        as_postgres "${PSQL[@]}" -c "CREATE DATABASE $BENCH_DB OWNER $BENCH_DB"
    fi
    BENCH_DATABASE_URL="postgres://$BENCH_DB:$BENCH_DB@127.0.0.1:$PGPORT/$BENCH_DB"
fi
export DATABASE_URL="$BENCH_DATABASE_URL"

status=0
"$PY" bench/frontdesk.py --patients "$PATIENTS" --doctors "$DOCTORS" --days "$DAYS" \
    --duration "${BENCH_DURATION:-15}" ${BENCH_CONNECTIONS:+--connections "$BENCH_CONNECTIONS"} \
    ${BENCH_WORKERS:+--workers "$BENCH_WORKERS"} ${BENCH_ONLY:+--only "$BENCH_ONLY"} || status=$?

for script in bench/bench_*.py; do
    [ -e "$script" ] || continue
    echo
    echo "== $script"
    "$PY" "$script" || status=$?
done
exit "$status"
