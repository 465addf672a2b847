"""Scenario layer: schema, YAML loading, inheritance, overrides, distributions.

Knows nothing of SimPy. The public entry points::

    sc = load("scenarios/variant.yaml", overrides={"teams.ae.headcount": "12"})
    sc = load_dict({"name": "x", ...})
    text = dump(sc)                      # YAML; load(dump(sc)) == sc
    warnings = semantic_warnings(sc)     # legal but suspicious settings
    schema = json_schema()               # for editors; docs/scenarios.md from render_reference_markdown()

Every failure to read a scenario raises :class:`ScenarioError`, whose ``format()`` is the
message to show (file:line:column: field.path: what is wrong).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import overrides as _overrides
from .checks import semantic_warnings
from .errors import Location, Problem, ScenarioError
from .loader import dump, follow_extends, from_python, read_file, validate
from .overrides import parse_set
from .schema import Scenario

Overrides = Mapping[str, Any] | Iterable[str] | None
"""Dotted keys -> values (text is converted by field type), or ``dotted.key=value`` strings."""


def load(path: str | os.PathLike[str], overrides: Overrides = None) -> Scenario:
    """Read a scenario file, follow ``extends``, apply ``overrides``, validate.

    Raises ScenarioError (and nothing else) for anything wrong with the file, its parents
    or the overrides.
    """
    doc = read_file(path)
    if overrides:
        _overrides.apply(doc, overrides)
    return validate(doc)


def load_dict(doc: Mapping[str, Any], source: str = "<dict>", overrides: Overrides = None) -> Scenario:
    """Validate a scenario given as Python data (an ``extends`` key is resolved from the
    current directory). ``source`` names the document in error messages."""
    located = from_python(doc, source)
    if not isinstance(located.data, dict):
        return validate(located)  # raises the "expected a mapping" error
    located = follow_extends(located, base_dir=Path.cwd(), shown_dir="", chain=[])
    if overrides:
        _overrides.apply(located, overrides)
    return validate(located)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (see :mod:`.reference`)."""
    from .reference import json_schema as build

    return build()


def render_reference_markdown() -> str:
    """The markdown reference of every scenario field (docs/scenarios.md)."""
    from .reference import render_reference_markdown as render

    return render()


__all__ = [
    "Location",
    "Problem",
    "Scenario",
    "ScenarioError",
    "dump",
    "json_schema",
    "load",
    "load_dict",
    "parse_set",
    "render_reference_markdown",
    "semantic_warnings",
]
