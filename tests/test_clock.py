"""The clock (simorg/model/clock.py) keeps SimPy's semantics exactly: the same events run, in
the same order, and the run stops where ``Environment.run(until=...)`` stops."""

from __future__ import annotations

import pytest
import simpy

from simorg.model.clock import Clock, schedule, start_now


def _scenario(env: simpy.Environment, log: list, use_schedule: bool) -> None:
    """Processes and callbacks with simultaneous events, some exactly at the stop time 10."""

    def proc(name: str, delays: list[float]):
        for d in delays:
            yield env.timeout(d)
            log.append((env.now, name))
            if use_schedule:
                schedule(env, 1.5, name + "-cb", lambda ev: log.append((env.now, ev.value)))
            else:
                env.timeout(1.5, name + "-cb").callbacks.append(lambda ev: log.append((env.now, ev.value)))

    env.process(proc("a", [1.0, 2.0, 3.0, 4.0]))   # events at 1, 3, 6, 10
    env.process(proc("b", [3.0, 3.0, 4.0, 0.0]))   # at 3, 6, 10, 10
    env.process(proc("c", [2.5, 6.0, 1.5]))        # at 2.5, 8.5, 10


@pytest.mark.parametrize("use_schedule", [False, True])
def test_run_until_matches_simpy(use_schedule: bool) -> None:
    ref: list = []
    env = simpy.Environment()
    _scenario(env, ref, use_schedule=False)
    env.run(until=10.0)

    got: list = []
    clock = Clock()
    _scenario(clock, got, use_schedule)
    clock.run_until(10.0)
    assert got == ref
    assert clock.now == env.now == 10.0
    assert any(t == 6.0 for t, _ in got) and not any(t >= 10.0 for t, _ in got)  # the stop: events at 10 wait


def test_run_until_continues_like_simpy() -> None:
    """A second run picks up where the first stopped, as with SimPy."""
    ref: list = []
    env = simpy.Environment()
    _scenario(env, ref, use_schedule=False)
    env.run(until=5.0)
    env.run(until=20.0)
    got: list = []
    clock = Clock()
    _scenario(clock, got, use_schedule=True)
    clock.run_until(5.0)
    clock.run_until(20.0)
    assert got == ref


def test_start_now_runs_in_process_start_order() -> None:
    """start_now runs before timeouts due now and in creation order with processes."""
    log: list[str] = []
    clock = Clock()

    def proc(name: str):
        log.append(name)
        yield clock.timeout(0)

    schedule(clock, 0.0, None, lambda ev: log.append("timeout"))
    clock.process(proc("p1"))
    start_now(clock, lambda ev: log.append("start_now"))
    clock.process(proc("p2"))
    clock.run_until(1.0)
    assert log == ["p1", "start_now", "p2", "timeout"]


def test_failures_are_raised_and_negative_delays_refused() -> None:
    clock = Clock()

    def broken():
        yield clock.timeout(1)
        raise KeyError("lost")

    clock.process(broken())
    with pytest.raises(KeyError):
        clock.run_until(2.0)
    with pytest.raises(ValueError):
        schedule(clock, -1.0, None, lambda ev: None)
    with pytest.raises(ValueError):
        clock.run_until(0.5)  # not after the current time


def test_an_event_before_the_stop_in_queue_order_still_runs() -> None:
    """An event scheduled during the run at exactly the stop time with a priority above
    URGENT's (a smaller number) comes before SimPy's stop event: both run it."""
    from simpy.events import EventPriority

    def build(env: simpy.Environment, log: list) -> None:
        def cb(ev):
            schedule(env, 1.0, "early", lambda e: log.append(e.value), EventPriority(-1))
            schedule(env, 1.0, "late", lambda e: log.append(e.value))
        schedule(env, 9.0, None, cb)

    ref: list = []
    env = simpy.Environment()
    build(env, ref)
    env.run(until=10.0)
    got: list = []
    clock = Clock()
    build(clock, got)
    clock.run_until(10.0)
    assert got == ref == ["early"]
