"""Fault injection: answer requests with an error instead of handling them, or hang first.

``fail_next`` answers the next N requests with an error, ``storm`` every
request for some seconds, ``delay_next`` makes the next N requests wait
before they are handled (a client with a shorter timeout gives up; the
request is still handled afterwards, as on a real portal).  Each takes an
optional ``method`` (case-insensitive, ``.json`` ignored): then only
requests to that method are affected; a batch is the method ``batch``.
Seconds here are real seconds (``time_scale`` does not apply).

``hold`` stops the N-th method call from now (batch sub-commands count one
each) before it runs, until the test releases it; meanwhile the requests
already being handled finish and new ones wait (``settled`` tells when only
the held one is left).  A client waiting for that answer is certainly
mid-way, however fast or loaded the machine, and has the answers sent before
in hand: a test can kill it at a point chosen by progress, not by the clock.

``reject_records`` makes one method refuse some record IDs (as
``crm.lead.update`` answers a lead its webhook user may not edit), also as a
command inside a batch, while the other records of the same batch go
through.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, TypeVar

__all__ = ["Faults", "Fault", "Storm", "Delay", "Rejection", "Hold"]


def _method_key(method: str | None) -> str | None:
    return method.strip().lower().removesuffix(".json") if method else None


@dataclass
class Fault:
    remaining: int
    status: int
    error: str
    description: str
    method: str | None


@dataclass
class Storm:
    until: float  # on the Faults clock (monotonic)
    status: int
    error: str
    description: str
    method: str | None


@dataclass
class Delay:
    remaining: int
    seconds: float
    method: str | None


@dataclass
class Rejection:
    remaining: int | None  # None: for good
    status: int
    error: str
    description: str


@dataclass
class Hold:
    """The ``after``-th call (of ``methods``, or of any method) from when it was set waits
    before it runs until ``release()``, or ``timeout`` seconds as a safety net."""

    after: int
    methods: frozenset[str] | None
    timeout: float
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_reached(self, timeout: float) -> bool:
        """True once the held call has arrived (and waits); False after ``timeout`` seconds."""
        return self.reached.wait(timeout)

    def release(self) -> None:
        """Let the held call run (and the requests waiting behind it); a hold not reached yet is
        dropped."""
        self.released.set()


_Counted = TypeVar("_Counted", Fault, Delay)


def _consume(rules: list[_Counted], method: str) -> _Counted | None:
    """The first rule for ``method``, one use of it spent (dropped when used up)."""
    for rule in rules:
        if rule.method is None or rule.method == method:
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


class Faults:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._rules: list[Fault] = []
        self._storms: list[Storm] = []
        self._delays: list[Delay] = []
        self._rejections: dict[tuple[str, int], Rejection] = {}
        self._holds: list[Hold] = []
        self._frozen: list[Hold] = []     # reached and not released: new requests wait
        self._handling = 0                # requests being handled now
        self._flight = threading.Condition()

    def fail_next(self, count: int, status: int = 503, error: str = "QUERY_LIMIT_EXCEEDED",
                  description: str = "Too many requests", method: str | None = None) -> None:
        """The next ``count`` HTTP requests (only those calling ``method``,
        case-insensitive, when given) get ``status`` with this error body."""
        if count <= 0:
            return
        with self._lock:
            self._rules.append(Fault(int(count), int(status), error, description, _method_key(method)))

    def storm(self, seconds: float, status: int = 503, error: str = "QUERY_LIMIT_EXCEEDED",
              description: str = "Too many requests", method: str | None = None) -> None:
        """Every HTTP request (to ``method`` when given) in the next ``seconds``
        gets ``status`` with this error body; requests after that are handled."""
        if seconds <= 0:
            return
        with self._lock:
            self._storms.append(Storm(self._clock() + float(seconds), int(status), error, description,
                                      _method_key(method)))

    def delay_next(self, count: int, seconds: float, method: str | None = None) -> None:
        """The next ``count`` HTTP requests (to ``method`` when given) wait
        ``seconds`` before they are handled."""
        if count <= 0 or seconds <= 0:
            return
        with self._lock:
            self._delays.append(Delay(int(count), float(seconds), _method_key(method)))

    def hold(self, after: int, methods: str | Iterable[str] | None = None, timeout: float = 120.0) -> Hold:
        """Stop the ``after``-th method call from now (only calls of ``methods`` count, when
        given; a batch's sub-commands count one each, the batch itself not) before it runs,
        until the returned hold is released or ``timeout`` seconds pass."""
        if after < 1:
            raise ValueError("after must be >= 1")
        keys = None if methods is None else frozenset(
            _method_key(m) or "" for m in ([methods] if isinstance(methods, str) else methods))
        rule = Hold(int(after), keys, float(timeout))
        with self._lock:
            self._holds.append(rule)
        return rule

    def wait_if_held(self, method: str) -> None:
        """Count a call of ``method``; if a hold falls due on it, wait until it is released."""
        due: list[Hold] = []
        with self._lock:
            self._holds = [rule for rule in self._holds if not rule.released.is_set()]
            for rule in self._holds:
                if rule.methods is None or method in rule.methods:
                    rule.after -= 1
                    if rule.after == 0:
                        due.append(rule)
            self._holds = [rule for rule in self._holds if rule.after > 0]
        with self._flight:
            self._frozen.extend(due)
            for rule in due:
                rule.reached.set()
            self._flight.notify_all()
        for rule in due:
            rule.released.wait(rule.timeout)
            with self._flight:
                self._frozen.remove(rule)
                self._flight.notify_all()

    @contextmanager
    def handling(self) -> Iterator[None]:
        """Around the handling of one HTTP request: while a call is held, a new request waits."""
        with self._flight:
            self._flight.wait_for(lambda: all(rule.released.is_set() for rule in self._frozen), 300)
            self._handling += 1
        try:
            yield
        finally:
            with self._flight:
                self._handling -= 1
                self._flight.notify_all()

    def settled(self, hold: Hold, timeout: float) -> bool:
        """Wait until ``hold``'s call waits and no other request is being handled (the answers
        sent before are out); False after ``timeout`` seconds."""
        with self._flight:
            return self._flight.wait_for(lambda: hold.reached.is_set() and self._handling <= len(self._frozen),
                                         timeout)

    def reject_records(self, method: str, ids, *, status: int = 400, error: str = "",
                       description: str = "Access denied", times: int | None = None) -> None:
        """Calls of ``method`` (``crm.lead.update`` ...) for these record IDs fail with this
        error, ``times`` times each (None: until ``clear``). The defaults are what Bitrix24
        answers a webhook user who may not edit the record: an empty code and the text."""
        key = _method_key(method) or ""
        with self._lock:
            for record_id in ids:
                self._rejections[(key, int(record_id))] = Rejection(times, int(status), error, description)

    def rejection(self, method: str, record_id: int) -> Rejection | None:
        """The error a call of ``method`` for ``record_id`` must fail with, if any (one use spent)."""
        with self._lock:
            key = (_method_key(method) or "", int(record_id))
            rule = self._rejections.get(key)
            if rule is None:
                return None
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    del self._rejections[key]
            return rule

    def take(self, method: str) -> Fault | Storm | None:
        """The error to answer a request to ``method`` with, if any: a storm
        under way, else the first ``fail_next`` rule that applies (consumed)."""
        with self._lock:
            now = self._clock()
            self._storms = [storm for storm in self._storms if storm.until > now]
            for storm in self._storms:
                if storm.method is None or storm.method == method:
                    return storm
            return _consume(self._rules, method)

    def take_delay(self, method: str) -> float:
        """Seconds a request to ``method`` must wait (0 = none); consumes one delay."""
        with self._lock:
            delay = _consume(self._delays, method)
        return delay.seconds if delay is not None else 0.0

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._storms.clear()
            self._delays.clear()
            self._rejections.clear()
            holds, self._holds = self._holds, []
        with self._flight:
            holds += self._frozen  # reached and waiting: let them and the requests behind them go
        for rule in holds:
            rule.release()

    @property
    def pending(self) -> int:
        """Requests ``fail_next`` will still fail."""
        with self._lock:
            return sum(rule.remaining for rule in self._rules)
