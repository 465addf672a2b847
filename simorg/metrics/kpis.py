"""Records + monthly series -> KPIs (DESIGN.md names). Pure functions.

All KPIs are over the whole horizon unless named otherwise; rates are fractions. Where a
KPI is undefined for a run (no deal closed, no contract up for renewal) it is NaN rather
than a made-up number.
"""

from __future__ import annotations

import numpy as np

from ..model.pools import DAYS_PER_MONTH
from ..model.records import Records
from ..scenario.schema import Scenario

SALES_AND_MARKETING = ("marketing", "sdr", "ae", "presales")
"""Roles whose cost is customer-acquisition cost (S&M in CAC)."""


def _mean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def account_arr_at(records: Records, t: float) -> dict[int, float]:
    """ARR of every account at time ``t`` from the contract segments."""
    seg = records.segments
    if len(seg["account"]) == 0:
        return {}
    mask = (seg["start"] <= t) & (seg["end"] > t)
    return dict(zip(seg["account"][mask].tolist(), seg["arr"][mask].tolist(), strict=True))


def retention(records: Records, months_back: int = 12) -> tuple[float, float, float]:
    """Trailing (GRR, NRR, logo renewal rate) over the last ``months_back`` months.

    GRR and NRR follow the cohort of accounts paying ``months_back`` months before the end:
    GRR = sum(min(ARR now, ARR then)) / sum(ARR then); NRR = sum(ARR now) / sum(ARR then).
    Logo renewal rate = contracts renewed / contracts that came up for renewal in the window.
    """
    end = records.horizon_days - 1e-6
    start = max(0.0, end - months_back * DAYS_PER_MONTH)
    then = account_arr_at(records, start)
    now = account_arr_at(records, end)
    base = sum(then.values())
    kept = sum(min(now.get(a, 0.0), v) for a, v in then.items())
    net = sum(now.get(a, 0.0) for a in then)
    rn = records.renewals
    in_window = (rn["t"] > start) if len(rn["t"]) else np.array([], dtype=bool)
    logo = _ratio(float(np.sum(rn["renewed"][in_window])), float(np.sum(in_window))) if len(in_window) else float("nan")
    return _ratio(kept, base), _ratio(net, base), logo


def quota_attainment(records: Records, quota_per_year: float,
                     min_quota_years: float = 0.25) -> np.ndarray:
    """Bookings / ramped quota for each AE who carried at least a quarter-year of quota."""
    at = records.attainment
    if len(at["id"]) == 0:
        return np.array([])
    q = at["quota"].astype(float)
    ok = (q > 0) & (q >= min_quota_years * quota_per_year)
    return at["bookings"][ok].astype(float) / q[ok]


def compute_kpis(records: Records, s: dict[str, np.ndarray], scenario: Scenario) -> dict[str, float]:
    """Every KPI of one replication, as the KPI registry (:mod:`.registry`) defines them."""
    from .registry import compute_all  # the registry imports this module's helpers

    return compute_all(records, s, scenario)
