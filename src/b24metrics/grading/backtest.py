"""The proof of the grade from the portal's own history (M2): per grade at entry, on the leads
whose outcome is settled (sql/outcomes.sql), how many went on to a deal and to a won deal,
with 95 % Wilson intervals; the lift of A over D; one line saying whether the grade separates
outcomes here; and, per rule, the points the history supports. Nothing here changes a grade:
the suggested points are printed for the admin, who may copy them into the config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import duckdb

from b24metrics.config import GradeRule, GradingSettings
from b24metrics.grading.features import prepare_features
from b24metrics.grading.rules import compile_grading
from b24metrics.sqlfiles import sql_file

Z95 = 1.959964  # the normal quantile of a two-sided 95 % interval
#: fewer settled leads than this in A or in D, and the check says it cannot tell yet
MIN_LEADS = 10
#: a rule fired on (or missed) fewer settled leads than this gets no suggestion
MIN_SUPPORT = 10
#: suggested points per doubling of the odds of a won deal: a rule whose leads win at 8x the
#: odds of the others gets 60, an A on its own under the default thresholds
POINTS_PER_DOUBLING = 20
GRADES = ("A", "B", "C", "D")


def define_outcomes(con: duckdb.DuckDBPyConnection) -> None:
    """Make (or remake) the view lead_outcomes in the warehouse; the KPI refresh calls it."""
    con.execute(sql_file("b24metrics.grading", "outcomes.sql"))


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion, as shares (0-1); None with no trials. Unlike
    p ± z·se it stays inside 0-1 and is honest for small counts and rates near 0 or 1."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    # at 0 or all successes the bound is 0 or 1 exactly; floating point leaves a crumb
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class GradeOutcome:
    grade: str
    leads: int
    deals: int
    won: int
    revenue_per_lead: float | None
    currency: str | None
    median_cycle_days: float | None
    graded_open: int

    @property
    def deal_rate(self) -> float | None:
        return self.deals / self.leads if self.leads else None

    @property
    def won_rate(self) -> float | None:
        return self.won / self.leads if self.leads else None

    @property
    def deal_interval(self) -> tuple[float, float] | None:
        return wilson(self.deals, self.leads)

    @property
    def won_interval(self) -> tuple[float, float] | None:
        return wilson(self.won, self.leads)


@dataclass(frozen=True)
class Suggestion:
    label: str
    now: int                      # the points the config gives
    points: int | None            # what the history supports; None: too few leads to say
    fired: int                    # settled leads the rule fires on
    fired_won: int
    rest: int                     # settled leads it does not fire on
    rest_won: int
    odds_ratio: float | None      # smoothed: 0.5 added to each count
    rule: GradeRule


@dataclass
class Backtest:
    grades: list[GradeOutcome]
    suggestions: list[Suggestion] = field(default_factory=list)

    def row(self, grade: str) -> GradeOutcome | None:
        return next((g for g in self.grades if g.grade == grade), None)

    @property
    def settled(self) -> int:
        return sum(g.leads for g in self.grades)

    @property
    def graded_open(self) -> int:
        return sum(g.graded_open for g in self.grades)

    @property
    def lift(self) -> float | None:
        """A's won rate over D's: how many times as often an A lead is won."""
        a, d = self.row("A"), self.row("D")
        if a is None or d is None or not d.won_rate:
            return None
        return (a.won_rate or 0.0) / d.won_rate

    @property
    def separates(self) -> bool | None:
        """True when A's won interval lies wholly above D's; None when A or D has too few
        settled leads to tell."""
        a, d = self.row("A"), self.row("D")
        if a is None or d is None or a.leads < MIN_LEADS or d.leads < MIN_LEADS:
            return None
        a_ci, d_ci = a.won_interval, d.won_interval
        return a_ci is not None and d_ci is not None and a_ci[0] > d_ci[1]

    def verdict(self) -> str:
        """One line: does the grade at entry separate outcomes on this portal?"""
        a, d = self.row("A"), self.row("D")
        if self.separates is None:
            return (f"Not enough settled leads to tell yet: A has {a.leads if a else 0}, D has {d.leads if d else 0} "
                    f"(at least {MIN_LEADS} each are needed).")
        assert a is not None and d is not None
        rates = f"A leads won {_pct(a.won_rate)} ({_ci(a.won_interval)}), D leads {_pct(d.won_rate)} ({_ci(d.won_interval)})"
        if self.separates:
            lift = f"{self.lift:.1f}x as often" if self.lift is not None else "where D never was"
            return f"The grade separates outcomes on this portal: {rates}; A is won {lift}."
        if (a.won_rate or 0) > (d.won_rate or 0):
            return f"The grade does not clearly separate outcomes yet: {rates}, and the 95 % intervals overlap."
        return f"The grade does not separate outcomes on this portal: {rates}."


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f} %"


def _ci(interval: tuple[float, float] | None) -> str:
    return "-" if interval is None else f"95 % {100 * interval[0]:.1f}-{100 * interval[1]:.1f} %"


def backtest(con: duckdb.DuckDBPyConnection, settings: GradingSettings, *, suggest: bool = True) -> Backtest:
    """The proof on `con` (read-only will do: it makes only temporary views). Needs a KPI
    refresh first: lead_outcomes is the refresh's view."""
    cursor = con.execute(sql_file("b24metrics.grading", "backtest.sql"))
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    grades = [GradeOutcome(**r) for r in rows if r["grade"] in GRADES]
    result = Backtest(grades)
    if suggest:
        result.suggestions = suggest_points(con, settings)
    return result


