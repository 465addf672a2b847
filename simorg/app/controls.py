"""The page's controls, read from the scenario schema: labels, help text, bounds and choices.

Nothing here hard-codes a field's meaning: each control's help text is the field's
``description`` in :mod:`simorg.scenario.schema`, its bounds are the field's ``ge`` / ``le`` /
``gt`` / ``lt`` constraints, its choices are the ``Literal`` values. What is hard-coded is
*which* settings a meeting cares about (:data:`GROUPS`): headcounts and hiring plans,
budgets, org rules, comp plans and behaviour switches. Groups that name a whole section
(``org``, ``behaviour``) list every simple field in it, so a rule or switch added to the
schema later shows up on the page without a change here; any other field can be set in the
page's "any setting" box as ``dotted.key = value`` (the same syntax as ``--set``).
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel

from ..scenario import introspect

ROLE_WORDS = {"marketing": "Marketing", "sdr": "SDRs", "ae": "AEs", "presales": "Presales",
              "implementation": "Implementation", "csm": "CSMs", "am": "Account managers",
              "renewal_specialist": "Renewal specialists"}
"""How a team is named on the page (unknown team names are shown as written)."""

SECTION_WORDS = {"org": "", "behaviour": "", "comp": "comp", "pay_priority": "Pay priority",
                 "attribution_gaming": "Attribution gaming", "promise_inflation": "Promise inflation",
                 "sdr_bar_lowering": "SDR bar lowering", "marketing_volume_bias": "Marketing volume bias"}


@dataclass
class Control:
    """One input on the page, bound to a dotted scenario path."""

    path: str
    label: str
    help: str
    kind: str  # int | float | bool | choice | yaml
    value: Any
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    exclusive_max: bool = False
    choices: list[str] = field(default_factory=list)
    optional: bool = False
    step: float | None = None


@dataclass
class Group:
    """A titled set of controls (people, budgets, org rules...)."""

    key: str
    title: str
    controls: list[Control] = field(default_factory=list)


# (group key, title, [(path pattern, fields or "*")]); "<team>" / "<channel>" expand to the
# scenario's own teams / channels, "*" means every simple field of the section.
TEAM_PEOPLE = ("headcount", "plan", "ramp_months", "attrition_per_year", "backfill")
GROUPS: tuple[tuple[str, str, tuple[tuple[str, tuple[str, ...] | str], ...]], ...] = (
    ("horizon", "Run length (both arms)", (("", ("horizon_months",)),)),
    ("people", "People and hiring plans", (("teams.<team>", TEAM_PEOPLE),
                                           ("teams.csm", ("touches_per_month",)))),
    ("budgets", "Budgets", (("marketing.channels.<channel>", ("budget_per_month", "budget_growth_per_month")),
                            ("marketing", ("measured_on",)))),
    ("org", "Org rules", (("org", "*"),)),
    ("comp", "Comp plans", (("teams.ae", ("quota_per_year", "commission_rate")), ("teams.ae.comp", "*"),
                            ("teams.sdr", ("pay_basis", "pay_per_qualified", "revenue_share")),
                            ("teams.presales", ("variable_pay_per_deal", "win_share")),
                            ("teams.csm", ("bonus_rate", "bonus_per_renewal", "expansion_bonus_rate")))),
    ("behaviour", "Behaviour switches", (("behaviour.*", "*"),)),
)


def words(name: str) -> str:
    """``ramp_months`` -> ``Ramp months``."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _constraints(tp: Any, info: Any | None = None) -> dict[str, float]:
    """ge / le / gt / lt collected from a field and the ``Annotated`` layers of its type."""
    found: dict[str, float] = {}
    metas: list[Any] = list(getattr(info, "metadata", []) or [])
    t = tp
    while True:
        if typing.get_origin(t) is typing.Annotated:
            args = typing.get_args(t)
            metas.extend(args[1:])
            t = args[0]
            continue
        members = [a for a in typing.get_args(t) if a is not type(None)]
        if typing.get_origin(t) in (typing.Union, types.UnionType) and len(members) == 1:
            t = members[0]
            continue
        break
    for m in metas:
        for inner in [m, *(getattr(m, "metadata", []) or [])]:
            for attr in ("ge", "le", "gt", "lt"):
                v = getattr(inner, attr, None)
                if isinstance(v, int | float) and attr not in found:
                    found[attr] = float(v)
    return found


def _optional(tp: Any) -> bool:
    t = tp
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return type(None) in typing.get_args(t)


def _kind(tp: Any) -> str | None:
    """The input kind for a field type; None for fields the page does not show as a control."""
    base = introspect.strip(tp)
    if introspect.literal_choices(base):
        return "choice"
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if base is float:
        return "float"
    origin = typing.get_origin(base)
    if origin is list:
        args = typing.get_args(base)
        if args and introspect.is_model(args[0]):
            return "yaml"  # e.g. a hiring plan: a list of {month, headcount}
    return None


