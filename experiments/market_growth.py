"""Forrester's Market Growth, both reference modes side by side (docs/model.md).

Runs ``scenarios/market_growth.yaml`` (the delivery-delay goal erodes) and
``scenarios/market_growth_fixed_goal.yaml`` (the goal held at 60 days) for seeds 0-3, prints the
table of quarterly means that docs/model.md shows, and writes ``docs/figures/market_growth.png``::

    PYTHONPATH=. python experiments/market_growth.py [--seeds 4] [--figure docs/figures/market_growth.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from simorg.experiment.simulate import simulate  # noqa: E402
from simorg.scenario import load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERIES = ("new_logos", "queue_wait_days_implementation", "headcount_implementation", "headcount_ae",
          "decision_goal_implementation", "market_delay_perceived", "market_win_factor")


def quarterly(runs: list[dict[str, np.ndarray]], name: str) -> np.ndarray:
    """Mean over seeds of a series by quarter: flows summed, stocks and rates at the quarter's end
    (the wait is the mean of its three months)."""
    out = []
    for m in runs:
        x = np.asarray(m[name], dtype=float).reshape(-1, 3)
        if name == "new_logos":
            out.append(x.sum(1))
        elif name == "queue_wait_days_implementation":
            out.append(np.nanmean(x, 1))
        else:
            out.append(x[:, -1])
    return np.mean(out, axis=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--figure", type=Path, default=ROOT / "docs" / "figures" / "market_growth.png")
    args = ap.parse_args()
    arms = {"eroding": load(ROOT / "scenarios" / "market_growth.yaml"),
            "fixed": load(ROOT / "scenarios" / "market_growth_fixed_goal.yaml")}
    runs = {k: [simulate(sc, seed=s, keep_records=False).monthly for s in range(args.seeds)]
            for k, sc in arms.items()}
    q = {k: {n: quarterly(r, n) for n in SERIES if n in r[0]} for k, r in runs.items()}
    cols = [3, 7, 11, 15, 19, 23]
    print("| quarter | " + " | ".join(str(c + 1) for c in cols) + " |")
    print("|---|" + "---|" * len(cols))

    def row(label: str, name: str, fmt: str = "{:.0f}", both: bool = True) -> None:
        if name not in q["eroding"]:
            return
        if both:
            cells = [f"{fmt.format(q['eroding'][name][c])} / {fmt.format(q['fixed'][name][c])}" for c in cols]
        else:
            cells = [fmt.format(q["eroding"][name][c]) for c in cols]
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("| new logos, eroding goal | " + " | ".join(f"{q['eroding']['new_logos'][c]:.0f}" for c in cols) + " |")
    print("| new logos, fixed goal | " + " | ".join(f"{q['fixed']['new_logos'][c]:.0f}" for c in cols) + " |")
    row("wait for an implementer (days), eroding / fixed", "queue_wait_days_implementation")
    row("implementers, eroding / fixed", "headcount_implementation")
    row("AEs, eroding / fixed", "headcount_ae")
    row("delay goal (days), eroding (fixed: 60)", "decision_goal_implementation", both=False)
    row("perceived delay (days), eroding / fixed", "market_delay_perceived")
    row("win multiplier, eroding / fixed", "market_win_factor", fmt="{:.2f}")
    ero = q["eroding"]["new_logos"]
    peak = int(np.argmax(ero))
    print(f"\neroding goal: peak quarter {peak + 1} ({ero[peak]:.0f} new logos), last three quarters "
          f"{ero[-3:].mean():.0f} ({ero[peak] / ero[-3:].mean():.2f}x below the peak)")
    fixed = q["fixed"]["new_logos"]
    print(f"fixed goal: last year {fixed[-4:].sum():.0f} new logos, the year before {fixed[-8:-4].sum():.0f}, "
          f"{fixed[-4:].sum() / ero[-4:].sum():.1f}x the eroding company's last year")

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    x = np.arange(1, len(ero) + 1)
    for k, style in (("eroding", "-"), ("fixed", "--")):
        axes[0].plot(x, q[k]["new_logos"], style, label=f"{k} goal")
        axes[1].plot(x, q[k]["queue_wait_days_implementation"], style, label=f"{k} goal")
        axes[2].plot(x, q[k]["headcount_implementation"], style, label=f"{k} goal")
    axes[0].set_yscale("log")
    axes[2].set_yscale("log")
    for ax, title in zip(axes, ("new logos per quarter (log)", "wait for an implementer (days)",
                                "implementers (log)"), strict=True):
        ax.set_title(title)
        ax.set_xlabel("quarter")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"Forrester's Market Growth: mean of seeds 0-{args.seeds - 1}")
    fig.tight_layout()
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.figure, dpi=100)
    print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
