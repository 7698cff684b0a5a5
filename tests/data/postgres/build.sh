#!/bin/bash
# Writes pg15-live.{log,csv,json}: one real PostgreSQL 15 server's stderr (Debian's
# `%m [%p] %q%u@%d ` prefix), csvlog and jsonlog of the same records, for a known workload
# (workload.sql + the sessions below): statements with durations, prepared statements with
# parameters, a multi-line statement, errors, connections and a failed password, a
# checkpoint, autovacuum, temp files, a lock wait, a deadlock and a statement timeout.
# Run as root (the server runs as `postgres`): bash tests/data/postgres/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d); chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- "$@"; }
as_pg $bin/initdb -D "$work/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
lc_messages = 'C'
log_timezone = 'UTC'
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = 'log'
log_filename = 'pg15-live.log'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
log_lock_waits = on
deadlock_timeout = '100ms'
log_temp_files = 0
log_checkpoints = on
log_autovacuum_min_duration = 0
autovacuum_naptime = '1s'
shared_preload_libraries = 'auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_analyze = on
auto_explain.log_buffers = on
password_encryption = 'scram-sha-256'
fsync = off
CONF
as_pg $bin/pg_ctl -D "$work/data" -l "$work/start.log" -w start >/dev/null
psql() { as_pg /usr/bin/psql -X -q -h "$work" -p "$port" -U postgres "$@"; }
psql -d postgres -c "CREATE ROLE app LOGIN PASSWORD 'app-pass'" -c "CREATE DATABASE shop OWNER app"
export PGPASSWORD=app-pass
tcp() { /usr/bin/psql -X -q -h 127.0.0.1 -p "$port" -U app -d shop "$@"; }
tcp -f "$here/workload.sql"
PGPASSWORD=wrong /usr/bin/psql -X -h 127.0.0.1 -p "$port" -U app -d shop -c "SELECT 1" 2>/dev/null || true
# a lock wait: session 1 holds a row lock for 0.5 s while session 2 waits for it
tcp -c "BEGIN; UPDATE items SET qty = qty + 1 WHERE id = 1; SELECT pg_sleep(0.5); COMMIT;" &
sleep 0.2
tcp -c "UPDATE items SET qty = qty - 1 WHERE id = 1"
wait
# a deadlock: two sessions lock rows 1 and 2 in opposite orders
tcp -c "BEGIN; UPDATE items SET qty = 0 WHERE id = 1; SELECT pg_sleep(0.3); UPDATE items SET qty = 0 WHERE id = 2; COMMIT;" 2>/dev/null &
sleep 0.1
tcp -c "BEGIN; UPDATE items SET qty = 0 WHERE id = 2; SELECT pg_sleep(0.3); UPDATE items SET qty = 0 WHERE id = 1; COMMIT;" 2>/dev/null || true
wait || true
tcp -c "DELETE FROM items WHERE id > 500" -c "SELECT pg_sleep(3)" >/dev/null  # autovacuum runs
psql -d postgres -c "CHECKPOINT"
as_pg $bin/pg_ctl -D "$work/data" -m fast -w stop >/dev/null
for ext in log csv json; do cp "$work/data/log/pg15-live.$ext" "$here/pg15-live.$ext"; done
rm -rf "$work"
