"""Sweeps: run a base scenario at many parameter points, on common seeds.

An experiment file::

    name: ae_headcount                  # default: the file name
    description: ...
    base: ../scenarios/baseline.yaml    # relative to this file
    set: {teams.ae.plan: []}            # overrides applied at every point (optional)
    mode: grid                          # grid | lhs | oat
    vary:
      teams.ae.headcount: [2, 4, 6, 9, 12, 16]      # values (grid, lhs, oat)
      marketing.channels.web.budget_per_month: {low: 20000, high: 60000}  # range (lhs, oat)
    samples: 20                         # lhs: number of points
    kpis: [arr_end, new_logos]          # reported KPIs (all are stored)
    target: arr_end                     # oat: the KPI that ranks parameters
    reps: 20
    seed: 1

Modes:

* ``grid``: every combination of the value lists.
* ``lhs``: ``samples`` points by Latin hypercube (``scipy.stats.qmc``, seeded by ``seed``);
  a range is sampled uniformly (integers when both ends are integers or ``integer: true``),
  a value list is sampled as a category.
* ``oat``: one at a time: the base point, then each parameter alone at each of its values
  (a range means its low and high end) with the others at base. Parameters are ranked by
  the swing of ``target`` between their low and high end (tornado data); effects are
  paired differences from the base point, replication by replication.

Every point runs on the same seeds (``seed .. seed+reps-1``): points differ only by their
parameters, not by their luck.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..metrics.registry import ENTRIES, lookup
from ..scenario.errors import Problem, ScenarioError, describe
from ..scenario.yamlread import Located, read_yaml
from .api import DEFAULT_MAX_REPS, ExperimentError, execute
from .directions import HEADLINE_KPIS
from .outdir import write_outputs
from .results import ReplicationResult
from .runner import SimulateFn
from .stats import paired, summarize


class Range(BaseModel):
    """A continuous (or integer) range of a parameter."""

    model_config = ConfigDict(extra="forbid")
    low: int | float
    high: int | float
    integer: bool | None = Field(default=None, description="sample integers (default: both ends are integers)")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) is below low ({self.low:g})")
        return self

    @property
    def is_int(self) -> bool:
        if self.integer is not None:
            return self.integer
        return isinstance(self.low, int) and isinstance(self.high, int)

    def at(self, u: float) -> float | int:
        """The value at quantile ``u`` in [0, 1) (uniform)."""
        if self.is_int:
            lo, hi = int(round(self.low)), int(round(self.high))
            return int(min(hi, lo + math.floor(u * (hi - lo + 1))))
        return float(self.low + u * (self.high - self.low))

    def ends(self) -> list[float | int]:
        return [int(self.low), int(self.high)] if self.is_int else [self.low, self.high]


class Experiment(BaseModel):
    """An experiment file, validated (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    description: str = ""
    base: str = Field(description="base scenario file, relative to the experiment file")
    set: dict[str, Any] = Field(default_factory=dict, description="overrides at every point")
    mode: Literal["grid", "lhs", "oat"] = "grid"
    vary: dict[str, list[Any] | Range] = Field(min_length=1)
    samples: int | None = Field(default=None, ge=1, le=100000)
    kpis: list[str] = Field(default_factory=list)
    target: str | None = None
    reps: int = Field(default=20, ge=1, le=100000)
    seed: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        for key, spec in self.vary.items():
            if isinstance(spec, list) and not spec:
                raise ValueError(f"vary.{key}: give at least one value")
        if self.mode == "grid":
            ranges = [k for k, v in self.vary.items() if isinstance(v, Range)]
            if ranges:
                raise ValueError(f"mode grid needs value lists; {ranges} are ranges (use mode: lhs)")
        if self.mode == "lhs" and self.samples is None:
            raise ValueError("mode lhs needs 'samples' (number of points)")
        if self.mode == "oat":
            for key, spec in self.vary.items():
                if isinstance(spec, list) and len(spec) < 2:
                    raise ValueError(f"vary.{key}: one-at-a-time needs at least two values")
        return self

    @property
    def target_kpi(self) -> str:
        return self.target or (self.kpis[0] if self.kpis else "arr_end")


@dataclass
class Point:
    """One parameter combination: ``params`` maps dotted keys to values."""

    index: int
    params: dict[str, Any]
    role: str = ""  # oat: "base" or "<param>=<value>"

    @property
    def label(self) -> str:
        return f"p{self.index:03d}"


def known_kpis() -> list[str]:
    """Names an experiment's ``kpis`` and ``target`` may use, for "did you mean": the KPI
    registry's plain entries and its families' patterns (e.g. ``utilization_<role>``).
    Whether a name is known is the registry's :func:`~simorg.metrics.registry.lookup`."""
    return sorted(e.name for e in ENTRIES)


class ExperimentFileError(ExperimentError, ScenarioError):
    """A bad experiment file: located problems (file, line, field, "did you mean"),
    formatted like the scenario layer's errors."""

    def __init__(self, problems: Problem | Sequence[Problem]) -> None:
        ScenarioError.__init__(self, problems)

    def __str__(self) -> str:
        return self.format()


def _located(doc: Located, path: tuple[str | int, ...], message: str, value: bool = True,
             **fields: Any) -> Problem:
    where = doc.where(path, value=value)
    return Problem(message=message, file=where.source if where else None,
                   line=where.line if where else None, column=where.column if where else None,
                   path=".".join(str(p) for p in path), **fields)


def _schema_problem(err: Mapping[str, Any], doc: Located) -> Problem:
    """One pydantic error of an experiment file -> a located Problem."""
    loc = tuple(p for p in err["loc"] if not str(p).startswith(("list[", "Range")))
    # keys of ``vary`` / ``set`` are dotted scenario paths: one part of the path, not many
    path: tuple[str | int, ...] = tuple(loc)
    if err["type"] == "extra_forbidden":
        key = str(path[-1]) if path else ""
        fields = Range.model_fields if len(path) > 1 and path[0] == "vary" else Experiment.model_fields
        close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(fields)}"
        return _located(doc, path, f"unknown key '{key}'; {hint}", value=False,
                        suggestion=close[0] if close else None, found=f"'{key}'")
    if err["type"] == "missing":
        return _located(doc, path, f"missing required key '{path[-1]}'", value=False)
    msg = str(err.get("msg", err["type"])).removeprefix("Value error, ")
    return _located(doc, path, f"{msg} (found {describe(err.get('input'))})"
                    if err["type"] not in ("value_error",) else msg)


