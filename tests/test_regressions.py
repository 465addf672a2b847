"""Regression tests for defects found in review: each failed before its fix."""

from __future__ import annotations

import numpy as np

from simorg.experiment.simulate import simulate
from simorg.model.pools import Worker
from simorg.model.world import World

from .helpers import scenario


def test_initial_accounts_with_a_csm_have_their_first_renewals_worked():
    """Initial accounts get their CSM at once; their first renewals must count as worked."""
    sc = scenario({"horizon_months": 6, "teams": {"csm": {"headcount": 12, "plan": [],
                                                           "attrition_per_year": 0}}})
    rn = simulate(sc, seed=1).records.renewals
    assert len(rn["worked"]) > 30
    assert rn["worked"].astype(bool).all()


def test_departed_csms_hand_their_book_over():
    sc = scenario({"horizon_months": 24, "teams": {"csm": {"attrition_per_year": 1.0},
                                                   "am": {"headcount": 2, "salary": 150000, "capacity": 15,
                                                          "attrition_per_year": 1.0}},
                   "org": {"key_account_arr": 60000, "renewals": "am"}})
    world = World(sc, seed=2)
    world.run()
    left = [w for w in world.staff if w.role == "csm" and w.leaving]
    assert left, "the test needs CSM departures"
    for a in world.active.values():
        if isinstance(a.csm, Worker):
            assert not a.csm.leaving, "an account is still served by a CSM who left"
    assert all(w.load == 0 for w in left)
    # each worker's book (kept for hand-overs) is exactly the accounts they serve
    for role in ("csm", "am"):
        served: dict[int, set[int]] = {}
        for a in world.active.values():
            if isinstance(getattr(a, role), Worker):
                served.setdefault(getattr(a, role).id, set()).add(a.id)
        books = {w: set(b) for w, b in world.books.items() if b and world.worker_by_id[w].role == role}
        assert books == served
        for wid, ids in served.items():
            assert world.worker_by_id[wid].load == len(ids)


def test_no_sdr_team_with_ae_owned_renewals_and_expansion_runs():
    sc = scenario({"horizon_months": 18, "teams": {"sdr": {"headcount": 0, "plan": []}},
                   "org": {"renewals": "ae", "upsell": "ae"}})
    run = simulate(sc, seed=3)
    assert run.kpis["new_logos"] > 0
    assert run.records.renewals["worked"].astype(bool).mean() > 0.5


def test_account_ids_stay_unique_in_a_large_sales_org():
    sc = scenario({"horizon_months": 12, "teams": {"ae": {"headcount": 60, "plan": []}}})
    run = simulate(sc, seed=1)
    ids = run.records.accounts["id"]
    assert len(np.unique(ids)) == len(ids)
