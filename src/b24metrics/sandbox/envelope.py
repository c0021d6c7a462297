"""Response envelope pieces shared by the sandbox's method handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import Any

from .datetimes import format_ts

__all__ = ["RestError", "Outcome", "time_block", "php_map", "param", "php_truthy"]


class RestError(Exception):
    """A REST error: HTTP ``status`` and the body ``{"error", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Outcome:
    """What a method returns: ``result`` plus, for list methods, ``total``/``next``
    and the work the page took (rows returned, counted for ``total``, skipped by
    the offset), which :mod:`.cost` prices."""

    result: Any
    total: int | None = None
    next: int | None = None
    rows_read: int = 0
    rows_counted: int = 0
    rows_skipped: int = 0


def time_block(start: float, finish: float, processing: float, tz: timezone,
               operating: float, reset_at: int) -> dict[str, Any]:
    """The ``time`` object Bitrix24 puts in every successful response."""
    return {
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": processing,
        "date_start": format_ts(start, tz),
        "date_finish": format_ts(finish, tz),
        "operating_reset_at": reset_at,
        "operating": operating,
    }


def php_map(mapping: dict[str, Any]) -> dict[str, Any] | list[Any]:
    """How PHP's json_encode writes an array: empty -> ``[]``; keys exactly
    ``0..n-1`` in order -> a JSON list; anything else -> an object."""
    if not mapping:
        return []
    keys = list(mapping)
    if keys == [str(i) for i in range(len(keys))]:
        return list(mapping.values())
    return mapping


def param(params: dict[str, Any], name: str, default: Any = None) -> Any:
    """A method parameter; CRM methods accept both ``filter`` and ``FILTER``."""
    if name in params:
        return params[name]
    upper = name.upper()
    if upper in params:
        return params[upper]
    return default


def php_truthy(value: Any) -> bool:
    """Bitrix-style boolean parameter: 1/"1"/true/"true"/"Y"/"yes"/"on"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if value is None:
        return False
    return str(value).strip().lower() in ("1", "true", "y", "yes", "on")
