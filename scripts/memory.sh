#!/usr/bin/env bash
# Memory comparison: loads the same keys into reddish and into the real
# redis-server (both started here, no persistence), then prints for each
# INFO used_memory and the process RSS, before and after the load, the bytes
# per key, and the reddish/redis ratios. Each key is written by one command
# built from a template, `{i}` (once per word) standing for the key number
# 0..N-1, and streamed to each server with `redis-cli --pipe`.
#
#   scripts/memory.sh                                   # 1M small hashes
#   MEM_COMMAND='ZADD z:{i} 1 a 2 b 3 c' scripts/memory.sh
#   MEM_KEYS=100000 MEM_COMMAND='SET k:{i} v{i}' scripts/memory.sh
#   MEM_SET=all scripts/memory.sh                       # the six sets of issue 15
#
# MEM_SET names a prepared data set instead of MEM_COMMAND; "all" runs each
# in turn and ends with a Markdown table of RSS and used_memory growth:
#   strings      1M small strings   (DEBUG POPULATE 1000000: key:N -> value:N)
#   strings-ttl  1M small strings with a TTL (SET key:N value:N EX 1000000)
#   hashes       1M hashes of 3 small fields (HSET h:N f1 v1 f2 v2 f3 v3)
#   sets         1M sets of 5 small integers (SADD s:N 1 2 3 4 5)
#   zsets        100k sorted sets of 100 members (ZADD z:N 1 m:1 ... 100 m:100)
#   1k-values    1M keys with 1 KB values (DEBUG POPULATE 1000000 key 1024)
#
# Settings (environment):
#   MEM_SET          a prepared data set (above) or "all" (default: none)
#   MEM_COMMAND      command template, words split on spaces
#                    (default: HSET h:{i} f1 v1 f2 v2 f3 v3)
#   MEM_KEYS         number of commands/keys (default: 1000000)
#   MEM_SERVER_ARGS  extra arguments for both servers (e.g. "--hash-max-listpack-entries 0")
#   SERVER_PORTS     ports for reddish then redis (default: random free ports)
#   REDDISH_SERVER   reddish binary (default: target/release, built if missing)
#   REDIS_SERVER     real Redis binary (default: redis-server on PATH)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LC_ALL=C

DEFAULT_COMMAND='HSET h:{i} f1 v1 f2 v2 f3 v3'
SERVER_ARGS="${MEM_SERVER_ARGS:-}"

# prepared_set NAME: sets COMMAND, KEYS (commands sent) and ENTRIES (keys
# made) for one of the prepared data sets.
prepared_set() {
    local members="" j
    ENTRIES=1000000 KEYS=1000000
    case "$1" in
    strings) COMMAND='DEBUG POPULATE 1000000' KEYS=1 ;;
    strings-ttl) COMMAND='SET key:{i} value:{i} EX 1000000' ;;
    hashes) COMMAND="$DEFAULT_COMMAND" ;;
    sets) COMMAND='SADD s:{i} 1 2 3 4 5' ;;
    zsets)
        for j in $(seq 1 100); do members+=" $j m:$j"; done
        COMMAND="ZADD z:{i}$members" KEYS=100000 ENTRIES=100000
        ;;
    1k-values) COMMAND='DEBUG POPULATE 1000000 key 1024' KEYS=1 ;;
    *) die "unknown MEM_SET '$1' (strings, strings-ttl, hashes, sets, zsets, 1k-values, all)" ;;
    esac
}

require_tool redis-cli
REDIS_BIN="${REDIS_SERVER:-$(command -v redis-server || true)}"
[ -n "$REDIS_BIN" ] || die "redis-server not found; run 'make deps'"
REDDISH_BIN="$(reddish_binary)"

# The whole load as RESP, generated once for both servers.
LOAD="$SCRATCH/load.resp"
generate_load() {
awk -v n="$KEYS" -v template="$COMMAND" 'BEGIN {
    words = split(template, word, " ")
    head = "*" words "\r\n"
    for (j = 1; j <= words; j++) {
        at = index(word[j], "{i}")
        if (at) {
            before[j] = substr(word[j], 1, at - 1)
            after[j] = substr(word[j], at + 3)
        } else {
            fixed[j] = "$" length(word[j]) "\r\n" word[j] "\r\n"
        }
    }
    for (i = 0; i < n; i++) {
        out = head
        for (j = 1; j <= words; j++) {
            if (j in fixed) {
                out = out fixed[j]
            } else {
                arg = before[j] i after[j]
                out = out "$" length(arg) "\r\n" arg "\r\n"
            }
        }
        printf "%s", out
    }
}' >"$LOAD"
}

