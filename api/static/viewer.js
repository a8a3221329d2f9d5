// topo viewer: plans, a plan's floor with its cables, a batch's variants.
// Plain ES module, no framework. Every piece of data goes into the page through
// textContent or attributes, never parsed as markup.

const KEY = "topo-api-key";
const view = document.getElementById("view");
const message = document.getElementById("message");
let pollTimer = null;

// -- helpers -----------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(text, info = false) {
  message.hidden = !text;
  message.textContent = text || "";
  message.classList.toggle("v-info", info);
}

class ApiError extends Error {
  constructor(status, body) {
    const problems = (body && body.problems) || [];
    const lines = problems.map((p) => `${p.location ? p.location + ": " : ""}${p.message}`);
    super([(body && body.detail) || `HTTP ${status}`, ...lines].join("\n"));
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = sessionStorage.getItem(KEY);
  if (key) headers.set("X-API-Key", key);
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    showKeyForm(true);
  }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, body);
  }
  return response;
}

const getJson = async (path) => (await api(path)).json();
const enc = encodeURIComponent;

function showKeyForm(needed) {
  const form = document.getElementById("key-form");
  form.hidden = !needed;
  document.getElementById("key-forget").hidden = !sessionStorage.getItem(KEY);
  if (needed) say("This server needs an API key: enter it above.");
}

function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

const fmtPct = (v) => (v === null || v === undefined ? "" : `${fmtNumber(100 * Number(v), 1)} %`);
const fmtUsd = (v) => (v === null || v === undefined ? "" : `$${fmtNumber(v)}`);

function table(columns, rows, onRow) {
  const head = el("tr", {}, ...columns.map((c) => el("th", { class: c.num ? "v-num" : null, text: c.title })));
  const body = el("tbody");
  for (const row of rows) {
    const tr = el("tr", { class: onRow ? "v-click" : null },
      ...columns.map((c) => {
        const value = c.value(row);
        return el("td", { class: c.num ? "v-num" : null }, value instanceof Node ? value : String(value ?? ""));
      }));
    if (onRow) tr.addEventListener("click", () => onRow(row, tr));
    body.append(tr);
  }
  return el("table", { class: "v-table" }, el("thead", {}, head), body);
}

