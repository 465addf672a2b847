"""Benchmark harness for issue 8: simorg against bare SimPy, big comparisons, a large org.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/run.py                 # everything (the compare takes minutes)
    PYTHONPATH=. python benchmarks/run.py --parts funnel,baseline --reps 5
    PYTHONPATH=. python benchmarks/run.py --parts compare --compare-reps 1000

Parts:

``funnel``    simorg on ``benchmarks/reference_funnel.yaml`` against ``bare_simpy_funnel.py``, in
              this process, alternating, ``--reps`` times each: median wall time, time ratio
              (simorg / bare), SimPy events per second, wall time per simulated year; peak memory
              of one replication of each in a fresh subprocess (ru_maxrss).
``baseline``  the same figures for ``scenarios/baseline.yaml``.
``compare``   a paired comparison, ``scenarios/baseline.yaml`` against
              ``scenarios/sales_owns_renewals.yaml``, ``--compare-reps`` replications on
              ``--workers`` worker processes (``simorg.compare``, results kept in memory).
``large``     one replication of ``benchmarks/large_org.yaml`` in a fresh subprocess: wall time
              and peak memory.
``scaling``   throughput (replications/s) of ``--scaling-reps`` baseline replications with 1 and
              with 2 worker processes.
``profile``   where the time goes: cProfile of one replication of the reference funnel and of
              the baseline, the 30 functions with the most time of their own, written to
              ``profile_<scenario>.txt`` beside the results (profile before optimizing).

Results go to ``benchmarks/results/latest.json`` and ``latest.md`` (merged with parts run
before, so parts can be run one at a time). Timings are wall-clock on this machine; nothing here
is asserted in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

REFERENCE = HERE / "reference_funnel.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
VARIANT = ROOT / "scenarios" / "sales_owns_renewals.yaml"
LARGE = HERE / "large_org.yaml"
RESULTS = HERE / "results"
PARTS = ("funnel", "baseline", "compare", "large", "scaling", "profile")


# --------------------------------------------------------------------------- helpers
def count_events(fn: Callable[[], Any]) -> int:
    """SimPy events scheduled while ``fn`` runs (Environment.schedule patched for the call only)."""
    import simpy.core

    original = simpy.core.Environment.schedule
    n = 0

    def counting(self, event, priority=1, delay=0):  # noqa: ANN001 - SimPy's signature
        nonlocal n
        n += 1
        return original(self, event, priority, delay)

    simpy.core.Environment.schedule = counting  # type: ignore[method-assign]
    try:
        fn()
    finally:
        simpy.core.Environment.schedule = original  # type: ignore[method-assign]
    return n


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, path: str, seed: int) -> dict[str, float]:
    """Run one replication in this (fresh) process and report wall time and peak memory."""
    base_rss = peak_rss_mib()
    if kind == "bare":
        from bare_simpy_funnel import Funnel

        t0 = time.perf_counter()
        Funnel(seed).run()
        wall = time.perf_counter() - t0
    else:
        import simorg

        sc = simorg.load(path)
        import simorg.experiment.simulate  # noqa: F401 - import before the clock starts

        base_rss = peak_rss_mib()
        t0 = time.perf_counter()
        simorg.simulate(sc, seed, keep_records=False)
        wall = time.perf_counter() - t0
    return {"wall_s": wall, "peak_rss_mib": peak_rss_mib(), "rss_before_run_mib": base_rss}


def in_subprocess(kind: str, path: Path | str, seed: int = 1) -> dict[str, float]:
    """:func:`child` in a fresh interpreter, so ru_maxrss is this replication's alone."""
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path), str(seed)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def years_of(path: Path) -> float:
    import simorg

    return simorg.load(path).horizon_months / 12.0


# --------------------------------------------------------------------------- parts
def bench_against_bare(path: Path, reps: int) -> dict[str, Any]:
    """simorg on ``path`` and the bare SimPy funnel, alternating, in this process."""
    from bare_simpy_funnel import Funnel

    import simorg

    sc = simorg.load(path)
    simorg.simulate(sc, 0, keep_records=False)  # warm imports and caches
    Funnel(0).run()
    t_sim, t_bare = [], []
    kpis: list[dict[str, float]] = []
    bare_out: list[dict[str, float]] = []
    for i in range(reps):
        seed = 1 + i
        t0 = time.perf_counter()
        run = simorg.simulate(sc, seed, keep_records=False)
        t_sim.append(time.perf_counter() - t0)
        kpis.append(run.kpis)
        t0 = time.perf_counter()
        bare_out.append(Funnel(seed).run())
        t_bare.append(time.perf_counter() - t0)
    ev_sim = count_events(lambda: simorg.simulate(sc, 1, keep_records=False))
    ev_bare = count_events(lambda: Funnel(1).run())
    years = sc.horizon_months / 12.0
    med_sim, med_bare = statistics.median(t_sim), statistics.median(t_bare)

    def mean(rows: list[dict[str, float]], key: str) -> float:
        return float(statistics.fmean(r[key] for r in rows))

    return {
        "scenario": str(path.relative_to(ROOT)),
        "reps": reps,
        "simorg_wall_s_median": med_sim,
        "simorg_wall_s_all": t_sim,
        "bare_wall_s_median": med_bare,
        "bare_wall_s_all": t_bare,
        "time_ratio_simorg_over_bare": med_sim / med_bare,
        "simorg_events": ev_sim,
        "bare_events": ev_bare,
        "simorg_events_per_s": ev_sim / med_sim,
        "bare_events_per_s": ev_bare / med_bare,
        "simorg_wall_s_per_sim_year": med_sim / years,
        "bare_wall_s_per_sim_year": med_bare / (60 / 12.0),
        "simorg_memory": in_subprocess("simorg", path),
        "bare_memory": in_subprocess("bare", path),
        "simorg_kpis_mean": {k: mean(kpis, k) for k in ("new_logos", "customers_end", "lead_response_hours")},
        "bare_mean": {"new_logos": mean(bare_out, "new_logos"), "customers_end": mean(bare_out, "customers_end"),
                      "lead_response_hours": mean(bare_out, "sdr_wait_days") * 24.0},
    }


