#!/bin/bash
# Focused measurement of the scan and write paths at one directory size (release build):
# startup, RSS, four non-indexed filters (median of 3) and POST /Users (median of 5).
# Usage: cargo build --release -p scimulator && scripts/measure-scans.sh [USERS (default 100000)]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
python3 - "$N" > ${TMPDIR:-/tmp}/scimulator-measure-seed.json <<'PY'
import json,sys
n=int(sys.argv[1])
print(json.dumps({"users":[{"userName":f"user{i:07d}@example.com","displayName":f"User {i}","attributes":{"name":{"givenName":"Given","familyName":f"Fam{i%1000}"}}} for i in range(n)]}))
PY
rm -f ${TMPDIR:-/tmp}/scimulator-measure-r.json
t0=$(date +%s.%N)
target/release/scimulator serve --port 0 --ready-file ${TMPDIR:-/tmp}/scimulator-measure-r.json --seed ${TMPDIR:-/tmp}/scimulator-measure-seed.json --clock manual >${TMPDIR:-/tmp}/scimulator-measure-serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
while [ ! -f ${TMPDIR:-/tmp}/scimulator-measure-r.json ]; do sleep 0.05; done
t1=$(date +%s.%N)
echo "startup with $N users: $(python3 -c "print(round($t1-$t0,2))") s; RSS $(($(awk '/VmRSS/{print $2}' /proc/$PID/status)/1024)) MB"
URL=$(python3 -c "import json;print(json.load(open('${TMPDIR:-/tmp}/scimulator-measure-r.json'))['scim_url'])")
TOK=$(python3 -c "import json;print(json.load(open('${TMPDIR:-/tmp}/scimulator-measure-r.json'))['scim_token'])")
for f in 'name.familyName%20eq%20%22Fam7%22' 'displayName%20sw%20%22User%2099%22' 'userName%20sw%20%22user00001%22' 'active%20eq%20false'; do
  for i in 1 2 3; do
    curl -s -o /dev/null -w "%{time_total}\n" -H "Authorization: Bearer $TOK" "$URL/Users?filter=$f&count=10"
  done | sort -n | sed -n 2p | xargs -I{} echo "filter $f: median of 3 {} s"
done
for i in 1 2 3 4 5; do
  curl -s -o /dev/null -w "%{time_total}\n" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/scim+json' -d "{\"userName\":\"new$i-$RANDOM@example.com\"}" "$URL/Users"
done | sort -n | sed -n 3p | xargs -I{} echo "POST /Users: median of 5 {} s"
