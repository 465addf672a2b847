"""What the page shows for a finished run: the answer, chart data and the comparison.

The answer and the KPI tables are the HTML report's own (:mod:`simorg.report.html`), fed
with the same :class:`~simorg.report.data.Results` the report reads, built here in memory.
Charts are drawn in the browser from data computed here, and they are generic over the
monthly series the model writes:

* a fan chart (median, middle 50% and 90% of replications) for each money series in
  :data:`FAN_SERIES` that the run has: ``arr`` always, ``cash`` once the model keeps a
  money ledger;
* the funnel: leads, opportunities and deals won over the horizon, per arm;
* utilization of each role (every ``utilization_<role>`` series);
* hours by kind of work: every ``hours_<role>_<work>`` series, stacked per role, once the
  model records people's time by work.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..experiment.gallery import FailureMode
from ..experiment.results import MultiComparison, ReplicationResult
from ..report.data import Results
from ..report.explain import fmt_value, kpi_info
from ..report.html import compare_headline, compare_kpi_table, run_headline, run_kpi_table
from ..scenario import dump
from .controls import ROLE_WORDS

FAN_SERIES: tuple[tuple[str, str], ...] = (
    ("arr", "ARR at month end"),
    ("cash", "Cash at month end"),
)
"""Monthly series drawn as fan charts when present: (column, title)."""

FUNNEL: tuple[tuple[str, str], ...] = (("leads", "Leads"), ("opportunities", "Opportunities"),
                                       ("won", "Deals won"))
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def series_matrix(arm: ReplicationResult, metric: str) -> np.ndarray | None:
    """Replications x months of one monthly series (None when the run has no such series)."""
    rows = [r["monthly"][metric] for r in arm.ok_records if metric in r.get("monthly", {})]
    if not rows:
        return None
    n = min(len(r) for r in rows)
    return np.array([r[:n] for r in rows], dtype=float)


def fan(arm: ReplicationResult, metric: str) -> dict[str, list[float | None]] | None:
    """Quantile bands of a monthly series over replications, month by month."""
    m = series_matrix(arm, metric)
    if m is None or m.size == 0:
        return None
    qs = np.nanquantile(m, QUANTILES, axis=0)
    return {f"q{int(q * 100):02d}": [_finite(v) for v in row] for q, row in zip(QUANTILES, qs, strict=True)}


def _total(arm: ReplicationResult, metric: str) -> float | None:
    m = series_matrix(arm, metric)
    return None if m is None else _finite(np.nanmean(m.sum(axis=1)))


def _mean_kpi(arm: ReplicationResult, kpi: str) -> float | None:
    vals = [v for v in arm.values(kpi).values() if v is not None and math.isfinite(v)]
    return _finite(np.mean(vals)) if vals else None


def _utilization(arm: ReplicationResult, role: str) -> float | None:
    """Mean utilization of a role: its KPI when the run has it, else the mean of its series."""
    name = f"utilization_{role}"
    if any(name in rec["kpis"] for rec in arm.ok_records):
        return _mean_kpi(arm, name)
    m = series_matrix(arm, name)
    return None if m is None else _finite(np.nanmean(m))


def split_role(rest: str, roles: Sequence[str]) -> tuple[str, str]:
    """``renewal_specialist_renewals`` -> (``renewal_specialist``, ``renewals``): longest known role first."""
    for role in sorted(roles, key=len, reverse=True):
        if rest.startswith(role + "_"):
            return role, rest[len(role) + 1:]
    head, _, tail = rest.partition("_")
    return head, tail or "work"


def monthly_names(arms: Sequence[ReplicationResult]) -> list[str]:
    names: set[str] = set()
    for arm in arms:
        for r in arm.ok_records:
            names.update(r.get("monthly", {}))
    return sorted(names)


def chart_data(arms: Sequence[ReplicationResult], roles: Sequence[str]) -> dict[str, Any]:
    """Everything the page's charts need, for every arm (the first is the reference)."""
    names = monthly_names(arms)
    labels = [a.label for a in arms]
    fans = []
    for metric, title in FAN_SERIES:
        if metric in names:
            fans.append({"metric": metric, "title": title,
                         "arms": {a.label: fan(a, metric) for a in arms}})
    funnel = [{"metric": m, "label": lab, "values": {a.label: _total(a, m) for a in arms}}
              for m, lab in FUNNEL if m in names]
    util_roles = [n.removeprefix("utilization_") for n in names if n.startswith("utilization_")]
    order = list(ROLE_WORDS)
    util_roles.sort(key=lambda r: order.index(r) if r in order else 99)
    utilization = [{"role": r, "label": ROLE_WORDS.get(r, r),
                    "values": {a.label: _utilization(a, r) for a in arms}} for r in util_roles]
    hours: dict[str, dict[str, dict[str, float | None]]] = {}
    for n in names:
        if n.startswith("hours_"):
            role, work = split_role(n.removeprefix("hours_"), roles)
            hours.setdefault(role, {})[work] = {a.label: _total(a, n) for a in arms}
    hours_rows = [{"role": r, "label": ROLE_WORDS.get(r, r), "work": w}
                  for r, w in sorted(hours.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)]
    months = 0
    for a in arms:
        m = series_matrix(a, "arr")
        if m is not None:
            months = max(months, m.shape[1])
    return {"arms": labels, "months": months, "fans": fans, "funnel": funnel,
            "utilization": utilization, "hours": hours_rows}


