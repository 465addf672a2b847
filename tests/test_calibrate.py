"""Calibration from a CRM export (simorg/calibrate): recovery of known parameters, backtest,
round trip through the model, and bad input.

The shipped example (examples/crm, made by examples/crm/make_example.py with numpy only, not by
simorg's model) has stated generating parameters; tolerances are three standard errors of the
estimate from the example's own sample sizes unless said otherwise.
"""

from __future__ import annotations

import copy
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simorg
from simorg.calibrate.backtest import run_backtest
from simorg.calibrate.export import export_date, export_run
from simorg.calibrate.fit import calibrate, fit_distribution, history_scenario
from simorg.calibrate.io import CRMInputError, find_files, read_export
from simorg.calibrate.output import write_outputs
from simorg.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "crm"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def _example_module():
    spec = importlib.util.spec_from_file_location("make_example", EXAMPLE / "make_example.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = _example_module()
P = GEN.PARAMS


@pytest.fixture(scope="module")
def data():
    return read_export(find_files([EXAMPLE]))


TEMPLATE = EXAMPLE / "template.yaml"
"""The baseline without rep hours per opportunity: the synthetic export's cycles are the
buyer's alone (its generator has no rep hours); with them the baseline's busy AEs stretch every
smb cycle beyond what the export shows, and no cycle parameter can undo it."""


@pytest.fixture(scope="module")
def cal(data):
    return calibrate(data, TEMPLATE, reps=6, seed=1)


# --------------------------------------------------------------------------- the example itself
def test_shipped_example_is_what_the_script_writes(tmp_path):
    GEN.write(tmp_path)
    for f in ("opportunities", "accounts", "leads", "headcount"):
        assert (tmp_path / f"{f}.csv").read_bytes() == (EXAMPLE / f"{f}.csv").read_bytes(), f


# --------------------------------------------------------------------------- recovery
def _dist_mean(value: dict) -> float:
    from simorg.scenario.distributions import parse_distribution

    return parse_distribution(value).mean


@pytest.mark.parametrize("seg", ["smb", "mid", "ent"])
def test_cycle_mean_recovered(cal, seg):
    mean, sd = P["segments"][seg]["cycle"]
    fit = next(f for f in cal.dist_fits if f.quantity == "cycle_days" and f.segment == seg)
    se = sd / math.sqrt(len(fit.data))
    assert abs(float(fit.candidates[0]["frozen"].mean()) - mean) < 3 * se  # the fitted distribution
    assert abs(cal.targets[f"cycle.{seg}"] - mean) < 3 * se                 # the observed mean
    # the model's cycle excludes waits for an AE or presales: the parameter is scaled so the
    # simulated created-to-close mean matches the data's
    sim = cal.corrections[-1]["sim"][f"cycle.{seg}"]
    assert abs(sim / cal.targets[f"cycle.{seg}"] - 1) < 0.03
    assert _dist_mean(cal.get(f"segments.{seg}.cycle_days")) <= cal.targets[f"cycle.{seg}"] * 1.03


@pytest.mark.parametrize("seg", ["smb", "mid", "ent"])
def test_acv_mean_recovered(cal, seg):
    mean, sd = P["segments"][seg]["acv"]
    fit = next(f for f in cal.dist_fits if f.quantity == "acv" and f.segment == seg)
    assert fit.candidates[0]["name"] in ("lognormal", "gamma")  # the truth is lognormal; gamma is close
    se = sd / math.sqrt(len(fit.data))
    assert abs(_dist_mean(cal.get(f"segments.{seg}.acv")) - mean) < 3 * se


def test_too_few_deals_keep_the_template_and_say_why(data):
    # the example's won enterprise deals cut to 16: below the 20 a fit needs
    o = data.tables["opportunities"]
    won_ent = o.index[(o["segment"] == "ent") & (o["type"] == "new") & (o["stage"] == "won")]
    assert len(won_ent) >= 20
    cut = copy.copy(data)
    cut.tables = dict(data.tables, opportunities=o.drop(won_ent[16:]))
    c = calibrate(cut, TEMPLATE, correct=False)
    assert c.get("segments.ent.acv") is None
    assert any(w == "segments.ent.acv" and "only 16" in why for w, why in c.not_fitted)


@pytest.mark.parametrize("seg", ["smb", "mid", "ent"])
def test_observed_win_rate_recovered_and_matched_by_the_model(cal, seg):
    p = P["segments"][seg]["win"]
    n = cal.target_n[f"win_rate.{seg}"]
    assert abs(cal.targets[f"win_rate.{seg}"] - p) < 3 * math.sqrt(p * (1 - p) / n)
    last = cal.corrections[-1]
    # the simulated *observed* win rate matches the data (not the model's parameter)
    assert abs(last["sim"][f"win_rate.{seg}"] - cal.targets[f"win_rate.{seg}"]) < 0.015
    assert len(cal.corrections) >= 2  # the first round did not match: a correction happened


def test_qualify_and_renewal_recovered(cal):
    q, n = cal.targets["lead_qualify_rate"], cal.target_n["lead_qualify_rate"]
    assert abs(q - P["qualify_rate"]) < 3 * math.sqrt(q * (1 - q) / n)
    for seg in ("smb", "mid", "ent"):
        p = P["segments"][seg]["renewal"]
        n = cal.target_n[f"renewal.{seg}"]
        assert abs(cal.targets[f"renewal.{seg}"] - p) < 3 * math.sqrt(p * (1 - p) / n), seg
        assert abs(cal.corrections[-1]["sim"][f"renewal.{seg}"] - cal.targets[f"renewal.{seg}"]) < 0.015


def test_lead_volume_and_growth_recovered(cal):
    for ch, c in P["channels"].items():
        v = cal.lead_volume[ch]
        true_now = c["leads"] * (1 + c["growth"]) ** GEN.MONTHS
        n = v["counts"].sum()
        assert abs(v["now"] / true_now - 1) < 3 * 2 / math.sqrt(n) + 0.02, ch  # trend end: ~2/sqrt(n)
        assert abs(cal.get(f"marketing.channels.{ch}.budget_growth_per_month") - c["growth"]) < 0.01
        # budget = volume x the template's cost per lead
        cpl = simorg.load(BASELINE).marketing.channels[ch].cost_per_lead
        assert cal.get(f"marketing.channels.{ch}.budget_per_month") == pytest.approx(v["now"] * cpl, rel=0.01)


def test_upsell_rate_recovered(cal):
    rate, n = cal.targets["expansion.upsell"], cal.target_n["expansion.upsell"]
    assert abs(rate - P["upsell_per_year"]) < 3 * rate / math.sqrt(n)
    assert cal.get("customers.expansion.cross_sell_per_year") == 0.0  # none in the data


def test_people_and_state_at_export(cal):
    people = GEN.generate()["people"]
    horizon = GEN.MONTHS * GEN.DAYS_PER_MONTH
    for role in P["headcount"]:
        now = sum(1 for x in people if x["role"] == role and x["start"] <= horizon and x["end"] is None)
        assert cal.get(f"teams.{role}.headcount") == now, role
    ib = cal.state["installed_base"]
    assert ib["count"] == cal.get("customers.initial.count") > P["initial_customers"]
    assert len(ib["accounts"]) == ib["count"]
    assert sum(cal.get("customers.initial.segment_mix").values()) == pytest.approx(1.0)
    assert cal.state["open_pipeline"]["count"] > 0


def test_explicit_state_at_export_and_at_history_start(cal):
    gen = GEN.generate()
    # at the export date: every account not churned, with its ARR today (the export's ARR column)
    alive = [a for a in gen["accounts"] if a["churn"] is None]
    acc = cal.state_accounts
    assert len(acc) == len(alive) == cal.get("customers.initial.count")
    assert acc["arr"].sum() == pytest.approx(sum(a["arr"] for a in alive), abs=len(alive) * 0.01)
    assert set(acc["segment"]) == {"smb", "mid", "ent"} and set(acc["term_months"]) == {12}
    assert (pd.to_datetime(acc["renewal_date"]) >= cal.export_date).all()  # (a date: the day it falls in)
    assert (pd.to_datetime(acc["renewal_date"]) <= cal.export_date + pd.Timedelta(days=366)).all()
    opps = cal.state_opportunities
    open_now = [o for o in gen["opportunities"] if o["type"] == "new" and o["stage"] == "open"]
    assert len(opps) == len(open_now) > 0
    # at the history start: the make_example base (180 accounts) and the migrated pipeline
    assert len(cal.history["accounts"]) == P["initial_customers"]
    migrated = [o for o in gen["opportunities"] if o["type"] == "new" and o["created"] < 0]
    assert len(cal.history["opportunities"]) == len(migrated) > 0
    assert all(o["age_days"] > 0 for o in cal.history["opportunities"])
    # ARR at the start: the export's ARR less the upsells won since = the base's ARR drawn at START
    ups: dict[str, float] = {}
    for o in gen["opportunities"]:
        if o["type"] == "upsell" and o["close"] >= 1.0:  # (dates: one closed on START's day is in)
            ups[o["account"]] = ups.get(o["account"], 0.0) + o["amount"]
    base = [a for a in gen["accounts"] if a["start"] < 0]
    start_arr = sum(a["arr"] for a in cal.history["accounts"])
    assert start_arr == pytest.approx(sum(a["arr"] - ups.get(a["account"], 0.0) for a in base), abs=len(base))


def test_no_ae_ramp_in_the_example_is_recovered(cal):
    # make_example.py gives a new AE the same deals and win chances as anyone
    assert cal.state["ae_ramp"]["lr_p"] >= 0.05
    assert cal.get("teams.ae.ramp_months") == 0.0


def test_ae_ramp_is_found_when_new_hires_win_less():
    from simorg.calibrate.fit import Calibration, _fit_ae_ramp
    from simorg.calibrate.io import CRMData

    rng = np.random.default_rng(3)
    start = pd.Timestamp("2024-01-01")
    people = pd.DataFrame({"person": [f"AE{i}" for i in range(10)], "role": "ae",
                           "start": [start - pd.Timedelta(days=800)] * 5 + [start + pd.Timedelta(days=1)] * 5})
    rows = []
    for i in range(4000):
        who = i % 10
        created = start + pd.Timedelta(days=float(rng.uniform(0, 360)))
        tenure = (created - people["start"][who]).days / (365.25 / 12)
        p = 0.3 * min(1.0, 0.3 + 0.7 * tenure / 6)  # truth: 6 months from 0.3
        rows.append({"id": str(i), "created": created, "stage": "won" if rng.random() < p else "lost",
                     "type": "new", "owner": f"AE{who}", "amount": 1.0})
    data = CRMData(tables={"opportunities": pd.DataFrame(rows), "headcount": people})
    c = Calibration(str(BASELINE), start + pd.Timedelta(days=365), start, 12)
    _fit_ae_ramp(c, data, simorg.load(BASELINE), "2024")
    assert c.state["ae_ramp"]["lr_p"] < 0.001
    assert 4 <= c.get("teams.ae.ramp_months") <= 8
    assert 0.1 <= c.get("teams.ae.ramp_start") <= 0.5


# --------------------------------------------------------------------------- output
def test_written_scenario_validates_runs_and_comments_every_value(cal, tmp_path):
    paths = write_outputs(cal, tmp_path / "out", name="northwind")
    text = paths["scenario"].read_text()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if ": " in line and not line.lstrip().startswith("#") and line.startswith("  ") \
                and not line.rstrip().endswith(":"):
            assert lines[i - 1].lstrip().startswith("#"), line  # every fitted value has its comment
    sc = simorg.load(paths["scenario"])
    assert sc.segments["smb"].win_rate == cal.get("segments.smb.win_rate")
    # the state at the export date is written next to the scenario and read back from there
    assert paths["state_accounts"].parent == paths["scenario"].parent / "state"
    assert "accounts_csv: state/accounts.csv" in text and "as_of: '2026-01-01'" in text
    init = sc.customers.initial
    assert len(init.accounts) == len(cal.state_accounts)
    assert sum(a.arr for a in init.accounts) == pytest.approx(cal.state_accounts["arr"].sum())
    assert len(init.opportunities) == len(cal.state_opportunities)
    base = simorg.load(BASELINE).customers.expansion
    assert sc.customers.expansion.cross_sell_size == base.cross_sell_size  # not fitted: template's
    run = simorg.simulate(sc.model_copy(update={"horizon_months": 6}), 1, keep_records=False)
    assert run.kpis["new_logos"] > 0
    res = CliRunner().invoke(main, ["validate", str(paths["scenario"])])
    assert res.exit_code == 0 and "ok" in res.output


# --------------------------------------------------------------------------- backtest
def test_backtest_bands_hold_about_90_percent_of_actual_months(cal, data):
    bt = run_backtest(cal, data, reps=40, seed=1)
    doc = bt.to_json()
    assert set(doc["metrics"]) == {"new_logos", "new_arr", "churned_arr", "arr"}
    # The backtest starts from the explicit state at the history start: no warm-up months
    assert bt.warmup == 0 and "180 accounts active then" in bt.notes[0]
    # Nominal 90% bands over 24 months. A 5-95% band from 40 replications holds 85.6% of the
    # model's own months (order statistics, checked below), so if the model were right the
    # months inside would be about Binomial(24, 0.856): mean 20.5, sd 1.7 months. For the flows
    # (new logos, new ARR, churned ARR: month to month nearly independent) we ask for 19 of 24
    # (79%): within one sd of that, two binomial sd (2 x 6 points) below the nominal 90%. ARR is
    # a stock: its months are strongly autocorrelated (a miss persists), so 24 months are worth
    # only a handful of independent ones (with ~6, sd ~14 points) and we ask for 70%. Seen
    # (docs/calibration.md): new logos 24/24, new ARR 24/24, churned ARR 21/24, ARR 24/24.
    for m in ("new_logos", "new_arr", "churned_arr"):
        assert bt.coverage(m) >= 19 / 24, (m, bt.coverage(m))
    assert bt.coverage("arr") >= 0.70
    # What a band of n replications holds of the model's own months (order statistics): each
    # replication left out in turn against a band of the other 39 (ARR: continuous values)
    sims = bt.sims["arr"]
    held = [((x >= np.quantile(np.delete(sims, i, 0), 0.05, axis=0))
             & (x <= np.quantile(np.delete(sims, i, 0), 0.95, axis=0))).mean() for i, x in enumerate(sims)]
    assert bt.expected_coverage() == pytest.approx(0.9 * 39 / 41)
    assert np.mean(held) == pytest.approx(0.9 * 38 / 40, abs=0.03)
    # the open pipeline at the start closes deals in the first month (an empty one closed none)
    assert bt.bounds("new_logos")[1][0] > 1
    first = np.median(bt.sims["new_logos"][:, :3].sum(axis=1))
    assert first >= 0.6 * bt.actual["new_logos"][:3].sum()


def test_backtest_command_replays_a_scenario_and_sees_an_edit(cal, data, tmp_path):
    bt = run_backtest(cal, data, reps=10, seed=1)
    paths = write_outputs(cal, tmp_path / "out", name="northwind")
    res = CliRunner().invoke(main, ["backtest", str(paths["scenario"]), str(EXAMPLE), "--reps", "10",
                                    "--json", "--out", str(tmp_path / "bt")])
    assert res.exit_code == 0, res.output
    import json

    doc = json.loads(res.output)
    assert (tmp_path / "bt" / "backtest.json").exists()
    # the written scenario replays exactly as the calibration's own backtest
    for m, v in bt.to_json()["metrics"].items():
        assert doc["metrics"][m]["median"] == pytest.approx(v["median"]), m
    # an edited scenario: half the smb win rate closes fewer smb deals, so fewer new logos
    text = paths["scenario"].read_text()
    edited = paths["scenario"].with_name("edited.yaml")
    smb = cal.get("segments.smb.win_rate")
    edited.write_text(text.replace(f"win_rate: {smb}", f"win_rate: {smb / 2}", 1), encoding="utf-8")
    res2 = CliRunner().invoke(main, ["backtest", str(edited), str(EXAMPLE), "--reps", "10", "--json"])
    assert res2.exit_code == 0, res2.output
    less = json.loads(res2.output)["metrics"]["new_logos"]["median"]
    assert sum(less) < 0.85 * sum(doc["metrics"]["new_logos"]["median"])


def test_backtest_command_bad_input_exits_2(tmp_path):
    res = CliRunner().invoke(main, ["backtest", str(tmp_path / "no.yaml"), str(EXAMPLE)])
    assert res.exit_code == 2 and "no such file" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["backtest", str(BASELINE)])
    assert res.exit_code == 2 and "no CRM export given" in res.output
    f = _write(tmp_path / "opportunities.csv", BAD)
    res = CliRunner().invoke(main, ["backtest", str(BASELINE), str(f)])
    assert res.exit_code == 2 and "'twelve' is not an amount" in res.output and "Traceback" not in res.output


