"""Load a scenario: read YAML, follow ``extends``, apply overrides, validate, explain errors.

The steps, each of which reports failures as a :class:`~.errors.ScenarioError`:

1. read the file as plain data with the location of every value (:mod:`.yamlread`);
2. if it says ``extends: parent.yaml`` (relative to the file), load the parent the same way
   and deep-merge the file over it: mappings merge key by key, recursively; lists, numbers,
   text and distributions replace. Chains are followed; a cycle is an error naming it;
3. apply overrides (``--set``; :mod:`.overrides`), which replace values the same way;
4. validate with the pydantic schema and translate each pydantic error into a
   :class:`~.errors.Problem` with the line of the file (parent files included) that wrote
   the value, the dotted field path, expected and found, and a "did you mean" suggestion.
"""

from __future__ import annotations

import copy
import difflib
import errno
import math
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import introspect
from .checks import too_much_work
from .distributions import REGISTRY, Distribution
from .errors import Location, Problem, ScenarioError, describe, dotted
from .schema import DEPRECATED_FIELDS, DeprecatedFieldWarning, Scenario
from .yamlread import Located, Path, read_yaml

EXTENDS = "extends"
"""The key naming a parent scenario file; removed before validation."""


# --------------------------------------------------------------------------- reading
def read_file(path: str | os.PathLike[str]) -> Located:
    """Read a scenario file and everything it ``extends``, merged, with locations."""
    return _read(FsPath(path), str(path), [])


MAX_FILE_BYTES = 1_000_000
"""A scenario file larger than this (1 MB) is refused before it is read: real scenarios are
a few kilobytes, and parsing tens of megabytes of YAML takes minutes."""

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)


def read_text(path: FsPath, shown: str) -> str:
    """The text of a scenario file, or a ScenarioError saying why it cannot be read: no such
    file, a directory, a symlink loop, larger than :data:`MAX_FILE_BYTES`, not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError.single(
                f"file too large: {size:,} bytes, the limit for a scenario file is "
                f"{MAX_FILE_BYTES:,} bytes", Location(shown),
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError.single("no such file", Location(shown)) from None
    except IsADirectoryError:
        raise ScenarioError.single("is a directory, not a scenario file", Location(shown)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ScenarioError.single("symbolic link loop: the link points back to itself",
                                       Location(shown)) from None
        raise ScenarioError.single(f"cannot read: {exc.strerror or exc}", Location(shown)) from None
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise ScenarioError.single(
                f"the file is encoded as {name}; save it as UTF-8", Location(shown),
                expected="UTF-8 text", found=name,
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError.single(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot start a character); save it as UTF-8",
            Location(shown, line), expected="UTF-8 text",
        ) from None
    return text.removeprefix("\ufeff")  # a UTF-8 byte order mark is harmless


def _resolve(path: FsPath, shown: str, where: Location | None = None) -> FsPath:
    """``path`` with symbolic links resolved; a loop of links is a ScenarioError."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        raise ScenarioError.single(
            f"symbolic link loop: {shown} points back to itself", where or Location(shown),
        ) from None


def _read(path: FsPath, shown: str, chain: list[tuple[FsPath, str]]) -> Located:
    text = read_text(path, shown)
    doc = read_yaml(text, shown)
    _require_mapping(doc, shown)
    if chain:
        _require_scenario(doc, shown, chain[-1][1])
    return follow_extends(doc, base_dir=path.parent, shown_dir=os.path.dirname(shown),
                           chain=[*chain, (_resolve(path, shown), shown)])


