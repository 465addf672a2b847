"""Figures of a parameter sweep: each KPI against each varied parameter, and a tornado chart."""

from __future__ import annotations

from collections import Counter
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .data import Results
from .explain import fmt_money, fmt_value, kpi_info
from .style import ARM_COLORS, FigureOut, money_axis, percent_axis


def sweep_parameters(res: Results) -> list[str]:
    """Varied parameters, in order: ``parameters``, else the keys of ``vary``, else the points' own."""
    r = res.result
    if r.get("parameters"):
        return [str(p) for p in r["parameters"]]
    if isinstance(r.get("vary"), dict) and r["vary"]:
        return [str(p) for p in r["vary"]]
    pts = r.get("points") or []
    if pts and isinstance(pts[0].get("params"), dict):
        return list(pts[0]["params"])
    return []


def short_names(params: list[str]) -> dict[str, str]:
    """The shortest dotted suffix that still tells the parameters apart (ae.headcount, sdr.headcount)."""
    out = {}
    for p in params:
        parts = p.split(".")
        for n in range(1, len(parts) + 1):
            cand = ".".join(parts[-n:])
            if sum(q == cand or q.endswith("." + cand) for q in params) == 1:
                out[p] = cand
                break
        else:
            out[p] = p
    return out


def param_text(v: Any) -> Any:
    """A swept value as a table and axis can hold it: numbers, text and booleans as they are,
    anything else (a hiring plan, a mix) as compact text, so a categorical axis can show it."""
    if v is None or isinstance(v, bool | str | int | float | np.number):
        return v
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {param_text(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(str(param_text(x)) for x in v) + "]"
    return str(v)


def point_value(pt: dict[str, Any], param: str) -> Any:
    """A point's setting of ``param`` (see :func:`param_text`), whether stored flat or under ``params``."""
    params = pt.get("params")
    if isinstance(params, dict) and param in params:
        return param_text(params[param])
    return param_text(pt.get(param))


def is_numeric(values: Any) -> bool:
    """Whether every value of a swept parameter is a number (else its axis is categorical)."""
    return all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values)


def _positions(values: pd.Series) -> tuple[np.ndarray, list[Any], list[str]]:
    """x positions of a parameter's values: the values themselves when numeric, else the rank
    of each category in order of first appearance; also tick positions and labels."""
    vals = list(values)
    if is_numeric(vals):
        x = np.asarray(vals, dtype=float)
        uniq = np.unique(x[np.isfinite(x)])
        return x, list(uniq), [_num(v) for v in uniq]
    cats = list(dict.fromkeys(str(v) for v in vals))
    return (np.array([cats.index(str(v)) for v in vals], dtype=float), list(range(len(cats))),
            [c if len(c) <= 28 else c[:26] + "…" for c in cats])


def points_table(res: Results) -> pd.DataFrame:
    """One row per (point, KPI): parameter values, mean and CI bounds."""
    params = sweep_parameters(res)
    rows = []
    for p in res.result.get("points") or []:
        if not isinstance(p, dict):
            continue
        for k, s in (p.get("kpis") or {}).items():
            if not isinstance(s, dict):
                continue
            ci = s.get("ci95")
            lo, hi = ci if isinstance(ci, list | tuple) and len(ci) == 2 else (np.nan, np.nan)
            rows.append({"point": p.get("point"), **{q: point_value(p, q) for q in params}, "kpi": k,
                         "mean": s.get("mean"), "lo": lo, "hi": hi})
    df = pd.DataFrame(rows)
    for c in ("mean", "lo", "hi"):
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


def base_values(res: Results) -> dict[str, Any]:
    """Base setting of each parameter: ``base_values`` if saved, else the point marked base,
    else its most common value over the points (one-at-a-time: the base)."""
    params = sweep_parameters(res)
    saved = res.result.get("base_values")
    if isinstance(saved, dict) and all(p in saved for p in params):
        return {p: saved[p] for p in params}
    pts = res.result.get("points", [])
    for pt in pts:
        if pt.get("role") == "base":
            return {p: point_value(pt, p) for p in params}
    return {p: Counter(point_value(pt, p) for pt in pts).most_common(1)[0][0] for p in params} if pts else {}


def sweep_kpis(res: Results) -> list[str]:
    """KPIs the sweep asked about (result['kpis']), else those every point has."""
    names = res.result.get("kpis")
    if names:
        return [str(k) for k in names]
    pts = res.result.get("points", [])
    return sorted(set.intersection(*(set(p.get("kpis", {})) for p in pts))) if pts else []


def _fmt_axis(ax, kpi: str) -> None:
    unit = kpi_info(kpi).unit
    if unit in ("money", "arr"):
        money_axis(ax)
    elif unit == "fraction":
        percent_axis(ax, decimals=None)


def _num(x: Any) -> str:
    """A parameter value, compact: 20k, 0.35, 6 (non-numbers as written)."""
    if isinstance(x, bool) or not isinstance(x, int | float | np.number):
        return str(x)
    f = float(x)
    return fmt_money(f, trim=True) if abs(f) >= 1000 else f"{f:g}"


def _positions_in(values: pd.Series, every: pd.Series) -> np.ndarray:
    """x positions of ``values`` on the axis that :func:`_positions` builds for ``every``."""
    if is_numeric(every):
        return np.asarray(list(values), dtype=float)
    cats = list(dict.fromkeys(str(v) for v in every))
    return np.array([cats.index(str(v)) for v in values], dtype=float)


def fig_sweep_grid(res: Results) -> FigureOut | None:
    """Small multiples: rows are KPIs, columns are parameters; mean with 95% CI at each value."""
    tab = points_table(res)
    params = sweep_parameters(res)
    kpis = [k for k in sweep_kpis(res) if not tab.empty and k in set(tab["kpi"])]
    if tab.empty or not params or not kpis:
        return None
    mode = res.result.get("mode", "grid")
    base = base_values(res)
    names = short_names(params)
    fig, axes = plt.subplots(len(kpis), len(params), figsize=(max(8.0, 4.6 * len(params) + 0.6), 2.7 * len(kpis) + 0.6),
                             squeeze=False)
    for i, k in enumerate(kpis):
        sub = tab[tab["kpi"] == k]
        for j, p in enumerate(params):
            ax = axes[i, j]
            others = [q for q in params if q != p]
            if mode == "oat":
                groups = [("at base", sub[np.logical_and.reduce([sub[q] == base[q] for q in others])]
                           if others else sub)]
            elif mode == "grid":
                combos = sorted({tuple(r) for r in sub[others].itertuples(index=False)}) if others else [()]
                if len(combos) <= 4:
                    groups = [(", ".join(_num(v) if isinstance(v, int | float) else str(v)
                                         for q, v in zip(others, c, strict=True)) or k,
                               sub[np.logical_and.reduce([sub[q] == v for q, v in zip(others, c, strict=True)])]
                               if others else sub) for c in combos]
                else:
                    g = sub.groupby(p, as_index=False, sort=False)[["mean", "lo", "hi"]].mean()
                    groups = [("averaged over other parameters", g)]
            else:
                groups = [("sampled points", sub)]
            _allx, ticks, tick_labels = _positions(sub[p])
            for gi, (label, g) in enumerate(groups):
                g = g.assign(_x=_positions_in(g[p], sub[p])).sort_values("_x")
                color = ARM_COLORS[gi % len(ARM_COLORS)]
                x = g["_x"].to_numpy(dtype=float)
                if mode == "lhs" or not is_numeric(sub[p]):  # categories: no line between them
                    ax.errorbar(x, g["mean"], yerr=[g["mean"] - g["lo"], g["hi"] - g["mean"]], fmt="o",
                                ms=4, color=color, capsize=2, lw=1, gid=f"sweep_{k}_{p}")
                else:
                    ax.fill_between(x, g["lo"], g["hi"], color=color, alpha=0.18, lw=0)
                    (ln,) = ax.plot(x, g["mean"], "o-", color=color, ms=4, lw=1.6, label=label)
                    ln.set_gid(f"sweep_{k}_{p}_{gi}")
            if not is_numeric(sub[p]):
                ax.set_xticks(ticks, [t.replace(", ", ",\n") if len(t) > 14 else t for t in tick_labels], fontsize=7)
                ax.set_xlim(-0.5, len(ticks) - 0.5)
            elif 0 < len(ticks) <= 8:
                ax.set_xticks(ticks, tick_labels)
            else:
                ax.xaxis.set_major_formatter(lambda x, _p: _num(x))
            if i == 0:
                short = ", ".join(names[q] for q in others)
                how = {"oat": "others at base" if others else "",
                       "lhs": "others vary too" if others else ""}.get(
                    mode, (f"one line per {short}" if len(groups) > 1 else f"averaged over {short}") if others else "")
                ax.set_title(f"vs {names[p]}" + (f" ({how})" if how else ""), fontsize=9.5)
                if mode == "grid" and len(groups) > 1:
                    ax.legend(fontsize=7.5, loc="best", title=short, title_fontsize=7.5, handlelength=1.2)
            _fmt_axis(ax, k)
            if j == 0:
                ax.set_ylabel(kpi_info(k).label, fontsize=9)
            if i == len(kpis) - 1:
                ax.set_xlabel(p, fontsize=9)
    fig.suptitle(f"KPIs against each varied parameter ({mode} sweep; mean with 95% CI)", fontweight="bold")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
    how = {"oat": "the other parameters held at their base values",
           "grid": "one line per setting of the other parameter(s) where there are few, else averaged over them",
           "lhs": "each dot one sampled point, the other parameters vary too"}.get(mode, "")
    caption = (f"Each panel: one KPI (row) against one parameter (column), {how}. Line or dot: mean over "
               f"{res.reps} replications at that point; band or whiskers: 95% confidence interval of the mean.")
    return FigureOut("sweep_kpis", "KPIs vs parameters", caption, fig, section="Sweep")


def fig_tornado(res: Results) -> FigureOut | None:
    """Tornado chart: how far each parameter's low and high setting moves each KPI from base."""
    torn = res.result.get("tornado") or []
    if not torn:
        return None
    df = pd.DataFrame([t for t in torn if isinstance(t, dict)])
    if df.empty or not {"kpi", "parameter", "low_value", "high_value"} <= set(df.columns):
        return None
    for c in ("low_value", "high_value", "base_value"):
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    for side in ("low", "high"):
        if f"{side}_diff_ci95" in df:
            df[f"{side}_diff_ci95"] = df[f"{side}_diff_ci95"].map(_pair)
        df[side] = df[side].map(param_text) if side in df else ""
    df = df[np.isfinite(df["low_value"]) | np.isfinite(df["high_value"])]
    if df.empty:
        return None
    kpis = list(dict.fromkeys(df["kpi"]))
    tab = points_table(res)
    base = base_values(res)
    fig, axes = plt.subplots(len(kpis), 1, figsize=(10, 0.9 + sum(0.45 * (df["kpi"] == k).sum() + 0.8 for k in kpis)),
                             squeeze=False)
    for ax, k in zip(axes[:, 0], kpis, strict=True):
        sub = df[df["kpi"] == k].copy()
        ref = float(sub["base_value"].dropna().iloc[0]) if "base_value" in sub and sub["base_value"].notna().any() \
            else np.nan
        if not np.isfinite(ref) and not tab.empty and base:
            at = tab[(tab["kpi"] == k) & np.logical_and.reduce([tab[q] == v for q, v in base.items()])]
            if len(at):
                ref = float(at["mean"].iloc[0])
        if not np.isfinite(ref):
            ref = float(np.nanmedian(np.r_[sub["low_value"], sub["high_value"]]))
        sub["swing"] = (sub["high_value"] - sub["low_value"]).abs()
        sub = sub.sort_values("swing")
        y = np.arange(len(sub))
        unit = kpi_info(k).unit
        for yi, (_, r) in zip(y, sub.iterrows(), strict=True):
            ends = [("low", r["low_value"], "#4e79a7"), ("high", r["high_value"], "#f28e2b")]
            ends.sort(key=lambda e: -abs(e[1] - ref))  # the longer bar first, so both stay visible
            for side, val, color in ends:
                ax.barh(yi, val - ref, left=ref, color=color, height=0.6,
                        gid=f"tornado_{k}_{r['parameter']}_{side}")
                ci = r.get(f"{side}_diff_ci95")
                if isinstance(ci, list) and np.all(np.isfinite(ci)):
                    (w,) = ax.plot([ref + ci[0], ref + ci[1]], [yi, yi], color="#222", lw=1.1, zorder=3)
                    w.set_gid(f"tornado_ci_{k}_{r['parameter']}_{side}")
            ax.text(1.01, yi, f"low {fmt_value(r['low_value'], unit)}", color="#4e79a7", fontsize=8,
                    transform=ax.get_yaxis_transform(), va="bottom")
            ax.text(1.01, yi, f"high {fmt_value(r['high_value'], unit)}", color="#c8701e", fontsize=8,
                    transform=ax.get_yaxis_transform(), va="top")
        ax.axvline(ref, color="#111", lw=1)
        labels = [f"{r['parameter']}\n{_num(r['low'])} → {_num(r['high'])}" if isinstance(r["low"], int | float)
                  else f"{r['parameter']}\n{r['low']} → {r['high']}" for _, r in sub.iterrows()]
        ax.set_yticks(y, labels, fontsize=8)
        ax.grid(axis="y", visible=False)
        ends = [sub["low_value"], sub["high_value"]]
        for side in ("low", "high"):
            if f"{side}_diff_ci95" in sub:
                ends += [ref + sub[f"{side}_diff_ci95"].map(lambda c: c[0] if isinstance(c, list) else np.nan),
                         ref + sub[f"{side}_diff_ci95"].map(lambda c: c[1] if isinstance(c, list) else np.nan)]
        lo = float(np.nanmin([np.nanmin(e) for e in ends] + [ref]))
        hi = float(np.nanmax([np.nanmax(e) for e in ends] + [ref]))
        pad = 0.18 * (hi - lo or abs(ref) or 1)
        ax.set_xlim(lo - pad, hi + pad)
        _fmt_axis_x(ax, k)
        ax.set_title(f"{kpi_info(k).label} (base {fmt_value(ref, unit)})", loc="left", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color="#4e79a7", label="parameter at low value"),
               plt.Rectangle((0, 0), 1, 1, color="#f28e2b", label="parameter at high value")]
    fig.legend(handles=handles, loc="upper right", ncols=2, fontsize=8.5)
    fig.suptitle("Sensitivity (tornado): one parameter at a time", fontweight="bold", x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 0.88, 0.97))
    caption = ("Each bar shows where a KPI's mean lands when one parameter is set to its low (blue) or high "
               "(orange) value with all others at base; the black line is the base point. Parameters are "
               "sorted by how much they move the KPI, largest on top. Black whiskers, when the results carry "
               "them, are 95% CIs of the paired change from base (common random numbers).")
    return FigureOut("tornado", "Tornado", caption, fig, section="Sweep")


