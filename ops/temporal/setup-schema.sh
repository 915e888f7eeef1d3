#!/bin/sh
# Temporal's schema in PostgreSQL, run by temporalio/admin-tools before the server starts
# (docker-compose.yml, service temporal-admin-tools). After Temporal's samples-server
# compose/scripts/setup-postgres.sh, except that the databases themselves are created once by
# PostgreSQL's init folder (ops/postgres/init/), so that this script can run on every start:
# `setup-schema -v 0.0` leaves a schema that is already past 0.0 alone, and `update-schema` applies
# only the versions the database does not have yet (a newer admin-tools image upgrades it).
# temporal-sql-tool reads the password from SQL_PASSWORD.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must name the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set}"
port="${DB_PORT:-5432}"
schema=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" "$@"
}

for db in temporal:temporal temporal_visibility:visibility; do
  name="${db%%:*}"
  dir="${db#*:}"
  echo "setup-schema: ${name}"
  sql --db "$name" setup-schema -v 0.0
  sql --db "$name" update-schema -d "${schema}/${dir}/versioned"
done
echo "setup-schema: done"
