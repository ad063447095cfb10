// Assembly Line dashboard: plain JavaScript, no build step, nothing loaded from elsewhere.
// Every text from the repository or from people is placed with textContent; the one HTML taken from the
// server is a SPEC.md that commonmark rendered with raw HTML escaped. See docs/dashboard.md.
"use strict";

const COLUMNS = {
  SPECS: ["NEEDS_SPEC", "SPEC_INCOMPLETE"],
  BUILD: ["READY_FOR_BUILD", "BUILD_IN_PROGRESS"],
  TEST: ["NEEDS_TESTS", "TESTING", "TESTS_FAILING", "READY_FOR_DEPLOY"],
  PRODUCTION: ["PRODUCTION", "UNHEALTHY"],
};
const PHASES = Object.values(COLUMNS).flat();

const state = {
  me: null,            // who is signed in (/api/dashboard/me)
  view: null,          // "board" | "service" | "sessions"
  service: null,       // the service page's name
  last: -1,            // the newest event id the page has applied
  filter: { phase: "", holder: "", name: "" },
  shown: {},           // column → how many cards are shown (paging)
  source: null,        // the EventSource
  failed: false,       // the stream dropped: reload on the next open
};
// what reached the page and when (read by the browser tests and the latency benchmark)
window.__assembly = { applied: [], connected: 0, ready: false };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
}

function since(iso) {
  return iso ? duration((Date.now() - Date.parse(iso)) / 1000) : "–";
}

function clock(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

async function api(path, options) {
  const res = await fetch(path, Object.assign({ credentials: "same-origin", headers: { "X-Assembly-Dashboard": "1" } }, options || {}));
  if (res.status === 401 && (!options || !options.method)) {
    location.href = "/signin?next=" + encodeURIComponent(location.pathname + location.search);
    throw new Error("signed out");
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.error || res.statusText), { status: res.status, body });
  return body;
}

function main() {
  return document.getElementById("main");
}

// replaceChildren, skipping what is not there (null) and flattening lists
function fill(parent, ...children) {
  parent.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
}

function say(text, bad) {
  const t = document.getElementById("toast");
  if (t) {
    t.textContent = text;
    t.className = "toast" + (bad ? " error" : "");
  }
}

// ---- who is looking ------------------------------------------------------------------------------

async function loadMe() {
  state.me = await api("/api/dashboard/me");
  const who = document.getElementById("who");
  who.replaceChildren();
  if (state.me.session) {
    who.append("signed in as " + (state.me.session_name || state.me.session) + " ",
      el("form", { method: "post", action: "/signout" }, el("button", { type: "submit", text: "Sign out" })));
  } else if (state.me.signed_in) {
    who.append("signed in (read-only) ",
      el("form", { method: "post", action: "/signout" }, el("button", { type: "submit", text: "Sign out" })));
  } else {
    who.append(el("a", { href: "/signin?next=" + encodeURIComponent(location.pathname), text: "Sign in to act" }));
  }
}

async function act(ticket, action) {
  try {
    const r = await api("/api/tickets/" + ticket + "/" + action, { method: "POST", headers: { "X-Assembly-Dashboard": "1", "Content-Type": "application/json" }, body: "{}" });
    say(r.message || (action + " #" + ticket + ": done"));
  } catch (e) {
    say(action + " #" + ticket + ": " + e.message, true);
  }
  if (state.view === "board") loadMine();
}

function actions(ticket, holding, holder) {
  if (!state.me || !state.me.session || !ticket || holder !== state.me.session) return null;
  const box = el("div", { class: "actions" });
  if (holding === "offered") box.append(el("button", { type: "button", text: "Claim", onclick: () => act(ticket, "claim") }));
  box.append(el("button", { type: "button", text: "Release", onclick: () => act(ticket, "release") }));
  if (holding === "claimed") box.append(el("button", { type: "button", text: "Done", onclick: () => act(ticket, "done") }));
  return box;
}

// ---- the board -----------------------------------------------------------------------------------

