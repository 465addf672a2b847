"""The JSON Schema and docs/scenarios.md: generated from the schema, valid, and in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from simorg.scenario import introspect, json_schema, load, render_reference_markdown
from simorg.scenario.reference import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "scenarios.md"
BASE = Path(__file__).parent / "data" / "bad_scenarios" / "valid_base.yaml"
SCENARIOS = sorted((ROOT / "scenarios").glob("**/*.yaml"))

jsonschema = pytest.importorskip("jsonschema")


def test_docs_are_in_sync_with_the_schema() -> None:
    assert DOCS.exists() and DOCS.read_text() == render_reference_markdown(), (
        "docs/scenarios.md is out of date with simorg/scenario/schema.py; regenerate it with\n"
        "    PYTHONPATH=. python -m simorg.scenario.reference > docs/scenarios.md"
    )


def _leaf_paths(model=None, prefix: str = "") -> list[tuple[str, object]]:
    from simorg.scenario.reference import _container_model

    model = model or introspect.root()
    out = []
    for key, info in introspect.model_fields(model).items():
        path = f"{prefix}.{key}" if prefix else key
        inner, suffix = _container_model(introspect.strip(info.annotation))
        if inner is None:
            out.append((path, info))
        else:
            out += _leaf_paths(inner, path + suffix)
    return out


def test_every_field_is_documented() -> None:
    """The issue asks for a description (with its unit) on every field."""
    text = render_reference_markdown()
    missing = [path for path, info in _leaf_paths() if not info.description]
    assert missing == [], f"fields without a description in schema.py: {missing}"
    for path, _ in _leaf_paths():
        assert f"| `{path}` |" in text


def test_reference_rows() -> None:
    text = render_reference_markdown()
    assert ("| `horizon_months` | integer | simulated time (months) | **required** | [1, 240] |"
            in text)
    assert ("| `teams.ae.ramp_months` | number | months until a new hire is fully productive "
            "| `0.0` | [0, 36] |") in text
    assert ("| `marketing.channels.<name>.cost_per_lead` | number | spend needed for one lead "
            "(currency/lead) | **required** | (0, ∞) |") in text
    assert "| `teams.ae.plan[].headcount` | integer |" in text
    assert "| `segments.<name>.acv` | distribution |" in text
    assert "| `lognormal` | `mean` (0, ∞) (optional), `sd` [0, ∞) (optional)" in text


def _validator():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(doc) -> list[str]:
    return sorted(e.message for e in _validator().iter_errors(doc))


@pytest.mark.parametrize("path", [BASE, *SCENARIOS], ids=lambda p: p.name)
def test_json_schema_accepts_valid_files(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    if "extends" not in doc:
        load(path)  # valid for the loader...
    assert _errors(doc) == []  # ...and for an editor


def test_json_schema_rejects_what_the_loader_rejects() -> None:
    doc = yaml.safe_load(BASE.read_text())
    doc["teams"]["ae"]["ramp_monts"] = 3
    doc["horizon_months"] = 0
    doc["segments"]["smb"]["acv"] = {"lognormal": {"mean": 3, "sdd": 1}}
    doc["segments"]["smb"]["cycle_days"] = {"weibull": {"k": 1}}
    errors = _errors(doc)
    assert "Additional properties are not allowed ('ramp_monts' was unexpected)" in errors
    assert "0 is less than the minimum of 1" in errors
    assert len(errors) == 4


def test_json_schema_relaxes_files_that_extend() -> None:
    assert _errors({"extends": "baseline.yaml", "teams": {"ae": {"headcount": 9}}}) == []
    assert _errors({"extends": "baseline.yaml", "teams": {"ae": {"headcount": -1}}}) == [
        "-1 is less than the minimum of 0"]
    assert _errors({"extends": "baseline.yaml", "team": {}}) == [
        "Additional properties are not allowed ('team' was unexpected)"]
    assert "'teams' is a required property" in _errors({"name": "x"})


def test_distribution_forms_in_schema() -> None:
    ok = [5, {"constant": 3}, {"constant": {"value": 3}}, {"gamma": {"shape": 1, "scale": 2}},
          {"empirical": {"values": [1, 2]}}]
    doc = yaml.safe_load(BASE.read_text())
    for form in ok:
        doc["segments"]["smb"]["acv"] = form
        assert _errors(doc) == [], form


def test_module_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "simorg scenario"
    assert main([]) == 0
    assert capsys.readouterr().out == render_reference_markdown()
    assert main(["--bogus"]) == 2
