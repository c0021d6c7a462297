"""Which periods a report shows, and which one its headline is about.

The KPI cut places a row in the period its local date falls in (kpis/cuts.py, date_trunc) and
keeps the periods that start in [since, until). The report does the same arithmetic on the
same boundaries (ISO weeks start on Monday), so that its window names exactly the rows the cut
returns. The headline is the last period that has ended: comparing a half-finished month with
whole ones would mislead. A period still under way is shown in the trends, marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from b24metrics.kpis.inputs import _add_months

REPORT_PERIODS = ("day", "week", "month", "quarter", "year")
#: periods a report shows by default, its headline period the last of them
DEFAULT_COUNT = {"day": 31, "week": 13, "month": 12, "quarter": 8, "year": 5}


def start_of(kind: str, day: date) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return date(day.year, quarter_index(day) * 3 + 1, 1)
    if kind == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {kind!r}; one of {', '.join(REPORT_PERIODS)}")


def quarter_index(day: date) -> int:
    """The quarter a day falls in, from 0 (January to March) to 3."""
    return (day.month - 1) // 3


def shift(kind: str, start: date, count: int) -> date:
    """The start of the period `count` periods after (or before) the one starting at `start`."""
    if kind == "day":
        return start + timedelta(days=count)
    if kind == "week":
        return start + timedelta(weeks=count)
    return _add_months(start, {"month": 1, "quarter": 3, "year": 12}[kind] * count)


def year_before(kind: str, start: date) -> date:
    """The period the cut compares with as "a year before" (kpis/cuts.py PERIODS): the same ISO
    week number for weeks, the same date a year back otherwise (29 February: the 28th)."""
    if kind == "week":
        return start - timedelta(weeks=52)
    try:
        return start.replace(year=start.year - 1)
    except ValueError:
        return start.replace(year=start.year - 1, day=28)


@dataclass(frozen=True)
class Window:
    kind: str               # day, week, month, quarter or year
    since: date             # the cut's bounds: periods that start in [since, until)
    until: date
    periods: tuple[date, ...]
    headline: date          # the last period that has ended by `today` (else the last one)
    today: date             # the portal's local date when the report was made
    now: datetime | None = None  # the portal's wall clock then (the pace of the period under way)

    def running(self, start: date) -> bool:
        """Is the period still under way?"""
        return shift(self.kind, start, 1) > self.today

    @property
    def current(self) -> date | None:
        """The period under way, when the window shows it after the headline ("to date")."""
        last = self.periods[-1]
        return last if last > self.headline and self.running(last) and last <= self.today else None

    def elapsed(self, start: date) -> float:
        """The share of a period gone by `now` (by `today`'s start without it), 0 to 1: a
        forecast at the current pace is the figure so far divided by it, as kpi_plan's is."""
        end = shift(self.kind, start, 1)
        moment = self.now or datetime.combine(self.today, datetime.min.time())
        began = datetime.combine(start, datetime.min.time())
        whole = (datetime.combine(end, datetime.min.time()) - began).total_seconds()
        return min(1.0, max(0.0, (moment.replace(tzinfo=None) - began).total_seconds() / whole))


def make_window(kind: str, today: date, *, since: date | None = None, until: date | None = None,
                count: int | None = None) -> Window:
    """`count` periods ending with the last whole one (plus the one under way), unless `since`
    or `until` say otherwise."""
    if kind not in REPORT_PERIODS:
        raise ValueError(f"a report is cut by {', '.join(REPORT_PERIODS)}, not {kind!r}")
    if until is None:
        until = shift(kind, start_of(kind, today), 1)  # the period under way is shown too
    last = start_of(kind, until - timedelta(days=1))
    headline = last if not shift(kind, last, 1) > today else shift(kind, last, -1)
    if since is None:
        since = shift(kind, headline, -((count or DEFAULT_COUNT[kind]) - 1))
    if since >= until:
        raise ValueError(f"--since {since} is not before --until {until}")
    first = start_of(kind, since)
    if first < since:
        first = shift(kind, first, 1)
    periods = []
    while first <= last:
        periods.append(first)
        first = shift(kind, first, 1)
    if not periods:
        raise ValueError(f"no {kind} starts between {since} and {until}")
    if headline < periods[0]:
        headline = periods[-1]  # nothing in the window has ended yet: the newest one
    return Window(kind, since, until, tuple(periods), headline, today)
