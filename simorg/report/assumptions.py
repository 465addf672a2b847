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
    """Key assumptions of one scenario: horizon, segments, channels, teams, customers,
    contracts, money, org rules."""
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
    parts.append(_contracts_html(doc))
    parts.append(_money_html(doc))
    org = doc.get("org") or {}
    if org:
        desc = _org_descriptions()
        rows = [[f"<code>{escape(str(k))}</code>", f"<b>{escape(_plain(v))}</b>", escape(desc.get(str(k), ""))]
                for k, v in org.items()]
        parts.append("<h4>Org rules</h4>" + _table(["rule", "setting", "meaning"], rows))
    return "\n".join(parts)


def _num(v: Any, default: float = 0.0) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


def _months(n: float) -> str:
    return "1 month" if n == 1 else f"{n:g} months"


BILLING_WORDS = {"monthly": "invoiced every month", "quarterly": "invoiced every quarter",
                 "annual": "invoiced once a year", "upfront": "the whole term invoiced up front"}


def _contracts_html(doc: dict[str, Any]) -> str:
    """How each segment's customers sign and pay: term, billing, payment terms, price rise at
    renewal, and the share of customers on each contract (``segments.<name>.contracts``)."""
    segs = doc.get("segments") or {}
    term_default = _num(((doc.get("customers") or {}).get("renewal") or {}).get("term_months"), 12.0)
    rows = []
    for name, seg in segs.items():
        opts = (seg or {}).get("contracts") or [{}]
        total = sum(_num(o.get("share"), 1.0) for o in opts) or 1.0
        for o in opts:
            term = _num(o.get("term_months"), term_default)
            billing = str(o.get("billing") or "annual")
            uplift = _num(o.get("uplift"))
            days = _num(o.get("payment_days"), 30.0)
            rows.append([escape(str(name)), f"{_num(o.get('share'), 1.0) / total:.0%}", _months(term),
                         escape(BILLING_WORDS.get(billing, billing)),
                         "on the invoice date" if days == 0 else f"{days:g} days after the invoice",
                         f"+{uplift:.0%} at each renewal" if uplift else "none"])
    if not rows:
        return ""
    return ("<h4>Contracts: how customers sign and pay</h4>" + _table(
        ["segment", "share of customers", "contract length", "billing", "cash comes in", "price rise at renewal"],
        rows) + "<p class='neutral'>Each customer gets one of its segment's contracts, drawn by these shares. "
        "Subscription revenue is earned day by day over the contract, whatever the billing.</p>")


def _cost_line(o: Any) -> str:
    """An R&D or G&A line as a founder says it: $X a month, growing y% a month, plus z% of revenue."""
    o = o or {}
    parts = []
    if _num(o.get("per_month")):
        text = f"{fmt_money(_num(o.get('per_month')))} a month"
        if _num(o.get("growth_per_month")):
            text += f", growing {_num(o.get('growth_per_month')):+.1%} a month"
        parts.append(text)
    if _num(o.get("share_of_revenue")):
        parts.append(f"{_num(o.get('share_of_revenue')):.0%} of revenue")
    return " plus ".join(parts) or "none"


def _money_html(doc: dict[str, Any]) -> str:
    """The company's money outside go-to-market (``finance``): cash at start, funding, R&D and
    G&A, cost of revenue, implementation fees, when salaries are paid."""
    fin = doc.get("finance")
    margin = _num((doc.get("customers") or {}).get("gross_margin"), 0.75)
    if not isinstance(fin, dict):
        return ("<h4>Money</h4><p>No <code>finance</code> section: the cash in the bank, R&amp;D and G&amp;A "
                "are unknown, so cash, runway and burn are not computed (revenue is). Cost of revenue is "
                f"{1 - margin:.0%} of revenue (gross margin {margin:.0%}).</p>")
    rows = [["Cash in the bank at the start", fmt_money(_num(fin.get("starting_cash")))]]
    funding = fin.get("funding") or []
    rows.append(["Money raised", "; ".join(f"{fmt_money(_num(f.get('amount')))} in month {f.get('month')}"
                                           for f in funding if isinstance(f, dict)) or "none planned"])
    rows.append(["R&amp;D", _cost_line(fin.get("rd"))])
    rows.append(["G&amp;A", _cost_line(fin.get("ga"))])
    share = fin.get("cogs_share_of_revenue")
    cogs = [f"{_num(share, 1 - margin):.0%} of subscription revenue"
            + ("" if share is not None else f" (gross margin {margin:.0%})")]
    for key, label in (("hosting_per_account_month", "hosting"), ("support_per_account_month", "support")):
        if _num(fin.get(key)):
            cogs.append(f"{label} {fmt_money(_num(fin.get(key)))} per customer a month")
    rows.append(["Cost of revenue (COGS)", ", plus ".join(cogs)])
    fee = _num(fin.get("services_fee_share"))
    rows.append(["Implementation fee", f"{fee:.0%} of the first-year contract value, invoiced at signature, "
                 "counted as revenue when the customer goes live" if fee else "none (implementation is free)"])
    pay = _num(fin.get("salary_payment_days"))
    rows.append(["Salaries paid", f"{pay:g} days after the month's end" if pay else "on the month's last day"])
    return "<h4>Money</h4>" + _table(["", "assumption"], rows)


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
