"""Fit a scenario to a CRM export: distributions, rates, volumes, people and the state at export.

What the data supports is fitted; everything else is kept from the template scenario and
listed in :attr:`Calibration.not_fitted` with the reason. Every fitted value carries where it
came from (n, period, fit statistic), which the YAML writer puts in a comment.

Rates the model applies *before* other effects (the win rate before presales, fit and ramp;
the qualify rate before response-time decay; the renewal factor before health) are not copied
from the data: a few short simulations measure the *observed* rate the model produces, and
each parameter is multiplied by target / simulated until the simulated observed rate is
within tolerance of the data (:func:`correct_rates`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .io import EXISTING_SOURCES, SELF_SOURCES, CRMData

DAYS_PER_MONTH = 365.25 / 12
MIN_FIT = 20
"""Fewest observations a distribution is fitted from; fewer keep the template's."""
ROLES = ("marketing", "sdr", "ae", "presales", "implementation", "csm")


@dataclass
class Value:
    """One fitted scenario value, its dotted path and where it came from."""

    path: tuple[str, ...]
    value: Any
    note: str


@dataclass
class DistFit:
    """A distribution chosen for one quantity of one segment, with the candidates compared."""

    quantity: str
    segment: str
    data: np.ndarray
    chosen: dict[str, Any]
    candidates: list[dict[str, Any]]

    @property
    def best(self) -> dict[str, Any]:
        return next(c for c in self.candidates if c["yaml"] == self.chosen)


@dataclass
class Calibration:
    """The result of calibrating: fitted values, what was not fitted and why, the state at export."""

    template: str
    export_date: pd.Timestamp
    history_start: pd.Timestamp
    months: int
    values: list[Value] = field(default_factory=list)
    not_fitted: list[tuple[str, str]] = field(default_factory=list)
    dist_fits: list[DistFit] = field(default_factory=list)
    targets: dict[str, float] = field(default_factory=dict)
    """Observed rates the simulated observed rates are matched to (name -> value)."""
    target_n: dict[str, int] = field(default_factory=dict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    """One entry per correction round: parameters tried and simulated observed rates."""
    lead_volume: dict[str, dict[str, Any]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    """The company at the export date (see :func:`fitted_state`): what the schema takes today
    and what waits for the warm start, the installed base and contracts."""
    history: dict[str, Any] = field(default_factory=dict)
    """The starting state and plans at the history start, for the backtest."""
    warnings: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    segment_map: dict[str, str] = field(default_factory=dict)
    channel_map: dict[str, str] = field(default_factory=dict)
    state_accounts: pd.DataFrame | None = None
    """The explicit installed base at the export date (written as ``state/accounts.csv``)."""
    state_opportunities: pd.DataFrame | None = None
    """The open pipeline at the export date (written as ``state/opportunities.csv``)."""

    def set(self, path: str, value: Any, note: str) -> None:
        """Record a fitted value (a later value for the same path replaces the earlier)."""
        p = tuple(path.split("."))
        self.values = [v for v in self.values if v.path != p]
        self.values.append(Value(p, value, note))

    def get(self, path: str, default: Any = None) -> Any:
        p = tuple(path.split("."))
        return next((v.value for v in self.values if v.path == p), default)

    def skip(self, what: str, why: str) -> None:
        self.not_fitted.append((what, why))

    def overrides(self) -> dict[str, Any]:
        """The fitted values as a nested mapping (what the scenario file sets over the template)."""
        out: dict[str, Any] = {}
        for v in self.values:
            node = out
            for k in v.path[:-1]:
                node = node.setdefault(k, {})
            node[v.path[-1]] = v.value
        return out


# --------------------------------------------------------------------------- small helpers
def _sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits (values in a scenario file stay readable)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(round(x, -int(math.floor(math.log10(abs(x)))) + digits - 1))


def _shares(weights: dict[str, float]) -> dict[str, float]:
    """Weights -> shares rounded to 4 decimals that sum to exactly 1 (the largest takes the rest)."""
    total = sum(weights.values())
    out = {k: round(v / total, 4) for k, v in weights.items()}
    top = max(out, key=lambda k: out[k])
    out[top] = round(1.0 - sum(v for k, v in out.items() if k != top), 4)
    return out


def _period(a: pd.Timestamp, b: pd.Timestamp) -> str:
    return f"{a:%Y-%m}..{(b - pd.Timedelta(days=1)):%Y-%m}"


def _days(t: pd.Series | pd.Timestamp, origin: pd.Timestamp) -> Any:
    return (t - origin) / pd.Timedelta(days=1)


# --------------------------------------------------------------------------- distributions
def fit_distribution(x: np.ndarray) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Choose among the schema's positive distributions (lognormal, gamma, normal truncated
    at 0, exponential) by AIC of maximum-likelihood fits; each candidate reports its KS
    statistic and p-value. Returns ``(chosen scenario form, candidates best first)``."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    cands: list[dict[str, Any]] = []

    def add(name: str, frozen: Any, k: int, yaml_form: dict[str, Any]) -> None:
        ll = float(np.sum(frozen.logpdf(x)))
        if not math.isfinite(ll):
            return
        ks = stats.kstest(x, frozen.cdf)
        cands.append({"name": name, "aic": 2 * k - 2 * ll, "ks": float(ks.statistic),
                      "ks_p": float(ks.pvalue), "yaml": yaml_form, "frozen": frozen})

    s, _, scale = stats.lognorm.fit(x, floc=0)
    ln = stats.lognorm(s, 0, scale)
    add("lognormal", ln, 2, {"lognormal": {"mean": _sig(float(ln.mean())), "sd": _sig(float(ln.std()))}})
    a, _, gscale = stats.gamma.fit(x, floc=0)
    add("gamma", stats.gamma(a, 0, gscale), 2, {"gamma": {"shape": _sig(a), "scale": _sig(gscale)}})
    mu, sd = float(np.mean(x)), float(np.std(x))
    if sd > 0 and stats.norm.cdf(0, mu, sd) < 0.01:  # truncation at 0 changes nothing
        add("normal", stats.norm(mu, sd), 2, {"normal": {"mean": _sig(mu), "sd": _sig(sd), "min": 0.0}})
    add("exponential", stats.expon(0, mu), 1, {"exponential": {"mean": _sig(mu)}})
    cands.sort(key=lambda c: c["aic"])
    return cands[0]["yaml"], cands


def _fit_dist(cal: Calibration, quantity: str, seg: str, x: np.ndarray, path: str, what: str,
              period: str) -> None:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) < MIN_FIT:
        cal.skip(f"{path}", f"only {len(x)} {what} (need {MIN_FIT}); kept the template's")
        return
    chosen, cands = fit_distribution(x)
    cal.dist_fits.append(DistFit(quantity, seg, x, chosen, cands))
    best = cands[0]
    others = ", ".join(f"{c['name']} {c['aic'] - best['aic']:+.0f}" for c in cands[1:])
    cal.set(path, chosen, f"{best['name']} by AIC from {len(x)} {what}, {period}; KS {best['ks']:.3f} "
                          f"(p {best['ks_p']:.2f}); data mean {np.mean(x):.4g}; AIC vs others: {others}")


