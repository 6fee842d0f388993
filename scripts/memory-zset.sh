#!/usr/bin/env bash
# Memory of many small sorted sets: loads the same data into reddish and
# into the real redis-server (both started here on free ports, no
# persistence) and prints each server's INFO used_memory and process RSS,
# before and after, and the ratio reddish/redis of the growth.
#
# The data: KEYS sorted sets (zset:0 ...) of MEMBERS members each
# (member:0 ...), sent pipelined as one ZADD per key. With the default 100
# members a set stays under zset-max-listpack-entries (128), so this
# measures the compact encoding.
#
# Settings (environment):
#   KEYS             number of sorted sets      (default: 100000)
#   MEMBERS          members per set            (default: 100)
#   SCORES           int (integral scores) or float (scores with a fraction)
#                                               (default: int)
#   REDDISH_SERVER   reddish binary             (default: target/release, built if missing)
#   REDIS_SERVER     real Redis binary          (default: redis-server on PATH)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KEYS="${KEYS:-100000}"
MEMBERS="${MEMBERS:-100}"
SCORES="${SCORES:-int}"
case "$SCORES" in int | float) ;; *) die "SCORES must be int or float" ;; esac

require_tool redis-cli
REDIS_BIN="${REDIS_SERVER:-$(command -v redis-server || true)}"
[ -n "$REDIS_BIN" ] || die "redis-server not found; run 'make deps'"
REDDISH_BIN="$(reddish_binary)"

# The load as RESP: one ZADD with every member per key.
generate() {
    awk -v keys="$KEYS" -v members="$MEMBERS" -v float="$([ "$SCORES" = float ] && echo 1 || echo 0)" '
        BEGIN {
            for (k = 0; k < keys; k++) {
                key = "zset:" k
                printf "*%d\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n", 2 + 2 * members, length(key), key
                for (j = 0; j < members; j++) {
                    score = (k * 131 + j * 7919) % 100000
                    if (float) score = score + 0.25
                    member = "member:" j
                    printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(score ""), score, length(member), member
                }
            }
        }'
}

used_memory() {
    redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'
}

rss_bytes() {
    awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

# measure NAME PORT PID: loads the data and prints one result line.
measure() {
    local name="$1" port="$2" pid="$3" used0 rss0 used1 rss1 size encoding
    used0="$(used_memory "$port")"
    rss0="$(rss_bytes "$pid")"
    generate | redis-cli -p "$port" --pipe >/dev/null
    size="$(redis-cli -p "$port" dbsize)"
    [ "$size" = "$KEYS" ] || die "$name holds $size keys, expected $KEYS"
    encoding="$(redis-cli -p "$port" object encoding zset:0)"
    used1="$(used_memory "$port")"
    rss1="$(rss_bytes "$pid")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$encoding" "$used0" "$used1" "$rss0" "$rss1"
}

start_server reddish "$REDDISH_BIN" --save "" --appendonly no
REDDISH_PORT=$SERVER_PORT REDDISH_PID=$SERVER_PID
start_server redis "$REDIS_BIN" --save "" --appendonly no
REDIS_PORT=$SERVER_PORT REDIS_PID=$SERVER_PID

echo "reddish: $REDDISH_BIN (port $REDDISH_PORT)"
echo "redis:   $REDIS_BIN (port $REDIS_PORT), $("$REDIS_BIN" -v | awk '{ print $3 }')"
echo "$KEYS sorted sets x $MEMBERS members, $SCORES scores"
echo
{
    measure reddish "$REDDISH_PORT" "$REDDISH_PID"
    measure redis "$REDIS_PORT" "$REDIS_PID"
} | awk -F'\t' '
    function mb(x) { return sprintf("%.1f MB", x / 1048576) }
    {
        name[NR] = $1; enc[NR] = $2
        used[NR] = $4 - $3; rss[NR] = $6 - $5; used_total[NR] = $4; rss_total[NR] = $6
    }
    END {
        printf "%-8s %-9s %14s %14s %14s %14s\n", "server", "encoding", "used_memory", "(growth)", "RSS", "(growth)"
        for (i = 1; i <= NR; i++)
            printf "%-8s %-9s %14s %14s %14s %14s\n", name[i], enc[i], mb(used_total[i]), mb(used[i]), mb(rss_total[i]), mb(rss[i])
        if (used[2] > 0 && rss[2] > 0)
            printf "\nreddish/redis growth: used_memory %.2f, RSS %.2f\n", used[1] / used[2], rss[1] / rss[2]
    }'