function card(c) {
  const whyId = "why-" + c.service;
  const li = el("li", {
    class: "card" + (c.stuck ? " stuck" : ""), tabindex: "0", "data-service": c.service, "data-phase": c.phase,
    "data-holder": c.holder || "", "data-stuck": c.stuck || "", "data-since": c.since, "aria-describedby": whyId,
  });
  li.append(el("a", { class: "name", href: "/services/" + encodeURIComponent(c.service), text: c.service }));
  li.append(el("div", { class: "phase", text: c.phase.replaceAll("_", " ") + " · " }, el("span", { class: "age", text: since(c.since) })));
  if (c.stuck) li.append(el("div", { class: "stuck-why", text: "⚠ " + c.stuck }));
  if (c.holder) li.append(el("div", { class: "line holder", text: (c.holding === "offered" ? "offered to " : "held by ") + c.holder
      + (c.ticket ? " · " + c.ticket_kind + " #" + c.ticket : "") }));
  if (c.percent !== null && c.percent !== undefined) {
    li.append(el("div", { class: "line progress", text: c.percent + "%" }), el("div", { class: "bar", role: "presentation" }, Object.assign(el("i"), {})));
    li.lastChild.firstChild.style.width = Math.max(0, Math.min(100, c.percent)) + "%";
  }
  if (c.tests) li.append(el("div", { class: "line tests", text: (c.tests_running ? "tests running: " : "tests: ") + c.tests }));
  if (c.uptime !== null && c.uptime !== undefined) li.append(el("div", { class: "line uptime", text: "uptime " + c.uptime + "% (24h)" }));
  li.append(el("div", { class: "why", role: "tooltip", id: whyId, text: c.why || "" }));
  const a = actions(c.ticket, c.holding, c.holder);
  if (a) li.append(a);
  return li;
}

function matches(c) {
  const f = state.filter;
  return (!f.phase || c.phase === f.phase) && (!f.holder || c.holder === f.holder)
    && (!f.name || c.service.toLowerCase().includes(f.name.toLowerCase()));
}

function query(extra) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filter)) if (v) p.set(k, v);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  return p.toString();
}

async function renderBoard() {
  const m = main();
  fill(m,
    el("h1", { class: "visually-hidden", text: "Pipeline" }),
    el("section", { id: "metrics", "aria-label": "Flow metrics" }),
    filters(),
    el("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" }),
    el("div", { class: "board", id: "board" }),
    el("div", { class: "panels" },
      el("section", { class: "panel", id: "mine", "aria-labelledby": "mine-h" }, el("h2", { id: "mine-h", text: "My tickets" })),
      el("section", { class: "panel", "aria-labelledby": "messages-h" }, el("h2", { id: "messages-h", text: "Messages" }),
        el("ol", { class: "messages", id: "messages" }),
        el("button", { type: "button", class: "more", id: "older", text: "Older messages", onclick: olderMessages }))),
  );
  await Promise.all([loadBoard(), loadMetrics(), loadMessages(), loadMine()]);
  window.__assembly.readyAt = performance.now();
  window.__assembly.ready = true;
}

function filters() {
  const phase = el("select", { id: "f-phase", name: "phase" }, el("option", { value: "", text: "all" }),
    PHASES.map(p => el("option", { value: p, text: p })));
  const holder = el("select", { id: "f-holder", name: "holder" }, el("option", { value: "", text: "anyone" }));
  const name = el("input", { id: "f-name", name: "name", type: "search", placeholder: "name contains…" });
  phase.value = state.filter.phase;
  name.value = state.filter.name;
  let timer = null;
  const apply = () => {
    state.filter = { phase: phase.value, holder: holder.value, name: name.value.trim() };
    state.shown = {};
    history.replaceState(null, "", "/" + (query() ? "?" + query() : ""));
    loadBoard();
  };
  phase.addEventListener("change", apply);
  holder.addEventListener("change", apply);
  name.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 250); });
  return el("form", { class: "filters", role: "search", "aria-label": "Filter the services", onsubmit: e => { e.preventDefault(); apply(); } },
    el("label", { for: "f-phase" }, "Phase", phase), el("label", { for: "f-holder" }, "Holder", holder),
    el("label", { for: "f-name" }, "Name", name));
}

async function loadBoard() {
  const b = await api("/api/board?" + query());
  state.last = Math.max(state.last, b.last_event_id);
  const board = document.getElementById("board");
  if (!board) return;
  board.replaceChildren(...b.columns.map(column));
  const holder = document.getElementById("f-holder");
  if (holder) {
    const want = state.filter.holder;
    fill(holder, el("option", { value: "", text: "anyone" }), b.holders.map(h => el("option", { value: h, text: h })));
    if (want && !b.holders.includes(want)) holder.append(el("option", { value: want, text: want }));
    holder.value = want;
  }
  connect();
}

