"""Replications and paired comparisons with common random numbers.

Seeds: replication ``i`` runs with seed ``seed + i``, in every arm. The model spawns its
named random streams from that one seed, and draws each entity's exogenous traits from
its own stream, so replication ``i`` of arm A and of arm B see the same market: the
difference b - a is measured replication by replication (a paired design).

``reps="auto"`` adds replications in batches until the 95% CI half-width of the headline
KPIs (``arr_end``, ``new_logos``, ``nrr``, ``gtm_cost``) is within ``precision`` times
their mean, or ``max_reps`` is reached. For a comparison the paired difference's
half-width is held to ``precision`` times arm A's mean (the resolution of the
comparison). The batch sizes depend only on results, never on workers, so the stopping
point is the same on any executor.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .directions import HEADLINE_KPIS
from .executors import Backend, make_backend, make_chunks
from .outdir import write_outputs
from .results import ComparisonResult, MultiComparison, ReplicationResult
from .runner import RepRecord, SimulateFn
from .stats import t_halfwidth
from .store import Store, locked

DEFAULT_REPS = 30
AUTO_FIRST_BATCH = 20
AUTO_MIN_BATCH = 10
DEFAULT_MAX_REPS = 2000


class ExperimentError(ValueError):
    """Bad experiment options (reps, precision...) with a message a person can act on."""


def check_seed(seed: Any) -> int:
    """The seed of replication 0: a non-negative integer (the model's random streams are
    keyed by unsigned integers), else ExperimentError."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ExperimentError(f"--seed must be a whole number, got {seed!r}")
    if seed < 0:
        raise ExperimentError(f"--seed must be 0 or more, got {seed}")
    return int(seed)


def seeds_for(seed: int, reps: int) -> list[int]:
    """Seeds of replications 0..reps-1: ``seed + i`` (shared by every arm)."""
    return [seed + i for i in range(reps)]


