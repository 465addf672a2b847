"""The ``simorg`` command line: a thin layer over the public API.

    simorg validate FILE...        check scenario / experiment files ("ok" or errors)
    simorg run FILE                replications of one scenario: KPI table with 95% CIs
    simorg compare A B [C...]      paired comparison of each scenario against the first
    simorg sweep EXPERIMENT        grid / Latin hypercube / one-at-a-time sensitivity
    simorg report DIR              HTML report from saved results
    simorg demo [NAME]             failure-mode gallery: symptoms and causal chain
    simorg schema                  JSON Schema of scenario files
    simorg calibrate CRM_EXPORT    fit a scenario to a CRM export (simorg/calibrate/)
    simorg backtest SCENARIO CRM   replay a CRM export's history with a scenario: bands vs actuals
    simorg app                     the page: a local web app (needs the "app" extra)

Computing commands share --seed, --reps (a number or ``auto``), --precision, --out,
--resume, --set, --workers, --executor, --scheduler, --json. With --json stdout holds the
result document and nothing else; progress and notes go to stderr. Never a traceback (set
SIMORG_DEBUG=1 to see one for unexpected errors).

Exit codes (README, "Exit codes"):

* 0: done, every replication succeeded, the report was written;
* 1: some replications failed (everything is saved first, their errors in result.json),
  the report could not be written, or a bug in simorg;
* 2: bad input (a scenario or experiment file, an option), with file, field and line;
* 3: an environment problem: the output directory cannot be written (read-only, disk
  full), it is in use by another run, saved results are damaged, the Dask cluster cannot
  be reached or has no workers;
* 130 / 143: interrupted by Ctrl-C / SIGTERM (finished replications are saved; continue
  with ``--resume``).
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from . import __version__

EXIT_FAILED = 1
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_ENV = 3
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


# --------------------------------------------------------------------------- helpers
def note(msg: str) -> None:
    """A message for the person at the terminal (stderr, so --json stdout stays clean)."""
    click.echo(msg, err=True)


class InputError(click.ClickException):
    """Bad input: shown as ``error: ...`` with exit code 2."""

    exit_code = EXIT_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class EnvironmentProblem(click.ClickException):
    """Not bad input and not a bug: the disk, the output directory, saved files or the
    cluster. Shown as ``error: ...`` with exit code 3."""

    exit_code = EXIT_ENV

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _input_errors() -> tuple[type[BaseException], ...]:
    from .experiment import ExecutorError, ExperimentError, StoreError
    from .scenario import ScenarioError

    return (ScenarioError, ExperimentError, ExecutorError, StoreError)


def _env_errors() -> tuple[type[BaseException], ...]:
    from .experiment.executors import ExecutorUnavailable
    from .experiment.store import StoreUnavailable

    return (StoreUnavailable, ExecutorUnavailable, OSError)


def _os_message(exc: OSError) -> str:
    """``cannot write /x/y: No space left on device`` rather than errno tuples."""
    what = exc.strerror or str(exc)
    where = f" {exc.filename}" if exc.filename else ""
    return f"file system problem at{where}: {what}" if where else f"file system problem: {what}"


def _on_sigterm(signum: int, frame: Any) -> None:
    from .experiment.runner import Terminated

    raise Terminated()


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    note(f"warning: {message}")


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known errors into clean messages and exit codes (see the module docstring);
    never show a traceback. SIGTERM unwinds like Ctrl-C: workers are ended, what finished is
    saved."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .experiment.runner import Terminated

        old_term = signal.signal(signal.SIGTERM, _on_sigterm)
        old_show = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except KeyboardInterrupt as exc:
            out = click.get_current_context().meta.get("simorg_out")
            hint = f"; finished replications are stored in {out}, continue with --resume --out {out}" \
                if out else ""
            terminated = isinstance(exc, Terminated)
            note(f"{'terminated' if terminated else 'interrupted'}{hint}")
            sys.exit(EXIT_SIGTERM if terminated else EXIT_SIGINT)
        except _input_errors() + _env_errors() as exc:
            if isinstance(exc, _env_errors()):
                msg = _os_message(exc) if isinstance(exc, OSError) else str(exc)
                raise EnvironmentProblem(msg) from None
            msg = exc.format() if hasattr(exc, "format") and callable(exc.format) else str(exc)
            raise InputError(msg) from None
        except Exception as exc:
            if os.environ.get("SIMORG_DEBUG"):
                raise
            note(f"internal error: {type(exc).__name__}: {exc}\n"
                 "(this is a bug in simorg; set SIMORG_DEBUG=1 for the traceback)")
            sys.exit(EXIT_INTERNAL)
        finally:
            signal.signal(signal.SIGTERM, old_term)
            warnings.showwarning = old_show

    return wrapper


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``--set dotted.key=value`` items -> dict (the scenario layer's parser when present)."""
    if not items:
        return {}
    from .scenario import parse_set

    return parse_set(items)


