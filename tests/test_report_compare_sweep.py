"""Compare and sweep reports: overlaid fans, forest plot, KPI-vs-parameter panels, tornado."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simorg.report import build_figures, write_report
from simorg.report.data import load_results
from simorg.report.explain import fmt_diff, kpi_info
from simorg.report.figures_compare import fig_compare_fans, fig_forest
from simorg.report.figures_sweep import fig_sweep_grid, fig_tornado, point_value
from simorg.report.html import verdict_line
from tests.test_report_fixture import make_compare_dir, make_sweep_dir

RUN_KEYS = {"arr_fan", "arr_bridge", "funnel", "headcount_cost", "utilization", "cohorts", "quota"}


@pytest.fixture(scope="module")
def cmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_compare_dir(tmp_path_factory.mktemp("cmp") / "out")


@pytest.fixture(scope="module")
def cmp_report(cmp_dir: Path) -> str:
    return write_report(cmp_dir).read_text()


@pytest.fixture(scope="module")
def oat_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sweep_dir(tmp_path_factory.mktemp("oat") / "out", mode="oat")


def _by_gid(fig, gid: str):
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


# --------------------------------------------------------------------------- compare
def test_compare_fans_overlay_each_arm(cmp_dir: Path) -> None:
    res = load_results(cmp_dir)
    out = fig_compare_fans(res)
    monthly = pd.read_csv(cmp_dir / "monthly.csv")
    for arm in ("baseline", "more_leads"):
        (line,) = _by_gid(out.fig, f"median_{arm}")
        arr = monthly[(monthly.metric == "arr") & (monthly.scenario == arm)]
        np.testing.assert_allclose(line.get_ydata(), arr.groupby("month").value.median())
    plt.close(out.fig)


def test_forest_plots_every_kpi_relative_to_a(cmp_dir: Path) -> None:
    result = json.loads((cmp_dir / "result.json").read_text())
    out = fig_forest(load_results(cmp_dir))
    ax = out.fig.axes[0]
    lim = ax.get_xlim()[1]
    same = []
    for k, d in result["kpis"].items():
        if d["diff_mean"] == 0 and d["diff_ci95"] == [0, 0]:
            same.append(k)  # identical in both arms: named in the caption instead of a dot at 0
            assert not _by_gid(out.fig, f"forest_more_leads_{k}")
            continue
        (dot,) = _by_gid(out.fig, f"forest_more_leads_{k}")
        rel = d["diff_mean"] / abs(d["a_mean"])
        assert dot.get_xdata()[0] == pytest.approx(np.clip(rel, -lim, lim))
    assert "headcount_end_ae" in same and all(k in out.caption for k in same)
    assert len(same) < len(result["kpis"]) / 2
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert {"New logos", "ARR at end", "NRR"} <= labels
    plt.close(out.fig)


def test_forest_with_three_arms(tmp_path: Path) -> None:
    d = make_compare_dir(tmp_path / "c3", arms=("baseline", "b1", "b2"), reps=2, months=14)
    out = fig_forest(load_results(d))
    assert _by_gid(out.fig, "forest_b1_new_logos") and _by_gid(out.fig, "forest_b2_new_logos")
    plt.close(out.fig)


def test_compare_report_references_all_figures(cmp_dir: Path, cmp_report: str) -> None:
    names = {p.stem for p in (cmp_dir / "figures").glob("*.png")}
    expected = {"compare_arr_fan", "forest"} | {f"{arm}__{k}" for arm in ("baseline", "more_leads")
                                                  for k in RUN_KEYS}
    assert names == expected
    for n in names:
        data = (cmp_dir / "figures" / f"{n}.png").read_bytes()
        assert len(data) > 15_000
        assert f'id="fig-{n}"' in cmp_report and base64.b64encode(data).decode() in cmp_report


def test_compare_headline_states_verdicts(cmp_dir: Path, cmp_report: str) -> None:
    result = json.loads((cmp_dir / "result.json").read_text())
    d = result["kpis"]["new_logos"]
    assert d["verdict"] == "better"  # the fixture's B arm gets 30% more leads
    head = cmp_report[cmp_report.index("class='headline'"):cmp_report.index('id="kpis"')]
    head = re.sub(r"<[^>]+>", "", head)
    assert "more_leads has more new logos: " + fmt_diff(d["diff_mean"], "count") in head
    assert "95% CI " + fmt_diff(d["diff_ci95"][0], "count") in head
    assert "no detectable difference" in head.lower()


def test_verdict_line_wording() -> None:
    line = verdict_line("B", "new_logos", {"a_mean": 100.0, "diff_mean": -12.3, "diff_ci95": [-18.1, -6.5],
                                           "p_value": 0.0012, "verdict": "worse"})
    assert "B has fewer new logos</span>: -12.3 (-12.3%; 95% CI -18.1 to -6.5; p = 0.0012)" in line
    assert "above the 5% practical threshold" in line
    line = verdict_line("B", "nrr", {"a_mean": 1.05, "diff_mean": 0.021, "diff_ci95": [0.01, 0.03],
                                     "q_value": 0.004, "verdict": "better"})
    assert "B has higher NRR" in line and "+2.1 pp" in line and "q = 0.004" in line
    line = verdict_line("B", "cac", {"diff_mean": 10.0, "diff_ci95": [5, 15], "p_value": 1e-9, "verdict": "worse"})
    assert "p < 0.001" in line
    # significant but small: the answer says it is below the practical threshold
    line = verdict_line("B", "arr_end", {"a_mean": 10e6, "diff_mean": 50e3, "diff_ci95": [20e3, 80e3],
                                         "q_value": 0.01, "verdict": "better"})
    assert "+0.5%" in line and "below the 2% practical threshold: too small to matter" in line
    # missing numbers never raise
    assert "not enough data" in verdict_line("B", "grr", {"diff_mean": None, "diff_ci95": [None, None]})


def test_compare_report_lists_setting_differences(cmp_report: str) -> None:
    section = cmp_report[cmp_report.index('id="assumptions"'):cmp_report.index('id="comparison"')]
    assert "marketing.channels.search.budget_per_month" in section
    assert "What differs between the arms" in section


# --------------------------------------------------------------------------- sweep
@pytest.mark.parametrize("flat", [False, True])
def test_sweep_panels_show_point_means_at_base(oat_dir: Path, tmp_path: Path, flat: bool) -> None:
    d = make_sweep_dir(tmp_path / "flat", mode="oat", reps=2, months=13, flat=True) if flat else oat_dir
    res = load_results(d)
    out = fig_sweep_grid(res)
    result = json.loads((d / "result.json").read_text())
    assert len(out.fig.axes) == len(result["kpis"]) * 2
    p, q = "teams.ae.headcount", "marketing.channels.search.budget_per_month"
    pts = [pt for pt in result["points"] if point_value(pt, q) == 40000]
    pts.sort(key=lambda pt: point_value(pt, p))
    (line,) = _by_gid(out.fig, f"sweep_arr_end_{p}_0")
    np.testing.assert_allclose(line.get_xdata(), [point_value(pt, p) for pt in pts])
    np.testing.assert_allclose(line.get_ydata(), [pt["kpis"]["arr_end"]["mean"] for pt in pts])
    plt.close(out.fig)


def test_tornado_bars_span_low_and_high(oat_dir: Path) -> None:
    res = load_results(oat_dir)
    out = fig_tornado(res)
    base = [pt for pt in res.result["points"] if pt["point"] == 0][0]["kpis"]["arr_end"]["mean"]
    for t in res.result["tornado"]:
        if t["kpi"] != "arr_end":
            continue
        assert t["base_value"] == pytest.approx(base)
        (lo,) = _by_gid(out.fig, f"tornado_arr_end_{t['parameter']}_low")
        (hi,) = _by_gid(out.fig, f"tornado_arr_end_{t['parameter']}_high")
        assert lo.get_x() == pytest.approx(base) and hi.get_x() == pytest.approx(base)
        assert lo.get_x() + lo.get_width() == pytest.approx(t["low_value"])
        assert hi.get_x() + hi.get_width() == pytest.approx(t["high_value"])
        (ci,) = _by_gid(out.fig, f"tornado_ci_arr_end_{t['parameter']}_high")
        np.testing.assert_allclose(ci.get_xdata(), np.add(base, t["high_diff_ci95"]))
    plt.close(out.fig)


def test_sweep_report(oat_dir: Path) -> None:
    html = write_report(oat_dir).read_text()
    paths = {p.stem: p for p in (oat_dir / "figures").glob("*.png")}
    assert set(paths) == {"sweep_kpis", "tornado", "sweep_arr"}
    for key, p in paths.items():
        assert f'id="fig-{key}"' in html and base64.b64encode(p.read_bytes()).decode() in html
    assert "moves ARR at end most" in html
    assert html.count("<tr><td class='num'>") == 5  # one row per sweep point
    assert kpi_info("cac_ratio").explain in html


def test_grid_sweep_has_no_tornado(tmp_path: Path) -> None:
    d = make_sweep_dir(tmp_path / "g", mode="grid", reps=2, months=13)
    out = fig_sweep_grid(load_results(d))
    assert len(_by_gid(out.fig, "sweep_arr_end_teams.ae.headcount_2")) == 1  # one line per budget
    plt.close(out.fig)
    assert fig_tornado(load_results(d)) is None
    paths = build_figures(d)
    assert set(paths) == {"sweep_kpis", "sweep_arr"} and all(p.stat().st_size > 15_000 for p in paths.values())
