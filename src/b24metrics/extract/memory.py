"""Handing freed heap back to the OS between answers of a sync."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Callable

_malloc_trim: Callable[[int], int] | None
try:
    _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc: nothing to hand back
    _malloc_trim = None


def release_memory() -> None:
    """Hand the heap freed by committed answers back to the OS. Answers are typed in worker
    threads and freed in the calling one; glibc keeps such memory in per-thread arenas, and
    peak memory would creep with every answer."""
    if _malloc_trim is not None:
        _malloc_trim(0)
