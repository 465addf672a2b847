"""Result objects: many replications of one scenario, and paired comparisons of two.

Both hold rep records (see runner.py) ordered by seed and turn them into tidy pandas
DataFrames (one row per replication / month / metric) and into the JSON contract of
DESIGN.md. Replication ``i`` (``rep`` column) ran with seed ``seed + i``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from .directions import describe, kpi_order
from .runner import RepRecord
from .stats import add_q_values, paired, summarize, unpaired_halfwidth, verdict

KPI_COLUMNS = ["scenario", "rep", "seed", "kpi", "value"]
MONTHLY_COLUMNS = ["scenario", "rep", "month", "metric", "value"]
DIST_COLUMNS = ["scenario", "rep", "metric", "value"]


@dataclass
class ReplicationResult:
    """Replications of one scenario.

    ``label`` names the arm (the scenario name, made unique when one comparison holds two
    scenarios with the same name); ``records`` are ordered by seed.
    """

    scenario: str
    seed: int
    records: list[RepRecord]
    label: str = ""
    auto: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.label = self.label or self.scenario
        self.records = sorted(self.records, key=lambda r: r["seed"])

    # ------------------------------------------------------------------ bookkeeping
    @property
    def reps(self) -> int:
        """Replications run (including failed ones)."""
        return len(self.records)

    @property
    def ok_records(self) -> list[RepRecord]:
        return [r for r in self.records if r.get("error") is None]

    @property
    def failed(self) -> int:
        """How many replications raised."""
        return sum(1 for r in self.records if r.get("error") is not None)

    @property
    def errors(self) -> dict[int, str]:
        """Error message by seed for the replications that raised."""
        return {r["seed"]: r["error"] for r in self.records if r.get("error") is not None}

    def _rep(self, rec: RepRecord) -> int:
        return int(rec["seed"]) - self.seed

    # ------------------------------------------------------------------ tidy frames
    @property
    def kpis(self) -> pd.DataFrame:
        """Tidy KPIs: ``scenario, rep, seed, kpi, value`` (successful replications only)."""
        rows = [(self.label, self._rep(r), r["seed"], k, v)
                for r in self.ok_records for k, v in r["kpis"].items()]
        return pd.DataFrame(rows, columns=KPI_COLUMNS)

    @property
    def monthly(self) -> pd.DataFrame:
        """Tidy monthly series: ``scenario, rep, month, metric, value`` (month 1 = first)."""
        rows = [(self.label, self._rep(r), i + 1, m, v)
                for r in self.ok_records for m, vals in r["monthly"].items()
                for i, v in enumerate(vals)]
        return pd.DataFrame(rows, columns=MONTHLY_COLUMNS)

    @property
    def distributions(self) -> pd.DataFrame:
        """Tidy per-person (or per-item) distributions: ``scenario, rep, metric, value``."""
        rows = [(self.label, self._rep(r), m, v)
                for r in self.ok_records for m, vals in r["distributions"].items() for v in vals]
        return pd.DataFrame(rows, columns=DIST_COLUMNS)

    def kpi_names(self) -> list[str]:
        names: set[str] = set()
        for r in self.ok_records:
            names.update(r["kpis"])
        return kpi_order(names)

    def values(self, kpi: str) -> dict[int, float]:
        """``seed -> value`` of one KPI over successful replications."""
        return {r["seed"]: r["kpis"].get(kpi, math.nan) for r in self.ok_records}

    # ------------------------------------------------------------------ summaries
    def summary(self, kpis: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """``{kpi: {"mean", "ci95": [lo, hi], "sd", "n"}}`` with 95% t intervals."""
        return {k: summarize(list(self.values(k).values())) for k in (kpis or self.kpi_names())}

    def to_json(self) -> dict[str, Any]:
        """The ``simorg run --json`` document (DESIGN.md contract plus kind/failed)."""
        doc: dict[str, Any] = {
            "kind": "run", "scenario": self.scenario, "reps": self.reps, "seed": self.seed,
            "failed": self.failed, "kpis": self.summary(),
        }
        if self.auto:
            doc["auto"] = self.auto
        if self.failed:
            doc["errors"] = {str(s): e.splitlines()[0] for s, e in self.errors.items()}
        return doc


@dataclass
class ComparisonResult:
    """Arm ``b`` against arm ``a``, paired replication by replication (same seeds)."""

    a: ReplicationResult
    b: ReplicationResult
    auto: dict[str, Any] | None = None

    @property
    def seeds(self) -> list[int]:
        """Seeds where both arms succeeded (the pairs)."""
        ok_b = {r["seed"] for r in self.b.ok_records}
        return [r["seed"] for r in self.a.ok_records if r["seed"] in ok_b]

    def kpi_names(self) -> list[str]:
        return kpi_order(set(self.a.kpi_names()) & set(self.b.kpi_names()))

    def pair(self, kpi: str) -> tuple[np.ndarray, np.ndarray]:
        """Aligned arrays (a, b) of one KPI over the paired seeds."""
        va, vb = self.a.values(kpi), self.b.values(kpi)
        seeds = self.seeds
        return (np.array([va[s] for s in seeds], dtype=float),
                np.array([vb[s] for s in seeds], dtype=float))

    @property
    def diffs(self) -> pd.DataFrame:
        """Tidy paired differences: ``a, b, rep, seed, kpi, a_value, b_value, diff``."""
        rows = []
        for k in self.kpi_names():
            av, bv = self.pair(k)
            for s, x, y in zip(self.seeds, av, bv, strict=True):
                rows.append((self.a.label, self.b.label, s - self.a.seed, s, k, x, y, y - x))
        return pd.DataFrame(rows, columns=["a", "b", "rep", "seed", "kpi", "a_value", "b_value", "diff"])

    def summary(self, kpis: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Per KPI: arm means, ``diff_mean`` (b - a), ``diff_ci95``, ``p_value``, ``verdict``."""
        out: dict[str, dict[str, Any]] = {}
        for k in kpis or self.kpi_names():
            av, bv = self.pair(k)
            s: dict[str, Any] = dict(paired(av, bv))
            s["verdict"] = verdict(k, s["diff_ci95"])
            s["direction"] = describe(k)
            out[k] = s
        return add_q_values(out)  # verdicts on Benjamini-Hochberg q-values across the KPIs

    def unpaired_halfwidth(self, kpi: str) -> float:
        """What the 95% half-width of the difference would be without pairing (for contrast)."""
        av, bv = self.pair(kpi)
        return unpaired_halfwidth(cast(Sequence[float], av), cast(Sequence[float], bv))

    def to_json(self) -> dict[str, Any]:
        """The ``simorg compare --json`` document for one pair (DESIGN.md contract)."""
        doc: dict[str, Any] = {
            "kind": "compare", "a": self.a.scenario, "b": self.b.scenario,
            "a_label": self.a.label, "b_label": self.b.label,
            "reps": max(self.a.reps, self.b.reps), "seed": self.a.seed,
            "pairs": len(self.seeds), "failed": self.a.failed + self.b.failed,
            "kpis": self.summary(),
        }
        if self.auto:
            doc["auto"] = self.auto
        return doc


