# Shell helpers shared by the scripts in scripts/ (sourced, not run):
# starting a server on a free port in a scratch directory, stopping every
# server started this way when the script exits, and the benchmark table.
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
            port=$((20000 + RANDOM % 40000))
        fi
        port_open "$port" && continue
        "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" "$@" \
            >>"$dir/server.log" 2>&1 &
        pid=$!
        for i in $(seq 1 200); do
            kill -0 "$pid" 2>/dev/null || break
            if port_open "$port"; then
                STARTED_PIDS+=("$pid")
                SERVER_PORT=$port
                SERVER_PID=$pid
                return 0
            fi
            sleep 0.05
        done
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
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

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat")" || die "server process $1 is gone"
    # Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
    echo "${stat##*) }" | awk '{ print $12 + $13 }'
}

# The benchmark table of bench.sh (txbench.sh prints its rows too): per test
# and pipeline depth, each server's requests/s, the ratio reddish/redis, and
# each server's CPU seconds per million requests.
BENCH_ROW_FORMAT="%-34s %3s %12s %12s %7s %10s %10s\n"

bench_table_header() {
    # shellcheck disable=SC2059 # the format is the shared row format
    printf "$BENCH_ROW_FORMAT" test P "reddish rps" "redis rps" ratio reddish redis
    # shellcheck disable=SC2059
    printf "$BENCH_ROW_FORMAT" "" "" "" "" "" "CPU s/M" "CPU s/M"
}

# bench_table_row TEST P OURS THEIRS OUR_CPU THEIR_CPU ("-" where a run failed).
bench_table_row() {
    local ratio
    ratio="$(awk -v a="$3" -v b="$4" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }')"
    # shellcheck disable=SC2059
    printf "$BENCH_ROW_FORMAT" "$1" "$2" "$3" "$4" "$ratio" "$5" "$6"
}
