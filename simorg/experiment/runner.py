"""The unit of work shipped to executors: run a few seeds of one scenario, never raise.

A replication is stored as a plain, JSON-ready dict (a *rep record*)::

    {"arm": "baseline", "seed": 7, "error": None, "kpis": {name: float},
     "monthly": {metric: [float, ...]}, "distributions": {metric: [float, ...]},
     "elapsed": 0.8}

so it travels cheaply between processes, lands in the result store unchanged and reads
back bit-identical (JSON writes floats with ``repr``, which round-trips exactly). A
replication that raises becomes a record with ``error`` set (the exception and its
traceback, innermost simorg frame included) and empty results: the others go on. Anything
a replication raises counts, ``SystemExit`` included; only ``KeyboardInterrupt`` (and
:class:`Terminated`, the parent's SIGTERM) stops the run.

An error record also says what kind of failure it was (``error_kind``):

* ``"model"``: the replication itself raised. Same scenario and seed raise again, so a
  resume keeps the record rather than recomputing it.
* ``"environment"``: the replication never finished for a reason outside it (its worker
  process or Dask worker died, the pool broke). A resume computes it again.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SimulateFn = Callable[..., Any]
"""``simulate(scenario, seed, keep_records=False) -> Run``-like callable (module level, picklable)."""

RepRecord = dict[str, Any]

MODEL_ERROR = "model"
ENV_ERROR = "environment"
MAX_ERROR_CHARS = 8000
"""Stored tracebacks keep their last this many characters (the innermost frames)."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM): unwound like Ctrl-C, never recorded as a
    failed replication."""


def default_simulate() -> SimulateFn:
    """The model's ``simulate`` (imported late so this layer loads without the model)."""
    from .simulate import simulate

    return simulate


def _floats(values: Any) -> list[float]:
    return [float(x) for x in np.asarray(values, dtype=float).ravel()]


def _scalar(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def to_record(arm: str, seed: int, run: Any, elapsed: float) -> RepRecord:
    """Convert a ``Run`` into a rep record (plain floats and lists)."""
    return {
        "arm": arm,
        "seed": int(seed),
        "error": None,
        "kpis": {str(k): _scalar(v) for k, v in dict(run.kpis).items()},
        "monthly": {str(k): _floats(v) for k, v in dict(getattr(run, "monthly", {}) or {}).items()},
        "distributions": {
            str(k): _floats(v) for k, v in dict(getattr(run, "distributions", {}) or {}).items()
        },
        "elapsed": round(elapsed, 4),
    }


def error_record(arm: str, seed: int, error: str, elapsed: float = 0.0,
                 kind: str = MODEL_ERROR) -> RepRecord:
    """A rep record for a replication that failed with ``error`` (``kind``: see module doc)."""
    return {"arm": arm, "seed": int(seed), "error": error, "error_kind": kind, "kpis": {},
            "monthly": {}, "distributions": {}, "elapsed": round(elapsed, 4)}


def is_env_failure(record: RepRecord) -> bool:
    """Whether ``record`` failed for an environment reason (a resume retries those)."""
    return bool(record.get("error")) and record.get("error_kind") == ENV_ERROR


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` then the traceback (its tail when long), so the stored error shows
    where in simorg the replication failed."""
    text = "".join(traceback.format_exception(exc)).rstrip()
    if len(text) > MAX_ERROR_CHARS:
        text = "... (traceback shortened)\n" + text[-MAX_ERROR_CHARS:]
    return f"{type(exc).__name__}: {exc}\n{text}"


def run_one(arm: str, scenario: Any, seed: int, simulate_fn: SimulateFn | None = None) -> RepRecord:
    """Run one replication; anything it raises (``SystemExit`` too, not ``KeyboardInterrupt``)
    becomes an error record with its traceback."""
    fn = simulate_fn or default_simulate()
    t0 = time.perf_counter()
    try:
        run = fn(scenario, seed, keep_records=False)
        return to_record(arm, seed, run, time.perf_counter() - t0)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - recorded per replication, by design
        return error_record(arm, seed, describe_exception(exc), time.perf_counter() - t0)


def run_chunk(arm: str, scenario: Any, seeds: Sequence[int],
              simulate_fn: SimulateFn | None = None) -> list[RepRecord]:
    """Run several seeds of one scenario (the task executors ship; amortizes transfer)."""
    return [run_one(arm, scenario, s, simulate_fn) for s in seeds]
