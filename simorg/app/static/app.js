/* simorg page: controls from the scenario schema, runs on the shared workers, charts in SVG.
   No libraries and no network beyond this server. */
"use strict";

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
};
const SVGNS = "http://www.w3.org/2000/svg";
const svgEl = (tag, attrs = {}) => {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};

const state = {
  mode: "explore", client: null, controls: new Map(), failureModes: [], job: null, timer: null,
  validateTimer: null, validateSeq: 0,
};
state.client = sessionStorage.getItem("simorg-client") ||
  (Math.random().toString(36).slice(2) + Date.now().toString(36));
sessionStorage.setItem("simorg-client", state.client);

// ------------------------------------------------------------------ formatting
function fmtNum(x, kind) {
  if (x === null || x === undefined || Number.isNaN(x)) return "n/a";
  if (kind === "share") return (100 * x).toFixed(Math.abs(x) < 0.1 ? 1 : 0) + "%";
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toFixed(2) + "B";
  if (a >= 1e6) return (x / 1e6).toFixed(a >= 1e7 ? 1 : 2) + "M";
  if (a >= 1e4) return (x / 1e3).toFixed(0) + "K";
  if (a >= 100) return x.toFixed(0);
  return x.toFixed(a >= 10 ? 1 : 2);
}
function yamlFlow(v) {
  if (Array.isArray(v)) return "[" + v.map(yamlFlow).join(", ") + "]";
  if (v && typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => `${k}: ${yamlFlow(x)}`).join(", ") + "}";
  if (v === null) return "null";
  return String(v);
}

// ------------------------------------------------------------------ api
async function api(path, body) {
  const opts = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  let doc = null;
  try { doc = await r.json(); } catch (e) { doc = { error: `server answered ${r.status}` }; }
  return { status: r.status, doc };
}

// ------------------------------------------------------------------ controls
function rangeText(c) {
  const parts = [];
  if (c.minimum !== null) parts.push((c.exclusive_min ? "> " : "≥ ") + c.minimum);
  if (c.maximum !== null) parts.push((c.exclusive_max ? "< " : "≤ ") + c.maximum);
  if (c.kind === "choice") parts.push("one of: " + c.choices.join(", "));
  if (c.optional) parts.push("blank = not set");
  return parts.length ? ` [${parts.join(", ")}]` : "";
}

function makeControl(c) {
  const id = "c-" + c.path.replace(/[^A-Za-z0-9]/g, "-");
  const box = el("div", { class: "ctl", "data-path": c.path });
  let input;
  if (c.kind === "bool") {
    input = el("input", { type: "checkbox", id });
    input.checked = !!c.value;
    const lab = el("label", { for: id, class: "switch" }, input, " " + c.label);
    box.append(lab);
  } else {
    box.append(el("label", { for: id, text: c.label }));
    if (c.kind === "choice") {
      input = el("select", { id });
      for (const ch of c.choices) input.append(el("option", { value: ch, text: ch.replace(/_/g, " ") }));
      input.value = c.value;
    } else if (c.kind === "yaml") {
      input = el("textarea", { id, rows: "2" });
      input.value = yamlFlow(c.value);
    } else {
      input = el("input", { type: "number", id, step: String(c.step || "any") });
      if (c.minimum !== null && !c.exclusive_min) input.min = c.minimum;
      if (c.maximum !== null && !c.exclusive_max) input.max = c.maximum;
      input.value = c.value === null ? "" : c.value;
    }
    box.append(input);
  }
  box.append(el("div", { class: "help", text: c.help + rangeText(c) }));
  box.append(el("div", { class: "err", "data-err": c.path }));
  const initial = c.kind === "bool" ? input.checked : input.value;
  state.controls.set(c.path, { c, input, box, initial });
  input.addEventListener("input", onEdit);
  input.addEventListener("change", onEdit);
  return box;
}

function renderControls(doc) {
  const root = $("#controls");
  root.replaceChildren();
  state.controls.clear();
  doc.groups.forEach((g, i) => {
    const det = el("details", { class: "group", "data-group": g.key });
    if (i < 2) det.open = true;
    det.append(el("summary", { text: g.title }));
    for (const c of g.controls) det.append(makeControl(c));
    root.append(det);
  });
}

