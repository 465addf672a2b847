"""The self-contained HTML page: headline answer, KPI table, assumptions, figures with captions.

Everything is inline (CSS in a ``<style>`` block, figures as base64 PNG), so the single file
opens offline, prints cleanly, and can be mailed to a client.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics import registry
from ..metrics.registry import DECISION_KPIS, GROUP_LABELS
from .assumptions import assumptions_html, differences_html
from .data import Results
from .explain import fmt_diff, fmt_value, kpi_info, kpi_order, unit_text
from .figures_compare import category, identical, num
from .figures_sweep import (
    _num,
    base_values,
    points_table,
    short_names,
    sweep_kpis,
    sweep_parameters,
)

CSS = """
:root { --ink:#222; --muted:#666; --line:#ddd; --accent:#1f5fa8; --good:#2e7d32; --bad:#c62828; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px 32px 60px; background:#fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 22px 0 6px; }
h4 { font-size: 14px; margin: 16px 0 4px; color: #333; }
.meta { color: var(--muted); font-size: 13px; margin-bottom: 18px; }
.headline { background: #f3f7fc; border-left: 5px solid var(--accent); padding: 14px 18px; margin: 12px 0 8px; }
.headline p { margin: 4px 0; font-size: 16px; }
.headline ul { margin: 6px 0 4px 0; padding-left: 20px; }
.headline li { margin: 3px 0; }
.good { color: var(--good); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.neutral { color: var(--muted); }
.diff { color: var(--accent); font-weight: 600; }
.warn { background: #fff4e5; border-left: 5px solid #e39a2d; padding: 8px 14px; }
nav.toc { font-size: 13px; color: var(--muted); }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.explain { color: #444; font-size: 12.5px; }
td.group { background: #eef3f9; font-weight: 600; color: #2b4c73; }
table.assump td { font-size: 12.5px; }
div.scroll { overflow-x: auto; }
code { font-size: 12px; background: #f3f3f3; padding: 1px 4px; border-radius: 3px; }
figure { margin: 18px 0 28px; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #444; margin-top: 6px; }
figcaption b { color: var(--ink); }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; color: var(--accent); }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0 8mm; font-size: 11pt; }
  h2 { page-break-after: avoid; }
  nav.toc { display: none; }
  details { display: block; }
  details > summary { display: none; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; }
}
"""

def _grouped(kpis: list[str]) -> list[tuple[str, list[str]]]:
    """``(group label, members)`` in the KPI registry's group order."""
    return [(GROUP_LABELS.get(g, g.title()), members) for g, members in registry.grouped(kpis)]


def _ci(ci: Any, unit: str, diff: bool = False) -> str:
    if not isinstance(ci, list | tuple) or len(ci) != 2:
        return "n/a"
    f = fmt_diff if diff else fmt_value
    return f"{f(ci[0], unit)} to {f(ci[1], unit)}"


def _explain_cell(k: str) -> str:
    info = kpi_info(k)
    return f'<td class="explain">{escape(info.explain)} <i>({escape(unit_text(info.unit))})</i></td>'


# --------------------------------------------------------------------------- headlines
def run_headline(res: Results, scenario: str) -> str:
    """The answer in a few sentences: ARR at end with CI, growth, NRR/GRR, CAC ratio."""
    k = res.run_kpis(scenario)
    doc = res.scenarios.get(scenario, {})
    horizon = doc.get("horizon_months") or (int(res.monthly["month"].max()) if not res.monthly.empty else None)
    lines = []

    def v(name: str) -> str:
        s = k[name]
        return f"<b>{fmt_value(s['mean'], kpi_info(name).unit)}</b> (95% CI {_ci(s.get('ci95'), kpi_info(name).unit)})"

    if "arr_end" in k:
        when = f"After {horizon} months" if horizon else "At the end of the horizon"
        s = f"{when}, ARR is {v('arr_end')}"
        if "arr_growth_last_12m" in k:
            g = k["arr_growth_last_12m"].get("mean", 0.0) or 0.0
            s += f", {'up' if g >= 0 else 'down'} {v('arr_growth_last_12m')} over the last 12 months"
        lines.append(s + ".")
    ret = [f"{lab} {v(n)}" for n, lab in (("nrr", "NRR"), ("grr", "GRR")) if n in k]
    if ret:
        lines.append("Retention over the last 12 months: " + "; ".join(ret) + ".")
    if "cac_ratio" in k:
        lines.append(f"CAC ratio {v('cac_ratio')}: sales and marketing cost per 1 of new ARR "
                     "(public benchmarks 1.1–1.8).")
    extra = [f"{kpi_info(n).label.lower()} {v(n)}" for n in ("new_logos", "customers_end", "gtm_cost") if n in k]
    if extra:
        lines.append("Also: " + "; ".join(extra) + ".")
    if not lines:
        lines.append("The results hold no headline KPIs (arr_end, nrr, grr, cac_ratio).")
    return "".join(f"<p>{s}</p>" for s in lines)


def fmt_p(p: float) -> str:
    """A p-value as a reader wants it: '< 0.001' or '= 0.023'."""
    if not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"= {p:.2g}"


def _rel(d: dict[str, Any]) -> float:
    """The mean paired difference as a share of the reference arm's mean (NaN if A's mean is 0)."""
    a, diff = num(d.get("a_mean")), num(d.get("diff_mean"))
    return diff / abs(a) if math.isfinite(a) and abs(a) > 1e-12 else math.nan


def _q(d: dict[str, Any]) -> float:
    """The FDR-adjusted q-value, or the p-value for results written before q-values existed."""
    q = num(d.get("q_value"))
    return q if math.isfinite(q) else num(d.get("p_value"))


def verdict_line(b: str, kpi: str, d: dict[str, Any]) -> str:
    """'B has higher ARR at end: +1.2M (+5.1%; 95% CI ...; q < 0.001) — better, above the 2%
    practical threshold', coloured by verdict."""
    info, e = kpi_info(kpi), registry.entry(kpi)
    diff = num(d.get("diff_mean"))
    cat = "identical in every replication" if identical(d) else category(d)
    label = escape(info.label if info.label[:3].isupper() else info.label[0].lower() + info.label[1:])
    if not math.isfinite(diff):
        return f'<li><span class="neutral">{label}: not enough data to compare</span></li>'
    more, less = ("more", "fewer") if info.unit in ("count", "people") else ("higher", "lower")
    word = "the same" if diff == 0 else (more if diff > 0 else less)
    cls = {"better": "good", "worse": "bad"}.get(cat, "diff" if cat.startswith("different") else "neutral")
    rel = _rel(d)
    rel_txt = f"{rel:+.1%}; " if math.isfinite(rel) else ""
    q = _q(d)
    q_name = "q" if math.isfinite(num(d.get("q_value"))) else "p"
    q_txt = f"; {q_name} {fmt_p(q)}" if math.isfinite(q) else ""
    detectable = cat in ("better", "worse") or cat.startswith("different")
    if not detectable or not math.isfinite(rel):
        size = ""
    elif abs(rel) >= e.threshold:
        size = f", above the {e.threshold:.0%} practical threshold"
    else:
        size = f", but below the {e.threshold:.0%} practical threshold: too small to matter"
        cls = "neutral"  # a real but small change is not what the decision turns on
    return (f'<li><span class="{cls}">{escape(b)} has {word} {label}</span>: '
            f"{fmt_diff(diff, info.unit)} ({rel_txt}95% CI {_ci(d.get('diff_ci95'), info.unit, diff=True)}{q_txt})"
            f" — {escape(cat)}{size}</li>")


def _decision_summary(b: str, kpis: dict[str, dict[str, Any]]) -> str:
    """One sentence: which decision KPIs move by more than their practical threshold, and how."""
    big: dict[str, list[str]] = {"better": [], "worse": [], "different": []}
    small = 0
    for k, d in kpis.items():
        cat = category(d)
        if cat not in ("better", "worse") and not cat.startswith("different"):
            continue
        rel = _rel(d)
        if math.isfinite(rel) and abs(rel) >= registry.entry(k).threshold:
            big["different" if cat.startswith("different") else cat].append(kpi_info(k).label)
        else:
            small += 1
    parts = []
    if big["better"]:
        parts.append(f'<span class="good">better on {escape(", ".join(big["better"]))}</span>')
    if big["worse"]:
        parts.append(f'<span class="bad">worse on {escape(", ".join(big["worse"]))}</span>')
    if big["different"]:
        parts.append(f'<span class="diff">different on {escape(", ".join(big["different"]))}</span>')
    text = (f"<b>Bottom line:</b> {escape(b)} is " + "; ".join(parts) if parts
            else f"<b>Bottom line:</b> no decision KPI of {escape(b)} changes by more than its practical threshold")
    if small:
        text += f" ({small} more decision KPI{'s' if small > 1 else ''} changed detectably but by less than that)"
    return text + "."


def compare_headline(res: Results) -> str:
    """The answer per comparison: the decision KPIs first (ARR, logos, cost, retention, cash)
    with their practical size, then how many of all KPIs differ after the FDR correction, and
    the other differences large enough to matter."""
    out = []
    for comp in res.comparisons():
        a, b = str(comp.get("a", "A")), str(comp.get("b", "B"))
        kpis = comp.get("kpis") or {}
        if not isinstance(kpis, dict):
            kpis = {}
        kpis = {str(k): v for k, v in kpis.items() if isinstance(v, dict)}
        names = kpi_order(list(kpis))
        cats = {k: category(kpis[k]) for k in names}
        out.append(f"<p><b>{escape(b)}</b> compared with <b>{escape(a)}</b> ({res.reps} paired replications, "
                   "common random numbers). The decisions rest on these KPIs:</p>")
        decision = [k for k in DECISION_KPIS if k in kpis]
        if decision:
            out.append(f"<p>{_decision_summary(b, {k: kpis[k] for k in decision})}</p>")
            out.append("<ul>" + "".join(verdict_line(b, k, kpis[k]) for k in decision) + "</ul>")
        else:
            out.append("<p class='neutral'>The results hold none of the decision KPIs "
                       f"({escape(', '.join(DECISION_KPIS))}).</p>")
        n_better = sum(c == "better" for c in cats.values())
        n_worse = sum(c == "worse" for c in cats.values())
        neutral = [k for k in names if cats[k].startswith("different")]
        n_none = sum(c == "no detectable difference" for c in cats.values())
        n_na = sum(c == "not enough data" for c in cats.values())
        out.append(f"<p>Across all {len(names)} KPIs, after a Benjamini-Hochberg false-discovery-rate correction "
                   f'(q &lt; 0.05): <span class="good">{n_better} better</span>, <span class="bad">{n_worse} worse</span>'
                   + (f', <span class="diff">{len(neutral)} different where neither direction is better</span>'
                      if neutral else "")
                   + f", {n_none} with no detectable difference"
                   + (f", {n_na} without enough data" if n_na else "") + ".</p>")
        other = [k for k in names if k not in decision and (cats[k] in ("better", "worse")
                 or cats[k].startswith("different"))]
        big = [k for k in other if math.isfinite(_rel(kpis[k])) and abs(_rel(kpis[k])) >= registry.entry(k).threshold]
        big.sort(key=lambda k: -abs(_rel(kpis[k])))
        shown = big[:8]
        if shown:
            out.append("<p>Other differences above their practical threshold:</p><ul>"
                       + "".join(verdict_line(b, k, kpis[k]) for k in shown) + "</ul>")
        rest = len(other) - len(shown)
        if rest > 0:
            out.append(f"<p class='neutral'>…and {rest} smaller or lesser differences in the table below.</p>")
    return "".join(out) or "<p>No comparison results found.</p>"


def sweep_headline(res: Results) -> str:
    """Range of the first KPI over the points; for oat, the parameter that moves it most."""
    tab = points_table(res)
    kpis = sweep_kpis(res)
    params = sweep_parameters(res)
    n = len(res.result.get("points", []))
    mode = str(res.result.get("mode", "grid"))
    mode_name = {"oat": "One-at-a-time", "grid": "Grid", "lhs": "Latin-hypercube"}.get(mode, mode)
    lines = [f"<p>{escape(mode_name)} sweep of <b>{escape(str(res.result.get('base', '')))}</b> "
             f"over {escape(', '.join(params))}: {n} points × {res.reps} replications.</p>"]
    base = base_values(res) if mode == "oat" else {}
    names = short_names(params)
    for k in kpis[:3]:
        sub = tab[tab["kpi"] == k].dropna(subset=["mean"]) if not tab.empty else tab
        if sub.empty:
            continue
        unit = kpi_info(k).unit
        lo, hi = sub.loc[sub["mean"].idxmin()], sub.loc[sub["mean"].idxmax()]

        def at(r: Any) -> str:
            changed = [p for p in params if not base or r[p] != base.get(p)]
            if not changed:
                return "base"
            return escape(", ".join(f"{names[p]} = {_num(r[p])}" for p in changed))

        lines.append(f"<p>{escape(kpi_info(k).label)} ranges from <b>{fmt_value(lo['mean'], unit)}</b> ({at(lo)}) "
                     f"to <b>{fmt_value(hi['mean'], unit)}</b> ({at(hi)}).</p>")
    torn = [t for t in (res.result.get("tornado") or []) if isinstance(t, dict) and "kpi" in t]
    swings = [(t, abs(num(t.get("high_value")) - num(t.get("low_value")))) for t in torn]
    if swings:
        target = res.result.get("target")
        first = target if any(t["kpi"] == target for t in torn) else torn[0]["kpi"]
        sub = [(t, w) for t, w in swings if t["kpi"] == first and math.isfinite(w)]
        if sub:
            top = max(sub, key=lambda tw: tw[1])[0]
            unit = kpi_info(str(first)).unit
            lines.append(f"<p>The parameter that moves {escape(kpi_info(str(first)).label)} most is "
                         f"<b>{escape(str(top.get('parameter')))}</b>: {fmt_value(num(top.get('low_value')), unit)} at "
                         f"{escape(_num(top.get('low')))} vs {fmt_value(num(top.get('high_value')), unit)} at "
                         f"{escape(_num(top.get('high')))}.</p>")
    return "".join(lines)


# --------------------------------------------------------------------------- KPI tables
def relevant_kpis(names: list[str], docs: list[dict[str, Any]]) -> list[str]:
    """Leave out role KPIs of teams no scenario defines (e.g. account managers when there are none)."""
    teams: list[dict[str, Any]] = [t for d in docs if isinstance(d, dict) and isinstance(t := d.get("teams"), dict)]
    if not teams:
        return list(names)

    def present(role: str) -> bool:
        return any(isinstance(t.get(role), dict) for t in teams)

    out = []
    for n in names:
        for prefix in ("headcount_end_", "utilization_"):
            if n.startswith(prefix) and not present(n.removeprefix(prefix)):
                break
        else:
            out.append(n)
    return out


def _spread_end(x: float, unit: str) -> str:
    """One end of the 90% range: an infinite value is a run without the thing measured (runway
    of a company not burning cash)."""
    if math.isinf(x):
        return "no limit" if x > 0 else "-no limit"
    return fmt_value(x, unit)


def run_kpi_table(res: Results, scenario: str) -> str:
    """KPI, mean, 95% CI of the mean, 90% range across runs, explanation."""
    k = res.run_kpis(scenario)
    rows = []
    names = relevant_kpis(list(k), [res.scenarios.get(scenario, {})])
    for group, members in _grouped(names):
        rows.append(f'<tr><td class="group" colspan="5">{escape(group)}</td></tr>')
        for name in members:
            s, info = k[name], kpi_info(name)
            vals = res.kpi_values(name, scenario)
            # quantiles taken as observed runs: a KPI can be infinite in some runs (runway when
            # not burning) and interpolating between two infinities is undefined
            lo, hi = np.quantile(vals, [0.05, 0.95], method="closest_observation") if len(vals) > 1 else (0, 0)
            spread = (f"{_spread_end(float(lo), info.unit)} to "
                      f"{_spread_end(float(hi), info.unit)}") if len(vals) > 1 else "n/a"
            rows.append(f"<tr><td><b>{escape(info.label)}</b><br><code>{escape(name)}</code></td>"
                        f'<td class="num">{fmt_value(s.get("mean"), info.unit)}</td>'
                        f'<td class="num">{_ci(s.get("ci95"), info.unit)}</td><td class="num">{spread}</td>'
                        f"{_explain_cell(name)}</tr>")
    return ("<table class='kpis'><thead><tr><th>KPI</th><th>mean</th><th>95% CI of the mean</th>"
            "<th>90% of runs</th><th>what it means (unit)</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def compare_kpi_table(comp: dict[str, Any], docs: list[dict[str, Any]] | None = None) -> str:
    """A mean, B mean, difference with CI, p-value and verdict for every KPI."""
    a, b, kpis = comp["a"], comp["b"], comp.get("kpis", {})
    rows = []
    for group, members in _grouped(relevant_kpis(list(kpis), docs or [])):
        rows.append(f'<tr><td class="group" colspan="8">{escape(group)}</td></tr>')
        for name in members:
            d, info = kpis[name], kpi_info(name)
            verdict = "identical in every replication" if identical(d) else category(d)
            cls = {"better": "good", "worse": "bad"}.get(verdict, "neutral")
            if verdict.startswith("different"):
                cls = "diff"
            p, q = num(d.get("p_value")), num(d.get("q_value"))
            rows.append(f"<tr><td><b>{escape(info.label)}</b><br><code>{escape(name)}</code></td>"
                        f'<td class="num">{fmt_value(d.get("a_mean"), info.unit)}</td>'
                        f'<td class="num">{fmt_value(d.get("b_mean"), info.unit)}</td>'
                        f'<td class="num">{fmt_diff(d.get("diff_mean"), info.unit)}<br>'
                        f'<small>{_ci(d.get("diff_ci95"), info.unit, diff=True)}</small></td>'
                        f'<td class="num">{fmt_p(p).removeprefix("= ")}</td>'
                        f'<td class="num">{fmt_p(q).removeprefix("= ")}</td>'
                        f'<td class="{cls}">{escape(verdict)}</td>{_explain_cell(name)}</tr>')
    return (f"<table class='kpis'><thead><tr><th>KPI</th><th>{escape(a)}</th><th>{escape(b)}</th>"
            f"<th>{escape(b)} − {escape(a)} (95% CI)</th><th>p</th><th>q (FDR)</th><th>verdict</th>"
            "<th>what it means (unit)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def sweep_kpi_table(res: Results) -> str:
    """One row per point: parameter values and each swept KPI's mean with CI."""
    tab = points_table(res)
    params = sweep_parameters(res)
    kpis = sweep_kpis(res)
    if tab.empty:
        return "<p>No sweep points found.</p>"
    head = "".join(f"<th title='{escape(p)}'>{escape(p).replace('.', '.<wbr>')}</th>" for p in params) + "".join(
        f"<th>{escape(kpi_info(k).label)}<br><small>mean (95% CI)</small></th>" for k in kpis)
    rows = []
    for pt, g in tab.groupby("point", sort=True):
        first = g.iloc[0]
        cells = "".join(f'<td class="num">{_num(first[p])}</td>' if isinstance(first[p], int | float | np.number)
                        else f"<td>{escape(str(first[p]))}</td>" for p in params)
        for k in kpis:
            r = g[g["kpi"] == k]
            if r.empty:
                cells += "<td>n/a</td>"
                continue
            r = r.iloc[0]
            unit = kpi_info(k).unit
            cells += (f'<td class="num">{fmt_value(r["mean"], unit)}<br>'
                      f'<small>{fmt_value(r["lo"], unit)} to {fmt_value(r["hi"], unit)}</small></td>')
        rows.append(f"<tr><td class='num'>{pt}</td>{cells}</tr>")
    explain = "".join(f"<li><b>{escape(kpi_info(k).label)}</b> (<code>{escape(k)}</code>): "
                      f"{escape(kpi_info(k).explain)} <i>({escape(unit_text(kpi_info(k).unit))})</i></li>"
                      for k in kpis)
    return (f"<div class='scroll'><table class='kpis'><thead><tr><th>point</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div><ul class='explain'>{explain}</ul>")


# --------------------------------------------------------------------------- page
def figure_html(key: str, title: str, caption: str, png: Path, rel: str) -> str:
    """One embedded figure: base64 PNG, anchor id, caption, and the PNG's file name."""
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure id="fig-{escape(key)}" data-file="{escape(rel)}">'
            f'<img alt="{escape(title)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{escape(title)}.</b> {escape(caption)} "
            f"<span class='neutral'>(also saved as <code>{escape(rel)}</code>)</span></figcaption></figure>")


def page(title: str, meta: str, sections: list[tuple[str, str, str]], warning: str = "") -> str:
    """Assemble the page from ``(anchor, heading, html)`` sections."""
    toc = "".join(f'<a href="#{a}">{escape(h)}</a>' for a, h, _ in sections)
    body = "".join(f'<section id="{a}"><h2>{escape(h)}</h2>{html}</section>' for a, h, html in sections)
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><div class='meta'>{meta}</div>{warning}"
            f"<nav class='toc'>{toc}</nav>{body}"
            f"<footer>Generated by simorg on {now} from saved results (no re-simulation). "
            "Uncertainty: 95% CIs are for the mean over replications; bands and ranges show how "
            "individual runs spread.</footer></body></html>")


def reading_guide(res: Results) -> str:
    """How to read the numbers: replications, CIs versus spread, paired comparisons."""
    s = (f"<p>Every number comes from {res.reps} independent replications of the simulated company "
         "(same scenario, different random draws of leads, deal sizes, wins, churn and staff attrition). "
         "<b>95% CI</b> is the confidence interval of the mean over replications: more replications make it "
         "narrower. <b>Bands</b> and <b>90% of runs</b> show how much a single year can differ by chance: "
         "they do not shrink with more replications.</p>")
    if res.kind == "compare":
        s += ("<p>Arms are compared replication by replication with common random numbers: both arms "
              "see the same market, so differences are due to the organization, not luck. "
              "Differences are always B − A.</p>")
    return s


def meta_line(res: Results) -> str:
    """Kind, replications, seed, failures, source directory."""
    r = res.result
    bits = [f"kind: <b>{escape(res.kind)}</b>", f"replications: <b>{res.reps}</b>"]
    if "seed" in r:
        bits.append(f"seed: {escape(str(r['seed']))}")
    bits.append(f"results: <code>{escape(str(res.out_dir))}</code>")
    return " · ".join(bits)


def failed_warning(res: Results) -> str:
    """A visible warning when replications failed."""
    failed = res.result.get("failed") or 0
    if failed:
        return (f"<p class='warn'><b>{escape(str(failed))} replication(s) failed</b> and are not in these results; "
                "check the run's log before relying on the numbers.</p>")
    return ""


__all__ = ["assumptions_html", "compare_headline", "compare_kpi_table", "differences_html", "figure_html",
           "page", "run_headline", "run_kpi_table", "sweep_headline", "sweep_kpi_table"]
