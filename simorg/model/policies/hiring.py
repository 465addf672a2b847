"""Hiring rules: a team's target headcount from the company's state (issue 16), without SimPy.

A rule reads one number of the company's state (:meth:`HiringRule.read`, through a
:class:`HiringState`), the model smooths it exponentially over the rule's
``smoothing_months`` (so a rule responds to trends, not to one month's noise), and
:meth:`HiringRule.target` turns the smoothed state into people. The team then hires toward the
target with its ``hiring_lead_days`` (base.py), within the rule's ``min`` and ``max`` and never
below the team's plan when it has one (the plan is a floor). Rules only hire: headcount above
the target falls by attrition without backfill of the excess.
"""

from __future__ import annotations

import math
from typing import Protocol

from .registry import Registry


class HiringState(Protocol):
    """What hiring rules read (the model's decisions component provides it)."""

    def headcount(self, role: str) -> float:
        """People in the role, employed or hired and not started yet."""

    def active_accounts(self) -> float:
        """Paying customers now."""

    def arr(self) -> float:
        """ARR now."""

    def implementation_work_days(self) -> float:
        """Onboarding work waiting or in progress (mean project days per account, summed)."""

    def open_opportunities(self) -> float:
        """Opportunities in AE hands or waiting for an AE."""

    def trailing_new_arr_per_year(self, months: float) -> float:
        """New-logo ARR booked over the last ``months`` months, per year."""

    def trailing_delivered_arr_per_year(self, months: float) -> float:
        """New-logo ARR that went live over the last ``months`` months, per year."""

    def delivery_delay(self) -> float:
        """The delivery delay a new customer is quoted now (days, see market.py)."""


class HiringRule:
    """Base class: ``read`` the state, ``target`` people from the smoothed state."""

    needs_other_role = False
    unit = ""

    def __init__(self, per: float, of: str | None = None, target_days: float = 0.0,
                 capacity: float = 1.0) -> None:
        self.per = per
        self.of = of
        self.target_days = target_days
        self.capacity = capacity

    def read(self, state: HiringState) -> float:
        raise NotImplementedError

    def target(self, smoothed: float, current: float) -> float:
        """People wanted for the smoothed state (``current``: the team's headcount now)."""
        return smoothed / self.per


HIRING_RULES: Registry[HiringRule] = Registry("hiring rule")


@HIRING_RULES.register("ratio")
class Ratio(HiringRule):
    """``per`` people for each person of team ``of`` (e.g. 0.5 SDR per AE)."""

    needs_other_role = True
    unit = "people in the other team"

    def read(self, state: HiringState) -> float:
        assert self.of is not None
        return state.headcount(self.of)

    def target(self, smoothed: float, current: float) -> float:
        return smoothed * self.per


@HIRING_RULES.register("accounts_per_person")
class AccountsPerPerson(HiringRule):
    """One person per ``per`` paying accounts (e.g. a CSM per 60 accounts)."""

    unit = "accounts"

    def read(self, state: HiringState) -> float:
        return state.active_accounts()


@HIRING_RULES.register("arr_per_person")
class ARRPerPerson(HiringRule):
    """One person per ``per`` of ARR (e.g. a CSM per $1.7M)."""

    unit = "ARR"

    def read(self, state: HiringState) -> float:
        return state.arr()


@HIRING_RULES.register("backlog")
class Backlog(HiringRule):
    """Enough implementers to clear the onboarding backlog within ``target_days`` (the target
    time to value): work days waiting or in progress / (``target_days`` x projects per person)."""

    unit = "onboarding work (days)"

    def read(self, state: HiringState) -> float:
        return state.implementation_work_days()

    def target(self, smoothed: float, current: float) -> float:
        return smoothed / (max(self.target_days, 1.0) * self.capacity)


@HIRING_RULES.register("pipeline_per_ae")
class PipelinePerAE(HiringRule):
    """One AE per ``per`` open opportunities (hire while pipeline per AE is above ``per``)."""

    unit = "open opportunities"

    def read(self, state: HiringState) -> float:
        return state.open_opportunities()


@HIRING_RULES.register("new_arr")
class NewARR(HiringRule):
    """One person per ``per`` of trailing new ARR a year: productivity per AE, or, for a
    budget set by bookings, salary / share of bookings spent on the team (Forrester 1968)."""

    unit = "new ARR per year"

    def read(self, state: HiringState) -> float:
        return state.trailing_new_arr_per_year(3.0)


@HIRING_RULES.register("delivered_arr")
class DeliveredARR(HiringRule):
    """One person per ``per`` of trailing *delivered* new ARR a year (new customers' ARR that
    went live over the last 3 months): a sales budget set by revenue, as in Forrester (1968),
    where the salesforce is paid from the revenue of orders delivered, not orders booked."""

    unit = "delivered new ARR per year"

    def read(self, state: HiringState) -> float:
        return state.trailing_delivered_arr_per_year(3.0)


@HIRING_RULES.register("delivery_delay")
class DeliveryDelay(HiringRule):
    """Capacity added when the delivery delay exceeds a goal (Forrester 1968, Market Growth):
    target = headcount x (1 + ``per`` x (delay / goal - 1)) while the delay is above the goal:
    ``per`` is the capacity added each month per unit of relative excess delay. The goal is
    ``target_days``; with ``goal_drift_months`` it drifts toward the delay recently achieved
    (the eroding goal), see the decisions component."""

    unit = "delivery delay (days)"

    def read(self, state: HiringState) -> float:
        return state.delivery_delay()

    def target(self, smoothed: float, current: float) -> float:
        goal = max(self.target_days, 1.0)
        if smoothed <= goal:
            return current
        return current * (1.0 + self.per * (smoothed / goal - 1.0))


def smooth(previous: float | None, value: float, months: float) -> float:
    """Exponential smoothing over ``months`` of a monthly reading (first reading: itself)."""
    if previous is None or months <= 0:
        return value
    return previous + (value - previous) * (1.0 - math.exp(-1.0 / months))