function currentValue(entry) {
  const { c, input } = entry;
  if (c.kind === "bool") return input.checked;
  if (c.kind === "choice" || c.kind === "yaml") return input.value;
  if (input.value.trim() === "") return c.optional ? null : "";
  return input.value;
}

function freeOverrides() {
  const out = {}, bad = [];
  for (const raw of $("#free").value.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([^=\s]+)\s*=\s*(.*)$/);
    if (!m) { bad.push(`malformed line '${line}': expected dotted.key = value`); continue; }
    out[m[1]] = m[2];
  }
  return { out, bad };
}

function overrides() {
  const out = {};
  for (const [path, entry] of state.controls) {
    const now = entry.c.kind === "bool" ? entry.input.checked : entry.input.value;
    const changed = now !== entry.initial;
    entry.box.classList.toggle("changed", changed);
    if (changed) out[path] = currentValue(entry);
  }
  return Object.assign(out, freeOverrides().out);
}

function requestBody() {
  const body = { client: state.client, overrides: overrides(), reps: Number($("#reps").value), seed: Number($("#seed").value) };
  if (state.mode === "class") body.class = { failure_mode: $("#failure-mode").value, mechanism_off: $("#mechanism-off").checked };
  else body.start = $("#start").value;
  return body;
}

function clearErrors() {
  document.querySelectorAll(".err[data-err]").forEach((e) => { e.textContent = ""; });
  document.querySelectorAll(".ctl.invalid").forEach((e) => e.classList.remove("invalid"));
  $("#run-error").textContent = "";
}

function showProblems(problems) {
  const free = freeOverrides().out;
  for (const p of problems) {
    let key = p.control;
    if (key && !state.controls.has(key) && key in free) key = "__free__";
    if (!key && p.path && Object.keys(free).length) key = "__free__";
    const target = key ? document.querySelector(`.err[data-err="${CSS.escape(key)}"]`) : null;
    if (target) {
      target.textContent = (target.textContent ? target.textContent + "\n" : "") + p.text;
      const box = target.closest(".ctl");
      if (box) box.classList.add("invalid");
      const det = target.closest("details");
      if (det) det.open = true;
    } else {
      $("#run-error").textContent += (($("#run-error").textContent ? "\n" : "") + p.text);
    }
  }
}

function renderChanges(changes) {
  const ul = $("#changes");
  ul.replaceChildren();
  const extra = [];
  if (state.mode === "class" && $("#mechanism-off").checked) {
    const m = state.failureModes.find((f) => f.name === $("#failure-mode").value);
    if (m) extra.push(el("li", {}, el("b", { text: "Mechanism off (both arms): " }), m.mechanism));
  }
  if (!changes.length && !extra.length) {
    ul.append(el("li", { class: "muted", text: "Nothing yet: you are looking at the start." }));
    return;
  }
  for (const li of extra) ul.append(li);
  for (const ch of changes) {
    ul.append(el("li", {}, el("code", { text: ch.path }), `: ${yamlFlow(ch.before)} → `, el("b", { text: yamlFlow(ch.after) })));
  }
}

function onEdit() {
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(validateNow, 250);
}

async function validateNow() {
  const seq = ++state.validateSeq;
  const body = requestBody();
  const { bad } = freeOverrides();
  const { doc } = await api("/api/validate", body);
  if (seq !== state.validateSeq) return;
  clearErrors();
  if (bad.length) showProblems(bad.map((t) => ({ control: "__free__", text: t })));
  if (!doc.ok) { showProblems(doc.problems || []); return false; }
  renderChanges(doc.changes || []);
  return bad.length === 0;
}

// ------------------------------------------------------------------ running
async function run() {
  clearErrors();
  const body = requestBody();
  const { bad } = freeOverrides();
  if (bad.length) { showProblems(bad.map((t) => ({ control: "__free__", text: t }))); return; }
  $("#run").disabled = true;
  const { status, doc } = await api("/api/runs", body);
  if (status !== 202) {
    $("#run").disabled = false;
    if (doc.problems) showProblems(doc.problems); else $("#run-error").textContent = doc.error || `error ${status}`;
    return;
  }
  state.job = doc.id;
  $("#progress").hidden = false;
  setProgress(0, doc.total, "queued");
  poll(doc.id);
}

