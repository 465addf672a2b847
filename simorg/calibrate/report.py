"""The calibration report: one self-contained HTML file (figures as embedded PNGs).

Sections: fitted values with their provenance, what was not fitted and why, fitted against
empirical distributions (histogram, the chosen density and the runners-up, AIC and KS), lead
volume per channel with its trend, the rate corrections round by round, the backtest bands
against the actual months, the state at the export date, and the data warnings.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import EngFormatter  # noqa: E402

from .fit import Calibration  # noqa: E402

CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:0.5em 0 1.5em 0;font-size:0.9em}
td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} code{font-size:0.9em} .warn{color:#8a4b00}
figure{display:inline-block;margin:0.5em;vertical-align:top} img{max-width:520px}
figcaption{font-size:0.85em;color:#555;max-width:520px}
"""


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(fig: Any, caption: str) -> str:
    return (f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{_png(fig)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _dist_figures(cal: Calibration) -> str:
    parts = []
    for f in cal.dist_fits:
        fig, ax = plt.subplots(figsize=(5.2, 3.2))
        x = f.data
        hi = float(np.quantile(x, 0.995))
        ax.hist(x[x <= hi], bins=30, density=True, color="#c9d6e8", label=f"data (n={len(x)})")
        grid = np.linspace(0, hi, 300)
        for i, c in enumerate(f.candidates[:3]):
            ax.plot(grid, c["frozen"].pdf(grid), lw=2 if i == 0 else 1, ls="-" if i == 0 else "--",
                    label=f"{c['name']} AIC {c['aic']:.0f}, KS {c['ks']:.3f}")
        ax.set_title(f"{f.quantity} ({f.segment})")
        ax.xaxis.set_major_formatter(EngFormatter())
        ax.legend(fontsize=7)
        parts.append(_figure(fig, f"{f.quantity}, segment {f.segment}: fitted (lines) vs empirical "
                                  f"(histogram); chosen {f.candidates[0]['name']}"))
    return "".join(parts)


def _volume_figures(cal: Calibration) -> str:
    parts = []
    for name, v in cal.lead_volume.items():
        y = np.asarray(v["counts"])
        m = np.arange(len(y))
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        ax.bar(m, y, color="#c9d6e8", label="leads per month")
        ax.plot(m, np.exp(v["a"] + v["b"] * m), color="#1f5fa8", label="Poisson trend")
        ax.set_xlabel(f"month since {cal.history_start:%Y-%m}")
        ax.set_title(f"leads: {name}")
        ax.legend(fontsize=7)
        parts.append(_figure(fig, f"channel {name}: {v['now']:.1f} leads/month at the export date, "
                                  f"growth {np.expm1(v['b']):+.1%}/month"))
    return "".join(parts)


def _backtest_figures(bt: Any) -> str:
    parts = []
    for metric in bt.sims:
        lo, hi = bt.bounds(metric)
        med = np.median(bt.sims[metric], axis=0)
        m = np.arange(1, bt.months + 1)
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        ax.fill_between(m, lo, hi, color="#c9d6e8", label=f"{bt.band[0]:.0%}-{bt.band[1]:.0%} band")
        ax.plot(m, med, color="#1f5fa8", lw=1, label="simulated median")
        ax.plot(m, bt.actual[metric], "o-", color="#e08214", ms=3, label="actual")
        if bt.warmup:
            ax.axvspan(0.5, bt.warmup + 0.5, color="#eeeeee", zorder=0)
        ax.set_title(metric)
        ax.yaxis.set_major_formatter(EngFormatter())
        ax.set_xlabel("month of the history")
        ax.legend(fontsize=7)
        after = f" ({bt.coverage(metric, True):.0%} after the {bt.warmup}-month warm-up, shaded)" if bt.warmup else ""
        parts.append(_figure(fig, f"{metric}: {bt.coverage(metric):.0%} of actual months inside the band{after}"))
    return "".join(parts)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    h = "".join(f"<th>{escape(str(c))}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def write_report(cal: Calibration, path: Path, backtest: Any = None, scenario_file: Path | None = None) -> Path:
    """Write the calibration report to ``path`` (one HTML file)."""
    fitted = _table(["value", "fitted", "from"],
                    [[".".join(v.path), json.dumps(v.value), v.note] for v in cal.values])
    skipped = _table(["what", "why not fitted"], [list(x) for x in cal.not_fitted])
    rounds = []
    for e in cal.corrections:
        for k, tgt in e["target"].items():
            rounds.append([e["round"], k, f"{tgt:.4f}", f"{e['sim'].get(k, float('nan')):.4f}"])
    corr = _table(["round", "rate", "data", "simulated"], rounds) if rounds else "<p>No rates to correct.</p>"
    state = cal.state
    ib = state.get("installed_base", {})
    op = state.get("open_pipeline", {})
    state_html = _table(["item", "at the export date"], [
        ["paying accounts", ib.get("count", "n/a")], ["ARR", f"{ib.get('arr_total', float('nan')):,.0f}"],
        ["by segment", json.dumps(ib.get("by_segment", {}))],
        ["open new-business deals", f"{op.get('count', 'n/a')} worth {op.get('amount_total', float('nan')):,.0f}"],
        ["billing", json.dumps(state.get("billing", {}))],
        ["written as", f"state/accounts.csv ({len(cal.state_accounts) if cal.state_accounts is not None else 0} "
                       f"accounts), state/opportunities.csv ("
                       f"{len(cal.state_opportunities) if cal.state_opportunities is not None else 0} deals), "
                       "read by the scenario"],
    ])
    warn = "".join(f"<li class='warn'>{escape(w)}</li>" for w in cal.warnings) or "<li>none</li>"
    dropped = "".join(f"<li>{escape(k)}: {v}</li>" for k, v in cal.dropped.items()) or "<li>nothing</li>"
    bt_html = ""
    if backtest is not None:
        bt_html = (f"<h2>Backtest</h2><pre>{escape(backtest.table())}</pre>"
                   f"<p>{escape(' '.join(backtest.notes))}</p>{_backtest_figures(backtest)}")
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>simorg calibration</title>
<style>{CSS}</style></head><body>
<h1>Calibration to the CRM export of {cal.export_date:%Y-%m-%d}</h1>
<p>History {cal.history_start:%Y-%m-%d} to {cal.export_date:%Y-%m-%d} ({cal.months} months); template
<code>{escape(cal.template)}</code>{f"; scenario written to <code>{escape(str(scenario_file))}</code>" if scenario_file else ""}.</p>
<h2>Fitted values</h2>{fitted}
<h2>Not fitted</h2>{skipped}
<h2>Distributions: fitted vs empirical</h2>{_dist_figures(cal)}
<h2>Lead volume</h2>{_volume_figures(cal)}
<h2>Rate corrections</h2><p>Observed rates in the data against the same rates observed in simulations of
the calibrated scenario, each round after multiplying the model's parameter by data / simulated.</p>{corr}
{bt_html}
<h2>State at the export date</h2>{state_html}
<h2>Data warnings</h2><ul>{warn}</ul><h2>Set aside</h2><ul>{dropped}</ul>
</body></html>"""
    path.write_text(html, encoding="utf-8")
    return path
