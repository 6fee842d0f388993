#!/usr/bin/env bash
# Makes sure the Debian packages the tests and benchmarks use are installed:
# redis-tools (redis-cli, redis-benchmark) and redis-server (the real Redis
# that reddish is compared with), and any packages named as arguments, each
# providing a command of its name (scripts/instructions.sh: valgrind). As root
# it installs what is missing with apt-get; otherwise it prints the command to
# run and fails.
set -euo pipefail

missing=()
for package in "$@"; do
    command -v "$package" >/dev/null 2>&1 || missing+=("$package")
done
command -v redis-cli >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 ||
    missing+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

install_cmd="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing ${missing[*]}; install them with:" >&2
    echo "    sudo sh -c '$install_cmd'" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
