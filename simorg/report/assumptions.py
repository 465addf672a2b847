"""The scenario's key assumptions as small HTML tables, read from the resolved scenario YAML.

Works on the plain YAML mapping (not the validated model) so a report can still be built
when the schema has moved on since the results were saved. Distributions are shown as
their mean plus the form they were written in.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .explain import ROLE_LABELS
from .explain import fmt_money as _fmt_money


def fmt_money(x: float) -> str:
    """Money in assumption tables: 45k, 1.2M (no trailing zeros)."""
    return _fmt_money(x, trim=True)


def dist_mean(value: Any) -> float | None:
    """Mean of a scenario-file distribution (number or ``{name: params}``), None if unknown."""
    try:
        from simorg.scenario.distributions import parse_distribution

        return float(parse_distribution(value).mean)
    except Exception:  # noqa: BLE001 - any unreadable form just shows as written
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None


def dist_text(value: Any, money: bool = False) -> str:
    """``mean 45k (lognormal, sd 20k)`` style text for a distribution."""
    m = dist_mean(value)
    f = fmt_money if money else (lambda x: f"{x:.3g}")
    if isinstance(value, dict) and len(value) == 1:
        (name, params), = value.items()
        extra = ", ".join(f"{k} {f(v) if isinstance(v, int | float) else v}" for k, v in (params or {}).items()
                          if k not in ("mean",)) if isinstance(params, dict) else ""
        return f"mean {f(m)} ({name}{', ' + extra if extra else ''})" if m is not None else f"{name} {params}"
    return f(m) if m is not None else str(value)


def _plain(v: Any) -> str:
    """A setting as a reader would say it: yes/no, none, lists and mappings spelled out."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if v is None or v == {} or v == []:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_plain(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_plain(x) for x in v)
    return str(v)


def _org_descriptions() -> dict[str, str]:
    """Field descriptions of the scenario schema's org section (empty if the schema moved)."""
    try:
        from simorg.scenario.schema import Org

        return {k: f.description or "" for k, f in Org.model_fields.items()}
    except Exception:  # noqa: BLE001 - the report must not depend on the schema's shape
        return {}


def _table(headers: list[str], rows: list[list[str]], cls: str = "assump") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _plan_text(team: dict[str, Any]) -> str:
    plan = team.get("plan") or []
    if not plan:
        return "flat"
    steps = sorted(plan, key=lambda s: s.get("month", 0))
    return ", ".join(f"{s.get('headcount')} from month {s.get('month')}" for s in steps)