# --------------------------------------------------------------------------- round trip
def test_round_trip_scenario_simulate_export_calibrate(tmp_path):
    # both the exported company and its replay start cold: an export holds no warm-up (the
    # records before month 0 are not the run's), so a warm-started original would carry a
    # pipeline and a base the replay cannot see
    sc = simorg.load(BASELINE, overrides={"horizon_months": 24, "warm_start": {"months": 0}})
    run = simorg.simulate(sc, 5)
    paths = export_run(run, sc, tmp_path / "crm")
    d = read_export(paths, export_date=export_date(run))
    c = calibrate(d, BASELINE, reps=4, seed=1)
    replay = history_scenario(c).model_copy(update={"warm_start": sc.warm_start})  # same 24 months, same start
    keys = ("win_rate", "new_deal_acv", "sales_cycle_days", "logo_renewal_rate")
    orig = {k: np.mean([simorg.simulate(sc, s, keep_records=False).kpis[k] for s in range(20, 24)]) for k in keys}
    new = {k: np.mean([simorg.simulate(replay, s, keep_records=False).kpis[k] for s in range(20, 24)]) for k in keys}
    # The calibration fits ONE exported run: its observed win rate is itself a sample of about
    # 800 opportunities, so the calibrated company can only match the original within that
    # sampling error. Tolerance: 3 binomial standard errors of the export's win rate, plus
    # 0.01 for the calibration's own simulation error (4 correction replications).
    p, n_opps = run.kpis["win_rate"], run.kpis["opportunities"]
    assert abs(new["win_rate"] - orig["win_rate"]) < 3 * math.sqrt(p * (1 - p) / n_opps) + 0.01
    assert abs(new["new_deal_acv"] / orig["new_deal_acv"] - 1) < 0.10
    assert abs(new["sales_cycle_days"] / orig["sales_cycle_days"] - 1) < 0.10
    assert abs(new["logo_renewal_rate"] - orig["logo_renewal_rate"]) < 0.04
    assert c.get("teams.ae.headcount") == int(run.kpis["headcount_end_ae"])


