"""Read CRM exports (CSV) into clean tables, with errors and warnings that name file, row and column.

Four kinds of file, any subset: ``opportunities`` (deals), ``accounts`` (or subscriptions),
``leads`` and ``headcount`` (people with role, start and end). Column names of standard
Salesforce and HubSpot exports are recognised (:data:`ALIASES`); anything else is mapped by a
small YAML file, ``{kind: {our_field: their column}}``.

Rules for bad data: an unknown column is ignored with a warning; a date that does not parse, an
amount that is not a number ("twelve"), a negative amount or a duplicate id is an error
(:class:`CRMInputError`, all problems at once, exit code 2 on the command line); an amount
written with a currency symbol or thousands separators ("$12,000") is read with a warning; a
deal that closes before it was created is kept out of the cycle-time fit, with a count.
Row numbers are those of the file as a spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

KINDS = ("opportunities", "accounts", "leads", "headcount")

FIELDS: dict[str, dict[str, str]] = {
    "opportunities": {
        "id": "id", "account": "text", "created": "date", "close": "date", "stage": "text",
        "amount": "money", "type": "text", "source": "text", "segment": "text", "owner": "text",
        "is_won": "bool", "is_closed": "bool",
    },
    "accounts": {
        "account": "id", "start": "date", "end": "date", "arr": "money", "segment": "text",
        "term": "number", "billing": "text", "go_live": "date",
    },
    "leads": {
        "id": "id", "created": "date", "source": "text", "first_touch": "date", "status": "text",
        "segment": "text",
    },
    "headcount": {"person": "id", "role": "text", "start": "date", "end": "date"},
}
"""Our fields per kind and how each is parsed."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "opportunities": ("created", "amount"),
    "accounts": ("start",),
    "leads": ("created",),
    "headcount": ("role", "start"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_ALIAS_LIST: dict[str, dict[str, tuple[str, ...]]] = {
    "opportunities": {
        "id": ("id", "opportunityid", "opportunity id", "deal id", "dealid", "hs_object_id", "record id"),
        "account": ("accountid", "account", "account id", "account name", "company", "associated company",
                    "associated company id", "company id"),
        "created": ("createddate", "created", "create date", "created date", "createdate"),
        "close": ("closedate", "close date", "closed date"),
        "stage": ("stagename", "stage", "deal stage", "dealstage", "status"),
        "amount": ("amount", "acv", "arr", "deal amount", "annual contract value", "value"),
        "type": ("type", "deal type", "dealtype", "opportunity type"),
        "source": ("leadsource", "lead source", "original source", "hs_analytics_source", "source", "channel"),
        "segment": ("segment", "size", "company size", "customer segment", "market segment", "tier"),
        "owner": ("ownerid", "owner", "deal owner", "opportunity owner", "hubspot_owner_id", "owner id"),
        "is_won": ("iswon", "is won", "is closed won", "hs_is_closed_won"),
        "is_closed": ("isclosed", "is closed", "hs_is_closed"),
    },
    "accounts": {
        "account": ("accountid", "account", "account id", "id", "company id", "record id", "customer id"),
        "start": ("start", "start date", "startdate", "contract start date", "subscription start date",
                  "customer since", "become a customer date"),
        "end": ("end", "end date", "churn date", "churned date", "cancellation date", "enddate",
                "contract end date", "cancel date"),
        "arr": ("arr", "annual recurring revenue", "annualrevenue", "contract value", "acv", "mrr x 12"),
        "segment": ("segment", "size", "company size", "customer segment", "tier"),
        "term": ("term", "term months", "contract term", "contractterm", "term (months)"),
        "billing": ("billing", "billing frequency", "billing terms", "billing period"),
        "go_live": ("go live", "go live date", "golive", "live date", "onboarding completed date",
                    "implementation end"),
    },
    "leads": {
        "id": ("id", "lead id", "leadid", "record id", "contact id"),
        "created": ("createddate", "created", "create date", "created date", "createdate"),
        "source": ("leadsource", "lead source", "original source", "hs_analytics_source", "source", "channel"),
        "first_touch": ("first touch", "first touch date", "first activity date", "first contact date",
                        "first_outreach_date", "first response date", "first engagement date"),
        "status": ("status", "lead status", "hs_lead_status", "lifecycle stage", "lifecyclestage"),
        "segment": ("segment", "size", "company size"),
    },
    "headcount": {
        "person": ("person", "id", "employee id", "employee", "name", "userid", "user id"),
        "role": ("role", "title", "job title", "department", "userrole"),
        "start": ("start", "start date", "hire date", "startdate", "hired"),
        "end": ("end", "end date", "termination date", "leave date", "enddate", "left"),
    },
}
ALIASES: dict[str, dict[str, str]] = {
    kind: {_norm(a): f for f, names in fields.items() for a in names}
    for kind, fields in _ALIAS_LIST.items()
}
"""Recognised column names (normalised: lower case, letters and digits only) -> our field."""

STAGES = {
    "won": ("won", "closedwon", "closed won", "closed - won", "win"),
    "lost": ("lost", "closedlost", "closed lost", "closed - lost", "loss", "dead"),
}
TYPES = {
    "new": ("new", "new business", "newbusiness", "new customer", "new logo", "new deal"),
    "renewal": ("renewal", "renew", "existing business - renewal"),
    "upsell": ("upsell", "up-sell", "upgrade", "expansion", "existing business", "existing business - upgrade",
               "add-on"),
    "cross-sell": ("cross-sell", "crosssell", "cross sell", "new module", "existing business - new product"),
}
LEAD_STATUS = {
    "qualified": ("qualified", "converted", "sql", "opportunity", "sales qualified lead", "salesqualifiedlead",
                  "meeting booked", "connected"),
    "disqualified": ("disqualified", "unqualified", "rejected", "junk", "bad fit", "bad timing", "not interested",
                     "closed - not converted", "recycled"),
}
ROLES = {
    "ae": ("ae", "account executive", "sales", "sales rep", "salesperson", "account exec", "closer"),
    "sdr": ("sdr", "bdr", "sales development", "sales development rep", "business development rep",
            "business development representative", "sales development representative"),
    "presales": ("presales", "pre-sales", "sales engineer", "se", "solutions engineer", "solution consultant"),
    "implementation": ("implementation", "onboarding", "implementation engineer", "project manager",
                       "professional services", "ps", "delivery"),
    "csm": ("csm", "customer success", "customer success manager", "cs"),
    "am": ("am", "account manager", "key account manager"),
    "marketing": ("marketing", "marketer", "demand gen", "demand generation", "marketing ops", "content"),
}
SELF_SOURCES = {_norm(s) for s in ("self", "self-sourced", "outbound", "sales", "ae", "prospecting",
                                   "sales generated", "sales prospecting", "rep sourced")}
"""Lead-source values that mean an AE's own prospecting (not a marketing channel)."""
EXISTING_SOURCES = {_norm(s) for s in ("existing", "existing customer", "customer", "installed base",
                                       "account management")}


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_norm(v): k for k, vs in table.items() for v in vs}


