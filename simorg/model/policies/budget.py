"""Budget rules: a marketing channel's monthly budget from the company's state (issue 16),
without SimPy.

A rule reads the state (:class:`BudgetState`) at the start of each month and sets that month's
programme spend; ``min`` and ``max`` bound it and an optional CAC-payback cap holds it under
what the trailing new ARR pays back in ``cap_payback_months``.
"""

from __future__ import annotations

from typing import Protocol

from .registry import Registry


class BudgetState(Protocol):
    def arr(self) -> float:
        """ARR now."""

    def trailing_new_arr_per_year(self, months: float) -> float:
        """New-logo ARR booked over the last ``months`` months, per year."""

    def trailing_delivered_arr_per_year(self, months: float) -> float:
        """New-logo ARR that went live over the last ``months`` months, per year."""


class BudgetRule:
    """Base class: the month's budget for ``share`` of some state."""

    def __init__(self, share: float, trailing_months: float) -> None:
        self.share = share
        self.trailing_months = trailing_months

    def budget(self, state: BudgetState) -> float:
        raise NotImplementedError


BUDGET_RULES: Registry[BudgetRule] = Registry("budget rule")


@BUDGET_RULES.register("share_of_revenue")
class ShareOfRevenue(BudgetRule):
    """``share`` of monthly revenue (ARR / 12)."""

    def budget(self, state: BudgetState) -> float:
        return self.share * state.arr() / 12.0


@BUDGET_RULES.register("share_of_new_arr")
class ShareOfNewARR(BudgetRule):
    """``share`` of the new ARR booked per month over the last ``trailing_months`` (e.g. 30%
    of last quarter's new ARR, spread over the quarter)."""

    def budget(self, state: BudgetState) -> float:
        return self.share * state.trailing_new_arr_per_year(self.trailing_months) / 12.0


@BUDGET_RULES.register("share_of_delivered_arr")
class ShareOfDeliveredARR(BudgetRule):
    """``share`` of the new ARR delivered (gone live) per month over the last
    ``trailing_months``: a budget set by revenue from delivered orders (Forrester 1968)."""

    def budget(self, state: BudgetState) -> float:
        return self.share * state.trailing_delivered_arr_per_year(self.trailing_months) / 12.0