def _check_kpis(exp: Experiment, doc: Located) -> list[Problem]:
    known = known_kpis()
    problems = []
    named: list[tuple[tuple[str | int, ...], str]] = [(("kpis", i), k) for i, k in enumerate(exp.kpis)]
    if exp.target is not None:
        named.append((("target",), exp.target))
    for path, name in named:
        if lookup(name) is None:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "see the KPI list in docs/model.md"
            problems.append(_located(doc, path, f"unknown KPI '{name}'; {hint}",
                                     found=f"'{name}'", suggestion=close[0] if close else None))
    return problems


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; errors name the file, line and field (with a
    "did you mean" for a misspelled key or KPI). Duplicate keys are errors."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ExperimentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ExperimentError(f"{path}: not a text file: {exc}") from None
    doc = read_yaml(text, str(path))
    if not isinstance(doc.data, dict):
        raise ExperimentFileError(_located(doc, (), "an experiment file is a mapping (base, vary, ...)",
                                           found=describe(doc.data)))
    try:
        exp = Experiment.model_validate(doc.data)
    except ValidationError as exc:
        problems = sorted((_schema_problem(err, doc) for err in exc.errors()),
                          key=lambda p: (p.line or 0, p.column or 0))
        raise ExperimentFileError(problems) from None
    problems = _check_kpis(exp, doc)
    if problems:
        raise ExperimentFileError(problems)
    if not exp.name:
        exp.name = path.stem
    return exp


def base_path(exp: Experiment, exp_path: str | Path) -> Path:
    """The base scenario's path (relative to the experiment file)."""
    return (Path(exp_path).parent / exp.base).resolve()


def get_path(obj: Any, dotted: str) -> Any:
    """The value at ``a.b.c`` in a scenario (attributes, mapping keys and list indexes), in
    the path syntax of ``--set``: ``teams.ae.plan.0.headcount`` or ``teams.ae.plan[0].headcount``."""
    from ..scenario.overrides import split_key

    try:
        parts = split_key(dotted)
    except ValueError as exc:
        raise KeyError(str(exc)) from None
    for part in parts:
        if isinstance(obj, Mapping):
            obj = obj[part] if part in obj else obj[str(part)]
        elif isinstance(obj, list | tuple):
            if not isinstance(part, int):
                raise KeyError(part)
            obj = obj[part]
        else:
            obj = getattr(obj, str(part))
    return obj


