#!/bin/sh
# One PostgreSQL role per service, owning only its database; no role can read another's data.
#
# For each name in SERVICE_DATABASES (the apps' "eventshop.database"; the role is named the same):
#   - a login role without SUPERUSER, CREATEDB or CREATEROLE, its password read from
#     $SERVICE_PASSWORDS_DIR/<name>/password;
#   - the database <name>, owned by that role (so the service creates its tables and runs its
#     migrations there as owner);
#   - CONNECT (and TEMP) on it revoked from PUBLIC: every other role gets "permission denied for
#     database" and cannot read a table there.
# The `postgres` maintenance database keeps its default CONNECT for everyone: it holds no data, and
# a service looks there whether its database exists (libs/platform ensureDatabase).
#
# Idempotent: re-running it (e.g. after adding a service to an existing volume, with
# `kubectl exec` or `docker compose exec`) creates what is missing and resets the passwords.
# It runs psql with the usual PG* variables: inside the postgres image (docker-compose.yml and the
# k8s postgres StatefulSet mount it into /docker-entrypoint-initdb.d) that is the local socket as the
# superuser, on the first start of an empty data folder. The int test runs this same file.
set -eu

: "${SERVICE_DATABASES:?the services databases, e.g. "user_service email_service"}"
: "${SERVICE_PASSWORDS_DIR:?the folder holding <database>/password for each service}"

for database in $SERVICE_DATABASES; do
  password_file="$SERVICE_PASSWORDS_DIR/$database/password"
  if [ ! -s "$password_file" ]; then
    echo "init-service-roles: $password_file is missing or empty" >&2
    exit 1
  fi
  # The password is read by psql itself (the backquoted \set), so it is never on a command line.
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet -v name="$database" -v password_file="$password_file" <<'SQL'
\set password `cat :'password_file'`
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', :'name')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'name', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'name', :'name') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SQL
  echo "init-service-roles: role and database $database"
done
