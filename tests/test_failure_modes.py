"""The failure-mode gallery: each failure's symptoms emerge in a paired comparison with a
95% CI that excludes zero, and the symptoms its mechanism causes disappear when that
mechanism is turned off in both arms."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from simorg.cli import main
from simorg.experiment import gallery
from simorg.scenario import load

REPS = 32  # 16 before the warm start: the warm-up lets the arms differ at month 0 too, so pairs are less alike


@pytest.fixture(scope="module", params=list(gallery.FAILURE_MODES))
def demo(request):
    return gallery.run_demo(request.param, reps=REPS, seed=1, workers=2)


def test_every_symptom_appears(demo):
    for s in demo.mode.symptoms:
        assert demo.appears(s), (demo.mode.name, s.kpi, demo.summary[s.kpi])


def test_symptoms_vanish_with_their_mechanism_off(demo):
    assert demo.mode.removes, "each failure mode names the symptoms its mechanism causes"
    for s in demo.mode.symptoms:
        if s.kpi in demo.mode.removes:
            assert demo.disappears(s), (demo.mode.name, s.kpi, demo.off_summary[s.kpi])


def test_failure_scenarios_extend_the_baseline_and_tell_their_story():
    for mode in gallery.FAILURE_MODES.values():
        text = mode.path.read_text()
        assert "extends: ../baseline.yaml" in text
        story = mode.story()
        assert "Story" in story and "article" in story.lower(), mode.name
        assert load(mode.path).name == mode.name


def test_demo_lists_and_rejects_unknown_names():
    runner = CliRunner()
    listing = runner.invoke(main, ["demo"])
    assert listing.exit_code == 0
    for name in gallery.FAILURE_MODES:
        assert name in listing.output
    bad = runner.invoke(main, ["demo", "csm_overlaod"])
    assert bad.exit_code == 2
    assert "did you mean 'csm_overload'" in bad.output
    assert "Traceback" not in bad.output


def test_demo_prints_the_causal_chain_as_numbers():
    result = CliRunner().invoke(main, ["demo", "attribution_gaming", "--reps", "3", "-q",
                                       "--no-check-off", "--set", "horizon_months=12"])
    assert result.exit_code == 0, result.output
    assert "attribution gap  " in result.output or "attribution gap" in result.output
    assert "0.0% ->" in result.output  # the baseline's gap is exactly zero
    assert "Causal chain:" in result.output


def test_a_symptom_is_gone_when_it_no_longer_appears_or_only_a_residue_is_left():
    """Gone with the mechanism off: not significant any more, or under a tenth of the change
    with the mechanism on (another mechanism's residue); a third or more left is not gone."""
    mode = gallery.FAILURE_MODES["premature_scaling"]
    sym = next(s for s in mode.symptoms if s.kpi == "win_rate")
    on = {"win_rate": {"diff_mean": -0.09, "diff_ci95": [-0.10, -0.08]}}

    def gone(mean: float, ci: list[float]) -> bool | None:
        off = {"win_rate": {"diff_mean": mean, "diff_ci95": ci}}
        return gallery.DemoResult(mode, on, off, reps=32).disappears(sym)

    assert gone(-0.001, [-0.004, 0.002]) is True     # not significant
    assert gone(-0.004, [-0.007, -0.001]) is True    # significant, 4% of the change: a residue
    assert gone(-0.03, [-0.04, -0.02]) is False      # a third of it left: still there
    assert gallery.DemoResult(mode, on, None, reps=32).disappears(sym) is None
