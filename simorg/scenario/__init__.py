"""Scenario layer: schema, YAML loading, inheritance, overrides, distributions.

Knows nothing of SimPy. The public entry point is :func:`load`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .schema import Scenario


class ScenarioError(Exception):
    """A scenario that cannot be used, with a message a person can act on."""

    def format(self) -> str:
        return str(self)


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, merge and validate a scenario file (minimal version; see issue 3)."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
        for key, value in (overrides or {}).items():
            node = doc
            *parents, last = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = yaml.safe_load(value) if isinstance(value, str) else value
        return Scenario.model_validate(doc)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None


__all__ = ["Scenario", "ScenarioError", "load"]
