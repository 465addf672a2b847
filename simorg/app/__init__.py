"""The page: a local web app for a class or a client meeting (``simorg app``).

Pick a scenario or a failure mode, change headcounts, hiring plans, budgets, org rules,
comp plans and behaviour switches with controls labelled from the scenario schema, run
replications on a shared pool of worker processes, and see the answer first, the fan
charts, the funnel, utilization and the paired comparison with the scenario you started
from. Optional: ``pip install "simorg[app]"`` (Starlette and uvicorn); nothing here is
imported by ``import simorg`` or by the other commands.

    from simorg.app import create_app, serve
    serve(port=8000, workers=2, open_browser=False)   # blocks; Ctrl-C to stop
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """The Starlette application (see :func:`simorg.app.server.create_app`)."""
    from .server import create_app as _create

    return _create(*args, **kwargs)


def serve(*args: Any, **kwargs: Any) -> None:
    """Start the server and print its URL (see :func:`simorg.app.server.serve`)."""
    from .server import serve as _serve

    _serve(*args, **kwargs)


__all__ = ["create_app", "serve"]
