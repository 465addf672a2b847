"""The scenario format described for machines (JSON Schema) and for people (markdown).

Both are generated from the pydantic schema, so they cannot drift from what the loader
accepts. :func:`json_schema` adds what pydantic cannot know: the ``extends`` key, a relaxed
variant for files that extend a parent (which may leave anything out), and the parameters
of every registered distribution, so an editor completes ``{lognormal: {mean: , sd: }}``.

Regenerate the committed reference with::

    python -m simorg.scenario.reference > docs/scenarios.md
    python -m simorg.scenario.reference --json > scenario.schema.json
"""

from __future__ import annotations

import copy
import inspect
import json
import sys
import typing
from typing import Any

import annotated_types as at
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import introspect
from .distributions import REGISTRY, Distribution, Support

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_PARTIAL = "__partial"
_EXTENDS_SCHEMA = {
    "type": "string",
    "description": "parent scenario file (path relative to this file); this file's keys are "
    "deep-merged over it: mappings merge, lists, numbers, text and distributions replace",
}


# --------------------------------------------------------------------------- JSON Schema
def json_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) for scenario files, for editors and other tools.

    A file with ``extends`` is checked against a variant in which nothing is required
    (its parent supplies the rest); a file without it must be complete.
    """
    root = introspect.root()
    base = root.model_json_schema(by_alias=True)
    defs: dict[str, Any] = base.pop("$defs", {})
    dist_defs = _distribution_defs()
    defs = {name: _use_distribution_ref(d) for name, d in defs.items()}
    base = _use_distribution_ref(base)
    base.setdefault("properties", {})["extends"] = dict(_EXTENDS_SCHEMA)
    title = base.pop("title", root.__name__)
    defs[title] = base
    partial = {f"{name}{_PARTIAL}": _relaxed(d, set(defs)) for name, d in defs.items()}
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "simorg scenario",
        "description": (inspect.getdoc(root) or "").split("\n")[0],
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": f"#/$defs/{title}{_PARTIAL}"},
        "else": {"$ref": f"#/$defs/{title}"},
        "$defs": {**defs, **partial, **dist_defs},
    }


def _distribution_defs() -> dict[str, Any]:
    """``Distribution``: a number or one of the registered ``{name: {params}}`` forms."""
    forms: list[dict[str, Any]] = [{"type": "number", "description": "a constant"}]
    out: dict[str, Any] = {}
    for name, cls in REGISTRY.items():
        params = cls.model_json_schema(by_alias=True)
        params.pop("title", None)
        params["description"] = inspect.getdoc(cls) or name
        key = f"dist_{name}"
        out[key] = params
        value: dict[str, Any] = {"$ref": f"#/$defs/{key}"}
        if name == "constant":
            value = {"anyOf": [{"type": "number"}, value]}
        forms.append({
            "type": "object",
            "properties": {name: value},
            "required": [name],
            "additionalProperties": False,
        })
    out["Distribution"] = {
        "description": "a number (a constant) or a one-key mapping naming a distribution, "
        "e.g. {lognormal: {mean: 30, sd: 15}}",
        "anyOf": forms,
    }
    return out


def _is_distribution_schema(node: Any) -> bool:
    if not isinstance(node, dict) or "anyOf" not in node:
        return False
    for option in node["anyOf"]:
        names = option.get("propertyNames", {}).get("enum") if isinstance(option, dict) else None
        if names and set(names) <= set(REGISTRY):
            return True
    return False


def _use_distribution_ref(node: Any) -> Any:
    """Replace pydantic's inline distribution schema with a reference to the full one."""
    if _is_distribution_schema(node):
        keep = {k: v for k, v in node.items() if k in ("default", "description", "title")}
        return {**keep, "$ref": "#/$defs/Distribution"}
    if isinstance(node, dict):
        return {k: _use_distribution_ref(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_use_distribution_ref(v) for v in node]
    return node


def _relaxed(node: Any, names: set[str]) -> Any:
    """A copy with nothing required and references to sections pointing to relaxed copies."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "required":
                continue
            if key == "$ref" and isinstance(value, str):
                target = value.rsplit("/", 1)[-1]
                out[key] = f"#/$defs/{target}{_PARTIAL}" if target in names else value
            else:
                out[key] = _relaxed(value, names)
        return out
    if isinstance(node, list):
        return [_relaxed(v, names) for v in node]
    return copy.deepcopy(node)


# --------------------------------------------------------------------------- markdown
_INTRO = """\
# Scenario file reference

<!-- Generated from simorg/scenario/schema.py by
     `python -m simorg.scenario.reference > docs/scenarios.md`; do not edit by hand. -->

A scenario is a YAML file describing a go-to-market organization and its market. This page
lists every key the loader accepts; any other key is an error (with the closest valid name
suggested). Check a file with `simorg validate FILE`; editors can complete and check files
with the JSON Schema that `simorg schema` writes.

**Inheritance.** `extends: baseline.yaml` (a path relative to the file) loads that file
first and deep-merges this one over it. The rule:

* sections (`teams`, `teams.ae`, `segments`, `marketing.channels`, each segment or channel...)
  merge key by key: the child writes only what it changes;
* numbers, text, lists and distributions replace the parent's value;
* a *segment mix* (any mapping of names to numbers: `segment_mix`, `self_source_segment_mix`,
  `org.pods`) replaces the parent's mix as a whole, so its shares are exactly the child's
  (`segment_mix: {mid: 0.6, ent: 0.4}` over a parent's `{smb: 0.55, mid: 0.35, ent: 0.10}` is
  `{mid: 0.6, ent: 0.4}`, not a sum of 1.55);
* `key: null` deletes an inherited key: `segments: {smb: null}` removes the parent's `smb`
  segment, `marketing: {channels: {events: null}}` its `events` channel, and `tiers: null`
  restores a field's default. Deleting something still required, or still named elsewhere (a
  mix that names the deleted segment), is an error that says where the `null` was written.

