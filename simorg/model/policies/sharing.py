"""Hours sharing policies: how a person shares their hours over the work in hand.

A person with several projects in hand (an implementer's projects, a presales consultant's
deals) gives each a share of their hours in proportion to its *weight*: generalized processor
sharing (Parekh and Gallager, "A generalized processor sharing approach to flow control in
integrated services networks: the single-node case", IEEE/ACM Trans. Networking, 1993). With
projects of weights ``w_i`` in hand, project ``i`` moves at ``slots * w_i / sum(w)`` of one
slot's pace; the shares are recomputed as projects come and go (:class:`~..teams.base.SharedHours`).
A policy turns a work item into its weight (a positive number; only ratios matter).
``teams.implementation.hours_sharing`` and ``teams.presales.hours_sharing`` name one.
"""

from __future__ import annotations

from typing import Any

from .registry import Registry

REFERENCE_ACV = 25_000.0
"""The ACV whose weight is 1 under the size-based policies (only ratios matter; this keeps
weights near 1 for mid-market deals, where floating-point rounding is smallest)."""


class HoursSharing:
    """Base of hours sharing policies."""

    equal = False  # True: every item weighs 1 (plain processor sharing)

    def weight(self, item: Any) -> float:  # pragma: no cover
        raise NotImplementedError


HOURS_SHARING: Registry[HoursSharing] = Registry("hours sharing")


def _acv(item: Any) -> float:
    """The ARR at stake: an account's ``arr`` or a deal's ``acv`` (at least 1)."""
    value = getattr(item, "acv", None)
    if value is None:
        value = item.arr
    return max(float(value), 1.0)


@HOURS_SHARING.register("equal")
class Equal(HoursSharing):
    """Every project in hand gets the same share of the person's hours (processor sharing)."""

    equal = True

    def weight(self, item: Any) -> float:
        return 1.0


@HOURS_SHARING.register("by_acv")
class ByAcv(HoursSharing):
    """Hours in proportion to the deal's ACV: a $100K project gets four times the hours of a
    $25K one held at the same time."""

    def weight(self, item: Any) -> float:
        return _acv(item) / REFERENCE_ACV


@HOURS_SHARING.register("largest_first")
class LargestFirst(HoursSharing):
    """Near-strict priority to the largest deal: weight ``(ACV / 25K) ** 3``, so a deal twice
    the size gets eight times the hours and small projects crawl while a big one is in hand."""

    def weight(self, item: Any) -> float:
        return (_acv(item) / REFERENCE_ACV) ** 3


@HOURS_SHARING.register("smallest_first")
class SmallestFirst(HoursSharing):
    """Near-strict priority to the smallest deal (quick wins first): weight ``(25K / ACV) ** 3``."""

    def weight(self, item: Any) -> float:
        return (REFERENCE_ACV / _acv(item)) ** 3
