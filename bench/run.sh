#!/usr/bin/env bash
# `make bench`: the front-desk benchmark on a big seeded database of its own, then every
# other benchmark script of this folder (bench/bench_*.py) against the same database, and the
# reports benchmark (bench/bench_reports.py) on databases of its own, one per size.
#
#   bench/run.sh [PATIENTS] [DOCTORS] [DAYS]        default 200000 40 60
#
# Reports: BENCH_REPORT_SIZES (default "10000 1000000" patients, smallest first) names the
# sizes; each gets a database hms_bench<size> (hms_bench10k, hms_bench1m), made, migrated and
# seeded with `seed_demo --patients <size>` when it has no patients yet, then kept. A million
# patients take a few hours to seed the first time (see demo/invoices.py and the seed's
# table of timings). BENCH_REPORT_SIZES="" skips the reports benchmark;
# BENCH_REPORT_DATABASES="10k=postgres://... 1m=postgres://..." measures databases seeded
# elsewhere instead; BENCH_REPORT_ROUNDS sets the fetches per page (default 5). The FHIR API's
# benchmark (bench/bench_fhir.py) runs on the same databases after it.
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

PSQL=(psql -X -q -p "$PGPORT" -v ON_ERROR_STOP=1)

# The URL of database $1 (role and database of that name, password the same), made if missing.
database_url() {
    local name=$1
    case "$name" in (*[!a-z0-9_]*|"") echo "database names are lower-case letters, digits, _" >&2; exit 2;; esac
    if ! as_postgres "${PSQL[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$name'" | grep -q 1; then
        echo "Creating role $name..." >&2
        as_postgres "${PSQL[@]}" -c "CREATE ROLE $name LOGIN PASSWORD '$name'" >&2
    fi
    if ! as_postgres "${PSQL[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
        echo "Creating database $name..." >&2
        as_postgres "${PSQL[@]}" -c "CREATE DATABASE $name OWNER $name" >&2
    fi
    echo "postgres://$name:$name@127.0.0.1:$PGPORT/$name"
}

# 10000 -> 10k, 1000000 -> 1m, 2500 -> 2500
size_label() {
    local n=$1
    if [ $((n % 1000000)) = 0 ]; then echo "$((n / 1000000))m"
    elif [ $((n % 1000)) = 0 ]; then echo "$((n / 1000))k"
    else echo "$n"; fi
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
    BENCH_DATABASE_URL=$(database_url "$BENCH_DB")
fi
export DATABASE_URL="$BENCH_DATABASE_URL"

status=0
"$PY" bench/frontdesk.py --patients "$PATIENTS" --doctors "$DOCTORS" --days "$DAYS" \
    --duration "${BENCH_DURATION:-15}" ${BENCH_CONNECTIONS:+--connections "$BENCH_CONNECTIONS"} \
    ${BENCH_WORKERS:+--workers "$BENCH_WORKERS"} ${BENCH_ONLY:+--only "$BENCH_ONLY"} || status=$?

for script in bench/bench_*.py; do
    [ -e "$script" ] || continue
    case "$script" in bench/bench_reports.py|bench/bench_fhir.py) continue;; esac  # below
    echo
    echo "== $script"
    "$PY" "$script" || status=$?
done

SIZES=${BENCH_REPORT_SIZES-10000 1000000}
report_args=()
if [ -n "${BENCH_REPORT_DATABASES:-}" ]; then
    # "label=url label=url", smallest first: databases seeded by someone else.
    for pair in $BENCH_REPORT_DATABASES; do report_args+=(--database "$pair"); done
else
    for size in $SIZES; do
        label=$(size_label "$size")
        url=$(database_url "hms_bench$label")
        DATABASE_URL="$url" "$PY" manage.py migrate --noinput -v0
        if DATABASE_URL="$url" "$PY" manage.py db_is_empty; then
            echo "Seeding hms_bench$label with $size patients (kept for later runs)..."
            DATABASE_URL="$url" "$PY" manage.py seed_demo --patients "$size" || { status=1; continue; }
        fi
        report_args+=(--database "$label=$url")
    done
fi
if [ ${#report_args[@]} -gt 0 ]; then
    echo
    echo "== bench/bench_reports.py (${BENCH_REPORT_DATABASES:-$SIZES})"
    "$PY" bench/bench_reports.py "${report_args[@]}" \
        ${BENCH_REPORT_ROUNDS:+--rounds "$BENCH_REPORT_ROUNDS"} || status=$?
    echo
    echo "== bench/bench_fhir.py (${BENCH_REPORT_DATABASES:-$SIZES})"
    "$PY" bench/bench_fhir.py "${report_args[@]}" || status=$?
fi
exit "$status"
