"""Replications and paired comparisons on the real model (short horizon, few reps)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simorg
from simorg.experiment import StoreError
from simorg.experiment.api import ExperimentError
from simorg.experiment.results import DIST_COLUMNS, KPI_COLUMNS, MONTHLY_COLUMNS
from simorg.experiment.store import arm_folder
from tests.conftest import ROOT, failing_simulate, fake_simulate

BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHORT = {"horizon_months": 12}


@pytest.fixture(scope="module")
def base():
    return simorg.load(BASELINE, overrides=SHORT)


@pytest.fixture(scope="module")
def close_variant():
    """One more AE at the start: a small change whose effect is hidden in between-rep noise."""
    return simorg.load(BASELINE, overrides={**SHORT, "teams.ae.headcount": 7})


def test_replicate_gives_tidy_frames_and_summary(base) -> None:
    res = simorg.replicate(base, reps=4, seed=5, executor="serial")
    assert list(res.kpis.columns) == KPI_COLUMNS
    assert list(res.monthly.columns) == MONTHLY_COLUMNS
    assert list(res.distributions.columns) == DIST_COLUMNS
    assert sorted(res.kpis["seed"].unique()) == [5, 6, 7, 8]
    assert sorted(res.kpis["rep"].unique()) == [0, 1, 2, 3]
    assert res.monthly["month"].min() == 1 and res.monthly["month"].max() == 12
    s = res.summary()
    assert s["arr_end"]["ci95"][0] < s["arr_end"]["mean"] < s["arr_end"]["ci95"][1]
    doc = res.to_json()
    assert doc["scenario"] == "baseline" and doc["reps"] == 4 and doc["seed"] == 5
    assert doc["failed"] == 0 and set(doc["kpis"]["arr_end"]) >= {"mean", "ci95"}
    # replication i is simulate(seed + i)
    one = simorg.simulate(base, seed=7, keep_records=False)
    assert res.values("arr_end")[7] == one.kpis["arr_end"]


def test_comparing_a_scenario_with_itself_gives_exact_zeros(base) -> None:
    cmp = simorg.compare(base, base, reps=5, executor="serial")
    diffs = cmp.diffs
    # NaN where the KPI is not measurable in either arm (e.g. the month cash ran out, when it never did)
    assert len(diffs) > 0 and ((diffs["diff"] == 0.0) | diffs["diff"].isna()).all()
    for kpi, s in cmp.summary().items():
        if s["n"]:
            assert s["diff_mean"] == 0.0, kpi
            assert s["verdict"] == "no detectable difference", kpi
    doc = cmp.to_json()
    assert doc["a"] == doc["b"] == "baseline" and doc["a_label"] != doc["b_label"]


def test_common_random_numbers_at_least_halve_the_ci(base, close_variant) -> None:
    cmp = simorg.compare(base, close_variant, reps=12, executor="serial")
    lo, hi = cmp.summary(["arr_end"])["arr_end"]["diff_ci95"]
    paired_hw = (hi - lo) / 2
    unpaired_hw = cmp.unpaired_halfwidth("arr_end")
    assert paired_hw > 0
    assert paired_hw <= 0.5 * unpaired_hw, (paired_hw, unpaired_hw)


def test_compare_json_contract(base, close_variant) -> None:
    multi = simorg.compare_many([base, close_variant, close_variant], reps=3, executor="serial")
    doc = json.loads(json.dumps(multi.to_json()))
    assert doc["a"] == "baseline" and doc["b"] == "baseline" and doc["reps"] == 3 and doc["seed"] == 1
    k = doc["kpis"]["new_logos"]
    assert set(k) >= {"a_mean", "b_mean", "diff_mean", "diff_ci95", "p_value", "verdict"}
    assert [c["b_label"] for c in doc["comparisons"]] == ["baseline-2", "baseline-3"]
    assert doc["kind"] == "compare" and doc["failed"] == 0


def test_failed_replications_are_recorded_and_the_rest_go_on(mini, tmp_path: Path) -> None:
    res = simorg.replicate(mini, reps=8, seed=1, executor="serial", simulate_fn=failing_simulate,
                           out=tmp_path / "o")
    assert res.failed == 2  # seeds 4 and 8
    assert set(res.errors) == {4, 8} and "boom at seed 4" in res.errors[4]
    assert res.summary()["arr_end"]["n"] == 6
    doc = json.loads((tmp_path / "o" / "result.json").read_text())
    assert doc["failed"] == 2 and "4" in doc["errors"]
    assert json.loads((tmp_path / "o" / "reps" / arm_folder("mini") / "4.json").read_text())["error"]


def test_reps_auto_reaches_precision_or_says_cap(mini) -> None:
    res = simorg.replicate(mini, reps="auto", precision=0.05, executor="serial", simulate_fn=fake_simulate)
    assert res.auto["met"] and res.reps == res.auto["reps"] >= 20
    for kpi in ("arr_end", "new_logos", "nrr", "gtm_cost"):
        s = res.summary()[kpi]
        assert (s["ci95"][1] - s["ci95"][0]) / 2 <= 0.05 * abs(s["mean"])
    capped = simorg.replicate(mini, reps="auto", precision=0.001, max_reps=30, executor="serial",
                              simulate_fn=fake_simulate)
    assert not capped.auto["met"] and capped.reps == 30 and "cap of 30" in capped.auto["reason"]


def test_compare_auto_uses_paired_precision(mini) -> None:
    other = mini.model_copy(update={"teams": mini.teams.model_copy(
        update={"ae": mini.teams.ae.model_copy(update={"headcount": 5})})})
    cmp = simorg.compare(mini, other, reps="auto", precision=0.05, executor="serial",
                         simulate_fn=fake_simulate)
    assert cmp.auto["met"] and any(k.endswith(":arr_end") for k in cmp.auto["relative_halfwidth"])


def test_bad_reps_are_rejected(mini) -> None:
    with pytest.raises(ExperimentError):
        simorg.replicate(mini, reps=0, executor="serial", simulate_fn=fake_simulate)
    with pytest.raises(ExperimentError):
        simorg.replicate(mini, reps="many", executor="serial", simulate_fn=fake_simulate)


def test_out_dir_files_and_resume(mini, tmp_path: Path) -> None:
    out = tmp_path / "run"
    full = simorg.replicate(mini, reps=6, executor="serial", simulate_fn=fake_simulate, out=out)
    for name in ("result.json", "kpis.csv", "monthly.csv", "distributions.csv", "scenario_mini.yaml",
                 "manifest.json"):
        assert (out / name).exists(), name
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == KPI_COLUMNS and len(kpis) == len(full.kpis)
    with pytest.raises(StoreError, match="already holds results"):
        simorg.replicate(mini, reps=6, executor="serial", simulate_fn=fake_simulate, out=out)
    # lose half of the store, as if killed; resume recomputes only what is missing
    for seed in (2, 5):
        (out / "reps" / arm_folder("mini") / f"{seed}.json").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "reps" / arm_folder("mini")).glob("*.json")}
    again = simorg.replicate(mini, reps=6, executor="serial", simulate_fn=fake_simulate, out=out, resume=True)
    pd.testing.assert_frame_equal(again.kpis, full.kpis)
    pd.testing.assert_frame_equal(again.monthly, full.monthly)
    for name, mtime in kept.items():
        assert (out / "reps" / arm_folder("mini") / name).stat().st_mtime_ns == mtime
    # resuming into results of a different scenario is refused
    other = mini.model_copy(update={"horizon_months": 6})
    with pytest.raises(StoreError, match="different scenario"):
        simorg.replicate(other, reps=6, executor="serial", simulate_fn=fake_simulate, out=out, resume=True)


def test_values_are_json_exact_after_a_round_trip(mini, tmp_path: Path) -> None:
    a = simorg.replicate(mini, reps=3, executor="serial", simulate_fn=fake_simulate, out=tmp_path / "x")
    b = simorg.replicate(mini, reps=3, executor="serial", simulate_fn=fake_simulate, out=tmp_path / "x",
                         resume=True)
    assert np.array_equal(a.kpis["value"].to_numpy(), b.kpis["value"].to_numpy())
