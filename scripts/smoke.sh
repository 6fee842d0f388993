#!/usr/bin/env bash
# Smoke test: starts a fresh reddish-server (free port, scratch directory,
# stopped on exit) and drives it with redis-cli, checking every reply as
# redis-cli prints it (--no-raw). Stops at the first mismatch, non-zero.
#
#   scripts/smoke.sh                      # tests target/release/reddish-server
#   REDDISH_SERVER=path/to/bin scripts/smoke.sh
#   REDDISH_SERVER=$(command -v redis-server) scripts/smoke.sh   # the expectations hold for real Redis
#
# A new check is one line: `expect "<reply>" CMD args...` (multi-line replies
# as $'1) "a"\n2) "b"'), or `eventually "<reply>" CMD args...` for a reply
# that must show up within 2 seconds.
set -euo pipefail
# A command that stops the script under `set -e` says where.
trap 'echo "smoke: stopped at line $LINENO: $BASH_COMMAND (status $?)" >&2' ERR
source "$(dirname "$0")/lib.sh"

require_tool redis-cli
start_server smoke "$(reddish_binary)" --save "" --appendonly no
CHECKS=0

cli() {
    timeout 10 redis-cli -p "$SERVER_PORT" --no-raw "$@" 2>&1
}

fail() {
    local want="$1" got="$2"
    shift 2
    echo "FAIL:$(printf ' %q' "$@")" >&2
    echo "  expected: $want" >&2
    echo "  got:      $got" >&2
    exit 1
}

expect() {
    local want="$1" got
    shift
    got="$(cli "$@")" || true
    [ "$got" = "$want" ] || fail "$want" "$got" "$@"
    CHECKS=$((CHECKS + 1))
}

eventually() {
    local want="$1" got i
    shift
    for i in $(seq 1 40); do
        got="$(cli "$@")" || true
        if [ "$got" = "$want" ]; then
            CHECKS=$((CHECKS + 1))
            return
        fi
        sleep 0.05
    done
    fail "$want (within 2s)" "$got" "$@"
}

# True when the server knows the command (families land one by one).
supports() {
    case "$(cli "$@")" in
    *"unknown command"*) return 1 ;;
    *) return 0 ;;
    esac
}

# --- strings
expect 'OK' SET greeting hello
expect '"hello"' GET greeting
expect '(nil)' GET missing
expect '(integer) 5' STRLEN greeting
expect '(integer) 11' APPEND greeting " world"
expect '"hello world"' GET greeting
expect '"world"' GETRANGE greeting 6 -1
expect '"hell"' SUBSTR greeting 0 3
expect '(integer) 11' SETRANGE greeting 0 J
expect '"Jello world"' GETSET greeting bye
expect '"bye"' GETDEL greeting
expect '(nil)' GET greeting
expect '(integer) 1' SETNX fresh 1
expect '(integer) 0' SETNX fresh 2
expect '(nil)' SET fresh 3 NX
expect '"1"' SET fresh 3 GET
expect 'OK' MSET a 1 b 2 c 3
expect $'1) "1"\n2) "2"\n3) (nil)\n4) "3"' MGET a b nokey c
expect '(integer) 0' MSETNX a 9 z 9
expect '(integer) 1' MSETNX y 8 z 9
expect 'OK' MSET lcs1 ohmytext lcs2 mynewtext
expect '"mytext"' LCS lcs1 lcs2
expect '(integer) 6' LCS lcs1 lcs2 LEN

# --- counters
expect '(integer) 1' INCR counter
expect '(integer) 11' INCRBY counter 10
expect '(integer) 10' DECR counter
expect '(integer) 0' DECRBY counter 10
expect '"1.5"' INCRBYFLOAT counter 1.5
expect '(error) ERR value is not an integer or out of range' INCR counter
expect '(error) ERR value is not an integer or out of range' INCRBY a notanumber
expect 'OK' SET max 9223372036854775807
expect '(error) ERR increment or decrement would overflow' INCR max

# --- expiry
expect 'OK' SET short v PX 100
expect '"v"' GET short
eventually '(nil)' GET short
expect 'OK' SETEX sx 100 v
expect 'OK' PSETEX psx 100 v
eventually '(nil)' GET psx
expect '(error) ERR invalid expire time in '"'"'set'"'"' command' SET k v EX 0
expect '(error) ERR invalid expire time in '"'"'setex'"'"' command' SETEX k -1 v
expect '"v"' GETEX sx PERSIST
if supports TTL missing; then
    expect 'OK' SET ttlkey v EX 100
    expect '(integer) 100' TTL ttlkey
    expect '(integer) -1' TTL sx
    expect '(integer) -2' TTL missing
else
    echo "smoke: TTL not implemented yet; its checks skipped"
fi

# --- the Lua debugger, as redis-cli --ldb drives it (commands on stdin):
# a forked session's write is thrown away, a SYNC one's is kept.
printf "redis.call('set', KEYS[1], ARGV[1])\nredis.debug(ARGV[1])\nreturn redis.call('get', KEYS[1])\n" \
    >"$SCRATCH/ldb.lua"
ldb() {
    printf 's\np\nc\n' | timeout 10 redis-cli -p "$SERVER_PORT" "$@" --eval "$SCRATCH/ldb.lua" ldbkey , v 2>&1 |
        sed 's/\x1b\[[0-9;]*m//g'
}
ldb_want=$'* Stopped at 1, stop reason = step over\n-> 1   redis.call(\'set\', KEYS[1], ARGV[1])\n<redis> set ldbkey v\n<reply> "+OK"\n* Stopped at 2, stop reason = step over\n-> 2   redis.debug(ARGV[1])\nNo local variables in the current context.\n<debug> line 2: "v"\n\n"v"'
for mode in --ldb --ldb-sync-mode; do
    got="$(ldb "$mode" | sed -n '/^\* Stopped at 1/,/^"v"/p')" || true
    [ "$got" = "$ldb_want" ] || fail "$ldb_want" "$got" redis-cli "$mode" --eval ldb.lua
    CHECKS=$((CHECKS + 1))
    [ "$mode" = --ldb ] && expect '(nil)' GET ldbkey
done
expect '"v"' GET ldbkey

# --- errors every client sees the same way
expect '(error) ERR syntax error' SET k v NX XX
expect "(error) ERR wrong number of arguments for 'get' command" GET
expect "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' " NOSUCHCOMMAND x

echo "smoke: $CHECKS checks passed ($(basename "$(reddish_binary)") on port $SERVER_PORT)"
