"""Columnar records of one replication.

During the run the model appends values to one list per column (no string formatting, no
object created per record); at the end :meth:`Recorder.finalize` turns every table into a
dict of numpy arrays. The metrics layer reads only these tables.

Tables
------
``leads``          one row per lead or self-sourced opportunity (final state)
``accounts``       one row per account (initial base and won deals)
``arr_events``     every change of ARR: t, account, kind, delta
``segments``       contract segments of constant ARR: account, start, end, arr
``renewals``       each contract end: t, account, renewed, arr_before, arr_after, worked, owner, hours
``hours``          per role and kind of work: hours given in each month
``costs``          money out: t, role, kind (salary is derived from ``staff``), amount
``staff``          one row per person: role, start, end, salary, initial
``pools``          per role and month end: cumulative busy, capacity, queue areas and waits
``headcount``      per role and month end: people in the role
``attainment``     per AE: bookings and ramped quota
``ledger``         every movement of money (:mod:`simorg.model.ledger`)
``services``       implementation fees: account, signed, fee (revenue at go-live)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter, itemgetter

import numpy as np

# kinds of ARR movement
# ``initial`` is the installed base at month 0 (not a new booking).
INITIAL, NEW, EXPANSION, CONTRACTION, CHURN = "initial", "new", "expansion", "contraction", "churn"
UPLIFT = "uplift"
"""List-price uplift at renewal: ARR grows with no new seats (counted in expansion ARR and NRR)."""
# kinds of cost
COMMISSION, BONUS, MARKETING_SPEND, RECRUITING, AUDIT = (
    "commission", "bonus", "marketing", "recruiting", "audit",
)
RETENTION_COMMISSION = "retention_commission"
"""AE commission on renewals and on expansions after the credit window: a cost of keeping
and growing customers, so not part of S&M in CAC."""


def _columns(rows: list[tuple], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Rows of equal length -> one numpy array per column (dtype as numpy infers it)."""
    if not rows:
        return {n: np.array([]) for n in names}
    return {n: np.asarray(list(map(itemgetter(i), rows))) for i, n in enumerate(names)}


def _list_columns(cols: tuple[list, ...], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Column lists -> numpy arrays (the arrays :func:`_columns` makes from the same rows).

    Each list is emptied once converted, so a table is never held twice at the peak."""
    if not cols[0]:
        return {n: np.array([]) for n in names}
    out = {}
    for n, c in zip(names, cols, strict=True):
        out[n] = np.asarray(c)
        c.clear()
    return out


def insert_blocks(table: dict[str, np.ndarray], blocks: dict[str, np.ndarray], at: np.ndarray) -> dict[str, np.ndarray]:
    """Rows written as blocks put back among the table's other rows where they were written.

    ``table`` holds the rows written one by one; ``blocks`` the rows written in blocks, in
    writing order, ``at[i]`` the number of one-by-one rows written before block row ``i``.
    Each column's dtype is the one numpy infers from all its values together (as
    :func:`_list_columns` would from one list), so the table equals the one written row by row."""
    if len(at) == 0:
        return table
    if len(next(iter(table.values()))) == 0:
        return blocks
    out = {}
    for name, col in table.items():
        b = blocks[name]
        dtype = np.result_type(col, b)
        out[name] = np.insert(col.astype(dtype, copy=False), at, b.astype(dtype, copy=False))
    return out


def _object_columns(objs: list, names: tuple[str, ...], attrs: tuple[str, ...] | None = None,
                    floats: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """One numpy array per attribute of ``objs`` (the same arrays :func:`_columns` makes from rows).

    Attributes named in ``floats`` always hold floats: they are read straight into float64."""
    if not objs:
        return {n: np.array([]) for n in names}
    n_obj = len(objs)
    out = {}
    for n, a in zip(names, attrs or names, strict=True):
        values = map(attrgetter(a), objs)
        out[n] = np.fromiter(values, float, n_obj) if a in floats else np.asarray(list(values))
    return out


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
    hours: dict[str, np.ndarray] = field(default_factory=dict)
    """Hours given per month, by ``<role>_<work>`` (e.g. ``ae_renewal``, ``csm_touch``)."""
    ledger: dict[str, np.ndarray] = field(default_factory=dict)
    """Every movement of money (see :mod:`simorg.model.ledger`); filled after the run."""
    decisions: dict[str, np.ndarray] = field(default_factory=dict)
    """Rules' decisions and the state they read, one value per month (decisions.py)."""
    services: dict[str, np.ndarray] = field(default_factory=dict)
    """Implementation fees, one row per priced deal: ``account``, ``signed``, ``fee`` (billed
    at signature, recognised as revenue at go-live: :func:`simorg.model.ledger.recognised_services`)."""


