"""The report's money section in the cohort view: which channel pays. The leads of the headline
period (its cohort) per channel, UTM campaign and tracking number, with the spend that bought
them and what they have brought so far (to date) and are projected to bring by the end of the
attribution window; payback and LTV/CAC over the report window's cohorts; a payback chart.

Every figure of the headline cohort is a Cell of `cohort_return` cut by the report's period.
The window-wide figures (payback, LTV/CAC, the chart) are cut over the report window as one
period ("all" between its bounds): no period of the cut holds them, so they print as text,
without a KPI cell's coordinates. Money is in the attribution's base currency, named in the
column headers; a figure a currency without a rate would change says so instead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup

from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import Cut, cut
from b24metrics.kpis.families.attribution import PAYBACK_AGES, use_model
from b24metrics.report import charts
from b24metrics.report.charts import Bar, HRow, Seg, Series
from b24metrics.report.gather import Gather
from b24metrics.report.marketing import seg
from b24metrics.report.model import Cell, Section, Table, titled
from b24metrics.report.window import shift

NOT_SPLIT = "(not split)"
#: the paid channels drawn in the payback chart, most spend first
CHART_CHANNELS = 4
COLUMNS = ("spend", "leads", "cpl", "new_clients", "cac", "revenue", "romi", "projected_romi", "ripeness")


def cohorts(g: Gather) -> Section:
    w = g.window
    model = g.settings.kpis.attribution_model
    use_model(g.con, model)
    headline = g.headline_label()
    section = Section("cohorts", g.t("cohorts"), g.t("cohorts.lead", headline=headline,
                                                     model=g.t(f"cohorts.model.{model}"),
                                                     days=g.settings.kpis.attribution_window_days))
    result = g.cut("cohort_return", by="channel")
    rows = [r for r in g.rows_in(result, w.headline) if r["leads"] or r["spend"] or r["revenue"] or r["won_deals"]]
    if not rows:
        section.note = g.t("cohorts.none", headline=headline)
        return section
    rows.sort(key=lambda r: (-(r["spend"] or 0), -(r["leads"] or 0), str(r["channel"])))
    currency = next((r["base_currency"] for r in rows if r["base_currency"]), "")
    whole = _whole_window(g, "channel")

    paid = [r for r in rows if r["spend"]]
    parts = []
    if paid:
        parts.append(titled(g.t("cohorts.chart.romi", headline=headline), charts.hbars(
            [HRow(g.label(r["channel"]), [
                Bar([seg(g, g.cell(result, r, "romi"), _tone(r["romi"], "c0"), g.t("cohorts.to_date"))],
                    note=_text(g, result, r, "romi")),
                Bar([seg(g, g.cell(result, r, "projected_romi"), _tone(r["projected_romi"], "c1"),
                         g.t("cohorts.projected"))], note=_text(g, result, r, "projected_romi"))])
             for r in paid], g.loc, label=g.t("cohorts.chart.romi", headline=headline))))
        section.legend = [("c0", g.t("cohorts.to_date")), ("c1", g.t("cohorts.projected"))]
    else:
        parts.append(titled(g.t("cohorts.chart.revenue", headline=headline), charts.hbars(
            [HRow(g.label(r["channel"]), [
                Bar([seg(g, g.cell(result, r, "revenue"), "c0", g.t("cohorts.to_date"))],
                    note=_text(g, result, r, "revenue")),
                Bar([seg(g, g.cell(result, r, "projected_revenue"), "c1", g.t("cohorts.projected"))],
                    note=_text(g, result, r, "projected_revenue"))]) for r in rows],
            g.loc, label=g.t("cohorts.chart.revenue", headline=headline))))
        section.legend = [("c0", g.t("cohorts.to_date")), ("c1", g.t("cohorts.projected"))]
        if g.settings.kpis.spend_file is None:
            section.remarks.append(g.t("cohorts.no_spend"))
    payback = _payback_chart(g, whole, [r["channel"] for r in paid])
    if payback is not None:
        parts.append(payback)
        section.legend += [("c2", g.t("cohorts.cum_revenue")), ("c3", g.t("cohorts.spend_line"))]
    section.chart = Markup("").join(parts)

    section.tables += _table(g, result, rows, "col.channel", "channel", whole, currency)
    for by, title in (("utm_campaign", "col.campaign"), ("tracking_number", "col.number")):
        named = g.cut("cohort_return", by=by)
        own = [r for r in g.rows_in(named, w.headline) if r["spend"] and r[by] != NOT_SPLIT]
        if own:
            keyed = [r for r in g.rows_in(named, w.headline) if r[by] == NOT_SPLIT or r["spend"] or r["new_clients"]]
            keyed.sort(key=lambda r: (r[by] == NOT_SPLIT, -(r["spend"] or 0), str(r[by])))
            section.tables += _table(g, named, keyed, title, by, _whole_window(g, by), currency)
            if by == "tracking_number":
                section.remarks.append(g.t("cohorts.numbers"))
    section.remarks += _ripeness_remarks(g, result, rows)
    return section


def _tone(value: Any, css: str) -> str:
    return "bad" if value is not None and value < 0 else css


#: the money figures a currency without a rate leaves blank, and which currencies say why
BLANKED_BY = {"spend": "unconverted_spend", "cpl": "unconverted_spend", "cac": "unconverted_spend",
              "revenue": "unconverted_revenue", "projected_revenue": "unconverted_revenue",
              "ltv": "unconverted_revenue", "romi": "unconverted", "projected_romi": "unconverted",
              "ltv_cac": "unconverted", "payback_months": "unconverted"}
#: figures that exist only where there is spend of its own
COSTS = {"cpl", "cac", "romi", "projected_romi", "ltv_cac", "payback_months"}


def _why_blank(g: Gather, row: dict[str, Any], measure: str) -> str | None:
    """Why a money figure is missing, when a currency without a rate is the reason."""
    currencies = row.get(BLANKED_BY.get(measure, ""))
    if measure in COSTS and not row.get("spend") and not row.get("unconverted_spend"):
        return None     # no spend of its own: no cost, whatever the currency of its revenue
    if row.get(measure) is None and currencies:
        return g.t("cohorts.no_rate", currencies=currencies)
    return None


def _text(g: Gather, result: Cut, row: dict[str, Any], measure: str) -> str:
    """A figure as printed, or why it is missing (a currency without a rate)."""
    return _why_blank(g, row, measure) or g.cell(result, row, measure).text(g.loc)


def _cell(g: Gather, result: Cut, row: dict[str, Any], measure: str) -> Cell | str:
    text = _text(g, result, row, measure)
    cell = g.cell(result, row, measure)
    return cell if cell.value is not None or text == cell.text(g.loc) else text


def _table(g: Gather, result: Cut, rows: list[dict[str, Any]], title: str, by: str,
           whole: dict[str, dict[str, Any]], currency: str) -> list[Table]:
    """The headline cohort's figures, then the window's: what a client may cost and the payback."""
    cur = f", {currency}" if currency else ""
    columns = [g.t(title), g.t("col.spend") + cur, g.t("col.leads"), g.t("col.cpl") + cur, g.t("col.new_clients"),
               g.t("col.cac") + cur, g.t("cohorts.col.revenue") + cur, g.t("cohorts.col.romi"),
               g.t("cohorts.col.projected_romi"), g.t("cohorts.col.ripeness")]
    cohort = Table(columns, [[g.label(r[by])] + [_cell(g, result, r, m) for m in COLUMNS] for r in rows],
                   [False] + [True] * (len(columns) - 1))
    window = []
    for r in rows:
        over = whole.get(str(r[by]))
        if over and (over.get("spend") or over.get("new_clients") or _why_blank(g, over, "spend")):
            window.append([g.label(r[by]), _window_text(g, over, "spend", "money"),
                           _window_text(g, over, "new_clients", ""), _window_text(g, over, "cac", "money"),
                           _window_text(g, over, "ltv", "money"), _window_text(g, over, "ltv_cac", ""),
                           _payback(g, over)])
    columns = [g.t(title) + g.t("cohorts.col.window"), g.t("col.spend") + cur, g.t("col.new_clients"),
               g.t("col.cac") + cur, g.t("cohorts.col.ltv") + cur, g.t("cohorts.col.ltv_cac"),
               g.t("cohorts.col.payback")]
    return [cohort, Table(columns, window, [False] + [True] * (len(columns) - 1))]


def _window_text(g: Gather, row: dict[str, Any], measure: str, unit: str) -> str:
    return _why_blank(g, row, measure) or g.loc.number(row.get(measure), unit)


def _payback(g: Gather, row: dict[str, Any]) -> str:
    """The month of age the revenue covered the spend; "not yet"; or why there is none."""
    if row.get("payback_months") is not None:
        return g.t("cohorts.months", n=row["payback_months"])
    if not row.get("spend") and not row.get("unconverted_spend"):
        return "—"      # nothing spent: nothing to pay back
    return _why_blank(g, row, "payback_months") or g.t("cohorts.not_yet")


def _whole_window(g: Gather, by: str) -> dict[str, dict[str, Any]]:
    """Per key: LTV, LTV/CAC (cohort_return) and payback with its curve (cohort_payback) over
    the cohorts of the report window up to the headline's end."""
    end = shift(g.window.kind, g.window.headline, 1)
    merged: dict[str, dict[str, Any]] = {}
    for name in ("cohort_return", "cohort_payback"):
        for r in cut(g.con, find(name), period="all", by=by, since=g.window.since, until=end).rows:
            merged.setdefault(str(r[by]), {}).update(r)
    return merged