def _kind(value: Any) -> str:
    """What a value is, without repeating it (a file that is not a scenario is not echoed)."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return describe(value)


def _require_mapping(doc: Located, shown: str) -> None:
    if doc.data is None:
        raise ScenarioError.single(
            "the file is empty; expected a scenario (a mapping with name, horizon_months, ...)",
            Location(shown), expected="a mapping", found="nothing",
        )
    if not isinstance(doc.data, dict):
        raise ScenarioError.single(
            f"not a scenario file: expected a mapping of scenario keys at the top level, found "
            f"{_kind(doc.data)}",
            doc.locs.get(()), expected="a mapping", found=_kind(doc.data),
        )


def _require_scenario(doc: Located, shown: str, child: str) -> None:
    """A parent named by ``extends`` must look like a scenario: at least one of its top-level
    keys is a scenario key. Otherwise it is some other file, and none of it is shown."""
    known = {*introspect.valid_keys(Scenario), EXTENDS}
    if not set(doc.data) & known:
        raise ScenarioError.single(
            f"not a scenario file (extended by {child}): none of its {len(doc.data)} top-level "
            f"key(s) is a scenario key such as name, horizon_months, segments",
            Location(shown), expected="a scenario file", found="another kind of file",
        )


def follow_extends(
    doc: Located, base_dir: FsPath, shown_dir: str, chain: list[tuple[FsPath, str]]
) -> Located:
    """Merge ``doc`` over the file its ``extends`` key names (if any), recursively."""
    if EXTENDS not in doc.data:
        return doc
    where = doc.locs.get((EXTENDS,))
    parent = doc.data.pop(EXTENDS)
    doc.locs.pop((EXTENDS,), None)
    doc.vlocs.pop((EXTENDS,), None)
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError.single(
            f"expected the path of a parent scenario file, found {describe(parent)}",
            where, path=EXTENDS, expected="a file path", found=describe(parent),
        )
    parent_path = base_dir / parent
    parent_shown = os.path.normpath(os.path.join(shown_dir, parent))
    resolved = _resolve(parent_path, parent_shown, where)
    seen = [p for p, _ in chain]
    if resolved in seen:
        names = [s for _, s in chain[seen.index(resolved):]] + [parent_shown]
        raise ScenarioError.single(
            "extends cycle: " + " -> ".join(names), where, path=EXTENDS,
        )
    if not parent_path.is_file():
        raise ScenarioError.single(
            f"cannot extend '{parent}': no such file ({parent_shown})",
            where, path=EXTENDS, expected="an existing scenario file", found=f"'{parent}'",
        )
    base = _read(parent_path, parent_shown, chain)
    return merge(base, doc)


# --------------------------------------------------------------------------- merging
def merge(base: Located, over: Located) -> Located:
    """Deep-merge ``over`` onto ``base`` (neither is modified), carrying locations along.

    Sections (mappings of fields, channels, segments, teams) merge key by key; everything
    else in ``over`` replaces what ``base`` had: numbers, text, lists, a distribution
    (``{gamma: ...}`` over ``{lognormal: ...}`` replaces it rather than making a two-key
    mapping) and a mapping of names to numbers (a segment mix replaces the parent's mix as a
    whole, so its shares are the child's own). ``key: null`` over an inherited key deletes
    it: the key is as if the parent never wrote it (its default applies, or it is missing).
    """
    locs: dict[Path, Location] = {}
    vlocs: dict[Path, Location] = {}
    deleted: dict[Path, Location] = {**base.deleted, **over.deleted}
    _merge_locs(base.data, over.data, (), base.locs, over.locs, locs)
    _merge_locs(base.data, over.data, (), base.vlocs, over.vlocs, vlocs)
    data = _merge(base.data, over.data, (), over.locs, deleted)
    return Located(data, locs, vlocs, deleted)


def _merges(a: Any, b: Any, path: Path) -> bool:
    """Do the values at ``path`` merge key by key (rather than ``b`` replacing ``a``)?"""
    return isinstance(a, dict) and isinstance(b, dict) and not _is_atomic(path)


def _deletes(a: dict[str, Any], key: str, value: Any) -> bool:
    """``key: null`` over a key the parent has: remove the inherited key."""
    return value is None and key in a


def _merge(a: Any, b: Any, path: Path, lb: dict[Path, Location] | None = None,
           deleted: dict[Path, Location] | None = None) -> Any:
    if not _merges(a, b, path):
        return copy.deepcopy(b)
    merged = {k: copy.deepcopy(v) for k, v in a.items() if k not in b}
    for key, value in b.items():
        if _deletes(a, key, value):
            if deleted is not None and lb is not None and (*path, key) in lb:
                deleted[(*path, key)] = lb[(*path, key)]
            continue
        merged[key] = _merge(a[key], value, (*path, key), lb, deleted) if key in a else copy.deepcopy(value)
    # keep the parent's key order, new keys last: dumps read like the parent file
    return {k: merged[k] for k in [*a, *(k for k in b if k not in a)] if k in merged}


def _merge_locs(
    a: Any, b: Any, path: Path,
    la: dict[Path, Location], lb: dict[Path, Location], out: dict[Path, Location],
) -> None:
    """The locations of ``_merge(a, b)``: each value's from the file that wrote it."""
    if not _merges(a, b, path):
        _copy_locs(b, path, lb, out)
        return
    if path in lb or path in la:
        out[path] = lb.get(path) or la[path]
    for key, value in a.items():
        if key not in b:
            _copy_locs(value, (*path, key), la, out)
    for key, value in b.items():
        if _deletes(a, key, value):
            continue
        if key in a:
            _merge_locs(a[key], value, (*path, key), la, lb, out)
        else:
            _copy_locs(value, (*path, key), lb, out)


def _is_atomic(path: Path) -> bool:
    """Values at this path replace as a whole even when both are mappings."""
    if not path:
        return False
    tp = introspect.type_at(path)
    return introspect.is_distribution(tp) or introspect.is_number_map(tp)


def _copy_locs(value: Any, path: Path, src: dict[Path, Location], out: dict[Path, Location]) -> None:
    if path in src:
        out[path] = src[path]
    if isinstance(value, dict):
        for key, item in value.items():
            _copy_locs(item, (*path, key), src, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _copy_locs(item, (*path, i), src, out)


# --------------------------------------------------------------------------- plain data
def from_python(doc: Any, source: str) -> Located:
    """Wrap a Python document (``load_dict``), checking it holds plain data only."""
    locs: dict[Path, Location] = {}
    here = Location(source)

    def walk(value: Any, path: Path) -> Any:
        locs[path] = here
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str | int | float | bool):
                    raise ScenarioError.single(
                        f"a key must be a name, found {describe(key)}", here, path=dotted(path)
                    )
                out[str(key)] = walk(item, (*path, str(key)))
            return out
        if isinstance(value, list | tuple):
            return [walk(item, (*path, i)) for i, item in enumerate(value)]
        if isinstance(value, float) and math.isnan(value):
            raise ScenarioError.single(
                "expected a number, found .nan (not a number)", here, path=dotted(path),
                expected="a number", found=".nan",
            )
        if value is None or isinstance(value, str | int | float | bool | Distribution):
            return value
        raise ScenarioError.single(
            f"expected plain data (numbers, text, lists, mappings), found {describe(value)}",
            here, path=dotted(path), expected="plain data", found=describe(value),
        )

    return Located(walk(doc, ()), locs)


# --------------------------------------------------------------------------- validation
def validate(doc: Located) -> Scenario:
    """Validate merged data against the schema; every problem becomes a located Problem."""
    if not isinstance(doc.data, dict):
        raise ScenarioError.single(
            f"expected a mapping of scenario keys at the top level, found {describe(doc.data)}",
            doc.where(()), expected="a mapping", found=describe(doc.data),
        )
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        problems = [_problem(err, doc) for err in exc.errors()]
        # in reading order: by file, then line and column (a stable sort keeps ties in
        # pydantic's order, which follows the schema)
        problems.sort(key=lambda p: (p.file or "", p.line or 0, p.column or 0))
        raise ScenarioError(problems) from None
    except (TypeError, KeyError, AttributeError, IndexError, ArithmeticError) as exc:
        # A schema validator that crashed on odd input: still no traceback for the user.
        raise ScenarioError.single(
            f"cannot validate this scenario ({type(exc).__name__}: {exc}); this is a bug in "
            "simorg's schema, please report it with the file",
            doc.where(()),
        ) from None
    _warn_deprecated(doc)
    refused = too_much_work(scenario)
    if refused is not None:
        field, message = refused
        path = tuple(field.split("."))
        raise ScenarioError.single(message, doc.where(path, value=True), path=field)
    from .state import attach_state  # the explicit state's CSVs (customers.initial.*_csv)

    return attach_state(scenario, doc)


def _warn_deprecated(doc: Located) -> None:
    """A :class:`~.schema.DeprecatedFieldWarning` for each deprecated field the document sets,
    naming where it was set (``file:line:column: field.path: ...``)."""
    for path, note in DEPRECATED_FIELDS.items():
        node: Any = doc.data
        for key in path:
            node = node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
        if node is _MISSING:
            continue
        where = doc.where(path)
        prefix = f"{where}: " if where is not None else ""
        warnings.warn(f"{prefix}{'.'.join(path)}: {note}", DeprecatedFieldWarning, stacklevel=2)


_MISSING = object()


def doc_path(data: Any, loc: tuple[Any, ...]) -> Path:
    """Map a pydantic error location onto the path of the document.

    Pydantic drops the name of a distribution (``acv.sd`` for ``acv: {lognormal: {sd: -1}}``)
    and adds tags for union members; the result here is the path as written in the file.
    """
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict):
            if part in node:
                out.append(part)
                node = node[part]
                continue
            if len(node) == 1:
                (name, params), = node.items()
                if name in REGISTRY and isinstance(params, dict):
                    out.append(name)
                    if part in params:
                        out.append(part)
                        node = params[part]
                        continue
                    node = params
                    if last:
                        out.append(part)
                    continue
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
            continue
        if isinstance(part, str) and _UNION_TAG.match(part):
            continue  # pydantic names the union member it tried: not part of the file
        out.append(part)
        node = None
    return tuple(out)


