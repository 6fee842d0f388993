# Shell helpers shared by the scripts in scripts/ (sourced, not run):
# starting a server on a free port in a scratch directory, stopping every
# server started this way when the script exits, running redis-benchmark and
# the transaction load generator, and the benchmark table.
#
# Only bash, coreutils and awk are used: a fresh Debian machine has them.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/reddish-scripts.XXXXXX")"
STARTED_PIDS=()

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

stop_servers() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    STARTED_PIDS=()
}

# stop_server PID: stops one server that start_server started and waits
# until it has exited.
stop_server() {
    local pid keep=()
    kill "$1" 2>/dev/null && { wait "$1" 2>/dev/null || true; }
    for pid in "${STARTED_PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    STARTED_PIDS=("${keep[@]}")
}

cleanup() {
    stop_servers
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

require_tool() {
    command -v "$1" >/dev/null 2>&1 ||
        die "$1 not found; run 'make deps' (Debian: apt-get install -y redis-server redis-tools)"
}

# The reddish-server binary to test: $REDDISH_SERVER, else a release build
# (built now if missing).
reddish_binary() {
    if [ -n "${REDDISH_SERVER:-}" ]; then
        echo "$REDDISH_SERVER"
        return
    fi
    local bin="$REPO_ROOT/target/release/reddish-server"
    if [ ! -x "$bin" ]; then
        (cd "$REPO_ROOT" && cargo build --release --quiet) >&2 || die "cargo build --release failed"
    fi
    echo "$bin"
}

# Ports start_server takes in order when $SERVER_PORTS (space-separated)
# is set, e.g. a range reserved for this run; random free ones otherwise.
read -r -a FIXED_PORTS <<<"${SERVER_PORTS:-}"

# Words start_server puts before the server binary: a launcher that runs the
# server in its own process (exec), such as valgrind; none by default.
SERVER_LAUNCHER=()
# How long start_server waits for a server to accept connections.
SERVER_START_SECONDS=10

# The real redis-server to compare with: $REDIS_SERVER, else the one on PATH.
redis_binary() {
    local bin="${REDIS_SERVER:-$(command -v redis-server || true)}"
    [ -n "$bin" ] || die "redis-server not found; run 'make deps'"
    echo "$bin"
}

# start_server NAME BINARY [ARGS...]: starts BINARY on a free port with its
# own directory and log (under the scratch dir), waits until it accepts
# connections, and sets SERVER_PORT and SERVER_PID. Retries on another port
# if the chosen one was taken meanwhile.
start_server() {
    local name="$1" bin="$2"
    shift 2
    local dir="$SCRATCH/$name" attempt port pid i
    mkdir -p "$dir"
    for attempt in 1 2 3 4 5; do
        if [ "${#FIXED_PORTS[@]}" -gt 0 ]; then
            port="${FIXED_PORTS[0]}"
            FIXED_PORTS=("${FIXED_PORTS[@]:1}")
        else
            # Below Linux's ephemeral range (32768-60999), where clients'
            # own ports would collide.
            port=$((10000 + RANDOM % 22000))
        fi
        port_open "$port" && continue
        "${SERVER_LAUNCHER[@]}" "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" "$@" \
            >>"$dir/server.log" 2>&1 &
        pid=$!
        for i in $(seq 1 $((SERVER_START_SECONDS * 20))); do
            kill -0 "$pid" 2>/dev/null || break
            if port_open "$port"; then
                STARTED_PIDS+=("$pid")
                SERVER_PORT=$port
                SERVER_PID=$pid
                return 0
            fi
            sleep 0.05
        done
        # It may have exited already, refused the port (a client's
        # ephemeral port, not listening, so port_open missed it): its exit
        # status must not stop a `set -e` caller before the next attempt.
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    echo "--- $dir/server.log:" >&2
    tail -n 20 "$dir/server.log" >&2
    die "$name ($bin) did not start"
}

# start_both_servers: reddish ($REDDISH_BIN, else reddish_binary) and the real
# redis-server ($REDIS_SERVER, else the one on PATH), both without persistence,
# for side-by-side benchmarks. Sets REDDISH_BIN/PORT/PID and REDIS_BIN/PORT/PID.
# With $BENCH_SERVERS ("reddish-port reddish-pid redis-port redis-pid", how
# bench.sh hands its servers to txbench.sh) it uses those servers instead.
start_both_servers() {
    REDIS_BIN="${REDIS_SERVER:-$(command -v redis-server || true)}"
    [ -n "$REDIS_BIN" ] || die "redis-server not found; run 'make deps'"
    REDDISH_BIN="${REDDISH_BIN:-$(reddish_binary)}"
    if [ -n "${BENCH_SERVERS:-}" ]; then
        read -r REDDISH_PORT REDDISH_PID REDIS_PORT REDIS_PID <<<"$BENCH_SERVERS"
        return
    fi
    start_server reddish "$REDDISH_BIN" --save "" --appendonly no
    REDDISH_PORT=$SERVER_PORT REDDISH_PID=$SERVER_PID
    start_server redis "$REDIS_BIN" --save "" --appendonly no
    REDIS_PORT=$SERVER_PORT REDIS_PID=$SERVER_PID
}

# The tests of scripts/bench.sh, also scripts/instructions.sh's: strings,
# lists, sets, hashes, sorted sets, LRANGE, and XADD and XRANGE over a stream
# (bench:read, see prefill_stream).
BENCH_DEFAULT_TESTS="set,get,incr,mset,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600"
BENCH_DEFAULT_TESTS+=",XADD bench:add * field value,XRANGE bench:read - + COUNT 10"
BENCH_DEFAULT_TESTS+=",GEOADD bench:geo __rand_int__e-5 __rand_int__e-5 m:__rand_int__"
BENCH_DEFAULT_TESTS+=",GEOSEARCH bench:geo FROMLONLAT __rand_int__e-5 __rand_int__e-5 BYRADIUS 1 km"
# The PFCOUNT rows read the HyperLogLogs the PFADD rows fill before them.
BENCH_DEFAULT_TESTS+=",PFADD bench:hll:__rand_int__ __rand_int__,PFADD bench:hll __rand_int__"
BENCH_DEFAULT_TESTS+=",PFCOUNT bench:hll,PFCOUNT bench:hll bench:hll:__rand_int__"
# PUBLISH to a channel nobody listens to, and to one with FAN_SUBSCRIBERS.
BENCH_DEFAULT_TESTS+=",PUBLISH bench:quiet __rand_int__,PUBLISH bench:fan __rand_int__"
FAN_SUBSCRIBERS=50
# Scripts called by SHA1 (cached, loaded first) and the same as functions:
# one GET, and an INCR plus an EXPIRE on one key.
BENCH_SCRIPT_GET="return redis.call('get', KEYS[1])"
BENCH_SCRIPT_INCR="local n = redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 100) return n"
BENCH_SHA_GET="$(printf '%s' "$BENCH_SCRIPT_GET" | sha1sum | cut -d' ' -f1)"
BENCH_SHA_INCR="$(printf '%s' "$BENCH_SCRIPT_INCR" | sha1sum | cut -d' ' -f1)"
BENCH_LIBRARY="#!lua name=bench
redis.register_function('bench_get', function(keys) return redis.call('get', keys[1]) end)
redis.register_function('bench_incr', function(keys)
    local n = redis.call('incr', keys[1]) redis.call('expire', keys[1], 100) return n
end)"
BENCH_DEFAULT_TESTS+=",EVALSHA $BENCH_SHA_GET 1 key:__rand_int__,EVALSHA $BENCH_SHA_INCR 1 counter:__rand_int__"
BENCH_DEFAULT_TESTS+=",FCALL bench_get 1 key:__rand_int__,FCALL bench_incr 1 counter:__rand_int__"

# start_subscribers PORT CHANNEL COUNT: COUNT redis-cli processes subscribed
# to CHANNEL on PORT, reading into /dev/null until the script exits.
start_subscribers() {
    local port="$1" channel="$2" count="$3" i
    for ((i = 0; i < count; i++)); do
        redis-cli -p "$port" SUBSCRIBE "$channel" >/dev/null 2>&1 &
        STARTED_PIDS+=($!)
    done
    for ((i = 0; i < 100; i++)); do
        [ "$(redis-cli -p "$port" PUBSUB NUMSUB "$channel" | tail -n 1)" = "$count" ] && return
        sleep 0.1
    done
    die "the $count subscribers of $channel on port $port did not all subscribe"
}

# prepare_for_tests PORT TESTS: what the tests in TESTS read, on the server
# at PORT: the stream bench:read (PREFILL entries), the subscribers of
# bench:fan, the cached scripts EVALSHA calls, the functions FCALL calls.
prepare_for_tests() {
    [[ "$2" != *bench:read* ]] || prefill_stream "$1" "$PREFILL"
    [[ "$2" != *bench:fan* ]] || start_subscribers "$1" bench:fan "$FAN_SUBSCRIBERS"
    if [[ "$2" == *EVALSHA* ]]; then
        redis-cli -p "$1" SCRIPT LOAD "$BENCH_SCRIPT_GET" >/dev/null
        redis-cli -p "$1" SCRIPT LOAD "$BENCH_SCRIPT_INCR" >/dev/null
    fi
    [[ "$2" != *FCALL* ]] || redis-cli -p "$1" FUNCTION LOAD REPLACE "$BENCH_LIBRARY" >/dev/null
}

# run_benchmark LABEL PORT TEST [ARGS...]: one redis-benchmark run of TEST (a
# -t name, or a command line run as redis-benchmark's custom command) against
# PORT with ARGS (-c, -n, -P, ...). Prints "row<TAB>requests/s" per result row
# (lrange also runs the LPUSH that fills its list: row "LPUSH (LRANGE fill)").
# Fails when redis-benchmark does (e.g. a command the server does not have
# yet), saying "LABEL: " and why on stderr.
# BENCH_CLIENT_LAUNCHER (an array, empty by default) goes before
# redis-benchmark's command line, e.g. (taskset -c 1).
BENCH_CLIENT_LAUNCHER=()
run_benchmark() {
    local label="$1" port="$2" test="$3" csv words
    shift 3
    if [[ "$test" == *" "* ]]; then
        read -r -a words <<<"$test"
    else
        words=(-t "$test")
    fi
    if ! csv="$(timeout 600 "${BENCH_CLIENT_LAUNCHER[@]}" redis-benchmark -p "$port" "$@" --csv "${words[@]}" 2>&1)"; then
        echo "$label: $(echo "$csv" | grep -v WARNING | head -n 1)" >&2
        return 1
    fi
    echo "$csv" | grep '^"' | awk -F'","' '
        NR > 1 { gsub(/"/, "", $1); sub(/ \(needed to benchmark LRANGE\)/, " (LRANGE fill)", $1)
                 sub(/ \(first .*/, "", $1); gsub(/"/, "", $2); print $1 "\t" $2 }'
}

# prefill_stream PORT COUNT: puts COUNT entries in stream bench:read, which
# the XRANGE test reads.
prefill_stream() {
    redis-benchmark -p "$1" -c 10 -n "$2" -P 50 -q \
        XADD bench:read '*' field value other 12345 >/dev/null
    [ "$(redis-cli -p "$1" XLEN bench:read)" = "$2" ] ||
        die "prefill of bench:read on port $1 failed"
}

# The unit of scripts/txbench.sh, one command per line.
TX_DEFAULT_UNIT='MULTI
SET key:__rand_int__ xxx
INCR counter:__rand_int__
EXEC'

# txbench_binary: builds examples/txbench.rs (the load generator for units of
# several commands, which redis-benchmark cannot send) and prints its path.
txbench_binary() {
    (cd "$REPO_ROOT" && cargo build --release --quiet --example txbench) >&2 ||
        die "cargo build --release --example txbench failed"
    echo "$REPO_ROOT/target/release/examples/txbench"
}

# tx_unit_name COMMAND...: a unit's table row name, e.g. MULTI/SET/INCR/EXEC.
tx_unit_name() {
    printf '%s\n' "$@" | awk '{ printf "%s%s", (NR > 1 ? "/" : ""), $1 }'
}

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat")" || die "server process $1 is gone"
    # Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
    echo "${stat##*) }" | awk '{ print $12 + $13 }'
}

# The benchmark table of bench.sh (txbench.sh prints its rows too): per test
# and pipeline depth, each server's requests/s, the ratio reddish/redis,
# each server's CPU seconds per million requests, and the load generator's
# CPU seconds per million requests against each ("-" where not measured).
BENCH_ROW_FORMAT="%-34s %3s %12s %12s %7s %10s %10s %10s %10s\n"

bench_table_header() {
    # shellcheck disable=SC2059 # the format is the shared row format
    printf "$BENCH_ROW_FORMAT" test P "reddish rps" "redis rps" ratio reddish redis "client->" "client->"
    # shellcheck disable=SC2059
    printf "$BENCH_ROW_FORMAT" "" "" "" "" "" "CPU s/M" "CPU s/M" "reddish" "redis"
}

# bench_table_row TEST P OURS THEIRS OUR_CPU THEIR_CPU [CLIENT_CPU_OURS
# CLIENT_CPU_THEIRS] ("-" where a run failed or a figure was not measured).
bench_table_row() {
    local ratio
    ratio="$(awk -v a="$3" -v b="$4" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }')"
    # shellcheck disable=SC2059
    printf "$BENCH_ROW_FORMAT" "$1" "$2" "$3" "$4" "$ratio" "$5" "$6" "${7:--}" "${8:--}"
}
