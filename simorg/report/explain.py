"""What each KPI means, in one line, with its unit and how to print it.

The report's KPI table and headline use :func:`kpi_info` and :func:`fmt_value`. KPI names
follow DESIGN.md; role-specific names (``headcount_end_<role>``, ``utilization_<role>``)
are explained by pattern so new roles need no new entries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class KPIInfo:
    """One KPI: a short label, its unit kind, a one-line explanation and which way is good."""

    label: str
    unit: str
    """One of: money, arr, count, fraction, ratio, days, hours, months, percent_points."""
    explain: str
    higher_is_better: bool | None = None


UNIT_TEXT: dict[str, str] = {
    "money": "currency over the horizon",
    "arr": "currency per year (ARR)",
    "count": "count",
    "fraction": "share, shown in %",
    "ratio": "ratio",
    "days": "days",
    "hours": "hours",
    "months": "months",
    "people": "people",
}
"""How each unit kind is named in the KPI table."""

KPI_INFO: dict[str, KPIInfo] = {
    # growth
    "arr_end": KPIInfo("ARR at end", "arr",
                       "Annual recurring revenue of all active contracts on the last day of the horizon.", True),
    "customers_end": KPIInfo("Customers at end", "count",
                             "Paying accounts (logos) active on the last day.", True),
    "new_logos": KPIInfo("New logos", "count",
                         "New customers won over the whole horizon.", True),
    "new_arr": KPIInfo("New ARR", "arr",
                       "ARR of first contracts with new customers, summed over the horizon.", True),
    "expansion_arr": KPIInfo("Expansion ARR", "arr",
                             "ARR added to existing customers by upsell and cross-sell.", True),
    "contraction_arr": KPIInfo("Contraction ARR", "arr",
                               "ARR lost when renewing customers shrink their contract.", False),
    "churned_arr": KPIInfo("Churned ARR", "arr",
                           "ARR lost when customers do not renew at all.", False),
    "arr_growth_last_12m": KPIInfo("ARR growth, last 12 months", "fraction",
                                   "ARR at end over ARR 12 months earlier, minus 1.", True),
    # cost
    "gtm_cost": KPIInfo("Go-to-market cost", "money",
                        "Everything spent on marketing, sales, presales, implementation and CSM: "
                        "salaries, programme spend, commission, bonus, recruiting.", False),
    "salary_cost": KPIInfo("Salary cost", "money",
                           "Fully loaded base pay of every go-to-market role.", False),
    "commission_cost": KPIInfo("Commission cost", "money",
                               "Variable pay to sales reps on bookings.", False),
    "retention_commission_cost": KPIInfo("Retention commission", "money",
                                   "AE commission on renewals and on expansions after the credit window (not in CAC).", False),
    "bonus_cost": KPIInfo("Bonus cost", "money",
                          "Variable pay to CSMs (and others on bonus plans), e.g. on renewed ARR.", False),
    "marketing_cost": KPIInfo("Marketing programme cost", "money",
                              "Channel spend that buys leads (not marketing salaries).", False),
    "sm_cost": KPIInfo("Sales and marketing cost", "money",
                       "Cost of marketing (staff and programme spend), SDRs, AEs and presales, with their "
                       "variable pay and any lead-source audit; the numerator of CAC.", False),
    "recruiting_cost": KPIInfo("Recruiting cost", "money", "Cost of hiring: per-hire fees over the horizon.", False),
    "audit_cost": KPIInfo("Audit cost", "money",
                          "Cost of the monthly audit of recorded lead sources (when the org runs one).", False),
    "cac": KPIInfo("CAC", "money",
                   "Customer acquisition cost: sales and marketing cost per new logo.", False),
    "cac_ratio": KPIInfo("CAC ratio", "ratio",
                         "Sales and marketing cost per 1 of new ARR (benchmark 1.1-1.8).", False),
    "cac_payback_months": KPIInfo("CAC payback", "months",
                                  "Months of gross margin on a new customer's ARR needed to repay its CAC.", False),
    "magic_number": KPIInfo("Magic number", "ratio",
                            "Net new ARR divided by the sales and marketing cost that produced it.", True),
    # renewal
    "logo_renewal_rate": KPIInfo("Logo renewal rate", "fraction",
                                 "Share of contracts up for renewal in the last 12 months that renewed.", True),
    "grr": KPIInfo("GRR", "fraction",
                   "Gross revenue retention, last 12 months: ARR kept from customers a year ago, "
                   "after churn and contraction, before expansion (benchmark ~90%).", True),
    "nrr": KPIInfo("NRR", "fraction",
                   "Net revenue retention, last 12 months: like GRR but counting expansion "
                   "(above 100% means the installed base grows on its own).", True),
    # funnel
    "leads": KPIInfo("Leads", "count", "Marketing leads created over the horizon.", True),
    "opportunities": KPIInfo("Opportunities", "count",
                             "Sales opportunities created (qualified or self-sourced).", True),
    "lead_to_opportunity": KPIInfo("Lead to opportunity", "fraction",
                                   "Share of marketing leads that became an opportunity.", True),
    "lead_qualify_rate": KPIInfo("Lead qualify rate", "fraction",
                                 "Share of marketing leads an SDR touched that qualified into an opportunity.", True),
    "opportunity_to_win": KPIInfo("Opportunity to win", "fraction",
                                  "Share of opportunities won, of those decided (won or lost).", True),
    "win_rate": KPIInfo("Win rate", "fraction", "Won deals over decided deals (won + lost).", True),
    "sales_cycle_days": KPIInfo("Sales cycle", "days",
                                "Mean time from opportunity created to decision, including waits.", False),
    "new_deal_acv": KPIInfo("New-deal ACV", "arr", "Mean annual contract value of new deals.", True),
    "lead_response_hours": KPIInfo("Lead response time", "hours",
                                   "Mean time from a lead arriving to its first SDR touch.", False),
    "time_to_value_days": KPIInfo("Time to value", "days",
                                  "Mean time from signature to the customer going live.", False),
    # people
    "quota_attainment_median": KPIInfo("Median quota attainment", "fraction",
                                       "Median AE's new bookings over their (ramp-adjusted) quota.", True),
    "ae_attrition": KPIInfo("AE attrition", "fraction",
                            "AEs who left per AE-year employed (an annual attrition rate).", False),
    # attribution
    "attribution_gap": KPIInfo("Attribution gap", "fraction",
                               "True minus recorded marketing-sourced share of new bookings: "
                               "how much credit marketing loses to re-labelled leads.", False),
}

ROLE_LABELS: dict[str, str] = {
    "marketing": "Marketing",
    "sdr": "SDR",
    "ae": "AE",
    "presales": "Presales",
    "implementation": "Implementation",
    "csm": "CSM",
    "am": "Account manager",
    "renewal_specialist": "Renewal specialist",
}


def kpi_info(name: str) -> KPIInfo:
    """Explain ``name``; role-specific KPIs are explained by pattern, unknown ones generically."""
    if name in KPI_INFO:
        return KPI_INFO[name]
    if name.startswith("headcount_end_"):
        role = name.removeprefix("headcount_end_")
        r = ROLE_LABELS.get(role, role)
        return KPIInfo(f"{r} headcount at end", "people", f"{r} people employed on the last day.")
    if name.startswith("utilization_"):
        role = name.removeprefix("utilization_")
        r = ROLE_LABELS.get(role, role)
        return KPIInfo(f"{r} utilization", "fraction",
                       f"Share of {r} capacity busy with work, averaged over the horizon "
                       "(near 100% means queues and waits).")
    return KPIInfo(name.replace("_", " "), "ratio", "(no explanation recorded for this KPI)")


def kpi_order(names: list[str] | set[str]) -> list[str]:
    """Known KPIs in the order of the explanation dictionary, then role KPIs, then the rest."""
    names = set(names)
    known = [k for k in KPI_INFO if k in names]
    roles = list(ROLE_LABELS)

    def role_key(n: str) -> tuple[int, int, str]:
        prefix = 0 if n.startswith("headcount_end_") else 1
        role = n.split("_")[-1]
        return (prefix, roles.index(role) if role in roles else 99, n)

    role_kpis = sorted((n for n in names if n not in KPI_INFO
                        and (n.startswith("headcount_end_") or n.startswith("utilization_"))),
                       key=role_key)
    rest = sorted(names - set(known) - set(role_kpis))
    return known + role_kpis + rest


def fmt_money(x: float, digits: int = 3, trim: bool = False) -> str:
    """Compact money with ``digits`` significant digits: 1.23M, 456k, 12.0M (``trim``: 12M).

    No currency symbol: the scenario decides the currency.
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    units = ((1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "B"))
    i = max(j for j, (div, _s) in enumerate(units) if abs(x) >= div or j == 0)
    while True:
        div, suffix = units[i]
        v = x / div
        dec = max(0, digits - 1 - _magnitude(float(f"{v:.{digits}g}")))
        text = f"{v:.{dec}f}"
        if abs(float(text)) >= 1000 and i + 1 < len(units):
            i += 1  # 999.96k rounds to 1000k: print 1.00M instead
            continue
        if trim and "." in text:
            text = text.rstrip("0").rstrip(".")
        return text + suffix


