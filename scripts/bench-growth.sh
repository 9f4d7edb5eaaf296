#!/usr/bin/env bash
# How the emulator's costs grow with the directory: the same operations at each directory size
# (default 1,000, 100,000 and 1,000,000 users) in one run, printed as one table.
#
# Per size: startup (launch to first answer) and resident memory with the seeded users; GET by
# id, `userName eq` and `count=100` lists (shuffled as the default profile, and stable) as
# requests/second (wrk -t2 -c32); non-indexed filters, DELETE (suspends, as the bridge does) and
# group membership PATCH as median latency of sequential requests; POST and PATCH /Users as
# requests/second and as a ratio of a bare axum handler given the same requests in the same run;
# the connector's `scimulator users list --all` against the stable order (wall time, peak RSS). Then an Events API page
# from a log of 1,000,000 sign-in attempts, and the log's memory per event.
#
# Short by design (DURATION-second wrk runs, one round): the table shows growth, not precise
# throughput (scripts/bench-scim.sh measures the read hot paths carefully).
# Installs wrk with apt-get when missing.
# Usage: scripts/bench-growth.sh [DURATION_SECONDS (default 2)] [SIZES (default "1000 100000 1000000")]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-2}"
SIZES="${2:-1000 100000 1000000}"
EVENTS=1000000
WORK="$(mktemp -d)"
trap 'for f in "$WORK"/*.pid; do [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; }; done
      rm -rf "$WORK"' EXIT

if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release -q -p scimulator --bin scimulator
cargo build --release -q -p emulator --example bare_axum
BIN=target/release/scimulator
BARE=target/release/examples/bare_axum

"$BARE" 3998 & echo $! > "$WORK/bare.pid"
sleep 0.5

# wrk scripts: POST a new user per request (userNames unique per run and thread), PATCH one user.
cat > "$WORK/post.lua" <<'LUA'
local n = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) run = args[1] or "r" end
function request()
  n = n + 1
  local body = string.format('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],'
    .. '"userName":"bench-%s-%d-%d@example.com","name":{"givenName":"Bench","familyName":"User"}}',
    run, tid, n)
  return wrk.format("POST", nil, {["Content-Type"] = "application/scim+json"}, body)
end
LUA
cat > "$WORK/patch.lua" <<'LUA'
local n = 0
function request()
  n = n + 1
  local body = string.format('{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
    .. '"Operations":[{"op":"replace","path":"displayName","value":"Patched %d"}]}', n)
  return wrk.format("PATCH", nil, {["Content-Type"] = "application/scim+json"}, body)
end
LUA

seed() { # $1 = users, $2 = sign-in attempts to generate; writes JSON to stdout
  python3 - "$1" "$2" <<'PY'
import json, sys
n, events = int(sys.argv[1]), int(sys.argv[2])
users = [{"userName": f"user{i}@example.com", "displayName": f"User {i}",
          "state": "SUSPENDED" if i % 10 == 0 else "ACTIVE",
          "attributes": {"externalId": f"ext-{i}"}} for i in range(n)]
users[0]["role"] = "owner"
users[0]["state"] = "ACTIVE"
doc = {"users": users, "groups": [{"displayName": "Bench Group", "members": []}]}
if events:
    doc["events"] = {"generate": {"signin_attempts": events, "seed": 1}}
print(json.dumps(doc))
PY
}

