"""The explicit state at month 0 (issue 17): the installed base and the open pipeline given as
lists or CSVs, seeded by the world; written by ``simorg calibrate``; replayed by
``simorg backtest``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import integrate, stats

import simorg
from simorg.cli import main
from simorg.model.ledger import BILLING
from simorg.model.pools import DAYS_PER_MONTH
from simorg.model.records import INITIAL
from simorg.model.traits import SEQ_BITS
from simorg.model.world import INITIAL_CODE, World, given_ids, remaining_cycle
from simorg.scenario import ScenarioError, load_dict
from simorg.scenario.distributions import parse_distribution

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
EXAMPLE = ROOT / "examples" / "crm"


def _scenario(tmp_path: Path, initial: str, csvs: dict[str, str] | None = None, extra: str = "") -> Path:
    for name, text in (csvs or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {BASELINE.as_posix()}\nname: explicit\nhorizon_months: 12\n"
                    f"customers:\n  initial:\n{initial}{extra}", encoding="utf-8")
    return path


ACCOUNTS = ("account,segment,arr,start,renewal_date,term_months,billing\n"
            "A1,smb,12000,2025-03-01,2026-03-01,12,annual\n"
            "A2,mid,40000,2024-06-15,,12,\n"
            "A3,ent,150000,2023-01-01,2027-01-01,24,quarterly\n")
OPPS = "id,segment,amount,created\nO1,smb,10000,2025-12-10\nO2,mid,30000,2025-11-01\n"


# --------------------------------------------------------------------------- the schema and CSVs
def test_state_csvs_resolve_relative_to_the_scenario_and_dates_become_days(tmp_path, monkeypatch):
    sub = tmp_path / "client"
    (sub / "state").mkdir(parents=True)
    _scenario(sub, '    as_of: "2026-01-01"\n    accounts_csv: state/accounts.csv\n'
                          "    opportunities_csv: state/opportunities.csv\n",
                     {"state/accounts.csv": ACCOUNTS, "state/opportunities.csv": OPPS})
    monkeypatch.chdir(tmp_path)  # not the scenario's folder: the paths are the file's, not the cwd's
    sc = simorg.load("client/s.yaml")
    acc = sc.customers.initial.accounts
    assert [a.id for a in acc] == ["A1", "A2", "A3"]
    assert acc[0].age_days == 306 and acc[0].renewal_in_days == 59  # 2025-03-01 and 2026-03-01 from 2026-01-01
    assert acc[1].renewal_in_days is None and acc[1].billing is None and acc[2].term_months == 24
    opp = sc.customers.initial.opportunities
    assert [(o.segment, o.amount, o.age_days) for o in opp] == [("smb", 10000, 22), ("mid", 30000, 61)]
    assert Path(sc.customers.initial.accounts_csv).is_absolute()
    # the same state written inline is the same scenario
    inline = load_dict({"extends": str(BASELINE), "name": "explicit", "horizon_months": 12,
                        "customers": {"initial": {"accounts": [a.model_dump() for a in acc],
                                                  "opportunities": [o.model_dump() for o in opp]}}})
    assert inline.customers.initial.accounts == acc and inline.customers.initial.opportunities == opp


def test_bad_state_rows_name_file_row_and_column(tmp_path):
    bad = ("account,segment,arr,start\n"
           "A1,smb,12k,2025-03-01\n"
           "A2,xx,4000,2024-13-15\n")
    path = _scenario(tmp_path, '    as_of: "2026-01-01"\n    accounts_csv: acc.csv\n', {"acc.csv": bad})
    with pytest.raises(ScenarioError) as exc:
        simorg.load(path)
    where = {(p.line, p.column): p.message for p in exc.value.problems}
    assert all(p.file.endswith("acc.csv") for p in exc.value.problems)
    assert "column 'arr'" in where[(2, 3)] and "12k" in where[(2, 3)]
    assert "column 'start'" in where[(3, 4)] and "not a date" in where[(3, 4)]
    assert "column 'segment'" in where[(3, 2)] and "'xx' is not a segment" in where[(3, 2)]
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output and "acc.csv:2:3" in res.output


def test_unknown_column_missing_column_missing_file_and_dates_without_as_of(tmp_path):
    for text, needle in (("account,segment,arr,colour\nA1,smb,1,red\n", "column 'colour' is not known"),
                         ("account,arr\nA1,100\n", "missing column 'segment'"),
                         ("account,segment,arr,start\nA1,smb,100,2025-01-01\n", "needs customers.initial.as_of")):
        path = _scenario(tmp_path, "    accounts_csv: acc.csv\n", {"acc.csv": text})
        with pytest.raises(ScenarioError, match=needle):
            simorg.load(path)
    path = _scenario(tmp_path, "    accounts_csv: nowhere.csv\n")
    with pytest.raises(ScenarioError, match="no such file"):
        simorg.load(path)
    with pytest.raises(ScenarioError, match=r"accounts\[0\].segment 'xx' is not a segment"):
        load_dict({"extends": str(BASELINE), "name": "x", "customers": {"initial": {
            "accounts": [{"segment": "xx", "arr": 5}]}}})


# --------------------------------------------------------------------------- the world
def _given(n_accounts: int = 0, opps: list[dict] | None = None, **customers) -> simorg.Scenario:
    accounts = [{"segment": ("smb", "mid", "ent")[i % 3], "arr": 1000.0 * (i + 1), "age_days": 30.0 * i}
                for i in range(n_accounts)]
    return load_dict({"extends": str(BASELINE), "name": "given", "horizon_months": 12,
                      "customers": {"initial": {"accounts": accounts, "opportunities": opps or [],
                                                **customers}}})


def test_given_accounts_are_the_base_at_month_0_and_the_warm_start_is_skipped():
    sc = _given(30)
    assert sc.warm_start.months > 0 and sc.customers.initial.count > 0  # both replaced by the given state
    world = World(sc, 1)
    assert world.warm_months == 0 and world.env.now == 0
    rec = world.run()
    ev = rec.arr_events
    init = ev["kind"] == INITIAL
    assert int(init.sum()) == 30
    assert float(ev["delta"][init].sum()) == pytest.approx(sum(1000.0 * (i + 1) for i in range(30)))
    assert np.all(ev["t"][init] == 0.0)
    # every given account signed at 0 with its segment (without ids of their own: in the given order)
    acc = rec.accounts
    first = acc["signed"] == 0.0
    assert acc["segment"][first].tolist() == [("smb", "mid", "ent")[i % 3] for i in range(30)]


def test_reordering_the_state_files_rows_changes_nothing(tmp_path):
    # accounts and deals with ids of their own are keyed by them (not by row), and seeded in id order
    lines = ACCOUNTS.splitlines()
    olines = OPPS.splitlines()
    state = '    as_of: "2026-01-01"\n    accounts_csv: acc.csv\n    opportunities_csv: opp.csv\n'
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = _scenario(tmp_path / "a", state, {"acc.csv": ACCOUNTS, "opp.csv": OPPS})
    b = _scenario(tmp_path / "b", state, {"acc.csv": "\n".join([lines[0], *reversed(lines[1:])]) + "\n",
                                          "opp.csv": "\n".join([olines[0], *reversed(olines[1:])]) + "\n"})
    ka = simorg.simulate(simorg.load(a), 4, keep_records=False).kpis
    kb = simorg.simulate(simorg.load(b), 4, keep_records=False).kpis
    assert ka == pytest.approx(kb, nan_ok=True)
    ids, order = given_ids(["A1", "A2", "A1"], INITIAL_CODE)
    assert len(set(ids.tolist())) == 3 and ids[0] >> np.uint64(SEQ_BITS) == INITIAL_CODE


def test_given_renewal_dates_are_when_the_renewals_are_decided():
    accounts = [{"segment": "smb", "arr": 10000.0, "renewal_in_days": d} for d in (10.0, 100.0, 200.0)]
    sc = load_dict({"extends": str(BASELINE), "name": "renewals", "horizon_months": 12,
                    "customers": {"initial": {"accounts": accounts}}})
    rec = simorg.simulate(sc, 3).records
    r = rec.renewals
    ids, _ = given_ids([None] * 3, INITIAL_CODE)  # accounts without an id of their own: by position
    for i, d in enumerate((10.0, 100.0, 200.0)):
        aid = int(ids[i])
        times = r["t"][r["account"] == aid]
        assert times.size >= 1 and times.min() == pytest.approx(d), (i, times)


def test_given_term_and_billing_make_the_invoices():
    sc = load_dict({"extends": str(BASELINE), "name": "billing", "horizon_months": 12,
                    "customers": {"expansion": {"upsell_per_year": 0, "cross_sell_per_year": 0},
                                  "renewal": {"contraction_chance": 0},
                                  "initial": {"accounts": [
                        {"segment": "ent", "arr": 120000.0, "term_months": 24, "billing": "quarterly",
                         "renewal_in_days": 500.0}]}}})
    rec = simorg.simulate(sc, 1).records
    led = rec.ledger
    mine = (led["kind"] == BILLING) & (led["account"] == int(given_ids([None], INITIAL_CODE)[0][0]))
    t = np.sort(led["t"][mine])
    # the term started 730.5 - 500 days before month 0: quarters from there, each a quarter's ARR
    start = 500.0 - 24 * DAYS_PER_MONTH
    expected = [start + k * 3 * DAYS_PER_MONTH for k in range(8) if 0 <= start + k * 3 * DAYS_PER_MONTH < 12 * DAYS_PER_MONTH]
    assert t.tolist() == pytest.approx(expected)
    assert led["amount"][mine] == pytest.approx(np.full(len(expected), 120000.0 * 3 * DAYS_PER_MONTH / 365.25))


@pytest.mark.parametrize("age", [0.0, 20.0, 60.0, 150.0])
def test_remaining_cycle_is_the_cycle_given_its_age(age):
    # analytic: E[C - a | C > a] for the lognormal cycle, against the mean of the rule over a u grid
    dist = parse_distribution({"lognormal": {"mean": 60, "sd": 30}})
    s2 = np.log1p(0.25)
    law = stats.lognorm(np.sqrt(s2), 0, 60 * np.exp(-s2 / 2))
    expected = integrate.quad(lambda x: law.sf(x), age, np.inf)[0] / law.sf(age)
    u = (np.arange(4000) + 0.5) / 4000
    got = np.mean([remaining_cycle(dist, age, x) for x in u])
    assert got == pytest.approx(expected, rel=0.02)
    # memoryless: an exponential cycle's rest has the same mean at any age
    expo = parse_distribution({"exponential": {"mean": 40}})
    assert np.mean([remaining_cycle(expo, age, x) for x in u]) == pytest.approx(40.0, rel=0.02)


def test_given_open_opportunities_are_worked_from_month_0():
    opps = [{"segment": "smb", "amount": 9000.0, "age_days": float(a)} for a in range(0, 60, 2)]
    sc = _given(0, opps)
    rec = simorg.simulate(sc, 2).records
    ld = rec.leads
    given = ld["channel"] == "open_pipeline"
    assert int(given.sum()) == len(opps)  # every given deal is in the records ...
    decided = given & np.isin(ld["state"], ["won", "lost"])
    assert decided.sum() >= 25  # ... and nearly all decided within the year (smb cycles ~30 days)
    assert np.all(ld["closed_t"][decided] >= 0) and np.all(ld["created"][given] <= 0)
    assert np.all(ld["acv"][given] == 9000.0)
    won = given & (ld["state"] == "won")
    assert 0 < won.sum() < decided.sum()


def test_a_scenario_without_an_explicit_state_keeps_its_warm_start():
    sc = simorg.load(BASELINE)
    world = World(sc, 1)
    assert world.warm_months == sc.warm_start.months > 0