A parent may itself extend another file; cycles are errors. A parent must be a scenario (a
mapping with at least one scenario key); another kind of file is refused without showing its
content. An error about a mapping whose entries came from several files lists which entry
came from which file and line.

**Limits.** A scenario file may be at most 1,000,000 bytes, UTF-8 (a UTF-16 file is named as
such), nested fewer than 40 levels deep. Every number must be finite: `.inf`, `.nan` and
numbers too large for a float (`1e400`) are errors, as are `yes`/`no`/`true`/`false` where a
number belongs (YAML reads them as true/false, never as 1/0). A scenario that would create
more than 2,000,000 work items in one replication is refused with the estimate in the
message; counted are marketing leads (`budget * (1 + growth)^month / cost_per_lead`, summed
over the horizon), AE self-sourced opportunities at most (peak AE headcount x
`self_source_per_month` x months) and initial accounts: the large-organization benchmark makes about
816,000 leads in 10 years at about 36 s and 760 MiB per replication, and time and memory
grow in proportion (assumption: linear scaling from that benchmark).

**Distribution ranges.** Every distribution field declares the range of its quantity
(column *range*: an amount or a size relative to ARR `[0, ∞)`, a duration in days
`[0, ∞)`, a fit or health `[0, 1]`). A distribution that can draw a value outside the range
is rejected when the scenario loads, never truncated silently: a `normal` with `min: null`
on a deal size is refused (the default `min: 0` truncates, as that form documents), a
`uniform` up to 3 for a fit is refused (use `beta`).

**Warnings.** `simorg validate` also prints warnings (never errors) for legal values that are
almost surely a unit slip, naming the field and the likely intended value (attrition above 1
per person-year, a commission or bonus of half the ARR or more, a salary below 1,000 a year,
a mean sales cycle under 14 days for a mean ACV of 50,000 or more or under 7 days from
10,000, programme spend above the whole go-to-market payroll), and a capacity check per
team: the offered load from the scenario's own flows (leads from budgets; opportunities =
worked leads x qualify_rate; presales and implementation work from the ACV thresholds and win
rates; CSM books from wins less churn), reported when it exceeds 1.25x the team's slots in
some month. Sources: Bridge Group 2017 (median sales cycle about 60 days at a $25K ACV);
the thresholds are assumptions.

