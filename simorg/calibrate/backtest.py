"""Backtest: simulate the history period from its starting state and compare with the actuals.

The backtest scenario is the calibrated one, moved back to the history start: the installed
base active then (each account with its ARR then, contract term and renewal date), the
new-business opportunities open then, headcount then with the actual headcount by month as
the hiring plan, and each channel's budget at the history start's lead volume. Replications
give, per month, a prediction band (by default 5-95 %) of new logos, new ARR, churned ARR and
ARR; the result is the share of actual months inside the band.

Without an explicit state or a warm start the model begins with no open opportunities, so
closed deals are under-counted for about one lead lag plus one sales cycle; then
:attr:`Backtest.warmup` months are reported separately and left out of ``coverage_after_warmup``
(with the explicit state there is no such warm-up: ``warmup`` is 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .fit import DAYS_PER_MONTH, Calibration, history_scenario
from .io import CRMData

METRICS = ("new_logos", "new_arr", "churned_arr", "arr")


@dataclass
class Backtest:
    """Simulated bands against actual monthly values."""

    months: int
    start: pd.Timestamp
    actual: dict[str, np.ndarray]
    sims: dict[str, np.ndarray]
    """metric -> array (reps x months)."""
    band: tuple[float, float] = (0.05, 0.95)
    warmup: int = 0
    notes: list[str] = field(default_factory=list)

    def bounds(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        s = self.sims[metric]
        return np.quantile(s, self.band[0], axis=0), np.quantile(s, self.band[1], axis=0)

    def inside(self, metric: str) -> np.ndarray:
        lo, hi = self.bounds(metric)
        a = self.actual[metric]
        return (a >= lo - 1e-9) & (a <= hi + 1e-9)

    @property
    def reps(self) -> int:
        return int(next(iter(self.sims.values())).shape[0])

    def expected_coverage(self) -> float:
        """The share of draws of the model itself a band from :attr:`reps` replications holds:
        the band runs between interpolated order statistics at positions ``q (n - 1)`` (0-based),
        and a new draw falls between order statistics ``j < k`` (1-based) with probability
        ``(k - j) / (n + 1)``, so ``(hi - lo)(n - 1) / (n + 1)``: 85.6% for a 5-95% band of 40
        replications, 89.1% of 200 (David and Nagaraja, "Order Statistics", 2003, ch. 2)."""
        n = self.reps
        return (self.band[1] - self.band[0]) * (n - 1) / (n + 1)

    def coverage(self, metric: str, after_warmup: bool = False) -> float:
        ins = self.inside(metric)
        return float(np.mean(ins[self.warmup:] if after_warmup else ins))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"months": self.months, "start": f"{self.start:%Y-%m-%d}",
                               "band": list(self.band), "warmup_months": self.warmup,
                               "reps": self.reps, "expected_coverage": self.expected_coverage(),
                               "notes": self.notes, "metrics": {}}
        for m in self.sims:
            lo, hi = self.bounds(m)
            out["metrics"][m] = {
                "actual": self.actual[m].tolist(), "low": lo.tolist(), "high": hi.tolist(),
                "median": np.median(self.sims[m], axis=0).tolist(),
                "coverage": self.coverage(m), "coverage_after_warmup": self.coverage(m, True),
            }
        return out

    def table(self) -> str:
        """Text table: per metric, months inside the band (and after the warm-up, if any)."""
        lo_p, hi_p = (round(100 * b) for b in self.band)
        warm = f"after month {self.warmup}" if self.warmup else ""
        lines = [f"backtest: {self.months} months from {self.start:%Y-%m-%d}, {self.reps} replications, "
                 f"{lo_p}-{hi_p}% bands (such a band holds {self.expected_coverage():.1%} of the model's own months)",
                 f"{'metric':<14}{'inside':>14}{warm:>18}{'actual total':>16}{'sim median':>14}".replace(" " * 18, "")
                 if not self.warmup else
                 f"{'metric':<14}{'inside':>14}{warm:>18}{'actual total':>16}{'sim median':>14}"]
        for m in self.sims:
            tot = float(self.actual[m].sum()) if m != "arr" else float(self.actual[m][-1])
            sim = np.median(self.sims[m].sum(axis=1)) if m != "arr" else np.median(self.sims[m][:, -1])
            n_in = int(self.inside(m).sum())
            after = f"{self.coverage(m, True):.0%}" if self.warmup else ""
            after = f"{after:>18}" if self.warmup else ""
            lines.append(f"{m:<14}{f'{n_in}/{self.months} {self.coverage(m):.0%}':>14}{after}{tot:>16,.0f}{sim:>14,.0f}")
        lines.append("(arr: value at the last month end)")
        return "\n".join(lines)


def actual_series(data: CRMData, start: pd.Timestamp, months: int) -> dict[str, np.ndarray]:
    """Actual monthly new logos, new ARR, churned ARR and ARR (month ends) from the export."""
    ends = [start + pd.Timedelta(days=(m + 1) * DAYS_PER_MONTH) for m in range(months)]
    out: dict[str, np.ndarray] = {}

    def month_of(t: pd.Series) -> np.ndarray:
        return np.floor(((t - start) / pd.Timedelta(days=1)).to_numpy(dtype=float) / DAYS_PER_MONTH)

    if data.has("opportunities"):
        o = data.tables["opportunities"]
        won = o[(o["type"] == "new") & (o["stage"] == "won")]
        m = month_of(won["close"]) if "close" in won else np.array([])
        ok = (m >= 0) & (m < months)
        out["new_logos"] = np.bincount(m[ok].astype(int), minlength=months).astype(float)
        out["new_arr"] = np.bincount(m[ok].astype(int), weights=won["amount"].to_numpy()[ok], minlength=months)
    if data.has("accounts", "arr"):
        acc = data.tables["accounts"]
        end = acc["end"] if "end" in acc else pd.Series(pd.NaT, index=acc.index)
        m = month_of(end.dropna())
        ok = (m >= 0) & (m < months)
        out["churned_arr"] = np.bincount(m[ok].astype(int), weights=acc.loc[end.dropna().index, "arr"].to_numpy()[ok],
                                         minlength=months)
        exp = pd.DataFrame(columns=["account", "close", "amount"])
        if data.has("opportunities"):
            o = data.tables["opportunities"]
            exp = o[o["type"].isin(("upsell", "cross-sell")) & (o["stage"] == "won")]
        arr = []
        for t in ends:
            active = (acc["start"] <= t) & (end.isna() | (end > t))
            later = exp[exp["close"] > t].groupby("account")["amount"].sum() if len(exp) else pd.Series(dtype=float)
            base = acc.loc[active, "arr"] - later.reindex(acc.loc[active, "account"]).fillna(0).to_numpy()
            arr.append(float(base.clip(lower=0).sum()))
        out["arr"] = np.array(arr)
    return out


def backtest_scenario(cal: Calibration, base: str | Path | None = None) -> Any:
    """The calibrated scenario (or the scenario file ``base``) moved back to the history start
    (see :func:`.fit.history_scenario`)."""
    return history_scenario(cal, base=base)


def run_backtest(cal: Calibration, data: CRMData, reps: int = 40, seed: int = 1,
                 band: tuple[float, float] = (0.05, 0.95), base: str | Path | None = None) -> Backtest:
    """Simulate the history ``reps`` times and compare with the export's actual months."""
    from ..experiment.simulate import simulate

    sc = backtest_scenario(cal, base)
    actual = actual_series(data, cal.history_start, cal.months)
    runs = [simulate(sc, seed + i, keep_records=False) for i in range(reps)]
    sims = {m: np.vstack([r.monthly[m] for r in runs]) for m in METRICS if m in actual}
    init = sc.customers.initial
    if init.explicit():
        warmup = 0
        notes = [f"starts from the state at {cal.history_start:%Y-%m-%d}: {len(init.accounts)} accounts active then "
                 f"(ARR {sum(a.arr for a in init.accounts):,.0f}), {len(init.opportunities)} new-business "
                 "opportunities open then"]
    elif sc.warm_start.months > 0:
        warmup = 0
        notes = [f"starts from {init.count} accounts drawn from new-deal ACV and a {sc.warm_start.months}-month "
                 "warm-up (the export gives no explicit state)"]
    else:
        lag = max((ch.lag_days for ch in sc.marketing.channels.values()), default=0.0)
        cycle = float(np.mean([s.cycle_days.mean for s in sc.segments.values()]))
        warmup = int(math.ceil((lag + cycle) / DAYS_PER_MONTH))
        notes = [f"no warm start: the first {warmup} months (lead lag {lag:.0f} d + mean cycle {cycle:.0f} d) "
                 "start with an empty pipeline"]
    return Backtest(cal.months, cal.history_start, {m: actual[m] for m in sims}, sims, band, warmup, notes)
