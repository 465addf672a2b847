"""Plain-text tables of results for the terminal (what ``simorg run/compare/sweep`` print)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..metrics.registry import DECISION_KPIS
from .results import ComparisonResult, ReplicationResult
from .stats import ALPHA


def fmt(x: Any) -> str:
    """A number for a table: thousands separators for big values, 3 significant-ish digits for small."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    x = float(x)
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 10:
        return f"{x:.2f}"
    return f"{x:.3f}"


def fmt_ci(ci: Sequence[Any]) -> str:
    lo, hi = ci
    if lo is None or hi is None:
        return "-"
    return f"[{fmt(lo)}, {fmt(hi)}]"


def fmt_p(p: Any) -> str:
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None) -> str:
    """Align columns; numbers right-aligned (``right``), text left-aligned."""
    cols = list(zip(header, *rows, strict=True)) if rows else [(h,) for h in header]
    widths = [max(len(str(c)) for c in col) for col in cols]
    right = right or [i > 0 for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).rjust(w) if r else str(c).ljust(w)
                         for c, w, r in zip(cells, widths, right, strict=True)).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def run_table(res: ReplicationResult) -> str:
    """KPI, mean, 95% CI for every KPI of one scenario."""
    summ = res.summary()
    rows = [(k, fmt(s["mean"]), fmt_ci(s["ci95"])) for k, s in summ.items()]
    head = (f"{res.scenario}: {res.reps} replications (seeds {res.seed}..{res.seed + res.reps - 1})"
            + (f", {res.failed} FAILED" if res.failed else ""))
    out = [head, "", grid(("KPI", "mean", "95% CI"), rows)]
    out += _failure_lines(res)
    return "\n".join(out)


def _failure_lines(res: ReplicationResult) -> list[str]:
    if not res.failed:
        return []
    lines = ["", f"{res.failed} of {res.reps} replications of {res.label} failed "
                 "(statistics use the others); first errors:"]
    for seed, err in list(res.errors.items())[:3]:
        lines.append(f"  seed {seed}: {err.splitlines()[0]}")
    return lines


def compare_table(cmp: ComparisonResult) -> str:
    """Per KPI: both means, the paired difference b - a, its CI, p-value and a verdict."""
    summ = cmp.summary()
    rows = []
    for k, s in summ.items():
        verdict = s["verdict"]
        if verdict in ("better", "worse"):
            verdict = f"{verdict.upper()} ({s['direction']})"
        elif s["diff_ci95"] == [0.0, 0.0]:
            verdict = "identical in every replication"
        rows.append((k, fmt(s["a_mean"]), fmt(s["b_mean"]), fmt(s["diff_mean"]),
                     fmt_ci(s["diff_ci95"]), fmt_p(s["p_value"]), fmt_p(s.get("q_value")), verdict))
    a, b = cmp.a.label, cmp.b.label
    n_diff = sum(1 for s in summ.values() if s["verdict"] not in ("no detectable difference", "not enough data"))
    head = (f"{b} vs {a}: diff = {b} - {a}, paired over {len(cmp.seeds)} replications "
            f"with common random numbers (seeds {cmp.a.seed}..{cmp.a.seed + cmp.a.reps - 1})")
    out = [head, "", grid(("KPI", f"{a}", f"{b}", "diff", "95% CI of diff", "p", "q", "verdict"), rows,
                          right=[False, True, True, True, True, True, True, False])]
    out.append("")
    out.append(f"Verdict: a difference counts when its Benjamini-Hochberg q-value (p adjusted for testing "
               f"{len(summ)} KPIs at once) is below {ALPHA:g} ({n_diff} of {len(summ)} KPIs); the decision "
               f"KPIs are {', '.join(k for k in DECISION_KPIS if k in summ)}.")
    for arm in (cmp.a, cmp.b):
        out += _failure_lines(arm)
    return "\n".join(out)


def auto_line(auto: dict[str, Any] | None) -> str:
    if not auto:
        return ""
    return f"--reps auto: {auto['reason']}."


def sweep_table(result: Any) -> str:
    """Per point: parameters and each reported KPI's mean with its 95% CI half-width."""
    exp = result.experiment
    kpis = result.kpi_list
    params = list(exp.vary)
    rows = []
    first = kpis[0] if kpis else None
    # grid: the last parameter varies fastest; show the step in the first KPI from the
    # previous point when only that parameter changed (diminishing returns at a glance)
    marginal = exp.mode == "grid" and first is not None
    prev: dict[str, Any] | None = None
    for s in result.point_summaries():
        cells = [str(s["point"])] + [_short(s["params"][p]) for p in params]
        for k in kpis:
            ks = s["kpis"][k]
            lo, hi = ks["ci95"]
            pm = f" ± {fmt((hi - lo) / 2)}" if lo is not None and hi is not None else ""
            cells.append(fmt(ks["mean"]) + pm)
        if marginal:
            m, step = s["kpis"][first]["mean"], ""
            if prev is not None and m is not None and prev["mean"] is not None and \
                    all(prev["params"][p] == s["params"][p] for p in params[:-1]):
                step = fmt(m - prev["mean"])
            cells.append(step)
            prev = {"mean": m, "params": s["params"]}
        if s["failed"]:
            cells.append(f"{s['failed']} failed")
        rows.append(cells)
    header = ["point", *short_names(params), *kpis] + ([f"step in {first}"] if marginal else [])
    width = max(len(r) for r in rows) if rows else len(header)
    header += [""] * (width - len(header))
    rows = [r + [""] * (width - len(r)) for r in rows]
    reps = max((a.reps for a in result.arms), default=0)
    out = [f"{exp.name}: {exp.mode} sweep, {len(result.points)} points x {reps} replications "
           f"(common seeds {exp.seed}..{exp.seed + reps - 1}); mean ± 95% CI half-width",
           "", grid(header, rows)]
    if exp.mode == "oat":
        out += ["", tornado_table(result)]
    if result.failed:
        out += ["", f"{result.failed} replications failed (see result.json)"]
    return "\n".join(out)


def short_names(keys: Sequence[str]) -> list[str]:
    """Shortest unique dotted suffixes, for table headers (``teams.ae.headcount`` -> ``ae.headcount``)."""
    depth = 1
    while True:
        names = [".".join(k.split(".")[-depth:]) for k in keys]
        if len(set(names)) == len(names) or depth > max((k.count(".") for k in keys), default=0):
            return names
        depth += 1


def _short(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v).lower()
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e15):
        return f"{int(v):,}" if abs(v) >= 10000 else str(int(v))
    return fmt(v) if isinstance(v, float) else str(v)


def tornado_table(result: Any) -> str:
    """One-at-a-time sensitivity: parameters ranked by the swing of the target KPI."""
    kpi = result.experiment.target_kpi
    rows = []
    for r in result.tornado():
        rows.append((r["parameter"], _short(r["low"]), _short(r["high"]),
                     fmt(r["low_diff"]), fmt(r["high_diff"]), fmt(r["swing"])))
    head = (f"Sensitivity of {kpi} (one at a time; change from the base point, "
            f"base mean {fmt(result.tornado()[0]['base_value']) if rows else '-'})")
    return "\n".join([head, "", grid(("parameter", "low", "high", "Δ at low", "Δ at high", "swing"), rows)])