_UNION_TAG = re.compile(r"^([a-z-]+\[.*\]|int|float|str|bool|list|dict|tuple|none)$")
"""Location parts pydantic adds for union members, e.g. ``function-after[...]``, ``float``."""


_EXPECTED = {
    "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "text", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "list_type": "a list",
}
_BOUND = {
    "greater_than_equal": ("ge", ">="), "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="), "less_than": ("lt", "<"),
}


def _problem(err: Mapping[str, Any], doc: Located) -> Problem:
    """One pydantic error -> one Problem with location, path, expected/found, suggestion."""
    path = doc_path(doc.data, tuple(err["loc"]))
    kind = err["type"]
    found_value = err.get("input")
    ctx = err.get("ctx") or {}
    expected: str | None = None
    found: str | None = None
    suggestion: str | None = None

    if kind == "extra_forbidden":
        key = str(path[-1])
        keys = introspect.valid_keys(introspect.type_at(path[:-1]))
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
        suggestion = close[0] if close else None
        expected = "one of " + ", ".join(keys) if keys else "a known key"
        found = f"'{key}'"
        hint = f"did you mean '{suggestion}'?" if suggestion else f"valid keys: {', '.join(keys)}"
        message = f"unknown key '{key}'; {hint}"
    elif kind == "missing":
        key = str(path[-1])
        parent = introspect.type_at(path[:-1])
        fields = introspect.model_fields(introspect.strip(parent)) if introspect.is_model(parent) else {}
        info = fields.get(key)
        about = f" ({info.description})" if info is not None and info.description else ""
        expected, found = f"a value for '{key}'", "nothing"
        message = f"missing required key '{key}'{about}"
        if path in doc.deleted:
            message += f"; the inherited value was deleted by '{key}: null' at {doc.deleted[path]}"
    elif kind in _EXPECTED or kind in _BOUND or kind == "literal_error":
        found = describe(found_value)
        if kind in _BOUND:
            name, op = _BOUND[kind]
            whole = introspect.strip(introspect.type_at(path)) is int
            expected = f"{'a whole number' if whole else 'a number'} {op} {_num(ctx.get(name))}"
        elif kind == "literal_error":
            choices = introspect.literal_choices(introspect.type_at(path))
            expected = "one of " + (", ".join(f"'{c}'" for c in choices) or str(ctx.get("expected")))
            close = difflib.get_close_matches(str(found_value), choices, n=1, cutoff=0.6)
            suggestion = close[0] if close else None
        else:
            expected = _EXPECTED[kind]
        if kind == "finite_number" and isinstance(found_value, str):
            low = found_value.strip().lower().lstrip("+-.")
            found = (f"{found_value} (not a number)" if low == "nan"
                     else f"{found_value} (too large for a number)" if low not in ("inf", "infinity")
                     else found_value)
        message = f"expected {expected}, found {found}"
        if kind == "string_type" and isinstance(found_value, int | float | bool):
            message += " (put text that looks like a number in quotes)"
        if suggestion:
            message += f"; did you mean '{suggestion}'?"
    elif kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        expected = f"{'at least' if kind == 'too_short' else 'at most'} {n} entr{'y' if n == 1 else 'ies'}"
        found = describe(found_value)
        message = f"expected {expected}, found {found}"
    elif kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err.get("msg", "")))
        path, message = _path_from_message(doc.data, path, message)
        named = re.search(r"did you mean '([^']+)'", message)
        suggestion = named.group(1) if named else None
        found = describe(found_value)
        message += _merged_note(doc, path, message)
    else:
        message = str(err.get("msg", kind))
        found = describe(found_value)
    where = doc.where(path, value=kind not in ("extra_forbidden", "missing"))
    file, line, column = (where.source, where.line, where.column) if where else (None, None, None)
    return Problem(message=message, file=file, line=line, column=column, path=dotted(path),
                   expected=expected, found=found, suggestion=suggestion)


