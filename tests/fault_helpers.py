"""Stand-ins for the model that fail the way environments fail (for tests/test_experiment_faults.py).

They are module-level so worker processes can import them. They read a directory from the
environment variable ``SIMORG_FAULT_DIR`` (inherited by spawned workers) to coordinate
with the test: a marker file there says the fault has already happened.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import FakeRun, fake_simulate

FAULT_SEED = 5


def _dir() -> Path:
    return Path(os.environ["SIMORG_FAULT_DIR"])


def wait_then_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """``fake_simulate``; the first time seed FAULT_SEED runs, the worker writes its pid to
    ``worker.pid`` and waits (up to 2 minutes) to be killed by the test."""
    marker = _dir() / "worker.pid"
    if seed == FAULT_SEED and not marker.exists():
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, marker)
        for _ in range(1200):
            time.sleep(0.1)
    return fake_simulate(scenario, seed, keep_records=keep_records)


def dying_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """``fake_simulate``, but seed FAULT_SEED kills its own worker until ``allow`` exists."""
    if seed == FAULT_SEED and not (_dir() / "allow").exists():
        os.kill(os.getpid(), signal.SIGKILL)
    return fake_simulate(scenario, seed, keep_records=keep_records)


def exiting_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """``fake_simulate``, but seed 3 calls ``sys.exit`` (as a careless library might)."""
    if seed == 3:
        sys.exit(4)
    return fake_simulate(scenario, seed, keep_records=keep_records)


def simorg_failing_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """Fails inside simorg (the scenario layer refusing a missing file) for seed 2."""
    if seed == 2:
        from simorg.scenario import load

        load("/nonexistent/simorg-fault.yaml")
    return fake_simulate(scenario, seed, keep_records=keep_records)


def short_kpis_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """``fake_simulate`` without the ``nrr`` KPI (a record that would shorten n)."""
    run = fake_simulate(scenario, seed, keep_records=keep_records)
    run.kpis.pop("nrr")
    return run


def dying_once_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """``fake_simulate``; the first time seed FAULT_SEED runs, its worker kills itself."""
    marker = _dir() / "died"
    if seed == FAULT_SEED and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return fake_simulate(scenario, seed, keep_records=keep_records)
