"""What a marketing department keeps beside its CRM, made up for the sandbox portal's data:
monthly spend per paid channel (split by UTM campaign and tracking number where the money
bought one), monthly plan targets (:mod:`.plan`, on the data's own scale), and the channel each
tracking number advertises. The demo and the report tests use them so that every report section
has data.

The spend follows the sandbox's marketing (:mod:`.data_channels`): the ad network
("Реклама") gets the largest budget and brings leads that seldom buy, the CRM forms and the
trade show cost less than they bring; campaigns are paid only in the months they ran. Amounts
grow with the portal's size (they are set for 500 leads), so a larger sandbox tells the same
story. Same seed and size, same files. Amounts are in roubles; months are the twelve before
the sandbox's anchor (its data ends there).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Sequence

from .data_channels import CAMPAIGNS, TRACKED
from .datetimes import ANCHOR
from .plan import TRAILING, plan_rows

__all__ = ["PAID", "TRACKING", "SPEND_COLUMNS", "months_before_anchor", "write_inputs", "spend_rows"]

#: paid channels (lead source names of the sandbox) and their SOURCE_IDs
PAID = {"Реклама": "ADVERTISING", "Веб-сайт": "WEB", "CRM-форма": "WEBFORM", "Выставка": "TRADE_SHOW"}
#: the tracking numbers: where each is advertised (the main line is no tracking number)
TRACKING = {number: channel for number, (channel, _) in TRACKED.items()}
#: the columns this module can write; a reader that knows fewer gets fewer (see write_inputs)
SPEND_COLUMNS = ("month", "channel", "campaign", "number", "amount", "currency")

_NAME = {source: name for name, source in PAID.items()}
#: monthly budget range of each campaign at 500 leads (campaigns of unpaid channels: none)
_CAMPAIGN_BUDGET = {"direct_leadgen": (60_000, 90_000), "vk_retarget": (30_000, 45_000),
                    "tg_promo": (20_000, 30_000), "brand_search": (15_000, 25_000),
                    "google_search": (8_000, 15_000), "webinar_series": (14_000, 22_000),
                    "kp_request": (16_000, 24_000)}
#: monthly budget of each tracking number's own ads (the call-only ads, the number's rent)
_NUMBER_BUDGET = {"+74952220011": (15_000, 25_000), "+74952220022": (8_000, 12_000),
                  "+74957654321": (3_000, 3_000), "+78123334455": (3_000, 3_000)}
#: spend that names no campaign or number: the site's SEO contract, the trade show's booth
_CHANNEL_BUDGET = {"Веб-сайт": (12_000, 18_000), "Выставка": (70_000, 110_000)}
#: the months (before the anchor's) with a trade show
_SHOW_MONTHS = {2, 5, 9, 12}


def months_before_anchor(count: int) -> list[str]:
    index = ANCHOR.year * 12 + ANCHOR.month - 1
    return [f"{(index - k) // 12}-{(index - k) % 12 + 1:02d}" for k in range(count, 0, -1)]


def spend_rows(seed: int = 42, leads: int = 500) -> list[dict[str, Any]]:
    """The spend of the twelve months before the anchor, one dict per row (campaign and number
    None where a row names none); a channel's spend is the sum of its rows."""
    rng = random.Random(seed * 7919 + 17)
    scale = max(leads, 1) / 500
    rows: list[dict[str, Any]] = []

    def add(month: str, channel: str, low: int, high: int, campaign: str | None = None,
            number: str | None = None) -> None:
        amount = round(rng.randint(low, high) * scale, -2)
        if amount > 0:
            rows.append({"month": month, "channel": channel, "campaign": campaign, "number": number,
                         "amount": amount, "currency": "RUB"})

    for months_before, month in zip(range(12, 0, -1), months_before_anchor(12)):
        for campaign in CAMPAIGNS:
            budget = _CAMPAIGN_BUDGET.get(campaign.name)
            if budget and campaign.last < months_before <= campaign.first:
                add(month, _NAME[campaign.source], *budget, campaign=campaign.name)
        for number, (channel, _) in TRACKED.items():
            add(month, channel, *_NUMBER_BUDGET[number], number=number)
        add(month, "Веб-сайт", *_CHANNEL_BUDGET["Веб-сайт"])
        if months_before in _SHOW_MONTHS:
            add(month, "Выставка", *_CHANNEL_BUDGET["Выставка"])
    return rows


def write_inputs(folder: Path, *, seed: int = 42, leads: int = 500,
                 spend_columns: Sequence[str] = SPEND_COLUMNS) -> dict[str, Any]:
    """Write spend.csv and plan.csv into `folder`; returns the [kpis] settings naming them.

    `spend_columns`: the columns the spend file's reader knows; rows are written with those of
    SPEND_COLUMNS only (without `campaign` and `number` a channel's rows still add up to its
    spend)."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = [c for c in SPEND_COLUMNS if c in spend_columns]
    spend = [",".join(columns)]
    for row in spend_rows(seed, leads):
        spend.append(",".join("" if row[c] is None else f"{row[c]:.2f}" if c == "amount" else str(row[c])
                              for c in columns))
    plan = ["period,metric,target,currency"]
    for month, metric, target in plan_rows(months_before_anchor(6 + TRAILING), seed, leads):
        plan.append(f"{month},{metric},{target},{'RUB' if metric == 'revenue' else ''}")
    (folder / "spend.csv").write_text("\n".join(spend) + "\n", encoding="utf-8")
    (folder / "plan.csv").write_text("\n".join(plan) + "\n", encoding="utf-8")
    return {"spend_file": str(folder / "spend.csv"), "plan_file": str(folder / "plan.csv"),
            "tracking_numbers": dict(TRACKING)}
