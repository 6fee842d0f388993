# reddish: build, run, test, benchmark, lint.
#   make run ARGS="--port 7000 --loglevel verbose"
#   make test            cargo tests + scripts/smoke.sh (installs redis-tools/redis-server if missing)
#   make bench           scripts/bench.sh: reddish vs redis-server side by side (see the script for settings)
#   make bench-tx        scripts/txbench.sh: the same for MULTI/SET/INCR/EXEC transactions
#   make bench-rdb       scripts/bench-rdb.sh: SAVE and load times of 1M keys, reddish vs redis-server
#   make instructions    scripts/instructions.sh: instructions per request under callgrind, reddish vs redis-server

CARGO ?= cargo
ARGS ?=
RELEASE_BIN := target/release/reddish-server
DEBUG_BIN := target/debug/reddish-server

.PHONY: build run test bench bench-tx bench-rdb instructions lint deps

build:
	$(CARGO) build --release

run: build
	$(RELEASE_BIN) $(ARGS)

# cargo test builds the debug binary the smoke test then drives.
test: deps
	$(CARGO) test
	REDDISH_SERVER=$(DEBUG_BIN) scripts/smoke.sh

bench: build deps
	REDDISH_SERVER=$(RELEASE_BIN) scripts/bench.sh

bench-tx: build deps
	REDDISH_SERVER=$(RELEASE_BIN) scripts/txbench.sh

bench-rdb: build deps
	REDDISH_SERVER=$(RELEASE_BIN) scripts/bench-rdb.sh

instructions: build
	scripts/deps.sh valgrind
	REDDISH_SERVER=$(RELEASE_BIN) scripts/instructions.sh

lint:
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

deps:
	scripts/deps.sh
