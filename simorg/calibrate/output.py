"""Write a calibration: the scenario YAML (extends the template, every value commented) and
``calibration.json`` (fitted values, rate corrections, what was not fitted, the fitted state).

The fitted state has a fixed shape so the coming mechanisms slot in without changing it:
``state.installed_base`` (per account: segment, ARR, start, days to next renewal) waits for the
explicit installed base; ``state.open_pipeline`` (per open deal: segment, amount, age) waits for
the warm start; ``state.billing`` and the accounts' terms wait for contracts by segment with
billing terms. :data:`WAITING_ON` names them in the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .fit import Calibration, Value

ORDER = ("segments", "marketing", "teams", "customers", "org", "behaviour")

WAITING_ON = {
    "state.installed_base": "explicit installed base: today the model draws the initial accounts' ARR from "
                            "each segment's new-deal ACV and spreads contract starts uniformly over a term",
    "state.open_pipeline": "warm start: today the model starts with no open opportunities, so the first "
                           "months after month 0 under-count closed deals",
    "state.billing": "contracts by segment with billing terms: today one term for all and no billing",
}


def _flow(value: Any) -> str:
    """A value in YAML flow style on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False).strip()
    return text[:-4].strip() if text.endswith("\n...") else text.removesuffix("...").strip()


def _tree(values: list[Value]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for v in values:
        node = root
        for k in v.path[:-1]:
            node = node.setdefault(k, {})
        node[v.path[-1]] = v
    ordered = {k: root[k] for k in ORDER if k in root}
    ordered.update({k: v for k, v in root.items() if k not in ordered})
    return ordered


def _emit(node: dict[str, Any], indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    for key, sub in node.items():
        if isinstance(sub, Value):
            lines.append(f"{pad}# {sub.note}")
            lines.append(f"{pad}{key}: {_flow(sub.value)}")
        else:
            lines.append(f"{pad}{key}:")
            _emit(sub, indent + 1, lines)


def scenario_yaml(cal: Calibration, path: Path, name: str, horizon: int | None = None) -> str:
    """The calibrated scenario's text; ``extends`` is written relative to ``path``'s folder."""
    rel = os.path.relpath(Path(cal.template).resolve(), Path(path).resolve().parent)
    lines = [
        f"# Calibrated from a CRM export on {pd.Timestamp.now():%Y-%m-%d} by `simorg calibrate`.",
        f"# History {cal.history_start:%Y-%m-%d} .. {cal.export_date:%Y-%m-%d} ({cal.months} months); month 0 is the export date.",
        "# Each fitted value says what it came from; everything not listed is the template's.",
        "# Not fitted (kept from the template):",
        *[f"#   {what}: {why}" for what, why in cal.not_fitted],
        f"extends: {rel}",
        f"name: {name}",
        f"description: calibrated to the CRM export of {cal.export_date:%Y-%m-%d} ({cal.months} months of history)",
    ]
    if horizon is not None:
        lines.append(f"horizon_months: {horizon}")
    _emit(_tree(cal.values), 0, lines)
    return "\n".join(lines) + "\n"


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_plain(v) for v in x.tolist()]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating | float):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, pd.Timestamp):
        return f"{x:%Y-%m-%d}"
    return x


def calibration_doc(cal: Calibration, backtest: Any = None) -> dict[str, Any]:
    """Everything the calibration found, as JSON-ready data."""
    doc = {
        "template": cal.template,
        "export_date": cal.export_date,
        "history_start": cal.history_start,
        "history_months": cal.months,
        "fitted": [{"path": ".".join(v.path), "value": v.value, "from": v.note} for v in cal.values],
        "not_fitted": [{"what": w, "why": y} for w, y in cal.not_fitted],
        "targets": {k: {"observed": v, "n": cal.target_n.get(k)} for k, v in cal.targets.items()},
        "corrections": cal.corrections,
        "distribution_fits": [
            {"quantity": f.quantity, "segment": f.segment, "n": len(f.data), "chosen": f.chosen,
             "candidates": [{k: c[k] for k in ("name", "aic", "ks", "ks_p", "yaml")} for c in f.candidates]}
            for f in cal.dist_fits
        ],
        "lead_volume": {n: {"leads_per_month": v["counts"], "at_history_start": float(np.exp(v["a"])),
                            "at_export": v["now"], "growth_per_month": float(np.expm1(v["b"]))}
                        for n, v in cal.lead_volume.items()},
        "state": cal.state,
        "waiting_on": WAITING_ON,
        "history": cal.history,
        "warnings": cal.warnings,
        "dropped": cal.dropped,
    }
    if backtest is not None:
        doc["backtest"] = backtest.to_json()
    return _plain(doc)


def write_outputs(cal: Calibration, out: Path, name: str = "calibrated", backtest: Any = None,
                  horizon: int | None = None) -> dict[str, Path]:
    """Write ``<name>.yaml`` and ``calibration.json`` into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    yml = out / f"{name}.yaml"
    yml.write_text(scenario_yaml(cal, yml, name, horizon), encoding="utf-8")
    js = out / "calibration.json"
    js.write_text(json.dumps(calibration_doc(cal, backtest), indent=1), encoding="utf-8")
    return {"scenario": yml, "json": js}
