"""Decisions that respond to the company's state (issue 16): the lead desk, the warm start,
hiring and budget rules, the market's response."""

from __future__ import annotations

import numpy as np

from simorg.experiment.simulate import simulate

from .helpers import scenario

SHORT = {"horizon_months": 18}


def _logos(changes: dict, seeds: range = range(3)) -> np.ndarray:
    sc = scenario({**SHORT, **changes})
    return np.mean([simulate(sc, seed=s, keep_records=False).monthly["new_logos"] for s in seeds], axis=0)


def test_leads_go_to_aes_until_the_first_sdr_starts() -> None:
    """A plan that hires SDRs at month 12 works like a team without SDRs until then (same
    seeds, same leads, the same AEs working them), instead of leaving every lead in a queue
    nobody works."""
    later = _logos({"teams": {"sdr": {"headcount": 0, "plan": [{"month": 12, "headcount": 3}]}}})
    none = _logos({"teams": {"sdr": {"headcount": 0, "plan": []}}})
    # before the first SDR's requisition changes anything, the two runs are the same run
    assert np.array_equal(later[:10], none[:10])
    assert later[:10].sum() > 40