_STAGE, _TYPE, _STATUS, _ROLE = _lookup(STAGES), _lookup(TYPES), _lookup(LEAD_STATUS), _lookup(ROLES)


@dataclass
class Issue:
    """A problem with one file (row and column when known)."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def format(self) -> str:
        where = self.file + (f": row {self.row}" if self.row is not None else "")
        where += f": column '{self.column}'" if self.column else ""
        return f"{where}: {self.message}"


class CRMInputError(Exception):
    """The export cannot be used: every problem found, each naming file, row and column."""

    def __init__(self, issues: list[Issue], warnings: list[str] | None = None):
        self.issues = issues
        self.warnings = list(warnings or [])
        """Warnings found before the errors (shown with them)."""
        super().__init__(self.format())

    def format(self) -> str:
        head = f"{len(self.issues)} problem(s) in the CRM export:" if len(self.issues) > 1 else ""
        lines = [i.format() for i in self.issues]
        return "\n".join([head, *lines]) if head else lines[0]


@dataclass
class CRMData:
    """The export as clean pandas tables (our field names; dates as pandas timestamps)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    """What was set aside, with counts (e.g. 'opportunities closing before created')."""
    export_date: pd.Timestamp | None = None

    def has(self, kind: str, column: str | None = None) -> bool:
        t = self.tables.get(kind)
        if t is None:
            return False
        return column is None or (column in t.columns and t[column].notna().any())


def guess_kind(path: Path) -> str | None:
    """The kind of export a file name suggests (None when it suggests none)."""
    n = path.stem.lower()
    for kind, words in (("opportunities", ("opportunit", "deal", "opps")),
                        ("accounts", ("account", "subscription", "compan", "customer", "contract")),
                        ("leads", ("lead", "contact")),
                        ("headcount", ("headcount", "people", "employee", "staff", "user", "team", "hr"))):
        if any(w in n for w in words):
            return kind
    return None


