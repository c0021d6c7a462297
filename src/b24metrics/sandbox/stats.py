"""Counters of the sandbox portal and the per-method "operating" meter."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any, Callable

__all__ = ["Stats", "OperatingMeter"]


class Stats:
    """Exact, thread-safe request counters (read the attributes, call ``reset()``).

    ``http_requests``        every HTTP request that reached the server
    ``status_codes``         Counter of HTTP statuses sent
    ``method_calls``         Counter of executed method names (lower case), batch sub-commands included
    ``lead_update_calls``    every crm.lead.update call
    ``lead_updates_changed`` crm.lead.update calls that changed something
    ``deal_update_calls``    every crm.deal.update call
    ``deal_updates_changed`` crm.deal.update calls that changed something
    ``company_update_calls`` / ``company_updates_changed`` the same for crm.company.update
    ``uf_writes``            Counter of (entity, ID, user field) -> crm.*.update calls that carried
                             a value for that field to that record (changed or not)
    ``rejected_503``         requests refused by the leaky bucket
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.http_requests = 0
            self.status_codes: Counter[int] = Counter()
            self.method_calls: Counter[str] = Counter()
            self.lead_updates_changed = 0
            self.lead_update_calls = 0
            self.deal_updates_changed = 0
            self.deal_update_calls = 0
            self.company_updates_changed = 0
            self.company_update_calls = 0
            self.uf_writes: Counter[tuple[str, int, str]] = Counter()
            self.rejected_503 = 0

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def count_status(self, status: int) -> None:
        with self._lock:
            self.status_codes[int(status)] += 1

    def count_method(self, method: str) -> None:
        with self._lock:
            self.method_calls[method] += 1

    def count_uf_writes(self, entity: str, record_id: int, fields: list[str]) -> None:
        with self._lock:
            for name in fields:
                self.uf_writes[(entity, record_id, name)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "http_requests": self.http_requests,
                "status_codes": dict(self.status_codes),
                "method_calls": dict(self.method_calls),
                "lead_updates_changed": self.lead_updates_changed,
                "lead_update_calls": self.lead_update_calls,
                "deal_updates_changed": self.deal_updates_changed,
                "deal_update_calls": self.deal_update_calls,
                "company_updates_changed": self.company_updates_changed,
                "company_update_calls": self.company_update_calls,
                "rejected_503": self.rejected_503,
            }

    def __repr__(self) -> str:
        return f"Stats({self.snapshot()!r})"


class OperatingMeter:
    """Seconds of processing per method over a sliding window (Bitrix24's 10 minutes).

    ``WINDOW`` is the window in real seconds: 600, or ``600 / time_scale`` on a
    portal with a time scale (tests may also set it directly).  ``block``
    blocks a method for some seconds whatever it has spent; while blocked,
    ``read`` reports that moment as ``operating_reset_at``.
    """

    WINDOW = 600.0

    def __init__(self, window: float | None = None, clock: Callable[[], float] = time.time) -> None:
        # The portal's clock: `operating_reset_at` must be on the same clock as the time
        # block's `start`, or a client carrying it over to its own clock goes wrong.
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, deque[tuple[float, float]]] = {}
        self._blocks: dict[str, float] = {}
        if window is not None:
            self.WINDOW = float(window)

    def _prune(self, records: deque[tuple[float, float]], now: float) -> None:
        while records and records[0][0] <= now - self.WINDOW:
            records.popleft()

    def add(self, method: str, seconds: float, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        with self._lock:
            records = self._records.setdefault(method, deque())
            records.append((now, seconds))
            self._prune(records, now)

    def _blocked_until(self, method: str, now: float) -> float | None:
        until = self._blocks.get(method)
        if until is not None and until <= now:
            del self._blocks[method]
            return None
        return until

    def read(self, method: str, now: float | None = None) -> tuple[float, int]:
        """``(operating, operating_reset_at)`` for ``method``."""
        now = self._clock() if now is None else now
        with self._lock:
            blocked_until = self._blocked_until(method, now)
            records = self._records.get(method)
            if records:
                self._prune(records, now)
            total = sum(seconds for _, seconds in records) if records else 0.0
            oldest = records[0][0] if records else now
            if blocked_until is not None:
                return total, int(blocked_until)
            return total, int(oldest + self.WINDOW)

    def block(self, method: str, seconds: float, now: float | None = None) -> None:
        """Block ``method`` for ``seconds`` from now (``seconds <= 0`` unblocks it)."""
        now = self._clock() if now is None else now
        with self._lock:
            self._blocks[method] = now + seconds
            self._blocked_until(method, now)

    def blocked(self, method: str, now: float | None = None) -> bool:
        """Whether ``block`` blocks ``method`` now."""
        now = self._clock() if now is None else now
        with self._lock:
            return self._blocked_until(method, now) is not None

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._blocks.clear()
