#!/usr/bin/env bash
# A PostgreSQL streaming-replication standby of the local server, for the standby test
# (ANPEI_TEST_STANDBY_URL) and for trying `database_read_url` on one machine.
#
#   scripts/standby.sh start   # base backup of 127.0.0.1:5432 into $STANDBY_DIR, started on
#                              # port 5433; prints the standby's URL
#   scripts/standby.sh stop
#
# The primary needs a replication entry in pg_hba.conf from 127.0.0.1 (added here, trust, as
# the test server's other entries) and wal_level replica (PostgreSQL's default). A production
# standby is made the same way (pg_basebackup -R), on its own machine, with password or
# certificate authentication instead of trust.
set -euo pipefail

PRIMARY_PORT=${PRIMARY_PORT:-5432}
PORT=${STANDBY_PORT:-5433}
DIR=${STANDBY_DIR:-/tmp/anpei-standby}
DB=${STANDBY_DB:-test}
VER=$(ls /etc/postgresql | sort -V | tail -n1)
BIN=/usr/lib/postgresql/$VER/bin

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  stop)
    [ -d "$DIR" ] && as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop || true
    ;;
  start)
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
      echo "postgres://postgres@127.0.0.1:$PORT/$DB"
      exit 0
    fi
    hba=/etc/postgresql/$VER/main/pg_hba.conf
    if ! grep -qE '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
      echo "host replication all 127.0.0.1/32 trust" >>"$hba"
      psql -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -c "SELECT pg_reload_conf()" >/dev/null
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"
    as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR" -R -X stream -c fast >&2
    # Debian keeps a cluster's configuration outside its data directory: the standby gets
    # its own.
    as_pg tee "$DIR/postgresql.conf" >/dev/null <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
max_connections = 200
shared_buffers = 64MB
CONF
    as_pg tee "$DIR/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
    as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w start >&2
    echo "postgres://postgres@127.0.0.1:$PORT/$DB"
    ;;
  *)
    echo "usage: scripts/standby.sh start|stop" >&2
    exit 2
    ;;
esac
