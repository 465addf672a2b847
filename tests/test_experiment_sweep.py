"""Sweeps: designs, experiment files, tidy output, tornado data, resume after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import simorg
from simorg.experiment.api import ExperimentError
from simorg.experiment.sweep import Experiment, design, load_experiment
from simorg.experiment.validate import validate_file
from tests.conftest import ROOT, fake_simulate


def write_exp(tmp_path: Path, base: Path, name: str = "exp", **fields) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"base": str(base), **fields}, sort_keys=False))
    return path


def test_grid_is_the_cartesian_product() -> None:
    exp = Experiment(base="x", vary={"a": [1, 2, 3], "b": ["u", "v"]})
    pts = design(exp)
    assert len(pts) == 6 and pts[0].params == {"a": 1, "b": "u"} and pts[1].params == {"a": 1, "b": "v"}
    assert [p.label for p in pts[:2]] == ["p000", "p001"]


def test_latin_hypercube_is_seeded_stratified_and_typed() -> None:
    exp = Experiment(base="x", mode="lhs", samples=10, seed=4,
                     vary={"x": {"low": 0.0, "high": 1.0}, "n": {"low": 1, "high": 10}, "c": ["a", "b"]})
    pts = design(exp)
    again = design(exp)
    assert [p.params for p in pts] == [p.params for p in again]
    xs = np.array([p.params["x"] for p in pts])
    assert sorted(np.floor(xs * 10).astype(int)) == list(range(10))  # one sample per stratum
    ns = [p.params["n"] for p in pts]
    assert all(isinstance(n, int) and 1 <= n <= 10 for n in ns) and sorted(ns) == list(range(1, 11))
    assert {p.params["c"] for p in pts} == {"a", "b"}
    other = Experiment(base="x", mode="lhs", samples=10, seed=5, vary=exp.vary)
    assert [p.params for p in design(other)] != [p.params for p in pts]


def test_one_at_a_time_points() -> None:
    exp = Experiment(base="x", mode="oat", vary={"a": [1, 9], "b": {"low": 0.5, "high": 2.5}})
    pts = design(exp)
    assert [p.params for p in pts] == [{}, {"a": 1}, {"a": 9}, {"b": 0.5}, {"b": 2.5}]
    assert pts[0].role == "base"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"vary": {"a": [1]}, "colour": "red"}, "colour"),
        ({"vary": {"a": {"low": 1, "high": 2}}}, "mode grid needs value lists"),
        ({"vary": {"a": {"low": 1, "high": 2}}, "mode": "lhs"}, "samples"),
        ({"vary": {"a": {"low": 3, "high": 2}}, "mode": "lhs", "samples": 3}, "below low"),
        ({"vary": {}}, "vary"),
        ({"vary": {"a": [1]}, "mode": "oat"}, "at least two"),
    ],
)
def test_bad_experiment_files_name_the_problem(tmp_path: Path, mini_path: Path, fields, message) -> None:
    path = write_exp(tmp_path, mini_path, **fields)
    with pytest.raises(ExperimentError, match=message):
        load_experiment(path)


def test_unknown_parameter_fails_before_running(tmp_path: Path, mini_path: Path) -> None:
    path = write_exp(tmp_path, mini_path, vary={"teams.ae.headcuont": [1, 2]}, reps=2)
    with pytest.raises((ExperimentError, simorg.ScenarioError)):
        simorg.sweep(path, executor="serial", simulate_fn=fake_simulate)


def test_sweep_writes_one_tidy_row_per_point_and_replication(tmp_path: Path, mini_path: Path) -> None:
    path = write_exp(tmp_path, mini_path, vary={"teams.ae.headcount": [2, 4, 8]},
                     kpis=["arr_end", "new_logos"], reps=3, seed=2)
    out = tmp_path / "out"
    res = simorg.sweep(path, executor="serial", simulate_fn=fake_simulate, out=out)
    table = pd.read_csv(out / "points.csv")
    assert list(table.columns) == ["point", "teams.ae.headcount", "rep", "seed", "arr_end", "new_logos"]
    assert len(table) == 9 and table.groupby("point").size().tolist() == [3, 3, 3]
    assert sorted(table["seed"].unique()) == [2, 3, 4]  # common seeds at every point
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns)[:2] == ["point", "teams.ae.headcount"]
    assert {"scenario", "rep", "seed", "kpi", "value"} <= set(kpis.columns)
    assert (kpis["scenario"] == "mini").all()
    monthly = pd.read_csv(out / "monthly.csv")
    assert {"point", "month", "metric"} <= set(monthly.columns)
    doc = res.to_json()
    assert doc["kind"] == "sweep" and len(doc["points"]) == 3 and doc["failed"] == 0
    means = [p["kpis"]["arr_end"]["mean"] for p in doc["points"]]
    assert means == sorted(means)  # the fake model grows with AEs


def test_tornado_ranks_parameters_by_swing(tmp_path: Path, mini_path: Path) -> None:
    path = write_exp(tmp_path, mini_path, mode="oat", target="arr_end", reps=4,
                     vary={"teams.sdr.headcount": [1, 3], "teams.ae.headcount": [2, 10]})
    res = simorg.sweep(path, executor="serial", simulate_fn=fake_simulate)
    tor = res.tornado()
    assert [t["parameter"] for t in tor] == ["teams.ae.headcount", "teams.sdr.headcount"]
    assert (tor[0]["low"], tor[0]["high"], tor[0]["base"]) == (2, 10, 4)
    assert tor[0]["swing"] == pytest.approx(tor[0]["high_value"] - tor[0]["low_value"])
    assert tor[0]["swing"] > 0 and tor[1]["swing"] == 0.0  # the fake model ignores SDRs
    assert tor[0]["low_diff_ci95"][1] < 0 < tor[0]["high_diff_ci95"][0]
    rows = res.to_json()["tornado"]
    assert rows[0]["parameter"] == "teams.ae.headcount" and rows[0]["kpi"] == "arr_end"


def test_every_experiment_file_validates() -> None:
    files = sorted((ROOT / "experiments").glob("*.yaml"))
    assert {f.name for f in files} >= {"renewal_ownership.yaml", "ae_headcount.yaml", "credit_window.yaml"}
    for f in files:
        errors, _ = validate_file(f)
        assert errors is None, f"{f.name}: {errors}"


def test_every_experiment_file_runs(tmp_path: Path) -> None:
    """Each experiment's first point and last point run one short replication."""
    for f in sorted((ROOT / "experiments").glob("*.yaml")):
        exp = load_experiment(f)
        pts = design(exp)
        exp.vary = {k: [pts[0].params.get(k, pts[-1].params.get(k))] for k in exp.vary} \
            if exp.mode == "grid" else exp.vary
        res = simorg.sweep(f, experiment=exp, reps=1, overrides={"horizon_months": 3},
                           executor="serial")
        assert res.failed == 0, f.name