def assumptions_html(doc: dict[str, Any]) -> str:
    """Key assumptions of one scenario: horizon, segments, channels, teams, customers, org rules."""
    parts: list[str] = []
    horizon = doc.get("horizon_months")
    desc = doc.get("description") or ""
    parts.append(f"<p><b>Horizon:</b> {escape(str(horizon))} months."
                 + (f" <i>{escape(str(desc))}</i>" if desc else "") + "</p>")
    segs = doc.get("segments") or {}
    if segs:
        rows = [[escape(n), dist_text(s.get("acv"), money=True), f"{s.get('win_rate', 0):.0%}"
                 if isinstance(s.get("win_rate"), int | float) else "",
                 dist_text(s.get("cycle_days")), dist_text(s.get("onboarding_days"))]
                for n, s in segs.items()]
        parts.append("<h4>Segments</h4>" + _table(
            ["segment", "new-deal ACV (per year)", "win rate", "sales cycle (days)", "onboarding (days)"], rows))
    chans = (doc.get("marketing") or {}).get("channels") or {}
    if chans:
        rows = []
        for n, c in chans.items():
            budget, cpl = c.get("budget_per_month"), c.get("cost_per_lead")
            leads = f"{budget / cpl:,.0f}" if isinstance(budget, int | float) and cpl else ""
            growth = c.get("budget_growth_per_month", 0) or 0
            mix = ", ".join(f"{k} {v:.0%}" for k, v in (c.get("segment_mix") or {}).items())
            rows.append([escape(n), fmt_money(budget) if isinstance(budget, int | float) else "",
                         f"{growth:+.1%}/month" if growth else "flat", fmt_money(cpl) if cpl else "",
                         leads, f"{c.get('lag_days', 30):g}", dist_text(c.get("fit")), escape(mix)])
        parts.append("<h4>Marketing channels</h4>" + _table(
            ["channel", "budget / month", "budget growth", "cost per lead", "leads / month at start",
             "lag (days)", "lead fit (0-1)", "segment mix"], rows))
    teams = doc.get("teams") or {}
    if teams:
        rows = []
        for role, t in teams.items():
            if not isinstance(t, dict):
                continue
            extra = []
            if role == "ae":
                if "quota_per_year" in t:
                    extra.append(f"quota {fmt_money(t['quota_per_year'])}/yr")
                if "commission_rate" in t:
                    extra.append(f"commission {t['commission_rate']:.0%}")
            if role == "presales" and "acv_threshold" in t:
                extra.append(f"needed from ACV {fmt_money(t['acv_threshold'])}")
            if role == "implementation" and t.get("self_delivery_below_acv"):
                extra.append(f"AE self-delivers below ACV {fmt_money(t['self_delivery_below_acv'])}")
            if role == "csm":
                if "touches_per_month" in t:
                    extra.append(f"{t['touches_per_month']:g} touches/month")
                if t.get("bonus_rate"):
                    extra.append(f"bonus {t['bonus_rate']:.0%} of renewed ARR")
            if "capacity" in t and role != "marketing":
                extra.append(f"capacity {t['capacity']} at once")
            rows.append([escape(ROLE_LABELS.get(role, role)), escape(str(t.get("headcount", ""))), escape(_plan_text(t)),
                         fmt_money(t["salary"]) if isinstance(t.get("salary"), int | float) else "",
                         f"{t.get('ramp_months', 0):g}", f"{t.get('attrition_per_year', 0):.0%}",
                         escape("; ".join(extra))])
        parts.append("<h4>Teams</h4>" + _table(
            ["role", "headcount at start", "hiring plan", "salary / yr", "ramp (months)",
             "attrition / yr", "notes"], rows))
    cust = doc.get("customers") or {}
    init = cust.get("initial") or {}
    ren = cust.get("renewal") or {}
    facts = []
    if init:
        mix = ", ".join(f"{k} {v:.0%}" for k, v in (init.get("segment_mix") or {}).items())
        facts.append(f"{init.get('count', 0)} customers at start" + (f" ({escape(mix)})" if mix else ""))
    if ren:
        facts.append(f"contract term {ren.get('term_months', 12)} months")
    if "gross_margin" in cust:
        facts.append(f"gross margin {cust['gross_margin']:.0%}")
    if facts:
        parts.append("<h4>Customers</h4><p>" + "; ".join(facts) + ".</p>")
    org = doc.get("org") or {}
    if org:
        desc = _org_descriptions()
        rows = [[f"<code>{escape(str(k))}</code>", f"<b>{escape(_plain(v))}</b>", escape(desc.get(str(k), ""))]
                for k, v in org.items()]
        parts.append("<h4>Org rules</h4>" + _table(["rule", "setting", "meaning"], rows))
    return "\n".join(parts)


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted-key view of a nested mapping (lists and distributions kept as leaves)."""
    out: dict[str, Any] = {}
    if isinstance(doc, dict) and not (len(doc) == 1 and dist_mean(doc) is not None and prefix):
        for k, v in doc.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = doc
    return out


def differences_html(docs: dict[str, dict[str, Any]], arms: list[str]) -> str:
    """Table of every scenario setting that differs between the arms (name and description left out)."""
    arms = [a for a in arms if a in docs]
    if len(arms) < 2:
        return ""
    flat = {a: flatten(docs[a]) for a in arms}
    keys = sorted(set().union(*flat.values()) - {"name", "description"})
    rows = []
    for k in keys:
        vals = [flat[a].get(k, "—") for a in arms]
        if any(v != vals[0] for v in vals[1:]):
            rows.append([f"<code>{escape(k)}</code>"] + [escape(str(v)) for v in vals])
    if not rows:
        return "<p>The arms' scenario files are identical apart from their names.</p>"
    return _table(["setting"] + arms, rows, cls="assump diff")
