"""A run's records as CRM-shaped CSV files: opportunities, accounts, leads, headcount.

Useful on its own (an event log to load into a BI tool) and for the round trip
scenario -> simulate -> export -> calibrate. Day ``t`` of the run is ``origin + t days``; the
columns are the generic ones :mod:`simorg.calibrate.io` recognises:

* ``opportunities.csv``: one row per qualified lead or self-sourced deal (type ``new``; created
  at qualification, closed when won or lost; ``open`` at the horizon) and one won ``upsell``
  row per expansion (the records do not tell upsell from cross-sell).
* ``accounts.csv``: one row per account: start of its first contract (for the base at month 0,
  its first renewal minus one term), churn date, ARR (now, or at churn), term, go-live.
* ``leads.csv``: marketing leads: created, channel, first touch, status (qualified,
  disqualified, or open when never worked).
* ``headcount.csv``: one row per person: role, start, end.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_ORIGIN = datetime(2024, 1, 1)


def _stamp(origin: datetime, t: float) -> str:
    if t is None or not np.isfinite(t):
        return ""
    return (origin + timedelta(days=float(t))).isoformat(timespec="minutes")


def export_run(run: Any, scenario: Any, out: str | Path, origin: datetime = DEFAULT_ORIGIN) -> dict[str, Path]:
    """Write ``run``'s records (``simulate(..., keep_records=True)``) as four CSV files into
    ``out``; returns their paths by kind."""
    rec = run.records
    if rec is None:
        raise ValueError("the run kept no records: simulate with keep_records=True")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / f"{k}.csv" for k in ("opportunities", "accounts", "leads", "headcount")}
    term_days = scenario.customers.renewal.term_months * 365.25 / 12
    ld = rec.leads
    acc = rec.accounts
    ev = rec.arr_events
    ren = rec.renewals

    # ---------------------------------------------------------------- opportunities
    with open(paths["opportunities"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Opportunity ID", "Account ID", "Created Date", "Close Date", "Stage", "Amount", "Type",
                    "Lead Source", "Segment", "Owner"])
        q = ~np.isnan(ld["qualified_t"]) if len(ld["id"]) else np.array([], dtype=bool)
        for i in np.flatnonzero(q).tolist():
            state = str(ld["state"][i])
            stage = state if state in ("won", "lost") else "open"
            source = "self" if ld["true_source"][i] == "self" else str(ld["channel"][i])
            w.writerow([f"O{ld['id'][i]}", f"A{ld['id'][i]}", _stamp(origin, ld["qualified_t"][i]),
                        _stamp(origin, ld["closed_t"][i]) if stage != "open" else "", stage,
                        f"{ld['acv'][i]:.2f}", "new", source, str(ld["segment"][i]),
                        f"E{ld['owner'][i]}" if ld["owner"][i] >= 0 else ""])
        seg_of = dict(zip(acc["id"].tolist(), acc["segment"].tolist(), strict=True))
        exp = np.flatnonzero(ev["kind"] == "expansion") if len(ev["kind"]) else np.array([], dtype=int)
        for n, i in enumerate(exp.tolist()):
            w.writerow([f"X{n}", f"A{ev['account'][i]}", _stamp(origin, ev["t"][i]), _stamp(origin, ev["t"][i]),
                        "won", f"{ev['delta'][i]:.2f}", "upsell", "existing", seg_of.get(int(ev["account"][i]), ""),
                        ""])

    # ---------------------------------------------------------------- accounts
    first_renewal: dict[int, float] = {}
    for t, a in zip(ren["t"].tolist(), ren["account"].tolist(), strict=True):
        if a not in first_renewal or t < first_renewal[a]:
            first_renewal[a] = t
    arr_now: dict[int, float] = {}
    if len(ev["kind"]):
        keep = ev["kind"] != "churn"
        for a, d in zip(ev["account"][keep].tolist(), ev["delta"][keep].tolist(), strict=True):
            arr_now[a] = arr_now.get(a, 0.0) + d
    with open(paths["accounts"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Account ID", "Segment", "Start Date", "Churn Date", "ARR", "Term Months", "Go Live Date"])
        for i in range(len(acc["id"])):
            aid = int(acc["id"][i])
            if acc["initial"][i]:
                start = first_renewal.get(aid, term_days) - term_days
                live = np.nan
            else:
                start = float(acc["signed"][i])
                live = float(acc["live"][i])
            w.writerow([f"A{aid}", str(acc["segment"][i]), _stamp(origin, start),
                        _stamp(origin, float(acc["churned_t"][i])), f"{arr_now.get(aid, 0.0):.2f}",
                        scenario.customers.renewal.term_months, _stamp(origin, live)])

    # ---------------------------------------------------------------- leads
    with open(paths["leads"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Lead ID", "Created Date", "Lead Source", "First Touch", "Status"])
        mkt = np.flatnonzero(ld["true_source"] == "marketing") if len(ld["id"]) else np.array([], dtype=int)
        for i in mkt.tolist():
            status = "qualified" if np.isfinite(ld["qualified_t"][i]) else \
                "disqualified" if np.isfinite(ld["first_touch"][i]) else "open"
            w.writerow([f"L{ld['id'][i]}", _stamp(origin, ld["created"][i]), str(ld["channel"][i]),
                        _stamp(origin, ld["first_touch"][i]), status])

    # ---------------------------------------------------------------- headcount
    st = rec.staff
    with open(paths["headcount"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Person", "Role", "Start Date", "End Date"])
        for i in range(len(st["id"])):
            end = float(st["end"][i])
            w.writerow([f"E{st['id'][i]}", str(st["role"][i]), _stamp(origin, float(st["start"][i])),
                        _stamp(origin, end) if end < rec.horizon_days else ""])
    return paths


def export_date(run: Any, origin: datetime = DEFAULT_ORIGIN) -> str:
    """The date at the run's horizon (the export date to calibrate the files with)."""
    return (origin + timedelta(days=float(run.records.horizon_days))).date().isoformat()
