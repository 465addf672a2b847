"""Reports a founder or consultant can hand over: figures, tables and one HTML file.

    from simorg.report import write_report
    write_report("out/run-2026-11-23")        # -> out/run-2026-11-23/report.html

Reads only what ``--out DIR`` saved (``result.json``, ``kpis.csv``, ``monthly.csv``,
``distributions.csv``, ``scenario_<name>.yaml``); it never re-simulates. Figures are drawn
with matplotlib's headless Agg backend, saved under ``DIR/figures/`` and embedded in
``report.html`` as base64 PNG so the page is one self-contained file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from .assumptions import assumptions_html, differences_html
from .data import ReportError, Results, load_results
from .figures import run_figures
from .figures_compare import fig_compare_fans, fig_forest
from .figures_sweep import SWEEP_FIGURES
from .html import (
    compare_headline,
    compare_kpi_table,
    failed_warning,
    figure_html,
    meta_line,
    page,
    reading_guide,
    run_headline,
    run_kpi_table,
    sweep_headline,
    sweep_kpi_table,
)
from .money import money_answer, pnl_by_year
from .renewals import renewals_html
from .style import FigureOut

__all__ = ["ReportError", "build_figures", "load_results", "write_report"]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


class _Guard:
    """Calls report parts; unless ``strict``, a part that fails on these results becomes a
    visible note instead of losing the whole report (tests run strict to find such bugs)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.failed: list[str] = []
        self.failed_notes: set[str] = set()

    def __call__(self, f: Callable[..., Any], *args: Any, default: Any = None) -> Any:
        try:
            return f(*args)
        except Exception as exc:  # noqa: BLE001 - any failure of one part must not lose the report
            plt.close("all")
            if self.strict:
                raise
            what = _note(f)
            self.failed_notes.add(what)
            self.failed.append(f"{what} (could not be built from these results: {type(exc).__name__}: {exc})")
            return default


def _note(f: Callable[..., Any]) -> str:
    return f.__doc__.splitlines()[0] if f.__doc__ else getattr(f, "__name__", "part")


def _make_figures(res: Results, guard: _Guard | None = None) -> tuple[list[FigureOut], list[str], dict[str, Path]]:
    """Draw, save and close every figure the results support, in report order.

    Returns the figure records, notes on figures without data, and key -> saved PNG path.
    Each group is saved and closed before the next is drawn, so memory stays flat.
    """
    draw = guard or _Guard(strict=True)
    figs: list[FigureOut] = []
    missing: list[str] = []
    paths: dict[str, Path] = {}

    def keep(group: list[FigureOut]) -> None:
        figs.extend(group)
        paths.update(_save(group, res.out_dir))

    if res.kind == "compare":
        group = []
        for f in (fig_compare_fans, fig_forest):
            out = draw(f, res)
            if out is None:
                missing.append(_note(f))
            else:
                group.append(out)
        keep(group)
        for arm in res.arms():
            arm_figs, arm_missing = run_figures(res, arm, draw)
            for fo in arm_figs:
                fo.key = f"{_safe(arm)}__{fo.key}"
                fo.section = arm
            keep(arm_figs)
            missing += [f"{arm}: {m}" for m in arm_missing if m not in draw.failed_notes]
    elif res.kind == "sweep":
        group = []
        for f in SWEEP_FIGURES:
            out = draw(f, res)
            if out is None:
                if f.__name__ != "fig_tornado" or res.result.get("mode") == "oat":
                    missing.append(_note(f))
            else:
                group.append(out)
        keep(group)
    else:
        arms = res.arms()
        if arms:
            group, missing = run_figures(res, arms[0], draw)
            keep(group)
    return figs, [m for m in missing if m not in draw.failed_notes], paths


def _save(figs: list[FigureOut], out_dir: Path) -> dict[str, Path]:
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fo in figs:
        path = fig_dir / f"{fo.key}.png"
        fo.fig.savefig(path, dpi=110, pil_kwargs={"compress_level": 3})
        plt.close(fo.fig)
        paths[fo.key] = path
    return paths


def build_figures(out_dir: Path | str) -> dict[str, Path]:
    """Draw every figure for the results in ``out_dir``; save PNGs under ``out_dir/figures``.

    Returns figure key -> PNG path (keys: ``arr_fan``, ``arr_bridge``, ``funnel``,
    ``headcount_cost``, ``utilization``, ``cohorts``, ``quota`` for a run; a comparison adds
    ``compare_arr_fan`` and ``forest`` and prefixes each arm's figures with ``<arm>__``; a sweep
    has ``sweep_kpis``, ``sweep_arr`` and, for one-at-a-time runs, ``tornado``).
    """
    res = load_results(out_dir)
    _figs, _missing, paths = _make_figures(res)
    return paths


