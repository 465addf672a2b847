"""Shared fixtures for experiment and CLI tests.

``fake_simulate`` stands in for the model where a test is about the experiment machinery,
not the model (it is cheap, and it can be made to fail on purpose). It mimics common random
numbers: a "market" drawn from the seed alone, plus an effect of the scenario's AE
headcount, plus a little scenario-specific noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class FakeRun:
    scenario: str
    seed: int
    kpis: dict[str, float]
    monthly: dict[str, np.ndarray]
    distributions: dict[str, np.ndarray] = field(default_factory=dict)
    records: Any = None


def fake_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """A pure function of (scenario, seed) shaped like the real ``simulate``."""
    market = np.random.default_rng(seed)  # shared by every scenario: common random numbers
    own = np.random.default_rng([seed, scenario.teams.ae.headcount])
    demand = market.lognormal(0.0, 0.3)
    aes = scenario.teams.ae.headcount
    months = scenario.horizon_months
    arr_end = 1e6 * demand * (1 + 0.02 * aes) + own.normal(0, 5e3)
    new_logos = 40 * demand + 0.5 * aes + own.normal(0, 0.5)
    gtm_cost = 2e5 * months / 12 + 1.2e5 * aes + own.normal(0, 1e3)
    kpis = {
        "arr_end": arr_end, "new_logos": new_logos, "gtm_cost": gtm_cost,
        "nrr": 1.0 + 0.05 * (demand - 1) + own.normal(0, 0.005),
        "cac": gtm_cost / max(new_logos, 1.0), "utilization_ae": min(0.95, 3 / max(aes, 1)),
    }
    monthly = {"arr": np.linspace(0.5, 1.0, months) * arr_end,
               "customers": np.arange(1, months + 1, dtype=float)}
    dist = {"quota_attainment": market.gamma(4.0, 0.25, size=aes)}
    return FakeRun(scenario.name, seed, kpis, monthly, dist)


def failing_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """Like ``fake_simulate`` but raises for seeds divisible by 4."""
    if seed % 4 == 0:
        raise RuntimeError(f"boom at seed {seed}")
    return fake_simulate(scenario, seed, keep_records=keep_records)


def slow_fake_simulate(scenario: Any, seed: int = 0, *, keep_records: bool = True) -> FakeRun:
    """``fake_simulate`` that takes 0.1 s (to kill a sweep half way)."""
    import time

    time.sleep(0.1)
    return fake_simulate(scenario, seed, keep_records=keep_records)


MINI_SCENARIO: dict[str, Any] = {
    "name": "mini",
    "description": "a tiny organization for fast tests",
    "horizon_months": 12,
    "segments": {
        "smb": {"acv": {"lognormal": {"mean": 12000, "sd": 4000}}, "win_rate": 0.25,
                "cycle_days": {"lognormal": {"mean": 30, "sd": 10}}, "onboarding_days": 14},
        "mid": {"acv": {"lognormal": {"mean": 30000, "sd": 10000}}, "win_rate": 0.2,
                "cycle_days": {"lognormal": {"mean": 60, "sd": 20}}, "onboarding_days": 30},
    },
    "marketing": {"channels": {"web": {
        "budget_per_month": 20000, "cost_per_lead": 200, "lag_days": 30,
        "fit": {"beta": {"a": 2, "b": 2}}, "segment_mix": {"smb": 0.6, "mid": 0.4}}}},
    "teams": {
        "marketing": {"headcount": 1, "salary": 90000},
        "sdr": {"headcount": 2, "salary": 60000, "capacity": 5, "work_days": 0.2, "qualify_rate": 0.3},
        "ae": {"headcount": 4, "salary": 120000, "capacity": 15, "quota_per_year": 500000},
        "presales": {"headcount": 1, "salary": 110000, "capacity": 4, "acv_threshold": 25000,
                     "effort_days": 5},
        "implementation": {"headcount": 2, "salary": 95000, "capacity": 3},
        "csm": {"headcount": 1, "salary": 80000, "capacity": 60, "touches_per_month": 60},
    },
    "customers": {"initial": {"count": 20, "segment_mix": {"smb": 0.7, "mid": 0.3}}},
}


@pytest.fixture
def mini_path(tmp_path: Path) -> Path:
    """A valid small scenario file."""
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(MINI_SCENARIO, sort_keys=False))
    return path


@pytest.fixture
def mini(mini_path: Path):
    from simorg.scenario import load

    return load(mini_path)


@pytest.fixture
def no_real_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make in-process code paths (CLI with --workers 1) use ``fake_simulate``."""
    import simorg.experiment.runner as runner

    monkeypatch.setattr(runner, "default_simulate", lambda: fake_simulate)
