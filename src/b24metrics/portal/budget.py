"""The second budget: execution time per method, as the portal reports it in every `time` block.

Bitrix24 sums each method's execution time over 10 one-minute baskets and blocks the method
(429 OPERATION_TIME_LIMIT) once the sum passes its limit (480 s in the docs' example). Every
answer tells how much is spent (`operating`) and when the oldest basket expires
(`operating_reset_at`). We stop calling a method that is close to its limit until that moment,
instead of letting the portal block it for everyone using the webhook.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable


WINDOW = 600.0  # the portal counts the last 10 minutes: no wait is ever longer


@dataclass
class MethodBudget:
    operating: float = 0.0
    reset_at: float = 0.0        # unix time
    blocked_until: float = 0.0   # unix time; set by a 429


class OperatingBudget:
    def __init__(
        self,
        limit: float = 480.0,
        *,
        headroom: float = 0.85,
        basket: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.headroom = headroom
        self.basket = basket  # the portal's baskets are a minute long: the longest a 429 lasts unseen
        self._clock = clock
        self._methods: dict[str, MethodBudget] = {}
        self._lock = threading.Lock()

    def note(self, method: str, block: dict[str, Any] | None) -> None:
        """Remember what the portal said about one method's spending."""
        if not isinstance(block, dict) or "operating" not in block:
            return
        try:
            operating = float(block["operating"])
            # +1: the portal rounds the moment down to a whole second.
            reset_at = float(block.get("operating_reset_at") or 0) + 1.0
            # reset_at is on the portal's clock; carry it over to ours by the answer's start time.
            if block.get("start") is not None:
                reset_at += self._clock() - float(block["start"])
        except (TypeError, ValueError):
            return
        reset_at = min(reset_at, self._clock() + WINDOW)
        with self._lock:
            state = self._methods.setdefault(method.lower(), MethodBudget())
            state.operating, state.reset_at = operating, reset_at

    def blocked(self, method: str, reset_at: float | None) -> float:
        """The portal blocked the method: no calls until reset_at (or a minute). Returns that time."""
        now = self._clock()
        with self._lock:
            state = self._methods.setdefault(method.lower(), MethodBudget())
            if reset_at and reset_at > now:
                until = reset_at
            elif state.reset_at > now:
                until = state.reset_at
            else:
                until = now + self.basket
            until = min(until, now + WINDOW)
            state.blocked_until = until
            return until

    def ready_at(self, methods: Iterable[str]) -> float:
        """Unix time from which all of these methods may be called (now or earlier if they may)."""
        now = self._clock()
        at = now
        with self._lock:
            for method in methods:
                state = self._methods.get(method.lower())
                if state is None:
                    continue
                at = max(at, state.blocked_until)
                if state.operating >= self.limit * self.headroom and state.reset_at > now:
                    at = max(at, state.reset_at)
        return at

    def wait(self, methods: Iterable[str]) -> float:
        """Seconds to wait before these methods may be called (0 when they may now)."""
        return max(0.0, self.ready_at(methods) - self._clock())

    def snapshot(self) -> dict[str, MethodBudget]:
        with self._lock:
            return {m: MethodBudget(**vars(s)) for m, s in self._methods.items()}
