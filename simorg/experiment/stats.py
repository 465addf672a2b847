"""Statistics for replications: t confidence intervals, paired differences, verdicts.

Every interval here is a Student-t interval over independent replications (the
replications of one arm are independent; the *pairs* of a comparison are independent,
the two arms of a pair are not: that is the point of common random numbers).
Non-finite values (a KPI that is undefined in some replication, e.g. CAC with no new
ARR) are left out and ``n`` says how many values were used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as _st

from ..metrics.registry import direction

ALPHA = 0.05
"""Two-sided level of every interval and test (95% intervals)."""


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)]


def _num(x: float) -> float | None:
    """A float for JSON, ``None`` when it is not finite."""
    return float(x) if x is not None and math.isfinite(x) else None


def t_halfwidth(values: Sequence[float] | np.ndarray) -> float:
    """Half-width of the 95% t interval of the mean (``nan`` with fewer than 2 values).

    The one interval of the package: tables, JSON, verdicts and every figure's "95% CI" use it.
    """
    v = _finite(values)
    if v.size < 2:
        return math.nan
    sd = float(np.std(v, ddof=1))
    return float(_st.t.ppf(1 - ALPHA / 2, v.size - 1) * sd / math.sqrt(v.size))


def t_interval(values: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """``(mean, lo, hi)`` of the 95% t interval of the mean over the finite values
    (all ``nan`` without values; ``lo = hi = nan`` with one)."""
    v = _finite(values)
    if v.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(v))
    hw = t_halfwidth(v)
    return mean, mean - hw, mean + hw


def summarize(values: Sequence[float] | np.ndarray) -> dict[str, object]:
    """``{"mean", "ci95": [lo, hi], "sd", "n"}`` of one KPI over replications.

    With fewer than two finite values the interval is ``[None, None]``; with no finite
    value the mean is ``None`` too.
    """
    v = _finite(values)
    if v.size == 0:
        return {"mean": None, "ci95": [None, None], "sd": None, "n": 0}
    mean = float(np.mean(v))
    if v.size < 2:
        return {"mean": mean, "ci95": [None, None], "sd": None, "n": 1}
    hw = t_halfwidth(v)
    return {
        "mean": mean,
        "ci95": [_num(mean - hw), _num(mean + hw)],
        "sd": float(np.std(v, ddof=1)),
        "n": int(v.size),
    }


def paired(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> dict[str, object]:
    """Paired comparison of ``b - a``, replication by replication.

    ``a`` and ``b`` are aligned (same seeds, same order); pairs where either value is not
    finite are dropped. Returns arm means, the mean difference, its 95% t interval and the
    two-sided paired t-test p-value. Identical arms give a difference of exactly zero and
    p = 1; a constant non-zero difference gives p = 0.
    """
    av = np.asarray(a, dtype=float)
    bv = np.asarray(b, dtype=float)
    ok = np.isfinite(av) & np.isfinite(bv)
    av, bv = av[ok], bv[ok]
    d = bv - av
    n = int(d.size)
    out: dict[str, object] = {
        "a_mean": _num(float(np.mean(av))) if n else None,
        "b_mean": _num(float(np.mean(bv))) if n else None,
        "diff_mean": _num(float(np.mean(d))) if n else None,
        "diff_ci95": [None, None],
        "p_value": None,
        "n": n,
    }
    if n < 2:
        return out
    mean = float(np.mean(d))
    sd = float(np.std(d, ddof=1))
    hw = t_halfwidth(d)
    out["diff_ci95"] = [mean - hw, mean + hw]
    if sd == 0.0:
        out["p_value"] = 1.0 if mean == 0.0 else 0.0
    else:
        tstat = mean / (sd / math.sqrt(n))
        out["p_value"] = float(2 * _st.t.sf(abs(tstat), n - 1))
    return out


def verdict(kpi: str, diff_ci95: Any, q_value: float | None = None) -> str:
    """``better`` / ``worse`` / ``higher`` / ``lower`` / ``no detectable difference``.

    Without ``q_value`` a difference counts when its 95% interval excludes zero. With the
    false-discovery-rate adjusted ``q_value`` (see :func:`add_q_values`) it counts only when
    ``q < 0.05``, so testing many KPIs at once does not turn chance wiggles into findings.
    ``better`` and ``worse`` use the KPI's direction from the KPI registry; KPIs where
    neither direction is better by itself (headcount, utilization) get ``higher`` / ``lower``.
    """
    if not isinstance(diff_ci95, Sequence) or len(diff_ci95) != 2:
        return "not enough data"
    lo, hi = diff_ci95
    if not all(isinstance(x, int | float) and math.isfinite(x) for x in (lo, hi)):
        return "not enough data"
    if lo <= 0.0 <= hi:
        return "no detectable difference"
    if q_value is not None and not q_value < ALPHA:
        return "no detectable difference"
    up = lo > 0.0
    sign = direction(kpi)
    if sign == 0:
        return "higher" if up else "lower"
    return "better" if (up == (sign > 0)) else "worse"


def q_values(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (q-values) over the finite p-values given.

    ``scipy.stats.false_discovery_control`` (Benjamini & Hochberg, "Controlling the false
    discovery rate", 1995): declaring every KPI with ``q < 0.05`` different keeps the
    expected share of false findings among them at or below 5%. ``None`` stays ``None``.
    """
    idx = [i for i, p in enumerate(p_values) if p is not None and math.isfinite(p)]
    out: list[float | None] = [None] * len(p_values)
    if not idx:
        return out
    ps = np.clip(np.array([p_values[i] for i in idx], dtype=float), 0.0, 1.0)
    qs = _st.false_discovery_control(ps, method="bh")
    for i, q in zip(idx, np.atleast_1d(qs), strict=True):
        out[i] = float(q)
    return out


def add_q_values(summary: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    """Add ``q_value`` to every KPI of a comparison summary and re-decide its verdict with it.

    The correction runs across all KPIs of the summary (one family of tests per comparison).
    Returns ``summary`` (changed in place).
    """
    names = list(summary)
    ps = [summary[k].get("p_value") for k in names]
    qs = q_values([p if isinstance(p, int | float) else None for p in ps])
    for k, q in zip(names, qs, strict=True):
        s = summary[k]
        s["q_value"] = q
        ci = s.get("diff_ci95")
        ci_pair = list(ci) if isinstance(ci, list | tuple) and len(ci) == 2 else [None, None]
        s["verdict"] = verdict(k, ci_pair, q)
    return summary


def unpaired_halfwidth(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Half-width of the 95% Welch interval of ``mean(b) - mean(a)`` treating arms as independent.

    Used to show (and test) how much common random numbers narrow the paired interval.
    """
    av, bv = _finite(a), _finite(b)
    va, vb = np.var(av, ddof=1) / av.size, np.var(bv, ddof=1) / bv.size
    se = math.sqrt(va + vb)
    if se == 0.0:
        return 0.0
    dof = (va + vb) ** 2 / (va**2 / (av.size - 1) + vb**2 / (bv.size - 1))
    return float(_st.t.ppf(1 - ALPHA / 2, dof) * se)
