"""The scenario schema: every parameter of the model, typed, with unit and allowed range.

A scenario file is validated against :class:`Scenario`. Unknown keys are errors (a
misspelled key must never be silently ignored). Each field's ``description`` says what
it means and in which unit; ``docs/scenarios.md`` is generated from these descriptions.

Time inside the model is in days; scenario files use the unit each field names
(``_days``, ``_months``, ``_per_year``...). Money is in the scenario's currency per year
for salaries and per month for marketing budgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..model.policies import (
    EXPANSION_OWNERS,
    HOURS_SHARING,
    LEAD_ROUTING,
    RENEWAL_OWNERS,
    WORK_PRIORITY,
)
from ..model.policies.budget import BUDGET_RULES
from ..model.policies.hiring import HIRING_RULES
from .distributions import Constant, Distribution, Support, parse_distribution

ROLES = ("sdr", "ae", "presales", "implementation", "csm")
"""Roles with finite capacity that work items flow through."""

STAFF_ROLES = ("marketing", *ROLES, "am", "renewal_specialist")
"""Every role that can have headcount (marketing staff have salary, no queue; am and
renewal_specialist are optional teams)."""

POOL_ROLES = (*ROLES, "am", "renewal_specialist")
"""Roles whose people hold work items (a queue and slots)."""


class DeprecatedFieldWarning(UserWarning):
    """A scenario sets a field the model no longer reads (it still loads)."""


DEPRECATED_FIELDS: dict[tuple[str, ...], str] = {
    ("org", "expansion_max_wait_days"): "deprecated and ignored since issue 14: an AE expansion holds no "
    "AE slot, so no expansion waits to be picked up; remove the setting",
}
"""Fields accepted so that older scenarios still load, but no longer read: path -> what to tell
the author. Loading a scenario that sets one warns, naming the file, line and field."""

_DIST_JSON_SCHEMA = {
    "description": "a number (constant) or a one-key mapping naming a distribution, "
    "e.g. {lognormal: {mean: 30, sd: 15}}",
    "anyOf": [
        {"type": "number"},
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "propertyNames": {
                "enum": [
                    "constant", "exponential", "normal", "lognormal", "gamma",
                    "beta", "triangular", "uniform", "empirical",
                ]
            },
        },
    ],
}

Dist = Annotated[
    Distribution,
    BeforeValidator(parse_distribution),
    PlainSerializer(lambda d: d.to_yaml(), return_type=Any),
    WithJsonSchema(_DIST_JSON_SCHEMA),
]
"""A distribution field: a number or ``{name: {params}}`` (see distributions.py)."""

_AMOUNT = Support(lo=0.0, quantity="non-negative amount")
_DURATION = Support(lo=0.0, quantity="duration (days)")
_FRACTION = Support(lo=0.0, hi=1.0, quantity="fraction")
Amount = Annotated[Dist, AfterValidator(_AMOUNT), _AMOUNT]
"""A distribution of money or of a size relative to ARR: every draw >= 0."""
Duration = Annotated[Dist, AfterValidator(_DURATION), _DURATION]
"""A distribution of a time span in days: every draw >= 0."""
Fraction = Annotated[Dist, AfterValidator(_FRACTION), _FRACTION]
"""A distribution of a 0-1 quantity (fit, health): every draw in [0, 1]."""

Share = Annotated[float, Field(ge=0.0, le=1.0)]

# Policy names come from the registries in simorg/model/policies (modules free of SimPy): a
# policy registered there is a name the schema accepts, and an unknown name is an error that
# lists the registered ones.
if TYPE_CHECKING:
    LeadRouting: TypeAlias = str
    WorkOrder: TypeAlias = str
    HoursSharingName: TypeAlias = str
    RenewalOwnerName: TypeAlias = str
    ExpansionOwnerName: TypeAlias = str
else:
    LeadRouting = LEAD_ROUTING.literal()
    WorkOrder = WORK_PRIORITY.literal(where=lambda cls: not cls.reads_pay)  # SDRs are not paid per lead worked
    HoursSharingName = HOURS_SHARING.literal()
    RenewalOwnerName = RENEWAL_OWNERS.literal()
    ExpansionOwnerName = EXPANSION_OWNERS.literal()
Money = Annotated[float, Field(ge=0.0)]


def _mix_not_empty(mix: dict[str, float]) -> dict[str, float]:
    """A written segment mix must give some segment a positive share (all zeros is no mix)."""
    if mix and sum(mix.values()) <= 0:
        raise ValueError(
            "every share is 0: give at least one segment a positive share, or leave the mix out "
            "for equal shares"
        )
    return mix


Mix = Annotated[dict[str, Share], AfterValidator(_mix_not_empty)]


def _owner_shares_not_all_zero(shares: dict[str, float]) -> dict[str, float]:
    """An owner map written out with every share 0 says nothing: refuse it (leave it out instead)."""
    if shares and not any(v > 0 for v in shares.values()):
        raise ValueError("every share is 0: give at least one owner a positive share, or leave the map out")
    return shares


OwnerShares = Annotated[dict[str, Share], AfterValidator(_owner_shares_not_all_zero)]
"""Shares by owner name (ae, csm, am, renewal_specialist)."""
"""Segment shares; an empty mix means equal shares, an all-zero mix is an error."""


class Strict(BaseModel):
    """Base for every section: unknown keys are errors; values are re-validated on assignment."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, validate_default=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        """``headcount: yes`` is YAML for true: refuse it in a number field rather than read 1."""
        if info.field_name is None or not _numeric(cls.model_fields[info.field_name].annotation):
            return value
        items = value.values() if isinstance(value, dict) else [value]
        for item in items:
            if isinstance(item, bool):
                raise ValueError(
                    f"expected a number, found {str(item).lower()} "
                    "(yes/no/on/off/true/false are read as true or false)"
                )
        return value


def _numeric(annotation: Any) -> bool:
    """Is a field a number, an optional number, or a mapping of names to numbers?"""
    import typing

    from . import introspect

    tp = introspect.strip(annotation)
    if typing.get_origin(tp) is dict:
        tp = introspect.strip(typing.get_args(tp)[1])
    return tp in (int, float)


# --------------------------------------------------------------------------- market

BILLING_MONTHS: dict[str, int | None] = {"monthly": 1, "quarterly": 3, "annual": 12, "upfront": None}
"""Months covered by one invoice for each billing frequency (``upfront``: the whole term)."""


class ContractOption(Strict):
    """One kind of contract a segment sells: term, billing, payment terms, price uplift at renewal.

    A segment may sell several (``share`` of new and initial accounts each); an account's
    contract is drawn once, by a counter-based draw keyed by the account."""

    share: Share = Field(default=1.0, description="share of the segment's accounts on this contract (normalised)")
    term_months: int | None = Field(
        default=None, ge=1, le=60,
        description="contract term (months); default customers.renewal.term_months")
    billing: Literal["monthly", "quarterly", "annual", "upfront"] = Field(
        default="annual",
        description="how often it is invoiced: monthly, quarterly, annual, or the whole term upfront "
                    "(an invoice never spans past the term's end)")
    payment_days: float = Field(default=30.0, ge=0, le=365, description="days from invoice to cash (payment terms)")
    uplift: Share = Field(default=0.0, description="list-price uplift at each renewal (fraction of ARR)")

    def billing_months(self, term_months: int) -> int:
        """Months one invoice covers (never more than the term)."""
        months = BILLING_MONTHS[self.billing]
        return term_months if months is None else min(months, term_months)


class Segment(Strict):
    """A customer segment (e.g. SMB, mid-market, enterprise): deal economics and delivery effort."""

    acv: Amount = Field(description="annual contract value of a new deal (currency/year)")
    win_rate: Share = Field(description="chance a fully ramped AE wins an average-fit opportunity (fraction)")
    cycle_days: Duration = Field(description="sales cycle from opportunity to decision, without waits (days)")
    onboarding_days: Duration = Field(description="implementation project length for one implementer slot (days)")
    renewal_rate_factor: float = Field(
        default=1.0, ge=0.0, le=2.0,
        description="multiplies the renewal probability of this segment's accounts (1 = as health says)",
    )
    contracts: list[ContractOption] = Field(
        default_factory=list, max_length=20,
        description="contracts the segment sells, each with a share (default: one annual contract of "
                    "customers.renewal.term_months, billed annually, net 30, no uplift)")

    @model_validator(mode="after")
    def _contract_shares(self) -> Segment:
        if self.contracts and sum(c.share for c in self.contracts) <= 0:
            raise ValueError("contracts: every share is 0; give at least one contract a positive share")
        return self


class BudgetStep(Strict):
    month: int = Field(ge=0, description="from this month on (0 = start)")
    budget_per_month: Money = Field(description="programme spend per month from that month (currency/month)")


class BudgetRuleConfig(Strict):
    """A channel's budget set each month from the company's state (docs/model.md, "Budget rules")."""

    rule: BUDGET_RULES.literal() = Field(description="what the budget is a share of")  # type: ignore[valid-type]
    share: float = Field(ge=0, le=10, description="the share (fraction)")
    trailing_months: float = Field(default=3.0, gt=0, le=24, description="months of trailing new ARR the rule reads")
    min: Money = Field(default=0.0, description="lowest budget (currency/month)")
    max: Money | None = Field(default=None, description="highest budget (currency/month)")
    cap_payback_months: float | None = Field(
        default=None, gt=0, le=120,
        description="hold the budget under what trailing new ARR pays back in this many months of gross margin "
        "(with the sales and marketing salaries): a CAC-payback cap",
    )
    cap_burn_multiple: float | None = Field(
        default=None, gt=0, le=100,
        description="hold the budget so that trailing net burn stays under this multiple of trailing net new ARR "
        "(a burn-multiple cap; needs a finance section)",
    )


class Channel(Strict):
    """A marketing channel: money in, leads out after a lag, each lead with a fit drawn here."""

    budget_per_month: Money = Field(description="programme spend per month at month 0 (currency/month)")
    budget_growth_per_month: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="compound growth of the budget per month (fraction)"
    )
    cost_per_lead: float = Field(gt=0, description="spend needed for one lead (currency/lead)")
    lag_days: float = Field(
        default=30.0, ge=0, description="delay between spend and the leads it produces (days)"
    )
    fit: Fraction = Field(description="lead quality, 0 (poor) to 1 (ideal customer); mean 0.5 is average")
    segment_mix: dict[str, Share] = Field(
        description="share of this channel's leads in each segment; shares must sum to 1"
    )
    cpl_elasticity: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="diminishing returns: cost per lead = cost_per_lead x (spend / reference)^elasticity "
                    "(0 = constant cost per lead)")
    cpl_reference_budget: Money | None = Field(
        default=None, description="monthly spend at which a lead costs cost_per_lead (default budget_per_month)")
    budget_plan: list[BudgetStep] = Field(
        default_factory=list,
        description="budget steps by month; growth compounds from the step's month",
    )
    budget_rule: BudgetRuleConfig | None = Field(
        default=None, description="set the budget from the company's state each month (replaces the plan from month 0)"
    )

    def planned_budget(self, month: int) -> float:
        """The budget by plan at ``month``: the step in force (else ``budget_per_month``),
        grown by ``budget_growth_per_month`` since that step."""
        base, since = self.budget_per_month, 0
        for step in sorted(self.budget_plan, key=lambda st: st.month):
            if step.month <= month:
                base, since = step.budget_per_month, step.month
        return base * (1 + self.budget_growth_per_month) ** (month - since)

    @model_validator(mode="after")
    def _mix_sums_to_one(self) -> Channel:
        total = sum(self.segment_mix.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment_mix shares must sum to 1, found {total:g}")
        return self


class Partner(Strict):
    """A reseller or referral partner: sources deals straight into the AE queue, for a commission."""

    deals_per_month: float = Field(ge=0, le=100000, description="deals the partner brings per month at month 0 (deals/month)")
    deals_growth_per_month: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="compound growth of the partner's deal rate per month (fraction)"
    )
    start_month: int = Field(default=0, ge=0, description="month the partnership starts bringing deals")
    fit: Fraction = Field(description="fit of partner-sourced deals, 0 (poor) to 1 (ideal customer)")
    segment_mix: dict[str, Share] = Field(
        description="share of this partner's deals in each segment; shares must sum to 1"
    )
    commission: Share = Field(
        default=0.2, description="paid to the partner at signature: a share of the deal's first-year ARR (fraction)"
    )

    @model_validator(mode="after")
    def _mix_sums_to_one(self) -> Partner:
        total = sum(self.segment_mix.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment_mix shares must sum to 1, found {total:g}")
        return self


class Marketing(Strict):
    channels: dict[str, Channel] = Field(description="marketing channels by name")
    spend_per_marketer: Money | None = Field(
        default=None,
        description="programme spend one marketer can run per month; spend beyond what the marketing "
                    "team can run buys proportionally fewer leads (default: no limit)")
    measured_on: Literal["pipeline", "volume"] = Field(
        default="pipeline", description="what marketing is measured on: qualified pipeline, or lead volume"
    )


# --------------------------------------------------------------------------- teams
class HirePlanStep(Strict):
    month: int = Field(ge=0, description="from this month on (0 = start)")
    headcount: int = Field(ge=0, le=100000, description="target headcount from that month")


class HiringFreeze(Strict):
    """No new requisitions while the company's books say money is short (docs/model.md, "Hiring freeze")."""

    runway_below_months: float = Field(
        gt=0, le=240, description="freeze while runway (cash / trailing 3-month net burn, last month's books) is under this")
    burn_multiple_above: float | None = Field(
        default=None, gt=0, le=100,
        description="also freeze while the trailing 3-month burn multiple (net burn / net new ARR) is above this")


