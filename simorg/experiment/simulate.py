"""One replication: ``simulate(scenario, seed) -> Run``, a pure function with no global state.

This is the unit that executors ship to worker processes or a Dask cluster: it builds a
fresh SimPy world from the scenario, runs it to the horizon, and computes KPIs and monthly
series from the records. Same scenario and seed give identical results in any process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..metrics.kpis import compute_kpis, quota_attainment
from ..metrics.series import monthly_series
from ..model.records import Records
from ..model.world import World
from ..scenario.schema import Scenario


@dataclass
class Run:
    """The result of one replication.

    ``kpis`` maps KPI name -> float (DESIGN.md names); ``monthly`` maps metric name -> array
    with one value per month (index 0 = month 1, the value at or over that month's end);
    ``distributions`` maps a name to per-entity values (``quota_attainment``: one per AE);
    ``records`` holds the raw columnar records the metrics were computed from.
    """

    scenario: str
    seed: int
    kpis: dict[str, float]
    monthly: dict[str, np.ndarray]
    distributions: dict[str, np.ndarray] = field(default_factory=dict)
    records: Records | None = field(repr=False, default=None)


def simulate(scenario: Scenario, seed: int = 0, *, keep_records: bool = True) -> Run:
    """Run one replication of ``scenario`` with random seed ``seed``."""
    world = World(scenario, seed)
    records = world.run()
    series = monthly_series(records, scenario)
    kpis = compute_kpis(records, series, scenario)
    dists = {"quota_attainment": quota_attainment(records, scenario.teams.ae.quota_per_year)}
    return Run(scenario.name, seed, kpis, series, dists, records if keep_records else None)
