"""What a marketing department keeps beside its CRM, made up for the sandbox portal's data:
monthly spend per paid channel, monthly plan targets, and the channel each tracking number
advertises. The demo and the report tests use them so that every report section has data.

Same seed and size, same files. Amounts are in roubles; months are the twelve before the
sandbox's anchor (its data ends there).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from .data_calls import PORTAL_NUMBERS
from .datetimes import ANCHOR

#: paid channels (lead source names of the sandbox) and their monthly budget range in roubles
PAID = {"Реклама": (90_000, 160_000), "Веб-сайт": (40_000, 80_000), "CRM-форма": (25_000, 50_000),
        "Выставка": (0, 120_000)}
#: the incoming lines: where each number is advertised
TRACKING = {PORTAL_NUMBERS[0]: "Реклама", PORTAL_NUMBERS[1]: "Веб-сайт", PORTAL_NUMBERS[2]: "Выставка"}


def months_before_anchor(count: int) -> list[str]:
    index = ANCHOR.year * 12 + ANCHOR.month - 1
    return [f"{(index - k) // 12}-{(index - k) % 12 + 1:02d}" for k in range(count, 0, -1)]


def write_inputs(folder: Path, *, seed: int = 42, leads: int = 500) -> dict[str, Any]:
    """Write spend.csv and plan.csv into `folder`; returns the [kpis] settings naming them."""
    rng = random.Random(seed * 7919 + 17)
    folder.mkdir(parents=True, exist_ok=True)
    months = months_before_anchor(12)
    spend = ["month,channel,amount,currency"]
    for month in months:
        for channel, (low, high) in PAID.items():
            amount = rng.randrange(low, high + 1, 1000)
            if amount:
                spend.append(f"{month},{channel},{amount}.00,RUB")
    # Targets a little above the portal's pace: the sandbox spreads its leads over 540 days and
    # makes about one deal of three leads, one won of four deals.
    per_month = leads / 18
    plan = ["period,metric,target,currency"]
    for month in months[-6:]:
        plan.append(f"{month},leads,{max(1, round(per_month * rng.uniform(0.95, 1.25)))},")
        plan.append(f"{month},won_deals,{max(1, round(per_month / 9 * rng.uniform(0.9, 1.3)))},")
        plan.append(f"{month},revenue,{round(per_month / 9 * 220_000 * rng.uniform(0.9, 1.2), -4):.0f},RUB")
    (folder / "spend.csv").write_text("\n".join(spend) + "\n", encoding="utf-8")
    (folder / "plan.csv").write_text("\n".join(plan) + "\n", encoding="utf-8")
    return {"spend_file": str(folder / "spend.csv"), "plan_file": str(folder / "plan.csv"),
            "tracking_numbers": dict(TRACKING)}