class HiringRuleConfig(Strict):
    """A team's target headcount from the company's state (docs/model.md, "Hiring rules")."""

    rule: HIRING_RULES.literal() = Field(description="what the rule reads")  # type: ignore[valid-type]
    per: float = Field(
        default=1.0, gt=0,
        description="ratio: people per person of `of`; accounts/ARR/opportunities/new ARR per person: that amount",
    )
    of: Literal[STAFF_ROLES] | None = Field(default=None, description="ratio: the team counted")  # type: ignore[valid-type]
    target_days: float = Field(
        default=60.0, ge=0,
        description="backlog: target time to value; delivery_delay: the delivery-delay goal (days)",
    )
    goal_drift_months: float | None = Field(
        default=None, gt=0, le=240,
        description="delivery_delay: the goal drifts toward the delay achieved, over this many months "
        "(Forrester's eroding goal); none: the goal is fixed",
    )
    smoothing_months: float = Field(default=3.0, ge=0, le=24, description="exponential smoothing of the state read (months)")
    min: int = Field(default=0, ge=0, le=100000, description="never target fewer people")
    max: int = Field(default=100000, ge=0, le=100000, description="never target more people")

    @model_validator(mode="after")
    def _ratio_names_a_team(self) -> HiringRuleConfig:
        if self.rule == "ratio" and self.of is None:
            raise ValueError("a ratio rule needs `of`: the team it is a ratio to")
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class Team(Strict):
    """One role's people: how many, how they ramp, what they cost, how often they leave."""

    headcount: int = Field(ge=0, le=100000, description="people in the role at month 0 (fully ramped)")
    plan: list[HirePlanStep] = Field(
        default_factory=list,
        description="target headcount by month; hiring starts hiring_lead_days before people are needed",
    )
    salary: Money = Field(description="fully loaded base cost per person (currency/year)")
    ramp_months: float = Field(default=0.0, ge=0, le=36, description="months until a new hire is fully productive")
    ramp_start: Share = Field(default=0.3, description="productivity of a new hire on day one (fraction of full)")
    attrition_per_year: float = Field(default=0.0, ge=0, le=5, description="voluntary leaving hazard (per person-year)")
    backfill: bool = Field(default=True, description="start hiring a replacement when someone leaves")
    hiring_lead_days: float = Field(default=60.0, ge=0, description="time from opening a requisition to the start date (days)")
    recruiting_cost: Money = Field(default=0.0, description="cost per hire (currency)")
    capacity: int = Field(
        default=1, ge=1, le=10000,
        description="work items one person handles at once (SDR leads, AE open opportunities, presales deals, "
        "implementation projects, CSM accounts in book)",
    )
    rule: HiringRuleConfig | None = Field(
        default=None, description="hire toward a target read from the company's state each month (the plan is a floor)"
    )
    freeze: HiringFreeze | None = Field(
        default=None, description="no new requisitions (for the plan or the rule) while runway is short; "
        "needs a finance section")

    def target_at(self, month: float) -> int:
        """Target headcount in force at ``month`` (the plan, else the starting headcount)."""
        target = self.headcount
        for step in sorted(self.plan, key=lambda s: s.month):
            if step.month <= month:
                target = step.headcount
        return target