# used_memory from INFO memory.
used_memory() {
    redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'
}

# Resident set size of a process, in bytes.
rss_bytes() {
    awk '$1 == "VmRSS:" { print $2 * 1024 }' "/proc/$1/status"
}

# measure NAME BINARY: starts the server, loads the keys, stops it, and
# appends one tab-separated row to $ROWS: name, used_memory before and
# after, RSS before and after, the encoding of the first key.
ROWS="$SCRATCH/rows"
measure() {
    local name="$1" bin="$2" mem_before rss_before out
    # shellcheck disable=SC2086 # SERVER_ARGS is a word list on purpose
    start_server "$name" "$bin" --save "" --appendonly no --enable-debug-command local $SERVER_ARGS
    mem_before="$(used_memory "$SERVER_PORT")"
    rss_before="$(rss_bytes "$SERVER_PID")"
    out="$(timeout 1200 redis-cli -p "$SERVER_PORT" --pipe <"$LOAD" 2>&1)" ||
        die "$name: loading failed: $out"
    echo "$out" | grep -q "errors: 0," || die "$name: errors while loading: $(echo "$out" | tail -n 1)"
    local first="${COMMAND#* }"
    first="${first%% *}"
    [ "${COMMAND%% *}" = DEBUG ] && first="key:0"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mem_before" "$(used_memory "$SERVER_PORT")" \
        "$rss_before" "$(rss_bytes "$SERVER_PID")" \
        "$(redis-cli -p "$SERVER_PORT" OBJECT ENCODING "${first//\{i\}/0}")" >>"$ROWS"
    stop_servers
}

# compare: measures both servers on the current COMMAND, KEYS, ENTRIES,
# prints their rows and the ratios, and appends a summary line to $SUMMARY:
# command, RSS growth of each server in MB, used_memory growth of each.
SUMMARY="$SCRATCH/summary"
compare() {
    : >"$ROWS"
    echo "$KEYS x '${COMMAND:0:60}'${SERVER_ARGS:+ (server args: $SERVER_ARGS)}"
    generate_load
    measure reddish "$REDDISH_BIN"
    measure redis "$REDIS_BIN"
    awk -F'\t' -v keys="$ENTRIES" -v summary="$SUMMARY" -v label="$1" '
        function mb(x) { return sprintf("%.1f MB", x / 1048576) }
        { name[NR] = $1; mem[NR] = $3; rss[NR] = $5
          dmem[NR] = $3 - $2; drss[NR] = $5 - $4
          per_mem[NR] = dmem[NR] / keys; per_rss[NR] = drss[NR] / keys
          printf "%-8s used_memory %11s (%6.1f B/key)   RSS %11s (%6.1f B/key)   encoding %s\n",
              $1, mb($3), per_mem[NR], mb($5), per_rss[NR], $6 }
        END {
            if (NR == 2 && mem[2] > 0 && rss[2] > 0) {
                printf "ratio reddish/redis: used_memory %.2f (per key %.2f), RSS %.2f (per key %.2f)\n",
                    mem[1] / mem[2], per_mem[1] / per_mem[2], rss[1] / rss[2], per_rss[1] / per_rss[2]
                printf "| %s | %.1f MB | %.1f MB | %.2f | %.1f MB | %.1f MB |\n", label,
                    rss[1] / 1048576, rss[2] / 1048576, rss[1] / rss[2],
                    mem[1] / 1048576, mem[2] / 1048576 >>summary
            }
        }' "$ROWS"
    echo
}

echo "reddish: $REDDISH_BIN"
echo "redis:   $REDIS_BIN, $("$REDIS_BIN" -v | awk '{ print $3 }')"
echo
case "${MEM_SET:-}" in
"")
    COMMAND="${MEM_COMMAND:-$DEFAULT_COMMAND}"
    KEYS="${MEM_KEYS:-1000000}"
    ENTRIES="$KEYS"
    compare "$COMMAND"
    ;;
all)
    for set in strings strings-ttl hashes sets zsets 1k-values; do
        prepared_set "$set"
        compare "$set"
    done
    echo "| data set | reddish RSS | redis RSS | RSS ratio | reddish used_memory | redis used_memory |"
    echo "|---|---|---|---|---|---|"
    cat "$SUMMARY"
    ;;
*)
    prepared_set "$MEM_SET"
    compare "$MEM_SET"
    ;;
esac
