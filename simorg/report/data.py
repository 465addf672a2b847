"""Read a results directory (what ``--out DIR`` writes) into one object.

The layout is fixed by the experiments layer: ``result.json``, ``kpis.csv``,
``monthly.csv``, ``distributions.csv`` and ``scenario_<name>.yaml`` (Parquet twins of the
CSVs are used when pandas can read them and the CSV is missing). Nothing here simulates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..experiment.stats import t_interval


class ReportError(Exception):
    """A results directory that cannot be turned into a report, with the reason."""


@dataclass
class Results:
    """Everything a report needs from one results directory."""

    out_dir: Path
    result: dict[str, Any]
    kpis: pd.DataFrame
    monthly: pd.DataFrame
    distributions: pd.DataFrame
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``run``, ``compare`` or ``sweep``."""
        return str(self.result.get("kind", "run"))

    @property
    def reps(self) -> int:
        """Replications per scenario (or per sweep point)."""
        reps = self.result.get("reps")
        if isinstance(reps, int | float) and not isinstance(reps, bool) and np.isfinite(reps):
            return int(reps)
        if not self.kpis.empty and "rep" in self.kpis:
            return int(self.kpis["rep"].nunique())
        return 0

    def arms(self) -> list[str]:
        """Scenario names in the order the result names them (first = reference arm)."""
        r = self.result
        if self.kind == "compare":
            if "comparisons" in r and r["comparisons"]:
                names = [r["comparisons"][0]["a"]] + [c["b"] for c in r["comparisons"]]
            else:
                names = [r["a"], r["b"]]
            return list(dict.fromkeys(names))
        if self.kind == "sweep":
            return [str(r.get("base", ""))]
        if "scenario" in r:
            return [str(r["scenario"])]
        return sorted(self.monthly["scenario"].unique()) if not self.monthly.empty else []

    def comparisons(self) -> list[dict[str, Any]]:
        """Each pairwise comparison object (one for two arms, one per arm vs the first for more)."""
        r = self.result
        if self.kind != "compare":
            return []
        if r.get("comparisons"):
            return list(r["comparisons"])
        return [{k: r[k] for k in ("a", "b", "kpis") if k in r}]

    def monthly_wide(self, metric: str, scenario: str | None = None,
                     point: int | None = None) -> pd.DataFrame:
        """One metric as a table: index month, one column per replication."""
        m = self.monthly
        sel = m["metric"] == metric
        if scenario is not None and "scenario" in m:
            sel &= m["scenario"] == scenario
        if point is not None and "point" in m:
            sel &= m["point"] == point
        sub = m.loc[sel]
        if sub.empty:
            return pd.DataFrame()
        return sub.pivot_table(index="month", columns="rep", values="value", aggfunc="sum").sort_index()

    def has_metric(self, metric: str, scenario: str | None = None) -> bool:
        """Whether ``monthly.csv`` holds ``metric`` (for ``scenario``)."""
        m = self.monthly
        if m.empty:
            return False
        sel = m["metric"] == metric
        if scenario is not None:
            sel &= m["scenario"] == scenario
        return bool(sel.any())

    def metrics_with_prefix(self, prefix: str) -> list[str]:
        """Monthly metric names starting with ``prefix``, in first-seen order."""
        if self.monthly.empty:
            return []
        names = self.monthly["metric"].drop_duplicates()
        return [n for n in names if n.startswith(prefix)]

    def kpi_values(self, kpi: str, scenario: str | None = None) -> np.ndarray:
        """Per-replication values of one KPI (NaNs dropped)."""
        k = self.kpis
        if k.empty:
            return np.array([])
        sel = k["kpi"] == kpi
        if scenario is not None and "scenario" in k:
            sel &= k["scenario"] == scenario
        return k.loc[sel, "value"].dropna().to_numpy(dtype=float)

    def run_kpis(self, scenario: str | None = None) -> dict[str, dict[str, Any]]:
        """KPI summary ``{kpi: {mean, ci95}}``: from result.json for a run, else from kpis.csv."""
        if self.kind == "run" and self.result.get("kpis"):
            return dict(self.result["kpis"])
        out: dict[str, dict[str, Any]] = {}
        k = self.kpis
        if k.empty:
            return out
        if scenario is not None:
            k = k[k["scenario"] == scenario]
        for name, g in k.groupby("kpi", sort=False):
            out[str(name)] = mean_ci(g["value"].dropna().to_numpy(dtype=float))
        return out


def mean_ci(values: np.ndarray) -> dict[str, Any]:
    """Mean and the 95% t interval of the mean (the package's one interval,
    :func:`simorg.experiment.stats.t_interval`); NaN where it cannot be computed."""
    mean, lo, hi = t_interval(values)
    return {"mean": mean, "ci95": [lo, hi]}


def _read_table(out_dir: Path, stem: str, required: tuple[str, ...]) -> pd.DataFrame:
    csv, parquet = out_dir / f"{stem}.csv", out_dir / f"{stem}.parquet"
    if csv.exists():
        df = pd.read_csv(csv)
    elif parquet.exists():
        try:
            df = pd.read_parquet(parquet)
        except (ImportError, ValueError) as exc:  # pyarrow missing
            raise ReportError(f"{parquet}: cannot read ({exc}); write {stem}.csv instead") from None
    else:
        return pd.DataFrame(columns=list(required))
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ReportError(f"{csv.name}: missing column(s) {missing}; found {list(df.columns)}")
    return df


def load_results(out_dir: Path | str) -> Results:
    """Read ``out_dir``; raises :class:`ReportError` with a clear reason when it cannot."""
    out_dir = Path(out_dir)
    rj = out_dir / "result.json"
    if not rj.exists():
        raise ReportError(f"{out_dir}: no result.json (is this a simorg --out directory?)")
    try:
        result = json.loads(rj.read_text())
    except json.JSONDecodeError as exc:
        raise ReportError(f"{rj}: not valid JSON ({exc})") from None
    kpis = _read_table(out_dir, "kpis", ("scenario", "rep", "kpi", "value"))
    monthly = _read_table(out_dir, "monthly", ("scenario", "rep", "month", "metric", "value"))
    dists = _read_table(out_dir, "distributions", ("scenario", "rep", "metric", "value"))
    scenarios: dict[str, dict[str, Any]] = {}
    for p in sorted(out_dir.glob("scenario_*.yaml")):
        try:
            doc = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError:
            continue
        if isinstance(doc, dict):
            scenarios[p.stem.removeprefix("scenario_")] = doc
    return Results(out_dir, result, kpis, monthly, dists, scenarios)