class SDRTeam(Team):
    work_days: Duration = Field(description="effort to work one lead, one at a time (days)")
    qualify_rate: Share = Field(description="chance an average-fit lead touched at once becomes an opportunity")
    response_half_life_hours: float = Field(
        default=12.0, gt=0, description="wait before first touch that halves the excess qualify chance (hours)"
    )
    response_floor: Share = Field(
        default=0.3, description="qualify chance multiplier for a lead touched very late (fraction)"
    )
    max_lead_age_days: float = Field(
        default=14.0, gt=0, description="a lead not touched within this many days goes stale, never followed up"
    )
    work_order: WorkOrder = Field(
        default="newest_first",
        description="which waiting lead an SDR takes next: the freshest (speed to lead) or the oldest",
    )
    pay_basis: Literal["qualified", "qualified_plus_revenue"] = Field(
        default="qualified_plus_revenue",
        description="SDR variable pay: per qualified lead only, or also a share of the revenue won from them",
    )
    pay_per_qualified: Money = Field(default=40.0, description="SDR pay per qualified lead (currency)")
    revenue_share: Share = Field(default=0.01, description="SDR pay as a share of ACV won from their leads (qualified_plus_revenue)")


class AEComp(Strict):
    """An AE's variable pay by motion and by recorded lead source (article 000, 004)."""

    new_rate_marketing: Share | None = Field(
        default=None, description="commission on new ARR from marketing-sourced leads (default: commission_rate)"
    )
    new_rate_self: Share | None = Field(
        default=None, description="commission on new ARR from self-sourced deals (default: commission_rate)"
    )
    expansion_rate: Share = Field(default=0.05, description="commission on expansion ARR an AE owns after the credit window")
    rate_after_window: Share = Field(
        default=0.0, description="commission the deal's original AE keeps on expansions after the credit window"
    )
    renewal_rate: Share = Field(default=0.04, description="commission on renewed ARR when AEs own renewals")
    accelerator_above: float = Field(default=1.0, ge=0, le=5, description="attainment above which the accelerator applies")
    accelerator: float = Field(default=1.0, ge=1, le=5, description="commission multiplier above accelerator_above")
    cap: float | None = Field(default=None, gt=0, le=10, description="no commission on bookings beyond this multiple of quota per plan year")


