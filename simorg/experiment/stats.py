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

import numpy as np
from scipy import stats as _st

from .directions import direction

ALPHA = 0.05
"""Two-sided level of every interval and test (95% intervals)."""


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)]


def _num(x: float) -> float | None:
    """A float for JSON, ``None`` when it is not finite."""
    return float(x) if x is not None and math.isfinite(x) else None


def t_halfwidth(values: Sequence[float] | np.ndarray) -> float:
    """Half-width of the 95% t interval of the mean (``nan`` with fewer than 2 values)."""
    v = _finite(values)
    if v.size < 2:
        return math.nan
    sd = float(np.std(v, ddof=1))
    return float(_st.t.ppf(1 - ALPHA / 2, v.size - 1) * sd / math.sqrt(v.size))


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


def verdict(kpi: str, diff_ci95: Sequence[float | None]) -> str:
    """``better`` / ``worse`` / ``higher`` / ``lower`` / ``no detectable difference``.

    A difference counts only when its 95% interval excludes zero. ``better`` and ``worse``
    use the KPI's direction (see :mod:`.directions`); KPIs where neither direction is
    better by itself (headcount, utilization) get ``higher`` / ``lower``.
    """
    lo, hi = diff_ci95
    if lo is None or hi is None:
        return "not enough data"
    if lo <= 0.0 <= hi:
        return "no detectable difference"
    up = lo > 0.0
    sign = direction(kpi)
    if sign == 0:
        return "higher" if up else "lower"
    return "better" if (up == (sign > 0)) else "worse"


def unpaired_halfwidth(a: Sequence[float], b: Sequence[float]) -> float:
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