start() { # $1 = ready file, rest = flags; prints startup ms; the pid goes to $1.pid
  python3 - "$BIN" "$@" <<'PY'
import json, os, subprocess, sys, time, urllib.request
bin_, ready, *flags = sys.argv[1:]
t0 = time.perf_counter()
p = subprocess.Popen([bin_, "serve", "--port", "0", "--ready-file", ready, *flags],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
open(ready + ".pid", "w").write(f"{p.pid}\n")
while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
    if p.poll() is not None:
        sys.exit(f"the emulator exited with {p.returncode}")
    time.sleep(0.001)
url = json.load(open(ready))["url"]
while True:
    try:
        urllib.request.urlopen(url + "/ping").read()
        break
    except OSError:
        time.sleep(0.001)
print(f"{(time.perf_counter() - t0) * 1000:.0f}")
PY
}

rss_mb() { awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

rps() { # $1 = url, rest = extra wrk args; prints requests/second
  local url="$1"; shift
  wrk -t2 -c32 -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$@" "$url" |
    awk '/Requests\/sec/ {printf "%d", $2}'
}

# Median latency (ms) of sequential requests over one keep-alive connection.
latency() { # $1 = ready file, $2 = operation name, $3 = users
  python3 - "$@" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
ready, op, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
info = json.load(open(ready))
u = urllib.parse.urlparse(info["scim_url"])
conn = http.client.HTTPConnection(u.hostname, u.port)
H = {"Authorization": f"Bearer {info['scim_token']}", "Content-Type": "application/scim+json"}
def call(method, path, body=None):
    t = time.perf_counter()
    conn.request(method, u.path + path, body=json.dumps(body) if body is not None else None, headers=H)
    r = conn.getresponse(); data = r.read()
    if r.status >= 300 and r.status != 404:
        sys.exit(f"{method} {path}: {r.status} {data[:200]!r}")
    return (time.perf_counter() - t) * 1000, data
def user_id(i):
    _, d = call("GET", "/Users?filter=" + urllib.parse.quote(f'userName eq "user{i}@example.com"'))
    return json.loads(d)["Resources"][0]["id"]
q = urllib.parse.quote
filters = {
    "familyName_eq": 'name.familyName eq "Nobody"',
    "displayName_sw": 'displayName sw "User 99999"',
    "userName_sw": 'userName sw "user99999"',
    "active_false": "active eq false",
}
times = []
if op in filters:
    reps = 3 if n >= 1000000 else 5
    for _ in range(reps):
        times.append(call("GET", f"/Users?count=100&filter={q(filters[op])}")[0])
elif op == "delete":
    ids = [user_id(i) for i in range(1, min(n, 200), 2)]
    times = [call("DELETE", f"/Users/{i}")[0] for i in ids]
elif op == "group_patch":
    _, d = call("GET", "/Groups?filter=" + q('displayName eq "Bench Group"'))
    gid = json.loads(d)["Resources"][0]["id"]
    ids = [user_id(i) for i in range(1, min(n, 100))]
    for i in ids:
        for kind in ("add", "remove"):
            op_ = {"op": kind, "path": "members", "value": [{"value": i}]} if kind == "add" else \
                  {"op": "remove", "path": f'members[value eq "{i}"]'}
            body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op_]}
            times.append(call("PATCH", f"/Groups/{gid}", body)[0])
print(f"{statistics.median(times):.2f}")
PY
}

echo "size,metric,value" > "$WORK/table.csv"
row() { echo "$1,$2,$3" >> "$WORK/table.csv"; echo "  $2: $3" >&2; }