class AETeam(Team):
    quota_per_year: Money = Field(description="new-bookings quota of a ramped AE (currency ARR/year)")
    commission_rate: Share = Field(default=0.10, description="commission on new ARR booked (fraction of ACV)")
    comp: AEComp = Field(default_factory=AEComp, description="commission by motion and lead source")
    self_source_per_month: float = Field(
        default=0.0, ge=0, description="opportunities an AE creates per month when the pipeline is thin"
    )
    self_source_below: Share = Field(
        default=0.5, description="pipeline counts as thin below this share of capacity"
    )
    self_source_fit: Fraction = Field(default=Constant(value=0.45), description="fit of self-sourced opportunities (0-1)")
    self_source_segment_mix: Mix = Field(
        default_factory=dict, description="segment shares of self-sourced opportunities (default: equal)"
    )
    fit_win_effect: float = Field(
        default=1.0, ge=0, le=4, description="how much fit moves win chance: p = win_rate * (1 + effect*(fit-0.5))"
    )
    orphan_win_factor: Share = Field(
        default=0.8, description="win chance multiplier for deals whose AE left before they closed"
    )
    low_attainment_threshold: Share = Field(
        default=0.5, description="trailing attainment below which an AE's attrition rises"
    )
    low_attainment_attrition_multiplier: float = Field(
        default=2.5, ge=1, le=20, description="attrition hazard multiplier for AEs below the threshold"
    )
    new_team_win_factor: float = Field(
        default=1.0, ge=0, le=2,
        description="win chance multiplier for AEs hired after month 0 (below 1: playbook not proven)",
    )
    self_delivery_days: Duration = Field(
        default=Constant(value=5.0), description="AE time to deliver a deal below the self-delivery threshold (days)"
    )
    hours_per_month: float = Field(
        default=48.0, gt=0, le=400,
        description="selling hours of one AE a month for deals, prospecting and account work (Salesforce, "
        "State of Sales 5th ed., 2022: reps spend 28% of their week selling; 0.28 x 40 h x 52/12 = 48 h)",
    )
    opportunity_hours: float = Field(
        default=8.0, ge=0, le=400,
        description="rep hours one opportunity needs over its cycle (assumption); a deal closes when both the "
        "buyer's cycle has passed and the rep has given these hours, the rep's selling hours shared over their deals",
    )
    deal_hours_sharing: Literal["buyer_paced", "at_start", "processor_sharing"] = Field(
        default="buyer_paced",
        description="how a rep's selling hours are shared over their deals: buyer_paced (each deal at most at its "
        "buyer's pace, opportunity_hours over the cycle; the rest shared equally, re-shared as deals come and go "
        "and as account work takes or gives back hours), at_start (a deal gets opportunity_hours at the pace its "
        "start allows: the rep's selling hours a day / the deals they hold then; the behaviour before) or "
        "processor_sharing (all selling hours to the deals still needing hours, re-shared; a deal's hours come "
        "first, the buyer's cycle may outlast them)",
    )


class PresalesTeam(Team):
    acv_threshold: Money = Field(description="deals at or above this ACV need presales (currency/year)")
    effort_days: Duration = Field(
        description="presales time on one deal (days at one slot's share of a consultant's hours)")
    max_wait_days: float = Field(default=14.0, ge=0, description="how long a deal waits for presales")
    on_no_presales: Literal["wait", "unsupported"] = Field(
        default="unsupported",
        description="after max_wait_days: keep waiting, or go on without presales at a lower win chance",
    )
    win_boost: float = Field(default=1.25, ge=0, le=4, description="win chance multiplier with presales support")
    unsupported_win_factor: Share = Field(default=0.6, description="win chance multiplier without needed presales")
    variable_pay_per_deal: Money = Field(default=1500.0, description="presales variable pay per supported deal won (currency)")
    win_share: Share = Field(
        default=0.5,
        description="share of presales variable pay paid at the win; the rest is paid at on-time customer acceptance",
    )
    hours_per_month: float = Field(
        default=140.0, gt=0, le=400,
        description="working hours of one presales consultant a month, shared over the deals they support "
        "(hours_sharing); a deal needs effort_days x hours_per_month / 30.44 / capacity hours (assumption: ~35 h a week)",
    )
    work_order: WorkOrder = Field(
        default="oldest_first",
        description="waiting deal a presales consultant takes next (a work priority policy)",
    )
    hours_sharing: HoursSharingName = Field(
        default="equal",
        description="how a consultant shares their hours over the deals in hand (generalized processor sharing, "
        "Parekh and Gallager 1993): equal, by_acv (in proportion to ACV), largest_first or smallest_first "
        "(weight (ACV / 25K) ** 3 or its inverse: near-strict priority)",
    )


class ImplementationTeam(Team):
    self_delivery_below_acv: Money = Field(
        default=0.0, description="deals below this ACV are delivered by the AE, not this team"
    )
    ttv_target_days: float = Field(default=45.0, ge=0, description="time to value the customer expects (days)")
    ttv_health_penalty_per_30d: Share = Field(
        default=0.1, description="health lost per 30 days of time to value beyond the target"
    )
    hours_per_month: float = Field(
        default=140.0, gt=0, le=400,
        description="working hours of one implementer a month, shared over their projects in hand (hours_sharing); "
        "a project needs onboarding_days x hours_per_month / 30.44 / capacity hours (assumption: ~35 h a week)",
    )
    work_order: WorkOrder = Field(
        default="oldest_first",
        description="waiting project an implementer takes next (a work priority policy)",
    )
    hours_sharing: HoursSharingName = Field(
        default="equal",
        description="how an implementer shares their hours over the projects in hand (generalized processor "
        "sharing, Parekh and Gallager 1993): equal, by_acv (in proportion to ACV), largest_first or "
        "smallest_first (weight (ACV / 25K) ** 3 or its inverse: near-strict priority)",
    )


class CSMTeam(Team):
    touches_per_month: float = Field(gt=0, description="customer touches one CSM can make per month")
    touches_needed_per_month: float = Field(
        default=1.0, gt=0, description="touches per account per month that keep health at its best"
    )
    renewal_lead_days: float = Field(
        default=90.0, ge=0, le=365, description="renewal motion starts this many days before the contract ends"
    )
    bonus_rate: Share = Field(default=0.0, description="bonus on renewed ARR (fraction)")
    bonus_per_renewal: Money = Field(default=0.0, description="bonus per renewed logo (currency)")
    expansion_bonus_rate: Share = Field(default=0.02, description="bonus on expansion ARR credited to the CSM")
    tiers: list[CSMTier] = Field(
        default_factory=list,
        description="service levels: accounts at or above min_arr get weight x the touches of a weight-1 account",
    )
    hours_per_month: float = Field(
        default=140.0, gt=0, le=400,
        description="working hours of one CSM a month; touches_per_month is what they make with all of it, "
        "renewal and expansion motions take their hours out of it (assumption: ~35 h a week)",
    )