def control_for(path: str, model: type[BaseModel], name: str, value: Any, prefix_label: str) -> Control | None:
    """The control of field ``name`` of ``model`` at ``path`` (None if it is not a simple field)."""
    info = introspect.model_fields(model).get(name)
    if info is None:
        return None
    tp = introspect._annotation(info)
    kind = _kind(tp)
    if kind is None:
        return None
    c = _constraints(info.annotation, info)
    label = f"{prefix_label}: {words(name).lower()}" if prefix_label else words(name)
    ctl = Control(path=path, label=label, help=info.description or "", kind=kind, value=value,
                  optional=_optional(info.annotation))
    if kind == "choice":
        ctl.choices = introspect.literal_choices(tp)
    if kind in ("int", "float"):
        if "ge" in c:
            ctl.minimum = c["ge"]
        elif "gt" in c:
            ctl.minimum, ctl.exclusive_min = c["gt"], True
        if "le" in c:
            ctl.maximum = c["le"]
        elif "lt" in c:
            ctl.maximum, ctl.exclusive_max = c["lt"], True
        ctl.step = 1 if kind == "int" else _step(value, ctl.maximum)
    return ctl


def _step(value: Any, maximum: float | None) -> float:
    """A sensible increment for a number input: 1% steps for shares, round steps for money."""
    if maximum is not None and maximum <= 1:
        return 0.01
    v = abs(float(value)) if isinstance(value, int | float) and math.isfinite(value) else 0.0
    if v >= 10000:
        return 1000
    if v >= 100:
        return 10
    return 0.1 if v < 10 else 1


def _get(doc: Any, dotted: str) -> Any:
    cur = doc
    for part in [p for p in dotted.split(".") if p]:
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _model_at(dotted: str) -> type[BaseModel] | None:
    tp = introspect.type_at([p for p in dotted.split(".") if p]) if dotted else introspect.root()
    return introspect.strip(tp) if tp is not None and introspect.is_model(tp) else None


def _expand(pattern: str, doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Concrete (path, label prefix) pairs for a pattern with ``<team>``, ``<channel>``, ``.*``."""
    if pattern.endswith(".*"):
        base = pattern[:-2]
        section = _get(doc, base) or {}
        for key in section:
            sub = f"{base}.{key}"
            if _model_at(sub) is not None:
                yield sub, SECTION_WORDS.get(key, words(key))
        return
    if "<team>" in pattern:
        for team, body in (doc.get("teams") or {}).items():
            if body is not None:
                yield pattern.replace("<team>", team), ROLE_WORDS.get(team, words(team))
        return
    if "<channel>" in pattern:
        for ch in ((doc.get("marketing") or {}).get("channels") or {}):
            yield pattern.replace("<channel>", ch), f"Channel {ch}"
        return
    last = pattern.rsplit(".", 1)[-1] if pattern else ""
    if pattern.startswith("teams.") and pattern.count(".") == 1:
        yield pattern, ROLE_WORDS.get(last, words(last))
    elif pattern == "teams.ae.comp":
        yield pattern, "AE comp"
    elif pattern in ("", "org"):
        yield pattern, ""
    else:
        yield pattern, SECTION_WORDS.get(last, words(last))


def build_controls(doc: Mapping[str, Any]) -> list[Group]:
    """The page's controls for a scenario given as its JSON dump (``model_dump(mode="json")``)."""
    groups: list[Group] = []
    seen: set[str] = set()
    for key, title, specs in GROUPS:
        group = Group(key, title)
        for pattern, names in specs:
            for base, prefix in _expand(pattern, doc):
                model = _model_at(base)
                if model is None or _get(doc, base) is None and base:
                    continue
                fields = list(introspect.model_fields(model)) if names == "*" else list(names)
                for name in fields:
                    path = f"{base}.{name}" if base else name
                    if path in seen:
                        continue
                    section = _get(doc, base) if base else doc
                    value = section.get(name) if isinstance(section, Mapping) else None
                    ctl = control_for(path, model, name, value, prefix)
                    if ctl is not None:
                        seen.add(path)
                        group.controls.append(ctl)
        if group.controls:
            groups.append(group)
    return groups


def controls_json(groups: list[Group]) -> list[dict[str, Any]]:
    """Groups as JSON-ready dicts."""
    return [{"key": g.key, "title": g.title, "controls": [asdict(c) for c in g.controls]} for g in groups]


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """A nested scenario dump as ``dotted.path -> value`` (lists of sections kept whole)."""
    out: dict[str, Any] = {}
    if isinstance(doc, Mapping):
        if not doc and prefix:
            out[prefix] = {}
        for k, v in doc.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = doc
    return out


def what_changed(start: Mapping[str, Any], now: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every setting that differs between two scenario dumps: ``{path, before, after}``."""
    a, b = flatten(start), flatten(now)
    rows = []
    for path in sorted(set(a) | set(b)):
        if path in ("name", "description"):
            continue
        if a.get(path, None) != b.get(path, None):
            rows.append({"path": path, "before": a.get(path), "after": b.get(path)})
    return rows


def control_for_problem(problem_path: str, paths: set[str]) -> str | None:
    """The control a validation problem belongs to: its path, or the closest enclosing one.

    ``teams.ae.plan[0].month`` belongs to the hiring-plan control ``teams.ae.plan``.
    """
    p = problem_path.replace("[", ".").replace("]", "")
    parts = [x for x in p.split(".") if x]
    for n in range(len(parts), 0, -1):
        cand = ".".join(parts[:n])
        if cand in paths:
            return cand
    return None
