#!/usr/bin/env bash
# Benchmarks a sequence of commands sent as one unit -- by default a
# MULTI/SET/INCR/EXEC transaction -- against reddish and the real
# redis-server side by side. redis-benchmark cannot do this: with a custom
# command line it repeats that one command (`-P 16 MULTI` sends sixteen
# MULTIs), so the load comes from examples/txbench.rs (built here), which
# pipelines whole units. Prints per pipeline depth: units/s of each server,
# the ratio reddish/redis, and each server's CPU seconds per million units,
# as a row of scripts/bench.sh's table (which runs this script last).
#
# Settings (environment):
#   TX_UNIT        the unit, one command per line, __rand_int__ as in
#                  redis-benchmark -r (default: TX_DEFAULT_UNIT in scripts/lib.sh,
#                  MULTI/SET/INCR/EXEC)
#   TX_UNITS       units per run             (default: 100000)
#   TX_CLIENTS     parallel connections      (default: 50)
#   TX_PIPELINES   depths (units in flight per connection) (default: "1 16")
#   TX_KEYSPACE    range of __rand_int__     (default: 100000)
#   TX_ROWS_ONLY   1: print only the table rows (default: 0)
#   REDDISH_SERVER / REDIS_SERVER / BENCH_SERVERS as for scripts/bench.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

UNIT="${TX_UNIT:-$TX_DEFAULT_UNIT}"
UNITS="${TX_UNITS:-100000}"
CLIENTS="${TX_CLIENTS:-50}"
PIPELINES="${TX_PIPELINES:-1 16}"
KEYSPACE="${TX_KEYSPACE:-100000}"
TICKS_PER_SEC="$(getconf CLK_TCK)"

REDDISH_BIN="${REDDISH_BIN:-$(reddish_binary)}"
LOADGEN="$(txbench_binary)"
mapfile -t COMMANDS <<<"$UNIT"

start_both_servers

# run_one PORT PID PIPELINE: prints "units/s<TAB>CPU s per million units".
run_one() {
    local port="$1" pid="$2" pipeline="$3" before after result
    before="$(cpu_ticks "$pid")"
    result="$(timeout 600 "$LOADGEN" --port "$port" --clients "$CLIENTS" --units "$UNITS" \
        --pipeline "$pipeline" --keyspace "$KEYSPACE" -- "${COMMANDS[@]}")"
    after="$(cpu_ticks "$pid")"
    echo "$result" | awk -v t=$((after - before)) -v n="$UNITS" -v hz="$TICKS_PER_SEC" '
        { if ($4 > 0) print "txbench: " $4 " error replies" > "/dev/stderr"
          printf "%.0f\t%.2f\n", $1, t / hz * 1000000 / n }'
}

# The table row's name: the unit's command names, e.g. MULTI/SET/INCR/EXEC.
UNIT_NAME="$(tx_unit_name "${COMMANDS[@]}") (units)"

if [ "${TX_ROWS_ONLY:-0}" != 1 ]; then
    echo "reddish: $REDDISH_BIN (port $REDDISH_PORT)"
    echo "redis:   $REDIS_BIN (port $REDIS_PORT), $("$REDIS_BIN" -v | awk '{ print $3 }')"
    echo "unit: $(printf '%s; ' "${COMMANDS[@]}")"
    echo "$UNITS units per run, $CLIENTS clients; $(nproc) CPUs"
    echo
    bench_table_header
fi
for pipeline in $PIPELINES; do
    IFS=$'\t' read -r ours ours_cpu < <(run_one "$REDDISH_PORT" "$REDDISH_PID" "$pipeline")
    IFS=$'\t' read -r theirs theirs_cpu < <(run_one "$REDIS_PORT" "$REDIS_PID" "$pipeline")
    bench_table_row "$UNIT_NAME" "$pipeline" "$ours" "$theirs" "$ours_cpu" "$theirs_cpu"
done