def unique_labels(names: Sequence[str]) -> list[str]:
    """Arm labels: the scenario names, with ``-2``, ``-3``... appended to repeats."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}-{seen[n]}")
    return out


def run_arms(arms: dict[str, Any], seeds: Sequence[int], *, backend: Backend, store: Store,
             simulate_fn: SimulateFn | None = None, progress: bool = False,
             desc: str = "reps") -> dict[str, dict[int, RepRecord]]:
    """Run every arm on every seed, skipping what ``store`` already holds.

    Records are saved to the store the moment they arrive. Returns ``arm -> seed -> record``
    for exactly the requested seeds.
    """
    wanted = set(seeds)
    results: dict[str, dict[int, RepRecord]] = {}
    work: list[tuple[str, list[int]]] = []
    for arm in arms:
        stored = {s: r for s, r in store.load(arm).items() if s in wanted}
        results[arm] = stored
        missing = [s for s in seeds if s not in stored]
        if missing:
            work.append((arm, missing))
    total = len(arms) * len(wanted)
    todo = sum(len(m) for _, m in work)
    bar = tqdm(total=total, initial=total - todo, desc=desc, unit="rep", file=sys.stderr,
               disable=not progress or todo == 0, delay=2.0, dynamic_ncols=True, leave=False)

    def on_records(records: list[RepRecord]) -> None:
        for rec in records:
            store.save(rec)
            results[rec["arm"]][rec["seed"]] = rec
        bar.update(len(records))
        failed = sum(1 for d in results.values() for r in d.values() if r.get("error"))
        if failed:
            bar.set_postfix(failed=failed, refresh=False)

    try:
        if work:
            backend.run(arms, make_chunks(work, backend.slots), simulate_fn, on_records)
    finally:
        bar.close()
    return results


def _check_reps(reps: int | str) -> int | None:
    """``None`` for auto, else a positive int."""
    if isinstance(reps, str):
        if reps.strip().lower() == "auto":
            return None
        try:
            reps = int(reps)
        except ValueError:
            raise ExperimentError(f"--reps must be a positive integer or 'auto', got {reps!r}") from None
    if int(reps) < 1:
        raise ExperimentError(f"--reps must be at least 1, got {reps}")
    return int(reps)


Criterion = Callable[[dict[str, dict[int, RepRecord]], list[int]], dict[str, float]]
"""Maps results so far to ``{what: relative half-width}``; done when all are <= precision."""


def _rel_hw(values: np.ndarray, scale: float) -> float:
    hw = t_halfwidth(values)
    if math.isnan(hw):
        return math.inf
    if hw == 0.0:
        return 0.0
    return hw / abs(scale) if scale else math.inf


def _arm_criterion(arm_results: dict[str, dict[int, RepRecord]], seeds: list[int]) -> dict[str, float]:
    out = {}
    for arm, recs in arm_results.items():
        for k in HEADLINE_KPIS:
            v = np.array([recs[s]["kpis"][k] for s in seeds
                          if not recs[s].get("error") and k in recs[s]["kpis"]], dtype=float)
            v = v[np.isfinite(v)]
            if v.size:
                out[f"{arm}:{k}"] = _rel_hw(v, float(np.mean(v)))
    return out


def _paired_criterion(arm_results: dict[str, dict[int, RepRecord]], seeds: list[int]) -> dict[str, float]:
    labels = list(arm_results)
    base = arm_results[labels[0]]
    out = {}
    for other in labels[1:]:
        recs = arm_results[other]
        for k in HEADLINE_KPIS:
            pairs = [(base[s]["kpis"].get(k, math.nan), recs[s]["kpis"].get(k, math.nan))
                     for s in seeds if not base[s].get("error") and not recs[s].get("error")]
            arr = np.array(pairs, dtype=float).reshape(-1, 2)
            arr = arr[np.isfinite(arr).all(axis=1)]
            if arr.size:
                out[f"{other}-{labels[0]}:{k}"] = _rel_hw(arr[:, 1] - arr[:, 0], float(np.mean(arr[:, 0])))
    return out


def _run_auto(arms: dict[str, Any], seed: int, *, precision: float, max_reps: int,
              criterion: Criterion, **kw: Any) -> tuple[dict[str, dict[int, RepRecord]], dict[str, Any]]:
    """Add replications in batches until ``criterion`` is within ``precision`` or the cap."""
    if not 0 < precision < 1:
        raise ExperimentError(f"--precision must be a fraction between 0 and 1, got {precision}")
    if max_reps < 2:
        raise ExperimentError(f"the replication cap must be at least 2, got {max_reps}")
    n = min(AUTO_FIRST_BATCH, max_reps)
    while True:
        seeds = seeds_for(seed, n)
        results = run_arms(arms, seeds, desc=f"auto reps (n={n})", **kw)
        widths = criterion(results, seeds)
        ok_reps = min(sum(1 for r in d.values() if not r.get("error")) for d in results.values())
        worst = max(widths.values(), default=math.inf)
        if widths and worst <= precision:
            reason, met = f"precision {precision:g} reached after {n} replications", True
            break
        if ok_reps < 2:
            reason, met = f"stopped: only {ok_reps} replications succeeded out of {n}", False
            break
        if n >= max_reps:
            reason, met = (f"cap of {max_reps} replications reached before precision {precision:g} "
                           f"(worst relative half-width {worst:.3g})"), False
            break
        need = n * (worst / precision) ** 2 * 1.1 if math.isfinite(worst) else 2 * n
        n = int(min(max_reps, max(n + AUTO_MIN_BATCH, min(2 * n, math.ceil(need)))))
    info = {"precision": precision, "max_reps": max_reps, "reps": n, "met": met, "reason": reason,
            "relative_halfwidth": {k: (v if math.isfinite(v) else None) for k, v in widths.items()}}
    return results, info


def execute(arms: dict[str, Any], reps: int | str, seed: int, *, workers: int | None = None,
            executor: str = "local", scheduler: Any = None, progress: bool = False,
            out: str | Path | None = None, resume: bool = False, precision: float = 0.02,
            max_reps: int = DEFAULT_MAX_REPS, simulate_fn: SimulateFn | None = None,
            kind: str = "run", criterion: Criterion = _arm_criterion,
            manifest_extra: dict[str, dict[str, Any]] | None = None,
            ) -> tuple[list[ReplicationResult], dict[str, Any] | None]:
    """Run labelled scenarios (``arms``) on common seeds; the engine behind every command.

    Returns one :class:`ReplicationResult` per arm (in ``arms`` order) and the ``auto``
    report (``None`` for a fixed number of replications).
    """
    n = _check_reps(reps)
    seed = check_seed(seed)
    with locked(out):
        store = Store(out, resume=resume, kind=kind)
        for label, sc in arms.items():
            store.register(label, sc, {"scenario": sc.name, **(manifest_extra or {}).get(label, {})})
        return _execute(arms, n, seed, store, workers=workers, executor=executor,
                        scheduler=scheduler, progress=progress, precision=precision,
                        max_reps=max_reps, simulate_fn=simulate_fn, kind=kind, criterion=criterion)


def _execute(arms: dict[str, Any], n: int | None, seed: int, store: Store, *, workers: int | None,
             executor: str, scheduler: Any, progress: bool, precision: float, max_reps: int,
             simulate_fn: SimulateFn | None, kind: str, criterion: Criterion,
             ) -> tuple[list[ReplicationResult], dict[str, Any] | None]:
    """:func:`execute` once the output directory is locked and the arms registered."""
    auto: dict[str, Any] | None
    with make_backend(executor, workers, scheduler) as backend:
        kw: dict[str, Any] = {"backend": backend, "store": store, "simulate_fn": simulate_fn, "progress": progress}
        if n is None:
            results, auto = _run_auto(arms, seed, precision=precision, max_reps=max_reps,
                                      criterion=criterion, **kw)
        else:
            results, auto = run_arms(arms, seeds_for(seed, n), desc=kind, **kw), None
    res = [ReplicationResult(sc.name, seed, list(results[label].values()), label=label, auto=auto)
           for label, sc in arms.items()]
    return res, auto


def replicate(sc: Any, reps: int | str = DEFAULT_REPS, seed: int = 1, workers: int | None = None,
              executor: str = "local", scheduler: Any = None, progress: bool = False, *,
              out: str | Path | None = None, resume: bool = False, precision: float = 0.02,
              max_reps: int = DEFAULT_MAX_REPS,
              simulate_fn: SimulateFn | None = None) -> ReplicationResult:
    """Run ``reps`` replications of scenario ``sc`` (seeds ``seed .. seed+reps-1``).

    ``reps="auto"`` adds replications until the headline KPIs' 95% CI half-width is within
    ``precision`` of their mean (or ``max_reps``). ``executor`` is ``local`` (worker
    processes, ``workers`` of them, default all cores), ``serial`` or ``dask``
    (``scheduler``: an address or ``distributed.Client``; none starts a local cluster).
    ``out`` writes the result files and stores each replication as it arrives;
    ``resume=True`` continues a stored run. ``simulate_fn`` replaces the model (a
    module-level callable with ``simulate``'s signature).
    """
    with locked(out):
        res, _ = execute({sc.name: sc}, reps, seed, workers=workers, executor=executor,
                         scheduler=scheduler, progress=progress, out=out, resume=resume,
                         precision=precision, max_reps=max_reps, simulate_fn=simulate_fn,
                         kind="run", criterion=_arm_criterion)
        result = res[0]
        if out is not None:
            write_outputs(Path(out), result.to_json(), res, {result.label: sc})
    return result


def compare_many(scenarios: Sequence[Any], reps: int | str = DEFAULT_REPS, seed: int = 1,
                 workers: int | None = None, executor: str = "local", scheduler: Any = None,
                 progress: bool = False, *, out: str | Path | None = None, resume: bool = False,
                 precision: float = 0.02, max_reps: int = DEFAULT_MAX_REPS,
                 simulate_fn: SimulateFn | None = None) -> MultiComparison:
    """Compare every scenario with the first, paired on common seeds (see :func:`compare`)."""
    if len(scenarios) < 2:
        raise ExperimentError("compare needs at least two scenarios")
    arms = dict(zip(unique_labels([sc.name for sc in scenarios]), scenarios, strict=True))
    with locked(out):
        res, auto = execute(arms, reps, seed, workers=workers, executor=executor,
                            scheduler=scheduler, progress=progress, out=out, resume=resume,
                            precision=precision, max_reps=max_reps, simulate_fn=simulate_fn,
                            kind="compare", criterion=_paired_criterion)
        multi = MultiComparison(res, auto)
        if out is not None:
            write_outputs(Path(out), multi.to_json(), res, arms)
    return multi


def compare(sc_a: Any, sc_b: Any, reps: int | str = DEFAULT_REPS, seed: int = 1,
            workers: int | None = None, executor: str = "local", scheduler: Any = None,
            progress: bool = False, **kw: Any) -> ComparisonResult:
    """Paired comparison of ``sc_b`` against ``sc_a`` with common random numbers.

    Replication ``i`` of both arms runs with seed ``seed + i``; per KPI the result gives
    the arm means, the mean of the per-replication differences b - a, its 95% t interval,
    the paired t-test p-value and a verdict (better / worse / no detectable difference).
    Keyword options as in :func:`replicate`.
    """
    multi = compare_many([sc_a, sc_b], reps, seed, workers, executor, scheduler, progress, **kw)
    return multi.comparisons[0]
