#!/usr/bin/env bash
# CI for shipping: the README is followed line by line against a fresh `scimulator serve`
# (scripts/check-readme.py), and the GitHub Action's steps run as a runner would run them.
# Needs curl, jq and PyYAML; installs what is missing. Fails on the first failing check.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v curl >/dev/null || need_apt+=(curl)
command -v jq >/dev/null || need_apt+=(jq)
if ((${#need_apt[@]})); then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install -q 'PyYAML==6.0.2'

echo "== build scimulator (debug)"
cargo build --locked -q -p scimulator --bin scimulator
bin="$PWD/target/debug"

echo "== README: yaml blocks, then the quick start and control-plane blocks in order"
python3 scripts/check-readme.py --bin "$bin"

echo "== action.yml: the composite action's steps as a runner runs them"
python3 scripts/check-action.py --bin "$bin"