# --------------------------------------------------------------------------- fitting
def test_fit_distribution_picks_the_generating_family():
    rng = np.random.default_rng(7)
    chosen, cands = fit_distribution(rng.lognormal(3.0, 0.8, 3000))
    assert "lognormal" in chosen and cands[0]["ks_p"] > 0.01
    chosen, _ = fit_distribution(rng.gamma(6.0, 5.0, 3000))
    assert "gamma" in chosen
    chosen, _ = fit_distribution(rng.exponential(10.0, 3000))
    assert "exponential" in chosen or "gamma" in chosen
    assert _dist_mean(chosen) == pytest.approx(10.0, rel=0.08)


# --------------------------------------------------------------------------- recognised exports
def _write(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


def test_salesforce_and_hubspot_columns_recognised(tmp_path):
    sf = _write(tmp_path / "sf.csv", """
Id,AccountId,CreatedDate,CloseDate,StageName,Amount,Type,LeadSource,OwnerId,IsWon,IsClosed
006A,001A,2024-01-03,2024-02-10,Closed Won,12000,New Business,Web,005X,true,true
006B,001B,2024-01-05,2024-03-01,Closed Lost,9000,New Business,Web,005X,false,true
006C,001C,2024-02-05,2024-04-01,Negotiation,20000,New Business,Events,005Y,false,false
""")
    t = read_export({"opportunities": sf}).tables["opportunities"]
    assert t["stage"].tolist() == ["won", "lost", "open"]
    assert t["type"].tolist() == ["new"] * 3 and t["source"].tolist() == ["web", "web", "events"]
    hs = _write(tmp_path / "deals.csv", """
Deal ID,Create Date,Close Date,Deal Stage,Amount,Deal Type,Original Source,Deal owner
1,2024-01-03 10:00,2024-02-10 12:00,closedwon,12000,newbusiness,ORGANIC_SEARCH,Ann
2,2024-01-05 09:00,2024-03-01 08:00,closedlost,9000,existingbusiness,PAID_SEARCH,Bob
""")
    d = read_export(find_files([hs]))
    t = d.tables["opportunities"]
    assert t["stage"].tolist() == ["won", "lost"] and t["type"].tolist() == ["new", "upsell"]
    assert t["source"].tolist() == ["organic_search", "paid_search"]


def test_mapping_file_maps_other_columns(tmp_path):
    f = _write(tmp_path / "export1.csv", """
Ref,Opened,Decided,Result,Value EUR
a,2024-01-03,2024-02-10,won,"1.000"
""")
    m = _write(tmp_path / "map.yaml", """
opportunities: {id: Ref, created: Opened, close: Decided, stage: Result, amount: Value EUR}
""")
    d = read_export({"opportunities": f}, m)
    t = d.tables["opportunities"]
    assert t["stage"].iloc[0] == "won" and t["close"].iloc[0].month == 2
    bad = _write(tmp_path / "bad.yaml", "opportunities: {amount: Nope, colour: Ref}\n")
    with pytest.raises(CRMInputError) as e:
        read_export({"opportunities": f}, bad)
    assert "'opportunities.colour' is not a field" in e.value.format()


# --------------------------------------------------------------------------- bad data
BAD = """
Opportunity ID,Created Date,Close Date,Stage,Amount,Colour
O1,2024-01-03,2024-02-10,won,"$12,000",red
O2,2024-01-05,2024-01-01,lost,9000,blue
O3,2024-01-07,2024-03-01,won,twelve,red
O1,2024-13-45,2024-03-01,lost,-500,red
"""


def test_bad_rows_are_errors_naming_file_row_and_column(tmp_path):
    f = _write(tmp_path / "opportunities.csv", BAD)
    with pytest.raises(CRMInputError) as e:
        read_export({"opportunities": f})
    msg = e.value.format()
    assert f"{f}: row 4: column 'Amount': 'twelve' is not an amount" in msg
    assert f"{f}: row 5: column 'Created Date': '2024-13-45' is not a date" in msg
    assert f"{f}: row 5: column 'Amount': negative amount -500" in msg
    assert f"{f}: row 5: column 'Opportunity ID': duplicate id 'O1' (first at row 2)" in msg


def test_decorated_amounts_unknown_columns_and_close_before_create_are_warnings(tmp_path):
    f = _write(tmp_path / "opportunities.csv", "\n".join(BAD.strip().splitlines()[:3]))
    d = read_export({"opportunities": f})
    t = d.tables["opportunities"]
    assert t["amount"].tolist() == [12000.0, 9000.0]
    text = "\n".join(d.warnings)
    assert "'$12,000'" in text and "row 2" in text
    assert "column 'Colour' is not used" in text
    assert "close before they were created (first at row 3)" in text
    assert d.dropped == {"opportunities closing before created (cycle fit)": 1}


def test_cli_bad_input_exits_2_without_traceback(tmp_path):
    f = _write(tmp_path / "opportunities.csv", BAD)
    res = CliRunner().invoke(main, ["calibrate", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output and "'twelve' is not an amount" in res.output
    res = CliRunner().invoke(main, ["calibrate", str(tmp_path / "nothing.csv")])
    assert res.exit_code == 2 and "no such file" in res.output
    res = CliRunner().invoke(main, ["calibrate", str(EXAMPLE), "--template", str(tmp_path / "no.yaml")])
    assert res.exit_code == 2 and "no such file" in res.output


def test_a_subset_of_files_works_and_says_what_was_not_fitted(tmp_path):
    d = read_export({"opportunities": EXAMPLE / "opportunities.csv"})
    c = calibrate(d, BASELINE, correct=False)
    skipped = dict(c.not_fitted)
    assert "no leads file" in skipped["marketing.channels.*.budget_per_month"]
    assert "no accounts file" in skipped["segments.*.onboarding_days"]
    assert "no headcount file" in skipped["teams.*.headcount"]
    assert c.get("segments.smb.acv") is not None
    paths = write_outputs(c, tmp_path, name="subset")
    simorg.load(paths["scenario"])


def test_run_crm_csv_writes_the_first_replication(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", str(BASELINE), "--reps", "2", "--executor", "serial", "-q",
                                    "--set", "horizon_months=6", "--out", str(out), "--crm-csv"])
    assert res.exit_code == 0, res.output
    d = read_export(find_files([out / "crm"]))
    assert set(d.tables) == {"opportunities", "accounts", "leads", "headcount"}
    sc = simorg.load(BASELINE, overrides={"horizon_months": 6})
    run = simorg.simulate(sc, 1)
    won = int(np.sum(run.records.leads["state"] == "won"))
    o = d.tables["opportunities"]
    assert int(((o["type"] == "new") & (o["stage"] == "won")).sum()) == won == int(run.kpis["new_logos"])


def test_segments_and_channels_the_template_lacks(tmp_path):
    names = {"smb": "Small Business", "mid": "Mid-Market", "ent": "Enterprise"}
    for f in ("opportunities", "accounts", "leads", "headcount"):
        t = pd.read_csv(EXAMPLE / f"{f}.csv", dtype=str, keep_default_na=False)
        if "Segment" in t:
            t["Segment"] = t["Segment"].map(lambda v: names.get(v, v))
        if "Lead Source" in t:
            t["Lead Source"] = t["Lead Source"].replace({"events": "Trade Show"})
        t.to_csv(tmp_path / f"{f}.csv", index=False)
    c = calibrate(read_export(find_files([tmp_path])), BASELINE, correct=False)
    paths = write_outputs(c, tmp_path / "out")
    sc = simorg.load(paths["scenario"])
    assert {"small_business", "mid_market", "enterprise"} <= set(sc.segments)
    assert sc.marketing.channels["events"].budget_per_month == 0.0  # no leads from it in the export
    tradeshow = sc.marketing.channels["trade_show"]
    assert tradeshow.segment_mix["enterprise"] > 0 and tradeshow.segment_mix.get("ent", 0.0) == 0.0
    assert sc.customers.initial.segment_mix.get("smb", 0.0) == 0.0
    run = simorg.simulate(sc.model_copy(update={"horizon_months": 4}), 1)
    assert set(run.records.leads["segment"]) <= {"small_business", "mid_market", "enterprise"}