def _pair(ci: Any) -> list[float] | None:
    """A ``[lo, hi]`` pair of floats (NaN where missing), or ``None`` when it is not a pair."""
    if not isinstance(ci, list | tuple) or len(ci) != 2:
        return None
    return [float(x) if isinstance(x, int | float) and not isinstance(x, bool) else np.nan for x in ci]


def _fmt_axis_x(ax, kpi: str) -> None:
    unit = kpi_info(kpi).unit
    if unit in ("money", "arr"):
        money_axis(ax, "x")
    elif unit == "fraction":
        percent_axis(ax, "x", decimals=None)


def fig_sweep_arr(res: Results) -> FigureOut | None:
    """Median ARR over time at each sweep point, coloured by the point's first parameter."""
    m = res.monthly
    if m.empty or "point" not in m or not res.has_metric("arr"):
        return None
    params = sweep_parameters(res)
    pts = {p["point"]: p for p in res.result.get("points", [])}
    arr = m[m["metric"] == "arr"]
    med = arr.groupby(["point", "month"])["value"].median().unstack("point")
    fig, ax = plt.subplots(figsize=(10, 4.6))
    first = params[0] if params else ""
    seen = [point_value(pts[p], first) for p in med.columns if p in pts] if first else []
    vals = list(dict.fromkeys(seen))
    if is_numeric(vals):
        vals = sorted(vals)
    cmap = plt.get_cmap("viridis")
    for p in med.columns:
        v = point_value(pts.get(p, {}), first)
        color = cmap(vals.index(v) / max(len(vals) - 1, 1) * 0.9) if v in vals else "#888"
        ax.plot(med.index, med[p], color=color, lw=1.3, alpha=0.85)
    for v in vals:
        ax.plot([], [], color=cmap(vals.index(v) / max(len(vals) - 1, 1) * 0.9), lw=2,
                label=_num(v) if is_numeric([v]) else str(v))
    money_axis(ax)
    ax.set_xlabel("month of the simulation")
    ax.set_ylabel("median ARR (currency / year)")
    ax.set_title(f"ARR over time at each of {med.shape[1]} sweep points")
    if vals:
        ax.legend(title=first, fontsize=8, title_fontsize=8.5, ncols=min(len(vals), 6), loc="upper left")
    fig.tight_layout()
    caption = ("Median ARR path of each sweep point (one line per point, median over its replications), "
               f"coloured by {first}. Use it to see when the settings start to diverge.")
    return FigureOut("sweep_arr", "ARR paths by point", caption, fig, section="Sweep")


SWEEP_FIGURES = (fig_sweep_grid, fig_tornado, fig_sweep_arr)

__all__ = ["SWEEP_FIGURES", "base_values", "fig_sweep_arr", "fig_sweep_grid", "fig_tornado",
           "point_value", "points_table", "short_names", "sweep_kpis", "sweep_parameters"]