async function download(url, name) {
  try {
    const blob = await (await api(url)).blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (err) {
    say(err.message);
  }
}

// SVG from the server, made part of the page: its <style> is adopted as a constructed
// stylesheet (no inline style, so a strict Content-Security-Policy holds), scripts dropped.
const adopted = new Map();
const STYLE = /<style[^>]*>([\s\S]*?)<\/style>/g;
const XML_TEXT = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'" };
function importSvg(text) {
  // styles are taken out before parsing: a parsed <style> would break the policy too
  for (const [, raw] of text.matchAll(STYLE)) {
    const css = raw.replace(/<!\[CDATA\[|\]\]>/g, "").replace(/&(lt|gt|amp|quot|apos);/g, (e) => XML_TEXT[e]);
    if (!adopted.has(css)) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      adopted.set(css, sheet);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    }
  }
  const doc = new DOMParser().parseFromString(text.replace(STYLE, ""), "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName !== "svg") throw new Error("the drawing is not an SVG file");
  for (const bad of svg.querySelectorAll("script, foreignObject, style")) bad.remove();
  return document.importNode(svg, true);
}

// -- the list of plans -------------------------------------------------------------------

const STATUS_STAGES = 10;

function progressCell(plan) {
  if (plan.status === "done") return el("span", { class: "v-status-done", text: "done" });
  if (plan.status === "failed") {
    return el("span", { class: "v-status-failed", text: `failed: ${plan.failure || ""}`, title: plan.reason || "" });
  }
  const done = Math.min(plan.progress.stages_done, STATUS_STAGES - 1);
  return el("span", { "data-running": plan.id },
    el("progress", { max: STATUS_STAGES, value: done }), " ", plan.progress.stage || plan.status);
}

async function showPlans() {
  view.replaceChildren(el("h1", { text: "Plans" }));
  const file = el("input", { type: "file", id: "scenario-file", accept: ".yaml,.yml,.json" });
  const post = el("button", { type: "button", id: "post-scenario", text: "Plan this scenario" });
  post.addEventListener("click", () => postScenario(file));
  view.append(el("div", { class: "v-upload" }, el("label", {}, "Scenario file ", file), post));
  const holder = el("div", { id: "plans" });
  view.append(holder);
  await refreshPlans(holder);
}

async function refreshPlans(holder) {
  clearTimeout(pollTimer);
  let page;
  try {
    page = await getJson("/v1/plans?limit=100");
  } catch (err) {
    say(err.message);
    return;
  }
  const rows = page.items;
  const s = (p) => p.summary || {};
  holder.replaceChildren(
    rows.length === 0 ? el("p", { text: "No plans yet: post a scenario file." }) : table([
      { title: "Name", value: (p) => (p.status === "done" ? el("a", { href: `#/plan/${enc(p.id)}`, text: p.scenario }) : p.scenario) },
      { title: "Status", value: progressCell },
      { title: "Cables", num: true, value: (p) => fmtNumber(s(p).cables) },
      { title: "Cost", num: true, value: (p) => fmtUsd(s(p).cost_usd) },
      { title: "Max fill", num: true, value: (p) => fmtPct(s(p).max_tray_fill) },
      { title: "When", value: (p) => new Date(p.created_at).toLocaleString() },
    ], rows),
    el("p", { class: "v-timing", text: `${page.total} plan(s)` }),
  );
  const running = rows.filter((p) => p.status === "queued" || p.status === "running");
  if (running.length) pollTimer = setTimeout(() => pollRunning(holder, running), 700);
}

async function pollRunning(holder, running) {
  if (!document.body.contains(holder)) return;
  let finished = false;
  for (const plan of running) {
    try {
      const now = await getJson(`/v1/plans/${enc(plan.id)}`);
      const cell = holder.querySelector(`[data-running="${CSS.escape(plan.id)}"]`);
      if (cell) cell.replaceWith(progressCell(now));
      finished ||= now.status === "done" || now.status === "failed";
    } catch (err) {
      say(err.message);
      return;
    }
  }
  if (finished) await refreshPlans(holder);
  else pollTimer = setTimeout(() => pollRunning(holder, running), 700);
}

async function postScenario(input) {
  const file = input.files[0];
  if (!file) {
    say("Choose a scenario file (YAML or JSON) first.");
    return;
  }
  const type = /\.json$/i.test(file.name) ? "application/json" : "application/yaml";
  try {
    const response = await api("/v1/plans", { method: "POST", headers: { "Content-Type": type }, body: await file.text() });
    const plan = await response.json();
    say(`${plan.scenario}: ${plan.status}`, true);
    await refreshPlans(document.getElementById("plans"));
  } catch (err) {
    say(err.message);
  }
}

// -- one plan ----------------------------------------------------------------------------

const CABLE_COLUMNS = [
  { title: "Cable", value: (c) => c.cable_id },
  { title: "Label", value: (c) => c.label },
  { title: "Tier", value: (c) => c.tier },
  { title: "Media", value: (c) => c.media },
  { title: "m", num: true, value: (c) => c.length_m },
  { title: "Status", value: (c) => c.status },
];

const FIGURES = [
  ["Cables", (s) => fmtNumber(s.cables)],
  ["Cost", (s) => fmtUsd(s.cost_usd)],
  ["Cable cost", (s) => fmtUsd(s.cable_cost_usd)],
  ["Switch cost", (s) => fmtUsd(s.switch_cost_usd)],
  ["Cable length", (s) => `${fmtNumber(s.total_length_m, 1)} m`],
  ["Lower bound", (s) => `${fmtNumber(s.lower_bound_length_m, 1)} m`],
  ["Max tray fill", (s) => fmtPct(s.max_tray_fill)],
  ["Trays over limit", (s) => fmtNumber(s.trays_over_limit)],
  ["Unrouted", (s) => fmtNumber(s.unrouted)],
  ["Optics power", (s) => `${fmtNumber(s.optics_power_w, 1)} W`],
  ["Solver", (s) => (s.solver ? `${s.solver.status} (gap ${fmtPct(s.solver.gap)})` : "")],
];

class FloorView {
  constructor(holder, svg) {
    this.holder = holder;
    this.svg = svg;
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    const [x, y, w, h] = (svg.getAttribute("viewBox") || "0 0 1000 1000").split(/[\s,]+/).map(Number);
    this.home = { x, y, w, h };
    this.box = { ...this.home };
    this.segments = new Map();
    for (const node of svg.querySelectorAll("[data-segment]")) this.segments.set(node.dataset.segment, node);
    this.racks = new Map();
    for (const node of svg.querySelectorAll("[data-rack]")) this.racks.set(node.dataset.rack, node);
    this.lit = [];
    holder.replaceChildren(svg);
    this.apply();
    holder.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    holder.addEventListener("pointerdown", (e) => this.down(e));
    holder.addEventListener("pointermove", (e) => this.move(e));
    holder.addEventListener("pointerup", (e) => this.up(e));
  }
  apply() {
    const b = this.box;
    this.svg.setAttribute("viewBox", `${b.x} ${b.y} ${b.w} ${b.h}`);
  }
  toSvg(clientX, clientY) {
    const ctm = this.svg.getScreenCTM();
    if (!ctm) return { x: 0, y: 0 };
    const p = new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
    return { x: p.x, y: p.y };
  }
  zoom(factor, clientX, clientY) {
    const rect = this.holder.getBoundingClientRect();
    const at = this.toSvg(clientX ?? rect.left + rect.width / 2, clientY ?? rect.top + rect.height / 2);
    const b = this.box;
    const w = Math.min(Math.max(b.w * factor, this.home.w / 200), this.home.w * 4);
    const k = w / b.w;
    this.box = { x: at.x - (at.x - b.x) * k, y: at.y - (at.y - b.y) * k, w, h: b.h * k };
    this.apply();
  }
  fit() {
    this.box = { ...this.home };
    this.apply();
  }
  wheel(e) {
    e.preventDefault();
    this.zoom(Math.exp(e.deltaY * 0.0015), e.clientX, e.clientY);
  }
  down(e) {
    this.drag = { x: e.clientX, y: e.clientY, box: { ...this.box }, moved: false };
    this.holder.setPointerCapture(e.pointerId);
  }
  move(e) {
    if (!this.drag) return;
    const dx = e.clientX - this.drag.x, dy = e.clientY - this.drag.y;
    if (!this.drag.moved && Math.hypot(dx, dy) < 4) return;
    this.drag.moved = true;
    this.holder.classList.add("v-dragging");
    const ctm = this.svg.getScreenCTM();
    const scale = ctm ? ctm.a : 1;
    this.box = { ...this.drag.box, x: this.drag.box.x - dx / scale, y: this.drag.box.y - dy / scale };
    this.apply();
  }
  up(e) {
    const drag = this.drag;
    this.drag = null;
    this.holder.classList.remove("v-dragging");
    if (drag && !drag.moved && this.onpick) {
      // labels drawn over a rack or a segment do not hide it from a click
      for (const hit of document.elementsFromPoint(e.clientX, e.clientY)) {
        const target = hit.closest && hit.closest("[data-rack], [data-segment]");
        if (target && this.svg.contains(target)) {
          this.onpick(target);
          break;
        }
      }
    }
  }
  highlight({ segments = [], racks = [], ends = [] }) {
    for (const [node, cls] of this.lit) node.classList.remove(cls);
    this.lit = [];
    const mark = (node, cls) => {
      if (!node) return;
      node.classList.add(cls);
      this.lit.push([node, cls]);
    };
    for (const id of ends) mark(this.racks.get(id), "v-hl-end");
    for (const id of racks) mark(this.racks.get(id), "v-hl-rack");
    for (const id of segments) mark(this.segments.get(id), "v-hl");
    this.svg.classList.toggle("v-focus", this.lit.length > 0);
  }
}

async function showPlan(planId) {
  view.replaceChildren(el("p", { text: "Loading the plan…" }));
  const started = performance.now();
  const base = `/v1/plans/${enc(planId)}`;
  let plan;
  try {
    plan = await getJson(base);
  } catch (err) {
    view.replaceChildren();
    say(err.message);
    return;
  }
  if (plan.status !== "done") {
    view.replaceChildren(el("h1", { text: plan.scenario }), el("p", { text: `This plan is ${plan.status}.` }));
    return;
  }
  const [svgText, overview] = await Promise.all([(await api(plan.files["floor.svg"])).text(), getJson(`${base}/overview`)]);
  const state = { fabric: null, tier: null };

  const fabricSelect = el("select", { id: "fabric-filter" }, el("option", { value: "", text: "all fabrics" }));
  const tierSelect = el("select", { id: "tier-filter" }, el("option", { value: "", text: "all tiers" }));
  for (const f of [...new Set(overview.groups.map((g) => g.fabric))]) fabricSelect.append(el("option", { value: f, text: f }));
  for (const t of [...new Set(overview.groups.map((g) => g.tier))]) tierSelect.append(el("option", { value: t, text: t }));
  const search = el("input", { id: "cable-search", type: "search", placeholder: "cable id or label", size: 22 });
  const timing = el("span", { class: "v-timing", id: "timing" });
  const holder = el("div", { class: "v-floor", id: "floor" });
  const tools = el("div", { class: "v-tools" },
    el("label", {}, "Fabric ", fabricSelect), el("label", {}, "Tier ", tierSelect),
    el("form", { id: "search-form" }, search, " ", el("button", { type: "submit", text: "Find" })),
    el("button", { type: "button", id: "zoom-in", text: "+" }),
    el("button", { type: "button", id: "zoom-out", text: "−" }),
    el("button", { type: "button", id: "zoom-fit", text: "Fit" }),
    el("button", { type: "button", id: "clear", text: "Clear" }),
    timing);
  const detail = el("section", { id: "detail" });
  const side = el("aside", { class: "v-side" });
  view.replaceChildren(el("h1", { text: plan.scenario }),
    el("div", { class: "v-plan" }, el("div", { class: "v-left" }, tools, holder), side));

  const floor = new FloorView(holder, importSvg(svgText));
  const filterQuery = () => {
    const q = new URLSearchParams();
    if (state.fabric) q.set("fabric", state.fabric);
    if (state.tier) q.set("tier", state.tier);
    return q;
  };
  const timed = async (what, fn) => {
    const t0 = performance.now();
    try {
      await fn();
      timing.textContent = `${what} in ${Math.round(performance.now() - t0)} ms`;
    } catch (err) {
      say(err.message);
    }
  };
  const showCables = (title, data) => {
    const more = data.total > data.cables.length ? ` (first ${data.cables.length} of ${fmtNumber(data.total)})` : "";
    return [
      el("h2", { text: `${title}: ${fmtNumber(data.total)} cable(s)${more}` }),
      table(CABLE_COLUMNS, data.cables, (c) => pickCable(c)),
    ];
  };
  const pickCable = (c) => {
    floor.highlight({ segments: c.segments, ends: [c.a_rack, c.b_rack] });
    timing.textContent = `${c.cable_id}: ${c.a_device}:${c.a_port} → ${c.b_device}:${c.b_port}, ${c.tray_route || "no tray"}`;
  };
  const pickRack = (rack) => timed(`rack ${rack}`, async () => {
    const q = filterQuery();
    let data;
    try {
      data = await getJson(`${base}/racks/${enc(rack)}/cables?${q}`);
    } catch (err) {
      if (err.status !== 404) throw err;
      floor.highlight({ racks: [rack] });
      detail.replaceChildren(el("h2", { text: `Rack ${rack}` }), el("p", { text: "No devices and no cables in this rack." }));
      return;
    }
    floor.highlight({ segments: Object.keys(data.segments), ends: data.racks, racks: [rack] });
    detail.replaceChildren(
      el("h2", { text: `Rack ${rack}` }),
      table([
        { title: "Device", value: (d) => d.id },
        { title: "Role", value: (d) => d.role },
        { title: "Model", value: (d) => d.model },
        { title: "U", num: true, value: (d) => d.u },
      ], data.devices),
      ...showCables(`Cables of ${rack}`, data));
  });
  const pickSegment = (segment) => timed(`segment ${segment}`, async () => {
    const data = await getJson(`${base}/segments/${enc(segment)}?${filterQuery()}`);
    floor.highlight({ segments: [segment] });
    const fill = data.fill || {};
    detail.replaceChildren(
      el("h2", { text: `Segment ${segment}` }),
      el("p", { id: "segment-fill", text: `${fill.fill_pct ?? "?"} % full (limit ${fill.limit_pct ?? "?"} %), ${fill.cables ?? data.total} cables, ${fill.length_m ?? "?"} m, ${fill.status ?? ""}` }),
      ...showCables(`Cables in ${segment}`, data));
  });
  floor.onpick = (node) => (node.dataset.rack ? pickRack(node.dataset.rack) : pickSegment(node.dataset.segment));

  const applyFilter = () => timed("filter", async () => {
    state.fabric = fabricSelect.value || null;
    state.tier = tierSelect.value || null;
    if (!state.fabric && !state.tier) {
      floor.highlight({});
      return;
    }
    const data = await getJson(`${base}/tiers?${filterQuery()}`);
    floor.highlight({ segments: Object.keys(data.segments), ends: data.racks });
    detail.replaceChildren(el("h2", { text: `${state.fabric || "all fabrics"} / ${state.tier || "all tiers"}: ${fmtNumber(data.total)} cables` }));
  });
  fabricSelect.addEventListener("change", applyFilter);
  tierSelect.addEventListener("change", applyFilter);
  tools.querySelector("#search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = search.value.trim();
    if (!text) return;
    timed("search", async () => {
      const q = filterQuery();
      q.set("search", text);
      const data = await getJson(`${base}/cables?${q}`);
      detail.replaceChildren(...showCables(`Cables matching “${text}”`, data));
      if (data.cables.length) pickCable(data.cables[0]);
    });
  });
  tools.querySelector("#zoom-in").addEventListener("click", () => floor.zoom(0.7));
  tools.querySelector("#zoom-out").addEventListener("click", () => floor.zoom(1 / 0.7));
  tools.querySelector("#zoom-fit").addEventListener("click", () => floor.fit());
  tools.querySelector("#clear").addEventListener("click", () => {
    floor.highlight({});
    detail.replaceChildren();
  });

  const s = plan.summary || {};
  const diagnostics = plan.diagnostics || [];
  side.append(
    detail,
    el("h2", { text: "Key figures" }),
    el("table", { class: "v-table v-figures", id: "figures" },
      el("tbody", {}, ...FIGURES.map(([name, fn]) => el("tr", {}, el("td", { text: name }), el("td", { class: "v-num", text: fn(s) }))))),
    el("h2", { text: `Diagnostics (${diagnostics.length})` }),
    diagnostics.length
      ? el("ul", { class: "v-list", id: "diagnostics" }, ...diagnostics.map((d) => el("li", { text: `${d.location ? d.location + ": " : ""}${d.message}` })))
      : el("p", { text: "None." }),
    el("h2", { text: "Notes" }),
    el("ul", { class: "v-list" }, ...(plan.notes || []).map((n) => el("li", { text: n }))),
    el("h2", { text: "Files" }),
    el("div", { class: "v-downloads" }, ...Object.entries(plan.files).map(([name, url]) =>
      el("button", { type: "button", "data-file": name, text: name, onclick: () => download(url, name) }))));
  timing.textContent = `opened in ${Math.round(performance.now() - started)} ms`;
}