def _magnitude(v: float) -> int:
    return int(math.floor(math.log10(abs(v)))) if v else 0


def fmt_value(x: float | None, unit: str, signed: bool = False) -> str:
    """Print ``x`` in the unit kind ``unit`` (fractions as %, money compact)."""
    if x is None or not isinstance(x, int | float) or not math.isfinite(x):
        return "n/a"
    sign = "+" if signed and x > 0 else ""
    if unit in ("money", "arr"):
        return sign + fmt_money(x)
    if unit == "fraction":
        return f"{sign}{x * 100:.1f}%"
    if unit == "percent_points":
        return f"{sign}{x * 100:.1f} pp"
    if unit in ("count", "people"):
        return f"{sign}{x:,.0f}" if abs(x) >= 100 else f"{sign}{x:.1f}"
    if unit in ("days", "hours", "months"):
        return f"{sign}{x:.1f}"
    return f"{sign}{x:.3g}"


def fmt_diff(x: float | None, unit: str) -> str:
    """A difference: fractions are printed in percentage points, others signed."""
    return fmt_value(x, "percent_points" if unit == "fraction" else unit, signed=True)


def unit_text(unit: str) -> str:
    """Human name of a unit kind for table headers and captions."""
    return UNIT_TEXT.get(unit, unit)
