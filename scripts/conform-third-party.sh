#!/usr/bin/env bash
# Runs `scimulator conform` against two third-party SCIM servers on 127.0.0.1 and records what
# it finds, next to what python-scim's scim2-tester and scim-sanity find on the same servers:
#
#   - python-scim's reference server scim2-server (pip, pinned);
#   - a SCIMMY server: scripts/third-party/scimmy-server.mjs (npm scimmy + scimmy-routers,
#     pinned), the smallest express app SCIMMY's docs describe.
#
# Reports go to $OUT (default target/conform-third-party/). Fails (non-zero) when conform does
# not find the three known SCIMMY 1.3.5 bugs (a syntactically bad filter answered 200; userName
# matched case-sensitively despite caseExact false; startIndex ignored past the end) or reports
# a failure on scim2-server. Needs python3 (venv + pip), node + npm, and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/target/conform-third-party}
WORK=${WORK:-$ROOT/target/conform-third-party/tools}
mkdir -p "$OUT" "$WORK"

SCIM2_SERVER=0.8.3
SCIM2_TESTER=0.5.2
SCIM2_CLIENT=0.13.2
SCIM_SANITY=0.7.4
SCIMMY=1.3.5
SCIMMY_ROUTERS=1.3.2
EXPRESS=4.22.3

echo "== installing the third-party servers and checkers into $WORK"
if [ ! -x "$WORK/venv/bin/scim2-server" ]; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q "scim2-server==$SCIM2_SERVER" "scim2-tester==$SCIM2_TESTER" \
        "scim2-client[httpx2]==$SCIM2_CLIENT" "scim-sanity==$SCIM_SANITY"
fi
if [ ! -d "$WORK/node/node_modules/scimmy" ]; then
    mkdir -p "$WORK/node"
    (cd "$WORK/node" && echo '{"private": true, "type": "module"}' > package.json &&
        npm install --silent --no-audit --no-fund "scimmy@$SCIMMY" "scimmy-routers@$SCIMMY_ROUTERS" "express@$EXPRESS")
fi
cp scripts/third-party/scimmy-server.mjs "$WORK/node/server.mjs"

echo "== building scimulator"
cargo build -q -p scimulator
BIN=$ROOT/target/debug/scimulator

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_up() { # url token
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null -H "Authorization: Bearer $2" "$1/ServiceProviderConfig" 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    echo "server at $1 did not come up" >&2
    return 1
}

S2_PORT=$(free_port)
"$WORK/venv/bin/scim2-server" --port "$S2_PORT" --bearer-token s2token > "$OUT/scim2-server.log" 2>&1 &
PIDS+=($!)
S2_URL="http://127.0.0.1:$S2_PORT/v2"

SCIMMY_PORT=$(free_port)
(cd "$WORK/node" && PORT=$SCIMMY_PORT SCIMMY_TOKEN=scimmy-token exec node server.mjs) > "$OUT/scimmy.log" 2>&1 &
PIDS+=($!)
SCIMMY_URL="http://127.0.0.1:$SCIMMY_PORT/scim/v2"

wait_up "$S2_URL" s2token
wait_up "$SCIMMY_URL" scimmy-token

status=0
run_all() { # name url token
    local name=$1 url=$2 token=$3
    echo "== $name: scimulator conform"
    "$BIN" conform --target "$url" --token "$token" --json "$OUT/$name-conform.json" > "$OUT/$name-conform.txt" 2>&1 || true
    tail -n 1 "$OUT/$name-conform.txt"
    echo "== $name: scim2-tester $SCIM2_TESTER"
    "$WORK/venv/bin/python" scripts/third-party/scim2-tester-run.py "$url" "$token" > "$OUT/$name-scim2-tester.txt" 2>&1 || true
    tail -n 1 "$OUT/$name-scim2-tester.txt"
    echo "== $name: scim-sanity $SCIM_SANITY"
    "$WORK/venv/bin/scim-sanity" probe "$url" --token "$token" --i-accept-side-effects > "$OUT/$name-scim-sanity.txt" 2>&1 || true
    grep -E "passed, .* failed" "$OUT/$name-scim-sanity.txt" || true
}
run_all scim2-server "$S2_URL" s2token
run_all scimmy "$SCIMMY_URL" scimmy-token

failed() { python3 -c 'import json,sys; print(" ".join(c["id"] for c in json.load(open(sys.argv[1]))["checks"] if c["status"] == "fail"))' "$1"; }
S2_FAILED=$(failed "$OUT/scim2-server-conform.json")
SCIMMY_FAILED=$(failed "$OUT/scimmy-conform.json")
echo "== conform failures on scim2-server: ${S2_FAILED:-none}"
echo "== conform failures on SCIMMY: $SCIMMY_FAILED"
if [ -n "$S2_FAILED" ]; then
    echo "FAIL: conform reports failures on the reference server scim2-server" >&2
    status=1
fi
for bug in errors.bad_filter filter.eq.case_insensitive paging.beyond_end; do
    if ! grep -qw "$bug" <<< "$SCIMMY_FAILED"; then
        echo "FAIL: conform no longer finds the SCIMMY bug $bug" >&2
        status=1
    fi
done
echo "reports in $OUT"
exit $status
