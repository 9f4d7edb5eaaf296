#!/usr/bin/env bash
# `scimulator conform` against python-scim's scim2-server and a SCIMMY server (pip and npm
# packages, pinned in the script); fails when conform misreports either (about 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/conform-third-party.sh
