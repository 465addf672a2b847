"""Records -> monthly series. Pure functions: no SimPy, no randomness.

Every series has one value per month (index 0 = month 1). Stocks (``arr``, ``customers``,
``headcount_<role>``, cohort logos) are read at the month's end; flows (new ARR, churn,
costs, leads...) are summed over the month.
"""

from __future__ import annotations

import numpy as np

from ..model.ledger import BILLING, COGS, FUNDING, SERVICES, recognised_revenue, recognised_services
from ..model.pools import DAYS_PER_MONTH
from ..model.records import CHURN, CONTRACTION, EXPANSION, NEW, UPLIFT, Records
from ..scenario.schema import ROLES, STAFF_ROLES, Scenario


def month_edges(months: int) -> np.ndarray:
    """Times of month ends 0, D, 2D, ..., months*D (days)."""
    return np.arange(months + 1) * DAYS_PER_MONTH


def per_month(t: np.ndarray, values: np.ndarray | None, months: int) -> np.ndarray:
    """Sum ``values`` (or count events) by the month their time ``t`` falls in."""
    out = np.zeros(months)
    if len(t) == 0:
        return out
    t = np.asarray(t, dtype=float)
    ok = np.isfinite(t)
    idx = np.floor(t[ok] / DAYS_PER_MONTH).astype(int)
    w = None if values is None else np.asarray(values, dtype=float)[ok]
    inside = (idx >= 0) & (idx < months)
    w = None if w is None else w[inside]
    return np.bincount(idx[inside], weights=w, minlength=months)[:months].astype(float)


