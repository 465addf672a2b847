"""Figures of one scenario's replications (run reports, and each arm of a comparison).

Each ``fig_*`` function takes the loaded :class:`~simorg.report.data.Results` and a scenario
name and returns a :class:`~simorg.report.style.FigureOut`, or ``None`` when the results hold
no data for it (the report then says so instead of drawing an empty chart). Spread across
replications is the uncertainty shown: bands are the middle 50% / 90% of runs, whiskers on
KPI means are 95% confidence intervals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .data import Results, mean_ci
from .explain import ROLE_LABELS, fmt_money, fmt_value
from .figures_decisions import fig_decisions  # noqa: E402  (after the style imports)
from .money import fig_cash_fan
from .style import (
    BRIDGE_COLORS,
    FigureOut,
    fan,
    money_axis,
    month_axis,
    percent_axis,
    quantile_bands,
    role_color,
)

ROLE_ORDER = ("marketing", "sdr", "ae", "presales", "implementation", "csm", "am", "renewal_specialist")


def _spread_note(res: Results) -> str:
    return (f"Spread across {res.reps} replications of the same scenario (chance in lead arrivals, "
            "deal sizes, wins, churn and staff attrition)")


def _roles_with(res: Results, prefix: str) -> list[str]:
    roles = [m.removeprefix(prefix) for m in res.metrics_with_prefix(prefix)]
    return sorted(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else 99)


# --------------------------------------------------------------------------- ARR
def fig_arr_fan(res: Results, scenario: str) -> FigureOut | None:
    """ARR at month end: median and the middle 50% / 90% of replications."""
    wide = res.monthly_wide("arr", scenario)
    if wide.empty:
        return None
    fig, ax = plt.subplots(figsize=(10, 4.6))
    fan(ax, wide, "#1f5fa8", "ARR", median_gid="median")
    b = quantile_bands(wide)
    end = wide.index[-1]
    ax.annotate(f"median {fmt_money(b[0.5][-1])}\n90% of runs {fmt_money(b[0.05][-1])}–{fmt_money(b[0.95][-1])}",
                xy=(end, b[0.5][-1]), xytext=(-10, 18), textcoords="offset points", ha="right",
                fontsize=9, arrowprops={"arrowstyle": "-", "color": "#555"})
    money_axis(ax)
    month_axis(ax, wide.index.to_numpy())
    ax.set_ylabel("ARR at month end (currency / year)")
    ax.set_title(f"ARR over time — {scenario}")
    ax.legend(loc="upper left", ncols=3)
    lo = float(np.nanmin(b[0.05]))
    ax.set_ylim(bottom=max(0.0, lo - 0.15 * (float(np.nanmax(b[0.95])) - lo)))
    fig.tight_layout()
    caption = (f"ARR at each month end. Line: median replication; dark band: middle 50% of runs; "
               f"light band: middle 90%. {_spread_note(res)}. The bands show the range of outcomes "
               "to plan for, not the uncertainty of the mean (the KPI table gives 95% CIs).")
    return FigureOut("arr_fan", "ARR over time", caption, fig)


def fig_arr_bridge(res: Results, scenario: str) -> FigureOut | None:
    """Monthly ARR bridge: new and expansion up, contraction and churn down, net line with band."""
    parts = {k: res.monthly_wide(k, scenario) for k in BRIDGE_COLORS}
    if any(p.empty for p in parts.values()):
        return None
    months = parts["new_arr"].index.to_numpy()
    means = {k: p.reindex(months).mean(axis=1).to_numpy() for k, p in parts.items()}
    fig, ax = plt.subplots(figsize=(10, 4.6))
    labels = {"new_arr": "new logos", "expansion_arr": "expansion",
              "contraction_arr": "contraction", "churned_arr": "churn"}
    ax.bar(months, means["new_arr"], color=BRIDGE_COLORS["new_arr"], label=labels["new_arr"],
           gid="bar_new_arr")
    ax.bar(months, means["expansion_arr"], bottom=means["new_arr"], color=BRIDGE_COLORS["expansion_arr"],
           label=labels["expansion_arr"], gid="bar_expansion_arr")
    ax.bar(months, -means["contraction_arr"], color=BRIDGE_COLORS["contraction_arr"],
           label=labels["contraction_arr"], gid="bar_contraction_arr")
    ax.bar(months, -means["churned_arr"], bottom=-means["contraction_arr"],
           color=BRIDGE_COLORS["churned_arr"], label=labels["churned_arr"], gid="bar_churned_arr")
    net = (parts["new_arr"] + parts["expansion_arr"] - parts["contraction_arr"] - parts["churned_arr"])
    b = quantile_bands(net.reindex(months))
    net_mean = net.reindex(months).mean(axis=1).to_numpy()
    ax.errorbar(months, net_mean, yerr=[net_mean - b[0.05], b[0.95] - net_mean], fmt="none",
                ecolor="#111", elinewidth=0.9, capsize=2.5, alpha=0.8, label="net new ARR: 90% of runs")
    (line,) = ax.plot(months, net_mean, color="#111", lw=1.6, marker="o", ms=3.5, label="net new ARR (mean)")
    line.set_gid("net_mean")
    ax.axhline(0, color="#444", lw=0.8)
    money_axis(ax)
    month_axis(ax, months)
    ax.set_ylabel("ARR added (+) or lost (−) in the month\n(currency / year)")
    ax.set_title(f"Monthly ARR bridge — {scenario}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=6, fontsize=8.5)
    fig.tight_layout()
    caption = ("Where ARR comes from and goes each month: bars are means across replications "
               "(new-logo and expansion ARR above zero, contraction and churn below). The line is the "
               f"mean net change; its whiskers hold 90% of runs. {_spread_note(res)}.")
    return FigureOut("arr_bridge", "ARR bridge", caption, fig)


# --------------------------------------------------------------------------- funnel
FUNNEL_STAGES = (("leads", "Leads"), ("leads_worked", "Worked by SDR"),
                 ("opportunities", "Opportunities"), ("won", "Won"))
STAGE_TIMES = (("lead_response_hours", "Lead response\n(lead → first touch)", "hours"),
               ("sales_cycle_days", "Sales cycle\n(opportunity → decision)", "days"),
               ("time_to_value_days", "Time to value\n(won → live)", "days"))


def funnel_totals(res: Results, scenario: str) -> pd.DataFrame:
    """Per-replication totals over the horizon of each funnel stage (rows rep, columns stage)."""
    cols = {}
    for metric, _label in FUNNEL_STAGES:
        wide = res.monthly_wide(metric, scenario)
        if not wide.empty:
            cols[metric] = wide.sum(axis=0)
    return pd.DataFrame(cols)


def fig_funnel(res: Results, scenario: str) -> FigureOut | None:
    """Lead-to-cash funnel: totals with spread, conversion between stages, time at each stage."""
    totals = funnel_totals(res, scenario)
    if totals.empty or "leads" not in totals:
        return None
    stages = [(m, lab) for m, lab in FUNNEL_STAGES if m in totals]
    times = [(k, lab, u) for k, lab, u in STAGE_TIMES if len(res.kpi_values(k, scenario))]
    fig = plt.figure(figsize=(11, 4.8))
    gs = fig.add_gridspec(max(len(times), 1), 2, width_ratios=[2.1, 1], wspace=0.35, hspace=0.9)
    ax = fig.add_subplot(gs[:, 0])
    mean = totals[[m for m, _ in stages]].mean()
    lo = totals.quantile(0.05)
    hi = totals.quantile(0.95)
    y = np.arange(len(stages))[::-1]
    colors = ["#4e79a7", "#76b7b2", "#f28e2b", "#2e7d32"]
    for i, (m, lab) in enumerate(stages):
        ax.barh(y[i], mean[m], color=colors[i % 4], height=0.62, gid=f"funnel_{m}", label=lab)
        ax.errorbar(mean[m], y[i], xerr=[[mean[m] - lo[m]], [hi[m] - mean[m]]], color="#222",
                    capsize=4, lw=1)
        ax.text(hi[m], y[i], f"  {mean[m]:,.0f}", va="center", fontsize=9, fontweight="bold")
    for i in range(1, len(stages)):
        prev, cur = stages[i - 1][0], stages[i][0]
        conv = (totals[cur] / totals[prev]).replace([np.inf, -np.inf], np.nan)
        ax.text(0, (y[i - 1] + y[i]) / 2, f"  ↓ {np.nanmean(conv):.1%} "
                f"(90% of runs {np.nanquantile(conv, 0.05):.1%}–{np.nanquantile(conv, 0.95):.1%})",
                va="center", fontsize=8.5, color="#333")
    ax.set_yticks(y, [lab for _, lab in stages])
    ax.set_xlabel("count over the whole horizon (mean; whiskers: 90% of runs)")
    ax.set_xlim(0, float(hi.max()) * 1.18)
    ax.grid(axis="y", visible=False)
    fig.text(0.02, 0.965, f"Lead-to-cash funnel — {scenario}", fontsize=11, fontweight="bold")
    for j, (k, lab, unit) in enumerate(times):
        tax = fig.add_subplot(gs[j, 1])
        v = res.kpi_values(k, scenario)
        s = mean_ci(v)
        jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(v))
        tax.scatter(v, jitter, s=10, color="#999", alpha=0.7, zorder=2)
        if np.isfinite(s["ci95"]).all():
            tax.errorbar([s["mean"]], [0], xerr=[[s["mean"] - s["ci95"][0]], [s["ci95"][1] - s["mean"]]],
                         fmt="none", ecolor="#c62828", capsize=4, zorder=3)
        (mk,) = tax.plot([s["mean"]], [0], "D", color="#c62828", zorder=4)
        mk.set_gid(f"time_{k}")
        tax.set_yticks([])
        tax.set_ylim(-0.5, 0.5)
        tax.set_title(f"{lab.splitlines()[0]}: {fmt_value(s['mean'], unit)} {unit}", fontsize=9.5, loc="left")
        tax.set_xlabel(f"{lab.splitlines()[1][1:-1]}, {unit}", fontsize=8.5)
        tax.grid(axis="y", visible=False)
        tax.spines["left"].set_visible(False)
    if times:
        fig.text(0.68, 0.965, "Time at each stage (mean, 95% CI)", fontsize=10, fontweight="bold")
    fig.subplots_adjust(left=0.13, right=0.97, top=0.86, bottom=0.12)
    caption = ("How leads turn into customers over the horizon. Bars: mean count per replication, "
               "whiskers: 90% of runs; arrows give the conversion from the stage above (opportunities "
               "include those AEs source themselves). Right: mean time spent at each stage "
               "(red diamond with 95% CI of the mean; grey dots: one per replication).")
    return FigureOut("funnel", "Lead-to-cash funnel", caption, fig)


# --------------------------------------------------------------------------- people and cost
def fig_headcount_cost(res: Results, scenario: str) -> FigureOut | None:
    """Headcount by role (stacked) and monthly go-to-market cost by role (stacked)."""
    hc = {r: res.monthly_wide(f"headcount_{r}", scenario) for r in _roles_with(res, "headcount_")}
    hc = {r: w for r, w in hc.items() if not w.empty and np.nanmax(w.to_numpy(dtype=float)) > 0}
    roles = list(hc)
    if not roles:
        return None
    months = hc[roles[0]].index.to_numpy()
    hc_mean = [hc[r].reindex(months).mean(axis=1).to_numpy() for r in roles]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.8))
    a1.stackplot(months, hc_mean, labels=[ROLE_LABELS.get(r, r) for r in roles],
                 colors=[role_color(r) for r in roles], step="mid", alpha=0.9)
    total = sum(hc[r].reindex(months) for r in roles)
    tb = quantile_bands(total)
    a1.fill_between(months, tb[0.05], tb[0.95], color="#000", alpha=0.12, step="mid",
                    label="total: 90% of runs")
    (tl,) = a1.plot(months, total.mean(axis=1).to_numpy(), color="#111", lw=1.2, drawstyle="steps-mid",
                    label="total (mean)")
    tl.set_gid("total_headcount")
    a1.set_ylabel("people at month end (mean across runs)")
    a1.set_title("Headcount by role")
    month_axis(a1, months)
    a1.legend(loc="upper left", fontsize=8, ncols=2)
    a1.set_ylim(0, float(np.nanmax(tb[0.95])) * 1.35)

    def mean_of(metric: str) -> np.ndarray:
        return res.monthly_wide(metric, scenario).reindex(months).mean(axis=1).fillna(0).to_numpy()

    layers, labels, colors = [], [], []
    for r in _roles_with(res, "cost_"):
        m = mean_of(f"cost_{r}")
        if m.max() > 0:
            layers.append(m)
            labels.append(ROLE_LABELS.get(r, r))
            colors.append(role_color(r))
    gtm = res.monthly_wide("gtm_cost", scenario)
    programme_separate = False
    if layers and not gtm.empty:
        gtm_mean = gtm.reindex(months).mean(axis=1).to_numpy()
        residual = gtm_mean - np.sum(layers, axis=0)
        # Role costs may or may not include programme spend; it is a separate layer only if
        # the total leaves room for it (so nothing is counted twice).
        if res.has_metric("marketing_cost", scenario):
            mkt = mean_of("marketing_cost")
            if mkt.sum() > 0 and residual.sum() >= 0.95 * mkt.sum():
                layers.append(mkt)
                labels.append("marketing programme")
                colors.append("#a0cbe8")
                residual = residual - mkt
                programme_separate = True
        if residual.max() > 0.005 * gtm_mean.max():
            layers.append(np.clip(residual, 0, None))
            labels.append("not assigned to a role")
            colors.append("#d4d4d4")
    if layers:
        a2.stackplot(months, layers, labels=labels, colors=colors, alpha=0.9)
    if not gtm.empty:
        gb = quantile_bands(gtm.reindex(months))
        a2.fill_between(months, gb[0.05], gb[0.95], color="#000", alpha=0.12, label="total: 90% of runs")
        (gl,) = a2.plot(months, gtm.reindex(months).mean(axis=1).to_numpy(), color="#111", lw=1.2,
                        label="total GTM cost (mean)")
        gl.set_gid("total_cost")
        a2.set_ylim(0, float(np.nanmax(gb[0.95])) * 1.45)
    money_axis(a2)
    month_axis(a2, months)
    a2.set_ylabel("cost in the month (currency)")
    a2.set_title("Go-to-market cost by role, per month")
    a2.legend(loc="upper left", fontsize=8, ncols=2)
    fig.suptitle(f"People and cost — {scenario}", fontweight="bold")
    fig.tight_layout()
    what = ("salaries by role, with marketing programme spend and costs not assigned to a role "
            "(variable pay, recruiting) shown separately" if programme_separate else
            "each role's salaries plus its variable pay and recruiting; marketing includes programme spend")
    caption = ("Left: people employed in each role at month end (mean across replications; hires "
               "follow the hiring plan with lead time, leavers follow attrition). Right: what the "
               f"go-to-market organization costs each month ({what}). Black line and grey band: "
               "total, mean and 90% of runs.")
    return FigureOut("headcount_cost", "Headcount and cost by role", caption, fig)


def fig_utilization(res: Results, scenario: str) -> FigureOut | None:
    """Utilization and queue wait per role over time (small multiples, one column per role)."""
    roles = [r for r in _roles_with(res, "utilization_")]
    if not roles:
        return None
    fig, axes = plt.subplots(2, len(roles), figsize=(2.5 * len(roles) + 1, 5.4), sharex=True,
                             squeeze=False)
    for j, r in enumerate(roles):
        c = role_color(r)
        u = res.monthly_wide(f"utilization_{r}", scenario)
        ax = axes[0, j]
        fan(ax, u, c, "utilization", median_gid=f"util_{r}")
        ax.axhline(0.85, color="#999", lw=0.8, ls="--")
        ax.set_ylim(0, 1.05)
        percent_axis(ax)
        ax.set_title(ROLE_LABELS.get(r, r), color=c)
        q = res.monthly_wide(f"queue_wait_days_{r}", scenario)
        ax2 = axes[1, j]
        if not q.empty:
            fan(ax2, q, c, "wait", median_gid=f"wait_{r}")
            top = float(np.nanquantile(q.to_numpy(dtype=float), 0.95, axis=1).max())
            ax2.set_ylim(0, max(top * 1.15, 1.0))
            ax2.text(0.03, 0.95, f"mean {np.nanmean(q.to_numpy(dtype=float)):.1f} d", transform=ax2.transAxes,
                     va="top", fontsize=8.5, color="#333")
        else:
            ax2.text(0.5, 0.5, "no queue data", ha="center", transform=ax2.transAxes, color="#888")
        month_axis(ax2, u.index.to_numpy(), narrow=True)
        ax2.set_xlabel("month")
    axes[0, 0].set_ylabel("utilization\n(share of capacity busy)")
    axes[1, 0].set_ylabel("queue wait (days)\nbefore work starts")
    fig.suptitle(f"Utilization and queue wait by role — {scenario}", fontweight="bold")
    fig.tight_layout()
    caption = ("Top: share of each team's capacity in use each month; dashed line at 85%, above which "
               "queues grow quickly. Bottom: mean days a work item waited for that role in the month "
               "(each panel on its own scale; the label gives the mean over the horizon). Line: median replication; bands: middle 50% and 90% of runs.")
    return FigureOut("utilization", "Utilization and queue wait", caption, fig)


# --------------------------------------------------------------------------- retention
def _cohort_key(c: str) -> tuple[int, str]:
    m = re.fullmatch(r"y(\d+)", c)
    return (int(m.group(1)), c) if m else (999, c)


def cohort_retention(res: Results, scenario: str) -> dict[str, pd.DataFrame]:
    """Per cohort: share of its logos still active, month x rep (NaN before it has members)."""
    out = {}
    for name in res.metrics_with_prefix("logos_cohort_"):
        c = name.removeprefix("logos_cohort_")
        logos = res.monthly_wide(name, scenario)
        size = res.monthly_wide(f"cohort_size_{c}", scenario)
        if logos.empty or size.empty:
            continue
        ratio = logos / size.where(size > 0)
        out[c] = ratio.dropna(how="all")
    return dict(sorted(out.items(), key=lambda kv: _cohort_key(kv[0])))


def fig_cohorts(res: Results, scenario: str) -> FigureOut | None:
    """Share of each signup cohort's logos still active, over time."""
    cohorts = cohort_retention(res, scenario)
    if not cohorts:
        return None
    fig, ax = plt.subplots(figsize=(10, 4.6))
    cmap = plt.get_cmap("viridis")
    for i, (c, ratio) in enumerate(cohorts.items()):
        color = cmap(i / max(len(cohorts) - 1, 1) * 0.85)
        label = "installed base at start" if c == "y0" else f"signed in year {c[1:]}"
        fan_months = ratio.index.to_numpy()
        b = quantile_bands(ratio)
        ax.fill_between(fan_months, b[0.05], b[0.95], color=color, alpha=0.15, lw=0)
        (line,) = ax.plot(fan_months, b[0.5], color=color, lw=2, label=label)
        line.set_gid(f"cohort_{c}")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_ylim(top=1.02)
    month_axis(ax, res.monthly_wide("arr", scenario).index.to_numpy() if res.has_metric("arr", scenario)
               else np.concatenate([r.index.to_numpy() for r in cohorts.values()]))
    ax.set_ylabel("logos still active\n(share of cohort signed so far)")
    ax.set_title(f"Logo retention by signup cohort — {scenario}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=min(len(cohorts), 5),
              title="cohort (line: median run; band: 90% of runs)", title_fontsize=8.5)
    fig.tight_layout()
    caption = ("Share of each cohort's customers still paying at each month end. The installed base "
               "starts at 100%; a cohort signed during the horizon is measured against everyone "
               "signed into it so far, so its line starts in the year it signs. Line: median "
               "replication; band: 90% of runs.")
    return FigureOut("cohorts", "Retention by cohort", caption, fig)