// -- a batch -----------------------------------------------------------------------------

async function showSweep() {
  let sweep;
  let chartText;
  try {
    sweep = await getJson("/v1/sweep");
    chartText = await (await api("/v1/sweep/compare.svg")).text();
  } catch (err) {
    view.replaceChildren(el("h1", { text: "Sweep" }), el("p", { text: "This server shows no batch: run `topo view RUNS_DIR` on a `topo batch` output folder." }));
    if (err.status !== 404) say(err.message);
    return;
  }
  const byName = new Map(sweep.rows.map((r) => [r.variant, r]));
  const chart = el("div", { class: "v-chart", id: "chart" }, importSvg(chartText));
  for (const circle of chart.querySelectorAll("circle")) {
    const title = circle.querySelector("title");
    const row = title && byName.get(title.textContent.split("\n")[0]);
    if (row && row.plan_id) {
      circle.setAttribute("data-plan", row.plan_id);
      circle.addEventListener("click", () => { location.hash = `#/plan/${enc(row.plan_id)}`; });
    }
  }
  const shown = ["variant", ...sweep.columns.filter((c) => c !== "variant" && c !== "error" && !c.startsWith("cables."))];
  view.replaceChildren(el("h1", { text: `Sweep ${sweep.name}` }),
    el("p", { text: "Click a point or a row to open that variant; the Pareto front is in orange." }),
    chart, el("h2", { text: "Variants" }),
    table(shown.map((c) => ({ title: c, value: (r) => r[c] })), sweep.rows,
      (r) => { if (r.plan_id) location.hash = `#/plan/${enc(r.plan_id)}`; }));
}

// -- routing -----------------------------------------------------------------------------

async function route() {
  clearTimeout(pollTimer);
  say("");
  const hash = location.hash.replace(/^#\/?/, "");
  const [page, arg] = hash.split("/");
  if (page === "plan" && arg) await showPlan(decodeURIComponent(arg));
  else if (page === "sweep") await showSweep();
  else await showPlans();
}

document.getElementById("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("key-input").value);
  showKeyForm(false);
  route();
});
document.getElementById("key-forget").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  showKeyForm(false);
});
showKeyForm(false);
window.addEventListener("hashchange", route);
route();
