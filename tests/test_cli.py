"""The command line: contracts on stdout, clean errors, output directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simorg.cli import main
from tests.conftest import MINI_SCENARIO, ROOT

BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
FAST = ["--workers", "1", "--set", "horizon_months=6", "-q"]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Traceback" not in result.stderr


def test_run_json_prints_only_the_json_contract(cli, tmp_path: Path) -> None:
    r0 = cli("run", BASELINE, "--reps", "1", "--seed", "0", "--json", *FAST)
    assert json.loads(r0.stdout)["seed"] == 0
    r = cli("run", BASELINE, "--reps", "3", "--seed", "4", "--out", tmp_path / "o", "--json", *FAST)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)  # nothing else on stdout
    assert doc["scenario"] == "baseline" and doc["reps"] == 3 and doc["seed"] == 4
    assert doc["kind"] == "run" and doc["failed"] == 0
    assert set(doc["kpis"]["arr_end"]) >= {"mean", "ci95"} and len(doc["kpis"]["arr_end"]["ci95"]) == 2
    assert "results written to" in r.stderr
    saved = json.loads((tmp_path / "o" / "result.json").read_text())
    assert saved["kpis"]["arr_end"] == doc["kpis"]["arr_end"]


def test_run_prints_a_table_and_writes_to_a_default_folder(cli, tmp_path: Path) -> None:
    r = cli("run", BASELINE, "--reps", "2", *FAST)
    assert r.exit_code == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if line.startswith("KPI"))
    assert "mean" in header and "95% CI" in header
    assert any(line.startswith("arr_end") for line in r.stdout.splitlines())
    folders = list((tmp_path / "out").glob("baseline-*"))
    assert len(folders) == 1 and (folders[0] / "kpis.csv").exists()
    assert str(Path("out") / folders[0].name) in r.stderr


def test_existing_results_are_not_overwritten_without_resume(cli, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert cli("run", BASELINE, "--reps", "2", "--out", out, *FAST).exit_code == 0
    r = cli("run", BASELINE, "--reps", "2", "--out", out, *FAST)
    assert r.exit_code == 2 and "already holds results" in r.stderr and "--resume" in r.stderr
    no_traceback(r)
    r = cli("run", BASELINE, "--reps", "3", "--out", out, "--resume", "--json", *FAST)
    assert r.exit_code == 0 and json.loads(r.stdout)["reps"] == 3


def test_compare_json_contract_and_several_scenarios(cli, tmp_path: Path) -> None:
    variant = tmp_path / "variant.yaml"
    doc = yaml.safe_load(Path(BASELINE).read_text())
    doc["name"] = "more_aes"
    doc["teams"]["ae"]["headcount"] = 8
    variant.write_text(yaml.safe_dump(doc))
    r = cli("compare", BASELINE, variant, variant, "--reps", "3", "--json", "--out", tmp_path / "c", *FAST)
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["a"] == "baseline" and out["b"] == "more_aes" and out["reps"] == 3 and out["seed"] == 1
    k = out["kpis"]["new_logos"]
    assert set(k) >= {"a_mean", "b_mean", "diff_mean", "diff_ci95", "p_value"}
    assert k["diff_mean"] == pytest.approx(k["b_mean"] - k["a_mean"])
    assert len(out["comparisons"]) == 2
    assert out["comparisons"][1]["kpis"]["arr_end"] == out["comparisons"][0]["kpis"]["arr_end"]
    text = cli("compare", BASELINE, variant, "--reps", "3", *FAST)
    assert text.exit_code == 0 and "verdict" in text.stdout and "95% CI of diff" in text.stdout


def test_compare_needs_two_scenarios(cli) -> None:
    r = cli("compare", BASELINE, *FAST)
    assert r.exit_code == 2 and "at least two" in r.stderr


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda d: d["teams"]["ae"].update(headcuont=3), "headcuont"),
        (lambda d: d["teams"]["ae"].update(headcount=-1), "headcount"),
        (lambda d: d["org"].update(renewals="nobody") if "org" in d else d.update(org={"renewals": "nobody"}),
         "renewals"),
    ],
)
def test_bad_scenario_exits_non_zero_without_traceback(cli, tmp_path: Path, change, expect) -> None:
    doc = yaml.safe_load(Path(BASELINE).read_text())
    change(doc)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    for cmd in (["run", bad, "--reps", "2", *FAST], ["validate", bad]):
        r = cli(*cmd)
        assert r.exit_code != 0
        no_traceback(r)
        assert "bad.yaml" in r.stderr and expect in r.stderr


def test_broken_yaml_and_missing_file_are_clean_errors(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nteams: [unclosed\n")
    for path in (broken, tmp_path / "missing.yaml"):
        r = cli("run", path, "--reps", "1", *FAST)
        assert r.exit_code == 2, r.output
        no_traceback(r)
        assert path.name in r.stderr


def test_bad_options_are_clean_errors(cli, tmp_path: Path) -> None:
    r = cli("run", BASELINE, "--reps", "lots", *FAST)
    assert r.exit_code == 2 and "--reps" in r.stderr
    r = cli("run", BASELINE, "--reps", "1", "--set", "no_equals_sign", "-q")
    assert r.exit_code == 2
    no_traceback(r)


def test_validate_says_ok(cli, tmp_path: Path) -> None:
    mini = tmp_path / "mini.yaml"
    mini.write_text(yaml.safe_dump(MINI_SCENARIO))
    r = cli("validate", BASELINE, mini, ROOT / "experiments" / "ae_headcount.yaml")
    assert r.exit_code == 0, r.output
    assert [line.endswith(": ok") for line in r.stdout.splitlines() if ": ok" in line].count(True) == 3


def test_schema_prints_json_schema(cli) -> None:
    r = cli("schema")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert isinstance(doc, dict) and ("properties" in doc or "$defs" in doc)
    assert '"horizon_months"' in r.stdout and '"teams"' in r.stdout


def test_sweep_json(cli, tmp_path: Path) -> None:
    exp = tmp_path / "e.yaml"
    exp.write_text(yaml.safe_dump({"base": BASELINE, "vary": {"teams.ae.headcount": [3, 6]},
                                   "kpis": ["arr_end"], "reps": 2}))
    r = cli("sweep", exp, "--json", "--out", tmp_path / "s", *FAST)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["kind"] == "sweep" and [p["params"]["teams.ae.headcount"] for p in doc["points"]] == [3, 6]
    assert (tmp_path / "s" / "points.csv").exists()


def test_reps_auto_says_how_it_stopped(cli, tmp_path: Path, no_real_model) -> None:
    r = cli("run", BASELINE, "--reps", "auto", "--precision", "0.05", "--max-reps", "40", *FAST)
    assert r.exit_code == 0, r.stderr
    assert "--reps auto:" in r.stdout and ("precision 0.05 reached" in r.stdout or "cap of 40" in r.stdout)


def test_report_needs_results(cli, tmp_path: Path) -> None:
    r = cli("report", tmp_path)
    assert r.exit_code == 2 and "result.json" in r.stderr


def test_unexpected_errors_have_no_traceback(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import simorg.experiment as experiment

    def explode(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(experiment, "replicate", explode)
    monkeypatch.delenv("SIMORG_DEBUG", raising=False)
    r = cli("run", BASELINE, "--reps", "1", *FAST)
    assert r.exit_code == 1 and "kaboom" in r.stderr
    no_traceback(r)


def test_python_dash_m_simorg_keeps_stdout_pure(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "simorg", "run", BASELINE, "--reps", "2", "--json",
                        "--out", str(tmp_path / "o"), "--workers", "1", "--set", "horizon_months=3"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["reps"] == 2


def test_dask_local_cluster_gives_the_same_numbers(cli, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    args = ["run", BASELINE, "--reps", "3", "--json", "--set", "horizon_months=4", "-q"]
    dask = cli(*args, "--executor", "dask", "--workers", "1", "--out", tmp_path / "d")
    serial = cli(*args, "--executor", "serial", "--out", tmp_path / "s")
    assert dask.exit_code == 0 and serial.exit_code == 0, dask.stderr
    assert json.loads(dask.stdout) == json.loads(serial.stdout)
