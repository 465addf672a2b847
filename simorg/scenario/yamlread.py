"""Read YAML as plain data, remembering the line and column every value came from.

PyYAML's ``safe_load`` forgets where things were. Here the text is *composed* into nodes
with a safe loader and the nodes are turned into plain Python data by hand, recording a
:class:`~.errors.Location` per path (for a mapping entry, where its key is written). A
validation error at ``("teams", "ae", "ramp_months")`` can then point at the line.

Only plain data is accepted: mappings, lists, text, numbers, booleans, null. A tag that
would construct a Python object (``!!python/object``...) or any other non-standard tag is
an error, as are duplicate keys (YAML would silently keep the last one), recursive aliases,
and ``.nan``. Keys are kept as written (``on:`` stays the text ``"on"``, not ``True``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Location, ScenarioError

Path = tuple[str | int, ...]
"""A position in a document: mapping keys and list indexes from the top."""

_STD = "tag:yaml.org,2002:"
_PLAIN_SCALARS = {f"{_STD}{t}" for t in ("null", "bool", "int", "float", "str")}
MAX_DEPTH = 40
"""Deepest nesting accepted (a scenario uses about 6 levels); deeper is refused before any
recursive step (merging, validation) can run out of stack."""
_MAX_NODES = 200_000
"""Anchors and aliases can expand a small file enormously; no real scenario is this big."""


@dataclass
class Located:
    """A document as plain data plus where each of its values was written."""

    data: Any
    locs: dict[Path, Location] = field(default_factory=dict)
    """Where each value's key is written (for a list item: where the item starts)."""
    vlocs: dict[Path, Location] = field(default_factory=dict)
    """Where each value itself starts (files only; overrides have no columns)."""
    deleted: dict[Path, Location] = field(default_factory=dict)
    """Inherited keys a child file removed with ``key: null``, and where it did so."""

    def where(self, path: Path, value: bool = False) -> Location | None:
        """The location of ``path`` (its value's start if ``value``, else its key), or of
        its nearest ancestor's key."""
        if value and path in self.vlocs:
            return self.vlocs[path]
        for n in range(len(path), -1, -1):
            loc = self.locs.get(tuple(path[:n]))
            if loc is not None:
                return loc
        return None


def _location(source: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(source)
    return Location(source, mark.line + 1, mark.column + 1)


def _tag_text(tag: str) -> str:
    return "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag


def read_yaml(text: str, source: str) -> Located:
    """Parse one YAML document into plain data with locations. Raises ScenarioError."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # the reader checks characters here already
        node = loader.get_single_node()
        if node is None:
            return Located(None, {(): Location(source)})
        builder = _Builder(loader, source)
        data = builder.build(node, (), None)
        return Located(data, builder.locs, builder.vlocs)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, source) from None
    except yaml.reader.ReaderError as exc:  # a control character, e.g. NUL
        line = text.count("\n", 0, exc.position) + 1
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        raise ScenarioError.single(
            f"not a text file: character #x{code:04x} is not allowed in YAML",
            Location(source, line),
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError.single(f"cannot read YAML: {exc}", Location(source)) from None
    except RecursionError:
        raise ScenarioError.single(
            f"nested too deeply (a scenario needs fewer than {MAX_DEPTH} levels)", Location(source)
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def _syntax_error(exc: yaml.MarkedYAMLError, source: str) -> ScenarioError:
    """Turn PyYAML's message into one line: what is wrong, and where."""
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "invalid YAML"
    if exc.context:
        what = f"{exc.context}, {what}"
    return ScenarioError.single(f"YAML syntax error: {what}", _location(source, mark))


class _Builder:
    """Turn composed nodes into plain data, refusing anything that is not plain data."""

    def __init__(self, loader: yaml.SafeLoader, source: str):
        self.loader = loader
        self.source = source
        self.locs: dict[Path, Location] = {}
        self.vlocs: dict[Path, Location] = {}
        self.count = 0
        self.active: set[int] = set()

    def fail(self, message: str, mark: yaml.Mark | None, path: Path, **fields: Any) -> ScenarioError:
        from .errors import dotted

        return ScenarioError.single(
            message, _location(self.source, mark), path=dotted(path), **fields
        )

    def build(self, node: Node, path: Path, key_mark: yaml.Mark | None) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise self.fail(
                f"document too large (more than {_MAX_NODES} values after expanding aliases)",
                node.start_mark, path,
            )
        if len(path) >= MAX_DEPTH:
            raise self.fail(
                f"nested too deeply (a scenario needs fewer than {MAX_DEPTH} levels)",
                node.start_mark, path[:3],
            )
        self.locs[path] = _location(self.source, key_mark or node.start_mark)
        self.vlocs[path] = _location(self.source, node.start_mark)
        if id(node) in self.active:
            raise self.fail("recursive alias (a value that contains itself)", node.start_mark, path)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            return self._scalar(node, path)
        finally:
            self.active.discard(id(node))

    def _check_tag(self, node: Node, allowed: set[str], path: Path) -> None:
        if node.tag not in allowed:
            raise self.fail(
                f"YAML tag '{_tag_text(node.tag)}' is not allowed: scenario files hold plain "
                "data (numbers, text, true/false, lists, mappings)",
                node.start_mark, path,
                expected="plain data", found=f"tag '{_tag_text(node.tag)}'",
            )

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        self._check_tag(node, {f"{_STD}map"}, path)
        self.loader.flatten_mapping(node)  # resolve '<<' merge keys
        out: dict[str, Any] = {}
        first: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.fail(
                    "a key must be a plain name, not a list or mapping", key_node.start_mark, path
                )
            self._check_tag(key_node, _PLAIN_SCALARS, path)
            key = str(key_node.value)
            if key in out:
                line = first[key].line + 1
                raise self.fail(
                    f"duplicate key '{key}' (first written on line {line})",
                    key_node.start_mark, (*path, key),
                )
            first[key] = key_node.start_mark
            out[key] = self.build(value_node, (*path, key), key_node.start_mark)
        return out

    def _sequence(self, node: SequenceNode, path: Path) -> list[Any]:
        self._check_tag(node, {f"{_STD}seq"}, path)
        return [self.build(item, (*path, i), None) for i, item in enumerate(node.value)]

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        if node.tag == f"{_STD}timestamp":
            return str(node.value)  # a date is only ever a name or a description here
        self._check_tag(node, _PLAIN_SCALARS, path)
        value = self.loader.yaml_constructors[node.tag](self.loader, node)
        if isinstance(value, float) and math.isnan(value):
            raise self.fail(
                "expected a number, found .nan (not a number)", node.start_mark, path,
                expected="a number", found=".nan",
            )
        return value
