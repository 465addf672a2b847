"""Account managers: one person owns a few very large accounts and coordinates everything (004).

Accounts at or above ``org.key_account_arr`` join an AM's book (``capacity`` accounts per AM;
when every book is full the account waits). An account with an AM has ``health_boost`` added
to its target health; the AM works its renewal and expansions when the org rules say ``am``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...scenario.schema import AMTeam
from ..entities import Account
from ..pools import Pool, Worker
from ..traits import Sampler
from .base import BookTeam, Process

if TYPE_CHECKING:
    from ..world import World


class AccountManagement(BookTeam):
    """The account managers (an optional team: ``cfg`` is None without ``teams.am``)."""

    role = "am"
    cfg: AMTeam | None

    def __init__(self, world: World, cfg: AMTeam | None):
        super().__init__(world, cfg)
        if cfg is not None:
            self.pool = Pool(self.env, "am", "least_loaded")

    def maybe_assign(self, a: Account) -> None:
        """Key accounts (ARR at or above ``org.key_account_arr``) get a dedicated account manager."""
        threshold = self.sc.org.key_account_arr
        if threshold is None or a.am is not None or a.arr < threshold or self.pool is None:
            return
        self.assign(a)

    def work_renewal(self, a: Account, end: float, effort: Sampler) -> Process:
        """The account's AM works the renewal for ``org.renewal_hours``; returns (AM, hours),
        (None, 0) without an AM yet."""
        return (yield from _holder(a.am, self.sc.org.renewal_hours))


def _holder(held: object, hours: float) -> Process:
    """A generator that returns at once: (``held``, hours) if it is a person, else (None, 0)."""
    return (held, hours) if isinstance(held, Worker) else (None, 0.0)
    yield  # pragma: no cover  (makes this a generator)
