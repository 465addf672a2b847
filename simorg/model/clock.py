"""The simulation clock: SimPy's environment with a leaner inner loop, and a cheap way to
schedule a call.

Why: a replication of the reference funnel processes ~220,000 events, and most of them do
no more than call one function (a lead's first touch ends, a deal's buyer decides). SimPy
spends a good part of its time per event on bookkeeping around that call: the
``Environment.step`` method call per event, and for each timeout the ``Timeout`` constructor
and the ``Environment.schedule`` call. This module keeps SimPy's semantics exactly (the same
event queue, the same ``(time, priority, event id)`` order, so every number is unchanged) and
removes that overhead:

* :class:`Clock` runs the events in one loop instead of a ``step`` call per event;
* :func:`schedule` puts a triggered event straight on the queue with a callback, as
  ``env.timeout(delay, value).callbacks.append(callback)`` does, without the two calls.

Processes, timeouts and everything else of SimPy work as usual on a :class:`Clock`.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT, EventPriority, Timeout

_new = object.__new__


def schedule(env: simpy.Environment, delay: float, value: Any, callback: Callable[[simpy.Event], None],
             priority: EventPriority = NORMAL) -> None:
    """Call ``callback(event)`` after ``delay`` days, ``event.value`` being ``value``: a
    timeout with a callback instead of a process (cheaper for work that only ends).

    Exactly ``env.timeout(delay, value).callbacks.append(callback)`` (the same event id is
    drawn at the same moment, so the queue's order is the same), without SimPy's constructor
    and ``schedule`` calls."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    ev = _new(Timeout)
    ev.env = env
    ev.callbacks = [callback]
    ev._value = value
    ev._delay = delay
    ev._ok = True
    heappush(env._queue, (env._now + delay, priority, next(env._eid), ev))


def start_now(env: simpy.Environment, callback: Callable[[simpy.Event], None]) -> None:
    """Call ``callback(event)`` at the current time, in the order a process created now would
    start (an URGENT event, as SimPy's process initialisation)."""
    schedule(env, 0.0, None, callback, URGENT)


class Clock(simpy.Environment):
    """A SimPy environment whose :meth:`run_until` processes events in one loop."""

    def run_until(self, at: float) -> None:
        """Process every event before ``at``, as ``run(until=at)`` does, then stand at ``at``.

        SimPy's ``run(until=at)`` schedules an URGENT stop event at ``at``, so events at
        exactly ``at`` scheduled before the call with priority URGENT still run and all others
        at ``at`` do not; the stop event's id is drawn here the same way."""
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        at = self._now + (at - self._now)  # the stop event's time, rounded as SimPy's
        stop_eid = next(self._eid)
        queue = self._queue
        while queue:
            t, prio, eid, event = queue[0]
            if t >= at and (t > at or (prio, eid) > (URGENT, stop_eid)):  # after the stop event
                break
            heappop(queue)
            self._now = t
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # processed: as SimPy
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                # a failed event nobody handled: crash, as SimPy's step does
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
        self._now = at
