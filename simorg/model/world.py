"""The SimPy world of one replication: wires the team components and runs them.

``World(scenario, seed).run()`` returns the :class:`~simorg.model.records.Records` of the run.
The world owns only the environment, the random streams (and the lead trait tables built
from them), the records and the directory of people; everything a team does lives in its
component (``teams/``), pay in :class:`~simorg.model.pay.CompPlan`, the customer books in
:class:`~simorg.model.accounts.InstalledBase`. No global state, so replications can run in
any process in any order.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from typing import Any

import numpy as np

from ..scenario.distributions import Distribution
from ..scenario.schema import BILLING_MONTHS, Scenario
from .accounts import InstalledBase
from .clock import Clock
from .decisions import Decisions, MarketResponse
from .entities import LOST, MARKETING, OPEN, STALE, WON, Account, Lead
from .ledger import ContractTerms, Ledger
from .pay import CompPlan
from .pools import DAYS_PER_MONTH, Worker
from .records import INITIAL, Recorder, Records
from .rng import RandomStreams, source_codes
from .teams import (
    AE,
    SDR,
    AccountManagement,
    CustomerSuccess,
    Implementation,
    Marketing,
    Presales,
    RenewalSpecialists,
    TeamComponent,
)
from .teams.base import Process
from .teams.partners import Partners
from .traits import BLOCK, SEQ_BITS, LeadTraits

INITIAL_CODE = 250
PIPELINE_CODE = 251
"""Id space of the given open opportunities (``customers.initial.opportunities``)."""
PIPELINE_CHANNEL = "open_pipeline"


class GivenOpportunities:
    """What the AE team reads of a given open opportunity when it works it (as of a lead's
    traits, :class:`~simorg.model.traits.LeadTraits`): its remaining cycle and win draw."""

    def __init__(self) -> None:
        self.by_seq: dict[int, tuple[float, float]] = {}

    def opportunity(self, seq: int) -> tuple[float, float]:
        return self.by_seq[seq]


NAMED_BITS = 39
"""Sequence numbers below ``2**39`` are hashed from a given entity's id; above, its position."""


