"""When the report may colour a figure red: only when enough records stand behind it.

A change of -42.8 % on two deals, or a share of 1 in 3 records, is noise, and red on it sends a
reader after nothing. Below `report.min_count_for_red` records a change or a share is shown
plain, with its counts beside it where the layout has room.
"""

from __future__ import annotations

from typing import Any

#: the records a headline card's figure is counted on: measures of the same KPI row, added up
CARD_BASE: dict[str, tuple[str, ...]] = {
    "leads_by_channel": ("leads",),
    "lead_grades": ("a", "b", "c", "d"),
    "lead_to_won": ("leads",),
    "speed_to_lead": ("leads",),
    "win_loss": ("won", "lost"),
    "revenue": ("won_deals",),
    "revenue_converted": ("won_deals",),
    "deal_cycle": ("won",),
}


def card_base(kpi: str, row: dict[str, Any] | None, suffix: str = "") -> int:
    """How many records the card's figure of this row (suffix "_prev", "_yoy": the period it is
    compared with) is counted on; 0 without a row. A KPI this map does not name counts as
    enough, so that a new card is never silenced by omission."""
    measures = CARD_BASE.get(kpi)
    if measures is None:
        return 1 << 30
    if row is None:
        return 0
    return int(sum(row.get(m + suffix) or 0 for m in measures))


def share_base(count: Any, share: Any) -> int | None:
    """The records a share (in percent, rounded to 0.1) was counted on, from the count it shows:
    exact to the record for the small bases this is asked about."""
    if not count or not share:
        return None
    return round(float(count) * 100.0 / float(share))


def enough(minimum: int, *counts: int | None) -> bool:
    """Whether every count a figure rests on reaches the minimum for red."""
    return all(c is not None and c >= minimum for c in counts)