def bench_compare(reps: int, workers: int) -> dict[str, Any]:
    import simorg

    a, b = simorg.load(BASELINE), simorg.load(VARIANT)
    t0 = time.perf_counter()
    cmp = simorg.compare(a, b, reps=reps, workers=workers)
    wall = time.perf_counter() - t0
    errors = sum(1 for r in (*cmp.a.records, *cmp.b.records) if r.get("error") is not None)
    return {"arms": [str(BASELINE.relative_to(ROOT)), str(VARIANT.relative_to(ROOT))], "reps": reps,
            "workers": workers, "wall_s": wall, "replications_per_s": 2 * reps / wall, "errors": errors}


def bench_large(seed: int = 1) -> dict[str, Any]:
    out = in_subprocess("simorg", LARGE, seed)
    out["scenario"] = str(LARGE.relative_to(ROOT))
    out["wall_s_per_sim_year"] = out["wall_s"] / years_of(LARGE)
    return out


def bench_scaling(reps: int) -> dict[str, Any]:
    """Replications per second of the baseline on 1 and 2 worker processes.

    Uses the executors' backends directly and keeps the pool between a warm-up batch and the
    timed batch, so worker start-up (spawn and imports, ~1-2 s) is not in the figure;
    ``simorg.replicate`` end to end (start-up included) is reported alongside."""
    import simorg
    from simorg.experiment.executors import make_backend, make_chunks

    sc = simorg.load(BASELINE)
    arms = {"baseline": sc}
    out: dict[str, Any] = {"reps": reps}
    for workers in (1, 2):
        got: list[dict] = []
        with make_backend("local", workers) as backend:
            backend.run(arms, make_chunks([("baseline", range(10_000, 10_000 + 2 * workers))], backend.slots),
                        None, got.extend)  # warm-up: start the workers
            got.clear()
            t0 = time.perf_counter()
            backend.run(arms, make_chunks([("baseline", range(1, reps + 1))], backend.slots), None, got.extend)
            wall = time.perf_counter() - t0
        assert len(got) == reps and not any(r["error"] for r in got)
        t0 = time.perf_counter()
        simorg.replicate(sc, reps=reps, seed=1, workers=workers)
        e2e = time.perf_counter() - t0
        out[f"workers_{workers}"] = {"wall_s": wall, "replications_per_s": reps / wall,
                                     "replicate_end_to_end_s": e2e}
    out["speedup_2_over_1"] = out["workers_2"]["replications_per_s"] / out["workers_1"]["replications_per_s"]
    return out


def bench_profile(path: Path, out_dir: Path, seed: int = 1) -> str:
    """cProfile of one replication of ``path``; the top functions by own time go to a file."""
    import cProfile
    import io
    import pstats

    import simorg

    sc = simorg.load(path)
    simorg.simulate(sc, 0, keep_records=False)  # imports and caches out of the profile
    prof = cProfile.Profile()
    prof.runcall(simorg.simulate, sc, seed, keep_records=False)
    text = io.StringIO()
    pstats.Stats(prof, stream=text).strip_dirs().sort_stats("tottime").print_stats(30)
    target = out_dir / f"profile_{path.stem}.txt"
    target.write_text(text.getvalue())
    return str(target.relative_to(ROOT)) if target.is_relative_to(ROOT) else str(target)