class CSMTier(Strict):
    min_arr: Money = Field(description="accounts with at least this ARR are in the tier")
    weight: float = Field(gt=0, le=20, description="share of the CSM's touches relative to a weight-1 account")


class AMTeam(Team):
    """Account managers: one person owns a few very large accounts and coordinates everything (004)."""

    health_boost: Share = Field(default=0.05, description="health target added for accounts with an AM")
    bonus_rate: Share = Field(default=0.02, description="bonus on renewed and expansion ARR of their accounts")


class RenewalSpecialistTeam(Team):
    """A team that only works renewals, paid on renewed ARR."""

    bonus_rate: Share = Field(default=0.02, description="bonus on renewed ARR (fraction)")


class Teams(Strict):
    marketing: Team = Field(description="marketing staff (salary only; programme spend is under marketing)")
    sdr: SDRTeam
    ae: AETeam
    presales: PresalesTeam
    implementation: ImplementationTeam
    csm: CSMTeam
    am: AMTeam | None = Field(default=None, description="account managers for key accounts (optional)")
    renewal_specialist: RenewalSpecialistTeam | None = Field(
        default=None, description="a renewals-only team (optional)"
    )


# --------------------------------------------------------------------------- customers
class Health(Strict):
    """Account health, 0 to 1: the one number that drives renewal and expansion."""

    start: Share = Field(default=0.8, description="health at go-live with on-time delivery")
    floor: Share = Field(default=0.35, description="health an account with no CSM touches drifts to")
    ceiling: Share = Field(default=0.95, description="health an account with enough touches drifts to")
    adjust_per_month: Share = Field(default=0.3, description="share of the gap to its target health closed each month")
    noise_sd: float = Field(default=0.05, ge=0, le=1, description="month-to-month random variation of health")
    unassigned_penalty: Share = Field(default=0.2, description="extra health lost per month by an account with no CSM")


class Renewal(Strict):
    term_months: int = Field(default=12, ge=1, le=60, description="contract term (months)")
    p_at_zero_health: Share = Field(default=0.45, description="renewal chance of an account at health 0")
    p_at_full_health: Share = Field(default=0.98, description="renewal chance of an account at health 1")
    contraction_chance: Share = Field(default=0.12, description="chance a renewing account shrinks, at average health")
    contraction_share: Share = Field(default=0.2, description="ARR lost when an account contracts (fraction)")
    unworked_factor: Share = Field(
        default=0.85, description="renewal chance multiplier when nobody works the renewal motion "
        "(assumption, unsourced: the share of renewals that go through with no one asking)"
    )
    save_hours: float = Field(
        default=4.0, gt=0, le=200,
        description="effort response h0: the worked share of an at-risk renewal's lift is 1 - exp(-hours / h0) "
        "(assumption: half the lift in ~3 hours, a call and a follow-up)",
    )


class Expansion(Strict):
    upsell_per_year: float = Field(default=0.35, ge=0, le=12, description="upsell events per account-year at health 1")
    upsell_size: Amount = Field(default=Constant(value=0.2), description="upsell as a fraction of current ARR")
    cross_sell_per_year: float = Field(default=0.1, ge=0, le=12, description="cross-sell events per account-year at health 1")
    cross_sell_size: Amount = Field(default=Constant(value=0.35), description="cross-sell as a fraction of current ARR")


class InitialAccount(Strict):
    """One paying account at month 0, as the company's books list it (the explicit installed base)."""

    id: str | None = Field(default=None, description="the account's name or id in the books (shown only)")
    segment: str = Field(description="its segment (one of segments)")
    arr: float = Field(gt=0, le=1e9, description="its ARR at month 0 (currency/year)")
    age_days: float = Field(default=0.0, ge=0, le=36525, description="days since its first contract started")
    renewal_in_days: float | None = Field(
        default=None, ge=0, le=3653,
        description="days from month 0 to the end of its current term (default: from age_days and the term)")
    term_months: int | None = Field(
        default=None, ge=1, le=60, description="its contract term (default: drawn from its segment's contracts)")
    billing: Literal["monthly", "quarterly", "annual", "upfront"] | None = Field(
        default=None, description="how it is invoiced (default: drawn from its segment's contracts)")
    health: float | None = Field(default=None, ge=0, le=1, description="health at month 0 (default: initial.health)")


class OpenOpportunity(Strict):
    """One opportunity open at month 0 (the explicit open pipeline)."""

    id: str | None = Field(default=None, description="the opportunity's id in the CRM (shown only)")
    segment: str = Field(description="its segment (one of segments)")
    amount: float = Field(gt=0, le=1e9, description="its deal size (ACV if won, currency/year)")
    age_days: float = Field(default=0.0, ge=0, le=3653, description="days since it was created")
    stage: str | None = Field(default=None, description="its CRM stage (shown only; the model has no stages)")


class InitialCustomers(Strict):
    count: int = Field(default=0, ge=0, le=1_000_000, description="paying accounts at month 0")
    segment_mix: Mix = Field(default_factory=dict, description="segment shares (default: equal)")
    health: Fraction = Field(default=Constant(value=0.8), description="health at month 0")
    accounts: list[InitialAccount] = Field(
        default_factory=list, max_length=1_000_000,
        description="the explicit installed base: these accounts replace count and segment_mix, and the "
                    "warm start is skipped (docs/calibration.md)")
    accounts_csv: str | None = Field(
        default=None,
        description="CSV of the installed base (columns as in accounts; start and renewal_date as dates with "
                    "as_of), relative to the scenario file; its rows replace accounts")
    opportunities: list[OpenOpportunity] = Field(
        default_factory=list, max_length=1_000_000,
        description="the explicit open pipeline at month 0 (the warm start is skipped)")
    opportunities_csv: str | None = Field(
        default=None,
        description="CSV of the open pipeline (columns as in opportunities; created as a date with as_of), "
                    "relative to the scenario file; its rows replace opportunities")
    as_of: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="the date month 0 stands for (YYYY-MM-DD): needed for dates in the CSVs")

    def explicit(self) -> bool:
        """True when the scenario gives the state at month 0 (accounts or open opportunities)."""
        return bool(self.accounts or self.opportunities)


