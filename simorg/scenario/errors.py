"""The one error type of the scenario layer, and the problems it reports.

Every failure reading a scenario (missing file, YAML syntax, unsafe tag, unknown key, wrong
type, value out of range, ``extends`` cycle, malformed override) becomes a
:class:`ScenarioError` holding one or more :class:`Problem` s. Each problem says *where*
(file, line, column), *what* (the dotted field path, e.g. ``teams.ae.ramp_months``), what
was expected, what was found, and, for a misspelled name, the closest valid one.

The command line prints :meth:`ScenarioError.format` and exits non-zero; no traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Location:
    """Where a value came from: a file (with 1-based line and column) or an override.

    ``source`` is a file path as the user wrote it, or a label such as
    ``--set teams.ae.headcount=3`` for values that came from an override.
    """

    source: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.source
        if self.column is None:
            return f"{self.source}:{self.line}"
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, phrased so a person can fix it.

    ``message`` is the complete sentence shown to the user; ``expected``, ``found`` and
    ``suggestion`` are also kept separately so tools (and tests) need not parse it.
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    expected: str | None = None
    found: str | None = None
    suggestion: str | None = None

    @property
    def where(self) -> str:
        """``file:line:column`` as far as known (empty when nothing is known)."""
        if self.file is None:
            return ""
        return str(Location(self.file, self.line, self.column))

    def format(self) -> str:
        """One line: ``file:line:col: path: message``, leaving out parts that are unknown."""
        parts = [p for p in (self.where, self.path) if p]
        return ": ".join([*parts, self.message])


class ScenarioError(Exception):
    """A scenario that cannot be used, with messages a person can act on.

    ``problems`` lists everything found (validation reports all bad fields at once, not only
    the first). The attributes ``file``, ``line``, ``column``, ``path``, ``expected``,
    ``found`` and ``suggestion`` are those of the first problem, for the common case of one.
    """

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        if not self.problems:
            raise ValueError("ScenarioError needs at least one problem")
        super().__init__(self.format())

    @classmethod
    def single(cls, message: str, where: Location | None = None, **fields: Any) -> ScenarioError:
        """Shorthand for an error with one problem located at ``where``."""
        loc: dict[str, Any] = {}
        if where is not None:
            loc = {"file": where.source, "line": where.line, "column": where.column}
        return cls(Problem(message=message, **loc, **fields))

    def _first(self, name: str) -> Any:
        return getattr(self.problems[0], name)

    @property
    def file(self) -> str | None:
        return self._first("file")

    @property
    def line(self) -> int | None:
        return self._first("line")

    @property
    def column(self) -> int | None:
        return self._first("column")

    @property
    def path(self) -> str:
        return self._first("path")

    @property
    def expected(self) -> str | None:
        return self._first("expected")

    @property
    def found(self) -> str | None:
        return self._first("found")

    @property
    def suggestion(self) -> str | None:
        return self._first("suggestion")

    @property
    def messages(self) -> list[str]:
        """Each problem formatted on its own line (what :meth:`format` joins)."""
        return [p.format() for p in self.problems]

    def format(self) -> str:
        """The text to show a user: one problem per line, a count header when several."""
        lines = self.messages
        if len(lines) == 1:
            return lines[0]
        return f"{len(lines)} problems:\n" + "\n".join(f"  {line}" for line in lines)

    def __str__(self) -> str:
        return self.format()


def describe(value: Any) -> str:
    """A short human description of a value found in a scenario, in YAML spelling."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value!r}".replace("inf", ".inf").replace("nan", ".nan")
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"'{text}' (text)"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    return f"a Python {type(value).__name__}"


def dotted(path: Sequence[Any]) -> str:
    """``("teams", "ae", "plan", 0, "month")`` -> ``teams.ae.plan[0].month``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