def suggest_points(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> list[Suggestion]:
    """Per rule of the config, the points the settled leads support: the rule tested on each
    settled lead's features as they are now, and the smoothed log-odds of a won deal where it
    fires against where it does not, POINTS_PER_DOUBLING per doubling of the odds."""
    if not settings.rules:
        return []
    # Settled leads once, into a temporary table: the features view reads it for every rule.
    con.execute("CREATE OR REPLACE TEMP TABLE settled AS SELECT lead_id, won FROM lead_outcomes")
    con.execute("CREATE OR REPLACE TEMP MACRO in_scope_grade(item) AS item IN (SELECT lead_id FROM settled)")
    con.execute("CREATE OR REPLACE TEMP TABLE fired (rule INTEGER, lead_id BIGINT)")
    prepare_features(con, settings)
    for i, rule in enumerate(settings.rules):
        # The rule alone, worth one point: its score is 1 exactly where it fires.
        alone = GradingSettings(rules=[GradeRule(label=rule.label, points=1, when=rule.when)],
                                employee_bands=settings.employee_bands)
        sql, params = compile_grading(alone)
        con.execute(f"INSERT INTO fired SELECT {i}, lead_id FROM ({sql}) WHERE score > 0", params)
    counts = con.execute(
        f"""WITH total AS (SELECT count(*) AS n, count(*) FILTER (WHERE won) AS w FROM settled)
            SELECT r.rule, count(o.lead_id) AS n, count(o.lead_id) FILTER (WHERE o.won) AS w,
                   any_value(t.n) AS total, any_value(t.w) AS total_won
            FROM range({len(settings.rules)}) r(rule)
            CROSS JOIN total t
            LEFT JOIN fired f ON f.rule = r.rule
            LEFT JOIN settled o ON o.lead_id = f.lead_id
            GROUP BY r.rule ORDER BY r.rule"""
    ).fetchall()
    con.unregister("band_overrides")
    con.execute("DROP TABLE fired")
    con.execute("DROP TABLE settled")
    suggestions = []
    for (i, fired, fired_won, total, total_won), rule in zip(counts, settings.rules):
        rest, rest_won = total - fired, total_won - fired_won
        odds = _odds_ratio(fired, fired_won, rest, rest_won)
        enough = fired >= MIN_SUPPORT and rest >= MIN_SUPPORT
        points = None
        if enough:
            points = max(-100, min(100, round(POINTS_PER_DOUBLING * math.log2(odds))))
        suggestions.append(Suggestion(rule.label, rule.points, points, fired, fired_won, rest, rest_won,
                                      odds if fired or rest else None, rule))
    return suggestions


def _odds_ratio(fired: int, fired_won: int, rest: int, rest_won: int) -> float:
    """Odds of a won deal where the rule fires over where it does not, 0.5 added to each of
    the four counts (so that a rule no won lead has yet gets a finite, cautious figure)."""
    return ((fired_won + 0.5) / (fired - fired_won + 0.5)) / ((rest_won + 0.5) / (rest - rest_won + 0.5))


def proposed_block(settings: GradingSettings, suggestions: list[Suggestion]) -> str:
    """The [grading] rules as TOML with the suggested points, each rule's evidence beside it;
    a rule with too little history keeps its points. For the admin to read and copy, or not."""
    lines = ["[grading]", "thresholds = { " + ", ".join(f"{k} = {v}" for k, v in settings.thresholds.items()) + " }"]
    for s in suggestions:
        lines += ["", "[[grading.rules]]", f"label = {_toml(s.label)}"]
        if s.points is None:
            lines.append(f"points = {s.now}    # kept: fired on {s.fired} settled leads, "
                         f"missed {s.rest} (at least {MIN_SUPPORT} of each needed)")
        else:
            lines.append(f"points = {s.points}    # now {s.now}; fired on {s.fired} settled leads, {s.fired_won} won "
                         f"({_pct(s.fired_won / s.fired)}) against {_pct(s.rest_won / s.rest)} of the other {s.rest}: "
                         f"odds x{s.odds_ratio:.2f}")
        conditions = ", ".join(
            "{ " + f"field = {_toml(c.field)}, op = {_toml(c.op)}" + ("" if c.value is None else f", value = {_toml(c.value)}")
            + " }" for c in s.rule.when)
        lines.append(f"when = [{conditions}]")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