function column(c) {
  const id = "col-" + c.column;
  const total = Object.values(c.counts).reduce((a, b) => a + b, 0);
  const sec = el("section", { class: "column", id, "aria-labelledby": id + "-h", "data-column": c.column },
    el("h2", { id: id + "-h" }, el("span", { text: c.column }), el("span", { class: "total", text: String(total) })),
    el("ul", { class: "counts", "aria-label": "services per phase" },
      Object.entries(c.counts).map(([p, n]) => el("li", { "data-phase": p }, p.replaceAll("_", " ") + " ", el("b", { text: String(n) })))),
    el("ol", { class: "cards" }, c.cards.map(card)));
  state.shown[c.column] = c.cards.length;
  if (c.matching > c.cards.length) {
    sec.append(el("button", { type: "button", class: "more", text: "Show more (" + (c.matching - c.cards.length) + " more)",
      onclick: e => more(c.column, e.target) }));
  }
  return sec;
}

async function more(col, button) {
  const b = await api("/api/board?" + query({ column: col, offset: state.shown[col] || 0 }));
  const c = b.columns.find(x => x.column === col);
  const list = document.querySelector("#col-" + col + " .cards");
  c.cards.forEach(x => { if (!list.querySelector('[data-service="' + CSS.escape(x.service) + '"]')) list.append(card(x)); });
  state.shown[col] = (state.shown[col] || 0) + c.cards.length;
  const left = c.matching - state.shown[col];
  if (left > 0) button.textContent = "Show more (" + left + " more)";
  else button.remove();
}

function place(c) {
  const old = document.querySelector('.card[data-service="' + CSS.escape(c.service) + '"]');
  const focused = old && old.contains(document.activeElement);
  if (old) old.remove();
  if (!matches(c)) return;
  const list = document.querySelector("#col-" + c.column + " .cards");
  if (!list) return;
  const fresh = card(c);
  // the stuck first, then the most recently moved: a moved card goes to the top of the rest
  const firstCalm = c.stuck ? list.firstElementChild : [...list.children].find(x => !x.classList.contains("stuck"));
  list.insertBefore(fresh, firstCalm || null);
  if (focused) fresh.focus();
}

function counts(all) {
  for (const [col, phases] of Object.entries(COLUMNS)) {
    const sec = document.getElementById("col-" + col);
    if (!sec) continue;
    let total = 0;
    for (const p of phases) {
      const n = all[p] || 0;
      total += n;
      const b = sec.querySelector('.counts [data-phase="' + p + '"] b');
      if (b) b.textContent = String(n);
    }
    sec.querySelector(".total").textContent = String(total);
  }
}

// ---- metrics strip -------------------------------------------------------------------------------

async function loadMetrics() {
  const box = document.getElementById("metrics");
  if (!box) return;
  const f = await api("/api/metrics/flow");
  const pct = v => (v === null || v === undefined ? "–" : Math.round(v * 1000) / 10 + "%");
  const figure = (value, label) => el("div", { class: "metric" }, el("b", { text: value }), el("span", { text: label }));
  box.replaceChildren(
    el("div", { class: "metrics" },
      figure(duration(f.cycle_time_median_s) + " / " + duration(f.cycle_time_p90_s), "cycle time spec → production, median / p90 (30 days)"),
      figure(String(f.assignments_today), "auto-assignments today"),
      figure(String(f.deploys_this_week), "deploys this week"),
      figure(String(f.work_in_progress), "work in progress"),
      figure(String(f.waiting_for_a_session), "tickets waiting for a session"),
      figure(pct(f.change_failure_rate), "change failure rate (30 days)"),
      figure(duration(f.time_to_restore_median_s), "time to restore, median")),
    el("div", { class: "charts" }, throughputChart(f.throughput_14d), flowChart(f.cumulative_flow_14d)));
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  children.flat(Infinity).forEach(c => c && e.append(c));
  return e;
}

