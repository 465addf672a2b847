"""Write the CRM export of a fictional company, Northwind Analytics, from stated parameters.

Deliberately independent of simorg's model: plain numpy draws of a simple funnel (Poisson
leads per channel and month, Bernoulli qualification and wins, lognormal deal sizes, cycles
and onboarding, annual renewals as Bernoulli draws), so calibrating it is a real test of
recovering known parameters. Run from the repository root::

    python examples/crm/make_example.py            # writes examples/crm/*.csv

Files (column names as a generic CRM export; see docs/calibration.md):
``opportunities.csv``, ``accounts.csv``, ``leads.csv``, ``headcount.csv``.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

START = date(2024, 1, 1)
"""First day of the exported history."""
MONTHS = 24
"""Months of history; the export date is START + 24 months (2026-01-01)."""
DAYS_PER_MONTH = 365.25 / 12
SEED = 20261129

PARAMS: dict = {
    "segments": {
        #        ACV mean, sd        cycle mean, sd   win    onboarding mean, sd   renewal
        "smb": {"acv": (12000, 6000), "cycle": (35, 15), "win": 0.30, "onboarding": (20, 8), "renewal": 0.82},
        "mid": {"acv": (30000, 12000), "cycle": (60, 25), "win": 0.22, "onboarding": (45, 15), "renewal": 0.88},
        "ent": {"acv": (75000, 35000), "cycle": (110, 40), "win": 0.18, "onboarding": (90, 30), "renewal": 0.92},
    },
    "channels": {
        # leads per month at month 0, growth per month (compounded), segment mix
        "web": {"leads": 100, "growth": 0.015, "mix": {"smb": 0.55, "mid": 0.35, "ent": 0.10}},
        "events": {"leads": 20, "growth": 0.015, "mix": {"smb": 0.30, "mid": 0.50, "ent": 0.20}},
    },
    "qualify_rate": 0.30,            # share of leads that become opportunities
    "response_hours_mean": 10.0,     # lead creation to first touch (exponential)
    "term_months": 12,
    "upsell_per_year": 0.30,         # won upsell opportunities per account-year
    "upsell_size": (0.2, 0.1),       # lognormal mean, sd as a share of ARR
    "initial_customers": 180,        # paying accounts at START
    "initial_mix": {"smb": 0.5, "mid": 0.38, "ent": 0.12},
    "headcount": {                   # people at START, hires (month: count), attrition per year
        "ae": (6, {6: 1, 15: 1}, 0.25),
        "sdr": (3, {12: 1}, 0.45),
        "presales": (2, {}, 0.10),
        "implementation": (4, {6: 1, 15: 1}, 0.15),
        "csm": (5, {8: 1, 16: 1}, 0.15),
        "marketing": (3, {}, 0.15),
    },
    "backfill_days": 60,             # a leaver's replacement starts this many days later
    "pipeline_months": 6,            # the funnel ran this long before START: its deals still open at
                                     # START were migrated into the CRM (created before START)
}


def _lognormal(rng: np.random.Generator, mean: float, sd: float, size=None):
    s2 = np.log1p((sd / mean) ** 2)
    return rng.lognormal(np.log(mean) - 0.5 * s2, np.sqrt(s2), size)


def _day(t: float) -> date:
    return START + timedelta(days=int(np.floor(t)))


def generate(seed: int = SEED) -> dict[str, list[dict]]:
    """The four tables as lists of rows (dicts), from :data:`PARAMS` and ``seed``."""
    rng = np.random.default_rng(seed)
    p = PARAMS
    horizon = MONTHS * DAYS_PER_MONTH
    segs = list(p["segments"])

    # ---------------------------------------------------------------- people
    people: list[dict] = []
    for role, (n0, hires, attr) in p["headcount"].items():
        starts = [-float(rng.uniform(200, 1500)) for _ in range(n0)]
        starts += [m * DAYS_PER_MONTH + float(rng.uniform(0, 20)) for m, k in hires.items() for _ in range(k)]
        queue = list(starts)
        while queue:
            s = queue.pop(0)
            tenure = rng.exponential(365.25 / attr) if attr > 0 else np.inf
            end = max(s, 0.0) + tenure if s < 0 else s + tenure
            person = {"person": f"{role.upper()}-{len(people) + 1:03d}", "role": role,
                      "start": s, "end": end if end < horizon else None}
            people.append(person)
            if end < horizon and end + p["backfill_days"] < horizon:
                queue.append(end + p["backfill_days"])
    aes = [x for x in people if x["role"] == "ae"]

    def ae_at(t: float, r: np.random.Generator = rng) -> str:
        active = [x["person"] for x in aes if x["start"] <= t and (x["end"] is None or x["end"] > t)]
        return active[int(r.integers(len(active)))] if active else aes[0]["person"]

    # ---------------------------------------------------------------- leads and new deals
    leads: list[dict] = []
    opps: list[dict] = []
    accounts: list[dict] = []
    for ch, c in p["channels"].items():
        mix = np.array([c["mix"][s] for s in segs])
        for m in range(MONTHS):
            n = rng.poisson(c["leads"] * (1 + c["growth"]) ** m)
            for t in np.sort(rng.uniform(m, m + 1, n) * DAYS_PER_MONTH):
                seg = segs[int(rng.choice(len(segs), p=mix))]
                touch = t + rng.exponential(p["response_hours_mean"]) / 24
                qualified = rng.random() < p["qualify_rate"]
                lid = f"L{len(leads) + 1:05d}"
                leads.append({"lead_id": lid, "created": t, "source": ch, "first_touch": touch,
                              "status": "qualified" if qualified else "disqualified", "segment": seg})
                if not qualified:
                    continue
                sp = p["segments"][seg]
                acv = float(_lognormal(rng, *sp["acv"]))
                close = touch + float(_lognormal(rng, *sp["cycle"]))
                won = rng.random() < sp["win"]
                onboarding = float(_lognormal(rng, *sp["onboarding"]))
                stage = "open" if close >= horizon else ("won" if won else "lost")
                acc = f"A{len(accounts) + 1:05d}" if stage == "won" else f"P{len(opps) + 1:05d}"
                opps.append({"id": f"O{len(opps) + 1:05d}", "account": acc, "created": touch,
                             "close": close, "stage": stage, "amount": round(acv, 2), "type": "new",
                             "source": ch, "segment": seg, "owner": ae_at(touch)})
                if stage == "won":
                    accounts.append({"account": acc, "segment": seg, "start": close, "arr": acv,
                                     "go_live": close + onboarding})

    # ---------------------------------------------------------------- the base at START
    mix0 = np.array([p["initial_mix"][s] for s in segs])
    for _ in range(p["initial_customers"]):
        seg = segs[int(rng.choice(len(segs), p=mix0))]
        start = -float(rng.uniform(0, p["term_months"] * DAYS_PER_MONTH))
        accounts.append({"account": f"A{len(accounts) + 1:05d}", "segment": seg, "start": start,
                         "arr": float(_lognormal(rng, *p["segments"][seg]["acv"])), "go_live": None})

    # ---------------------------------------------------------------- renewals and upsell
    term = p["term_months"] * DAYS_PER_MONTH

    def life(a: dict, rng: np.random.Generator) -> None:
        rate = p["segments"][a["segment"]]["renewal"]
        due = a["start"] + term
        churn = None
        while due < horizon:
            if rng.random() >= rate:
                churn = due
                break
            due += term
        a["churn"] = churn
        life_end = churn if churn is not None else horizon
        t = max(a["start"], 0.0)
        while True:
            t += rng.exponential(365.25 / p["upsell_per_year"])
            if t >= life_end:
                break
            amount = a["arr"] * float(_lognormal(rng, *p["upsell_size"]))
            opps.append({"id": f"O{len(opps) + 1:05d}", "account": a["account"], "created": t - 20,
                         "close": t, "stage": "won", "amount": round(amount, 2), "type": "upsell",
                         "source": "existing", "segment": a["segment"], "owner": ae_at(t, rng)})
            a["arr"] += amount

    for a in accounts:
        life(a, rng)

    # ---------------------------------------------------------------- the pipeline open at START
    # The same funnel ran pipeline_months before START (own generator, so the rest above is
    # unchanged); only its deals still open at START are in the export, as migrated records
    # (their leads are not: the lead history starts at START).
    pre = np.random.default_rng(seed + 1)
    for ch, c in p["channels"].items():
        mix = np.array([c["mix"][s] for s in segs])
        for m in range(-p["pipeline_months"], 0):
            n = pre.poisson(c["leads"] * (1 + c["growth"]) ** m)
            for t in np.sort(pre.uniform(m, m + 1, n) * DAYS_PER_MONTH):
                seg = segs[int(pre.choice(len(segs), p=mix))]
                touch = t + pre.exponential(p["response_hours_mean"]) / 24
                if pre.random() >= p["qualify_rate"]:
                    continue
                sp = p["segments"][seg]
                acv = float(_lognormal(pre, *sp["acv"]))
                close = touch + float(_lognormal(pre, *sp["cycle"]))
                won = pre.random() < sp["win"]
                onboarding = float(_lognormal(pre, *sp["onboarding"]))
                if close < 0:
                    continue  # decided before START: not in the export (its account, if won,
                    # is one of the initial customers' kind)
                stage = "open" if close >= horizon else ("won" if won else "lost")
                acc = f"A{len(accounts) + 1:05d}" if stage == "won" else f"P{len(opps) + 1:05d}"
                opps.append({"id": f"O{len(opps) + 1:05d}", "account": acc, "created": touch,
                             "close": close, "stage": stage, "amount": round(acv, 2), "type": "new",
                             "source": ch, "segment": seg, "owner": ae_at(touch, pre)})
                if stage == "won":
                    a = {"account": acc, "segment": seg, "start": close, "arr": acv, "go_live": close + onboarding}
                    accounts.append(a)
                    life(a, pre)
    return {"opportunities": opps, "accounts": accounts, "leads": leads, "people": people}


def write(folder: Path, seed: int = SEED) -> dict[str, Path]:
    """Write the four CSV files into ``folder``; returns their paths by kind."""
    data = generate(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: folder / f"{k}.csv" for k in ("opportunities", "accounts", "leads", "headcount")}

    def d(t):
        return "" if t is None else _day(t).isoformat()

    with open(paths["opportunities"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Opportunity ID", "Account ID", "Created Date", "Close Date", "Stage", "Amount",
                    "Type", "Lead Source", "Segment", "Owner"])
        for o in sorted(data["opportunities"], key=lambda o: o["created"]):
            w.writerow([o["id"], o["account"], d(o["created"]), d(o["close"]), o["stage"],
                        f"{o['amount']:.2f}", o["type"], o["source"], o["segment"], o["owner"]])
    with open(paths["accounts"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Account ID", "Segment", "Start Date", "Churn Date", "ARR", "Term Months",
                    "Billing", "Go Live Date"])
        for a in data["accounts"]:
            w.writerow([a["account"], a["segment"], d(a["start"]), d(a["churn"]), f"{a['arr']:.2f}",
                        PARAMS["term_months"], "annual", d(a["go_live"])])
    with open(paths["leads"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Lead ID", "Created Date", "Lead Source", "First Touch", "Status"])
        for ld in data["leads"]:
            w.writerow([ld["lead_id"], _stamp(ld["created"]), ld["source"],
                        _stamp(ld["first_touch"]), ld["status"]])
    with open(paths["headcount"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Person", "Role", "Start Date", "End Date"])
        for x in data["people"]:
            w.writerow([x["person"], x["role"], d(x["start"]), d(x["end"])])
    return paths


def _stamp(t: float) -> str:
    """Day ``t`` after START as a timestamp to the minute."""
    return (datetime(START.year, START.month, START.day) + timedelta(days=t)).isoformat(timespec="minutes")


if __name__ == "__main__":
    for kind, path in write(Path(__file__).parent).items():
        with open(path) as fh:
            print(f"{kind}: {path} ({sum(1 for _ in fh) - 1} rows)")