def read_mapping(path: str | Path | None) -> dict[str, Any]:
    """The mapping file: ``{kind: {our_field: their column}}``, optionally ``segments`` and
    ``roles`` (``{their value: our name}``)."""
    if path is None:
        return {}
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise CRMInputError([Issue(str(path), f"cannot read the mapping file: {exc.strerror or exc}")]) from None
    except yaml.YAMLError as exc:
        raise CRMInputError([Issue(str(path), f"not valid YAML: {exc}")]) from None
    if not isinstance(doc, dict):
        raise CRMInputError([Issue(str(path), "expected a mapping {kind: {our_field: their column}}")])
    issues = []
    for kind, m in doc.items():
        if kind in ("segments", "roles", "sources"):
            continue
        if kind not in FIELDS:
            issues.append(Issue(str(path), f"unknown section '{kind}' (known: {', '.join([*KINDS, 'segments', 'roles', 'sources'])})"))
        elif not isinstance(m, dict):
            issues.append(Issue(str(path), f"section '{kind}' must map our field -> their column"))
        else:
            for f in m:
                if f not in FIELDS[kind]:
                    issues.append(Issue(str(path), f"'{kind}.{f}' is not a field (known: {', '.join(FIELDS[kind])})"))
    if issues:
        raise CRMInputError(issues)
    return doc


def _parse_money(raw: pd.Series, fname: str, col: str, issues: list[Issue], warnings: list[str],
                 allow_negative: bool = False) -> pd.Series:
    text = raw.astype("string").str.strip()
    empty = text.isna() | (text == "")
    cleaned = text.str.replace(r"[\s,$€£¥]|USD|EUR|GBP", "", regex=True)
    neg_paren = cleaned.str.match(r"^\(.*\)$").fillna(False)
    cleaned = cleaned.where(~neg_paren, "-" + cleaned.str.strip("()"))
    values = pd.to_numeric(cleaned.where(~empty), errors="coerce")
    bad = values.isna() & ~empty
    for i in np.flatnonzero(bad.to_numpy())[:5]:
        issues.append(Issue(fname, f"'{raw.iloc[i]}' is not an amount", int(i) + 2, col))
    if bad.sum() > 5:
        issues.append(Issue(fname, f"... and {int(bad.sum()) - 5} more amounts that are not numbers", None, col))
    decorated = (cleaned != text) & ~empty & ~bad
    if decorated.any():
        first = int(np.flatnonzero(decorated.to_numpy())[0])
        warnings.append(f"{fname}: column '{col}': {int(decorated.sum())} amount(s) written with currency "
                        f"symbols or separators (first at row {first + 2}: '{raw.iloc[first]}'), read as numbers")
    if not allow_negative:
        negative = values < 0
        for i in np.flatnonzero(negative.fillna(False).to_numpy())[:5]:
            issues.append(Issue(fname, f"negative amount {raw.iloc[i]}", int(i) + 2, col))
    return values


def _parse_dates(raw: pd.Series, fname: str, col: str, issues: list[Issue]) -> pd.Series:
    text = raw.astype("string").str.strip()
    empty = text.isna() | (text == "")
    values = pd.to_datetime(text.where(~empty), errors="coerce", format="mixed", utc=True)
    values = values.dt.tz_localize(None)
    bad = values.isna() & ~empty
    for i in np.flatnonzero(bad.to_numpy())[:5]:
        issues.append(Issue(fname, f"'{raw.iloc[i]}' is not a date", int(i) + 2, col))
    if bad.sum() > 5:
        issues.append(Issue(fname, f"... and {int(bad.sum()) - 5} more values that are not dates", None, col))
    return values


def _parse_bool(raw: pd.Series) -> pd.Series:
    t = raw.astype("string").str.strip().str.lower()
    return t.map(lambda v: True if v in ("true", "1", "yes", "y", "t") else False if v in
                 ("false", "0", "no", "n", "f") else None)


def _category(raw: pd.Series, table: dict[str, str], extra: dict[str, str] | None = None) -> pd.Series:
    extra = {_norm(k): v for k, v in (extra or {}).items()}

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
            return None
        n = _norm(v)
        return extra.get(n) or table.get(n)

    return raw.map(one)