function throughputChart(points) {
  const most = Math.max(0, ...points.map(p => p.deploys)), w = 320, h = 100, max = Math.max(1, most), bw = w / points.length;
  const bars = points.map((p, i) => {
    const bh = (p.deploys / max) * (h - 16);
    return svg("rect", { x: i * bw + 2, y: h - 12 - bh, width: bw - 4, height: bh, fill: "var(--chart2)" },
      svg("title", {}, document.createTextNode(p.day + ": " + p.deploys + " deploys")));
  });
  const label = svg("text", { x: 0, y: h, "font-size": 10, fill: "currentColor" }, document.createTextNode(points[0].day + " … " + points[points.length - 1].day));
  return el("figure", { class: "chart" }, el("figcaption", { text: "Throughput: deploys per day, 14 days (most in a day: " + most + ")" }),
    svg("svg", { viewBox: "0 0 " + w + " " + (h + 2), role: "img", "aria-label": "deploys per day over 14 days" }, bars, label));
}

function flowChart(points) {
  const w = 320, h = 100, cols = Object.keys(COLUMNS), colors = ["var(--chart1)", "var(--chart2)", "var(--chart3)", "var(--chart4)"];
  const max = Math.max(1, ...points.map(p => cols.reduce((a, c) => a + p[c], 0)));
  const x = i => (points.length === 1 ? 0 : (i / (points.length - 1)) * w);
  const y = v => h - 12 - (v / max) * (h - 16);
  const layers = [];
  let base = points.map(() => 0);
  cols.slice().reverse().forEach((c, k) => {
    const top = points.map((p, i) => base[i] + p[c]);
    const up = top.map((v, i) => x(i) + "," + y(v)).join(" ");
    const down = base.map((v, i) => x(i) + "," + y(v)).reverse().join(" ");
    layers.push(svg("polygon", { points: up + " " + down, fill: colors[cols.length - 1 - k], opacity: 0.85 },
      svg("title", {}, document.createTextNode(c))));
    base = top;
  });
  return el("figure", { class: "chart" }, el("figcaption", { text: "Cumulative flow by column, 14 days" }),
    svg("svg", { viewBox: "0 0 " + w + " " + (h + 2), role: "img", "aria-label": "services per column each day over 14 days" }, layers),
    el("div", { class: "legend" }, cols.map((c, i) => { const s = el("i"); s.style.background = colors[i]; return [s, c]; })));
}

// ---- messages and my tickets ---------------------------------------------------------------------

function message(e) {
  return el("li", { "data-id": e.id }, el("time", { datetime: e.at, text: clock(e.at) }),
    e.service ? el("a", { class: "svc", href: "/services/" + encodeURIComponent(e.service), text: e.service }) : null,
    el("span", { text: e.message }));
}

async function loadMessages() {
  const list = document.getElementById("messages");
  if (!list) return;
  const msgs = await api("/api/dashboard/messages?limit=50");
  list.replaceChildren(...msgs.map(message));
}

async function olderMessages() {
  const list = document.getElementById("messages");
  const lastItem = list.lastElementChild;
  const before = lastItem ? lastItem.getAttribute("data-id") : "";
  const msgs = await api("/api/dashboard/messages?limit=50&before=" + before);
  msgs.forEach(m => list.append(message(m)));
  if (msgs.length === 0) document.getElementById("older").disabled = true;
}

async function loadMine() {
  const box = document.getElementById("mine");
  if (!box) return;
  const head = box.firstElementChild;
  if (!state.me || !state.me.session) {
    box.replaceChildren(head, el("p", { class: "muted" }, "Sign in with a session's token to claim, release and finish its tickets here. ",
      el("a", { href: "/signin?next=/", text: "Sign in" })));
    return;
  }
  const tickets = (await api("/api/tickets?assignee=" + encodeURIComponent(state.me.session))).filter(t => ["offered", "claimed"].includes(t.state));
  box.replaceChildren(head, tickets.length === 0 ? el("p", { class: "muted", text: "Nothing offered to or held by you." })
    : el("ul", { class: "messages" }, tickets.map(t => el("li", { "data-ticket": t.id },
      el("span", { text: t.kind + " #" + t.id + " · " }), el("a", { href: "/services/" + encodeURIComponent(t.service), text: t.service }),
      el("span", { text: " · " + t.state + (t.percent !== null ? " · " + t.percent + "%" : "") }),
      actions(t.id, t.state, t.assignee)))));
}

// ---- live updates --------------------------------------------------------------------------------

