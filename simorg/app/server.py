"""The web server: a Starlette application over the public API and one shared worker pool.

Endpoints (JSON unless named otherwise)::

    GET  /                         the page (HTML; scripts and styles from /static, no CDN)
    GET  /api/scenarios            shipped scenarios and the failure-mode gallery
    GET  /api/controls?start=ID    the controls of a scenario, read from the schema
    POST /api/validate             {start, overrides, class?} -> problems by control, warnings, what changed
    POST /api/runs                 {client, start, overrides, reps, seed, class?} -> {id} (422: problems)
    GET  /api/runs/ID              progress, then the result (answer, tables, chart data)
    GET  /api/runs/ID/scenario.yaml   the scenario that ran (your version), as YAML
    GET  /api/runs/ID/report.html     the run as the HTML report (simorg.report)
    GET  /api/health               answers at once, whatever is running

``start`` is a scenario id: a path under ``scenarios/`` without ``.yaml``
(``baseline``, ``failure_modes/csm_overload``). ``class`` turns on class mode:
``{"failure_mode": NAME, "mechanism_off": bool}``: the reference arm is the healthy
baseline, the other arm the failure mode with the person's changes, and with
``mechanism_off`` the gallery's switch is applied to both arms (as ``simorg demo`` does).

Handlers that load scenarios are plain functions, which Starlette runs in a thread pool;
replications run in worker processes; so the event loop stays free while jobs run.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import threading
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..experiment import gallery
from ..experiment.outdir import clean_json, write_outputs
from ..experiment.results import MultiComparison, ReplicationResult
from ..scenario import ScenarioError, dump, load, semantic_warnings
from .controls import build_controls, control_for_problem, controls_json, flatten, what_changed
from .jobs import Dispatcher, Job
from .results import build_result

STATIC = Path(__file__).parent / "static"
MAX_REPS = 1000
MAX_CLIENT_ID = 64


class BadRequest(ValueError):
    """A request the page should not send (unknown scenario, reps out of range...)."""


def scenario_ids(root: Path) -> list[dict[str, Any]]:
    """Every ``*.yaml`` under ``root`` and ``root/failure_modes`` as ``{id, title, kind}``."""
    out = []
    for p in sorted(root.glob("*.yaml")):
        out.append({"id": p.stem, "title": p.stem.replace("_", " "), "kind": "scenario"})
    for p in sorted((root / "failure_modes").glob("*.yaml")):
        mode = gallery.FAILURE_MODES.get(p.stem)
        out.append({"id": f"failure_modes/{p.stem}",
                    "title": mode.title if mode else p.stem.replace("_", " "),
                    "kind": "failure_mode"})
    return out


def _read_json_value(text: Any) -> str:
    """An override value as ``--set`` text (the scenario layer converts it by field type)."""
    if isinstance(text, bool):
        return "true" if text else "false"
    if text is None:
        return "null"
    if isinstance(text, int | float):
        return repr(text)
    return str(text)


class AppState:
    """Scenario folder, dispatcher and job bookkeeping shared by all requests."""

    def __init__(self, scenarios: Path | None = None, workers: int = 2,
                 simulate_fn: Any = None, executor: Any = None) -> None:
        self.root = Path(scenarios) if scenarios is not None else gallery.SCENARIOS
        self.workdir = Path(tempfile.mkdtemp(prefix="simorg-app-"))
        self.report_lock = threading.Lock()
        self.dispatcher = Dispatcher(workers, self._complete, executor=executor, simulate_fn=simulate_fn)
        self._start_cache: dict[str, Any] = {}

    # ------------------------------------------------------------ scenarios
    def path_of(self, start: Any) -> Path:
        known = {s["id"] for s in scenario_ids(self.root)}
        if not isinstance(start, str) or start not in known:
            raise BadRequest(f"unknown scenario {start!r}; known: {', '.join(sorted(known))}")
        return self.root / f"{start}.yaml"

    def start_scenario(self, start: str) -> Any:
        """The scenario a person starts from, loaded once."""
        if start not in self._start_cache:
            self._start_cache[start] = load(self.path_of(start))
        return self._start_cache[start]

    def arms_for(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], Any, Any, gallery.FailureMode | None]:
        """(arms, start scenario, your scenario, failure mode) for a request; raises ScenarioError."""
        overrides = body.get("overrides") or {}
        if not isinstance(overrides, Mapping):
            raise BadRequest("overrides must be a mapping of dotted.key -> value")
        text = {str(k).strip(): _read_json_value(v) for k, v in overrides.items() if str(k).strip()}
        cls = body.get("class") or None
        horizon = text.pop("horizon_months", None)
        common = {"horizon_months": horizon} if horizon is not None else {}
        if cls:  # class mode: healthy baseline vs the failure mode (with the person's changes)
            mode = gallery.get(str(cls.get("failure_mode")))
            if cls.get("mechanism_off"):
                common.update({k: _read_json_value(v) for k, v in mode.mechanism_off.items()})
            start = load(mode.path, overrides=common or None)
            mine = load(mode.path, overrides={**common, **text} or None)
            base = load(self.root / "baseline.yaml", overrides=common or None)
            mine = mine.model_copy(update={"name": f"{mode.name} (yours)" if text else mode.name})
            return {base.name: base, mine.name: mine}, start, mine, mode
        sid = body.get("start")
        if sid is None:
            raise BadRequest("no scenario given (start)")
        start = self.start_scenario(str(sid)) if not common else load(self.path_of(sid), overrides=common)
        if not text:
            return {start.name: start}, start, start, None
        mine = load(self.path_of(sid), overrides={**common, **text})
        if mine == start:  # values typed back to the start's: nothing to compare
            return {start.name: start}, start, start, None
        mine = mine.model_copy(update={"name": f"{start.name} (yours)"})
        return {start.name: start, mine.name: mine}, start, mine, None

    # ------------------------------------------------------------ finishing
    def _complete(self, job: Job) -> None:
        arms = [ReplicationResult(sc.name, job.seeds[0], list(job.records[label].values()), label=label)
                for label, sc in job.arms.items()]
        roles = list(job.meta.get("roles") or [])
        job.result = clean_json(build_result(arms, job.arms, roles, job.meta.get("mode")))

    def write_report(self, job: Job) -> Path:
        """The run's results folder and HTML report (built once, on first download)."""
        with self.report_lock:
            out = self.workdir / job.id
            html = out / "report.html"
            if html.exists():
                return html
            arms = [ReplicationResult(sc.name, job.seeds[0], list(job.records[label].values()), label=label)
                    for label, sc in job.arms.items()]
            doc = MultiComparison(arms, None).to_json() if len(arms) > 1 else arms[0].to_json()
            write_outputs(out, doc, arms, job.arms)
            from ..report import write_report

            return write_report(out)