def write_report(out_dir: Path | str, strict: bool = False) -> Path:
    """Write ``out_dir/report.html`` (self-contained) and ``out_dir/figures/*.png``; return the HTML path.

    The report is written whatever the numbers hold (NaN, missing KPIs or monthly series,
    empty teams, non-numeric swept values): a part that cannot be built from them is replaced
    by a visible note saying why (``strict=True`` raises instead; the tests use it).
    Raises :class:`ReportError` when ``out_dir`` is not a results directory or the report
    cannot be written; the command line turns that into a non-zero exit with the reason.
    """
    res = load_results(out_dir)
    guard = _Guard(strict)
    figs, missing, paths = _make_figures(res, guard)

    def part(f: Callable[..., str], *args: Any) -> str:
        return str(guard(f, *args, default=""))

    def fig_block(section: str | None = None) -> str:
        return "".join(figure_html(fo.key, fo.title, fo.caption, paths[fo.key], f"figures/{paths[fo.key].name}")
                       for fo in figs if section is None or fo.section == section)

    missing_html = ("<p class='neutral'>Not drawn (no data in these results): "
                    + escape("; ".join(missing)) + ".</p>") if missing else ""
    sections: list[tuple[str, str, str]] = []
    arms = res.arms()
    if res.kind == "compare":
        title = "simorg comparison: " + " vs ".join(arms)
        sections.append(("answer", "The answer", f"<div class='headline'>{part(compare_headline, res)}"
                         f"{part(money_answer, res)}</div>" + reading_guide(res)))
        tables = "".join((f"<h3>{escape(str(c.get('b')))} vs {escape(str(c.get('a')))}</h3>"
                          if len(res.comparisons()) > 1 else "")
                         + part(compare_kpi_table, c, [res.scenarios.get(str(c.get("a")), {}),
                                                       res.scenarios.get(str(c.get("b")), {})])
                         for c in res.comparisons())
        sections.append(("kpis", "KPIs", tables))
        diff = part(differences_html, res.scenarios, arms)
        assump = (f"<h3>What differs between the arms</h3>{diff}" if diff else "")
        for arm in arms:
            if arm in res.scenarios:
                assump += (f"<details{' open' if arm == arms[0] else ''}><summary>All key assumptions of "
                           f"{escape(arm)}</summary>{part(assumptions_html, res.scenarios[arm])}</details>")
        sections.append(("assumptions", "Assumptions", assump or "<p>No scenario files saved.</p>"))
        why = part(renewals_html, res)
        if why:
            sections.append(("renewals", "Renewals and hours", why))
        sections.append(("comparison", "Comparison figures", fig_block("Comparison")))
        for arm in arms:
            sections.append((f"arm-{_safe(arm)}", f"Figures: {arm}", fig_block(arm) + part(pnl_by_year, res, arm)))
        if missing_html:
            sections[-1] = (*sections[-1][:2], sections[-1][2] + missing_html)
    elif res.kind == "sweep":
        base = str(res.result.get("base", ""))
        title = f"simorg sweep: {base}"
        sections.append(("answer", "The answer", f"<div class='headline'>{part(sweep_headline, res)}</div>"
                         + reading_guide(res)))
        sections.append(("kpis", "KPIs at each point", part(sweep_kpi_table, res)))
        doc = res.scenarios.get(base) or next(iter(res.scenarios.values()), None)
        sections.append(("assumptions", "Assumptions (base scenario)",
                         part(assumptions_html, doc) if doc else "<p>No scenario file saved.</p>"))
        sections.append(("figures", "Figures", fig_block() + missing_html))
    else:
        scenario = arms[0] if arms else "?"
        title = f"simorg run: {scenario}"
        sections.append(("answer", "The answer", f"<div class='headline'>{part(run_headline, res, scenario)}</div>"
                         + reading_guide(res)))
        sections.append(("kpis", "KPIs", part(run_kpi_table, res, scenario) + part(pnl_by_year, res, scenario)))
        doc = res.scenarios.get(scenario)
        sections.append(("assumptions", "Key assumptions",
                         part(assumptions_html, doc) if doc else "<p>No scenario file saved.</p>"))
        why = part(renewals_html, res)
        if why:
            sections.append(("renewals", "Renewals and hours", why))
        sections.append(("figures", "Figures", fig_block() + missing_html))
    warning = failed_warning(res)
    if guard.failed:
        warning += ("<p class='warn'><b>Parts of this report could not be built from these results:</b> "
                    + escape("; ".join(guard.failed)) + "</p>")
    html = page(title, meta_line(res), sections, warning)
    out = res.out_dir / "report.html"
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the report ({exc.strerror or exc})") from None
    return out
