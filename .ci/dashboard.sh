#!/usr/bin/env bash
# The dashboard (/__admin/ui) in a real headless Chromium: Debian's chromium and chromedriver
# from apt, driven by a pinned Selenium. Nothing downloads a browser or a driver. Screenshots are
# kept under target/dashboard/ (the paths are printed). Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "== installing chromium and chromedriver (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-dejavu-core >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore 'selenium==4.50.0'

echo "== dashboard: headless browser test"
cargo build -q --locked --bin scimulator
# Selenium must use the driver it is given, never fetch one.
export SE_OFFLINE=true
python3 .ci/dashboard_test.py target/debug/scimulator target/dashboard
