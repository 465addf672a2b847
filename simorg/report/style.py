"""Shared look of every figure: headless backend, colours, axis formatters, the figure record."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless: reports are built on servers and in CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from .explain import fmt_money  # noqa: E402

ROLE_COLORS: dict[str, str] = {
    "marketing": "#4e79a7",
    "sdr": "#f28e2b",
    "ae": "#e15759",
    "presales": "#76b7b2",
    "implementation": "#59a14f",
    "csm": "#b07aa1",
    "am": "#9c755f",
    "renewal_specialist": "#edc948",
}
ARM_COLORS = ["#1f5fa8", "#e08214", "#7b4fa6", "#2a9d8f", "#8c564b", "#555555"]
"""Arm colours: no red or green, which the forest plot uses for worse and better."""
BRIDGE_COLORS = {"new_arr": "#2e7d32", "expansion_arr": "#81c784",
                 "contraction_arr": "#ef9a9a", "churned_arr": "#c62828"}
INK = "#222222"
GRID = "#dddddd"

plt.rcParams.update({
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "legend.fontsize": 9,
})


@dataclass
class FigureOut:
    """One finished figure: file stem, title, caption for the report, and the matplotlib figure."""

    key: str
    title: str
    caption: str
    fig: Figure
    section: str = "Results"


def role_color(role: str) -> str:
    """Stable colour of a role across every figure."""
    return ROLE_COLORS.get(role, "#888888")


def money_axis(ax, axis: str = "y") -> None:
    """Format an axis in compact money (1.2M, 450k)."""
    fmt = FuncFormatter(lambda x, _pos: fmt_money(x, 3, trim=True))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def percent_axis(ax, axis: str = "y", decimals: int | None = 0) -> None:
    """Format an axis holding fractions as percentages."""
    fmt = PercentFormatter(1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def month_axis(ax, months: np.ndarray, narrow: bool = False) -> None:
    """Month ticks every 3, 6 or 12 months (fewer on ``narrow`` panels), labelled 'month'."""
    months = np.asarray(months)
    if len(months) == 0:
        return
    span = months.max() * (3 if narrow else 1)
    step = 3 if span <= 36 else 6 if span <= 72 else 12 if span <= 144 else 24
    ax.set_xticks(np.arange(step, months.max() + 1, step))
    ax.set_xlim(months.min() - 0.5, months.max() + 0.5)
    ax.set_xlabel("month of the simulation")


def quantile_bands(wide, qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> dict[float, np.ndarray]:
    """Per-row quantiles across replication columns of a month x rep table."""
    arr = wide.to_numpy(dtype=float)
    return {q: np.nanquantile(arr, q, axis=1) for q in qs}


def fan(ax, wide, color: str, label: str, median_gid: str | None = None) -> None:
    """Median line with 50% and 90% bands across replications (columns of ``wide``)."""
    months = wide.index.to_numpy()
    b = quantile_bands(wide)
    ax.fill_between(months, b[0.05], b[0.95], color=color, alpha=0.15, lw=0,
                    label=f"{label}: 90% of runs")
    ax.fill_between(months, b[0.25], b[0.75], color=color, alpha=0.32, lw=0,
                    label=f"{label}: 50% of runs")
    (line,) = ax.plot(months, b[0.5], color=color, lw=2, label=f"{label}: median")
    if median_gid:
        line.set_gid(median_gid)