def _sweep_cmd(exp: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "simorg", "sweep", str(exp), "--out", str(out), "--workers", "1",
            "--set", "horizon_months=6", "-q", *extra]


def test_resume_after_a_kill_mid_sweep_completes_with_the_same_rows(tmp_path: Path) -> None:
    exp = write_exp(tmp_path, ROOT / "scenarios" / "baseline.yaml",
                    vary={"teams.ae.headcount": [4, 8], "org.credit_window_months": [0, 6]},
                    kpis=["arr_end", "new_logos"], reps=12)
    total = 4 * 12
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_sweep_cmd(exp, killed), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    stored: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        stored = list(killed.glob("reps/*/*.json"))
        if len(stored) >= 6:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = list(killed.glob("reps/*/*.json"))
    assert 0 < len(stored) < total, f"kill landed at {len(stored)} of {total} stored replications"
    assert not (killed / "result.json").exists()
    before = {p: p.stat().st_mtime_ns for p in stored}

    refused = subprocess.run(_sweep_cmd(exp, killed), env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume" in refused.stderr

    done = subprocess.run(_sweep_cmd(exp, killed, "--resume"), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(list(killed.glob("reps/*/*.json"))) == total
    assert all(p.stat().st_mtime_ns == m for p, m in before.items())  # nothing recomputed

    clean = tmp_path / "clean"
    full = subprocess.run(_sweep_cmd(exp, clean), env=env, capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    for name in ("kpis.csv", "points.csv", "monthly.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(killed / name), pd.read_csv(clean / name))
