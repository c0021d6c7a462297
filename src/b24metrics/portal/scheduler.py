"""Many requests of one run through one client: a few in flight, refusals sent again later.

Extraction (ID ranges) and the write-back (update batches) both send many independent requests
through one client, so under one request bucket and one execution-time budget. A Scheduler runs
a run's jobs `workers` at a time in worker threads and hands every answer back to the calling
thread, the only one that touches the warehouse:

- a job whose methods are short of their execution-time budget waits while others go on; when
  nothing else is under way the first in line goes anyway, and the client waits for the budget;
- a job the portal refused for now after the client's own retries (429 until its reset, a 503
  storm, 5xx) goes back in line, at most MAX_DEFERRALS times per count (a stream, a run); after
  that its error stops the run: about half an hour of refusals wants a person to look. An error
  whose class says so (`send_again_in_run`: a portal the client gave up on) stops it at once;
- on any other error nothing new goes out, the answers under way are stored, then it is raised;
- on an interrupt of the calling thread (Ctrl-C, an error while storing) nothing new goes out
  either, and the answers under way are stored first only with `finish_on_interrupt`: a value
  written back is in doubt until its answer is stored, while a read is merely read again.

A stop asked of the client (its `stop` event) needs nothing here: the client refuses to send,
and that Interrupted error stops the run like any other.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Collection, Generic, Iterable, Iterator, TypeVar

from b24metrics.errors import RetryError
from b24metrics.portal.budget import OperatingBudget

log = logging.getLogger(__name__)

#: Refusals one count (a stream, a write-back run) may meet before its error stops the run.
MAX_DEFERRALS = 30

Job = TypeVar("Job")
Answer = TypeVar("Answer")


@dataclass
class Verdict(Generic[Job]):
    """What comes of one answer, as Jobs.settle decides it."""

    store: Callable[[], None] | None = None  # runs in the calling thread once the next jobs are out
    again: Job | None = None                 # back in line: what is left to do, or what was refused
    refused: RetryError | None = None        # the portal refused it for now: `again` goes later...
    count: str = ""                          # ... counted here; past MAX_DEFERRALS, `refused` is raised
    error: BaseException | None = None       # stops the run, raised once the answers under way are stored


class Jobs(ABC, Generic[Job, Answer]):
    """The caller's side of a scheduled run. Only send() runs in a worker thread."""

    @abstractmethod
    def methods(self, job: Job) -> Collection[str]:
        """The portal methods the job calls: the budgets it waits for."""

    def start(self, job: Job) -> None:
        """Calling thread, just before the job goes out."""

    @abstractmethod
    def send(self, job: Job) -> Answer:
        """The request itself (a worker thread: no warehouse here)."""

    @abstractmethod
    def settle(self, job: Job, answer: Answer | None, error: Exception | None) -> Verdict[Job]:
        """Decide what comes of an answer, or of the error raised instead (`answer` is then
        None). Calling thread, before the next jobs go out: storing belongs in Verdict.store."""

    def stored(self) -> None:
        """Calling thread, once the answers of one wait are stored and let go."""

    #: seconds the calling thread waits for an answer before it calls idle() (None: never)
    idle_after: float | None = None
    #: while it waits for answers, the calling thread asks idle_now() this often (None: never)
    idle_check: float | None = None

    def idle(self) -> None:
        """Calling thread, once per wait for answers: after idle_after seconds without one, or
        as soon as idle_now() says so. A moment to let go of what it holds between answers (the
        write-back lets other processes have the warehouse)."""

    def idle_now(self) -> bool:
        """Calling thread, every idle_check seconds of a wait for answers until idle() is called:
        True calls it at once (the write-back: a reader waits for the warehouse), rather than
        after idle_after seconds or the next answer."""
        return False


