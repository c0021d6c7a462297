"""Report sections on M2's second axis and its proof: engagement by channel on the headline
period, and the grade at entry against outcome over every settled lead."""

from __future__ import annotations

from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import Cut, cut
from b24metrics.report import charts
from b24metrics.report.charts import Bar, HRow
from b24metrics.report.gather import Gather
from b24metrics.report.marketing import breakdown, seg
from b24metrics.report.model import Section, Table

#: fewer settled leads than this in A or D and the section says it cannot tell yet
#: (grading/backtest.py's MIN_LEADS: `grade check` says the same)
MIN_LEADS = 10
GRADE_CSS = {"A": "grade-a", "B": "grade-b", "C": "grade-c", "D": "grade-d"}


def engagement(g: Gather) -> Section:
    section, result, rows = breakdown(g, "engagement", "lead_engagement", "channel")
    if section.note:
        return section
    rows.sort(key=lambda r: (-(r["leads"] or 0), str(r["channel"])))
    section.chart = charts.hbars(
        [HRow(g.label(r["channel"]), [Bar([seg(g, g.cell(result, r, "mean_engagement"), "c0", g.label(r["channel"]))],
                                          note=g.cell(result, r, "mean_engagement").text(g.loc))]) for r in rows],
        g.loc, label=section.title)
    section.tables.append(Table(
        [g.t("col.channel"), g.t("col.leads"), g.t("col.mean_engagement"), g.t("col.touched_share"), g.t("col.hot")],
        [[g.label(r["channel"])] + [g.cell(result, r, m) for m in ("leads", "mean_engagement", "touched_share", "hot")]
         for r in rows],
        [False] + [True] * 4))
    return section


def _outcomes(g: Gather, by: str | None) -> Cut:
    # every settled lead: a proof counts all the history there is, not the report's periods
    return cut(g.con, find("grade_lift"), period="all", by=by)


def grade_proof(g: Gather) -> Section:
    section = Section("grade_proof", g.t("grade_proof"), g.t("grade_proof.lead"))
    result = _outcomes(g, "grade")
    rows = [r for r in result.rows if r["grade"] in GRADE_CSS]
    if result.note or not rows:
        section.note = g.t("simple_mode") if result.note else g.t("grade_proof.none")
        return section
    section.chart = charts.hbars(
        [HRow(r["grade"], [Bar([seg(g, g.cell(result, r, "won_rate"), GRADE_CSS[r["grade"]], r["grade"])],
                               note=_interval(g, result, r, "won"))]) for r in rows],
        g.loc, label=section.title, note_width=170)
    section.legend = [(GRADE_CSS[r["grade"]], r["grade"]) for r in rows]
    section.tables.append(Table(
        [g.t("col.grade_at_entry"), g.t("col.settled"), g.t("col.deal_rate"), g.t("col.interval"),
         g.t("col.won_rate"), g.t("col.interval"), g.t("col.revenue_per_lead"), g.t("col.days_to_won")],
        [[r["grade"], g.cell(result, r, "leads"), g.cell(result, r, "deal_rate"), _interval(g, result, r, "deal"),
          g.cell(result, r, "won_rate"), _interval(g, result, r, "won"), g.cell(result, r, "revenue_per_lead"),
          g.cell(result, r, "median_cycle_days")] for r in rows],
        [False] + [True] * 7))
    section.remarks.append(_verdict(g, {r["grade"]: r for r in rows}))
    return section


def _interval(g: Gather, result: Cut, row: dict, what: str) -> str:
    low, high = g.cell(result, row, f"{what}_low"), g.cell(result, row, f"{what}_high")
    if low.value is None or high.value is None:
        return ""
    return f"{low.text(g.loc)} – {high.text(g.loc)}"


def _verdict(g: Gather, by_grade: dict[str, dict]) -> str:
    a, d = by_grade.get("A"), by_grade.get("D")
    if a is None or d is None or a["leads"] < MIN_LEADS or d["leads"] < MIN_LEADS:
        return g.t("grade_proof.too_few", a=a["leads"] if a else 0, d=d["leads"] if d else 0, n=MIN_LEADS)
    lift = "" if not d["won_rate"] else g.loc.number(round(a["won_rate"] / d["won_rate"], 1))
    if a["won_low"] is not None and d["won_high"] is not None and a["won_low"] > d["won_high"]:
        return g.t("grade_proof.separates", lift=lift or "∞")
    return g.t("grade_proof.overlap")
