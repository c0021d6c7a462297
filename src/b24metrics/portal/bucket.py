"""The client's copy of the portal's leaky bucket, so that we do not provoke 503s.

The portal adds 1 per request and drains `rate` per second; above `burst` it refuses. We keep
the same account on our side (a batch is one request) and wait before a request that would
overflow it. The portal counts a request when it arrives, we count it when we send it: a
margin of headroom (0.3 s worth of requests, at least 2) absorbs requests that were held up on
the way and then arrive together.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable


class LeakyBucket:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        margin: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate)
        if margin is None:
            margin = max(2, math.ceil(rate * 0.3))
        self.capacity = max(1.0, float(burst - margin))
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._at = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _drain(self, now: float) -> None:
        self._level = max(0.0, self._level - (now - self._at) * self.rate)
        self._at = now

    def acquire(self) -> float:
        """Block until one more request fits; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._drain(now)
                # The tolerance keeps float rounding from asking for sleeps too short to move
                # the clock, which would spin forever.
                if self._level + 1.0 <= self.capacity + 1e-9:
                    self._level += 1.0
                    self.waited += waited
                    return waited
                pause = (self._level + 1.0 - self.capacity) / self.rate
            self._sleep(pause)
            waited += pause

    def saturate(self) -> None:
        """The portal said its bucket is full: believe it (another client may share it)."""
        with self._lock:
            self._drain(self._clock())
            self._level = self.capacity