class Customers(Strict):
    initial: InitialCustomers = Field(default_factory=InitialCustomers)
    health: Health = Field(default_factory=Health)
    renewal: Renewal = Field(default_factory=Renewal)
    expansion: Expansion = Field(default_factory=Expansion)
    gross_margin: Share = Field(default=0.75, description="subscription gross margin, for CAC payback")
    acv_bands: list[AcvBand] = Field(
        default_factory=list, max_length=20,
        description="renewal, contraction and expansion odds by account size: an account takes the band "
                    "with the highest min_arr it reaches (none: no size effect)")


# --------------------------------------------------------------------------- org rules
def _sales_means_ae(value: Any) -> Any:
    """``sales`` is accepted for ``ae`` (DESIGN.md's example says ``org.renewals: sales``)."""
    return "ae" if value == "sales" else value


Owner = Annotated[ExpansionOwnerName, BeforeValidator(_sales_means_ae)]
RenewalOwner = Annotated[RenewalOwnerName, BeforeValidator(_sales_means_ae)]


class Org(Strict):
    """Who owns what. Org-design rules are data; unknown policy names are errors."""

    renewals: RenewalOwner = Field(
        default="csm",
        description="who works renewals: csm, ae (or its alias sales), am (key accounts by their AM, "
        "the rest by CSMs) or renewal_specialist",
    )
    upsell: Owner = Field(default="csm", description="who works upsell (more seats): csm, ae (alias sales) or am")
    cross_sell: Owner = Field(default="csm", description="who works cross-sell (new modules): csm, ae (alias sales) or am")
    credit_window_months: float = Field(
        default=6.0, ge=0, le=60,
        description="expansions within this many months of the first contract count as the AE's new bookings",
    )
    renewals_count_toward_quota: bool = Field(
        default=False, description="when AEs own renewals: renewed ARR counts toward the new-bookings quota"
    )
    renewal_effort_days: Duration = Field(default=Constant(value=10.0), description="owner time to work one renewal (AE or specialist; days)")
    expansion_effort_days: Duration = Field(default=Constant(value=15.0), description="AE time to close one expansion (days)")
    renewal_hours: float = Field(
        default=6.0, ge=0, le=200,
        description="hours an owner measured on logo renewal gives each renewal motion, spread over "
        "renewal_lead_days (assumption: a health review, a call, the paperwork)",
    )
    renewal_admin_hours: float = Field(
        default=1.0, ge=0, le=100,
        description="owner hours every renewal takes whether or not anyone tries to save it: the quote, the "
        "order form, chasing the signature (assumption); they add nothing to the renewal chance",
    )
    expansion_hours: float = Field(
        default=6.0, ge=0, le=200, description="owner hours to close one expansion (assumption)"
    )
    renewal_owner_shares: OwnerShares = Field(
        default_factory=dict,
        description="a randomized split (article 004): shares of accounts whose renewals each owner works, "
        "e.g. {csm: 0.5, ae: 0.5}, drawn per account; overrides renewals when given",
    )
    expansion_max_wait_days: float = Field(
        default=45.0, ge=0, json_schema_extra={"deprecated": True},
        description="deprecated, ignored (a warning names the file and line): since issue 14 an AE expansion "
        "holds no AE slot, so no expansion waits to be picked up; accepted so older scenarios still load",
    )
    implementation_under: Literal["own", "presales", "customer_success"] = Field(
        default="own", description="where implementation sits: its own team, under presales, or under customer success"
    )
    cs_handover_health_bonus: Share = Field(
        default=0.05, description="health added at go-live when implementation sits under customer success"
    )
    lead_routing: LeadRouting = Field(
        default="least_loaded", description="how qualified leads are routed to AEs"
    )
    pods: Mix = Field(
        default_factory=dict, description="segment_pods: share of AEs in each segment's pod (default: equal)"
    )
    key_account_arr: Money | None = Field(
        default=None, description="accounts at or above this ARR get a dedicated account manager (needs teams.am)"
    )


# --------------------------------------------------------------------------- behaviour
class PayPriority(Strict):
    """Agents order their queue by expected pay per day of effort."""

    responsiveness: Share = Field(
        default=1.0, description="0 = first come first served, whatever it pays; 1 = fully pay-driven"
    )
    days_per_doubling: float = Field(
        default=30.0, ge=0, le=365, description="queue places a task jumps, in days of waiting, per doubling of pay per day"
    )


class AttributionGaming(Strict):
    """Reps re-label marketing leads as self-sourced when self-sourced pays more (article 000)."""

    sensitivity: float = Field(
        default=1.0, ge=0, le=10, description="share re-labelled per unit of relative pay premium (0 = off)"
    )
    audit: bool = Field(default=False, description="a monthly audit of lead sources")
    audit_cost_per_month: Money = Field(default=3000.0, description="cost of the audit (currency/month)")
    audit_catch_rate: Share = Field(default=0.7, description="share of re-labelled deals an audit catches")


class PromiseInflation(Strict):
    """Presales paid on wins over-promise: more wins, more delivery effort, lower health (000, 002)."""

    sensitivity: float = Field(default=1.0, ge=0, le=5, description="inflation per unit of win-weighted pay (0 = off)")
    win_uplift: float = Field(default=0.25, ge=0, le=2, description="win chance multiplier gain at full inflation")
    effort_uplift: float = Field(default=0.6, ge=0, le=5, description="implementation effort gain at full inflation")
    health_penalty: Share = Field(default=0.2, description="health lost at go-live at full inflation")
    target_gap: Share = Field(
        default=0.1,
        description="a lasting promise gap: the account's monthly health target is lowered by this much at full "
        "inflation while the product does not do what was promised (assumption; direction from expectation-"
        "confirmation theory, Bhattacherjee 2001); 0 = off",
    )
    gap_months: float | None = Field(
        default=12.0, gt=0, le=240,
        description="months after go-live after which the promise gap closes: the customer has re-decided on "
        "the product as it is at the first renewal, or the product or a workaround caught up (assumption: one "
        "annual term); null = it lasts as long as the account",
    )
    under_presales_damping: Share = Field(
        default=0.5, description="share of inflation removed when implementation sits under presales"
    )


class SDRBarLowering(Strict):
    """SDRs paid per qualified lead lower their bar: more, worse opportunities."""

    sensitivity: float = Field(default=1.0, ge=0, le=5, description="0 = off")
    max_extra_qualify: Share = Field(default=0.5, description="share of would-be rejects passed at full sensitivity")
    fit_factor: Share = Field(default=0.4, description="fit of a lead passed below the bar, as a share of its true fit")


class MarketingVolumeBias(Strict):
    """Marketing measured on volume buys cheaper, lower-fit leads."""

    sensitivity: float = Field(default=1.0, ge=0, le=3, description="0 = off")
    cost_cut: Share = Field(default=0.3, description="cost per lead saved at full bias")
    fit_loss: Share = Field(default=0.35, description="share of lead fit lost at full bias")


