"""Write a calibration: the scenario YAML (extends the template, every value commented) and
``calibration.json`` (fitted values, rate corrections, what was not fitted, the fitted state).

The state at the export date (the accounts active then and the new-business opportunities
open then) is written as ``state/accounts.csv`` and ``state/opportunities.csv`` next to the
scenario, which points to them (``customers.initial.accounts_csv``, ``opportunities_csv``,
``as_of``); ``calibration.json`` keeps a summary (``state``).
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


STATE_DIR = "state"
"""Folder (next to the scenario) of the state at the export date: ``accounts.csv``, ``opportunities.csv``."""


def state_values(cal: Calibration) -> list[Value]:
    """The scenario values pointing at the state CSVs written by :func:`write_state`."""
    out: list[Value] = []
    b = cal.export_date
    if cal.state_accounts is not None or cal.state_opportunities is not None:
        out.append(Value(("customers", "initial", "as_of"), f"{b:%Y-%m-%d}",
                         "month 0 is the export date (the dates in the state files count from it)"))
    if cal.state_accounts is not None:
        t = cal.state_accounts
        out.append(Value(("customers", "initial", "accounts_csv"), f"{STATE_DIR}/accounts.csv",
                         f"the {len(t)} accounts active at the export date {b:%Y-%m-%d}, ARR {t['arr'].sum():,.0f} "
                         "(replaces count and segment_mix; the warm start is skipped)"))
    if cal.state_opportunities is not None:
        t = cal.state_opportunities
        out.append(Value(("customers", "initial", "opportunities_csv"), f"{STATE_DIR}/opportunities.csv",
                         f"the {len(t)} new-business opportunities open at the export date, amount "
                         f"{t['amount'].sum():,.0f}"))
    if out:
        for name in cal.lead_volume:
            out.append(Value(("marketing", "channels", name, "lag_days"), 0.0,
                             "leads from month 0 on (an explicit state has no warm-up to carry leads bought "
                             "before month 0; the lead volume is fitted by the leads' created dates)"))
    return out


def write_state(cal: Calibration, out: Path) -> dict[str, Path]:
    """Write the state at the export date as CSVs into ``out/state``; returns their paths."""
    paths: dict[str, Path] = {}
    folder = out / STATE_DIR
    if cal.state_accounts is not None:
        folder.mkdir(parents=True, exist_ok=True)
        paths["accounts"] = folder / "accounts.csv"
        cols = ["id", "segment", "arr", "start", "renewal_date", "term_months", "billing"]
        cal.state_accounts[cols].to_csv(paths["accounts"], index=False)
    if cal.state_opportunities is not None:
        folder.mkdir(parents=True, exist_ok=True)
        paths["opportunities"] = folder / "opportunities.csv"
        cal.state_opportunities[["id", "segment", "amount", "created"]].to_csv(paths["opportunities"], index=False)
    return paths


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
    _emit(_tree([*cal.values, *state_values(cal)]), 0, lines)
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
    state = write_state(cal, out)
    return {"scenario": yml, "json": js, **{f"state_{k}": v for k, v in state.items()}}
