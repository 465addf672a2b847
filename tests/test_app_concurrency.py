"""Thirty browsers at once on one laptop: thirty HTTP clients submit runs to one server with
two worker processes; every run completes, and the page keeps answering meanwhile."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import httpx  # noqa: E402

from simorg.app import tour  # noqa: E402

CLIENTS = 30


def test_thirty_clients_share_the_workers_and_the_page_stays_responsive():
    with tour.running_server(workers=2) as url:
        base = url.rstrip("/")
        results: dict[int, dict] = {}
        errors: list[str] = []

        def one(i: int) -> None:
            try:
                with httpx.Client(base_url=base, timeout=120) as c:
                    body = {"client": f"browser{i}", "start": "baseline", "reps": 3, "seed": 1,
                            "overrides": {"horizon_months": 6, "teams.ae.headcount": 3 + i % 7}}
                    r = c.post("/api/runs", json=body)
                    assert r.status_code == 202, r.text
                    job = r.json()["id"]
                    while True:
                        doc = c.get(f"/api/runs/{job}").json()
                        if doc["status"] not in ("queued", "running", "finishing"):
                            results[i] = doc
                            return
                        time.sleep(0.2)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(f"client {i}: {exc!r}")

        threads = [threading.Thread(target=one, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        answered_while_busy = 0
        page_ok = 0
        with httpx.Client(base_url=base, timeout=30) as probe:
            while any(t.is_alive() for t in threads):
                h = probe.get("/api/health")
                assert h.status_code == 200
                if h.json()["queued_chunks"] > 0:
                    answered_while_busy += 1
                page_ok += probe.get("/").status_code == 200
                time.sleep(0.1)
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(results) == CLIENTS
    assert all(d["status"] == "done" for d in results.values()), [d.get("error") for d in results.values()]
    # every run is a paired comparison of 3 replications except headcount 6 (= the start)
    kinds = {i: d["result"]["kind"] for i, d in results.items()}
    assert all(k == ("run" if 3 + i % 7 == 6 else "compare") for i, k in kinds.items())
    assert all(d["result"]["reps"] == 3 and d["result"]["failed"] == 0 for d in results.values())
    # the page answered while runs were waiting for workers
    assert answered_while_busy >= 1 and page_ok >= 1
