"""The cycle thread and APScheduler's clock, with a stand-in cycle: one at a time, a late cycle
runs once right after the one that held it up, nothing due is dropped, a stop waits.

The stand-in cycles do not sleep for a set time: a run that must outlast some ticks waits for
the scheduler's own log records of those ticks, so a loaded machine (late ticks, a late cycle
thread) changes how long the tests take, not what they see."""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest

from b24metrics.daemon.schedule import CYCLE, NIGHTLY, Cycles

SAFETY = 30.0  # seconds: only a broken scheduler waits this long


def wait_until(condition: Callable[[], bool], timeout: float = SAFETY) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Run:
    kind: str
    due_at: datetime
    start: datetime
    end: datetime | None = None


class Recorder:
    """A stand-in cycle that records its runs; run i first calls gates[i], when there is one."""

    def __init__(self, gates: tuple[Callable[[], object], ...] = ()) -> None:
        self.gates = list(gates)
        self.runs: list[Run] = []
        self.active = 0
        self.overlap = False
        self.lock = threading.Lock()

    def __call__(self, kind, due_at):
        with self.lock:
            self.active += 1
            self.overlap |= self.active > 1
            run = Run(kind, due_at, now())
            index = len(self.runs)
            self.runs.append(run)
        if index < len(self.gates):
            self.gates[index]()
        with self.lock:
            self.active -= 1
            run.end = now()

    def started(self, count: int) -> bool:
        with self.lock:
            return len(self.runs) >= count

    def ended(self, count: int) -> bool:
        with self.lock:
            return sum(run.end is not None for run in self.runs) >= count


@pytest.fixture
def schedule_log(caplog):
    """The scheduler's own records of cycles coming due (cycle_late, cycle_coalesced)."""
    caplog.set_level(logging.INFO, logger="b24metrics.daemon.schedule")

    def count(event: str) -> int:
        return sum(getattr(record, "event", None) == event for record in list(caplog.records))

    return count


def test_cycles_due_during_a_long_one_run_once_right_after_it(schedule_log):
    release, stop = threading.Event(), threading.Event()
    record = Recorder((lambda: release.wait(SAFETY),))
    cycles = Cycles(record, interval=0.5, sweep_at=None, stop=stop)
    cycles.start()
    try:
        assert wait_until(lambda: record.started(1))
        # The first run lasts until two ticks came due during it: the first is late, the next
        # one coalesces with it.
        assert wait_until(lambda: schedule_log("cycle_late") >= 1 and schedule_log("cycle_coalesced") >= 1)
        released_at = now()
        release.set()
        assert wait_until(lambda: record.started(3))  # the catch-up run, then the interval again
    finally:
        release.set()
        assert cycles.shutdown(timeout=SAFETY)
    first, catch_up, regular = record.runs[:3]
    assert not record.overlap
    assert [first.kind, catch_up.kind, regular.kind] == [CYCLE] * 3
    # The catch-up stands for the ticks missed during the first run (it came due then, it was
    # not dropped for the next tick) and starts once that run has ended ...
    assert catch_up.due_at < released_at and catch_up.start >= first.end
    # ... and it is one run: the next one came due only after the catch-up was taken.
    assert regular.due_at > released_at and regular.start >= catch_up.end


def test_a_nightly_run_due_with_a_cycle_stands_for_both():
    release, stop = threading.Event(), threading.Event()
    record = Recorder((lambda: release.wait(SAFETY),))
    cycles = Cycles(record, interval=3600, sweep_at="03:00", stop=stop, first_at=now() + timedelta(hours=1))
    cycles.start()
    try:
        cycles.mark_due(CYCLE)
        assert wait_until(lambda: record.started(1))  # the first cycle runs now
        cycles.mark_due(NIGHTLY)
        cycles.mark_due(CYCLE)
        cycles.mark_due(CYCLE)
        release.set()
        assert wait_until(lambda: record.ended(2))
        # a cycle left due would start at once; a slow machine can only hide it, not fake it
        assert not wait_until(lambda: record.started(3), timeout=0.5)
    finally:
        release.set()
        assert cycles.shutdown(timeout=SAFETY)
    assert [run.kind for run in record.runs] == [CYCLE, NIGHTLY]


def test_shutdown_waits_for_the_cycle_under_way():
    stop = threading.Event()
    # The cycle under way ends only after the stop was asked for, and takes a while more.
    record = Recorder((lambda: stop.wait(SAFETY) and time.sleep(0.5),))
    cycles = Cycles(record, interval=3600, sweep_at=None, stop=stop)
    cycles.start()
    assert wait_until(lambda: record.started(1))
    began = time.monotonic()
    assert cycles.shutdown(timeout=SAFETY)
    assert time.monotonic() - began >= 0.5
    assert len(record.runs) == 1 and record.ended(1)