ARR_COLUMNS = ("t", "account", "kind", "delta")
SEGMENT_COLUMNS = ("account", "start", "end", "arr")
RENEWAL_COLUMNS = ("t", "account", "renewed", "arr_before", "arr_after", "worked", "owner", "hours")
COST_COLUMNS = ("t", "role", "kind", "amount")


LEAD_COLUMNS = ("id", "channel", "segment", "fit", "acv", "created", "true_source",
                "recorded_source", "first_touch", "qualified_t", "assigned_t", "closed_t",
                "state", "owner", "presales")
LEAD_FLOATS = ("fit", "acv", "created", "first_touch", "qualified_t", "assigned_t", "closed_t")
"""Lead attributes that are floats from the lead's creation on (times default to NaN)."""
LEAD_INTS = ("id", "owner")
LEAD_CHUNK = 8192


_lead_row = attrgetter("n", *LEAD_COLUMNS)
"""A lead's row: its creation number, then :data:`LEAD_COLUMNS` (one C call per lead)."""


def _lead_dtype(name: str) -> type:
    return float if name in LEAD_FLOATS else np.int64 if name in LEAD_INTS else object


class LeadTable:
    """The leads table, written as leads go.

    A lead that can no longer change (disqualified, lost, gone stale, won with no source
    audits) is written down as a row when it closes and its object let go; every
    :data:`LEAD_CHUNK` rows become numpy columns (text as references to the few shared
    strings). Leads still in play stay objects in :attr:`live`, and so do won deals whose
    recorded source an audit can still change; they are written at the end. :meth:`columns`
    gives the rows in the order the leads were created. With a million leads, this keeps the
    peak memory of a replication to the columns instead of the objects plus the columns."""

    def __init__(self) -> None:
        self.live: dict[int, object] = {}  # creation number -> lead not written yet
        self.count = 0
        self._rows: list[tuple] = []
        self._chunks: list[list[np.ndarray]] = []

    def add(self, lead) -> None:
        """A new lead: number it in creation order."""
        lead.n = self.count
        self.live[self.count] = lead
        self.count += 1

    def in_play(self):
        """The leads not written yet (open, or won and open to audits)."""
        return self.live.values()

    def close(self, lead) -> None:
        """The lead reached a state it never leaves: write its row now."""
        del self.live[lead.n]
        self._rows.append(_lead_row(lead))
        if len(self._rows) >= LEAD_CHUNK:
            self._pack()

    def _pack(self) -> None:
        if self._rows:
            cols = zip(*self._rows, strict=True)
            self._chunks.append([np.array(next(cols), dtype=np.int64)] +
                                [np.array(c, dtype=_lead_dtype(n)) for n, c in zip(LEAD_COLUMNS, cols, strict=True)])
            self._rows = []

    def columns(self) -> dict[str, np.ndarray]:
        """Every lead's row as one numpy array per column, in creation order (the table is
        emptied on the way)."""
        self._rows.extend(map(_lead_row, self.live.values()))
        self.live = {}
        self._pack()
        chunks, self._chunks = self._chunks, []
        if not chunks:
            return {n: np.array([]) for n in LEAD_COLUMNS}
        order = np.argsort(np.concatenate([c[0] for c in chunks]), kind="stable")
        out = {}
        for j, name in enumerate(LEAD_COLUMNS, start=1):
            column = np.concatenate([c[j] for c in chunks])[order]
            for c in chunks:
                c[j] = None  # type: ignore[call-overload]  # free each column's chunks once it is built
            out[name] = column.astype(str) if column.dtype == object else column
        return out