# --------------------------------------------------------------------------- the fit
def calibrate(data: CRMData, template: str | Path, *, reps: int = 6, seed: int = 1,
              tolerance: float = 0.01, max_rounds: int = 6, correct: bool = True) -> Calibration:
    """Fit everything the export supports over the template scenario ``template``."""
    from ..scenario import load

    tpl = load(template)
    export = data.export_date
    assert export is not None
    start = _history_start(data, export)
    months = max(1, int(round(_days(export, start) / DAYS_PER_MONTH)))
    cal = Calibration(str(template), export, start, months, warnings=list(data.warnings),
                      dropped=dict(data.dropped))
    period = _period(start, export)
    _map_segments(cal, data, tpl)
    _fit_deals(cal, data, tpl, period)
    _fit_leads(cal, data, tpl, period)
    _fit_accounts(cal, data, tpl, period)
    _fit_people(cal, data, tpl, period)
    if correct:
        correct_rates(cal, tpl, reps=reps, seed=seed, tolerance=tolerance, max_rounds=max_rounds)
    return cal


def _history_start(data: CRMData, export: pd.Timestamp) -> pd.Timestamp:
    """First day of the month of the earliest lead; without leads, of the earliest new-business
    opportunity. (Opportunities created before the first lead are the pipeline open when the
    CRM's history starts, migrated records: the backtest starts with them open.)"""
    firsts = []
    if data.has("leads"):
        firsts.append(data.tables["leads"]["created"].min())
    elif data.has("opportunities"):
        o = data.tables["opportunities"]
        firsts.append(o.loc[o["type"] == "new", "created"].min())
    firsts = [f for f in firsts if f is not None and not pd.isna(f)]
    if not firsts and data.has("accounts"):
        firsts.append(data.tables["accounts"]["start"].min())
    if not firsts:
        return export - pd.DateOffset(months=12)
    first = min(firsts)
    return pd.Timestamp(first.year, first.month, 1)


def _segments_in(data: CRMData) -> list[str]:
    seen: list[str] = []
    for kind in ("opportunities", "accounts", "leads"):
        if data.has(kind, "segment"):
            for s in data.tables[kind]["segment"].dropna():
                if s not in seen:
                    seen.append(s)
    return seen


def _map_segments(cal: Calibration, data: CRMData, tpl: Any) -> None:
    """CRM segment names -> scenario segments (same name; new ones copy the nearest template
    segment by new-deal ACV; template segments absent from the data get zero shares)."""
    segs = _segments_in(data)
    if not segs:
        cal.skip("segments", "no segment column in any file: every deal is fitted as one segment, "
                             "applied to each of the template's segments")
        for s in tpl.segments:
            cal.segment_map[s] = "*"
        return
    for s in segs:
        if s in tpl.segments:
            cal.segment_map[s] = s
            continue
        mean = np.nan
        if data.has("opportunities", "segment"):
            o = data.tables["opportunities"]
            sel = (o["segment"] == s) & (o["stage"] == "won") & (o["type"] == "new")
            mean = float(o.loc[sel, "amount"].mean()) if sel.any() else np.nan
        like = min(tpl.segments, key=lambda k: abs(tpl.segments[k].acv.mean - mean)) if np.isfinite(mean) \
            else next(iter(tpl.segments))
        cal.segment_map[s] = s
        base = tpl.segments[like]
        copied = {"acv": base.acv.to_yaml(), "win_rate": base.win_rate, "cycle_days": base.cycle_days.to_yaml(),
                  "onboarding_days": base.onboarding_days.to_yaml(),
                  "renewal_rate_factor": base.renewal_rate_factor}
        for key, value in copied.items():  # fitted values replace these one by one
            cal.set(f"segments.{s}.{key}", value, f"segment '{s}' is not in the template: "
                                                  f"copied from '{like}' (nearest new-deal ACV)")
    for s in tpl.segments:
        if s not in cal.segment_map:
            cal.warnings.append(f"template segment '{s}' has no data in the export: its shares are set to 0")


