"""Write a finished run / comparison / sweep to its output directory.

The files (what the report layer reads):

* ``result.json``: the JSON contract of DESIGN.md plus ``kind`` and ``failed``;
* ``kpis.csv`` (``scenario, rep, seed, kpi, value``), ``monthly.csv``
  (``scenario, rep, month, metric, value``), ``distributions.csv``
  (``scenario, rep, metric, value``); sweeps add ``point`` and one column per varied
  parameter; Parquet copies when ``pyarrow`` is importable;
* ``scenario_<name>.yaml``: each resolved scenario (``<name>-<hash>`` when two names
  would give the same file name);
* ``reps/`` and ``manifest.json``: the per-replication store (see store.py).
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .results import ReplicationResult
from .store import arm_folder, safe_name, write_atomic


def clean_json(obj: Any) -> Any:
    """Make ``obj`` strict-JSON ready: non-finite floats become ``None``, numpy becomes Python."""
    if isinstance(obj, Mapping):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [clean_json(v) for v in obj.tolist()]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    if hasattr(obj, "model_dump"):  # a schema object as a swept value (e.g. a hiring plan step)
        return clean_json(obj.model_dump(mode="json"))
    return obj


def dumps(doc: Any) -> str:
    """Strict JSON text of a result document."""
    return json.dumps(clean_json(doc), indent=2, allow_nan=False)


def dump_scenario(scenario: Any) -> str:
    """YAML of a resolved scenario (the scenario layer's ``dump`` when it exists)."""
    import importlib

    dump = getattr(importlib.import_module("simorg.scenario"), "dump", None)
    if dump is None:
        try:
            return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)
        except Exception as exc:  # noqa: BLE001 - keep the results even if the dump fails
            return f"# could not dump this scenario: {type(exc).__name__}: {exc}\n# {scenario!r}\n"
    return dump(scenario)


def _frames(arms: Sequence[ReplicationResult],
            extra: Mapping[str, Mapping[str, Any]] | None) -> dict[str, pd.DataFrame]:
    out: dict[str, list[pd.DataFrame]] = {"kpis": [], "monthly": [], "distributions": []}
    for arm in arms:
        for name in out:
            df = getattr(arm, name)
            if extra is not None:
                cols = extra.get(arm.label, {})
                pos = 0
                for col, val in cols.items():
                    if col in df.columns:  # e.g. sweeps name the base scenario, not the point
                        df[col] = [val] * len(df)
                    else:
                        df.insert(pos, col, [val] * len(df))
                        pos += 1
            out[name].append(df)
    return {k: pd.concat(v, ignore_index=True) if v else pd.DataFrame() for k, v in out.items()}


def write_outputs(out_dir: Path, doc: dict[str, Any], arms: Sequence[ReplicationResult],
                  scenarios: Mapping[str, Any],
                  extra_columns: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """Write ``result.json``, the tidy CSVs (and Parquet) and the scenario YAMLs.

    ``scenarios`` maps a name to a resolved scenario (written as ``scenario_<name>.yaml``);
    ``extra_columns`` maps an arm label to columns to add to its rows (sweeps: point and
    parameter values). Returns ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = _frames(arms, extra_columns)
    parquet = importlib.util.find_spec("pyarrow") is not None
    for name, df in frames.items():
        write_atomic(out_dir / f"{name}.csv", df.to_csv(index=False))
        if parquet:  # pragma: no cover - pyarrow is optional
            df.to_parquet(out_dir / f"{name}.parquet", index=False)
    stems = [safe_name(name) for name in scenarios]
    for (name, sc), stem in zip(scenarios.items(), stems, strict=True):
        if stems.count(stem) > 1:  # names that sanitise alike ("x/y", "x_y") keep apart
            stem = arm_folder(name)
        write_atomic(out_dir / f"scenario_{stem}.yaml", dump_scenario(sc))
    write_atomic(out_dir / "result.json", dumps(doc))
    return out_dir
