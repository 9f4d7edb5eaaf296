#!/usr/bin/env python3
"""The dashboard in a real headless Chromium (Debian's, driven by Debian's chromedriver through
Selenium; nothing is downloaded).

Starts `scimulator serve` on a free port, then: without the token only the sign-in form shows and
no account data; with the token from the ready file's `dashboard_url` the demo users and states
show; a user created and suspended over SCIM shows up in the journal, the audit events and the
users table without a reload; a fault rule added from the form makes the next request fail;
the SCIM filter box filters and shows errors; streaming rows never move the page; the layout
fits a narrow window. Screenshots are kept (paths printed).

Usage: dashboard_test.py SCIMULATOR_BINARY OUTPUT_DIR
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT_S = 15  # how long to wait for the page to catch up (a wait, never an assertion on time)
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def start_server(binary, workdir):
    ready = os.path.join(workdir, "ready.json")
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--clock", "manual", "--ready-file", ready],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            with open(ready) as f:
                return proc, json.load(f)
        except (OSError, ValueError):
            time.sleep(0.025)
    proc.kill()
    raise RuntimeError("scimulator serve wrote no ready file")


def http(method, url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/scim+json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def browser(workdir):
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--hide-scrollbars", f"--user-data-dir={os.path.join(workdir, 'profile')}"]:
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, 0

    def run(self, name, fn):
        try:
            fn()
            self.passed += 1
            print(f"ok   {name}", flush=True)
        except Exception:  # report every failure, keep going
            self.failed += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()


def main():
    binary, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="scimulator-dashboard-")
    server, info = start_server(binary, workdir)
    driver = None
    checks = Checks()
    try:
        driver = browser(workdir)
        # Panels are redrawn when their data changes: an element read mid-redraw is retried.
        wait = WebDriverWait(driver, WAIT_S, ignored_exceptions=[StaleElementReferenceException])
        base, scim, admin = info["url"], info["scim_url"], info["admin_token"]
        dashboard = info["dashboard_url"]
        assert dashboard.startswith(f"{base}/__admin/ui#token="), dashboard
        q = lambda css: driver.find_element(By.CSS_SELECTOR, css)
        qs = lambda css: driver.find_elements(By.CSS_SELECTOR, css)
        visible = lambda css: q(css).is_displayed()

        def without_token():
            driver.get(f"{base}/__admin/ui")
            wait.until(lambda d: visible("#signin-form"))
            assert not visible("#main"), "the dashboard is hidden"
            assert "alice.owner@example.com" not in driver.page_source
            # A wrong token is refused and still shows nothing.
            q("#token-input").send_keys("not-the-token", Keys.ENTER)
            wait.until(lambda d: q("#signin-error").text.strip() != "")
            assert "refused" in q("#signin-error").text, q("#signin-error").text
            assert not visible("#main")
            assert not qs("#users-table tbody tr")
            assert "alice.owner@example.com" not in driver.page_source
            driver.save_screenshot(os.path.join(out_dir, "dashboard-signin.png"))

        def with_token_shows_demo_users():
            driver.get(dashboard)
            wait.until(lambda d: qs('tr[data-user="alice.owner@example.com"]'))
            assert "token=" not in driver.current_url, "the token leaves the address bar"
            states = {}
            for row in qs("#users-table tbody tr[data-user]"):
                states[row.get_attribute("data-user")] = row.find_element(By.CSS_SELECTOR, "td.state .badge").text
            assert states["alice.owner@example.com"] == "ACTIVE", states
            assert states["dave@example.com"] == "TRANSFER_STARTED", states
            assert states["erin@example.com"] == "SUSPENDED", states
            assert states["frank@example.com"] == "TRANSFER_SUSPENDED", states
            assert states["grace@example.com"] == "RECOVERY_STARTED", states
            assert "owner" in q('tr[data-user="alice.owner@example.com"]').text
            assert "Engineering" in q("#groups-list").text
            # The sign-in form is gone once signed in.
            assert not visible("#signin")

        def scim_create_and_suspend_appear_live():
            driver.execute_script("window.__noReload = 42;")
            status, created = http("POST", f"{scim}/Users", info["scim_token"], {
                "schemas": [SCIM_USER], "userName": "zoe.new@example.com",
                "name": {"givenName": "Zoe", "familyName": "New"},
                "emails": [{"value": "zoe.new@example.com", "primary": True}], "active": True})
            assert status in (200, 201), (status, created)
            uid = created["id"]
            wait.until(lambda d: qs('tr[data-user="zoe.new@example.com"]'))
            journal_has = lambda method, path: lambda d: any(
                r.get_attribute("data-method") == method and r.get_attribute("data-path") == path
                for r in qs("#journal-table tbody tr"))
            wait.until(journal_has("POST", "/scim/v2/Users"))
            wait.until(lambda d: qs(f'#audit-table tbody tr[data-action="provsn"][data-object="{uid}"]'))
            status, _ = http("PATCH", f"{scim}/Users/{uid}", info["scim_token"], {
                "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]})
            assert status == 200, status
            wait.until(journal_has("PATCH", f"/scim/v2/Users/{uid}"))
            wait.until(lambda d: qs(f'#audit-table tbody tr[data-action="suspend"][data-object="{uid}"]'))
            wait.until(lambda d: q('tr[data-user="zoe.new@example.com"] td.state').text.startswith("TRANSFER_SUSPENDED"))
            # Newest first: the suspension is the top audit row.
            assert q("#audit-table tbody tr").get_attribute("data-action") == "suspend"
            assert driver.execute_script("return window.__noReload;") == 42, "the page reloaded"

        def user_action_buttons_work_from_the_keyboard():
            btn = q('button[aria-label="Reactivate zoe.new@example.com"]')
            btn.send_keys(Keys.ENTER)
            wait.until(lambda d: q('tr[data-user="zoe.new@example.com"] td.state').text.startswith("TRANSFER_STARTED"))
            wait.until(lambda d: q("#audit-table tbody tr").get_attribute("data-action") == "reactive")

        def fault_rule_from_the_form_fails_the_next_request():
            form = q("#fault-form")
            Select(form.find_element(By.NAME, "method")).select_by_visible_text("GET")
            form.find_element(By.NAME, "path").send_keys("/scim/v2/Groups")
            form.find_element(By.NAME, "times").send_keys("1")
            status_input = form.find_element(By.NAME, "status")
            status_input.clear()
            status_input.send_keys("503")
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(lambda d: qs("#faults-list li[data-rule]"))
            rule = q("#faults-list li[data-rule]")
            rule_id = rule.get_attribute("data-rule")
            assert "GET /scim/v2/Groups" in rule.text and "503" in rule.text, rule.text
            status, body = http("GET", f"{scim}/Groups", info["scim_token"])
            assert status == 503, (status, body)
            status, _ = http("GET", f"{scim}/Groups", info["scim_token"])
            assert status == 200, "the rule fired once"
            wait.until(lambda d: any(r.get_attribute("data-status") == "503"
                                     and r.get_attribute("data-fault") == rule_id
                                     for r in qs("#journal-table tbody tr")))
            wait.until(lambda d: "fired 1" in q(f'#faults-list li[data-rule="{rule_id}"]').text)
            q(f'button[aria-label="Delete fault rule {rule_id}"]').click()
            wait.until(lambda d: not qs("#faults-list li[data-rule]"))

        def filter_box_filters_and_shows_errors():
            box = q("#filter-input")
            box.clear()
            box.send_keys('userName zz "a"', Keys.ENTER)
            wait.until(lambda d: "column 10" in q("#filter-error").text)
            box.clear()
            box.send_keys('userName sw "erin"', Keys.ENTER)
            shown = lambda: driver.execute_script(
                "return [...document.querySelectorAll('#users-table tbody tr[data-user]')]"
                ".map(r => r.dataset.user)")
            wait.until(lambda d: shown() == ["erin@example.com"])
            assert q("#filter-error").text == ""
            q("#filter-clear").click()
            wait.until(lambda d: len(shown()) > 5)

        def streaming_rows_do_not_move_the_page():
            top = lambda: driver.execute_script(
                "return [document.querySelector('#events').getBoundingClientRect().top + scrollY,"
                " document.querySelector('#clock').getBoundingClientRect().top + scrollY];")
            before = top()
            seen = len(qs("#journal-table tbody tr"))
            for _ in range(25):
                http("GET", f"{scim}/Users?count=1", info["scim_token"])
            wait.until(lambda d: len(qs("#journal-table tbody tr")) >= seen + 25)
            assert top() == before, (before, top())

        def events_from_the_control_api_appear_newest_first():
            admin_api = f"{base}/__admin/tenants/default/events"
            status, _ = http("POST", f"{admin_api}/signinattempts", admin, {"generate": 4, "seed": 7})
            assert status in (200, 201), status
            usage = lambda item: {"vault_uuid": "vault-1", "item_uuid": item, "action": "reveal",
                                  "user": {"uuid": "U1", "name": "Carol", "email": "carol@example.com"}}
            status, _ = http("POST", f"{admin_api}/itemusages", admin,
                             {"events": [usage("item-old"), usage("item-new")]})
            assert status in (200, 201), status
            wait.until(lambda d: len(qs("#signins-table tbody tr")) == 4)
            wait.until(lambda d: len(qs("#usages-table tbody tr")) == 2)
            rows = qs("#usages-table tbody tr")
            assert "item-new" in rows[0].text and "item-old" in rows[1].text

        def rate_limit_from_the_form_refuses_and_deletes():
            form = q("#limit-form")
            Select(form.find_element(By.NAME, "api")).select_by_visible_text("SCIM")
            for name, value in [("requests", "2"), ("per", "1h")]:
                field = form.find_element(By.NAME, name)
                field.clear()
                field.send_keys(value)
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(lambda d: "SCIM: 2 requests per 3600 s" in q("#limits-list").text)
            codes = [http("GET", f"{scim}/Groups", info["scim_token"])[0] for _ in range(3)]
            assert codes == [200, 200, 429], codes
            wait.until(lambda d: any(r.get_attribute("data-status") == "429"
                                     for r in qs("#journal-table tbody tr")))
            q('button[aria-label="Delete scim limit 2 per 3600 s"]').click()
            wait.until(lambda d: "Not rate limited" in q("#limits-list").text)
            assert http("GET", f"{scim}/Groups", info["scim_token"])[0] == 200

        def tenant_picker_follows_new_tenants():
            status, t = http("POST", f"{base}/__admin/tenants", admin, {"name": "job-42"})
            assert status == 201, (status, t)
            wait.until(lambda d: "job-42" in [o.text for o in Select(q("#tenant")).options])
            Select(q("#tenant")).select_by_visible_text("job-42")
            # A new tenant has only its owner, and a journal of its own.
            wait.until(lambda d: len(qs("#users-table tbody tr[data-user]")) == 1)
            wait.until(lambda d: not qs("#journal-table tbody tr"))
            http("GET", f"{scim}/Users", t["scim_token"])
            wait.until(lambda d: len(qs("#journal-table tbody tr")) == 1)
            Select(q("#tenant")).select_by_visible_text("default")
            wait.until(lambda d: len(qs("#users-table tbody tr[data-user]")) > 5)

        def reset_restores_the_tenant():
            q("#reset").click()
            wait.until(lambda d: d.switch_to.alert)
            driver.switch_to.alert.accept()
            wait.until(lambda d: not qs('tr[data-user="zoe.new@example.com"]'))
            wait.until(lambda d: q("#clock-now").text.startswith("2026-01-01 00:00"))
            assert qs('tr[data-user="dave@example.com"]')

        def clock_advances_from_the_form():
            before = q("#clock-now").text
            assert q("#clock-mode").text == "manual"
            field = q("#clock-advance")
            field.clear()
            field.send_keys("2h", Keys.ENTER)
            wait.until(lambda d: q("#clock-now").text != before)
            assert q("#clock-now").text.startswith("2026-01-01 02:"), q("#clock-now").text

        def full_page_screenshot():
            # Tall enough for users, journal and audit events; no highlight animation mid-fade.
            driver.set_window_size(1280, 1500)
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
            driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
            path = os.path.join(out_dir, "dashboard.png")
            driver.save_screenshot(path)
            assert os.path.getsize(path) > 10_000
            print(f"screenshot: {os.path.abspath(path)}")
            # And the whole page, every panel.
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True})
            full = os.path.join(out_dir, "dashboard-full.png")
            with open(full, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            print(f"screenshot: {os.path.abspath(full)}")
            driver.set_window_size(1280, 1000)

        def narrow_window_has_no_sideways_scroll():
            driver.set_window_size(420, 900)
            wait.until(lambda d: d.execute_script("return innerWidth") <= 420)
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"page is {overflow}px wider than the window"
            path = os.path.join(out_dir, "dashboard-narrow.png")
            driver.save_screenshot(path)
            print(f"screenshot: {os.path.abspath(path)}")
            driver.set_window_size(1280, 1000)

        def sign_out_removes_account_data():
            driver.set_window_size(1280, 1000)
            q("#sign-out").click()
            wait.until(lambda d: visible("#signin-form"))
            assert not qs("#users-table tbody tr")
            assert "alice.owner@example.com" not in driver.page_source
            # The stored token is gone: a reload still asks for it.
            driver.refresh()
            wait.until(lambda d: visible("#signin-form"))
            # Signing in from the form works.
            q("#token-input").send_keys(admin, Keys.ENTER)
            wait.until(lambda d: qs('tr[data-user="alice.owner@example.com"]'))

        for name, fn in [
            ("without the token only the sign-in form shows, and no account data", without_token),
            ("with the token the demo users and their states show", with_token_shows_demo_users),
            ("a user created and suspended over SCIM appears in journal, audit and users live",
             scim_create_and_suspend_appear_live),
            ("per-user actions work from the keyboard", user_action_buttons_work_from_the_keyboard),
            ("journal rows streaming in do not move the page", streaming_rows_do_not_move_the_page),
            ("a fault rule added from the form fails the next request",
             fault_rule_from_the_form_fails_the_next_request),
            ("the SCIM filter box filters and shows errors with the column",
             filter_box_filters_and_shows_errors),
            ("sign-in attempts and item usages appear, newest first",
             events_from_the_control_api_appear_newest_first),
            ("the clock advances from the form", clock_advances_from_the_form),
            ("screenshot at 1280 px", full_page_screenshot),
            ("a narrow window needs no sideways scrolling", narrow_window_has_no_sideways_scroll),
            ("a rate limit added from the form refuses requests; deleting it lifts it",
             rate_limit_from_the_form_refuses_and_deletes),
            ("the tenant picker follows new tenants and shows each one's own data",
             tenant_picker_follows_new_tenants),
            ("resetting the tenant from the page restores it", reset_restores_the_tenant),
            ("signing out removes the data; signing in from the form works",
             sign_out_removes_account_data),
        ]:
            checks.run(name, fn)
    finally:
        if driver is not None:
            driver.quit()
        server.kill()
        server.wait()
    print(f"dashboard: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed or checks.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
