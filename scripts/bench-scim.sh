#!/usr/bin/env bash
# Load-tests the emulator's SCIM bridge against a bare axum handler, on this machine, in one run.
#
# Measures (wrk, 2 threads, 32 connections):
#   - GET /Users/{id}, GET /Users?filter=userName eq "...", externalId eq, GET /Users?count=100
#     with 100,000 users
#   - a bare axum handler returning a fixed user body (the baseline), sent the same request
#   - startup: process launch to the first answered request (no seed, and with 100,000 users)
#   - resident memory with 100,000 users
# Throughput runs in ROUNDS rounds of DURATION-second runs. Within a round every URL compared
# with the baseline is bracketed by baseline runs (bare, by id, bare, userName, bare, ...), and
# its ratio is to the mean of the baseline just before and just after it. On a shared 2-core
# machine the capacity drifts by tens of percent over seconds: one long run per URL swung by
# 15-30%, and a ratio to a baseline measured several runs earlier still drifted. The summary
# is the median over rounds, its quartiles, and a 90% bootstrap interval for the median (fixed
# seed): single rounds range from about 65% to 115%, and five rounds' median moved by up to 9
# points between runs of the same build, so ten rounds are the default.
# Installs wrk with apt-get when missing.
# Usage: scripts/bench-scim.sh [DURATION_SECONDS (default 2)] [ROUNDS (default 10)]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-2}"
ROUNDS="${2:-10}"
USERS=100000
WORK="$(mktemp -d)"
# Servers started inside $(...) are not jobs of this shell: kill them by their pid files too.
# One pid per file, read one file at a time: `cat *.pid` would run two pids written without a
# newline together into one bogus pid and leave both servers running.
trap 'for f in "$WORK"/*.pid; do [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; }; done
      kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release -q -p scimulator --bin scimulator
cargo build --release -q -p emulator --example bare_axum
BIN=target/release/scimulator
# No request log lines: writing one per request would measure stderr, not the emulator.
export RUST_LOG=warn
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
open(ready + ".pid", "w").write(f"{p.pid}\n")
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

# Every URL, the baseline's included, gets the same request: the same headers, so the same bytes
# for the server to read and parse. The bare handler ignores the token; what differs between the
# two is only what each server does with the request.
rps() { # $1 = url; prints requests/second
  wrk -t2 -c32 -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$1" |
    awk '/Requests\/sec/ {print $2}'
}

NAME_URL="$URL/Users?filter=userName%20eq%20%22user50000@example.com%22"
EXT_URL="$URL/Users?filter=externalId%20eq%20%22ext-50000%22"
echo "== throughput (wrk -t2 -c32, ${ROUNDS} rounds of ${DURATION}s runs, $USERS users)"
BARE_URL="http://127.0.0.1:3999/scim/v2/Users/$ID"
for round in $(seq "$ROUNDS"); do
  {
    before=$(rps "$BARE_URL")
    echo "$round bare $before"
    for pair in "by_id $URL/Users/$ID" "userName_eq $NAME_URL" "externalId_eq $EXT_URL"; do
      set -- $pair
      x=$(rps "$2")
      after=$(rps "$BARE_URL")
      echo "$round bare $after"
      echo "$round $1 $x $before $after"
      before=$after
    done
    echo "$round count_100 $(rps "$URL/Users?startIndex=50001&count=100")"
  } | tee -a "$WORK/rps.txt" >&2
done
echo "== summary"
python3 - "$WORK/rps.txt" <<'PY'
import collections, random, statistics, sys
runs, ratios, bare = collections.defaultdict(list), collections.defaultdict(list), []
for line in open(sys.argv[1]):
    r, label, rps, *brackets = line.split()
    if label == "bare":
        bare.append(float(rps))
        continue
    runs[label].append(float(rps))
    if brackets:
        baseline = (float(brackets[0]) + float(brackets[1])) / 2
        ratios[label].append(100 * float(rps) / baseline)

def median_interval(xs, level=0.90, resamples=2000):
    """A percentile bootstrap interval for the median; seeded, so a rerun prints the same."""
    rng = random.Random(7)
    meds = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(resamples))
    tail = (1 - level) / 2
    return meds[int(tail * resamples)], meds[int((1 - tail) * resamples) - 1]

labels = [("by_id", "GET /Users/{id}"), ("userName_eq", "GET filter userName eq"),
          ("externalId_eq", "GET filter externalId eq"), ("count_100", "GET count=100")]
print(f"{'bare axum fixed body':26s} {statistics.median(bare):8.0f} req/s (median; "
      f"{min(bare):.0f}-{max(bare):.0f})")
for key, name in labels:
    line = f"{name:26s} {statistics.median(runs[key]):8.0f} req/s"
    if ratios[key]:
        r = ratios[key]
        line += f" = {statistics.median(r):3.0f}% of bare axum (median of {len(r)} rounds"
        if len(r) >= 4:
            q1, _, q3 = statistics.quantiles(r, n=4)
            lo, hi = median_interval(r)
            line += f"; quartiles {q1:.0f}-{q3:.0f}%; 90% interval {lo:.0f}-{hi:.0f}%"
        line += f"; rounds {min(r):.0f}-{max(r):.0f}%)"
    print(line)
PY
echo "startup (demo / ${USERS} users): ${S0} ms / ${S1} ms; RSS with ${USERS} users: $((RSS_KB / 1024)) MB"