def load_scenario(path: str, overrides: dict[str, Any]) -> Any:
    from .scenario import load

    return load(path, overrides=overrides or None)


def parse_reps(value: str | None, default: int | None) -> int | str | None:
    """``--reps``: a positive integer or ``auto`` (checked by the experiment layer)."""
    if value is None:
        return default
    from .experiment.api import _check_reps

    n = _check_reps(value)
    return "auto" if n is None else n


def slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:60]


def out_dir(opts: dict[str, Any], default_stem: str) -> Path:
    """The --out directory, or ``out/<stem>-<timestamp>/`` by default."""
    if opts["out"]:
        path = Path(opts["out"])
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path("out") / f"{slug(default_stem)}-{stamp}"
    click.get_current_context().meta["simorg_out"] = path
    return path


def emit(doc: dict[str, Any], text: str, opts: dict[str, Any]) -> None:
    """Print the result: JSON alone on stdout with --json, else the table."""
    from .experiment.outdir import dumps

    if opts["as_json"]:
        click.echo(dumps(doc))
    else:
        click.echo(text)


def _write_report(out_dir: Path) -> tuple[Path | None, str | None, int]:
    """Write out_dir/report.html: ``(path, problem, exit code)``; a report problem never
    loses results (they are saved before)."""
    from .report import write_report

    try:
        return write_report(Path(out_dir)), None, 0
    except OSError as exc:
        return None, f"could not write the report: {_os_message(exc)}", EXIT_ENV
    except Exception as exc:  # noqa: BLE001 - ReportError or a bug: the results are saved
        return None, f"could not write the report: {type(exc).__name__}: {exc}", EXIT_INTERNAL


def finish(path: Path, opts: dict[str, Any], doc: dict[str, Any] | None = None) -> None:
    """Say where results went and write the HTML report. Exit 1 if any replication failed
    (everything that did finish is saved first), else non-zero if the report could not be
    written (saying why)."""
    report, problem, code = _write_report(path)
    note(f"results written to {path}/" + (f" (report: {report})" if report else ""))
    if problem:
        note(f"error: {problem} (the results are saved; 'simorg report {path}' tries again)")
    failed = int((doc or {}).get("failed") or 0)
    if failed:
        note(f"error: {failed} replication(s) failed; their errors are in {path}/result.json "
             f"and {path}/reps/ (a replication whose worker died is retried by --resume)")
        sys.exit(EXIT_FAILED)
    if code:
        sys.exit(code)


def _seed(opts: dict[str, Any]) -> int:
    return 1 if opts["seed"] is None else opts["seed"]


def engine_kwargs(opts: dict[str, Any]) -> dict[str, Any]:
    return {
        "workers": opts["workers"], "executor": opts["executor"], "scheduler": opts["scheduler"],
        "progress": not opts["quiet"], "resume": opts["resume"], "precision": opts["precision"],
        "max_reps": opts["max_reps"],
    }


