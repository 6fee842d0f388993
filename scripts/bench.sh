#!/usr/bin/env bash
# Benchmarks reddish against the real redis-server in the same run: both are
# started here (free ports, scratch directories, no persistence), then for
# each pipeline depth and each test, redis-benchmark runs once against each
# server in turn; last come the MULTI/SET/INCR/EXEC transactions of
# scripts/txbench.sh on the same servers. Prints one table: per test,
# requests/s of each, the ratio reddish/redis, and each server's CPU seconds
# per million requests (utime + stime from /proc/<pid>/stat, read before and
# after the run; steadier than requests/s on a busy machine), and the CPU
# redis-benchmark itself spent per million requests against each: the load
# generator needs a core too, so when its figure is close to a server's the
# rate measures the client as much as the server.
#
# Settings (environment):
#   BENCH_TESTS      comma-separated tests: a redis-benchmark -t name, or a
#                    command line run as redis-benchmark's custom command
#                    (default: strings, lists, sets, hashes, sorted sets,
#                    XADD, XRANGE, GEOADD, GEOSEARCH, PFADD, PFCOUNT, and
#                    PUBLISH to 0 and to 50 subscribers;
#                    see BENCH_DEFAULT_TESTS
#                    in scripts/lib.sh)
#   BENCH_REQUESTS   requests of the warm-up run of each test, and the
#                    fewest of a measured run (-n)   (default: 100000)
#   BENCH_SECONDS    how long a measured run should last: each test first
#                    runs once against both servers with BENCH_REQUESTS
#                    requests (a warm-up, not counted), and the measured
#                    rounds then send as many requests as the slower
#                    server answered in this many seconds (default: 1.5;
#                    at -P 16 a fixed 100000 requests last 0.1 s, too
#                    short to measure, mostly connection set-up)
#   BENCH_CLIENTS    parallel connections (-c)  (default: 50)
#   BENCH_PIPELINES  depths to run (-P)         (default: "1 16")
#   BENCH_ROUNDS     runs of each test per server, alternating; the table
#                    shows each server's best requests/s and its CPU over
#                    all rounds (default: 3; a shared machine is noisy)
#   BENCH_ARGS       extra redis-benchmark args (default: "-r 100000", random keys)
#   BENCH_PIN        1: both servers run on CPU 0 and redis-benchmark on
#                    CPU 1 (taskset), so neither server shares a core with
#                    the load generator or migrates; steadier on 2 cores
#                    (default: 1 when there are at least 2 CPUs and taskset)
#   BENCH_PREFILL    entries put in stream bench:read first, for tests that
#                    read it                    (default: 10000)
#   BENCH_TX         1: also run scripts/txbench.sh's transactions (default: 1)
#   SERVER_PORTS     ports for reddish then redis (default: random free ports)
#   REDDISH_SERVER   reddish binary             (default: target/release, built if missing)
#   REDIS_SERVER     real Redis binary          (default: redis-server on PATH)
# A test redis-benchmark reports as several rows (lrange also runs the LPUSH
# that fills its list) shares the CPU of its run over all of them. A test a
# server fails (a command it does not have yet) shows "-" and the error on
# stderr; the other tests still run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TESTS="${BENCH_TESTS:-$BENCH_DEFAULT_TESTS}"
REQUESTS="${BENCH_REQUESTS:-100000}"
SECONDS_PER_RUN="${BENCH_SECONDS:-1.5}"
CLIENTS="${BENCH_CLIENTS:-50}"
PIPELINES="${BENCH_PIPELINES:-1 16}"
ROUNDS="${BENCH_ROUNDS:-3}"
EXTRA_ARGS="${BENCH_ARGS:--r 100000}"
PREFILL="${BENCH_PREFILL:-10000}"
RUN_TX="${BENCH_TX:-1}"
TICKS_PER_SEC="$(getconf CLK_TCK)"
IFS=, read -r -a TEST_LIST <<<"$TESTS"

require_tool redis-benchmark
require_tool redis-cli
start_both_servers

# children_ticks PID: CPU ticks (user + system) of the waited-for children
# of shell PID so far.
children_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat")"
    # Fields after "pid (comm) ": cutime is the 14th, cstime the 15th.
    echo "${stat##*) }" | awk '{ print $14 + $15 }'
}

# run_one NAME PORT PID PIPELINE TEST REQUESTS: prints "test<TAB>rps<TAB>
# server-ticks<TAB>client-ticks" per result row of one redis-benchmark run;
# a failed run (e.g. a command the server does not have yet) prints one row
# with rps "-" and says why on stderr.
run_one() {
    local name="$1" port="$2" pid="$3" pipeline="$4" test="$5" requests="$6"
    local before after client_before client_after rows shell="$BASHPID"
    before="$(cpu_ticks "$pid")"
    client_before="$(children_ticks "$shell")"
    # shellcheck disable=SC2086 # EXTRA_ARGS is a word list on purpose
    if ! rows="$(run_benchmark "$name, $test, -P $pipeline" "$port" "$test" \
        -c "$CLIENTS" -n "$requests" -P "$pipeline" $EXTRA_ARGS)"; then
        printf '%s\t-\t0\t0\n' "$test"
        return
    fi
    after="$(cpu_ticks "$pid")"
    client_after="$(children_ticks "$shell")"
    echo "$rows" | awk -v ticks=$((after - before)) -v client=$((client_after - client_before)) \
        '{ print $0 "\t" ticks "\t" client }'
}