function connect() {
  if (state.source) return;
  const live = document.getElementById("live");
  const es = new EventSource("/api/stream?after=" + state.last);
  state.source = es;
  es.onopen = () => {
    live.textContent = "live";
    live.className = "live on";
    window.__assembly.connected++;
    if (state.failed) {
      state.failed = false;
      refresh(); // after a restart: the page catches up from the event id it had (the stream sends what it missed)
    }
  };
  es.onerror = () => {
    live.textContent = "reconnecting…";
    live.className = "live off";
    state.failed = true;
    if (es.readyState === EventSource.CLOSED) {
      state.source = null;
      setTimeout(connect, 1000);
    }
  };
  es.addEventListener("change", e => applyChange(JSON.parse(e.data)));
  es.addEventListener("reset", () => refresh());
}

function applyChange(d) {
  state.last = Math.max(state.last, d.last);
  const now = Date.now();
  for (const c of d.cards) {
    window.__assembly.applied.push({ service: c.service, phase: c.phase, holder: c.holder, at: now });
  }
  if (window.__assembly.applied.length > 5000) window.__assembly.applied.splice(0, 1000);
  if (state.view === "board") {
    d.cards.forEach(place);
    d.gone.forEach(s => { const x = document.querySelector('.card[data-service="' + CSS.escape(s) + '"]'); if (x) x.remove(); });
    counts(d.counts);
    const list = document.getElementById("messages");
    if (list) {
      d.events.forEach(e => { if (!list.querySelector('[data-id="' + e.id + '"]')) list.prepend(message(e)); });
      while (list.children.length > 200) list.lastElementChild.remove();
    }
    if (state.me && state.me.session) debounce("mine", loadMine, 300);
    debounce("metrics", loadMetrics, 5000);
  } else if (state.view === "service") {
    if (d.cards.some(c => c.service === state.service) || d.gone.includes(state.service)) debounce("service", loadService, 200);
  } else if (state.view === "sessions") {
    debounce("sessions", loadSessions, 1000);
  }
}

const timers = {};
function debounce(key, fn, ms) {
  if (timers[key]) return;
  timers[key] = setTimeout(() => { timers[key] = null; fn(); }, ms);
}

function refresh() {
  if (state.view === "board") { loadBoard(); loadMessages(); loadMine(); }
  else if (state.view === "service") loadService();
  else if (state.view === "sessions") loadSessions();
}

// ---- a service -----------------------------------------------------------------------------------

function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map(h => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows.map(r => el("tr", {}, r.map(c => el("td", {}, c === null || c === undefined ? "–" : c))))));
}

async function loadService() {
  let s;
  try {
    s = await api("/api/dashboard/services/" + encodeURIComponent(state.service));
  } catch (e) {
    fill(main(), el("h1", { text: state.service }), el("p", { class: "error", text: e.message }));
    return;
  }
  state.last = Math.max(state.last, ...s.events.map(e => e.id), state.last);
  const c = s.card;
  const runs = s.runs.map(r => [clock(r.finished_at), r.passed ? "passed" : "failed",
    (r.tests - r.failed - r.errors - r.skipped) + "/" + r.tests + " passing" + (r.coverage !== null ? ", coverage " + r.coverage + "%" : ""),
    r.tree.slice(0, 12), el("details", {}, el("summary", { text: r.summary }), el("pre", { text: (r.output_tail || []).join("\n") }))]);
  const spec = el("div", { class: "spec", id: "spec" });
  if (s.spec_html) spec.innerHTML = s.spec_html; // commonmark output: raw HTML escaped, unsafe links dropped (server side)
  else spec.textContent = "No SPEC.md at the head commit.";
  fill(main(), 
    el("h1", {}, s.state.service + " ", el("span", { class: "muted", id: "svc-phase", text: s.state.phase })),
    el("p", { id: "svc-why", text: c ? c.why : s.state.reasons.join("; ") }),
    c && c.stuck ? el("p", { class: "error", text: "⚠ stuck: " + c.stuck }) : null,
    el("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" }),
    c ? actions(c.ticket, c.holding, c.holder) : null,
    el("div", { class: "panels" },
      el("section", { class: "panel" }, el("h2", { text: "Phase timeline" }),
        el("ol", { class: "timeline" }, s.timeline.map(t => el("li", {}, el("time", { datetime: t.at, text: clock(t.at) }), " " + t.message
          + (t.seconds !== null ? " (for " + duration(t.seconds) + ")" : " (now)"))))),
      el("section", { class: "panel" }, el("h2", { text: "Health" }),
        el("p", { text: s.uptime_24h === null ? "Uptime: no health checks yet"
          : "Uptime: " + s.uptime_24h + "% over 24 hours, " + s.uptime_7d + "% over 7 days" }),
        el("div", { class: "checks", "aria-label": "recent health checks, newest first" },
          s.checks.map(k => { const i = el("i", { class: k.ok ? "" : "bad", title: clock(k.at) + ": " + (k.ok ? "ok" : "failed") + (k.detail ? " (" + k.detail + ")" : "") }); return i; })),
        el("h2", { text: "Deploys" }),
        table(["at", "tree", "result", "by"], s.deploys.map(d => [clock(d.at), d.tree.slice(0, 12), d.ok ? "ok" : "failed", d.by])))),
    el("section", { class: "panel" }, el("h2", { text: "Tickets" }),
      table(["#", "kind", "state", "holder", "opened", "held for", "closed because"], s.tickets.map(t => ["#" + t.id, t.kind, t.state,
        t.assignee, clock(t.created_at), duration(t.held_seconds), t.close_reason]))),
    el("section", { class: "panel" }, el("h2", { text: "Test runs" }), table(["finished", "result", "counts", "tree", "summary and log tail"], runs)),
    el("section", { "aria-labelledby": "spec-h" }, el("h2", { id: "spec-h", text: "SPEC.md at the head commit" }), spec),
    el("section", { class: "panel" }, el("h2", { text: "Event log" }), el("ol", { class: "messages" }, s.events.slice().reverse().map(message))));
  window.__assembly.ready = true;
  connect();
}

