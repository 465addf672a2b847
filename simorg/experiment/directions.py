"""Which direction is better for each KPI, so a comparison can say "better" or "worse".

+1: more is better; -1: less is better; 0: neither by itself (a comparison then says
"higher" or "lower"). KPIs not listed here are treated as 0: the tool never guesses that
a change is good.
"""

from __future__ import annotations

from ..scenario.schema import ROLES

HIGHER_IS_BETTER = (
    "arr_end", "customers_end", "new_logos", "new_arr", "expansion_arr",
    "arr_growth_last_12m", "magic_number", "logo_renewal_rate", "grr", "nrr",
    "leads", "win_rate", "new_deal_acv", "quota_attainment_median",
    "opportunities", "lead_to_opportunity", "opportunity_to_win",
)
LOWER_IS_BETTER = (
    "churned_arr", "gtm_cost", "salary_cost", "commission_cost", "retention_commission_cost", "bonus_cost",
    "marketing_cost", "cac", "cac_payback_months", "sales_cycle_days",
    "lead_response_hours", "time_to_value_days", "ae_attrition", "attribution_gap",
    "contraction_arr", "recruiting_cost", "sm_cost", "cac_ratio", "audit_cost",
)
NEUTRAL = tuple(f"headcount_end_{r}" for r in (*ROLES, "marketing", "am")) + tuple(f"utilization_{r}" for r in ROLES)

DIRECTIONS: dict[str, int] = {
    **{k: 1 for k in HIGHER_IS_BETTER},
    **{k: -1 for k in LOWER_IS_BETTER},
    **{k: 0 for k in NEUTRAL},
}

HEADLINE_KPIS = ("arr_end", "new_logos", "nrr", "gtm_cost")
"""KPIs whose precision ``--reps auto`` controls, and that tables list first."""


def direction(kpi: str) -> int:
    """+1 if more of ``kpi`` is better, -1 if less is better, 0 if neither (or unknown)."""
    return DIRECTIONS.get(kpi, 0)


def describe(kpi: str) -> str:
    """A short phrase for tables: "higher is better", "lower is better" or "neutral"."""
    return {1: "higher is better", -1: "lower is better"}.get(direction(kpi), "neutral")


def kpi_order(names: list[str] | set[str]) -> list[str]:
    """Headline KPIs first, then the DESIGN.md order, then any others alphabetically."""
    known = list(HEADLINE_KPIS) + [k for k in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER, *NEUTRAL)
                                   if k not in HEADLINE_KPIS]
    rank = {k: i for i, k in enumerate(known)}
    return sorted(names, key=lambda k: (rank.get(k, len(rank)), k))