def _payback_chart(g: Gather, whole: dict[str, dict[str, Any]], channels: list[str]) -> Markup | None:
    """Per paid channel: the revenue credited to the window's cohorts by each month of age, in
    percent of their spend, against the spend (100 %): where the line crosses it, they paid back."""
    parts = []
    labels = [g.t("cohorts.age", n=age) for age in range(1, PAYBACK_AGES + 1)]
    for channel in channels[:CHART_CHANNELS]:
        row = whole.get(str(channel))
        if not row or row.get("covered_m1") is None:
            continue
        covered: list[Seg | None] = []
        spend: list[Seg | None] = []
        for age, label in enumerate(labels, 1):
            value = row.get(f"covered_m{age}")
            covered.append(None if value is None else
                           Seg(value, "dot c2", None, f"{g.t('cohorts.cum_revenue')}: {g.loc.number(value, '%')} ({label})"))
            spend.append(None if value is None else Seg(100.0, "dot c3", None, g.t("cohorts.spend_line")))
        title = g.t("cohorts.chart.payback", channel=g.label(channel))
        parts.append(titled(title, charts.lines(
            labels, [Series(g.t("cohorts.cum_revenue"), "c2", covered), Series(g.t("cohorts.spend_line"), "c3", spend)],
            g.loc, label=title, running=[False] * len(labels), unit="%", height=170)))
    return Markup("").join(parts) if parts else None


