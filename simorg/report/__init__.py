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
from html import escape
from pathlib import Path

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
from .style import FigureOut

__all__ = ["ReportError", "build_figures", "load_results", "write_report"]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _make_figures(res: Results) -> tuple[list[FigureOut], list[str], dict[str, Path]]:
    """Draw, save and close every figure the results support, in report order.

    Returns the figure records, notes on figures without data, and key -> saved PNG path.
    Each group is saved and closed before the next is drawn, so memory stays flat.
    """
    figs: list[FigureOut] = []
    missing: list[str] = []
    paths: dict[str, Path] = {}

    def note(f) -> str:
        return f.__doc__.splitlines()[0] if f.__doc__ else f.__name__

    def keep(group: list[FigureOut]) -> None:
        figs.extend(group)
        paths.update(_save(group, res.out_dir))

    if res.kind == "compare":
        group = []
        for f in (fig_compare_fans, fig_forest):
            out = f(res)
            if out is None:
                missing.append(note(f))
            else:
                group.append(out)
        keep(group)
        for arm in res.arms():
            arm_figs, arm_missing = run_figures(res, arm)
            for fo in arm_figs:
                fo.key = f"{_safe(arm)}__{fo.key}"
                fo.section = arm
            keep(arm_figs)
            missing += [f"{arm}: {m}" for m in arm_missing]
    elif res.kind == "sweep":
        group = []
        for f in SWEEP_FIGURES:
            out = f(res)
            if out is None:
                if f.__name__ != "fig_tornado" or res.result.get("mode") == "oat":
                    missing.append(note(f))
            else:
                group.append(out)
        keep(group)
    else:
        arms = res.arms()
        if arms:
            group, missing = run_figures(res, arms[0])
            keep(group)
    return figs, missing, paths


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


def write_report(out_dir: Path | str) -> Path:
    """Write ``out_dir/report.html`` (self-contained) and ``out_dir/figures/*.png``; return the HTML path.

    Raises :class:`ReportError` when ``out_dir`` is not a results directory.
    """
    res = load_results(out_dir)
    figs, missing, paths = _make_figures(res)

    def fig_block(section: str | None = None) -> str:
        return "".join(figure_html(fo.key, fo.title, fo.caption, paths[fo.key], f"figures/{paths[fo.key].name}")
                       for fo in figs if section is None or fo.section == section)

    missing_html = ("<p class='neutral'>Not drawn (no data in these results): "
                    + "; ".join(missing) + ".</p>") if missing else ""
    sections: list[tuple[str, str, str]] = []
    arms = res.arms()
    if res.kind == "compare":
        title = "simorg comparison: " + " vs ".join(arms)
        sections.append(("answer", "The answer", f"<div class='headline'>{compare_headline(res)}</div>"
                         + reading_guide(res)))
        tables = "".join((f"<h3>{escape(str(c.get('b')))} vs {escape(str(c.get('a')))}</h3>"
                          if len(res.comparisons()) > 1 else "")
                         + compare_kpi_table(c, [res.scenarios.get(c["a"], {}), res.scenarios.get(c["b"], {})])
                         for c in res.comparisons())
        sections.append(("kpis", "KPIs", tables))
        diff = differences_html(res.scenarios, arms)
        assump = (f"<h3>What differs between the arms</h3>{diff}" if diff else "")
        for arm in arms:
            if arm in res.scenarios:
                assump += (f"<details{' open' if arm == arms[0] else ''}><summary>All key assumptions of "
                           f"{escape(arm)}</summary>{assumptions_html(res.scenarios[arm])}</details>")
        sections.append(("assumptions", "Assumptions", assump or "<p>No scenario files saved.</p>"))
        sections.append(("comparison", "Comparison figures", fig_block("Comparison")))
        for arm in arms:
            sections.append((f"arm-{_safe(arm)}", f"Figures: {arm}", fig_block(arm)))
        if missing_html:
            sections[-1] = (*sections[-1][:2], sections[-1][2] + missing_html)
    elif res.kind == "sweep":
        base = str(res.result.get("base", ""))
        title = f"simorg sweep: {base}"
        sections.append(("answer", "The answer", f"<div class='headline'>{sweep_headline(res)}</div>"
                         + reading_guide(res)))
        sections.append(("kpis", "KPIs at each point", sweep_kpi_table(res)))
        doc = res.scenarios.get(base) or next(iter(res.scenarios.values()), None)
        sections.append(("assumptions", "Assumptions (base scenario)",
                         assumptions_html(doc) if doc else "<p>No scenario file saved.</p>"))
        sections.append(("figures", "Figures", fig_block() + missing_html))
    else:
        scenario = arms[0] if arms else "?"
        title = f"simorg run: {scenario}"
        sections.append(("answer", "The answer", f"<div class='headline'>{run_headline(res, scenario)}</div>"
                         + reading_guide(res)))
        sections.append(("kpis", "KPIs", run_kpi_table(res, scenario)))
        doc = res.scenarios.get(scenario)
        sections.append(("assumptions", "Key assumptions",
                         assumptions_html(doc) if doc else "<p>No scenario file saved.</p>"))
        sections.append(("figures", "Figures", fig_block() + missing_html))
    html = page(title, meta_line(res), sections, failed_warning(res))
    out = res.out_dir / "report.html"
    out.write_text(html, encoding="utf-8")
    return out
