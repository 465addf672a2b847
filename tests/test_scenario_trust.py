"""Trust at the edges (issue 13): every numeric field of the schema refuses values that would
pass as numbers and then hang, explode or give nonsense.

The schema is walked (pydantic models, not a hand-kept list), so a field added later is
covered without editing this file. For each number field, distribution field and segment mix,
non-finite values (.inf, -.inf, .nan, 1e400), booleans (``headcount: yes``) and values just
outside the declared bound or range must give a clean ScenarioError whose problem names that
field. Generated values (hypothesis) either load, and then every number in the scenario is
finite and inside its declared range, or fail with a clean error naming the field.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types as at
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from simorg.scenario import Scenario, ScenarioError, introspect, load, load_dict
from simorg.scenario.distributions import Distribution, Support
from simorg.scenario.errors import dotted

DATA = Path(__file__).parent / "data" / "bad_scenarios"
BASE: dict[str, Any] = yaml.safe_load((DATA / "valid_base.yaml").read_text())

# Every optional part present, so that every field of the schema is reachable.
FULL = copy.deepcopy(BASE)
FULL["teams"]["am"] = {"headcount": 1, "salary": 120000, "capacity": 10}
FULL["teams"]["renewal_specialist"] = {"headcount": 1, "salary": 90000}
FULL["org"] = {"key_account_arr": 200000}
FULL["teams"]["csm"]["tiers"] = [{"min_arr": 50000, "weight": 2}]
FULL["teams"]["ae"]["comp"] = {"cap": 3}
for _role in ("marketing", "sdr", "presales", "implementation", "csm", "am", "renewal_specialist"):
    FULL["teams"][_role]["plan"] = [{"month": 12, "headcount": 3}]

FAST = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- the schema walk
def _number_kind(tp: Any) -> str | None:
    """'int', 'float', 'dist', 'mix' for fields this file attacks, else None."""
    if introspect.is_distribution(tp):
        return "dist"
    if introspect.is_number_map(tp):
        return "mix"
    bare = introspect.strip(tp)
    if bare is int:
        return "int"
    if bare is float:
        return "float"
    return None


def _bounds(tp: Any) -> tuple[float | None, bool, float | None, bool]:
    """(lower, lower is strict, upper, upper is strict) from Field(ge=..., gt=...) metadata."""
    lo = hi = None
    lo_strict = hi_strict = False
    stack = [tp]
    while stack:
        t = stack.pop()
        if typing.get_origin(t) is typing.Annotated:
            for m in typing.get_args(t)[1:]:
                if isinstance(m, at.Ge):
                    lo = float(m.ge)
                elif isinstance(m, at.Gt):
                    lo, lo_strict = float(m.gt), True
                elif isinstance(m, at.Le):
                    hi = float(m.le)
                elif isinstance(m, at.Lt):
                    hi, hi_strict = float(m.lt), True
            stack.append(typing.get_args(t)[0])
        elif typing.get_origin(t) in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(t))
    return lo, lo_strict, hi, hi_strict


def _support(tp: Any) -> Support | None:
    while typing.get_origin(tp) is typing.Annotated:
        for m in typing.get_args(tp)[1:]:
            if isinstance(m, Support):
                return m
        tp = typing.get_args(tp)[0]
    return None


def numeric_fields(model: type[BaseModel] = Scenario, prefix: tuple = (), doc: Any = FULL) -> list[tuple]:
    """(path, kind, type) of every number, distribution and mix field, walking the models."""
    out: list[tuple] = []
    for name, info in introspect.model_fields(model).items():
        tp = introspect._annotation(info)
        path = (*prefix, name)
        sub = doc.get(name) if isinstance(doc, dict) else None
        kind = _number_kind(tp)
        if kind is not None:
            out.append((path, kind, tp))
            continue
        bare = introspect.strip(tp)
        if introspect.is_model(bare):
            out += numeric_fields(bare, path, sub if isinstance(sub, dict) else {})
            continue
        origin, args = typing.get_origin(bare), typing.get_args(bare)
        if origin is dict and introspect.is_model(args[1]) and isinstance(sub, dict) and sub:
            key = next(iter(sub))
            out += numeric_fields(introspect.strip(args[1]), (*path, key), sub[key])
        elif origin is list and args and introspect.is_model(args[0]) and isinstance(sub, list) and sub:
            out += numeric_fields(introspect.strip(args[0]), (*path, 0), sub[0])
    return out


FIELDS = numeric_fields()
IDS = [dotted(p) for p, _, _ in FIELDS]


def _with(path: tuple, value: Any) -> dict[str, Any]:
    return _with_doc(copy.deepcopy(FULL), path, value)


def _mix_value(value: Any) -> dict[str, Any]:
    return {"smb": value, "enterprise": 0.5}


def _error_at(doc: dict[str, Any], path: tuple) -> str:
    """Load ``doc``; it must fail cleanly with a problem naming ``path``. Returns the text."""
    with pytest.raises(ScenarioError) as info:
        load_dict(doc)
    text = info.value.format()
    assert "bug in simorg" not in text, text
    want = dotted(path)
    assert any(p.path == want or p.path.startswith(want + ".") or p.path.startswith(want + "[")
               for p in info.value.problems), text
    return text


def test_the_walk_reaches_every_part() -> None:
    """The walk finds the fields the issue names, in optional teams and lists too."""
    names = set(IDS)
    for expected in ("teams.ae.headcount", "marketing.channels.web.budget_per_month",
                     "segments.smb.acv", "customers.initial.health", "teams.am.salary",
                     "teams.csm.tiers[0].weight", "teams.sdr.plan[0].headcount",
                     "teams.ae.comp.cap", "org.pods", "behaviour.pay_priority.days_per_doubling"):
        assert expected in names
    assert len(FIELDS) > 120
    assert isinstance(load_dict(copy.deepcopy(FULL)), Scenario)


@pytest.mark.parametrize(("path", "kind", "tp"), FIELDS, ids=IDS)
def test_non_finite_and_boolean_values_are_refused(path: tuple, kind: str, tp: Any) -> None:
    for bad in (math.inf, -math.inf, math.nan, True, False):
        value = _mix_value(bad) if kind == "mix" else bad
        text = _error_at(_with(path, value), path)
        if isinstance(bad, bool):
            assert "true or false" in text or "yes/no" in text, text
    if kind == "dist":  # inside a distribution's parameters as well
        text = _error_at(_with(path, {"normal": {"mean": math.inf, "sd": 1}}), path)
        assert "finite" in text, text
        _error_at(_with(path, {"uniform": {"min": 0, "max": True}}), path)


def test_1e400_in_a_file_is_refused(tmp_path: Path) -> None:
    """YAML reads 1e400 as text; as a number it overflows: refused, not read as infinity."""
    doc = _with(("marketing", "channels", "web", "budget_per_month"), "__BIG__")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False).replace("__BIG__", "1e400"))
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "s.yaml")
    assert info.value.path == "marketing.channels.web.budget_per_month"
    assert "expected a finite number, found 1e400 (too large for a number)" in info.value.format()
    doc = _with(("segments", "smb", "acv"), "__BIG__")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False).replace("__BIG__", "1.0e+400"))
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "s.yaml")
    assert info.value.path == "segments.smb.acv"


BOUNDED = [(p, k, tp) for p, k, tp in FIELDS if k in ("int", "float") and _bounds(tp) != (None, False, None, False)]


@pytest.mark.parametrize(("path", "kind", "tp"), BOUNDED, ids=[dotted(p) for p, _, _ in BOUNDED])
def test_values_beyond_a_bound_are_refused(path: tuple, kind: str, tp: Any) -> None:
    lo, lo_strict, hi, hi_strict = _bounds(tp)
    step = 1 if kind == "int" else 1e-9
    if lo is not None:
        below = lo if lo_strict else lo - step
        _error_at(_with(path, int(below) if kind == "int" else below), path)
    if hi is not None:
        above = hi if hi_strict else hi + step
        _error_at(_with(path, int(above) if kind == "int" else above + max(abs(above) * 1e-9, 0)), path)


DISTS = [(p, tp) for p, k, tp in FIELDS if k == "dist"]


@pytest.mark.parametrize(("path", "tp"), DISTS, ids=[dotted(p) for p, _ in DISTS])
def test_every_distribution_field_declares_a_range_and_enforces_it(path: tuple, tp: Any) -> None:
    support = _support(tp)
    assert support is not None and support.lo == 0.0, "each distribution field declares its range"
    _error_at(_with(path, -1.0), path)
    text = _error_at(_with(path, {"normal": {"mean": 10, "sd": 5, "min": None}}), path)
    assert "set min: 0 to truncate it" in text, text
    if support.hi is not None:
        _error_at(_with(path, {"uniform": {"min": 0.5, "max": 1.5}}), path)
        assert isinstance(load_dict(_with(path, {"beta": {"a": 2, "b": 2}})), Scenario)
    else:
        assert isinstance(load_dict(_with(path, {"lognormal": {"mean": 3, "sd": 1}})), Scenario)


def _is_share_map(tp: Any) -> bool:
    """A map of shares (values bounded by 1: a segment or owner mix), not any map of numbers
    (a span of control or travel per role is a map of numbers whose zeros mean "none")."""
    args = typing.get_args(introspect.strip(tp))
    value = args[1] if len(args) == 2 else None
    for meta in getattr(value, "__metadata__", ()):
        for m in (meta, *getattr(meta, "metadata", ())):
            if getattr(m, "le", None) == 1.0:
                return True
    return False


MIXES = [p for p, k, tp in FIELDS if k == "mix" and _is_share_map(tp)]


@pytest.mark.parametrize("path", MIXES, ids=[dotted(p) for p in MIXES])
def test_a_mix_of_zeros_is_refused(path: tuple) -> None:
    text = _error_at(_with(path, {"smb": 0, "enterprise": 0}), path)
    assert "every share is 0" in text or "sum to 1" in text, text


# --------------------------------------------------------------------------- generated values
def _all_numbers_valid(sc: Scenario) -> None:
    """Invariants of a loaded scenario: every number finite, every distribution inside the
    declared range of its field, every mix with a positive total."""
    for path, kind, tp in FIELDS:
        node: Any = sc
        for part in path:
            node = node[part] if isinstance(part, int) or isinstance(node, dict) else getattr(node, part, None)
            if node is None:
                break
        if node is None:
            continue
        if kind == "dist":
            assert isinstance(node, Distribution)
            lo, hi = node.support
            support = _support(tp)
            assert support is not None and lo >= support.lo, (path, node)
            assert support.hi is None or hi <= support.hi, (path, node)
            assert math.isfinite(node.mean)
        elif kind == "mix":
            assert not node or sum(node.values()) > 0
            assert all(math.isfinite(v) for v in node.values())
        else:
            assert not isinstance(node, bool) and math.isfinite(node), (path, node)


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6),
    st.booleans(), st.sampled_from([0, 1, -1, 0.5, 1.0000001, -1e-9, 1e308, 2, 100]),
)
dists = st.one_of(
    numbers,
    st.builds(lambda m, s, lo: {"normal": {"mean": m, "sd": s, "min": lo}}, numbers, numbers,
              st.one_of(st.none(), numbers)),
    st.builds(lambda a, b: {"uniform": {"min": a, "max": b}}, numbers, numbers),
    st.builds(lambda a, b: {"beta": {"a": a, "b": b}}, numbers, numbers),
    st.builds(lambda m, s: {"lognormal": {"mean": m, "sd": s}}, numbers, numbers),
    st.builds(lambda m, s: {"lognormal": {"mu": m, "sigma": s}}, numbers, numbers),
    st.builds(lambda v: {"empirical": {"values": v}}, st.lists(numbers, min_size=1, max_size=4)),
)


@FAST
@given(st.lists(st.sampled_from(range(len(FIELDS))), min_size=1, max_size=3), st.data())
def test_generated_values_load_valid_or_fail_cleanly(picks: list[int], data: st.DataObject) -> None:
    doc = copy.deepcopy(FULL)
    for i in picks:
        path, kind, _ = FIELDS[i]
        value = data.draw(dists if kind == "dist" else numbers)
        if kind == "mix":
            value = {"smb": value, "enterprise": data.draw(numbers)}
        doc = _with_doc(doc, path, value)
    try:
        sc = load_dict(doc)
    except ScenarioError as err:
        text = err.format()
        assert "bug in simorg" not in text and "Traceback" not in text, text
        assert all(p.path for p in err.problems) or "leads" in text, text
        return
    _all_numbers_valid(sc)


def _with_doc(doc: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    node: Any = doc
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[path[-1]] = value
    return doc


# --------------------------------------------------------------------------- work that explodes
def test_a_scenario_generating_too_many_leads_is_refused_with_the_estimate() -> None:
    """Budget growth at the schema's maximum: refused up front, the estimate in the message."""
    from simorg.scenario.checks import MAX_LEADS

    doc = _with(("marketing", "channels", "web", "budget_growth_per_month"), 0.5)
    with pytest.raises(ScenarioError) as info:
        load_dict(doc)
    assert info.value.path == "marketing.channels.web.budget_growth_per_month"
    # 40,000 * sum(1.5^m, m < 24) / 200 = 200 * (1.5^24 - 1) / 0.5
    expected = 200 * (1.5**24 - 1) / 0.5
    assert f"about {expected + 50:,.0f} leads, opportunities and accounts in one replication " \
        f"(marketing.channels.web: {expected:,.0f}; customers.initial.count: 50)" in info.value.format()
    assert f"limit of {MAX_LEADS:,}" in info.value.format()
    # the same growth over a shorter horizon is fine: the rule is the estimate, not the field
    doc["horizon_months"] = 12
    assert isinstance(load_dict(doc), Scenario)