def _slug(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
        return None
    return re.sub(r"[^a-z0-9]+", "_", str(v).strip().lower()).strip("_") or None


def read_table(path: str | Path, kind: str, mapping: dict[str, Any] | None = None,
               data: CRMData | None = None) -> pd.DataFrame:
    """Read one CSV export of ``kind`` into our fields (errors raise :class:`CRMInputError`)."""
    mapping = mapping or {}
    data = data if data is not None else CRMData()
    fname = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise CRMInputError([Issue(fname, "no such file")]) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CRMInputError([Issue(fname, f"not a readable CSV file: {exc}")]) from None
    except pd.errors.EmptyDataError:
        raise CRMInputError([Issue(fname, "empty file (no header row)")]) from None
    explicit = {their: ours for ours, their in (mapping.get(kind) or {}).items()}
    columns: dict[str, str] = {}
    issues: list[Issue] = []
    for their in raw.columns:
        ours = explicit.get(their) or (None if explicit and their in explicit.values() else ALIASES[kind].get(_norm(their)))
        if ours is None:
            data.warnings.append(f"{fname}: column '{their}' is not used (unknown column; map it in a mapping file if it matters)")
            continue
        if ours in columns.values():
            data.warnings.append(f"{fname}: column '{their}' is not used ('{ours}' is read from another column)")
            continue
        columns[their] = ours
    for ours, their in (mapping.get(kind) or {}).items():
        if their not in raw.columns:
            issues.append(Issue(fname, f"the mapping names column '{their}' for '{ours}', but the file has no such column "
                                       f"(columns: {', '.join(map(str, raw.columns))})"))
    missing = [f for f in REQUIRED[kind] if f not in columns.values()]
    for f in missing:
        issues.append(Issue(fname, f"no column for '{f}' (recognised names: "
                                   f"{', '.join(_ALIAS_LIST[kind][f][:4])}...; or map it in a mapping file)"))
    if issues:
        raise CRMInputError(issues)

    out = pd.DataFrame(index=raw.index)
    for their, ours in columns.items():
        how = FIELDS[kind][ours]
        col = raw[their]
        if how == "date":
            out[ours] = _parse_dates(col, fname, their, issues)
        elif how == "money" or how == "number":
            out[ours] = _parse_money(col, fname, their, issues, data.warnings)
        elif how == "bool":
            out[ours] = _parse_bool(col)
        else:
            out[ours] = col.where(col.str.strip() != "", None).str.strip()
        if how == "id":
            present = out[ours].notna()
            dup = out[ours].duplicated(keep="first") & present
            for i in np.flatnonzero(dup.to_numpy())[:5]:
                first = int(np.flatnonzero((out[ours] == out[ours].iloc[i]).to_numpy())[0])
                issues.append(Issue(fname, f"duplicate id '{out[ours].iloc[i]}' (first at row {first + 2})", int(i) + 2, their))
            if dup.sum() > 5:
                issues.append(Issue(fname, f"... and {int(dup.sum()) - 5} more duplicate ids", None, their))
    if issues:
        raise CRMInputError(issues)
    out.attrs["columns"] = {ours: their for their, ours in columns.items()}
    return _normalise(out, kind, fname, mapping, data)


def _normalise(t: pd.DataFrame, kind: str, fname: str, mapping: dict[str, Any], data: CRMData) -> pd.DataFrame:
    """Our vocabularies: stages, deal types, lead statuses, roles, segment and source slugs."""
    cols = t.attrs.get("columns", {})
    segs = mapping.get("segments") or {}
    if "segment" in t:
        t["segment"] = t["segment"].map(lambda v: segs.get(v, v) if v is not None else None).map(_slug)
    if "source" in t:
        src = mapping.get("sources") or {}
        t["source"] = t["source"].map(lambda v: src.get(v, v) if v is not None else None).map(_slug)
    if kind == "opportunities":
        stage = _category(t["stage"], _STAGE) if "stage" in t else pd.Series([None] * len(t), index=t.index)
        if "is_won" in t and "is_closed" in t:
            closed = t["is_closed"].fillna(False).astype(bool)
            won = t["is_won"].fillna(False).astype(bool)
            stage = pd.Series(np.where(closed, np.where(won, "won", "lost"), "open"), index=t.index)
        t["stage"] = stage.fillna("open")
        if "stage" not in cols and "is_closed" not in t:
            data.warnings.append(f"{fname}: no stage column: every opportunity is taken as open")
        if "type" in t:
            typ = _category(t["type"], _TYPE)
            unknown = typ.isna() & t["type"].notna()
            if unknown.any():
                first = int(np.flatnonzero(unknown.to_numpy())[0])
                data.warnings.append(f"{fname}: column '{cols['type']}': {int(unknown.sum())} deal type(s) not recognised "
                                     f"(first at row {first + 2}: '{t['type'].iloc[first]}'), taken as new business")
            t["type"] = typ.fillna("new")
        else:
            t["type"] = "new"
        if "close" in t and "created" in t:
            before = (t["close"] < t["created"]).fillna(False)
            if before.any():
                first = int(np.flatnonzero(before.to_numpy())[0])
                data.warnings.append(f"{fname}: {int(before.sum())} opportunit(ies) close before they were created "
                                     f"(first at row {first + 2}); left out of the cycle-time fit")
                data.dropped["opportunities closing before created (cycle fit)"] = int(before.sum())
            t["close_before_create"] = before
    if kind == "leads" and "status" in t:
        t["status"] = _category(t["status"], _STATUS).fillna("open")
    if kind == "headcount":
        roles = _category(t["role"], _ROLE, mapping.get("roles"))
        unknown = roles.isna() & t["role"].notna()
        if unknown.any():
            names = sorted(set(t["role"][unknown]))
            data.warnings.append(f"{fname}: column '{cols['role']}': {int(unknown.sum())} people with roles outside "
                                 f"go-to-market or not recognised ({', '.join(names[:6])}) are left out; "
                                 "map them under 'roles:' in a mapping file")
            data.dropped["people with unrecognised roles"] = int(unknown.sum())
        t["role"] = roles
        t = t[t["role"].notna()].copy()
        if "end" in t:
            bad = (t["end"] < t["start"]).fillna(False)
            if bad.any():
                data.warnings.append(f"{fname}: {int(bad.sum())} people end before they start; left out")
                data.dropped["people ending before they start"] = int(bad.sum())
                t = t[~bad].copy()
    if kind == "accounts" and "end" in t:
        bad = (t["end"] < t["start"]).fillna(False)
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            data.warnings.append(f"{fname}: {int(bad.sum())} account(s) churn before they start "
                                 f"(first at row {first + 2}); left out")
            data.dropped["accounts churning before they start"] = int(bad.sum())
            t = t[~bad].copy()
    return t


def read_export(paths: dict[str, str | Path], mapping_file: str | Path | None = None,
                export_date: str | None = None) -> CRMData:
    """Read every given file (``{kind: path}``) and collect all problems before failing."""
    mapping = read_mapping(mapping_file)
    data = CRMData()
    issues: list[Issue] = []
    for kind, path in paths.items():
        if kind not in FIELDS:
            issues.append(Issue(str(path), f"unknown kind of export '{kind}' (known: {', '.join(KINDS)})"))
            continue
        try:
            data.tables[kind] = read_table(path, kind, mapping, data)
            data.files[kind] = str(path)
        except CRMInputError as exc:
            issues.extend(exc.issues)
    if issues:
        raise CRMInputError(issues, data.warnings)
    if not data.tables:
        raise CRMInputError([Issue("(no files)", "no CRM export given: name at least one of "
                                                 f"{', '.join(KINDS)}")])
    if export_date is not None:
        try:
            data.export_date = pd.Timestamp(export_date)
        except ValueError:
            raise CRMInputError([Issue("--export-date", f"'{export_date}' is not a date")]) from None
    else:
        data.export_date = _latest_date(data)
    return data


def _latest_date(data: CRMData) -> pd.Timestamp:
    """The export date when none is given: the first day of the month after the latest event."""
    latest = []
    for kind, cols in (("opportunities", ("created", "close")), ("leads", ("created",)),
                       ("accounts", ("start", "end")), ("headcount", ("start", "end"))):
        t = data.tables.get(kind)
        if t is None:
            continue
        for c in cols:
            if c in t and t[c].notna().any():
                v = t[c].max()
                if kind == "opportunities" and c == "close":
                    v = t.loc[t["stage"] != "open", c].max() if (t["stage"] != "open").any() else None
                if v is not None and not pd.isna(v):
                    latest.append(v)
    if not latest:
        raise CRMInputError([Issue("(export)", "no dates anywhere: cannot tell the export date (give --export-date)")])
    last = max(latest)
    return (last + pd.offsets.MonthBegin(1)).normalize() if last.day != 1 or last != last.normalize() else last


def find_files(inputs: list[str | Path], explicit: dict[str, str | None] | None = None) -> dict[str, str | Path]:
    """``{kind: path}`` from folders or files (kind from the file name) and explicit options."""
    out: dict[str, str | Path] = {}
    issues: list[Issue] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.glob("*.csv")):
                k = guess_kind(f)
                if k and k not in out:
                    out[k] = f
        elif p.exists():
            k = guess_kind(p)
            if k is None:
                issues.append(Issue(str(p), "cannot tell what this file holds from its name; pass it with "
                                            "--opportunities, --accounts, --leads or --headcount"))
            else:
                out[k] = p
        else:
            issues.append(Issue(str(p), "no such file or folder"))
    for k, v in (explicit or {}).items():
        if v:
            out[k] = v
    if issues:
        raise CRMInputError(issues)
    return out
