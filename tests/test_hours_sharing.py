"""A person shares their hours over the projects in hand by a registered policy: generalized
processor sharing (Parekh and Gallager 1993), ``SharedHours`` in simorg/model/teams/base.py."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from simorg.experiment.simulate import simulate
from simorg.model.policies import HOURS_SHARING
from simorg.model.teams.base import SharedHours
from simorg.scenario.schema import ImplementationTeam, PresalesTeam

from .helpers import scenario


def _finish_times(slots: int, projects: list[tuple[float, float, float]], weighted: bool = True) -> dict[int, float]:
    """Finish time of each project ``(arrival, work, weight)`` on one person's desk."""
    env = simpy.Environment()
    done: dict[int, float] = {}
    desk = SharedHours(env, slots, lambda i: done.__setitem__(i, env.now),
                       (lambda item: item) if weighted else None)

    def arrive(i: int, t: float, work: float, weight: float):
        yield env.timeout(t)
        desk.add(work, i, weight)

    for i, (t, work, weight) in enumerate(projects):
        env.process(arrive(i, t, work, weight))
    env.run()
    return done


def test_three_projects_with_known_weights_finish_at_the_gps_times():
    # 2 slots; weights 1, 2, 3, one slot-day of work each, all at t = 0. Rates 2 w / 6: the
    # weight-3 project finishes at 1; then weights 1, 2 share (rates 2/3, 4/3): the weight-2
    # project has 1/3 left, done at 1.25; the weight-1 project, half done, alone at rate 2: 1.5.
    done = _finish_times(2, [(0.0, 1.0, 1.0), (0.0, 1.0, 2.0), (0.0, 1.0, 3.0)])
    assert done[2] == pytest.approx(1.0, abs=1e-12)
    assert done[1] == pytest.approx(1.25, abs=1e-12)
    assert done[0] == pytest.approx(1.5, abs=1e-12)


def test_a_later_heavier_project_overtakes():
    # 2 slots; a weight-1 project of 2 days alone from 0 (rate 2: half done by 0.5); a weight-3
    # project of 2 days joins at 0.5: rates 0.5 and 1.5, so it is done at 0.5 + 4/3; the first
    # has 1 - 0.5 * 4/3 = 1/3 left, alone at rate 2: done 1/6 later.
    done = _finish_times(2, [(0.0, 2.0, 1.0), (0.5, 2.0, 3.0)])
    assert done[1] == pytest.approx(0.5 + 4 / 3, abs=1e-12)
    assert done[0] == pytest.approx(0.5 + 4 / 3 + 1 / 6, abs=1e-12)


def test_equal_weights_are_plain_processor_sharing_bit_for_bit():
    rng = np.random.default_rng(7)
    projects = [(float(t), float(w), 1.0) for t, w in zip(np.cumsum(rng.exponential(3.0, 60)),
                                                         rng.lognormal(1.5, 0.6, 60), strict=True)]
    assert _finish_times(3, projects, weighted=True) == _finish_times(3, projects, weighted=False)


def test_one_slot_takes_exactly_its_work_whatever_the_weight():
    done = _finish_times(1, [(0.0, 2.7, 5.0)])
    assert done[0] == 2.7


def test_weights_change_who_finishes_first_not_the_total_work():
    # work conservation: whatever the weights, the last of a batch finishes when the person has
    # given all of it (slots x time = total work)
    batch = [(0.0, 3.0, 1.0), (0.0, 1.0, 1.0), (0.0, 2.0, 1.0)]
    for weights in [(1.0, 1.0, 1.0), (10.0, 1.0, 1.0), (1.0, 1.0, 50.0)]:
        done = _finish_times(2, [(t, w, k) for (t, w, _), k in zip(batch, weights, strict=True)])
        assert max(done.values()) == pytest.approx(6.0 / 2, abs=1e-9)
    assert _finish_times(2, [(0.0, 3.0, 10.0), (0.0, 1.0, 1.0), (0.0, 2.0, 1.0)])[0] < \
        _finish_times(2, [(0.0, 3.0, 1.0), (0.0, 1.0, 1.0), (0.0, 2.0, 1.0)])[0]


