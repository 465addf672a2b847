"""Numbers never depend on the executor or the worker count."""

from __future__ import annotations

import pandas as pd
import pytest

import simorg
from simorg.experiment.executors import ExecutorError, make_backend, make_chunks
from tests.conftest import ROOT, failing_simulate

BASELINE = ROOT / "scenarios" / "baseline.yaml"
REPS = 6


@pytest.fixture(scope="module")
def arms():
    a = simorg.load(BASELINE, overrides={"horizon_months": 6})
    b = simorg.load(BASELINE, overrides={"horizon_months": 6, "teams.ae.headcount": 8})
    return a, b


@pytest.fixture(scope="module")
def reference(arms):
    return simorg.compare(*arms, reps=REPS, seed=3, executor="serial")


def _same(x, y) -> None:
    for arm in ("a", "b"):
        for frame in ("kpis", "monthly", "distributions"):
            pd.testing.assert_frame_equal(getattr(getattr(x, arm), frame), getattr(getattr(y, arm), frame))
    assert x.to_json() == y.to_json()


def test_one_and_two_worker_processes_match_serial(arms, reference) -> None:
    one = simorg.compare(*arms, reps=REPS, seed=3, executor="local", workers=1)
    two = simorg.compare(*arms, reps=REPS, seed=3, executor="local", workers=2)
    _same(one, reference)
    _same(two, reference)


def test_dask_matches_serial(arms, reference) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        via_client = simorg.compare(*arms, reps=REPS, seed=3, executor="dask", scheduler=client)
        via_address = simorg.compare(*arms, reps=REPS, seed=3, scheduler=cluster.scheduler_address)
    _same(via_client, reference)
    _same(via_address, reference)


def test_failures_travel_through_worker_processes(mini) -> None:
    res = simorg.replicate(mini, reps=5, executor="local", workers=2, simulate_fn=failing_simulate)
    assert res.failed == 1 and "boom" in res.errors[4]


def test_chunks_cover_every_seed_once() -> None:
    chunks = make_chunks([("a", range(1, 38)), ("b", range(1, 38))], slots=2)
    seen = [(c.arm, s) for c in chunks for s in c.seeds]
    assert sorted(seen) == sorted([(arm, s) for arm in "ab" for s in range(1, 38)])
    assert max(len(c.seeds) for c in chunks) <= 10


def test_unknown_executor_and_bad_workers_are_errors() -> None:
    with pytest.raises(ExecutorError, match="unknown executor"):
        make_backend("threads")
    with pytest.raises(ExecutorError, match="at least 1"):
        make_backend("local", workers=0)
