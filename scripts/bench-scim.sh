#!/usr/bin/env bash
# Load-tests the emulator's SCIM bridge against a bare axum handler, on this machine, in one run.
#
# Measures (wrk, 2 threads, 32 connections, DURATION seconds each):
#   - GET /Users/{id}, GET /Users?filter=userName eq "...", GET /Users?count=100 with 100,000 users
#   - a bare axum handler returning a fixed user body (the baseline)
#   - startup: process launch to the first answered request (no seed, and with 100,000 users)
#   - resident memory with 100,000 users
# Installs wrk with apt-get when missing. Usage: scripts/bench-scim.sh [DURATION_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
USERS=100000
WORK="$(mktemp -d)"
# Servers started inside $(...) are not jobs of this shell: kill them by their pid files too.
trap 'kill $(cat "$WORK"/*.pid 2>/dev/null) $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release -q -p harness --bin scimulator
cargo build --release -q -p emulator --example bare_axum
BIN=target/release/scimulator
BARE=target/release/examples/bare_axum

echo "generating a seed with $USERS users"
python3 - "$USERS" > "$WORK/seed.json" <<'PY'
import json, sys
n = int(sys.argv[1])
users = [{"userName": f"user{i}@example.com", "displayName": f"User {i}",
          "attributes": {"externalId": f"ext-{i}"}} for i in range(n)]
users[0]["role"] = "owner"
print(json.dumps({"users": users}))
PY

now_ms() { date +%s%3N; }

start_emulator() { # $1 = ready file, rest = extra flags; prints startup ms (launch to first answer)
  # Timed inside one python process so the figure holds no interpreter or curl start-up.
  python3 - "$BIN" "$@" <<'PYSTART'
import json, os, subprocess, sys, time, urllib.request
bin_, ready, *flags = sys.argv[1:]
t0 = time.perf_counter()
p = subprocess.Popen([bin_, "serve", "--port", "0", "--ready-file", ready,
                      "--set", "shuffle_list_order=false", *flags],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
open(ready + ".pid", "w").write(str(p.pid))
while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
    time.sleep(0.0005)
t_ready = time.perf_counter()
url = json.load(open(ready))["url"]
while True:
    try:
        urllib.request.urlopen(url + "/ping").read()
        break
    except OSError:
        time.sleep(0.0005)
t_first = time.perf_counter()
print(f"{(t_first - t0) * 1000:.0f}")
print(f"ready file after {(t_ready - t0) * 1000:.1f} ms, first answer after "
      f"{(t_first - t0) * 1000:.1f} ms", file=sys.stderr)
PYSTART
}

echo "== startup (demo account)"
S0=$(start_emulator "$WORK/r0.json")
kill "$(cat "$WORK/r0.json.pid")"
echo "startup to first request: ${S0} ms"

echo "== startup ($USERS users)"
S1=$(start_emulator "$WORK/r1.json" --seed "$WORK/seed.json")
PID=$(cat "$WORK/r1.json.pid")
echo "startup to first request: ${S1} ms"
RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
echo "resident memory: $((RSS_KB / 1024)) MB"

read -r URL TOKEN < <(python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(d['scim_url'], d['scim_token'])" "$WORK/r1.json")
ID=$(curl -fs -H "Authorization: Bearer $TOKEN" "$URL/Users?filter=userName%20eq%20%22user50000@example.com%22" \
  | python3 -c "import json,sys;print(json.load(sys.stdin)['Resources'][0]['id'])")

"$BARE" 3999 & sleep 0.5

rps() { # $1 = label, $2 = url, [$3 = token]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c32 -d"${DURATION}s" -H "Authorization: Bearer $3" "$2")
  else
    out=$(wrk -t2 -c32 -d"${DURATION}s" "$2")
  fi
  local r; r=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local lat; lat=$(echo "$out" | awk '/Latency/ {print $2; exit}')
  printf '%-34s %12s req/s   avg latency %s\n' "$1" "$r" "$lat" >&2
  echo "$r"
}

echo "== throughput (wrk -t2 -c32 -d${DURATION}s, $USERS users)"
BASE=$(rps "bare axum fixed body" "http://127.0.0.1:3999/scim/v2/Users/$ID")
BYID=$(rps "GET /Users/{id}" "$URL/Users/$ID" "$TOKEN")
BYNAME=$(rps "GET filter userName eq" "$URL/Users?filter=userName%20eq%20%22user50000@example.com%22" "$TOKEN")
BYEXT=$(rps "GET filter externalId eq" "$URL/Users?filter=externalId%20eq%20%22ext-50000%22" "$TOKEN")
PAGE=$(rps "GET count=100" "$URL/Users?startIndex=50001&count=100" "$TOKEN")
pct() { python3 -c "print(f'{100*float($1)/float($2):.0f}%')"; }
echo "== summary"
echo "GET by id:            $(pct "$BYID" "$BASE") of bare axum"
echo "GET userName eq:      $(pct "$BYNAME" "$BASE") of bare axum"
echo "GET externalId eq:    $(pct "$BYEXT" "$BASE") of bare axum"
echo "GET count=100:        $PAGE req/s"
echo "startup (demo / ${USERS} users): ${S0} ms / ${S1} ms; RSS with ${USERS} users: $((RSS_KB / 1024)) MB"
