#!/usr/bin/env bash
# Counts the user-space instructions each server executes per request, the
# figure that stays steady where requests/s do not. Each server runs under
# valgrind's callgrind with instrumentation off (start-up is not counted);
# for each test, `callgrind_control -i on` starts counting, redis-benchmark
# runs the test (at -P 16 by default, like scripts/bench.sh's second pass),
# `callgrind_control -i off` stops counting and `callgrind_control -d` dumps
# the count since the previous dump; the server is stopped only after the
# last dump (shutdown is not counted). Prints one table: per test, the
# instructions per request (the dump's Ir total / the test's requests) of
# reddish, optionally of another reddish binary (INSTR_BASELINE, e.g. the
# build before a change, with reddish's change against it in percent), and
# of the real redis-server, with the ratio reddish/redis.
#
# callgrind rather than `perf stat -e instructions:u`: hardware counters are
# not available everywhere (virtual machines), and callgrind counts the same
# thing exactly, only about 50 times slower. Because of that slowdown, work
# driven by the clock (the cron) would count 50 times more per request than
# at full speed, so the servers run with --hz 1 (INSTR_SERVER_ARGS). They
# also keep their command line (--set-proc-title no): callgrind_control
# finds a server by the valgrind command line in /proc/PID/cmdline, which a
# process title would overwrite.
#
# Counts are steady: reddish's move by under 0.7% from run to run, most
# tests' by under 0.5% (its hash tables are seeded at random per start, which
# changes how many key comparisons lookups make); redis-server's by up to 3%
# (a command whose name shares a bucket of its randomly seeded command table
# costs ~130 more instructions per request). They include accepting and
# closing the benchmark's connections: the server has closed them before
# counting stops.
#
# The tests run in order on one server per round, as in scripts/bench.sh: a
# test finds what the ones before it left (GET reads SET's keys, LPOP pops
# LPUSH's list, ZPOPMIN ZADD's set), so compare runs of the same test list.
# LRANGE's count includes the LPUSH run that fills its list (counted per
# LRANGE request); the transaction is counted per MULTI/SET/INCR/EXEC unit.
#
# Settings (environment):
#   INSTR_TESTS      comma-separated tests: a redis-benchmark -t name, a
#                    command line run as its custom command, or "tx" (the
#                    unit of scripts/txbench.sh, TX_UNIT); "TEST=N" runs N
#                    requests (units) of that test instead of INSTR_REQUESTS
#                    (default: scripts/bench.sh's tests and tx, with
#                    fewer requests for the costly LRANGE and XRANGE)
#   INSTR_REQUESTS   requests per test (-n), a multiple of the pipeline
#                    depth                     (default: 100000)
#   INSTR_CLIENTS    parallel connections (-c) (default: 50)
#   INSTR_PIPELINE   pipeline depth (-P)       (default: 16)
#   INSTR_ARGS       extra redis-benchmark args (default: "-r 100000")
#   INSTR_PREFILL    entries put in stream bench:read first (not counted),
#                    for tests that read it    (default: 10000)
#   INSTR_ROUNDS     runs of the whole list per server, each on a fresh
#                    server; the table shows the mean and, in parentheses,
#                    the spread (max - min) / mean  (default: 1)
#   INSTR_REDIS      1: also measure redis-server (default: 1)
#   INSTR_BASELINE   another reddish binary to measure the same way, shown
#                    before reddish with the change in percent (default: none)
#   INSTR_SERVER_ARGS  extra arguments of every server
#                      (default: "--hz 1 --set-proc-title no")
#   INSTR_KEEP       a directory to copy callgrind's dumps to, one per server,
#                    round and test, for callgrind_annotate (default: none)
#   TX_UNIT, TX_KEYSPACE  as for scripts/txbench.sh
#   SERVER_PORTS     ports the servers take in turn (default: random free ports)
#   REDDISH_SERVER   reddish binary             (default: target/release, built if missing)
#   REDIS_SERVER     real Redis binary          (default: redis-server on PATH)
# A test a server fails shows "-" and the error on stderr.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DEFAULT_TESTS="${BENCH_DEFAULT_TESTS/mset/mset=20000}"
DEFAULT_TESTS="${DEFAULT_TESTS/lrange_100/lrange_100=10000}"
DEFAULT_TESTS="${DEFAULT_TESTS/lrange_600/lrange_600=2000}"
DEFAULT_TESTS="${DEFAULT_TESTS/COUNT 10/COUNT 10=20000},tx=20000"
TESTS="${INSTR_TESTS:-$DEFAULT_TESTS}"
REQUESTS="${INSTR_REQUESTS:-100000}"
CLIENTS="${INSTR_CLIENTS:-50}"
PIPELINE="${INSTR_PIPELINE:-16}"
EXTRA_ARGS="${INSTR_ARGS:--r 100000}"
PREFILL="${INSTR_PREFILL:-10000}"
ROUNDS="${INSTR_ROUNDS:-1}"
SERVER_ARGS="${INSTR_SERVER_ARGS:---hz 1 --set-proc-title no}"
KEEP="${INSTR_KEEP:-}"
UNIT="${TX_UNIT:-$TX_DEFAULT_UNIT}"
KEYSPACE="${TX_KEYSPACE:-100000}"
IFS=, read -r -a TEST_LIST <<<"$TESTS"
mapfile -t COMMANDS <<<"$UNIT"

