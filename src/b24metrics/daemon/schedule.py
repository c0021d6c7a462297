"""When cycles run: APScheduler keeps the clock, one thread runs the cycles, one at a time.

APScheduler 3.11 with max_instances=1 drops a run that comes due while the previous one still
runs (it only emits EVENT_JOB_MAX_INSTANCES), and re-queueing it from that event races with the
executor's own instance count. So the scheduled jobs do not run cycles: they only mark a kind
of cycle as due, which takes microseconds (max_instances=1 and coalesce then hold trivially),
and one cycle thread takes what is due. A cycle that comes due while another runs therefore
runs once when that one ends; several that came due meanwhile are one run; none is dropped.
misfire_grace_time=None does the same for the scheduler's own lateness (a suspended machine):
a late mark is made however late, once.

The nightly kind sweeps the IDs for deletes and then runs a cycle, so it stands for a pending
plain cycle too.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

CYCLE, NIGHTLY = "cycle", "nightly"
#: run(kind, due_at): one cycle; it handles and logs its own errors
Runner = Callable[[str, datetime], object]  # what it returns is the caller's


class Cycles:
    def __init__(self, run: Runner, *, interval: float, sweep_at: str | None, stop: threading.Event,
                 first_at: datetime | None = None) -> None:
        self._run, self._stop = run, stop
        self._due: dict[str, datetime] = {}  # kind -> when it first came due
        self._cond = threading.Condition()
        self.running: str | None = None
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        now = datetime.now(timezone.utc)
        self.scheduler.add_job(self.mark_due, IntervalTrigger(seconds=interval, start_date=now), args=[CYCLE],
                               id=CYCLE, next_run_time=first_at or now)
        if sweep_at:
            hour, minute = (int(part) for part in sweep_at.split(":"))
            self.scheduler.add_job(self.mark_due, CronTrigger(hour=hour, minute=minute), args=[NIGHTLY], id=NIGHTLY)
        self._thread = threading.Thread(target=self._loop, name="b24m-cycle")

    def start(self) -> None:
        self.scheduler.start()
        self._thread.start()

    def mark_due(self, kind: str) -> None:
        now = datetime.now(timezone.utc)
        with self._cond:
            if kind in self._due:
                log.info("a %s came due again before the last one could start: it runs once", kind,
                         extra={"event": "cycle_coalesced", "kind": kind})
                return
            self._due[kind] = now
            if self.running is not None:
                log.info("a %s came due while a %s runs: it runs once that one ends", kind, self.running,
                         extra={"event": "cycle_late", "kind": kind, "running": self.running})
            self._cond.notify_all()

    def _take(self) -> tuple[str, datetime] | None:
        with self._cond:
            while not self._due and not self._stop.is_set():
                self._cond.wait(0.5)  # shutdown() notifies; the timeout covers a stop set by anyone else
            if self._stop.is_set():
                return None
            kind = NIGHTLY if NIGHTLY in self._due else CYCLE
            due_at = self._due.pop(kind)
            if kind == NIGHTLY:
                self._due.pop(CYCLE, None)  # the nightly run includes a cycle
            self.running = kind
            return kind, due_at

    def _loop(self) -> None:
        while (taken := self._take()) is not None:
            try:
                self._run(*taken)
            except Exception:  # the runner logs its own failures; this keeps the loop alive
                log.exception("a %s ended with an unexpected error", taken[0])
            finally:
                with self._cond:
                    self.running = None

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop marking cycles due and wait for the one under way; False if it outlived `timeout`."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()


def seconds_late(due_at: datetime) -> float:
    return max(0.0, (datetime.now(timezone.utc) - due_at) / timedelta(seconds=1))
