"""Shared test helpers: build scenarios from the baseline with nested overrides."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from simorg.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def deep_update(doc: dict, changes: dict) -> dict:
    """Recursively merge ``changes`` into a copy of ``doc`` (mappings merge, the rest replaces)."""
    out = copy.deepcopy(doc)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def baseline_doc() -> dict[str, Any]:
    return yaml.safe_load(BASELINE.read_text())


def scenario(changes: dict | None = None) -> Scenario:
    """The baseline with ``changes`` merged in, validated."""
    return Scenario.model_validate(deep_update(baseline_doc(), changes or {}))


def quiet_team(headcount: int, capacity: int = 1, **extra: Any) -> dict[str, Any]:
    """A team with no ramp, attrition, plan or hiring: fixed capacity for analytic tests."""
    return {"headcount": headcount, "plan": [], "ramp_months": 0, "attrition_per_year": 0,
            "capacity": capacity, **extra}


def paired_effect(sc_a: Scenario, sc_b: Scenario, kpi: str, reps: int = 12,
                  seed0: int = 100) -> tuple[float, float, float]:
    """Mean of (b - a) over paired replications (same seeds) and its 95% t-interval."""
    import numpy as np
    from scipy import stats

    from simorg.experiment.simulate import simulate

    diffs = np.array([
        simulate(sc_b, seed=seed0 + i, keep_records=False).kpis[kpi]
        - simulate(sc_a, seed=seed0 + i, keep_records=False).kpis[kpi]
        for i in range(reps)
    ])
    half = stats.t.ppf(0.975, reps - 1) * diffs.std(ddof=1) / np.sqrt(reps)
    return float(diffs.mean()), float(diffs.mean() - half), float(diffs.mean() + half)
