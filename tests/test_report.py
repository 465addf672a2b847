"""Run reports: each figure is drawn from the run's data, and report.html embeds all of them."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simorg.report import ReportError, write_report
from simorg.report.data import load_results
from simorg.report.explain import fmt_value, kpi_info
from simorg.report.figures import (
    fig_arr_bridge,
    fig_arr_fan,
    fig_cohorts,
    fig_funnel,
    fig_headcount_cost,
    fig_quota,
    fig_utilization,
)
from tests.test_report_fixture import make_run_dir

RUN_KEYS = {"arr_fan", "arr_bridge", "funnel", "headcount_cost", "utilization", "cohorts", "quota"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run_dir(tmp_path_factory.mktemp("run") / "out")


@pytest.fixture(scope="module")
def res(run_dir: Path):
    return load_results(run_dir)


@pytest.fixture(scope="module")
def monthly(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / "monthly.csv")


@pytest.fixture(scope="module")
def report(run_dir: Path) -> str:
    return write_report(run_dir).read_text()


def _wide(monthly: pd.DataFrame, metric: str) -> pd.DataFrame:
    return monthly[monthly.metric == metric].pivot(index="month", columns="rep", values="value")


def _gid(ax, gid: str):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"no artist with gid {gid}"
    return found


def test_fan_median_is_median_of_replications(res, monthly) -> None:
    out = fig_arr_fan(res, "baseline")
    (line,) = _gid(out.fig.axes[0], "median")
    expected = _wide(monthly, "arr").median(axis=1)
    np.testing.assert_allclose(line.get_xdata(), expected.index)
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    assert out.fig.axes[0].get_title() and "currency" in out.fig.axes[0].get_ylabel()
    plt.close(out.fig)


def test_bridge_bars_are_monthly_means(res, monthly) -> None:
    out = fig_arr_bridge(res, "baseline")
    ax = out.fig.axes[0]
    new = [p.get_height() for p in _gid(ax, "bar_new_arr")]
    churn = [p.get_height() for p in _gid(ax, "bar_churned_arr")]
    np.testing.assert_allclose(new, _wide(monthly, "new_arr").mean(axis=1))
    np.testing.assert_allclose(churn, -_wide(monthly, "churned_arr").mean(axis=1))
    (net,) = _gid(ax, "net_mean")
    flows = (_wide(monthly, "new_arr") + _wide(monthly, "expansion_arr")
             - _wide(monthly, "contraction_arr") - _wide(monthly, "churned_arr"))
    np.testing.assert_allclose(net.get_ydata(), flows.mean(axis=1))
    plt.close(out.fig)


def test_funnel_bars_are_totals_and_times_are_kpi_means(res, monthly, run_dir) -> None:
    out = fig_funnel(res, "baseline")
    ax = out.fig.axes[0]
    for metric in ("leads", "leads_worked", "opportunities", "won"):
        (bar,) = _gid(ax, f"funnel_{metric}")
        assert bar.get_width() == pytest.approx(_wide(monthly, metric).sum(axis=0).mean())
    kpis = pd.read_csv(run_dir / "kpis.csv")
    time_axes = out.fig.axes[1:]
    assert len(time_axes) == 3
    for tax, k in zip(time_axes, ("lead_response_hours", "sales_cycle_days", "time_to_value_days"), strict=True):
        (marker,) = _gid(tax, f"time_{k}")
        x = marker.get_xdata()[0]
        assert x == pytest.approx(kpis[kpis.kpi == k].value.mean())
    plt.close(out.fig)


def test_headcount_and_cost_totals(res, monthly) -> None:
    out = fig_headcount_cost(res, "baseline")
    a1, a2 = out.fig.axes
    (hc,) = _gid(a1, "total_headcount")
    roles = ("marketing", "sdr", "ae", "presales", "implementation", "csm")
    total = sum(_wide(monthly, f"headcount_{r}") for r in roles).mean(axis=1)
    np.testing.assert_allclose(hc.get_ydata(), total)
    (cost,) = _gid(a2, "total_cost")
    np.testing.assert_allclose(cost.get_ydata(), _wide(monthly, "gtm_cost").mean(axis=1))
    labels = [t.get_text() for t in a1.get_legend().get_texts()]
    assert {"SDR", "AE", "CSM"} <= set(labels)
    plt.close(out.fig)


def test_utilization_and_wait_medians_per_role(res, monthly) -> None:
    out = fig_utilization(res, "baseline")
    assert len(out.fig.axes) == 10  # 5 roles x (utilization, wait)
    for role in ("sdr", "ae", "presales", "implementation", "csm"):
        lines = [a for ax in out.fig.axes for a in ax.lines if a.get_gid() == f"util_{role}"]
        np.testing.assert_allclose(lines[0].get_ydata(), _wide(monthly, f"utilization_{role}").median(axis=1))
        waits = [a for ax in out.fig.axes for a in ax.lines if a.get_gid() == f"wait_{role}"]
        np.testing.assert_allclose(waits[0].get_ydata(), _wide(monthly, f"queue_wait_days_{role}").median(axis=1))
    plt.close(out.fig)


def test_cohort_curves_are_active_over_signed(res, monthly) -> None:
    out = fig_cohorts(res, "baseline")
    ax = out.fig.axes[0]
    for c in ("y0", "y1", "y2"):
        (line,) = _gid(ax, f"cohort_{c}")
        ratio = (_wide(monthly, f"logos_cohort_{c}") / _wide(monthly, f"cohort_size_{c}")).dropna(how="all")
        np.testing.assert_allclose(line.get_xdata(), ratio.index)
        np.testing.assert_allclose(line.get_ydata(), ratio.median(axis=1))
    (y2,) = _gid(ax, "cohort_y2")
    assert min(y2.get_xdata()) == 13  # year-2 cohort starts in month 13
    plt.close(out.fig)


def test_quota_histogram_holds_every_ae(res, run_dir) -> None:
    out = fig_quota(res, "baseline")
    bars = _gid(out.fig.axes[0], "quota_hist")
    d = pd.read_csv(run_dir / "distributions.csv")
    assert sum(b.get_height() for b in bars) == len(d[d.metric == "quota_attainment"])
    share = float(np.mean(d.value >= 1.0))
    assert f"{share:.0%} of AEs at or above quota" in out.fig.axes[0].get_title()
    plt.close(out.fig)


def test_report_embeds_every_figure_file(run_dir: Path, report: str) -> None:
    figs = sorted((run_dir / "figures").glob("*.png"))
    assert {p.stem for p in figs} == RUN_KEYS
    for p in figs:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 15_000, p
        assert f'id="fig-{p.stem}"' in report
        assert base64.b64encode(data).decode() in report, f"{p.name} not embedded"
        assert f"figures/{p.name}" in report
    assert report.count("<figure") == len(RUN_KEYS)
    assert report.count("<figcaption>") == len(RUN_KEYS)


def test_report_is_self_contained(report: str) -> None:
    assert not re.search(r'(src|href)="(https?:)?//', report)
    assert "<script" not in report and "<link" not in report
    assert "<style>" in report and "@media print" in report


def test_headline_opens_with_arr_and_ci(run_dir: Path, report: str) -> None:
    result = json.loads((run_dir / "result.json").read_text())
    arr = result["kpis"]["arr_end"]
    head = report[report.index("class='headline'"):report.index("KPIs</h2>")]
    assert "After 24 months, ARR is" in head
    assert fmt_value(arr["mean"], "arr") in head
    assert fmt_value(arr["ci95"][0], "arr") in head and fmt_value(arr["ci95"][1], "arr") in head
    for label in ("NRR", "GRR", "CAC ratio"):
        assert label in head
    assert head.index("ARR is") < head.index("NRR")


def test_kpi_table_explains_every_kpi(run_dir: Path, report: str) -> None:
    result = json.loads((run_dir / "result.json").read_text())
    for k, s in result["kpis"].items():
        info = kpi_info(k)
        assert "no explanation" not in info.explain, k
        assert f"<code>{k}</code>" in report
        assert info.explain.split(":")[0][:40] in report.replace("&#x27;", "'")
        assert fmt_value(s["mean"], info.unit) in report


def test_assumptions_listed(report: str) -> None:
    section = report[report.index('id="assumptions"'):report.index('id="figures"')]
    assert "24 months" in section
    assert "mean 45k (lognormal" in section  # mid-market ACV mean
    assert "search" in section and "40k" in section  # channel budget
    assert "8 from month 6, 10 from month 12" in section  # AE hiring plan
    assert "renewals" in section and "least_loaded" in section


def test_partial_results_are_reported_not_fatal(run_dir: Path, tmp_path: Path) -> None:
    """No distributions.csv and two failed reps: the report still builds and says both."""
    d = tmp_path / "partial"
    shutil.copytree(run_dir, d, ignore=shutil.ignore_patterns("figures", "report.html"))
    (d / "distributions.csv").unlink()
    result = json.loads((d / "result.json").read_text())
    result["failed"] = 2
    (d / "result.json").write_text(json.dumps(result))
    html = write_report(d).read_text()
    assert {p.stem for p in (d / "figures").glob("*.png")} == RUN_KEYS - {"quota"}
    assert "fig-quota" not in html and "Not drawn" in html and "quota attainment" in html
    assert "2 replication(s) failed" in html


def test_not_a_results_dir(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no result.json"):
        write_report(tmp_path)


def test_org_rules_table_has_meanings(report: str) -> None:
    section = report[report.index("<h4>Org rules</h4>"):report.index('id="figures"')]
    assert "<th>meaning</th>" in section and "<code>renewals</code>" in section
    from html import escape

    from simorg.scenario.schema import Org

    assert escape(Org.model_fields["renewals"].description) in section  # the schema's own words


def test_kpis_of_absent_teams_are_hidden() -> None:
    from simorg.report.html import relevant_kpis

    docs = [{"teams": {"ae": {"headcount": 3}, "csm": {"headcount": 2}, "am": None}}]
    names = ["arr_end", "headcount_end_ae", "headcount_end_am", "utilization_csm",
             "headcount_end_renewal_specialist"]
    assert relevant_kpis(names, docs) == ["arr_end", "headcount_end_ae", "utilization_csm"]
    assert relevant_kpis(names, []) == names  # no scenario file: show everything


@pytest.mark.parametrize(("x", "text", "trimmed"), [
    (12e6, "12.0M", "12M"), (11.95e6, "11.9M", "11.9M"), (999_960, "1.00M", "1M"),
    (-5450, "-5.45k", "-5.45k"), (0, "0", "0"), (45_000, "45.0k", "45k"), (0.995, "0.995", "0.995"),
])
def test_money_format(x: float, text: str, trimmed: str) -> None:
    from simorg.report.explain import fmt_money

    assert fmt_money(x) == text and fmt_money(x, trim=True) == trimmed


def test_value_formats() -> None:
    assert fmt_value(0.9312, "fraction") == "93.1%"
    assert fmt_value(float("nan"), "arr") == "n/a"
    from simorg.report.explain import fmt_diff

    assert fmt_diff(0.021, "fraction") == "+2.1 pp" and fmt_diff(-8.5, "count") == "-8.5"


def test_report_never_simulates(run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rebuilding from saved results must not run the model (the results are the only input)."""
    import simorg.experiment.simulate as sim
    import simorg.model.world as world

    def boom(*_a, **_k):
        raise AssertionError("the report re-simulated")

    monkeypatch.setattr(sim, "simulate", boom)
    monkeypatch.setattr(world.World, "run", boom)
    d = tmp_path / "copy"
    shutil.copytree(run_dir, d, ignore=shutil.ignore_patterns("figures", "report.html", "monthly.csv",
                                                              "kpis.csv", "distributions.csv"))
    # Parquet twins instead of CSV when pyarrow is there; CSV otherwise
    for stem in ("monthly", "kpis", "distributions"):
        df = pd.read_csv(run_dir / f"{stem}.csv")
        try:
            df.to_parquet(d / f"{stem}.parquet")
        except ImportError:
            df.to_csv(d / f"{stem}.csv", index=False)
    html = write_report(d).read_text()
    assert html.count("<figure") == len(RUN_KEYS)
