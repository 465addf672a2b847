"""Which direction is better for each KPI: a thin view of the KPI registry.

+1: more is better; -1: less is better; 0: neither by itself (a comparison then says
"higher" or "lower"). The facts live in :mod:`simorg.metrics.registry`; KPIs it does not
know are treated as 0: the tool never guesses that a change is good.
"""

from __future__ import annotations

from ..metrics.registry import DIRECTION_TEXT, ENTRIES, HEADLINE_KPIS, direction, order

HIGHER_IS_BETTER = tuple(e.name for e in ENTRIES if e.direction > 0 and not e.is_family)
LOWER_IS_BETTER = tuple(e.name for e in ENTRIES if e.direction < 0 and not e.is_family)

__all__ = ["HEADLINE_KPIS", "HIGHER_IS_BETTER", "LOWER_IS_BETTER", "describe", "direction", "kpi_order"]


def describe(kpi: str) -> str:
    """A short phrase for tables: "higher is better", "lower is better" or "neutral"."""
    return DIRECTION_TEXT[direction(kpi)]


def kpi_order(names: list[str] | set[str]) -> list[str]:
    """Headline KPIs first, then the registry's order, then any others alphabetically."""
    return order(names)
