"""The SimPy world of one replication: builds teams and processes from a scenario, runs them.

``World(scenario, seed).run()`` returns the :class:`~simorg.model.records.Records` of the run.
The world owns its environment and random streams: no global state, so replications can run
in any process in any order.
"""

from __future__ import annotations

import gc
from collections import defaultdict

import numpy as np
import simpy

from ..scenario.schema import POOL_ROLES, STAFF_ROLES, Scenario
from .customers import CustomerLifecycle
from .entities import OPEN, STALE, Account, Lead
from .incentives import Incentives
from .people import People
from .policies import EXPANSION_OWNERS, RENEWAL_OWNERS, WORK_PRIORITY
from .pools import DAYS_PER_MONTH, Pool, Worker
from .records import INITIAL, Recorder, Records
from .rng import RandomStreams
from .sales import SalesFlow
from .traits import SEQ_BITS, LeadTraits, Sampler

INITIAL_CODE = 250


class World(SalesFlow, CustomerLifecycle, People, Incentives):
    """One replication's model state and processes."""

    def __init__(self, scenario: Scenario, seed: int):
        self.sc = scenario
        self.seed = seed
        self.env = simpy.Environment()
        self.streams = RandomStreams(seed)
        self.rec = Recorder()
        self.months = scenario.horizon_months
        self.horizon = self.months * DAYS_PER_MONTH
        self.accounts: list[Account] = []
        self.active: dict[int, Account] = {}
        self.staff: list[Worker] = []
        self.people: dict[str, list[Worker]] = {r: [] for r in STAFF_ROLES}
        self.hired: dict[str, int] = defaultdict(int)
        self.pending: dict[str, int] = defaultdict(int)
        self.unbackfilled: dict[str, int] = defaultdict(int)
        self.departures: dict[str, int] = defaultdict(int)
        self.arr_total = 0.0
        self.worker_by_id: dict[int, Worker] = {}
        self.books: defaultdict[int, dict[int, Account]] = defaultdict(dict)  # CSM/AM id -> accounts in their book
        self.relabelled: list[tuple[Lead, float, Worker]] = []  # re-labelled deals audits may catch

        teams = scenario.teams
        self.has_sdr = self._ever_staffed("sdr")
        self.has_presales = self._ever_staffed("presales")
        self.has_implementation = self._ever_staffed("implementation")
        self.has_csm = self._ever_staffed("csm")
        self.ref_pay = self.reference_pay_per_day()
        self.renewals_fixed = self.renewals_are_fixed()
        # constants of the run that every lead looks up
        self.sdr_extra = self.sdr_extra_qualify()
        self.qualify_params = (teams.sdr.response_floor, teams.sdr.response_half_life_hours,
                               teams.sdr.qualify_rate)
        pp = scenario.behaviour.pay_priority
        # how AEs and renewal specialists order their queue: by pay, or first come first served
        by_pay = WORK_PRIORITY.create("pay_per_day" if pp.responsiveness > 0 else "oldest_first",
                                      pp.responsiveness, pp.days_per_doubling).queue_key(self)
        sdr_order = WORK_PRIORITY.create(teams.sdr.work_order, pp.responsiveness,
                                         pp.days_per_doubling).queue_key(self)
        self.renewal_owner_policy = RENEWAL_OWNERS.create(scenario.org.renewals)
        self.upsell_owner_policy = EXPANSION_OWNERS.create(scenario.org.upsell)
        self.cross_sell_owner_policy = EXPANSION_OWNERS.create(scenario.org.cross_sell)
        self.pools: dict[str, Pool] = {
            "sdr": Pool(self.env, "sdr", "least_loaded", max_wait=teams.sdr.max_lead_age_days,
                        priority=sdr_order),
            "ae": Pool(self.env, "ae", scenario.org.lead_routing, priority=by_pay,
                       max_wait=None if self.has_sdr else teams.sdr.max_lead_age_days,
                       expires=lambda item: isinstance(item, Lead)),  # leads go stale, tasks do not
            "presales": Pool(self.env, "presales", "least_loaded"),
            "implementation": Pool(self.env, "implementation", "least_loaded"),
            "csm": Pool(self.env, "csm", "least_loaded"),
        }
        # With an SDR team, SDRs work leads; without one, AEs work them in their own slots.
        self.lead_pool = self.pools["sdr"] if self.has_sdr else self.pools["ae"]
        if teams.am is not None:
            self.pools["am"] = Pool(self.env, "am", "least_loaded")
        if teams.renewal_specialist is not None:
            self.pools["renewal_specialist"] = Pool(self.env, "renewal_specialist", "least_loaded",
                                                    priority=by_pay)

        s = self.streams
        self.sdr_work = Sampler(teams.sdr.work_days, s.generator("sdr.work"))
        self.presales_effort = Sampler(teams.presales.effort_days, s.generator("presales.effort"))
        self.self_delivery = Sampler(teams.ae.self_delivery_days, s.generator("ae.self_delivery"))
        self.traits_by_code: dict[int, LeadTraits] = {}  # a lead's traits: see traits.py
        self.k_onboarding = s.key("account.onboarding")
        self.k_renew = s.key("account.renew")
        self.k_contract = s.key("account.contract")
        self.k_noise = s.key("account.health_noise")
        self.k_upsell = s.key("account.upsell")
        self.k_cross = s.key("account.cross_sell")
        self.k_attrition = s.key("people.attrition")
        self.k_relabel = s.key("lead.relabel")
        self.k_audit = s.key("lead.audit")
        self.renewal_effort = Sampler(scenario.org.renewal_effort_days, s.generator("org.renewal_effort"))
        self.expansion_effort = Sampler(scenario.org.expansion_effort_days, s.generator("org.expansion_effort"))

    # ---- what work priority policies read (policies.priority.PriorityContext)
    def now(self) -> float:
        """The simulation clock (days)."""
        return self.env.now

    def pay_per_day(self, item: object) -> float:
        """What working ``item`` pays its worker per day of effort."""
        return self.expected_pay_per_day(item)

    def reference_pay(self) -> float:
        """Pay per day of an average new deal: the zero point of pay priority."""
        return self.ref_pay

    def _ever_staffed(self, role: str) -> bool:
        team = getattr(self.sc.teams, role)
        if team is None:
            return False
        return team.headcount > 0 or any(step.headcount > 0 for step in team.plan)

    # ------------------------------------------------------------------ setup
    def _initial_staff(self) -> None:
        for role in STAFF_ROLES:
            team = self.team(role)
            if team is None:
                continue
            for _ in range(team.headcount):
                self._hire(role, 0.0, True)

    def _initial_customers(self) -> None:
        init = self.sc.customers.initial
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
        term = self.sc.customers.renewal.term_months * DAYS_PER_MONTH
        for i in range(init.count):
            seg = seg_names[seg_idx[i]]
            arr = float(self.sc.segments[seg].acv.ppf(u_acv[i]))
            health = float(np.clip(init.health.ppf(u_health[i]), 0.0, 1.0))
            a = Account(int(ids[i]), seg, arr, 0.0, "y0", health, True)
            a.live_t = 0.0
            a.contract_start = -u_age[i] * term  # contracts spread over the past term
            self._sign(a, INITIAL)
            self._assign_csm(a)

    # ------------------------------------------------------------------ monitoring
    def _monitor(self):
        """At each month end: occupancy integrals and headcount per role (from outside role code)."""
        env = self.env
        for m in range(1, self.months + 1):
            yield env.timeout(m * DAYS_PER_MONTH - env.now)
            for pool in self.pools.values():
                pool.purge_stale()
            for role in POOL_ROLES:
                if role in self.pools:
                    self.rec.pool_rows.setdefault(role, []).append(self.pools[role].snapshot())
            for role in STAFF_ROLES:
                self.rec.headcount_rows.setdefault(role, []).append(len(self.people[role]))

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
        initial_arr = self.arr_total
        self._start_marketing()
        self.env.process(self._people())
        if not self.renewals_fixed:  # otherwise nothing reads health or expands: see renewals_are_fixed
            self.env.process(self._customer_success())
        self.env.process(self._monitor())
        if self.sc.behaviour.attribution_gaming.audit:
            self.env.process(self._audits())
        self.env.run(until=self.horizon + 1e-6)
        for a in self.active.values():
            self.rec.segment(a.id, a.seg_start, self.horizon, a.arr)
        self._close_stale_leads()
        ae = self.sc.teams.ae
        attainment = [
            (w.id, sum(arr for t, arr in w.bookings if t <= self.horizon),
             ae.quota_per_year * w.ramped_years(0.0, self.horizon), w.initial)
            for w in self.staff if w.role == "ae" and w.start < self.horizon
        ]
        for role, n in self.departures.items():
            self.rec.extra[f"departures_{role}"] = float(n)
        return self.rec.finalize(
            horizon_days=self.horizon, months=self.months, accounts=self.accounts,
            staff=self.staff, attainment_rows=attainment, initial_arr=initial_arr,
        )
