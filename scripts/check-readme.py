#!/usr/bin/env python3
"""The README is tested: run it the way a newcomer would, block by block.

1. Every fenced ```yaml block parses. A scenario-shaped one (`name` + `steps`) is run with
   `scimulator test` (embedded emulator, snapshots ignored) and must pass; a seed-shaped one
   (`users` / `groups` / `events`) must load as a new tenant's seed on the running server.
2. Every ```sh block in the sections listed in RUN_SECTIONS runs, in README order, in one bash
   session (`set -euo pipefail`: any failing command fails the check) in a scratch directory
   holding `scenarios/` and `snapshots/`, against a fresh `scimulator serve --ready-file
   ready.json` on the README's port, 3002. Blocks right after a `<!-- readme-check: skip ... -->`
   comment (installing, starting the server, long-running commands) are not run; the script
   does what they say itself: `scimulator` on PATH and the server started as the quick start
   starts it.

Usage: scripts/check-readme.py [--bin DIR]   (DIR holds the scimulator binary; default
target/debug, built with `cargo build -p scimulator` first). Exit status 0 when every check
passed; 1 with the failing block's line and output otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Sections (headings, any level) whose sh blocks run; a heading's subsections run with it.
RUN_SECTIONS = [
    "Quick start",
    "Control plane (`/__admin`)",
    "Control API (under `/__admin`, admin bearer token)",
    "Reading events",
    "Command line",
]
SKIP = re.compile(r"<!--\s*readme-check:\s*skip\b")
PORT = 3002


class Block:
    def __init__(self, lang: str, text: str, line: int, headings: list[str], skip: bool):
        self.lang, self.text, self.line, self.headings, self.skip = lang, text, line, headings, skip

    def runs(self) -> bool:
        return self.lang == "sh" and not self.skip and any(h in RUN_SECTIONS for h in self.headings)


def blocks(readme: str) -> list[Block]:
    """The fenced blocks, each with the headings it sits under."""
    out: list[Block] = []
    stack: list[tuple[int, str]] = []
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            level = len(heading.group(1))
            stack = [(lv, t) for lv, t in stack if lv < level] + [(level, heading.group(2).strip())]
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence:
            lang, start, body = fence.group(1), i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            prev = next((lines[j] for j in range(start - 2, -1, -1) if lines[j].strip()), "")
            out.append(Block(lang, "\n".join(body) + "\n", start + 1, [t for _, t in stack], bool(SKIP.search(prev))))
        i += 1
    return out


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def start_server(bin_dir: Path, work: Path, env: dict) -> subprocess.Popen:
    ready = work / "ready.json"
    log = open(work / "serve.log", "w")
    proc = subprocess.Popen(
        [str(bin_dir / "scimulator"), "serve", "--ready-file", str(ready)],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    for _ in range(300):
        if ready.exists() and ready.stat().st_size > 0:
            return proc
        if proc.poll() is not None:
            fail(f"scimulator serve exited with {proc.returncode}:\n{(work / 'serve.log').read_text()}")
        time.sleep(0.1)
    proc.kill()
    fail("scimulator serve wrote no ready file in 30 s")
    raise AssertionError


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_yaml(all_blocks: list[Block], bin_dir: Path, work: Path, env: dict, info: dict) -> int:
    checked = 0
    for n, b in enumerate(all_blocks):
        if b.lang != "yaml":
            continue
        try:
            doc = yaml.safe_load(b.text)
        except yaml.YAMLError as e:
            fail(f"README.md:{b.line}: yaml block does not parse: {e}")
        checked += 1
        if isinstance(doc, dict) and "steps" in doc and "name" in doc:
            path = work / f"readme_block_{b.line}.yaml"
            path.write_text(b.text)
            r = subprocess.run(
                [str(bin_dir / "scimulator"), "test", str(path), "--ignore-snapshots"],
                cwd=work, env=env, capture_output=True, text=True,
            )
            if r.returncode != 0:
                fail(f"README.md:{b.line}: scenario block does not pass `scimulator test`:\n{r.stdout}{r.stderr}")
        elif isinstance(doc, dict) and ({"users", "groups", "events"} & doc.keys()):
            req = urllib.request.Request(
                f"{info['admin_url']}/tenants",
                data=json.dumps({"name": f"readme-seed-{n}", "seed": doc}).encode(),
                headers={"Authorization": f"Bearer {info['admin_token']}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(req) as resp:
                    status = resp.status
            except urllib.error.HTTPError as e:
                fail(f"README.md:{b.line}: seed block refused ({e.code}): {e.read().decode()}")
            if status != 201:
                fail(f"README.md:{b.line}: seed block answered {status}, not 201")
    return checked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "debug")
    args = ap.parse_args()
    bin_dir = args.bin.resolve()
    if not (bin_dir / "scimulator").exists():
        fail(f"no scimulator binary in {bin_dir}; run `cargo build -p scimulator` first")
    for tool in ["curl", "jq"]:
        if shutil.which(tool) is None:
            fail(f"the README's examples need {tool}")
    if not port_free(PORT):
        fail(f"port {PORT} is in use; the README's examples talk to 127.0.0.1:{PORT}")
    all_blocks = blocks((ROOT / "README.md").read_text())
    runnable = [b for b in all_blocks if b.runs()]
    sections_found = {h for b in all_blocks for h in b.headings}
    missing = [s for s in RUN_SECTIONS if s not in sections_found]
    if missing:
        fail(f"README sections not found (renamed?): {missing}")

    work = Path(tempfile.mkdtemp(prefix="readme-check-"))
    for d in ["scenarios", "snapshots"]:
        shutil.copytree(ROOT / d, work / d)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIMULATOR_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    proc = start_server(bin_dir, work, env)
    try:
        info = json.loads((work / "ready.json").read_text())
        n_yaml = check_yaml(all_blocks, bin_dir, work, env, info)
        script = ["set -euo pipefail"]
        for b in runnable:
            script.append(f"echo '>>> README.md:{b.line} ({b.headings[-1]})' >&2")
            script.append(b.text)
        (work / "readme.sh").write_text("\n".join(script) + "\n")
        r = subprocess.run(["bash", str(work / "readme.sh")], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            last = [l for l in r.stderr.splitlines() if l.startswith(">>> README.md:")]
            where = last[-1][4:] if last else "?"
            fail(f"the sh block at {where} failed (exit {r.returncode}).\n--- stdout\n{r.stdout[-4000:]}\n--- stderr\n{r.stderr[-4000:]}")
        if os.environ.get("README_CHECK_VERBOSE"):
            print(r.stdout)
            print(r.stderr, file=sys.stderr)
        print(f"README ok: {n_yaml} yaml blocks parsed and checked, {len(runnable)} sh blocks ran in order")
    finally:
        stop_server(proc)
        if (work / "ready.json").exists():
            fail("the ready file is still there after serve shut down")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