class Deferrals:
    """Refusals met so far, per count."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def allow(self, count: str, error: BaseException) -> bool:
        """One more refusal for `count`; False once it has met more than MAX_DEFERRALS, and at
        once for an error whose class says it is not sent again in this run (a portal the client
        gave up on has already been waited for give_up_after_seconds)."""
        if not getattr(error, "send_again_in_run", True):
            return False
        self._seen[count] += 1
        if self._seen[count] > MAX_DEFERRALS:
            return False
        log.warning("%s: %s; sent again later", count, error)
        return True


class Scheduler(Generic[Job, Answer]):
    """Runs jobs `workers` at a time; see the module's text for what it does with answers."""

    def __init__(
        self,
        jobs: Jobs[Job, Answer],
        budget: OperatingBudget,
        *,
        workers: int,
        thread_name: str,
        deferrals: Deferrals | None = None,
        finish_on_interrupt: bool = False,
    ) -> None:
        self.jobs = jobs
        self.budget = budget
        self.workers = workers
        self.thread_name = thread_name
        self.deferrals = deferrals or Deferrals()
        self.finish_on_interrupt = finish_on_interrupt
        self._line: deque[Job] = deque()
        self._source: Iterator[Job] = iter(())
        self._running: dict[Future[Answer], Job] = {}
        self._settled: list[Verdict[Job]] = []
        self._failure: BaseException | None = None

    def run(self, queued: Iterable[Job] = (), source: Iterable[Job] = ()) -> None:
        """Send every job until none is left, then raise the error that stopped the run, if any.

        `queued`: jobs known from the start, all eligible at once (one short of budget does not
        hold up those behind it). `source`: jobs made as they are needed, drawn one at a time
        when the line is empty (a long write-back plan is never all in memory).
        """
        self._line.extend(queued)
        self._source = iter(source)
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix=self.thread_name)
        try:
            while self._running or (self._failure is None and self._waiting()):
                self._submit(pool)
                soonest = min((self.budget.wait(self.jobs.methods(job)) for job in self._line), default=None)
                done = self._wait(soonest)
                self._settled = [self._settle(future) for future in done]
                self._submit(pool)  # the next requests go out before this thread spends its time storing
                if self._settled:
                    self._store()
                    self.jobs.stored()
        except BaseException:
            if self.finish_on_interrupt:
                self._store()
                self._settled = [self._settle(future) for future in wait(list(self._running)).done]
                self._store()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        if self._failure is not None:
            raise self._failure

    def _wait(self, soonest: float | None) -> set[Future[Answer]]:
        """The answers that came within `soonest` seconds (None or 0: the first to come). Meanwhile
        jobs.idle() is called once: after idle_after seconds without an answer, or as soon as
        jobs.idle_now() (asked every idle_check seconds) says so."""
        running = list(self._running)
        jobs = self.jobs
        idle_after, check = jobs.idle_after, jobs.idle_check
        if idle_after is None and check is None:
            done, _ = wait(running, timeout=soonest or None, return_when=FIRST_COMPLETED)
            return done
        began = time.monotonic()
        end = began + soonest if soonest else None
        idle_at = began + idle_after if idle_after is not None else None
        idled = False
        while True:
            now = time.monotonic()
            until = [t for t in (end, idle_at) if t is not None]
            if check is not None and not idled:
                until.append(now + check)
            timeout = max(0.0, min(until) - now) if until else None
            done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
            if done:
                return done
            now = time.monotonic()
            if end is not None and now >= end:
                return done
            if not idled and ((idle_at is not None and now >= idle_at) or (check is not None and jobs.idle_now())):
                jobs.idle()
                idled, idle_at = True, None

    def _waiting(self) -> bool:
        """Whether any job waits in line, drawing the next from the source into an empty line."""
        if not self._line:
            job = next(self._source, None)
            if job is not None:
                self._line.append(job)
        return bool(self._line)

    def _submit(self, pool: ThreadPoolExecutor) -> None:
        while self._failure is None and len(self._running) < self.workers:
            job = self._next()
            if job is None:
                return  # what is left waits for a budget; the answers under way come first
            self.jobs.start(job)
            self._running[pool.submit(self.jobs.send, job)] = job

    def _next(self) -> Job | None:
        """The first job in line whose methods may be called now, taken out of the line; when
        none may and nothing is under way, the first in line all the same (the client waits)."""
        if not self._waiting():
            return None
        for index, job in enumerate(self._line):
            if self.budget.wait(self.jobs.methods(job)) == 0:
                del self._line[index]
                return job
        return None if self._running else self._line.popleft()

    def _settle(self, future: Future[Answer]) -> Verdict[Job]:
        job = self._running.pop(future)
        try:
            answer, error = future.result(), None
        except Exception as exc:
            answer, error = None, exc
        verdict = self.jobs.settle(job, answer, error)
        again = verdict.again
        if verdict.refused is not None and not self.deferrals.allow(verdict.count, verdict.refused):
            self._failure = self._failure or verdict.refused
            again = None
        if again is not None:
            self._line.append(again)
        if verdict.error is not None:
            self._failure = self._failure or verdict.error
        return verdict

    def _store(self) -> None:
        """Store the settled answers in order; each is let go once stored (an answer's rows can
        be the bulk of the memory in use)."""
        while self._settled:
            store = self._settled.pop(0).store
            if store is not None:
                store()
            del store


__all__ = ["MAX_DEFERRALS", "Deferrals", "Jobs", "Scheduler", "Verdict"]