def design(exp: Experiment, base: Any = None) -> list[Point]:
    """The experiment's points (see module docstring); ``base`` is needed for ``oat``."""
    keys = list(exp.vary)
    if exp.mode == "grid":
        combos = itertools.product(*(exp.vary[k] for k in keys))
        return [Point(i, dict(zip(keys, c, strict=True))) for i, c in enumerate(combos)]
    if exp.mode == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(keys), rng=np.random.default_rng(exp.seed)).random(exp.samples)
        points = []
        for i, row in enumerate(u):
            params = {}
            for k, q in zip(keys, row, strict=True):
                spec = exp.vary[k]
                params[k] = spec.at(float(q)) if isinstance(spec, Range) \
                    else spec[min(len(spec) - 1, int(q * len(spec)))]
            points.append(Point(i, params))
        return points
    # oat
    points = [Point(0, {}, "base")]
    for k in keys:
        spec = exp.vary[k]
        for v in spec.ends() if isinstance(spec, Range) else spec:
            points.append(Point(len(points), {k: v}, f"{k}={v}"))
    return points


@dataclass
class SweepResult:
    """All points of a sweep: per point a :class:`ReplicationResult` on the common seeds."""

    experiment: Experiment
    points: list[Point]
    arms: list[ReplicationResult]
    base_values: dict[str, Any] = field(default_factory=dict)
    auto: dict[str, Any] | None = None

    @property
    def failed(self) -> int:
        return sum(a.failed for a in self.arms)

    @property
    def kpi_list(self) -> list[str]:
        """Reported KPIs: the experiment's list, else the headline KPIs."""
        if self.experiment.kpis:
            return list(self.experiment.kpis)
        names = set().union(*(a.kpi_names() for a in self.arms)) if self.arms else set()
        return [k for k in HEADLINE_KPIS if k in names]

    def _params(self, p: Point) -> dict[str, Any]:
        """Every varied parameter's value at ``p`` (base value where oat leaves it alone)."""
        return {k: p.params.get(k, self.base_values.get(k)) for k in self.experiment.vary}

    @property
    def kpis(self) -> pd.DataFrame:
        """Tidy: ``point, <params...>, scenario, rep, seed, kpi, value`` (all KPIs)."""
        frames = []
        for p, arm in zip(self.points, self.arms, strict=True):
            df = arm.kpis
            df["scenario"] = arm.scenario
            for i, (k, v) in enumerate({"point": p.index, **self._params(p)}.items()):
                df.insert(i, k, [v] * len(df))
            frames.append(df)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def table(self) -> pd.DataFrame:
        """One row per point and replication: ``point, <params>, rep, seed, <kpis>``."""
        rows = []
        for p, arm in zip(self.points, self.arms, strict=True):
            params = self._params(p)
            for r in arm.ok_records:
                rows.append({"point": p.index, **params, "rep": r["seed"] - arm.seed,
                             "seed": r["seed"],
                             **{k: r["kpis"].get(k, math.nan) for k in self.kpi_list}})
        cols = ["point", *self.experiment.vary, "rep", "seed", *self.kpi_list]
        return pd.DataFrame(rows, columns=cols)

    def point_summaries(self) -> list[dict[str, Any]]:
        """Per point: index, role, parameters, reps, failed, and ``{kpi: {mean, ci95}}``."""
        out = []
        for p, arm in zip(self.points, self.arms, strict=True):
            out.append({"point": p.index, "role": p.role or None, "params": self._params(p),
                        "reps": arm.reps, "failed": arm.failed,
                        "kpis": {k: summarize(list(arm.values(k).values())) for k in self.kpi_list}})
        return out

    def tornado(self, kpi: str | None = None) -> list[dict[str, Any]]:
        """One-at-a-time sensitivity of ``kpi`` (default: the target): one row per parameter,
        ranked by swing (oat only).

        Row keys: ``kpi``, ``parameter``; the parameter's ``low``, ``high`` and ``base``
        settings; the KPI mean at each (``low_value``, ``high_value``, ``base_value``); the
        paired change from the base point with its 95% CI (``low_diff``, ``low_diff_ci95``,
        ``high_diff``, ``high_diff_ci95``); ``swing`` = high_value - low_value.
        """
        if self.experiment.mode != "oat" or not self.arms:
            return []
        kpi = kpi or self.experiment.target_kpi
        base_vals = self.arms[0].values(kpi)
        base_mean = summarize(list(base_vals.values()))["mean"]
        rows = []
        for key in self.experiment.vary:
            idx = [i for i, p in enumerate(self.points) if key in p.params]
            if not idx:
                continue
            row: dict[str, Any] = {"kpi": kpi, "parameter": key, "base": self.base_values.get(key),
                                   "values": [self.points[i].params[key] for i in idx],
                                   "base_value": base_mean}
            for end, i in (("low", idx[0]), ("high", idx[-1])):
                vals = self.arms[i].values(kpi)
                seeds = sorted(set(base_vals) & set(vals))
                d = paired(np.array([base_vals[s] for s in seeds], dtype=float),
                           np.array([vals[s] for s in seeds], dtype=float))
                row[end] = self.points[i].params[key]
                row[f"{end}_value"] = d["b_mean"]
                row[f"{end}_diff"] = d["diff_mean"]
                row[f"{end}_diff_ci95"] = d["diff_ci95"]
            lo, hi = row["low_value"], row["high_value"]
            row["swing"] = (hi - lo) if lo is not None and hi is not None else None
            rows.append(row)
        return sorted(rows, key=lambda r: -abs(r["swing"] or 0.0))

    def tornado_all(self) -> list[dict[str, Any]]:
        """:meth:`tornado` rows for every reported KPI, the target KPI first."""
        target = self.experiment.target_kpi
        kpis = [target] + [k for k in self.kpi_list if k != target]
        return [row for k in kpis for row in self.tornado(k)]

    def to_json(self) -> dict[str, Any]:
        """``result.json`` of a sweep: the experiment, per-point summaries, tornado (oat)."""
        exp = self.experiment
        doc: dict[str, Any] = {
            "kind": "sweep", "experiment": exp.name, "description": exp.description,
            "scenario": self.arms[0].scenario if self.arms else None,
            "base": self.arms[0].scenario if self.arms else None, "base_file": exp.base,
            "mode": exp.mode,
            "reps": max((a.reps for a in self.arms), default=0), "seed": exp.seed,
            "failed": self.failed, "kpis": self.kpi_list,
            "vary": {k: (v.model_dump() if isinstance(v, Range) else v) for k, v in exp.vary.items()},
            "base_values": self.base_values, "points": self.point_summaries(),
        }
        if exp.mode == "oat":
            doc["target"] = exp.target_kpi
            doc["tornado"] = self.tornado_all()
        if self.auto:
            doc["auto"] = self.auto
        return doc


