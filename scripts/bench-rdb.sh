#!/usr/bin/env bash
# Benchmarks RDB persistence of reddish against the real redis-server in the
# same run: both get the same dataset (DEBUG POPULATE: small string keys
# "key:N" -> "value:N"), then for each server:
#   - SAVE: wall time of a synchronous SAVE (best of several rounds);
#   - load: the server is restarted on its own dump.rdb and the time it
#     reports in "DB loaded from disk: X seconds" is taken;
# and prints both, the ratio reddish/redis (lower is better for reddish) and
# the file sizes.
#
# Settings (environment):
#   BENCH_RDB_KEYS    keys in the dataset          (default: 1000000)
#   BENCH_RDB_ROUNDS  SAVE rounds, best one kept   (default: 3)
#   REDDISH_SERVER    reddish binary               (default: target/release, built if missing)
#   REDIS_SERVER      real Redis binary            (default: redis-server on PATH)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KEYS="${BENCH_RDB_KEYS:-1000000}"
ROUNDS="${BENCH_RDB_ROUNDS:-3}"

require_tool redis-cli
REDIS_BIN="$(redis_binary)"
REDDISH_BIN="$(reddish_binary)"
COMMON_ARGS=(--save "" --appendonly no --enable-debug-command yes)

now_ns() { date +%s%N; }

# save_seconds PORT: best wall time of ROUNDS synchronous SAVEs, in seconds.
save_seconds() {
    local port="$1" best="" start end took i
    for i in $(seq 1 "$ROUNDS"); do
        start="$(now_ns)"
        [ "$(redis-cli -p "$port" SAVE)" = "OK" ] || die "SAVE failed on port $port"
        end="$(now_ns)"
        took=$((end - start))
        if [ -z "$best" ] || [ "$took" -lt "$best" ]; then best=$took; fi
    done
    awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }'
}

# restart_and_time NAME BINARY: restarts the server on its directory, waits
# for the load to finish and sets LOAD_SECONDS to the time it logged.
restart_and_time() {
    local name="$1" bin="$2" log="$SCRATCH/$1/server.log" before i
    before="$(grep -c "DB loaded from disk" "$log" || true)"
    start_server "$name" "$bin" "${COMMON_ARGS[@]}"
    for i in $(seq 1 1200); do
        [ "$(grep -c "DB loaded from disk" "$log" || true)" -gt "$before" ] && break
        sleep 0.1
    done
    LOAD_SECONDS="$(grep "DB loaded from disk" "$log" | tail -n 1 |
        sed 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/')"
}

# bench NAME BINARY: populates, saves, restarts; sets SAVE_SECONDS,
# LOAD_SECONDS, FILE_BYTES and LOADED_KEYS.
bench() {
    local name="$1" bin="$2"
    start_server "$name" "$bin" "${COMMON_ARGS[@]}"
    redis-cli -p "$SERVER_PORT" DEBUG POPULATE "$KEYS" >/dev/null
    SAVE_SECONDS="$(save_seconds "$SERVER_PORT")"
    FILE_BYTES="$(stat -c %s "$SCRATCH/$name/dump.rdb")"
    stop_servers
    restart_and_time "$name" "$bin"
    LOADED_KEYS="$(redis-cli -p "$SERVER_PORT" DBSIZE)"
    stop_servers
}

bench reddish "$REDDISH_BIN"
REDDISH_SAVE=$SAVE_SECONDS REDDISH_LOAD=$LOAD_SECONDS REDDISH_SIZE=$FILE_BYTES REDDISH_KEYS=$LOADED_KEYS
bench redis "$REDIS_BIN"
REDIS_SAVE=$SAVE_SECONDS REDIS_LOAD=$LOAD_SECONDS REDIS_SIZE=$FILE_BYTES REDIS_KEYS=$LOADED_KEYS

[ "$REDDISH_KEYS" = "$KEYS" ] || die "reddish loaded $REDDISH_KEYS keys, expected $KEYS"
[ "$REDIS_KEYS" = "$KEYS" ] || die "redis loaded $REDIS_KEYS keys, expected $KEYS"

printf '%s keys (DEBUG POPULATE), best of %s SAVEs\n\n' "$KEYS" "$ROUNDS"
printf '%-22s %12s %12s %14s\n' "" reddish redis "reddish/redis"
awk -v a="$REDDISH_SAVE" -v b="$REDIS_SAVE" 'BEGIN { printf "%-22s %11.3fs %11.3fs %14.2f\n", "SAVE", a, b, a / b }'
awk -v a="$REDDISH_LOAD" -v b="$REDIS_LOAD" 'BEGIN { printf "%-22s %11.3fs %11.3fs %14.2f\n", "load at start-up", a, b, (b > 0 ? a / b : 0) }'
awk -v a="$REDDISH_SIZE" -v b="$REDIS_SIZE" 'BEGIN { printf "%-22s %12d %12d %14.2f\n", "dump.rdb bytes", a, b, a / b }'
