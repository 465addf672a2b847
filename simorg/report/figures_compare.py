"""Figures of a comparison: overlaid ARR fans of the arms and a forest plot of KPI differences."""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .data import Results
from .explain import fmt_diff, kpi_info, kpi_order
from .style import ARM_COLORS, FigureOut, fan, money_axis, month_axis

VERDICT_COLORS = {"better": "#2e7d32", "worse": "#c62828", "different (no better/worse sense)": "#1f5fa8",
                  "no detectable difference": "#8a8a8a"}


def num(x: Any) -> float:
    """A JSON number as a float; ``None``, text and other non-numbers become NaN."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return math.nan
    return float(x)


def ci_of(d: dict[str, Any]) -> tuple[float, float]:
    """The ``diff_ci95`` pair as floats (NaN where missing)."""
    ci = d.get("diff_ci95")
    if not isinstance(ci, list | tuple) or len(ci) != 2:
        return math.nan, math.nan
    return num(ci[0]), num(ci[1])


def category(d: dict[str, Any]) -> str:
    """How a KPI comparison reads: better / worse / different with no better-or-worse sense /
    no detectable difference / not enough data, from the result's (FDR-adjusted) verdict."""
    verdict = d.get("verdict")
    if verdict in ("better", "worse"):
        return str(verdict)
    if verdict in ("higher", "lower"):
        return "different (no better/worse sense)"
    if verdict is None:  # an older result without verdicts: read the interval
        lo, hi = ci_of(d)
        if lo > 0 or hi < 0:
            return "different (no better/worse sense)"
    if verdict == "not enough data" or not all(math.isfinite(x) for x in ci_of(d)):
        return "not enough data"
    return "no detectable difference"


def identical(d: dict[str, Any]) -> bool:
    """Both arms gave the same value in every replication (difference and its CI all zero)."""
    lo, hi = ci_of(d)
    return num(d.get("diff_mean")) == 0 and lo == 0 and hi == 0


def fig_compare_fans(res: Results) -> FigureOut | None:
    """ARR over time of every arm, each as median with 50% / 90% bands, on one axis."""
    arms = res.arms()
    wides = {a: res.monthly_wide("arr", a) for a in arms}
    wides = {a: w for a, w in wides.items() if not w.empty}
    if len(wides) < 2:
        return None
    fig, ax = plt.subplots(figsize=(10, 5))
    for i, (arm, w) in enumerate(wides.items()):
        fan(ax, w, ARM_COLORS[i % len(ARM_COLORS)], arm, median_gid=f"median_{arm}")
    money_axis(ax)
    month_axis(ax, next(iter(wides.values())).index.to_numpy())
    ax.set_ylabel("ARR at month end (currency / year)")
    ax.set_title("ARR over time, arms overlaid")
    ax.legend(loc="upper left", ncols=len(wides), fontsize=8)
    fig.tight_layout()
    caption = (f"ARR of each arm: median replication (line) with the middle 50% and 90% of "
               f"{res.reps} replications (bands). Arms share random numbers (same market), so a gap "
               "between medians is more trustworthy than overlapping bands suggest: the paired "
               "differences in the forest plot are the test.")
    return FigureOut("compare_arr_fan", "ARR of the arms", caption, fig, section="Comparison")


def forest_rows(comp: dict[str, Any]) -> list[dict[str, Any]]:
    """KPI differences as shares of arm A's mean, ready to plot (KPIs with A's mean 0 are left out)."""
    rows = []
    kpis = comp.get("kpis", {})
    for k in kpi_order(list(kpis)):
        d = kpis[k]
        a, diff = num(d.get("a_mean")), num(d.get("diff_mean"))
        lo, hi = ci_of(d)
        if not all(math.isfinite(x) for x in (a, diff, lo, hi)) or abs(a) < 1e-12 or identical(d):
            continue
        scale = abs(a)
        rows.append({"kpi": k, "rel": diff / scale, "lo": lo / scale, "hi": hi / scale,
                     "verdict": category(d), "diff": diff, "ci": (lo, hi)})
    return rows


