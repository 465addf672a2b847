"""Work priority policies: in which order a team takes its waiting work.

A policy turns a work item into a queue key (smaller first) at the moment the item joins the
queue; ``None`` means first come, first served. ``teams.sdr.work_order`` names one; AEs and
renewal specialists order by pay when ``behaviour.pay_priority.responsiveness > 0``
(``pay_per_day``), else first come, first served.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from .registry import Registry

QueueKey = Callable[[Any], float]


class PriorityContext(Protocol):
    """What a priority policy may read from the model: the clock and what work pays."""

    def now(self) -> float: ...

    def pay_per_day(self, item: Any) -> float: ...

    def reference_pay(self) -> float: ...


class WorkPriority:
    """Base of work priority policies."""

    reads_pay = False  # True: orders by what work pays (for teams paid on what they work)

    def __init__(self, responsiveness: float = 1.0, days_per_doubling: float = 30.0):
        self.responsiveness = responsiveness
        self.days_per_doubling = days_per_doubling

    def queue_key(self, ctx: PriorityContext) -> QueueKey | None:  # pragma: no cover
        raise NotImplementedError


WORK_PRIORITY: Registry[WorkPriority] = Registry("work priority")


@WORK_PRIORITY.register("newest_first")
class NewestFirst(WorkPriority):
    """The freshest item first (speed to lead)."""

    def queue_key(self, ctx: PriorityContext) -> QueueKey | None:
        now = ctx.now
        return lambda item: -now()


@WORK_PRIORITY.register("oldest_first")
class OldestFirst(WorkPriority):
    """First come, first served."""

    def queue_key(self, ctx: PriorityContext) -> QueueKey | None:
        return None


@WORK_PRIORITY.register("pay_per_day")
class PayPerDay(WorkPriority):
    """Arrival time moved earlier by how well the item pays per day of effort: an item jumps
    ``responsiveness * days_per_doubling * log2(pay / reference)`` days (``behaviour.pay_priority``)."""

    reads_pay = True

    def queue_key(self, ctx: PriorityContext) -> QueueKey | None:
        now, pay_of, ref = ctx.now, ctx.pay_per_day, ctx.reference_pay()
        jump = self.responsiveness * self.days_per_doubling

        def key(item: Any) -> float:
            pay = max(pay_of(item), ref * 1e-3)
            return now() - jump * math.log2(pay / ref)

        return key
