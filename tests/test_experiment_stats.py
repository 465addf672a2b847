"""Statistics of replications: intervals, paired tests, verdicts, KPI directions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sst

from simorg.experiment.directions import direction, kpi_order
from simorg.experiment.stats import paired, summarize, t_halfwidth, unpaired_halfwidth, verdict


def test_summary_matches_scipy_t_interval() -> None:
    x = np.random.default_rng(3).normal(10, 2, size=25)
    s = summarize(x)
    lo, hi = sst.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sst.sem(x))
    assert s["mean"] == pytest.approx(x.mean())
    assert s["ci95"] == pytest.approx([lo, hi])
    assert s["n"] == 25


def test_summary_drops_non_finite_and_handles_tiny_samples() -> None:
    assert summarize([1.0, math.nan, 3.0])["n"] == 2
    assert summarize([5.0]) == {"mean": 5.0, "ci95": [None, None], "sd": None, "n": 1}
    assert summarize([])["mean"] is None
    assert summarize([2.0, 2.0, 2.0])["ci95"] == [2.0, 2.0]


def test_paired_matches_scipy_ttest_rel() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(100, 10, 30)
    b = a + rng.normal(1.0, 2.0, 30)
    p = paired(a, b)
    assert p["diff_mean"] == pytest.approx(np.mean(b - a))
    assert p["p_value"] == pytest.approx(sst.ttest_rel(b, a).pvalue)
    lo, hi = p["diff_ci95"]
    assert hi - lo == pytest.approx(2 * t_halfwidth(b - a))


def test_identical_arms_give_exact_zero_and_p_one() -> None:
    a = np.random.default_rng(1).normal(size=10)
    p = paired(a, a.copy())
    assert p["diff_mean"] == 0.0 and p["diff_ci95"] == [0.0, 0.0] and p["p_value"] == 1.0
    assert verdict("arr_end", p["diff_ci95"]) == "no detectable difference"


def test_constant_nonzero_difference_is_certain() -> None:
    a = np.arange(10.0)
    assert paired(a, a + 1)["p_value"] == 0.0


@pytest.mark.parametrize(
    ("kpi", "ci", "expected"),
    [
        ("arr_end", [1.0, 2.0], "better"),
        ("arr_end", [-2.0, -1.0], "worse"),
        ("gtm_cost", [1.0, 2.0], "worse"),
        ("churned_arr", [-2.0, -1.0], "better"),
        ("cac", [-2.0, -1.0], "better"),
        ("utilization_ae", [0.1, 0.2], "higher"),
        ("nrr", [-0.01, 0.02], "no detectable difference"),
        ("arr_end", [None, None], "not enough data"),
    ],
)
def test_verdict_uses_the_better_direction(kpi: str, ci: list, expected: str) -> None:
    assert verdict(kpi, ci) == expected


def test_directions_cover_design_kpis() -> None:
    assert direction("arr_end") == 1 and direction("gtm_cost") == -1
    assert direction("headcount_end_ae") == 0 and direction("something_new") == 0
    assert kpi_order(["zzz", "gtm_cost", "arr_end", "leads"])[:2] == ["arr_end", "gtm_cost"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_paired_interval_contains_its_mean(values: list[float]) -> None:
    a = np.zeros(len(values))
    p = paired(a, np.array(values))
    lo, hi = p["diff_ci95"]
    assert lo <= p["diff_mean"] + 1e-6 * (1 + abs(p["diff_mean"]))
    assert p["diff_mean"] <= hi + 1e-6 * (1 + abs(p["diff_mean"]))
    assert 0.0 <= p["p_value"] <= 1.0


def test_unpaired_halfwidth_is_welch() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 20), rng.normal(0, 3, 25)
    res = sst.ttest_ind(b, a, equal_var=False)
    lo, hi = res.confidence_interval(0.95)
    assert unpaired_halfwidth(a, b) == pytest.approx((hi - lo) / 2)


def test_q_values_are_benjamini_hochberg() -> None:
    """BH by hand: sorted p (0.01, 0.02, 0.03, 0.04) x m/rank -> (0.04, 0.04, 0.04, 0.04); None kept."""
    from simorg.experiment.stats import q_values

    q = q_values([0.04, None, 0.01, 0.03, 0.02])
    assert q[1] is None
    assert q[0] == pytest.approx(0.04) and q[2] == pytest.approx(0.04)
    assert q_values([0.001, 0.5]) == [pytest.approx(0.002), pytest.approx(0.5)]
    assert q_values([]) == [] and q_values([None]) == [None]


def test_verdicts_use_the_fdr_adjusted_q_value() -> None:
    """p = 0.03 alone is a finding; among 20 KPIs with nothing else going on it is not."""
    from simorg.experiment.stats import add_q_values

    one = {"arr_end": {"p_value": 0.03, "diff_ci95": [1.0, 2.0]}}
    assert add_q_values(one)["arr_end"]["verdict"] == "better"
    many = {f"k{i}": {"p_value": 0.9, "diff_ci95": [-1.0, 1.0]} for i in range(19)}
    many["arr_end"] = {"p_value": 0.03, "diff_ci95": [1.0, 2.0]}
    out = add_q_values(many)
    assert out["arr_end"]["q_value"] == pytest.approx(0.6)
    assert out["arr_end"]["verdict"] == "no detectable difference"
    assert verdict("gtm_cost", [1.0, 2.0], q_value=0.01) == "worse"
    assert verdict("gtm_cost", [1.0, 2.0], q_value=0.2) == "no detectable difference"


def test_one_interval_everywhere() -> None:
    """The report's mean_ci is the t interval of the tables, not 1.96 x SE."""
    from simorg.experiment.stats import summarize, t_interval
    from simorg.report.data import mean_ci

    v = np.array([1.0, 2.0, 4.0, 7.0])
    m, lo, hi = t_interval(v)
    assert mean_ci(v)["ci95"] == [lo, hi] == summarize(v)["ci95"]
    assert hi - m == pytest.approx(3.182446 * np.std(v, ddof=1) / 2, rel=1e-6)  # t(0.975, 3)