def fig_forest(res: Results) -> FigureOut | None:
    """Every KPI difference (B − A) with its 95% CI, as a share of A's mean, on one axis."""
    comps = res.comparisons()
    if not comps:
        return None
    per = [forest_rows(c) for c in comps]
    kpis = kpi_order({r["kpi"] for rows in per for r in rows})
    if not kpis:
        return None
    n = len(kpis)
    fig, ax = plt.subplots(figsize=(11, max(2.6, 1.2 + 0.3 * n * max(1, 0.6 * len(comps)))))
    exts = np.array([max(abs(r["lo"]), abs(r["hi"])) for rows in per for r in rows])
    exts = exts[np.isfinite(exts)]
    # a robust axis: most intervals fit, a few outliers get an arrow at the edge
    ext = float(np.quantile(exts, 0.85)) * 1.3 if len(exts) else 0.1
    lim = min(max(ext, float(exts.max()) * 1.05 if len(exts) and exts.max() < 2 * ext else 0.0, 0.02), 1.0)
    y0 = {k: n - 1 - i for i, k in enumerate(kpis)}
    offsets = np.linspace(0.25, -0.25, len(comps)) if len(comps) > 1 else [0.0]
    for ci, (comp, rows) in enumerate(zip(comps, per, strict=True)):
        for r in rows:
            y = y0[r["kpi"]] + offsets[ci]
            if len(comps) == 1:
                color = VERDICT_COLORS.get(r["verdict"], "#555")
                face = color
            else:
                color = ARM_COLORS[(ci + 1) % len(ARM_COLORS)]
                face = color if r["verdict"] != "no detectable difference" else "white"
            lo, hi = max(r["lo"], -lim), min(r["hi"], lim)
            ax.plot([lo, hi], [y, y], color=color, lw=2, solid_capstyle="butt")
            for edge, clipped in ((-lim, r["lo"] < -lim), (lim, r["hi"] > lim)):
                if clipped:
                    ax.plot(edge, y, marker="<" if edge < 0 else ">", color=color, ms=6)
            ax.plot(np.clip(r["rel"], -lim, lim), y, "o", color=color, mfc=face, ms=6,
                    gid=f"forest_{comp['b']}_{r['kpi']}")
            if abs(r["rel"]) > lim:
                ax.text(np.sign(r["rel"]) * lim * 0.97, y + 0.18, f"{r['rel']:+.0%}", fontsize=7.5, color=color,
                        ha="right" if r["rel"] > 0 else "left", va="bottom")
            unit = kpi_info(r["kpi"]).unit
            if len(comps) == 1:
                ax.text(1.02, y, f"{fmt_diff(r['diff'], unit)}  ({fmt_diff(r['ci'][0], unit)} to "
                        f"{fmt_diff(r['ci'][1], unit)})", transform=ax.get_yaxis_transform(),
                        va="center", fontsize=8, color=color)
    ax.axvline(0, color="#333", lw=1)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_yticks([y0[k] for k in kpis], [kpi_info(k).label for k in kpis], fontsize=8.5)
    ax.xaxis.set_major_formatter(lambda x, _p: "0%" if abs(x) < 1e-12 else f"{x:+.0%}" if lim >= 0.1 else f"{x:+.1%}")
    ax.grid(axis="y", visible=False)
    for y in range(n):
        if y % 2 == 0:
            ax.axhspan(y - 0.5, y + 0.5, color="#f4f4f4", zorder=0)
    names = " / ".join(c["b"] for c in comps)
    ax.set_xlabel(f"difference {names} − {comps[0]['a']}, as a share of {comps[0]['a']}'s mean "
                  "(dot: mean paired difference; bar: 95% CI)")
    ax.set_title(f"Every KPI: {names} vs {comps[0]['a']}", loc="left")
    if len(comps) == 1:
        handles = [plt.Line2D([], [], color=c, marker="o", lw=2, label=v) for v, c in VERDICT_COLORS.items()]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.02), ncols=4, fontsize=8)
        ax.text(1.02, 1.0, "B − A (95% CI)", transform=ax.transAxes, fontsize=8.5, fontweight="bold",
                va="bottom")
    else:
        handles = [plt.Line2D([], [], color=ARM_COLORS[(i + 1) % len(ARM_COLORS)], marker="o", lw=2,
                              label=c["b"]) for i, c in enumerate(comps)]
        handles.append(plt.Line2D([], [], color="#555", marker="o", mfc="white", lw=0,
                                  label="hollow: no detectable difference"))
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.02), ncols=4, fontsize=8.5)
    fig.subplots_adjust(left=0.24, right=0.74 if len(comps) == 1 else 0.96, top=1 - 0.9 / fig.get_figheight(),
                        bottom=0.7 / fig.get_figheight())
    all_kpis = {k for c in comps for k in c.get("kpis", {})}
    same = sorted(k for k in all_kpis - set(kpis) if all(identical(c["kpis"][k]) for c in comps if k in c["kpis"]))
    dropped = sorted(all_kpis - set(kpis) - set(same))
    caption_dropped = "reference mean is zero or not enough data"
    caption = ("Each row is one KPI: the mean paired difference between arms (replication by "
               "replication, common random numbers) and its 95% confidence interval, divided by the "
               "reference arm's mean so every KPI shares one axis. Green: better, red: worse (in the "
               "KPI's own sense; lower cost is better), blue: a clear difference on a KPI that is neither "
               "good nor bad in itself (headcount, utilization), grey: no detectable difference after "
               "the false-discovery-rate correction (Benjamini-Hochberg q >= 0.05). "
               f"Axis clipped at ±{lim:.0%}; arrows mark intervals that run further.")
    if same:
        caption += f" Identical in every replication of both arms, so not shown: {', '.join(same)}."
    if dropped:
        caption += f" Not shown ({caption_dropped}): {', '.join(dropped)}."
    return FigureOut("forest", "KPI differences", caption, fig, section="Comparison")
