"""Fault injection: answer the next requests with an error instead of handling them."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["Faults", "Fault"]


@dataclass
class Fault:
    remaining: int
    status: int
    error: str
    description: str
    method: str | None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def fail_next(self, count: int, status: int = 503, error: str = "QUERY_LIMIT_EXCEEDED",
                  description: str = "Too many requests", method: str | None = None) -> None:
        """The next ``count`` HTTP requests (only those calling ``method``,
        case-insensitive, when given) get ``status`` with this error body."""
        if count <= 0:
            return
        with self._lock:
            self._rules.append(Fault(int(count), int(status), error, description,
                                     method.strip().lower().removesuffix(".json") if method else None))

    def take(self, method: str) -> Fault | None:
        """Consume and return the first rule that applies to ``method``."""
        with self._lock:
            for rule in self._rules:
                if rule.method is None or rule.method == method:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(rule.remaining for rule in self._rules)