class EffortFollowsPay(Strict):
    """A renewal owner gives a renewal the hours their plan pays for (article 004)."""

    sensitivity: Share = Field(
        default=1.0,
        description="0 = off (every owner gives org.renewal_hours); 1 = an owner paid on bookings gives the "
        "hours where the last hour's expected pay equals the pay per hour of their alternative work",
    )
    max_hours: float = Field(default=24.0, ge=0, le=400, description="most hours an owner gives one renewal")


class RenewalPressure(Strict):
    """An owner closes a renewal with a discount or pressure: this renewal's chance rises, at
    the cost of ARR and of the account's health in the next term (article 004: are renewals
    won by pressure renewals at all?). Off (0) by default for every owner (assumption)."""

    discount: OwnerShares = Field(
        default_factory=dict,
        description="by owner (ae, csm, am, renewal_specialist): share of ARR given away to close a renewal "
        "that owner worked (0 = off, the default for every owner)",
    )
    lift_per_discount: float = Field(
        default=1.0, ge=0, le=10,
        description="the unrenewed share of a worked renewal closed by pressure falls by lift_per_discount x "
        "discount (assumption: a 10% discount saves a tenth of the renewals that would lapse)",
    )
    health_cost: Share = Field(
        default=0.15, description="health an account pressured into renewing loses for its next term (assumption)"
    )


class QuotaPressure(Strict):
    """Prospecting responds to the gap to quota: reps ahead of plan prospect less."""

    sensitivity: float = Field(
        default=0.5, ge=0, le=5,
        description="prospecting rate multiplier 1 - sensitivity * pace (pace: plan-year bookings / "
        "quota to date), at least 0; 0 = off (assumption)",
    )


class Behaviour(Strict):
    """Incentive-driven behaviour: each mechanism has a parameter that turns it off (docs/model.md)."""

    pay_priority: PayPriority = Field(default_factory=PayPriority)
    attribution_gaming: AttributionGaming = Field(default_factory=AttributionGaming)
    promise_inflation: PromiseInflation = Field(default_factory=PromiseInflation)
    sdr_bar_lowering: SDRBarLowering = Field(default_factory=SDRBarLowering)
    marketing_volume_bias: MarketingVolumeBias = Field(default_factory=MarketingVolumeBias)
    effort_follows_pay: EffortFollowsPay = Field(default_factory=EffortFollowsPay)
    quota_pressure: QuotaPressure = Field(default_factory=QuotaPressure)
    renewal_pressure: RenewalPressure = Field(default_factory=RenewalPressure)


# --------------------------------------------------------------------------- money
class Funding(Strict):
    """Cash raised (equity or debt) at the start of a month."""

    month: int = Field(ge=0, le=240, description="month the cash arrives (0 = start)")
    amount: Money = Field(description="cash raised (currency)")


class Opex(Strict):
    """A non-go-to-market cost line (R&D, G&A): a plan per month, and/or a share of revenue."""

    per_month: Money = Field(default=0.0, description="cost per month at month 0 (currency/month)")
    growth_per_month: float = Field(default=0.0, ge=-0.5, le=0.5, description="compound growth of per_month (fraction/month)")
    share_of_revenue: Share = Field(default=0.0, description="cost as a share of the month's recognised revenue")


class Finance(Strict):
    """The company's money outside go-to-market: cash, COGS, R&D, G&A, services, funding.

    With no ``finance`` section the cash KPIs are NaN (the starting cash is unknown)."""

    starting_cash: Money = Field(description="cash in the bank at month 0 (currency)")
    cogs_share_of_revenue: Share | None = Field(
        default=None, description="cost of revenue as a share of subscription revenue (default 1 - customers.gross_margin)")
    hosting_per_account_month: Money = Field(default=0.0, description="hosting cost per active account per month (currency)")
    support_per_account_month: Money = Field(default=0.0, description="support cost per active account per month (currency)")
    rd: Opex = Field(default_factory=Opex, description="research and development")
    ga: Opex = Field(default_factory=Opex, description="general and administrative")
    services_fee_share: Share = Field(
        default=0.0, description="implementation services fee on a new deal, as a share of its first-year ACV "
                                 "(billed at signature, recognised as revenue at go-live)")
    salary_payment_days: float = Field(default=0.0, ge=0, le=31, description="days after a month's end that its salaries are paid")
    funding: list[Funding] = Field(default_factory=list, description="funding rounds: cash in at a month")


class Overhead(Strict):
    """What it costs to run sales and marketing beyond the people doing the work: first-line
    managers by span of control, sales ops and enablement, tools, travel. Zero by default."""

    span: dict[str, int] = Field(
        default_factory=dict,
        description="people per first-line manager by role (e.g. {ae: 8, sdr: 10, csm: 8}); managers = ceil(headcount / span)")
    manager_salary: Money = Field(default=0.0, description="fully loaded cost of a first-line manager (currency/year)")
    ops_per_head: float = Field(
        default=0.0, ge=0, le=1,
        description="sales ops and enablement people per sales and marketing head (e.g. 1/12)")
    ops_salary: Money = Field(default=0.0, description="fully loaded cost of an ops or enablement person (currency/year)")
    tools_per_head_month: Money = Field(default=0.0, description="software seats (CRM, engagement, data) per go-to-market head per month")
    travel_per_head_month: dict[str, Money] = Field(
        default_factory=dict, description="travel and expenses per person per month by role (e.g. {ae: 1500})")

    @model_validator(mode="after")
    def _roles_known(self) -> Overhead:
        for where, mapping in (("span", self.span), ("travel_per_head_month", self.travel_per_head_month)):
            unknown = set(mapping) - set(STAFF_ROLES)
            if unknown:
                raise ValueError(f"{where} names unknown role(s) {sorted(unknown)}; known: {list(STAFF_ROLES)}")
        if any(v <= 0 for v in self.span.values()):
            raise ValueError("span: people per manager must be at least 1")
        return self


class AcvBand(Strict):
    """Accounts whose ARR is at least ``min_arr``: their renewal and expansion odds."""

    min_arr: Money = Field(description="accounts with at least this ARR are in the band (currency/year)")
    renewal_factor: float = Field(default=1.0, ge=0, le=2, description="multiplies the renewal chance")
    expansion_factor: float = Field(default=1.0, ge=0, le=5, description="multiplies upsell and cross-sell chances")
    contraction_factor: float = Field(default=1.0, ge=0, le=5, description="multiplies the contraction chance at renewal")


