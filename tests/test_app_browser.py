"""The page in a real browser (system Chromium through Playwright; never a browser download).

In CI (``CI=true``) these tests always run; elsewhere they skip when Chromium or
Playwright is missing. Set ``SIMORG_APP_SHOTS=docs/figures`` to also save the 1280x800
screenshots used in ``docs/app.md`` (the walk is :mod:`simorg.app.tour`, shared with
``python -m simorg.app.tour``). Runs are kept small: 4 replications over 12 months.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
if not IN_CI:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium not installed (/usr/bin/chromium)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("starlette")

import httpx  # noqa: E402
import yaml  # noqa: E402

import simorg  # noqa: E402
from simorg.app import tour  # noqa: E402
from simorg.scenario import load_dict  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

SHOTS = os.environ.get("SIMORG_APP_SHOTS")


@pytest.fixture(scope="module")
def url():
    with tour.running_server(workers=2) as u:
        yield u


@pytest.fixture(scope="module")
def page():
    with tour.browser_page() as p:
        yield p


@pytest.fixture(scope="module")
def explored(url, page, tmp_path_factory):
    out = Path(SHOTS) if SHOTS else tmp_path_factory.mktemp("shots")
    return tour.explore(page, url, out, reps=4, horizon=12)


def test_controls_are_labelled_in_the_domains_words(explored):
    labels = explored.notes["labels"]
    assert "AEs: headcount" in labels and "Horizon months" in labels
    assert any(lab.startswith("Channel web: budget per month") for lab in labels)


def test_bad_value_shows_the_validate_message_next_to_its_control(explored):
    with pytest.raises(simorg.ScenarioError) as exc:
        simorg.load(ROOT / "scenarios" / "baseline.yaml", overrides={"teams.ae.headcount": "-1"})
    assert explored.notes["error_text"].strip() == exc.value.format()


def test_a_run_completes_with_answer_charts_and_comparison(explored):
    n = explored.notes
    assert "compared with baseline" in n["answer"]
    assert n["fan_metrics"][0] == "arr"
    assert n["medians"] == 2 * len(n["fan_metrics"])  # start (dashed) and yours, per fan
    assert n["bars"] >= 2 * 3  # funnel and utilization, two arms
    assert n["table_rows"] > 20
    assert "teams.ae.headcount" in n["changes"] and "org.renewals" in n["changes"]


def test_downloads_scenario_yaml_and_html_report(explored, url):
    y = httpx.get(url.rstrip("/") + explored.notes["yaml_href"], timeout=60)
    sc = load_dict(yaml.safe_load(y.text))
    assert sc.teams.ae.headcount == 9 and sc.org.renewals == "ae" and sc.horizon_months == 12
    r = httpx.get(url.rstrip("/") + explored.notes["report_href"], timeout=180)
    assert r.status_code == 200 and "simorg comparison" in r.text and "data:image/png;base64" in r.text


def test_class_mode_shows_symptoms_then_the_mechanism_off(url, page, explored, tmp_path_factory):
    out = Path(SHOTS) if SHOTS else tmp_path_factory.mktemp("shots_class")
    t = tour.class_mode(page, url, "csm_overload", out, reps=4, horizon=12)
    kpis = [s.label for s in simorg.experiment.gallery.get("csm_overload").symptoms]
    for rows in (t.notes["symptoms_on"], t.notes["symptoms_off"]):
        assert len(rows) == len(kpis)
        assert all(("appears" in r) or ("gone" in r) for r in rows)
    assert "Mechanism off" in t.notes["changes_off"]
    if SHOTS:
        for name in ("start", "error", "answer", "charts", "comparison", "class_symptoms", "class_fixed"):
            assert (Path(SHOTS) / f"app_{name}.png").exists()


def simulate_with_ledger(scenario, seed=0, *, keep_records=True):
    """The real model plus the series the money ledger and people's time will add
    (``cash``, ``hours_<role>_<work>``), to check the page draws them without changes."""
    import numpy as np

    run = simorg.simulate(scenario, seed, keep_records=keep_records)
    n = len(run.monthly["arr"])
    run.monthly["cash"] = 2e6 - np.cumsum(np.full(n, 5e4 + 1e3 * (seed % 5)))
    run.monthly["hours_ae_new_business"] = np.full(n, 900.0)
    run.monthly["hours_ae_renewals"] = np.full(n, 150.0)
    run.monthly["hours_renewal_specialist_renewals"] = np.full(n, 300.0)
    return run


def test_cash_and_hours_charts_appear_when_the_series_exist(page):
    from concurrent.futures import ThreadPoolExecutor

    with tour.running_server(workers=1, simulate_fn=simulate_with_ledger,
                             executor=ThreadPoolExecutor(1)) as u:
        page.goto(u)
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector("#c-teams-ae-headcount")
        tour.set_run_length(page, 3, 6)
        page.click("#run")
        tour.wait_result(page)
        metrics = [e.get_attribute("data-metric") for e in page.locator("svg.fan").all()]
        assert metrics == ["arr", "cash"]
        assert page.locator("#hours-box").is_visible()
        assert page.locator("svg.hours rect").count() >= 3
        assert "renewals" in page.inner_text("#hours")