def given_ids(names: list[str | None], code: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids of given accounts or opportunities (``code << SEQ_BITS | seq``) and the order to seed
    them in (by id). An entity with an id of its own gets a sequence number hashed from it
    (BLAKE2b), so reordering a state file's rows changes nothing; one without gets
    ``2**39 + position``. A hash already taken moves to the next free number."""
    used: set[int] = set()
    seqs = []
    for i, name in enumerate(names):
        if name:
            seq = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big") \
                & ((1 << NAMED_BITS) - 1)
            while seq in used:
                seq = (seq + 1) & ((1 << NAMED_BITS) - 1)
        else:
            seq = (1 << NAMED_BITS) + i
        used.add(seq)
        seqs.append(seq)
    ids = (np.uint64(code) << np.uint64(SEQ_BITS)) | np.array(seqs, dtype=np.uint64)
    return ids, np.argsort(ids, kind="stable")


GRID = np.linspace(0.0005, 0.9995, 1999)
"""Probabilities at which a cycle's quantiles are tabulated to read its CDF off."""


def remaining_cycle(cycle: Distribution, age: float, u: float, quantiles: np.ndarray | None = None) -> float:
    """The rest of a buyer's cycle already ``age`` days old: the cycle drawn from its
    distribution given that it is longer than ``age``, less ``age`` (the inverse CDF at
    ``F(age) + u (1 - F(age))``, with ``F`` read off a grid of the distribution's quantiles)."""
    if age <= 0:
        return float(cycle.ppf(u))
    q = np.asarray(cycle.ppf(GRID), dtype=float) if quantiles is None else quantiles
    f_age = float(np.interp(age, q, GRID, left=0.0, right=1.0))
    if f_age >= 0.9995:  # older than nearly every cycle: it decides within days
        return float(1.0 + u * 0.05 * max(age, 1.0))
    return max(0.0, float(cycle.ppf(f_age + u * (1.0 - f_age))) - age)


def given_contract(drawn: ContractTerms, term_months: int | None, billing: str | None) -> ContractTerms:
    """A given account's contract: its own term and billing where the books say, the payment
    terms and uplift of the contract drawn for its segment."""
    term = term_months * DAYS_PER_MONTH if term_months is not None else drawn.term
    if billing is not None:
        months = BILLING_MONTHS[billing]
    else:  # the drawn billing: upfront (one invoice a term), or its period in months
        months = None if drawn.period >= drawn.term - 1e-9 else round(drawn.period / DAYS_PER_MONTH)
    period = term if months is None else min(months * DAYS_PER_MONTH, term)
    return ContractTerms(term, period, drawn.payment_days, drawn.uplift)


class World:
    """One replication: the environment, random streams and records, and the components."""

    def __init__(self, scenario: Scenario, seed: int):
        self.sc = scenario
        self.seed = seed
        # warm start: the run begins warm_months before month 0 (records before 0 not counted);
        # an explicit state at month 0 (accounts, open opportunities) replaces the warm-up
        self.explicit_state = scenario.customers.initial.explicit()
        self.warm_months = 0 if self.explicit_state else scenario.warm_start.months
        self.env = Clock(initial_time=-self.warm_months * DAYS_PER_MONTH)
        self.streams = RandomStreams(seed)
        self.rec = Recorder()
        self.ledger = Ledger(scenario, self.streams, self.rec)
        self.months = scenario.horizon_months
        self.horizon = self.months * DAYS_PER_MONTH
        self.staff: list[Worker] = []            # everyone ever hired, in hiring order
        self.worker_by_id: dict[int, Worker] = {}
        self.departures: dict[str, int] = defaultdict(int)
        self.traits_by_code: dict[int, LeadTraits | GivenOpportunities] = {}  # a lead's traits: see traits.py
        self.k_attrition = self.streams.key("people.attrition")
        self.refers = scenario.market.referrals.per_account_per_year > 0
        self.source_codes = source_codes([("channel", n) for n in scenario.marketing.channels]
                                         + [("partner", n) for n in scenario.partners]
                                         + ([("referral", "referrals")] if self.refers else []))

        teams = scenario.teams
        self.pay = CompPlan(self)
        self.base = InstalledBase(self)
        self.marketing = Marketing(self, teams.marketing)
        self.sdr = SDR(self, teams.sdr)
        self.ae = AE(self, teams.ae)
        self.presales = Presales(self, teams.presales)
        self.implementation = Implementation(self, teams.implementation)
        self.csm = CustomerSuccess(self, teams.csm)
        self.am = AccountManagement(self, teams.am)
        self.renewal_specialist = RenewalSpecialists(self, teams.renewal_specialist)
        self.partners = Partners(self)
        self.teams: dict[str, TeamComponent] = {
            t.role: t for t in (self.marketing, self.sdr, self.ae, self.presales, self.implementation,
                                self.csm, self.am, self.renewal_specialist)}
        for team in self.teams.values():
            team.wire()
        self.partners.wire()
        self.decisions = Decisions(self)
        self.market = MarketResponse(self)

    # ---- what work priority policies read (policies.priority.PriorityContext)
    def now(self) -> float:
        """The simulation clock (days)."""
        return self.env.now

    def pay_per_day(self, item: Any) -> float:
        """What working ``item`` pays its worker per day of effort."""
        return self.pay.expected_pay_per_day(item)

    def reference_pay(self) -> float:
        """Pay per day of an average new deal: the zero point of pay priority."""
        return self.pay.ref_pay

    # ---- shared by the components
    def enrol(self, w: Worker) -> None:
        """A new person joins the company's directory (the ``staff`` records)."""
        self.staff.append(w)
        self.worker_by_id[w.id] = w

    def lead_traits(self, code: int, fit: Distribution, segment_mix: dict[str, float],
                    fit_scale: float = 1.0, block: int = BLOCK) -> LeadTraits:
        """The trait tables of the leads with id code ``code`` (a channel, or one AE's own deals)."""
        segs = self.sc.segments
        traits = LeadTraits(self.streams, code, fit, segment_mix, {n: s.acv for n, s in segs.items()},
                            {n: s.cycle_days for n, s in segs.items()}, fit_scale, block)
        self.traits_by_code[code] = traits
        return traits

    # ------------------------------------------------------------------ setup
    def _initial_staff(self) -> None:
        for team in self.teams.values():
            if team.cfg is not None:
                for _ in range(team.cfg.headcount):
                    team.hire(self.env.now, True)  # at the warm-up's start, fully ramped

    def _initial_customers(self) -> None:
        init = self.sc.customers.initial
        if init.accounts:
            self._given_accounts()
            return
        if init.count == 0:
            return
        seg_names = sorted(s for s, v in init.segment_mix.items() if v > 0) or sorted(self.sc.segments)
        shares = np.array([init.segment_mix.get(s, 1.0) for s in seg_names])
        cum = np.cumsum(shares / shares.sum())
        ids = (np.uint64(INITIAL_CODE) << np.uint64(SEQ_BITS)) | np.arange(init.count, dtype=np.uint64)
        s = self.streams
        seg_idx = np.minimum(np.searchsorted(cum, s.u_array(s.key("initial.segment"), ids), side="right"),
                             len(seg_names) - 1)
        u_acv = s.u_array(s.key("initial.acv"), ids)
        u_health = s.u_array(s.key("initial.health"), ids)
        u_age = s.u_array(s.key("initial.age"), ids)
        for i in range(init.count):
            seg = seg_names[seg_idx[i]]
            arr = float(self.sc.segments[seg].acv.ppf(u_acv[i]))
            health = float(np.clip(init.health.ppf(u_health[i]), 0.0, 1.0))
            now = self.env.now  # the warm-up's start (0 without one)
            a = Account(int(ids[i]), seg, arr, now, "y0", health, True)
            a.live_t = now
            self.ledger.assign_contract(a)
            a.contract_start = now - u_age[i] * a.term  # contracts spread over the past term
            self.base.sign(a, INITIAL)
            self.csm.assign_csm(a)

    def _given_accounts(self) -> None:
        """The explicit installed base: each given account signed at month 0 with its ARR, its
        current term's start (from its renewal date, else its age and term) and its contract
        (given term and billing, else drawn from its segment's contracts)."""
        init = self.sc.customers.initial
        ids, order = given_ids([g.id for g in init.accounts], INITIAL_CODE)
        s = self.streams
        u_health = s.u_array(s.key("initial.health"), ids)
        now = self.env.now
        for i in order.tolist():
            g = init.accounts[i]
            health = g.health if g.health is not None else float(np.clip(init.health.ppf(u_health[i]), 0.0, 1.0))
            a = Account(int(ids[i]), g.segment, g.arr, now, "y0", health, True)
            a.live_t = now
            self.ledger.assign_contract(a)
            if g.term_months is not None or g.billing is not None:
                assert a.contract is not None
                a.contract = given_contract(a.contract, g.term_months, g.billing)
                a.term = a.contract.term
            if g.renewal_in_days is not None:
                a.contract_start = now + g.renewal_in_days - a.term
            else:  # terms renewed back to back since the first one started age_days ago
                a.contract_start = now - (g.age_days % a.term)
            self.base.sign(a, INITIAL)
            self.csm.assign_csm(a)

    def _open_pipeline(self) -> None:
        """The explicit open pipeline: each given opportunity joins the AE queue at month 0,
        its buyer's remaining cycle drawn from its segment's cycle given its age (the cycle
        conditioned on being longer than the age), its win drawn like any deal's."""
        opps = self.sc.customers.initial.opportunities
        if not opps:
            return
        s = self.streams
        ids, order = given_ids([o.id for o in opps], PIPELINE_CODE)
        u_cycle = s.u_array(s.key("pipeline.cycle"), ids)
        u_win = s.u_array(s.key("pipeline.win"), ids)
        u_qualify = s.u_array(s.key("pipeline.qualify"), ids)
        given = GivenOpportunities()
        self.traits_by_code[PIPELINE_CODE] = given
        mask = (1 << SEQ_BITS) - 1
        quantiles = {name: np.asarray(seg.cycle_days.ppf(GRID), dtype=float) for name, seg in self.sc.segments.items()}
        for i in order.tolist():
            o = opps[i]
            rest = remaining_cycle(self.sc.segments[o.segment].cycle_days, o.age_days, float(u_cycle[i]),
                                   quantiles[o.segment])
            given.by_seq[int(ids[i]) & mask] = (rest, float(u_win[i]))
            lead = Lead(int(ids[i]), PIPELINE_CHANNEL, o.segment, 0.5, o.amount, -o.age_days, MARKETING,
                        float(u_qualify[i]))
            lead.first_touch = lead.qualified_t = -o.age_days
            self.rec.leads.add(lead)
            self.ae.submit(lead)

    # ------------------------------------------------------------------ monthly
    def _people(self) -> Process:
        """At each month start: every team's HR step (attrition, then hiring toward the plan)."""
        env = self.env
        for m in range(self.months):
            yield env.timeout(m * DAYS_PER_MONTH - env.now)
            for team in self.teams.values():
                team.hr_month(m)

    def _monitor(self) -> Process:
        """At each month end: occupancy integrals and headcount per role (from outside role code)."""
        env = self.env
        pooled = [t for t in self.teams.values() if t.pool is not None]
        for m in range(1, self.months + 1):
            yield env.timeout(m * DAYS_PER_MONTH - env.now)
            for team in pooled:
                assert team.pool is not None
                team.pool.purge_stale()
            for team in pooled:
                assert team.pool is not None
                self.rec.pool_rows.setdefault(team.role, []).append(team.pool.snapshot())
            for team in self.teams.values():
                self.rec.headcount_rows.setdefault(team.role, []).append(len(team.people))

    def _month_zero(self) -> Process:
        """Month 0 after the warm-up: what the run counts starts here (ARR at start; queue
        waits of the warm-up forgotten; occupancy integrals start at 0 by themselves)."""
        yield self.env.timeout(-self.env.now)
        self.initial_arr = self.base.arr_total
        for a in self.base.accounts:  # customers won in the warm-up are the starting base
            a.initial = True
        for team in self.teams.values():
            if team.pool is not None:
                team.pool.wait_sum = 0.0
                team.pool.wait_count = 0

    def _close_stale_leads(self) -> None:
        """Leads still waiting for a first touch past their shelf life at the horizon are stale."""
        max_age = self.sc.teams.sdr.max_lead_age_days
        for lead in self.rec.leads.in_play():
            if lead.state == OPEN and lead.first_touch != lead.first_touch \
                    and lead.created + max_age < self.horizon:
                lead.state, lead.closed_t = STALE, lead.created + max_age

    # ------------------------------------------------------------------ run
    def run(self) -> Records:
        """Run to the horizon and return the records.

        Python's cyclic garbage collector is paused meanwhile (and restored after): the run
        allocates millions of short-lived objects that reference counting frees, and the
        collector's repeated scans of the growing lists of leads and records cost a fifth of
        the run while finding nothing to collect."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if enabled:
                gc.enable()

    def _run(self) -> Records:
        self._initial_staff()
        self._initial_customers()
        self._open_pipeline()
        self.initial_arr = self.base.arr_total
        if self.warm_months > 0:
            self.env.process(self._month_zero())
        if self.market.delay_on:
            self.env.process(self.market.monthly(-self.warm_months))
        if self.decisions.budget_rules or self.decisions.hiring or self.sc.marketing.channels:
            self.env.process(self.decisions.monthly())
        if self.refers:
            self.env.process(self.market.referrals(-self.warm_months, self.source_codes["referral", "referrals"]))
        self.marketing.start()
        self.partners.start()
        self.env.process(self._people())
        self.csm.start()
        self.env.process(self._monitor())
        if self.sc.behaviour.attribution_gaming.audit:
            self.env.process(self.pay.audits())
        self.env.run_until(self.horizon + 1e-6)
        for a in self.base.active.values():
            self.rec.segment(a.id, a.seg_start, self.horizon, a.arr)
        self._close_stale_leads()
        for role, n in self.departures.items():
            self.rec.extra[f"departures_{role}"] = float(n)
        self.ledger.overhead_costs(self.rec.headcount_rows, self.months)
        records = self.rec.finalize(
            horizon_days=self.horizon, months=self.months, accounts=self.base.accounts,
            staff=self.staff, attainment_rows=self.ae.attainment_rows(self.horizon),
            initial_arr=self.initial_arr,
        )
        records.ledger = self.ledger.close(records)
        records.decisions = {k: np.asarray(v, dtype=float) for k, v in self.decisions.rows.items()}
        if self.warm_months > 0 or self.sc.customers.initial.opportunities:
            # warm-up leads (and the given open pipeline) count only as opportunities decided from month 0
            ld = records.leads
            if len(ld["id"]):
                decided = (ld["state"] == WON) | (ld["state"] == LOST)
                keep = (ld["created"] >= 0.0) | (decided & (ld["closed_t"] >= 0.0))
                records.leads = {k: v[keep] for k, v in ld.items()}
        return records
