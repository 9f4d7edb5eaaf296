// scimulator dashboard. Plain JavaScript, no dependencies: it calls the JSON control API under
// /__admin with the admin token as a bearer header. The token comes from the URL fragment
// (#token=..., which browsers never send to the server) or the sign-in form, and is kept in
// sessionStorage (this tab only). Every value from the server is put in the page as text, never
// as HTML.
"use strict";

const API = "/__admin";
const TOKEN_KEY = "scimulator.adminToken";
const TENANT_KEY = "scimulator.tenant";
const JOURNAL_POLL_MS = 1000;
const STATE_REFRESH_MS = 3000;
const JOURNAL_KEEP = 300;
const USER_STATES = ["ACTIVE", "SUSPENDED", "TRANSFER_STARTED", "TRANSFER_SUSPENDED",
  "RECOVERY_STARTED", "RECOVERY_ACCEPTED"];

const $ = (sel) => document.querySelector(sel);

/** Builds an element: h("td", {class: "x"}, "text", child, ...). Strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

const app = {
  token: null,
  tenant: null,
  cursor: 0,
  paused: false,
  journalTimer: null,
  stateTimer: null,
  filter: "",
  rendered: {},   // last JSON rendered per panel, so unchanged data is not redrawn
  limits: { scim: [], events: [] },
};

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${app.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(API + path, {
    method, headers, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (!resp.ok) {
    const msg = (data && (data.error || data.message)) || `${resp.status} ${resp.statusText}`;
    if (resp.status === 401) signOut(msg);
    throw new ApiError(resp.status, msg);
  }
  return data;
}

const tpath = (rest) => `/tenants/${encodeURIComponent(app.tenant)}${rest}`;

function notify(text) { $("#notice").textContent = text; }

// ----- sign-in -----------------------------------------------------------------------------

function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    // Take the token out of the address bar and the history.
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function showSignIn(message) {
  $("#main").hidden = true;
  $("#tenant-bar").hidden = true;
  $("#signin").hidden = false;
  $("#signin-error").textContent = message || "";
  $("#token-input").focus();
}

function signOut(message) {
  stopTimers();
  sessionStorage.removeItem(TOKEN_KEY);
  app.token = null;
  app.rendered = {};
  // No account data stays in the page once the token is gone.
  for (const el of document.querySelectorAll("main tbody, main ul, #tenant-info, main .count, " +
    "#clock-now, #clock-mode, #notice, #filter-error")) el.replaceChildren();
  $("#tenant").replaceChildren();
  showSignIn(message);
}

async function start() {
  app.token = sessionStorage.getItem(TOKEN_KEY);
  if (!app.token) return showSignIn();
  let tenants;
  try {
    tenants = (await api("GET", "/tenants")).tenants;
  } catch (e) {
    return signOut(e.status === 401 ? "That token was refused: " + e.message : e.message);
  }
  $("#signin").hidden = true;
  $("#main").hidden = false;
  $("#tenant-bar").hidden = false;
  fillTenants(tenants);
  await selectTenant($("#tenant").value);
}

function fillTenants(tenants) {
  const want = app.tenant || sessionStorage.getItem(TENANT_KEY) || "default";
  const names = tenants.map((t) => t.name);
  app.rendered.tenants = null;
  $("#tenant").replaceChildren(...names.map((n) => h("option", { value: n }, n)));
  $("#tenant").value = names.includes(want) ? want : names[0];
}

async function selectTenant(name) {
  stopTimers();
  app.tenant = name;
  sessionStorage.setItem(TENANT_KEY, name);
  app.cursor = 0;
  app.rendered = {};
  $("#journal-table tbody").replaceChildren();
  await refreshState();
  await pollJournal();
  app.journalTimer = setInterval(pollJournal, JOURNAL_POLL_MS);
  app.stateTimer = setInterval(refreshState, STATE_REFRESH_MS);
}

function stopTimers() {
  clearInterval(app.journalTimer);
  clearInterval(app.stateTimer);
  app.journalTimer = app.stateTimer = null;
}

// ----- rendering helpers -------------------------------------------------------------------

/**
 * Replaces a container's children when `data` changed since the last time, keeping keyboard
 * focus on the control with the same data-key, so a refresh never throws a keyboard user out.
 */