# --------------------------------------------------------------------------- quota
def fig_quota(res: Results, scenario: str) -> FigureOut | None:
    """Distribution of AE quota attainment pooled over replications, with per-run medians."""
    d = res.distributions
    if d.empty:
        return None
    v = d.loc[(d["metric"] == "quota_attainment") & (d["scenario"] == scenario), ["rep", "value"]].dropna()
    if v.empty:
        return None
    vals = v["value"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(10, 4.4))
    top = max(1.6, float(np.quantile(vals, 0.99)) * 1.05)
    bins = np.linspace(0, top, 33).tolist()
    ax.hist(np.clip(vals, 0, top), bins=bins, color="#e15759", alpha=0.8, edgecolor="white", gid="quota_hist")
    med = float(np.median(vals))
    ax.axvline(1.0, color="#111", lw=1.2, ls="--")
    ax.axvline(med, color="#1f5fa8", lw=2)
    ymax = ax.get_ylim()[1]
    ax.annotate("quota (100%)", xy=(1.0, ymax * 0.97), xytext=(4, 0), textcoords="offset points",
                va="top", ha="left" if med <= 1.0 else "right", fontsize=9)
    ax.annotate(f"median {med:.0%}", xy=(med, ymax * 0.85), xytext=(-4 if med <= 1.0 else 4, 0),
                textcoords="offset points", va="top", ha="right" if med <= 1.0 else "left",
                fontsize=9, color="#1f5fa8")
    per_rep = v.groupby("rep")["value"].median().to_numpy()
    ax.plot(per_rep, np.full(len(per_rep), -0.02 * ymax), "|", color="#1f5fa8", ms=12, mew=1.5,
            clip_on=False, label="median of each run")
    ax.set_ylim(bottom=-0.05 * ymax)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    percent_axis(ax, "x")
    share = float(np.mean(vals >= 1.0))
    ax.set_xlabel("quota attainment (new bookings / quota)")
    ax.set_ylabel("AEs (all runs pooled)")
    ax.set_title(f"AE quota attainment — {scenario}: {share:.0%} of AEs at or above quota")
    ax.legend(loc="upper right")
    fig.tight_layout()
    caption = (f"Each AE's bookings over quota, pooled over {v['rep'].nunique()} replications "
               f"({len(vals)} AE records). Blue line: pooled median; ticks below the axis: the median "
               "of each replication, showing how much the typical AE's year varies from run to run.")
    return FigureOut("quota", "AE quota attainment", caption, fig)


RUN_FIGURES = (fig_arr_fan, fig_arr_bridge, fig_cash_fan, fig_funnel, fig_headcount_cost, fig_utilization,
               fig_cohorts, fig_quota, fig_decisions)
"""Every figure of one scenario, in report order."""


def run_figures(res: Results, scenario: str, draw: Callable[..., Any] | None = None) -> tuple[list[FigureOut], list[str]]:
    """Build every run figure for ``scenario``; also return the titles of those without data.

    ``draw(f, *args)`` calls a figure function (the report passes one that turns a failure
    into a note); by default figures are called directly.
    """
    done, missing = [], []
    for f in RUN_FIGURES:
        out = draw(f, res, scenario) if draw is not None else f(res, scenario)
        if out is None:
            missing.append(f.__doc__.splitlines()[0] if f.__doc__ else f.__name__)
        else:
            done.append(out)
    return done, missing
