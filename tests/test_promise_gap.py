"""The lasting promise gap (behaviour.promise_inflation.target_gap, gap_months): an account
presales over-promised has a lower health target while the gap lasts."""

from __future__ import annotations

import numpy as np
import pytest

from simorg.experiment.simulate import simulate
from simorg.model.entities import Account
from simorg.model.pools import DAYS_PER_MONTH
from simorg.model.teams.customer_success import CustomerSuccess

from .helpers import scenario


def _account(aid: int, promise: float, live_t: float) -> Account:
    a = Account(aid, "mid", 30000.0, 0.0, "c", 0.8, False)
    a.promise = promise
    a.live_t = live_t
    return a


def test_target_is_lowered_by_gap_times_promise_while_the_gap_lasts():
    now = 400.0
    accs = [_account(1, 0.0, 100.0), _account(2, 0.5, 100.0), _account(3, 1.0, 100.0),
            _account(4, 1.0, now - 12 * DAYS_PER_MONTH - 1.0), _account(5, 1.0, now - 12 * DAYS_PER_MONTH + 1.0)]
    target = np.full(5, 0.9)
    got = CustomerSuccess._promise_gap(accs, target, 0.1, 12 * DAYS_PER_MONTH, now)
    # accounts 2-3 went live 300 days ago (< 12 months): 0.1 x promise; account 4 went live just
    # over 12 months ago (gap closed); account 5 just under (still open)
    assert got == pytest.approx([0.9, 0.85, 0.8, 0.9, 0.8], abs=1e-12)
    lasting = CustomerSuccess._promise_gap(accs, target, 0.1, None, now)
    assert lasting == pytest.approx([0.9, 0.85, 0.8, 0.8, 0.8], abs=1e-12)


def test_steady_state_health_sits_gap_times_promise_below_the_target():
    """The monthly update h += k (T - gap p - h) converges to T - gap p: the gap lasts, unlike
    the go-live penalty, which decays by (1 - k) a month."""
    k, target, gap, promise = 0.3, 0.9, 0.1, 1.0
    h = 0.6  # after the go-live penalty
    for _ in range(11):  # to the first renewal, ~11 months after go-live
        h += k * (CustomerSuccess._promise_gap([_account(1, promise, 0.0)], np.array([target]), gap,
                                               None, 100.0)[0] - h)
    assert h == pytest.approx(target - gap * promise, abs=0.3 * 0.7 ** 11 + 1e-9)
    assert h < target - 0.9 * gap * promise


def test_without_promise_inflation_the_gap_changes_nothing():
    """Promise 0 (sensitivity 0): the gap's parameters do not move a number."""
    off = {"horizon_months": 18, "behaviour": {"promise_inflation": {"sensitivity": 0}}}
    a = simulate(scenario(off), seed=3, keep_records=False).kpis
    b = simulate(scenario({**off, "behaviour": {"promise_inflation": {"sensitivity": 0, "target_gap": 0.5,
                                                                        "gap_months": None}}}),
                 seed=3, keep_records=False).kpis
    np.testing.assert_equal(b, a)  # every KPI bit for bit (NaN equals NaN)


def test_a_lasting_gap_costs_more_retention_than_one_that_closes():
    """Same over-promising company (presales paid on wins), gap for good vs for one term vs none."""
    base = {"horizon_months": 36, "teams": {"presales": {"win_share": 1.0}}}

    def grr(gap: float, months: float | None) -> float:
        sc = scenario({**base, "behaviour": {"promise_inflation": {"target_gap": gap, "gap_months": months}}})
        return float(np.mean([simulate(sc, seed=s, keep_records=False).kpis["grr"] for s in range(6)]))

    none, term, lasting = grr(0.0, 12.0), grr(0.1, 12.0), grr(0.1, None)
    assert lasting < term < none, (lasting, term, none)