# measured_requests PIPELINE TEST: runs TEST once against each server with
# $REQUESTS requests (a warm-up) and prints how many requests a measured run
# sends: what the slower server answered in $SECONDS_PER_RUN seconds, rounded
# to thousands, and never fewer than $REQUESTS.
measured_requests() {
    local pipeline="$1" test="$2" warmup
    warmup="$(run_one reddish "$REDDISH_PORT" "$REDDISH_PID" "$pipeline" "$test" "$REQUESTS"
        run_one redis "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$test" "$REQUESTS")"
    echo "$warmup" | awk -F'\t' -v least="$REQUESTS" -v secs="$SECONDS_PER_RUN" '
        $2 != "-" && (slowest == "" || $2 + 0 < slowest) { slowest = $2 + 0 }
        END { n = int(slowest * secs / 1000) * 1000; print (n > least ? n : least) }'
}

# The rows a failed run stands for: one per row the other server produced.
failed_rows_like() {
    echo "$1" | awk -F'\t' '{ print $1 "\t-\t0\t0" }'
}

# print_rows PIPELINE REQUESTS OURS THEIRS: one table line per result row,
# joining the rows of both servers (REQUESTS per round); "-" where a
# server's run failed.
print_rows() {
    local pipeline="$1" requests="$2" ours="$3" theirs="$4"
    local test rps cpu their_rps their_cpu client their_client
    [[ "$ours" == *$'\t-\t'* ]] && ours="$(failed_rows_like "$theirs")"
    [[ "$theirs" == *$'\t-\t'* ]] && theirs="$(failed_rows_like "$ours")"
    paste <(echo "$ours") <(echo "$theirs") | awk -F'\t' -v n="$((requests * ROUNDS))" -v hz="$TICKS_PER_SEC" '
        function rps(x) { return x == "-" ? "-" : sprintf("%.0f", x) }
        function cpu(ticks, rps_field) { return rps_field == "-" ? "-" : sprintf("%.2f", ticks * per_m) }
        { rows[NR] = $0 }
        END {
            per_m = 1000000 / (n * NR) / hz
            for (i = 1; i <= NR; i++) {
                split(rows[i], f, "\t")
                print f[1] "\t" rps(f[2]) "\t" rps(f[6]) "\t" cpu(f[3], f[2]) "\t" cpu(f[7], f[6]) \
                    "\t" cpu(f[4], f[2]) "\t" cpu(f[8], f[6])
            }
        }' | while IFS=$'\t' read -r test rps their_rps cpu their_cpu client their_client; do
        bench_table_row "$test" "$pipeline" "$rps" "$their_rps" "$cpu" "$their_cpu" "$client" "$their_client"
    done
}

# best_of_rounds: joins the rows of several rounds of one test (read on
# stdin) by row name, keeping the first-seen order: the best requests/s and
# the summed CPU ticks of the server and of the client; "-" if any round
# failed.
best_of_rounds() {
    awk -F'\t' '
        NF == 0 { next }
        !($1 in rps) { order[++n] = $1; rps[$1] = $2; ticks[$1] = 0; client[$1] = 0 }
        { ticks[$1] += $3; client[$1] += $4
          if ($2 == "-" || rps[$1] == "-") rps[$1] = "-"
          else if ($2 + 0 > rps[$1] + 0) rps[$1] = $2 }
        END { for (i = 1; i <= n; i++) { r = order[i]; print r "\t" rps[r] "\t" ticks[r] "\t" client[r] } }'
}

PIN="${BENCH_PIN:-$([ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && echo 1 || echo 0)}"
if [ "$PIN" = 1 ]; then
    taskset -a -pc 0 "$REDDISH_PID" >/dev/null
    taskset -a -pc 0 "$REDIS_PID" >/dev/null
    BENCH_CLIENT_LAUNCHER=(taskset -c 1)
fi

prepare_for_tests "$REDDISH_PORT" "$TESTS"
prepare_for_tests "$REDIS_PORT" "$TESTS"
echo "reddish: $REDDISH_BIN (port $REDDISH_PORT)"
echo "redis:   $REDIS_BIN (port $REDIS_PORT), $("$REDIS_BIN" -v | awk '{ print $3 }')"
echo "each test: a warm-up run of $REQUESTS requests, then $ROUNDS rounds of runs lasting about $SECONDS_PER_RUN s (best rate shown); $CLIENTS clients, args: $EXTRA_ARGS; $(nproc) CPUs$([ "$PIN" = 1 ] && echo ", servers on CPU 0, redis-benchmark on CPU 1")"
echo
bench_table_header
for pipeline in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
        ours=""
        theirs=""
        requests="$(measured_requests "$pipeline" "$test")"
        for ((round = 1; round <= ROUNDS; round++)); do
            ours+="$(run_one reddish "$REDDISH_PORT" "$REDDISH_PID" "$pipeline" "$test" "$requests")"$'\n'
            theirs+="$(run_one redis "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$test" "$requests")"$'\n'
        done
        print_rows "$pipeline" "$requests" "$(best_of_rounds <<<"$ours")" "$(best_of_rounds <<<"$theirs")"
    done
    if [ "$RUN_TX" = 1 ]; then
        BENCH_SERVERS="$REDDISH_PORT $REDDISH_PID $REDIS_PORT $REDIS_PID" REDDISH_BIN="$REDDISH_BIN" \
            TX_PIPELINES="$pipeline" TX_ROWS_ONLY=1 "$(dirname "$0")/txbench.sh"
    fi
done
