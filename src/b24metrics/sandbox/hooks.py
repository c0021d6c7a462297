"""Callbacks run once after a given number of HTTP requests (``portal.on_request``).

Requests are numbered as they reach the server (every request counts, as in
``stats.http_requests``).  A callback registered with ``after=N`` runs once,
in the handler thread of the N-th request from then on, under
``portal.state.lock``, just before that request's answer goes out: the N-th
answer was computed before the change, and everything a client sends after
reading it sees the change.  So a test can edit or delete records while a
sync is paging.  The callback must not call the portal over HTTP itself.
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Any, Callable

__all__ = ["RequestHooks"]


class RequestHooks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._waiting: list[tuple[int, Callable[[Any], Any]]] = []

    def arrived(self) -> int:
        """Number the request that has just arrived."""
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, callback: Callable[[Any], Any], after: int = 1) -> None:
        """Run ``callback(portal)`` once, when the ``after``-th request from now is answered."""
        if after < 1:
            raise ValueError("after must be >= 1")
        with self._lock:
            self._waiting.append((self._seq + int(after), callback))

    def run_due(self, seq: int, portal: Any) -> None:
        """Run (once) every callback due by request number ``seq``."""
        with self._lock:
            if not self._waiting:
                return
            due = [callback for target, callback in self._waiting if target <= seq]
            self._waiting = [(target, callback) for target, callback in self._waiting if target > seq]
        for callback in due:
            try:
                with portal.state.lock:
                    callback(portal)
            except Exception:  # a broken test callback must not take the server down
                traceback.print_exc(file=sys.stderr)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    def clear(self) -> None:
        with self._lock:
            self._waiting.clear()
