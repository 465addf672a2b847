"""Write ``docs/failure_modes.md`` and its figures from real runs of the gallery.

    python -m simorg.report.gallery_doc [--reps 30] [--out docs]

Every number and figure in the document comes from a paired comparison run by this
module: nothing is typed in by hand, so the document cannot drift from the model.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..experiment import gallery
from .style import ARM_COLORS, plt

MONTH_AXIS = "month"



def _change_formatter(kpi: str) -> Callable[[float, float], str]:
    """Tick labels of a KPI change in the KPI's own unit."""

    def fmt(v: float, _pos: float) -> str:
        return str(gallery.fmt_change(kpi, v))

    return fmt

def _bands(monthly, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Months, mean, 5th and 95th percentile across replications of one monthly series."""
    d = monthly[monthly["metric"] == metric].pivot_table(index="month", columns="rep", values="value")
    return (d.index.to_numpy(), d.mean(axis=1).to_numpy(),
            d.quantile(0.05, axis=1).to_numpy(), d.quantile(0.95, axis=1).to_numpy())


def figure(result: gallery.DemoResult, path: Path) -> Path:
    """Monthly series of both arms (mean and 90% band) and the symptoms' paired changes."""
    mode = result.mode
    cmp = result.comparison
    n = len(mode.monthly)
    k = len(mode.symptoms)
    fig = plt.figure(figsize=(4.2 * (n + 1), 3.6))
    grid = fig.add_gridspec(k, n + 1)
    axes = [fig.add_subplot(grid[:, i]) for i in range(n)]
    for ax, (metric, label) in zip(axes, mode.monthly, strict=True):
        for arm, color, name in ((cmp.a, ARM_COLORS[0], "baseline"), (cmp.b, ARM_COLORS[1], mode.name)):
            months, mean, lo, hi = _bands(arm.monthly, metric)
            ax.plot(months, mean, color=color, label=name, lw=1.8)
            ax.fill_between(months, lo, hi, color=color, alpha=0.18, lw=0)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel(MONTH_AXIS)
    axes[0].legend(loc="best")
    # one small axis per symptom, each on its own scale: the paired change with its 95% CI
    for row, s in enumerate(mode.symptoms):
        ax = fig.add_subplot(grid[row, n])
        x = result.summary[s.kpi]
        lo, hi = x["diff_ci95"]
        mid = x["diff_mean"]
        ax.errorbar([mid], [0], xerr=[[mid - lo], [hi - mid]], fmt="o", color=ARM_COLORS[1], capsize=4)
        ax.axvline(0, color="#555555", lw=1)
        ax.set_yticks([])
        span = max(abs(lo), abs(hi)) * 1.3 or 1.0
        ax.set_xlim(-span, span)
        ax.set_title(f"{s.label}: change (95% CI)", fontsize=9)
        ax.xaxis.set_major_formatter(_change_formatter(s.kpi))
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"{mode.title}: baseline vs {mode.name}, {result.reps} paired replications",
                 fontsize=11, fontweight="bold")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def section(result: gallery.DemoResult, fig_rel: str) -> str:
    mode = result.mode
    story = "\n".join(line for line in mode.story().splitlines())
    rows = ["| symptom | baseline | failure | change (95% CI) | with mechanism off |", "|---|---|---|---|---|"]
    for s in mode.symptoms:
        x = result.summary[s.kpi]
        lo, hi = x["diff_ci95"]
        gone = result.disappears(s)
        off = ("stays: a direct effect of the change itself" if gone is None
               else ("gone" if gone else "still there"))
        ch = gallery.fmt_change
        rows.append(f"| {s.label} | {gallery.fmt(s.kpi, x['a_mean'])} | {gallery.fmt(s.kpi, x['b_mean'])} | "
                    f"{ch(s.kpi, x['diff_mean'])} [{ch(s.kpi, lo)}, {ch(s.kpi, hi)}] | {off} |")
    chain = "; ".join(f"{label} {gallery.fmt(k, result.summary[k]['a_mean'])} -> "
                      f"{gallery.fmt(k, result.summary[k]['b_mean'])}" for k, label in mode.chain)
    off = ", ".join(f"`{k}: {v}`" for k, v in mode.mechanism_off.items())
    return "\n".join([
        f"## {mode.title} (`{mode.name}`)", "",
        f"Source: {mode.source}. Scenario: `scenarios/failure_modes/{mode.name}.yaml`. "
        f"Try it: `simorg demo {mode.name}`.", "",
        "```text", story, "```", "",
        *rows, "",
        f"**Causal chain** (means over {result.reps} replications): {chain}.", "",
        f"**Mechanism:** {mode.mechanism}. Turned off in both arms with {off}.", "",
        f"![{mode.title}]({fig_rel})", "",
    ])


HEADER = """# Failure-mode gallery

How go-to-market organizations fail, for teaching. Each failure is a scenario that extends
the baseline and changes only what a company would change: a hiring plan, a comp plan, a
frozen team. Nothing scripts the outcome; the symptoms emerge from the model's mechanisms
(docs/model.md). Each section compares the baseline with the failure, paired replication by
replication on common random numbers, and then repeats the comparison with the causing
mechanism turned off in both arms: the symptoms it causes go away.

Symptoms "appear" when the 95% confidence interval of the paired change excludes zero in
the stated direction; they are "gone" when, with the mechanism off, it no longer does, or less
than a tenth of the change is left (the residue of another mechanism, such as a bigger team's
own prospecting shifting the mix of deals).
`tests/test_failure_modes.py` checks both for every failure mode.

This document is generated: `python -m simorg.report.gallery_doc --reps {reps}` (seed 1).
"""


def write(out: Path, reps: int = 30, workers: int | None = None) -> Path:
    parts = [HEADER.format(reps=reps)]
    for name in gallery.FAILURE_MODES:
        result = gallery.run_demo(name, reps=reps, seed=1, workers=workers, progress=False)
        rel = f"figures/failure_{name}.png"
        figure(result, out / rel)
        parts.append(section(result, rel))
    doc = out / "failure_modes.md"
    doc.write_text("\n".join(parts))
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--out", type=Path, default=Path("docs"))
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    print(write(args.out, args.reps, args.workers))


if __name__ == "__main__":
    main()
