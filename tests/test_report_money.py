"""Money in the report (issue 15): cash fan with the zero line and the chance of running out,
the P&L by year, and each arm's runway and chance of running out in a comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simorg
from simorg.report import build_figures, load_results, write_report
from simorg.report.money import fig_cash_fan, ran_out_by_month

ROOT = Path(__file__).resolve().parents[1]
FOUNDER = ROOT / "scenarios" / "examples" / "founder"


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("money_compare")
    a = simorg.load(FOUNDER / "founder.yaml", overrides={"horizon_months": 15})
    b = simorg.load(FOUNDER / "two_aes.yaml", overrides={"horizon_months": 15})
    simorg.compare(a, b, reps=4, executor="serial", out=out)
    return out


def test_cash_fan_draws_zero_line_and_chance_of_running_out(compare_dir: Path) -> None:
    res = load_results(compare_dir)
    arm = res.arms()[0]
    wide = res.monthly_wide("cash", arm)
    fo = fig_cash_fan(res, arm)
    assert fo is not None
    ax, ax2 = fo.fig.axes
    assert any(np.allclose(line.get_ydata(), 0.0) for line in ax.get_lines())
    steps = ax2.get_lines()[0].get_ydata()
    np.testing.assert_allclose(steps, ran_out_by_month(wide))
    # the chance by the last month is the mean of cash_out over the replications
    assert steps[-1] == pytest.approx(res.kpi_values("cash_out", arm).mean())
    assert np.all(np.diff(steps) >= 0)


def test_report_has_pnl_by_year_and_the_money_answer(compare_dir: Path) -> None:
    html = write_report(compare_dir, strict=True).read_text()
    assert "Can the company afford it?" in html and "chance of running out" in html
    assert "P&amp;L by year" in html and "year 2" in html and "Cash at year end" in html
    assert "95% paired interval" in html
    assert "cash_fan" in "".join(build_figures(compare_dir))


def test_ran_out_by_month_counts_a_run_once_it_has_run_out() -> None:
    import pandas as pd

    wide = pd.DataFrame({0: [5.0, -1.0, 3.0], 1: [1.0, 2.0, 3.0]}, index=[1, 2, 3])
    np.testing.assert_allclose(ran_out_by_month(wide), [0.0, 0.5, 0.5])


def test_assumptions_list_contracts_and_money_in_a_founders_words() -> None:
    """The assumptions section says how customers sign and pay, and the company's money."""
    import yaml

    from simorg.report.assumptions import assumptions_html

    doc = yaml.safe_load((FOUNDER / "founder.yaml").read_text())
    doc["finance"].update(services_fee_share=0.15, funding=[{"month": 9, "amount": 1_000_000}],
                          rd={"per_month": 170000, "growth_per_month": 0.02, "share_of_revenue": 0.05})
    html = assumptions_html(doc)
    contracts = html[html.index("Contracts: how customers sign and pay"):html.index("<h4>Money")]
    assert "35%" in contracts and "65%" in contracts  # the contract mix of the smb segment
    assert "1 month" in contracts and "12 months" in contracts
    assert "invoiced every month" in contracts and "invoiced once a year" in contracts
    assert "on the invoice date" in contracts and "30 days after the invoice" in contracts
    assert "+5% at each renewal" in contracts
    money = html[html.index("<h4>Money"):]
    assert "Cash in the bank at the start</td><td>3M" in money
    assert "1M in month 9" in money
    assert "170k a month, growing +2.0% a month plus 5% of revenue" in money
    assert "G&amp;A</td><td>80k a month" in money
    assert "18% of subscription revenue, plus hosting 20 per customer a month" in money
    assert "15% of the first-year contract value, invoiced at signature" in money
    # a segment with no contracts gets the default one; no finance section says what is unknown
    bare = assumptions_html({"segments": {"smb": {"acv": 8000}}, "customers": {"gross_margin": 0.8}})
    assert "12 months" in bare and "invoiced once a year" in bare and "30 days after the invoice" in bare
    assert "No <code>finance</code> section" in bare and "20% of revenue" in bare