function setProgress(done, total, status) {
  $("#progress-bar").style.width = total ? `${(100 * done) / total}%` : "0";
  $("#progress-text").textContent = `${done} / ${total} replications · ${status}`;
  $("#progress").dataset.status = status;
}

async function poll(id) {
  if (id !== state.job) return;
  const { status, doc } = await api(`/api/runs/${id}`);
  if (id !== state.job) return;
  if (status !== 200) { $("#run-error").textContent = doc.error || "run lost"; $("#run").disabled = false; return; }
  const ahead = doc.ahead ? ` (${doc.ahead} chunks of others ahead)` : "";
  setProgress(doc.done, doc.total, doc.status + ahead);
  if (doc.status === "done") {
    $("#run").disabled = false;
    renderResult(doc);
    return;
  }
  if (doc.status === "failed" || doc.status === "superseded") {
    $("#run").disabled = false;
    $("#run-error").textContent = doc.error || `run ${doc.status}`;
    return;
  }
  setTimeout(() => poll(id), 400);
}

function renderResult(doc) {
  const r = doc.result;
  $("#intro").hidden = true;
  $("#answer-box").hidden = false;
  $("#answer").innerHTML = r.answer;  // HTML from simorg.report (names escaped there)
  if (r.failed) $("#answer").insertAdjacentHTML("afterbegin", `<p class="warn">${r.failed} replication(s) failed: ${r.error_example || ""}</p>`);
  renderSymptoms(r.symptoms);
  renderChanges(doc.changes || []);
  $("#downloads").hidden = false;
  $("#dl-yaml").href = `/api/runs/${doc.id}/scenario.yaml`;
  $("#dl-report").href = `/api/runs/${doc.id}/report.html`;
  $("#charts").hidden = false;
  renderCharts(r.charts);
  $("#table-box").hidden = false;
  $("#table-title").textContent = r.kind === "compare" ? "Comparison with the start (paired)" : "KPIs";
  $("#table").innerHTML = r.table;
  $("#main").dataset.result = r.kind;
}

function renderSymptoms(symptoms) {
  const box = $("#symptoms");
  box.replaceChildren();
  if (!symptoms) return;
  const t = el("table", { class: "symptoms" });
  t.append(el("tr", {}, el("th", { text: "Symptom" }), el("th", { text: "healthy baseline" }),
    el("th", { text: "this org" }), el("th", { text: "expected" }), el("th", { text: "seen?" }), el("th", { text: "mechanism switch" })));
  for (const s of symptoms) {
    const tr = el("tr", { "data-kpi": s.kpi }, el("td", { text: s.label }), el("td", { class: "num", text: s.a_mean }),
      el("td", { class: "num", text: s.b_mean }), el("td", { text: s.expected }),
      el("td", { class: s.appears ? "bad" : "good", text: s.appears ? "appears" : "gone" }),
      el("td", { class: "muted small", text: s.removed_by_switch ? "the switch removes it" : "load itself: the switch does not remove it" }));
    t.append(tr);
  }
  box.append(el("h3", { text: "Symptoms (95% CI of the change excludes zero = appears)" }), t);
}

// ------------------------------------------------------------------ charts
const COLORS = ["#888888", "#1f5fa8", "#d9822b", "#2e7d32", "#8e44ad", "#c62828", "#16a085", "#7f8c8d"];

function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) { hi = lo + 1; }
  const span = hi - lo, step0 = span / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= n) || 10 * mag;
  const out = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(v);
  return out;
}

