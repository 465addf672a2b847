"""Columnar records of one replication.

During the run the model appends plain tuples to lists (no string formatting, no
objects created per event beyond the tuple); at the end :meth:`Recorder.finalize` turns
every table into a dict of numpy arrays. The metrics layer reads only these tables.

Tables
------
``leads``          one row per lead or self-sourced opportunity (final state)
``accounts``       one row per account (initial base and won deals)
``arr_events``     every change of ARR: t, account, kind, delta
``segments``       contract segments of constant ARR: account, start, end, arr
``renewals``       each contract end: t, account, renewed, arr_before, arr_after, worked
``costs``          money out: t, role, kind (salary is derived from ``staff``), amount
``staff``          one row per person: role, start, end, salary, initial
``pools``          per role and month end: cumulative busy, capacity, queue areas and waits
``headcount``      per role and month end: people in the role
``attainment``     per AE: bookings and ramped quota
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# kinds of ARR movement
# ``initial`` is the installed base at month 0 (not a new booking).
INITIAL, NEW, EXPANSION, CONTRACTION, CHURN = "initial", "new", "expansion", "contraction", "churn"
# kinds of cost
COMMISSION, BONUS, MARKETING_SPEND, RECRUITING, AUDIT = (
    "commission", "bonus", "marketing", "recruiting", "audit",
)
RETENTION_COMMISSION = "retention_commission"
"""AE commission on renewals and on expansions after the credit window: a cost of keeping
and growing customers, so not part of S&M in CAC."""


def _columns(rows: list[tuple], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not rows:
        return {n: np.array([]) for n in names}
    cols = list(zip(*rows, strict=True))
    return {n: np.asarray(c) for n, c in zip(names, cols, strict=True)}


@dataclass
class Records:
    """Everything metrics need from one replication, as numpy columns."""

    horizon_days: float
    months: int
    leads: dict[str, np.ndarray]
    accounts: dict[str, np.ndarray]
    arr_events: dict[str, np.ndarray]
    segments: dict[str, np.ndarray]
    renewals: dict[str, np.ndarray]
    costs: dict[str, np.ndarray]
    staff: dict[str, np.ndarray]
    pools: dict[str, dict[str, np.ndarray]]
    headcount: dict[str, np.ndarray]
    attainment: dict[str, np.ndarray]
    initial_arr: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


class Recorder:
    """Append-only buffers the model writes to while it runs."""

    def __init__(self) -> None:
        self.arr_events: list[tuple] = []
        self.segments: list[tuple] = []
        self.renewals: list[tuple] = []
        self.costs: list[tuple] = []
        self.pool_rows: dict[str, list[tuple]] = {}
        self.headcount_rows: dict[str, list[int]] = {}
        self.extra: dict[str, float] = {}

    def arr(self, t: float, account: int, kind: str, delta: float) -> None:
        self.arr_events.append((t, account, kind, delta))

    def segment(self, account: int, start: float, end: float, arr: float) -> None:
        self.segments.append((account, start, end, arr))

    def renewal(self, t: float, account: int, renewed: bool, before: float, after: float,
                worked: bool) -> None:
        self.renewals.append((t, account, renewed, before, after, worked))

    def cost(self, t: float, role: str, kind: str, amount: float) -> None:
        self.costs.append((t, role, kind, amount))

    def finalize(self, *, horizon_days: float, months: int, leads, accounts, staff,
                 attainment_rows, initial_arr: float) -> Records:
        lead_rows = [
            (x.id, x.channel, x.segment, x.fit, x.acv, x.created, x.true_source,
             x.recorded_source, x.first_touch, x.qualified_t, x.assigned_t, x.closed_t,
             x.state, x.owner, x.presales)
            for x in leads
        ]
        acc_rows = [
            (a.id, a.segment, a.signed, a.live_t, a.churned_t, a.cohort, a.initial, a.arr, a.active)
            for a in accounts
        ]
        staff_rows = [(w.id, w.role, w.start, w.end, w.salary, w.initial) for w in staff]
        return Records(
            horizon_days=horizon_days,
            months=months,
            leads=_columns(lead_rows, (
                "id", "channel", "segment", "fit", "acv", "created", "true_source",
                "recorded_source", "first_touch", "qualified_t", "assigned_t", "closed_t",
                "state", "owner", "presales")),
            accounts=_columns(acc_rows, (
                "id", "segment", "signed", "live", "churned_t", "cohort", "initial", "arr", "active")),
            arr_events=_columns(self.arr_events, ("t", "account", "kind", "delta")),
            segments=_columns(self.segments, ("account", "start", "end", "arr")),
            renewals=_columns(self.renewals, ("t", "account", "renewed", "arr_before", "arr_after", "worked")),
            costs=_columns(self.costs, ("t", "role", "kind", "amount")),
            staff=_columns(staff_rows, ("id", "role", "start", "end", "salary", "initial")),
            pools={
                role: _columns(rows, ("busy", "capacity", "queue", "wait_sum", "wait_count"))
                for role, rows in self.pool_rows.items()
            },
            headcount={role: np.asarray(v) for role, v in self.headcount_rows.items()},
            attainment=_columns(attainment_rows, ("id", "bookings", "quota", "initial")),
            initial_arr=initial_arr,
            extra=dict(self.extra),
        )
