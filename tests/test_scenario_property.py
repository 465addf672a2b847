"""Property tests: whatever a person (or a fuzzer) writes, the loader either returns a
Scenario or raises ScenarioError with a message; never another exception, never a hang.

Documents come from three sources: random text, random YAML-like data, and mutations of a
valid scenario (keys deleted, renamed or misspelled, values replaced by other types, values
inserted). Runs are derandomized so the suite is deterministic, and capped for speed.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simorg.scenario import Scenario, ScenarioError, dump, load, load_dict

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "bad_scenarios"
SOURCE = ROOT / "scenarios" / "baseline.yaml"
if not SOURCE.exists():
    SOURCE = DATA / "valid_base.yaml"
VALID: dict[str, Any] = yaml.safe_load(SOURCE.read_text())

FAST = settings(max_examples=120, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

_TMP = tempfile.TemporaryDirectory(prefix="simorg-prop-")
TMP = Path(_TMP.name)


def check(call) -> Scenario | None:
    """Run a load; it must give a Scenario or a well-formed ScenarioError."""
    try:
        sc = call()
    except ScenarioError as err:
        text = err.format()
        assert text and err.problems
        assert "bug in simorg" not in text, text
        assert "Traceback" not in text
        return None
    assert isinstance(sc, Scenario)
    return sc


def check_text(text: str) -> Scenario | None:
    path = TMP / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    return check(lambda: load(path))


# --------------------------------------------------------------------------- values
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["lognormal", "extends", "0.5", "true", "~", "1e3", "!!python/object", ""]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
        st.builds(lambda name, p: {name: p},
                  st.sampled_from(["lognormal", "gamma", "beta", "normal", "empirical", "uniform",
                                   "triangular", "constant", "exponential", "nope"]),
                  st.dictionaries(st.sampled_from(["mean", "sd", "min", "max", "mode", "a", "b",
                                                   "shape", "scale", "values", "mu", "sigma"]),
                                  children, max_size=3)),
    ),
    max_leaves=12,
)


# --------------------------------------------------------------------------- mutations
def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path in a document (mapping keys and list indexes)."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*prefix, i))
    return out


ALL_PATHS = paths(VALID)


def _parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document with one to three edits a careless person (or worse) could make."""
    doc = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        live = paths(doc)
        if not live:
            break
        path = draw(st.sampled_from(live))
        parent = _parent(doc, path)
        key = path[-1]
        op = draw(st.sampled_from(["delete", "rename", "typo", "replace", "retype", "insert"]))
        if op == "delete":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(key)
        elif op == "typo" and isinstance(parent, dict):
            name = str(key)
            i = draw(st.integers(0, max(0, len(name) - 1)))
            parent[name[:i] + draw(st.sampled_from("aeiosx_")) + name[i + 1:]] = parent.pop(key)
        elif op == "replace":
            parent[key] = draw(values)
        elif op == "retype":
            old = parent[key]
            parent[key] = draw(st.sampled_from([str(old), [old], {"x": old}, None, -1, 10**12]))
        elif op == "insert" and isinstance(parent[key], dict):
            parent[key][draw(st.text(max_size=10))] = draw(values)
    return doc


def _yaml_text(doc: Any) -> str | None:
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return None


# --------------------------------------------------------------------------- properties
@FAST
@given(st.text(max_size=200))
def test_random_text_loads_or_fails_cleanly(text: str) -> None:
    check_text(text)


yamlish = st.lists(st.sampled_from([
    "name: x\n", "horizon_months: 12\n", "teams:\n", "  ae:\n", "    headcount: 3\n", "- a\n",
    "extends: doc.yaml\n", "extends: missing.yaml\n", "a: &x [1]\n", "b: *x\n", "<<: {c: 1}\n",
    "!!python/object:os.system x\n", "!!binary aGk=\n", "{", "}", "[", "]", ":", "  ", "\t", "---\n",
    "segments: {smb: {acv: {lognormal: {mean: 1, sd: 1}}}}\n", "'", '"', "? a\n", "%YAML 1.1\n",
    "date: 2024-01-01\n", "k: .nan\n", "k: .inf\n", "1: 2\n", "on: off\n",
]), max_size=12).map("".join)


@FAST
@given(yamlish)
def test_yaml_fragments_load_or_fail_cleanly(text: str) -> None:
    check_text(text)


@FAST
@given(values)
def test_random_documents_load_or_fail_cleanly(doc: Any) -> None:
    check(lambda: load_dict(doc))
    text = _yaml_text(doc)
    if text is not None:
        check_text(text)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


@settings(FAST, max_examples=150)
@given(mutated())
def test_mutated_documents_load_or_fail_cleanly(doc: dict[str, Any]) -> None:
    sc = check(lambda: load_dict(doc))
    text = _yaml_text(doc)
    from_file = check_text(text) if text is not None else None
    if sc is not None:
        # whatever loads also survives the round trip, value for value
        assert dump(load_dict(yaml.safe_load(dump(sc)))) == dump(sc)
        if from_file is not None:
            assert dump(from_file) == dump(sc)


@FAST
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.one_of(values, st.text(max_size=20))),
                min_size=1, max_size=3))
def test_random_overrides_load_or_fail_cleanly(items: list[tuple[tuple, Any]]) -> None:
    overrides = {".".join(str(p) for p in path): value for path, value in items}
    check(lambda: load(SOURCE, overrides=overrides))
    as_text = [f"{k}={v}" for k, v in overrides.items() if isinstance(v, str)]
    if as_text:
        check(lambda: load(SOURCE, overrides=as_text))


def test_unmutated_source_loads() -> None:
    """The mutation source is valid, so mutations test near-misses, not noise."""
    assert check(lambda: load_dict(copy.deepcopy(VALID))) is not None
