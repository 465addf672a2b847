"""Exit codes and messages at the edges (README, "Exit codes").

0 done; 1 failed replications (everything saved) or a report that could not be written;
2 bad input; 3 an environment problem. Never a traceback.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import simorg
from simorg.cli import EXIT_ENV, EXIT_FAILED, EXIT_INPUT, main
from simorg.experiment.store import LOCK_NAME
from tests.conftest import MINI_SCENARIO, ROOT, failing_simulate, fake_simulate

BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
FAST = ["--workers", "1", "--set", "horizon_months=6", "-q"]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIMORG_DEBUG", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def failing_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import simorg.experiment.runner as runner

    monkeypatch.setattr(runner, "default_simulate", lambda: failing_simulate)


def clean(result) -> None:
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert "bug in simorg" not in result.stderr


@pytest.fixture
def mini_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(MINI_SCENARIO, sort_keys=False))
    return path


# --------------------------------------------------------------------------- input: 2
def test_negative_seed_is_bad_input(cli) -> None:
    for cmd in (["run", BASELINE, "--reps", "2", *FAST], ["demo", "csm_overload", "--reps", "2"]):
        r = cli(*cmd, "--seed", "-1")
        assert r.exit_code == EXIT_INPUT and "--seed" in r.stderr
        clean(r)


def test_unreadable_files_are_bad_input_for_validate_too(cli, tmp_path: Path) -> None:
    """UTF-16 and very deep nesting said as such by `validate` (not an internal error)."""
    u16 = tmp_path / "u16.yaml"
    u16.write_bytes("name: x\n".encode("utf-16"))
    deep = tmp_path / "deep.yaml"
    deep.write_text("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 60)))
    for path, expect in ((u16, "UTF-16"), (deep, "nested too deeply")):
        r = cli("validate", path)
        assert r.exit_code == EXIT_INPUT and expect in r.stderr
        clean(r)


def _exp(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text.replace("BASE", BASELINE))
    return path


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("base: BASE\nvary:\n  teams.ae.headcount: [2, 4]\nreps: 2\nreps: 3\n",
         ["exp.yaml:5", "duplicate key 'reps'"]),
        ("base: BASE\nvary:\n  teams.ae.headcount: [2, 4]\nkpis: [arr_end, new_logo]\n",
         ["exp.yaml:4", "kpis.1", "unknown KPI 'new_logo'", "did you mean 'new_logos'"]),
        ("base: BASE\nvary:\n  teams.ae.headcount: [2, 4]\ntarget: nrrr\n",
         ["exp.yaml:4", "target", "did you mean 'nrr'"]),
        ("base: BASE\nvary:\n  teams.ae.headcount: [2, 4]\nsampels: 3\n",
         ["exp.yaml:4", "unknown key 'sampels'", "did you mean 'samples'"]),
        ("base: BASE\nmode: lhs\nvary:\n  teams.ae.headcount: {low: 1, hihg: 4}\nsamples: 2\n",
         ["exp.yaml:4", "unknown key 'hihg'", "did you mean 'high'"]),
        ("base: BASE\nvary:\n  teams.ae.headcount: [2, 4]\nseed: -3\n", ["exp.yaml:4", "seed"]),
    ],
)
def test_bad_experiment_files_name_file_line_and_field(cli, tmp_path: Path, text, expect) -> None:
    path = _exp(tmp_path, text)
    for cmd in (["validate", path], ["sweep", path, *FAST]):
        r = cli(*cmd)
        assert r.exit_code == EXIT_INPUT, (cmd, r.stderr)
        clean(r)
        for part in expect:
            assert part in r.stderr, (part, r.stderr)


# --------------------------------------------------------------------------- failures: 1
def test_failed_replications_exit_1_after_saving_everything(cli, tmp_path: Path, failing_model) -> None:
    out = tmp_path / "o"
    r = cli("run", BASELINE, "--reps", "5", "--out", out, *FAST)
    assert r.exit_code == EXIT_FAILED and "1 replication(s) failed" in r.stderr
    clean(r)
    assert json.loads((out / "result.json").read_text())["failed"] == 1
    assert len(list(out.glob("reps/*/*.json"))) == 5 and (out / "kpis.csv").exists()


def test_demo_with_failed_replications_exits_1(cli, failing_model) -> None:
    r = cli("demo", "csm_overload", "--reps", "4", "--workers", "1", "--no-check-off", "-q",
            "--set", "horizon_months=6")
    assert r.exit_code == EXIT_FAILED and "failed" in r.stderr
    clean(r)


def test_a_report_that_cannot_be_written_is_a_non_zero_exit_with_the_reason(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import simorg.experiment.runner as runner
    import simorg.report as report

    def refuse(out_dir):
        raise report.ReportError("the figures cannot be drawn")

    monkeypatch.setattr(runner, "default_simulate", lambda: fake_simulate)
    monkeypatch.setattr(report, "write_report", refuse)
    out = tmp_path / "o"
    r = cli("run", BASELINE, "--reps", "3", "--out", out, *FAST)
    assert r.exit_code != 0 and "could not write the report" in r.stderr
    assert "the figures cannot be drawn" in r.stderr
    clean(r)
    assert json.loads((out / "result.json").read_text())["failed"] == 0, "the results are saved"
    r = cli("report", out)
    assert r.exit_code != 0 and "the figures cannot be drawn" in r.stderr
    clean(r)


# --------------------------------------------------------------------------- environment: 3
def test_an_out_dir_that_cannot_be_written_is_an_environment_problem(cli, tmp_path: Path,
                                                                      no_real_model) -> None:
    r = cli("run", BASELINE, "--reps", "2", "--out", "/dev/null/results", *FAST)
    assert r.exit_code == EXIT_ENV and "/dev/null" in r.stderr
    clean(r)


@pytest.mark.skipif(sys.platform == "win32" or __import__("os").geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_out_dir_is_an_environment_problem(cli, tmp_path: Path, no_real_model) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = cli("run", BASELINE, "--reps", "2", "--out", ro / "x", *FAST)
    finally:
        ro.chmod(0o755)
    assert r.exit_code == EXIT_ENV and "Permission denied" in r.stderr
    clean(r)


def test_a_full_disk_is_an_environment_problem_and_leaves_no_temporary_file(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_real_model) -> None:
    real = Path.write_text

    def full_disk(self: Path, *args, **kwargs):
        if self.name.endswith(".tmp") and "reps" in self.parts:
            raise OSError(28, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    out = tmp_path / "o"
    r = cli("run", BASELINE, "--reps", "2", "--out", out, *FAST)
    assert r.exit_code == EXIT_ENV and "No space left on device" in r.stderr
    clean(r)
    assert not list(out.rglob("*.tmp")) and not (out / LOCK_NAME).exists()


def test_a_folder_in_use_by_another_run_is_refused(cli, tmp_path: Path, no_real_model) -> None:
    out = tmp_path / "o"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        (out / LOCK_NAME).write_text(f"{holder.pid} {socket.gethostname()}\n")
        r = cli("run", BASELINE, "--reps", "2", "--out", out, *FAST)
    finally:
        holder.kill()
        holder.wait()
    assert r.exit_code == EXIT_ENV and "in use by another simorg run" in r.stderr
    clean(r)


def test_a_damaged_result_json_is_an_environment_problem(cli, tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "result.json").write_text('{"kind": "run", "kpis": {')
    r = cli("report", out)
    assert r.exit_code == EXIT_ENV and "result.json is damaged" in r.stderr
    clean(r)
    (out / "result.json").write_text("[1, 2]")
    r = cli("report", out)
    assert r.exit_code == EXIT_ENV and "not a simorg result" in r.stderr


@pytest.mark.parametrize(("address", "expect"), [("not an address", "malformed"),
                                                  ("foo://host:1", "malformed"),
                                                  ("tcp://127.0.0.1:1", "cannot reach")])
def test_bad_dask_scheduler_addresses_are_environment_problems(cli, address, expect) -> None:
    pytest.importorskip("distributed")
    r = cli("run", BASELINE, "--reps", "2", "--scheduler", address, *FAST)
    assert r.exit_code == EXIT_ENV and expect in r.stderr
    clean(r)


def test_a_dask_scheduler_without_workers_is_an_environment_problem(mini, monkeypatch) -> None:
    distributed = pytest.importorskip("distributed")
    import simorg.experiment.executors as executors

    monkeypatch.setattr(executors, "DASK_WORKER_WAIT", 0.5)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster, \
            pytest.raises(executors.ExecutorUnavailable, match="no workers"):
        simorg.replicate(mini, reps=2, scheduler=cluster.scheduler_address, simulate_fn=fake_simulate)


# --------------------------------------------------------------------------- sweep paths
def test_one_path_syntax_for_set_validate_and_sweep(cli, tmp_path: Path, mini_file: Path) -> None:
    doc = {**MINI_SCENARIO, "teams": {**MINI_SCENARIO["teams"],
                                      "ae": {**MINI_SCENARIO["teams"]["ae"],
                                             "plan": [{"month": 3, "headcount": 5}]}}}
    mini_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    indexed = tmp_path / "indexed.yaml"
    indexed.write_text(yaml.safe_dump({"base": str(mini_file), "reps": 2,
                                       "vary": {"teams.ae.plan.0.headcount": [6, 8]}}))
    plans = tmp_path / "plans.yaml"
    plans.write_text(yaml.safe_dump({"base": str(mini_file), "reps": 2, "vary": {
        "teams.ae.plan": [[], [{"month": 3, "headcount": 9}]]}}))
    for exp in (indexed, plans):
        r = cli("validate", exp)
        assert r.exit_code == 0, r.stderr
    r = cli("validate", mini_file, "--set", "teams.ae.plan.0.headcount=6")
    assert r.exit_code == 0, r.stderr
    res = simorg.sweep(indexed, executor="serial", simulate_fn=fake_simulate)
    assert res.base_values == {"teams.ae.plan.0.headcount": 5}
    assert [p.params for p in res.points] == [{"teams.ae.plan.0.headcount": 6},
                                              {"teams.ae.plan.0.headcount": 8}]
    res = simorg.sweep(plans, executor="serial", simulate_fn=fake_simulate)
    assert res.base_values == {"teams.ae.plan": [{"month": 3, "headcount": 5}]}
    doc = json.loads(json.dumps(res.to_json()))
    assert [p["params"]["teams.ae.plan"] for p in doc["points"]] == [[], [{"month": 3, "headcount": 9}]]
    assert res.failed == 0


def test_nan_is_said_to_be_not_a_number(cli) -> None:
    r = cli("validate", BASELINE, "--set", "marketing.channels.web.budget_per_month=nan")
    assert r.exit_code == EXIT_INPUT and "not a number" in r.stderr and "too large" not in r.stderr
    clean(r)
