"""The page's pieces without a browser: controls from the schema, validation messages,
the fair job queue, the cache, results equal to ``simorg.compare``, generic charts, and
that the core install never imports the app."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

import simorg  # noqa: E402
from simorg.app.controls import (  # noqa: E402
    build_controls,
    control_for_problem,
    flatten,
    what_changed,
)
from simorg.app.jobs import Dispatcher  # noqa: E402
from simorg.app.results import chart_data, split_role  # noqa: E402
from simorg.app.server import create_app  # noqa: E402
from simorg.experiment.results import ReplicationResult  # noqa: E402
from simorg.scenario import introspect  # noqa: E402
from simorg.scenario.schema import AETeam, Org, Scenario  # noqa: E402
from tests.conftest import ROOT, fake_simulate  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def baseline_doc() -> dict[str, Any]:
    return simorg.load(BASELINE).model_dump(mode="json")


def _controls(doc: dict[str, Any]) -> dict[str, Any]:
    return {c.path: c for g in build_controls(doc) for c in g.controls}


# --------------------------------------------------------------------------- controls
def test_controls_take_help_bounds_and_choices_from_the_schema(baseline_doc):
    ctl = _controls(baseline_doc)
    hc = ctl["teams.ae.headcount"]
    field = AETeam.model_fields["headcount"]
    assert hc.help == field.description
    assert (hc.kind, hc.minimum, hc.maximum, hc.value) == ("int", 0, 100000, baseline_doc["teams"]["ae"]["headcount"])
    assert hc.label == "AEs: headcount"
    h = ctl["horizon_months"]
    assert (h.minimum, h.maximum) == (1, 240)
    assert h.help == Scenario.model_fields["horizon_months"].description
    ren = ctl["org.renewals"]
    assert ren.kind == "choice"
    assert ren.choices == introspect.literal_choices(introspect._annotation(Org.model_fields["renewals"]))
    share = ctl["teams.ae.commission_rate"]
    assert (share.minimum, share.maximum) == (0, 1)
    gt = ctl["teams.csm.touches_per_month"]
    assert gt.exclusive_min and gt.minimum == 0
    assert ctl["teams.ae.plan"].kind == "yaml"
    assert ctl["org.key_account_arr"].optional
    # every channel's budget is a control, named by its channel
    for ch in baseline_doc["marketing"]["channels"]:
        assert f"marketing.channels.{ch}.budget_per_month" in ctl


def test_org_and_behaviour_groups_list_every_simple_field(baseline_doc):
    """A rule or switch added to the schema appears without a change to the page."""
    ctl = _controls(baseline_doc)
    for name, f in Org.model_fields.items():
        simple = introspect.literal_choices(f.annotation) or introspect.strip(f.annotation) in (bool, int, float)
        if simple:
            assert f"org.{f.alias or name}" in ctl, name
    for section, body in baseline_doc["behaviour"].items():
        for key, value in body.items():
            if isinstance(value, bool | int | float):
                assert f"behaviour.{section}.{key}" in ctl


def test_what_changed_and_problem_to_control():
    a = {"teams": {"ae": {"headcount": 6, "plan": [{"month": 6, "headcount": 7}]}}, "org": {"renewals": "csm"}}
    b = {"teams": {"ae": {"headcount": 9, "plan": [{"month": 6, "headcount": 7}]}}, "org": {"renewals": "ae"}}
    assert what_changed(a, b) == [{"path": "org.renewals", "before": "csm", "after": "ae"},
                                  {"path": "teams.ae.headcount", "before": 6, "after": 9}]
    assert flatten(a)["teams.ae.plan"] == [{"month": 6, "headcount": 7}]
    paths = {"teams.ae.plan", "teams.ae.headcount"}
    assert control_for_problem("teams.ae.plan[0].month", paths) == "teams.ae.plan"
    assert control_for_problem("teams.ae.headcount", paths) == "teams.ae.headcount"
    assert control_for_problem("org.renewals", paths) is None


# --------------------------------------------------------------------------- HTTP (no workers)
@pytest.fixture()
def client():
    app = create_app(workers=2, simulate_fn=fake_simulate, executor=ThreadPoolExecutor(2))
    with TestClient(app) as c:
        yield c


def test_validate_gives_the_messages_of_simorg_validate_next_to_controls(client):
    over = {"teams.ae.headcount": "-1", "org.renewals": "nobody", "teams.ae.plan": "[{month: x, headcount: 3}]"}
    r = client.post("/api/validate", json={"start": "baseline", "overrides": over})
    doc = r.json()
    assert r.status_code == 200 and doc["ok"] is False
    with pytest.raises(simorg.ScenarioError) as exc:
        simorg.load(BASELINE, overrides=over)
    assert sorted(p["text"] for p in doc["problems"]) == sorted(exc.value.messages)
    by_control = {p["control"] for p in doc["problems"]}
    assert by_control == {"teams.ae.headcount", "org.renewals", "teams.ae.plan"}
    ok = client.post("/api/validate", json={"start": "baseline", "overrides": {"teams.ae.headcount": 8}}).json()
    assert ok["ok"] and ok["changes"] == [{"path": "teams.ae.headcount", "before": 6, "after": 8}]
    bad = client.post("/api/runs", json={"start": "baseline", "overrides": over, "reps": 3})
    assert bad.status_code == 422 and len(bad.json()["problems"]) == 3
    assert client.post("/api/runs", json={"start": "nope", "reps": 3}).status_code == 400
    assert client.post("/api/runs", json={"start": "baseline", "reps": 1}).status_code == 422


def _wait(client: TestClient, job: str) -> dict[str, Any]:
    for _ in range(600):
        doc = client.get(f"/api/runs/{job}").json()
        if doc["status"] in ("done", "failed"):
            return doc
        time.sleep(0.05)
    raise AssertionError("run did not finish")


def test_run_compares_with_the_start_and_offers_yaml(client):
    over = {"teams.ae.headcount": 10, "horizon_months": 12}
    r = client.post("/api/runs", json={"client": "t", "start": "baseline", "overrides": over, "reps": 6})
    assert r.status_code == 202
    doc = _wait(client, r.json()["id"])
    assert doc["status"] == "done", doc.get("error")
    res = doc["result"]
    assert res["kind"] == "compare" and res["reps"] == 6
    assert "compared with <b>baseline</b>" in res["answer"]
    assert [f["metric"] for f in res["charts"]["fans"]] == ["arr"]  # fake runs have no cash
    assert doc["changes"] == [{"path": "teams.ae.headcount", "before": 6, "after": 10}]
    # fake_simulate: more AEs -> more ARR in every replication, so the paired verdict is "better"
    assert res["json"]["kpis"]["arr_end"]["verdict"] == "better"
    y = client.get(f"/api/runs/{doc['id']}/scenario.yaml")
    assert y.status_code == 200
    import yaml

    from simorg.scenario import load_dict

    sc = load_dict(yaml.safe_load(y.text))
    assert sc.teams.ae.headcount == 10 and sc.horizon_months == 12
    # no change at all: a plain run of the start
    r2 = client.post("/api/runs", json={"client": "t", "start": "baseline", "overrides": {"horizon_months": 12}, "reps": 6})
    doc2 = _wait(client, r2.json()["id"])
    assert doc2["result"]["kind"] == "run"


def test_class_mode_reads_symptoms_with_the_gallery_rule():
    app = create_app(workers=2, executor=ThreadPoolExecutor(2))  # the real model
    with TestClient(app) as client:
        _class_mode(client)


def _class_mode(client: TestClient) -> None:
    body = {"client": "c", "class": {"failure_mode": "csm_overload", "mechanism_off": True},
            "overrides": {"horizon_months": 12}, "reps": 4}
    v = client.post("/api/validate", json=body).json()
    assert v["ok"]
    r = client.post("/api/runs", json=body)
    doc = _wait(client, r.json()["id"])
    sym = doc["result"]["symptoms"]
    assert [s["kpi"] for s in sym] == [s.kpi for s in simorg.experiment.gallery.get("csm_overload").symptoms]
    bad = client.post("/api/runs", json={**body, "class": {"failure_mode": "csm_overlord"}})
    assert bad.status_code == 400 and "did you mean 'csm_overload'" in bad.json()["error"]


# --------------------------------------------------------------------------- the queue
class HeldExecutor(Executor):
    """Records submissions; each completes only when the test releases it."""

    def __init__(self) -> None:
        self.submitted: list[tuple[Future, tuple[Any, ...]]] = []
        self.lock = threading.Lock()

    def submit(self, fn, *args, **kwargs):  # type: ignore[override]
        fut: Future = Future()
        with self.lock:
            self.submitted.append((fut, (fn, *args)))
        return fut

    def release(self, i: int) -> None:
        fut, (fn, *args) = self.submitted[i]
        fut.set_result(fn(*args))


def _until(cond, timeout: float = 10.0) -> None:
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def test_fair_order_a_small_run_is_not_stuck_behind_a_big_one():
    sc = simorg.load(BASELINE, overrides={"horizon_months": 3})
    ex = HeldExecutor()
    done: list[str] = []
    d = Dispatcher(1, lambda job: done.append(job.id), executor=ex, simulate_fn=fake_simulate)
    try:
        big = d.submit("alice", {"a": sc}, list(range(1, 41)))  # 40 seeds -> 8 chunks of 5
        _until(lambda: len(ex.submitted) == 2)  # two chunks in flight per worker
        small = d.submit("bob", {"a": sc.model_copy(update={"name": "b"})}, [1, 2])
        ex.release(0)
        _until(lambda: len(ex.submitted) == 3)
        assert d.order[2] == ("bob", small.id)  # bob goes next, not after alice's 8 chunks
        released = {0}
        while not (big.status == "done" and small.status == "done"):
            for i in range(len(ex.submitted)):
                if i not in released:
                    released.add(i)
                    ex.release(i)
            time.sleep(0.01)
        _until(lambda: big.status == "done" and small.status == "done")
        assert big.done == 40 and small.done == 2
        # the same job again comes entirely from the cache: no new work
        n = len(ex.submitted)
        again = d.submit("carol", {"a": sc}, list(range(1, 41)))
        assert again.status == "done" and len(ex.submitted) == n
        assert again.records["a"][7]["kpis"] == big.records["a"][7]["kpis"]
    finally:
        d.close()


def test_a_newer_run_supersedes_the_same_clients_waiting_one():
    sc = simorg.load(BASELINE, overrides={"horizon_months": 3})
    ex = HeldExecutor()
    d = Dispatcher(1, lambda job: None, executor=ex, simulate_fn=fake_simulate)
    try:
        first = d.submit("alice", {"a": sc}, list(range(1, 41)))
        _until(lambda: len(ex.submitted) == 2)
        second = d.submit("alice", {"b": sc.model_copy(update={"name": "b"})}, [1, 2])
        assert first.status == "superseded"
        ex.release(0)
        _until(lambda: len(ex.submitted) == 3)
        assert d.order[2] == ("alice", second.id)
        assert d.pending() == 1  # only the second run's other chunk waits; the first run's were dropped
    finally:
        d.close()


def test_replications_equal_simorg_compare():
    """The page's numbers are the library's: same seeds, same records, same verdicts."""
    a = simorg.load(BASELINE, overrides={"horizon_months": 6})
    b = simorg.load(BASELINE, overrides={"horizon_months": 6, "teams.ae.headcount": 9})
    b = b.model_copy(update={"name": "more_aes"})
    finished = threading.Event()
    d = Dispatcher(2, lambda job: finished.set(), executor=ThreadPoolExecutor(2))
    try:
        job = d.submit("x", {a.name: a, b.name: b}, [5, 6, 7])
        assert finished.wait(120)
    finally:
        d.close()
    ref = simorg.compare(a, b, reps=3, seed=5, executor="serial")
    mine = ReplicationResult(b.name, 5, list(job.records[b.name].values()))
    for rec_ref, rec in zip(ref.b.records, mine.records, strict=True):
        assert rec_ref["kpis"] == rec["kpis"]
        assert rec_ref["monthly"] == rec["monthly"]


# --------------------------------------------------------------------------- generic charts
def _rec(seed: int, monthly: dict[str, list[float]]) -> dict[str, Any]:
    return {"arm": "x", "seed": seed, "error": None, "kpis": {"utilization_ae": 0.5},
            "monthly": monthly, "distributions": {}, "elapsed": 0.0}


def test_cash_fan_and_hours_by_work_appear_when_the_model_writes_them():
    months = 4
    recs = [_rec(s, {"arr": list(np.arange(months) + s), "cash": [1e6 - 1e5 * m * s for m in range(months)],
                     "hours_ae_new_business": [100.0] * months, "hours_ae_renewals": [20.0] * months,
                     "hours_renewal_specialist_renewals": [50.0] * months,
                     "utilization_ae": [0.5] * months, "leads": [10.0] * months})
            for s in range(1, 6)]
    arm = ReplicationResult("x", 1, recs)
    ch = chart_data([arm], ["ae", "renewal_specialist"])
    assert [f["metric"] for f in ch["fans"]] == ["arr", "cash"]
    cash = ch["fans"][1]["arms"]["x"]
    assert cash["q50"][3] == pytest.approx(np.median([1e6 - 3e5 * s for s in range(1, 6)]))
    assert cash["q05"][3] <= cash["q25"][3] <= cash["q50"][3] <= cash["q75"][3] <= cash["q95"][3]
    hours = {h["role"]: h["work"] for h in ch["hours"]}
    assert hours["ae"]["new_business"]["x"] == pytest.approx(400.0)
    assert hours["renewal_specialist"] == {"renewals": {"x": pytest.approx(200.0)}}
    assert ch["funnel"][0]["values"]["x"] == pytest.approx(40.0)
    assert split_role("renewal_specialist_renewals", ["ae", "renewal_specialist"]) == ("renewal_specialist", "renewals")
    # without those columns, no cash chart and no hours chart
    plain = chart_data([ReplicationResult("x", 1, [_rec(1, {"arr": [1.0, 2.0]})])], ["ae"])
    assert [f["metric"] for f in plain["fans"]] == ["arr"] and plain["hours"] == []


# --------------------------------------------------------------------------- install weight
def test_core_and_other_commands_do_not_import_the_app():
    code = ("import sys, simorg, simorg.cli; simorg.load; "
            "from click.testing import CliRunner; CliRunner().invoke(simorg.cli.main, ['validate', '--help']); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'playwright') "
            "or m.startswith('simorg.app')]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_app_command_options():
    from click.testing import CliRunner

    from simorg.cli import main

    out = CliRunner().invoke(main, ["app", "--help"]).output
    for opt in ("--port", "--workers", "--no-browser", "--host"):
        assert opt in out


def test_old_finished_runs_are_forgotten(monkeypatch):
    import simorg.app.jobs as jobs

    monkeypatch.setattr(jobs, "MAX_JOBS", 2)
    sc = simorg.load(BASELINE, overrides={"horizon_months": 3})
    d = Dispatcher(1, lambda job: None, executor=ThreadPoolExecutor(1), simulate_fn=fake_simulate)
    try:
        ids = []
        for i in range(4):
            job = d.submit(f"c{i}", {"a": sc}, [1, 2])
            _until(lambda job=job: job.status == "done")
            ids.append(job.id)
        assert list(d.jobs) == ids[-2:]  # the newest MAX_JOBS runs are kept
    finally:
        d.close()


def test_simorg_app_prints_its_url_and_serves_the_page():
    import httpx

    from simorg.app.tour import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "simorg", "app", "--no-browser", "--port", str(port),
                             "--workers", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        for _ in range(200):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.status_code == 200 and "/static/app.js" in r.text and "http" not in r.text
        js = httpx.get(f"http://127.0.0.1:{port}/static/app.js", timeout=5).text
        assert "http" not in js.replace("http://www.w3.org/2000/svg", "")  # offline: no CDN
    finally:
        proc.terminate()
        proc.wait(timeout=30)
