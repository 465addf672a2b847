"""The things that flow through the go-to-market organization.

A :class:`Lead` is born in a marketing channel (or self-sourced by an AE); once qualified it
is worked as an opportunity (same object: an opportunity is a lead that got that far). A won
opportunity becomes an :class:`Account` with a contract. Exogenous traits (segment, fit,
deal size, and the uniform numbers behind the qualify, cycle and win draws) are fixed when
the entity is created, so both arms of a comparison see the same market.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ledger import ContractTerms

# Terminal states of a lead. Every lead ends in exactly one of these (OPEN = still in
# progress when the horizon ends).
OPEN, STALE, DISQUALIFIED, LOST, WON = "open", "stale", "disqualified", "lost", "won"
LEAD_STATES = (OPEN, STALE, DISQUALIFIED, LOST, WON)

MARKETING, SELF, PARTNER = "marketing", "self", "partner"

NAN = float("nan")
"""One shared NaN for times not reached yet (a new float per lead and time cost ~100 bytes a lead)."""


class Lead:
    """A lead and, once qualified, the opportunity worked from it."""

    __slots__ = (
        "id", "channel", "segment", "fit", "acv", "created", "true_source", "recorded_source",
        "u_qualify", "first_touch", "qualified_t", "assigned_t",
        "closed_t", "state", "owner", "presales", "worker_sdr", "promise", "n",
    )

    def __init__(self, lid: int, channel: str, segment: str, fit: float, acv: float,
                 created: float, source: str, u_qualify: float):
        self.id = lid
        self.channel = channel
        self.segment = segment
        self.fit = fit
        self.acv = acv
        self.created = created
        self.true_source = source
        self.recorded_source = source
        self.u_qualify = u_qualify  # the cycle time and win uniform stay in the lead's trait
        # block (traits.py) until it becomes an opportunity: a lead keeps only what every lead
        # needs, which matters with a million leads in memory
        self.first_touch = NAN
        self.qualified_t = NAN
        self.assigned_t = NAN
        self.closed_t = NAN
        self.state = OPEN
        self.owner = -1          # AE worker id
        self.presales = "not_needed"  # not_needed | supported | unsupported
        self.worker_sdr = -1
        self.promise = 0.0       # presales over-promise carried into delivery
        self.n = -1              # creation number (records keep leads in this order)


class Account:
    """A paying customer: its contract, ARR, health and owners."""

    __slots__ = (
        "id", "segment", "arr", "signed", "live_t", "health", "csm", "contract_start",
        "renewals", "active", "churned_t", "cohort", "initial", "ae", "seg_start", "am",
        "promise", "order", "term", "contract",
    )

    def __init__(self, aid: int, segment: str, arr: float, signed: float, cohort: str,
                 health: float, initial: bool, ae: int = -1):
        self.id = aid
        self.segment = segment
        self.arr = arr
        self.signed = signed
        self.live_t = NAN
        self.health = health
        self.csm = None            # Worker or None (unassigned)
        self.contract_start = signed
        self.renewals = 0
        self.active = True
        self.churned_t = NAN
        self.cohort = cohort
        self.initial = initial
        self.ae = ae
        self.seg_start = signed    # start of the current constant-ARR contract segment
        self.am = None             # account manager (key accounts), a Worker or pending request
        self.promise = 0.0
        self.order = -1            # position among the accounts in the order they signed
        self.term = 0.0            # contract term (days), set by the installed base at signature
        self.contract: ContractTerms | None = None  # the contract's terms, drawn at signature


class Task:
    """Work on an existing account that an owner team picks up from its queue:
    a renewal motion or an expansion opportunity."""

    __slots__ = ("kind", "account", "amount", "pool")

    def __init__(self, kind: str, account: Account, amount: float, pool: str):
        self.kind = kind          # "renewal" | "expansion"
        self.account = account
        self.amount = amount      # ARR at stake
        self.pool = pool          # the team whose queue it is in