// ---- sessions ------------------------------------------------------------------------------------

async function loadSessions() {
  const rows = await api("/api/dashboard/sessions");
  fill(main(), el("h1", { text: "Sessions" }),
    table(["session", "capabilities", "status", "holds", "heartbeat", "done (7 days)", "per week", "median time per kind"],
      rows.map(r => [el("span", { title: r.session_id, text: r.name + (r.name !== r.session_id ? " (" + r.session_id + ")" : "") }),
        r.capabilities.join(", "), r.status,
        r.holds.length === 0 ? "nothing" : el("span", {}, r.holds.map((h, i) => [i ? ", " : "",
          el("a", { href: "/services/" + encodeURIComponent(h.service), text: h.kind + " #" + h.id + " " + h.service + " (" + h.state + ")" })])),
        r.heartbeat_age_s === null ? "never" : duration(r.heartbeat_age_s) + " ago",
        String(r.done_7d), String(r.done_per_week),
        Object.keys(r.median_s_by_kind).length === 0 ? "–" : Object.entries(r.median_s_by_kind).map(([k, v]) => k + " " + duration(v)).join(", ")])));
  window.__assembly.ready = true;
  connect();
}

// ---- start ---------------------------------------------------------------------------------------

function signinPage() {
  const p = new URLSearchParams(location.search);
  const next = p.get("next");
  if (next) document.getElementById("next").value = next;
  const err = p.get("error");
  if (err) {
    const e = document.getElementById("signin-error");
    e.textContent = err === "blocked" ? "Too many wrong tokens from here: wait a minute." : "That token is not known here.";
    e.hidden = false;
  }
}

async function start() {
  if (document.body.classList.contains("signin")) return signinPage();
  const path = location.pathname;
  const p = new URLSearchParams(location.search);
  state.filter = { phase: p.get("phase") || "", holder: p.get("holder") || "", name: p.get("name") || "" };
  await loadMe();
  if (path.startsWith("/services/")) {
    state.view = "service";
    state.service = decodeURIComponent(path.slice("/services/".length));
    document.title = state.service + " · Assembly Line";
    await loadService();
  } else if (path === "/sessions") {
    state.view = "sessions";
    document.title = "Sessions · Assembly Line";
    await loadSessions();
  } else {
    state.view = "board";
    await renderBoard();
  }
  const nav = document.querySelector('[data-nav="' + (state.view === "sessions" ? "sessions" : "board") + '"]');
  if (nav && state.view !== "service") nav.setAttribute("aria-current", "page");
  // times in phase grow; heartbeats age: a quiet refresh now and then (changes themselves arrive live)
  setInterval(() => document.querySelectorAll(".card[data-since] .age").forEach(a => { a.textContent = since(a.closest(".card").dataset.since); }), 30000);
  setInterval(() => { if (state.view === "board") loadBoard(); if (state.view === "sessions") loadSessions(); }, 60000);
}

document.addEventListener("DOMContentLoaded", () => start().catch(e => { if (e.message !== "signed out") say(e.message, true); }));
