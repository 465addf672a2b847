"""The explicit state at month 0 from CSV files: the installed base and the open pipeline.

A scenario may list the accounts paying at month 0 and the opportunities open then
(``customers.initial.accounts`` / ``opportunities``), or point to CSV files holding them
(``accounts_csv`` / ``opportunities_csv``, resolved relative to the scenario file that wrote
the path; a consultant keeps thousands of accounts in a spreadsheet, not in YAML). After the
schema has validated the scenario, :func:`attach_state` reads the CSVs into those lists, row
by row through the same schema classes, so a bad row is an error naming the file, the row
(spreadsheet numbering: the header is row 1) and the column.

Columns (header names, any order, case and spaces ignored):

* accounts: ``segment``, ``arr`` (required); ``id`` (or ``account``); ``age_days`` or
  ``start`` (a date); ``renewal_in_days`` or ``renewal_date`` (a date); ``term_months``;
  ``billing``; ``health``.
* opportunities: ``segment``, ``amount`` (required); ``id``; ``age_days`` or ``created``
  (a date); ``stage``.

Dates (``YYYY-MM-DD``) need ``customers.initial.as_of``, the date month 0 stands for.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Location, Problem, ScenarioError
from .schema import InitialAccount, OpenOpportunity, Scenario
from .yamlread import Located

ALIASES = {"account": "id", "account_id": "id", "opportunity": "id", "opportunity_id": "id",
           "acv": "arr", "renewal": "renewal_date", "created_date": "created", "start_date": "start",
           "term": "term_months"}
DATE_COLUMNS = {"start": "age_days", "renewal_date": "renewal_in_days", "created": "age_days"}
"""Date columns and the day counts they give (days before ``as_of`` for a start, after it for a renewal)."""
DATES_OF = {"InitialAccount": ("start", "renewal_date"), "OpenOpportunity": ("created",)}
MAX_PROBLEMS = 20
"""At most this many bad rows are listed (then a count of the rest)."""


def _key(header: str) -> str:
    k = header.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(k, k)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip()[:10])


def read_state_csv(path: Path, shown: str, model: type[BaseModel], as_of: str | None,
                   segments: set[str], field: str) -> list[Any]:
    """Read one state CSV into ``model`` rows; every bad cell is a problem naming file, row and column."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise ScenarioError.single(f"no such file: {shown}", Location(shown), path=field) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.single(f"cannot read {shown}: {exc}", Location(shown), path=field) from None
    if not rows:
        raise ScenarioError.single("the file is empty (expected a header row)", Location(shown, 1), path=field)
    header = [_key(h) for h in rows[0]]
    dates = DATES_OF.get(model.__name__, ())
    allowed = set(model.model_fields) | set(dates)
    problems: list[Problem] = []

    def bad(row: int, col: int | None, message: str) -> None:
        problems.append(Problem(message=message, file=shown, line=row, column=col, path=field))

    for j, h in enumerate(header):
        if h not in allowed:
            bad(1, j + 1, f"column '{rows[0][j]}' is not known; known: {sorted(allowed)}")
    for need in (n for n, f in model.model_fields.items() if f.is_required()):
        if need not in header:
            bad(1, None, f"missing column '{need}'")
    if problems:
        raise ScenarioError(problems)
    day0 = None
    if as_of is not None:
        day0 = _date(as_of)
    out: list[Any] = []
    for i, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            bad(i, None, f"{len(row)} cells, the header has {len(header)}")
            continue
        data: dict[str, Any] = {}
        col_of: dict[str, int] = {}
        for j, (h, cell) in enumerate(zip(header, row, strict=True)):
            cell = cell.strip()
            if cell == "":
                continue
            if h in dates:
                target = DATE_COLUMNS[h]
                if day0 is None:
                    bad(i, j + 1, f"column '{rows[0][j]}': a date needs customers.initial.as_of (the date of month 0)")
                    continue
                try:
                    days = float((_date(cell) - day0).days)
                except ValueError:
                    bad(i, j + 1, f"column '{rows[0][j]}': '{cell}' is not a date (YYYY-MM-DD)")
                    continue
                data[target] = days if h == "renewal_date" else -days
                col_of[target] = j + 1
            else:
                data[h] = cell
                col_of[h] = j + 1
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                col = col_of.get(name)
                shown_col = rows[0][col - 1] if col else name
                bad(i, col, f"column '{shown_col}': {err['msg']} (found {data.get(name, 'nothing')!r})")
            continue
        if item.segment not in segments:  # type: ignore[attr-defined]
            bad(i, col_of.get("segment"), f"column 'segment': '{item.segment}' is not a segment of the "  # type: ignore[attr-defined]
                                          f"scenario; known: {sorted(segments)}")
            continue
        out.append(item)
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        shown_problems = problems[:MAX_PROBLEMS]
        if extra > 0:
            shown_problems.append(Problem(message=f"... and {extra} more", file=shown, path=field))
        raise ScenarioError(shown_problems)
    return out


def attach_state(scenario: Scenario, doc: Located) -> Scenario:
    """The scenario with the rows of ``accounts_csv`` / ``opportunities_csv`` read into
    ``accounts`` / ``opportunities`` (the CSV paths made absolute); unchanged without them."""
    init = scenario.customers.initial
    if init.accounts_csv is None and init.opportunities_csv is None:
        return scenario
    segments = set(scenario.segments)
    update: dict[str, Any] = {}
    for field, model, target in (("accounts_csv", InitialAccount, "accounts"),
                                 ("opportunities_csv", OpenOpportunity, "opportunities")):
        value = getattr(init, field)
        if value is None:
            continue
        where = doc.where(("customers", "initial", field), value=True)
        base = os.path.dirname(where.source) if where is not None and not where.source.startswith(("<", "--set")) \
            else ""
        shown = value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))
        update[target] = read_state_csv(Path(shown), shown, model, init.as_of, segments,
                                        f"customers.initial.{field}")
        update[field] = str(Path(shown).resolve())
    new_init = init.model_copy(update=update)
    customers = scenario.customers.model_copy(update={"initial": new_init})
    return scenario.model_copy(update={"customers": customers})
