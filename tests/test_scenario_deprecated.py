"""Deprecated scenario fields still load, with a warning naming the file, line and field."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

from simorg.cli import main
from simorg.scenario import load
from simorg.scenario.schema import DeprecatedFieldWarning

from .helpers import BASELINE


def _old_scenario(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(f"extends: {BASELINE}\nname: old\norg:\n  expansion_max_wait_days: 30\n")
    return path


def test_expansion_max_wait_days_loads_with_a_warning_naming_file_line_and_field(tmp_path):
    path = _old_scenario(tmp_path)
    with pytest.warns(DeprecatedFieldWarning) as caught:
        sc = load(path)
    assert sc.org.expansion_max_wait_days == 30
    message = str(caught[0].message)
    assert message.startswith(f"{path}:4:3: org.expansion_max_wait_days: deprecated")


def test_an_override_is_named_as_the_source():
    with pytest.warns(DeprecatedFieldWarning, match="org.expansion_max_wait_days=10: org.expansion_max_wait_days"):
        load(BASELINE, overrides={"org.expansion_max_wait_days": "10"})


def test_scenarios_that_do_not_set_it_load_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecatedFieldWarning)
        load(BASELINE)


def test_validate_command_shows_the_warning_and_succeeds(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(_old_scenario(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "org.expansion_max_wait_days: deprecated" in result.output
    assert "Traceback" not in result.output


def test_a_saved_scenario_loads_again_without_the_warning(tmp_path):
    """dump leaves a deprecated field out at its default (results directories save the scenario)."""
    from simorg.scenario import dump

    sc = load(BASELINE)
    text = dump(sc)
    assert "expansion_max_wait_days" not in text
    (tmp_path / "saved.yaml").write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecatedFieldWarning)
        assert load(tmp_path / "saved.yaml") == sc
    with pytest.warns(DeprecatedFieldWarning):
        old = load(_old_scenario(tmp_path))
    assert "expansion_max_wait_days: 30" in dump(old)  # set: kept, and warned about again
