"""Routing policies: which free worker of a team takes a work item (``org.lead_routing``).

A routing policy sees the team (a :class:`~simorg.model.pools.Pool`) and its workers with a
free slot and names the one who gets the item, or ``None`` when nobody it may go to is free
(the item waits). The pool keeps a fast path for :class:`LeastLoaded` (a heap instead of a
scan), which must pick exactly who :meth:`LeastLoaded.pick` picks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registry import Registry

if TYPE_CHECKING:
    from ..pools import Pool, Worker


class Routing:
    """Base of routing policies."""

    def pick(self, pool: Pool, free: list[Worker], item: Any) -> Worker | None:  # pragma: no cover
        raise NotImplementedError


LEAD_ROUTING: Registry[Routing] = Registry("lead routing")


@LEAD_ROUTING.register("round_robin")
class RoundRobin(Routing):
    """Next free worker in turn after the one who got the last item."""

    def pick(self, pool: Pool, free: list[Worker], item: Any) -> Worker | None:
        free.sort(key=lambda w: w.ordinal)
        for w in free:
            if w.ordinal > pool.last_ordinal:
                return w
        return free[0]


@LEAD_ROUTING.register("least_loaded")
class LeastLoaded(Routing):
    """The free worker with the fewest items in hand for their capacity (ties: longest-serving first)."""

    def pick(self, pool: Pool, free: list[Worker], item: Any) -> Worker | None:
        return min(free, key=lambda w: (w.load / w.capacity, w.ordinal))


@LEAD_ROUTING.register("segment_pods")
class SegmentPods(Routing):
    """Deals go to the least-loaded free AE of their segment's pod (None: the pod is full).
    Work that belongs to no segment (renewals, expansions) goes to anyone."""

    def pick(self, pool: Pool, free: list[Worker], item: Any) -> Worker | None:
        segment = getattr(item, "segment", None)
        if segment is not None:
            free = [w for w in free if w.pod == segment]
            if not free:
                return None
        return min(free, key=lambda w: (w.load / w.capacity, w.ordinal))
