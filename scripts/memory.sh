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
#
# Settings (environment):
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
COMMAND="${MEM_COMMAND:-$DEFAULT_COMMAND}"
KEYS="${MEM_KEYS:-1000000}"
SERVER_ARGS="${MEM_SERVER_ARGS:-}"

require_tool redis-cli
REDIS_BIN="${REDIS_SERVER:-$(command -v redis-server || true)}"
[ -n "$REDIS_BIN" ] || die "redis-server not found; run 'make deps'"
REDDISH_BIN="$(reddish_binary)"

# The whole load as RESP, generated once for both servers.
LOAD="$SCRATCH/load.resp"
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
    start_server "$name" "$bin" --save "" --appendonly no $SERVER_ARGS
    mem_before="$(used_memory "$SERVER_PORT")"
    rss_before="$(rss_bytes "$SERVER_PID")"
    out="$(timeout 1200 redis-cli -p "$SERVER_PORT" --pipe <"$LOAD" 2>&1)" ||
        die "$name: loading failed: $out"
    echo "$out" | grep -q "errors: 0," || die "$name: errors while loading: $(echo "$out" | tail -n 1)"
    local first="${COMMAND#* }"
    first="${first%% *}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mem_before" "$(used_memory "$SERVER_PORT")" \
        "$rss_before" "$(rss_bytes "$SERVER_PID")" \
        "$(redis-cli -p "$SERVER_PORT" OBJECT ENCODING "${first//\{i\}/0}")" >>"$ROWS"
    stop_servers
}

echo "reddish: $REDDISH_BIN"
echo "redis:   $REDIS_BIN, $("$REDIS_BIN" -v | awk '{ print $3 }')"
echo "$KEYS x '$COMMAND'${SERVER_ARGS:+ (server args: $SERVER_ARGS)}"
echo
measure reddish "$REDDISH_BIN"
measure redis "$REDIS_BIN"
awk -F'\t' -v keys="$KEYS" '
    function mb(x) { return sprintf("%.1f MB", x / 1048576) }
    { name[NR] = $1; mem[NR] = $3; rss[NR] = $5
      per_mem[NR] = ($3 - $2) / keys; per_rss[NR] = ($5 - $4) / keys
      printf "%-8s used_memory %11s (%6.1f B/key)   RSS %11s (%6.1f B/key)   encoding %s\n",
          $1, mb($3), per_mem[NR], mb($5), per_rss[NR], $6 }
    END {
        if (NR == 2 && mem[2] > 0 && rss[2] > 0)
            printf "ratio reddish/redis: used_memory %.2f (per key %.2f), RSS %.2f (per key %.2f)\n",
                mem[1] / mem[2], per_mem[1] / per_mem[2], rss[1] / rss[2], per_rss[1] / per_rss[2]
    }' "$ROWS"
