"""The sandbox's plan file: monthly targets for leads, won deals and revenue, set on the scale of
the seeded portal's own data, so that the demo's plan against actual reads like a sales meeting
(a few months missed, a few beaten, most within some 30 % of target) however the sandbox's
economics change.

A real plan is set before the month, from the months before it: each target here is the trailing
average of the three months before, raised a little as plans are, but kept within reach of what
the month then brought. The sandbox's revenue swings tenfold from month to month (a handful of
large deals), so a plan from the trailing average alone would read 20 % one month and 300 % the
next; the clamp is what keeps it believable. Same seed and size, same targets.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timezone

from .data import generate
from .datetimes import ANCHOR
from .state import PortalState

__all__ = ["TRAILING", "monthly_actuals", "plan_rows"]

#: the share of its target a month's actual may end at (0.72: missed by 28 %; 1.3: beaten by 30 %)
_DONE = (0.72, 1.3)
#: months of actuals a target averages
TRAILING = 3
#: each metric's unit of rounding and least target (a target must be above zero)
_STEP = {"leads": 1, "won_deals": 1, "revenue": 10_000}


def monthly_actuals(seed: int, leads: int) -> dict[str, Counter[str]]:
    """Per metric, what the seeded portal holds per month (YYYY-MM, portal time): leads created,
    deals won and their revenue in roubles (the plan's currency), a deal counted in the month
    of its last move, which for a won deal is the move into its success stage."""
    tz = ANCHOR.tzinfo if isinstance(ANCHOR.tzinfo, timezone) else timezone.utc
    state = generate(PortalState(), seed, leads, None, tz)
    actuals: dict[str, Counter[str]] = {metric: Counter() for metric in _STEP}
    for lead in state.leads.values():
        actuals["leads"][str(lead["DATE_CREATE"])[:7]] += 1
    for deal in state.deals.values():
        if deal.get("STAGE_SEMANTIC_ID") != "S" or deal.get("IS_RECURRING") == "Y" or not deal.get("MOVED_TIME"):
            continue
        month = str(deal["MOVED_TIME"])[:7]
        actuals["won_deals"][month] += 1
        if deal.get("CURRENCY_ID") == "RUB":
            actuals["revenue"][month] += round(float(deal.get("OPPORTUNITY") or 0))
    return actuals


def _target(rng: random.Random, history: list[float], actual: float, step: int) -> int:
    trailing = sum(history[-TRAILING:]) / TRAILING if history else actual
    wanted = trailing * rng.uniform(1.0, 1.15)          # plans ask for a little growth
    if actual > 0:
        wanted = min(max(wanted, actual / _DONE[1]), actual / _DONE[0])
    return max(step, round(wanted / step) * step)


def plan_rows(months: list[str], seed: int = 42, leads: int = 500) -> list[tuple[str, str, int]]:
    """(month, metric, target) for each of `months` (YYYY-MM, in order) after the first TRAILING,
    which only lend their actuals to the first targets."""
    rng = random.Random(seed * 7919 + 29)
    actuals = monthly_actuals(seed, leads)
    rows = []
    for i in range(TRAILING, len(months)):
        for metric, step in _STEP.items():
            history = [float(actuals[metric][m]) for m in months[i - TRAILING:i]]
            rows.append((months[i], metric, _target(rng, history, float(actuals[metric][months[i]]), step)))
    return rows