def computing(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options every computing command takes (collected into ``opts``)."""
    options = [
        click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of replication 0; replication i uses seed+i. [default: 1]"),
        click.option("--reps", "reps", default=None, metavar="N|auto",
                     help="Replications per scenario, or 'auto' (add until --precision is reached)."),
        click.option("--precision", type=float, default=0.02, show_default=True,
                     help="With --reps auto: target 95% CI half-width as a fraction of the mean."),
        click.option("--max-reps", type=click.IntRange(2, 1_000_000), default=2000, show_default=True,
                     help="With --reps auto: the most replications to run."),
        click.option("--out", type=click.Path(file_okay=False), default=None,
                     help="Directory for results [default: out/<name>-<timestamp>/]."),
        click.option("--resume", is_flag=True, help="Continue results already in --out (recompute nothing stored)."),
        click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Override a scenario field, e.g. --set teams.ae.headcount=8 (repeatable)."),
        click.option("--workers", type=click.IntRange(1, 4096), default=None,
                     help="Worker processes (or Dask workers) [default: all cores]."),
        click.option("--executor", type=click.Choice(["local", "serial", "dask"]), default="local",
                     show_default=True, help="Where replications run."),
        click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="Dask scheduler address (implies --executor dask); none starts a local cluster."),
        click.option("--json", "as_json", is_flag=True, help="Print only the JSON result on stdout."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    ]

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        keys = ("seed", "reps", "precision", "max_reps", "out", "resume", "sets", "workers",
                "executor", "scheduler", "as_json", "quiet")
        opts = {k: kwargs.pop(k) for k in keys}
        return fn(opts=opts, **kwargs)

    for opt in reversed(options):
        wrapper = opt(wrapper)
    return wrapper


# --------------------------------------------------------------------------- commands
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="simorg", message="%(prog)s %(version)s")
def main() -> None:
    """simorg: simulate a SaaS go-to-market organization before you hire it."""


@main.command(short_help="Check scenario / experiment files.")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a field while checking.")
@guarded
def validate(files: tuple[str, ...], sets: tuple[str, ...]) -> None:
    """Check scenario or experiment FILES: "ok", or errors naming file, line and field."""
    from .experiment.validate import validate_file

    overrides = parse_overrides(sets)
    bad = 0
    for f in files:
        errors, warnings = validate_file(f, overrides)
        for w in warnings:
            click.echo(f"{f}: warning: {w}")
        if errors:
            bad += 1
            click.echo(f"error: {errors}" if str(f) in errors else f"error: {f}: {errors}", err=True)
        else:
            click.echo(f"{f}: ok")
    if bad:
        sys.exit(EXIT_INPUT)


@main.command(short_help="Replications of one scenario: KPI table with 95% CIs.")
@click.argument("file", type=click.Path())
@click.option("--crm-csv", is_flag=True, help="Also write the first replication's records as CRM-shaped CSVs into OUT/crm/.")
@computing
@guarded
def run(file: str, opts: dict[str, Any], crm_csv: bool = False) -> None:
    """Run replications of the scenario FILE and print each KPI's mean and 95% CI."""
    from .experiment import replicate
    from .experiment.tables import auto_line, run_table

    sc = load_scenario(file, parse_overrides(opts["sets"]))
    path = out_dir(opts, sc.name)
    res = replicate(sc, reps=parse_reps(opts["reps"], 30) or 30, seed=_seed(opts), out=path,
                    **engine_kwargs(opts))
    text = run_table(res) + ("\n" + auto_line(res.auto) if res.auto else "")
    doc = res.to_json()
    emit(doc, text, opts)
    if crm_csv:  # simorg/calibrate/export.py
        from .calibrate.export import export_run
        from .experiment.simulate import simulate

        note(f"CRM-shaped CSVs of the first replication in {export_run(simulate(sc, _seed(opts)), sc, path / 'crm')['leads'].parent}/")
    finish(path, opts, doc)


@main.command(short_help="Paired comparison of B [C...] against A.")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@computing
@guarded
def compare(files: tuple[str, ...], opts: dict[str, Any]) -> None:
    """Compare scenarios B [C...] against A, paired with common random numbers."""
    from .experiment import compare_many
    from .experiment.tables import auto_line, compare_table

    if len(files) < 2:
        raise InputError("compare needs at least two scenario files (A B [C...])")
    overrides = parse_overrides(opts["sets"])
    scenarios = [load_scenario(f, overrides) for f in files]
    stem = "compare-" + "-vs-".join(sc.name for sc in scenarios[:3])
    path = out_dir(opts, stem)
    multi = compare_many(scenarios, reps=parse_reps(opts["reps"], 30) or 30, seed=_seed(opts),
                         out=path, **engine_kwargs(opts))
    text = "\n\n".join(compare_table(c) for c in multi.comparisons)
    if multi.auto:
        text += "\n" + auto_line(multi.auto)
    doc = multi.to_json()
    emit(doc, text, opts)
    finish(path, opts, doc)


@main.command(short_help="Grid / Latin hypercube / one-at-a-time sweep.")
@click.argument("experiment", type=click.Path())
@computing
@guarded
def sweep(experiment: str, opts: dict[str, Any]) -> None:
    """Run the experiment file EXPERIMENT: a grid, Latin hypercube or one-at-a-time sweep."""
    from .experiment import load_experiment
    from .experiment import sweep as run_sweep
    from .experiment.tables import auto_line, sweep_table

    exp = load_experiment(experiment)
    path = out_dir(opts, f"sweep-{exp.name}")
    res = run_sweep(experiment, experiment=exp, overrides=parse_overrides(opts["sets"]),
                    reps=parse_reps(opts["reps"], None), seed=opts["seed"], out=path,
                    **engine_kwargs(opts))
    text = sweep_table(res) + ("\n" + auto_line(res.auto) if res.auto else "")
    doc = res.to_json()
    emit(doc, text, opts)
    finish(path, opts, doc)


@main.command(short_help="Failure-mode gallery: baseline vs a failure, symptoms and causes.")
@click.argument("name", required=False)
@click.option("--reps", type=click.IntRange(2, 100000), default=30, show_default=True,
              help="Paired replications per arm.")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="Seed of replication 0.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a field in both arms.")