def _ripeness_remarks(g: Gather, result: Cut, rows: list[dict[str, Any]]) -> list[str]:
    """What the figures are: to date or ripe, the curve's cohorts, and the lead to won conversion
    of the latest ripe cohort beside the headline cohort's projection (never an unripe cohort's
    conversion as if final)."""
    w = g.window
    remarks = []
    curve = cut(g.con, find("ripeness_curve"), period="all").rows
    total = g.cut("cohort_return")
    now = g.row_at(total, w.headline)
    if curve:
        c = curve[0]
        remarks.append(g.t("cohorts.curve", first=_day(g, c["learnt_from"]), last=_day(g, c["learnt_until"]),
                           leads=g.loc.number(c["leads"]), won=g.loc.number(c["won_deals"]),
                           days=g.loc.number(c["ripe_days"], "days")))
    else:
        remarks.append(g.t("cohorts.no_curve", days=g.settings.kpis.attribution_window_days))
    ripe = [r for r in total.rows if r["ripe"] and r["leads"]]
    if ripe:
        latest = max(ripe, key=lambda r: r["period"])
        remarks.append(g.t("cohorts.ripe_rate", cohort=g.loc.period(w.kind, latest["period"]),
                           rate=g.cell(total, latest, "won_rate").text(g.loc)))
    if now is not None and now["leads"]:
        key = "cohorts.ripe_now" if now["ripe"] else "cohorts.unripe_now"
        remarks.append(g.t(key, headline=g.headline_label(), ripeness=g.cell(total, now, "ripeness").text(g.loc),
                           rate=g.cell(total, now, "won_rate").text(g.loc),
                           projected=g.cell(total, now, "projected_won_rate").text(g.loc)))
    return remarks


def conversion_remarks(g: Gather) -> list[str]:
    """Under the headline: when the headline's lead cohort is not ripe, its lead to won deal is
    to date, not final; say so, with the latest ripe cohort's rate and the projection."""
    use_model(g.con, g.settings.kpis.attribution_model)
    total = g.cut("cohort_return")
    now = g.row_at(total, g.window.headline)
    if now is None or not now["leads"] or now["ripe"] is not False:
        return []
    remarks = [g.t("cohorts.unripe_now", headline=g.headline_label(), ripeness=g.cell(total, now, "ripeness").text(g.loc),
                   rate=g.cell(total, now, "won_rate").text(g.loc),
                   projected=g.cell(total, now, "projected_won_rate").text(g.loc))]
    ripe = [r for r in total.rows if r["ripe"] and r["leads"]]
    if ripe:
        latest = max(ripe, key=lambda r: r["period"])
        remarks.append(g.t("cohorts.ripe_rate", cohort=g.loc.period(g.window.kind, latest["period"]),
                           rate=g.cell(total, latest, "won_rate").text(g.loc)))
    return remarks


def _day(g: Gather, day: date | None) -> str:
    return g.loc.period("day", day) if day else "—"
