#!/usr/bin/env bash
# Durable writes versus in-memory, and restart time, on this machine, in one run.
#
# Measures (release build, wrk -t2 -c32, DURATION-second runs, ROUNDS rounds):
#   - POST /Users (a new user per request) and PATCH /Users/{id} (replace displayName):
#     in memory (no --state-file), durable (--state-file, every write fsynced before its
#     answer, group commit), relaxed (--state-file --fsync-interval-ms 100). Within a round
#     the three modes run back to back, so the ratios compare runs seconds apart.
#   - restart: launch to first answered request with a state file holding N users (snapshot
#     only, written by a graceful stop), for each N in USER_COUNTS; and with a change log of
#     the throughput runs' writes to replay (the last durable server was SIGKILLed).
# Installs wrk with apt-get when missing.
# Usage: scripts/bench-persist.sh [DURATION_SECONDS (default 3)] [ROUNDS (default 3)]
#        [USER_COUNTS (default "100000 1000000")]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-3}"
ROUNDS="${2:-3}"
USER_COUNTS="${3:-100000 1000000}"
WORK="$(mktemp -d)"
trap 'for f in "$WORK"/*.pid; do [ -f "$f" ] && { kill -9 "$(cat "$f")" 2>/dev/null || true; }; done
      rm -rf "$WORK"' EXIT

if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release -q -p scimulator --bin scimulator
BIN=target/release/scimulator

# Starts a server; $1 = name, rest = flags. Prints milliseconds from launch to the first answer.
start() {
  python3 - "$BIN" "$WORK" "$@" <<'PY'
import json, os, subprocess, sys, time, urllib.request
bin_, work, name, *flags = sys.argv[1:]
ready = f"{work}/{name}.ready"
if os.path.exists(ready):
    os.remove(ready)
t0 = time.perf_counter()
p = subprocess.Popen([bin_, "serve", "--port", "0", "--ready-file", ready,
                      "--set", "shuffle_list_order=false", *flags],
                     stdout=subprocess.DEVNULL, stderr=open(f"{work}/{name}.err", "w"),
                     start_new_session=True)
open(f"{work}/{name}.pid", "w").write(f"{p.pid}\n")
while True:
    try:
        url = json.load(open(ready))["url"]
        break
    except (OSError, ValueError, KeyError):
        if p.poll() is not None:
            sys.exit(f"server {name} exited: " + open(f"{work}/{name}.err").read())
        time.sleep(0.001)
while True:
    try:
        urllib.request.urlopen(url + "/ping").read()
        break
    except OSError:
        time.sleep(0.001)
print(f"{(time.perf_counter() - t0) * 1000:.0f}")
PY
}
field() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WORK/$1.ready" "$2"; }
stop() { local pid; pid=$(cat "$WORK/$1.pid"); kill -"${2:-TERM}" "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; rm -f "$WORK/$1.pid"; }

cat > "$WORK/post.lua" <<'LUA'
-- setup runs in the main script state, once per thread: a distinct prefix per thread and run
-- (each thread's own math.random starts from the same seed, so it cannot tell threads apart).
local counter, prefix, threads = 0, "", 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", os.time() .. "-" .. threads)
end
function request()
  counter = counter + 1
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u'
    .. prefix .. '-' .. counter .. '@example.com","displayName":"Bench"}'
  return wrk.format("POST", "/scim/v2/Users", {["Content-Type"] = "application/scim+json",
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
LUA
cat > "$WORK/patch.lua" <<'LUA'
local ids, counter = {}, 0
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
function request()
  counter = counter + 1
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":'
    .. '[{"op":"replace","path":"displayName","value":"Name ' .. counter .. '"}]}'
  return wrk.format("PATCH", "/scim/v2/Users/" .. ids[(counter % #ids) + 1],
    {["Content-Type"] = "application/scim+json",
     ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
LUA

# Requests/second of one wrk run; $1 = server name, $2 = post|patch. Counts 2xx only.
rps() {
  local url; url=$(field "$1" url)
  TOKEN=$(field "$1" scim_token) IDS="$WORK/$1.ids" wrk -t2 -c32 -d"${DURATION}s" \
    -s "$WORK/$2.lua" "$url" > "$WORK/wrk.out"
  if grep -q "Non-2xx" "$WORK/wrk.out"; then
    echo "non-2xx answers in $1 $2:" >&2; cat "$WORK/wrk.out" >&2; exit 1
  fi
  awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out"
}

echo "== write throughput (wrk -t2 -c32, $ROUNDS rounds of ${DURATION}s)"
start memory >/dev/null
start durable --state-file "$WORK/durable.json" >/dev/null
start relaxed --state-file "$WORK/relaxed.json" --fsync-interval-ms 100 >/dev/null
for m in memory durable relaxed; do
  curl -fs -H "Authorization: Bearer $(field $m scim_token)" "$(field $m scim_url)/Users?count=50" |
    python3 -c "import json,sys;[print(u['id']) for u in json.load(sys.stdin)['Resources']]" > "$WORK/$m.ids"
done
for round in $(seq "$ROUNDS"); do
  for op in post patch; do
    line="$round $op"
    for m in memory durable relaxed; do line="$line $(rps $m $op)"; done
    echo "$line" | tee -a "$WORK/rps.txt"
  done
done
python3 - "$WORK/rps.txt" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    _, op, mem, dur, rel = line.split()
    rows[op].append((float(mem), float(dur), float(rel)))
print("op     in-memory  durable (ratio)      relaxed (ratio)   [medians over rounds]")
for op, rs in rows.items():
    mem = statistics.median(r[0] for r in rs)
    dur = statistics.median(r[1] for r in rs)
    rel = statistics.median(r[2] for r in rs)
    dr = statistics.median(100 * r[1] / r[0] for r in rs)
    rr = statistics.median(100 * r[2] / r[0] for r in rs)
    print(f"{op:6} {mem:9.0f}  {dur:9.0f} ({dr:3.0f}%)   {rel:9.0f} ({rr:3.0f}%)")
PY
stop memory; stop relaxed
LOG_BYTES=$(cat "$WORK"/durable.json.log.* | wc -c)
stop durable KILL
echo "== restart replaying the durable server's change log ($((LOG_BYTES / 1024)) KiB, SIGKILLed)"
echo "launch to first answer: $(start replay --state-file "$WORK/durable.json") ms"
stop replay

for n in $USER_COUNTS; do
  echo "== restart with $n users in the state file"
  python3 - "$n" > "$WORK/seed.json" <<'PY'
import json, sys
n = int(sys.argv[1])
users = [{"userName": f"user{i}@example.com", "displayName": f"User {i}",
          "attributes": {"externalId": f"ext-{i}"}} for i in range(n)]
users[0]["role"] = "owner"
print(json.dumps({"users": users}))
PY
  rm -f "$WORK"/big.json*
  echo "first start from the seed: $(start big --seed "$WORK/seed.json" --state-file "$WORK/big.json") ms"
  stop big
  echo "state file: $(( $(stat -c %s "$WORK/big.json") / 1048576 )) MiB"
  rm -f "$WORK/seed.json"
  echo "restart (snapshot only): $(start big --state-file "$WORK/big.json") ms"
  stop big
done
