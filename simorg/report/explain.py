"""What each KPI means, in one line, with its unit and how to print it.

The report's KPI table and headline use :func:`kpi_info` and :func:`fmt_value`; the facts
come from the KPI registry (:mod:`simorg.metrics.registry`), so the report, the CLI tables,
the verdicts and docs/model.md cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..metrics import registry
from ..metrics.registry import ROLE_LABELS, UNITS

__all__ = ["ROLE_LABELS", "KPIInfo", "fmt_diff", "fmt_money", "fmt_value", "kpi_info", "kpi_order", "unit_text"]


@dataclass(frozen=True)
class KPIInfo:
    """One KPI as the report shows it: label, unit kind, one-line explanation, good direction."""

    label: str
    unit: str
    """One of the unit kinds of :data:`simorg.metrics.registry.UNITS`."""
    explain: str
    higher_is_better: bool | None = None
    group: str = "other"


UNIT_TEXT: dict[str, str] = UNITS
"""How each unit kind is named in the KPI table."""


def kpi_info(name: str) -> KPIInfo:
    """Explain ``name`` from the KPI registry (family members by pattern, unknown ones generically)."""
    e = registry.entry(name)
    better = {1: True, -1: False}.get(e.direction)
    return KPIInfo(e.label, e.unit, e.definition, better, e.group)


def kpi_order(names: Iterable[str]) -> list[str]:
    """KPIs in the registry's order (headline KPIs first), then any others alphabetically."""
    return registry.order(names)


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