function fanChart(fan, labels) {
  const W = 900, H = 300, L = 64, R = 16, T = 14, B = 30;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart fan", "data-metric": fan.metric });
  const arms = labels.filter((a) => fan.arms[a]);
  let lo = Infinity, hi = -Infinity, n = 0;
  for (const a of arms) {
    const f = fan.arms[a];
    for (const k of ["q05", "q95"]) for (const v of f[k]) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    n = Math.max(n, f.q50.length);
  }
  if (!Number.isFinite(lo)) return svg;
  if (lo > 0 && lo < 0.3 * hi) lo = 0;
  const ticks = niceTicks(lo, hi);
  lo = Math.min(lo, ticks[0]); hi = Math.max(hi, ticks[ticks.length - 1]);
  const x = (i) => L + ((W - L - R) * i) / Math.max(1, n - 1);
  const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo || 1));
  for (const t of ticks) {
    svg.append(svgEl("line", { x1: L, x2: W - R, y1: y(t), y2: y(t), stroke: "#eee" }));
    const tx = svgEl("text", { x: L - 6, y: y(t) + 4, "text-anchor": "end" }); tx.textContent = fmtNum(t); svg.append(tx);
  }
  if (lo < 0 && hi > 0) svg.append(svgEl("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: "#c62828", "stroke-dasharray": "3 3" }));
  const step = n > 48 ? 12 : 6;
  for (let m = 0; m < n; m += step) {
    const tx = svgEl("text", { x: x(m), y: H - 10, "text-anchor": "middle" }); tx.textContent = `m${m + 1}`; svg.append(tx);
  }
  const band = (f, a, b) => {
    let d = "";
    f[a].forEach((v, i) => { d += (i ? "L" : "M") + x(i) + "," + y(v ?? lo); });
    for (let i = f[b].length - 1; i >= 0; i--) d += "L" + x(i) + "," + y(f[b][i] ?? lo);
    return d + "Z";
  };
  const line = (arr) => arr.map((v, i) => (i ? "L" : "M") + x(i) + "," + y(v ?? lo)).join("");
  arms.forEach((a, k) => {
    const f = fan.arms[a], color = arms.length === 1 ? COLORS[1] : COLORS[k % COLORS.length];
    const ref = arms.length > 1 && k === 0;
    if (!ref) {
      svg.append(svgEl("path", { d: band(f, "q05", "q95"), fill: color, opacity: 0.15 }));
      svg.append(svgEl("path", { d: band(f, "q25", "q75"), fill: color, opacity: 0.3 }));
    }
    svg.append(svgEl("path", { d: line(f.q50), fill: "none", stroke: color, "stroke-width": 2.2,
      "stroke-dasharray": ref ? "6 4" : "none", class: "median", "data-arm": a }));
  });
  svg.append(svgEl("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#999" }));
  return svg;
}

function legend(labels, colorOf) {
  const d = el("div", { class: "legend" });
  labels.forEach((a, k) => { const sw = el("span"); sw.style.background = colorOf(k); d.append(sw, a); });
  return d;
}

function barChart(rows, labels, kind) {
  // rows: [{label, values: {arm: number}}]; one bar per arm per row
  const W = 440, rowH = 16 * labels.length + 10, L = 110, R = 60, T = 4;
  const H = T + rows.length * rowH + 6;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart bars" });
  let hi = 0;
  for (const r of rows) for (const a of labels) hi = Math.max(hi, r.values[a] || 0);
  if (kind === "share") hi = Math.max(hi, 1);
  rows.forEach((r, i) => {
    const y0 = T + i * rowH;
    const tx = svgEl("text", { x: L - 6, y: y0 + rowH / 2 + 3, "text-anchor": "end" }); tx.textContent = r.label; svg.append(tx);
    labels.forEach((a, k) => {
      const v = r.values[a];
      const w = v ? ((W - L - R) * v) / (hi || 1) : 0;
      const color = labels.length === 1 ? COLORS[1] : COLORS[k % COLORS.length];
      svg.append(svgEl("rect", { x: L, y: y0 + 4 + k * 16, width: Math.max(0, w), height: 13, fill: color, class: "bar", "data-arm": a }));
      const t2 = svgEl("text", { x: L + w + 4, y: y0 + 14 + k * 16 }); t2.textContent = fmtNum(v, kind); svg.append(t2);
    });
  });
  return svg;
}