def _seg_groups(cal: Calibration, table: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """(segment, row mask) for each fitted segment ('*': one fit for all)."""
    if "*" in cal.segment_map.values() or "segment" not in table:
        return [("*", pd.Series(True, index=table.index))]
    return [(s, table["segment"] == s) for s in cal.segment_map]


def _seg_paths(cal: Calibration, seg: str, tpl: Any) -> list[str]:
    return list(tpl.segments) if seg == "*" else [seg]


def _fit_deals(cal: Calibration, data: CRMData, tpl: Any, period: str) -> None:
    if not data.has("opportunities"):
        for what in ("acv", "cycle_days", "win_rate"):
            cal.skip(f"segments.*.{what}", "no opportunities file")
        return
    o = data.tables["opportunities"]
    new = o[o["type"] == "new"]
    won = new[new["stage"] == "won"]
    closed = new[new["stage"].isin(("won", "lost"))]
    for seg, mask in _seg_groups(cal, new):
        m_won = mask.reindex(won.index, fill_value=False)
        m_closed = mask.reindex(closed.index, fill_value=False)
        for s in _seg_paths(cal, seg, tpl):
            _fit_dist(cal, "acv", s, won.loc[m_won, "amount"].to_numpy(), f"segments.{s}.acv",
                      f"won new deals ({seg})" if seg != "*" else "won new deals", period)
            if "close" in closed:
                c = closed[m_closed & ~closed.get("close_before_create", False)]
                cyc = _days(c["close"], c["created"]).to_numpy(dtype=float)
                _fit_dist(cal, "cycle_days", s, cyc, f"segments.{s}.cycle_days",
                          "closed new deals (created to close)", period)
                if cal.get(f"segments.{s}.cycle_days") is not None:
                    cyc = cyc[np.isfinite(cyc) & (cyc > 0)]
                    cal.targets[f"cycle.{s}"] = float(np.mean(cyc))
                    cal.target_n[f"cycle.{s}"] = len(cyc)
            else:
                cal.skip(f"segments.{s}.cycle_days", "no close date column")
            n_w, n_c = int(m_won.sum()), int(m_closed.sum())
            if n_c >= 10:
                cal.targets[f"win_rate.{s}"] = n_w / n_c
                cal.target_n[f"win_rate.{s}"] = n_c
                cal.set(f"segments.{s}.win_rate", float(tpl.segments[s].win_rate) if s in tpl.segments
                        else cal.get(f"segments.{s}.win_rate"),
                        f"observed win rate {n_w}/{n_c} = {n_w / n_c:.3f}, {period}")
            else:
                cal.skip(f"segments.{s}.win_rate", f"only {n_c} closed new deals (need 10)")
    if "segment" in new and "*" not in cal.segment_map.values():
        cal.state_opportunities = open_pipeline(o, cal.export_date)
        cal.history["opportunities"] = _state_rows(open_pipeline(o, cal.history_start), cal.history_start)
    if export := cal.export_date:
        op = new[new["stage"] == "open"]
        cal.state["open_pipeline"] = {
            "count": len(op), "amount_total": _sig(float(op["amount"].sum())),
            "deals": [{"id": str(r.id) if "id" in op else None, "segment": getattr(r, "segment", None),
                       "amount": float(r.amount), "age_days": _sig(float(_days(export, r.created)))}
                      for r in op.itertuples(index=False)],
        }
    # AE self-sourcing: deals whose source is the AE's own prospecting
    if "source" in new and new["source"].notna().any():
        src = new["source"].fillna("")
        own = src.isin(SELF_SOURCES) | src.map(lambda v: v.replace("_", "") in SELF_SOURCES)
        cal.state["self_sourced_new_deals"] = int(own.sum())
        ae_months = _role_months(data, "ae", cal.history_start, cal.export_date)
        if ae_months:
            rate = float(own.sum()) / ae_months
            cal.set("teams.ae.self_source_per_month", _sig(rate) if rate else 0.0,
                    f"{int(own.sum())} self-sourced new opportunities over {ae_months:.0f} AE-months, {period} "
                    "(the model prospects only while an AE's pipeline is thin: a lower bound)")
        else:
            cal.skip("teams.ae.self_source_per_month", "no AE headcount history to divide by")
    else:
        cal.skip("teams.ae.self_source_per_month", "no lead source on opportunities")


def _role_months(data: CRMData, role: str, a: pd.Timestamp, b: pd.Timestamp) -> float:
    if not data.has("headcount"):
        return 0.0
    h = data.tables["headcount"]
    h = h[h["role"] == role]
    s = h["start"].clip(lower=a)
    e = h["end"].fillna(b).clip(upper=b) if "end" in h else pd.Series(b, index=h.index)
    d = _days(e, s).clip(lower=0)
    return float(d.sum() / DAYS_PER_MONTH)


def _poisson_trend(y: np.ndarray) -> tuple[float, float]:
    """Poisson regression log E[y_m] = a + b m by maximum likelihood: ``(a, b)``."""
    m = np.arange(len(y), dtype=float)
    a0 = math.log(max(float(np.mean(y)), 0.5))

    def nll(p: np.ndarray) -> float:
        eta = p[0] + p[1] * m
        return float(np.sum(np.exp(eta) - y * eta))

    res = optimize.minimize(nll, np.array([a0, 0.0]), method="BFGS")
    return float(res.x[0]), float(res.x[1])


def _fit_leads(cal: Calibration, data: CRMData, tpl: Any, period: str) -> None:
    channels = tpl.marketing.channels
    if not data.has("leads"):
        cal.skip("marketing.channels.*.budget_per_month", "no leads file: lead volume kept from the template")
        cal.skip("teams.sdr.qualify_rate", "no leads file")
        return
    ld = data.tables["leads"]
    src = ld["source"] if "source" in ld else pd.Series("unknown", index=ld.index)
    src = src.fillna("unknown")
    own = src.isin(SELF_SOURCES) | src.isin(EXISTING_SOURCES)
    ld = ld[~own]
    src = src[~own]
    if "source" not in data.tables["leads"]:
        cal.warnings.append(f"{data.files['leads']}: no lead source column: all leads are one channel")
    month = np.floor(_days(ld["created"], cal.history_start) / DAYS_PER_MONTH).astype(int)
    inside = (month >= 0) & (month < cal.months)
    if (~inside).any():
        cal.dropped["leads created outside the history window"] = int((~inside).sum())
    fallback = next(iter(channels))
    default_cpl = float(np.median([c.cost_per_lead for c in channels.values()]))
    seen = []
    for ch in sorted(set(src[inside])):
        sel = inside & (src == ch)
        y = np.bincount(month[sel], minlength=cal.months).astype(float)
        a, b = _poisson_trend(y)
        now = math.exp(a + b * cal.months)
        name = ch if ch in channels else (fallback if ch == "unknown" else ch)
        seen.append(name)
        cal.channel_map[ch] = name
        tch = channels.get(name)
        cpl = float(tch.cost_per_lead) if tch is not None else default_cpl
        cal.lead_volume[name] = {"counts": y, "a": a, "b": b, "now": now, "cost_per_lead": cpl}
        base = f"marketing.channels.{name}"
        if tch is None:
            proto = channels[fallback]
            cal.set(f"{base}.cost_per_lead", cpl, "not in the template: median cost per lead of its channels")
            cal.set(f"{base}.lag_days", float(proto.lag_days), f"not in the template: lag of '{fallback}'")
            cal.set(f"{base}.fit", proto.fit.to_yaml(), f"not in the template: lead fit of '{fallback}'")
        cal.set(f"{base}.budget_per_month", _sig(now * cpl),
                f"{now:.1f} leads/month at export (Poisson trend over {int(y.sum())} leads, {period}) "
                f"x cost per lead {cpl:g} (template)")
        cal.set(f"{base}.budget_growth_per_month", _sig(math.exp(b) - 1, 2),
                f"trend of monthly lead counts, {period}")
        mix = _mix_for(cal, data, ld[sel], ch)
        if mix:
            cal.set(f"{base}.segment_mix", mix[0], mix[1])
    for name in channels:
        if name not in seen:
            cal.set(f"marketing.channels.{name}.budget_per_month", 0.0,
                    "no leads from this channel in the export")
    if "status" in ld and ld["status"].notna().any():
        st = ld.loc[inside, "status"]
        q, d = int((st == "qualified").sum()), int((st == "disqualified").sum())
        if q + d >= 30:
            cal.targets["lead_qualify_rate"] = q / (q + d)
            cal.target_n["lead_qualify_rate"] = q + d
            cal.set("teams.sdr.qualify_rate", float(tpl.teams.sdr.qualify_rate),
                    f"observed qualified / worked leads {q}/{q + d} = {q / (q + d):.3f}, {period}")
        else:
            cal.skip("teams.sdr.qualify_rate", f"only {q + d} worked leads with a status")
    else:
        cal.skip("teams.sdr.qualify_rate", "no lead status column")
    if "first_touch" in ld and ld["first_touch"].notna().any():
        hours = (_days(ld["first_touch"], ld["created"]) * 24).dropna()
        hours = hours[hours >= 0]
        cal.targets["lead_response_hours"] = float(hours.mean())
        cal.target_n["lead_response_hours"] = len(hours)
    cal.history["lead_volume_start"] = {n: math.exp(v["a"]) for n, v in cal.lead_volume.items()}


def _mix_for(cal: Calibration, data: CRMData, leads: pd.DataFrame, ch: str) -> tuple[dict[str, float], str] | None:
    """Segment shares of a channel's leads (from the leads' segment, else its new deals')."""
    if "*" in cal.segment_map.values():
        return None
    counts: pd.Series | None = None
    what = ""
    if "segment" in leads and leads["segment"].notna().any():
        counts, what = leads["segment"].value_counts(), "leads"
    elif data.has("opportunities", "segment") and "source" in data.tables["opportunities"]:
        o = data.tables["opportunities"]
        sel = (o["type"] == "new") & (o["source"] == ch)
        if sel.sum() >= 10:
            counts, what = o.loc[sel, "segment"].value_counts(), "new opportunities"
    if counts is None or counts.sum() == 0:
        return None
    from ..scenario import load

    names = [*cal.segment_map, *(s for s in load(cal.template).segments if s not in cal.segment_map)]
    mix = _shares({s: float(counts.get(s, 0)) for s in names})
    return mix, f"segment shares of {int(counts.sum())} {what} from '{ch}'"


def _renewal_table(acc: pd.DataFrame, term_days: float, a: pd.Timestamp, b: pd.Timestamp) -> pd.DataFrame:
    """Each contract end due in [a, b): account, segment, due date, renewed."""
    rows = []
    for r in acc.itertuples(index=False):
        start = r.start
        end = getattr(r, "end", pd.NaT)
        k = 1
        while True:
            due = start + pd.Timedelta(days=k * term_days)
            if due >= b:
                break
            renewed = pd.isna(end) or end > due + pd.Timedelta(days=15)
            if due >= a:
                rows.append((r.account, getattr(r, "segment", None), due, renewed))
            if not renewed:
                break
            k += 1
    return pd.DataFrame(rows, columns=["account", "segment", "due", "renewed"])


def _fit_accounts(cal: Calibration, data: CRMData, tpl: Any, period: str) -> None:
    term_months = tpl.customers.renewal.term_months
    if data.has("accounts", "term"):
        acc = data.tables["accounts"]
        terms = acc["term"].dropna()
        if len(terms):
            term_months = int(round(float(terms.mode().iloc[0])))
            share = float((terms.round() == term_months).mean())
            cal.set("customers.renewal.term_months", term_months,
                    f"most common contract term, {share:.0%} of {len(terms)} accounts")
            if share < 0.9:
                cal.warnings.append(f"{data.files['accounts']}: terms vary ({share:.0%} are {term_months} months); "
                                    "one term for all waits for contracts by segment")
    if data.has("accounts", "billing"):
        cal.state["billing"] = data.tables["accounts"]["billing"].value_counts().to_dict()
    term_days = term_months * DAYS_PER_MONTH
    a, b = cal.history_start, cal.export_date
    if not data.has("accounts"):
        cal.skip("segments.*.renewal_rate_factor", "no accounts file")
        cal.skip("segments.*.onboarding_days", "no accounts file")
        cal.skip("customers.initial", "no accounts file: the installed base is kept from the template")
        _renewals_from_opps(cal, data, tpl, period)
        return
    acc = data.tables["accounts"]
    # onboarding: contract start to go-live
    if "go_live" in acc and acc["go_live"].notna().any():
        for seg, mask in _seg_groups(cal, acc):
            x = _days(acc.loc[mask, "go_live"], acc.loc[mask, "start"]).to_numpy(dtype=float)
            for s in _seg_paths(cal, seg, tpl):
                _fit_dist(cal, "onboarding_days", s, x, f"segments.{s}.onboarding_days",
                          "accounts (start to go-live)", period)
    else:
        cal.skip("segments.*.onboarding_days", "no go-live date on accounts")
    # renewals
    ren = _renewal_table(acc, term_days, a, b)
    cal.state["renewals_observed"] = len(ren)
    for seg, _ in _seg_groups(cal, acc):
        r = ren if seg == "*" else ren[ren["segment"] == seg]
        for s in _seg_paths(cal, seg, tpl):
            if len(r) >= 10:
                rate = float(r["renewed"].mean())
                cal.targets[f"renewal.{s}"] = rate
                cal.target_n[f"renewal.{s}"] = len(r)
                base = tpl.segments[s].renewal_rate_factor if s in tpl.segments else 1.0
                cal.set(f"segments.{s}.renewal_rate_factor", float(base),
                        f"observed logo renewal {int(r['renewed'].sum())}/{len(r)} = {rate:.3f} "
                        f"(contract ends due {period})")
            else:
                cal.skip(f"segments.{s}.renewal_rate_factor", f"only {len(r)} contract ends in the history (need 10)")
    # expansion
    if data.has("opportunities"):
        o = data.tables["opportunities"]
        exp = o[o["type"].isin(("upsell", "cross-sell")) & (o["stage"] == "won")]
        exp = exp[(exp["close"] >= a) & (exp["close"] < b)] if "close" in exp else exp
        s_ = acc["start"].clip(lower=a)
        e_ = acc["end"].fillna(b).clip(upper=b) if "end" in acc else pd.Series(b, index=acc.index)
        years = float(_days(e_, s_).clip(lower=0).sum() / 365.25)
        if years > 0:
            for kind, key in (("upsell", "upsell_per_year"), ("cross-sell", "cross_sell_per_year")):
                n = int((exp["type"] == kind).sum())
                cal.targets[f"expansion.{kind}"] = n / years
                cal.target_n[f"expansion.{kind}"] = n
                cal.set(f"customers.expansion.{key}", float(getattr(tpl.customers.expansion, key)),
                        f"observed {n} won {kind} deals over {years:.0f} account-years = {n / years:.3f}/yr, {period}")
            base_arr = acc.set_index("account")["arr"] - exp.groupby("account")["amount"].sum().reindex(
                acc["account"]).fillna(0).to_numpy()
            for kind, key in (("upsell", "upsell_size"), ("cross-sell", "cross_sell_size")):
                e = exp[exp["type"] == kind]
                share = (e["amount"].to_numpy() / base_arr.reindex(e["account"]).to_numpy())
                _fit_dist(cal, key, "*", share, f"customers.expansion.{key}",
                          f"won {kind} deals (amount / account's base ARR)", period)
    else:
        cal.skip("customers.expansion", "no opportunities file (upsell and cross-sell are deals)")
    # the state at the export date
    active = acc[(acc["start"] <= b) & (acc["end"].isna() | (acc["end"] > b))] if "end" in acc \
        else acc[acc["start"] <= b]
    at_start = acc[(acc["start"] < a) & (acc["end"].isna() | (acc["end"] > a))] if "end" in acc \
        else acc[acc["start"] < a]
    cal.set("customers.initial.count", len(active), f"accounts active at the export date {b:%Y-%m-%d}")
    cal.history["initial_count"] = len(at_start)
    if "*" not in cal.segment_map.values() and "segment" in acc:
        mix = active["segment"].value_counts()
        full = _shares({s: float(mix.get(s, 0.0)) for s in [*cal.segment_map, *tpl.segments]})
        cal.set("customers.initial.segment_mix", full, f"segment shares of the {len(active)} active accounts")
        mix0 = at_start["segment"].value_counts()
        cal.history["initial_mix"] = _shares({s: float(mix0.get(s, 0.0)) for s in full})
    else:
        cal.skip("customers.initial.segment_mix", "no account segment")
    cal.state["installed_base"] = fitted_installed_base(active, b, term_days)
    # the explicit state: the accounts active at the history start (for the backtest) and at
    # the export date (written next to the scenario), each with its ARR then
    if "segment" in acc and "arr" in acc and "*" not in cal.segment_map.values():
        exp_all = pd.DataFrame(columns=["account", "close", "amount"])
        if data.has("opportunities", "close"):
            o = data.tables["opportunities"]
            exp_all = o[o["type"].isin(("upsell", "cross-sell")) & (o["stage"] == "won")]
        cal.state_accounts = state_accounts(acc, exp_all, b, term_months)
        cal.history["accounts"] = _state_rows(state_accounts(acc, exp_all, a, term_months), a)
    else:
        cal.skip("customers.initial.accounts_csv", "needs the accounts' segment and ARR: the installed base "
                                                   "is given as a count and a segment mix")


BILLINGS = ("monthly", "quarterly", "annual", "upfront")


def state_accounts(acc: pd.DataFrame, expansions: pd.DataFrame, day: pd.Timestamp,
                   term_months: int) -> pd.DataFrame:
    """The accounts paying on ``day`` with their ARR then (today's ARR less expansions won
    after ``day``), start, contract term (their own, else ``term_months``), the end of the
    current term and billing (a value the schema knows, else blank)."""
    end = acc["end"] if "end" in acc else pd.Series(pd.NaT, index=acc.index)
    act = acc[(acc["start"] <= day) & (end.isna() | (end > day))]
    later = expansions[expansions["close"] > day].groupby("account")["amount"].sum() if len(expansions) \
        else pd.Series(dtype=float)
    arr = act["arr"].to_numpy(dtype=float) - later.reindex(act["account"]).fillna(0.0).to_numpy()
    terms = act["term"].fillna(term_months).round().astype(int) if "term" in act \
        else pd.Series(term_months, index=act.index)
    term_days = terms.to_numpy(dtype=float) * DAYS_PER_MONTH
    age = _days(day, act["start"]).to_numpy(dtype=float)
    k = np.floor(age / term_days) + 1
    renewal = act["start"] + pd.to_timedelta(k * term_days, unit="D")
    billing = act["billing"].astype(str).str.lower().where(act["billing"].astype(str).str.lower().isin(BILLINGS), "") \
        if "billing" in act else pd.Series("", index=act.index)
    out = pd.DataFrame({"id": act["account"].astype(str).to_numpy(), "segment": act["segment"].to_numpy(),
                        "arr": np.round(np.maximum(arr, 0.01), 2), "start": act["start"].dt.strftime("%Y-%m-%d").to_numpy(),
                        "renewal_date": renewal.dt.strftime("%Y-%m-%d").to_numpy(), "term_months": terms.to_numpy(),
                        "billing": billing.to_numpy(), "age_days": np.round(age, 1),
                        "renewal_in_days": np.round(_days(renewal, day).to_numpy(dtype=float), 1)})
    return out[out["segment"].notna()].reset_index(drop=True)


def _state_rows(table: pd.DataFrame, day: pd.Timestamp) -> list[dict[str, Any]]:
    """A state table as the schema's inline rows (days rather than dates)."""
    rows = []
    for r in table.itertuples(index=False):
        row = {k: getattr(r, k) for k in table.columns if k not in ("start", "renewal_date", "created")}
        rows.append({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if v != ""})
    return rows


def open_pipeline(opps: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """New-business opportunities open on ``day``: created before it and decided on or after it
    (or not decided yet), with their age then."""
    new = opps[opps["type"] == "new"]
    close = new["close"] if "close" in new else pd.Series(pd.NaT, index=new.index)
    undecided = (new["stage"] == "open") | close.isna()
    sel = (new["created"] < day) & (undecided | (close >= day))
    op = new[sel]
    if "segment" not in op:
        return pd.DataFrame(columns=["id", "segment", "amount", "created", "age_days"])
    ids = op["id"].astype(str) if "id" in op else pd.Series([f"open-{i}" for i in range(len(op))], index=op.index)
    out = pd.DataFrame({"id": ids.to_numpy(), "segment": op["segment"].to_numpy(),
                        "amount": op["amount"].to_numpy(dtype=float),
                        "created": op["created"].dt.strftime("%Y-%m-%d").to_numpy(),
                        "age_days": np.round(_days(day, op["created"]).to_numpy(dtype=float), 1)})
    return out[out["segment"].notna() & (out["amount"] > 0)].reset_index(drop=True)


def _renewals_from_opps(cal: Calibration, data: CRMData, tpl: Any, period: str) -> None:
    if not data.has("opportunities"):
        return
    o = data.tables["opportunities"]
    r = o[(o["type"] == "renewal") & o["stage"].isin(("won", "lost"))]
    for seg, mask in _seg_groups(cal, r):
        rr = r[mask]
        for s in _seg_paths(cal, seg, tpl):
            if len(rr) >= 10:
                rate = float((rr["stage"] == "won").mean())
                cal.targets[f"renewal.{s}"] = rate
                cal.target_n[f"renewal.{s}"] = len(rr)
                cal.set(f"segments.{s}.renewal_rate_factor", float(tpl.segments[s].renewal_rate_factor),
                        f"observed renewal opportunities won {rate:.3f} of {len(rr)}, {period}")


def fitted_installed_base(active: pd.DataFrame, export: pd.Timestamp, term_days: float) -> dict[str, Any]:
    """The accounts paying at the export date, as the explicit installed base will take them."""
    rows = []
    for r in active.itertuples(index=False):
        age = float(_days(export, r.start))
        k = math.floor(age / term_days) + 1
        rows.append({"account": str(r.account), "segment": getattr(r, "segment", None),
                     "arr": float(getattr(r, "arr", float("nan"))), "start": f"{r.start:%Y-%m-%d}",
                     "next_renewal_days": _sig(k * term_days - age)})
    arr = pd.Series([x["arr"] for x in rows], dtype=float)
    seg = pd.Series([x["segment"] for x in rows])
    by_seg = {str(s): {"count": int((seg == s).sum()), "arr_mean": _sig(float(arr[seg == s].mean()))}
              for s in seg.dropna().unique()}
    return {"count": len(rows), "arr_total": _sig(float(arr.sum())), "by_segment": by_seg, "accounts": rows}


def _fit_people(cal: Calibration, data: CRMData, tpl: Any, period: str) -> None:
    if not data.has("headcount"):
        cal.skip("teams.*.headcount", "no headcount file: headcount, plans and attrition kept from the template")
        return
    h = data.tables["headcount"]
    a, b = cal.history_start, cal.export_date
    end = h["end"] if "end" in h else pd.Series(pd.NaT, index=h.index)
    plan_hist: dict[str, list[int]] = {}
    for role in ROLES:
        r = h[h["role"] == role]
        e = end[r.index]
        if r.empty:
            cal.skip(f"teams.{role}", "nobody with this role in the headcount file; kept the template's")
            continue
        now = int(((r["start"] <= b) & (e.isna() | (e > b))).sum())
        cal.set(f"teams.{role}.headcount", now, f"people in the role at the export date {b:%Y-%m-%d}")
        cal.set(f"teams.{role}.plan", [], "held at today's headcount (the hiring plan is yours to write)")
        s_ = r["start"].clip(lower=a)
        e_ = e.fillna(b).clip(upper=b)
        years = float(_days(e_, s_).clip(lower=0).sum() / 365.25)
        leavers = int(((e >= a) & (e < b)).sum())
        if years >= 2:
            cal.set(f"teams.{role}.attrition_per_year", _sig(leavers / years, 2),
                    f"{leavers} leavers over {years:.1f} person-years, {period}")
        else:
            cal.skip(f"teams.{role}.attrition_per_year", f"only {years:.1f} person-years")
        ends = [a + pd.Timedelta(days=(m + 1) * DAYS_PER_MONTH) for m in range(cal.months)]
        plan_hist[role] = [int(((r["start"] <= t) & (e.isna() | (e > t))).sum()) for t in [a, *ends]]
    cal.history["headcount"] = plan_hist
    _fit_ae_ramp(cal, data, tpl, period)
    for role in ROLES:
        if role != "ae":
            cal.skip(f"teams.{role}.ramp_months", "needs productivity by tenure, which the export does not "
                                                  "show for this role; kept the template's")


MIN_RAMP_DEALS = 40
"""Fewest closed deals worked by AEs in their first year to fit the AE ramp from."""


def ramp_curve(t: np.ndarray, months: float, start: float) -> np.ndarray:
    """The model's ramp: productivity ``start`` on day one rising linearly to 1 after ``months``."""
    if months <= 0:
        return np.ones_like(t, dtype=float)
    return np.minimum(1.0, start + (1.0 - start) * np.asarray(t, dtype=float) / months)


def _fit_ae_ramp(cal: Calibration, data: CRMData, tpl: Any, period: str) -> None:
    """AE ramp from win rates by tenure: the model multiplies a deal's win chance by its AE's
    ramp productivity, so deals of AEs in their first year, each won or lost, are a binomial
    sample with p = (tenured AEs' win rate) x ramp(tenure when the deal closed). The ramp
    (months, start) with the largest likelihood on a grid is chosen."""
    if not (data.has("opportunities", "owner") and data.has("headcount", "person")):
        cal.skip("teams.ae.ramp_months", "needs opportunity owners that match people in the headcount file")
        return
    o = data.tables["opportunities"]
    h = data.tables["headcount"]
    ae_start = h[h["role"] == "ae"].set_index("person")["start"]
    d = o[(o["type"] == "new") & o["stage"].isin(("won", "lost")) & o["owner"].isin(ae_start.index)]
    if d.empty:
        cal.skip("teams.ae.ramp_months", "no closed new deal has an owner found among the AEs of the headcount file")
        return
    started = ae_start.reindex(d["owner"]).to_numpy()
    # the model applies the ramp when the deal is decided: tenure at the close date
    when = d["close"].fillna(d["created"]) if "close" in d else d["created"]
    tenure = (_days(when, started) / DAYS_PER_MONTH).to_numpy(dtype=float)
    won = (d["stage"] == "won").to_numpy()
    old = tenure >= 12
    # first-year deals only of AEs hired inside the history: someone whose start is the
    # history's first day may have been there long before (an export of people who were
    # already there often gives that date)
    young = (tenure >= 0) & (tenure < 12) & (started > np.datetime64(cal.history_start))
    if young.sum() < MIN_RAMP_DEALS or old.sum() < MIN_RAMP_DEALS:
        cal.skip("teams.ae.ramp_months", f"only {int(young.sum())} closed deals by AEs in their first year and "
                                         f"{int(old.sum())} by tenured AEs (need {MIN_RAMP_DEALS} each)")
        return
    base = float(won[old].mean())
    t, w = tenure[young], won[young]
    best = (-np.inf, 0.0, 1.0)
    for months in np.arange(0.0, 12.01, 0.5):
        for start in np.arange(0.05, 1.001, 0.05) if months > 0 else (1.0,):
            p = np.clip(base * ramp_curve(t, months, start), 1e-9, 1 - 1e-9)
            ll = float(np.sum(np.where(w, np.log(p), np.log1p(-p))))
            if ll > best[0] + 1e-9:
                best = (ll, float(months), round(float(start), 2))
    ll, months, start = best
    flat = float(np.sum(np.where(w, np.log(base), np.log1p(-base))))
    p_lr = float(stats.chi2.sf(2 * (ll - flat), 2))  # likelihood ratio against no ramp
    note = (f"win rate of {len(t)} deals by AEs in their first year ({w.mean():.3f}) against "
            f"{int(old.sum())} by tenured AEs ({base:.3f}), {period}; best ramp on a grid {months:g} months "
            f"from {start:.2f}, likelihood-ratio p {p_lr:.2f} against no ramp")
    cal.state["ae_ramp"] = {"young_deals": len(t), "young_win_rate": float(w.mean()), "tenured_deals": int(old.sum()),
                            "tenured_win_rate": base, "months": months, "start": start, "lr_p": p_lr}
    if p_lr >= 0.05:
        cal.set("teams.ae.ramp_months", 0.0, note + ": no ramp detectable")
        return
    cal.set("teams.ae.ramp_months", months, note)
    cal.set("teams.ae.ramp_start", round(start, 2), note)


# --------------------------------------------------------------------------- rate correction
RATE_PARAMS = {
    "win_rate": "segments.{s}.win_rate",
    "cycle": "segments.{s}.cycle_days",
    "renewal": "segments.{s}.renewal_rate_factor",
    "lead_qualify_rate": "teams.sdr.qualify_rate",
    "expansion.upsell": "customers.expansion.upsell_per_year",
    "expansion.cross-sell": "customers.expansion.cross_sell_per_year",
}


CYCLE_TOLERANCE = 0.03
"""Cycle means are matched to within 3 % (relative)."""


def scale_distribution(value: dict[str, Any], f: float) -> dict[str, Any]:
    """A distribution's scenario form with every value multiplied by ``f`` (shape kept)."""
    (kind, p), = value.items()
    if kind == "lognormal" and "mean" in p:
        return {kind: {"mean": _sig(p["mean"] * f, 4), "sd": _sig(p["sd"] * f, 4)}}
    if kind == "lognormal":
        return {kind: {"mu": p["mu"] + math.log(f), "sigma": p["sigma"]}}
    if kind == "gamma":
        return {kind: {"shape": p["shape"], "scale": _sig(p["scale"] * f, 4)}}
    if kind == "normal":
        return {kind: {"mean": _sig(p["mean"] * f, 4), "sd": _sig(p["sd"] * f, 4), "min": p.get("min", 0.0)}}
    if kind == "exponential":
        return {kind: {"mean": _sig(p["mean"] * f, 4)}}
    return value


def _param_of(target: str) -> str:
    head, _, seg = target.partition(".")
    if head in ("win_rate", "renewal", "cycle"):
        return RATE_PARAMS[head].format(s=seg)
    return RATE_PARAMS[target]


def observed_rates(runs: list[Any]) -> dict[str, tuple[float, int]]:
    """Observed rates in simulated records pooled over replications: name -> (rate, n)."""
    won: dict[str, int] = {}
    closed: dict[str, int] = {}
    ren: dict[str, int] = {}
    due: dict[str, int] = {}
    q = t = 0
    exp = {"upsell": 0, "cross-sell": 0}
    years = 0.0
    cyc: dict[str, float] = {}
    hours: list[float] = []
    for run in runs:
        rec = run.records
        ld = rec.leads
        st, seg = ld["state"], ld["segment"]
        for s in np.unique(seg):
            m = seg == s
            c = m & ((st == "won") | (st == "lost"))
            won[s] = won.get(s, 0) + int(np.sum(m & (st == "won")))
            closed[s] = closed.get(s, 0) + int(np.sum(c))
            cyc[s] = cyc.get(s, 0.0) + float(np.sum(ld["closed_t"][c] - ld["qualified_t"][c]))
        h = run.kpis.get("lead_response_hours", float("nan"))
        if np.isfinite(h):
            hours.append(h)
        mkt = ld["true_source"] == "marketing"
        touched = mkt & ~np.isnan(ld["first_touch"])
        q += int(np.sum(touched & ~np.isnan(ld["qualified_t"])))
        t += int(np.sum(touched))
        acc = rec.accounts
        seg_of: dict[int, str] = dict(zip(acc["id"].tolist(), acc["segment"].tolist(), strict=True))
        r = rec.renewals
        for aid, ok in zip(r["account"].tolist(), r["renewed"].tolist(), strict=True):
            s = seg_of.get(aid, "?")
            due[s] = due.get(s, 0) + 1
            ren[s] = ren.get(s, 0) + int(bool(ok))
        series = run.monthly
        years += float(np.sum(series["customers"])) / 12
        ev = rec.arr_events
        n_exp = int(np.sum(ev["kind"] == "expansion")) if len(ev["kind"]) else 0
        up = run.kpis.get("expansion_events_upsell")
        if up is None:
            exp["upsell"] += n_exp
        else:  # pragma: no cover - a future split of expansion kinds
            exp["upsell"] += int(up)
    out: dict[str, tuple[float, int]] = {}
    for s in closed:
        if closed[s]:
            out[f"win_rate.{s}"] = (won[s] / closed[s], closed[s])
            out[f"cycle.{s}"] = (cyc[s] / closed[s], closed[s])
    if hours:
        out["lead_response_hours"] = (float(np.mean(hours)), len(hours))
    for s in due:
        if due[s]:
            out[f"renewal.{s}"] = (ren[s] / due[s], due[s])
    if t:
        out["lead_qualify_rate"] = (q / t, t)
    if years:
        out["expansion.all"] = (exp["upsell"] / years, exp["upsell"])
    return out


def history_scenario(cal: Calibration, name: str = "backtest", base: str | Path | None = None) -> Any:
    """The calibrated scenario moved back to the history start: the installed base active then
    (each account with its ARR then, term and renewal date; without account segments and ARR,
    count and segment mix), the new-business opportunities open then, the headcount then with
    the actual headcount by month as the hiring plan, each channel's budget at the history
    start's lead volume, and the history's length as horizon. What was not observed stays as
    fitted for the export date.

    With ``base`` (a scenario file, e.g. a calibrated scenario edited since), the history is
    put over that scenario instead of over the template and the fitted values: the backtest of
    ``simorg backtest``."""
    from ..scenario import load_dict

    if base is None:
        doc = cal.overrides()
        doc["extends"] = str(Path(cal.template).resolve())
    else:
        doc = {"extends": str(Path(base).resolve())}
    known_channels = set(load_dict(dict(doc, name=name), source=f"<{name}>").marketing.channels)
    doc["name"] = name
    doc["horizon_months"] = cal.months
    cust = doc.setdefault("customers", {}).setdefault("initial", {})
    for key in ("accounts_csv", "opportunities_csv", "as_of"):  # the export date's state: not the history's
        cust[key] = None  # (a null deletes what the file extended wrote)
    if "initial_count" in cal.history:
        cust["count"] = int(cal.history["initial_count"])
    if "initial_mix" in cal.history:
        cust["segment_mix"] = cal.history["initial_mix"]
    # the explicit state at the history start: the accounts active then, the deals open then
    cust["accounts"] = cal.history.get("accounts", [])
    cust["opportunities"] = cal.history.get("opportunities", [])
    for role, counts in cal.history.get("headcount", {}).items():
        team = doc.setdefault("teams", {}).setdefault(role, {})
        team["headcount"] = int(counts[0])
        # the actual headcount by month as the plan (attrition is replaced by backfill)
        plan = [{"month": m, "headcount": int(c)} for m, c in enumerate(counts[1:], start=1)
                if c != counts[m - 1]]
        team["plan"] = plan
    channels = doc.setdefault("marketing", {}).setdefault("channels", {})
    explicit = bool(cust["accounts"] or cust["opportunities"])
    for ch_name, vol in cal.history.get("lead_volume_start", {}).items():
        if ch_name not in known_channels:
            continue  # a source the scenario has no channel for (only with ``base``)
        cpl = cal.lead_volume[ch_name]["cost_per_lead"]
        ch = channels.setdefault(ch_name, {})
        ch["budget_per_month"] = float(vol * cpl)
        if explicit:  # no warm-up: the leads the data dates from the history start arrive from it
            ch["lag_days"] = 0.0
    return load_dict(doc, source=f"<{name}>")


def correction_scenario(cal: Calibration, horizon: int) -> Any:
    """The scenario the rate corrections simulate: the history replayed when the export tells
    the starting state (the rates were observed under the history's headcount and base, and the
    model's rates depend on them: a CSM's book size moves health and so renewal), else the
    calibrated scenario from the export date for ``horizon`` months."""
    from ..scenario import load_dict

    if "headcount" in cal.history and "initial_count" in cal.history:
        return history_scenario(cal, "calibration")
    doc = cal.overrides()
    doc["extends"] = str(Path(cal.template).resolve())
    doc["name"] = "calibration"
    doc["horizon_months"] = horizon
    return load_dict(doc, source="<calibration>")


def correct_rates(cal: Calibration, tpl: Any, *, reps: int = 6, seed: int = 1, tolerance: float = 0.01,
                  max_rounds: int = 6, horizon: int = 24) -> None:
    """Multiply each rate parameter by target / simulated observed rate until every simulated
    observed rate is within ``tolerance`` (absolute) of the data, or ``max_rounds``.

    The same seeds every round (common random numbers), so a round's change is the
    parameter's effect, not noise. Expansion: upsell and cross-sell per year are scaled
    together by the ratio of all expansion events (the records do not tell them apart)."""
    from ..experiment.simulate import simulate

    targets = {k: v for k, v in cal.targets.items()
               if k.split(".")[0] in ("win_rate", "renewal", "lead_qualify_rate", "expansion", "cycle")}
    if not targets:
        return
    exp_target = sum(v for k, v in targets.items() if k.startswith("expansion."))
    for kind in ("upsell", "cross-sell"):
        if targets.get(f"expansion.{kind}") == 0.0:  # none in the data: none in the model
            path = _param_of(f"expansion.{kind}")
            cal.set(path, 0.0, cal_note(cal, path))
    for rnd in range(max_rounds + 1):
        sc = correction_scenario(cal, horizon)
        runs = [simulate(sc, seed + i) for i in range(reps)]
        sim = observed_rates(runs)
        entry: dict[str, Any] = {"round": rnd, "params": {}, "sim": {}, "target": {}}
        worst = 0.0
        updates: dict[str, Any] = {}
        if "lead_response_hours" in cal.targets and "lead_response_hours" in sim:
            # not a parameter (it follows SDR capacity and load): shown, not corrected
            entry["target"]["lead_response_hours"] = cal.targets["lead_response_hours"]
            entry["sim"]["lead_response_hours"] = sim["lead_response_hours"][0]
        for k, target in targets.items():
            if k.startswith("expansion."):
                continue
            got = sim.get(k)
            path = _param_of(k)
            entry["target"][k] = target
            if k.startswith("cycle."):
                # the model's cycle excludes waits for an AE or presales: scale the fitted
                # distribution so the simulated created-to-close mean matches the data
                entry["params"][path] = cal.get(path)
                if got is not None and got[1] > 0 and got[0] > 0:
                    entry["sim"][k] = got[0]
                    worst = max(worst, abs(got[0] / target - 1) * tolerance / CYCLE_TOLERANCE)
                    updates[path] = scale_distribution(cal.get(path), target / got[0])
                continue
            cur = float(cal.get(path))
            entry["params"][path] = cur
            if got is None or got[1] == 0:
                continue
            entry["sim"][k] = got[0]
            worst = max(worst, abs(got[0] - target))
            if got[0] > 0:
                new = cur * target / got[0]
                updates[path] = min(new, 1.0) if k.split(".")[0] in ("win_rate", "lead_qualify_rate") else new
        if exp_target > 0 and "expansion.all" in sim:
            got_e = sim["expansion.all"][0]
            entry["sim"]["expansion.all"] = got_e
            entry["target"]["expansion.all"] = exp_target
            rel = abs(got_e - exp_target) / exp_target
            worst = max(worst, rel * tolerance / 0.05)  # expansion: within 5 % relative
            if got_e > 0:
                for kind in ("upsell", "cross-sell"):
                    path = _param_of(f"expansion.{kind}")
                    if targets.get(f"expansion.{kind}", 0.0) == 0.0:
                        continue
                    cur = float(cal.get(path))
                    entry["params"][path] = cur
                    updates[path] = min(12.0, cur * exp_target / got_e)
        cal.corrections.append(entry)
        if worst <= tolerance or rnd == max_rounds:
            break
        for path, v in updates.items():
            cal.set(path, v, cal_note(cal, path))
    where = "the history replayed" if sc.name == "calibration" and "headcount" in cal.history else "from the export date"
    for path in {p for e in cal.corrections for p in e["params"]}:
        v = cal.get(path)
        cal.set(path, v if isinstance(v, dict) else _sig(float(v), 4), cal_note(cal, path) + f"; corrected in {len(cal.corrections) - 1} "
                                                            f"round(s) of {reps} simulations x {sc.horizon_months} "
                                                            f"months ({where}) so the simulated observed value matches")
    last = cal.corrections[-1]
    for k, v in last["sim"].items():
        tgt = last["target"].get(k)
        if k.startswith("cycle.") and abs(v / tgt - 1) > CYCLE_TOLERANCE:
            cal.warnings.append(f"rate correction: simulated {k} {v:.1f} days is still {v / tgt - 1:+.1%} from "
                                f"the data {tgt:.1f} after {len(cal.corrections) - 1} rounds")
        elif tgt is not None and k.split(".")[0] in ("win_rate", "renewal", "lead_qualify_rate") \
                and abs(v - tgt) > tolerance:
            cal.warnings.append(f"rate correction: simulated {k} {v:.3f} is still {v - tgt:+.3f} from the data "
                                f"{tgt:.3f} after {len(cal.corrections) - 1} rounds")


def cal_note(cal: Calibration, path: str) -> str:
    """The note of a fitted value without any earlier correction remark."""
    p = tuple(path.split("."))
    note = next((v.note for v in cal.values if v.path == p), "")
    return note.split("; corrected in")[0]
