"""Why retention moved: renewals worked and lapsed by segment (and by owner arm in a
randomized split), and each role's hours by kind of work (issue 14).

Reads only saved results: the per-segment KPIs (``logo_renewal_rate_<segment>``,
``grr_<segment>``, ``renewals_worked_share_<segment>``, ``logo_renewal_rate_arm_<owner>``)
and the monthly ``hours_<role>_<work>`` series.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from .data import Results

_WORKED = "renewals_worked_share_"


def _mean(res: Results, kpi: str, arm: str) -> float:
    v = res.kpi_values(kpi, arm)
    return float(np.mean(v)) if len(v) else math.nan


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.1f}%"


def renewals_html(res: Results) -> str:
    """Renewals worked and lapsed by owner and segment; hours by role and kind of work."""
    arms = res.arms()
    names = sorted(set(res.kpis["kpi"].astype(str))) if not res.kpis.empty else []
    segments = [n.removeprefix(_WORKED) for n in names if n.startswith(_WORKED)]
    if not segments:
        return ""
    rows = []
    for arm in arms:
        for seg in segments + [""]:
            suffix = f"_{seg}" if seg else ""
            worked = _mean(res, f"renewals_worked_share{suffix}", arm)
            rows.append(
                f"<tr><td>{escape(arm)}</td><td>{escape(seg or 'all')}</td><td>{_pct(worked)}</td>"
                f"<td>{_pct(1 - worked) if math.isfinite(worked) else 'n/a'}</td>"
                f"<td>{_pct(_mean(res, f'logo_renewal_rate{suffix}', arm))}</td>"
                f"<td>{_pct(_mean(res, f'grr{suffix}', arm))}</td></tr>")
    html = ("<p>Renewals in the last 12 months: the share someone worked (gave hours) and the share "
            "that lapsed to its unworked chance, by segment (mean over replications).</p>"
            "<table class='kpis'><tr><th>arm</th><th>segment</th><th>worked</th><th>lapsed unworked</th>"
            "<th>logo renewal</th><th>GRR</th></tr>" + "".join(rows) + "</table>")
    arm_rows = []
    for arm in arms:
        for n in names:
            if n.startswith("logo_renewal_rate_arm_"):
                arm_rows.append(f"<tr><td>{escape(arm)}</td><td>{escape(n.removeprefix('logo_renewal_rate_arm_'))}</td>"
                                f"<td>{_pct(_mean(res, n, arm))}</td></tr>")
    if arm_rows:
        months = _mean(res, "split_months_to_detect", arms[0]) if arms else math.nan
        html += ("<h3>Randomized owner split</h3><table class='kpis'><tr><th>scenario</th><th>owner arm</th>"
                 "<th>logo renewal</th></tr>" + "".join(arm_rows) + "</table>"
                 f"<p>Months of renewals the split needs to detect its difference at 95% (80% power): "
                 f"{'n/a' if not math.isfinite(months) else f'{months:.0f}'}.</p>")
    hours = res.metrics_with_prefix("hours_")
    if hours:
        h_rows = []
        for arm in arms:
            for metric in sorted(hours):
                wide = res.monthly_wide(metric, arm)
                if wide.empty:
                    continue
                per_month = float(wide.mean(axis=1).mean())
                h_rows.append(f"<tr><td>{escape(arm)}</td><td>{escape(metric.removeprefix('hours_'))}</td>"
                              f"<td>{per_month:,.0f}</td></tr>")
        html += ("<h3>Hours by role and kind of work</h3><p>Mean hours a month over the horizon, whole team.</p>"
                 "<table class='kpis'><tr><th>arm</th><th>role_work</th><th>hours / month</th></tr>"
                 + "".join(h_rows) + "</table>")
    return html
