"""Runs python-scim's scim2-tester against a SCIM server and prints one line per check.

Usage: scim2-tester-run.py BASE_URL TOKEN. The last line is `summary: <status>=<n> ...`.
"""

import collections
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

base, token = sys.argv[1], sys.argv[2]
http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
results = check_server(SyncSCIMClient(http))
counts = collections.Counter()
for r in results:
    counts[r.status.name] += 1
    if r.status.name in ("ERROR", "CRITICAL", "DEVIATION"):
        print(f"{r.status.name}: {r.title}: {(r.reason or '').splitlines()[0] if r.reason else ''}")
print("summary: " + " ".join(f"{k}={v}" for k, v in sorted(counts.items())) + f" total={len(results)}")