# --------------------------------------------------------------------------- the market's response
class DeliveryDelayResponse(Strict):
    """The market hears how long delivery takes and buys less (Forrester 1968)."""

    enabled: bool = Field(default=True, description="false: the delivery delay changes nothing")
    reference_days: float = Field(
        default=120.0, ge=0, description="delivery delay buyers accept without penalty (days)"
    )
    scale_days: float = Field(default=90.0, gt=0, description="each scale_days beyond the reference cuts the excess effect by e (days)")
    floor: Share = Field(default=0.2, description="win and qualify multiplier at a very long delay")
    perception_months: float = Field(default=3.0, ge=0, le=24, description="months over which the market perceives the delay")
    lead_conversion: bool = Field(
        default=False,
        description="the delay also lowers the chance a lead qualifies (off: one sales-effectiveness factor, as Forrester's)",
    )


class Referrals(Strict):
    """Healthy customers refer new leads (word of mouth)."""

    per_account_per_year: float = Field(default=0.0, ge=0, le=12, description="leads a healthy account refers per year (0 = off)")
    healthy_at: Share = Field(default=0.7, description="an account at or above this health refers")
    fit: Fraction = Field(default=Constant(value=0.6), description="fit of referred leads (0-1)")
    segment_mix: Mix = Field(default_factory=dict, description="referred leads by segment (default: equal shares)")


class Market(Strict):
    """How the market responds to the company (docs/model.md, "The market responds")."""

    delivery_delay: DeliveryDelayResponse = Field(default_factory=DeliveryDelayResponse)
    referrals: Referrals = Field(default_factory=Referrals)
    size: int | None = Field(
        default=None, ge=1, le=10_000_000,
        description="target accounts in the market: leads fall with the share already customers (none: unlimited)",
    )


class WarmStart(Strict):
    """Month 0 starts in steady state: a warm-up simulated before month 0 and not counted."""

    months: int = Field(
        default=4, ge=0, le=24,
        description="months simulated before month 0 with the starting headcount and budgets (0: an empty pipeline)",
    )


# --------------------------------------------------------------------------- scenario
class Scenario(Strict):
    """A whole go-to-market organization and its market, over a horizon."""

    name: str = Field(description="short name shown in tables and reports")
    description: str = Field(default="", description="what this scenario represents")
    horizon_months: int = Field(ge=1, le=240, description="simulated time (months)")
    segments: dict[str, Segment] = Field(min_length=1, description="customer segments by name")
    marketing: Marketing
    teams: Teams
    customers: Customers = Field(default_factory=Customers)
    org: Org = Field(default_factory=Org)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    partners: dict[str, Partner] = Field(
        default_factory=dict, description="partner channels by name (none by default): deals into the AE queue"
    )
    finance: Finance | None = Field(
        default=None, description="cash, COGS, R&D, G&A, services and funding (none: cash KPIs are NaN)")
    overhead: Overhead = Field(default_factory=Overhead, description="sales and marketing overhead (zero by default)")

    @model_validator(mode="after")
    def _funding_in_horizon(self) -> Scenario:
        if self.finance is None:
            for role, team in self.teams:
                if team is not None and getattr(team, "freeze", None) is not None:
                    raise ValueError(f"teams.{role}.freeze reads runway, which needs a finance section (starting_cash)")
            for n, c in self.marketing.channels.items():
                if c.budget_rule is not None and c.budget_rule.cap_burn_multiple is not None:
                    raise ValueError(f"marketing.channels.{n}.budget_rule.cap_burn_multiple reads net burn, "
                                     "which needs a finance section")
        if self.finance is not None:
            for i, f in enumerate(self.finance.funding):
                if f.month >= self.horizon_months:
                    raise ValueError(f"finance.funding[{i}].month {f.month} is not before horizon_months "
                                     f"{self.horizon_months}")
        return self


    market: Market = Field(default_factory=Market)
    warm_start: WarmStart = Field(default_factory=WarmStart)

    @model_validator(mode="after")
    def _owners_staffed(self) -> Scenario:
        org, teams = self.org, self.teams
        pressured = set(self.behaviour.renewal_pressure.discount) - {"csm", "ae", "am", "renewal_specialist"}
        if pressured:
            raise ValueError(f"behaviour.renewal_pressure.discount names unknown owner(s) {sorted(pressured)}; "
                             "known: ['ae', 'am', 'csm', 'renewal_specialist']")
        unknown = set(org.renewal_owner_shares) - {"csm", "ae", "renewal_specialist"}
        if unknown:
            raise ValueError(f"org.renewal_owner_shares names unknown owner(s) {sorted(unknown)}; "
                             "known: ['ae', 'csm', 'renewal_specialist']")
        owners = set(org.renewal_owner_shares) | {org.renewals}
        if "renewal_specialist" in owners and teams.renewal_specialist is None:
            raise ValueError("org.renewals is renewal_specialist but teams.renewal_specialist is not defined")
        uses_am = "am" in (org.renewals, org.upsell, org.cross_sell) or org.key_account_arr is not None
        if uses_am and (teams.am is None or org.key_account_arr is None):
            raise ValueError("account managers need both teams.am and org.key_account_arr")
        return self

    @model_validator(mode="after")
    def _segments_known(self) -> Scenario:
        known = set(self.segments)
        mixes = [(f"marketing.channels.{n}.segment_mix", c.segment_mix) for n, c in self.marketing.channels.items()]
        mixes += [(f"partners.{n}.segment_mix", p.segment_mix) for n, p in self.partners.items()]
        mixes.append(("teams.ae.self_source_segment_mix", self.teams.ae.self_source_segment_mix))
        mixes.append(("customers.initial.segment_mix", self.customers.initial.segment_mix))
        mixes.append(("org.pods", self.org.pods))
        mixes.append(("market.referrals.segment_mix", self.market.referrals.segment_mix))
        for where, mix in mixes:
            unknown = set(mix) - known
            if unknown:
                raise ValueError(f"{where} names unknown segment(s) {sorted(unknown)}; known: {sorted(known)}")
        init = self.customers.initial
        given = [("accounts", i, a.segment) for i, a in enumerate(init.accounts)]
        given += [("opportunities", i, o.segment) for i, o in enumerate(init.opportunities)]
        for what, i, seg in given:
            if seg not in known:
                raise ValueError(f"customers.initial.{what}[{i}].segment '{seg}' is not a segment; "
                                 f"known: {sorted(known)}")
        return self
