"""Date/time helpers of the sandbox portal.

Bitrix24 writes datetimes as ISO 8601 with the portal's UTC offset
(``2025-03-04T12:33:10+03:00``) and dates as ``YYYY-MM-DD``.  Every datetime
the sandbox stores uses exactly that format in the portal's offset, so two
stored values compare correctly as plain strings.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

__all__ = [
    "ANCHOR",
    "parse_offset",
    "format_ts",
    "format_dt",
    "TsFormatter",
    "TsParser",
    "parse_datetime",
    "normalize_datetime",
    "normalize_date",
    "date_field_value",
]

#: Fixed anchor of the seeded data: nothing is generated after it.
ANCHOR = datetime(2026, 11, 1, 0, 0, 0, tzinfo=timezone(timedelta(hours=3)))

_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})?$")
_RU_DATE = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


def parse_offset(tz: str | timezone | None) -> timezone:
    """``"+03:00"`` / ``"-0530"`` / ``"Z"`` / ``"UTC"`` -> ``datetime.timezone``."""
    if isinstance(tz, timezone):
        return tz
    if tz is None:
        return timezone(timedelta(hours=3))
    text = str(tz).strip()
    if text.upper() in ("Z", "UTC", "GMT", ""):
        return timezone.utc
    match = _OFFSET.match(text)
    if not match:
        raise ValueError(f"unsupported time zone offset: {tz!r}")
    sign = -1 if match.group(1) == "-" else 1
    hours = int(match.group(2))
    minutes = int(match.group(3) or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"unsupported time zone offset: {tz!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def format_ts(ts: float, tz: timezone) -> str:
    """Unix seconds -> ``YYYY-MM-DDTHH:MM:SS+HH:MM`` (second precision)."""
    return datetime.fromtimestamp(int(ts), tz).isoformat()


class TsFormatter:
    """Fast ``format_ts`` for one fixed offset (used by the data generator)."""

    _clock_times: list[str] = []
    #: offset suffix ("+03:00") -> the 86,400 "THH:MM:SS+03:00" strings, shared by all instances
    _times_by_suffix: dict[str, list[str]] = {}

    def __init__(self, tz: timezone) -> None:
        offset = tz.utcoffset(None)
        assert offset is not None
        self._offset = int(offset.total_seconds())
        suffix = datetime(2000, 1, 1, tzinfo=tz).isoformat()[19:]
        if not TsFormatter._clock_times:
            TsFormatter._clock_times = [f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        times = TsFormatter._times_by_suffix.get(suffix)
        if times is None:
            times = TsFormatter._times_by_suffix[suffix] = [t + suffix for t in TsFormatter._clock_times]
        self._times = times
        self._days: dict[int, str] = {}

    def __call__(self, ts: float) -> str:
        day, sec = divmod(int(ts) + self._offset, 86400)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
        return text + self._times[sec]

    def function(self) -> Callable[[int], str]:
        """The same formatting as a plain closure (no attribute look-ups: for hot loops)."""
        days = self._days
        times = self._times
        offset = self._offset
        epoch = date(1970, 1, 1)

        def format_ts(ts: int) -> str:
            day, sec = divmod(ts + offset, 86400)
            text = days.get(day)
            if text is None:
                text = days[day] = (epoch + timedelta(days=day)).isoformat()
            return text + times[sec]

        return format_ts


class TsParser:
    """Fast inverse of :class:`TsFormatter`: ``YYYY-MM-DDTHH:MM:SS±HH:MM`` -> unix seconds
    (only for strings of exactly that form, as the generator writes them)."""

    def __init__(self) -> None:
        self._days: dict[str, int] = {}
        self._clock: dict[str, int] = {}
        self._offsets: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        day = self._days.get(text[:10])
        if day is None:
            day = self._days[text[:10]] = (date.fromisoformat(text[:10]).toordinal() - 719163) * 86400
        clock = self._clock.get(text[11:19])
        if clock is None:
            clock = self._clock[text[11:19]] = (int(text[11:13]) * 3600 + int(text[14:16]) * 60
                                                + int(text[17:19]))
        offset = self._offsets.get(text[19:])
        if offset is None:
            sign = -1 if text[19] == "-" else 1
            offset = self._offsets[text[19:]] = sign * (int(text[20:22]) * 3600 + int(text[23:25]) * 60)
        return day + clock - offset


def format_dt(dt: datetime, tz: timezone) -> str:
    return dt.astimezone(tz).replace(microsecond=0).isoformat()


def parse_datetime(value: Any, tz: timezone) -> datetime | None:
    """Parse what Bitrix24 accepts as a datetime filter or field value.

    Accepted: ISO 8601 with or without offset (``T`` or space separator),
    a bare ``YYYY-MM-DD``, and the Russian site format ``DD.MM.YYYY[ HH:MM[:SS]]``.
    Values without an offset are in the portal's time zone.  Anything else
    gives ``None``.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        dt = None
        try:
            dt = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            match = _RU_DATE.match(text)
            if match:
                d, m, y, hh, mm, ss = match.groups()
                try:
                    dt = datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
                except ValueError:
                    return None
        if dt is None:
            return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt


def normalize_datetime(value: Any, tz: timezone) -> str | None:
    """A datetime in the stored/wire format, or ``None`` when unparseable."""
    dt = parse_datetime(value, tz)
    return None if dt is None else format_dt(dt, tz)


def date_field_value(day: str, tz: timezone) -> str:
    """How Bitrix24 writes a *date* field (a deal's BEGINDATE/CLOSEDATE, a contact's
    BIRTHDATE): the day's UTC midnight in the portal offset, ``2026-05-10T03:00:00+03:00``."""
    midnight = datetime.fromisoformat(day[:10]).replace(tzinfo=timezone.utc)
    return format_dt(midnight, tz)


def normalize_date(value: Any, tz: timezone) -> str | None:
    """A date as ``YYYY-MM-DD`` (a datetime is first moved to the portal zone)."""
    dt = parse_datetime(value, tz)
    return None if dt is None else dt.astimezone(tz).date().isoformat()
