"""What a pass reads: an interrupted pass resumed, or a new full or incremental one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from b24metrics.extract.streams import Stream
from b24metrics.warehouse import Bookmark


def plan_pass(
    stream: Stream, mark: Bookmark | None, *, full: bool, since: datetime | None, overlap: timedelta
) -> Bookmark:
    """Decide what this pass reads: resume an interrupted pass, or start a full or incremental one."""
    interrupted = mark is not None and not mark.complete and bool(mark.ranges or mark.cursor_id)
    if mark is not None and interrupted and (not full or mark.mode == "full") and since is None:
        return mark if mark.ranges is not None else replace(mark, ranges=((mark.cursor_id or 0, None),))
    old_since = mark.since if mark else None
    if stream.cursor == "id" and mark is not None and mark.cursor_id and not full:
        # Go on after the highest ID seen; the row count of this pass starts at 0.
        return Bookmark(stream.name, mark.cursor_id, mode="incremental", since=old_since, ranges=None)
    incremental_since = since or (old_since - overlap if old_since else None)
    if full or stream.cursor != "modified" or incremental_since is None:
        return Bookmark(stream.name, 0, mode="full", since=old_since)
    return Bookmark(stream.name, 0, mode="incremental", pass_since=incremental_since, since=old_since)


def pass_filter(stream: Stream, mark: Bookmark) -> dict[str, Any]:
    """The listing filter of a pass: the stream's own, and its modified date for an incremental one."""
    flt = dict(stream.filter)
    if mark.mode == "incremental" and stream.cursor == "modified":
        if mark.pass_since is None:
            raise ValueError(f"{stream.name}: an incremental pass without its date")
        flt[f">={stream.modified_field}"] = mark.pass_since.isoformat(timespec="seconds")
    return flt


def portal_clock(time_block: dict[str, Any]) -> datetime:
    """When the portal began answering, by its own clock (ours may be off)."""
    try:
        return datetime.fromisoformat(time_block["date_start"]).astimezone(timezone.utc)
    except (KeyError, TypeError, ValueError):
        pass
    try:
        return datetime.fromtimestamp(float(time_block["start"]), timezone.utc)
    except (KeyError, TypeError, ValueError):
        return datetime.now(timezone.utc)