def test_policies_are_registered_and_named_by_the_schema():
    assert HOURS_SHARING.names()[0] == "equal"
    for name in ("equal", "by_acv", "largest_first", "smallest_first"):
        assert name in HOURS_SHARING
    for team in (ImplementationTeam, PresalesTeam):
        assert team.model_fields["hours_sharing"].default == "equal"
    with pytest.raises(ValueError, match="registered: equal, by_acv"):
        HOURS_SHARING.create("biggest")

    class Deal:
        acv = 50_000.0

    class Acc:
        arr = 12_500.0

    assert HOURS_SHARING.create("by_acv").weight(Deal()) == pytest.approx(2.0)
    assert HOURS_SHARING.create("by_acv").weight(Acc()) == pytest.approx(0.5)
    assert HOURS_SHARING.create("largest_first").weight(Deal()) == pytest.approx(8.0)
    assert HOURS_SHARING.create("smallest_first").weight(Acc()) == pytest.approx(8.0)


def _ttv_by_segment(sharing: str, seeds=range(6)) -> dict[str, float]:
    sc = scenario({"horizon_months": 24, "teams": {"implementation": {"hours_sharing": sharing}}})
    out: dict[str, list[float]] = {"smb": [], "ent": []}
    for s in seeds:
        acc = simulate(sc, seed=s).records.accounts
        fresh = ~acc["initial"].astype(bool) & np.isfinite(acc["live"].astype(float)) & (acc["signed"] >= 0)
        fresh &= acc["arr"] >= sc.teams.implementation.self_delivery_below_acv  # delivered by the team
        ttv = acc["live"].astype(float) - acc["signed"].astype(float)
        for seg in out:
            out[seg].append(float(ttv[fresh & (acc["segment"] == seg)].mean()))
    return {seg: float(np.mean(v)) for seg, v in out.items()}


def test_sharing_by_acv_shortens_enterprise_time_to_value_and_lengthens_smbs():
    equal, by_acv = _ttv_by_segment("equal"), _ttv_by_segment("by_acv")
    assert by_acv["ent"] < equal["ent"], (equal, by_acv)
    assert by_acv["smb"] > equal["smb"], (equal, by_acv)


def test_a_change_of_pace_counts_work_done_at_the_old_pace():
    # one project of 4 slot-days on 2 slots: half done after 1 day; the pace falls to 1 slot:
    # the other 2 take 2 days, done at 3
    env = simpy.Environment()
    done: dict[int, float] = {}
    desk = SharedHours(env, 2, lambda i: done.__setitem__(i, env.now))

    def run():
        desk.add(4.0, 0)
        yield env.timeout(1.0)
        desk.set_slots(1.0)

    env.process(run())
    env.run()
    assert done[0] == pytest.approx(3.0, abs=1e-12)


def _ae_run(sharing: str, hours: float, seed: int = 2):
    sc = scenario({"horizon_months": 12, "teams": {"ae": {"deal_hours_sharing": sharing,
                                                          "opportunity_hours": hours}}})
    return simulate(sc, seed=seed)


def test_ae_deals_by_processor_sharing_close_after_their_hours_are_given():
    """Processor sharing of a rep's selling hours: when hours are scarce they stretch the
    cycle; with no hours needed the buyer's cycle alone decides, as under at_start. (Baseline,
    12 months, seed 2: cycle 54.0 days with no hours, 53.3 at 8 h by processor sharing against
    64.4 at start: the at-start rule charges a deal for every deal the rep holds, even those
    whose hours are given; 213 days at 24 h, AE utilization 1.0.)"""
    light, heavy = _ae_run("processor_sharing", 4.0), _ae_run("processor_sharing", 24.0)
    assert heavy.kpis["sales_cycle_days"] > light.kpis["sales_cycle_days"] + 5
    np.testing.assert_equal(_ae_run("processor_sharing", 0.0).kpis, _ae_run("at_start", 0.0).kpis)