function redraw(key, container, data, build) {
  const json = JSON.stringify(data);
  if (app.rendered[key] === json) return;
  app.rendered[key] = json;
  const focused = document.activeElement;
  const focusKey = focused && container.contains(focused) ? focused.dataset.key : null;
  container.replaceChildren(...build(data));
  if (focusKey) {
    const again = container.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
  }
}

const when = (ts) => (ts ? ts.replace("T", " ").replace(/(\.\d+)?Z$/, "Z") : "");
const stateBadge = (s) => h("span", { class: `badge s-${s}` }, s);
const empty = (cols, text) => h("tr", {}, h("td", { colspan: cols, class: "empty" }, text));

// ----- state panels ------------------------------------------------------------------------

async function refreshState() {
  if (!app.token || !app.tenant) return;
  const jobs = [refreshUsers(), refreshGroups(), refreshEvents(), refreshFaults(),
    refreshLimits(), refreshClock(), refreshOutbox(), refreshTenant()];
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r) => r.status === "rejected" && r.reason.status !== 401);
  $("#live-status").textContent = failed ? "refresh failed: " + failed.reason.message : "live";
}

async function refreshUsers() {
  const q = app.filter ? `?filter=${encodeURIComponent(app.filter)}` : "";
  let data;
  try {
    data = await api("GET", tpath(`/users${q}`));
  } catch (e) {
    if (e.status === 400) return showFilterError(e.message);
    throw e;
  }
  showFilterError("");
  $("#users-count").textContent = app.filter
    ? `(${data.users.length} of ${data.total})` : `(${data.total})`;
  redraw("users", $("#users-table tbody"), data.users, (users) =>
    users.length ? users.map(userRow) : [empty(6, "No user matches.")]);
}

function showFilterError(message) {
  const box = $("#filter-error");
  box.replaceChildren();
  if (!message) return;
  box.append(message);
  // Point at the column the parser names.
  const m = /column (\d+)/.exec(message);
  if (m) box.append(h("pre", { "aria-hidden": "true" }, app.filter + "\n" + " ".repeat(Number(m[1]) - 1) + "^"));
}

function userRow(u) {
  const acts = [];
  const act = (label, name, fn) => acts.push(h("button", {
    type: "button", class: "small", "data-key": `${u.id}:${name}`,
    "aria-label": `${label} ${u.user_name}`, onclick: () => userAction(u, fn),
  }, label));
  if (u.state === "TRANSFER_STARTED" && !u.signed_up) {
    act("Accept invitation", "accept", () => api("POST", tpath(`/users/${u.id}/accept`)));
  }
  if (u.role !== "guest") {
    if (u.active) act("Suspend", "suspend", () => api("POST", tpath(`/users/${u.id}/suspend`)));
    else act("Reactivate", "reactivate", () => api("POST", tpath(`/users/${u.id}/reactivate`)));
  }
  const select = h("select", { "aria-label": `New state for ${u.user_name}`, "data-key": `${u.id}:state` },
    USER_STATES.map((s) => h("option", { value: s, selected: s === u.state }, s)));
  acts.push(select, h("button", {
    type: "button", class: "small", "data-key": `${u.id}:set`,
    "aria-label": `Set state of ${u.user_name}`,
    onclick: () => userAction(u, () => api("PUT", tpath(`/users/${u.id}/state`), { state: select.value })),
  }, "Set"));
  const state = [stateBadge(u.state)];
  if (u.state === "TRANSFER_STARTED" && u.signed_up) state.push(h("span", { class: "sub" }, "signed up, pending"));
  const [day, time] = when(u.last_modified).split(" ");
  return h("tr", { "data-user": u.user_name },
    h("th", { scope: "row" }, u.display_name,
      h("span", { class: "sub mono", title: `id ${u.id}` }, u.user_name)),
    h("td", { class: "state" }, state),
    h("td", {}, u.role),
    h("td", {}, u.groups.map((g) => g.name).join(", ")),
    h("td", {}, h("time", { datetime: u.last_modified }, h("span", { class: "nw" }, day), " ",
      h("span", { class: "nw" }, time))),
    h("td", {}, h("div", { class: "actions" }, acts)));
}

async function userAction(u, fn) {
  try {
    await fn();
    notify(`Done: ${u.user_name}.`);
  } catch (e) {
    notify(`${u.user_name}: ${e.message}`);
  }
  await refreshState();
}