def _jsonable(v: Any) -> Any:
    """A scenario value as plain data (lists of models too, e.g. a hiring plan)."""
    if hasattr(v, "to_yaml"):
        return v.to_yaml()
    if isinstance(v, BaseModel):
        return v.model_dump(mode="json")
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


def sweep(exp_path: str | Path, *, overrides: Mapping[str, Any] | Sequence[str] | None = None,
          reps: int | str | None = None, seed: int | None = None, workers: int | None = None,
          executor: str = "local", scheduler: Any = None, progress: bool = False,
          out: str | Path | None = None, resume: bool = False, precision: float = 0.02,
          max_reps: int = DEFAULT_MAX_REPS, simulate_fn: SimulateFn | None = None,
          experiment: Experiment | None = None) -> SweepResult:
    """Run the experiment file ``exp_path`` (see module docstring).

    ``overrides`` apply to the base at every point (after the file's ``set``); ``reps`` and
    ``seed`` replace the file's. Every point's scenario is built and validated before
    anything runs, so a bad parameter fails fast.
    """
    from ..scenario import load

    exp = experiment or load_experiment(exp_path)
    if seed is not None:
        exp.seed = seed
    base_file = base_path(exp, exp_path)
    common: dict[str, Any] = dict(exp.set)
    if overrides:
        common.update(_parse_overrides(overrides))
    base = load(base_file, overrides=dict(common))
    base_values = {}
    for key in exp.vary:
        try:
            base_values[key] = _jsonable(get_path(base, key))
        except (AttributeError, KeyError, TypeError, IndexError):
            raise ExperimentError(f"{exp_path}: vary.{key}: no such parameter in {base_file}") from None
    points = design(exp, base)
    arms: dict[str, Any] = {}
    for p in points:
        arms[p.label] = load(base_file, overrides={**common, **p.params})
    from .store import locked

    with locked(out):
        res, auto = execute(arms, reps if reps is not None else exp.reps, exp.seed, workers=workers,
                            executor=executor, scheduler=scheduler, progress=progress, out=out,
                            resume=resume, precision=precision, max_reps=max_reps,
                            simulate_fn=simulate_fn, kind="sweep",
                            manifest_extra={p.label: {"params": p.params} for p in points})
        result = SweepResult(exp, points, res, base_values, auto)
        if out is not None:
            extra = {p.label: {"point": p.index, **result._params(p), "scenario": base.name}
                     for p in points}
            write_outputs(Path(out), result.to_json(), res, {base.name: base}, extra)
            write_points(Path(out), result)
    return result


def write_points(out_dir: Path, result: SweepResult) -> None:
    """``points.csv``: one row per point and replication with the reported KPIs as columns."""
    from .store import write_atomic

    write_atomic(out_dir / "points.csv", result.table().to_csv(index=False))


def _parse_overrides(overrides: Mapping[str, Any] | Sequence[str]) -> dict[str, Any]:
    if isinstance(overrides, Mapping):
        return dict(overrides)
    out = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ExperimentError(f"--set expects dotted.key=value, got {item!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out
