"""Overrides: ``--set teams.ae.headcount=12`` and ``simorg.load(..., overrides={...})``.

A key is a dotted path through the scenario (``marketing.channels.web.budget_per_month``);
list items are addressed by index (``teams.ae.plan.0.headcount`` or ``plan[0].headcount``).
A value given as text is converted by the type of the field it lands on: text fields keep
the text as it is (``--set name=2025`` names the scenario "2025"), every other field reads it
as YAML, so ``12`` is a number, ``true`` a boolean and ``{lognormal: {mean: 3, sd: 1}}`` a
distribution. Overrides are applied after ``extends`` merging and replace whole values
(a mapping given as a value replaces the mapping there); the result is validated exactly
like a file, with errors naming the override.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import introspect
from .errors import Location, Problem, ScenarioError, describe, dotted
from .yamlread import Located, Path, read_yaml

_SEGMENT = re.compile(r"^([^.\[\]]+)((?:\[\d+\])*)$")


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """Parse ``dotted.key=value`` strings (from ``--set``) into a dict, values still text.

    Later items win over earlier ones with the same key. Every malformed item is reported
    in one ScenarioError (naming the item), not just the first.
    """
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for item in items:
        if not isinstance(item, str):
            problems.append(Problem(
                f"expected text of the form dotted.key=value, found {describe(item)}",
                file="--set", expected="dotted.key=value", found=describe(item),
            ))
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            problems.append(_malformed(item, "no '=' (expected dotted.key=value)"))
            continue
        try:
            split_key(key)
        except ValueError as exc:
            problems.append(_malformed(item, str(exc)))
            continue
        out[key] = value
    if problems:
        raise ScenarioError(problems)
    return out


def _malformed(item: str, why: str) -> Problem:
    return Problem(f"malformed override '{item}': {why}", file="--set",
                   expected="dotted.key=value", found=f"'{item}'")


def split_key(key: str) -> Path:
    """``"teams.ae.plan[0].month"`` or ``"teams.ae.plan.0.month"`` -> a document path.

    Raises ValueError naming the problem (empty key, empty part, bad brackets).
    """
    if not key:
        raise ValueError("empty key before '='")
    path: list[str | int] = []
    for part in key.split("."):
        if not part:
            raise ValueError(f"empty part in key '{key}' (two dots, or a dot at an end)")
        match = _SEGMENT.match(part)
        if match is None:
            raise ValueError(f"cannot read '{part}' in key '{key}' (use name or name[0])")
        name, indexes = match.groups()
        path.append(int(name) if name.isdigit() else name)
        path.extend(int(i) for i in re.findall(r"\d+", indexes))
    return tuple(path)


def label(key: str, value: Any) -> str:
    """How an override is named in error messages."""
    shown = value if isinstance(value, str) else describe(value)
    return f"--set {key}={shown}"


def convert(path: Path, value: Any, where: Location) -> Any:
    """Convert a text value by the type of its target field (others pass through)."""
    if not isinstance(value, str):
        return value
    if introspect.is_text(introspect.type_at(path)):
        return value
    if value.strip() == "":
        return None
    return read_yaml(value, where.source).data


def apply(doc: Located, overrides: Mapping[str, Any] | Iterable[str]) -> Located:
    """Apply overrides to a merged document in place (and return it).

    Accepts a mapping of dotted keys to values, or ``dotted.key=value`` strings.
    """
    if isinstance(overrides, str):
        overrides = [overrides]  # one "dotted.key=value", not a sequence of characters
    if not isinstance(overrides, Mapping):
        overrides = parse_set(list(overrides))
    problems: list[Problem] = []
    for key, value in overrides.items():
        try:
            _apply_one(doc, str(key), value)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return doc


def _apply_one(doc: Located, key: str, value: Any) -> None:
    where = Location(label(key, value))
    try:
        path = split_key(key)
    except ValueError as exc:
        raise ScenarioError.single(f"malformed override key: {exc}", where) from None
    value = _place_errors(lambda: convert(path, value, where), where, path)
    if not isinstance(doc.data, dict):
        doc.data = {}
    node: Any = doc.data
    for depth, part in enumerate(path[:-1]):
        here = path[: depth + 1]
        if isinstance(node, dict):
            nxt = node.get(str(part))
            if not isinstance(nxt, dict | list):
                if nxt is not None:
                    raise _not_container(path, here, nxt, where)
                nxt = node[str(part)] = {}
                doc.locs[here] = where
            node = nxt
        elif isinstance(node, list):
            node = _index(node, part, path, here, where)
        else:  # pragma: no cover - excluded by the checks above
            raise _not_container(path, here, node, where)
    last = path[-1]
    if isinstance(node, list):
        _index(node, last, path, path, where)
        node[int(last)] = value
    else:
        node[str(last)] = value
    for locs in (doc.locs, doc.vlocs):
        for p in [p for p in locs if p[: len(path)] == path]:
            del locs[p]
    _mark(value, path, where, doc.locs)


def _place_errors(fn: Any, where: Location, path: Path) -> Any:
    """Re-locate errors from parsing an override value at the override, not 'line 1'."""
    try:
        return fn()
    except ScenarioError as exc:
        raise ScenarioError(
            Problem(p.message, file=where.source, path=dotted(path), expected=p.expected,
                    found=p.found, suggestion=p.suggestion)
            for p in exc.problems
        ) from None


def _index(node: list[Any], part: str | int, path: Path, here: Path, where: Location) -> Any:
    if not (isinstance(part, int) or str(part).isdigit()):
        raise ScenarioError.single(
            f"{dotted(here[:-1])} is a list: address its items by number, not '{part}'",
            where, path=dotted(path), expected="a list index", found=f"'{part}'",
        )
    i = int(part)
    if i >= len(node):
        raise ScenarioError.single(
            f"index {i} is past the end of {dotted(here[:-1])} "
            f"({len(node)} item{'' if len(node) == 1 else 's'})",
            where, path=dotted(path), expected=f"an index below {len(node)}", found=str(i),
        )
    return node[i]


def _not_container(path: Path, here: Path, value: Any, where: Location) -> ScenarioError:
    return ScenarioError.single(
        f"cannot set {dotted(path)}: {dotted(here)} is {describe(value)}, not a mapping",
        where, path=dotted(path), expected="a mapping", found=describe(value),
    )


def _mark(value: Any, path: Path, where: Location, locs: dict[Path, Location]) -> None:
    locs[path] = where
    if isinstance(value, dict):
        for k, v in value.items():
            _mark(v, (*path, k), where, locs)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _mark(v, (*path, i), where, locs)