class Recorder:
    """Append-only buffers the model writes to while it runs: one Python list per column."""

    def __init__(self) -> None:
        self.arr_events: tuple[list, ...] = tuple([] for _ in ARR_COLUMNS)
        self.segments: tuple[list, ...] = tuple([] for _ in SEGMENT_COLUMNS)
        self.renewals: tuple[list, ...] = tuple([] for _ in RENEWAL_COLUMNS)
        self.costs: tuple[list, ...] = tuple([] for _ in COST_COLUMNS)
        self.leads = LeadTable()
        self.pool_rows: dict[str, list[tuple]] = {}
        self.headcount_rows: dict[str, list[int]] = {}
        self.extra: dict[str, float] = {}
        self.hour_rows: dict[str, list[float]] = {}
        self.months = 0
        # renewals written in blocks (renewed_terms): (rows written before, times, account, ARR, owner)
        self._renewal_blocks: list[tuple[int, list[float], int, float, str]] = []

    def hours(self, key: str, t0: float, t1: float, hours: float) -> None:
        """``hours`` of work ``key`` (``<role>_<work>``) given evenly over [t0, t1], into months."""
        if hours <= 0 or self.months <= 0:
            return
        row = self.hour_rows.get(key)
        if row is None:
            row = self.hour_rows[key] = [0.0] * self.months
        m_days = 365.25 / 12
        last = self.months - 1
        if t1 <= t0:
            if t0 >= 0:  # hours of the warm-up (before month 0) are not the run's
                row[min(last, int(t0 / m_days))] += hours
            return
        rate = hours / (t1 - t0)
        m0, m1 = max(0, int(t0 / m_days)), min(last, int(t1 / m_days))
        for m in range(m0, m1 + 1):
            lo, hi = max(t0, m * m_days), min(t1, (m + 1) * m_days)
            if hi > lo:
                row[m] += rate * (hi - lo)

    def arr(self, t: float, account: int, kind: str, delta: float) -> None:
        c = self.arr_events
        c[0].append(t)
        c[1].append(account)
        c[2].append(kind)
        c[3].append(delta)

    def segment(self, account: int, start: float, end: float, arr: float) -> None:
        c = self.segments
        c[0].append(account)
        c[1].append(start)
        c[2].append(end)
        c[3].append(arr)

    def renewal(self, t: float, account: int, renewed: bool, before: float, after: float,
                worked: bool, owner: str = "", hours: float = 0.0) -> None:
        c = self.renewals
        c[0].append(t)
        c[1].append(account)
        c[2].append(renewed)
        c[3].append(before)
        c[4].append(after)
        c[5].append(worked)
        c[6].append(owner)
        c[7].append(hours)

    def renewed_terms(self, times: list[float], account: int, arr: float, owner: str = "") -> None:
        """Several renewals of one account at unchanged ARR, nobody working them: the rows
        :meth:`renewal` would write one by one, kept as one block (``times`` is kept, not
        copied) and put in their place among the other rows by :meth:`finalize`."""
        if times:
            self._renewal_blocks.append((len(self.renewals[0]), times, account, arr, owner))

    def renewals_table(self) -> dict[str, np.ndarray]:
        """The renewals table: rows written one by one and in blocks, in writing order."""
        table = _list_columns(self.renewals, RENEWAL_COLUMNS)
        blocks, self._renewal_blocks = self._renewal_blocks, []
        if not blocks:
            return table
        written, times, account, arr, owner = zip(*blocks, strict=True)
        lengths = np.fromiter(map(len, times), np.int64, len(times))
        n = int(lengths.sum())
        rows = {
            "t": np.fromiter(chain.from_iterable(times), float, n),
            "account": np.repeat(np.asarray(account), lengths),
            "renewed": np.ones(n, dtype=bool),
            "arr_before": np.repeat(np.asarray(arr), lengths),
            "worked": np.zeros(n, dtype=bool),
            "owner": np.repeat(np.asarray(owner), lengths),
            "hours": np.zeros(n),
        }
        rows["arr_after"] = rows["arr_before"].copy()
        at = np.repeat(np.asarray(written, dtype=np.int64), lengths)
        return insert_blocks(table, {k: rows[k] for k in RENEWAL_COLUMNS}, at)

    def cost(self, t: float, role: str, kind: str, amount: float) -> None:
        c = self.costs
        c[0].append(t)
        c[1].append(role)
        c[2].append(kind)
        c[3].append(amount)

    def finalize(self, *, horizon_days: float, months: int, accounts, staff,
                 attainment_rows, initial_arr: float) -> Records:
        """Every table as numpy columns; the recorder's own buffers are emptied on the way."""
        acc_names = ("id", "segment", "signed", "live", "churned_t", "cohort", "initial", "arr", "active")
        acc_attrs = ("id", "segment", "signed", "live_t", "churned_t", "cohort", "initial", "arr", "active")
        staff_names = ("id", "role", "start", "end", "salary", "initial")
        return Records(
            horizon_days=horizon_days,
            months=months,
            leads=self.leads.columns(),
            accounts=_object_columns(accounts, acc_names, acc_attrs),
            arr_events=_list_columns(self.arr_events, ARR_COLUMNS),
            segments=_list_columns(self.segments, SEGMENT_COLUMNS),
            renewals=self.renewals_table(),
            costs=_list_columns(self.costs, COST_COLUMNS),
            staff=_object_columns(staff, staff_names),
            pools={
                role: _columns(rows, ("busy", "capacity", "queue", "wait_sum", "wait_count"))
                for role, rows in self.pool_rows.items()
            },
            headcount={role: np.asarray(v) for role, v in self.headcount_rows.items()},
            attainment=_columns(attainment_rows, ("id", "bookings", "quota", "initial")),
            initial_arr=initial_arr,
            extra=dict(self.extra),
            hours={k: np.asarray(v) for k, v in self.hour_rows.items()},
        )