def test_ae_deal_hours_buyer_paced_is_the_default():
    assert _ae_run("buyer_paced", 8.0).kpis == simulate(scenario({"horizon_months": 12}), seed=2).kpis
    np.testing.assert_equal(_ae_run("buyer_paced", 0.0).kpis, _ae_run("at_start", 0.0).kpis)


class _Rep:
    """A stand-in AE team for PacedDeals: a rep with ``selling`` hours a day."""

    def __init__(self, selling: float):
        self.env = simpy.Environment()
        self.hours_per_day = selling
        self.share = 1.0
        self.done: dict[str, float] = {}

    def selling_share(self, ae: object) -> float:
        return self.share

    def _paced_done(self, deal: str) -> None:
        self.done[deal] = self.env.now


def _paced(selling: float, deals: list[tuple[float, str, float, float]], change: tuple[float, float] | None = None):
    """Finish days of ``deals`` (start day, name, hours, buyer's cycle in days) for one rep;
    ``change``: (day, new selling share) when account work takes hours."""
    from simorg.model.pools import Worker
    from simorg.model.teams.ae import PacedDeals

    rep = _Rep(selling)
    w = Worker(1, "ae", 0, 0.0, 15, 0.0, 0.0, 1.0, True)
    paced = PacedDeals(rep, w)  # type: ignore[arg-type]

    def start(t: float, name: str, hours: float, cycle: float):
        yield rep.env.timeout(t)
        paced.add(hours, cycle, name)

    def account_work(t: float, share: float):
        yield rep.env.timeout(t)
        rep.share = share
        paced.reshare()

    for t, name, hours, cycle in deals:
        rep.env.process(start(t, name, hours, cycle))
    if change is not None:
        rep.env.process(account_work(*change))
    rep.env.run()
    return rep.done, w


def test_buyer_paced_deals_close_with_their_cycle_when_the_rep_has_hours():
    """Hours to spare: every deal gets its buyer's pace and closes when its cycle ends."""
    done, w = _paced(10.0, [(0.0, "a", 8.0, 20.0), (1.0, "b", 8.0, 40.0), (2.0, "c", 4.0, 4.0)])
    assert done == pytest.approx({"a": 20.0, "b": 41.0, "c": 6.0})
    assert w.deal_hours == 0.0  # nothing left in hand


def test_buyer_paced_water_fills_a_short_rep():
    """10 selling hours a day: a (10 h over 10 days, pace 1/day) gets its pace, b (50 h over 5
    days, pace 10/day) gets the other 9 h: done at 50/9 days; then a alone, still at its pace."""
    done, _ = _paced(10.0, [(0.0, "a", 10.0, 10.0), (0.0, "b", 50.0, 5.0)])
    assert done == pytest.approx({"b": 50 / 9, "a": 10.0})
    # both fast: an equal share each (5 h a day) until one is done, then all to the other
    done, _ = _paced(10.0, [(0.0, "a", 20.0, 1.0), (0.0, "b", 40.0, 1.0)])
    assert done == pytest.approx({"a": 4.0, "b": 6.0})


def test_buyer_paced_follows_account_work():
    """A 40-hour deal with a one-day cycle takes all 10 selling hours a day; on day 2 a renewal
    motion takes half of them: the 20 hours left go at 5 a day and the deal ends on day 6."""
    done, _ = _paced(10.0, [(0.0, "a", 40.0, 1.0)], change=(2.0, 0.5))
    assert done == pytest.approx({"a": 6.0})


def test_a_deal_with_no_buyer_cycle_still_needs_its_hours():
    """A deal whose cycle is 0 has no pace limit; it closes when its hours are given, not when
    another deal of the rep finishes (1 h a day: B's 0.5 h at half the rep's time is done on
    day 1; A's 8 h then has the whole rep and is done on day 8.5)."""
    done, _ = _paced(1.0, [(0.0, "a", 8.0, 0.0), (0.0, "b", 0.5, 1.0)])
    assert done == pytest.approx({"b": 1.0, "a": 8.5})