require_tool valgrind
require_tool callgrind_control
require_tool redis-benchmark
require_tool redis-cli
[ -z "$KEEP" ] || mkdir -p "$KEEP"

# The servers, in table order: "label<TAB>binary".
SERVERS=()
[ -z "${INSTR_BASELINE:-}" ] || SERVERS+=("baseline"$'\t'"$INSTR_BASELINE")
SERVERS+=("reddish"$'\t'"$(reddish_binary)")
[ "${INSTR_REDIS:-1}" != 1 ] || SERVERS+=("redis"$'\t'"$(redis_binary)")
[[ ",$TESTS," != *,tx[,=]* ]] || LOADGEN="$(txbench_binary)"
# The server binaries start under valgrind, which takes a while.
SERVER_START_SECONDS=60

# test_requests TEST: the requests to run of TEST ("TEST=N" or INSTR_REQUESTS).
test_requests() {
    if [[ "$1" =~ =([0-9]+)$ ]]; then
        echo "${BASH_REMATCH[1]}"
    else
        echo "$REQUESTS"
    fi
}

# run_test LABEL PORT TEST N: runs N requests of TEST (without "=N") and
# prints its row name; fails if the run did.
run_test() {
    local label="$1" port="$2" test="$3" n="$4" rows result
    if [ "$test" = tx ]; then
        result="$(timeout 600 "$LOADGEN" --port "$port" --clients "$CLIENTS" --units "$n" \
            --pipeline "$PIPELINE" --keyspace "$KEYSPACE" -- "${COMMANDS[@]}")" || return 1
        # The fourth field counts error replies.
        [ "$(echo "$result" | awk '{ print $4 }')" = 0 ] || {
            echo "$label: txbench: $result" >&2
            return 1
        }
        tx_unit_name "${COMMANDS[@]}"
        echo
        return
    fi
    # shellcheck disable=SC2086 # EXTRA_ARGS is a word list on purpose
    rows="$(run_benchmark "$label" "$port" "$test" -c "$CLIENTS" -n "$n" -P "$PIPELINE" $EXTRA_ARGS)" ||
        return 1
    # The last row is the test's own (lrange's first one is its fill).
    echo "$rows" | awk -F'\t' 'END { print $1 }'
}

# dump_total FILE: the Ir total of a callgrind dump, once it is written.
dump_total() {
    local i
    for i in $(seq 1 100); do
        if [ -f "$1" ] && grep -q '^totals:' "$1"; then
            awk '/^totals:/ { print $2 }' "$1"
            return
        fi
        sleep 0.1
    done
    die "callgrind wrote no dump $1 (see $(dirname "$1")/server.log)"
}

