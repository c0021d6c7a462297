"""The cycle thread and APScheduler's clock, with a stand-in cycle: one at a time, a late cycle
runs once right after the one that held it up, nothing due is dropped, a stop waits."""

import threading
import time
from datetime import datetime, timedelta, timezone

from b24metrics.daemon.schedule import CYCLE, NIGHTLY, Cycles


class Recorder:
    def __init__(self, durations=()):
        self.durations = list(durations)
        self.runs: list[tuple[str, float, float]] = []  # kind, start, end (monotonic)
        self.active = 0
        self.overlap = False
        self.lock = threading.Lock()

    def __call__(self, kind, due_at):
        with self.lock:
            self.active += 1
            self.overlap |= self.active > 1
        start = time.monotonic()
        time.sleep(self.durations.pop(0) if self.durations else 0)
        with self.lock:
            self.active -= 1
        self.runs.append((kind, start, time.monotonic()))


def test_cycles_due_during_a_long_one_run_once_right_after_it():
    # The first run ends half an interval away from any tick, so that a busy machine delaying
    # it by a few hundred ms cannot put the next regular tick next to the catch-up run.
    record, stop = Recorder([2.5]), threading.Event()
    cycles = Cycles(record, interval=1.0, sweep_at=None, stop=stop)
    cycles.start()
    try:
        time.sleep(3.35)  # ticks at 1.0 and 2.0 fall inside the first run; 3.0 after it
    finally:
        assert cycles.shutdown(timeout=5)
    starts = [start for _, start, _ in record.runs]
    first_end = record.runs[0][2]
    assert not record.overlap
    # One catch-up run at once for the two ticks missed, then the interval again.
    right_after = [s for s in starts if first_end <= s < first_end + 0.2]
    assert len(right_after) == 1
    assert len([s for s in starts if first_end + 0.2 <= s < first_end + 0.5]) <= 1
    assert 3 <= len(starts) <= 4


def test_a_nightly_run_due_with_a_cycle_stands_for_both():
    record, stop = Recorder([0.6]), threading.Event()
    cycles = Cycles(record, interval=3600, sweep_at="03:00", stop=stop,
                    first_at=datetime.now(timezone.utc) + timedelta(hours=1))
    cycles.start()
    try:
        cycles.mark_due(CYCLE)
        time.sleep(0.2)  # the first cycle runs now
        cycles.mark_due(NIGHTLY)
        cycles.mark_due(CYCLE)
        cycles.mark_due(CYCLE)
        time.sleep(1.0)
    finally:
        assert cycles.shutdown(timeout=5)
    assert [kind for kind, _, _ in record.runs] == [CYCLE, NIGHTLY]


def test_shutdown_waits_for_the_cycle_under_way():
    record, stop = Recorder([0.8]), threading.Event()
    cycles = Cycles(record, interval=3600, sweep_at=None, stop=stop)
    cycles.start()
    time.sleep(0.2)
    began = time.monotonic()
    assert cycles.shutdown(timeout=5)
    assert time.monotonic() - began >= 0.5
    assert len(record.runs) == 1 and record.runs[0][2] <= time.monotonic()
