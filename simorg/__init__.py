"""simorg: discrete-event simulation of a SaaS go-to-market organization.

Test an org design before you hire it::

    import simorg
    sc = simorg.load("scenarios/baseline.yaml", overrides={"teams.ae.headcount": 8})
    run = simorg.simulate(sc, seed=1)           # one replication: run.kpis, run.records
    res = simorg.replicate(sc, reps=200)        # many: res.kpis (tidy DataFrame), res.summary()
    cmp = simorg.compare(sc_a, sc_b, reps=200)  # paired, common random numbers
    swp = simorg.sweep("experiments/ae_headcount.yaml")

Names are imported on first use, so ``import simorg`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "simorg.scenario",
    "Scenario": "simorg.scenario",
    "ScenarioError": "simorg.scenario",
    "simulate": "simorg.experiment.simulate",
    "Run": "simorg.experiment.simulate",
    "replicate": "simorg.experiment.api",
    "compare": "simorg.experiment.api",
    "compare_many": "simorg.experiment.api",
    "sweep": "simorg.experiment.sweep",
    "load_experiment": "simorg.experiment.sweep",
    "ReplicationResult": "simorg.experiment.results",
    "ComparisonResult": "simorg.experiment.results",
    "MultiComparison": "simorg.experiment.results",
    "SweepResult": "simorg.experiment.sweep",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simorg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