# --------------------------------------------------------------------------- report
def to_markdown(res: dict[str, Any]) -> str:
    lines = ["# simorg benchmarks", "", f"Machine: {res.get('machine', '')}", ""]
    if res.get("measured_at"):
        when = ", ".join(f"{part} {t}" for part, t in res["measured_at"].items())
        lines += [f"Parts are measured one run at a time, so the figures may come from different runs: {when}.", ""]
    if res.get("load_average"):
        loads = ", ".join(f"{part} {'/'.join(f'{x:.1f}' for x in la)}" for part, la in res["load_average"].items())
        lines += [f"Load average (1/5/15 min) when each part ended, on a machine shared with other work: {loads}. "
                  "Timings are wall-clock: with other work running they rise, and the time ratio moves.", ""]
    for key in ("funnel", "baseline"):
        r = res.get(key)
        if not r:
            continue
        lines += [f"## {key}: `{r['scenario']}` ({r['reps']} reps, median)", "",
                  "| | simorg | bare SimPy |", "|---|---|---|",
                  f"| wall time (s) | {r['simorg_wall_s_median']:.3f} | {r['bare_wall_s_median']:.3f} |",
                  f"| SimPy events | {r['simorg_events']:,} | {r['bare_events']:,} |",
                  f"| events / s | {r['simorg_events_per_s']:,.0f} | {r['bare_events_per_s']:,.0f} |",
                  f"| wall s per simulated year | {r['simorg_wall_s_per_sim_year']:.3f} | "
                  f"{r['bare_wall_s_per_sim_year']:.3f} |",
                  f"| peak RSS, one rep in a fresh process (MiB) | {r['simorg_memory']['peak_rss_mib']:.0f} | "
                  f"{r['bare_memory']['peak_rss_mib']:.0f} |",
                  "", f"**Time ratio simorg / bare: {r['time_ratio_simorg_over_bare']:.2f}** "
                  "(the bare script always runs the reference funnel)", ""]
        if key == "funnel":
            s, b = r["simorg_kpis_mean"], r["bare_mean"]
            lines += ["Same work: means over the reps", "", "| | simorg | bare |", "|---|---|---|"]
            lines += [f"| {k} | {s[k]:.2f} | {b[k]:.2f} |" for k in s] + [""]
    if res.get("compare"):
        r = res["compare"]
        lines += [f"## paired compare: {r['reps']} reps x 2 arms, {r['workers']} workers", "",
                  f"{r['wall_s']:.1f} s ({r['replications_per_s']:.1f} replications/s); "
                  f"arms {', '.join(r['arms'])}", ""]
    if res.get("large"):
        r = res["large"]
        lines += [f"## large org: `{r['scenario']}`, one replication", "",
                  f"{r['wall_s']:.1f} s ({r['wall_s_per_sim_year']:.2f} s per simulated year), "
                  f"peak RSS {r['peak_rss_mib']:.0f} MiB (interpreter and imports: "
                  f"{r['rss_before_run_mib']:.0f} MiB)", ""]
    if res.get("profile"):
        lines += ["## profiles", "", "cProfile, one replication each, top 30 functions by own time: "
                  + ", ".join(f"`{p}`" for p in res["profile"]), ""]
    if res.get("scaling"):
        r = res["scaling"]
        lines += [f"## scaling: {r['reps']} baseline replications", "",
                  f"1 worker {r['workers_1']['replications_per_s']:.2f} reps/s, 2 workers "
                  f"{r['workers_2']['replications_per_s']:.2f} reps/s: speed-up "
                  f"{r['speedup_2_over_1']:.2f}x (workers started before the clock; "
                  f"`simorg.replicate` end to end, start-up included: "
                  f"{r['workers_1']['replicate_end_to_end_s']:.1f} s and "
                  f"{r['workers_2']['replicate_end_to_end_s']:.1f} s)", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {', '.join(PARTS)}")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions for funnel and baseline")
    ap.add_argument("--compare-reps", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scaling-reps", type=int, default=200)
    ap.add_argument("--out", default=str(RESULTS / "latest.json"))
    ap.add_argument("--child", nargs=3, metavar=("KIND", "PATH", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], int(args.child[2]))))
        return
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    out = Path(args.out)
    res: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    res["machine"] = f"{platform.python_implementation()} {platform.python_version()}, " \
                     f"{os.cpu_count()} cores, {platform.machine()}"
    for part in parts:
        t0 = time.perf_counter()
        if part == "funnel":
            res["funnel"] = bench_against_bare(REFERENCE, args.reps)
        elif part == "baseline":
            res["baseline"] = bench_against_bare(BASELINE, args.reps)
        elif part == "compare":
            res["compare"] = bench_compare(args.compare_reps, args.workers)
        elif part == "large":
            res["large"] = bench_large()
        elif part == "scaling":
            res["scaling"] = bench_scaling(args.scaling_reps)
        elif part == "profile":
            out.parent.mkdir(parents=True, exist_ok=True)
            res["profile"] = [bench_profile(p, out.parent) for p in (REFERENCE, BASELINE)]
        res.setdefault("measured_at", {})[part] = time.strftime("%Y-%m-%d %H:%M:%S")
        res.setdefault("load_average", {})[part] = [round(x, 2) for x in os.getloadavg()]
        print(f"{part}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    out.with_suffix(".md").write_text(to_markdown(res))
    print(to_markdown(res))


if __name__ == "__main__":
    main()