@dataclass
class MultiComparison:
    """Several scenarios, each compared with the first (all on the same seeds)."""

    arms: list[ReplicationResult]
    auto: dict[str, Any] | None = None

    @property
    def comparisons(self) -> list[ComparisonResult]:
        return [ComparisonResult(self.arms[0], b, self.auto) for b in self.arms[1:]]

    @property
    def failed(self) -> int:
        return sum(a.failed for a in self.arms)

    def to_json(self) -> dict[str, Any]:
        """Contract document: top-level ``a``/``b``/``kpis`` are the first comparison;
        ``comparisons`` lists every one; ``arms`` summarises each scenario."""
        comps = [c.to_json() for c in self.comparisons]
        first = comps[0]
        doc: dict[str, Any] = {
            "kind": "compare", "a": first["a"], "b": first["b"], "reps": first["reps"],
            "seed": first["seed"], "failed": self.failed, "kpis": first["kpis"],
            "comparisons": [{k: c[k] for k in ("a", "b", "a_label", "b_label", "pairs", "failed", "kpis")}
                            for c in comps],
            "arms": {a.label: {"scenario": a.scenario, "reps": a.reps, "failed": a.failed,
                               "kpis": a.summary()} for a in self.arms},
        }
        if self.auto:
            doc["auto"] = self.auto
        return doc
