"""Drives `scimulator mcp` with the official Python MCP SDK's stdio client against a running
emulator: lists the tools, calls each one, checks the effects on the emulator (SCIM state, request
journal, audit log), read-only mode and every error class. Exits non-zero on any failure.

Usage: python mcp_client.py SCIMULATOR_BINARY READY_FILE
"""

import asyncio
import json
import os
import sys
import urllib.request

from mcp import ClientSession, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client

BIN, READY = sys.argv[1], sys.argv[2]
with open(READY) as f:
    ENV = json.load(f)

failures: list[str] = []
passed = 0


def check(cond: bool, what: str) -> None:
    global passed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failures.append(what)
        print(f"FAIL {what}")


def http(method: str, url: str, token: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"null")


def admin(method: str, path: str, body: dict | None = None) -> dict:
    return http(method, f"{ENV['admin_url']}/tenants/default{path}", ENV["admin_token"], body)


def params(*args: str, token: str | None = None, events: bool = True) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIMULATOR_")}
    env["SCIMULATOR_URL"] = ENV["scim_url"]
    env["SCIMULATOR_TOKEN"] = token or ENV["scim_token"]
    if events:
        env["SCIMULATOR_EVENTS_URL"] = ENV["events_url"]
        env["SCIMULATOR_EVENTS_TOKEN"] = ENV["events_token"]
    return StdioServerParameters(command=BIN, args=["mcp", *args], env=env)


def error_of(result) -> dict:
    return (result.structured_content or {}).get("error", {}) if result.is_error else {}


async def full_session() -> None:
    async with stdio_client(params()) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            tools = {t.name: t for t in (await s.list_tools()).tools}
            check(
                list(tools)
                == ["list_users", "get_user", "suspend_user", "reactivate_user",
                    "list_audit_events", "list_signin_attempts"],
                f"six tools listed: {list(tools)}",
            )
            check(tools["list_users"].annotations.read_only_hint is True, "list_users is read-only")
            check(tools["suspend_user"].annotations.destructive_hint is True,
                  "suspend_user is destructive")
            check(tools["get_user"].input_schema.get("required") == ["id"], "get_user needs an id")

            # list_users (filter) -> get_user; the SDK validates results against output schemas.
            r = await s.call_tool("list_users", {"filter": 'userName eq "ada@example.com"'})
            users = r.structured_content["users"]
            check(not r.is_error and len(users) == 1, "list_users finds ada by e-mail")
            ada = users[0]["id"]
            r = await s.call_tool("get_user", {"id": ada})
            check(r.structured_content["email"] == "ada@example.com", "get_user returns ada")

            # Paging: two per page until next_cursor is null.
            seen, cursor = [], None
            while True:
                args = {"limit": 2} | ({"cursor": cursor} if cursor else {})
                page = (await s.call_tool("list_users", args)).structured_content
                seen += [u["id"] for u in page["users"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            check(len(seen) == len(set(seen)) == 4, f"paging sees 4 users once each: {len(seen)}")

            # suspend_user: state, journal (one PATCH even when called twice), audit log.
            r = await s.call_tool("suspend_user", {"id": ada})
            check(r.structured_content["status"] == "suspended", "suspend_user suspends")
            await s.call_tool("suspend_user", {"id": ada})
            scim = http("GET", f"{ENV['scim_url']}/Users/{ada}", ENV["scim_token"])
            check(scim["active"] is False, "the bridge has ada inactive")
            n = admin("GET", f"/journal/count?method=PATCH&path=/scim/v2/Users/{ada}")["count"]
            check(n == 1, f"exactly one PATCH for two suspend calls: {n}")
            r = await s.call_tool("list_audit_events", {"limit": 1000})
            check(
                any(e["action"] == "suspend" and e["object_uuid"] == ada
                    for e in r.structured_content["items"]),
                "the audit log records the suspension",
            )
            r = await s.call_tool("reactivate_user", {"id": ada})
            check(r.structured_content["status"] == "active", "reactivate_user reactivates")
            r = await s.call_tool("list_signin_attempts", {"limit": 10})
            check(not r.is_error and "cursor" in r.structured_content, "list_signin_attempts reads")

            # Errors are tool results, not protocol errors.
            r = await s.call_tool("get_user", {"id": "NOSUCHUSER0000000000000000"})
            e = error_of(r)
            check(e.get("kind") == "not_found" and e.get("status") == 404, f"unknown id: {e}")
            r = await s.call_tool("list_users", {"filter": "userName eq"})
            e = error_of(r)
            check(e.get("kind") == "invalid_filter" and "column" in e.get("message", ""),
                  f"bad filter names the column: {e}")
            admin("POST", "/faults", {"match": {"method": "GET", "path": f"/scim/v2/Users/{ada}"},
                                      "times": 1, "action": {"status": 429, "retry_after": 5}})
            r = await s.call_tool("get_user", {"id": ada})
            e = error_of(r)
            check(e.get("kind") == "rate_limited" and e.get("retry_after") == 5
                  and e.get("ratelimit", {}).get("remaining") == 0, f"429 with retry_after: {e}")
            r = await s.call_tool("get_user", {"id": ada})
            check(not r.is_error, "the next call (after the one-shot 429) succeeds")


async def read_only_session() -> None:
    async with stdio_client(params("--read-only")) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            names = [t.name for t in (await s.list_tools()).tools]
            check(names == ["list_users", "get_user", "list_audit_events", "list_signin_attempts"],
                  f"read-only hides the write tools: {names}")
            try:
                r = await s.call_tool("suspend_user", {"id": "X"})
                check(False, f"read-only refuses suspend_user (got {r})")
            except MCPError:
                check(True, "read-only refuses suspend_user with a protocol error")


async def bad_token_session() -> None:
    async with stdio_client(params(token="wrong", events=False)) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            e = error_of(await s.call_tool("list_users", {}))
            check(e.get("kind") == "unauthorized" and e.get("status") == 401, f"401: {e}")


async def main() -> int:
    await full_session()
    await read_only_session()
    await bad_token_session()
    print(f"mcp (Python SDK): {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


sys.exit(asyncio.run(main()))
