"""One-at-a-time sensitivity of the headline renewal-owner A/B (issue 14).

For each assumption that decides the result, the paired difference sales-owned minus
CSM-owned renewals (scenarios/sales_owns_renewals.yaml vs scenarios/baseline.yaml, the same
override applied to both arms), 40 paired replications, seeds 0-39. Prints a markdown table
(docs/model.md, "Sensitivity of the renewal-owner A/B"):

    PYTHONPATH=. python experiments/renewal_owner_sensitivity.py [REPS]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from simorg import load, simulate

ROOT = Path(__file__).resolve().parents[1]
CASES: list[tuple[str, dict[str, str]]] = [
    ("defaults", {}),
    ("save_hours = 2", {"customers.renewal.save_hours": "2"}),
    ("save_hours = 8", {"customers.renewal.save_hours": "8"}),
    ("unworked_factor = 0.75", {"customers.renewal.unworked_factor": "0.75"}),
    ("unworked_factor = 0.95", {"customers.renewal.unworked_factor": "0.95"}),
    ("effort_follows_pay off (0)", {"behaviour.effort_follows_pay.sensitivity": "0"}),
    ("effort_follows_pay = 0.5", {"behaviour.effort_follows_pay.sensitivity": "0.5"}),
    ("AE hours_per_month = 36", {"teams.ae.hours_per_month": "36"}),
    ("AE hours_per_month = 64", {"teams.ae.hours_per_month": "64"}),
    ("renewal_admin_hours = 0", {"org.renewal_admin_hours": "0"}),
    ("renewal_admin_hours = 2", {"org.renewal_admin_hours": "2"}),
]
KPIS = ("new_logos", "logo_renewal_rate", "logo_renewal_rate_smb", "logo_renewal_rate_ent", "grr", "commission_cost")


def diff(case: dict[str, str], reps: int) -> dict[str, tuple[float, float]]:
    a = load(ROOT / "scenarios" / "baseline.yaml", overrides=case)
    b = load(ROOT / "scenarios" / "sales_owns_renewals.yaml", overrides=case)
    ka = [simulate(a, seed=s, keep_records=False).kpis for s in range(reps)]
    kb = [simulate(b, seed=s, keep_records=False).kpis for s in range(reps)]
    out = {}
    for k in KPIS:
        d = np.array([y[k] - x[k] for x, y in zip(ka, kb, strict=True)])
        out[k] = (float(d.mean()), float(1.96 * d.std(ddof=1) / np.sqrt(reps)))
    return out


def main(reps: int) -> None:
    head = ["assumption", "new logos", "logo renewal (pp)", "smb (pp)", "ent (pp)", "GRR (pp)", "commission ($K)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, case in CASES:
        fx = diff(case, reps)
        cells = [f"{fx['new_logos'][0]:+.1f} ± {fx['new_logos'][1]:.1f}"]
        for k in KPIS[1:5]:
            cells.append(f"{100 * fx[k][0]:+.1f} ± {100 * fx[k][1]:.1f}")
        cells.append(f"{fx['commission_cost'][0] / 1e3:+.0f}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