function hoursChart(rows, labels) {
  // rows: [{role, label, work: {kind: {arm: hours}}}] -> one stacked bar per role and arm
  const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.work)))];
  const W = 900, barH = 14, rowH = barH * labels.length + 12, L = 150, R = 70, T = 4;
  const H = T + rows.length * rowH + 6;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart hours" });
  let hi = 0;
  for (const r of rows) for (const a of labels) hi = Math.max(hi, kinds.reduce((s, k) => s + ((r.work[k] || {})[a] || 0), 0));
  const palette = ["#1f5fa8", "#d9822b", "#2e7d32", "#8e44ad", "#c62828", "#16a085", "#b7950b", "#7f8c8d"];
  rows.forEach((r, i) => {
    const y0 = T + i * rowH;
    labels.forEach((a, j) => {
      const tx = svgEl("text", { x: L - 6, y: y0 + j * barH + 11, "text-anchor": "end" });
      tx.textContent = labels.length > 1 ? `${r.label} · ${j === 0 ? "start" : "yours"}` : r.label; svg.append(tx);
      let x0 = L;
      kinds.forEach((k, c) => {
        const v = (r.work[k] || {})[a] || 0, w = ((W - L - R) * v) / (hi || 1);
        svg.append(svgEl("rect", { x: x0, y: y0 + j * barH, width: w, height: barH - 2, fill: palette[c % palette.length] }));
        x0 += w;
      });
      const t2 = svgEl("text", { x: x0 + 4, y: y0 + j * barH + 11 }); t2.textContent = fmtNum(kinds.reduce((s, k) => s + ((r.work[k] || {})[a] || 0), 0)) + " h"; svg.append(t2);
    });
  });
  return [svg, legend(kinds.map((k) => k.replace(/_/g, " ")), (c) => palette[c % palette.length])];
}

function renderCharts(ch) {
  const labels = ch.arms;
  const colorOf = (k) => (labels.length === 1 ? COLORS[1] : COLORS[k % COLORS.length]);
  const fans = $("#fans");
  fans.replaceChildren();
  for (const f of ch.fans) {
    fans.append(el("h3", { text: `${f.title}: median and the middle 50% / 90% of replications` }));
    fans.append(fanChart(f, labels));
    if (labels.length > 1) fans.append(legend(labels.map((a, k) => (k === 0 ? `${a} (start, median dashed)` : a)), colorOf));
  }
  $("#funnel").replaceChildren(barChart(ch.funnel, labels), legend(labels, colorOf));
  $("#utilization").replaceChildren(barChart(ch.utilization, labels, "share"), legend(labels, colorOf));
  $("#hours-box").hidden = !ch.hours.length;
  if (ch.hours.length) $("#hours").replaceChildren(...hoursChart(ch.hours, labels));
}

// ------------------------------------------------------------------ setup
async function loadControls() {
  state.job = null;
  const q = state.mode === "class" ? `failure_mode=${encodeURIComponent($("#failure-mode").value)}`
    : `start=${encodeURIComponent($("#start").value)}`;
  const { doc } = await api(`/api/controls?${q}`);
  if (doc.error) { $("#run-error").textContent = doc.error; return; }
  $("#start-description").textContent = doc.description || "";
  renderControls(doc);
  clearErrors();
  renderChanges([]);
  if (state.mode === "class") {
    const m = state.failureModes.find((f) => f.name === $("#failure-mode").value);
    $("#mode-story").textContent = m ? `${m.title}. Look for: ${m.symptoms.map((s) => `${s.label} ${s.expected}`).join(", ")}. Source: ${m.source}.` : "";
    $("#mechanism-text").textContent = m ? `(${m.mechanism})` : "";
  }
}

function setMode(mode) {
  state.mode = mode;
  document.querySelectorAll(".mode").forEach((b) => b.classList.toggle("active", b.dataset.mode === mode));
  $("#pick-explore").hidden = mode !== "explore";
  $("#pick-class").hidden = mode !== "class";
  $("#mechanism-off").checked = false;
  $("#free").value = "";
  loadControls();
}

async function init() {
  const { doc } = await api("/api/scenarios");
  const sel = $("#start");
  for (const s of doc.scenarios) sel.append(el("option", { value: s.id, text: (s.kind === "failure_mode" ? "Failure mode: " : "") + s.title }));
  sel.value = "baseline";
  state.failureModes = doc.failure_modes;
  for (const m of doc.failure_modes) $("#failure-mode").append(el("option", { value: m.name, text: m.title }));
  sel.addEventListener("change", loadControls);
  $("#failure-mode").addEventListener("change", loadControls);
  $("#mechanism-off").addEventListener("change", onEdit);
  $("#free").addEventListener("input", onEdit);
  $("#run").addEventListener("click", run);
  $("#reset").addEventListener("click", () => { $("#free").value = ""; loadControls(); });
  document.querySelectorAll(".mode").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));
  const params = new URLSearchParams(location.search);
  if (params.get("mode") === "class") setMode("class"); else await loadControls();
  document.body.dataset.ready = "1";
}

init();
