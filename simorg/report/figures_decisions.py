"""The decisions figure: each rule's decision beside the state it read (issue 16).

One panel per hiring rule (target headcount and actual headcount against the smoothed state
the rule read, on a second axis), one for the channels' budgets, and one for the market's
perceived delivery delay against the win multiplier it causes. Median replication; bands on
the decision show the middle 50% and 90% of runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .data import Results
from .explain import ROLE_LABELS
from .style import FigureOut, fan, money_axis, month_axis, role_color


def _median(res: Results, metric: str, scenario: str) -> tuple[np.ndarray, np.ndarray] | None:
    wide = res.monthly_wide(metric, scenario)
    if wide.empty:
        return None
    return wide.index.to_numpy(), np.nanmedian(wide.to_numpy(dtype=float), axis=1)


def fig_decisions(res: Results, scenario: str) -> FigureOut | None:
    """Decisions against the state they read (hiring rules, budgets, market response)."""
    roles = [m.removeprefix("decision_target_") for m in res.metrics_with_prefix("decision_target_")]
    channels = [m.removeprefix("decision_budget_") for m in res.metrics_with_prefix("decision_budget_")]
    market = bool(res.metrics_with_prefix("market_delay_perceived"))
    panels = [("role", r) for r in roles] + ([("budget", "")] if channels else []) + ([("market", "")] if market else [])
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels) + 1, 3.6), squeeze=False)
    for ax, (kind, name) in zip(axes[0], panels, strict=True):
        if kind == "role":
            c = role_color(name)
            fan(ax, res.monthly_wide(f"decision_target_{name}", scenario), c, "target", median_gid=f"target_{name}")
            hc = _median(res, f"headcount_{name}", scenario)
            if hc is not None:
                ax.plot(hc[0], hc[1], color="#333", lw=1.2, ls="--", label="headcount")
            st = _median(res, f"decision_state_{name}", scenario)
            if st is not None:
                ax2 = ax.twinx()
                ax2.plot(st[0], st[1], color="#999", lw=1.0, label="state read (smoothed)")
                ax2.set_ylabel("state read (smoothed)", color="#777")
            ax.set_title(f"{ROLE_LABELS.get(name, name)}: target vs state", color=c)
            ax.set_ylabel("people")
        elif kind == "budget":
            for ch in channels:
                b = _median(res, f"decision_budget_{ch}", scenario)
                if b is not None:
                    ax.plot(b[0], b[1], lw=1.5, label=ch)
            new = _median(res, "new_arr", scenario)
            if new is not None:
                ax.plot(new[0], new[1], color="#999", lw=1.0, ls=":", label="new ARR per month")
            money_axis(ax)
            ax.set_title("Budgets per month")
        else:
            d = _median(res, "market_delay_perceived", scenario)
            f = _median(res, "market_win_factor", scenario)
            if d is not None:
                ax.plot(d[0], d[1], color="#c44", lw=1.5, label="perceived delivery delay (days)")
            ax.set_ylabel("days")
            if f is not None:
                ax2 = ax.twinx()
                ax2.plot(f[0], f[1], color="#36c", lw=1.2, label="win multiplier")
                ax2.set_ylim(0, 1.05)
                ax2.set_ylabel("win multiplier", color="#36c")
            ax.set_title("Market: delay heard vs win multiplier")
        ax.legend(loc="upper left", fontsize=7.5, frameon=False)
        month_axis(ax, ax.get_lines()[0].get_xdata() if ax.get_lines() else np.array([]), narrow=True)
    fig.suptitle(f"Decisions and the state they read — {scenario}", fontweight="bold")
    fig.tight_layout()
    caption = ("Each hiring rule's target headcount (line: median run; bands: middle 50% and 90% of runs) "
               "with the headcount reached (dashed) and, on the right axis, the smoothed state the rule read; "
               "each channel's monthly budget beside new ARR; the delivery delay the market perceives and "
               "the win multiplier it causes (docs/model.md, 'Hiring rules', 'Budget rules', 'The market responds').")
    return FigureOut("decisions", "Decisions and the state they read", caption, fig)
