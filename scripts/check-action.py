#!/usr/bin/env python3
"""Runs action.yml's composite steps the way a GitHub runner would, as far as a laptop can:
each step's `run` script in bash with its `env` (the `${{ ... }}` expressions it uses resolved
from the inputs' defaults plus the overrides below), `GITHUB_OUTPUT` / `GITHUB_ENV` files and
`RUNNER_TEMP`. Then checks the outputs: every declared output is set, the URLs answer with the
tokens, the scenario step wrote its JUnit report; and stops the server it started.

Usage: scripts/check-action.py [--bin DIR]   (DIR holds a built scimulator; it goes first on
PATH, so the install step finds it and skips `cargo install`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INPUTS = {"scenarios": "scenarios/", "clock": "manual"}


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def resolve(expr: str, inputs: dict, github: dict) -> str:
    """`inputs.x`, `github.y` and `a || b`, the only expressions the action uses."""
    for term in (t.strip() for t in expr.split("||")):
        scope, _, name = term.partition(".")
        value = {"inputs": inputs, "github": github}.get(scope, {}).get(name, "")
        if value:
            return value
    return ""


def substitute(text: str, inputs: dict, github: dict) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: resolve(m.group(1), inputs, github), text)


def outputs_of(path: Path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def get(url: str, token: str) -> int:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as resp:
        return resp.status


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "debug")
    args = ap.parse_args()
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    if action["runs"]["using"] != "composite":
        fail("action.yml is not a composite action")
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    inputs.update(INPUTS)
    work = Path(tempfile.mkdtemp(prefix="action-check-"))
    for d in ["scenarios", "snapshots"]:
        shutil.copytree(ROOT / d, work / d)
    github = {"action_path": str(ROOT)}
    files = {n: work / n for n in ["output", "env"]}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIMULATOR_")}
    env.update(
        PATH=f"{args.bin.resolve()}{os.pathsep}{env.get('PATH', '')}",
        RUNNER_TEMP=str(work),
        GITHUB_ENV=str(files["env"]),
    )
    step_outputs: dict[str, dict] = {}
    pid = None
    try:
        for step in action["runs"]["steps"]:
            if "if" in step and not resolve(step["if"].split("!=")[0], inputs, github):
                continue
            files["output"].write_text("")
            step_env = dict(env, GITHUB_OUTPUT=str(files["output"]))
            for k, v in (step.get("env") or {}).items():
                step_env[k] = substitute(str(v), inputs, github)
            r = subprocess.run(["bash", "-c", step["run"]], cwd=work, env=step_env, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                fail(f"step {step['name']!r} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
            step_outputs[step.get("id", step["name"])] = outputs_of(files["output"])
            if files["env"].exists():
                pid = outputs_of(files["env"]).get("SCIMULATOR_PID", pid)
        serve = step_outputs.get("serve", {})
        declared = action["outputs"]
        for name, spec in declared.items():
            m = re.match(r"\$\{\{\s*steps\.(\w+)\.outputs\.([\w-]+)\s*\}\}", spec["value"])
            if not m or not step_outputs.get(m.group(1), {}).get(m.group(2)):
                fail(f"output {name} is not set ({spec['value']})")
        if get(f"{serve['scim-url']}/Users", serve["scim-token"]) != 200:
            fail("scim-url with scim-token does not answer 200")
        if get(f"{serve['events-url']}/api/v2/auth/introspect", serve["events-token"]) != 200:
            fail("events-url with events-token does not answer 200")
        if get(f"{serve['admin-url']}/tenants", serve["admin-token"]) != 200:
            fail("admin-url with admin-token does not answer 200")
        junit = work / step_outputs["test"]["junit"]
        if "<testsuite" not in junit.read_text():
            fail("the scenario step wrote no JUnit report")
        print(f"action ok: {len(action['runs']['steps'])} steps ran, {len(declared)} outputs set and answering")
    finally:
        if pid:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
            for _ in range(100):
                try:
                    os.kill(int(pid), 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
