"""The portal-side leaky bucket of Bitrix24's request-rate limit.

Each accepted request adds 1 to the level; the level drains continuously at
``rate`` per second.  A request that would push the level above ``burst`` is
refused (HTTP 503 ``QUERY_LIMIT_EXCEEDED``) and adds nothing.  So with an
empty bucket exactly ``burst`` requests pass at once and the next one fails.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

__all__ = ["LeakyBucket"]


class LeakyBucket:
    def __init__(self, rate: float = 2.0, burst: float = 50,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.rate = float(rate)
        self.burst = float(burst)
        self._level = 0.0
        self._stamp = clock()

    def _drain(self, now: float) -> None:
        elapsed = now - self._stamp
        if elapsed > 0:
            self._level = max(0.0, self._level - elapsed * self.rate)
        self._stamp = now

    def try_acquire(self) -> bool:
        """Add one request if it fits; ``False`` means refuse it."""
        with self._lock:
            self._drain(self._clock())
            if self._level + 1 > self.burst + 1e-9:
                return False
            self._level += 1
            return True

    @property
    def level(self) -> float:
        with self._lock:
            self._drain(self._clock())
            return self._level

    def configure(self, rate: float | None = None, burst: float | None = None) -> None:
        """Change rate and/or burst and empty the bucket."""
        with self._lock:
            if rate is not None:
                if rate < 0:
                    raise ValueError("rate must be >= 0")
                self.rate = float(rate)
            if burst is not None:
                if burst < 0:
                    raise ValueError("burst must be >= 0")
                self.burst = float(burst)
            self._level = 0.0
            self._stamp = self._clock()
