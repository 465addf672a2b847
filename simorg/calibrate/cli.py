"""``simorg calibrate``: fit a scenario to a CRM export, write it with a report, optionally backtest;
``simorg backtest``: replay a CRM export's history with a scenario (e.g. a calibrated one, edited).

    simorg calibrate examples/crm/ --out out/northwind --backtest
    simorg calibrate --opportunities deals.csv --leads leads.csv --mapping map.yaml
    simorg backtest out/northwind/northwind.yaml examples/crm/

Bad input (unreadable files, unknown mapping fields, unparseable dates or amounts, duplicate
ids, negative amounts, a template that does not load) ends with messages naming file, row and
column and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

EXIT_INPUT = 2


class _InputError(click.ClickException):
    exit_code = EXIT_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _crm_files(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options naming the export's files (when their names do not tell their kind) and the
    column mapping, shared by ``calibrate`` and ``backtest``."""
    for decorate in reversed([
        click.option("--opportunities", type=click.Path(), default=None, help="Opportunities / deals CSV."),
        click.option("--accounts", type=click.Path(), default=None, help="Accounts / subscriptions CSV."),
        click.option("--leads", type=click.Path(), default=None, help="Leads CSV."),
        click.option("--headcount", type=click.Path(), default=None, help="Headcount history CSV (person, role, start, end)."),
        click.option("--mapping", type=click.Path(), default=None, help="YAML: {kind: {our_field: their column}}."),
    ]):
        fn = decorate(fn)
    return fn


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Bad data and bad scenarios become clean messages (exit 2, the data warnings first); an
    unexpected error says it is a bug (exit 1; ``SIMORG_DEBUG=1`` shows the traceback)."""
    from ..scenario import ScenarioError
    from .io import CRMInputError

    try:
        yield
    except CRMInputError as exc:
        for w in exc.warnings:
            click.echo(f"warning: {w}", err=True)
        raise _InputError(exc.format()) from None
    except ScenarioError as exc:
        raise _InputError(exc.format()) from None
    except (click.ClickException, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get("SIMORG_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                   "(this is a bug in simorg; set SIMORG_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)


@click.command(short_help="Fit a scenario to a CRM export (CSV), with a report and a backtest.")
@click.argument("inputs", nargs=-1, type=click.Path())
@_crm_files
@click.option("--template", default="scenarios/baseline.yaml", show_default=True, type=click.Path(),
              help="Scenario the calibrated one extends.")
@click.option("--name", default="calibrated", show_default=True, help="Name of the written scenario.")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Output folder [default: out/calibrate-<name>].")
@click.option("--export-date", default=None, help="Date of the export [default: month start after the last event].")
@click.option("--horizon", type=click.IntRange(1, 240), default=None, help="Horizon of the written scenario [default: the template's].")
@click.option("--reps", type=click.IntRange(1, 200), default=6, show_default=True,
              help="Simulations per rate-correction round.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--no-correct", is_flag=True, help="Skip the simulated rate correction (observed rates stay targets only).")
@click.option("--backtest", is_flag=True, help="Simulate the history and compare with the actual months.")
@click.option("--backtest-reps", type=click.IntRange(5, 2000), default=40, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print calibration.json on stdout.")
def calibrate(inputs: tuple[str, ...], opportunities: str | None, accounts: str | None, leads: str | None,
              headcount: str | None, mapping: str | None, template: str, name: str, out: str | None,
              export_date: str | None, horizon: int | None, reps: int, seed: int, no_correct: bool,
              backtest: bool, backtest_reps: int, as_json: bool) -> None:
    """Fit a scenario to the CRM export in INPUTS (folders or CSV files; the kind of each file is
    told by its name, or give it with --opportunities, --accounts, --leads, --headcount)."""

    with _clean_errors():
        _calibrate(inputs, {"opportunities": opportunities, "accounts": accounts, "leads": leads,
                            "headcount": headcount}, mapping, template, name, out, export_date, horizon,
                   reps, seed, no_correct, backtest, backtest_reps, as_json)


def _calibrate(inputs: tuple[str, ...], explicit: dict[str, str | None], mapping: str | None, template: str,
               name: str, out: str | None, export_date: str | None, horizon: int | None, reps: int, seed: int,
               no_correct: bool, backtest: bool, backtest_reps: int, as_json: bool) -> None:
    from ..scenario import load
    from .backtest import run_backtest
    from .fit import calibrate as fit
    from .io import find_files, read_export
    from .output import calibration_doc, write_outputs
    from .report import write_report

    def note(msg: str) -> None:
        click.echo(msg, err=True)

    if not inputs and not any(explicit.values()):
        raise _InputError("no CRM export given: name a folder or CSV files, or --opportunities/--accounts/--leads/--headcount")
    load(template)  # a bad template is an input error before any work
    data = read_export(find_files(list(inputs), explicit), mapping, export_date)
    for w in data.warnings:
        note(f"warning: {w}")
    note(f"read {', '.join(f'{k} ({len(t)} rows)' for k, t in data.tables.items())}; export date {data.export_date:%Y-%m-%d}")
    cal = fit(data, template, reps=reps, seed=seed, correct=not no_correct)
    bt = run_backtest(cal, data, reps=backtest_reps, seed=seed) if backtest else None
    folder = Path(out) if out else Path("out") / f"calibrate-{name}"
    paths = write_outputs(cal, folder, name=name, backtest=bt, horizon=horizon)
    sc = load(paths["scenario"])  # the written file must validate ...
    from ..experiment.simulate import simulate

    simulate(sc.model_copy(update={"horizon_months": min(sc.horizon_months, 3)}), seed, keep_records=False)  # ... and run
    report = write_report(cal, folder / "report.html", bt, paths["scenario"])
    if as_json:
        click.echo(json.dumps(calibration_doc(cal, bt), indent=1))
    else:
        click.echo(summary(cal, bt))
    note(f"scenario: {paths['scenario']} (validated)\ncalibration: {paths['json']}\nreport: {report}")
    sys.stdout.flush()


def summary(cal: Any, bt: Any = None) -> str:
    """The text shown after calibrating: fitted count, rates data vs simulated, not fitted, backtest."""
    lines = [f"calibrated {len(cal.values)} values from {cal.months} months of history "
             f"({cal.history_start:%Y-%m-%d} .. {cal.export_date:%Y-%m-%d})"]
    if cal.corrections:
        last = cal.corrections[-1]
        lines.append(f"\nobserved rates, data vs simulated after {len(cal.corrections) - 1} correction round(s):")
        for k, tgt in last["target"].items():
            got = last["sim"].get(k)
            lines.append(f"  {k:<24}{tgt:>8.3f}{got if got is None else format(got, '>10.3f')}")
    if cal.not_fitted:
        lines.append("\nnot fitted (template kept):")
        lines += [f"  {w}: {y}" for w, y in cal.not_fitted]
    if bt is not None:
        lines.append("\n" + bt.table())
    return "\n".join(lines)


@click.command(short_help="Replay a CRM export's history with a scenario; bands vs the actual months.")
@click.argument("scenario", type=click.Path())
@click.argument("inputs", nargs=-1, type=click.Path())
@_crm_files
@click.option("--export-date", default=None, help="Date of the export [default: month start after the last event].")
@click.option("--reps", type=click.IntRange(5, 2000), default=40, show_default=True, help="Replications of the history.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder for backtest.json.")
@click.option("--json", "as_json", is_flag=True, help="Print backtest.json on stdout.")
def backtest(scenario: str, inputs: tuple[str, ...], opportunities: str | None, accounts: str | None,
             leads: str | None, headcount: str | None, mapping: str | None, export_date: str | None,
             reps: int, seed: int, out: str | None, as_json: bool) -> None:
    """Replay the history of the CRM export in INPUTS with SCENARIO: its parameters as they are
    (a calibrated scenario, perhaps edited since), started from the export's state at the
    history start (accounts active then, opportunities open then, headcount then, lead volume
    then) with the actual headcount by month; prints the share of actual months inside the
    simulated 5-95% bands of new logos, new ARR, churned ARR and ARR."""

    with _clean_errors():
        _backtest(scenario, inputs, {"opportunities": opportunities, "accounts": accounts, "leads": leads,
                                     "headcount": headcount}, mapping, export_date, reps, seed, out, as_json)


def _backtest(scenario: str, inputs: tuple[str, ...], explicit: dict[str, str | None], mapping: str | None,
              export_date: str | None, reps: int, seed: int, out: str | None, as_json: bool) -> None:
    from ..scenario import load
    from .backtest import actual_series, run_backtest
    from .fit import calibrate as fit
    from .io import find_files, read_export

    if not inputs and not any(explicit.values()):
        raise _InputError("no CRM export given: name a folder or CSV files after the scenario, or "
                          "--opportunities/--accounts/--leads/--headcount")
    load(scenario)  # a bad scenario is an input error before any work
    data = read_export(find_files(list(inputs), explicit), mapping, export_date)
    for w in data.warnings:
        click.echo(f"warning: {w}", err=True)
    # the history's starting state and plans only: nothing is fitted over the scenario
    cal = fit(data, scenario, correct=False)
    if not actual_series(data, cal.history_start, cal.months):
        raise _InputError("the export has no won new deals or accounts with ARR: nothing to compare a backtest with")
    bt = run_backtest(cal, data, reps=reps, seed=seed, base=scenario)
    doc = {"scenario": scenario, "seed": seed, **bt.to_json()}
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "backtest.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(doc, indent=1))
    else:
        click.echo(f"{scenario}: {bt.notes[0]}" if bt.notes else scenario)
        click.echo(bt.table())
        if out:
            click.echo(f"backtest: {Path(out) / 'backtest.json'}", err=True)
    sys.stdout.flush()
