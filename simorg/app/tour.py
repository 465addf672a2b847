"""A scripted walk through the page in a real browser: the browser tests and the screenshots
in ``docs/app.md`` share it.

    PYTHONPATH=. python -m simorg.app.tour --out docs/figures            # screenshots, 1280x800
    PYTHONPATH=. python -m simorg.app.tour --out /tmp/shots --reps 4 --horizon 12   # quick

Drives the system Chromium (``/usr/bin/chromium``) through Playwright's Python API; never
downloads a browser. Needs the ``test`` extra (playwright) and the ``app`` extra.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
VIEWPORT: Any = {"width": 1280, "height": 800}
"""The projector's resolution."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(workers: int = 2, **kwargs: Any) -> Iterator[str]:
    """The page's server in a background thread of this process; yields its URL."""
    import uvicorn

    from .server import create_app

    app = create_app(workers=workers, **kwargs)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the page's server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def browser_page() -> Iterator[Any]:
    """A Chromium page at the projector's resolution (system Chromium, no download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            yield page
        finally:
            browser.close()


@dataclass
class Tour:
    """What a walk saw, for the tests to check."""

    shots: list[Path] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


def _field(path: str) -> str:
    """The CSS selector of the input bound to a scenario path."""
    return "#c-" + "".join(ch if ch.isalnum() else "-" for ch in path)


def _shot(page: Any, out: Path | None, name: str, tour: Tour) -> None:
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"app_{name}.png"
    page.screenshot(path=str(path))
    tour.shots.append(path)


def set_run_length(page: Any, reps: int, horizon: int | None) -> None:
    page.fill("#reps", str(reps))
    if horizon is not None:
        page.fill(_field("horizon_months"), str(horizon))


def wait_result(page: Any, timeout_ms: float = 240_000) -> None:
    page.wait_for_function("document.querySelector('#progress').dataset.status === 'done'",
                           timeout=timeout_ms)
    page.wait_for_selector("#main[data-result]", timeout=timeout_ms)


def explore(page: Any, url: str, out: Path | None = None, reps: int = 4, horizon: int | None = 12,
            tour: Tour | None = None) -> Tour:
    """Baseline: a bad value (error next to its control), then more AEs and a run."""
    tour = tour or Tour()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(_field("teams.ae.headcount"))
    tour.notes["labels"] = [t.strip() for t in page.locator(".ctl label").all_text_contents()]
    set_run_length(page, reps, horizon)
    _shot(page, out, "start", tour)
    ae = _field("teams.ae.headcount")
    page.fill(ae, "-1")
    err = page.locator('.err[data-err="teams.ae.headcount"]')
    err.wait_for(state="visible")
    page.wait_for_function(
        "document.querySelector('.err[data-err=\"teams.ae.headcount\"]').textContent.length > 0")
    tour.notes["error_text"] = err.inner_text()
    page.locator(".ctl.invalid").first.scroll_into_view_if_needed()
    _shot(page, out, "error", tour)
    page.fill(ae, "9")
    page.wait_for_function(
        "document.querySelector('.err[data-err=\"teams.ae.headcount\"]').textContent === ''")
    page.click('details[data-group="org"] > summary')
    page.select_option(_field("org.renewals"), "ae")
    page.click("#run")
    wait_result(page)
    tour.notes["answer"] = page.inner_text("#answer")
    tour.notes["changes"] = page.inner_text("#changes")
    tour.notes["medians"] = page.locator("svg.fan path.median").count()
    tour.notes["fan_metrics"] = [e.get_attribute("data-metric") for e in page.locator("svg.fan").all()]
    tour.notes["bars"] = page.locator("svg.bars rect.bar").count()
    tour.notes["table_rows"] = page.locator("#table table tr").count()
    tour.notes["yaml_href"] = page.get_attribute("#dl-yaml", "href")
    tour.notes["report_href"] = page.get_attribute("#dl-report", "href")
    page.evaluate("document.querySelector('#main').scrollTop = 0")
    _shot(page, out, "answer", tour)
    page.evaluate("document.querySelector('#charts').scrollIntoView()")
    _shot(page, out, "charts", tour)
    page.evaluate("document.querySelector('#table-box').scrollIntoView()")
    _shot(page, out, "comparison", tour)
    return tour


def class_mode(page: Any, url: str, mode: str = "csm_overload", out: Path | None = None, reps: int = 4,
               horizon: int | None = 12, tour: Tour | None = None) -> Tour:
    """Class mode: the symptoms of a failure mode, then the same with its mechanism off."""
    tour = tour or Tour()
    page.goto(url + "?mode=class")
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#failure-mode", mode)
    page.wait_for_selector(_field("teams.csm.headcount"))
    set_run_length(page, reps, horizon)
    page.click("#run")
    wait_result(page)
    tour.notes["symptoms_on"] = page.locator("#symptoms tr[data-kpi]").all_inner_texts()
    page.evaluate("document.querySelector('#main').scrollTop = 0")
    _shot(page, out, "class_symptoms", tour)
    page.check("#mechanism-off")
    page.evaluate("document.querySelector('#main').removeAttribute('data-result')")
    page.click("#run")
    wait_result(page)
    tour.notes["symptoms_off"] = page.locator("#symptoms tr[data-kpi]").all_inner_texts()
    tour.notes["changes_off"] = page.inner_text("#changes")
    page.evaluate("document.querySelector('#main').scrollTop = 0")
    _shot(page, out, "class_fixed", tour)
    return tour


def time_baseline_run(page: Any, url: str, reps: int = 50) -> float:
    """Seconds from pressing Run on the unchanged baseline to the answer on the page."""
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(_field("teams.ae.headcount"))
    page.fill("#seed", str(int(time.time()) % 100000))  # fresh seeds: nothing from the cache
    page.fill("#reps", str(reps))
    t0 = time.perf_counter()
    page.click("#run")
    wait_result(page, timeout_ms=900_000)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="folder for app_*.png")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--horizon", type=int, default=None, help="months (default: the scenario's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-baseline", type=int, default=0, metavar="REPS",
                    help="only time REPS replications of the baseline from the page (twice: cold, warm pool)")
    args = ap.parse_args(argv)
    if args.time_baseline:
        with running_server(workers=args.workers) as url, browser_page() as page:
            for label in ("cold pool", "warm pool"):
                secs = time_baseline_run(page, url, args.time_baseline)
                print(f"page: {args.time_baseline} baseline replications, {label}: {secs:.2f} s", flush=True)
        return
    with running_server(workers=args.workers) as url, browser_page() as page:
        t = explore(page, url, args.out, reps=args.reps, horizon=args.horizon)
        class_mode(page, url, out=args.out, reps=args.reps, horizon=args.horizon, tour=t)
    for p in t.shots:
        print(p)


if __name__ == "__main__":  # pragma: no cover
    main()
