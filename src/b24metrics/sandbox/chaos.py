"""Faults on a schedule: the sandbox misbehaving on its own, as a real portal does on a bad day.

:mod:`.faults` injects one fault when a test asks; :class:`Chaos` keeps injecting them from a
thread of its own for as long as it runs, for a client tested against the sandbox for minutes
(`b24metrics sandbox --storm-every 30 ...`) and for the soak run (bench/soak.py):

- ``storm_every`` s: a 503 QUERY_LIMIT_EXCEEDED storm of ``storm_seconds`` on every request;
- ``block_every`` s: one list or update method answers 429 OPERATION_TIME_LIMIT for
  ``block_seconds`` (its execution-time budget spent);
- ``timeout_every`` s: the next request waits ``timeout_seconds`` before it is handled (a client
  with a shorter timeout gives up; the request still runs afterwards, as on a real portal);
- ``churn_every`` s: while a list is being paged, a few leads and deals are edited (their
  ``DATE_MODIFY`` bumped) and one lead vanishes (deleted);
- ``refuse``: this share of the leads refuse ``crm.lead.update`` ``refuse_times`` times each,
  then accept (as a record locked for a moment by another user);
- ``malformed``: this many leads get a value that does not parse (a broken integration wrote it);
- ``latency``: seconds every answer waits before it goes out.

Counts of what was injected are in :attr:`Chaos.injected`. Seconds are real seconds.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Chaos"]

_BLOCKABLE = ("crm.lead.list", "crm.deal.list", "crm.activity.list", "crm.lead.update")
_MALFORMED = (("OPPORTUNITY", "12 500,00 руб."), ("DATE_CREATE", "31.02.2024"), ("ASSIGNED_BY_ID", "Иванов"))


@dataclass
class Chaos:
    storm_every: float = 0.0
    storm_seconds: float = 3.0
    block_every: float = 0.0
    block_seconds: float = 10.0
    timeout_every: float = 0.0
    timeout_seconds: float = 35.0
    churn_every: float = 0.0
    refuse: float = 0.0
    refuse_times: int = 2
    malformed: int = 0
    latency: float = 0.0
    seed: int = 1
    injected: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return any((self.storm_every, self.block_every, self.timeout_every, self.churn_every, self.refuse,
                    self.malformed, self.latency))

    def start(self, portal: Any) -> "Chaos":
        """Set the standing knobs on `portal` and start the scheduled ones."""
        portal.latency = max(portal.latency, self.latency)
        self._malform(portal)
        self.refuse_some(portal)
        if any((self.storm_every, self.block_every, self.timeout_every, self.churn_every)):
            self._thread = threading.Thread(target=self._run, args=(portal,), name="b24-sandbox-chaos", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.injected[what] += n

    def _run(self, portal: Any) -> None:
        schedule = {name: every for name, every in (("storm", self.storm_every), ("block", self.block_every),
                                                    ("timeout", self.timeout_every), ("churn", self.churn_every))
                    if every > 0}
        # each kind comes at its own pace, the first after a random part of its interval
        due = {name: self._rng.uniform(0.2, 1.0) * every for name, every in schedule.items()}
        clock = 0.0
        while not self._stop.wait(0.25):
            clock += 0.25
            for name, every in schedule.items():
                if clock >= due[name]:
                    due[name] = clock + every * self._rng.uniform(0.5, 1.5)
                    getattr(self, f"_{name}")(portal)

    def _storm(self, portal: Any) -> None:
        portal.faults.storm(self.storm_seconds)
        self._count("503 storms")

    def _block(self, portal: Any) -> None:
        portal.block_method(self._rng.choice(_BLOCKABLE), self.block_seconds)
        self._count("429 blocks")

    def _timeout(self, portal: Any) -> None:
        portal.faults.delay_next(1, self.timeout_seconds)
        self._count("requests held past a client's timeout")

    def _churn(self, portal: Any) -> None:
        # on the answer to a request soon: most likely a page of a list being read
        portal.on_request(self._edit_and_delete, after=self._rng.randint(1, 4))

    def _edit_and_delete(self, portal: Any) -> None:
        with portal.state.lock:
            leads = sorted(portal.state.leads)
            deals = sorted(portal.state.deals)
            if len(leads) < 10:
                return
            edited = self._rng.sample(leads, 3) + (self._rng.sample(deals, min(2, len(deals))))
            gone = self._rng.choice(leads)
        for n, record_id in enumerate(edited):
            entity = "lead" if n < 3 else "deal"
            portal.corrupt(entity, record_id, "TITLE", f"changed during paging {self._rng.randrange(10**6)}")
        with portal.state.lock:
            portal.state.leads.pop(gone, None)
        self._count("records changed during paging", len(edited))
        self._count("records deleted during paging")

    def refuse_some(self, portal: Any) -> None:
        """`refuse` of the leads refuse their next `refuse_times` updates."""
        if self.refuse <= 0:
            return
        with portal.state.lock:
            leads = sorted(portal.state.leads)
        chosen = self._rng.sample(leads, max(1, int(len(leads) * self.refuse)))
        portal.faults.reject_records("crm.lead.update", chosen, description="The record is locked by another user",
                                     times=self.refuse_times)
        self._count("lead updates refused", len(chosen) * self.refuse_times)

    def _malform(self, portal: Any) -> None:
        if self.malformed <= 0:
            return
        with portal.state.lock:
            leads = sorted(portal.state.leads)
        for record_id in self._rng.sample(leads, min(self.malformed, len(leads))):
            name, value = self._rng.choice(_MALFORMED)
            portal.corrupt("lead", record_id, name, value)
        self._count("malformed records", min(self.malformed, len(leads)))
