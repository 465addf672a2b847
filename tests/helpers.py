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


def paired_effects(sc_a: Scenario, sc_b: Scenario, reps: int = 12,
                   seed0: int = 100) -> dict[str, tuple[float, float, float]]:
    """For every KPI: mean of (b - a) over paired replications (same seeds) and its 95% t-interval."""
    from simorg.experiment.simulate import simulate
    from simorg.experiment.stats import paired

    runs_a = [simulate(sc_a, seed=seed0 + i, keep_records=False).kpis for i in range(reps)]
    runs_b = [simulate(sc_b, seed=seed0 + i, keep_records=False).kpis for i in range(reps)]
    out = {}
    for kpi in runs_a[0]:
        p = paired([a[kpi] for a in runs_a], [b[kpi] for b in runs_b])
        if p["diff_mean"] is None:  # not measurable in any replication (e.g. a team with no staff)
            out[kpi] = (float("nan"),) * 3
            continue
        lo, hi = p["diff_ci95"] or (None, None)  # no interval from one measurable pair (e.g. cash_out_month)
        out[kpi] = (float(p["diff_mean"]), *(float("nan") if x is None else float(x) for x in (lo, hi)))
    return out


def paired_effect(sc_a: Scenario, sc_b: Scenario, kpi: str, reps: int = 12,
                  seed0: int = 100) -> tuple[float, float, float]:
    """Mean of (b - a) for one KPI over paired replications and its 95% t-interval."""
    return paired_effects(sc_a, sc_b, reps, seed0)[kpi]
