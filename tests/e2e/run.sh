#!/usr/bin/env bash
# Runs the end-to-end test: a temporary store and users file, `strata serve` on a free
# loopback port, the browser scenario (e2e.test.mjs) in headless Chromium, then stops the
# server. Usage: tests/e2e/run.sh [path/to/strata]  (default: target/debug/strata)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$(realpath "${1:-$root/target/debug/strata}")"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

store="$work/store"
users="$work/users.json"
"$bin" --store "$store" init >/dev/null
printf 'e2e-password-1\n' | "$bin" user add dana --role writer --users "$users" >/dev/null
printf 'e2e-password-2\n' | "$bin" user add aud --role reader --users "$users" >/dev/null

"$bin" --store "$store" serve --bind 127.0.0.1:0 --users "$users" 2>"$work/serve.log" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
    url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -n1 || true)"
    [ -n "$url" ] && break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "the server did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi

export STRATA_BIN="$bin" STRATA_STORE="$store" STRATA_URL="$url"
export E2E_USER=dana E2E_PASSWORD=e2e-password-1 E2E_READER=aud E2E_READER_PASSWORD=e2e-password-2
export E2E_DATA="$root/tests/data" E2E_SCREENSHOTS="${E2E_SCREENSHOTS:-$root/docs/screenshots}"
export E2E_PROFILE="$work/profile"
cd "$here"
node --test --test-reporter=spec e2e.test.mjs
