#!/usr/bin/env bash
# `scimulator mcp` driven by the official Python MCP SDK (pinned) over stdio, against a live
# emulator: tools, effects, read-only mode and error classes (.ci/mcp_client.py). Fails non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

MCP_SDK_VERSION=2.3.0

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$MCP_SDK_VERSION"

# The same build `cargo test --workspace --locked` does next (same features, same profile), so
# this costs no extra compilation; it leaves the binary in target/debug.
cargo test --workspace --locked --no-run --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/scimulator"

cat > "$work/seed.yaml" <<'YAML'
users:
  - {userName: ada@example.com, displayName: Ada Lovelace}
  - {userName: alan@example.com, displayName: Alan Turing}
  - {userName: grace@example.com, displayName: Grace Hopper}
YAML
"$bin" serve --port 0 --clock manual --seed "$work/seed.yaml" \
    --ready-file "$work/ready.json" >"$work/serve.log" 2>&1 &
server_pid=$!
ready() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/ready.json" 2>/dev/null; }
for _ in $(seq 1 300); do
    ready && break
    sleep 0.1
done
if ! ready; then
    echo "the emulator did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi

"$work/venv/bin/python" .ci/mcp_client.py "$bin" "$work/ready.json"