def test_the_lead_estimate_is_the_models_rule() -> None:
    """channel_leads: budget * (1 + g)^m / cost_per_lead summed over the horizon's months."""
    from simorg.scenario.checks import channel_leads

    sc = load_dict(_with(("marketing", "channels", "web", "budget_growth_per_month"), 0.01))
    assert channel_leads(sc)["web"] == pytest.approx(200 * (1.01**24 - 1) / 0.01)


# --------------------------------------------------------------------------- files
@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "valid_base.yaml").write_text((DATA / "valid_base.yaml").read_text())
    return tmp_path


def _message(path: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load(path)
    text = info.value.format()
    assert "bug in simorg" not in text
    return text


def test_utf16_is_named(workdir: Path) -> None:
    (workdir / "s.yaml").write_text((DATA / "valid_base.yaml").read_text(), encoding="utf-16")
    assert _message("s.yaml") == "s.yaml: the file is encoded as UTF-16; save it as UTF-8"
    (workdir / "s.yaml").write_bytes("name: x\n".encode("utf-16-le"))  # no byte order mark
    assert _message("s.yaml") == "s.yaml:1: not a text file: character #x0000 is not allowed in YAML"


def test_a_utf8_byte_order_mark_is_harmless(workdir: Path) -> None:
    (workdir / "s.yaml").write_bytes(b"\xef\xbb\xbf" + (DATA / "valid_base.yaml").read_bytes())
    assert load("s.yaml").name == "base"


@pytest.mark.parametrize("depth", [45, 5000])
def test_deep_nesting_is_refused(workdir: Path, depth: int) -> None:
    (workdir / "s.yaml").write_text("name: " + "[" * depth + "]" * depth + "\n")
    assert "nested too deeply (a scenario needs fewer than 40 levels)" in _message("s.yaml")
    (workdir / "s.yaml").write_text("a: " + "{b: " * depth + "1" + "}" * depth + "\n")
    assert "nested too deeply" in _message("s.yaml")


def test_a_large_file_is_refused_before_it_is_read(workdir: Path) -> None:
    from simorg.scenario.loader import MAX_FILE_BYTES

    (workdir / "s.yaml").write_text("name: x\ndescription: " + "a" * (MAX_FILE_BYTES + 1) + "\n")
    assert _message("s.yaml") == (
        f"s.yaml: file too large: {MAX_FILE_BYTES + 23:,} bytes, the limit for a scenario file is "
        f"{MAX_FILE_BYTES:,} bytes")


SECRET = "hunter2-secret-line"


@pytest.mark.parametrize("content", [
    f"root:\n  password: {SECRET}\n",                # a mapping with no scenario key
    f"{SECRET}:x:0:0:root:/root:/bin/bash\n",        # text (like /etc/passwd)
    f"- {SECRET}\n- b\n",                             # a list
])
def test_extends_of_a_foreign_file_never_echoes_it(workdir: Path, content: str) -> None:
    (workdir / "other.txt").write_text(content)
    (workdir / "s.yaml").write_text("extends: other.txt\nname: x\n")
    text = _message("s.yaml")
    assert SECRET not in text and "password" not in text and "root" not in text
    assert text.startswith("other.txt:") and "not a scenario file" in text


def test_a_symlink_loop_is_reported(workdir: Path) -> None:
    (workdir / "a.yaml").symlink_to("b.yaml")
    (workdir / "b.yaml").symlink_to("a.yaml")
    assert _message("a.yaml") == "a.yaml: symbolic link loop: the link points back to itself"
    (workdir / "s.yaml").write_text("extends: a.yaml\n")
    assert _message("s.yaml") == "s.yaml:1:1: symbolic link loop: a.yaml points back to itself"


# --------------------------------------------------------------------------- inheritance
def _child(workdir: Path, text: str) -> Any:
    (workdir / "child.yaml").write_text("extends: valid_base.yaml\n" + text)
    return load("child.yaml")


def test_null_deletes_an_inherited_segment_and_channel(workdir: Path) -> None:
    sc = _child(workdir, "segments:\n  smb: null\nmarketing:\n  channels:\n    web: null\n"
                "    partner:\n      budget_per_month: 1000\n      cost_per_lead: 100\n      fit: 0.5\n"
                "      segment_mix: {enterprise: 1}\ncustomers:\n  initial: {segment_mix: null}\n")
    assert list(sc.segments) == ["enterprise"]
    assert list(sc.marketing.channels) == ["partner"]
    assert sc.customers.initial.segment_mix == {}  # deleted: the default (equal shares)


def test_null_on_an_optional_value_restores_its_default(workdir: Path) -> None:
    text = (DATA / "valid_base.yaml").read_text().replace(
        "    touches_per_month: 80\n", "    touches_per_month: 80\n    tiers: [{min_arr: 50000, weight: 2}]\n")
    (workdir / "valid_base.yaml").write_text(text)
    assert load("valid_base.yaml").teams.csm.tiers[0].weight == 2
    assert _child(workdir, "teams:\n  csm:\n    tiers: null\n").teams.csm.tiers == []


def test_deleting_what_the_parent_still_uses_says_where(workdir: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        _child(workdir, "segments:\n  smb: null\n")
    assert info.value.format() == (
        "valid_base.yaml:22:20: marketing.channels.web.segment_mix: names unknown segment(s) "
        "['smb']; known: ['enterprise']; 'smb' was deleted by 'smb: null' at child.yaml:3:3")
    with pytest.raises(ScenarioError) as info:
        _child(workdir, "teams:\n  ae:\n    salary: null\n")
    assert info.value.format().endswith(
        "missing required key 'salary' (fully loaded base cost per person (currency/year)); "
        "the inherited value was deleted by 'salary: null' at child.yaml:4:5")


def test_a_childs_mix_replaces_the_parents(workdir: Path) -> None:
    """The issue's case: the parent's smb share is not merged into the child's mix."""
    sc = _child(workdir, "marketing:\n  channels:\n    web:\n      segment_mix: {enterprise: 1}\n")
    assert sc.marketing.channels["web"].segment_mix == {"enterprise": 1.0}
    assert sc.marketing.channels["web"].budget_per_month == 40000  # the rest still merges
    sc = _child(workdir, "customers:\n  initial: {segment_mix: {enterprise: 0.6, smb: 0.4}}\n")
    assert sc.customers.initial.segment_mix == {"enterprise": 0.6, "smb": 0.4}


def test_an_error_on_a_merged_mapping_says_which_file_wrote_what(workdir: Path) -> None:
    """A check on a mapping whose entries come from two files names both files and lines."""
    from simorg.scenario.loader import _merged_note, merge
    from simorg.scenario.yamlread import read_yaml

    parent = read_yaml("segments:\n  smb: {win_rate: 0.2}\n", "parent.yaml")
    child = read_yaml("segments:\n  ent: {win_rate: 0.3}\n", "child.yaml")
    note = _merged_note(merge(parent, child), ("segments",), "shares must sum to 1")
    assert note == ("; this value was merged from several files (extends): smb (line 2) from "
                    "parent.yaml; ent (line 2) from child.yaml")
    assert _merged_note(child, ("segments",), "x") == ""


def test_self_sourcing_that_explodes_is_refused() -> None:
    """5 AEs growing to 7, 1e5 self-sourced opportunities each a month, 24 months: 1.68e7."""
    with pytest.raises(ScenarioError) as info:
        load_dict(_with(("teams", "ae", "self_source_per_month"), 100000))
    assert info.value.path == "teams.ae.self_source_per_month"
    assert "teams.ae.self_source_per_month: 16,800,000;" in info.value.format()