def problems_json(err: ScenarioError, paths: set[str]) -> list[dict[str, Any]]:
    """Each problem with its message as ``simorg validate`` prints it and the control it belongs to."""
    return [{"path": p.path, "control": control_for_problem(p.path, paths), "message": p.message,
             "text": p.format()} for p in err.problems]


def _change_rows(start: Any, mine: Any) -> list[dict[str, Any]]:
    return clean_json(what_changed(start.model_dump(mode="json"), mine.model_dump(mode="json")))


def create_app(scenarios: Path | None = None, workers: int = 2, simulate_fn: Any = None,
               executor: Any = None) -> Starlette:
    """The Starlette application (``app.state.simorg`` holds the shared :class:`AppState`)."""
    state = AppState(scenarios, workers, simulate_fn, executor)

    def index(request: Request) -> Response:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    def health(request: Request) -> Response:
        d = state.dispatcher
        return JSONResponse({"ok": True, "workers": d.workers, "queued_chunks": d.pending(),
                             "jobs": len(d.jobs)})

    def scenarios_ep(request: Request) -> Response:
        modes = [{"name": m.name, "title": m.title, "source": m.source, "mechanism": m.mechanism,
                  "mechanism_off": m.mechanism_off, "story": m.story(),
                  "symptoms": [{"kpi": s.kpi, "label": s.label, "expected": "up" if s.direction > 0 else "down"}
                               for s in m.symptoms]}
                 for m in gallery.FAILURE_MODES.values() if m.path.exists()]
        return JSONResponse({"scenarios": scenario_ids(state.root), "failure_modes": modes})

    def controls_ep(request: Request) -> Response:
        start = request.query_params.get("start", "baseline")
        mode = request.query_params.get("failure_mode")
        try:
            sc = load(gallery.get(mode).path) if mode else state.start_scenario(start)
        except (BadRequest, gallery.UnknownFailureMode) as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except ScenarioError as exc:
            return JSONResponse({"error": exc.format()}, status_code=422)
        doc = sc.model_dump(mode="json")
        return JSONResponse(clean_json({"name": sc.name, "description": sc.description,
                                        "groups": controls_json(build_controls(doc)),
                                        "settings": flatten(doc)}))

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise BadRequest("the request body must be JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        return body

    def _paths(body: Mapping[str, Any]) -> set[str]:
        return {str(k) for k in (body.get("overrides") or {})}

    def validate_sync(body: dict[str, Any]) -> Response:
        try:
            arms, start, mine, _mode = state.arms_for(body)
        except ScenarioError as exc:
            return JSONResponse({"ok": False, "problems": problems_json(exc, _paths(body))})
        except (BadRequest, gallery.UnknownFailureMode) as exc:
            return JSONResponse({"ok": False, "problems": [{"path": "", "control": None, "message": str(exc),
                                                            "text": str(exc)}]}, status_code=400)
        return JSONResponse({"ok": True, "problems": [], "warnings": [str(w) for w in semantic_warnings(mine)],
                             "changes": _change_rows(start, mine)})

    async def validate_ep(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        try:
            body = await body_of(request)
        except BadRequest as exc:
            return JSONResponse({"ok": False, "problems": [{"path": "", "control": None, "message": str(exc),
                                                            "text": str(exc)}]}, status_code=400)
        return await run_in_threadpool(validate_sync, body)

    def submit_sync(body: dict[str, Any]) -> Response:
        try:
            reps = int(body.get("reps", 20))
            seed = int(body.get("seed", 1))
        except (TypeError, ValueError):
            return JSONResponse({"error": "reps and seed must be whole numbers"}, status_code=400)
        if not 2 <= reps <= MAX_REPS:
            return JSONResponse({"error": f"replications must be between 2 and {MAX_REPS}, got {reps}",
                                 "problems": [{"path": "reps", "control": "reps",
                                               "message": f"between 2 and {MAX_REPS}",
                                               "text": f"replications: between 2 and {MAX_REPS}, got {reps}"}]},
                                status_code=422)
        client = re.sub(r"[^A-Za-z0-9_-]", "", str(body.get("client") or "anonymous"))[:MAX_CLIENT_ID] or "anonymous"
        try:
            arms, start, mine, mode = state.arms_for(body)
        except ScenarioError as exc:
            return JSONResponse({"error": exc.format(), "problems": problems_json(exc, _paths(body))},
                                status_code=422)
        except (BadRequest, gallery.UnknownFailureMode) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        meta = {"mode": mode, "roles": list(mine.teams.model_dump()),
                "changes": _change_rows(start, mine), "start": body.get("start"),
                "yaml_name": mine.name}
        job = state.dispatcher.submit(client, arms, [seed + i for i in range(reps)], meta)
        return JSONResponse({"id": job.id, "total": job.total}, status_code=202)

    async def submit_ep(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        try:
            body = await body_of(request)
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return await run_in_threadpool(submit_sync, body)

    def _job(request: Request) -> Job | None:
        return state.dispatcher.jobs.get(request.path_params["job"])

    async def job_ep(request: Request) -> Response:
        job = _job(request)
        if job is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        doc: dict[str, Any] = {"id": job.id, "status": job.status, "done": job.done, "total": job.total,
                               "changes": job.meta.get("changes", [])}
        if job.status in ("queued", "running"):
            doc["ahead"] = state.dispatcher.queue_position(job)
        if job.status == "done":
            doc["result"] = job.result
        if job.error:
            doc["error"] = job.error
        if job.started and job.finished:
            doc["seconds"] = round(job.finished - job.created, 3)
        return JSONResponse(doc)

    def yaml_ep(request: Request) -> Response:
        job = _job(request)
        if job is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        mine = list(job.arms.values())[-1]
        changes = job.meta.get("changes", [])
        head = "# Scenario from the simorg page.\n"
        if changes:
            head += "# What changed from the start:\n" + "".join(
                f"#   {c['path']}: {c['before']} -> {c['after']}\n" for c in changes)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(mine.name)).strip("_") or "scenario"
        return Response(head + dump(mine), media_type="application/x-yaml",
                        headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'})

    def report_ep(request: Request) -> Response:
        job = _job(request)
        if job is None or job.status != "done":
            return JSONResponse({"error": "no finished run with that id"}, status_code=404)
        path = state.write_report(job)
        return FileResponse(path, media_type="text/html",
                            headers={"Content-Disposition": f'attachment; filename="simorg-{job.id}.html"'})

    routes = [
        Route("/", index),
        Route("/api/health", health),
        Route("/api/scenarios", scenarios_ep),
        Route("/api/controls", controls_ep),
        Route("/api/validate", validate_ep, methods=["POST"]),
        Route("/api/runs", submit_ep, methods=["POST"]),
        Route("/api/runs/{job}", job_ep),
        Route("/api/runs/{job}/scenario.yaml", yaml_ep),
        Route("/api/runs/{job}/report.html", report_ep),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.dispatcher.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.simorg = state
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
          open_browser: bool = True, scenarios: Path | None = None) -> None:
    """Start the page's server (blocking until Ctrl-C); print the URL, open a browser."""
    import webbrowser

    import uvicorn

    from ..experiment.executors import default_workers

    app = create_app(scenarios, workers or default_workers())
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"simorg page: {url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["AppState", "create_app", "serve"]
