"""What `grade check` prints: the proof of the grade per grade at entry, the verdict, and the
suggested points beside the current ones."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from b24metrics.cli.render import out
from b24metrics.config import GradingSettings
from b24metrics.grading.backtest import MIN_SUPPORT, POINTS_PER_DOUBLING, Backtest, proposed_block


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}"


def _interval(ci: tuple[float, float] | None) -> str:
    return "-" if ci is None else f"{100 * ci[0]:.1f}-{100 * ci[1]:.1f}"


def backtest_table(result: Backtest) -> Table:
    currency = next((g.currency for g in result.grades if g.currency), None)
    table = Table(title="Settled leads by grade at entry (converted or junk, no deal still open)")
    for name in ("grade", "leads", "lead→deal %", "95 % interval", "lead→won %", "95 % interval",
                 f"revenue per lead{f' ({currency})' if currency else ''}", "median days to won", "graded while open"):
        table.add_column(name, justify="left" if name == "grade" else "right")
    for g in result.grades:
        table.add_row(g.grade, str(g.leads), _pct(g.deal_rate), _interval(g.deal_interval), _pct(g.won_rate),
                      _interval(g.won_interval),
                      "-" if g.revenue_per_lead is None else f"{g.revenue_per_lead:,.0f}".replace(",", " "),
                      "-" if g.median_cycle_days is None else f"{g.median_cycle_days:.1f}", str(g.graded_open))
    return table


def suggestions_table(result: Backtest) -> Table:
    table = Table(title=f"Points per rule: now and as the history supports them ({POINTS_PER_DOUBLING} per doubling "
                        "of the odds of a won deal, 0.5 added to each count)")
    for name in ("rule", "now", "suggested", "fired on", "won there %", "not fired", "won there %", "odds ratio"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for s in result.suggestions:
        table.add_row(s.label, str(s.now), "-" if s.points is None else str(s.points), str(s.fired),
                      _pct(s.fired_won / s.fired if s.fired else None), str(s.rest),
                      _pct(s.rest_won / s.rest if s.rest else None),
                      "-" if s.odds_ratio is None else f"{s.odds_ratio:.2f}")
    return table


def print_backtest(result: Backtest, grading: GradingSettings) -> None:
    if not result.grades:
        out.print("No settled leads with a grade at entry yet: the proof needs leads that were converted or junked.")
        return
    out.print(backtest_table(result))
    lift = result.lift
    out.print(f"Lift of A over D (lead→won): {'-' if lift is None else f'{lift:.2f}x'}. "
              f"{result.graded_open} of {result.settled} settled leads were graded while still open; the others "
              "were graded from history at the first sync.")
    style = {True: "bold green", False: "bold red", None: "bold"}[result.separates]
    out.print(Text(result.verdict(), style=style))
    if result.suggestions:
        out.print(suggestions_table(result))
        out.print(f"Proposed [grading] block (not applied; rules fired on or missing fewer than {MIN_SUPPORT} settled "
                  "leads keep their points). Copy it into the config to use it:")
        out.print(proposed_block(grading, result.suggestions), highlight=False, soft_wrap=True)  # TOML: no wrapping


def print_band_mapping(rows: list[dict[str, Any]]) -> None:
    """How each employee threshold of the rules was moved onto the portal's EMPLOYEES bands."""
    if not rows:
        out.print("No rule tests company_employees_min: no size thresholds to map onto the portal's bands.")
        return
    table = Table(title="Employee thresholds on this portal's size bands")
    for name in ("rule", "threshold", "tested as", "how"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(r["rule"], f"{r['op']} {r['threshold']:g}", f"{r['op']} {r['mapped_to']:g}", r["note"])
    out.print(table)
