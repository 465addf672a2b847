"""The money ledger: every movement of money in one replication is a row.

During the run the model appends typed rows as contracts are signed, renewed and expanded
(invoices: the billing schedule of the term, each with the date its cash comes in); the rest
is derived after the run from the records, as the other tables are (salaries from the staff
table, go-to-market costs from the cost records, COGS, R&D and G&A from recognised revenue,
funding rounds from the scenario). :meth:`Ledger.close` returns the whole table.

Columns of ``Records.ledger``:

``t``        when the movement belongs (invoice date, the day a cost is incurred)
``cash_t``   when the cash moves (``t`` plus payment terms for invoices; the month's last
             day, plus ``salary_payment_days``, for salaries; the month's last day for COGS,
             R&D and G&A; ``t`` for other costs)
``kind``     ``billing``, ``services``, ``funding`` (money in, amount > 0); ``salary``,
             ``commission``, ``retention_commission``, ``bonus``, ``marketing``, ``recruiting``,
             ``audit``, ``managers``, ``ops``, ``tools``, ``travel``, ``cogs``, ``rd``, ``ga``
             (money out, amount < 0)
``party``    the role a cost belongs to, ``customer`` for billings, ``company`` otherwise
``account``  the account invoiced (-1 for other rows)
``amount``   signed: + money in, - money out

Rules (docs/model.md, "Money"): an account's contract terms (term, billing, payment terms,
uplift at renewal) are drawn at signature from its segment's ``contracts`` by a
counter-based draw keyed by the account. A term is invoiced in periods of the billing
frequency from the term's start (an invoice covers ``ARR x days / 365.25``); an expansion
mid-term is invoiced pro rata for the rest of its billing period, then with every later
invoice of the term. An invoice is paid ``payment_days`` later. Revenue is recognised
daily from the ARR of active contracts (:func:`recognised_revenue`), so over a contract's
life it equals what the contract billed. Invoices of the initial customers' billing periods
that started before month 0 were paid before it: they are in the starting cash. An
implementation fee (``finance.services_fee_share`` x first-year ACV) is invoiced at signature
and recognised as revenue when the project goes live (:func:`recognised_services`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import TYPE_CHECKING

import numpy as np

from ..scenario.schema import STAFF_ROLES, ContractOption, Scenario
from .pools import DAYS_PER_MONTH
from .records import insert_blocks

if TYPE_CHECKING:
    from .entities import Account
    from .records import Recorder, Records

DAYS_PER_YEAR = 365.25

BILLING, SERVICES, FUNDING, SALARY, COGS, RD, GA = "billing", "services", "funding", "salary", "cogs", "rd", "ga"
MANAGERS, OPS, TOOLS, TRAVEL = "managers", "ops", "tools", "travel"
OVERHEAD_KINDS = (MANAGERS, OPS, TOOLS, TRAVEL)
LEDGER_COLUMNS = ("t", "cash_t", "kind", "party", "account", "amount")
PAYDAY = DAYS_PER_MONTH - 1.0
"""Salaries and monthly costs are paid on the month's last day (days after its start)."""
SM_HEADS = ("marketing", "sdr", "ae", "presales")
"""Roles whose heads sales ops and enablement support (``overhead.ops_per_head``)."""


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """One account's contract terms, in days."""

    term: float
    period: float
    payment_days: float
    uplift: float


def contract_terms(option: ContractOption, default_term_months: int) -> ContractTerms:
    """An option of the schema as the terms the model reads (days)."""
    term_months = option.term_months or default_term_months
    return ContractTerms(term_months * DAYS_PER_MONTH, option.billing_months(term_months) * DAYS_PER_MONTH,
                         option.payment_days, option.uplift)


