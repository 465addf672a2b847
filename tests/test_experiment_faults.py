"""Trust at the edges: dead workers, interrupted runs, damaged stores, shared output folders.

Each test is about one class of fault and checks the promise for it: a failing replication
is recorded and the rest go on; a replication lost to the environment is run again and
gives the same numbers, byte for byte, as a clean run; stored results are checked before
they are reused; two runs never write into one folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import simorg
from simorg.experiment import StoreError
from simorg.experiment.api import ExperimentError
from simorg.experiment.runner import ENV_ERROR, MODEL_ERROR
from simorg.experiment.store import LOCK_NAME, StoreUnavailable, StoreWarning, arm_folder, locked
from tests.conftest import ROOT, fake_simulate
from tests.fault_helpers import (
    FAULT_SEED,
    dying_once_simulate,
    dying_simulate,
    exiting_simulate,
    short_kpis_simulate,
    simorg_failing_simulate,
    wait_then_simulate,
)

RESULT_FILES = ("result.json", "kpis.csv", "monthly.csv", "distributions.csv")


def _same_files(a: Path, b: Path) -> None:
    for name in RESULT_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture
def fault_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "fault"
    d.mkdir()
    monkeypatch.setenv("SIMORG_FAULT_DIR", str(d))
    return d


# --------------------------------------------------------------------------- dead workers
def test_a_killed_worker_is_replaced_and_the_numbers_are_those_of_a_clean_run(
        mini, tmp_path: Path, fault_dir: Path) -> None:
    clean = tmp_path / "clean"
    simorg.replicate(mini, reps=8, executor="serial", simulate_fn=fake_simulate, out=clean)

    def kill_the_waiting_worker() -> None:
        marker = fault_dir / "worker.pid"
        for _ in range(1200):  # the worker writes its pid when it reaches seed FAULT_SEED
            if marker.exists():
                os.kill(int(marker.read_text()), signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_waiting_worker)
    killer.start()
    faulty = tmp_path / "faulty"
    res = simorg.replicate(mini, reps=8, executor="local", workers=2,
                           simulate_fn=wait_then_simulate, out=faulty)
    killer.join()
    assert (fault_dir / "worker.pid").exists(), "the worker was never killed"
    assert res.failed == 0
    _same_files(clean, faulty)


def test_a_worker_that_keeps_dying_is_an_environment_failure_that_resume_retries(
        mini, tmp_path: Path, fault_dir: Path) -> None:
    clean = tmp_path / "clean"
    simorg.replicate(mini, reps=6, executor="serial", simulate_fn=fake_simulate, out=clean)
    out = tmp_path / "out"
    first = simorg.replicate(mini, reps=6, executor="local", workers=2,
                             simulate_fn=dying_simulate, out=out)
    assert FAULT_SEED in first.errors, "the replication whose worker always dies is recorded"
    stored = json.loads((out / "reps" / arm_folder("mini") / f"{FAULT_SEED}.json").read_text())
    assert stored["error_kind"] == ENV_ERROR and "BrokenProcessPool" in stored["error"]
    assert first.reps == 6 and first.failed < 6, "the other replications went on"
    (fault_dir / "allow").write_text("")  # the environment is healthy again
    again = simorg.replicate(mini, reps=6, executor="local", workers=2,
                             simulate_fn=dying_simulate, out=out, resume=True)
    assert again.failed == 0
    _same_files(clean, out)


def test_a_killed_dask_worker_loses_no_replication(mini, tmp_path: Path, fault_dir: Path) -> None:
    distributed = pytest.importorskip("distributed")
    import logging

    clean = simorg.replicate(mini, reps=8, executor="serial", simulate_fn=fake_simulate)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
        res = simorg.replicate(mini, reps=8, scheduler=cluster.scheduler_address,
                               simulate_fn=dying_once_simulate)
    assert (fault_dir / "died").exists(), "the worker was killed"
    assert res.failed == 0 and res.to_json() == clean.to_json()


def test_model_failures_are_kept_on_resume_with_their_simorg_traceback(mini, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = simorg.replicate(mini, reps=4, executor="serial", simulate_fn=simorg_failing_simulate, out=out)
    assert list(res.errors) == [2]
    err = res.errors[2]
    assert err.startswith("ScenarioError") and "Traceback" in err
    assert "simorg/scenario/loader.py" in err, "the innermost simorg frame is kept"
    stored = json.loads((out / "reps" / arm_folder("mini") / "2.json").read_text())
    assert stored["error_kind"] == MODEL_ERROR
    mtime = (out / "reps" / arm_folder("mini") / "2.json").stat().st_mtime_ns
    again = simorg.replicate(mini, reps=4, executor="serial", simulate_fn=simorg_failing_simulate,
                             out=out, resume=True)
    assert list(again.errors) == [2]
    assert (out / "reps" / arm_folder("mini") / "2.json").stat().st_mtime_ns == mtime


def test_system_exit_inside_a_replication_is_recorded_and_the_run_goes_on(mini) -> None:
    for executor, workers in (("serial", None), ("local", 2)):
        res = simorg.replicate(mini, reps=5, executor=executor, workers=workers,
                               simulate_fn=exiting_simulate)
        assert res.reps == 5 and list(res.errors) == [3], executor
        assert res.errors[3].startswith("SystemExit: 4")


# --------------------------------------------------------------------------- the store
def test_arms_whose_names_sanitise_alike_never_share_a_folder(mini, tmp_path: Path) -> None:
    names = ["base line", "base_line", "x/y", "x_y"]
    arms = [mini.model_copy(update={"name": n, "teams": mini.teams.model_copy(
        update={"ae": mini.teams.ae.model_copy(update={"headcount": 2 + 3 * i})})})
        for i, n in enumerate(names)]
    out = tmp_path / "cmp"
    first = simorg.compare_many(arms, reps=4, executor="serial", simulate_fn=fake_simulate, out=out)
    folders = sorted(p.name for p in (out / "reps").iterdir())
    assert len(folders) == 4 and len({f.split("-")[-1] for f in folders}) == 4
    again = simorg.compare_many(arms, reps=4, executor="serial", simulate_fn=fake_simulate, out=out,
                                resume=True)
    assert again.to_json() == first.to_json()
    means = [a.summary()["arr_end"]["mean"] for a in again.arms]
    assert len(set(means)) == 4, "each arm reads its own records"
    assert len(list(out.glob("scenario_*.yaml"))) == 4, "each arm keeps its scenario file"


def test_damaged_stored_records_are_reported_and_recomputed(mini, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    simorg.replicate(mini, reps=6, executor="serial", simulate_fn=fake_simulate, out=clean)
    out = tmp_path / "out"
    simorg.replicate(mini, reps=6, executor="serial", simulate_fn=fake_simulate, out=out)
    reps = out / "reps" / arm_folder("mini")
    (reps / "1.json").write_text('{"arm": "mini", "se')                 # truncated
    (reps / "2.json").write_text("[1, 2, 3]")                            # wrong shape
    rec = json.loads((reps / "3.json").read_text())
    rec["kpis"].pop("nrr")                                               # would shorten n
    (reps / "3.json").write_text(json.dumps(rec))
    rec = json.loads((reps / "4.json").read_text())
    rec["kpis"]["arr_end"] = "lots"                                      # not a number
    (reps / "4.json").write_text(json.dumps(rec))
    with pytest.warns(StoreWarning) as caught:
        res = simorg.replicate(mini, reps=6, executor="serial", simulate_fn=fake_simulate,
                               out=out, resume=True)
    said = "\n".join(str(w.message) for w in caught)
    for seed, why in ((1, "not valid JSON"), (2, "not a JSON object"), (3, "missing KPIs nrr"),
                      (4, "KPI 'arr_end' is str")):
        assert f"{seed}.json" in said and why in said
    assert res.failed == 0 and res.summary()["nrr"]["n"] == 6
    _same_files(clean, out)


def test_a_record_without_a_kpi_is_not_silently_dropped_from_n(mini, tmp_path: Path) -> None:
    # records written by a model that produced fewer KPIs are consistent with each other: kept
    out = tmp_path / "out"
    simorg.replicate(mini, reps=3, executor="serial", simulate_fn=short_kpis_simulate, out=out)
    res = simorg.replicate(mini, reps=3, executor="serial", simulate_fn=short_kpis_simulate, out=out,
                           resume=True)
    assert "nrr" not in res.summary() and res.summary()["arr_end"]["n"] == 3


def test_resume_without_manifest_or_with_other_overrides_is_refused(mini, tmp_path: Path) -> None:
    out = tmp_path / "out"
    simorg.replicate(mini, reps=3, executor="serial", simulate_fn=fake_simulate, out=out)
    other = mini.model_copy(update={"horizon_months": 6})  # as after another --set
    with pytest.raises(StoreError, match="different scenario"):
        simorg.replicate(other, reps=3, executor="serial", simulate_fn=fake_simulate, out=out, resume=True)
    (out / "manifest.json").unlink()
    with pytest.raises(StoreUnavailable, match="no manifest.json"):
        simorg.replicate(other, reps=3, executor="serial", simulate_fn=fake_simulate, out=out, resume=True)
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(StoreUnavailable, match="damaged"):
        simorg.replicate(mini, reps=3, executor="serial", simulate_fn=fake_simulate, out=out, resume=True)


def test_a_failed_write_leaves_no_temporary_file(mini, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    real = Path.write_text

    def full_disk(self: Path, *args, **kwargs):
        if self.name.endswith(".tmp") and self.parent.name.startswith("mini-"):
            real(self, "partial")
            raise OSError(28, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError, match="No space left"):
        simorg.replicate(mini, reps=3, executor="serial", simulate_fn=fake_simulate, out=out)
    assert not list(out.rglob("*.tmp"))
    assert not (out / LOCK_NAME).exists(), "the lock is released on the way out"


# --------------------------------------------------------------------------- the lock
def test_a_second_run_into_the_same_folder_is_refused(mini, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        import socket
        (out / LOCK_NAME).write_text(f"{holder.pid} {socket.gethostname()}\n")
        with pytest.raises(StoreUnavailable, match=f"in use by another simorg run \\(process {holder.pid}"):
            simorg.replicate(mini, reps=2, executor="serial", simulate_fn=fake_simulate, out=out)
        assert not (out / "reps").exists(), "nothing written"
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is stale and taken over, with a warning
    with pytest.warns(StoreWarning, match="stale lock"):
        res = simorg.replicate(mini, reps=2, executor="serial", simulate_fn=fake_simulate, out=out)
    assert res.failed == 0 and not (out / LOCK_NAME).exists()


def test_the_lock_is_reentrant_within_one_run(tmp_path: Path) -> None:
    with locked(tmp_path / "o"), locked(tmp_path / "o"):
        assert (tmp_path / "o" / LOCK_NAME).exists()
    assert not (tmp_path / "o" / LOCK_NAME).exists()


def test_negative_seed_is_refused(mini) -> None:
    with pytest.raises(ExperimentError, match="--seed must be 0 or more"):
        simorg.replicate(mini, reps=2, seed=-1, executor="serial", simulate_fn=fake_simulate)


# --------------------------------------------------------------------------- signals
def _children(pid: int) -> list[int]:
    psutil = pytest.importorskip("psutil")
    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _long_run(out: Path, pipe: int) -> subprocess.Popen:
    """`simorg run` of 400 short baseline replications on 2 workers, into ``out``."""
    cmd = [sys.executable, "-m", "simorg", "run", str(ROOT / "scenarios" / "baseline.yaml"),
           "--set", "horizon_months=6", "--reps", "400", "--workers", "2", "-q", "--out", str(out)]
    return subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=pipe, stderr=pipe, text=True)


def test_sigterm_ends_the_workers_and_keeps_what_finished(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    proc = _long_run(out, subprocess.PIPE)
    children: set[int] = set()
    for _ in range(3000):  # until a few replications are stored (or the run ends)
        children.update(_children(proc.pid))
        if proc.poll() is not None or len(list(out.glob("reps/*/*.json"))) >= 4:
            break
        time.sleep(0.05)
    children.update(_children(proc.pid))
    assert proc.poll() is None, "the run ended before it could be stopped"
    assert children, "the run has worker processes"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "terminated" in err and "--resume" in err and "Traceback" not in err
    alive = [p for p in children if psutil.pid_exists(p)
             and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    if alive:  # give the system a moment to reap them
        _, still = psutil.wait_procs([psutil.Process(p) for p in alive], timeout=10)
        alive = [p.pid for p in still]
    assert not alive, f"orphan workers left: {alive}"
    assert not (out / LOCK_NAME).exists()
    for path in out.glob("reps/*/*.json"):
        assert json.loads(path.read_text())["error"] is None


def test_workers_of_a_parent_killed_with_sigkill_end_too(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the pool workers notice their parent is gone and end."""
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    proc = _long_run(out, subprocess.DEVNULL)
    workers: set[int] = set()
    for _ in range(3000):  # until the pool computes (a replication is stored)
        workers.update(_children(proc.pid))
        if proc.poll() is not None or len(list(out.glob("reps/*/*.json"))) >= 2:
            break
        time.sleep(0.05)
    workers.update(_children(proc.pid))
    assert proc.poll() is None and workers, "the run must be computing in worker processes"
    proc.kill()
    proc.wait(timeout=30)
    procs = [psutil.Process(p) for p in workers if psutil.pid_exists(p)]
    _, still = psutil.wait_procs(procs, timeout=15)
    alive = [p.pid for p in still if p.status() != psutil.STATUS_ZOMBIE]
    for pid in alive:  # do not leave them behind if the test fails
        psutil.Process(pid).kill()
    assert not alive, f"workers outlived their killed parent: {alive}"
