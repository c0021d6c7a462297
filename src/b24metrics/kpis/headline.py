"""The headline's lead to won deal (M4) in the cohort view: which cohort's figure it is, and
which comparisons mean anything. The report's headline card and `b24metrics kpi lead_to_won`
both take it from here, so that they never disagree.

A young cohort's lead to won deal is not final: its deals are still to come. So the figure is
the latest ripe cohort's up to the headline period (figures.ripe: final); without one, the
headline period's own cohort projected at the ripeness curve (projected_won_rate, marked as a
projection); where that is too early to project (nothing won yet, too few wins expected by its
age: families/attribution.py, too_early_rate) or no curve exists yet, its figure to date,
marked as not final.

Its comparisons are the same measure of the cohorts a period and a year before the one shown.
A comparison cohort with fewer than MIN_COMPARED_LEADS leads gives none: on 11 leads one win
more or less moves the rate by 9 points, and "0 %" a year before would read as a collapse or a
triumph that is only a thin month.

Pure selection over a `cohort_return` cut by period with no dimension (the caller sets the
attribution model on its connection: families/attribution.use_model); nothing here queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from b24metrics.kpis.cuts import Cut

#: a comparison cohort needs this many leads for its lead to won deal to be compared with: the
#: same bound the funnel asks of a stage before it names a conversion the bottleneck
#: (kpis.funnel.min_items' default): below it, a rate is too few to tell
MIN_COMPARED_LEADS = 20
#: what the figure is of
RIPE, PROJECTED, TOO_EARLY, TO_DATE, NONE, INPUT_MISSING = (
    "ripe", "projected", "too_early", "to_date", "none", "input_missing")


@dataclass(frozen=True)
class CohortConversion:
    """The headline's lead to won deal: the figure (row[measure]) and what it is of."""

    result: Cut                      # cohort_return by the period, no dimension
    basis: str                       # RIPE, PROJECTED, TOO_EARLY, TO_DATE, NONE or INPUT_MISSING
    row: dict[str, Any] | None       # the cohort the figure is of (None: NONE, INPUT_MISSING)
    measure: str                     # won_rate or projected_won_rate
    latest_ripe: dict[str, Any] | None   # the newest ripe cohort up to the headline period
    newest: dict[str, Any] | None        # the headline period's own cohort, when it has leads

    @property
    def cohort(self) -> date | None:
        return None if self.row is None else self.row["period"]

    @property
    def value(self) -> Any:
        return None if self.row is None else self.row.get(self.measure)

    def leads(self, suffix: str = "") -> int:
        """The leads of the cohort shown ("") or of the one it is compared with ("_prev", "_yoy")."""
        return int((self.row or {}).get("leads" + suffix) or 0)

    def wins(self, suffix: str = "") -> int:
        """The leads with a won deal so far of the cohort shown ("") or of the one it is compared
        with: what a change of its rate rests on (3 won against 4 is one deal, whatever the leads)."""
        return int((self.row or {}).get("won_leads" + suffix) or 0)

    def comparable(self, suffix: str) -> bool:
        """Whether the cohort a period ("_prev") or a year ("_yoy") before has leads enough for
        its rate to be compared with: MIN_COMPARED_LEADS."""
        return self.leads(suffix) >= MIN_COMPARED_LEADS

    def compared(self, suffix: str) -> Any:
        """The comparison's figure, or None where its cohort is too thin to compare with."""
        return (self.row or {}).get(self.measure + suffix) if self.comparable(suffix) else None


def latest_ripe(total: Cut, headline: date) -> dict[str, Any] | None:
    """The newest ripe cohort with leads up to the headline period (not the one under way)."""
    ripe = [r for r in total.rows if r["ripe"] and r["leads"] and r["period"] <= headline]
    return max(ripe, key=lambda r: r["period"]) if ripe else None


def cohort_conversion(total: Cut, headline: date) -> CohortConversion:
    """The headline's lead to won deal from `total` (cohort_return cut by the report's period,
    no dimension), for the headline period starting at `headline`."""
    if total.note:
        return CohortConversion(total, INPUT_MISSING, None, "won_rate", None, None)
    ripe = latest_ripe(total, headline)
    newest = next((r for r in total.rows if r["period"] == headline and r["leads"]), None)
    if ripe is not None:
        return CohortConversion(total, RIPE, ripe, "won_rate", ripe, newest)
    if newest is None:
        return CohortConversion(total, NONE, None, "won_rate", None, None)
    if newest["projected_won_rate"] is not None:
        return CohortConversion(total, PROJECTED, newest, "projected_won_rate", None, newest)
    return CohortConversion(total, TOO_EARLY if newest.get("too_early_rate") else TO_DATE, newest, "won_rate",
                            None, newest)