def stock_at(t_events: np.ndarray, deltas: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Running total of ``deltas`` at each of ``times`` (events at or before the time count)."""
    order = np.argsort(t_events, kind="stable")
    t_sorted = np.asarray(t_events, dtype=float)[order]
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(deltas, dtype=float)[order])])
    return cum[np.searchsorted(t_sorted, times + 1e-9, side="right")]


def salary_by_month(records: Records, role: str) -> np.ndarray:
    """Salary cost of a role per month: each person's salary/365.25 per day employed."""
    st = records.staff
    months = records.months
    edges = month_edges(months)
    out = np.zeros(months)
    if len(st["role"]) == 0:
        return out
    mask = st["role"] == role
    for start, end, salary in zip(st["start"][mask], st["end"][mask], st["salary"][mask], strict=True):
        lo = np.maximum(edges[:-1], start)
        hi = np.minimum(edges[1:], min(end, records.horizon_days))
        out += np.clip(hi - lo, 0.0, None) * salary / 365.25
    return out


def cost_flows(records: Records) -> dict[str, np.ndarray]:
    """Costs per month by kind and by role (salary included)."""
    months = records.months
    c = records.costs
    out: dict[str, np.ndarray] = {}
    for kind in ("marketing", "commission", "retention_commission", "bonus", "recruiting", "audit"):
        mask = c["kind"] == kind if len(c["kind"]) else np.array([], dtype=bool)
        out[f"{kind}_cost"] = per_month(c["t"][mask], c["amount"][mask], months) if len(mask) else np.zeros(months)
    salary_total = np.zeros(months)
    for role in STAFF_ROLES:
        sal = salary_by_month(records, role)
        salary_total += sal
        role_cost = sal.copy()
        if len(c["role"]):
            mask = (c["role"] == role) & (c["kind"] != "audit")
            role_cost += per_month(c["t"][mask], c["amount"][mask], months)
        out[f"cost_{role}"] = role_cost
    # commission_cost is all AE/SDR commission; retention_commission_cost the part paid for
    # renewals and post-window expansion (excluded from S&M in CAC)
    out["commission_cost"] = out["commission_cost"] + out["retention_commission_cost"]
    out["salary_cost"] = salary_total
    out["gtm_cost"] = sum(out[f"cost_{r}"] for r in STAFF_ROLES) + out["audit_cost"]
    return out


def _alive_at(start: np.ndarray, end: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many intervals have ``start <= t < end`` at each of ``times`` (as floats).

    Counted as (started by t) - (ended by t), with each end taken no earlier than its start,
    by binary search in the sorted starts and ends: exactly the count of a mask per time."""
    end = np.maximum(end, start)
    started = np.searchsorted(np.sort(start), times, side="right")
    ended = np.searchsorted(np.sort(end), times, side="right")
    return (started - ended).astype(float)


def monthly_series(records: Records, scenario: Scenario) -> dict[str, np.ndarray]:
    """All monthly series of one replication (names listed in docs/model.md)."""
    months = records.months
    edges = month_edges(months)
    ends = edges[1:]
    out: dict[str, np.ndarray] = {}

    ev = records.arr_events
    out["arr"] = stock_at(ev["t"], ev["delta"], ends)
    for kinds, name in (((NEW,), "new_arr"), ((EXPANSION, UPLIFT), "expansion_arr"), ((UPLIFT,), "uplift_arr"),
                        ((CONTRACTION,), "contraction_arr"), ((CHURN,), "churned_arr")):
        mask = np.isin(ev["kind"], kinds) if len(ev["kind"]) else np.array([], dtype=bool)
        flow = per_month(ev["t"][mask], ev["delta"][mask], months) if len(mask) else np.zeros(months)
        out[name] = np.abs(flow)

    acc = records.accounts
    signed = acc["signed"].astype(float) if len(acc["signed"]) else np.array([])
    churned = acc["churned_t"].astype(float) if len(acc["churned_t"]) else np.array([])
    gone = np.where(np.isnan(churned), np.inf, churned) if len(churned) else churned
    out["customers"] = _alive_at(signed, gone, ends + 1e-9)
    cohorts = sorted(set(acc["cohort"].tolist())) if len(acc["cohort"]) else []
    for c in cohorts:
        m = acc["cohort"] == c
        out[f"logos_cohort_{c}"] = _alive_at(signed[m], gone[m], ends + 1e-9)
        out[f"cohort_size_{c}"] = np.searchsorted(np.sort(signed[m]), ends + 1e-9, side="right").astype(float)

    ld = records.leads
    mkt = ld["true_source"] == "marketing" if len(ld["id"]) else np.array([], dtype=bool)
    out["leads"] = per_month(ld["created"][mkt], None, months) if len(mkt) else np.zeros(months)
    out["leads_worked"] = per_month(ld["first_touch"][mkt], None, months) if len(mkt) else np.zeros(months)
    out["opportunities"] = per_month(ld["qualified_t"], None, months) if len(mkt) else np.zeros(months)
    for state in ("won", "lost"):
        m = ld["state"] == state if len(mkt) else np.array([], dtype=bool)
        out[state] = per_month(ld["closed_t"][m], None, months) if len(m) else np.zeros(months)
    out["new_logos"] = out["won"].copy()

    out.update(cost_flows(records))

    for role in STAFF_ROLES:
        hc = records.headcount.get(role)
        out[f"headcount_{role}"] = np.asarray(hc, dtype=float) if hc is not None else np.zeros(months)
    for role in ROLES:
        p = records.pools.get(role)
        if p is None or len(p["busy"]) == 0:
            out[f"utilization_{role}"] = np.zeros(months)
            out[f"queue_wait_days_{role}"] = np.zeros(months)
            continue
        busy = np.diff(np.concatenate([[0.0], p["busy"].astype(float)]))
        cap = np.diff(np.concatenate([[0.0], p["capacity"].astype(float)]))
        wsum = np.diff(np.concatenate([[0.0], p["wait_sum"].astype(float)]))
        wcnt = np.diff(np.concatenate([[0.0], p["wait_count"].astype(float)]))
        out[f"utilization_{role}"] = np.divide(busy, cap, out=np.zeros(months), where=cap > 0)
        out[f"queue_wait_days_{role}"] = np.divide(wsum, wcnt, out=np.zeros(months), where=wcnt > 0)
    for key in sorted(records.hours):  # hours given per month by role and kind of work
        out[f"hours_{key}"] = np.asarray(records.hours[key], dtype=float)
    # rules' decisions and the state they read (decision_target_<role>, decision_state_<role>,
    # decision_budget_<channel>, market_*, referral_accounts): simorg/model/decisions.py
    for name, values in getattr(records, "decisions", {}).items():
        out[name] = np.asarray(values, dtype=float)
    out.update(money_series(records, scenario))
    return out


def money_series(records: Records, scenario: Scenario) -> dict[str, np.ndarray]:
    """The P&L and cash month by month, from the money ledger (:mod:`simorg.model.ledger`).

    ``revenue`` = subscription revenue recognised from active contracts + implementation
    services recognised at go-live (:func:`~simorg.model.ledger.recognised_services`);
    ``cogs``; ``gross_profit``; ``opex`` (every other cost by the month it is incurred);
    ``operating_income``; ``billings`` and ``collections`` (invoices by date issued and paid);
    ``net_burn`` = payments - collections in the month (funding left out; > 0 is burning);
    ``funding``; and, with a ``finance`` section, ``cash`` at each month end =
    starting cash + collections + funding - payments to date."""
    months = records.months
    led = records.ledger
    out: dict[str, np.ndarray] = {}
    subscription = recognised_revenue(records.segments, months)
    if not led or len(led["t"]) == 0:
        zero = np.zeros(months)
        out.update(subscription_revenue=subscription, services_revenue=zero, revenue=subscription.copy(),
                   cogs=zero, gross_profit=subscription.copy(), opex=zero, operating_income=subscription.copy(),
                   billings=zero, collections=zero, net_burn=zero, funding=zero)
    else:
        t, cash_t, kind, amount = led["t"], led["cash_t"], led["kind"], led["amount"]
        money_in = np.isin(kind, (BILLING, SERVICES))
        funding = kind == FUNDING
        cost = amount < 0
        cogs = kind == COGS
        services = recognised_services(records, months)  # at go-live, not when billed
        out["subscription_revenue"] = subscription
        out["services_revenue"] = services
        out["revenue"] = subscription + services
        out["cogs"] = -per_month(t[cogs], amount[cogs], months)
        out["gross_profit"] = out["revenue"] - out["cogs"]
        out["opex"] = -per_month(t[cost & ~cogs], amount[cost & ~cogs], months)
        out["operating_income"] = out["gross_profit"] - out["opex"]
        out["billings"] = per_month(t[money_in], amount[money_in], months)
        out["collections"] = per_month(cash_t[money_in], amount[money_in], months)
        out["net_burn"] = -per_month(cash_t[~funding], amount[~funding], months)
        out["funding"] = per_month(cash_t[funding], amount[funding], months)
    fin = scenario.finance
    if fin is not None:
        out["cash"] = fin.starting_cash + np.cumsum(out["funding"] - out["net_burn"])
    return out
