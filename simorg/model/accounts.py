"""The installed base: every account, the active ones, and the running ARR total.

Every ARR movement goes through :meth:`InstalledBase.change_arr` (event record, contract
segment, running total); a signature goes through :meth:`InstalledBase.sign`, a churn through
:meth:`InstalledBase.churn`. Customer success is told of both (``account_signed``,
``account_lost``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .entities import Account
from .records import CHURN, EXPANSION, INITIAL, NEW

if TYPE_CHECKING:
    from .world import World


class InstalledBase:
    """The company's books of customers."""

    def __init__(self, world: World):
        self.world = world
        self.env = world.env
        self.rec = world.rec
        self.accounts: list[Account] = []
        self.active: dict[int, Account] = {}
        self.arr_total = 0.0

    def change_arr(self, a: Account, kind: str, delta: float, now: float | None = None) -> None:
        """Every ARR movement goes through here: event record, contract segment, running total."""
        if now is None:
            now = self.env.now
        if delta == 0:
            return
        self.rec.arr(now, a.id, kind, delta)
        self.arr_total += delta
        if kind not in (NEW, INITIAL):
            self.rec.segment(a.id, a.seg_start, now, a.arr)
            a.seg_start = now
        a.arr += delta
        if kind == EXPANSION:
            self.world.ledger.expanded(a, now, delta)

    def sign(self, a: Account, kind: str = NEW) -> None:
        """A new contract: the account exists, its ARR counts from today; its contract terms
        are drawn (unless set already) and its term invoiced."""
        if a.contract is None:
            self.world.ledger.assign_contract(a)
        arr, a.arr = a.arr, 0.0
        a.order = len(self.accounts)
        self.accounts.append(a)
        self.active[a.id] = a
        self.change_arr(a, kind, arr)
        a.seg_start = self.env.now
        self.world.ledger.signed(a, self.env.now, kind == INITIAL)
        self.world.csm.account_signed(a)

    def churn(self, a: Account, now: float | None = None) -> None:
        """The account leaves: its ARR goes, its CSM and AM are freed."""
        now = self.env.now if now is None else now
        self.change_arr(a, CHURN, -a.arr, now)
        a.active = False
        a.churned_t = now
        del self.active[a.id]
        self.world.csm.account_lost(a)
        self.world.am.account_lost(a)

    @staticmethod
    def cohort_of(t: float) -> str:
        """Signup cohort label: ``y1`` for the first simulated year, ``y2`` for the second..."""
        return f"y{int(t // 365.25) + 1}"