def results_in_memory(arms: Sequence[ReplicationResult], scenarios: Mapping[str, Any],
                      doc: dict[str, Any]) -> Results:
    """The report's :class:`Results` for these arms, without writing files."""
    kpis = pd.concat([a.kpis for a in arms], ignore_index=True)
    monthly = pd.concat([a.monthly for a in arms], ignore_index=True)
    dists = pd.concat([a.distributions for a in arms], ignore_index=True)
    docs = {label: yaml.safe_load(dump(sc)) for label, sc in scenarios.items()}
    return Results(out_dir=Path("(in memory: this page)"), result=doc, kpis=kpis, monthly=monthly, distributions=dists,
                   scenarios=docs)


def symptoms(mode: FailureMode, summary: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each symptom of a failure mode: does it appear (95% CI of the change excludes zero
    in the stated direction)? The rule of :meth:`simorg.experiment.gallery.DemoResult.appears`."""
    out = []
    for s in mode.symptoms:
        d = summary.get(s.kpi)
        if d is None:
            continue
        lo, hi = d["diff_ci95"]
        appears = bool(lo > 0) if s.direction > 0 else bool(hi < 0)
        unit = kpi_info(s.kpi).unit
        out.append({"kpi": s.kpi, "label": s.label, "expected": "up" if s.direction > 0 else "down",
                    "appears": appears, "removed_by_switch": s.kpi in mode.removes, "a_mean": fmt_value(d["a_mean"], unit),
                    "b_mean": fmt_value(d["b_mean"], unit)})
    return out


def build_result(arms: Sequence[ReplicationResult], scenarios: Mapping[str, Any],
                 roles: Sequence[str], mode: FailureMode | None = None) -> dict[str, Any]:
    """The page's result document: answer (HTML), KPI table (HTML), charts, comparison."""
    failed = sum(a.failed for a in arms)
    if len(arms) >= 2:
        multi = MultiComparison(list(arms), None)
        doc = multi.to_json()
        res = results_in_memory(arms, scenarios, doc)
        comp = res.comparisons()[0]
        docs = [res.scenarios.get(comp["a"], {}), res.scenarios.get(comp["b"], {})]
        answer = compare_headline(res)
        table = compare_kpi_table(comp, docs)
        summary = multi.comparisons[0].summary()
        out: dict[str, Any] = {"kind": "compare", "answer": answer, "table": table,
                               "json": doc}
        if mode is not None:
            out["symptoms"] = symptoms(mode, summary)
    else:
        arm = arms[0]
        doc = arm.to_json()
        res = results_in_memory(arms, scenarios, doc)
        out = {"kind": "run", "answer": run_headline(res, arm.label),
               "table": run_kpi_table(res, arm.label), "json": doc}
    out["charts"] = chart_data(arms, roles)
    out["reps"] = max(a.reps for a in arms)
    out["failed"] = failed
    if failed:
        first = next(e for a in arms for e in a.errors.values())
        out["error_example"] = first.splitlines()[0]
    return out