# open_files PID: how many files (sockets included) a process has open.
open_files() {
    find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

# settle PID FILES: waits (up to 5 s) until the server has closed the
# benchmark's connections, so that their closing is always counted: until it
# has at most FILES open files again.
settle() {
    local i
    for i in $(seq 1 50); do
        [ "$(open_files "$1")" -gt "$2" ] || return 0
        sleep 0.1
    done
}

# measure LABEL BINARY ROUND: starts BINARY under callgrind, counts each test
# in turn, stops it. Prints "LABEL<TAB>index<TAB>row<TAB>instructions per
# request" per test ("-" where the run failed), and the progress on stderr.
measure() {
    local label="$1" bin="$2" round="$3" name="$1-$3" i test n row started fds total per dumps=0
    local out="$SCRATCH/$name/callgrind.out"
    SERVER_LAUNCHER=(valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$out")
    # shellcheck disable=SC2086 # SERVER_ARGS is a word list on purpose
    start_server "$name" "$bin" --save "" --appendonly no $SERVER_ARGS
    SERVER_LAUNCHER=()
    prepare_for_tests "$SERVER_PORT" "$TESTS"
    for i in "${!TEST_LIST[@]}"; do
        test="${TEST_LIST[$i]%=*}"
        n="$(test_requests "${TEST_LIST[$i]}")"
        started=$SECONDS
        fds="$(open_files "$SERVER_PID")"
        callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
        row="$(run_test "$label, $test" "$SERVER_PORT" "$test" "$n")" || row=""
        settle "$SERVER_PID" "$fds"
        callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
        callgrind_control -d "$SERVER_PID" >/dev/null 2>&1
        dumps=$((dumps + 1))
        total="$(dump_total "$out.$dumps")"
        [ -z "$KEEP" ] || cp "$out.$dumps" "$KEEP/$name.$((i + 1)).${test%% *}.callgrind"
        per=-
        [ -z "$row" ] || per="$(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.1f", t / n }')"
        echo "$label, round $round: ${row:-$test}: $per instructions/request ($((SECONDS - started)) s)" >&2
        printf '%s\t%s\t%s\t%s\n' "$label" "$i" "${row:-$test}" "$per"
    done
    stop_server "$SERVER_PID"
}

echo "instructions per request (callgrind Ir / requests): -P $PIPELINE, $CLIENTS clients," \
    "args: $EXTRA_ARGS, server args: $SERVER_ARGS; $ROUNDS round(s)"
for server in "${SERVERS[@]}"; do
    echo "${server%%$'\t'*}: ${server#*$'\t'}"
done
echo

# Every measurement, "label<TAB>index<TAB>row<TAB>value", the rounds interleaved.
RESULTS="$SCRATCH/results"
: >"$RESULTS"
for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${SERVERS[@]}"; do
        label="${server%%$'\t'*}"
        measure "$label" "${server#*$'\t'}" "$round" >>"$RESULTS"
    done
done

REQUEST_COUNTS="$(for test in "${TEST_LIST[@]}"; do test_requests "$test"; done | paste -sd, -)"
LABELS="$(for server in "${SERVERS[@]}"; do echo "${server%%$'\t'*}"; done | paste -sd, -)"
# The table: per test, each server's mean (and spread over rounds), then
# reddish's change against the baseline and the ratio reddish/redis.
awk -F'\t' -v labels="$LABELS" -v counts="$REQUEST_COUNTS" -v rounds="$ROUNDS" '
    { key = $1 SUBSEP $2
      # A row is named by the first server that ran its test.
      if (!(($2) in row) || ($4 != "-" && !(($2) in named))) row[$2] = $3
      if ($4 != "-") named[$2] = 1
      if ($4 == "-") failed[key] = 1
      else { sum[key] += $4; k[key]++
             if (!(key in lo) || $4 < lo[key]) lo[key] = $4
             if (!(key in hi) || $4 > hi[key]) hi[key] = $4 } }
    function mean(l, i) { return (failed[l, i] || !k[l, i]) ? "" : sum[l, i] / k[l, i] }
    function cell(l, i,   m) {
        m = mean(l, i)
        if (m == "") return "-"
        if (rounds == 1) return sprintf("%.0f", m)
        return sprintf("%.0f (%.2f%%)", m, (hi[l, i] - lo[l, i]) / m * 100)
    }
    END {
        nl = split(labels, label, ","); split(counts, count, ",")
        for (j = 1; j <= nl; j++) has[label[j]] = 1
        fmt = "%-32s %9s"; line = sprintf(fmt, "test", "requests")
        for (j = 1; j <= nl; j++) line = line sprintf(" %17s", label[j])
        if (has["baseline"]) line = line sprintf(" %9s", "change")
        if (has["redis"]) line = line sprintf(" %13s", "reddish/redis")
        print line
        for (i = 0; (i "") in row; i++) {
            line = sprintf(fmt, row[i], count[i + 1])
            for (j = 1; j <= nl; j++) line = line sprintf(" %17s", cell(label[j], i))
            a = mean("reddish", i)
            if (has["baseline"]) {
                b = mean("baseline", i)
                line = line sprintf(" %9s", (a == "" || b == "") ? "-" : sprintf("%+.2f%%", (a / b - 1) * 100))
            }
            if (has["redis"]) {
                b = mean("redis", i)
                line = line sprintf(" %13s", (a == "" || b == "") ? "-" : sprintf("%.2f", a / b))
            }
            print line
        }
    }' "$RESULTS"