class Ledger:
    """The ledger's invoices while the run goes, and the whole table after it."""

    def __init__(self, scenario: Scenario, streams, rec: Recorder) -> None:
        self.sc = scenario
        self.rec = rec
        self.key = streams.key("account.contract")
        self.u = streams.u
        default = scenario.customers.renewal.term_months
        self.options: dict[str, tuple[list[ContractTerms], list[float]]] = {}
        for name, seg in scenario.segments.items():
            opts = seg.contracts or [ContractOption()]
            total = sum(o.share for o in opts)
            cum = list(accumulate(o.share / total for o in opts))
            self.options[name] = ([contract_terms(o, default) for o in opts], cum)
        fin = scenario.finance
        self.services_share = fin.services_fee_share if fin is not None else 0.0
        self.any_uplift = any(c.uplift > 0 for opts, _ in self.options.values() for c in opts)
        self.cols: tuple[list, ...] = tuple([] for _ in LEDGER_COLUMNS)
        self.fees: tuple[list, ...] = ([], [], [])  # implementation fees: account, signed, fee
        # terms invoiced in blocks (renewed_terms): (rows written before, starts, account,
        # payment days, ARR a day, term)
        self.blocks: list[tuple[int, list[float], int, float, float, float]] = []

    # ---- during the run
    def assign_contract(self, a: Account) -> None:
        """Draw the account's contract from its segment's options (keyed by the account)."""
        opts, cum = self.options[a.segment]
        if len(opts) == 1:
            c = opts[0]
        else:
            c = opts[min(bisect.bisect_right(cum, self.u(self.key, a.id, 0)), len(opts) - 1)]
        a.contract = c
        a.term = c.term

    def _row(self, t: float, cash_t: float, kind: str, party: str, account: int, amount: float) -> None:
        c = self.cols
        c[0].append(t)
        c[1].append(cash_t)
        c[2].append(kind)
        c[3].append(party)
        c[4].append(account)
        c[5].append(amount)

    def bill(self, a: Account, anchor: float, t0: float, arr: float, skip_started: bool = False) -> None:
        """Invoice ``arr`` (per year) over ``[t0, anchor + term)`` in the billing periods of the
        term starting at ``anchor``; with ``skip_started``, periods that began before ``t0`` are
        left out (they were invoiced before)."""
        c = a.contract
        assert c is not None
        end = anchor + c.term
        if arr == 0 or t0 >= end:
            return
        if t0 == anchor and c.period >= c.term - 1e-9:  # a new term invoiced at once
            self._row(t0, t0 + c.payment_days, BILLING, "customer", a.id, arr * (end - t0) / DAYS_PER_YEAR)
            return
        k = max(0, math.floor((t0 - anchor) / c.period + 1e-9))
        while True:
            p = anchor + k * c.period
            if p >= end - 1e-9:
                return
            pe = min(p + c.period, end)
            if pe > t0 and not (skip_started and p < t0 - 1e-9):
                start = max(p, t0)
                self._row(start, start + c.payment_days, BILLING, "customer", a.id,
                          arr * (pe - start) / DAYS_PER_YEAR)
            k += 1

    def signed(self, a: Account, now: float, initial: bool) -> None:
        """A contract signed (or, for the initial base, in force at month 0): invoice its term."""
        if initial:
            self.bill(a, a.contract_start, max(now, a.contract_start), a.arr, skip_started=True)
            return
        self.bill(a, now, now, a.arr)
        if self.services_share > 0 and a.contract is not None:
            fee = self.services_share * a.arr
            self._row(now, now + a.contract.payment_days, SERVICES, "customer", a.id, fee)
            for col, value in zip(self.fees, (a.id, now, fee), strict=True):
                col.append(value)

    def renewed(self, a: Account, start: float) -> None:
        """A new term from ``start``: invoice it at the account's ARR."""
        self.bill(a, start, start, a.arr)

    def renewed_terms(self, a: Account, starts: list[float]) -> None:
        """Several new terms at unchanged ARR (renewals decided at signature): the rows
        :meth:`renewed` writes one by one. When a term is one invoice they are kept as one
        block (``starts`` is kept, not copied), made into rows in :meth:`close` with numpy and
        put in their place among the other rows."""
        c = a.contract
        assert c is not None
        if c.period < c.term - 1e-9 or a.arr == 0:
            for start in starts:
                self.bill(a, start, start, a.arr)
            return
        if starts:
            self.blocks.append((len(self.cols[0]), starts, a.id, c.payment_days, a.arr / DAYS_PER_YEAR, c.term))

    def _block_rows(self, word: Callable[[str], int]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The rows of :meth:`renewed_terms`' blocks as columns (the values :meth:`bill` would
        write: the same float operations, element by element; text as ``word`` codes), and
        where each row goes."""
        _, starts, account, pay, per_day, term = zip(*self.blocks, strict=True)
        lengths = np.fromiter(map(len, starts), np.int64, len(starts))
        n = int(lengths.sum())
        t = np.fromiter(chain.from_iterable(starts), float, n)

        def each(values: tuple, dtype: type = float) -> np.ndarray:
            return np.repeat(np.array(values, dtype=dtype), lengths)

        at = np.repeat(np.fromiter((b[0] for b in self.blocks), np.int64, len(self.blocks)), lengths)
        rows = {"t": t, "cash_t": t + each(pay), "kind": np.full(n, word(BILLING), dtype=np.int32),
                "party": np.full(n, word("customer"), dtype=np.int32), "account": each(account, np.int64),
                "amount": each(per_day) * ((t + each(term)) - t)}
        return rows, at

    def expanded(self, a: Account, now: float, delta: float) -> None:
        """ARR grew mid-term: the rest of the term is invoiced pro rata."""
        if a.active and a.contract is not None:
            self.bill(a, a.contract_start, now, delta)

    # ---- after the run
    def overhead_costs(self, headcount_rows: dict[str, list[int]], months: int) -> None:
        """Sales and marketing overhead, month by month from the month-end headcount, as cost
        records of each role (so the role's cost, S&M and CAC include them)."""
        oh = self.sc.overhead
        if not (oh.span and oh.manager_salary) and not (oh.ops_per_head and oh.ops_salary) \
                and not oh.tools_per_head_month and not oh.travel_per_head_month:
            return
        for role in STAFF_ROLES:
            hc = headcount_rows.get(role)
            if not hc:
                continue
            for m in range(min(months, len(hc))):
                t, n = m * DAYS_PER_MONTH, hc[m]
                if n <= 0:
                    continue
                if role in oh.span and oh.manager_salary:
                    self.rec.cost(t, role, MANAGERS, math.ceil(n / oh.span[role]) * oh.manager_salary / 12.0)
                if role in SM_HEADS and oh.ops_per_head and oh.ops_salary:
                    self.rec.cost(t, role, OPS, n * oh.ops_per_head * oh.ops_salary / 12.0)
                if oh.tools_per_head_month:
                    self.rec.cost(t, role, TOOLS, n * oh.tools_per_head_month)
                if oh.travel_per_head_month.get(role):
                    self.rec.cost(t, role, TRAVEL, n * oh.travel_per_head_month[role])

    def close(self, records: Records) -> dict[str, np.ndarray]:
        """The whole ledger (see the module docstring), rows inside the horizon, as columns;
        the implementation fees go to ``records.services`` (warm-up's included: a deal signed
        before month 0 may go live after it)."""
        records.services = {name: np.asarray(col, dtype=dtype) for name, col, dtype
                            in zip(("account", "signed", "fee"), self.fees, (np.int64, float, float), strict=True)}
        self.fees = ([], [], [])
        horizon, months = records.horizon_days, records.months
        edges = np.arange(months + 1) * DAYS_PER_MONTH
        rows: list[tuple[np.ndarray, ...]] = []
        # text columns (kind, party) are assembled as codes of a few words, made text at the end
        words: dict[str, int] = {}

        def word(text: str) -> int:
            return words.setdefault(text, len(words))

        def codes(text) -> np.ndarray:
            if isinstance(text, np.ndarray) and len(text):  # a table's text column
                uniq, inv = np.unique(text, return_inverse=True)
                return np.array([word(str(u)) for u in uniq], dtype=np.int32)[inv]
            return np.fromiter(map(word, text), np.int32, len(text))

        def add(t, cash_t, kind, party, account, amount) -> None:
            t = np.atleast_1d(np.asarray(t, dtype=float))
            n = len(t)
            rows.append((t, np.broadcast_to(np.asarray(cash_t, dtype=float), n),
                         np.full(n, word(kind), dtype=np.int32) if isinstance(kind, str) else kind,
                         np.full(n, word(party), dtype=np.int32) if isinstance(party, str) else party,
                         np.broadcast_to(np.asarray(account, dtype=np.int64), n),
                         np.broadcast_to(np.asarray(amount, dtype=float), n)))

        c = self.cols
        if c[0] or self.blocks:
            cols = {"t": np.asarray(c[0], dtype=float), "cash_t": np.asarray(c[1], dtype=float),
                    "kind": codes(c[2]), "party": codes(c[3]),
                    "account": np.asarray(c[4], dtype=np.int64), "amount": np.asarray(c[5], dtype=float)}
            if self.blocks:
                cols = insert_blocks(cols, *self._block_rows(word))
                self.blocks = []
            inside = cols["t"] < horizon
            add(*(cols[n][inside] for n in LEDGER_COLUMNS))
        costs = records.costs
        if len(costs["t"]):
            add(costs["t"], costs["t"], codes(costs["kind"]), codes(costs["role"]), -1,
                -costs["amount"].astype(float))
        fin = self.sc.finance
        pay_lag = fin.salary_payment_days if fin is not None else 0.0
        for role in STAFF_ROLES:
            sal = salary_by_month(records, role)
            if sal.any():
                add(edges[:-1], edges[:-1] + PAYDAY + pay_lag, SALARY, role, -1, -sal)
        revenue = recognised_revenue(records.segments, months)
        customers = active_accounts(records, edges[1:])
        if fin is not None:
            cogs_share = fin.cogs_share_of_revenue
            if cogs_share is None:
                cogs_share = 1.0 - self.sc.customers.gross_margin
            per_account = fin.hosting_per_account_month + fin.support_per_account_month
            add(edges[:-1], edges[:-1] + PAYDAY, COGS, "company", -1, -(cogs_share * revenue + per_account * customers))
            m = np.arange(months)
            for kind, ox in ((RD, fin.rd), (GA, fin.ga)):
                cost = ox.per_month * (1.0 + ox.growth_per_month) ** m + ox.share_of_revenue * revenue
                if cost.any():
                    add(edges[:-1], edges[:-1] + PAYDAY, kind, "company", -1, -cost)
            for f in fin.funding:
                add(f.month * DAYS_PER_MONTH, f.month * DAYS_PER_MONTH, FUNDING, "company", -1, f.amount)
        else:
            cogs_share = 1.0 - self.sc.customers.gross_margin
            add(edges[:-1], edges[:-1] + PAYDAY, COGS, "company", -1, -cogs_share * revenue)
        if not rows:
            return {n: np.array([]) for n in LEDGER_COLUMNS}
        out = {n: np.concatenate([r[i] for r in rows]) for i, n in enumerate(LEDGER_COLUMNS)}
        # A warm start simulates months before month 0 and discards them: money that moved
        # before month 0 is in the starting cash. What was invoiced or incurred then and is
        # paid from month 0 on (receivables, salaries paid in arrears) stays: that cash moves
        # inside the horizon.
        keep = out["cash_t"] >= 0.0
        if not keep.all():
            out = {n: v[keep] for n, v in out.items()}
        names = list(words)
        for name in ("kind", "party"):  # text as wide as its longest value (as from a list of str)
            present = np.flatnonzero(np.bincount(out[name], minlength=len(names)))
            width = max([1, *(len(names[i]) for i in present)])
            out[name] = np.array(names, dtype=f"<U{width}")[out[name]]
        self.cols = tuple([] for _ in LEDGER_COLUMNS)
        return out


# --------------------------------------------------------------------------- derived after the run
def recognised_revenue(segments: dict[str, np.ndarray], months: int) -> np.ndarray:
    """Subscription revenue per month: each contract segment's ARR / 365.25 per day active."""
    edges = np.arange(months + 1) * DAYS_PER_MONTH
    out = np.zeros(months)
    if len(segments["account"]) == 0:
        return out
    start = segments["start"].astype(float)
    end = segments["end"].astype(float)
    arr = segments["arr"].astype(float) / DAYS_PER_YEAR
    for m in range(months):
        overlap = np.clip(np.minimum(end, edges[m + 1]) - np.maximum(start, edges[m]), 0.0, None)
        out[m] = float(np.dot(overlap, arr))
    return out


def recognised_services(records: Records, months: int) -> np.ndarray:
    """Implementation (services) revenue per month: each fee in the month its account goes
    live, nothing before (ASC 606-10-25-30 / IFRS 15.38: a performance obligation satisfied
    at a point in time, when the customer accepts the work; here, go-live). A project not live
    by the horizon is billed and not yet revenue (deferred revenue)."""
    out = np.zeros(months)
    sv = records.services
    if not sv or len(sv["account"]) == 0:
        return out
    acc = records.accounts
    order = np.argsort(acc["id"], kind="stable")
    ids = acc["id"][order]
    at = np.searchsorted(ids, sv["account"])
    found = (at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == sv["account"])
    live = np.full(len(at), np.nan)
    live[found] = acc["live"][order][at[found]].astype(float)
    idx = np.floor(live / DAYS_PER_MONTH)
    inside = np.isfinite(idx) & (idx >= 0) & (idx < months)
    return np.bincount(idx[inside].astype(int), weights=sv["fee"][inside], minlength=months)[:months].astype(float)


def active_accounts(records: Records, times: np.ndarray) -> np.ndarray:
    """Accounts active at each of ``times``."""
    acc = records.accounts
    if len(acc["id"]) == 0:
        return np.zeros(len(times))
    signed = acc["signed"].astype(float)
    churned = acc["churned_t"].astype(float)
    gone = np.where(np.isnan(churned), np.inf, churned)
    return (np.searchsorted(np.sort(signed), times, side="right")
            - np.searchsorted(np.sort(gone), times, side="right")).astype(float)


def salary_by_month(records: Records, role: str) -> np.ndarray:
    """Salary cost of a role per month: each person's salary / 365.25 per day employed."""
    st = records.staff
    months = records.months
    edges = np.arange(months + 1) * DAYS_PER_MONTH
    if len(st["role"]) == 0:
        return np.zeros(months)
    mask = st["role"] == role
    if not mask.any():
        return np.zeros(months)
    start = st["start"][mask].astype(float)[:, None]
    end = np.minimum(st["end"][mask].astype(float), records.horizon_days)[:, None]
    salary = st["salary"][mask].astype(float)[:, None]
    days = np.clip(np.minimum(edges[None, 1:], end) - np.maximum(edges[None, :-1], start), 0.0, None)
    return (days * salary / DAYS_PER_YEAR).sum(axis=0)