for N in $SIZES; do
  echo "== $N users" >&2
  seed "$N" 0 > "$WORK/seed-$N.json"
  S=$(start "$WORK/r.json" --seed "$WORK/seed-$N.json")
  PID=$(cat "$WORK/r.json.pid")
  row "$N" "startup ms" "$S"
  row "$N" "RSS MB" "$(rss_mb "$PID")"
  read -r URL TOKEN < <(python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(d['scim_url'], d['scim_token'])" "$WORK/r.json")
  MID=$((N / 2))
  ID=$(curl -fs -H "Authorization: Bearer $TOKEN" "$URL/Users?filter=userName%20eq%20%22user$MID@example.com%22" |
    python3 -c "import json,sys;print(json.load(sys.stdin)['Resources'][0]['id'])")
  row "$N" "GET by id req/s" "$(rps "$URL/Users/$ID")"
  row "$N" "userName eq req/s" "$(rps "$URL/Users?filter=userName%20eq%20%22user$MID@example.com%22")"
  row "$N" "count=100 shuffled req/s" "$(rps "$URL/Users?startIndex=$((MID + 1))&count=100")"
  for f in familyName_eq displayName_sw userName_sw active_false; do
    row "$N" "$f ms" "$(latency "$WORK/r.json" "$f" "$N")"
  done
  BP=$(rps "http://127.0.0.1:3998/scim/v2/Users" -s "$WORK/post.lua" -- "b$N")
  P=$(rps "$URL/Users" -s "$WORK/post.lua" -- "e$N")
  row "$N" "POST req/s" "$P"
  row "$N" "POST % of bare axum" "$((100 * P / BP))"
  BP=$(rps "http://127.0.0.1:3998/scim/v2/Users/$ID" -s "$WORK/patch.lua")
  P=$(rps "$URL/Users/$ID" -s "$WORK/patch.lua")
  row "$N" "PATCH req/s" "$P"
  row "$N" "PATCH % of bare axum" "$((100 * P / BP))"
  row "$N" "DELETE ms" "$(latency "$WORK/r.json" delete "$N")"
  row "$N" "group membership PATCH ms" "$(latency "$WORK/r.json" group_patch "$N")"
  kill "$PID"; rm -f "$WORK/r.json" "$WORK/r.json.pid"
  # The stable order (shuffle off), the other list shape.
  start "$WORK/r.json" --seed "$WORK/seed-$N.json" --set shuffle_list_order=false > /dev/null
  PID=$(cat "$WORK/r.json.pid")
  read -r URL TOKEN < <(python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(d['scim_url'], d['scim_token'])" "$WORK/r.json")
  row "$N" "count=100 stable req/s" "$(rps "$URL/Users?startIndex=$((MID + 1))&count=100")"
  # The connector, against the stable order (shuffled, a directory larger than one page takes
  # about ln(N) sweeps: that is the bridge's cost, not the connector's).
  if [ "$N" -le 100000 ]; then
    /usr/bin/time -f "%e %M" -o "$WORK/time.txt" \
      "$BIN" users list --all --json --url "$URL" --token "$TOKEN" > /dev/null
    read -r WALL KB < "$WORK/time.txt"
    row "$N" "users list --all s" "$WALL"
    row "$N" "users list --all peak MB" "$((KB / 1024))"
  fi
  kill "$PID"; rm -f "$WORK/r.json" "$WORK/r.json.pid" "$WORK/seed-$N.json"
done

echo "== Events API: $EVENTS sign-in attempts" >&2
seed 1 0 > "$WORK/seed-e0.json"
seed 1 "$EVENTS" > "$WORK/seed-e.json"
start "$WORK/r.json" --seed "$WORK/seed-e0.json" > /dev/null
BASE_RSS=$(rss_mb "$(cat "$WORK/r.json.pid")")
kill "$(cat "$WORK/r.json.pid")"; rm -f "$WORK/r.json" "$WORK/r.json.pid"
S=$(start "$WORK/r.json" --seed "$WORK/seed-e.json")
PID=$(cat "$WORK/r.json.pid")
E_RSS=$(rss_mb "$PID")
row events "startup ms" "$S"
row events "bytes per event" "$(( (E_RSS - BASE_RSS) * 1024 * 1024 / EVENTS ))"
row events "page of 1000 ms" "$(python3 - "$WORK/r.json" <<'PY'
import json, statistics, sys, time, urllib.request
info = json.load(open(sys.argv[1]))
def page(body):
    req = urllib.request.Request(info["events_url"] + "/api/v1/signinattempts", data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + info["events_token"], "Content-Type": "application/json"})
    t = time.perf_counter(); d = json.load(urllib.request.urlopen(req)); return (time.perf_counter() - t) * 1000, d
times, body = [], {"limit": 1000, "start_time": "2000-01-01T00:00:00Z"}
for _ in range(10):
    ms, d = page(body); times.append(ms); body = {"cursor": d["cursor"]}
print(f"{statistics.median(times):.1f}")
PY
)"
kill "$PID"

echo
echo "== growth table (wrk -t2 -c32, ${DURATION}s runs; latencies are medians of sequential requests)"
python3 - "$WORK/table.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sizes = list(dict.fromkeys(r["size"] for r in rows if r["size"] != "events"))
metrics = list(dict.fromkeys(r["metric"] for r in rows if r["size"] != "events"))
val = {(r["size"], r["metric"]): r["value"] for r in rows}
fmt = lambda s: f"{int(s):,}"
print("| operation | " + " | ".join(f"{fmt(s)} users" for s in sizes) + " |")
print("|---|" + "---|" * len(sizes))
for m in metrics:
    print(f"| {m} | " + " | ".join(val.get((s, m), "-") for s in sizes) + " |")
for r in rows:
    if r["size"] == "events":
        print(f"| Events API (1,000,000 sign-in attempts): {r['metric']} | {r['value']} |")
PY