**Overrides.** `--set teams.ae.headcount=12` on the command line, or
`simorg.load(path, overrides={"teams.ae.headcount": 12})`, replaces one value after
inheritance; text is converted by the field's type (`12` is a number,
`{lognormal: {mean: 30, sd: 15}}` a distribution). List items are addressed by number:
`teams.ae.plan.0.headcount`.

**Distributions.** A field of type *distribution* takes a number (a constant) or a one-key
mapping such as `{lognormal: {mean: 30, sd: 15}}`; the forms are listed at the end.

In the tables, `<name>` stands for a name you choose (a segment, a channel) and `[]` for
each item of a list. Ranges are inclusive with `[ ]` and exclusive with `( )`.
"""


def render_reference_markdown() -> str:
    """The scenario reference (docs/scenarios.md): every field with its path, type,
    description and unit, default and allowed range; then the distributions."""
    out = [_INTRO]
    for title, rows in _sections(introspect.root(), ""):
        out.append(f"## `{title}`\n" if title else "## Top level\n")
        out.append("| key | type | description | default | range |")
        out.append("|---|---|---|---|---|")
        for row in rows:
            out.append("| " + " | ".join(_cell(c) for c in row) + " |")
        out.append("")
    out.append(_distribution_table())
    return "\n".join(out).rstrip() + "\n"


Row = tuple[str, str, str, str, str]


def _sections(model: type[BaseModel], prefix: str) -> list[tuple[str, list[Row]]]:
    """Breadth of one section (its own rows) followed by its subsections, depth first."""
    rows: list[Row] = []
    subsections: list[tuple[str, list[Row]]] = []
    for key, info in introspect.model_fields(model).items():
        path = f"{prefix}.{key}" if prefix else key
        tp = introspect.strip(info.annotation)
        inner, suffix = _container_model(tp)
        rows.append((f"`{path}`", _type_name(introspect._annotation(info)),
                     _description(info, tp, path), _default(info), _range(info)))
        if inner is not None:
            subsections.extend(_sections(inner, path + suffix))
    if prefix:
        return [(prefix, rows), *subsections]
    return [("", rows), *subsections]


def _container_model(tp: Any) -> tuple[type[BaseModel] | None, str]:
    """The section model inside a field (itself, a dict's values, a list's items)."""
    if introspect.is_model(tp) and not introspect.is_distribution(tp):
        return introspect.strip(tp), ""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict and len(args) == 2 and _is_section(args[1]):
        return introspect.strip(args[1]), ".<name>"
    if origin is list and args and _is_section(args[0]):
        return introspect.strip(args[0]), "[]"
    return None, ""


def _is_section(tp: Any) -> bool:
    return introspect.is_model(tp) and not introspect.is_distribution(tp)


def _type_name(tp: Any) -> str:
    tp = introspect.strip(tp)
    if introspect.is_distribution(tp):
        return "distribution"
    if _is_section(tp):
        return "section"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is dict and len(args) == 2:
        value = "section" if _is_section(args[1]) else _type_name(args[1])
        return f"mapping name → {value}"
    if origin is list and args:
        return f"list of {'sections' if _is_section(args[0]) else _type_name(args[0])}"
    if origin in (typing.Union, __import__("types").UnionType):
        return " or ".join(_type_name(a) for a in args)
    return {int: "integer", float: "number", bool: "true/false", str: "text",
            type(None): "null"}.get(tp, getattr(tp, "__name__", str(tp)))


def _description(info: FieldInfo, tp: Any, path: str) -> str:
    """The field's description; for a section without one, its class docstring (or that of
    the class it specialises), else a pointer to its table."""
    if info.description:
        return _markdown(info.description)
    if _is_section(tp) or _container_model(tp)[0] is not None:
        model = _container_model(tp)[0] or tp
        for cls in model.__mro__:
            if cls.__module__.startswith("pydantic") or cls.__name__ == "Strict" or cls is object:
                break  # stop at the schema's common base: its docstring describes no section
            doc = cls.__dict__.get("__doc__")
            if doc:
                return _markdown(inspect.cleandoc(doc).split("\n\n")[0].replace("\n", " "))
        return f"see `{path}` below"
    return ""


def _markdown(text: str) -> str:
    """Docstrings use reStructuredText literals (``x``); markdown wants `x`."""
    return text.replace("``", "`")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "see section"
    else:
        value = info.default
    from .loader import to_plain

    text = yaml.safe_dump(to_plain(value), default_flow_style=True, width=1000).strip()
    text = text.removesuffix("...").strip()
    return f"`{text}`"


def _range(info: FieldInfo) -> str:
    """Allowed values from the field's constraints (and those of a mapping's values); for a
    distribution, the declared range of its draws."""
    supports = [m for m in info.metadata if isinstance(m, Support)]
    if supports:
        return f"every draw in {supports[0].text()}"
    parts = [_bounds(info.metadata)]
    tp = introspect.strip(info.annotation)
    args = typing.get_args(tp)
    if typing.get_origin(tp) is dict and len(args) == 2:
        inner = _bounds(_metadata(args[1]))
        if inner:
            parts.append(f"each {inner}")
    return "; ".join(p for p in parts if p)


def _metadata(tp: Any) -> list[Any]:
    out: list[Any] = []
    if typing.get_origin(tp) is typing.Annotated:
        for m in typing.get_args(tp)[1:]:
            out.extend(m.metadata if isinstance(m, FieldInfo) else [m])
    return out


def _bounds(metadata: list[Any]) -> str:
    lo: Any = None
    hi: Any = None
    lo_open = hi_open = False
    sizes = []
    for m in metadata:
        if isinstance(m, at.Ge):
            lo = m.ge
        elif isinstance(m, at.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, at.Le):
            hi = m.le
        elif isinstance(m, at.Lt):
            hi, hi_open = m.lt, True
        elif isinstance(m, at.MinLen):
            sizes.append(f"at least {m.min_length}")
        elif isinstance(m, at.MaxLen):
            sizes.append(f"at most {m.max_length}")
    text = ""
    if lo is not None or hi is not None:
        left = "(" if lo_open or lo is None else "["
        right = ")" if hi_open or hi is None else "]"
        text = f"{left}{_num(lo) if lo is not None else '-∞'}, {_num(hi) if hi is not None else '∞'}{right}"
    if sizes:
        n = [m.min_length for m in metadata if isinstance(m, at.MinLen)]
        noun = "entry" if n == [1] and len(sizes) == 1 else "entries"
        text = "; ".join([*([text] if text else []), " ".join(sizes) + f" {noun}"])
    return text


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _distribution_table() -> str:
    lines = [
        "## Distributions\n",
        "Write `{name: {parameter: value, ...}}`; a bare number is a constant.\n",
        "| name | parameters | what it is |",
        "|---|---|---|",
    ]
    for name, cls in REGISTRY.items():
        params = []
        for key, info in introspect.model_fields(cls).items():
            bound = _bounds(info.metadata)
            shown = f"`{key}`" + (f" {bound}" if bound else "")
            if not info.is_required():
                shown += " (optional)" if info.default is None else f" (default `{info.default}`)"
            params.append(shown)
        doc = _markdown((inspect.getdoc(cls) or "").replace("\n", " "))
        lines.append(f"| `{name}` | {', '.join(params)} | {_cell(doc)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m simorg.scenario.reference [--json]``: print the markdown or the schema."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--json"]:
        print(json.dumps(json_schema(), indent=2))
    elif not args:
        sys.stdout.write(render_reference_markdown())
    else:
        print("usage: python -m simorg.scenario.reference [--json]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = ["Distribution", "json_schema", "main", "render_reference_markdown"]