async function refreshGroups() {
  const data = await api("GET", tpath("/groups"));
  $("#groups-count").textContent = `(${data.groups.length})`;
  redraw("groups", $("#groups-list"), data.groups, (groups) => groups.map((g) =>
    h("li", {},
      h("strong", {}, g.name), g.builtin ? h("span", { class: "count" }, " built-in") : null,
      h("div", { class: "members" }, g.members.length
        ? g.members.map((m) => m.user_name || m.id).join(", ") : "no members"))));
}

async function refreshEvents() {
  const [audit, signins, usages] = await Promise.all(["auditevents", "signinattempts", "itemusages"]
    .map((s) => api("GET", tpath(`/recent/${s}?limit=100`))));
  const person = (p) => (p ? p.email || p.name || p.uuid || "" : "");
  $("#audit-count").textContent = `(${audit.total})`;
  redraw("audit", $("#audit-table tbody"), audit.items, (items) => items.length ? items.map((e) =>
    h("tr", { "data-action": e.action, "data-object": e.object_uuid },
      h("td", {}, when(e.timestamp)),
      h("td", {}, `${e.action} ${e.object_type}`),
      h("td", { title: e.object_uuid }, person(e.object_details) || e.aux_info || e.object_uuid,
        e.aux_details ? ` → ${person(e.aux_details)}` : ""),
      h("td", {}, person(e.actor_details) || e.actor_uuid))) : [empty(4, "No audit events yet.")]);
  $("#signins-count").textContent = `(${signins.total})`;
  redraw("signins", $("#signins-table tbody"), signins.items, (items) => items.length ? items.map((e) =>
    h("tr", {},
      h("td", {}, when(e.timestamp)),
      h("td", {}, `${e.category} ${e.type}`),
      h("td", {}, person(e.target_user)),
      h("td", {}, [e.client && e.client.app_name, e.country].filter(Boolean).join(", ")))) :
    [empty(4, "No sign-in attempts.")]);
  $("#usages-count").textContent = `(${usages.total})`;
  redraw("usages", $("#usages-table tbody"), usages.items, (items) => items.length ? items.map((e) =>
    h("tr", {},
      h("td", {}, when(e.timestamp)),
      h("td", {}, e.action),
      h("td", {}, person(e.user)),
      h("td", { class: "mono" }, `${e.vault_uuid} / ${e.item_uuid}`))) : [empty(4, "No item usages.")]);
}

function describeRule(r) {
  const m = r.match || {};
  const what = [m.method || "any method", m.path || (m.path_regex && `~${m.path_regex}`) || "any path",
    m.api ? `(${m.api})` : ""].filter(Boolean).join(" ");
  const a = r.action || {};
  const does = a.drop ? "drop the connection"
    : [a.status && `answer ${a.status}`, a.retry_after !== undefined && `Retry-After ${a.retry_after}`,
      a.delay_ms && `delay ${a.delay_ms} ms`].filter(Boolean).join(", ");
  const how = [r.times ? `next ${r.times}` : "every time", r.after ? `after ${r.after}` : "",
    r.probability !== undefined ? `p=${r.probability}` : ""].filter(Boolean).join(", ");
  return `${what}: ${does} (${how}; matched ${r.matched}, fired ${r.fired}` +
    (r.remaining === null ? ")" : `, ${r.remaining} left)`);
}

async function refreshFaults() {
  const data = await api("GET", tpath("/faults"));
  redraw("faults", $("#faults-list"), data.faults, (rules) => rules.length ? rules.map((r) =>
    h("li", { "data-rule": r.id },
      h("span", {}, h("code", {}, r.id), " ", describeRule(r)),
      h("button", {
        type: "button", class: "small danger", "data-key": `rule:${r.id}`,
        "aria-label": `Delete fault rule ${r.id}`, onclick: () => deleteRule(r.id),
      }, "Delete"))) : [h("li", { class: "empty" }, "No fault rules.")]);
}

async function deleteRule(id) {
  try { await api("DELETE", tpath(`/faults/${encodeURIComponent(id)}`)); notify(`Deleted ${id}.`); }
  catch (e) { notify(e.message); }
  await refreshFaults();
}

