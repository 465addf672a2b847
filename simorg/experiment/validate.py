"""``simorg validate``: check a scenario file or an experiment file without running it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def is_experiment(path: str | Path) -> bool:
    """An experiment file is a mapping with ``base`` and ``vary``."""
    from ..scenario import ScenarioError
    from ..scenario.loader import read_text

    try:  # the scenario layer's reader: size limit, encodings, symlink loops said as such
        doc = yaml.safe_load(read_text(Path(path), str(path)))
    except (ScenarioError, ValueError, RecursionError, yaml.YAMLError):
        return False  # not readable as an experiment: the scenario loader says why
    return isinstance(doc, dict) and "base" in doc and "vary" in doc


def _warnings(scenario: Any) -> list[str]:
    from ..scenario import semantic_warnings

    try:
        return list(semantic_warnings(scenario))
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not hide that the file loads
        return [f"semantic checks could not run (a simorg bug): {type(exc).__name__}: {exc}"]


def validate_file(path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[str | None, list[str]]:
    """``(error message or None, warnings)`` for a scenario or experiment file.

    For an experiment, the base scenario and every point of its design must load.
    """
    from ..scenario import ScenarioError, load
    from .api import ExperimentError
    from .sweep import base_path, design, load_experiment

    try:
        if not is_experiment(path):
            sc = load(path, overrides=overrides or None)
            return None, _warnings(sc)
        exp = load_experiment(path)
        base_file = base_path(exp, path)
        common = {**exp.set, **(overrides or {})}
        base = load(base_file, overrides=common or None)
        for p in design(exp, base):
            try:
                load(base_file, overrides={**common, **p.params})
            except ScenarioError as exc:
                raise ExperimentError(f"point {p.index} {p.params}: {exc.format()}") from None
        return None, _warnings(base)
    except ScenarioError as exc:
        return exc.format(), []
    except ExperimentError as exc:
        return str(exc), []
