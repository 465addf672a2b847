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


def retention_by(records: Records, group_of: dict[int, str], months_back: int = 12) -> dict[str, dict[str, float]]:
    """Trailing retention per group of accounts (``group_of``: account id -> group, e.g. its
    segment): ``grr``, ``logo`` (logo renewal rate), ``worked`` (share of renewals in the
    window that someone worked), as :func:`retention` defines them over the group's accounts."""
    end = records.horizon_days - 1e-6
    start = max(0.0, end - months_back * DAYS_PER_MONTH)
    then = account_arr_at(records, start)
    now = account_arr_at(records, end)
    base: dict[str, float] = {}
    kept: dict[str, float] = {}
    for a, v in then.items():
        g = group_of.get(a)
        if g is None:
            continue
        base[g] = base.get(g, 0.0) + v
        kept[g] = kept.get(g, 0.0) + min(now.get(a, 0.0), v)
    rn = records.renewals
    out: dict[str, dict[str, float]] = {}
    groups = sorted(set(group_of.values()))
    counts = np.zeros((3, len(groups)), dtype=np.int64)  # renewals, renewed, worked per group
    if len(rn["t"]) and group_of:
        in_window = rn["t"] > start
        # each renewal's group, by looking its account up among group_of's (sorted) accounts
        ids = np.fromiter(group_of.keys(), np.int64, len(group_of))
        code = {g: i for i, g in enumerate(groups)}
        codes = np.fromiter((code[g] for g in group_of.values()), np.int64, len(group_of))
        order = np.argsort(ids, kind="stable")
        ids, codes = ids[order], codes[order]
        acc = rn["account"][in_window].astype(np.int64)
        at = np.minimum(np.searchsorted(ids, acc), len(ids) - 1)
        known = ids[at] == acc
        g_of = codes[at][known]
        for row, flags in enumerate((None, rn["renewed"][in_window][known], rn["worked"][in_window][known])):
            w = g_of if flags is None else g_of[np.asarray(flags, dtype=bool)]
            counts[row] = np.bincount(w, minlength=len(groups))
    for i, g in enumerate(groups):
        n, r, w = (int(x) for x in counts[:, i])
        out[g] = {"grr": _ratio(kept.get(g, 0.0), base.get(g, 0.0)), "logo": _ratio(r, n), "worked": _ratio(w, n)}
    return out


def split_power(records: Records, arms: tuple[str, str], alpha: float = 0.05, power: float = 0.8) -> float:
    """Months of renewals a randomized owner split needs to detect its difference in logo
    renewal rate at ``1 - alpha`` (two-sided) with ``power``: the two-proportion sample size
    ``n = (z_a sqrt(2 p q) + z_b sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2`` per arm (Fleiss et al.,
    *Statistical Methods for Rates and Proportions*, 2003), divided by the renewals per month
    of the smaller arm, with the rates the run measured over the whole horizon. NaN without
    two arms with renewals; inf when the run shows no difference."""
    from scipy.stats import norm

    rn = records.renewals
    if not len(rn["t"]):
        return float("nan")
    rates, per_month = [], []
    months = records.horizon_days / DAYS_PER_MONTH
    for arm in arms:
        m = rn["owner"] == arm
        n = int(np.sum(m))
        if n == 0:
            return float("nan")
        rates.append(float(np.mean(rn["renewed"][m].astype(float))))
        per_month.append(n / months)
    p1, p2 = rates
    if p1 == p2:
        return float("inf")
    pbar = (p1 + p2) / 2
    za, zb = norm.ppf(1 - alpha / 2), norm.ppf(power)
    n_arm = (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p1 - p2) ** 2
    return float(n_arm / min(per_month))


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