async function addRule(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const num = (name) => (f[name].value === "" ? undefined : Number(f[name].value));
  const match = {};
  if (f.method.value) match.method = f.method.value;
  if (f.path.value.trim()) match.path = f.path.value.trim();
  if (f.api.value) match.api = f.api.value;
  const action = f.drop.checked ? { drop: true }
    : { status: num("status"), retry_after: num("retry_after"), delay_ms: num("delay_ms") };
  const rule = { match, times: num("times"), after: num("after"), action };
  try {
    const added = await api("POST", tpath("/faults"), rule);
    $("#fault-error").textContent = "";
    notify(`Added fault rule ${added.id}.`);
  } catch (e) {
    $("#fault-error").textContent = e.message;
  }
  await refreshFaults();
}

async function refreshLimits() {
  const cfg = await api("GET", tpath("/ratelimits"));
  app.limits = { scim: cfg.scim || [], events: cfg.events || [] };
  const rows = [];
  for (const apiName of ["scim", "events"]) {
    app.limits[apiName].forEach((w, i) => rows.push({ api: apiName, i, ...w }));
  }
  redraw("limits", $("#limits-list"), rows, (items) => items.length ? items.map((w) =>
    h("li", {},
      h("span", {}, `${w.api === "scim" ? "SCIM" : "Events"}: ${w.requests} requests per ${w.per} s`),
      h("button", {
        type: "button", class: "small danger", "data-key": `limit:${w.api}:${w.i}`,
        "aria-label": `Delete ${w.api} limit ${w.requests} per ${w.per} s`,
        onclick: () => deleteLimit(w.api, w.i),
      }, "Delete"))) : [h("li", { class: "empty" }, "Not rate limited.")]);
}

async function putLimits(next, errorBox) {
  try {
    await api("PUT", tpath("/ratelimits"), next);
    errorBox.textContent = "";
  } catch (e) {
    errorBox.textContent = e.message;
  }
  await refreshLimits();
}

function deleteLimit(apiName, i) {
  const next = { scim: [...app.limits.scim], events: [...app.limits.events] };
  next[apiName].splice(i, 1);
  return putLimits(next, $("#limit-error"));
}

function addLimit(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const per = /^\d+$/.test(f.per.value.trim()) ? Number(f.per.value.trim()) : f.per.value.trim();
  const next = { scim: [...app.limits.scim], events: [...app.limits.events] };
  next[f.api.value].push({ requests: Number(f.requests.value), per });
  return putLimits(next, $("#limit-error"));
}

async function refreshClock() {
  const c = await api("GET", tpath("/clock"));
  $("#clock-mode").textContent = c.mode;
  $("#clock-now").textContent = when(c.now);
  $("#clock-now").setAttribute("datetime", c.now);
}

async function advanceClock(ev) {
  ev.preventDefault();
  const raw = $("#clock-advance").value.trim();
  const advance = /^\d+$/.test(raw) ? Number(raw) : raw;
  try { await api("POST", tpath("/clock"), { advance }); notify(`Clock advanced by ${raw}.`); }
  catch (e) { notify(e.message); }
  await refreshState();
}

async function refreshOutbox() {
  const data = await api("GET", tpath("/outbox"));
  $("#outbox-count").textContent = `(${data.invitations.length})`;
  redraw("outbox", $("#outbox-list"), [...data.invitations].reverse(), (items) => items.length
    ? items.map((i) => h("li", {}, `${when(i.sent_at)} ${i.kind} → `, h("span", { class: "mono" }, i.email)))
    : [h("li", { class: "empty" }, "No invitations sent.")]);
}

async function refreshTenant() {
  // The tenant list too: tenants come and go while a test suite runs.
  const { tenants } = await api("GET", "/tenants");
  const names = tenants.map((x) => x.name);
  redraw("tenants", $("#tenant"), names, (names) =>
    names.map((n) => h("option", { value: n, selected: n === app.tenant }, n)));
  const t = tenants.find((x) => x.name === app.tenant);
  if (!t) {
    notify(`Tenant ${app.tenant} is gone; showing ${names[0]}.`);
    $("#tenant").value = names[0];
    return selectTenant(names[0]);
  }
  redraw("tenant", $("#tenant-info"), t, (t) => [
    h("dt", {}, "Name"), h("dd", {}, t.name),
    h("dt", {}, "Profile"), h("dd", {}, String(t.preset)),
    h("dt", {}, "SCIM"), h("dd", { class: "mono" }, t.scim_path),
    h("dt", {}, "SCIM token"), h("dd", { class: "mono" }, t.scim_token),
  ]);
}

