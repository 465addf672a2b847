"""Money in the report (issue 15): the cash fan, the P&L by year, and, in a comparison, each
arm's runway and chance of running out side by side with the paired difference.

Everything reads the monthly series the money ledger gives (``revenue``, ``cogs``, ``opex``,
``net_burn``, ``cash``...; :func:`simorg.metrics.series.money_series`); without them (old
results, or no ``finance`` section for cash) the parts are left out with a note.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import PercentFormatter

from .data import Results
from .explain import fmt_money
from .style import FigureOut, fan, money_axis, month_axis

PNL_LINES: tuple[tuple[str, str], ...] = (
    ("revenue", "Revenue"), ("cogs", "Cost of revenue"), ("gross_profit", "Gross profit"),
    ("opex", "Operating expenses"), ("operating_income", "Operating income"),
    ("collections", "Cash collected"), ("net_burn", "Net burn (cash out - cash in)"), ("funding", "Funding"),
)


def ran_out_by_month(wide) -> np.ndarray:
    """Share of replications whose cash has been below zero at some month end by each month."""
    below = wide.to_numpy() < 0
    return np.maximum.accumulate(below, axis=0).mean(axis=1)


def fig_cash_fan(res: Results, scenario: str) -> FigureOut | None:
    """Cash at month end: median and the middle 50% / 90% of replications, the zero line, and
    the chance of having run out by each month."""
    wide = res.monthly_wide("cash", scenario)
    if wide.empty:
        return None
    months = wide.index.to_numpy()
    fig, ax = plt.subplots(figsize=(10, 4.6))
    fan(ax, wide, "#2a7f62", "cash", median_gid="median")
    ax.axhline(0.0, color="#b22222", lw=1.2, ls="--", label="zero cash")
    money_axis(ax)
    month_axis(ax, months)
    ax.set_ylabel("cash at month end (currency)")
    ax.set_title(f"Cash over time — {scenario}")
    out = ran_out_by_month(wide)
    ax2 = ax.twinx()
    ax2.step(months, out, where="post", color="#b22222", lw=1.5, label="chance of having run out")
    ax2.set_ylim(0, 1)
    ax2.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax2.set_ylabel("chance of having run out by then", color="#b22222")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", ncols=2, fontsize=8)
    fig.tight_layout()
    caption = (f"Cash at each month end (starting cash + collections + funding - payments). Line: median "
               f"replication; bands: middle 50% and 90% of {res.reps} replications; dashed red line: zero. "
               f"Red steps (right axis): share of replications whose cash has been below zero at a month end "
               f"by that month — {out[-1]:.0%} by the end.")
    return FigureOut("cash_fan", "Cash over time", caption, fig)


def pnl_by_year(res: Results, scenario: str) -> str:
    """The P&L by year (means over replications), and cash at each year end."""
    if not res.has_metric("revenue", scenario):
        return ""
    cols: list[list[float]] = []
    years = 0
    for metric, _label in PNL_LINES:
        wide = res.monthly_wide(metric, scenario)
        if wide.empty:
            cols.append([])
            continue
        mean = wide.mean(axis=1).to_numpy()
        years = max(years, math.ceil(len(mean) / 12))
        cols.append([float(mean[12 * y: 12 * (y + 1)].sum()) for y in range(math.ceil(len(mean) / 12))])
    cash = res.monthly_wide("cash", scenario)
    head = "".join(f"<th>year {y + 1}</th>" for y in range(years))
    rows = []
    for (_metric, label), vals in zip(PNL_LINES, cols, strict=True):
        if vals:
            rows.append(f"<tr><td>{escape(label)}</td>" + "".join(f"<td>{fmt_money(v)}</td>" for v in vals) + "</tr>")
    if not cash.empty:
        ends = cash.mean(axis=1).to_numpy()
        vals = [float(ends[min(len(ends), 12 * (y + 1)) - 1]) for y in range(years)]
        rows.append("<tr><td>Cash at year end</td>" + "".join(f"<td>{fmt_money(v)}</td>" for v in vals) + "</tr>")
    return (f"<h3>P&amp;L by year — {escape(scenario)}</h3><table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
            f"<p class='neutral'>Means over {res.reps} replications. Revenue is recognised from active "
            "contracts (plus implementation fees, at go-live); a year is 12 simulated months (the last may be shorter).</p>")


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _pct(x: float) -> str:
    return f"{x:.0%}" if math.isfinite(x) else "–"


def _months(x: float) -> str:
    if x == math.inf:
        return "not burning"
    return f"{x:.1f}" if math.isfinite(x) else "–"


def money_answer(res: Results) -> str:
    """In a comparison: each arm's chance of running out, runway and cash at the end, side by
    side, with the paired difference of the chance (and its 95% interval)."""
    out = []
    for comp in res.comparisons():
        kpis = comp.get("kpis") or {}
        d = kpis.get("cash_out") if isinstance(kpis, dict) else None
        if not isinstance(d, dict) or not math.isfinite(_num(d.get("a_mean"))):
            continue
        a, b = str(comp.get("a", "A")), str(comp.get("b", "B"))
        rows = []
        for arm, key in ((a, "a_mean"), (b, "b_mean")):
            runway = res.kpi_values("runway_months", arm) if not res.kpis.empty else np.array([])
            raw = res.kpis[(res.kpis["kpi"] == "runway_months") & (res.kpis["scenario"] == arm)]["value"] \
                if not res.kpis.empty else []
            not_burning = float(np.mean(np.isinf(np.asarray(raw, dtype=float)))) if len(raw) else math.nan
            fin = runway[np.isfinite(runway)]
            med = float(np.median(fin)) if len(fin) else (math.inf if not_burning == 1 else math.nan)
            cash = kpis.get("cash_end", {})
            rows.append(f"<tr><td>{escape(arm)}</td><td>{_pct(_num(d.get(key)))}</td><td>{_months(med)}</td>"
                        f"<td>{_pct(not_burning)}</td><td>{fmt_money(_num(cash.get(key)))}</td></tr>")
        lo, hi = (d.get("diff_ci95") or [None, None])[:2]
        diff = _num(d.get("diff_mean"))
        interval = (f"{diff:+.0%} (95% paired interval {_num(lo):+.0%} to {_num(hi):+.0%})"
                    if math.isfinite(_num(lo)) and math.isfinite(_num(hi)) else f"{diff:+.0%}")
        out.append("<h3>Can the company afford it?</h3><table><tr><th>arm</th><th>chance of running out</th>"
                   "<th>runway at end, median (months)</th><th>not burning at end</th><th>cash at end (mean)</th></tr>"
                   + "".join(rows) + "</table>"
                   f"<p>Chance of running out, {escape(b)} minus {escape(a)}: <b>{interval}</b>. Runway is cash at "
                   "the end over the last 3 months' average net burn, among replications still burning.</p>")
    return "".join(out)
