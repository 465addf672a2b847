"""Implementation and presales capacity is hours (issue 14): a person shares their hours
equally over the projects in hand (processor sharing), so more load means fewer hours per
project and a later go-live, smoothly; with one project at a time nothing changes; AE
expansions cost AE hours instead of an AE slot."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from simorg.experiment.simulate import simulate
from simorg.model.teams.base import SharedHours

from .helpers import paired_effects, scenario


def _run(slots: int, jobs: list[tuple[float, float]]) -> dict[int, float]:
    """Finish times of ``jobs`` (arrival day, work in slot-days) on one person with ``slots``."""
    env = simpy.Environment()
    done: dict[int, float] = {}
    desk = SharedHours(env, slots, lambda i: done.__setitem__(i, env.now))

    def arrive(i: int, t: float, work: float) -> simpy.events.ProcessGenerator:
        yield env.timeout(t)
        desk.add(work, i)

    for i, (t, work) in enumerate(jobs):
        env.process(arrive(i, t, work))
    env.run()
    return done


def test_one_slot_one_project_takes_exactly_its_days():
    """Capacity 1: a project takes exactly its work in days (the exact queueing cases stand)."""
    assert _run(1, [(0.0, 17.3)]) == {0: 17.3}
    assert _run(1, [(2.5, 0.1)]) == {0: 2.5 + 0.1}


def test_a_full_person_gives_each_project_one_slot_of_hours():
    """Three slots, three projects started together: each takes its own work in days."""
    done = _run(3, [(0.0, 30.0), (0.0, 30.0), (0.0, 30.0)])
    assert all(t == pytest.approx(30.0) for t in done.values())


def test_processor_sharing_analytic():
    """Two slots. Project A (work 10) alone from day 0 moves at 2 slot-days a day; B (work 4)
    joins on day 2: A has 6 left; both move at 1 a day; B done day 6, A then has 2 left at 2 a
    day: done day 7."""
    done = _run(2, [(0.0, 10.0), (2.0, 4.0)])
    assert done[1] == pytest.approx(6.0)
    assert done[0] == pytest.approx(7.0)


def test_more_load_means_later_and_work_is_conserved():
    """n equal projects started together on a person with 4 slots finish at work * max(n, 4) / 4:
    below full load sooner, above (when a scenario allows it) later, linearly: no cliff."""
    for n in range(1, 9):
        done = _run(4, [(0.0, 20.0)] * n)
        assert max(done.values()) == pytest.approx(20.0 * n / 4.0)


def _impl(changes: dict) -> dict:
    return {"horizon_months": 24, "teams": {"implementation": changes}}


def test_implementation_load_delays_go_live_smoothly():
    """Fewer implementers (same capacity each): every project shares a busier person's hours,
    time to value rises step by step with the load."""
    ttv = []
    for heads in (7, 5, 4, 3):
        sc = scenario(_impl({"headcount": heads, "plan": []}))
        ttv.append(np.mean([simulate(sc, seed=s, keep_records=False).kpis["time_to_value_days"] for s in range(4)]))
    assert all(b > a for a, b in zip(ttv, ttv[1:], strict=False)), ttv


def test_implementation_hours_are_recorded():
    run = simulate(scenario({"horizon_months": 12}), seed=2)
    m = run.monthly
    assert m["hours_implementation_project"].sum() > 0
    assert m["hours_presales_support"].sum() > 0
    # hours given never exceed the team's hours (7 people at most, 140 h a month each)
    assert m["hours_implementation_project"].max() <= 7 * 140 * 1.0001


def test_over_promised_projects_take_longer():
    """Promise inflation adds implementation hours: time to value rises (paired seeds)."""
    on = {"behaviour": {"promise_inflation": {"sensitivity": 1.0}},
          "teams": {"presales": {"win_share": 1.0}}, "horizon_months": 24}
    off = {"behaviour": {"promise_inflation": {"sensitivity": 0.0}},
           "teams": {"presales": {"win_share": 1.0}}, "horizon_months": 24}
    fx = paired_effects(scenario(off), scenario(on), reps=6, seed0=0)
    assert fx["time_to_value_days"][1] > 0, fx["time_to_value_days"]


def test_ae_expansions_cost_ae_hours_not_slots():
    """AE-owned upsell: the motion's hours show up as AE expansion hours; no AE slot is held."""
    sc = scenario({"horizon_months": 18, "org": {"upsell": "ae", "cross_sell": "ae"}})
    run = simulate(sc, seed=1)
    assert run.monthly["hours_ae_expansion"].sum() > 0
    assert run.kpis["expansion_arr"] > 0