@click.option("--workers", type=click.IntRange(1, 4096), default=None, help="Worker processes [default: all cores].")
@click.option("--no-check-off", is_flag=True, help="Skip the run with the mechanism turned off.")
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON result on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@guarded
def demo(name: str | None, reps: int, seed: int, sets: tuple[str, ...], workers: int | None,
         no_check_off: bool, as_json: bool, quiet: bool) -> None:
    """Compare the baseline with failure mode NAME and read out its symptoms and causal chain.

    Without NAME, list the failure modes. Each runs a paired comparison, then the same with
    the causing mechanism turned off in both arms, to show the symptoms go away.
    """
    from .experiment import gallery
    from .experiment.outdir import dumps

    if name is None:
        click.echo(gallery.format_list())
        return
    try:
        gallery.get(name)
    except gallery.UnknownFailureMode as exc:
        raise InputError(str(exc)) from None
    result = gallery.run_demo(name, reps=reps, seed=seed, check_off=not no_check_off,
                              overrides=parse_overrides(sets), workers=workers, progress=not quiet)
    failed = result.failed
    try:
        click.echo(dumps(result.to_json()) if as_json else gallery.format_demo(result))
    except KeyError as exc:  # a KPI missing because its replications failed
        if not failed:
            raise
        note(f"cannot show KPI {exc} (its replications failed)")
    if failed:
        note(f"error: {failed} replication(s) failed; the comparison above uses the rest")
        sys.exit(EXIT_FAILED)


@main.command(short_help="HTML report from saved results.")
@click.argument("directory", type=click.Path(file_okay=False))
@guarded
def report(directory: str) -> None:
    """Write DIR/report.html from results saved by run, compare or sweep."""
    path = Path(directory)
    rj = path / "result.json"
    if not rj.exists():
        raise InputError(f"{path}: no result.json here; give a directory written by run, compare or sweep")
    try:
        doc = json.loads(rj.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvironmentProblem(
            f"{rj} is damaged (not valid JSON: {exc}); write it again with the same command "
            f"and --resume --out {path}") from None
    if not isinstance(doc, dict) or "kind" not in doc:
        raise EnvironmentProblem(f"{rj} is not a simorg result (no 'kind'); write it again with "
                                 f"the same command and --resume --out {path}")
    report_path, problem, code = _write_report(path)
    if problem:
        note(f"error: {problem}")
        sys.exit(code)
    click.echo(str(report_path))


@main.command(short_help="JSON Schema of scenario files.")
@guarded
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from .scenario import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command(short_help="The page: a local web app for a class or a client meeting.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: the room's network).")
@click.option("--workers", type=click.IntRange(1, 4096), default=None, help="Worker processes shared by every browser [default: all cores].")
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
def app(port: int, host: str, workers: int | None, no_browser: bool) -> None:
    """Start the page (offline; every asset served locally) and print its URL."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        from .app import serve
    except ImportError:
        raise InputError('the page needs the "app" extra: pip install "simorg[app]"') from None
    serve(host=host, port=port, workers=workers, open_browser=not no_browser)


# --------------------------------------------------------------------------- calibrate (simorg/calibrate/cli.py)
from .calibrate.cli import backtest as _backtest  # noqa: E402
from .calibrate.cli import calibrate as _calibrate  # noqa: E402

main.add_command(_calibrate)
main.add_command(_backtest)


if __name__ == "__main__":  # pragma: no cover
    main()
