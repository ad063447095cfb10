#!/bin/sh
# A throw-away PostgreSQL from the machine's server binaries, on loopback, for the chaos scripts.
#   sh bench/chaos/pg.sh start DIR PORT   → prints the JDBC URL
#   sh bench/chaos/pg.sh stop DIR         (immediate: as if the server died)
#   sh bench/chaos/pg.sh restart DIR PORT
set -eu
cd /  # runuser keeps the working directory, which postgres may not enter
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort | tail -1)
[ -x "$BIN/pg_ctl" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cmd=$1; dir=$2; port=${3:-55432}
case "$cmd" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
    [ -d "$dir/data" ] || as_pg "$BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
    as_pg "$BIN/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/log" -o "-p $port -k $dir -h 127.0.0.1 -F" start >/dev/null
    echo "jdbc:postgresql://127.0.0.1:$port/postgres?user=postgres" ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null ;;
  restart)
    as_pg "$BIN/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/log" -o "-p $port -k $dir -h 127.0.0.1 -F" start >/dev/null ;;
  *) echo "usage: pg.sh start|stop|restart DIR [PORT]" >&2; exit 2 ;;
esac