async function exportTenant() {
  try {
    const data = await api("GET", tpath("/export"));
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const a = h("a", { href: URL.createObjectURL(blob), download: `${app.tenant}-export.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    notify(`Exported ${app.tenant}.`);
  } catch (e) { notify(e.message); }
}

async function resetTenant() {
  if (!confirm(`Reset tenant "${app.tenant}" to how it was created? Users, events, journal and faults are replaced.`)) return;
  try {
    await api("POST", "/reset", { scope: "tenant", tenant: app.tenant });
    notify(`Tenant ${app.tenant} reset.`);
  } catch (e) { notify(e.message); }
  await selectTenant(app.tenant);
}

// ----- journal -----------------------------------------------------------------------------

async function pollJournal() {
  if (!app.token || !app.tenant || app.paused || app.polling) return;
  app.polling = true;
  const tenant = app.tenant;
  try {
    const page = await api("GET", tpath(`/journal/feed?after=${app.cursor}`));
    if (tenant !== app.tenant) return; // the picker moved on while this was in flight
    const body = $("#journal-table tbody");
    if (page.restarted) body.replaceChildren();
    app.cursor = page.next;
    if (page.requests.length) {
      // Newest first; the feed box has a fixed height, so the page never moves.
      const rows = page.requests.map(journalRow).reverse();
      body.prepend(...rows);
      while (body.rows.length > JOURNAL_KEEP) body.deleteRow(-1);
      $("#journal-count").textContent = `(${page.next} recorded)`;
      // A request may have changed the account: refresh the other panels now.
      refreshState();
    }
    $("#live-status").textContent = "live";
  } catch (e) {
    if (e.status !== 401) $("#live-status").textContent = "journal: " + e.message;
  } finally {
    app.polling = false;
  }
}

function journalRow(r) {
  const full = r.query ? `${r.path}?${r.query}` : r.path;
  const status = r.status === 0 ? "dropped" : String(r.status);
  return h("tr", {
    class: "fresh", "data-seq": r.seq, "data-status": r.status, "data-method": r.method,
    "data-path": r.path, "data-fault": r.fault || "",
  },
    h("td", { class: "num" }, r.seq),
    h("td", {}, r.at ? r.at.slice(11, 19) : ""),
    h("td", {}, r.method),
    h("td", { class: "path", title: full }, full),
    h("td", { class: `st-${String(r.status)[0]}` }, status),
    h("td", { class: "num" }, `${(r.duration_us / 1000).toFixed(1)} ms`),
    h("td", { class: "fault-tag", title: r.fault || "" }, r.fault || ""));
}

// ----- wiring ------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  tokenFromFragment();
  $("#signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = $("#token-input").value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("#token-input").value = "";
    start();
  });
  $("#sign-out").addEventListener("click", () => signOut("Signed out."));
  $("#tenant").addEventListener("change", (ev) => selectTenant(ev.target.value));
  $("#filter-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    app.filter = $("#filter-input").value.trim();
    app.rendered.users = null;
    refreshUsers().catch((e) => notify(e.message));
  });
  $("#filter-clear").addEventListener("click", () => {
    $("#filter-input").value = "";
    app.filter = "";
    refreshUsers().catch((e) => notify(e.message));
  });
  $("#journal-pause").addEventListener("click", (ev) => {
    app.paused = !app.paused;
    ev.target.setAttribute("aria-pressed", String(app.paused));
    ev.target.textContent = app.paused ? "Resume" : "Pause";
  });
  $("#journal-clear").addEventListener("click", async () => {
    try { await api("DELETE", tpath("/journal")); notify("Journal cleared."); }
    catch (e) { notify(e.message); }
    $("#journal-table tbody").replaceChildren();
  });
  $("#fault-form").addEventListener("submit", addRule);
  $("#limit-form").addEventListener("submit", addLimit);
  $("#clock-form").addEventListener("submit", advanceClock);
  $("#export").addEventListener("click", exportTenant);
  $("#reset").addEventListener("click", resetTenant);
  start();
});
window.addEventListener("hashchange", () => {
  if (location.hash.includes("token=")) { tokenFromFragment(); start(); }
});