def _merged_note(doc: Located, path: Path, message: str = "") -> str:
    """When the mapping at ``path`` was merged from several files (a child over its parent),
    say which entries came from which file: the value the check saw is not the one file's.
    When the message names a key a child deleted with ``key: null``, say where instead."""
    deleted = [f"'{p[-1]}' was deleted by '{p[-1]}: null' at {loc}"
               for p, loc in doc.deleted.items() if f"'{p[-1]}'" in message]
    if deleted:
        return "; " + "; ".join(deleted)
    n = len(path)
    if n == 0:
        return ""  # the whole scenario: every top-level key would be listed
    children = {p[n]: loc for p, loc in doc.locs.items() if len(p) == n + 1 and p[:n] == path}
    sources = {loc.source for loc in children.values()}
    if len(sources) < 2:
        return ""
    by_file: dict[str, list[str]] = {}
    for key, loc in children.items():
        by_file.setdefault(loc.source, []).append(f"{key} (line {loc.line})" if loc.line else str(key))
    parts = [f"{', '.join(keys)} from {source}" for source, keys in by_file.items()]
    return "; this value was merged from several files (extends): " + "; ".join(parts)


def _path_from_message(data: Any, path: Path, message: str) -> tuple[Path, str]:
    """A model-level check names the field it is about (``"marketing.channels.web.segment_mix
    names unknown segment(s) ..."``, or ``"segment_mix shares must sum to 1"`` inside a
    channel): use that field's path and location when it exists."""
    head, _, rest = message.partition(" ")
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    section = introspect.type_at(path)
    if ("." not in head and rest and isinstance(node, dict) and head in node
            and introspect.is_model(section) and not introspect.is_distribution(section)):
        return (*path, head), message
    if "." not in head or not rest:
        return path, message
    candidate: list[str | int] = []
    node = data
    for part in head.split("."):
        if not isinstance(node, dict) or part not in node:
            return path, message
        candidate.append(part)
        node = node[part]
    return tuple(candidate), rest


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- dumping
class _Flow(dict):
    """A mapping written in YAML flow style (distributions: ``{lognormal: {mean: 3, sd: 1}}``)."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)


def to_plain(value: Any) -> Any:
    """A scenario (or any part of it) as plain data in scenario-file form."""
    if isinstance(value, Distribution):
        form = value.to_yaml()
        return _Flow(form) if isinstance(form, dict) else form
    if isinstance(value, BaseModel):
        return {
            (info.alias or name): to_plain(getattr(value, name))
            for name, info in type(value).model_fields.items()
            if not info.exclude and not (_is_deprecated(info) and getattr(value, name) == info.default)
        }
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return to_plain(value.value)  # an Enum member
    return value


def _is_deprecated(info: Any) -> bool:
    """A deprecated field (still read, never used): left out of a dump at its default, so a
    saved scenario does not warn when it is loaded again."""
    extra = info.json_schema_extra
    return isinstance(extra, dict) and extra.get("deprecated") is True


def dump(scenario: BaseModel) -> str:
    """The scenario as YAML text that loads back to an equal Scenario."""
    return yaml.dump(to_plain(scenario), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
